#include "fs/xfs/xfs_alloc.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

TEST(XfsAllocator, AgsCoverTheDeviceAndStartFree) {
  XfsAllocator a(4, 1000, 3500);
  EXPECT_EQ(a.free_blocks(), 3500u);
  ASSERT_EQ(a.free_extents().size(), 4u);
  EXPECT_EQ(a.free_extents()[3], (XfsExtent{3000, 500}));  // The short last AG.
  EXPECT_TRUE(a.check().empty());
}

TEST(XfsAllocator, ExactGoalThenNearThenBestFit) {
  XfsAllocator a(1, 1000, 1000);
  a.reserve(0, 10);
  // Exact: the goal itself is free.
  EXPECT_EQ(*a.alloc(100, 1, 10), (XfsExtent{100, 10}));
  // The goal is now used: the nearest extent holding all 10 blocks.
  EXPECT_EQ(*a.alloc(105, 1, 10), (XfsExtent{110, 10}));
  // Carve [200, 205) free between used blocks, then ask with no goal in
  // the AG: the smallest extent that fits, not the first or the largest.
  ASSERT_TRUE(a.alloc(120, 80, 80));   // [120, 200)
  ASSERT_TRUE(a.alloc(205, 100, 100)); // [205, 305)
  EXPECT_EQ(*a.alloc(5000, 5, 5), (XfsExtent{200, 5}));
  EXPECT_EQ(*a.alloc(5000, 6, 6), (XfsExtent{10, 6}));  // [10, 100) before [305, 1000).
  EXPECT_TRUE(a.check().empty());
}

TEST(XfsAllocator, FreedBlocksMergeAndAreReused) {
  XfsAllocator a(1, 100, 100);
  XfsExtent e1 = *a.alloc(0, 10, 10);
  XfsExtent e2 = *a.alloc(10, 10, 10);
  EXPECT_EQ(e2.start, 10u);
  a.free(e1.start, e1.len);
  a.free(e2.start, e2.len);
  EXPECT_EQ(a.free_blocks(), 100u);
  EXPECT_EQ(a.busy_blocks(), 20u);
  // Busy: the next allocation goes elsewhere.
  XfsExtent e3 = *a.alloc(0, 20, 20);
  EXPECT_EQ(e3, (XfsExtent{20, 20}));
  a.free(e3.start, e3.len);
  a.flush_busy();  // The log is forced: the frees may be reused.
  EXPECT_EQ(a.free_extents().size(), 1u);  // Merged back into one.
  EXPECT_EQ(*a.alloc(0, 20, 20), (XfsExtent{0, 20}));
  EXPECT_TRUE(a.check().empty());
}

// A taken piece from the middle of a free extent leaves both sides free;
// given back, it joins both into one record again (xfs_free_ag_extent's
// left and right neighbour merge).
TEST(XfsAllocator, MiddlePieceTakenAndReturnedRejoinsBothSides) {
  XfsAllocator a(1, 100, 100);
  EXPECT_EQ(*a.alloc(40, 10, 10), (XfsExtent{40, 10}));
  EXPECT_EQ(a.free_extents(), (std::vector<XfsExtent>{{0, 40}, {50, 50}}));
  EXPECT_TRUE(a.check().empty());
  a.free(40, 10);
  a.flush_busy();
  EXPECT_EQ(a.free_extents(), (std::vector<XfsExtent>{{0, 100}}));
  EXPECT_EQ(a.longest_free(), 100u);
  EXPECT_TRUE(a.check().empty());
  // Joining only the left, then only the right neighbour.
  ASSERT_TRUE(a.alloc(0, 100, 100));
  a.free(0, 10);
  a.flush_busy();
  a.free(10, 5);
  a.flush_busy();
  a.free(30, 5);
  a.flush_busy();
  a.free(25, 5);
  a.flush_busy();
  EXPECT_EQ(a.free_extents(), (std::vector<XfsExtent>{{0, 15}, {25, 10}}));
  EXPECT_TRUE(a.check().empty());
}

TEST(XfsAllocator, BusyExtentsAreUsedWhenNothingElseIsLeft) {
  XfsAllocator a(1, 100, 100);
  XfsExtent all = *a.alloc(0, 100, 100);
  a.free(all.start, 10);
  EXPECT_EQ(*a.alloc(0, 10, 10), (XfsExtent{0, 10}));  // xfs_extent_busy_flush.
  EXPECT_EQ(a.busy_blocks(), 0u);
  EXPECT_TRUE(a.check().empty());
}

TEST(XfsAllocator, PartialThenEnospc) {
  XfsAllocator a(2, 50, 100);
  ASSERT_TRUE(a.alloc(0, 50, 50));
  // 60 contiguous blocks exist nowhere; minlen 1 takes the largest piece.
  EXPECT_EQ(*a.alloc(0, 1, 60), (XfsExtent{50, 50}));
  EXPECT_EQ(a.alloc(0, 1, 1).error(), Errno::kENOSPC);
  EXPECT_TRUE(a.check().empty());
}

TEST(XfsAllocator, GoalInAnotherAgStartsThere) {
  XfsAllocator a(4, 100, 400);
  EXPECT_EQ(a.alloc(250, 5, 5)->start, 250u);
  EXPECT_EQ(a.agno_of(a.alloc(260, 5, 5)->start), 2u);
}

}  // namespace
}  // namespace vfssim
