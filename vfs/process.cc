#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {
namespace {

constexpr int kMayRead = 4;
constexpr int kMayWrite = 2;
constexpr int kMayExec = 1;

// The largest transfer between two signal checks.
constexpr uint64_t kIoChunk = 1 << 20;

constexpr int kRwfSupported = kRWF_HIPRI | kRWF_DSYNC | kRWF_SYNC | kRWF_NOWAIT | kRWF_APPEND;

bool is_ro(const Inode& ip) { return ip.sb->options().ro; }

}  // namespace

Process::Process(Vfs& vfs, Creds creds, int pid)
    : vfs_(vfs), creds_(std::move(creds)), pid_(pid), cwd_(vfs.root()),
      mm_(std::make_unique<AddressSpace>()) {
  mapper_ = std::make_unique<ProcessMapper>(*mm_);
  mm_->owner = static_cast<PageMapper*>(mapper_.get());
}

void Process::trace(std::string_view name, Trace::Fields args, Errno err, int64_t ret) {
  Trace::Fields f = {{"pid", pid_}, {"call", name}, {"args", std::move(args)}};
  if (err == Errno::kOk) {
    f["ret"] = ret;
  } else {
    f["err"] = errno_name(err);
  }
  vfs_.machine().trace.record("syscall", std::move(f));
}

Result<std::shared_ptr<File>> Process::get(int fd) const {
  auto it = fds_.find(fd);
  if (it == fds_.end()) return Fail(Errno::kEBADF);
  return it->second;
}

int Process::install(std::shared_ptr<File> fp) {
  int fd = 0;
  while (fds_.contains(fd)) ++fd;
  fp->mark_installed();
  fds_.emplace(fd, std::move(fp));
  return fd;
}

Errno Process::permission(const Inode& ip, int may) const {
  if (creds_.capable(Cap::kDacOverride)) {
    // Root may read/write anything; execute needs some x bit.
    if (!(may & kMayExec) || ip.is_dir() || (ip.mode & 0111)) return Errno::kOk;
  }
  uint32_t bits = ip.mode & 07;
  if (creds_.uid == ip.uid) {
    bits = (ip.mode >> 6) & 07;
  } else if (creds_.in_group(ip.gid)) {
    bits = (ip.mode >> 3) & 07;
  }
  return (bits & static_cast<uint32_t>(may)) == static_cast<uint32_t>(may) ? Errno::kOk
                                                                           : Errno::kEACCES;
}

Result<int> Process::open(std::string_view path, int flags, uint32_t mode) {
  auto done = [&](Errno e, int fd = 0) -> Result<int> {
    if (tracing()) trace("open", {{"path", path}, {"flags", flags}, {"mode", mode}}, e, fd);
    if (e != Errno::kOk) return Fail(e);
    return fd;
  };
  const int acc = flags & kO_ACCMODE;
  if (acc == kO_ACCMODE) return done(Errno::kEINVAL);
  const bool want_write = acc != kO_RDONLY;

  Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd_);
  if (!parent) return done(parent.error());
  auto& [dir, name] = *parent;
  Result<InodeRef> found = vfs_.resolve(path, cwd_);
  InodeRef ip;
  if (found) {
    if ((flags & kO_CREAT) && (flags & kO_EXCL)) return done(Errno::kEEXIST);
    ip = *found;
  } else if (found.error() == Errno::kENOENT && (flags & kO_CREAT)) {
    if (is_ro(*dir)) return done(Errno::kEROFS);
    if (Errno e = permission(*dir, kMayWrite | kMayExec); e != Errno::kOk) return done(e);
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kReg, mode, creds_);
    if (!made) return done(made.error());
    ip = *made;
  } else {
    return done(found.error());
  }

  if ((flags & kO_DIRECTORY) && !ip->is_dir()) return done(Errno::kENOTDIR);
  if (ip->is_dir() && want_write) return done(Errno::kEISDIR);
  if (want_write && is_ro(*ip)) return done(Errno::kEROFS);
  if (found) {  // A file this call created is opened whatever its mode says.
    const int may = (acc != kO_WRONLY ? kMayRead : 0) | (want_write ? kMayWrite : 0);
    if (Errno e = permission(*ip, may); e != Errno::kOk) return done(e);
  }
  // may_open: "if ((flag & O_ACCMODE) != O_RDONLY && !(flag & O_APPEND))
  // && IS_APPEND -> EPERM"; O_TRUNC is also refused on append-only files.
  if (ip->flags & kInodeAppend) {
    if ((want_write && !(flags & kO_APPEND)) || (flags & kO_TRUNC)) return done(Errno::kEPERM);
  }
  if (want_write && (ip->flags & kInodeImmutable)) return done(Errno::kEPERM);

  auto fp = std::make_shared<File>();
  fp->inode = ip;
  fp->oflags = flags;
  fp->read = acc != kO_WRONLY;
  fp->write = want_write;
  if (ip->type == VType::kFifo) {
    if (!ip->data) ip->data = std::make_unique<FifoData>();
    fp->ops = &FifoFileOps::instance();
  } else {
    fp->ops = &VnFileOps::instance();
  }
  if ((flags & kO_TRUNC) && want_write && ip->is_reg() && ip->size != 0) {
    if (Errno e = fp->ops->fo_truncate(*fp, 0); e != Errno::kOk) return done(e);
  }
  return done(Errno::kOk, install(std::move(fp)));
}

