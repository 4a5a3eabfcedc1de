// fcntl's F_GETFL and F_SETFL (Linux's fs/fcntl.c: setfl).

#include "vfs/process.h"

namespace vfssim {

Result<int> Process::fcntl_getfl(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return Fail(got.error());
  return (*got)->oflags;
}

Errno Process::fcntl_setfl(int fd, int flags) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    const Inode& ip = *fp.inode;
    // "O_APPEND cannot be cleared if the file is marked as append-only."
    if ((fp.oflags & kO_APPEND) && !(flags & kO_APPEND) && (ip.flags & kInodeAppend)) {
      return Errno::kEPERM;
    }
    if ((flags & kO_DIRECT) && ip.is_reg() && !ip.ops().can_odirect()) return Errno::kEINVAL;
    fp.oflags = (flags & kSETFL_MASK) | (fp.oflags & ~kSETFL_MASK);
    return Errno::kOk;
  }();
  if (tracing()) trace("fcntl", {{"fd", fd}, {"cmd", "F_SETFL"}, {"flags", flags}}, e);
  return e;
}

}  // namespace vfssim
