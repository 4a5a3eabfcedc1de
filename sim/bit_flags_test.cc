#include "sim/bit_flags.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace vfssim {
namespace {

enum class Color : uint8_t { kRed = 1, kGreen = 2, kBlue = 4 };
using Colors = BitFlags<Color>;

TEST(BitFlagsTest, SetClearHasAndCompare) {
  Colors c;
  EXPECT_TRUE(c.empty());
  c.set(Color::kRed).set(Color::kBlue);
  EXPECT_TRUE(c.has(Color::kRed));
  EXPECT_FALSE(c.has(Color::kGreen));
  EXPECT_EQ(c.bits(), 5);
  c.clear(Color::kRed);
  EXPECT_EQ(c, Colors(Color::kBlue));
  EXPECT_EQ(Colors(Color::kRed) | Color::kGreen, Colors(Color::kGreen) | Color::kRed);
}

}  // namespace
}  // namespace vfssim
