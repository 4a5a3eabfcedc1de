// read, write and their vector and positioned forms, and
// copy_file_range (Linux's fs/read_write.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::kIoChunk;

namespace {

// The most times the VFS repeats one filesystem request after a safecopy
// fault before it gives up and reports what the request answered.
constexpr int kMaxSafecopyRepeats = 256;

}  // namespace

Result<std::vector<UserIovec>> Process::import_iovec(uint64_t uvec, int iovcnt) {
  // "if (nr_segs > UIO_MAXIOV) return -EINVAL" (iovcnt is unsigned there);
  // no segments: nothing is read.
  if (iovcnt < 0 || iovcnt > kUioMaxIov) return Fail(Errno::kEINVAL);
  std::vector<UserIovec> iov(static_cast<size_t>(iovcnt));
  // copy_iovec_from_user, entry by entry: an entry that cannot be read is
  // EFAULT, a negative length EINVAL, whichever comes first.
  for (size_t i = 0; i < iov.size(); ++i) {
    if (Errno e = copy_from_user(&iov[i], uvec + i * sizeof(UserIovec)); e != Errno::kOk) {
      return Fail(e);
    }
    if (static_cast<int64_t>(iov[i].iov_len) < 0) return Fail(Errno::kEINVAL);
  }
  // __import_iovec: a segment outside user space is EFAULT, and the total is
  // clipped at MAX_RW_COUNT by shortening the segment that crosses it (one
  // segment, import_ubuf: clipped first, then checked).
  uint64_t total = 0;
  for (UserIovec& v : iov) {
    if (iov.size() == 1) v.iov_len = std::min(v.iov_len, kMaxRwCount);
    if (!access_ok(v.iov_base, v.iov_len)) return Fail(Errno::kEFAULT);
    v.iov_len = std::min<uint64_t>(v.iov_len, kMaxRwCount - total);
    total += v.iov_len;
  }
  return iov;
}

namespace {

// resolve_soft_pages faults in, through the VM, every soft page of the
// buffer for the access the filesystem attempted (vm_vfs_procctl_handlemem)
// and returns how many it made resident; hard pages are skipped, not fatal,
// so a buffer that is soft then hard still lets the request make progress.
uint64_t resolve_soft_pages(AddressSpace& mm, const std::vector<IovIter::Seg>& segs,
                            bool store) {
  uint64_t resolved = 0;
  for (const IovIter::Seg& s : segs) {
    for (uint64_t a = s.base & ~(kUserPageSize - 1); a < s.base + s.len; a += kUserPageSize) {
      if (mm.probe(a, store) != PageAccess::kSoft) continue;
      const uint64_t at = std::max(a, s.base);
      if (mm.fault_in_range(at, 1, store) == 1) ++resolved;
    }
  }
  return resolved;
}

}  // namespace

