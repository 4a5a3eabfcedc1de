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

// The largest transfer between two signal checks.
inline constexpr uint64_t kIoChunk = 1 << 20;

// is_ro: the inode's filesystem is mounted read-only.
inline bool is_ro(const Inode& ip) { return ip.sb->options().ro; }

}  // namespace vfssim::internal

#endif  // VFSSIM_VFS_INTERNAL_SYSCALL_H_
