#include "fs/xfs/xfs_alloc.h"

#include <algorithm>
#include <iterator>
#include <optional>

#include "absl/strings/str_format.h"

namespace vfssim {

XfsAllocator::XfsAllocator(uint32_t agcount, uint64_t agblocks, uint64_t dblocks)
    : agblocks_(agblocks), dblocks_(dblocks) {
  ags_.resize(agcount);
  for (uint32_t a = 0; a < agcount; ++a) {
    Ag& ag = ags_[a];
    ag.start = uint64_t{a} * agblocks;
    ag.len = std::min(agblocks, dblocks - ag.start);
    insert_merged(ag, ag.start, ag.len);
  }
}

void XfsAllocator::take(Ag& ag, ByBno::iterator it, uint64_t start, uint64_t len) {
  // The bnobt record is trimmed or split where it sits (one walk of the
  // tree was the caller's); only the cntbt, keyed by length, is searched.
  const uint64_t fstart = it->first, flen = it->second;
  const uint64_t end = start + len, fend = fstart + flen;
  ag.by_cnt.erase({flen, fstart});
  ag.free -= len;
  free_blocks_ -= len;
  if (start > fstart) {
    it->second = start - fstart;
    ag.by_cnt.insert({start - fstart, fstart});
    ++it;
  } else {
    it = ag.by_bno.erase(it);
  }
  if (fend > end) {
    ag.by_bno.emplace_hint(it, end, fend - end);
    ag.by_cnt.insert({fend - end, end});
  }
}

void XfsAllocator::reserve(uint64_t start, uint64_t len) {
  Ag& ag = ags_[agno_of(start)];
  take(ag, std::prev(ag.by_bno.upper_bound(start)), start, len);
}

bool XfsAllocator::alloc_in_ag(Ag& ag, uint64_t goal, uint64_t minlen, uint64_t maxlen,
                               XfsExtent* out) {
  if (ag.by_cnt.empty() || ag.by_cnt.rbegin()->first < minlen) return false;
  // xfs_alloc_longest_free_extent: what the other free extents cannot
  // cover of the AG's reservation comes out of the longest one.
  const uint64_t longest = ag.by_cnt.rbegin()->first;
  const uint64_t others = ag.free - longest;
  const uint64_t delta = others < ag.resv ? ag.resv - others : 0;
  const uint64_t usable = longest > delta ? longest - delta : 0;
  if (usable < minlen) return false;
  maxlen = std::min(maxlen, usable);
  const bool goal_here = goal >= ag.start && goal < ag.start + ag.len;
  if (goal_here) {
    // Exact: the free extent holding the goal, from the goal on.
    auto it = ag.by_bno.upper_bound(goal);
    if (it != ag.by_bno.begin()) {
      auto prev = std::prev(it);
      const uint64_t fend = prev->first + prev->second;
      if (fend > goal && fend - goal >= std::min(maxlen, std::max(minlen, uint64_t{1}))) {
        const uint64_t len = std::min(maxlen, fend - goal);
        if (len >= minlen) {
          take(ag, prev, goal, len);
          *out = {goal, len};
          return true;
        }
      }
    }
    // Near: the closest extent on either side that holds all of maxlen.
    auto right = ag.by_bno.lower_bound(goal);
    auto left = right;
    std::optional<ByBno::iterator> best;
    uint64_t best_dist = UINT64_MAX;
    for (auto r = right; r != ag.by_bno.end(); ++r) {
      if (r->second >= maxlen) {
        best = r;
        best_dist = r->first - goal;
        break;
      }
    }
    while (left != ag.by_bno.begin()) {
      --left;
      if (left->second >= maxlen) {
        const uint64_t end = left->first + left->second;
        const uint64_t dist = goal >= end ? goal - end : 0;
        if (dist < best_dist) best = left;
        break;
      }
    }
    if (best) {
      // Take the end nearest the goal.
      const uint64_t fstart = (*best)->first, flen = (*best)->second;
      const uint64_t start = fstart >= goal ? fstart : fstart + flen - maxlen;
      take(ag, *best, start, maxlen);
      *out = {start, maxlen};
      return true;
    }
  }
  // Best fit: the smallest extent holding maxlen, lowest block first.
  auto fit = ag.by_cnt.lower_bound({maxlen, 0});
  if (fit == ag.by_cnt.end()) fit = std::prev(ag.by_cnt.end());  // Largest; >= minlen.
  const auto [flen, fstart] = *fit;
  const uint64_t len = std::min(maxlen, flen);
  take(ag, ag.by_bno.find(fstart), fstart, len);
  *out = {fstart, len};
  return true;
}

Result<XfsExtent> XfsAllocator::alloc(uint64_t goal, uint64_t minlen, uint64_t maxlen) {
  minlen = std::max<uint64_t>(minlen, 1);
  maxlen = std::max(maxlen, minlen);
  if (Result<XfsExtent> e = alloc_indexed(goal, minlen, maxlen)) return e;
  if (busy_blocks_ == 0) return Fail(Errno::kENOSPC);
  // xfs_extent_busy_flush: force the log and try again.
  flush_busy();
  return alloc_indexed(goal, minlen, maxlen);
}

Result<XfsExtent> XfsAllocator::alloc_indexed(uint64_t goal, uint64_t minlen, uint64_t maxlen) {
  const uint32_t first = goal < dblocks_ ? agno_of(goal) : 0;
  // First pass wants the whole request in one AG; the second takes the
  // largest piece of at least minlen anywhere.
  for (uint64_t want : {maxlen, minlen}) {
    for (uint32_t i = 0; i < ags_.size(); ++i) {
      Ag& ag = ags_[(first + i) % ags_.size()];
      if (ag.by_cnt.empty()) continue;
      XfsExtent e;
      if (alloc_in_ag(ag, goal, want, maxlen, &e)) return e;
    }
    if (want == minlen) break;
  }
  return Fail(Errno::kENOSPC);
}

void XfsAllocator::free(uint64_t start, uint64_t len) {
  Ag& ag = ags_[agno_of(start)];
  uint64_t s = start, l = len;
  // Merge with busy neighbours (erase invalidates: look up each time).
  auto next = ag.busy.lower_bound(start);
  if (next != ag.busy.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      s = prev->first;
      l += prev->second;
      ag.busy.erase(prev);
    }
  }
  next = ag.busy.lower_bound(start + len);
  if (next != ag.busy.end() && next->first == start + len) {
    l += next->second;
    ag.busy.erase(next);
  }
  ag.busy[s] = l;
  busy_blocks_ += len;
  free_blocks_ += len;
}