Errno Process::close(int fd) {
  Errno e = Errno::kOk;
  auto it = fds_.find(fd);
  if (it == fds_.end()) {
    e = Errno::kEBADF;
  } else {
    std::shared_ptr<File> fp = std::move(it->second);
    fds_.erase(it);
    if (fp.use_count() == 1) e = fp->ops->fo_close(*fp);
  }
  if (tracing()) trace("close", {{"fd", fd}}, e);
  return e;
}

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

Errno Process::ftruncate(int fd, off_t64 length) {
  Errno e = [&] {
    if (length < 0) return Errno::kEINVAL;
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    Inode& ip = *fp.inode;
    if (!ip.is_reg() || !fp.write) return Errno::kEINVAL;
    if (ip.flags & (kInodeAppend | kInodeImmutable)) return Errno::kEPERM;
    if (length > ip.sb->maxbytes) return Errno::kEFBIG;
    if (fp.memfd) {
      const bool grow = static_cast<uint64_t>(length) > ip.size;
      if ((grow && (ip.seals & kF_SEAL_GROW)) || (!grow && length != static_cast<off_t64>(ip.size) &&
                                                  (ip.seals & kF_SEAL_SHRINK))) {
        return Errno::kEPERM;
      }
    }
    return fp.ops->fo_truncate(fp, length);
  }();
  if (tracing()) trace("ftruncate", {{"fd", fd}, {"length", length}}, e);
  return e;
}

Errno Process::fsync(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  Errno e = got ? (*got)->ops->fo_fsync(**got, false) : got.error();
  if (tracing()) trace("fsync", {{"fd", fd}}, e);
  return e;
}

Errno Process::fdatasync(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  Errno e = got ? (*got)->ops->fo_fsync(**got, true) : got.error();
  if (tracing()) trace("fdatasync", {{"fd", fd}}, e);
  return e;
}

