// RangeSet: a set of uint64 positions kept as disjoint, non-adjacent runs
// [first, last), ordered — the oracle's poisoned bytes and possibly-mapped
// blocks. kEnd stands for "to the end" and never moves.
//
//   RangeSet s;
//   s.add(10, 20);
//   s.remove(12, 14);         // [10, 12) [14, 20)
//   s.first_in(0, 100);       // 10
//   s.shift(14, -2);          // [10, 18)

#ifndef VFSSIM_HARNESS_RANGE_SET_H_
#define VFSSIM_HARNESS_RANGE_SET_H_

#include <cstdint>
#include <limits>

#include "absl/container/btree_map.h"

namespace vfssim {

class RangeSet {
 public:
  static constexpr uint64_t kEnd = std::numeric_limits<uint64_t>::max();

  // add puts [first, last) in the set, merging runs that touch it.
  void add(uint64_t first, uint64_t last);
  // remove takes [first, last) out, splitting runs at its edges.
  void remove(uint64_t first, uint64_t last);
  bool contains(uint64_t x) const;
  // first_in is the smallest member of [first, last), or last if none.
  uint64_t first_in(uint64_t first, uint64_t last) const;
  // shift moves every member at or past `from` by `delta` (members that
  // would land below `from` + delta when delta < 0 must have been removed
  // first; kEnd stays kEnd).
  void shift(uint64_t from, int64_t delta);
  bool empty() const { return runs_.empty(); }
  // total is how many members the set holds.
  uint64_t total() const {
    uint64_t n = 0;
    for (const auto& [first, last] : runs_) n += last - first;
    return n;
  }

 private:
  absl::btree_map<uint64_t, uint64_t> runs_;  // first -> last.
};

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_RANGE_SET_H_
