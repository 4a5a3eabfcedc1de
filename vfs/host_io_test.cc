#include "vfs/host_io.h"

#include <gtest/gtest.h>

#include <vector>

#include "fs/shmfs/shmfs.h"
#include "sim/testing/bytes.h"
#include "vfs/mmap.h"

namespace vfssim {
namespace {

class HostIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_shmfs(vfs);
    ASSERT_EQ(vfs.mount("shmfs", nullptr, "", "/", Creds::root()), Errno::kOk);
    fd = *p.open("/f", kO_RDWR | kO_CREAT);
  }
  Machine m{1};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int fd = -1;
};

TEST_F(HostIoTest, StagesThroughTheProcessesOwnMemory) {
  ASSERT_EQ(*host::pwrite(p, fd, fill(10000, 3), 0), 10000u);
  // The bytes passed through the staging mapping in the process.
  const Vma* vma = p.mm().find_vma(host::kStagingBase);
  ASSERT_NE(vma, nullptr);
  EXPECT_GE(vma->end - vma->start, 10000u);
  std::vector<std::byte> staged(16);
  ASSERT_FALSE(p.mm().load(host::kStagingBase, staged));
  EXPECT_EQ(staged, fill(16, 3));
  std::vector<std::byte> back(10000);
  EXPECT_EQ(*host::pread(p, fd, back, 0), 10000u);
  EXPECT_EQ(back, fill(10000, 3));
  // A short read copies back only what the call returned.
  std::vector<std::byte> tail(100, std::byte{9});
  EXPECT_EQ(*host::pread(p, fd, tail, 9950), 50u);
  EXPECT_EQ(std::vector<std::byte>(tail.begin() + 50, tail.end()), fill(50, 9));
}

TEST_F(HostIoTest, VectorsAndRangesRoundTrip) {
  std::vector<std::byte> a = fill(3, 'a'), b = fill(5, 'b');
  const host::IoVec out[] = {{a.data(), a.size()}, {b.data(), b.size()}};
  ASSERT_EQ(*host::pwritev2(p, fd, out, 0, 0), 8u);
  std::vector<std::byte> x(5), y(3);
  const host::IoVec in[] = {{x.data(), x.size()}, {y.data(), y.size()}};
  ASSERT_EQ(*host::preadv2(p, fd, in, 0, 0), 8u);
  EXPECT_EQ(x, (std::vector<std::byte>{a[0], a[1], a[2], b[0], b[1]}));
  EXPECT_EQ(y, fill(3, 'b'));
  // fspacectl: a call that fails before writing rmsr leaves its old value.
  SpacectlRange rm{-7, -7};
  EXPECT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, nullptr, 0, &rm), Errno::kEFAULT);
  EXPECT_EQ(rm, (SpacectlRange{-7, -7}));
  const SpacectlRange rq{0, 4};
  EXPECT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(rm, (SpacectlRange{4, 0}));
  uint32_t flags = 0xffffffff;
  EXPECT_EQ(host::ioctl(p, fd, kFS_IOC_GETFLAGS, &flags), Errno::kOk);
  EXPECT_EQ(flags, 0u);
}

// pwrite_direct sets O_DIRECT for the one call only; mstore's store lands
// in the file up to the first page wholly past EOF, which is SIGBUS there.
TEST_F(HostIoTest, DirectWritesAndStoresThroughAMapping) {
  const int before = *p.fcntl_getfl(fd);
  ASSERT_EQ(*host::pwrite_direct(p, fd, fill(6000, 5), 0), 6000u);
  EXPECT_EQ(*p.fcntl_getfl(fd), before);
  host::MstoreResult m = host::mstore(p, fd, 100, fill(50, 6));
  EXPECT_EQ(m.stored, 50u);
  EXPECT_EQ(m.signal, 0);
  EXPECT_EQ(m.err, Errno::kOk);
  m = host::mstore(p, fd, 8000, fill(500, 7));  // EOF is 6000: page 2 starts at 8192.
  EXPECT_EQ(m.stored, 192u);
  EXPECT_EQ(m.signal, kSIGBUS);
  std::vector<std::byte> back(8192);
  ASSERT_EQ(*host::pread(p, fd, back, 0), 6000u);
  EXPECT_EQ(std::vector<std::byte>(back.begin() + 100, back.begin() + 150), fill(50, 6));
  m = host::mstore(p, fd, -1, fill(1, 0));
  EXPECT_EQ(m.err, Errno::kEINVAL);
  EXPECT_EQ(m.call, "mmap");
}

}  // namespace
}  // namespace vfssim
