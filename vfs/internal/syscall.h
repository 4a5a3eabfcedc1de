// Helpers shared by the syscall files (read_write.cc, open.cc, namei.cc,
// ioctl.cc, remap_range.cc, ...): permission masks, the signal-check chunk
// and small predicates. Private to vfs/.

#ifndef VFSSIM_VFS_INTERNAL_SYSCALL_H_
#define VFSSIM_VFS_INTERNAL_SYSCALL_H_

#include <cstdint>

#include "vfs/mount.h"
#include "vfs/vnode.h"

namespace vfssim::internal {

// MAY_READ / MAY_WRITE / MAY_EXEC.
inline constexpr int kMayRead = 4;
inline constexpr int kMayWrite = 2;
inline constexpr int kMayExec = 1;

// The largest transfer between two signal checks: 4 MiB, the piece XFS's
// buffered write path maps at a time (1024 pages), so that splitting a
// long read or write here never shows a filesystem smaller pieces than
// the kernel's own loop would (ENOSPC then cuts it where XFS does).
inline constexpr uint64_t kIoChunk = 4 << 20;

// is_ro: the inode's filesystem is mounted read-only.
inline bool is_ro(const Inode& ip) { return ip.sb->options().ro; }

}  // namespace vfssim::internal

#endif  // VFSSIM_VFS_INTERNAL_SYSCALL_H_
