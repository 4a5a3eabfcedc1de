#include "harness/sim_filesystems.h"

#include <cstdlib>

#include "fs/ext4/ext4_mount.h"
#include "fs/xfs/xfs_mount.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {

const std::vector<FsSpec>& sim_filesystems() {
  // name, type, device, mkfs options, mount options, registration, mkfs,
  // reflink.
  static const std::vector<FsSpec> kSpecs = {
      {"shmfs", "shmfs", FsSpec::kNone, "", "", nullptr, nullptr},
      {"ext4_block", "ext4", FsSpec::kBlock, "", "", register_ext4, ext4_mkfs},
      {"ext4_block_1k", "ext4", FsSpec::kBlock, "-b 1024", "", register_ext4, ext4_mkfs},
      {"iomaptest_block", "iomaptest", FsSpec::kBlock, "", "", register_iomap_testfs, nullptr},
      {"iomaptest_pmem_dax", "iomaptest", FsSpec::kPmem, "", "dax=always", register_iomap_testfs, nullptr},
      {"xfs_block", "xfs", FsSpec::kBlock, "", "", register_xfs, xfs_mkfs, true},
      {"xfs_block_1k", "xfs", FsSpec::kBlock, "-b size=1024", "", register_xfs, xfs_mkfs, true},
      {"xfs_block_16k", "xfs", FsSpec::kBlock, "-b size=16384", "", register_xfs, xfs_mkfs, true},
      {"xfs_noreflink", "xfs", FsSpec::kBlock, "-m reflink=0", "", register_xfs, xfs_mkfs, false},
      {"xfs_pmem_dax", "xfs", FsSpec::kPmem, "", "dax=always", register_xfs, xfs_mkfs, true},
  };
  return kSpecs;
}

const FsSpec& sim_filesystem(std::string_view name) {
  for (const FsSpec& spec : sim_filesystems()) {
    if (spec.name == name) return spec;
  }
  std::abort();
}

}  // namespace vfssim
