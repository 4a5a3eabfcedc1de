// XfsRefcount: the reference-count index of shared blocks (Linux's
// fs/xfs/libxfs/xfs_refcount.c and its refcount btree). Only blocks with
// more than one owner have a record, as in XFS: a block with no record and
// in use has exactly one owner. Adjusting a range splits and merges records
// so that adjacent blocks with the same count share one record.
//
//   XfsRefcount rc;
//   rc.adjust(100, 8, +1);             // FICLONE: 8 blocks now shared by 2
//   std::vector<XfsExtent> freed;
//   rc.adjust(100, 8, -1, &freed);     // one owner left: no record, none freed
//   rc.adjust(100, 8, -1, &freed);     // last owner gone: freed = {100, 8}

#ifndef VFSSIM_FS_XFS_XFS_REFCOUNT_H_
#define VFSSIM_FS_XFS_XFS_REFCOUNT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fs/xfs/xfs_alloc.h"
#include "sim/node_memory.h"

namespace vfssim {

class XfsRefcount {
 public:
  struct Rec {
    uint64_t len = 0;
    uint32_t refcount = 0;  // >= 2.
  };

  // adjust adds `delta` (+1 or -1) owners to every block of
  // [start, start + len). With -1, the blocks whose last owner goes are
  // appended to *freed (merged into runs) for the caller to free.
  void adjust(uint64_t start, uint64_t len, int delta, std::vector<XfsExtent>* freed = nullptr);

  // refcount of one block: 1 when there is no record (the caller knows
  // the block is in use).
  uint32_t refcount(uint64_t block) const;

  // shared_in finds the first shared block run intersecting
  // [start, start + len): its part inside the range, or nothing
  // (xfs_reflink_find_shared).
  std::optional<XfsExtent> shared_in(uint64_t start, uint64_t len) const;

  // next_boundary is the first block after `block` where the sharedness of
  // [block, ...) changes, capped at block + len (xfs_reflink_trim_around_shared).
  uint64_t next_boundary(uint64_t block, uint64_t len) const;

  const NodeBtreeMap<uint64_t, Rec>& records() const { return map_; }

 private:
  void split(uint64_t at);
  void merge_around(uint64_t at);

  NodeBtreeMap<uint64_t, Rec> map_;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_XFS_XFS_REFCOUNT_H_
