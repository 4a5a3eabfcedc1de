// Character devices: the device-number switch that opening a character
// device node consults (Linux's fs/char_dev.c, chrdev_open) and the memory
// devices behind it (drivers/char/mem.c): null (1:3) and zero (1:5). A node
// made with mknod on any filesystem opens the same device, as in Linux; the
// node's inode stays the filesystem's (fstat, xattrs, FS_IOC_GETFLAGS),
// while the open file's operations are the driver's.
//
//   p.mknod("/null", kS_IFCHR | 0644, mkdev(1, 3));
//   int fd = *p.open("/null", kO_RDWR);
//   p.write(fd, buf, 100);   // 100, the bytes go nowhere

#ifndef VFSSIM_VFS_CHARDEV_H_
#define VFSSIM_VFS_CHARDEV_H_

#include <cstdint>

#include "sim/errno.h"
#include "vfs/file.h"
#include "vfs/vnode.h"

namespace vfssim {

// The kernel's dev_t: 12 bits of major, 20 of minor (MKDEV, MAJOR, MINOR).
inline constexpr uint32_t kMinorBits = 20;
constexpr uint32_t mkdev(uint32_t major, uint32_t minor) { return (major << kMinorBits) | minor; }
constexpr uint32_t dev_major(uint32_t dev) { return dev >> kMinorBits; }
constexpr uint32_t dev_minor(uint32_t dev) { return dev & ((1u << kMinorBits) - 1); }

// The memory devices (drivers/char/mem.c's devlist).
inline constexpr uint32_t kDevNull = mkdev(1, 3);
inline constexpr uint32_t kDevZero = mkdev(1, 5);

// chrdev_open returns the file operations of the driver behind character
// device node `ip` (its rdev). Errors: ENXIO no driver has that number.
Result<const FileOps*> chrdev_open(const Inode& ip);

}  // namespace vfssim

#endif  // VFSSIM_VFS_CHARDEV_H_
