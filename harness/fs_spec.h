// FsSpec: how to build one simulated filesystem for the harness — its type,
// the device it sits on, and its mkfs and mount options. SimBackend makes
// the device, registers the type, runs mkfs and mounts it at "/"; the
// property and differential suites run once per entry of a registry list
// (harness/sim_filesystems.h), so a new filesystem is one line there.
//
//   FsSpec spec{.name = "iomaptest_pmem_dax", .type = "iomaptest",
//               .dev = FsSpec::kPmem, .mount_opts = "dax=always",
//               .register_fs = register_iomap_testfs};
//   SimBackend sim(seed, spec);

#ifndef VFSSIM_HARNESS_FS_SPEC_H_
#define VFSSIM_HARNESS_FS_SPEC_H_

#include <string>
#include <string_view>

#include "drivers/blockdev.h"
#include "sim/errno.h"
#include "sim/machine.h"
#include "vfs/mount.h"

namespace vfssim {

struct FsSpec {
  // The device under the filesystem: none (shmfs), a SimBlockDevice, or a
  // PmemDevice (a block device that is also a DAX device, with poison).
  enum Dev : uint8_t { kNone, kBlock, kPmem };

  std::string name;  // Names the spec in test names and reports.
  std::string type;  // The registered filesystem type that is mounted.
  Dev dev = kNone;
  // mkfs_opts go to `mkfs`; a spec with options and no mkfs fails to mount
  // (EINVAL). mount_opts are MountOptions::parse's text.
  std::string mkfs_opts;
  std::string mount_opts;
  // register_fs adds `type` to the VFS's registry (shmfs is always there,
  // for memfd_create); null for types already registered.
  void (*register_fs)(Vfs&) = nullptr;
  // mkfs formats the device before the mount; null: the type needs none.
  Errno (*mkfs)(Machine&, BlockDevice&, std::string_view opts) = nullptr;
  // reflink: the filesystem mkfs makes shares blocks (FICLONERANGE,
  // FIDEDUPERANGE, copy_file_range's remap); without it clone and dedupe
  // answer EOPNOTSUPP. Random ops draw clones more often where it is set.
  bool reflink = false;

  // poisonable: the files are DAX on pmem, so Op::poison can poison their
  // blocks and every read goes to the media (no page cache holds a good
  // copy of a poisoned block).
  bool poisonable() const {
    if (dev != kPmem) return false;
    Result<MountOptions> opts = MountOptions::parse(mount_opts);
    return opts && opts->dax == DaxMode::kAlways;
  }
};

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_FS_SPEC_H_
