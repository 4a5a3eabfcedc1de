// Zero-initialising file storage in place: seed 004's iomap_zeroout_range
// (patch 2/5, block devices) and dax_zeroinit_range (patch 1/5, pmem), the
// helpers behind the FALLOC_FL_ZEROINIT_RANGE prototype. They reset the
// storage already mapped to a range — writing zeros and clearing media
// errors — without changing the file's mappings.
//
// Both walk the range with kIomapReport and act per mapping, as posted:
//
//   mapping                          dax_zeroinit_range     iomap_zeroout_range
//   no dax_dev / no bdev             ECANCELED              ECANCELED
//   physical start/len misaligned    page: ECANCELED        512 B sector: EINVAL
//   SHARED, or a separate srcmap     ECANCELED              ECANCELED
//   MAPPED                           zero_page_range, one   blkdev_issue_zeroout
//                                    page at a time         (flags 0)
//   UNWRITTEN                        skipped                skipped
//   HOLE, INLINE, DELALLOC           ECANCELED              EINVAL (*)
//
// (*) "Reject holes, inline data, or delalloc extents" says ECANCELED, but
// as posted the alignment check runs before the type switch and these
// mappings carry IOMAP_NULL_ADDR: on a block device that fails the sector
// check first (EINVAL); on pmem the page check (ECANCELED, the same answer).
// The variant zeroinit.holes=ignore (the v3 rule) skips holes before any
// check.
// The iteration stops at the first error without rollback: earlier mappings
// stay zeroed. Filesystems turn ECANCELED into EOPNOTSUPP for userspace.

#ifndef VFSSIM_VFS_ZEROINIT_H_
#define VFSSIM_VFS_ZEROINIT_H_

#include <cstdint>

#include "sim/errno.h"
#include "vfs/iomap.h"
#include "vfs/vnode.h"

namespace vfssim {

// dax_zeroinit_range zeroes and un-poisons the pmem under [pos, pos+len).
// Errors: EINVAL the inode is not DAX, or pos+len > i_size; ECANCELED a
// mapping that cannot be reset in place (table above); EIO the device could
// not clear poison; the iterator's errno.
Errno dax_zeroinit_range(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops);

// iomap_zeroout_range zeroes the block-device storage under [pos, pos+len)
// with the device's zeroing command.
// Errors: EINVAL the inode is DAX, pos+len > i_size, or a mapping is not
// sector-aligned on the device; ECANCELED (table above); the device's
// errno (EIO, ENOSPC); the iterator's errno.
Errno iomap_zeroout_range(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops);

}  // namespace vfssim

#endif  // VFSSIM_VFS_ZEROINIT_H_
