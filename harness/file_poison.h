// file_poison: poison on the pmem under a file range, the one rule the
// harness's poison op and the `vfssim io` shell's `poison inject|latent`
// share: only written blocks that this range alone maps are poisoned.
//
//   Result<std::vector<PoisonedRange>> got =
//       poison_file_range(process, fd, pmem, 4096, 100, PoisonKind::kKnown);
//   // -> one range, 4096..4159 of the file: widened to the 64-byte granule.

#ifndef VFSSIM_HARNESS_FILE_POISON_H_
#define VFSSIM_HARNESS_FILE_POISON_H_

#include <cstdint>
#include <vector>

#include "drivers/pmem.h"
#include "sim/errno.h"
#include "vfs/process.h"

namespace vfssim {

// PoisonedRange is one run of poison: len bytes of the file from file_off,
// which lie on the device from dev_off.
struct PoisonedRange {
  uint64_t file_off = 0;
  uint64_t dev_off = 0;
  uint64_t len = 0;
  bool operator==(const PoisonedRange&) const = default;
};

// poison_file_range injects poison of `kind` on `pmem` under the written,
// unshared blocks of [off, off+len) of the file open at fd, clipped at the
// file's size, and returns the file ranges it poisoned in file order
// (none: the range holds no such block). Each range is widened to whole
// poison granules inside its extent. Unwritten, delalloc and inline
// extents hold no data on the media; a shared block's poison would show
// in every file that maps it. The caller knows that the file's blocks live
// on `pmem` (a DAX file on it). Errors: EINVAL off < 0, len <= 0, or
// off + len past kOffMax; FIEMAP's (EOPNOTSUPP a filesystem without it).
Result<std::vector<PoisonedRange>> poison_file_range(Process& p, int fd, PmemDevice& pmem,
                                                     int64_t off, int64_t len, PoisonKind kind);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_FILE_POISON_H_
