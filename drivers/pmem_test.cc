#include "drivers/pmem.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "sim/testing/bytes.h"

namespace vfssim {
namespace {

class PmemTest : public ::testing::Test {
 protected:
  Machine m{1};
  PmemDevice pmem{m, {.size = 1 << 20}};
};

TEST_F(PmemTest, DaxDirectAccessWithoutPoison) {
  EXPECT_EQ(pmem.dax_direct_access(0, 16), 16u);
  EXPECT_EQ(pmem.dax_direct_access(250, 16), 6u);  // 256 pages: clipped at the end.
  EXPECT_EQ(pmem.dax_direct_access(256, 1).error(), Errno::kERANGE);
}

// drivers/nvdimm/pmem.c __pmem_direct_access (6.18): known poison anywhere
// in the request is EHWPOISON; in recovery-write mode the answer is
// PAGE_ALIGN((first_bad - sector) << SECTOR_SHIFT) pages, at least one.
TEST_F(PmemTest, DaxDirectAccessOverKnownPoison) {
  pmem.inject_poison(5 * 4096 + 640, 64, PoisonKind::kKnown);  // Sector 41.
  EXPECT_EQ(pmem.dax_direct_access(0, 16).error(), Errno::kEHWPOISON);
  EXPECT_EQ(pmem.dax_direct_access(5, 16).error(), Errno::kEHWPOISON);
  EXPECT_EQ(pmem.dax_direct_access(6, 16), 16u);  // Past the poison.
  EXPECT_EQ(pmem.dax_direct_access(0, 5), 5u);    // The request ends before it.
  constexpr DaxAccessMode kRec = DaxAccessMode::kRecoveryWrite;
  EXPECT_EQ(pmem.dax_direct_access(0, 16, kRec), 6u);  // 41 sectors, rounded up to pages.
  EXPECT_EQ(pmem.dax_direct_access(5, 16, kRec), 1u);  // 1 sector before it: one page.
  pmem.inject_poison(7 * 4096, 64, PoisonKind::kKnown);  // Sector 56, a page start.
  EXPECT_EQ(pmem.dax_direct_access(6, 16, kRec), 1u);
  EXPECT_EQ(pmem.dax_direct_access(7, 16, kRec), 1u);  // At the poison: one page.
}

// 5.15 (dax.direct_access=whole): is_bad_pmem fails the whole request.
TEST(PmemDaxWholeTest, AnyPoisonFailsTheRequestWithEio) {
  Machine m(1);
  ASSERT_EQ(m.variants.set("dax.direct_access", "whole"), Errno::kOk);
  PmemDevice pmem(m, {.size = 1 << 20});
  pmem.inject_poison(5 * 4096 + 640, 64, PoisonKind::kKnown);
  EXPECT_EQ(pmem.dax_direct_access(0, 16).error(), Errno::kEIO);
  EXPECT_EQ(pmem.dax_direct_access(0, 16, DaxAccessMode::kRecoveryWrite).error(), Errno::kEIO);
  EXPECT_EQ(pmem.dax_direct_access(0, 5), 5u);
}

// pmem_recovery_write: a plain store away from poison; over poison only a
// page-aligned whole page, which clears it first.
TEST_F(PmemTest, RecoveryWriteClearsPoisonOnlyForWholePages) {
  pmem.inject_poison(4096 + 128, 64, PoisonKind::kKnown);
  EXPECT_EQ(pmem.recovery_write(8192, fill(100, 1)), 100u);           // No poison there.
  EXPECT_EQ(pmem.recovery_write(4096 + 512, fill(512, 2)), 0u);       // Not a whole page.
  EXPECT_EQ(pmem.recovery_write(4096, fill(2048, 2)), 0u);            // Not a whole page.
  EXPECT_TRUE(pmem.known_poisoned(4096, 4096));
  EXPECT_EQ(pmem.recovery_write(4096, fill(4096, 3)), 4096u);
  EXPECT_FALSE(pmem.poisoned(4096, 4096));
  std::vector<std::byte> got(4096);
  EXPECT_EQ(pmem.copy_mc_to_kernel(got, 4096), 0u);
  EXPECT_EQ(got, fill(4096, 3));
}

TEST_F(PmemTest, LatentPoisonIsInvisibleToDaxDirectAccess) {
  pmem.inject_poison(2 * 4096, 64, PoisonKind::kLatent);
  EXPECT_EQ(pmem.dax_direct_access(0, 8), 8u);
  EXPECT_TRUE(pmem.badblocks().empty());
  EXPECT_TRUE(pmem.poisoned(2 * 4096, 1));
  EXPECT_FALSE(pmem.known_poisoned(2 * 4096, 1));
}

TEST_F(PmemTest, BadblocksInSectors) {
  pmem.inject_poison(1024 + 64, 64, PoisonKind::kKnown);  // Sector 2.
  pmem.inject_poison(1536, 128, PoisonKind::kKnown);      // Sector 3: merges.
  pmem.inject_poison(8192, 1, PoisonKind::kKnown);        // Sector 16.
  EXPECT_EQ(pmem.badblocks(), (std::vector<BadBlock>{{2, 2}, {16, 1}}));
  EXPECT_EQ(pmem.badblocks_text(), "2 2\n16 1\n");
}

TEST(PmemGranularityTest, LargeGranuleSpansSectors) {
  Machine m(1);
  PmemDevice pmem(m, {.size = 1 << 20, .poison_granularity = 4096});
  pmem.inject_poison(4096 + 10, 1, PoisonKind::kKnown);
  EXPECT_EQ(pmem.badblocks(), (std::vector<BadBlock>{{8, 8}}));
}

TEST_F(PmemTest, CopyMcStopsAtFirstPoisonedGranule) {
  pmem.memcpy_flushcache(0, fill(4096, 0x5a));
  pmem.inject_poison(1000, 1, PoisonKind::kKnown);  // Granule 960..1023.
  std::vector<std::byte> dst(4096);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 0), 4096u - 960u);
  EXPECT_EQ(dst[959], std::byte{0x5a});
  EXPECT_EQ(dst[960], std::byte{0});
  // Starting inside the poisoned granule copies nothing.
  EXPECT_EQ(pmem.copy_mc_to_kernel(std::span(dst).first(10), 970), 10u);
  // Before it: everything.
  EXPECT_EQ(pmem.copy_mc_to_kernel(std::span(dst).first(960), 0), 0u);
  EXPECT_EQ(pmem.stats().machine_checks, 2u);
}

