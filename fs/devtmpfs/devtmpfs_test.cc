#include "fs/devtmpfs/devtmpfs.h"

#include <gtest/gtest.h>

#include <vector>

#include "fs/shmfs/shmfs.h"
#include "vfs/chardev.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

class DevtmpfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_shmfs(vfs);
    register_devtmpfs(vfs);
    ASSERT_EQ(vfs.mount("shmfs", nullptr, "", "/", Creds::root()), Errno::kOk);
    ASSERT_EQ(p.mkdir("/dev"), Errno::kOk);
    ASSERT_EQ(vfs.mount("devtmpfs", nullptr, "", "/dev", Creds::root()), Errno::kOk);
  }
  Machine m{1};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
};

TEST_F(DevtmpfsTest, HoldsNullAndZeroAsTheDriverCoreMakesThem) {
  for (const auto& [path, dev] : {std::pair{"/dev/null", kDevNull}, std::pair{"/dev/zero", kDevZero}}) {
    Result<Stat> st = p.stat(path);
    ASSERT_TRUE(st) << path;
    EXPECT_EQ(st->type, VType::kChr);
    EXPECT_EQ(st->rdev, dev);
    EXPECT_EQ(st->mode, 0666u);
    EXPECT_EQ(st->uid, 0u);
    EXPECT_EQ(st->nlink, 1u);
  }
}

TEST_F(DevtmpfsTest, NodesOpenTheirDevices) {
  const int z = *p.open("/dev/zero", kO_RDWR);
  std::vector<std::byte> buf(64, std::byte{0xff});
  EXPECT_EQ(*host::read(p, z, buf), 64u);
  EXPECT_EQ(buf, std::vector<std::byte>(64, std::byte{0}));
  const int n = *p.open("/dev/null", kO_RDWR);
  EXPECT_EQ(*host::write(p, n, buf), 64u);
  EXPECT_EQ(*host::read(p, n, buf), 0u);
}

TEST_F(DevtmpfsTest, IsNotTheShmfsThatMemfdsUse) {
  EXPECT_EQ(vfs.find_mount("devtmpfs")->fs_type(), "devtmpfs");
  EXPECT_EQ(vfs.find_mount("shmfs"), vfs.root()->sb);
}

TEST_F(DevtmpfsTest, TakesNoOptionsOfItsOwn) {
  ASSERT_EQ(p.mkdir("/dev2"), Errno::kOk);
  EXPECT_EQ(vfs.mount("devtmpfs", nullptr, "size=1m", "/dev2", Creds::root()), Errno::kEINVAL);
}

}  // namespace
}  // namespace vfssim
