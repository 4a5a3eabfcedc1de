// sendfile(2) and splice(2) between regular files (on the iomap test fs),
// pipes (whose inodes live on the kernel's shmem instance) and devices.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "fs/shmfs/shmfs.h"
#include "vfs/chardev.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

std::vector<std::byte> bytes(std::string_view s) {
  std::vector<std::byte> b(s.size());
  for (size_t i = 0; i < s.size(); ++i) b[i] = std::byte(s[i]);
  return b;
}

class SpliceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    register_shmfs(vfs);  // pipe2's pipefs.
    ASSERT_EQ(vfs.mount("iomaptest", &bdev, "", "/", Creds::root()), Errno::kOk);
    src = *p.open("/src", kO_RDWR | kO_CREAT, 0644);
    ASSERT_EQ(*host::pwrite(p, src, bytes("0123456789"), 0), 10u);
    dst = *p.open("/dst", kO_RDWR | kO_CREAT, 0644);
    mem = *p.mmap(0, 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  }
  std::string content(int fd) {
    std::vector<std::byte> b(64);
    b.resize(*host::pread(p, fd, b, 0));
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  off_t64 loff(uint64_t at) {
    off_t64 v = -1;
    EXPECT_EQ(p.mm().copy_in(at, std::as_writable_bytes(std::span(&v, 1)), true), 8u);
    return v;
  }
  void set_loff(uint64_t at, off_t64 v) { EXPECT_FALSE(p.store(at, std::as_bytes(std::span(&v, 1)))); }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int src = -1, dst = -1;
  uint64_t mem = 0;
};

TEST_F(SpliceTest, SendfileMovesBothPositions) {
  EXPECT_EQ(*p.sendfile(dst, src, 0, 4), 4u);
  EXPECT_EQ(*p.sendfile(dst, src, 0, 100), 6u);  // To EOF.
  EXPECT_EQ(content(dst), "0123456789");
  EXPECT_EQ(*p.lseek(src, 0, kSEEK_CUR), 10);
  EXPECT_EQ(*p.lseek(dst, 0, kSEEK_CUR), 10);
  EXPECT_EQ(*p.sendfile(dst, src, 0, 100), 0u);  // At EOF.
}

TEST_F(SpliceTest, SendfileWithAnOffsetLeavesTheInputPosition) {
  set_loff(mem, 3);
  EXPECT_EQ(*p.sendfile(dst, src, mem, 4), 4u);
  EXPECT_EQ(loff(mem), 7);
  EXPECT_EQ(*p.lseek(src, 0, kSEEK_CUR), 0);
  EXPECT_EQ(content(dst), "3456");
  set_loff(mem, -1);
  EXPECT_EQ(p.sendfile(dst, src, mem, 4).error(), Errno::kEINVAL);
  EXPECT_EQ(p.sendfile(dst, src, 8, 4).error(), Errno::kEFAULT);  // Before the descriptors.
  EXPECT_EQ(p.sendfile(dst, 1000, 8, 4).error(), Errno::kEFAULT);
}

TEST_F(SpliceTest, SendfileChecks) {
  EXPECT_EQ(p.sendfile(dst, 1000, 0, 4).error(), Errno::kEBADF);
  EXPECT_EQ(p.sendfile(1000, src, 0, 4).error(), Errno::kEBADF);
  const int wronly = *p.open("/src", kO_WRONLY);
  EXPECT_EQ(p.sendfile(dst, wronly, 0, 4).error(), Errno::kEBADF);
  const int app = *p.open("/dst", kO_WRONLY | kO_APPEND);
  EXPECT_EQ(p.sendfile(app, src, 0, 4).error(), Errno::kEINVAL);
  const int dir = *p.open("/", kO_RDONLY | kO_DIRECTORY);
  EXPECT_EQ(p.sendfile(dst, dir, 0, 4).error(), Errno::kEINVAL);  // No ->splice_read.
}