// copy_mc_to hands the media straight to a destination. One that stops
// taking bytes (a user page that faults) ends the copy there: the loads
// past it never run, so latent poison further on stays latent and no
// memory-failure event is raised (copy_mc_to_user stops at the fault).
TEST_F(PmemTest, CopyMcToStopsWhereTheDestinationFaultsWithoutConsumingPoisonPastIt) {
  pmem.memcpy_flushcache(0, fill(3 * 4096, 0x5a));
  pmem.inject_poison(2 * 4096 + 100, 1, PoisonKind::kLatent);  // Granule at 8192+64.
  std::vector<std::byte> got;
  auto take_until = [&](uint64_t limit) {
    return [&got, limit](std::span<const std::byte> piece) {
      const uint64_t n = std::min<uint64_t>(piece.size(), limit - std::min<uint64_t>(limit, got.size()));
      got.insert(got.end(), piece.begin(), piece.begin() + static_cast<ptrdiff_t>(n));
      return n;
    };
  };
  DaxDevice::McCopy c = pmem.copy_mc_to(0, 3 * 4096, take_until(5000));
  EXPECT_EQ(c.copied, 5000u);
  EXPECT_FALSE(c.poisoned);
  EXPECT_EQ(got, fill(5000, 0x5a));
  EXPECT_EQ(pmem.stats().machine_checks, 0u);
  EXPECT_TRUE(pmem.badblocks().empty());  // Still latent: nothing consumed it.
  // A destination that takes everything runs into the poison and consumes it.
  got.clear();
  c = pmem.copy_mc_to(0, 3 * 4096, take_until(3 * 4096));
  EXPECT_EQ(c.copied, 2u * 4096 + 64);
  EXPECT_TRUE(c.poisoned);
  EXPECT_EQ(pmem.stats().machine_checks, 1u);
  EXPECT_EQ(pmem.badblocks(), (std::vector<BadBlock>{{16, 1}}));
}

