#include "harness/range_set.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

TEST(RangeSet, AddMergesRemoveSplits) {
  RangeSet s;
  EXPECT_TRUE(s.empty());
  s.add(10, 20);
  s.add(20, 25);  // Touching: merged.
  s.add(30, 40);
  EXPECT_TRUE(s.contains(10));
  EXPECT_TRUE(s.contains(24));
  EXPECT_FALSE(s.contains(25));
  EXPECT_EQ(s.first_in(0, 100), 10u);
  EXPECT_EQ(s.first_in(25, 100), 30u);
  EXPECT_EQ(s.first_in(25, 30), 30u);  // None in [25, 30): the end.
  EXPECT_EQ(s.total(), 25u);
  s.remove(12, 35);
  EXPECT_EQ(s.total(), 7u);  // [10, 12) [35, 40).
  EXPECT_TRUE(s.contains(11));
  EXPECT_FALSE(s.contains(12));
  EXPECT_FALSE(s.contains(34));
  EXPECT_TRUE(s.contains(35));
  s.add(0, RangeSet::kEnd);
  s.remove(5, 6);
  EXPECT_FALSE(s.contains(5));
  EXPECT_TRUE(s.contains(RangeSet::kEnd - 1));
}

TEST(RangeSet, ShiftMovesEverythingFromAPoint) {
  RangeSet s;
  s.add(0, 10);
  s.add(20, 30);
  s.shift(5, 100);  // [0, 5) stays; [5, 10) and [20, 30) move up.
  EXPECT_TRUE(s.contains(4));
  EXPECT_FALSE(s.contains(5));
  EXPECT_TRUE(s.contains(105));
  EXPECT_TRUE(s.contains(129));
  EXPECT_FALSE(s.contains(130));
  s.remove(5, 105);
  s.shift(105, -100);  // Back down: merges with [0, 5).
  EXPECT_EQ(s.first_in(0, 100), 0u);
  EXPECT_TRUE(s.contains(9));
  EXPECT_FALSE(s.contains(10));
  EXPECT_TRUE(s.contains(20));
  s.add(50, RangeSet::kEnd);
  s.shift(50, 10);
  EXPECT_FALSE(s.contains(55));
  EXPECT_TRUE(s.contains(RangeSet::kEnd - 1));
}

}  // namespace
}  // namespace vfssim
