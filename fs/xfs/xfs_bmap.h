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
// A record takes 16 bytes in the tree, as xfs_iext_rec does in the
// kernel's 256-byte leaves, packed the model's own way: the key is
// startoff, the value packs startblock (42 bits, where XFS keeps 52),
// blockcount (21) and the state (1). A 1 KiB-block filesystem of 4 PiB is
// the largest whose blocks fit (mkfs refuses larger ones). Packed, a leaf
// holds 15 records where XfsIrec pairs left room for 6, so a file of 10^6
// extents is a tree about two thirds as deep.
//
//   XfsFork f;
//   f.insert({.startoff = 0, .startblock = 100, .blockcount = 4});
//   f.insert({.startoff = 4, .startblock = 104, .blockcount = 4});  // merges
//   std::vector<XfsIrec> gone = f.remove(2, 3);                    // splits

#ifndef VFSSIM_FS_XFS_XFS_BMAP_H_
#define VFSSIM_FS_XFS_XFS_BMAP_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "sim/node_memory.h"

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

class XfsFork;

// XfsRange is a run of file blocks [off, off + len).
struct XfsRange {
  uint64_t off = 0;
  uint64_t len = 0;
  friend bool operator==(const XfsRange&, const XfsRange&) = default;
};

// extsize_align widens the request [off, off + len), which lies in a hole
// of `fork`, to the extent size hint `extsz` as xfs_bmap_extsize_align
// does: both ends rounded out to the hint, then kept off the neighbouring
// records — a start that would overlap the record before moves forward
// *keeping the aligned length* (so the run may end past the next hint
// boundary: a CoW reservation after one at [0, 3) with the 32-block hint
// is [3, 35)), an end that would overlap the record after moves the start
// back, and where neither fits the run is cut at the next record. `delay`
// is a delalloc reservation's (xfs_bmapi_reserve_delalloc), else a real
// allocation's (xfs_bmap_alloc); the kernel lets the latter run on over a
// delalloc record after it, the model stops at every record. The result
// always contains the request and overlaps no record.
XfsRange extsize_align(const XfsFork& fork, uint64_t off, uint64_t len, uint64_t extsz, bool delay);

class XfsFork {
 public:
  // lookup returns the record containing file block `off` (xfs_iext_lookup_extent
  // when it lands inside one), or nothing.
  std::optional<XfsIrec> lookup(uint64_t off) const;
  // next_after returns the first record starting after `off`, or nothing.
  std::optional<XfsIrec> next_after(uint64_t off) const;
  // prev_before returns the record ending at or before `off`, or nothing.
  std::optional<XfsIrec> prev_before(uint64_t off) const;
  // around answers lookup and next_after in one walk down the tree
  // (xfs_iext_lookup_extent's "got" and the cursor's neighbours):
  // `at` contains `off`, or else `prev` is the record before it; `next`
  // is the first record starting after `off`.
  struct Around {
    std::optional<XfsIrec> at, prev, next;
  };
  Around around(uint64_t off) const;

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

  // Iteration unpacks each record, in file order:
  //   for (const XfsIrec r : fork) ...
  class const_iterator;
  const_iterator begin() const;
  const_iterator end() const;
  // last returns the record with the highest startoff, or nothing.
  std::optional<XfsIrec> last() const;
  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }
  // real_blocks and delalloc_blocks sum the records of each kind.
  uint64_t real_blocks() const { return real_; }
  uint64_t delalloc_blocks() const { return delalloc_; }

  // check verifies order, non-overlap, non-empty records and the counters.
  std::vector<std::string> check(const std::string& what) const;

  // kMaxExtlen is XFS_MAX_BMBT_EXTLEN, the longest record.
  static constexpr uint64_t kMaxExtlen = (uint64_t{1} << 21) - 1;
  // kMaxStartblock bounds the filesystem blocks a record can map:
  // startblock + blockcount <= kMaxStartblock (mkfs checks dblocks).
  static constexpr uint64_t kMaxStartblock = (uint64_t{1} << 42) - 1;

 private:
  using Map = NodeBtreeMap<uint64_t, uint64_t>;

  // A record packed in one word: startblock in the low 42 bits (all ones
  // for delalloc), blockcount above it, the unwritten flag in the top bit.
  static constexpr int kBlockcountShift = 42;
  static constexpr uint64_t kBlockcountMask = kMaxExtlen;
  static constexpr uint64_t kUnwrittenBit = uint64_t{1} << 63;
  static constexpr uint64_t kPackedDelay = kMaxStartblock;

  static uint64_t pack(const XfsIrec& r);
  static XfsIrec unpack(uint64_t startoff, uint64_t v) {
    const uint64_t sb = v & kMaxStartblock;
    return {.startoff = startoff,
            .startblock = sb == kPackedDelay ? kXfsDelayBlock : sb,
            .blockcount = (v >> kBlockcountShift) & kBlockcountMask,
            .state = (v & kUnwrittenBit) != 0 ? XfsExtState::kUnwritten : XfsExtState::kNorm};
  }
  static XfsIrec unpack(Map::const_reference e) { return unpack(e.first, e.second); }
  static bool mergeable(const XfsIrec& a, const XfsIrec& b);
  void account(const XfsIrec& r, int sign);
  void merge_around(uint64_t off);
  // merge_at merges the record at `it` with contiguous neighbours.
  void merge_at(Map::iterator it);

  Map map_;
  uint64_t real_ = 0;
  uint64_t delalloc_ = 0;
};

// Inline, with one named result: every read and write asks it, and an
// optional returned through a copy costs the caller a store-forwarding
// stall.
inline std::optional<XfsIrec> XfsFork::lookup(uint64_t off) const {
  // The one record that can contain `off` is the last starting at or
  // before it (no Around built).
  std::optional<XfsIrec> r;
  auto it = map_.upper_bound(off);
  if (it != map_.begin()) {
    --it;
    if (off - it->first < ((it->second >> kBlockcountShift) & kBlockcountMask)) r = unpack(*it);
  }
  return r;
}

class XfsFork::const_iterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = XfsIrec;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = XfsIrec;

  const_iterator() = default;
  XfsIrec operator*() const { return unpack(*it_); }
  const_iterator& operator++() {
    ++it_;
    return *this;
  }
  const_iterator operator++(int) {
    const_iterator old = *this;
    ++it_;
    return old;
  }
  friend bool operator==(const const_iterator&, const const_iterator&) = default;

 private:
  friend class XfsFork;
  explicit const_iterator(Map::const_iterator it) : it_(it) {}
  Map::const_iterator it_;
};

inline XfsFork::const_iterator XfsFork::begin() const { return const_iterator(map_.begin()); }
inline XfsFork::const_iterator XfsFork::end() const { return const_iterator(map_.end()); }

}  // namespace vfssim

#endif  // VFSSIM_FS_XFS_XFS_BMAP_H_
