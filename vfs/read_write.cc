// read, write and their vector and positioned forms, lseek and
// copy_file_range (Linux's fs/read_write.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::kIoChunk;

namespace {

constexpr int kRwfSupported = kRWF_HIPRI | kRWF_DSYNC | kRWF_SYNC | kRWF_NOWAIT | kRWF_APPEND;

}  // namespace


Result<uint64_t> Process::io(int fd, std::span<const IoVec> iov, off_t64 off, int rwf,
                             bool write, std::string_view name) {
  uint64_t total = 0;
  for (const IoVec& v : iov) total += v.len;
  auto done = [&](Errno e, uint64_t n) -> Result<uint64_t> {
    if (tracing()) trace(name, {{"fd", fd}, {"len", total}, {"off", off}, {"rwf", rwf}}, e,
          static_cast<int64_t>(n));
    if (e != Errno::kOk) return Fail(e);
    return n;
  };
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return done(got.error(), 0);
  File& fp = **got;
  if (write ? !fp.write : !fp.read) return done(Errno::kEBADF, 0);
  if (rwf & ~kRwfSupported) return done(Errno::kEOPNOTSUPP, 0);
  const bool positioned = off != -1;
  if (positioned && !fp.ops->seekable()) return done(Errno::kESPIPE, 0);
  if (positioned && off < 0) return done(Errno::kEINVAL, 0);
  Inode& ip = *fp.inode;
  if (!write && ip.is_dir()) return done(Errno::kEISDIR, 0);

  off_t64 pos = positioned ? off : fp.pos;
  if (write && fp.ops->seekable()) {
    if (ip.flags & kInodeImmutable) return done(Errno::kEPERM, 0);
    // generic_write_checks: O_APPEND / RWF_APPEND write at EOF; a positioned
    // write to an append-only file is refused.
    if ((fp.oflags & kO_APPEND) || (rwf & kRWF_APPEND)) {
      pos = static_cast<off_t64>(ip.size);
    } else if (ip.flags & kInodeAppend) {
      return done(Errno::kEPERM, 0);
    }
    if (total > 0 && pos >= ip.sb->maxbytes) return done(Errno::kEFBIG, 0);
    total = std::min<uint64_t>(total, static_cast<uint64_t>(ip.sb->maxbytes - pos));
  }

  uint64_t moved = 0;
  Errno err = Errno::kOk;
  uint64_t budget = total;
  for (const IoVec& v : iov) {
    uint64_t seg = 0;
    while (seg < v.len && budget > 0 && err == Errno::kOk) {
      if (std::optional<Errno> sig = vfs_.machine().faults.fire("sched/signal/eintr")) {
        err = *sig;
        break;
      }
      const uint64_t n = std::min({kIoChunk, v.len - seg, budget});
      IoResult r = write ? fp.ops->fo_write(fp, pos, std::span<const std::byte>(v.base + seg, n), rwf)
                         : fp.ops->fo_read(fp, pos, std::span<std::byte>(v.base + seg, n), rwf);
      seg += r.done;
      moved += r.done;
      budget -= r.done;
      pos += static_cast<off_t64>(r.done);
      err = r.err;
      if (r.ok() && r.done < n) break;  // EOF (reads) or a short transfer.
    }
    if (err != Errno::kOk || seg < v.len || budget == 0) break;
  }
  if (!positioned) fp.pos = pos;
  // A transfer that made progress reports it; the error is lost, as in the
  // kernels ("if the call modified the file, userspace must know").
  if (moved > 0) return done(Errno::kOk, moved);
  return done(err, 0);
}


Result<uint64_t> Process::read(int fd, std::span<std::byte> buf) {
  const IoVec v{buf.data(), buf.size()};
  return io(fd, {&v, 1}, -1, 0, false, "read");

}
Result<uint64_t> Process::write(int fd, std::span<const std::byte> buf) {
  const IoVec v{const_cast<std::byte*>(buf.data()), buf.size()};
  return io(fd, {&v, 1}, -1, 0, true, "write");

}
Result<uint64_t> Process::pread(int fd, std::span<std::byte> buf, off_t64 off) {
  const IoVec v{buf.data(), buf.size()};
  if (off == -1) off = -2;  // pread has no "current position" value.
  return io(fd, {&v, 1}, off, 0, false, "pread");

}
Result<uint64_t> Process::pwrite(int fd, std::span<const std::byte> buf, off_t64 off) {
  const IoVec v{const_cast<std::byte*>(buf.data()), buf.size()};
  if (off == -1) off = -2;
  return io(fd, {&v, 1}, off, 0, true, "pwrite");

}
Result<uint64_t> Process::readv(int fd, std::span<const IoVec> iov) {
  return io(fd, iov, -1, 0, false, "readv");

}
Result<uint64_t> Process::writev(int fd, std::span<const IoVec> iov) {
  return io(fd, iov, -1, 0, true, "writev");

}
Result<uint64_t> Process::preadv2(int fd, std::span<const IoVec> iov, off_t64 off, int rwf) {
  return io(fd, iov, off, rwf, false, "preadv2");

}
Result<uint64_t> Process::pwritev2(int fd, std::span<const IoVec> iov, off_t64 off, int rwf) {
  return io(fd, iov, off, rwf, true, "pwritev2");
}