IoResult Process::transfer(File& fp, const Kiocb& iocb, IovIter& it, bool write) {
  Superblock& sb = *fp.inode->sb;
  // Only regular files cross the MINIX boundary: the seed's repeat is for
  // them ("a short read(2) even on regular files"), and repeating a pipe
  // request would consume or append its bytes twice.
  if (sb.options().ipc != IpcMode::kSafecopy || !it.user_backed() || !fp.inode->is_reg()) {
    return write ? fp.ops->fo_write(fp, iocb, it) : fp.ops->fo_read(fp, iocb, it);
  }
  // MINIX: VFS grants the user buffer to the filesystem (a magic grant per
  // segment), the filesystem copies through the grants, and VFS revokes
  // them when the reply comes and applies the repeat policy.
  GrantTable& grants = vfs_.grants();
  SafecopyStats& stats = vfs_.safecopy_stats();
  const std::vector<IovIter::Seg> segs = it.segments();
  const uint32_t access =
      (write ? kCPF_READ : kCPF_WRITE) | (sb.options().cpf_try ? kCPF_TRY : 0u);
  const bool on_mark = vfs_.machine().variants.get(variant::kSafecopyRetry) == variant::SafecopyRetry::kOnMark;
  for (int attempt = 0;; ++attempt) {
    std::vector<IovIter::Seg> granted;
    for (const IovIter::Seg& s : segs) {
      granted.push_back({*grants.grant_magic(*mm_, s.base, s.len, access), s.len, s.base});
    }
    IovIter g = IovIter::grant(it.dir(), grants, granted, &sb);
    ++stats.requests;
    const uint64_t deadlocks = grants.deadlocks();
    IoResult r = write ? fp.ops->fo_write(fp, iocb, g) : fp.ops->fo_read(fp, iocb, g);
    // The filesystem's reply is a count or an error, never both: with
    // proper partial-failure semantics the count wins, otherwise the error.
    // A detected deadlock would have hung the call: it is reported as
    // EDEADLK whatever moved before it, so it never passes for a short count.
    if (grants.deadlocks() > deadlocks) {
      r = {0, Errno::kEDEADLK};
    } else if (sb.options().partial_io == PartialIo::kWhole) {
      if (!r.ok()) r.done = 0;
    } else if (r.done > 0) {
      r.err = Errno::kOk;
    }
    bool marked = false;
    for (const IovIter::Seg& s : granted) marked |= grants.revoke(s.base).value_or(false);
    // Seed 003: "Instead of testing on EFAULT, VFS checks whether the grant
    // was marked ... If the grant was indeed marked by the kernel, VFS
    // repeats the file system operation, regardless of its initial return
    // value." The old policy repeats only on EFAULT. Either way VFS first
    // resolves the fault through the VM (the filesystem is idle now, so a
    // page of its own files can be faulted in); a repeat that could not
    // make progress — nothing was soft any more — is not made, and neither
    // is one past kMaxSafecopyRepeats.
    const bool wants = on_mark ? marked : r.err == Errno::kEFAULT;
    const bool repeat = wants && attempt < kMaxSafecopyRepeats &&
                        resolve_soft_pages(*mm_, segs, /*store=*/!write) > 0;
    if (repeat) ++stats.repeats;
    if (tracing()) {
      vfs_.machine().trace.record("safecopy-reply", {{"pid", pid_},
                                                     {"done", r.done},
                                                     {"err", r.err},
                                                     {"marked", marked},
                                                     {"repeat", repeat}});
    }
    if (!repeat) {
      it.advance(r.done);
      return r;
    }
  }
}