// memcpy_flushcache_from lets the source fill the media in place: what it
// filled is stored, a source that stops early stores only that, and it
// never clears poison.
TEST_F(PmemTest, MemcpyFlushcacheFromStoresWhatTheSourceFilled) {
  pmem.inject_poison(4096, 64, PoisonKind::kKnown);
  uint64_t given = 0;
  const uint64_t n = pmem.memcpy_flushcache_from(4000, 200, [&](std::span<std::byte> piece) {
    const uint64_t k = std::min<uint64_t>(piece.size(), 150 - given);
    std::fill_n(piece.begin(), k, std::byte{0x33});
    given += k;
    return k;
  });
  EXPECT_EQ(n, 150u);
  EXPECT_EQ(pmem.stats().stores, 1u);
  EXPECT_TRUE(pmem.known_poisoned(4096, 1));
  std::vector<std::byte> dst(64);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 4000 - 8), 0u);
  EXPECT_EQ(dst[7], std::byte{0});
  EXPECT_EQ(dst[8], std::byte{0x33});
  // Past the end of the device nothing is stored.
  EXPECT_EQ(pmem.memcpy_flushcache_from(1 << 20, 10, [](std::span<std::byte> p) { return p.size(); }), 0u);
}

TEST_F(PmemTest, MemoryFailureNotifierGetsPhysicalAddress) {
  std::vector<uint64_t> seen;
  pmem.add_memory_failure_notifier([&](const MemoryFailure& mf) {
    EXPECT_EQ(mf.dev, "pmem0");
    seen.push_back(mf.phys_addr);
  });
  pmem.inject_poison(3 * 4096 + 200, 1, PoisonKind::kLatent);
  std::vector<std::byte> dst(4096);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 3 * 4096), 4096u - 192u);
  EXPECT_EQ(seen, std::vector<uint64_t>({0x100000000ull + 3 * 4096 + 192}));
}

TEST_F(PmemTest, LatentPoisonBecomesKnownOnConsumption) {
  pmem.inject_poison(4096, 64, PoisonKind::kLatent);
  EXPECT_EQ(pmem.dax_direct_access(1, 1), 1u);
  std::vector<std::byte> dst(64);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 4096), 64u);
  EXPECT_EQ(pmem.badblocks(), (std::vector<BadBlock>{{8, 1}}));
  EXPECT_EQ(pmem.dax_direct_access(1, 1).error(), Errno::kEHWPOISON);
}

TEST_F(PmemTest, LatentPoisonBecomesKnownOnScrub) {
  pmem.inject_poison(4096, 64, PoisonKind::kLatent);
  pmem.inject_poison(8192, 128, PoisonKind::kLatent);
  pmem.inject_poison(0, 64, PoisonKind::kKnown);
  EXPECT_EQ(pmem.scrub(), 3u);  // Three latent granules found.
  EXPECT_EQ(pmem.badblocks(), (std::vector<BadBlock>{{0, 1}, {8, 1}, {16, 1}}));
  EXPECT_EQ(pmem.scrub(), 0u);
  EXPECT_EQ(pmem.stats().machine_checks, 0u);  // A scrub consumes nothing.
}

TEST_F(PmemTest, StoresDoNotClearPoison) {
  pmem.inject_poison(4096, 64, PoisonKind::kKnown);
  pmem.memcpy_flushcache(4096, fill(4096, 1));
  EXPECT_TRUE(pmem.known_poisoned(4096, 64));
  EXPECT_EQ(pmem.dax_direct_access(1, 1).error(), Errno::kEHWPOISON);
  std::vector<std::byte> dst(64);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 4096), 64u);
}

