#include "vfs/iomap.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/machine.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

// Maps [0, 12 KiB) as three 4 KiB extents: mapped, unwritten, hole.
class IomapIterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ip = fs.new_file();
    ip->size = 12288;
    map().put({.addr = 1 << 20, .offset = 0, .length = 4096, .type = IomapType::kMapped});
    map().put({.addr = 2 << 20, .offset = 4096, .length = 4096, .type = IomapType::kUnwritten});
  }
  ExtentMapOps& map() { return fs.map(*ip); }

  Machine m{1};
  IomapTestFs fs{m, false};
  InodeRef ip;
};

TEST_F(IomapIterTest, PositiveAdvanceWalksEveryMapping) {
  IomapIter iter{.inode = ip.get(), .pos = 1000, .len = 10000, .flags = kIomapReport};
  std::vector<std::pair<off_t64, uint64_t>> seen;
  std::vector<IomapType> types;
  int64_t ret;
  while ((ret = iomap_iter(iter, map())) > 0) {
    seen.emplace_back(iter.pos, iter.length());
    types.push_back(iter.iomap.type);
    iter.processed = static_cast<int64_t>(iter.length());
  }
  EXPECT_EQ(ret, 0);
  EXPECT_EQ(seen, (std::vector<std::pair<off_t64, uint64_t>>{{1000, 3096}, {4096, 4096}, {8192, 2808}}));
  EXPECT_EQ(types, (std::vector<IomapType>{IomapType::kMapped, IomapType::kUnwritten, IomapType::kHole}));
  EXPECT_EQ(iter.pos, 11000);
  EXPECT_EQ(iter.len, 0u);
  EXPECT_EQ(map().begins, 3);
  EXPECT_EQ(map().ends, 3);  // iomap_end once per mapping.
}

TEST_F(IomapIterTest, PartialAdvanceRemapsFromTheNewPosition) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.processed = 100;  // Less than the mapping: the next call maps again at 100.
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  EXPECT_EQ(iter.pos, 100);
  EXPECT_EQ(iter.length(), 3996u);
}

TEST_F(IomapIterTest, ZeroProcessedEndsTheLoop) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.processed = 0;
  EXPECT_EQ(iomap_iter(iter, map()), 0);
  EXPECT_EQ(iter.pos, 0);
  EXPECT_EQ(iter.len, 8192u);
  EXPECT_EQ(map().ends, 1);
}

TEST_F(IomapIterTest, NegativeProcessedPropagates) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.processed = neg(Errno::kENOSPC);
  EXPECT_EQ(iomap_iter(iter, map()), neg(Errno::kENOSPC));
  EXPECT_EQ(iomap_errno(neg(Errno::kENOSPC)), Errno::kENOSPC);
  EXPECT_EQ(map().ends, 1);  // iomap_end still ran.
}

// fs/iomap/iter.c (6.18): iomap_end's error ends the walk only when the
// actor advanced nothing and reported nothing; it never replaces the
// actor's error and is ignored after progress.
TEST_F(IomapIterTest, IomapEndErrorsFollowTheKernelsRules) {
  map().fail_end = [](off_t64, int64_t) { return Errno::kEIO; };
  IomapIter a{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(a, map()), 1);
  a.processed = neg(Errno::kENOSPC);
  EXPECT_EQ(iomap_iter(a, map()), neg(Errno::kENOSPC));  // The actor's error stands.
  IomapIter b{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(b, map()), 1);
  b.processed = 0;
  EXPECT_EQ(iomap_iter(b, map()), neg(Errno::kEIO));  // Nothing done: iomap_end's.
  IomapIter c{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(c, map()), 1);
  c.processed = static_cast<int64_t>(c.length());
  EXPECT_EQ(iomap_iter(c, map()), 1);  // After progress: ignored, the walk goes on.
  EXPECT_GT(c.pos, 0);
}

