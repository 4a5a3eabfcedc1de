// posix_fadvise (Linux's mm/fadvise.c: ksys_fadvise64_64, generic_fadvise).

#include "vfs/process.h"

namespace vfssim {

Errno Process::fadvise(int fd, off_t64 offset, off_t64 len, int advice) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return Errno::kEBADF;
    Inode& ip = *(*got)->inode;
    // generic_fadvise: "if (S_ISFIFO(inode->i_mode)) return -ESPIPE", then
    // "if (!mapping || len < 0) return -EINVAL"; the advice is the
    // filesystem's to take (its backing device decides what it does).
    if (ip.type == VType::kFifo) return Errno::kESPIPE;
    if (len < 0) return Errno::kEINVAL;
    return ip.ops().fadvise(ip, offset, len, advice);
  }();
  {
    trace("fadvise64", {{"fd", fd}, {"offset", offset}, {"len", len}, {"advice", advice}}, e);
  }
  return e;
}

}  // namespace vfssim