void XfsAllocator::flush_busy() {
  for (Ag& ag : ags_) {
    for (const auto& [start, len] : ag.busy) {
      free_blocks_ -= len;  // insert_merged counts them again.
      insert_merged(ag, start, len);
    }
    ag.busy.clear();
  }
  busy_blocks_ = 0;
}

void XfsAllocator::insert_merged(Ag& ag, uint64_t start, uint64_t len) {
  // One walk of the bnobt finds both neighbours; a merge with the one
  // before grows that record where it sits.
  auto next = ag.by_bno.lower_bound(start);
  const bool joins_next = next != ag.by_bno.end() && next->first == start + len;
  const uint64_t next_len = joins_next ? next->second : 0;
  if (joins_next) {
    ag.by_cnt.erase({next_len, next->first});
    next = ag.by_bno.erase(next);
  }
  ag.free += len;
  free_blocks_ += len;
  if (next != ag.by_bno.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      ag.by_cnt.erase({prev->second, prev->first});
      prev->second += len + next_len;
      ag.by_cnt.insert({prev->second, prev->first});
      return;
    }
  }
  ag.by_bno.emplace_hint(next, start, len + next_len);
  ag.by_cnt.insert({len + next_len, start});
}

bool XfsAllocator::is_free(uint64_t start, uint64_t len) const {
  if (start >= dblocks_) return false;
  const Ag& ag = ags_[agno_of(start)];
  for (const auto* m : {&ag.by_bno, &ag.busy}) {
    auto it = m->upper_bound(start);
    if (it == m->begin()) continue;
    --it;
    if (it->first + it->second >= start + len) return true;
  }
  return false;
}

uint64_t XfsAllocator::longest_free() const {
  uint64_t best = 0;
  for (const Ag& ag : ags_) {
    if (!ag.by_cnt.empty()) best = std::max(best, ag.by_cnt.rbegin()->first);
  }
  return best;
}

std::vector<XfsExtent> XfsAllocator::free_extents() const {
  std::vector<XfsExtent> out;
  for (const Ag& ag : ags_) {
    for (const auto& [start, len] : ag.by_bno) out.push_back({start, len});
    for (const auto& [start, len] : ag.busy) out.push_back({start, len});
  }
  std::sort(out.begin(), out.end(), [](const XfsExtent& a, const XfsExtent& b) { return a.start < b.start; });
  return out;
}

std::vector<std::string> XfsAllocator::check() const {
  std::vector<std::string> errs;
  uint64_t total = 0;
  for (size_t a = 0; a < ags_.size(); ++a) {
    const Ag& ag = ags_[a];
    uint64_t sum = 0, prev_end = ag.start;
    bool first = true;
    for (const auto& [start, len] : ag.by_bno) {
      if (len == 0 || start < ag.start || start + len > ag.start + ag.len) {
        errs.push_back(absl::StrFormat("ag %d: bnobt record [%d, +%d) outside the AG", a, start, len));
      }
      if (!first && start <= prev_end) {
        errs.push_back(absl::StrFormat("ag %d: bnobt records overlap or touch at block %d", a, start));
      }
      if (!ag.by_cnt.contains({len, start})) {
        errs.push_back(absl::StrFormat("ag %d: free extent [%d, +%d) missing from the cntbt", a, start, len));
      }
      first = false;
      prev_end = start + len;
      sum += len;
    }
    if (ag.by_cnt.size() != ag.by_bno.size()) {
      errs.push_back(absl::StrFormat("ag %d: cntbt has %d records, bnobt %d", a, ag.by_cnt.size(),
                                     ag.by_bno.size()));
    }
    if (sum != ag.free) {
      errs.push_back(absl::StrFormat("ag %d: agf_freeblks %d, records sum to %d", a, ag.free, sum));
    }
    total += sum;
    uint64_t busy_end = 0;
    for (const auto& [start, len] : ag.busy) {
      total += len;
      if (start < busy_end || start < ag.start || start + len > ag.start + ag.len) {
        errs.push_back(absl::StrFormat("ag %d: busy extent [%d, +%d) overlaps another or leaves the AG", a,
                                       start, len));
      }
      busy_end = start + len;
      auto it = ag.by_bno.upper_bound(start);
      if ((it != ag.by_bno.end() && it->first < start + len) ||
          (it != ag.by_bno.begin() && std::prev(it)->first + std::prev(it)->second > start)) {
        errs.push_back(absl::StrFormat("ag %d: busy extent [%d, +%d) also in the bnobt", a, start, len));
      }
    }
  }
  if (total != free_blocks_) {
    errs.push_back(absl::StrFormat("sb_fdblocks counter %d, AGs hold %d free", free_blocks_, total));
  }
  return errs;
}

}  // namespace vfssim
