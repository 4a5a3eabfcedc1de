// umount of a filesystem something still uses, and mount points that a
// rename would remove (found by tests/crash_audit_test.cc: each left a
// pointer into a superblock that umount had freed).

#include <gtest/gtest.h>

#include <memory>

#include "drivers/blockdev.h"
#include "vfs/mount.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/", Creds::root()), Errno::kOk);
    ASSERT_EQ(p.mkdir("/mnt", 0755), Errno::kOk);
    ASSERT_EQ(vfs.mount("iomaptest", &disk2, "", "/mnt", Creds::root()), Errno::kOk);
    ASSERT_EQ(p.mkdir("/mnt/d", 0755), Errno::kOk);
  }

  Machine m{1};
  SimBlockDevice disk{m, BlockDeviceConfig{}};
  SimBlockDevice disk2{m, BlockDeviceConfig{.name = "sdb"}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
};

TEST_F(MountTest, AWorkingDirectoryKeepsItsFilesystemMounted) {
  ASSERT_EQ(p.chdir("/mnt/d"), Errno::kOk);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kEBUSY);
  EXPECT_EQ(p.mkdir("e", 0755), Errno::kOk);  // The directory is still there.
  // A child made by fork holds it too; once both leave, it can go.
  std::unique_ptr<Process> child = p.fork(Creds::root(), 2);
  ASSERT_EQ(p.chdir("/"), Errno::kOk);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kEBUSY);
  child.reset();
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kOk);
}

TEST_F(MountTest, AProcessStartedInsideKeepsItMountedUntilItEnds) {
  ASSERT_EQ(p.chdir("/mnt"), Errno::kOk);
  auto other = std::make_unique<Process>(vfs, Creds::root(), 3);
  ASSERT_EQ(other->fchdir(*other->open("/mnt/d", kO_RDONLY | kO_DIRECTORY)), Errno::kOk);
  ASSERT_EQ(p.chdir("/"), Errno::kOk);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kEBUSY);  // Its cwd, and its fd.
  other.reset();
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kOk);
}

TEST_F(MountTest, AFilesystemWithAMountBelowIsBusy) {
  SimBlockDevice disk3(m, BlockDeviceConfig{.name = "sdc"});
  ASSERT_EQ(vfs.mount("iomaptest", &disk3, "", "/mnt/d", Creds::root()), Errno::kOk);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kEBUSY);
  EXPECT_EQ(vfs.umount("/mnt/d", Creds::root()), Errno::kOk);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kOk);
}

// rename(2) onto a mount point replaced the covered directory and freed it
// while the mount still pointed at it: EBUSY (vfs_rename's
// is_local_mountpoint).
TEST_F(MountTest, RenameOntoAMountPointIsEbusy) {
  ASSERT_EQ(p.mkdir("/empty", 0755), Errno::kOk);
  EXPECT_EQ(p.rename("/empty", "/mnt"), Errno::kEBUSY);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kOk);
}

}  // namespace
}  // namespace vfssim
