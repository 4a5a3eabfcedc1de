// fspacectl (FreeBSD's kern_fspacectl, sys/kern/vfs_syscalls.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {


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

}  // namespace vfssim
