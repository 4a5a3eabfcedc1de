#include "vfs/lseek.h"

#include <gtest/gtest.h>

#include <climits>
#include <vector>

#include "drivers/blockdev.h"
#include "vfs/host_io.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

constexpr off_t64 kMax = 1000;

TEST(GenericFileLlseekSize, SetEndAndCurAgainstTheLimit) {
  EXPECT_EQ(*generic_file_llseek_size(5, 1000, kSEEK_SET, kMax, 10), 1000);
  EXPECT_EQ(generic_file_llseek_size(5, 1001, kSEEK_SET, kMax, 10).error(), Errno::kEINVAL);
  EXPECT_EQ(generic_file_llseek_size(5, -1, kSEEK_SET, kMax, 10).error(), Errno::kEINVAL);
  EXPECT_EQ(*generic_file_llseek_size(5, -10, kSEEK_END, kMax, 10), 0);
  EXPECT_EQ(generic_file_llseek_size(5, -11, kSEEK_END, kMax, 10).error(), Errno::kEINVAL);
  EXPECT_EQ(*generic_file_llseek_size(5, 3, kSEEK_CUR, kMax, 10), 8);
  EXPECT_EQ(generic_file_llseek_size(5, -6, kSEEK_CUR, kMax, 10).error(), Errno::kEINVAL);
}

TEST(GenericFileLlseekSize, CurZeroReturnsThePositionUnchecked) {
  // "lseek(fd, 0, SEEK_CUR) position-querying": even a position past the
  // limit (a filesystem whose s_maxbytes shrank under an open file) answers.
  EXPECT_EQ(*generic_file_llseek_size(5000, 0, kSEEK_CUR, kMax, 10), 5000);
}

TEST(GenericFileLlseekSize, OverflowWrapsNegative) {
  EXPECT_EQ(generic_file_llseek_size(100, LLONG_MAX, kSEEK_CUR, LLONG_MAX, 0).error(),
            Errno::kEINVAL);
  EXPECT_EQ(generic_file_llseek_size(0, LLONG_MAX, kSEEK_END, LLONG_MAX, 10).error(),
            Errno::kEINVAL);
  EXPECT_EQ(*generic_file_llseek_size(0, LLONG_MAX - 10, kSEEK_END, LLONG_MAX, 10), LLONG_MAX);
}

TEST(GenericFileLlseekSize, WholeFileIsDataWithAHoleAtEof) {
  EXPECT_EQ(*generic_file_llseek_size(0, 3, kSEEK_DATA, kMax, 10), 3);
  EXPECT_EQ(*generic_file_llseek_size(0, 3, kSEEK_HOLE, kMax, 10), 10);
  EXPECT_EQ(generic_file_llseek_size(0, 10, kSEEK_DATA, kMax, 10).error(), Errno::kENXIO);
  EXPECT_EQ(generic_file_llseek_size(0, 10, kSEEK_HOLE, kMax, 10).error(), Errno::kENXIO);
  // The comparison is unsigned: a negative offset is past any EOF.
  EXPECT_EQ(generic_file_llseek_size(0, -1, kSEEK_DATA, kMax, 10).error(), Errno::kENXIO);
  EXPECT_EQ(generic_file_llseek_size(0, 0, 7, kMax, 10).error(), Errno::kEINVAL);
}

TEST(VfsSetpos, Bounds) {
  EXPECT_EQ(*vfs_setpos(0, 0), 0);
  EXPECT_EQ(vfs_setpos(1, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(vfs_setpos(-1, 10).error(), Errno::kEINVAL);
}

class LseekSyscallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &bdev, "", "/", Creds::root()), Errno::kOk);
    fd = *p.open("/f", kO_RDWR | kO_CREAT, 0644);
    ASSERT_EQ(*host::pwrite(p, fd, std::vector<std::byte>(100, std::byte{'x'}), 0), 100u);
  }
  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int fd = -1;
};

TEST_F(LseekSyscallTest, TheFilesystemsLimitIsS_maxbytes) {
  // The limit is the superblock's, as generic_file_llseek passes it.
  p.file_inode(fd).value()->sb->maxbytes = 4096;
  EXPECT_EQ(*p.lseek(fd, 4096, kSEEK_SET), 4096);
  EXPECT_EQ(p.lseek(fd, 4097, kSEEK_SET).error(), Errno::kEINVAL);
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_CUR), 4096);  // A failed seek leaves the position.
}

TEST_F(LseekSyscallTest, WhenceBeforeEspipe) {
  ASSERT_EQ(p.mkfifo("/p", 0644), Errno::kOk);
  const int f = *p.open("/p", kO_RDWR | kO_NONBLOCK);
  EXPECT_EQ(p.lseek(f, 0, 5).error(), Errno::kEINVAL);
  EXPECT_EQ(p.lseek(f, 0, -1).error(), Errno::kEINVAL);
  EXPECT_EQ(p.lseek(f, 0, kSEEK_SET).error(), Errno::kESPIPE);
  EXPECT_EQ(p.lseek(1000, 0, 5).error(), Errno::kEBADF);
}

TEST_F(LseekSyscallTest, SeekDataMovesThePositionOnlyOnSuccess) {
  EXPECT_EQ(*p.lseek(fd, 10, kSEEK_SET), 10);
  EXPECT_EQ(p.lseek(fd, 100, kSEEK_DATA).error(), Errno::kENXIO);
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_CUR), 10);
  EXPECT_EQ(*p.lseek(fd, 50, kSEEK_HOLE), 100);
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_CUR), 100);
}

}  // namespace
}  // namespace vfssim
