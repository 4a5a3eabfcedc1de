// ExtentMapOps: a fake filesystem block map behind the IomapOps interface,
// for tests of the iterator and every generic helper. Tests build the map
// by hand (hole, delalloc, mapped, unwritten, inline, shared) or let writes
// allocate; counters and an error hook show what the helpers asked.
//
// Allocation follows XFS's shape, at 4 KiB granularity:
//   - a buffered write over a hole reserves delalloc; writeback
//     (kIomapWriteback) turns delalloc into mapped blocks;
//   - direct, DAX and fault writes over a hole allocate mapped blocks at
//     once (DAX blocks are zeroed first with zero_page_range, which clears
//     known poison — why punch+rewrite recovers a poisoned block);
//   - a write over a SHARED extent stages copy on write: iomap is a
//     delalloc COW reservation flagged SHARED and srcmap the shared extent;
//     writeback allocates the new blocks and ioend remaps them in;
//   - ioend converts unwritten extents to mapped.
//
//   ExtentMapOps ops(&bdev, nullptr);
//   ops.put({.addr = 0, .offset = 0, .length = 8192, .type = IomapType::kMapped});
//   ops.put_hole(8192, 4096);

#ifndef VFSSIM_VFS_TESTING_EXTENT_MAP_OPS_H_
#define VFSSIM_VFS_TESTING_EXTENT_MAP_OPS_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <iterator>
#include <vector>

#include "absl/container/btree_map.h"
#include "vfs/iomap.h"

namespace vfssim {

class ExtentMapOps : public IomapOps {
 public:
  static constexpr uint64_t kBlock = 4096;

  // Blocks are allocated upward from kFirstFree, above the addresses tests
  // use for hand-built mappings.
  static constexpr uint64_t kFirstFree = 512ull << 20;

  ExtentMapOps(BlockDevice* bdev, DaxDevice* dax, uint64_t first_free = kFirstFree)
      : bdev_(bdev), dax_(dax), next_addr_(first_free) {}

  // put installs mapping m (offset/length/type/addr/flags), replacing what
  // overlapped it. Device pointers are filled in.
  void put(Iomap m) {
    punch(m.offset, m.length);
    m.bdev = dax_ != nullptr ? nullptr : bdev_;
    m.dax_dev = dax_;
    extents_[m.offset] = m;
  }
  // punch removes the mappings over [off, off+len), splitting edges.
  // Offsets are signed but a mapping may end one past LLONG_MAX (the block
  // holding the last byte), so ends are computed unsigned (end_of).
  void punch(off_t64 off, uint64_t len) {
    const uint64_t end = static_cast<uint64_t>(off) + len;
    split(off);
    if (end > static_cast<uint64_t>(kOffMax)) {
      extents_.erase(extents_.lower_bound(off), extents_.end());
      return;
    }
    split(static_cast<off_t64>(end));
    extents_.erase(extents_.lower_bound(off), extents_.lower_bound(static_cast<off_t64>(end)));
  }
  static uint64_t end_of(const Iomap& m) { return static_cast<uint64_t>(m.offset) + m.length; }

  // share_allocator makes allocations take blocks from `*next`, a cursor
  // every inode of one filesystem shares, instead of this map's own, so
  // two files on one device never get the same blocks.
  void share_allocator(uint64_t* next) { shared_next_ = next; }

  // preallocate gives the holes of [off, off+len), widened to whole blocks,
  // unwritten blocks (xfs_alloc_file_space); mapped, unwritten and delalloc
  // extents stay as they are. Errors: ENOSPC (enospc set).
  Errno preallocate(off_t64 off, uint64_t len) {
    const uint64_t start = static_cast<uint64_t>(off) / kBlock * kBlock;
    const uint64_t end = (static_cast<uint64_t>(off) + len + kBlock - 1) / kBlock * kBlock;
    for (uint64_t pos = start; pos < end;) {
      const Iomap m = lookup(static_cast<off_t64>(pos), end - pos);
      const uint64_t next = std::min(end, end_of(m));
      if (m.type == IomapType::kHole) {
        if (enospc) return Errno::kENOSPC;
        Result<Iomap> u = allocate(static_cast<off_t64>(pos), next - pos);
        if (!u) return u.error();
        u->type = IomapType::kUnwritten;
        put(*u);
      }
      pos = next;
    }
    return Errno::kOk;
  }

