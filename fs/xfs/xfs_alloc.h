// XfsAllocator: the free-space side of an XFS-like filesystem (Linux's
// fs/xfs/libxfs/xfs_alloc.c). The data device is cut into allocation groups
// (AGs) of agblocks blocks each (the last one may be shorter); every AG
// indexes its free extents twice, as XFS's two free-space btrees do: by
// start block (bnobt) and by length (cntbt). Blocks are named by a linear
// filesystem block number, AG a's first block being a * agblocks (XFS packs
// agno and agbno into an xfs_fsblock_t; the linear form is its daddr order).
//
// Allocation is deterministic and follows xfs_alloc_vextent's preference
// order: the free extent that starts exactly at the goal (XFS_ALLOCTYPE
// exact), else the closest free extent to the goal in the goal's AG that
// holds the whole request (near_bno), else the smallest extent of the AG
// that holds it (best fit by size), else the largest one of at least
// `minlen`; then the same in the following AGs, wrapping round. Freed
// extents merge with their neighbours, so they are reused: a block punched
// out and allocated again may come back elsewhere.
//
//   XfsAllocator a(/*agcount=*/4, /*agblocks=*/32768, /*dblocks=*/131072);
//   a.reserve(0, 16);                       // mkfs: AG headers, log, ...
//   Result<XfsExtent> e = a.alloc(/*goal=*/100, /*minlen=*/1, /*maxlen=*/8);
//   a.free(e->start, e->len);

#ifndef VFSSIM_FS_XFS_XFS_ALLOC_H_
#define VFSSIM_FS_XFS_XFS_ALLOC_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/errno.h"
#include "sim/node_memory.h"

namespace vfssim {

// XfsExtent is a run of filesystem blocks [start, start + len).
struct XfsExtent {
  uint64_t start = 0;
  uint64_t len = 0;
  friend bool operator==(const XfsExtent&, const XfsExtent&) = default;
};

class XfsAllocator {
 public:
  XfsAllocator(uint32_t agcount, uint64_t agblocks, uint64_t dblocks);

  // reserve takes [start, start + len) out of free space for good (mkfs's
  // AG headers, btree roots, the internal log). The range must be free.
  void reserve(uint64_t start, uint64_t len);

  // alloc finds between minlen and maxlen contiguous free blocks, as close
  // to `goal` as the preference order above allows, and marks them used.
  // Errors: ENOSPC no AG has a free extent of at least minlen.
  Result<XfsExtent> alloc(uint64_t goal, uint64_t minlen, uint64_t maxlen);

  // free returns [start, start + len) to free space. The range must be in
  // use and inside one AG. It is busy at first (xfs_extent_busy): counted
  // free, but not handed out again until the log is forced (flush_busy),
  // or until an allocation finds nothing else — so a block freed and
  // allocated again usually comes back elsewhere.
  void free(uint64_t start, uint64_t len);
  // set_ag_reservation holds `blocks` of AG `agno` for its metadata
  // (the per-AG reservations): an allocation there may not take the free
  // space those need (xfs_alloc_longest_free_extent).
  void set_ag_reservation(uint32_t agno, uint64_t blocks) { ags_[agno].resv = blocks; }

  // flush_busy makes every busy extent allocatable (a log force: the
  // frees are on disk), merging it with its free neighbours.
  void flush_busy();
  uint64_t busy_blocks() const { return busy_blocks_; }

  // is_free: every block of [start, start + len) is free.
  bool is_free(uint64_t start, uint64_t len) const;

  uint64_t free_blocks() const { return free_blocks_; }
  uint64_t longest_free() const;
  uint32_t agcount() const { return static_cast<uint32_t>(ags_.size()); }
  uint64_t agblocks() const { return agblocks_; }
  uint64_t dblocks() const { return dblocks_; }
  uint32_t agno_of(uint64_t fsb) const { return static_cast<uint32_t>(fsb / agblocks_); }

  // free_extents lists every free extent in block order (the bnobt's
  // records, AG by AG).
  std::vector<XfsExtent> free_extents() const;

  // check compares the two indexes of every AG with each other and with
  // the free-block counters; each inconsistency is one line.
  std::vector<std::string> check() const;

 private:
  using ByBno = NodeBtreeMap<uint64_t, uint64_t>;
  struct Ag {
    uint64_t start = 0;  // First block of the AG.
    uint64_t len = 0;    // Blocks in the AG.
    ByBno by_bno;                                           // start -> len.
    NodeBtreeSet<std::pair<uint64_t, uint64_t>> by_cnt;  // (len, start).
    uint64_t free = 0;  // Blocks in by_bno (busy ones aside).
    ByBno busy;  // Freed, not yet reusable.
    uint64_t resv = 0;  // Per-AG metadata reservation.
  };

  // insert_merged puts [start, start + len) into the indexes, merging it
  // with free neighbours.
  void insert_merged(Ag& ag, uint64_t start, uint64_t len);
  // take removes [start, start + len) from the free extent `it` of `ag`
  // that contains it, keeping the pieces either side.
  void take(Ag& ag, ByBno::iterator it, uint64_t start, uint64_t len);
  // alloc_in_ag tries one AG; `goal` may lie outside it (no exact/near).
  bool alloc_in_ag(Ag& ag, uint64_t goal, uint64_t minlen, uint64_t maxlen, XfsExtent* out);
  // alloc_indexed is alloc over the non-busy free extents only.
  Result<XfsExtent> alloc_indexed(uint64_t goal, uint64_t minlen, uint64_t maxlen);

  uint64_t agblocks_;
  uint64_t dblocks_;
  uint64_t free_blocks_ = 0;  // Indexed and busy.
  uint64_t busy_blocks_ = 0;
  std::vector<Ag> ags_;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_XFS_XFS_ALLOC_H_
