#include "vfs/buffered_io.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/machine.h"
#include "sim/testing/bytes.h"
#include "vfs/direct_io.h"
#include "vfs/testing/iomap_fs.h"
#include "vfs/testing/kvec_io.h"

namespace vfssim {
namespace {

class BufferedIoTest : public ::testing::Test {
 protected:
  ExtentMapOps& map() { return fs.map(*ip); }
  std::vector<std::byte> read(off_t64 off, size_t n) {
    std::vector<std::byte> buf(n);
    IoResult r = kvec::filemap_read(*ip, off, buf, map());
    EXPECT_EQ(r.err, Errno::kOk);
    buf.resize(r.done);
    return buf;
  }
  std::vector<std::byte> on_disk(uint64_t addr, size_t n) {
    std::vector<std::byte> buf(n);
    EXPECT_EQ(fs.bdev().read(addr >> 9, buf).err, Errno::kOk);
    return buf;
  }

  Machine m{1};
  IomapTestFs fs{m, false};
  InodeRef ip = fs.new_file();
};

TEST_F(BufferedIoTest, WriteDirtiesDelallocUntilWriteback) {
  ASSERT_EQ(kvec::iomap_file_buffered_write(*ip, 100, fill(5000, 1), map()).done, 5000u);
  EXPECT_EQ(ip->size, 5100u);
  EXPECT_EQ(ip->cache.nr_dirty(), 2u);
  EXPECT_EQ(map().extents().begin()->second.type, IomapType::kDelalloc);
  EXPECT_EQ(fs.bdev().stats().writes, 0u);
  std::vector<std::byte> want = fill(5100, 1);
  std::fill(want.begin(), want.begin() + 100, std::byte{0});
  EXPECT_EQ(read(0, 8192), want);  // Clipped at EOF; the head reads as zeros.

  ASSERT_EQ(filemap_write_and_wait_range(*ip, 0, kOffMax, map()), Errno::kOk);
  EXPECT_EQ(ip->cache.nr_dirty(), 0u);
  const Iomap& ext = map().extents().begin()->second;
  EXPECT_EQ(ext.type, IomapType::kMapped);
  EXPECT_EQ(map().ioends, 1);
  std::vector<std::byte> disk = on_disk(ext.addr, 5120);
  disk.resize(5100);
  EXPECT_EQ(disk, want);
  // The tail block on disk holds zeros past EOF.
  EXPECT_EQ(on_disk(ext.addr + 5120, 512), fill(512, 0));
}

TEST_F(BufferedIoTest, ReadMissFillsFromTheDeviceAndPartialWriteReadsFirst) {
  map().put({.addr = 1 << 20, .offset = 0, .length = 8192, .type = IomapType::kMapped});
  ASSERT_EQ(fs.bdev().write((1 << 20) >> 9, fill(8192, 5)).err, Errno::kOk);
  ip->size = 8192;
  ASSERT_EQ(kvec::iomap_file_buffered_write(*ip, 10, fill(10, 6), map()).done, 10u);
  std::vector<std::byte> want = fill(8192, 5);
  std::fill(want.begin() + 10, want.begin() + 20, std::byte{6});
  EXPECT_EQ(read(0, 8192), want);
  EXPECT_EQ(fs.bdev().stats().reads, 2u);  // Page 0 before the write, page 1 on the read.
  EXPECT_EQ(ip->cache.nr_dirty(), 1u);
}

// iomap_write_failed: a write step that fails drops the pages it made
// past EOF. A 12288-byte write at 100 asks for an order-1 folio at 0 (ilog2
// of the step); the read of its first, partial page fails, so nothing is
// written and the folio's second page, past EOF, goes (the first stays,
// not uptodate, as the host's folio does after the split).
TEST_F(BufferedIoTest, AFailedWriteDropsTheFolioPagesItMadePastEof) {
  ip->cache.set_large_folios(true);
  map().put({.addr = 1 << 20, .offset = 0, .length = 16384, .type = IomapType::kMapped});
  m.faults.arm("blockdev/read/eio", FaultPlan::nth(1));
  IoResult r = kvec::iomap_file_buffered_write(*ip, 100, fill(12288, 1), map());
  m.faults.disarm_all();
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEIO);
  EXPECT_EQ(ip->cache.nr_pages(), 1u);
  EXPECT_EQ(ip->cache.folio_of(0).last, 0u);
  EXPECT_EQ(ip->cache.nr_dirty(), 0u);
}

TEST_F(BufferedIoTest, EnospcAfterProgressReportsIt) {
  map().fail_begin = [](off_t64 pos, uint32_t) {
    return pos >= 8192 ? Errno::kENOSPC : Errno::kOk;
  };
  map().put({.offset = 0, .length = 8192, .type = IomapType::kDelalloc});
  IoResult r = kvec::iomap_file_buffered_write(*ip, 4096, fill(8192, 1), map());
  EXPECT_EQ(r.done, 4096u);
  EXPECT_EQ(r.err, Errno::kENOSPC);
  EXPECT_EQ(ip->size, 8192u);
  r = kvec::iomap_file_buffered_write(*ip, 8192, fill(10, 1), map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kENOSPC);
}

TEST_F(BufferedIoTest, WritebackErrorIsReportedOnceAtFsync) {
  ASSERT_EQ(kvec::iomap_file_buffered_write(*ip, 0, fill(4096, 1), map()).done, 4096u);
  fs.bdev().set_hook([](const BlockRequest& rq) {
    return rq.op == ReqOp::kWrite ? Errno::kEIO : Errno::kOk;
  });
  EXPECT_EQ(ip->ops().fsync(*ip, 0, kOffMax, false), Errno::kEIO);
  EXPECT_EQ(ip->cache.nr_dirty(), 0u);  // Cleaned anyway, as Linux does.
  EXPECT_EQ(ip->ops().fsync(*ip, 0, kOffMax, false), Errno::kOk);  // Reported once.
}

TEST_F(BufferedIoTest, TruncatePagecacheRangeZeroesEdgesDropsWholePages) {
  ASSERT_EQ(kvec::iomap_file_buffered_write(*ip, 0, fill(4 * 4096, 1), map()).done, 4u * 4096);
  truncate_pagecache_range(*ip, 100, 3 * 4096 + 99);
  EXPECT_EQ(ip->cache.nr_pages(), 2u);  // Pages 1 and 2 dropped.
  const CachedPage* p0 = ip->cache.find(0);
  const CachedPage* p3 = ip->cache.find(3);
  ASSERT_TRUE(p0 && p3);
  EXPECT_EQ((*p0->data)[99], std::byte{1});
  EXPECT_EQ((*p0->data)[100], std::byte{0});
  EXPECT_EQ((*p3->data)[99], std::byte{0});
  EXPECT_EQ((*p3->data)[100], std::byte{1});
  // Within one page.
  truncate_pagecache_range(*ip, 3 * 4096 + 200, 3 * 4096 + 299);
  EXPECT_EQ((*p3->data)[199], std::byte{1});
  EXPECT_EQ((*p3->data)[200], std::byte{0});
  EXPECT_EQ((*p3->data)[300], std::byte{1});
}

TEST_F(BufferedIoTest, InvalidateWritesBackThenDrops) {
  ASSERT_EQ(kvec::iomap_file_buffered_write(*ip, 0, fill(8192, 3), map()).done, 8192u);
  ASSERT_EQ(invalidate_inode_pages2_range(*ip, 0, 0, map()), Errno::kOk);
  EXPECT_EQ(ip->cache.find(0), nullptr);
  EXPECT_NE(ip->cache.find(1), nullptr);
  EXPECT_EQ(read(0, 8192), fill(8192, 3));  // Page 0 comes back from the device.
}

TEST_F(BufferedIoTest, DirectIoSeesBufferedDataAndInvalidatesCache) {
  ASSERT_EQ(kvec::iomap_file_buffered_write(*ip, 0, fill(8192, 3), map()).done, 8192u);
  std::vector<std::byte> buf(4096);
  IoResult r = kvec::iomap_dio_read(*ip, 4096, buf, 512, map());
  EXPECT_EQ(r.done, 4096u);
  EXPECT_EQ(buf, fill(4096, 3));  // Written back first.
  ASSERT_EQ(read(0, 4096), fill(4096, 3));  // Page 0 cached (and clean).
  r = kvec::iomap_dio_write(*ip, 0, fill(4096, 4), 512, map());
  EXPECT_EQ(r.done, 4096u);
  EXPECT_EQ(ip->cache.find(0), nullptr);  // Stale page dropped.
  EXPECT_EQ(read(0, 4096), fill(4096, 4));
  EXPECT_EQ(kvec::iomap_dio_write(*ip, 100, fill(512, 4), 512, map()).err, Errno::kEINVAL);
  EXPECT_EQ(kvec::iomap_dio_read(*ip, 0, std::span(buf).first(100), 512, map()).err, Errno::kEINVAL);
}

TEST_F(BufferedIoTest, DirectWriteIntoUnwrittenConvertsAtIoend) {
  map().put({.addr = 4 << 20, .offset = 0, .length = 8192, .type = IomapType::kUnwritten});
  ip->size = 8192;
  ASSERT_EQ(kvec::iomap_dio_write(*ip, 0, fill(4096, 7), 512, map()).done, 4096u);
  EXPECT_EQ(map().lookup(0, 1).type, IomapType::kMapped);
  EXPECT_EQ(map().lookup(4096, 1).type, IomapType::kUnwritten);
  EXPECT_EQ(read(0, 8192), [] { auto v = fill(8192, 0); std::fill(v.begin(), v.begin() + 4096, std::byte{7}); return v; }());
}

TEST_F(BufferedIoTest, ZeroRangeSkipsHolesAndUnwrittenZeroesMapped) {
  map().put({.addr = 1 << 20, .offset = 0, .length = 4096, .type = IomapType::kMapped});
  map().put({.addr = 2 << 20, .offset = 8192, .length = 4096, .type = IomapType::kUnwritten});
  ASSERT_EQ(fs.bdev().write((1 << 20) >> 9, fill(4096, 9)).err, Errno::kOk);
  ip->size = 12288;
  bool did_zero = false;
  ASSERT_EQ(iomap_zero_range(*ip, 1000, 11000, &did_zero, map()), Errno::kOk);
  EXPECT_TRUE(did_zero);
  EXPECT_EQ(ip->cache.nr_pages(), 1u);  // Only the mapped page was touched.
  auto want = fill(4096, 0);
  std::fill(want.begin(), want.begin() + 1000, std::byte{9});
  EXPECT_EQ(read(0, 4096), want);
}

// An unwritten mapping under dirty pages would convert at writeback, so
// zeroing (block-aligned here: no partial head) flushes the rest of the
// range when it meets one, maps it again, and goes on zeroing what is now
// written and what lies after it (6.18's iomap_zero_iter_flush_and_stale).
TEST_F(BufferedIoTest, ZeroRangeFlushesDirtyUnwrittenThenZeroesTheRest) {
  map().put({.addr = 1 << 20, .offset = 0, .length = 4096, .type = IomapType::kUnwritten});
  map().put({.addr = 2 << 20, .offset = 4096, .length = 4096, .type = IomapType::kMapped});
  ASSERT_EQ(fs.bdev().write((2 << 20) >> 9, fill(4096, 9)).err, Errno::kOk);
  ip->size = 8192;
  ASSERT_EQ(kvec::iomap_file_buffered_write(*ip, 0, fill(4096, 7), map()).done, 4096u);  // Dirty over unwritten.
  bool did_zero = false;
  ASSERT_EQ(iomap_zero_range(*ip, 0, 8192, &did_zero, map()), Errno::kOk);
  EXPECT_TRUE(did_zero);
  EXPECT_EQ(map().lookup(0, 4096).type, IomapType::kMapped);  // Converted by the flush.
  EXPECT_EQ(read(0, 8192), fill(8192, 0));
}

TEST_F(BufferedIoTest, UnshareCopiesSharedExtentsOnWriteback) {
  map().put({.addr = 3 << 20, .offset = 0, .length = 8192, .type = IomapType::kMapped,
             .flags = kIomapFShared});
  ASSERT_EQ(fs.bdev().write((3 << 20) >> 9, fill(8192, 8)).err, Errno::kOk);
  ip->size = 8192;
  ASSERT_EQ(iomap_file_unshare(*ip, 0, 8192, map()), Errno::kOk);
  EXPECT_EQ(ip->cache.nr_dirty(), 2u);
  ASSERT_EQ(filemap_write_and_wait_range(*ip, 0, kOffMax, map()), Errno::kOk);
  const Iomap now = map().lookup(0, 8192);
  EXPECT_EQ(now.type, IomapType::kMapped);
  EXPECT_FALSE(now.flags & kIomapFShared);
  EXPECT_NE(now.addr, 3u << 20);
  EXPECT_EQ(on_disk(now.addr, 8192), fill(8192, 8));
}

TEST_F(BufferedIoTest, SeededCachePressureWritesBackAndEvicts) {
  auto run = [](uint64_t seed) {
    Machine mm(seed);
    IomapTestFs f(mm, false, "cache_pressure=0.5");
    InodeRef i = f.new_file();
    std::vector<uint64_t> pages;
    for (int k = 0; k < 16; ++k) {
      kvec::vop_write(*i, k * 4096, fill(4096, 1));
      pages.push_back(i->cache.nr_pages());
    }
    return std::make_pair(pages, f.bdev().stats().writes);
  };
  EXPECT_EQ(run(7), run(7));  // Same seed, same reclaim.
  auto [pages, writes] = run(7);
  EXPECT_GT(writes, 0u);
  EXPECT_LT(pages.back(), 16u);
}

TEST_F(BufferedIoTest, ReadsEveryMappingType) {
  // [0,4K) inline  [4K,8K) hole  [8K,12K) unwritten  [12K,16K) delalloc  [16K,20K) mapped
  std::vector<std::byte> inline_bytes = fill(4096, 0x42);
  map().put({.offset = 0, .length = 4096, .type = IomapType::kInline, .inline_data = inline_bytes});
  map().put({.addr = 2 << 20, .offset = 8192, .length = 4096, .type = IomapType::kUnwritten});
  map().put({.offset = 12288, .length = 4096, .type = IomapType::kDelalloc});
  map().put({.addr = 3 << 20, .offset = 16384, .length = 4096, .type = IomapType::kMapped});
  ASSERT_EQ(fs.bdev().write((2 << 20) >> 9, fill(4096, 0x55)).err, Errno::kOk);  // Stale bytes.
  ASSERT_EQ(fs.bdev().write((3 << 20) >> 9, fill(4096, 0x66)).err, Errno::kOk);
  ip->size = 20480;
  auto want = fill(20480, 0);
  std::fill(want.begin(), want.begin() + 4096, std::byte{0x42});
  std::fill(want.begin() + 16384, want.end(), std::byte{0x66});
  EXPECT_EQ(read(0, 20480), want);  // Unwritten never shows the stale 0x55.
  ip->cache = PageCache();
  std::vector<std::byte> buf(20480);
  IoResult r = kvec::iomap_dio_read(*ip, 0, buf, 512, map());
  EXPECT_EQ(r.done, 20480u);
  EXPECT_EQ(buf, want);
}

}  // namespace
}  // namespace vfssim
