#include "drivers/internal/sparse_store.h"

#include <gtest/gtest.h>

#include <algorithm>
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

TEST(SparseStoreTest, ReadIntoHandsOverPagePiecesAndStopsWhereTheSinkDoes) {
  SparseStore s;
  s.write(4096, bytes(4096, 0x22));  // Page 1 only; pages 0 and 2 absent.
  std::vector<size_t> sizes;
  std::vector<std::byte> got;
  const uint64_t took = s.read_into(4000, 4096 + 200, [&](std::span<const std::byte> piece) {
    sizes.push_back(piece.size());
    got.insert(got.end(), piece.begin(), piece.end());
    return piece.size();
  });
  EXPECT_EQ(took, 4096u + 200);
  EXPECT_EQ(sizes, (std::vector<size_t>{96, 4096, 104}));
  EXPECT_EQ(got[95], std::byte{0});     // Absent page 0 reads as zeros.
  EXPECT_EQ(got[96], std::byte{0x22});
  EXPECT_EQ(got[96 + 4095], std::byte{0x22});
  EXPECT_EQ(got[96 + 4096], std::byte{0});
  // A sink that takes fewer bytes than it is given ends the read there.
  sizes.clear();
  EXPECT_EQ(s.read_into(0, 3 * 4096, [&](std::span<const std::byte> piece) {
              sizes.push_back(piece.size());
              return piece.size() / 2;
            }),
            2048u);
  EXPECT_EQ(sizes, (std::vector<size_t>{4096}));
  EXPECT_EQ(s.pages(), 1u);  // Reading allocates nothing.
}

TEST(SparseStoreTest, WriteFromLeavesWhatAFreshPageWasNotGivenAsZeros) {
  SparseStore s;
  uint64_t given = 0;
  const uint64_t filled = s.write_from(100, 8192, [&](std::span<std::byte> piece) {
    const uint64_t k = std::min<uint64_t>(piece.size(), 5000 - given);
    std::fill_n(piece.begin(), k, std::byte{0x44});
    given += k;
    return k;
  });
  EXPECT_EQ(filled, 5000u);
  EXPECT_EQ(s.pages(), 2u);
  std::vector<std::byte> buf(3 * 4096, std::byte{0xff});
  s.read(0, buf);
  EXPECT_EQ(buf[99], std::byte{0});
  EXPECT_EQ(buf[100], std::byte{0x44});
  EXPECT_EQ(buf[5099], std::byte{0x44});
  EXPECT_EQ(buf[5100], std::byte{0});  // Page 1's unfilled rest.
  EXPECT_EQ(buf[8191], std::byte{0});
  // A source that fills nothing of a page it was given fresh leaves none.
  EXPECT_EQ(s.write_from(5 * 4096, 4096, [](std::span<std::byte>) { return uint64_t{0}; }), 0u);
  EXPECT_EQ(s.pages(), 2u);
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
