#include "vfs/chardev.h"

#include <gtest/gtest.h>

#include <vector>

#include "drivers/blockdev.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

class ChardevTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &bdev, "", "/", Creds::root()), Errno::kOk);
  }
  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
};

TEST(Mkdev, KernelDevT) {
  EXPECT_EQ(mkdev(1, 3), (1u << 20) | 3);
  EXPECT_EQ(dev_major(kDevZero), 1u);
  EXPECT_EQ(dev_minor(kDevZero), 5u);
}

TEST_F(ChardevTest, MknodChecksInDoMknodatOrder) {
  EXPECT_EQ(p.mknod("/d", kS_IFDIR | 0755, 0), Errno::kEPERM);
  EXPECT_EQ(p.mknod("/s", kS_IFSOCK | 0644, 0), Errno::kEINVAL);
  EXPECT_EQ(p.mknod("/s", 0170000 | 0644, 0), Errno::kEINVAL);
  EXPECT_EQ(p.mknod("/nodir/n", kS_IFCHR | 0644, kDevNull), Errno::kENOENT);
  ASSERT_EQ(p.mknod("/n", kS_IFCHR | 0644, kDevNull), Errno::kOk);
  EXPECT_EQ(p.mknod("/n", kS_IFCHR | 0644, kDevNull), Errno::kEEXIST);
  // A device node needs CAP_MKNOD; a fifo or a regular file does not.
  ASSERT_EQ(p.mkdir("/pub", 0777), Errno::kOk);
  Process user(vfs, Creds::user(1000, 1000));
  EXPECT_EQ(user.mknod("/pub/n", kS_IFCHR | 0644, kDevNull), Errno::kEPERM);
  EXPECT_EQ(user.mknod("/pub/p", kS_IFIFO | 0644, 0), Errno::kOk);
  EXPECT_EQ(user.mknod("/pub/r", 0644, 0), Errno::kOk);
  EXPECT_EQ(user.stat("/pub/r")->type, VType::kReg);
  EXPECT_EQ(user.mknod("/x", kS_IFIFO | 0644, 0), Errno::kEACCES);  // No write on "/".
}

TEST_F(ChardevTest, TheNodeKeepsItsNumberAndOpensItsDevice) {
  ASSERT_EQ(p.mknod("/z", kS_IFCHR | 0600, kDevZero), Errno::kOk);
  Result<Stat> st = p.stat("/z");
  EXPECT_EQ(st->type, VType::kChr);
  EXPECT_EQ(st->rdev, kDevZero);
  EXPECT_EQ(st->mode, 0600u);
  const int fd = *p.open("/z", kO_RDONLY);
  std::vector<std::byte> buf(10, std::byte{7});
  EXPECT_EQ(*host::read(p, fd, buf), 10u);
  EXPECT_EQ(buf, std::vector<std::byte>(10, std::byte{0}));
}

TEST_F(ChardevTest, NoDriverForTheNumberIsEnxio) {
  ASSERT_EQ(p.mknod("/u", kS_IFCHR | 0644, mkdev(1, 42)), Errno::kOk);
  EXPECT_EQ(p.open("/u", kO_RDWR).error(), Errno::kENXIO);
}

TEST_F(ChardevTest, ZeroReadStopsAtTheFirstFault) {
  ASSERT_EQ(p.mknod("/z", kS_IFCHR | 0644, kDevZero), Errno::kOk);
  const int fd = *p.open("/z", kO_RDONLY);
  const uint64_t a = *p.mmap(0, 8192, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(p.munmap(a + 4096, 4096), Errno::kOk);
  EXPECT_EQ(*p.read(fd, a + 4000, 200), 96u);  // clear_user up to the hole.
  EXPECT_EQ(p.read(fd, a + 4096, 200).error(), Errno::kEFAULT);
}

TEST_F(ChardevTest, NullTakesEverythingAndGivesNothing) {
  ASSERT_EQ(p.mknod("/n", kS_IFCHR | 0644, kDevNull), Errno::kOk);
  const int fd = *p.open("/n", kO_RDWR);
  EXPECT_EQ(*p.write(fd, 0, 1 << 20), uint64_t{1} << 20);  // Never touches the buffer.
  EXPECT_EQ(*p.read(fd, 0, 100), 0u);
  EXPECT_EQ(*p.lseek(fd, 5, kSEEK_END), 0);
  EXPECT_EQ(p.fsync(fd), Errno::kEINVAL);
  EXPECT_EQ(p.mmap(0, 4096, kProtRead, kMAP_SHARED, fd, 0).error(), Errno::kENODEV);
  EXPECT_EQ(p.open("/n", kO_RDWR | kO_DIRECT).error(), Errno::kEINVAL);
}

TEST_F(ChardevTest, ZeroMapsAnonymousMemory) {
  ASSERT_EQ(p.mknod("/z", kS_IFCHR | 0644, kDevZero), Errno::kOk);
  const int fd = *p.open("/z", kO_RDWR);
  for (int type : {kMAP_PRIVATE, kMAP_SHARED}) {
    const uint64_t a = *p.mmap(0, 8192, kProtRead | kProtWrite, type, fd, 0);
    std::vector<std::byte> b(8192, std::byte{1});
    EXPECT_FALSE(p.load(a, b));
    EXPECT_EQ(b, std::vector<std::byte>(8192, std::byte{0}));
    EXPECT_FALSE(p.store(a, std::vector<std::byte>(1, std::byte{9})));
    EXPECT_FALSE(p.load(a, std::span(b).first(1)));
    EXPECT_EQ(b[0], std::byte{9});
    // Nothing reaches the device node's inode.
    EXPECT_TRUE((*p.file_inode(fd))->mappers.empty());
  }
}

TEST_F(ChardevTest, NodevMountRefusesToOpenNodes) {
  ASSERT_EQ(p.mknod("/n", kS_IFCHR | 0644, kDevNull), Errno::kOk);
  ASSERT_EQ(p.mkdir("/m", 0755), Errno::kOk);
  SimBlockDevice other{m, BlockDeviceConfig{}};
  ASSERT_EQ(vfs.mount("iomaptest", &other, "nodev", "/m", Creds::root()), Errno::kOk);
  ASSERT_EQ(p.mknod("/m/n", kS_IFCHR | 0644, kDevNull), Errno::kOk);  // Making is allowed.
  EXPECT_EQ(p.open("/m/n", kO_RDONLY).error(), Errno::kEACCES);
  EXPECT_TRUE(p.open("/n", kO_RDONLY).has_value());
}

}  // namespace
}  // namespace vfssim
