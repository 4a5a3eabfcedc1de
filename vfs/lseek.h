// The generic llseek helpers (Linux's fs/read_write.c) that filesystems
// build their VnodeOps::llseek from, as Linux's ->llseek methods call
// generic_file_llseek_size and vfs_setpos.
//
//   Result<off_t64> MyOps::llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) {
//     if (whence == kSEEK_DATA || whence == kSEEK_HOLE) { ... my own answer ... }
//     return generic_file_llseek_size(pos, off, whence, ip.sb->maxbytes, ip.size);
//   }

#ifndef VFSSIM_VFS_LSEEK_H_
#define VFSSIM_VFS_LSEEK_H_

#include "sim/errno.h"
#include "vfs/uapi.h"

namespace vfssim {

// kSEEK_MAX: the largest whence lseek(2) passes on (SEEK_HOLE); any other
// value, negative ones included, is EINVAL before the file is asked.
inline constexpr int kSEEK_MAX = kSEEK_HOLE;

// vfs_setpos: `offset` as the new position, if it is neither negative nor
// past `maxsize`. Errors: EINVAL.
Result<off_t64> vfs_setpos(off_t64 offset, off_t64 maxsize);

// generic_file_llseek_size: the new position of a file at `pos` for
// (offset, whence) with size `eof` and limit `maxsize`. SEEK_CUR with offset
// 0 returns pos unchecked; SEEK_END and SEEK_CUR add with wraparound (the
// kernel is built with -fno-strict-overflow), so an overflowing sum is
// negative and EINVAL. SEEK_DATA/SEEK_HOLE treat the whole file as data
// with a virtual hole at eof: an offset at or past eof, or negative (the
// comparison is unsigned), is ENXIO; SEEK_DATA answers the offset, SEEK_HOLE
// eof. Errors: EINVAL a negative result or one past maxsize, or an unknown
// whence; ENXIO as above.
Result<off_t64> generic_file_llseek_size(off_t64 pos, off_t64 offset, int whence,
                                         off_t64 maxsize, off_t64 eof);

}  // namespace vfssim

#endif  // VFSSIM_VFS_LSEEK_H_
