#include "drivers/blockdev.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/testing/bytes.h"

namespace vfssim {
namespace {

std::vector<std::byte> read_back(BlockDevice& d, uint64_t sector, size_t n) {
  std::vector<std::byte> buf(n);
  EXPECT_TRUE(d.read(sector, buf).ok());
  return buf;
}

std::vector<std::byte> image_at(const SparseStore& s, uint64_t sector, size_t n) {
  std::vector<std::byte> buf(n);
  s.read(sector * kSectorSize, buf);
  return buf;
}

class BlockDevTest : public ::testing::Test {
 protected:
  Machine m{1};
};

TEST_F(BlockDevTest, ReadAfterWrite) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  EXPECT_EQ(d.write(8, fill(1024, 0xaa)), (IoResult{1024, Errno::kOk}));
  EXPECT_EQ(read_back(d, 8, 1024), fill(1024, 0xaa));
  EXPECT_EQ(read_back(d, 0, 512), fill(512, 0));
  EXPECT_EQ(d.stats().writes, 1u);
  EXPECT_EQ(d.stats().reads, 2u);
  EXPECT_EQ(d.stats().bytes_written, 1024u);
  EXPECT_EQ(d.stats().bytes_read, 1536u);
}

TEST_F(BlockDevTest, AlignmentAndBounds) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20, .logical_block_size = 4096});
  std::vector<std::byte> buf(4096);
  EXPECT_EQ(d.read(1, buf).err, Errno::kEINVAL);  // Sector 1 is not 4 KiB aligned.
  std::vector<std::byte> small(512);
  EXPECT_EQ(d.write(0, small).err, Errno::kEINVAL);
  EXPECT_EQ(d.read(2048, buf).err, Errno::kEIO);  // Past the end: bio_check_eod.
  EXPECT_EQ(d.read(2040, buf).err, Errno::kOk);   // The last block.
  EXPECT_EQ(d.write_zeroes(4, 8), Errno::kEINVAL);
  EXPECT_EQ(d.discard(2048, 8), Errno::kEIO);
  EXPECT_EQ(d.stats().reads, 1u);  // Rejected requests never reach the device.
}

TEST_F(BlockDevTest, OneTerabyteSparse) {
  SimBlockDevice d(m, {.capacity_bytes = 2ull << 40});
  const uint64_t last = d.nr_sectors() - 8;
  EXPECT_TRUE(d.write(last, fill(4096, 1)).ok());
  EXPECT_EQ(read_back(d, last, 4096), fill(4096, 1));
  EXPECT_EQ(d.image().pages(), 1u);
}

TEST_F(BlockDevTest, DurableImageDropsUnflushedWrites) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  d.write(0, fill(512, 1));
  ASSERT_EQ(d.flush(), Errno::kOk);
  d.write(0, fill(512, 2));
  d.write(8, fill(512, 3));
  EXPECT_EQ(d.pending_writes(), 2u);
  EXPECT_EQ(image_at(d.durable_image(), 0, 512), fill(512, 1));
  EXPECT_EQ(image_at(d.durable_image(), 8, 512), fill(512, 0));
  EXPECT_EQ(read_back(d, 0, 512), fill(512, 2));  // The cache serves reads.
  d.power_cut();
  EXPECT_EQ(read_back(d, 0, 512), fill(512, 1));
  EXPECT_EQ(read_back(d, 8, 512), fill(512, 0));
  EXPECT_EQ(d.pending_writes(), 0u);
}

TEST_F(BlockDevTest, FlushMakesDurable) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  d.write(0, fill(512, 4));
  d.write_zeroes(0, 1);
  d.write(8, fill(512, 5));
  ASSERT_EQ(d.flush(), Errno::kOk);
  d.power_cut();
  EXPECT_EQ(read_back(d, 0, 512), fill(512, 0));
  EXPECT_EQ(read_back(d, 8, 512), fill(512, 5));
}

