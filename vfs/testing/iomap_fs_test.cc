// The iomap test filesystem at the end of the offset space, where the block
// holding the last byte ends one past LLONG_MAX (found by
// tests/crash_audit_test.cc's edge sweep: signed overflows, and a one-byte
// extent at an unaligned device address that every read of it refused).

#include "vfs/testing/iomap_fs.h"

#include <gtest/gtest.h>

#include <climits>
#include <vector>

#include "drivers/blockdev.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

class IomapFsEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/", Creds::root()), Errno::kOk);
    fd = *p.open("/f", kO_RDWR | kO_CREAT, 0644);
  }
  // last_byte reads the byte before EOF: 1, or the error.
  Result<uint64_t> last_byte() {
    std::vector<std::byte> one(1);
    return host::pread(p, fd, one, static_cast<off_t64>(p.fstat(fd)->size) - 1);
  }
  const ExtentMapOps& map() { return IomapTestVnodeOps::map(**p.file_inode(fd)); }

  Machine m{1};
  SimBlockDevice disk{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int fd = -1;
  static constexpr off_t64 kLastBlock = (LLONG_MAX / 4096) * 4096;
};

// Truncating to inside the last block rounded the size up past LLONG_MAX
// (overflow), and punching the blocks past EOF stopped at LLONG_MAX, leaving
// the last byte mapped alone.
TEST_F(IomapFsEdgeTest, TruncateInsideTheLastBlock) {
  // The last 4095 bytes (one more would pass LLONG_MAX: EINVAL).
  ASSERT_EQ(*host::pwrite(p, fd, std::vector<std::byte>(4095, std::byte{9}), kLastBlock), 4095u);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  ASSERT_EQ(map().extents().size(), 1u);
  ASSERT_EQ(p.ftruncate(fd, LLONG_MAX - 1), Errno::kOk);
  EXPECT_EQ(*last_byte(), 1u);
  ASSERT_EQ(p.ftruncate(fd, 0), Errno::kOk);
  EXPECT_TRUE(map().extents().empty())  // No one-byte extent at LLONG_MAX.
      << map().extents().begin()->first << " +" << map().extents().begin()->second.length;
  ASSERT_EQ(p.ftruncate(fd, LLONG_MAX), Errno::kOk);
  EXPECT_EQ(*last_byte(), 1u);  // A hole: zeros.
}

// PUNCH_HOLE of the last bytes rounded `off` up past LLONG_MAX; ZERO_RANGE
// ending at LLONG_MAX widened its end to 2^63 in a signed offset.
TEST_F(IomapFsEdgeTest, PunchAndZeroAtTheEnd) {
  ASSERT_EQ(p.ftruncate(fd, LLONG_MAX), Errno::kOk);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, LLONG_MAX - 1, 1),
            Errno::kOk);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_ZERO_RANGE, LLONG_MAX - 4096, 4096), Errno::kOk);
  EXPECT_EQ(*last_byte(), 1u);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE, kLastBlock, 4095),
            Errno::kOk);
  EXPECT_EQ(*last_byte(), 1u);
}

// INSERT_RANGE would shift an extent preallocated past EOF out of the
// offset space: EINVAL, as xfs_bmap_can_insert_extents says when the shift
// overflows.
TEST_F(IomapFsEdgeTest, InsertThatWouldShiftAnExtentPastTheEndIsEinval) {
  ASSERT_TRUE(host::pwrite(p, fd, std::vector<std::byte>(8192, std::byte{1}), 0));
  // Widened to its block, it ends one past LLONG_MAX.
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_KEEP_SIZE, kLastBlock, 4095), Errno::kOk);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_INSERT_RANGE, 0, 4096), Errno::kEINVAL);
  EXPECT_EQ(p.fstat(fd)->size, 8192u);
  // Shrinking the file frees the blocks past the new EOF, that one too.
  ASSERT_EQ(p.ftruncate(fd, 4096), Errno::kOk);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_INSERT_RANGE, 0, 4096), Errno::kOk);
  EXPECT_EQ(p.fstat(fd)->size, 8192u);
}

}  // namespace
}  // namespace vfssim
