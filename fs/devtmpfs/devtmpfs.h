// devtmpfs: the filesystem the kernel mounts on /dev (Linux's
// drivers/base/devtmpfs.c): a shmem instance that the driver core fills
// with one node per registered device. Here the devices are the memory
// devices of vfs/chardev.h, made when the filesystem is mounted:
// null (1:3) and zero (1:5), root-owned, 0666, as devlist gives them. It is
// shmfs in every other respect (files, directories and nodes can be made in
// it), under its own type name so that memfd_create does not pick it.
//
//   register_shmfs(vfs);
//   register_devtmpfs(vfs);
//   vfs.mount("shmfs", nullptr, "", "/", Creds::root());
//   p.mkdir("/dev");
//   vfs.mount("devtmpfs", nullptr, "", "/dev", Creds::root());
//   int fd = *p.open("/dev/zero", kO_RDONLY);

#ifndef VFSSIM_FS_DEVTMPFS_DEVTMPFS_H_
#define VFSSIM_FS_DEVTMPFS_DEVTMPFS_H_

#include "vfs/mount.h"

namespace vfssim {

// register_devtmpfs adds "devtmpfs" to the filesystem-type registry. It
// takes the common mount options and none of its own (EINVAL). Each mount is
// a new instance; Linux instead shows the one it keeps internally.
void register_devtmpfs(Vfs& vfs);

}  // namespace vfssim

#endif  // VFSSIM_FS_DEVTMPFS_DEVTMPFS_H_
