#include "vfs/dax.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/machine.h"
#include "sim/testing/bytes.h"
#include "vfs/testing/iomap_fs.h"
#include "vfs/testing/kvec_io.h"

namespace vfssim {
namespace {

constexpr uint64_t kAddr = 1 << 20;

class DaxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ip->size = 3 * 4096;
    map().put({.addr = kAddr, .offset = 0, .length = 8192, .type = IomapType::kMapped});
    map().put({.addr = kAddr + 8192, .offset = 8192, .length = 4096, .type = IomapType::kUnwritten});
    fs.pmem().memcpy_flushcache(kAddr, fill(8192, 5));
  }
  ExtentMapOps& map() { return fs.map(*ip); }

  Machine m{1};
  IomapTestFs fs{m, true};
  InodeRef ip = fs.new_file();
};

TEST_F(DaxTest, ReadCopiesFromPmemAndZeroFillsUnwritten) {
  std::vector<std::byte> buf(3 * 4096);
  IoResult r = kvec::dax_iomap_read(*ip, 0, buf, map());
  EXPECT_EQ(r.done, 3u * 4096);
  EXPECT_EQ(r.err, Errno::kOk);
  auto want = fill(3 * 4096, 0);
  std::fill(want.begin(), want.begin() + 8192, std::byte{5});
  EXPECT_EQ(buf, want);
  EXPECT_EQ(ip->cache.nr_pages(), 0u);  // No page cache under DAX.
}

TEST_F(DaxTest, ReadStopsAtPoisonWithShortCount) {
  fs.pmem().inject_poison(kAddr + 4096 + 256, 64, PoisonKind::kLatent);
  std::vector<std::byte> buf(8192);
  IoResult r = kvec::dax_iomap_read(*ip, 0, buf, map());
  EXPECT_EQ(r.done, 4096u + 256);  // Up to the poisoned granule.
  EXPECT_EQ(r.err, Errno::kEIO);
  // Now known: dax_direct_access stops before the page.
  r = kvec::dax_iomap_read(*ip, 0, buf, map());
  EXPECT_EQ(r.done, 4096u);
  r = kvec::dax_iomap_read(*ip, 4096, buf, map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEIO);
}

TEST_F(DaxTest, WriteDoesNotClearPoison) {
  fs.pmem().inject_poison(kAddr, 64, PoisonKind::kKnown);
  IoResult r = kvec::dax_iomap_write(*ip, 0, fill(4096, 1), map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEIO);
  EXPECT_TRUE(fs.pmem().known_poisoned(kAddr, 64));
}

TEST_F(DaxTest, WritePastEofAllocatesZeroedBlocksAndExtends) {
  IoResult r = kvec::dax_iomap_write(*ip, 5 * 4096, fill(100, 2), map());
  EXPECT_EQ(r.done, 100u);
  EXPECT_EQ(ip->size, 5u * 4096 + 100);
  std::vector<std::byte> buf(4096);
  EXPECT_EQ(kvec::dax_iomap_read(*ip, 5 * 4096, buf, map()).done, 100u);
  EXPECT_EQ(map().lookup(5 * 4096, 1).type, IomapType::kMapped);
}

TEST_F(DaxTest, FaultsMapPmemPagesOrTheZeroPage) {
  Result<DaxPfn> pfn = dax_iomap_fault(*ip, 1, false, map());
  ASSERT_TRUE(pfn);
  EXPECT_EQ(pfn->dev, &fs.pmem());
  EXPECT_EQ(pfn->pgoff, kAddr / 4096 + 1);
  pfn = dax_iomap_fault(*ip, 2, false, map());  // Unwritten, read: the zero page.
  ASSERT_TRUE(pfn);
  EXPECT_EQ(pfn->dev, nullptr);
  EXPECT_EQ(dax_iomap_fault(*ip, 3, false, map()).error(), Errno::kEFAULT);  // Past EOF.
  fs.pmem().inject_poison(kAddr, 64, PoisonKind::kKnown);
  EXPECT_EQ(dax_iomap_fault(*ip, 0, false, map()).error(), Errno::kEIO);
}

TEST_F(DaxTest, WriteFaultOnHoleAllocatesAndAllocationClearsPoison) {
  ip->size = 5 * 4096;
  // The next free block holds known poison from an earlier life; the
  // allocation-time zeroing clears it (seed 004: why punch+rewrite works).
  fs.pmem().inject_poison(ExtentMapOps::kFirstFree + 128, 64, PoisonKind::kKnown);
  Result<DaxPfn> pfn = dax_iomap_fault(*ip, 4, true, map());
  ASSERT_TRUE(pfn);
  ASSERT_NE(pfn->dev, nullptr);
  EXPECT_EQ(pfn->pgoff, ExtentMapOps::kFirstFree / 4096);
  EXPECT_EQ(map().lookup(4 * 4096, 1).type, IomapType::kMapped);
  EXPECT_FALSE(fs.pmem().poisoned(ExtentMapOps::kFirstFree, 4096));
}

}  // namespace
}  // namespace vfssim
