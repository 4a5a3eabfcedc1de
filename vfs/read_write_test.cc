// copy_file_range's offsets at the edges of loff_t (found by
// tests/crash_audit_test.cc under UBSan).

#include <gtest/gtest.h>

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

// A negative destination offset made "s_maxbytes - pos" overflow before
// rw_verify_area said EINVAL.
TEST(CopyFileRangeTest, ANegativeDestinationOffsetIsEinval) {
  Machine m(1);
  SimBlockDevice disk(m, BlockDeviceConfig{});
  Vfs vfs(m);
  register_iomap_testfs(vfs);
  ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
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

}  // namespace
}  // namespace vfssim