Result<off_t64> Process::lseek(int fd, off_t64 off, int whence) {
  auto done = [&](Result<off_t64> r) {
    if (tracing()) trace("lseek", {{"fd", fd}, {"off", off}, {"whence", whence}},
          r ? Errno::kOk : r.error(), r ? *r : 0);
    return r;
  };
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return done(Fail(got.error()));
  File& fp = **got;
  if (!fp.ops->seekable()) return done(Fail(Errno::kESPIPE));
  const Inode& ip = *fp.inode;
  off_t64 base = 0;
  switch (whence) {
    case kSEEK_SET:
      break;
    case kSEEK_CUR:
      base = fp.pos;
      break;
    case kSEEK_END:
      base = static_cast<off_t64>(ip.size);
      break;
    case kSEEK_DATA:
    case kSEEK_HOLE: {
      if (off < 0) return done(Fail(Errno::kENXIO));
      Result<off_t64> r = fp.ops->fo_seek_data_hole(fp, off, whence);
      if (r) fp.pos = *r;
      return done(r);
    }
    default:
      return done(Fail(Errno::kEINVAL));
  }
  if ((off > 0 && base > kOffMax - off)) return done(Fail(Errno::kEINVAL));
  const off_t64 target = base + off;
  if (target < 0 || target > ip.sb->maxbytes) return done(Fail(Errno::kEINVAL));
  fp.pos = target;
  return done(target);
}


Result<uint64_t> Process::copy_file_range(int fd_in, off_t64* off_in, int fd_out,
                                          off_t64* off_out, uint64_t len, unsigned flags) {
  uint64_t copied = 0;
  Errno e = [&]() -> Errno {
    if (flags != 0) return Errno::kEINVAL;
    Result<std::shared_ptr<File>> in = get(fd_in);
    Result<std::shared_ptr<File>> out = get(fd_out);
    if (!in || !out) return Errno::kEBADF;
    File& fi = **in;
    File& fo = **out;
    // generic_copy_file_checks.
    if (fi.inode->is_dir() || fo.inode->is_dir()) return Errno::kEISDIR;
    if (!fi.inode->is_reg() || !fo.inode->is_reg()) return Errno::kEINVAL;
    if (!fi.read || !fo.write || (fo.oflags & kO_APPEND)) return Errno::kEBADF;
    off_t64 pin = off_in ? *off_in : fi.pos;
    off_t64 pout = off_out ? *off_out : fo.pos;
    if (pin < 0 || pout < 0) return Errno::kEINVAL;
    if (fo.inode->flags & kInodeImmutable) return Errno::kEPERM;
    if (fi.inode == fo.inode && pin < pout + static_cast<off_t64>(len) &&
        pout < pin + static_cast<off_t64>(len)) {
      return Errno::kEINVAL;
    }
    if (len > 0 && pout >= fo.inode->sb->maxbytes) return Errno::kEFBIG;
    std::vector<std::byte> buf(std::min<uint64_t>(len, kIoChunk));
    Errno err = Errno::kOk;
    while (copied < len) {
      const uint64_t n = std::min<uint64_t>(buf.size(), len - copied);
      IoResult r = fi.ops->fo_read(fi, pin, std::span(buf).first(n), 0);
      if (r.done == 0) {
        err = r.err;
        break;
      }
      IoResult w = fo.ops->fo_write(fo, pout, std::span(buf).first(r.done), 0);
      copied += w.done;
      pin += static_cast<off_t64>(w.done);
      pout += static_cast<off_t64>(w.done);
      if (!w.ok() || w.done < r.done) {
        err = w.err;
        break;
      }
    }
    if (off_in) *off_in = pin; else fi.pos = pin;
    if (off_out) *off_out = pout; else fo.pos = pout;
    return copied > 0 ? Errno::kOk : err;
  }();
  if (tracing()) trace("copy_file_range", {{"fd_in", fd_in}, {"fd_out", fd_out}, {"len", len}, {"flags", flags}},
        e, static_cast<int64_t>(copied));
  if (e != Errno::kOk) return Fail(e);
  return copied;
}

}  // namespace vfssim
