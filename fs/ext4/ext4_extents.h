// An ext4 inode's block map: the extent tree (ext4_extent records: a
// logical block, a physical block, a length, and the unwritten bit) and,
// in the same ordered map, the delayed-allocation ranges that ext4 keeps
// in its extent status tree (EXTENT_STATUS_DELAYED) until writeback.
//
// Records never overlap. Adjacent records merge as ext4_ext_try_to_merge
// merges them: both real, physically contiguous, in the same state, and
// no longer together than an extent may be (EXT_INIT_MAX_LEN blocks
// written, EXT_UNWRITTEN_MAX_LEN unwritten); or both delayed. Lookups,
// inserts and removals cost O(log n + k) for the k records they touch;
// shift moves every record past its start.
//
//   Ext4ExtentTree t;
//   t.insert({.lblk = 0, .pblk = 9000, .len = 16});
//   std::optional<Ext4Extent> e = t.lookup(3);   // {0, 9000, 16}

#ifndef VFSSIM_FS_EXT4_EXT4_EXTENTS_H_
#define VFSSIM_FS_EXT4_EXT4_EXTENTS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"

namespace vfssim {

// Ext4Extent is one record: [lblk, lblk + len) of the file at pblk (real),
// or reserved but not yet placed (delayed; pblk unused).
struct Ext4Extent {
  uint64_t lblk = 0;
  uint64_t pblk = 0;
  uint64_t len = 0;
  bool unwritten = false;
  bool delayed = false;

  uint64_t end() const { return lblk + len; }
  bool operator==(const Ext4Extent&) const = default;
};

class Ext4ExtentTree {
 public:
  // EXT_INIT_MAX_LEN and EXT_UNWRITTEN_MAX_LEN (ext4_extents.h).
  static constexpr uint64_t kInitMaxLen = 1u << 15;
  static constexpr uint64_t kUnwrittenMaxLen = kInitMaxLen - 1;

  // lookup: the record holding logical block `lblk`.
  std::optional<Ext4Extent> lookup(uint64_t lblk) const;
  // next_after: the first record starting after `lblk`.
  std::optional<Ext4Extent> next_after(uint64_t lblk) const;
  // prev_before: the last record starting before `lblk`.
  std::optional<Ext4Extent> prev_before(uint64_t lblk) const;
  std::optional<Ext4Extent> last() const;

  // insert adds `e` over blocks no record holds, merging with neighbours
  // (real records split into pieces no longer than an extent may be).
  void insert(Ext4Extent e);
  // remove takes blocks [lblk, lblk + len) out of every record, splitting
  // records at the edges, and returns what was removed, in order.
  std::vector<Ext4Extent> remove(uint64_t lblk, uint64_t len);
  // set_unwritten marks the real blocks of [lblk, lblk + len) written (or
  // unwritten), splitting and merging records (ext4_convert_unwritten_extents).
  void set_unwritten(uint64_t lblk, uint64_t len, bool unwritten);
  // split cuts the record holding `lblk` in two at it, without merging
  // them back (before an insert shifts what follows).
  void split(uint64_t lblk);
  // shift moves every record at or past `from` by `delta` blocks (collapse:
  // negative; insert: positive). The caller has emptied the range a
  // collapse moves into and split the record an insert cuts.
  void shift(uint64_t from, int64_t delta);

  // Counts: real extents (the on-disk tree's records, as ext4 stores them:
  // at most kInitMaxLen blocks each), real blocks, delayed blocks.
  uint64_t extents() const { return extents_; }
  uint64_t real_blocks() const { return real_; }
  uint64_t delayed_blocks() const { return delayed_; }
  bool empty() const { return map_.empty(); }

  // check: records sorted, non-overlapping, non-empty, within their limits,
  // the counts right. Each problem named with `who`.
  std::vector<std::string> check(const std::string& who) const;

  using Map = absl::btree_map<uint64_t, Ext4Extent>;
  Map::const_iterator begin() const { return map_.begin(); }
  Map::const_iterator end() const { return map_.end(); }

 private:
  static bool can_merge(const Ext4Extent& a, const Ext4Extent& b);
  void add(const Ext4Extent& e);
  void drop(Map::iterator it);
  Map map_;
  uint64_t extents_ = 0;
  uint64_t real_ = 0;
  uint64_t delayed_ = 0;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_EXT4_EXT4_EXTENTS_H_
