// fsync, fdatasync and syncfs (Linux's fs/sync.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {

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

Errno Process::syncfs(int fd) {
  Errno e = [&] {
    // fdget: an O_PATH descriptor is EBADF; any other file will do, its
    // filesystem is written back (sync_filesystem).
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    return (*got)->inode->sb->sync_fs();
  }();
  if (tracing()) trace("syncfs", {{"fd", fd}}, e);
  return e;
}

}  // namespace vfssim