Result<uint64_t> Process::do_rw(const RwCall& call) {
  const bool write = call.write;
  const int fd = call.fd;
  const off_t64 off = call.off;
  uint64_t total = call.vector ? 0 : call.count;
  auto done = [&](Errno e, uint64_t n) -> Result<uint64_t> {
    if (tracing()) {
      // The fields in place (no TraceFields copy): this runs on every read and write.
      const TraceField args[] = {{"fd", fd}, {"buf", call.addr}, {"off", off}, {"rwf", call.rwf},
                                 {call.vector ? TraceKey("iovcnt") : TraceKey("count"), call.count}};
      trace(call.name, args, e, static_cast<int64_t>(n));
    } else {
      trace(call.name, {}, e, static_cast<int64_t>(n));  // The call's time, nothing recorded.
    }
    if (e != Errno::kOk) return Fail(e);
    return n;
  };
  const bool positioned = off != -1;
  // ksys_pread64 / do_preadv: "if (pos < 0) return -EINVAL" before the fd.
  if (positioned && off < 0) return done(Errno::kEINVAL, 0);
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return done(got.error(), 0);
  File& fp = **got;
  const bool seekable = fp.ops->seekable();
  if (positioned && !seekable) return done(Errno::kESPIPE, 0);
  if (write ? !fp.write : !fp.read) return done(Errno::kEBADF, 0);
  const IovIter::Dir dir = write ? IovIter::Dir::kSource : IovIter::Dir::kDest;
  std::vector<UserIovec> iov;
  if (call.vector) {
    Result<std::vector<UserIovec>> imported =
        import_iovec(call.addr, static_cast<int>(call.count));
    if (!imported) return done(imported.error(), 0);
    iov = std::move(*imported);
    for (const UserIovec& v : iov) total += v.iov_len;
  } else if (!access_ok(call.addr, total)) {
    return done(Errno::kEFAULT, 0);  // vfs_read/vfs_write's access_ok.
  }
  if (total == 0 && call.vector) return done(Errno::kOk, 0);
  Inode& ip = *fp.inode;
  off_t64 pos = positioned ? off : fp.pos;
  // rw_verify_area, on the count as given: negative as ssize_t, or pos +
  // count past LLONG_MAX, is EINVAL. Only then is it clipped.
  if (static_cast<int64_t>(total) < 0 ||
      (seekable && static_cast<uint64_t>(pos) + total > static_cast<uint64_t>(kOffMax))) {
    return done(Errno::kEINVAL, 0);
  }
  total = std::min(total, kMaxRwCount);
  Kiocb iocb = init_sync_kiocb(fp, pos, creds_);
  if (call.rwf != 0) {  // What the file supports is asked only when a flag needs it.
    const RwfSupport support{.nowait = fp.ops->fmode_nowait(fp),
                             .dontcache = ip.ops().fop_dontcache() && !(ip.flags & kInodeDax),
                             .append_only = (ip.flags & kInodeAppend) != 0};
    if (Errno e = kiocb_set_rw_flags(iocb, call.rwf, support); e != Errno::kOk) {
      return done(e, 0);
    }
  }
  if (!write && ip.is_dir()) return done(Errno::kEISDIR, 0);

  if (write && ip.is_reg()) {
    if (Errno e = ip.ops().write_iter_checks(ip, iocb); e != Errno::kOk) return done(e, 0);
  }
  if (write && seekable) {
    // generic_write_checks: O_APPEND / RWF_APPEND write at EOF. Neither
    // inode flag is looked at: may_open keeps new writers out, and a
    // descriptor opened before chattr +i/+a writes anywhere on tmpfs and
    // XFS (host probe chattr.jsonl; ext4 refuses in its own write path).
    if (iocb.flags.has(IocbFlag::kAppend)) pos = static_cast<off_t64>(ip.size);
    if (total > 0 && pos >= ip.sb->maxbytes) return done(Errno::kEFBIG, 0);
    total = std::min<uint64_t>(total, static_cast<uint64_t>(ip.sb->maxbytes - pos));
  }

  IovIter it = call.vector ? IovIter::iovec(dir, *mm_, iov)
                           : IovIter::ubuf(dir, *mm_, call.addr, total);
  it.truncate(total);
  uint64_t moved = 0;
  Errno err = Errno::kOk;
  // vfs_read hands even an empty request to ->read_iter (where shmem's
  // moves the atime and filemap_read returns at once); vfs_readv does not
  // (above), and every ->write_iter here returns 0 for one at once.
  if (!write && total == 0) return done(fp.ops->fo_read(fp, iocb, it).err, 0);
  while (it.count() > 0) {
    // A signal is noticed between chunks of a buffered transfer. A direct
    // request goes to the filesystem whole, and its checks (alignment's
    // EINVAL in xfs_file_dio_write) come before anything that waits.
    if (!iocb.flags.has(IocbFlag::kDirect)) {
      if (std::optional<Errno> sig = vfs_.machine().faults.fire("sched/signal/eintr")) {
        err = *sig;
        break;
      }
    }
    const uint64_t left = it.count();
    // Direct I/O is one request to the filesystem, whatever its size (a
    // failure anywhere fails all of it).
    if (!iocb.flags.has(IocbFlag::kDirect)) it.truncate(kIoChunk);
    const uint64_t n = it.count();
    iocb.pos = pos;
    IoResult r = transfer(fp, iocb, it, write);
    // The request's count is the truth; the iterator follows it.
    const uint64_t consumed = n - it.count();
    if (consumed > r.done) it.revert(consumed - r.done);
    if (consumed < r.done) it.advance(r.done - consumed);
    it.reexpand(left - r.done);
    moved += r.done;
    pos += static_cast<off_t64>(r.done);
    err = r.err;
    if (!r.ok() || r.done < n) break;  // EOF (reads), a fault, or a short transfer.
  }
  if (!positioned) fp.pos = pos;
  // A transfer that made progress reports it; the error is lost, as in the
  // kernels ("if the call modified the file, userspace must know").
  if (moved > 0) return done(Errno::kOk, moved);
  return done(err, 0);
}

Result<uint64_t> Process::kernel_read(int fd, std::span<std::byte> dst, off_t64 pos) {
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return Fail(got.error());
  File& fp = **got;
  if (!fp.read) return Fail(Errno::kEBADF);
  if (pos < 0 || (fp.ops->seekable() && static_cast<uint64_t>(pos) + dst.size() > static_cast<uint64_t>(kOffMax))) {
    return Fail(Errno::kEINVAL);
  }
  if (fp.inode->is_dir()) return Fail(Errno::kEISDIR);
  const Kiocb iocb = init_sync_kiocb(fp, pos, creds_);
  IovIter it = IovIter::kvec_dest(dst.first(std::min<uint64_t>(dst.size(), kMaxRwCount)));
  const IoResult r = fp.ops->fo_read(fp, iocb, it);
  if (r.done > 0) return r.done;
  if (!r.ok()) return Fail(r.err);
  return uint64_t{0};
}