TEST_F(SpliceTest, SendfileIntoAPipe) {
  auto [rd, wr] = *p.pipe2(0);
  EXPECT_EQ(*p.sendfile(wr, src, 0, 100), 10u);
  EXPECT_EQ(*p.read(rd, mem, 100), 10u);
}

TEST_F(SpliceTest, FileToPipeToFile) {
  auto [rd, wr] = *p.pipe2(0);
  set_loff(mem, 2);
  EXPECT_EQ(*p.splice(src, mem, wr, 0, 5, 0), 5u);
  EXPECT_EQ(loff(mem), 7);
  EXPECT_EQ(*p.lseek(src, 0, kSEEK_CUR), 0);
  EXPECT_EQ(*p.splice(rd, 0, dst, 0, 3, 0), 3u);  // What is left stays in the pipe.
  EXPECT_EQ(*p.splice(rd, 0, dst, 0, 100, 0), 2u);
  EXPECT_EQ(content(dst), "23456");
  EXPECT_EQ(*p.lseek(dst, 0, kSEEK_CUR), 5);
  // Empty with a writer: Linux would wait.
  EXPECT_EQ(p.splice(rd, 0, dst, 0, 100, 0).error(), Errno::kEAGAIN);
}

TEST_F(SpliceTest, PipeToPipe) {
  auto [r1, w1] = *p.pipe2(0);
  auto [r2, w2] = *p.pipe2(0);
  ASSERT_EQ(*host::write(p, w1, bytes("abc")), 3u);
  EXPECT_EQ(*p.splice(r1, 0, w2, 0, 100, 0), 3u);
  EXPECT_EQ(*p.read(r2, mem, 100), 3u);
  EXPECT_EQ(p.splice(r1, 0, w1, 0, 1, 0).error(), Errno::kEINVAL);  // The same pipe.
}

TEST_F(SpliceTest, SpliceChecks) {
  auto [rd, wr] = *p.pipe2(0);
  EXPECT_EQ(*p.splice(src, 0, wr, 0, 0, 0), 0u);  // len 0, before anything.
  EXPECT_EQ(p.splice(src, 0, wr, 0, 1, 0x10).error(), Errno::kEINVAL);
  EXPECT_EQ(p.splice(src, 0, dst, 0, 1, 0).error(), Errno::kEINVAL);  // No pipe.
  EXPECT_EQ(p.splice(rd, mem, dst, 0, 1, 0).error(), Errno::kESPIPE);
  EXPECT_EQ(p.splice(src, 0, wr, mem, 1, 0).error(), Errno::kESPIPE);
  EXPECT_EQ(p.splice(wr, 0, dst, 0, 1, 0).error(), Errno::kEBADF);  // The write end.
  const int app = *p.open("/dst", kO_WRONLY | kO_APPEND);
  ASSERT_EQ(*host::write(p, wr, bytes("x")), 1u);
  EXPECT_EQ(p.splice(rd, 0, app, 0, 1, 0).error(), Errno::kEINVAL);
}

TEST_F(SpliceTest, DevicesSpliceAsTheirDriversDo) {
  ASSERT_EQ(p.mknod("/null", kS_IFCHR | 0644, kDevNull), Errno::kOk);
  ASSERT_EQ(p.mknod("/zero", kS_IFCHR | 0644, kDevZero), Errno::kOk);
  const int null = *p.open("/null", kO_RDWR);
  const int zero = *p.open("/zero", kO_RDWR);
  auto [rd, wr] = *p.pipe2(0);
  EXPECT_EQ(p.splice(null, 0, wr, 0, 10, 0).error(), Errno::kEINVAL);  // No ->splice_read.
  EXPECT_EQ(*p.splice(zero, 0, wr, 0, 10, 0), 10u);
  EXPECT_EQ(*p.splice(rd, 0, null, 0, 4, 0), 4u);
  EXPECT_EQ(*p.sendfile(dst, zero, 0, 3), 3u);
  EXPECT_EQ(content(dst), std::string(3, '\0'));
  EXPECT_EQ(p.sendfile(dst, null, 0, 3).error(), Errno::kEINVAL);
}

}  // namespace
}  // namespace vfssim