TEST_F(PmemTest, ZeroPageRangeClearsKnownPoison) {
  pmem.memcpy_flushcache(4096, fill(4096, 1));
  pmem.inject_poison(4096 + 64, 64, PoisonKind::kKnown);
  EXPECT_EQ(pmem.zero_page_range(1, 1), Errno::kOk);
  EXPECT_FALSE(pmem.poisoned(4096, 4096));
  EXPECT_TRUE(pmem.badblocks().empty());
  EXPECT_EQ(pmem.dax_direct_access(1, 1), 1u);
  std::vector<std::byte> dst(4096, std::byte{9});
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 4096), 0u);
  EXPECT_EQ(dst, fill(4096, 0));
  EXPECT_EQ(pmem.stats().cleared_granules, 1u);
  EXPECT_EQ(pmem.zero_page_range(256, 1), Errno::kERANGE);
}

TEST_F(PmemTest, ZeroPageRangeLeavesLatentPoison) {
  // The driver clears only what it knows about (best effort, seed 004).
  pmem.inject_poison(4096, 64, PoisonKind::kLatent);
  EXPECT_EQ(pmem.zero_page_range(1, 1), Errno::kOk);
  EXPECT_TRUE(pmem.poisoned(4096, 64));
}

TEST(PmemEmulatedTest, ClearingSucceedsButCorrectsNothing) {
  Machine m(1);
  PmemDevice pmem(m, {.size = 1 << 20, .clear = PoisonClear::kEmulated});
  pmem.inject_poison(4096, 64, PoisonKind::kKnown);
  EXPECT_EQ(pmem.zero_page_range(1, 1), Errno::kOk);
  EXPECT_TRUE(pmem.known_poisoned(4096, 64));
  EXPECT_EQ(pmem.dax_direct_access(1, 1).error(), Errno::kEHWPOISON);
  EXPECT_EQ(pmem.write(8, fill(512, 1)), (IoResult{512, Errno::kOk}));
  EXPECT_TRUE(pmem.known_poisoned(4096, 64));
}

// pmem_do_write (5.19 and later) clears known poison before it stores and
// returns the error without storing when the clear fails.
TEST(PmemUnsupportedClearTest, NothingIsStoredPoisonStaysEio) {
  Machine m(1);
  PmemDevice pmem(m, {.size = 1 << 20, .clear = PoisonClear::kUnsupported});
  pmem.memcpy_flushcache(4096, fill(4096, 1));
  pmem.inject_poison(4096 + 64, 64, PoisonKind::kKnown);
  EXPECT_EQ(pmem.zero_page_range(1, 1), Errno::kEIO);
  EXPECT_EQ(pmem.write(8, fill(4096, 2)), (IoResult{0, Errno::kEIO}));
  EXPECT_TRUE(pmem.known_poisoned(4096 + 64, 64));
  std::vector<std::byte> got(64);
  EXPECT_EQ(pmem.copy_mc_to_kernel(got, 4096), 0u);  // The granule before the poison.
  EXPECT_EQ(got, fill(64, 1));                       // Neither zeroed nor rewritten.
}

TEST_F(PmemTest, BlockReadOfKnownPoisonFailsWithoutConsuming) {
  pmem.write(0, fill(4096, 3));
  pmem.inject_poison(1024, 64, PoisonKind::kKnown);  // Sector 2.
  std::vector<std::byte> buf(4096);
  EXPECT_EQ(pmem.read(0, buf), (IoResult{1024, Errno::kEIO}));
  EXPECT_EQ(buf[1023], std::byte{3});
  EXPECT_EQ(pmem.stats().machine_checks, 0u);
}

