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
    iter.status = iter.advance_full();
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
  EXPECT_EQ(iter.advance(100), 0);  // Less than the mapping: the next call maps again at 100.
  EXPECT_EQ(iter.pos, 100);  // The actor's advance moves pos at once (6.15 on).
  EXPECT_EQ(iter.length(), 3996u);
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  EXPECT_EQ(iter.pos, 100);
  EXPECT_EQ(iter.length(), 3996u);
}

TEST_F(IomapIterTest, AStepThatAdvancesNothingEndsTheLoop) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  EXPECT_EQ(iomap_iter(iter, map()), 0);
  EXPECT_EQ(iter.pos, 0);
  EXPECT_EQ(iter.len, 8192u);
  EXPECT_EQ(map().ends, 1);
}

TEST_F(IomapIterTest, AnErrorStatusPropagates) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.status = neg(Errno::kENOSPC);
  EXPECT_EQ(iomap_iter(iter, map()), neg(Errno::kENOSPC));
  EXPECT_EQ(iomap_errno(neg(Errno::kENOSPC)), Errno::kENOSPC);
  EXPECT_EQ(map().ends, 1);  // iomap_end still ran.
}

// An actor may advance part of the mapping and then fail: the progress
// stands (pos moved), iomap_end hears of it, and the walk ends with the
// actor's error.
TEST_F(IomapIterTest, PartialAdvanceThenAnErrorEndsWithTheErrorAndKeepsTheProgress) {
  std::vector<int64_t> written;
  map().fail_end = [&](off_t64, int64_t w) {
    written.push_back(w);
    return Errno::kOk;
  };
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  ASSERT_EQ(iter.advance(1000), 0);
  iter.status = neg(Errno::kEFAULT);
  EXPECT_EQ(iomap_iter(iter, map()), neg(Errno::kEFAULT));
  EXPECT_EQ(iter.pos, 1000);
  EXPECT_EQ(written, (std::vector<int64_t>{1000}));
}

// fs/iomap/iter.c (6.15 to 6.18, iomap_iter): "ret = ops->iomap_end(...);
// if (ret < 0 && !advanced) return ret;" comes before the status is
// looked at. So iomap_end's error ends a step that advanced nothing, even
// one whose actor failed on its own (the actor's error is replaced), and
// is ignored after any advance, where the actor's status, if any, stands.
TEST_F(IomapIterTest, IomapEndErrorsFollowTheKernelsRules) {
  map().fail_end = [](off_t64, int64_t) { return Errno::kEIO; };
  IomapIter a{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(a, map()), 1);
  a.status = neg(Errno::kENOSPC);
  EXPECT_EQ(iomap_iter(a, map()), neg(Errno::kEIO));  // Nothing advanced: iomap_end's.
  IomapIter b{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(b, map()), 1);
  EXPECT_EQ(iomap_iter(b, map()), neg(Errno::kEIO));  // Nothing done, no status: iomap_end's.
  IomapIter c{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(c, map()), 1);
  c.status = c.advance_full();
  EXPECT_EQ(iomap_iter(c, map()), 1);  // After progress: ignored, the walk goes on.
  EXPECT_GT(c.pos, 0);
  IomapIter d{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(d, map()), 1);
  ASSERT_EQ(d.advance(10), 0);
  d.status = neg(Errno::kENOSPC);
  EXPECT_EQ(iomap_iter(d, map()), neg(Errno::kENOSPC));  // Advanced: the actor's stands.
}

// iomap_iter_stop ends a short step as iomap_iter would: iomap_end hears
// the step's start and what was advanced, and its error is what the
// caller reports when the step advanced nothing, but not after progress.
TEST_F(IomapIterTest, StopEndsTheStepAndReportsIomapEndsErrorOnlyWithoutProgress) {
  std::vector<std::pair<off_t64, int64_t>> ends;
  map().fail_end = [&](off_t64 pos, int64_t w) {
    ends.emplace_back(pos, w);
    return Errno::kEIO;
  };
  IomapIter a{.inode = ip.get(), .pos = 100, .len = 8000, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(a, map()), 1);
  EXPECT_EQ(iomap_iter_stop(a, map(), 0, Errno::kEFAULT), Errno::kEIO);
  IomapIter b{.inode = ip.get(), .pos = 100, .len = 8000, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(b, map()), 1);
  EXPECT_EQ(iomap_iter_stop(b, map(), 50, Errno::kEFAULT), Errno::kEFAULT);
  EXPECT_EQ(b.pos, 150);
  EXPECT_EQ(b.len, 0u);
  EXPECT_EQ(ends, (std::vector<std::pair<off_t64, int64_t>>{{100, 0}, {100, 50}}));
}

TEST_F(IomapIterTest, OverAdvanceIsRejected) {
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.status = iter.advance(4097);  // The mapping covers 4096.
  EXPECT_EQ(iter.status, neg(Errno::kEIO));
  EXPECT_EQ(iomap_iter(iter, map()), neg(Errno::kEIO));
  EXPECT_EQ(iter.pos, 0);
}

TEST_F(IomapIterTest, BeginErrorPropagatesWithoutEnd) {
  map().fail_begin = [](off_t64 pos, uint32_t) {
    return pos >= 4096 ? Errno::kEIO : Errno::kOk;
  };
  IomapIter iter{.inode = ip.get(), .pos = 0, .len = 8192, .flags = kIomapReport};
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.status = iter.advance(4096);
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
  iter.status = iter.advance(4096);
  ASSERT_EQ(iomap_iter(iter, map()), 1);
  iter.status = iter.advance(4096);
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
  iter.status = iter.advance(4096);
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