TEST_F(BlockDevTest, FuaIsDurable) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  d.write(0, fill(512, 1));
  d.write(8, fill(512, 2), kReqFua);
  EXPECT_EQ(d.stats().fua_writes, 1u);
  EXPECT_EQ(image_at(d.durable_image(), 8, 512), fill(512, 2));
  EXPECT_EQ(image_at(d.durable_image(), 0, 512), fill(512, 0));
  d.power_cut();
  EXPECT_EQ(read_back(d, 8, 512), fill(512, 2));
  EXPECT_EQ(read_back(d, 0, 512), fill(512, 0));
}

TEST_F(BlockDevTest, NoVolatileCacheMeansEveryWriteDurable) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20, .volatile_cache = false});
  d.write(0, fill(512, 9));
  EXPECT_EQ(d.pending_writes(), 0u);
  d.power_cut();
  EXPECT_EQ(read_back(d, 0, 512), fill(512, 9));
}

TEST_F(BlockDevTest, CrashStatesFromPendingSubsets) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  d.write(0, fill(512, 1));          // pending 0
  d.write(0, fill(512, 2), kReqFua); // pending 1, durable
  d.write(0, fill(512, 3));          // pending 2
  d.write(8, fill(512, 4));          // pending 3
  ASSERT_EQ(d.pending_writes(), 4u);
  // Nothing extra reached the media: only the FUA write did.
  EXPECT_EQ(image_at(d.durable_image_with({}), 0, 512), fill(512, 2));
  // Request 0 reached the media, but the later FUA write still wins.
  const size_t first[] = {0};
  EXPECT_EQ(image_at(d.durable_image_with(first), 0, 512), fill(512, 2));
  // Request 2 reached the media: it is newer than the FUA write.
  const size_t third_and_fourth[] = {3, 2};
  SparseStore s = d.durable_image_with(third_and_fourth);
  EXPECT_EQ(image_at(s, 0, 512), fill(512, 3));
  EXPECT_EQ(image_at(s, 8, 512), fill(512, 4));
}

TEST_F(BlockDevTest, WriteZeroesSupportedAndNot) {
  SimBlockDevice fast(m, {.name = "fast", .capacity_bytes = 1 << 20});
  fast.write(0, fill(4096, 7));
  EXPECT_EQ(fast.write_zeroes(0, 4), Errno::kOk);
  EXPECT_EQ(read_back(fast, 0, 4096), [] {
    auto v = fill(4096, 7);
    std::fill(v.begin(), v.begin() + 2048, std::byte{0});
    return v;
  }());
  EXPECT_EQ(fast.stats().write_zeroes, 1u);

  SimBlockDevice slow(m, {.name = "slow", .capacity_bytes = 1 << 20,
                          .supports_write_zeroes = false});
  slow.write(0, fill(4096, 7));
  EXPECT_EQ(slow.write_zeroes(0, 8), Errno::kEOPNOTSUPP);
  EXPECT_EQ(read_back(slow, 0, 4096), fill(4096, 7));
  // blkdev_issue_zeroout falls back to writing zero pages...
  EXPECT_EQ(blkdev_issue_zeroout(slow, 0, 8, 0), Errno::kOk);
  EXPECT_EQ(read_back(slow, 0, 4096), fill(4096, 0));
  EXPECT_EQ(slow.stats().writes, 2u);
  // ...unless told not to.
  EXPECT_EQ(blkdev_issue_zeroout(slow, 0, 8, kZeroNoFallback), Errno::kEOPNOTSUPP);
  EXPECT_EQ(blkdev_issue_zeroout(slow, 1, 8, 0), Errno::kOk);  // 512 B blocks: aligned.
  SimBlockDevice big(m, {.name = "big", .capacity_bytes = 1 << 20, .logical_block_size = 4096});
  EXPECT_EQ(blkdev_issue_zeroout(big, 1, 8, 0), Errno::kEINVAL);
}

