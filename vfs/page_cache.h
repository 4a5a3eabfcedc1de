// PageCache: one inode's cached file pages (Linux's address_space pages,
// FreeBSD's vm_object for a vnode), with uptodate and dirty state.
//
// The cache only stores; the policy lives with its callers: buffered I/O
// (buffered_io.h) fills and dirties pages, writeback sends dirty pages
// through the filesystem's IomapOps, and truncation/invalidation drop them.
// Pages are 4 KiB, stored sparsely by index: memory follows what was touched.
// Mapped pages (mmap) are shared with address spaces through shared_ptr, so
// dropping a page from the cache never leaves a mapping dangling.

#ifndef VFSSIM_VFS_PAGE_CACHE_H_
#define VFSSIM_VFS_PAGE_CACHE_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "sim/errno.h"
#include "sim/page_memory.h"
#include "vfs/errseq.h"

namespace vfssim {

inline constexpr uint64_t kCachePageSize = 4096;
inline constexpr int kCachePageShift = 12;

static_assert(kCachePageSize == kMemPageSize);  // PageBytes: sim/page_memory.h.

inline constexpr uint64_t kCacheSectorSize = 512;
inline constexpr int kCacheSectorShift = 9;

// CachedPage is one page (struct folio, order 0).
struct CachedPage {
  std::shared_ptr<PageBytes> data;  // Never null once in the cache.
  bool uptodate = false;            // Holds the file's data (PG_uptodate).
  bool dirty = false;               // Newer than storage (PG_dirty).
  // The order of the folio the page belongs to: 2^order pages, naturally
  // aligned, so the folio's first page is the index rounded down to it.
  // Order 0 unless the mapping allows large folios and a write made one
  // (PageCache::add_folio).
  uint8_t order = 0;
  // dirty_sectors: bit i set when the page's i-th 512-byte sector holds
  // bytes newer than storage: iomap_folio_state's per-block dirty bits,
  // kept per sector so that one page serves every block size (a block is
  // dirty when any of its sectors is). All set when the whole page was
  // dirtied; none when clean.
  uint8_t dirty_sectors = 0;
};
static_assert(kCachePageSize / kCacheSectorSize == 8, "dirty_sectors holds one bit per sector");

class PageCache {
 public:
  // find returns page `index`, or nullptr if it is not cached.
  CachedPage* find(uint64_t index);
  const CachedPage* find(uint64_t index) const;

  // get returns page `index`, adding a zeroed, not-uptodate page if absent
  // (filemap_grab_folio).
  CachedPage& get(uint64_t index);

  // Large folios (mapping_set_large_folios): a mapping that allows them
  // gets folios of up to kMaxFolioOrder from add_folio; the others only
  // order-0 pages.
  static constexpr uint8_t kMaxFolioOrder = 9;  // MAX_PAGECACHE_ORDER: PMD size on x86-64.
  void set_large_folios(bool on) { large_folios_ = on; }
  // add_folio is __filemap_get_folio(FGP_CREAT) with an order asked for:
  // page `index` if cached, else a new folio starting at `index` of at
  // most `order` (lowered until `index` is aligned to it and no page of
  // its range is cached, as filemap_add_folio's -EEXIST retries do; 0
  // without large folios). Its pages are zeroed and not uptodate.
  CachedPage& add_folio(uint64_t index, uint8_t order);
  // FolioSpan: the first and last page index of a folio.
  struct FolioSpan {
    uint64_t first, last;
  };
  // folio_of returns the folio holding page `index` ({index, index} when
  // the page is not cached).
  FolioSpan folio_of(uint64_t index) const;
  // folios_inside narrows the pages [first, end) past a folio that
  // straddles either edge, where skip(folio) says so: what is left is
  // [first', end') with first <= first' <= end' <= end.
  template <typename Skip>
  std::pair<uint64_t, uint64_t> folios_inside(uint64_t first, uint64_t end, Skip skip) const {
    if (first < end) {
      if (const FolioSpan f = folio_of(first); f.first < first && skip(f)) first = std::min(f.last + 1, end);
    }
    if (first < end) {
      if (const FolioSpan f = folio_of(end - 1); f.last >= end && skip(f)) end = std::max(f.first, first);
    }
    return {first, end};
  }
  // split_folio makes every page of the folio holding `index` an order-0
  // folio, keeping each page's state (split_folio in truncation).
  void split_folio(uint64_t index);

  // mark_dirty / mark_clean keep the dirty index (a tagged xarray's
  // PAGECACHE_TAG_DIRTY), so writeback never walks clean pages.
  // mark_dirty dirties every block of the page (folio_mark_dirty, which
  // iomap_dirty_folio turns into all blocks dirty: page_mkwrite);
  // mark_dirty_range only the blocks holding bytes [off, off + len) of it
  // (iomap_set_range_dirty: what __iomap_write_end does for the bytes a
  // write, zeroing or unshare copied), so writeback leaves the page's
  // other blocks alone. mark_clean clears both.
  void mark_dirty(uint64_t index, CachedPage& page);
  void mark_dirty_range(uint64_t index, CachedPage& page, uint64_t off, uint64_t len);
  void mark_clean(uint64_t index, CachedPage& page);

  // remove drops page `index` whatever its state (delete_from_page_cache).
  void remove(uint64_t index);
  // remove_range drops pages [first, last] whatever their state. A folio
  // partly inside either way is split first, its other pages kept. (Both
  // keep whole folios' state consistent; callers that drop whole folios,
  // as invalidation does, widen the range with folio_of.)
  void remove_range(uint64_t first, uint64_t last);

  // first_dirty returns the lowest dirty index in [first, last], or
  // UINT64_MAX.
  uint64_t first_dirty(uint64_t first, uint64_t last) const;
  // range_dirty: some byte of [pos, pos + len) lies in a dirty sector of a
  // cached page (ifs_block_is_dirty for a block's range).
  bool range_dirty(uint64_t pos, uint64_t len) const;
  // range_needs_writeback: some folio overlapping [pos, pos + len) is
  // dirty (filemap_range_needs_writeback, which looks at whole folios, not
  // at which of their blocks were written).
  bool range_needs_writeback(uint64_t pos, uint64_t len) const;

  // dirtied_since_sync is the inode's I_DIRTY_PAGES: set whenever a page
  // is dirtied, cleared only by a whole-inode writeback (sync, syncfs
  // and the flusher's writeback_single_inode; here Superblock::sync_fs,
  // which sync, syncfs and unmount run — the model has no flusher), not
  // by fsync or a range writeback. XFS's unshare looks at it before it
  // drops the reflink flag.
  bool dirtied_since_sync = false;

  // wb_err is the mapping's writeback errseq (address_space->wb_err):
  // writeback records its failures here (mapping_set_error), and each open
  // file reports them through its own sample (vfs/errseq.h).
  ErrSeq wb_err;

  uint64_t nr_pages() const { return pages_.size(); }
  uint64_t nr_dirty() const { return dirty_.size(); }
  const absl::btree_map<uint64_t, CachedPage>& pages() const { return pages_; }

 private:
  absl::btree_map<uint64_t, CachedPage> pages_;
  absl::btree_set<uint64_t> dirty_;
  bool large_folios_ = false;
};

}  // namespace vfssim

#endif  // VFSSIM_VFS_PAGE_CACHE_H_