TEST_F(IomapIterTest, OverAdvanceIsRejected) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.processed = 4097;  // The mapping covers 4096.
  EXPECT_EQ(iomap_iter(iter, map()), neg(Errno::kEIO));
  EXPECT_EQ(iter.pos, 0);
}

TEST_F(IomapIterTest, BeginErrorPropagatesWithoutEnd) {
  map().fail_begin = [](off_t64 pos, uint32_t) {
    return pos >= 4096 ? Errno::kEIO : Errno::kOk;
  };
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.processed = 4096;
  EXPECT_EQ(iomap_iter(iter, map()), neg(Errno::kEIO));
  EXPECT_EQ(iter.pos, 4096);  // The first mapping's progress stands.
  EXPECT_EQ(map().ends, 1);
}

TEST_F(IomapIterTest, MappingsThatDoNotCoverPosAreRejected) {
  const Iomap bad[] = {
      {.offset = 100, .length = 4096, .type = IomapType::kHole},  // Starts after pos.
      {.offset = 0, .length = 0, .type = IomapType::kHole},       // Empty.
      {.offset = -4096, .length = 4096, .type = IomapType::kHole},  // Ends at pos.
  };
  for (const Iomap& b : bad) {
    map().bad_map = b;
    IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
    EXPECT_EQ(iomap_iter(iter, map()), neg(Errno::kEIO)) << b.offset << "+" << b.length;
  }
}

TEST_F(IomapIterTest, EmptyRequestIsDoneAtOnce) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 0, .flags = kIomapReport};
  EXPECT_EQ(iomap_iter(iter, map()), 0);
  EXPECT_EQ(map().begins, 0);
}

TEST_F(IomapIterTest, SrcmapDefaultsToIomapAndCarriesCowSource) {
  map().put({.addr = 3 << 20, .offset = 8192, .length = 4096, .type = IomapType::kMapped,
             .flags = kIomapFShared});
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 12288, .flags = kIomapWrite};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  EXPECT_FALSE(iter.has_srcmap());
  EXPECT_EQ(&iter.srcmap(), &iter.iomap);
  iter.processed = 4096;
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.processed = 4096;
  ASSERT_EQ(iomap_iter(iter, map()), 1);  // The shared extent: COW staged.
  EXPECT_TRUE(iter.has_srcmap());
  EXPECT_EQ(iter.iomap.type, IomapType::kDelalloc);
  EXPECT_TRUE(iter.iomap.flags & kIomapFShared);
  EXPECT_EQ(iter.srcmap().addr, 3u << 20);
}

// A walk over the page holding LLONG_MAX ends one past it: advancing pos
// there overflowed (UBSan, found by tests/crash_audit_test.cc through a
// buffered write of the last page). The walk ends; pos stays representable.
TEST_F(IomapIterTest, AWalkThatEndsPastLlongMaxEnds) {
  const off_t64 last = (kOffMax / 4096) * 4096;
  IomapIter iter{.inode = ip.get(), .pos = last, .len = 4096, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  EXPECT_EQ(iter.length(), 4096u);
  iter.processed = 4096;
  EXPECT_EQ(iomap_iter(iter, map()), 0);
  EXPECT_EQ(iter.len, 0u);
  EXPECT_EQ(iter.pos, last);
}

// The iomap test fs handed out blocks from ExtentMapOps::kFirstFree up
// without looking at the device: past its end every read and write was
// EIO. Allocation past the end is ENOSPC now, as a full filesystem says.
TEST(ExtentMapOpsTest, NoBlocksPastTheDevice) {
  Machine m(1);
  SimBlockDevice small(m, BlockDeviceConfig{.capacity_bytes = ExtentMapOps::kFirstFree + 8192});
  ExtentMapOps ops(&small, nullptr);
  EXPECT_EQ(ops.preallocate(0, 8192), Errno::kOk);
  EXPECT_EQ(ops.preallocate(8192, 4096), Errno::kENOSPC);
  EXPECT_EQ(ops.preallocate(1ull << 40, 1ull << 40), Errno::kENOSPC);
}

}  // namespace
}  // namespace vfssim
