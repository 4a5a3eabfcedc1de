// The XFS-like filesystem through the syscall layer.

#include <gtest/gtest.h>

#include "fs/xfs/testing.h"

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
