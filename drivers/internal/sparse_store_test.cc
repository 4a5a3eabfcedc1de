#include "drivers/internal/sparse_store.h"

#include <gtest/gtest.h>

#include <vector>

namespace vfssim {
namespace {

std::vector<std::byte> bytes(size_t n, uint8_t v) { return std::vector<std::byte>(n, std::byte{v}); }

TEST(SparseStoreTest, UnwrittenReadsZero) {
  SparseStore s;
  std::vector<std::byte> buf = bytes(100, 0xff);
  s.read(1ull << 40, buf);
  EXPECT_EQ(buf, bytes(100, 0));
  EXPECT_EQ(s.pages(), 0u);
}

TEST(SparseStoreTest, WriteAcrossPagesAtOneTerabyte) {
  SparseStore s;
  const uint64_t off = (1ull << 40) + 4000;
  s.write(off, bytes(200, 0xab));  // Straddles a page boundary.
  EXPECT_EQ(s.pages(), 2u);
  std::vector<std::byte> buf(210);
  s.read(off - 5, buf);
  EXPECT_EQ(buf[4], std::byte{0});
  EXPECT_EQ(buf[5], std::byte{0xab});
  EXPECT_EQ(buf[204], std::byte{0xab});
  EXPECT_EQ(buf[205], std::byte{0});
}

TEST(SparseStoreTest, ZeroFreesWholePagesAndClearsPartial) {
  SparseStore s;
  s.write(0, bytes(3 * 4096, 0x11));
  s.zero(100, 2 * 4096);  // Partial page 0, whole page 1, partial page 2.
  EXPECT_EQ(s.pages(), 2u);
  std::vector<std::byte> buf(3 * 4096);
  s.read(0, buf);
  EXPECT_EQ(buf[99], std::byte{0x11});
  EXPECT_EQ(buf[100], std::byte{0});
  EXPECT_EQ(buf[100 + 2 * 4096 - 1], std::byte{0});
  EXPECT_EQ(buf[100 + 2 * 4096], std::byte{0x11});
}

TEST(SparseStoreTest, EqualityTreatsZeroPagesAsAbsent) {
  SparseStore a, b;
  a.write(8192, bytes(4096, 0));
  EXPECT_TRUE(a == b);
  b.write(10, bytes(1, 7));
  EXPECT_FALSE(a == b);
  SparseStore c = b;
  EXPECT_TRUE(c == b);
  c.write(10, bytes(1, 8));
  EXPECT_FALSE(c == b);
}

}  // namespace
}  // namespace vfssim
