// fstat, stat, lstat and fstatat (Linux's fs/stat.c), and statfs and
// fstatfs (fs/statfs.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {

Result<Stat> Process::fstat(int fd) {
  // vfs_fstat: fdget_raw, so an O_PATH descriptor reports its file.
  Result<std::shared_ptr<File>> got = get(fd, Fdget::kRaw);
  Stat st;
  Errno e = got ? (*got)->ops->fo_stat(**got, &st) : got.error();
  trace("fstat", {{"fd", fd}}, e);
  if (e != Errno::kOk) return Fail(e);
  return st;
}

Result<Stat> Process::fstatat(int dfd, std::string_view path, int flags) {
  Stat st;
  Errno e = [&] {
    // vfs_fstatat: "if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT |
    // AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) return -EINVAL".
    constexpr int kAtNoAutomount = 0x800;
    constexpr int kAtStatxSyncType = 0x6000;
    if (flags & ~(kAT_SYMLINK_NOFOLLOW | kAtNoAutomount | kAT_EMPTY_PATH | kAtStatxSyncType)) {
      return Errno::kEINVAL;
    }
    // An empty path with AT_EMPTY_PATH is fstat of the descriptor.
    if (path.empty() && (flags & kAT_EMPTY_PATH) && dfd != kAT_FDCWD) {
      Result<std::shared_ptr<File>> got = get(dfd, Fdget::kRaw);
      if (!got) return got.error();
      return (*got)->ops->fo_stat(**got, &st);
    }
    unsigned how = (flags & kAT_SYMLINK_NOFOLLOW) ? 0 : kLookupFollow;
    if (flags & kAT_EMPTY_PATH) how |= kLookupEmpty;
    Result<InodeRef> ip = path_lookupat(dfd, path, how);
    if (!ip) return ip.error();
    Errno err = (*ip)->ops().getattr(**ip, &st);
    if ((*ip)->type == VType::kFifo) st.size = 0;
    return err;
  }();
  trace("fstatat", {{"dfd", dfd}, {"path", path}, {"flags", flags}}, e);
  if (e != Errno::kOk) return Fail(e);
  return st;
}

Result<Stat> Process::stat(std::string_view path) { return fstatat(kAT_FDCWD, path, 0); }

Result<Stat> Process::lstat(std::string_view path) {
  return fstatat(kAT_FDCWD, path, kAT_SYMLINK_NOFOLLOW);
}

Errno Process::vfs_statfs(const Inode& ip, uint64_t buf) {
  // statfs_by_dentry, then calculate_f_flags from the mount.
  Kstatfs k;
  if (Errno e = ip.sb->statfs(&k); e != Errno::kOk) return e;
  if (k.f_frsize == 0) k.f_frsize = k.f_bsize;
  UserStatfs st{};
  st.f_type = k.f_type;
  st.f_bsize = k.f_bsize;
  st.f_blocks = k.f_blocks;
  st.f_bfree = k.f_bfree;
  st.f_bavail = k.f_bavail;
  st.f_files = k.f_files;
  st.f_ffree = k.f_ffree;
  st.f_namelen = k.f_namelen;
  st.f_frsize = k.f_frsize;
  // Mounts made with mount(2) have Linux's default atime policy, relatime
  // (MNT_RELATIME); the kernel's internal mounts (pipefs) have none.
  st.f_flags = kST_VALID | (ip.sb->mnt_relatime ? kST_RELATIME : 0) |
               (ip.sb->options().ro ? kST_RDONLY : 0);
  return copy_to_user(buf, st);
}

Errno Process::statfs(std::string_view path, uint64_t buf) {
  Errno e = [&] {
    Result<InodeRef> ip = path_lookupat(kAT_FDCWD, path, kLookupFollow);
    if (!ip) return ip.error();
    return vfs_statfs(**ip, buf);
  }();
  trace("statfs", {{"path", path}, {"buf", buf}}, e);
  return e;
}

Errno Process::fstatfs(int fd, uint64_t buf) {
  Errno e = [&] {
    // fd_statfs: fdget_raw (O_PATH descriptors too), before the buffer.
    Result<std::shared_ptr<File>> got = get(fd, Fdget::kRaw);
    if (!got) return got.error();
    return vfs_statfs(*(*got)->inode, buf);
  }();
  trace("fstatfs", {{"fd", fd}, {"buf", buf}}, e);
  return e;
}

}  // namespace vfssim