Errno Process::fallocate(int fd, int mode, off_t64 off, off_t64 len) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return Errno::kEBADF;
    File& fp = **got;
    Inode& ip = *fp.inode;
    if (off < 0 || len <= 0) return Errno::kEINVAL;
    if (mode & kFALLOC_FL_ZEROINIT_RANGE) {
      // Seed 004, patch 3/5: "Zeroinit should only be used by itself and
      // keep size must be set."
      if (mode != (kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE)) return Errno::kEINVAL;
    } else {
      if (mode & ~(kFALLOC_FL_MODE_MASK | kFALLOC_FL_KEEP_SIZE)) return Errno::kEOPNOTSUPP;
      // Modes are exclusive; allocation is "no mode bit".
      switch (mode & kFALLOC_FL_MODE_MASK) {
        case kFALLOC_FL_ALLOCATE_RANGE:
        case kFALLOC_FL_UNSHARE_RANGE:
        case kFALLOC_FL_ZERO_RANGE:
          break;
        case kFALLOC_FL_PUNCH_HOLE:
          if (!(mode & kFALLOC_FL_KEEP_SIZE)) return Errno::kEOPNOTSUPP;
          break;
        case kFALLOC_FL_COLLAPSE_RANGE:
        case kFALLOC_FL_INSERT_RANGE:
        case kFALLOC_FL_WRITE_ZEROES:
          if (mode & kFALLOC_FL_KEEP_SIZE) return Errno::kEOPNOTSUPP;
          break;
        default:
          return Errno::kEOPNOTSUPP;
      }
    }
    if (!fp.write) return Errno::kEBADF;
    // On append-only files only space preallocation is supported.
    if ((mode & ~kFALLOC_FL_KEEP_SIZE) && (ip.flags & kInodeAppend)) return Errno::kEPERM;
    if (ip.flags & kInodeImmutable) return Errno::kEPERM;
    if (ip.flags & kInodeSwapfile) return Errno::kETXTBSY;
    if (ip.type == VType::kFifo) return Errno::kESPIPE;
    if (ip.is_dir()) return Errno::kEISDIR;
    if (!ip.is_reg() && ip.type != VType::kBlk) return Errno::kENODEV;
    if (off > kOffMax - len) return Errno::kEFBIG;
    if (off + len > ip.sb->maxbytes) return Errno::kEFBIG;
    return fp.ops->fo_fallocate(fp, mode, off, len);
  }();
  if (tracing()) trace("fallocate", {{"fd", fd}, {"mode", mode}, {"off", off}, {"len", len}}, e);
  return e;
}

Errno Process::fspacectl(int fd, int cmd, const SpacectlRange* rqsr, int flags,
                         SpacectlRange* rmsr) {
  Errno e = [&] {
    if (rqsr == nullptr) return Errno::kEINVAL;
    SpacectlRange rm = *rqsr;
    if (rmsr != nullptr) *rmsr = rm;
    if (cmd != kSPACECTL_DEALLOC || rqsr->r_offset < 0 || rqsr->r_len <= 0 ||
        rqsr->r_offset > kOffMax - rqsr->r_len || (flags & ~kSPACECTL_F_SUPPORTED) != 0) {
      return Errno::kEINVAL;
    }
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got || !(*got)->write) return Errno::kEBADF;  // fget_write
    File& fp = **got;
    if (!fp.ops->seekable()) return Errno::kESPIPE;
    Errno err = fp.ops->fo_fspacectl(fp, cmd, &rm.r_offset, &rm.r_len, flags);
    // "fspacectl is not restarted after signals if the file is modified."
    if (rm.r_len != rqsr->r_len &&
        (err == Errno::kERESTARTSYS || err == Errno::kEINTR || err == Errno::kEAGAIN)) {
      err = Errno::kOk;
    }
    if (rmsr != nullptr) *rmsr = rm;
    return err;
  }();
  Trace::Fields args = {{"fd", fd}, {"cmd", cmd}, {"flags", flags}};
  if (rqsr != nullptr) args["rqsr"] = {rqsr->r_offset, rqsr->r_len};
  if (rmsr != nullptr && rqsr != nullptr) args["rmsr"] = {rmsr->r_offset, rmsr->r_len};
  if (tracing()) trace("fspacectl", std::move(args), e);
  return e;
}

