// Access-time updates (Linux's fs/inode.c atime_needs_update, touch_atime
// and include/linux/fs.h file_accessed): when reading a file, mapping it or
// listing a directory moves its atime. Modification and change times are
// set by Superblock::touch (file_update_time, inode_set_ctime_current) and
// by setattr.
//
// Filesystems call file_accessed where Linux's do, which is not the same
// place in every filesystem: filemap_read skips it for a read of 0 bytes,
// shmem_file_read_iter calls it whatever the read did.
//
//   IoResult r = filemap_read(ip, iocb, to, ops);  // calls file_accessed
//   ...
//   file_accessed(iocb.filp);                       // a filesystem's own read

#ifndef VFSSIM_VFS_TIMESTAMPS_H_
#define VFSSIM_VFS_TIMESTAMPS_H_

#include "sim/clock.h"
#include "vfs/vnode.h"

namespace vfssim {

struct File;

// kRelatimeMaxAgeSec: relatime still updates an atime older than this
// (relatime_need_update's "older than a day").
inline constexpr int64_t kRelatimeMaxAgeSec = 24 * 60 * 60;

// relatime_need_update: under MNT_RELATIME (Superblock::mnt_relatime),
// the atime moves only if it is not newer than the mtime or the ctime, or
// is at least a day older than `now`. Without MNT_RELATIME (the kernel's
// internal mounts) it always may.
bool relatime_need_update(const Inode& ip, Timespec now);

// atime_needs_update: whether an access at `now` moves `ip`'s atime. Not
// for an S_NOATIME inode (FS_NOATIME_FL), nor on a read-only mount
// (IS_NOATIME: SB_RDONLY; touch_atime would also fail mnt_get_write_access),
// nor where relatime says no, nor when the atime already is `now`.
bool atime_needs_update(const Inode& ip, Timespec now);

// touch_atime sets `ip`'s atime to the current time where
// atime_needs_update says so (inode_update_time(S_ATIME): every filesystem
// here stores it as generic_update_time and xfs_vn_update_time do).
void touch_atime(Inode& ip);

// file_accessed is touch_atime for an open file, unless it was opened (or
// fcntl'd) O_NOATIME. `fp` may be nullptr: an in-kernel request with no
// file (Kiocb::filp), which moves nothing.
void file_accessed(const File* fp);

}  // namespace vfssim

#endif  // VFSSIM_VFS_TIMESTAMPS_H_
