// The XFS-like filesystem through the syscall layer.

#include <gtest/gtest.h>

#include "fs/xfs/testing.h"
#include "vfs/buffered_io.h"

namespace vfssim {
namespace {

class XfsTest : public XfsFixture {};

TEST_F(XfsTest, WriteReadBack) {
  int fd = create("/f");
  EXPECT_EQ(write_at(fd, 0, 10000, 'a'), 10000u);
  EXPECT_EQ(read_at(fd, 0, 10000), std::vector<std::byte>(10000, std::byte('a')));
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  EXPECT_EQ(read_at(fd, 5000, 10), std::vector<std::byte>(10, std::byte('a')));
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

class Xfs1kTest : public XfsFixture {
 protected:
  Xfs1kTest() : XfsFixture("-b size=1024") {}
};

TEST_F(Xfs1kTest, SubPageBlocksWriteBackAndReadBack) {
  int fd = create("/f");
  std::vector<std::byte> data(10000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(static_cast<uint8_t>('A' + i / 1024));
  ASSERT_EQ(*host::pwrite(p, fd, data, 0), 10000u);
  EXPECT_EQ(read_at(fd, 0, 10000), data);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  EXPECT_EQ(read_at(fd, 0, 10000), data);
  invalidate_inode_pages2_range(inode(fd), 0, 100, mount().iomap_ops());
  EXPECT_EQ(read_at(fd, 0, 10000), data);
}

}  // namespace
}  // namespace vfssim