Result<uint64_t> Process::read(int fd, uint64_t buf, uint64_t count) {
  return do_rw({.name = "read", .fd = fd, .addr = buf, .count = count});
}
Result<uint64_t> Process::write(int fd, uint64_t buf, uint64_t count) {
  return do_rw({.name = "write", .write = true, .fd = fd, .addr = buf, .count = count});
}
Result<uint64_t> Process::pread(int fd, uint64_t buf, uint64_t count, off_t64 off) {
  if (off == -1) off = -2;  // pread has no "current position" value.
  return do_rw({.name = "pread", .fd = fd, .addr = buf, .count = count, .off = off});
}
Result<uint64_t> Process::pwrite(int fd, uint64_t buf, uint64_t count, off_t64 off) {
  if (off == -1) off = -2;
  return do_rw({.name = "pwrite", .write = true, .fd = fd, .addr = buf, .count = count, .off = off});
}
Result<uint64_t> Process::readv(int fd, uint64_t iov, int iovcnt) {
  return do_rw({.name = "readv", .vector = true, .fd = fd, .addr = iov,
                .count = static_cast<uint64_t>(iovcnt)});
}
Result<uint64_t> Process::writev(int fd, uint64_t iov, int iovcnt) {
  return do_rw({.name = "writev", .write = true, .vector = true, .fd = fd, .addr = iov,
                .count = static_cast<uint64_t>(iovcnt)});
}
Result<uint64_t> Process::preadv2(int fd, uint64_t iov, int iovcnt, off_t64 off, int rwf) {
  return do_rw({.name = "preadv2", .vector = true, .fd = fd, .addr = iov,
                .count = static_cast<uint64_t>(iovcnt), .off = off, .rwf = rwf});
}
Result<uint64_t> Process::pwritev2(int fd, uint64_t iov, int iovcnt, off_t64 off, int rwf) {
  return do_rw({.name = "pwritev2", .write = true, .vector = true, .fd = fd, .addr = iov,
                .count = static_cast<uint64_t>(iovcnt), .off = off, .rwf = rwf});
}

