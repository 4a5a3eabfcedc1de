// The kiocb paths through the syscalls: O_DIRECT to the device and past the
// page cache, O_SYNC/O_DSYNC/RWF_*SYNC writing back before the call
// returns, RWF_NOWAIT answering EAGAIN where XFS and ext4 do (host probe
// tests/probes/fixtures/nowait_dio.jsonl), DAX copies through user memory.

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "nlohmann/json.hpp"
#include "sim/testing/bytes.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

constexpr uint64_t kPage = 4096;

class CopyLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &bdev, "", "/", Creds::root()), Errno::kOk);
    buf = *p.mmap(0, 4 * kPage, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    ASSERT_FALSE(p.store(buf, fill(4 * kPage, '.')));
  }
  Inode& inode(int fd) { return **p.file_inode(fd); }
  // device_holds: the block device has `want` where the file's page 0 went.
  std::vector<std::byte> device_page(int fd) {
    const Iomap m = IomapTestVnodeOps::map(inode(fd)).lookup(0, kPage);
    std::vector<std::byte> out(kPage);
    EXPECT_EQ(m.type, IomapType::kMapped);
    EXPECT_EQ(bdev.read(m.addr >> kSectorShift, out).err, Errno::kOk);
    return out;
  }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  uint64_t buf = 0;
};

TEST_F(CopyLayerTest, BufferedWritesStayDirtyUntilSyncFlagsWriteThemBack) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*p.pwrite(fd, buf, kPage, 0), kPage);
  EXPECT_EQ(inode(fd).cache.nr_dirty(), 1u);  // Plain: dirty in the cache.
  ASSERT_EQ(p.fsync(fd), Errno::kOk);

  for (int oflag : {kO_SYNC, kO_DSYNC}) {
    const int sfd = *p.open("/f", kO_RDWR | oflag);
    ASSERT_EQ(*p.pwrite(sfd, buf, kPage, 0), kPage);
    EXPECT_EQ(inode(sfd).cache.nr_dirty(), 0u) << oflag;  // generic_write_sync.
    EXPECT_EQ(device_page(sfd), fill(kPage, '.'));
    p.close(sfd);
  }
  for (int rwf : {kRWF_SYNC, kRWF_DSYNC}) {
    ASSERT_FALSE(p.store(buf, fill(kPage, rwf)));
    const UserIovec iov{buf, kPage};
    ASSERT_FALSE(p.store(buf + 2 * kPage, std::as_bytes(std::span(&iov, 1))));
    ASSERT_EQ(*p.pwritev2(fd, buf + 2 * kPage, 1, 0, rwf), kPage);
    EXPECT_EQ(inode(fd).cache.nr_dirty(), 0u) << rwf;
    EXPECT_EQ(device_page(fd), fill(kPage, rwf));
  }
}

TEST_F(CopyLayerTest, DirectIoGoesToTheDeviceAndPastTheCache) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_DIRECT);
  ASSERT_EQ(*p.pwrite(fd, buf, kPage, 0), kPage);
  EXPECT_EQ(inode(fd).cache.nr_pages(), 0u);
  EXPECT_EQ(device_page(fd), fill(kPage, '.'));
  ASSERT_FALSE(p.store(buf, fill(kPage, 0)));
  ASSERT_EQ(*p.pread(fd, buf, kPage, 0), kPage);
  EXPECT_EQ(inode(fd).cache.nr_pages(), 0u);
  std::vector<std::byte> got(kPage);
  ASSERT_FALSE(p.load(buf, got));
  EXPECT_EQ(got, fill(kPage, '.'));
  // The device's 512-byte logical blocks set the alignment (EINVAL otherwise).
  EXPECT_EQ(p.pwrite(fd, buf + 1, 512, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(p.pwrite(fd, buf, 100, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(p.pread(fd, buf, 512, 100).error(), Errno::kEINVAL);
  EXPECT_EQ(*p.pread(fd, buf + 512, 512, 512), 512u);
  // F_SETFL can turn it off; the same descriptor then goes through the cache.
  ASSERT_EQ(p.fcntl_setfl(fd, 0), Errno::kOk);
  ASSERT_EQ(*p.pwrite(fd, buf, 100, 0), 100u);
  EXPECT_EQ(inode(fd).cache.nr_dirty(), 1u);
}

TEST_F(CopyLayerTest, NowaitDirectIoAnswersAsXfsAndExt4) {
  std::ifstream in("tests/probes/fixtures/nowait_dio.jsonl");
  ASSERT_TRUE(in) << "fixture missing";
  std::map<std::string, nlohmann::json> want;  // The xfs rows.
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line);
    if (j.value("fs", "") == "xfs") want[j["case"]] = j;
  }
  ASSERT_EQ(want.size(), 5u);
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_DIRECT);
  ASSERT_EQ(p.ftruncate(fd, 1 << 20), Errno::kOk);
  const UserIovec iov{buf, kPage};
  ASSERT_FALSE(p.store(buf + 2 * kPage, std::as_bytes(std::span(&iov, 1))));
  auto check = [&](const std::string& name, Result<uint64_t> r) {
    EXPECT_EQ(r ? static_cast<int64_t>(*r) : -1, want[name]["ret"].get<int64_t>()) << name;
    EXPECT_EQ(r ? "" : std::string(errno_name(r.error())), want[name]["errno"]) << name;
  };
  const uint64_t v = buf + 2 * kPage;
  check("dio_nowait_write_hole", p.pwritev2(fd, v, 1, 8192, kRWF_NOWAIT));
  check("dio_fill", p.pwrite(fd, buf, kPage, 8192));
  check("dio_nowait_write_overwrite", p.pwritev2(fd, v, 1, 8192, kRWF_NOWAIT));
  check("dio_nowait_read_mapped", p.preadv2(fd, v, 1, 8192, kRWF_NOWAIT));
  check("dio_nowait_read_hole", p.preadv2(fd, v, 1, 65536, kRWF_NOWAIT));
}

// DAX copies between pmem and the caller's buffer through the iterator: a
// buffer that runs into an unmapped page moves the bytes before it
// (dax_iomap_rw: "return done ? done : ret").
TEST(DaxCopyTest, ShortCountAtTheFirstUnmappedUserPage) {
  Machine m(1);
  PmemDevice pmem(m, PmemConfig{});
  Vfs vfs(m);
  register_iomap_testfs(vfs);
  ASSERT_EQ(vfs.mount("iomaptest", &pmem, "dax", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_TRUE((**p.file_inode(fd)).flags & kInodeDax);
  const uint64_t buf =
      *p.mmap(0, 3 * kPage, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_FALSE(p.store(buf, fill(3 * kPage, 'x')));
  ASSERT_EQ(p.munmap(buf + kPage, kPage), Errno::kOk);
  EXPECT_EQ(*p.pwrite(fd, buf + kPage - 100, 200, 0), 100u);
  EXPECT_EQ(p.fstat(fd)->size, 100u);
  EXPECT_EQ(p.pwrite(fd, buf + kPage, 200, 0).error(), Errno::kEFAULT);
  std::vector<std::byte> whole(8192, std::byte{'y'});
  ASSERT_EQ(*host::pwrite(p, fd, whole, 0), 8192u);
  EXPECT_EQ(*p.pread(fd, buf + kPage - 100, 8192, 0), 100u);
  std::vector<std::byte> got(100);
  ASSERT_FALSE(p.load(buf + kPage - 100, got));
  EXPECT_EQ(got, fill(100, 'y'));
}

}  // namespace
}  // namespace vfssim
