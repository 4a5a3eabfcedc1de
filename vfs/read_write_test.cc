// copy_file_range's offsets at the edges of loff_t (found by
// tests/crash_audit_test.cc under UBSan).

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <span>
#include <utility>
#include <vector>

#include "drivers/blockdev.h"
#include "vfs/host_io.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

// The iomap test filesystem on a block device at "/", and a root process.
class ReadWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/", Creds::root()), Errno::kOk);
  }
  Machine m{1};
  SimBlockDevice disk{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
};

// A negative destination offset made "s_maxbytes - pos" overflow before
// rw_verify_area said EINVAL.
TEST_F(ReadWriteTest, ANegativeDestinationOffsetIsEinval) {
  const int in = *p.open("/in", kO_RDWR | kO_CREAT, 0644);
  const int out = *p.open("/out", kO_RDWR | kO_CREAT, 0644);
  ASSERT_TRUE(host::pwrite(p, in, std::vector<std::byte>(100), 0));
  const uint64_t offs = host::staging(p, 16);
  // The host's answers (tmpfs, 6.18): -1 + 10 wraps as unsigned, EOVERFLOW;
  // the others EINVAL.
  const std::pair<off_t64, Errno> cases[] = {{-1, Errno::kEOVERFLOW},
                                             {LLONG_MIN, Errno::kEINVAL},
                                             {-4096, Errno::kEINVAL},
                                             {-1297036692682702841, Errno::kEINVAL}};
  for (const auto& [pout, want] : cases) {
    const off_t64 both[2] = {0, pout};
    ASSERT_EQ(p.store(offs, std::as_bytes(std::span(both))), std::nullopt);
    EXPECT_EQ(p.copy_file_range(in, offs, out, offs + 8, 10, 0).error(), want) << pout;
  }
}

// kernel_read reads as __kernel_read does: the file must be open for
// reading (EBADF), the range must pass rw_verify_area (EINVAL), and the
// bytes come straight into the kernel buffer, short at EOF; it is no
// syscall, so the clock does not move.
TEST_F(ReadWriteTest, KernelReadChecksTheModeAndRangeAndReadsToEof) {
  const int rw = *p.open("/f", kO_RDWR | kO_CREAT, 0644);
  std::vector<std::byte> data(5000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(i * 7);
  ASSERT_TRUE(host::pwrite(p, rw, data, 0));
  const int wo = *p.open("/f", kO_WRONLY);
  std::vector<std::byte> buf(8192);
  EXPECT_EQ(p.kernel_read(wo, buf, 0).error(), Errno::kEBADF);
  EXPECT_EQ(p.kernel_read(rw, buf, -1).error(), Errno::kEINVAL);
  EXPECT_EQ(p.kernel_read(rw, buf, LLONG_MAX - 10).error(), Errno::kEINVAL);
  EXPECT_EQ(p.kernel_read(99, buf, 0).error(), Errno::kEBADF);
  const uint64_t t = m.clock.now_ns();
  Result<uint64_t> n = p.kernel_read(rw, buf, 1000);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 4000u);
  EXPECT_TRUE(std::equal(data.begin() + 1000, data.end(), buf.begin()));
  EXPECT_EQ(*p.kernel_read(rw, buf, 6000), 0u);
  EXPECT_EQ(m.clock.now_ns(), t);
}

}  // namespace
}  // namespace vfssim
