// Attribute changes: chmod, chown and utimensat in their path, descriptor
// and AT_EMPTY_PATH forms (Linux's fs/open.c chmod_common/chown_common,
// fs/utimes.c vfs_utimes), through notify_change and setattr_prepare
// (fs/attr.c).

#include "vfs/process.h"

#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::is_ro;
using internal::kMayWrite;

namespace {

constexpr uint32_t kNoId = 0xffffffff;  // (uid_t)-1: leave unchanged.

bool nsec_valid(int64_t nsec) {
  return nsec == kUTIME_OMIT || nsec == kUTIME_NOW || (nsec >= 0 && nsec <= 999999999);
}

}  // namespace

Errno Process::notify_change(Inode& ip, Iattr& ia) {
  if (ia.valid & (kAttrMode | kAttrUid | kAttrGid | kAttrTimesSet)) {
    if (ip.flags & (kInodeImmutable | kInodeAppend)) return Errno::kEPERM;
  }
  // "If utimes(2) and friends are called with times == NULL (or both times
  // are UTIME_NOW), then we need to check for write permission."
  if (ia.valid & kAttrTouch) {
    if (ip.flags & kInodeImmutable) return Errno::kEPERM;
    if (!owner_or_capable(ip)) {
      if (Errno e = permission(ip, kMayWrite); e != Errno::kOk) return e;
    }
  }
  // setattr_prepare.
  if (ia.valid & kAttrUid) {
    // chown_ok: the owner may "change" to the same uid; else CAP_CHOWN.
    if (!(creds_.uid == ip.uid && ia.uid == ip.uid) && !creds_.capable(Cap::kChown)) {
      return Errno::kEPERM;
    }
  }
  if (ia.valid & kAttrGid) {
    // chgrp_ok: the owner to a group of its own; else CAP_CHOWN.
    const bool own = creds_.uid == ip.uid && (ia.gid == ip.gid || creds_.in_group(ia.gid));
    if (!own && !creds_.capable(Cap::kChown)) return Errno::kEPERM;
  }
  if ((ia.valid & kAttrMode) && !owner_or_capable(ip)) return Errno::kEPERM;
  if ((ia.valid & kAttrTimesSet) && !owner_or_capable(ip)) return Errno::kEPERM;
  const Timespec now = vfs_.machine().clock.now();
  ia.ctime = now;
  ia.valid |= kAttrCtime;
  if ((ia.valid & kAttrAtime) && !(ia.valid & kAttrAtimeSet)) ia.atime = now;
  if ((ia.valid & kAttrMtime) && !(ia.valid & kAttrMtimeSet)) ia.mtime = now;
  return ip.ops().setattr(ip, ia);
}

Errno Process::chmod_common(Inode& ip, uint32_t mode) {
  if (is_ro(ip)) return Errno::kEROFS;  // mnt_want_write.
  Iattr ia{.valid = kAttrMode | kAttrCtime, .mode = mode & 07777};
  return notify_change(ip, ia);
}

Errno Process::chown_common(Inode& ip, uint32_t uid, uint32_t gid) {
  if (is_ro(ip)) return Errno::kEROFS;
  Iattr ia{.valid = kAttrCtime};
  if (uid != kNoId) {
    ia.valid |= kAttrUid;
    ia.uid = uid;
  }
  if (gid != kNoId) {
    ia.valid |= kAttrGid;
    ia.gid = gid;
  }
  return notify_change(ip, ia);
}

Errno Process::vfs_utimes(Inode& ip, const UserTimespec* times) {
  if (times != nullptr) {
    if (!nsec_valid(times[0].tv_nsec) || !nsec_valid(times[1].tv_nsec)) return Errno::kEINVAL;
    if (times[0].tv_nsec == kUTIME_NOW && times[1].tv_nsec == kUTIME_NOW) times = nullptr;
  }
  if (is_ro(ip)) return Errno::kEROFS;
  Iattr ia{.valid = kAttrCtime | kAttrMtime | kAttrAtime};
  if (times != nullptr) {
    if (times[0].tv_nsec == kUTIME_OMIT) {
      ia.valid &= ~kAttrAtime;
    } else if (times[0].tv_nsec != kUTIME_NOW) {
      ia.atime = {times[0].tv_sec, times[0].tv_nsec};
      ia.valid |= kAttrAtimeSet;
    }
    if (times[1].tv_nsec == kUTIME_OMIT) {
      ia.valid &= ~kAttrMtime;
    } else if (times[1].tv_nsec != kUTIME_NOW) {
      ia.mtime = {times[1].tv_sec, times[1].tv_nsec};
      ia.valid |= kAttrMtimeSet;
    }
    // "Tell setattr_prepare(), that this is an explicit time update, even
    // if neither ATTR_ATIME_SET nor ATTR_MTIME_SET were used."
    ia.valid |= kAttrTimesSet;
  } else {
    ia.valid |= kAttrTouch;
  }
  return notify_change(ip, ia);
}