TEST_F(BlockDevTest, DiscardReadsZeroOrUnsupported) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  d.write(0, fill(8192, 3));
  EXPECT_EQ(d.discard(8, 8), Errno::kOk);
  EXPECT_EQ(read_back(d, 8, 4096), fill(4096, 0));
  EXPECT_EQ(read_back(d, 0, 4096), fill(4096, 3));
  SimBlockDevice no(m, {.capacity_bytes = 1 << 20, .supports_discard = false});
  EXPECT_EQ(no.discard(0, 8), Errno::kEOPNOTSUPP);
}

// Seed 004, the review of patch 2/5 (Dave Chinner): WRITE_ZEROES without
// NOUNMAP lets a thin device release the backing store, so a later write to
// the zeroed range can fail with ENOSPC once another volume took the space.
TEST_F(BlockDevTest, ThinPoolEnospcAfterZerooutWithoutNoUnmap) {
  auto pool = std::make_shared<ThinPool>(4);
  SimBlockDevice a(m, {.name = "thinA", .capacity_bytes = 1 << 20, .thin_pool = pool});
  SimBlockDevice b(m, {.name = "thinB", .capacity_bytes = 1 << 20, .thin_pool = pool});
  ASSERT_TRUE(a.write(0, fill(4 * 4096, 1)).ok());
  EXPECT_EQ(pool->free_blocks(), 0u);
  EXPECT_EQ(b.write(0, fill(4096, 2)).err, Errno::kENOSPC);

  ASSERT_EQ(blkdev_issue_zeroout(a, 0, 16, /*flags=*/0), Errno::kOk);
  EXPECT_EQ(a.provisioned_blocks(), 2u);
  EXPECT_EQ(pool->free_blocks(), 2u);
  EXPECT_EQ(read_back(a, 0, 8192), fill(8192, 0));

  ASSERT_TRUE(b.write(0, fill(2 * 4096, 2)).ok());  // Another volume takes it.
  EXPECT_EQ(a.write(0, fill(4096, 3)), (IoResult{0, Errno::kENOSPC}));
  EXPECT_EQ(read_back(a, 0, 4096), fill(4096, 0));  // Nothing half-written.
}

TEST_F(BlockDevTest, ThinPoolNoUnmapKeepsSpace) {
  auto pool = std::make_shared<ThinPool>(4);
  SimBlockDevice a(m, {.name = "thinA", .capacity_bytes = 1 << 20, .thin_pool = pool});
  SimBlockDevice b(m, {.name = "thinB", .capacity_bytes = 1 << 20, .thin_pool = pool});
  ASSERT_TRUE(a.write(0, fill(4 * 4096, 1)).ok());
  ASSERT_EQ(blkdev_issue_zeroout(a, 0, 16, kZeroNoUnmap), Errno::kOk);
  EXPECT_EQ(a.provisioned_blocks(), 4u);
  EXPECT_EQ(read_back(a, 0, 8192), fill(8192, 0));
  EXPECT_EQ(b.write(0, fill(4096, 2)).err, Errno::kENOSPC);  // The pool stays full.
  EXPECT_TRUE(a.write(0, fill(4096, 3)).ok());               // The zeroed range is backed.
}

TEST_F(BlockDevTest, ThinZeroesPartialBlocksKeepBacking) {
  auto pool = std::make_shared<ThinPool>(3);
  SimBlockDevice a(m, {.name = "thin", .capacity_bytes = 1 << 20, .thin_pool = pool});
  ASSERT_TRUE(a.write(0, fill(3 * 4096, 1)).ok());
  // Sectors 4..19: half of block 0, all of block 1, half of block 2.
  ASSERT_EQ(a.write_zeroes(4, 16), Errno::kOk);
  EXPECT_EQ(a.provisioned_blocks(), 2u);
  EXPECT_EQ(pool->free_blocks(), 1u);
  EXPECT_EQ(a.discard(0, 24), Errno::kOk);
  EXPECT_EQ(a.provisioned_blocks(), 0u);
  EXPECT_EQ(pool->free_blocks(), 3u);
}