Result<uint64_t> Process::copy_file_range(int fd_in, uint64_t off_in, int fd_out,
                                          uint64_t off_out, uint64_t len, unsigned flags) {
  uint64_t copied = 0;
  Errno e = [&]() -> Errno {
    // SYSCALL_DEFINE6(copy_file_range): both fds, then the offsets copied in
    // from user memory, then the flags.
    Result<std::shared_ptr<File>> in = get(fd_in);
    if (!in) return Errno::kEBADF;
    Result<std::shared_ptr<File>> out = get(fd_out);
    if (!out) return Errno::kEBADF;
    File& fi = **in;
    File& fo = **out;
    off_t64 pin = fi.pos;
    off_t64 pout = fo.pos;
    if (off_in != 0) {
      if (Errno err = copy_from_user(&pin, off_in); err != Errno::kOk) return err;
    }
    if (off_out != 0) {
      if (Errno err = copy_from_user(&pout, off_out); err != Errno::kOk) return err;
    }
    if (flags != 0) return Errno::kEINVAL;
    // generic_file_rw_checks: directories, then other non-regular files,
    // then the access modes (an O_APPEND destination is refused).
    Inode& iin = *fi.inode;
    Inode& iout = *fo.inode;
    if (iin.is_dir() || iout.is_dir()) return Errno::kEISDIR;
    if (!iin.is_reg() || !iout.is_reg()) return Errno::kEINVAL;
    if (!fi.read || !fo.write || (fo.oflags & kO_APPEND)) return Errno::kEBADF;
    // vfs_copy_file_range (6.18): across superblocks only a filesystem's
    // own copy_file_range may copy, and none of ours has one.
    if (iin.sb != iout.sb) return Errno::kEXDEV;
    // generic_copy_file_checks.
    if (iout.flags & kInodeImmutable) return Errno::kEPERM;
    // "Ensure offsets don't wrap", unsigned.
    if (static_cast<uint64_t>(pin) + len < static_cast<uint64_t>(pin) ||
        static_cast<uint64_t>(pout) + len < static_cast<uint64_t>(pout)) {
      return Errno::kEOVERFLOW;
    }
    // Shorten the copy at the source's EOF, then to the destination's
    // s_maxbytes (generic_write_check_limits: EFBIG at or past it, even with
    // nothing left to copy).
    if (static_cast<uint64_t>(pin) >= iin.size) {
      len = 0;
    } else {
      len = std::min<uint64_t>(len, iin.size - static_cast<uint64_t>(pin));
    }
    if (pout >= iout.sb->maxbytes) return Errno::kEFBIG;
    // A negative pout is EINVAL below whatever the limit makes of the count
    // (rw_verify_area), so the limit is not computed for it: "max_size -
    // pos" would overflow.
    if (pout >= 0) {
      len = std::min<uint64_t>(len, static_cast<uint64_t>(iout.sb->maxbytes - pout));
    }
    // "Don't allow overlapped copying within the same file", on the
    // shortened count.
    if (&iin == &iout && static_cast<uint64_t>(pin) + len > static_cast<uint64_t>(pout) &&
        static_cast<uint64_t>(pin) < static_cast<uint64_t>(pout) + len) {
      return Errno::kEINVAL;
    }
    // rw_verify_area on both ends; then an empty copy is done.
    if (pin < 0 || pout < 0) return Errno::kEINVAL;
    if (static_cast<uint64_t>(pin) + len > static_cast<uint64_t>(kOffMax) ||
        static_cast<uint64_t>(pout) + len > static_cast<uint64_t>(kOffMax)) {
      return Errno::kEINVAL;
    }
    if (len == 0) return Errno::kOk;
    // The generic copy is splice_file_range(..., min_t(size_t, len,
    // MAX_RW_COUNT)): one call moves at most MAX_RW_COUNT bytes.
    len = std::min(len, kMaxRwCount);
    // "Cloning is supported by more file systems, so we implement copy on
    // same sb using clone": a filesystem with a remap op shares what it
    // can (REMAP_FILE_CAN_SHORTEN, a block-aligned prefix), and only a
    // remap that fails or shares nothing falls back to copying.
    if (iin.ops().can_remap()) {
      Result<uint64_t> shared = iin.ops().remap_range(iin, pin, iout, pout, len, kRemapFileCanShorten);
      if (shared && *shared > 0) {
        copied = *shared;
        pin += static_cast<off_t64>(copied);
        pout += static_cast<off_t64>(copied);
        len = copied;  // Nothing more to copy.
      }
    }
    std::vector<std::byte> buf(std::min<uint64_t>(len, kIoChunk));
    Errno err = Errno::kOk;
    while (copied < len) {
      const uint64_t n = std::min<uint64_t>(buf.size(), len - copied);
      // An in-kernel copy: both ends see a kernel buffer (a kvec).
      IovIter to = IovIter::kvec_dest(std::span(buf).first(n));
      Kiocb rk = init_sync_kiocb(fi, pin, creds_);
      IoResult r = fi.ops->fo_read(fi, rk, to);
      if (r.done == 0) {
        err = r.err;
        break;
      }
      IovIter from = IovIter::kvec_source(std::span<const std::byte>(buf).first(r.done));
      Kiocb wk = init_sync_kiocb(fo, pout, creds_);
      IoResult w = fo.ops->fo_write(fo, wk, from);
      copied += w.done;
      pin += static_cast<off_t64>(w.done);
      pout += static_cast<off_t64>(w.done);
      if (!w.ok() || w.done < r.done) {
        err = w.err;
        break;
      }
    }
    if (copied == 0) return err;
    // The new offsets go back where they came from; a failed copy-out
    // turns the count into EFAULT.
    Errno result = Errno::kOk;
    if (off_in != 0) {
      if (copy_to_user(off_in, pin) != Errno::kOk) result = Errno::kEFAULT;
    } else {
      fi.pos = pin;
    }
    if (off_out != 0) {
      if (copy_to_user(off_out, pout) != Errno::kOk) result = Errno::kEFAULT;
    } else {
      fo.pos = pout;
    }
    return result;
  }();
  trace("copy_file_range", {{"fd_in", fd_in}, {"fd_out", fd_out}, {"len", len}, {"flags", flags}},
        e, static_cast<int64_t>(copied));
  if (e != Errno::kOk) return Fail(e);
  return copied;
}

}  // namespace vfssim
