#include "vfs/iomap_report.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/machine.h"
#include "vfs/testing/iomap_fs.h"
#include "vfs/testing/kvec_io.h"

namespace vfssim {
namespace {

// A file of 24 KiB over every mapping type:
//   [0,4K) mapped  [4K,8K) hole  [8K,12K) unwritten  [12K,16K) delalloc
//   [16K,20K) mapped+shared  [20K,24K) inline
class IomapReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ip = fs.new_file();
    ip->size = 24576;
    map().put({.addr = 1 << 20, .offset = 0, .length = 4096, .type = IomapType::kMapped});
    map().put({.addr = 2 << 20, .offset = 8192, .length = 4096, .type = IomapType::kUnwritten});
    map().put({.offset = 12288, .length = 4096, .type = IomapType::kDelalloc});
    map().put({.addr = 3 << 20, .offset = 16384, .length = 4096, .type = IomapType::kMapped,
               .flags = kIomapFShared});
    map().put({.offset = 20480, .length = 4096, .type = IomapType::kInline,
               .inline_data = inline_bytes});
  }
  ExtentMapOps& map() { return fs.map(*ip); }

  Machine m{1};
  IomapTestFs fs{m, false};
  InodeRef ip;
  std::vector<std::byte> inline_bytes = std::vector<std::byte>(4096, std::byte{9});
};

TEST_F(IomapReportTest, FiemapReportsEveryNonHoleMappingWithItsFlags) {
  Fiemap fi{.fm_start = 0, .fm_length = 1 << 20, .fm_extent_count = 10};
  ASSERT_EQ(iomap_fiemap(*ip, &fi, map()), Errno::kOk);
  const std::vector<FiemapExtent> want = {
      {0, 1 << 20, 4096, 0},
      {8192, 2 << 20, 4096, kFIEMAP_EXTENT_UNWRITTEN},
      {12288, 0, 4096, kFIEMAP_EXTENT_DELALLOC | kFIEMAP_EXTENT_UNKNOWN},
      {16384, 3 << 20, 4096, kFIEMAP_EXTENT_SHARED},
      {20480, 0, 4096,
       kFIEMAP_EXTENT_DATA_INLINE | kFIEMAP_EXTENT_NOT_ALIGNED | kFIEMAP_EXTENT_LAST},
  };
  EXPECT_EQ(fi.fm_extents, want);
  EXPECT_EQ(fi.fm_mapped_extents, 5u);
  EXPECT_EQ(map().last_flags, kIomapReport);
}

TEST_F(IomapReportTest, FiemapCountsStopsWhenFullAndRejectsFlags) {
  Fiemap count{.fm_start = 0, .fm_length = 1 << 20, .fm_extent_count = 0};
  ASSERT_EQ(iomap_fiemap(*ip, &count, map()), Errno::kOk);
  EXPECT_EQ(count.fm_mapped_extents, 5u);
  EXPECT_TRUE(count.fm_extents.empty());
  Fiemap two{.fm_start = 0, .fm_length = 1 << 20, .fm_extent_count = 2};
  ASSERT_EQ(iomap_fiemap(*ip, &two, map()), Errno::kOk);
  ASSERT_EQ(two.fm_extents.size(), 2u);
  EXPECT_EQ(two.fm_extents[1].fe_flags, kFIEMAP_EXTENT_UNWRITTEN);  // Not LAST: more exist.
  Fiemap bad{.fm_start = 0, .fm_length = 4096, .fm_flags = kFIEMAP_FLAG_XATTR | kFIEMAP_FLAG_SYNC};
  EXPECT_EQ(iomap_fiemap(*ip, &bad, map()), Errno::kEBADR);
  EXPECT_EQ(bad.fm_flags, kFIEMAP_FLAG_XATTR);  // The unsupported bits.
  Fiemap empty{.fm_start = 0, .fm_length = 0};
  EXPECT_EQ(iomap_fiemap(*ip, &empty, map()), Errno::kEINVAL);
  // A range inside one mapping reports the whole mapping.
  Fiemap inside{.fm_start = 100, .fm_length = 10, .fm_extent_count = 4};
  ASSERT_EQ(iomap_fiemap(*ip, &inside, map()), Errno::kOk);
  EXPECT_EQ(inside.fm_extents, (std::vector<FiemapExtent>{{0, 1 << 20, 4096, kFIEMAP_EXTENT_LAST}}));
}

TEST_F(IomapReportTest, FiemapSyncWritesBackDelallocFirst) {
  InodeRef f = fs.new_file();
  std::vector<std::byte> data(8192, std::byte{1});
  ASSERT_EQ(kvec::iomap_file_buffered_write(*f, 0, data, fs.map(*f)).done, 8192u);
  Fiemap before{.fm_start = 0, .fm_length = 8192, .fm_extent_count = 4};
  ASSERT_EQ(iomap_fiemap(*f, &before, fs.map(*f)), Errno::kOk);
  EXPECT_TRUE(before.fm_extents.at(0).fe_flags & kFIEMAP_EXTENT_DELALLOC);
  Fiemap after{.fm_start = 0, .fm_length = 8192, .fm_flags = kFIEMAP_FLAG_SYNC, .fm_extent_count = 4};
  ASSERT_EQ(iomap_fiemap(*f, &after, fs.map(*f)), Errno::kOk);
  EXPECT_EQ(after.fm_extents.at(0).fe_flags, kFIEMAP_EXTENT_LAST);
  EXPECT_EQ(f->cache.nr_dirty(), 0u);
}

TEST_F(IomapReportTest, SeekHoleAndData) {
  // Holes: [4K,8K) and the unwritten [8K,12K) (no cached data).
  EXPECT_EQ(*iomap_seek_hole(*ip, 0, map()), 4096);
  EXPECT_EQ(*iomap_seek_data(*ip, 4096, map()), 12288);
  EXPECT_EQ(*iomap_seek_data(*ip, 9000, map()), 12288);
  EXPECT_EQ(*iomap_seek_hole(*ip, 12288, map()), 24576);  // EOF is a hole.
  EXPECT_EQ(*iomap_seek_data(*ip, 20000, map()), 20000);
  EXPECT_EQ(iomap_seek_data(*ip, 24576, map()).error(), Errno::kENXIO);
  EXPECT_EQ(iomap_seek_hole(*ip, -1, map()).error(), Errno::kENXIO);
  // Cached data over an unwritten extent is data.
  CachedPage& pg = ip->cache.get(2);
  ip->cache.mark_dirty(2, pg);
  const int begins = map().begins, ends = map().ends;
  EXPECT_EQ(*iomap_seek_data(*ip, 4096, map()), 8192);
  // Found inside the unwritten mapping: it was still ended (iomap_end).
  EXPECT_EQ(map().begins - begins, map().ends - ends);
  EXPECT_EQ(*iomap_seek_hole(*ip, 8192, map()), 24576);
  // No data after a trailing hole.
  InodeRef sparse = fs.new_file();
  sparse->size = 8192;
  EXPECT_EQ(iomap_seek_data(*sparse, 0, fs.map(*sparse)).error(), Errno::kENXIO);
  EXPECT_EQ(*iomap_seek_hole(*sparse, 0, fs.map(*sparse)), 0);
}

}  // namespace
}  // namespace vfssim