// ioctl_file_dedupe_range -> vfs_dedupe_file_range (Linux 6.18), checked on
// the host: the argument is at most a page; reserved fields are EINVAL; the
// source must be a regular file; a filesystem without a remap op says
// EOPNOTSUPP before the range is looked at. Each destination then gets its
// own status; the call itself succeeds.
Errno Process::dedupe_range(File& src, FileDedupeRange* same) {
  constexpr size_t kPageSize = 4096;
  if (sizeof(FileDedupeRange) + same->dest_count * sizeof(FileDedupeRangeInfo) > kPageSize) {
    return Errno::kENOMEM;
  }
  std::span<FileDedupeRangeInfo> info(reinterpret_cast<FileDedupeRangeInfo*>(same + 1),
                                      same->dest_count);
  Inode& sip = *src.inode;
  if (same->reserved1 != 0 || same->reserved2 != 0) return Errno::kEINVAL;
  if (sip.is_dir()) return Errno::kEISDIR;
  if (!sip.is_reg()) return Errno::kEINVAL;
  if (!sip.ops().can_remap()) return Errno::kEOPNOTSUPP;
  const off_t64 off = static_cast<off_t64>(same->src_offset);
  if (off < 0 || same->src_length > static_cast<uint64_t>(kOffMax - off)) return Errno::kEINVAL;
  if (!src.read) return Errno::kEBADF;
  if (same->src_offset + same->src_length > sip.size) return Errno::kEINVAL;
  // "Arbitrary 1G limit on a single dedupe request."
  const uint64_t len = std::min<uint64_t>(same->src_length, uint64_t{1} << 30);
  for (FileDedupeRangeInfo& d : info) {
    d.bytes_deduped = 0;
    d.status = kFILE_DEDUPE_RANGE_SAME;
  }
  for (FileDedupeRangeInfo& d : info) {
    Result<std::shared_ptr<File>> dst = get(static_cast<int>(d.dest_fd));
    if (!dst) {
      d.status = -static_cast<int32_t>(Errno::kEBADF);
      continue;
    }
    if (d.reserved != 0) {
      d.status = -static_cast<int32_t>(Errno::kEINVAL);
      continue;
    }
    File& dfp = **dst;
    Inode& dip = *dfp.inode;
    // vfs_dedupe_file_range_one, in its order.
    const Errno e = [&] {
      if (is_ro(dip)) return Errno::kEROFS;
      const off_t64 doff = static_cast<off_t64>(d.dest_offset);
      if (doff < 0 || len > static_cast<uint64_t>(kOffMax - doff)) return Errno::kEINVAL;
      // allow_file_dedupe: CAP_SYS_ADMIN, a writable open, the owner, or
      // write permission.
      const bool allowed = creds_.capable(Cap::kSysAdmin) || dfp.write || creds_.uid == dip.uid ||
                           permission(dip, kMayWrite) == Errno::kOk;
      if (!allowed) return Errno::kEPERM;
      if (dip.sb != sip.sb) return Errno::kEXDEV;
      if (dip.is_dir()) return Errno::kEISDIR;
      if (!dip.ops().can_remap()) return Errno::kEINVAL;
      return Errno::kOk;
    }();
    if (e != Errno::kOk) {
      d.status = -static_cast<int32_t>(e);
      continue;
    }
    if (len == 0) continue;
    Result<uint64_t> done =
        dip.ops().remap_range(sip, off, dip, static_cast<off_t64>(d.dest_offset), len, true);
    if (!done && done.error() == Errno::kEBADE) {
      d.status = kFILE_DEDUPE_RANGE_DIFFERS;
    } else if (!done) {
      d.status = -static_cast<int32_t>(done.error());
    } else {
      d.bytes_deduped = *done;
    }
  }
  return Errno::kOk;
}