  // What a lookup at pos returns (a hole up to the next mapping if none).
  Iomap lookup(off_t64 pos, uint64_t length) const {
    auto it = extents_.upper_bound(pos);
    if (it != extents_.begin()) {
      auto prev = std::prev(it);
      if (end_of(prev->second) > static_cast<uint64_t>(pos)) {
        return prev->second;
      }
    }
    Iomap hole;
    hole.offset = pos;
    // Offsets run to LLONG_MAX inclusive: the page holding the last byte
    // ends one past it, so the arithmetic is unsigned.
    constexpr uint64_t kEnd = static_cast<uint64_t>(kOffMax) + 1;
    const uint64_t upos = static_cast<uint64_t>(pos);
    const uint64_t next = it == extents_.end() ? kEnd : static_cast<uint64_t>(it->first);
    hole.length = std::min(next, upos + std::min(length, kEnd - upos)) - upos;
    hole.bdev = dax_ != nullptr ? nullptr : bdev_;
    hole.dax_dev = dax_;
    return hole;
  }

  Errno iomap_begin(Inode&, off_t64 pos, uint64_t length, uint32_t flags, Iomap* iomap,
                    Iomap* srcmap) override {
    ++begins;
    last_flags = flags;
    if (fail_begin) {
      if (Errno e = fail_begin(pos, flags); e != Errno::kOk) return e;
    }
    if (bad_map) {
      *iomap = *bad_map;
      return Errno::kOk;
    }
    Iomap m = lookup(pos, length);
    const bool write = (flags & kIomapWrite) && !(flags & kIomapReport);
    if (!write) {
      *iomap = m;
      return Errno::kOk;
    }
    const bool now = flags & (kIomapDirect | kIomapDax | kIomapWriteback) ||
                     ((flags & kIomapFault) && dax_ != nullptr);
    if (m.flags & kIomapFShared) {
      if (flags & kIomapWriteback) {
        // Allocate the COW blocks now; ioend remaps them over the shared ones.
        Result<Iomap> fresh = allocate(pos, std::min<uint64_t>(m.length - static_cast<uint64_t>(pos - m.offset), length));
        if (!fresh) return fresh.error();
        cow_.push_back(*fresh);
        *iomap = *fresh;
        return Errno::kOk;
      }
      Iomap cow = m;
      cow.type = IomapType::kDelalloc;
      cow.addr = kIomapNullAddr;
      *iomap = cow;
      *srcmap = m;
      return Errno::kOk;
    }
    if (m.type == IomapType::kHole || (m.type == IomapType::kDelalloc && now)) {
      if (flags & kIomapNowait) return Errno::kEAGAIN;  // Allocating would block.
      const uint64_t len = std::min<uint64_t>(m.length - static_cast<uint64_t>(pos - m.offset), length);
      const off_t64 start = pos / kBlock * kBlock;
      const uint64_t span = (static_cast<uint64_t>(pos) + len + kBlock - 1) / kBlock * kBlock -
                            static_cast<uint64_t>(start);
      if (enospc) return Errno::kENOSPC;
      if (now) {
        Result<Iomap> fresh = allocate(start, span);
        if (!fresh) return fresh.error();
        put(*fresh);
      } else {
        Iomap d;
        d.offset = start;
        d.length = span;
        d.type = IomapType::kDelalloc;
        put(d);
      }
      m = lookup(pos, length);
      m.flags |= kIomapFNew;
    }
    *iomap = m;
    return Errno::kOk;
  }

  Errno iomap_end(Inode&, off_t64 pos, uint64_t, int64_t written, uint32_t, Iomap*) override {
    ++ends;
    return fail_end ? fail_end(pos, written) : Errno::kOk;
  }

