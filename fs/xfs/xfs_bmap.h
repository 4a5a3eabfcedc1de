// XfsFork: one inode fork's extent list (Linux's struct xfs_ifork with its
// incore extent tree, fs/xfs/libxfs/xfs_iext_tree.c, and the record
// manipulation of xfs_bmap.c). A record maps file blocks
// [startoff, startoff + blockcount) to filesystem blocks from startblock,
// written (NORM) or allocated but not written (UNWRITTEN); a delayed
// allocation has no blocks yet (startblock kXfsDelayBlock), only a
// reservation. Records are kept sorted and non-overlapping in an
// absl::btree_map, so every lookup, insert and removal is logarithmic in the
// extent count; neighbours that continue each other (file and disk
// contiguous, same state) are merged as xfs_bmap_add_extent_* does.
//
//   XfsFork f;
//   f.insert({.startoff = 0, .startblock = 100, .blockcount = 4});
//   f.insert({.startoff = 4, .startblock = 104, .blockcount = 4});  // merges
//   std::vector<XfsIrec> gone = f.remove(2, 3);                    // splits

#ifndef VFSSIM_FS_XFS_XFS_BMAP_H_
#define VFSSIM_FS_XFS_XFS_BMAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"

namespace vfssim {

// XFS_EXT_NORM / XFS_EXT_UNWRITTEN.
enum class XfsExtState : uint8_t { kNorm, kUnwritten };

// startblock of a delayed allocation (isnullstartblock).
inline constexpr uint64_t kXfsDelayBlock = UINT64_MAX;

// XfsIrec is struct xfs_bmbt_irec.
struct XfsIrec {
  uint64_t startoff = 0;    // First file block.
  uint64_t startblock = 0;  // First filesystem block, or kXfsDelayBlock.
  uint64_t blockcount = 0;
  XfsExtState state = XfsExtState::kNorm;

  uint64_t end() const { return startoff + blockcount; }
  bool delalloc() const { return startblock == kXfsDelayBlock; }
  friend bool operator==(const XfsIrec&, const XfsIrec&) = default;
};

class XfsFork {
 public:
  // lookup returns the record containing file block `off` (xfs_iext_lookup_extent
  // when it lands inside one), or nothing.
  std::optional<XfsIrec> lookup(uint64_t off) const;
  // next_after returns the first record starting after `off`, or nothing.
  std::optional<XfsIrec> next_after(uint64_t off) const;
  // prev_before returns the record ending at or before `off`, or nothing.
  std::optional<XfsIrec> prev_before(uint64_t off) const;

  // insert adds `r` over a range with no record (callers remove first) and
  // merges it with contiguous neighbours.
  void insert(XfsIrec r);
  // remove takes every record piece inside [off, off + len) out of the
  // fork, splitting records at the edges, and returns the pieces in file
  // order (the caller frees or unreserves them).
  std::vector<XfsIrec> remove(uint64_t off, uint64_t len);
  // set_state marks the pieces of non-delalloc records inside
  // [off, off + len) `state` (unwritten conversion), merging afterwards.
  void set_state(uint64_t off, uint64_t len, XfsExtState state);
  // shift moves every record starting at or after `from` by `delta` blocks
  // (collapse: negative; insert: positive). A record straddling `from` is
  // split there first.
  void shift(uint64_t from, int64_t delta);
  // split cuts the record containing `at` (if it starts before) in two.
  void split(uint64_t at);

  using Map = absl::btree_map<uint64_t, XfsIrec>;
  const Map& records() const { return map_; }
  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }
  // real_blocks and delalloc_blocks sum the records of each kind.
  uint64_t real_blocks() const { return real_; }
  uint64_t delalloc_blocks() const { return delalloc_; }

  // check verifies order, non-overlap, non-empty records and the counters.
  std::vector<std::string> check(const std::string& what) const;

 private:
  static bool mergeable(const XfsIrec& a, const XfsIrec& b);
  void account(const XfsIrec& r, int sign);
  void merge_around(uint64_t off);
  // merge_at merges the record at `it` with contiguous neighbours.
  void merge_at(Map::iterator it);

  Map map_;
  uint64_t real_ = 0;
  uint64_t delalloc_ = 0;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_XFS_XFS_BMAP_H_
