#include "vfs/page_cache.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

// The folio rules PageCache follows are mm/filemap.c's: __filemap_get_folio
// lowers the order asked for until the index is aligned to it ("If we're
// not aligned, allocate a smaller folio") and, while filemap_add_folio
// fails with -EEXIST (a page of the range is cached), one order at a time.

bool one_folio(const PageCache& c, uint64_t first, uint64_t last) {
  for (uint64_t i = first; i <= last; ++i) {
    const PageCache::FolioSpan f = c.folio_of(i);
    if (f.first != first || f.last != last) return false;
  }
  return true;
}

TEST(PageCacheTest, WithoutLargeFoliosEveryFolioIsAPage) {
  PageCache c;
  c.add_folio(0, 4);
  EXPECT_EQ(c.nr_pages(), 1u);
  EXPECT_TRUE(one_folio(c, 0, 0));
}

TEST(PageCacheTest, TheOrderIsLoweredToTheIndexAlignment) {
  PageCache c;
  c.set_large_folios(true);
  c.add_folio(4, 4);  // Index 4: order 2 at most.
  EXPECT_EQ(c.nr_pages(), 4u);
  EXPECT_TRUE(one_folio(c, 4, 7));
  c.add_folio(16, 12);  // At most kMaxFolioOrder, then 16's alignment: order 4.
  EXPECT_TRUE(one_folio(c, 16, 31));
  c.add_folio(1024, 12);
  EXPECT_TRUE(one_folio(c, 1024, 1024 + 511));
}

TEST(PageCacheTest, TheOrderIsLoweredUntilNoCachedPageIsInTheWay) {
  PageCache c;
  c.set_large_folios(true);
  c.get(6);  // An order-0 page.
  c.add_folio(0, 3);  // [0, 8) holds page 6, [0, 4) does not.
  EXPECT_TRUE(one_folio(c, 0, 3));
  EXPECT_TRUE(one_folio(c, 6, 6));
  // A cached index answers with its own page, whatever the order asked.
  CachedPage& p = c.add_folio(2, 1);
  EXPECT_EQ(&p, c.find(2));
  EXPECT_TRUE(one_folio(c, 0, 3));
}

TEST(PageCacheTest, RemovingPartOfAFolioSplitsTheRest) {
  PageCache c;
  c.set_large_folios(true);
  c.add_folio(0, 3);
  c.remove(2);
  EXPECT_EQ(c.nr_pages(), 7u);
  for (uint64_t i : {0, 1, 3, 7}) EXPECT_TRUE(one_folio(c, i, i)) << i;

  c.add_folio(16, 3);
  c.remove_range(20, 40);  // Cuts [16, 24) at 20.
  EXPECT_EQ(c.nr_pages(), 7u + 4u);
  for (uint64_t i = 16; i < 20; ++i) EXPECT_TRUE(one_folio(c, i, i)) << i;
  EXPECT_EQ(c.find(20), nullptr);
}

TEST(PageCacheTest, AFolioNeedsWritebackWhenAnyOfItsPagesIsDirty) {
  PageCache c;
  c.set_large_folios(true);
  c.add_folio(0, 2);  // [0, 16 KiB).
  c.mark_dirty_range(3, *c.find(3), 0, 100);
  // filemap_range_needs_writeback looks at folios, not at blocks: the
  // first page's bytes are clean, its folio is not.
  EXPECT_TRUE(c.range_needs_writeback(0, 4096));
  EXPECT_FALSE(c.range_dirty(0, 4096));
  c.split_folio(0);
  EXPECT_FALSE(c.range_needs_writeback(0, 4096));
  EXPECT_TRUE(c.range_needs_writeback(12288, 1));
}

}  // namespace
}  // namespace vfssim
