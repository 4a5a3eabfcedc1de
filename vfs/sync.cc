// fsync and fdatasync (Linux's fs/sync.c).

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

}  // namespace vfssim
