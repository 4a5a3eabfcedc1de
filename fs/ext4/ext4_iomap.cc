// Ext4IomapOps (fs/ext4/inode.c's ext4_iomap_begin, ext4_iomap_report_ops,
// ext4_da_map_blocks and mpage_map_and_submit_extent).

#include <algorithm>

#include "fs/ext4/ext4_mount.h"
#include "vfs/buffered_io.h"

namespace vfssim {
namespace {

// MAX_WRITEPAGES_EXTENT_LEN: writeback places at most this many blocks
// per mapping.
constexpr uint64_t kWritepagesExtentLen = 2048;

}  // namespace

Errno Ext4IomapOps::iomap_begin(Inode& ip, off_t64 pos, uint64_t length, uint32_t flags, Iomap* iomap,
                                Iomap*) {
  Ext4Mount& mp = mp_;
  Ext4InodeData& x = Ext4Mount::ei(ip);
  const uint64_t bs = mp.bsize();
  const uint64_t upos = static_cast<uint64_t>(pos);
  const uint64_t off = upos / bs;
  const uint64_t limit = mp.max_lblk() + 1;
  const bool write = (flags & kIomapWrite) && !(flags & kIomapReport);
  // Reports map as far as asked (a hole to the end of the offset space is
  // one mapping); allocating paths take at most 1024 pages a step.
  const uint64_t span = write && !(flags & kIomapZero) ? std::min<uint64_t>(length, 1024 * kPageSize) : length;
  uint64_t end = std::min(limit, span > UINT64_MAX - upos - bs ? limit : (upos + span + bs - 1) / bs);
  if (off >= limit) {
    // Past the last block a file may hold there is nothing but hole.
    *iomap = mp.hole(off, off + 1, ip);
    iomap->length = std::max<uint64_t>(bs, length);
    return write ? Errno::kEFBIG : Errno::kOk;
  }
  if (end <= off) end = off + 1;
  const bool dax = (ip.flags & kInodeDax) && mp.dax() != nullptr;

  // What the block map says at `off`, up to `end`.
  auto report = [&]() {
    if (std::optional<Ext4Extent> r = x.map.lookup(off)) {
      *iomap = mp.iomap_of(*r, off, std::min(end, r->end()), ip);
      return;
    }
    std::optional<Ext4Extent> n = x.map.next_after(off);
    *iomap = mp.hole(off, n ? std::min(end, n->lblk) : end, ip);
  };
  if (!write || (flags & kIomapZero)) {
    report();
    return Errno::kOk;
  }

  std::optional<Ext4Extent> r = x.map.lookup(off);
  if (flags & kIomapWriteback) {
    // mpage_map_and_submit_extent: the delayed blocks under the dirty
    // pages get real ones, at most MAX_WRITEPAGES_EXTENT_LEN at a time.
    if (r && r->delayed) {
      const uint64_t stop = std::min({end, r->end(), off + kWritepagesExtentLen});
      if (Errno e = mp.map_real(ip, off, stop - off, /*unwritten=*/false, /*zero=*/false); e != Errno::kOk) {
        return e;
      }
      r = x.map.lookup(off);
      if (!r) return Errno::kENOSPC;
    }
    report();
    return Errno::kOk;
  }

  const bool direct = flags & (kIomapDirect | kIomapDax) || ((flags & kIomapFault) && dax);
  if (direct) {
    if (r && !r->delayed && !(dax && r->unwritten)) {
      report();
      return Errno::kOk;
    }
    if (flags & kIomapNowait) return Errno::kEAGAIN;  // Allocating would block.
    uint64_t stop = end;
    if (r) {
      stop = std::min(end, r->end());
    } else if (std::optional<Ext4Extent> n = x.map.next_after(off)) {
      stop = std::min(end, n->lblk);
    }
    if (r && !r->delayed) {
      // DAX over unwritten blocks: zeroed and converted
      // (EXT4_GET_BLOCKS_CREATE_ZERO).
      const uint64_t pblk = r->pblk + (off - r->lblk);
      if (Errno e = mp.dax()->zero_page_range(pblk * bs / kPageSize, (stop - off) * bs / kPageSize);
          e != Errno::kOk) {
        return e;
      }
      x.map.set_unwritten(off, stop - off, false);
      mp.update_tree_blocks(ip);
    } else {
      // ext4_iomap_alloc: DAX written and zeroed; direct I/O written past
      // EOF, unwritten inside it (converted when the I/O completes).
      const bool unwritten = !dax && off * bs < ip.size;
      if (Errno e = mp.map_real(ip, off, stop - off, unwritten, dax); e != Errno::kOk) return e;
    }
    r = x.map.lookup(off);
    if (!r) return Errno::kENOSPC;
    *iomap = mp.iomap_of(*r, off, std::min(stop, r->end()), ip);
    iomap->flags |= kIomapFNew;
    return Errno::kOk;
  }

  // Buffered writes and write faults on the page cache.
  if (r) {
    report();
    return Errno::kOk;
  }
  std::optional<Ext4Extent> n = x.map.next_after(off);
  const uint64_t stop = n ? std::min(end, n->lblk) : end;
  if (!mp.delalloc()) {
    // nodelalloc: ext4_get_block allocates at write_begin.
    if (Errno e = mp.map_real(ip, off, stop - off, /*unwritten=*/true, false); e != Errno::kOk) return e;
    r = x.map.lookup(off);
    if (!r) return Errno::kENOSPC;
    *iomap = mp.iomap_of(*r, off, std::min(stop, r->end()), ip);
    iomap->flags |= kIomapFNew;
    return Errno::kOk;
  }
  // ext4_da_map_blocks: a hole gets a delayed reservation, block by block
  // (ext4_da_reserve_space, per block at write_begin): as many blocks as
  // free space allows, ENOSPC only when not even one is left.
  const uint64_t count = std::min(stop - off, mp.reservable());
  if (count == 0 || mp.reserve_delalloc(count) != Errno::kOk) return Errno::kENOSPC;
  const uint64_t stop_at = off + count;
  x.map.insert({.lblk = off, .len = count, .delayed = true});
  r = x.map.lookup(off);
  *iomap = mp.iomap_of(*r, off, stop_at, ip);
  iomap->flags |= kIomapFNew;
  return Errno::kOk;
}

Errno Ext4IomapOps::iomap_end(Inode& ip, off_t64 pos, uint64_t length, int64_t written, uint32_t flags,
                              Iomap* iomap) {
  if (!(iomap->flags & kIomapFNew) || iomap->type != IomapType::kDelalloc) return Errno::kOk;
  if (flags & (kIomapDirect | kIomapDax | kIomapWriteback | kIomapReport)) return Errno::kOk;
  // The blocks reserved and not written, nor dirty from before, are
  // released (ext4_da_release_space).
  Ext4InodeData& x = Ext4Mount::ei(ip);
  iomap_write_delalloc_release(ip, pos, length, written, mp_.bsize(), [&](uint64_t b) {
    std::optional<Ext4Extent> r = x.map.lookup(b);
    if (!r || !r->delayed) return;
    x.map.remove(b, 1);
    mp_.release_delalloc(1);
  });
  return Errno::kOk;
}

Errno Ext4IomapOps::ioend(Inode& ip, off_t64 pos, uint64_t len, uint32_t flags) {
  Ext4Mount& mp = mp_;
  Ext4InodeData& x = Ext4Mount::ei(ip);
  const uint64_t bs = mp.bsize();
  const uint64_t off = static_cast<uint64_t>(pos) / bs;
  const uint64_t end = (static_cast<uint64_t>(pos) + len + bs - 1) / bs;
  // ext4_convert_unwritten_extents over what was written.
  for (uint64_t at = off; at < end;) {
    std::optional<Ext4Extent> r = x.map.lookup(at);
    if (!r) {
      std::optional<Ext4Extent> n = x.map.next_after(at);
      at = n ? std::min(end, n->lblk) : end;
      continue;
    }
    const uint64_t stop = std::min(end, r->end());
    if (!r->delayed && r->unwritten) x.map.set_unwritten(at, stop - at, false);
    at = stop;
  }
  mp.update_tree_blocks(ip);
  // i_disksize follows what reached the device.
  const uint64_t isize = (flags & kIomapDirect) ? std::max<uint64_t>(ip.size, static_cast<uint64_t>(pos) + len)
                                                : ip.size;
  x.disksize = std::max(x.disksize, std::min<uint64_t>(static_cast<uint64_t>(pos) + len, isize));
  return Errno::kOk;
}

}  // namespace vfssim