Errno Process::ioctl(int fd, unsigned long cmd, void* arg) {
  Errno e = [&]() -> Errno {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    Inode& ip = *fp.inode;
    auto may_change_flags = [&](uint32_t old_flags, uint32_t new_flags) {
      if (creds_.uid != ip.uid && !creds_.capable(Cap::kFowner)) return Errno::kEPERM;
      if (((old_flags ^ new_flags) & (kInodeImmutable | kInodeAppend)) &&
          !creds_.capable(Cap::kLinuxImmutable)) {
        return Errno::kEPERM;
      }
      return Errno::kOk;
    };
    switch (cmd) {
      case kFS_IOC_GETFLAGS: {
        uint32_t v = 0;
        if (ip.flags & kInodeImmutable) v |= kFS_IMMUTABLE_FL;
        if (ip.flags & kInodeAppend) v |= kFS_APPEND_FL;
        if (ip.flags & kInodeNoatime) v |= kFS_NOATIME_FL;
        *static_cast<uint32_t*>(arg) = v;
        return Errno::kOk;
      }
      case kFS_IOC_SETFLAGS: {
        const uint32_t v = *static_cast<uint32_t*>(arg);
        if (v & ~(kFS_IMMUTABLE_FL | kFS_APPEND_FL | kFS_NOATIME_FL)) return Errno::kEOPNOTSUPP;
        uint32_t nf = ip.flags & ~(kInodeImmutable | kInodeAppend | kInodeNoatime);
        if (v & kFS_IMMUTABLE_FL) nf |= kInodeImmutable;
        if (v & kFS_APPEND_FL) nf |= kInodeAppend;
        if (v & kFS_NOATIME_FL) nf |= kInodeNoatime;
        if (Errno err = may_change_flags(ip.flags, nf); err != Errno::kOk) return err;
        ip.flags = nf;
        ip.sb->touch(ip, /*mtime=*/false);
        return Errno::kOk;
      }
      case kFS_IOC_FSGETXATTR: {
        FsXattr x;
        if (ip.flags & kInodeImmutable) x.fsx_xflags |= kFS_XFLAG_IMMUTABLE;
        if (ip.flags & kInodeAppend) x.fsx_xflags |= kFS_XFLAG_APPEND;
        if (ip.flags & kInodeNoatime) x.fsx_xflags |= kFS_XFLAG_NOATIME;
        if (ip.flags & kInodeDax) x.fsx_xflags |= kFS_XFLAG_DAX;
        *static_cast<FsXattr*>(arg) = x;
        return Errno::kOk;
      }
      case kFS_IOC_FSSETXATTR: {
        const FsXattr& x = *static_cast<FsXattr*>(arg);
        const uint32_t known =
            kFS_XFLAG_IMMUTABLE | kFS_XFLAG_APPEND | kFS_XFLAG_NOATIME | kFS_XFLAG_DAX;
        if (x.fsx_xflags & ~known) return Errno::kEOPNOTSUPP;
        uint32_t nf = ip.flags & ~(kInodeImmutable | kInodeAppend | kInodeNoatime | kInodeDax);
        if (x.fsx_xflags & kFS_XFLAG_IMMUTABLE) nf |= kInodeImmutable;
        if (x.fsx_xflags & kFS_XFLAG_APPEND) nf |= kInodeAppend;
        if (x.fsx_xflags & kFS_XFLAG_NOATIME) nf |= kInodeNoatime;
        if (x.fsx_xflags & kFS_XFLAG_DAX) {
          // The per-inode DAX flag matters only under dax=inode.
          if (ip.sb->options().dax == DaxMode::kNever) return Errno::kEOPNOTSUPP;
          nf |= kInodeDax;
        }
        if (Errno err = may_change_flags(ip.flags, nf); err != Errno::kOk) return err;
        ip.flags = nf;
        ip.sb->touch(ip, /*mtime=*/false);
        return Errno::kOk;
      }
      case kFICLONE:
      case kFICLONERANGE: {
        FileCloneRange r{};
        if (cmd == kFICLONE) {
          r.src_fd = *static_cast<int*>(arg);
        } else {
          r = *static_cast<FileCloneRange*>(arg);
        }
        Result<std::shared_ptr<File>> src = get(static_cast<int>(r.src_fd));
        if (!src) return Errno::kEBADF;
        Inode& sip = *(*src)->inode;
        // ioctl_file_clone -> vfs_clone_file_range order.
        if (sip.sb != ip.sb) return Errno::kEXDEV;
        if (!(*src)->read || !fp.write) return Errno::kEBADF;
        if (fp.oflags & kO_APPEND) return Errno::kEBADF;
        if (sip.is_dir() || ip.is_dir()) return Errno::kEISDIR;
        if (!sip.is_reg() || !ip.is_reg()) return Errno::kEINVAL;
        uint64_t len = cmd == kFICLONE ? sip.size : r.src_length;
        if (cmd == kFICLONE) r.src_offset = r.dest_offset = 0;
        if (len == 0 && cmd == kFICLONERANGE) len = sip.size - std::min(sip.size, r.src_offset);
        if (&sip == &ip && r.src_offset < r.dest_offset + len && r.dest_offset < r.src_offset + len) {
          return Errno::kEINVAL;
        }
        Result<uint64_t> done = ip.ops().remap_range(sip, static_cast<off_t64>(r.src_offset), ip,
                                                      static_cast<off_t64>(r.dest_offset), len, false);
        return done ? Errno::kOk : done.error();
      }
      case kFIDEDUPERANGE:
        return dedupe_range(fp, static_cast<FileDedupeRange*>(arg));
      default:
        return fp.ops->fo_ioctl(fp, cmd, arg);
    }
  }();
  if (tracing()) trace("ioctl", {{"fd", fd}, {"cmd", cmd}}, e);
  return e;
}