TEST_F(BlockDevTest, BadSectorReadsEioUntilWritten) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  d.write(0, fill(4096, 5));
  d.inject_bad_sector(3);
  std::vector<std::byte> buf(4096);
  EXPECT_EQ(d.read(0, buf), (IoResult{3 * 512, Errno::kEIO}));
  EXPECT_EQ(buf[3 * 512 - 1], std::byte{5});  // The good prefix arrived.
  EXPECT_EQ(d.read(3, std::span(buf).first(512)).err, Errno::kEIO);
  EXPECT_TRUE(d.read(4, std::span(buf).first(512)).ok());
  ASSERT_TRUE(d.write(2, fill(1024, 6)).ok());  // Covers sector 3: remapped.
  EXPECT_FALSE(d.is_bad(3));
  EXPECT_EQ(d.stats().remapped_blocks, 1u);
  EXPECT_EQ(read_back(d, 3, 512), fill(512, 6));
}

TEST_F(BlockDevTest, BadBlockIsWholeLogicalBlock) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20, .logical_block_size = 4096});
  d.inject_bad_sector(13);  // In the block at sectors 8..15.
  EXPECT_TRUE(d.is_bad(8));
  std::vector<std::byte> buf(8192);
  EXPECT_EQ(d.read(0, buf), (IoResult{4096, Errno::kEIO}));
}

TEST_F(BlockDevTest, FaultPointsFailRequestsUntouched) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  m.faults.arm("blockdev/write/eio", FaultPlan::nth(2));
  m.faults.arm("blockdev/read/eio", FaultPlan::nth(1));
  m.faults.arm("blockdev/flush/eio", FaultPlan::nth(1));
  m.faults.arm("blockdev/zeroout/eio", FaultPlan::nth(1).with_errno(Errno::kENOSPC));
  m.faults.arm("blockdev/discard/eio", FaultPlan::nth(1));
  EXPECT_TRUE(d.write(0, fill(512, 1)).ok());
  EXPECT_EQ(d.write(8, fill(512, 2)), (IoResult{0, Errno::kEIO}));
  std::vector<std::byte> buf(512);
  EXPECT_EQ(d.read(8, buf), (IoResult{0, Errno::kEIO}));
  EXPECT_EQ(read_back(d, 8, 512), fill(512, 0));
  EXPECT_EQ(d.flush(), Errno::kEIO);
  EXPECT_EQ(d.pending_writes(), 1u);  // Still volatile.
  EXPECT_EQ(d.write_zeroes(0, 1), Errno::kENOSPC);
  EXPECT_EQ(read_back(d, 0, 512), fill(512, 1));
  EXPECT_EQ(d.discard(0, 1), Errno::kEIO);
  EXPECT_EQ(d.flush(), Errno::kOk);
  EXPECT_EQ(d.pending_writes(), 0u);
}

TEST_F(BlockDevTest, HookSeesAndFailsRequests) {
  SimBlockDevice d(m, {.capacity_bytes = 1 << 20});
  std::vector<std::string> seen;
  d.set_hook([&](const BlockRequest& r) {
    seen.push_back(std::string(req_op_name(r.op)) + "@" + std::to_string(r.sector));
    return r.sector == 16 ? Errno::kEIO : Errno::kOk;
  });
  d.write(8, fill(512, 1), kReqFua);
  EXPECT_EQ(d.write(16, fill(512, 1)).err, Errno::kEIO);
  d.flush();
  EXPECT_EQ(seen, std::vector<std::string>({"write@8", "write@16", "flush@0"}));
}

TEST_F(BlockDevTest, RequestsAreTraced) {
  SimBlockDevice d(m, {.name = "sdz", .capacity_bytes = 1 << 20});
  d.write(8, fill(512, 1), kReqFua);
  EXPECT_NE(m.trace.records().back().find(
                R"("kind":"blockdev","dev":"sdz","op":"write","sector":8,"nr":1,"flags":"FUA","done":512,"err":"OK")"),
            std::string::npos)
      << m.trace.records().back();
}

}  // namespace
}  // namespace vfssim