Errno Process::chmod(std::string_view path, uint32_t mode) {
  return fchmodat(kAT_FDCWD, path, mode, 0);
}

Errno Process::fchmod(int fd, uint32_t mode) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    return chmod_common(*(*got)->inode, mode);
  }();
  trace("fchmod", {{"fd", fd}, {"mode", mode}}, e);
  return e;
}

Errno Process::fchmodat(int dfd, std::string_view path, uint32_t mode, int flags) {
  Errno e = [&] {
    // do_fchmodat: "if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) != 0)
    // return -EINVAL".
    if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return Errno::kEINVAL;
    unsigned how = (flags & kAT_SYMLINK_NOFOLLOW) ? 0 : kLookupFollow;
    if (flags & kAT_EMPTY_PATH) how |= kLookupEmpty;
    Result<InodeRef> ip = path_lookupat(dfd, path, how);
    if (!ip) return ip.error();
    return chmod_common(**ip, mode);
  }();
  trace("fchmodat", {{"dfd", dfd}, {"path", path}, {"mode", mode}, {"flags", flags}}, e);
  return e;
}

Errno Process::fchown(int fd, uint32_t uid, uint32_t gid) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    return chown_common(*(*got)->inode, uid, gid);
  }();
  trace("fchown", {{"fd", fd}, {"uid", uid}, {"gid", gid}}, e);
  return e;
}

Errno Process::fchownat(int dfd, std::string_view path, uint32_t uid, uint32_t gid, int flags) {
  Errno e = [&] {
    if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return Errno::kEINVAL;
    unsigned how = (flags & kAT_SYMLINK_NOFOLLOW) ? 0 : kLookupFollow;
    if (flags & kAT_EMPTY_PATH) how |= kLookupEmpty;
    Result<InodeRef> ip = path_lookupat(dfd, path, how);
    if (!ip) return ip.error();
    return chown_common(**ip, uid, gid);
  }();
  {
    trace("fchownat", {{"dfd", dfd}, {"path", path}, {"uid", uid}, {"gid", gid}, {"flags", flags}},
          e);
  }
  return e;
}

Errno Process::utimensat(int dfd, std::string_view path, uint64_t times, int flags) {
  Errno e = [&] {
    UserTimespec t[2];
    if (times != 0) {
      if (Errno err = copy_from_user(&t, times); err != Errno::kOk) return err;
      // "Nothing to do, we must not even check the path."
      if (t[0].tv_nsec == kUTIME_OMIT && t[1].tv_nsec == kUTIME_OMIT) return Errno::kOk;
    }
    // do_utimes_path.
    if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return Errno::kEINVAL;
    unsigned how = (flags & kAT_SYMLINK_NOFOLLOW) ? 0 : kLookupFollow;
    if (flags & kAT_EMPTY_PATH) how |= kLookupEmpty;
    Result<InodeRef> ip = path_lookupat(dfd, path, how);
    if (!ip) return ip.error();
    return vfs_utimes(**ip, times != 0 ? t : nullptr);
  }();
  {
    trace("utimensat", {{"dfd", dfd}, {"path", path}, {"times", times}, {"flags", flags}}, e);
  }
  return e;
}

Errno Process::futimens(int fd, uint64_t times) {
  Errno e = [&] {
    UserTimespec t[2];
    if (times != 0) {
      if (Errno err = copy_from_user(&t, times); err != Errno::kOk) return err;
      if (t[0].tv_nsec == kUTIME_OMIT && t[1].tv_nsec == kUTIME_OMIT) return Errno::kOk;
    }
    // do_utimes_fd: fdget, so an O_PATH descriptor is EBADF.
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    return vfs_utimes(*(*got)->inode, times != 0 ? t : nullptr);
  }();
  trace("futimens", {{"fd", fd}, {"times", times}}, e);
  return e;
}

}  // namespace vfssim