  Errno ioend(Inode&, off_t64 pos, uint64_t len, uint32_t) override {
    ++ioends;
    const uint64_t end = static_cast<uint64_t>(pos) + len;
    // Remap staged COW blocks.
    for (auto it = cow_.begin(); it != cow_.end();) {
      if (static_cast<uint64_t>(it->offset) < end && end_of(*it) > static_cast<uint64_t>(pos)) {
        put(*it);
        it = cow_.erase(it);
      } else {
        ++it;
      }
    }
    // Convert unwritten to written, in whole blocks (xfs_iomap_write_unwritten
    // converts [XFS_B_TO_FSBT(offset), XFS_B_TO_FSB(offset + count))): a
    // sub-block direct write has zeroed the rest of its block on the device,
    // so the block is written data now. Converting only the bytes written
    // left the block's tail unwritten, and the next direct write over it
    // zeroed the block from its start again, over the bytes just written.
    const off_t64 first = pos / kBlock * kBlock;
    const uint64_t last = (end + kBlock - 1) / kBlock * kBlock;  // end <= LLONG_MAX + 1.
    split(first);
    if (last <= static_cast<uint64_t>(kOffMax)) split(static_cast<off_t64>(last));
    for (auto it = extents_.lower_bound(first);
         it != extents_.end() && static_cast<uint64_t>(it->first) < last; ++it) {
      if (it->second.type == IomapType::kUnwritten) it->second.type = IomapType::kMapped;
    }
    return Errno::kOk;
  }

  const absl::btree_map<off_t64, Iomap>& extents() const { return extents_; }
  BlockDevice* bdev() const { return bdev_; }

  // Counters and hooks.
  int begins = 0, ends = 0, ioends = 0;
  uint32_t last_flags = 0;
  bool enospc = false;  // Allocation fails with ENOSPC.
  std::function<Errno(off_t64 pos, uint32_t flags)> fail_begin;
  std::function<Errno(off_t64 pos, int64_t written)> fail_end;
  std::optional<Iomap> bad_map;  // Returned as is: for invariant tests.

 private:
  // allocate takes fresh blocks for [off, off+len). On pmem they are zeroed
  // through the device first (as XFS zeroes new DAX extents), and when that
  // fails the allocation fails with its error and the blocks stay free.
  // Errors: ENOSPC the device has no blocks left past the cursor.
  Result<Iomap> allocate(off_t64 off, uint64_t len) {
    uint64_t& next_addr = shared_next_ != nullptr ? *shared_next_ : next_addr_;
    // No blocks past the device's end: ENOSPC, as a full filesystem says,
    // rather than mappings whose I/O the device refuses (EIO).
    const uint64_t capacity = dax_ != nullptr ? dax_->dax_nr_pages() * kPageSize
                              : bdev_ != nullptr ? bdev_->nr_sectors() * kSectorSize
                                                 : UINT64_MAX;
    if (next_addr > capacity || len > capacity - next_addr) return Fail(Errno::kENOSPC);
    Iomap m;
    m.offset = off;
    m.length = len;
    m.addr = next_addr;
    m.type = IomapType::kMapped;
    m.bdev = dax_ != nullptr ? nullptr : bdev_;
    m.dax_dev = dax_;
    if (dax_ != nullptr) {
      if (Errno e = dax_->zero_page_range(m.addr / kPageSize, len / kPageSize); e != Errno::kOk) {
        return Fail(e);
      }
    }
    next_addr += len;
    return m;
  }

  // split cuts the mapping containing `at` (if any) in two at `at`.
  void split(off_t64 at) {
    auto it = extents_.upper_bound(at);
    if (it == extents_.begin()) return;
    --it;
    Iomap& m = it->second;
    if (m.offset >= at || end_of(m) <= static_cast<uint64_t>(at)) return;
    Iomap tail = m;
    const uint64_t head = static_cast<uint64_t>(at - m.offset);
    tail.offset = at;
    tail.length = m.length - head;
    if (tail.addr != kIomapNullAddr) tail.addr += head;
    if (!tail.inline_data.empty()) tail.inline_data = tail.inline_data.subspan(head);
    m.length = head;
    extents_[at] = tail;
  }

  BlockDevice* bdev_;
  DaxDevice* dax_;
  uint64_t next_addr_;
  uint64_t* shared_next_ = nullptr;
  absl::btree_map<off_t64, Iomap> extents_;
  std::vector<Iomap> cow_;
};

}  // namespace vfssim

#endif  // VFSSIM_VFS_TESTING_EXTENT_MAP_OPS_H_