Result<Stat> Process::fstat(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  Stat st;
  Errno e = got ? (*got)->ops->fo_stat(**got, &st) : got.error();
  if (tracing()) trace("fstat", {{"fd", fd}}, e);
  if (e != Errno::kOk) return Fail(e);
  return st;
}

Result<Stat> Process::stat(std::string_view path) {
  Result<InodeRef> ip = vfs_.resolve(path, cwd_);
  Stat st;
  Errno e = ip ? (*ip)->ops().getattr(**ip, &st) : ip.error();
  if (e == Errno::kOk && (*ip)->type == VType::kFifo) st.size = 0;
  if (tracing()) trace("stat", {{"path", path}}, e);
  if (e != Errno::kOk) return Fail(e);
  return st;
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

Errno Process::mkdir(std::string_view path, uint32_t mode) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd_);
    if (!parent) return parent.error();
    auto& [dir, name] = *parent;
    if (name == "." || name == "..") return Errno::kEEXIST;
    if (is_ro(*dir)) return Errno::kEROFS;
    if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kDir, mode, creds_);
    return made ? Errno::kOk : made.error();
  }();
  if (tracing()) trace("mkdir", {{"path", path}, {"mode", mode}}, e);
  return e;
}

Errno Process::mkfifo(std::string_view path, uint32_t mode) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd_);
    if (!parent) return parent.error();
    auto& [dir, name] = *parent;
    if (is_ro(*dir)) return Errno::kEROFS;
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kFifo, mode, creds_);
    return made ? Errno::kOk : made.error();
  }();
  if (tracing()) trace("mkfifo", {{"path", path}, {"mode", mode}}, e);
  return e;
}

Errno Process::may_delete(const Inode& dir, const Inode& victim) const {
  // check_sticky: in a sticky directory (S_ISVTX, /tmp's 01777) only the
  // file's owner, the directory's owner or CAP_FOWNER may remove an entry.
  const bool sticky_denied = (dir.mode & kS_ISVTX) && creds_.uid != victim.uid &&
                             creds_.uid != dir.uid && !creds_.capable(Cap::kFowner);
  if (sticky_denied || (victim.flags & (kInodeImmutable | kInodeAppend | kInodeSwapfile))) {
    return Errno::kEPERM;
  }
  return Errno::kOk;
}

Errno Process::unlink_common(std::string_view path, bool dir_op) {
  Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd_);
  if (!parent) return parent.error();
  auto& [dir, name] = *parent;
  if (dir_op && name == ".") return Errno::kEINVAL;
  if (dir_op && name == "..") return Errno::kENOTEMPTY;
  Result<InodeRef> victim = dir->ops().lookup(*dir, name);
  if (!victim) return victim.error();
  if ((*victim)->mounted != nullptr) return Errno::kEBUSY;
  if (is_ro(*dir)) return Errno::kEROFS;
  if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
  if (Errno err = may_delete(*dir, **victim); err != Errno::kOk) return err;
  return dir_op ? dir->ops().rmdir(*dir, name) : dir->ops().remove(*dir, name);
}

Errno Process::unlink(std::string_view path) {
  Errno e = unlink_common(path, false);
  if (tracing()) trace("unlink", {{"path", path}}, e);
  return e;
}

Errno Process::rmdir(std::string_view path) {
  Errno e = unlink_common(path, true);
  if (tracing()) trace("rmdir", {{"path", path}}, e);
  return e;
}

