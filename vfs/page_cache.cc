#include "vfs/page_cache.h"

#include <algorithm>
#include <bit>

namespace vfssim {
namespace {

// sector_mask: the dirty_sectors bits of the sectors holding bytes
// [from, to) of a page (0 <= from < to <= kCachePageSize).
uint8_t sector_mask(uint64_t from, uint64_t to) {
  const uint64_t first = from >> kCacheSectorShift;
  const uint64_t last = (to - 1) >> kCacheSectorShift;
  return static_cast<uint8_t>(((2u << last) - 1) & ~((1u << first) - 1));
}

}  // namespace

CachedPage* PageCache::find(uint64_t index) {
  auto it = pages_.find(index);
  return it == pages_.end() ? nullptr : &it->second;
}

const CachedPage* PageCache::find(uint64_t index) const {
  auto it = pages_.find(index);
  return it == pages_.end() ? nullptr : &it->second;
}

CachedPage& PageCache::get(uint64_t index) {
  auto [it, inserted] = pages_.try_emplace(index);
  if (inserted) it->second.data = share_page(alloc_page());
  return it->second;
}

CachedPage& PageCache::add_folio(uint64_t index, uint8_t order) {
  if (CachedPage* p = find(index)) return *p;
  order = large_folios_ ? std::min(order, kMaxFolioOrder) : 0;
  // "If we're not aligned, allocate a smaller folio".
  if (order > 0 && (index & ((uint64_t{1} << order) - 1)) != 0) {
    order = static_cast<uint8_t>(std::countr_zero(index));
  }
  // filemap_add_folio fails (-EEXIST) while a page of the range is cached:
  // one order lower each time.
  while (order > 0) {
    const uint64_t end = index + (uint64_t{1} << order);
    auto it = pages_.lower_bound(index);
    if (it == pages_.end() || it->first >= end) break;
    --order;
  }
  for (uint64_t i = index; i < index + (uint64_t{1} << order); ++i) get(i).order = order;
  return *find(index);
}

PageCache::FolioSpan PageCache::folio_of(uint64_t index) const {
  const CachedPage* p = find(index);
  if (p == nullptr) return {index, index};
  const uint64_t first = index & ~((uint64_t{1} << p->order) - 1);
  return {first, first + (uint64_t{1} << p->order) - 1};
}

void PageCache::split_folio(uint64_t index) {
  const FolioSpan f = folio_of(index);
  for (auto it = pages_.lower_bound(f.first); it != pages_.end() && it->first <= f.last; ++it) {
    it->second.order = 0;
  }
}

void PageCache::mark_dirty(uint64_t index, CachedPage& page) {
  dirtied_since_sync = true;
  page.dirty = true;
  page.dirty_sectors = 0xff;
  dirty_.insert(index);
}

void PageCache::mark_dirty_range(uint64_t index, CachedPage& page, uint64_t off, uint64_t len) {
  if (len == 0 || off >= kCachePageSize) return;
  page.dirty_sectors |= sector_mask(off, std::min(off + len, kCachePageSize));
  dirtied_since_sync = true;
  page.dirty = true;
  dirty_.insert(index);
}

void PageCache::mark_clean(uint64_t index, CachedPage& page) {
  page.dirty = false;
  page.dirty_sectors = 0;
  dirty_.erase(index);
}

void PageCache::remove(uint64_t index) {
  split_folio(index);
  auto it = pages_.find(index);
  if (it == pages_.end()) return;
  mark_clean(index, it->second);
  pages_.erase(it);
}

void PageCache::remove_range(uint64_t first, uint64_t last) {
  if (first > last) return;
  split_folio(first);
  split_folio(last);
  auto from = pages_.lower_bound(first);
  auto to = last == UINT64_MAX ? pages_.end() : pages_.lower_bound(last + 1);
  dirty_.erase(dirty_.lower_bound(first),
               last == UINT64_MAX ? dirty_.end() : dirty_.lower_bound(last + 1));
  pages_.erase(from, to);
}

uint64_t PageCache::first_dirty(uint64_t first, uint64_t last) const {
  auto it = dirty_.lower_bound(first);
  return it != dirty_.end() && *it <= last ? *it : UINT64_MAX;
}

bool PageCache::range_needs_writeback(uint64_t pos, uint64_t len) const {
  if (len == 0) return false;
  const uint64_t end = pos + len < pos ? UINT64_MAX : pos + len;
  return first_dirty(folio_of(pos >> kCachePageShift).first,
                     folio_of((end - 1) >> kCachePageShift).last) != UINT64_MAX;
}

bool PageCache::range_dirty(uint64_t pos, uint64_t len) const {
  if (len == 0) return false;
  const uint64_t end = pos + len < pos ? UINT64_MAX : pos + len;
  const uint64_t last = (end - 1) >> kCachePageShift;
  // Only the dirty pages are looked at: the range may be the whole file
  // space (a truncate up to s_maxbytes).
  for (uint64_t index = first_dirty(pos >> kCachePageShift, last); index != UINT64_MAX;
       index = index == last ? UINT64_MAX : first_dirty(index + 1, last)) {
    const CachedPage* p = find(index);
    const uint64_t base = index << kCachePageShift;
    const uint64_t from = std::max(pos, base) - base;
    const uint64_t to = std::min(end - base, uint64_t{1} << kCachePageShift);
    if (p != nullptr && p->dirty && (p->dirty_sectors & sector_mask(from, to)) != 0) return true;
  }
  return false;
}

}  // namespace vfssim
