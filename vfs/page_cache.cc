#include "vfs/page_cache.h"

namespace vfssim {

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
  if (inserted) it->second.data = std::make_shared<PageBytes>();  // Value-initialized: zeros.
  return it->second;
}

void PageCache::mark_dirty(uint64_t index, CachedPage& page) {
  page.dirty = true;
  dirty_.insert(index);
}

void PageCache::mark_clean(uint64_t index, CachedPage& page) {
  page.dirty = false;
  dirty_.erase(index);
}

void PageCache::remove(uint64_t index) {
  auto it = pages_.find(index);
  if (it == pages_.end()) return;
  mark_clean(index, it->second);
  pages_.erase(it);
}

void PageCache::remove_range(uint64_t first, uint64_t last) {
  if (first > last) return;
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

}  // namespace vfssim