Errno Process::rename(std::string_view from, std::string_view to) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> src = vfs_.resolve_parent(from, cwd_);
    if (!src) return src.error();
    Result<std::pair<InodeRef, std::string>> dst = vfs_.resolve_parent(to, cwd_);
    if (!dst) return dst.error();
    auto& [fdir, fname] = *src;
    auto& [tdir, tname] = *dst;
    if (fname == "." || fname == ".." || tname == "." || tname == "..") return Errno::kEBUSY;
    Result<InodeRef> moving = fdir->ops().lookup(*fdir, fname);
    if (!moving) return moving.error();
    if (fdir->sb != tdir->sb) return Errno::kEXDEV;
    if ((*moving)->mounted != nullptr) return Errno::kEBUSY;
    if (is_ro(*fdir)) return Errno::kEROFS;
    for (const InodeRef& d : {fdir, tdir}) {
      if (Errno err = permission(*d, kMayWrite | kMayExec); err != Errno::kOk) return err;
    }
    // vfs_rename: may_delete on the source, and on a target it replaces.
    if (Errno err = may_delete(*fdir, **moving); err != Errno::kOk) return err;
    if (Result<InodeRef> target = tdir->ops().lookup(*tdir, tname); target) {
      if (Errno err = may_delete(*tdir, **target); err != Errno::kOk) return err;
    }
    return fdir->ops().rename(*fdir, fname, *tdir, tname);
  }();
  if (tracing()) trace("rename", {{"from", from}, {"to", to}}, e);
  return e;
}

Result<int> Process::memfd_create(std::string_view name) {
  Superblock* sb = vfs_.find_mount("shmfs");
  Errno e = Errno::kOk;
  int fd = -1;
  if (sb == nullptr || sb->anon_file_ops() == nullptr) {
    e = Errno::kENOSYS;
  } else {
    auto fp = std::make_shared<File>();
    fp->inode = sb->alloc_inode(VType::kReg, 0600, creds_);
    fp->oflags = kO_RDWR;
    fp->read = fp->write = true;
    fp->ops = sb->anon_file_ops();
    fp->memfd = true;
    fd = install(std::move(fp));
  }
  if (tracing()) trace("memfd_create", {{"name", name}}, e, fd);
  if (e != Errno::kOk) return Fail(e);
  return fd;
}

Errno Process::add_seals(int fd, uint32_t seals) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    if (!fp.memfd) return Errno::kEINVAL;
    if (seals & ~(kF_SEAL_SEAL | kF_SEAL_SHRINK | kF_SEAL_GROW | kF_SEAL_WRITE)) {
      return Errno::kEINVAL;
    }
    if (!fp.write) return Errno::kEPERM;
    if (fp.inode->seals & kF_SEAL_SEAL) return Errno::kEPERM;
    // memfd_wait_for_pins / mapping_deny_writable: no write seal while a
    // shared writable mapping exists.
    if ((seals & kF_SEAL_WRITE) && fp.inode->writable_mappings > 0) return Errno::kEBUSY;
    fp.inode->seals |= seals;
    return Errno::kOk;
  }();
  if (tracing()) trace("fcntl", {{"fd", fd}, {"cmd", "F_ADD_SEALS"}, {"seals", seals}}, e);
  return e;
}

Result<uint32_t> Process::get_seals(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return Fail(got.error());
  if (!(*got)->memfd) return Fail(Errno::kEINVAL);
  return (*got)->inode->seals;
}

