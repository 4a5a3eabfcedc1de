// fcntl (Linux's fs/fcntl.c: do_fcntl, setfl, check_fcntl_cmd) and the
// descriptor-table calls it shares code with, dup and dup3 (fs/file.c).

#include "vfs/process.h"

#include <utility>

namespace vfssim {

namespace {

// RLIMIT_NOFILE's usual soft limit: descriptors are below it.
constexpr int kNofileLimit = 1024;

// check_fcntl_cmd: the commands an O_PATH descriptor takes.
bool path_fcntl_cmd(int cmd) {
  return cmd == kF_DUPFD || cmd == kF_DUPFD_CLOEXEC || cmd == kF_GETFD || cmd == kF_SETFD ||
         cmd == kF_GETFL;
}

}  // namespace

Result<int64_t> Process::fcntl(int fd, int cmd, uint64_t arg) {
  int64_t ret = 0;
  Errno e = [&] {
    // fdget_raw, then "if (unlikely(fd_file(f)->f_mode & FMODE_PATH)) {
    // if (!check_fcntl_cmd(cmd)) goto out1; }" with -EBADF.
    Result<std::shared_ptr<File>> got = get(fd, Fdget::kRaw);
    if (!got) return got.error();
    File& fp = **got;
    if (fp.path && !path_fcntl_cmd(cmd)) return Errno::kEBADF;
    switch (cmd) {
      case kF_DUPFD:
      case kF_DUPFD_CLOEXEC: {
        // f_dupfd: the lowest free descriptor at or above `arg`.
        if (arg >= static_cast<uint64_t>(kNofileLimit)) return Errno::kEINVAL;
        int nfd = static_cast<int>(arg);
        while (fds_.contains(nfd)) ++nfd;
        if (nfd >= kNofileLimit) return Errno::kEMFILE;
        got->get()->mark_installed();
        fds_.emplace(nfd, FdEntry{*got, cmd == kF_DUPFD_CLOEXEC});
        ret = nfd;
        return Errno::kOk;
      }
      case kF_GETFD:
        ret = fds_.at(fd).cloexec ? kFD_CLOEXEC : 0;
        return Errno::kOk;
      case kF_SETFD:
        fds_.at(fd).cloexec = arg & kFD_CLOEXEC;
        return Errno::kOk;
      case kF_GETFL:
        ret = fp.oflags;
        return Errno::kOk;
      case kF_SETFL:
        return setfl(fp, static_cast<int>(arg));
      case kF_ADD_SEALS:
        return add_seals(fd, static_cast<uint32_t>(arg));
      case kF_GET_SEALS: {
        Result<uint32_t> seals = get_seals(fd);
        if (!seals) return seals.error();
        ret = *seals;
        return Errno::kOk;
      }
      default:
        // Record locks, leases, owners, signals and pipe sizes are not
        // modelled; an unknown command is EINVAL.
        return Errno::kEINVAL;
    }
  }();
  trace("fcntl", {{"fd", fd}, {"cmd", cmd}, {"arg", arg}}, e, ret);
  if (e != Errno::kOk) return Fail(e);
  return ret;
}

Result<int> Process::fcntl_getfl(int fd) {
  Result<std::shared_ptr<File>> got = get(fd, Fdget::kRaw);
  if (!got) return Fail(got.error());
  return (*got)->oflags;
}

Errno Process::fcntl_setfl(int fd, int flags) {
  Result<std::shared_ptr<File>> got = get(fd);
  Errno e = got ? setfl(**got, flags) : got.error();
  trace("fcntl", {{"fd", fd}, {"cmd", kF_SETFL}, {"arg", flags}}, e);
  return e;
}

Errno Process::setfl(File& fp, int flags) const {
  const Inode& ip = *fp.inode;
  // "O_APPEND cannot be cleared if the file is marked as append-only and
  // the file is open for write": any change of O_APPEND, either way.
  if (((flags ^ fp.oflags) & kO_APPEND) && (ip.flags & kInodeAppend)) return Errno::kEPERM;
  // "O_NOATIME can only be set by the owner or superuser."
  if ((flags & kO_NOATIME) && !(fp.oflags & kO_NOATIME) && !owner_or_capable(ip)) {
    return Errno::kEPERM;
  }
  if ((flags & kO_DIRECT) && ip.type != VType::kFifo && !fp.ops->fmode_can_odirect(fp)) {
    return Errno::kEINVAL;
  }
  fp.oflags = (flags & kSETFL_MASK) | (fp.oflags & ~kSETFL_MASK);
  return Errno::kOk;
}

Result<int> Process::dup(int fd) {
  Result<int> r = [&]() -> Result<int> {
    Result<std::shared_ptr<File>> got = get(fd, Fdget::kRaw);
    if (!got) return Fail(got.error());
    return install(*got);
  }();
  trace("dup", {{"fd", fd}}, r ? Errno::kOk : r.error(), r.value_or(0));
  return r;
}

Result<int> Process::dup3(int oldfd, int newfd, int flags) {
  Errno e = [&] {
    if (flags & ~kO_CLOEXEC) return Errno::kEINVAL;
    if (oldfd == newfd) return Errno::kEINVAL;
    if (newfd < 0 || newfd >= kNofileLimit) return Errno::kEBADF;
    Result<std::shared_ptr<File>> got = get(oldfd, Fdget::kRaw);
    if (!got) return got.error();
    // do_dup2: whatever `newfd` was is closed, its error ignored.
    if (auto it = fds_.find(newfd); it != fds_.end()) {
      std::shared_ptr<File> old = std::move(it->second.file);
      fds_.erase(it);
      if (old.use_count() == 1 && !old->path) old->ops->fo_close(*old);
    }
    got->get()->mark_installed();
    fds_.emplace(newfd, FdEntry{*got, (flags & kO_CLOEXEC) != 0});
    return Errno::kOk;
  }();
  trace("dup3", {{"oldfd", oldfd}, {"newfd", newfd}, {"flags", flags}}, e, newfd);
  if (e != Errno::kOk) return Fail(e);
  return newfd;
}

}  // namespace vfssim
