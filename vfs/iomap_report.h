// Reporting helpers over the iomap iterator: FIEMAP and SEEK_HOLE/SEEK_DATA
// (Linux's fs/iomap/fiemap.c and fs/iomap/seek.c). They map with
// kIomapReport and never allocate.

#ifndef VFSSIM_VFS_IOMAP_REPORT_H_
#define VFSSIM_VFS_IOMAP_REPORT_H_

#include "sim/errno.h"
#include "vfs/iomap.h"
#include "vfs/uapi.h"
#include "vfs/vnode.h"

namespace vfssim {

// iomap_fiemap fills fi->fm_extents (or, with fm_extent_count == 0, only
// counts) with the mappings over [fm_start, fm_start + fm_length): one
// extent per non-hole mapping, as the filesystem returned it (not clipped to
// the request), flagged DELALLOC|UNKNOWN, UNWRITTEN, DATA_INLINE|NOT_ALIGNED
// or SHARED; the last mapping found gets LAST. FIEMAP_FLAG_SYNC writes dirty
// page cache back first, through `ops`.
// Errors: EBADR fm_flags holds bits other than SYNC (fm_flags is set to the
// unsupported bits, as fiemap_prep does); EINVAL fm_length == 0; the
// iterator's errno.
Errno iomap_fiemap(Inode& ip, Fiemap* fi, IomapOps& ops);

// iomap_seek_hole / iomap_seek_data answer lseek's SEEK_HOLE / SEEK_DATA:
// holes are hole mappings and unwritten ranges without cached data; data is
// everything else. The end of the file counts as a hole.
// Errors: ENXIO pos < 0 or pos >= i_size, or (seek_data) no data after pos.
Result<off_t64> iomap_seek_hole(Inode& ip, off_t64 pos, IomapOps& ops);
Result<off_t64> iomap_seek_data(Inode& ip, off_t64 pos, IomapOps& ops);
// iomap_seek_data_hole is iomap_seek_data for SEEK_DATA, else
// iomap_seek_hole.
Result<off_t64> iomap_seek_data_hole(Inode& ip, off_t64 pos, int whence, IomapOps& ops);

// iomap_file_llseek is the ->llseek of a regular file on the iomap helpers
// (xfs_file_llseek, ext4_llseek): SEEK_DATA and SEEK_HOLE through the
// iterator, the answer then set as the position within s_maxbytes
// (vfs_setpos); every other whence, and every other file, as
// generic_file_llseek. Errors: as iomap_seek_data/hole and vfs_setpos.
Result<off_t64> iomap_file_llseek(Inode& ip, off_t64 pos, off_t64 off, int whence, IomapOps& ops);

}  // namespace vfssim

#endif  // VFSSIM_VFS_IOMAP_REPORT_H_
