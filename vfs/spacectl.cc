// fspacectl (FreeBSD's kern_fspacectl, sys/kern/vfs_syscalls.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {

Errno Process::kern_fspacectl(int fd, int cmd, const SpacectlRange* rqsr, int flags,
                              SpacectlRange* rmsr) {
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
}

// sys_fspacectl: rqsr is copied in (EFAULT before anything else); after
// kern_fspacectl, rmsr, when given, is copied out whatever the outcome, and
// a failed copyout is the error only if the call had none ("I still insist
// on copying out rmsr always, not only on error == 0", seed 000).
Errno Process::fspacectl(int fd, int cmd, uint64_t rqsr, int flags, uint64_t rmsr) {
  SpacectlRange rq{};
  SpacectlRange rm{};
  bool have_rq = false;
  Errno e = [&] {
    if (Errno err = copy_from_user(&rq, rqsr); err != Errno::kOk) return err;
    have_rq = true;
    Errno err = kern_fspacectl(fd, cmd, &rq, flags, &rm);
    if (rmsr != 0) {
      const Errno cerr = copy_to_user(rmsr, rm);
      if (err == Errno::kOk) err = cerr;
    }
    return err;
  }();
  {
    TraceFields args = {{"fd", fd}, {"cmd", cmd}, {"flags", flags}, {"rqsr_addr", rqsr},
                        {"rmsr_addr", rmsr}};
    const TraceValue rq_v[] = {rq.r_offset, rq.r_len};
    const TraceValue rm_v[] = {rm.r_offset, rm.r_len};
    if (have_rq) args.add("rqsr", TraceValue::array(rq_v));
    if (have_rq && rmsr != 0) args.add("rmsr", TraceValue::array(rm_v));
    trace("fspacectl", args, e);
  }
  return e;
}

}  // namespace vfssim
