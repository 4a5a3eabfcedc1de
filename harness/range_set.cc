#include "harness/range_set.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

namespace vfssim {

void RangeSet::add(uint64_t first, uint64_t last) {
  if (first >= last) return;
  auto it = runs_.upper_bound(first);
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= first) {
      first = prev->first;
      last = std::max(last, prev->second);
      it = runs_.erase(prev);
    }
  }
  while (it != runs_.end() && it->first <= last) {
    last = std::max(last, it->second);
    it = runs_.erase(it);
  }
  runs_[first] = last;
}

void RangeSet::remove(uint64_t first, uint64_t last) {
  if (first >= last) return;
  auto it = runs_.upper_bound(first);
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > first) {
      const uint64_t s = prev->first, e = prev->second;
      runs_.erase(prev);
      if (s < first) runs_[s] = first;
      if (e > last) runs_[last] = e;
    }
  }
  it = runs_.lower_bound(first);
  while (it != runs_.end() && it->first < last) {
    const uint64_t e = it->second;
    it = runs_.erase(it);
    if (e > last) {
      runs_[last] = e;
      break;
    }
  }
}

bool RangeSet::contains(uint64_t x) const {
  auto it = runs_.upper_bound(x);
  return it != runs_.begin() && x < std::prev(it)->second;
}

uint64_t RangeSet::first_in(uint64_t first, uint64_t last) const {
  if (first >= last) return last;
  if (contains(first)) return first;
  auto it = runs_.upper_bound(first);
  return it != runs_.end() && it->first < last ? it->first : last;
}

void RangeSet::shift(uint64_t from, int64_t delta) {
  // Split the run that straddles `from`, then move every run at or past it.
  auto it = runs_.upper_bound(from);
  if (it != runs_.begin()) {
    auto prev = std::prev(it);
    if (prev->first < from && prev->second > from) {
      const uint64_t e = prev->second;
      prev->second = from;
      runs_[from] = e;
    }
  }
  const std::vector<std::pair<uint64_t, uint64_t>> moved(runs_.lower_bound(from), runs_.end());
  runs_.erase(runs_.lower_bound(from), runs_.end());
  auto move = [delta](uint64_t x) { return x == kEnd ? kEnd : x + static_cast<uint64_t>(delta); };
  for (const auto& [first, last] : moved) add(move(first), move(last));
}

}  // namespace vfssim
