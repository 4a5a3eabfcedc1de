// mmap, munmap and msync against the limits of the address space (found by
// tests/crash_audit_test.cc; each answer is the host kernel's, 6.18).

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "drivers/blockdev.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

class MmapSyscallsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/", Creds::root()), Errno::kOk);
    fd = *p.open("/f", kO_RDWR | kO_CREAT, 0644);
    ASSERT_TRUE(host::pwrite(p, fd, std::vector<std::byte>(8192, std::byte{1}), 0));
    at = *p.mmap(0, 8192, kProtRead | kProtWrite, kMAP_SHARED, fd, 0);
  }

  Machine m{1};
  SimBlockDevice disk{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int fd = -1;
  uint64_t at = 0;
};

// msync walked its range page by page, unmapped pages included: a length
// of 2^63 took 2^51 steps. It walks the VMAs now, as Linux does.
TEST_F(MmapSyscallsTest, MsyncOfAHugeRangeEndsAtOnce) {
  EXPECT_EQ(p.msync(at, 1ull << 63, kMS_SYNC), Errno::kENOMEM);  // Runs out of VMAs.
  EXPECT_EQ(p.msync(at, UINT64_MAX, kMS_SYNC), Errno::kOk);      // Rounds to 0.
  EXPECT_EQ(p.msync(at, UINT64_MAX - 8191, kMS_SYNC), Errno::kENOMEM);  // end < start.
  EXPECT_EQ(p.msync(at, 0, kMS_SYNC), Errno::kOk);
  EXPECT_EQ(p.msync(at, 8192, kMS_SYNC), Errno::kOk);
}

TEST_F(MmapSyscallsTest, MsyncSkipsHolesAndSaysEnomemAfter) {
  // A hole before the mapping: synced, then ENOMEM; plain MS_ASYNC says
  // ENOMEM at the hole.
  EXPECT_EQ(p.msync(at - 4096, 4096 + 8192, kMS_SYNC), Errno::kENOMEM);
  EXPECT_EQ(p.msync(at - 4096, 4096 + 8192, kMS_ASYNC), Errno::kENOMEM);
  EXPECT_EQ(p.msync(at + 8192 * 16, 4096, kMS_SYNC), Errno::kENOMEM);  // Nothing there.
}

// A length that wraps past the top of memory made the address space erase
// a page-table range whose end came before its start (undefined).
TEST_F(MmapSyscallsTest, MunmapOfARangePastTaskSizeIsEinval) {
  EXPECT_EQ(p.munmap(at, UINT64_MAX - 8191), Errno::kEINVAL);
  EXPECT_EQ(p.munmap(at, 1ull << 63), Errno::kEINVAL);
  EXPECT_EQ(p.munmap(0xffff800000000000ull, 4096), Errno::kEINVAL);
  EXPECT_EQ(p.munmap(at, kTaskSize), Errno::kEINVAL);
  EXPECT_EQ(p.munmap(at, 0), Errno::kEINVAL);
  EXPECT_EQ(p.munmap(at, 8192), Errno::kOk);
}

// Mappings at or past TASK_SIZE, or longer than it, are ENOMEM
// (__get_unmapped_area), before a fixed address's alignment.
TEST_F(MmapSyscallsTest, MmapPastTaskSizeIsEnomem) {
  const int anon = kMAP_PRIVATE | kMAP_ANONYMOUS;
  EXPECT_EQ(p.mmap(0, 1ull << 63, kProtRead, anon, -1, 0).error(), Errno::kENOMEM);
  EXPECT_EQ(p.mmap(0, kTaskSize + 4096, kProtRead, anon, -1, 0).error(), Errno::kENOMEM);
  EXPECT_EQ(p.mmap(0x800000000000ull, 4096, kProtRead, anon | kMAP_FIXED, -1, 0).error(),
            Errno::kENOMEM);
  EXPECT_EQ(p.mmap(kTaskSize, 4096, kProtRead, anon | kMAP_FIXED, -1, 0).error(), Errno::kENOMEM);
  EXPECT_EQ(p.mmap(kTaskSize - 8192, 8192 + 4096, kProtRead, anon | kMAP_FIXED, -1, 0).error(),
            Errno::kENOMEM);
  EXPECT_EQ(p.mmap(kTaskSize + 1, 4096, kProtRead, anon | kMAP_FIXED, -1, 0).error(),
            Errno::kENOMEM);
  // Room runs out instead of the allocator wrapping into the kernel half.
  Result<uint64_t> big = p.mmap(0, 1ull << 46, kProtRead, anon, -1, 0);
  while (big) big = p.mmap(0, 1ull << 46, kProtRead, anon, -1, 0);
  EXPECT_EQ(big.error(), Errno::kENOMEM);
}

}  // namespace
}  // namespace vfssim
