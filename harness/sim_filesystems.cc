#include "harness/sim_filesystems.h"

#include <cstdlib>

#include "vfs/testing/iomap_fs.h"

namespace vfssim {

const std::vector<FsSpec>& sim_filesystems() {
  // name, type, device, mkfs options, mount options, registration, mkfs.
  static const std::vector<FsSpec> kSpecs = {
      {"shmfs", "shmfs", FsSpec::kNone, "", "", nullptr, nullptr},
      {"iomaptest_block", "iomaptest", FsSpec::kBlock, "", "", register_iomap_testfs, nullptr},
      {"iomaptest_pmem_dax", "iomaptest", FsSpec::kPmem, "", "dax=always", register_iomap_testfs, nullptr},
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
