// Host-kernel fixtures (tests/probes/fixtures/*.jsonl) and the simulator
// filesystems that stand for their columns, for the tests that re-enact a
// probe and compare.
//
//   HostFixture fx = load_host_fixture("flags_align.jsonl", "xfs");
//   ASSERT_EQ(mount_host_column(vfs, "xfs", &bdev), Errno::kOk);

#ifndef VFSSIM_TESTS_TESTING_HOST_FIXTURE_H_
#define VFSSIM_TESTS_TESTING_HOST_FIXTURE_H_

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "fs/ext4/ext4_mount.h"
#include "fs/shmfs/shmfs.h"
#include "fs/xfs/xfs_mount.h"
#include "nlohmann/json.hpp"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {

// HostFixture is one fixture file: the kernel it was recorded on and its
// case rows.
struct HostFixture {
  std::string kernel;
  std::vector<nlohmann::json> rows;
};

// load_host_fixture reads tests/probes/fixtures/`name` (from the test's
// runfiles): the header line's kernel, and the rows whose "fs" is `fs`.
// A missing file gives no kernel and no rows.
inline HostFixture load_host_fixture(std::string_view name, std::string_view fs) {
  HostFixture fx;
  std::ifstream in("tests/probes/fixtures/" + std::string(name));
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (j.contains("kernel")) {
      fx.kernel = j["kernel"];
    } else if (j.value("fs", "") == fs) {
      fx.rows.push_back(std::move(j));
    }
  }
  return fx;
}

// mount_host_column mounts at "/" the simulator's stand-in for a fixture
// column: shmfs for "tmpfs", the XFS-like filesystem made with default
// mkfs options over `bdev` for "xfs" (the host probes' XFS is a 512 MiB
// image made with `mkfs.xfs -f -q`), the ext4-like one over the first
// 256 MiB of `bdev` for "ext4" (the probes' `mkfs.ext4 -q -F` on a 256 MiB
// image: 1 KiB blocks).
inline Errno mount_host_column(Vfs& vfs, std::string_view fs, BlockDevice* bdev) {
  if (fs == "tmpfs") {
    register_shmfs(vfs);
    return vfs.mount("shmfs", nullptr, "", "/", Creds::root());
  }
  register_shmfs(vfs);  // The kernel's own shmem, for memfd_create.
  if (fs == "ext4") {
    register_ext4(vfs);
    if (Errno e = ext4_mkfs(vfs.machine(), *bdev, "256m"); e != Errno::kOk) return e;
    return vfs.mount("ext4", bdev, "", "/", Creds::root());
  }
  register_xfs(vfs);
  if (Errno e = xfs_mkfs(vfs.machine(), *bdev, ""); e != Errno::kOk) return e;
  return vfs.mount("xfs", bdev, "", "/", Creds::root());
}

// drop_page_cache is POSIX_FADV_DONTNEED on a page-cache file (XFS-like or
// the iomap test filesystem): its pages are written back and leave the
// cache.
inline void drop_page_cache(Inode& ip) {
  constexpr uint64_t kLast = UINT64_MAX >> kCachePageShift;
  if (ip.sb->fs_type() == "xfs") {
    invalidate_inode_pages2_range(ip, 0, kLast, XfsMount::of(ip).iomap_ops());
  } else if (ip.sb->fs_type() == "ext4") {
    invalidate_inode_pages2_range(ip, 0, kLast, Ext4Mount::of(ip).iomap_ops());
  } else {
    invalidate_inode_pages2_range(ip, 0, kLast, IomapTestVnodeOps::map(ip));
  }
}

}  // namespace vfssim

#endif  // VFSSIM_TESTS_TESTING_HOST_FIXTURE_H_
