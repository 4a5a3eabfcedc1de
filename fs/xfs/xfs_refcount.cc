#include "fs/xfs/xfs_refcount.h"

#include <algorithm>
#include <iterator>

namespace vfssim {

void XfsRefcount::split(uint64_t at) {
  auto it = map_.upper_bound(at);
  if (it == map_.begin()) return;
  --it;
  if (it->first >= at || it->first + it->second.len <= at) return;
  Rec tail = it->second;
  tail.len = it->first + it->second.len - at;
  it->second.len = at - it->first;
  map_[at] = tail;
}

void XfsRefcount::merge_around(uint64_t at) {
  auto it = map_.upper_bound(at);
  if (it == map_.begin()) return;
  --it;
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second.len == it->first && prev->second.refcount == it->second.refcount) {
      // btree_map's erase invalidates every iterator: look up again.
      const uint64_t keep = prev->first;
      prev->second.len += it->second.len;
      map_.erase(it);
      it = map_.find(keep);
    }
  }
  auto next = std::next(it);
  if (next != map_.end() && it->first + it->second.len == next->first &&
      it->second.refcount == next->second.refcount) {
    it->second.len += next->second.len;
    map_.erase(next);
  }
}

void XfsRefcount::adjust(uint64_t start, uint64_t len, int delta, std::vector<XfsExtent>* freed) {
  const uint64_t end = start + len;
  split(start);
  split(end);
  auto add_freed = [&](uint64_t s, uint64_t l) {
    if (freed == nullptr || l == 0) return;
    if (!freed->empty() && freed->back().start + freed->back().len == s) {
      freed->back().len += l;
    } else {
      freed->push_back({s, l});
    }
  };
  uint64_t at = start;
  std::vector<uint64_t> touched;
  while (at < end) {
    auto it = map_.lower_bound(at);
    const uint64_t gap_end = it == map_.end() ? end : std::min(end, it->first);
    if (gap_end > at) {
      // No record: one owner.
      if (delta > 0) {
        map_[at] = Rec{gap_end - at, 2};
        touched.push_back(at);
      } else {
        add_freed(at, gap_end - at);
      }
      at = gap_end;
      continue;
    }
    Rec& r = it->second;
    const uint64_t rec_start = it->first;
    at = rec_start + r.len;
    if (delta > 0) {
      ++r.refcount;
      touched.push_back(rec_start);
    } else if (r.refcount > 2) {
      --r.refcount;
      touched.push_back(rec_start);
    } else {
      map_.erase(it);  // Down to one owner: no record.
    }
  }
  for (uint64_t t : touched) merge_around(t);
  merge_around(start);
  if (end > 0) merge_around(end);
}

uint32_t XfsRefcount::refcount(uint64_t block) const {
  auto it = map_.upper_bound(block);
  if (it == map_.begin()) return 1;
  --it;
  return it->first + it->second.len > block ? it->second.refcount : 1;
}

std::optional<XfsExtent> XfsRefcount::shared_in(uint64_t start, uint64_t len) const {
  const uint64_t end = start + len;
  auto it = map_.upper_bound(start);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second.len > start) {
      return XfsExtent{start, std::min(end, prev->first + prev->second.len) - start};
    }
  }
  if (it != map_.end() && it->first < end) {
    return XfsExtent{it->first, std::min(end, it->first + it->second.len) - it->first};
  }
  return std::nullopt;
}

uint64_t XfsRefcount::next_boundary(uint64_t block, uint64_t len) const {
  const uint64_t end = block + len;
  std::optional<XfsExtent> s = shared_in(block, len);
  if (!s) return end;
  if (s->start > block) return s->start;  // Unshared up to the shared run.
  return s->start + s->len;               // Shared to the run's end.
}

}  // namespace vfssim