Result<uint64_t> Process::mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                               off_t64 off) {
  std::shared_ptr<File> fp;
  Result<uint64_t> r = [&]() -> Result<uint64_t> {
    if (off < 0 || off % static_cast<off_t64>(kUserPageSize) != 0) return Fail(Errno::kEINVAL);
    const bool anon = flags & kMAP_ANONYMOUS;
    if (!anon) {
      Result<std::shared_ptr<File>> got = get(fd);
      if (!got) return Fail(got.error());
      fp = *got;
    }
    if (len == 0) return Fail(Errno::kEINVAL);
    const uint64_t rounded = (len + kUserPageSize - 1) & ~(kUserPageSize - 1);
    if (rounded < len || rounded == 0) return Fail(Errno::kENOMEM);
    const uint64_t pgoff = static_cast<uint64_t>(off) / kUserPageSize;
    if (pgoff + rounded / kUserPageSize < pgoff) return Fail(Errno::kEOVERFLOW);
    if (flags & kMAP_FIXED) {
      if (addr % kUserPageSize != 0) return Fail(Errno::kEINVAL);
    } else {
      addr = 0;  // The hint is not honoured: the simulator picks.
    }
    const int type = flags & kMAP_TYPE;
    if (anon) {
      if (type != kMAP_SHARED && type != kMAP_PRIVATE && type != kMAP_SHARED_VALIDATE) {
        return Fail(Errno::kEINVAL);
      }
      return mm_->map(addr, rounded, prot, type != kMAP_PRIVATE, nullptr, 0, nullptr);
    }
    const Inode& ip = *fp->inode;
    switch (type) {
      case kMAP_SHARED_VALIDATE:
        if (flags & ~(kLEGACY_MAP_MASK | fp->ops->fo_mmap_supported_flags(*fp))) {
          return Fail(Errno::kEOPNOTSUPP);
        }
        [[fallthrough]];
      case kMAP_SHARED:
        if (type == kMAP_SHARED) flags &= kLEGACY_MAP_MASK;  // Unknown flags ignored.
        if (prot & kProtWrite) {
          if (!fp->write) return Fail(Errno::kEACCES);
          if (ip.flags & kInodeSwapfile) return Fail(Errno::kETXTBSY);
        }
        if ((ip.flags & kInodeAppend) && fp->write) return Fail(Errno::kEACCES);
        [[fallthrough]];
      case kMAP_PRIVATE:
        if (!fp->read) return Fail(Errno::kEACCES);
        break;
      default:
        return Fail(Errno::kEINVAL);
    }
    Result<VmOps*> ops = fp->ops->fo_mmap(*fp, prot, flags);
    if (!ops) return Fail(ops.error());
    const bool shared = type != kMAP_PRIVATE;
    Result<uint64_t> at = mm_->map(addr, rounded, prot, shared, *ops, pgoff, fp->inode);
    if (at) (*ops)->open(*mm_->find_vma(*at));
    return at;
  }();
  if (tracing()) trace("mmap", {{"len", len}, {"prot", prot}, {"flags", flags}, {"fd", fd}, {"off", off}},
        r ? Errno::kOk : r.error(), r ? static_cast<int64_t>(*r) : 0);
  return r;
}

Errno Process::munmap(uint64_t addr, uint64_t len) {
  Errno e = mm_->unmap(addr, len);
  if (tracing()) trace("munmap", {{"addr", addr}, {"len", len}}, e);
  return e;
}

Errno Process::msync(uint64_t addr, uint64_t len, int flags) {
  Errno e = [&] {
    if (flags & ~(kMS_ASYNC | kMS_INVALIDATE | kMS_SYNC)) return Errno::kEINVAL;
    if (addr % kUserPageSize != 0) return Errno::kEINVAL;
    if ((flags & kMS_ASYNC) && (flags & kMS_SYNC)) return Errno::kEINVAL;
    const uint64_t end = addr + ((len + kUserPageSize - 1) & ~(kUserPageSize - 1));
    Errno err = Errno::kOk;
    bool unmapped = false;
    for (uint64_t a = addr; a < end;) {
      Vma* vma = mm_->find_vma(a);
      if (vma == nullptr) {
        unmapped = true;
        a += kUserPageSize;
        continue;
      }
      const uint64_t to = std::min(end, vma->end);
      if ((flags & kMS_SYNC) && vma->shared && vma->ops != nullptr) {
        const Errno w = vma->ops->writeback(*vma, vma->pgoff + (a - vma->start) / kUserPageSize,
                                            (to - a) / kUserPageSize);
        if (err == Errno::kOk) err = w;
      }
      a = to;
    }
    if (unmapped) return Errno::kENOMEM;
    return err;
  }();
  if (tracing()) trace("msync", {{"addr", addr}, {"len", len}, {"flags", flags}}, e);
  return e;
}

std::optional<Siginfo> Process::deliver(std::optional<Siginfo> s) {
  if (s) {
    signals_.push_back(*s);
    if (tracing()) {
      trace("signal", {{"signo", s->signo}, {"code", s->code}, {"addr", s->addr}}, Errno::kOk);
    }
  }
  return s;
}

std::optional<Siginfo> Process::load(uint64_t addr, std::span<std::byte> dst) {
  return deliver(mm_->load(addr, dst));
}

std::optional<Siginfo> Process::store(uint64_t addr, std::span<const std::byte> src) {
  return deliver(mm_->store(addr, src));
}

}  // namespace vfssim
