// vfssim's own shell commands, beside xfs_io's: poison, fault, variant,
// trace, fspacectl, zeroinit's report, swapout, safecopy.

#include "absl/strings/str_format.h"
#include "tools/io_shell.h"
#include "vfs/host_io.h"
#include "vfs/uapi.h"

namespace vfssim {

void IoShell::cmd_vfssim(const Op& op) {
  switch (op.kind) {
    case OpKind::kFspacectl: {
      SpacectlRange rq{op.off, op.len}, rm{};
      if (Errno e = host::fspacectl(process_, cur().fd, kSPACECTL_DEALLOC, &rq, 0, &rm); e != Errno::kOk) {
        perror("fspacectl", e);
        fail();
      }
      out_ << absl::StrFormat("rmsr: offset %d length %d\n", rm.r_offset, rm.r_len);
      return;
    }
    default:
      err_ << op_kind_name(op.kind) << ": not yet in vfssim io\n";
      fail();
      return;
  }
}

}  // namespace vfssim
