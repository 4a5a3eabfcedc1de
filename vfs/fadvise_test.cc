// posix_fadvise with offsets at the edges of loff_t (found by
// tests/crash_audit_test.cc under UBSan).

#include <gtest/gtest.h>

#include <climits>
#include <vector>

#include "drivers/blockdev.h"
#include "vfs/host_io.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

// On the iomap test fs (a backing device), POSIX_FADV_DONTNEED with a
// negative offset computed "LLONG_MAX - offset", which overflows. Linux
// passes the offset on and does nothing with it (its writeback range is
// empty, its first full page never comes): 0, and the cache stays.
TEST(FadviseTest, DontneedWithANegativeOffsetChangesNothing) {
  Machine m(1);
  SimBlockDevice disk(m, BlockDeviceConfig{});
  Vfs vfs(m);
  register_iomap_testfs(vfs);
  ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT, 0644);
  ASSERT_TRUE(host::pwrite(p, fd, std::vector<std::byte>(8192, std::byte{7}), 0));
  for (const off_t64 off : {off_t64{-1}, off_t64{LLONG_MIN}, off_t64{-4096}}) {
    EXPECT_EQ(p.fadvise(fd, off, LLONG_MAX, kPOSIX_FADV_DONTNEED), Errno::kOk) << off;
  }
  EXPECT_EQ((*p.file_inode(fd))->cache.nr_dirty(), 2u);
  EXPECT_EQ(p.fadvise(fd, 0, LLONG_MAX, kPOSIX_FADV_DONTNEED), Errno::kOk);
  EXPECT_EQ((*p.file_inode(fd))->cache.nr_pages(), 0u);
}

}  // namespace
}  // namespace vfssim