TEST_F(PmemTest, BlockReadOfLatentPoisonConsumesIt) {
  pmem.inject_poison(1024 + 100, 1, PoisonKind::kLatent);  // Granule 1088.., sector 2.
  std::vector<std::byte> buf(4096);
  EXPECT_EQ(pmem.read(0, buf), (IoResult{1024, Errno::kEIO}));
  EXPECT_EQ(pmem.stats().machine_checks, 1u);
  EXPECT_EQ(pmem.badblocks(), (std::vector<BadBlock>{{2, 1}}));
}

TEST_F(PmemTest, BlockWriteClearsKnownPoison) {
  pmem.inject_poison(1024, 512, PoisonKind::kKnown);
  ASSERT_EQ(pmem.write(2, fill(512, 7)), (IoResult{512, Errno::kOk}));
  EXPECT_FALSE(pmem.poisoned(0, 4096));
  std::vector<std::byte> buf(512);
  EXPECT_TRUE(pmem.read(2, buf).ok());
  EXPECT_EQ(buf, fill(512, 7));
}

// pmem_clear_poison reports an error when it clears less than asked: with a
// 4 KiB clear granule, a one-sector write over known poison cannot clear
// the granule, so it stores nothing and says so; zeroing the whole granule
// clears it.
TEST(PmemClearGranuleTest, PartialGranuleClearIsAnError) {
  Machine m(1);
  PmemDevice pmem(m, {.size = 1 << 20, .poison_granularity = 4096});
  pmem.inject_poison(4096, 1, PoisonKind::kKnown);
  const std::vector<std::byte> sector(512, std::byte{7});
  EXPECT_EQ(pmem.write(8, sector), (IoResult{0, Errno::kEIO}));  // Cleared first: failed.
  EXPECT_TRUE(pmem.known_poisoned(4096, 4096));
  EXPECT_EQ(pmem.zero_page_range(1, 1), Errno::kOk);
  EXPECT_FALSE(pmem.poisoned(4096, 4096));
}

TEST_F(PmemTest, BlockZeroesFallBackToWritesAndClearPoison) {
  // Why punch + rewrite recovers a poisoned pmem block: the filesystem
  // zeroes newly allocated blocks with blkdev_issue_zeroout, which on pmem
  // writes zero pages, which clears the poison (seed 004).
  pmem.inject_poison(8192, 64, PoisonKind::kKnown);
  EXPECT_EQ(pmem.write_zeroes(16, 8), Errno::kEOPNOTSUPP);
  EXPECT_EQ(pmem.discard(16, 8), Errno::kEOPNOTSUPP);
  EXPECT_EQ(blkdev_issue_zeroout(pmem, 16, 8, 0), Errno::kOk);
  EXPECT_FALSE(pmem.poisoned(8192, 4096));
}

TEST_F(PmemTest, MceFaultPointCreatesConsumedPoison) {
  m.faults.arm("pmem/read/mce", FaultPlan::nth(2));
  std::vector<std::byte> dst(256);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 0), 0u);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 128), 256u);  // Granule 128 poisoned.
  EXPECT_EQ(pmem.badblocks(), (std::vector<BadBlock>{{0, 1}}));
  EXPECT_EQ(pmem.stats().machine_checks, 1u);
}

TEST_F(PmemTest, WriteAndZeroFaultPoints) {
  m.faults.arm("pmem/write/eio", FaultPlan::nth(1));
  m.faults.arm("pmem/zero/eio", FaultPlan::nth(1));
  pmem.memcpy_flushcache(0, fill(4096, 1));
  EXPECT_EQ(pmem.write(0, fill(512, 2)), (IoResult{0, Errno::kEIO}));
  EXPECT_EQ(pmem.zero_page_range(0, 1), Errno::kEIO);
  std::vector<std::byte> dst(4096);
  EXPECT_EQ(pmem.copy_mc_to_kernel(dst, 0), 0u);
  EXPECT_EQ(dst, fill(4096, 1));  // Neither touched the media.
}

}  // namespace
}  // namespace vfssim
