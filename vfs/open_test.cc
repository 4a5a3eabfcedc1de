// open(2) of a block device node (found by tests/crash_audit_test.cc).

#include <gtest/gtest.h>

#include "drivers/blockdev.h"
#include "vfs/chardev.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

// A block device node got the filesystem's vnode file ops, and fsync on it
// reached the iomap test fs's block map, which a device node does not have
// (a null dereference). blkdev_open finds no block device by number in the
// simulator: ENXIO, as the host says for a node of an unknown device.
TEST(OpenTest, ABlockDeviceNodeIsEnxio) {
  Machine m(1);
  SimBlockDevice disk(m, BlockDeviceConfig{});
  Vfs vfs(m);
  register_iomap_testfs(vfs);
  ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  ASSERT_EQ(p.mknod("/b", kS_IFBLK | 0644, mkdev(4095, 1)), Errno::kOk);
  EXPECT_EQ(p.open("/b", kO_RDONLY).error(), Errno::kENXIO);
  EXPECT_EQ(p.open("/b", kO_RDWR).error(), Errno::kENXIO);
  Result<int> path = p.open("/b", kO_PATH);  // O_PATH opens nothing.
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(p.fsync(*path), Errno::kEBADF);
}

}  // namespace
}  // namespace vfssim
