// XfsIomapOps (fs/xfs/xfs_iomap.c, xfs_aops.c's xfs_map_blocks and
// xfs_reflink.c's CoW staging).

#include <algorithm>
#include <bit>
#include <vector>

#include "fs/xfs/xfs_mount.h"
#include "vfs/buffered_io.h"

namespace vfssim {
namespace {

// xfs_iomap_prealloc_size: how many blocks to reserve past the end of an
// extending buffered write. None while the file is smaller than the
// allocation size (64 KiB); the minimum when writing behind a hole;
// otherwise twice the size of the contiguous extents before the write,
// rounded down to a power of two, throttled when free space runs low,
// never more than a record holds and at least the allocation size.
uint64_t prealloc_size(XfsMount& mp, const Inode& ip, uint64_t off_fsb, uint64_t pos,
                       uint64_t count) {
  const XfsInodeData& x = XfsMount::xi(ip);
  const uint64_t allocsize = mp.allocsize_blocks();
  constexpr uint64_t kMaxExtlen = XfsFork::kMaxExtlen;
  if (pos + count <= ip.size) return 0;
  if (ip.size < allocsize * mp.bsize()) return 0;
  std::optional<XfsIrec> prev = x.data.prev_before(off_fsb);
  if (!prev || prev->end() < off_fsb) return allocsize;
  uint64_t plen = prev->blockcount;
  for (std::optional<XfsIrec> got = x.data.prev_before(prev->startoff); got;
       got = x.data.prev_before(prev->startoff)) {
    if (plen > kMaxExtlen / 2 || got->delalloc() || prev->delalloc() ||
        got->end() != prev->startoff || got->startblock + got->blockcount != prev->startblock) {
      break;
    }
    plen += got->blockcount;
    prev = got;
  }
  uint64_t alloc = plen * 2;
  if (alloc > kMaxExtlen) alloc = mp.to_fsb(pos);
  alloc = std::min<uint64_t>(alloc, std::bit_ceil(kMaxExtlen));
  // Throttle below 5% free space (m_low_space), a shift per percent.
  const uint64_t freesp = mp.fdblocks();
  const uint64_t total = mp.geo().dblocks;
  int shift = 0;
  for (uint64_t pct = 5; pct >= 1; --pct) {
    if (freesp < total / 100 * pct) shift = shift == 0 ? 2 : shift + 1;
  }
  if (shift) alloc >>= shift;
  if (alloc) alloc = std::bit_floor(alloc);
  alloc = std::min(alloc, kMaxExtlen);
  // "If we are still trying to allocate more space than is available,
  // squash the prealloc hard."
  while (alloc != 0 && alloc >= freesp) alloc >>= 4;
  return std::max(alloc, allocsize);
}

// The end of a shared or unshared run of `r` from file block `off`, and
// whether it is shared (xfs_reflink_trim_around_shared).
std::pair<uint64_t, bool> shared_run(XfsMount& mp, const XfsIrec& r, uint64_t off, uint64_t end) {
  end = std::min(end, r.end());
  if (!mp.reflink() || r.delalloc()) return {end, false};
  const uint64_t block = r.startblock + (off - r.startoff);
  const uint64_t n = end - off;
  std::optional<XfsExtent> s = mp.refcount().shared_in(block, n);
  if (!s) return {end, false};
  if (s->start > block) return {off + (s->start - block), false};
  return {off + s->len, true};
}

XfsIrec trim(XfsIrec r, uint64_t off, uint64_t end) {
  if (r.startoff < off) {
    if (!r.delalloc()) r.startblock += off - r.startoff;
    r.blockcount -= off - r.startoff;
    r.startoff = off;
  }
  if (r.end() > end) r.blockcount = end - r.startoff;
  return r;
}

// copy_blocks copies n blocks on the device (a CoW of a partly written
// block needs the old bytes around the new ones). Errors: EIO.
Errno copy_blocks(XfsMount& mp, const Inode& ip, uint64_t from, uint64_t to, uint64_t n) {
  std::vector<std::byte> buf(n * mp.bsize());
  Iomap src;
  mp.bmbt_to_iomap(ip, &src, {0, from, n, XfsExtState::kNorm});
  if (Errno e = read_from_mapping(src, 0, buf); e != Errno::kOk) return e;
  if (src.dax_dev != nullptr) {
    src.dax_dev->memcpy_flushcache(to * mp.bsize(), buf);
    return Errno::kOk;
  }
  return src.bdev->write(to * mp.bsize() / kSectorSize, buf).err;
}

// prepare_cow readies the CoW staging blocks over file blocks [off, stop)
// for a direct or DAX write (xfs_reflink_convert_cow and the copy XFS's
// DAX path does in dax_iomap_copy_around): staging blocks not yet holding
// data get the file's old bytes — copied from written data-fork blocks,
// zeros where the data fork has none — and become written. A direct
// write overwrites most of them; a DAX store or fault writes only its own
// bytes and relies on the rest. Errors: EIO (the copy, poison).
Errno prepare_cow(XfsMount& mp, Inode& ip, uint64_t off, uint64_t stop) {
  XfsInodeData& x = XfsMount::xi(ip);
  static const std::vector<std::byte> kZeros(64 * 1024);
  for (uint64_t at = off; at < stop;) {
    std::optional<XfsIrec> c = x.cow.lookup(at);
    if (!c) return Errno::kEIO;
    const uint64_t cend = std::min(stop, c->end());
    if (c->delalloc() || c->state == XfsExtState::kNorm) {
      at = cend;
      continue;
    }
    for (uint64_t b = at; b < cend;) {
      std::optional<XfsIrec> r = x.data.lookup(b);
      uint64_t n = cend - b;
      if (r) n = std::min(n, r->end() - b);
      else if (std::optional<XfsIrec> nx = x.data.next_after(b)) n = std::min(n, nx->startoff - b);
      const uint64_t nb = c->startblock + (b - c->startoff);
      if (r && !r->delalloc() && r->state == XfsExtState::kNorm) {
        if (Errno e = copy_blocks(mp, ip, r->startblock + (b - r->startoff), nb, n); e != Errno::kOk) return e;
      } else {
        Iomap dst;
        mp.bmbt_to_iomap(ip, &dst, {0, nb, n, XfsExtState::kNorm});
        for (uint64_t z = 0; z < n * mp.bsize();) {
          const uint64_t k = std::min<uint64_t>(kZeros.size(), n * mp.bsize() - z);
          if (dst.dax_dev != nullptr) {
            dst.dax_dev->memcpy_flushcache(dst.addr + z, std::span(kZeros).first(k));
          } else if (Errno e = dst.bdev->write((dst.addr + z) / kSectorSize, std::span(kZeros).first(k)).err;
                     e != Errno::kOk) {
            return e;
          }
          z += k;
        }
      }
      b += n;
    }
    x.cow.set_state(at, cend - at, XfsExtState::kNorm);
    at = cend;
  }
  return Errno::kOk;
}

// CowStaging is what a write to shared file blocks [off, stop) stages in
// the CoW fork: `want`, that range cut at the next CoW record
// (xfs_find_trim_cow_extent for direct and DAX writes, the request
// xfs_bmapi_reserve_delalloc gets for buffered ones), and `hinted`, `want`
// widened to the CoW extent size hint where the fork has room
// (xfs_bmap_extsize_align) and kept below s_maxbytes. A buffered write
// reserves `hinted`, or `want` alone when that fails; a direct or DAX write
// `hinted` only.
struct CowStaging {
  XfsRange hinted;
  XfsRange want;
};

CowStaging cow_staging(XfsMount& mp, const Inode& ip, const XfsFork& cow, uint64_t off,
                       uint64_t stop, bool delay) {
  if (std::optional<XfsIrec> n = cow.next_after(off)) stop = std::min(stop, n->startoff);
  const XfsRange a = extsize_align(cow, off, stop - off, mp.cowextsz_hint(ip), delay);
  const uint64_t aend = std::min(a.off + a.len, mp.max_fileoff());
  return {.hinted = {a.off, aend - a.off}, .want = {off, stop - off}};
}

}  // namespace

Errno XfsIomapOps::iomap_begin(Inode& ip, off_t64 pos, uint64_t length, uint32_t flags,
                               Iomap* iomap, Iomap* srcmap) {
  XfsMount& mp = mp_;
  XfsInodeData& x = XfsMount::xi(ip);
  const uint64_t upos = static_cast<uint64_t>(pos);
  const uint64_t off = mp.to_fsb(upos);
  uint64_t end = std::min(mp.max_fileoff(), mp.to_fsb_up(upos + length));
  if (end <= off) end = off + 1;
  const uint64_t bs = mp.bsize();
  const bool write = (flags & kIomapWrite) && !(flags & kIomapReport);
  const bool dax = (ip.flags & kInodeDax) && mp.dax() != nullptr;
  const bool now = flags & (kIomapDirect | kIomapDax) || ((flags & kIomapFault) && dax);

  auto report = [&](uint64_t at, uint64_t stop, bool flag_shared) {
    std::optional<XfsIrec> r = x.data.lookup(at);
    if (!r) {
      std::optional<XfsIrec> n = x.data.next_after(at);
      uint64_t hole_end = n ? std::min(stop, n->startoff) : stop;
      // xfs_seek_iomap_begin: "If a COW fork extent covers the hole,
      // report it - capped to the next data fork extent", as unwritten,
      // so the page cache decides what is data; "Else report a hole,
      // capped to the next found data or COW extent" (the next step looks
      // at that CoW extent's dirty pages).
      if (flags & kIomapSeek) {
        if (std::optional<XfsIrec> c = x.cow.lookup(at)) {
          mp.bmbt_to_iomap(ip, iomap, trim(*c, at, std::min(hole_end, c->end())));
          iomap->type = IomapType::kUnwritten;
          iomap->flags |= kIomapFShared;
          return;
        }
        if (std::optional<XfsIrec> c = x.cow.next_after(at)) hole_end = std::min(hole_end, c->startoff);
      }
      mp.hole_to_iomap(ip, iomap, at, hole_end);
      return;
    }
    uint64_t stop_at = std::min(stop, r->end());
    bool shared = false;
    if (flag_shared) std::tie(stop_at, shared) = shared_run(mp, *r, at, stop_at);
    mp.bmbt_to_iomap(ip, iomap, trim(*r, at, stop_at));
    if (shared) iomap->flags |= kIomapFShared;
  };

  const bool cow_inode = mp.reflink() && (x.diflags & kXfsDiflag2Reflink);
  const bool zero = flags & kIomapZero;
  if (!write && !zero) {
    report(off, end, flags & kIomapReport);
    return Errno::kOk;
  }
  if (zero) {
    // Zeroing (xfs_buffered_write_iomap_begin with IOMAP_ZERO): shared
    // blocks, or blocks the CoW fork stages, are zeroed through copy on
    // write like any write to them (or the zeros would land in the other
    // owner's data); delalloc past EOF is converted to unwritten blocks,
    // which read as zeros ("convert_delay"); the rest is reported.
    std::optional<XfsIrec> r = x.data.lookup(off);
    bool through_cow = false;
    // DAX inodes unshare before zeroing (XfsVnodeOps's dax_zero_range).
    // A hole in the data fork is never zeroed ("We never need to allocate
    // blocks for zeroing or unsharing a hole"), whatever the CoW fork holds.
    if (cow_inode && !dax && r) {
      through_cow = x.cow.lookup(off).has_value() || (!r->delalloc() && shared_run(mp, *r, off, end).second);
    }
    if (!through_cow) {
      if (r && r->delalloc() && off >= mp.to_fsb_up(ip.size)) {
        if (Result<XfsIrec> n = mp.convert_delalloc(ip, x.data, 0, off); !n) return n.error();
      }
      // The plain mapping ends where sharing starts (xfs_bmap_trim_cow):
      // the next step zeroes those blocks through copy on write. Host
      // 6.18.44: a punch whose head zeroing runs from an unshared block
      // into a shared one reserves CoW staging there.
      uint64_t zend = end;
      if (cow_inode && !dax && r && !r->delalloc()) zend = shared_run(mp, *r, off, end).first;
      report(off, zend, false);
      return Errno::kOk;
    }
  }

  if (flags & kIomapWriteback) {
    // xfs_map_blocks: the CoW fork first, then the data fork, a data
    // mapping trimmed at the next CoW staging extent.
    if (std::optional<XfsIrec> c = x.cow.lookup(off)) {
      if (c->delalloc()) {
        Result<XfsIrec> r = mp.convert_delalloc(ip, x.cow, 1, off);
        if (!r) return r.error();
        c = *r;
      }
      // xfs_reflink_convert_cow: the staging blocks about to be written
      // become written, so ioend remaps exactly those.
      x.cow.set_state(off, std::min(end, c->end()) - off, XfsExtState::kNorm);
      c = x.cow.lookup(off);
      mp.bmbt_to_iomap(ip, iomap, trim(*c, off, end));
      return Errno::kOk;
    }
    std::optional<XfsIrec> r = x.data.lookup(off);
    if (r && r->delalloc()) {
      Result<XfsIrec> n = mp.convert_delalloc(ip, x.data, 0, off);
      if (!n) {
        // xfs_discard_folio: the pages that could not be mapped are
        // cleaned without I/O, so their delalloc goes too (the data is
        // lost; the error reaches fsync through the errseq).
        for (const XfsIrec& d : x.data.remove(off, std::min(end, r->end()) - off)) {
          if (d.delalloc()) {
            mp.unreserve_delalloc(d.blockcount);
          } else {
            x.data.insert(d);
          }
        }
        return n.error();
      }
      r = *n;
    } else if (!r) {
      // Blocks of a dirty page that were never written (smaller than the
      // page): a hole, which writeback skips.
      std::optional<XfsIrec> n = x.data.next_after(off);
      uint64_t stop = n ? std::min(end, n->startoff) : end;
      if (std::optional<XfsIrec> c = x.cow.next_after(off)) stop = std::min(stop, c->startoff);
      mp.hole_to_iomap(ip, iomap, off, stop);
      return Errno::kOk;
    }
    uint64_t stop = std::min(end, r->end());
    if (std::optional<XfsIrec> c = x.cow.next_after(off)) stop = std::min(stop, c->startoff);
    mp.bmbt_to_iomap(ip, iomap, trim(*r, off, stop));
    return Errno::kOk;
  }

  if (now && !zero) {
    // Direct and DAX writes: xfs_direct_write_iomap_begin /
    // xfs_dax_write_iomap_begin, mapping (and allocating) at most 4 MiB at
    // a time: an 8 MiB direct write with 4 MiB free leaves 4 MiB allocated
    // and fails (host probe enospc_dio).
    length = std::min<uint64_t>(length, 1024 * kPageSize);
    end = std::min(mp.max_fileoff(), (upos + length + bs - 1) / bs);
    std::optional<XfsIrec> r = x.data.lookup(off);
    // A plain mapping ends where sharing starts or the CoW fork stages
    // blocks (xfs_reflink_trim_around_shared): the next step goes CoW.
    uint64_t plain_end = end;
    if (cow_inode) {
      std::optional<XfsIrec> c = x.cow.lookup(off);
      bool shared = false;
      uint64_t stop = end;
      if (r && !r->delalloc()) std::tie(stop, shared) = shared_run(mp, *r, off, end);
      if (!shared) plain_end = stop;
      if (std::optional<XfsIrec> nc = x.cow.next_after(off)) plain_end = std::min(plain_end, nc->startoff);
      if (c || shared) {
        if (flags & kIomapNowait) return Errno::kEAGAIN;
        if (!c) {
          // xfs_reflink_allocate_cow: real CoW staging blocks over the
          // CoW extent size hint's aligned range (where the CoW fork has
          // room), unwritten; the part being written is converted first
          // (convert_now), with the old bytes of partly written blocks
          // copied in. The whole hinted range is reserved up front, with
          // no retry without the hint (xfs_reflink_fill_cow_hole's
          // XFS_DIOSTRAT_SPACE_RES of the aligned count).
          const XfsRange a = cow_staging(mp, ip, x.cow, off, stop, /*delay=*/false).hinted;
          Result<XfsTrans> tp = mp.trans_alloc("cow_direct", a.len + kXfsExtentAddRes);
          if (!tp) return tp.error();
          Result<XfsExtent> e = mp.alloc_blocks(*tp, r->startblock + (a.off > r->startoff ? a.off - r->startoff : 0),
                                                1, a.len, false, false);
          if (!e) {
            mp.trans_commit(std::move(*tp));
            return e.error();
          }
          x.cow.insert({a.off, e->start, e->len, XfsExtState::kUnwritten});
          tp->log({XfsLogItem::kMap, ip.ino, 1, a.off, e->start, e->len, 1});
          mp.trans_commit(std::move(*tp));
          c = x.cow.lookup(off);
          if (!c) return Errno::kENOSPC;  // The allocation fell short of off.
        } else if (c->delalloc()) {
          Result<XfsIrec> n = mp.convert_delalloc(ip, x.cow, 1, off);
          if (!n) return n.error();
          c = x.cow.lookup(off);
        }
        const uint64_t cstop = std::min(end, c->end());
        if (Errno e = prepare_cow(mp, ip, off, cstop); e != Errno::kOk) return e;
        c = x.cow.lookup(off);
        mp.bmbt_to_iomap(ip, iomap, trim(*c, off, end));
        iomap->flags |= kIomapFShared;
        return Errno::kOk;
      }
    }
    const bool need_alloc = !r || r->delalloc() || (dax && r->state == XfsExtState::kUnwritten);
    if (need_alloc) {
      if (flags & kIomapNowait) return Errno::kEAGAIN;  // Allocating would block.
      std::optional<XfsIrec> n = x.data.next_after(off);
      uint64_t stop = r ? std::min(end, r->end()) : (n ? std::min(end, n->startoff) : end);
      stop = std::min(stop, plain_end);
      if (r && !r->delalloc()) {
        // DAX over unwritten blocks: zeroed and written first
        // (XFS_BMAPI_CONVERT | XFS_BMAPI_ZERO).
        const uint64_t block = r->startblock + (off - r->startoff);
        // xfs_iomap_write_direct over an unwritten extent: twice
        // XFS_DIOSTRAT_SPACE_RES, forced (the reserve pool may cover it).
        Result<XfsTrans> tp = mp.trans_alloc("dax_convert", 2 * kXfsExtentAddRes, /*rsvd=*/true);
        if (!tp) return tp.error();
        if (Errno e = mp.dax()->zero_page_range(block * bs / kPageSize, (stop - off) * bs / kPageSize);
            e != Errno::kOk) {
          return e;  // Nothing was logged: the transaction is cancelled.
        }
        tp->log({XfsLogItem::kConvert, ip.ino, 0, off, 0, stop - off, 0});
        x.data.set_state(off, stop - off, XfsExtState::kNorm);
        mp.log_inode(*tp, ip);
        mp.trans_commit(std::move(*tp));
      } else if (Errno e = mp.alloc_real(ip, off, stop - off,
                                         dax ? XfsExtState::kNorm : XfsExtState::kUnwritten, dax);
                 e != Errno::kOk) {
        return e;
      }
      // xfs_iomap_write_direct maps exactly the blocks it allocated: the
      // new extent may merge with a neighbour (shared blocks, say) that
      // this step must not hand out.
      r = x.data.lookup(off);
      mp.bmbt_to_iomap(ip, iomap, trim(*r, off, stop));
      iomap->flags |= kIomapFNew;
      return Errno::kOk;
    }
    mp.bmbt_to_iomap(ip, iomap, trim(*r, off, std::min(end, plain_end)));
    return Errno::kOk;
  }

  // Buffered writes, write faults and unsharing: xfs_buffered_write_iomap_begin.
  // "We cap the maximum length we map to a sane size": 1024 pages, so a
  // long write reserves (and preallocates) 4 MiB at a time, with i_size
  // grown by the pieces before.
  // Existing extents and unsharing's walk are reported whole.
  const uint64_t full_end = end;
  length = std::min<uint64_t>(length, 1024 * kPageSize);
  end = std::min(mp.max_fileoff(), (upos + length + bs - 1) / bs);
  std::optional<XfsIrec> r = x.data.lookup(off);
  uint64_t plain_end = full_end;  // As in the direct path.
  if ((flags & kIomapUnshare) && !r) {
    // "We never need to allocate blocks for unsharing a hole": a hole in
    // the data fork is reported as one up to the next extent, whatever
    // CoW staging lies over it (host 6.18.44, differential seed 269 with
    // unshares: the hint-aligned staging next to a shared block is not
    // written, and the preallocation after the unshare leaves those
    // blocks unwritten).
    std::optional<XfsIrec> n = x.data.next_after(off);
    mp.hole_to_iomap(ip, iomap, off, n ? std::min(full_end, n->startoff) : full_end);
    return Errno::kOk;
  }
  if (cow_inode) {
    std::optional<XfsIrec> c = x.cow.lookup(off);
    bool shared = false;
    uint64_t stop = end;
    if (!c && r && !r->delalloc()) {
      std::tie(stop, shared) = shared_run(mp, *r, off, full_end);
      if (!shared) plain_end = stop;
    }
    if (std::optional<XfsIrec> nc = x.cow.next_after(off)) plain_end = std::min(plain_end, nc->startoff);
    if (shared) stop = std::min(stop, end);
    if (!c && shared) {
      // A delalloc CoW reservation over the shared blocks, widened to the
      // CoW extent size hint where the CoW fork has room
      // (xfs_bmapi_reserve_delalloc, which takes alen + indlen from
      // fdblocks in either fork); without the widening if that fails.
      const CowStaging st = cow_staging(mp, ip, x.cow, off, stop, /*delay=*/true);
      XfsRange a = st.hinted;
      if (mp.reserve_delalloc(a.len, /*indlen=*/true) != Errno::kOk) {
        a = st.want;
        if (Errno e = mp.reserve_delalloc(a.len, /*indlen=*/true); e != Errno::kOk) return e;
      }
      x.cow.insert({a.off, kXfsDelayBlock, a.len, XfsExtState::kNorm});
      c = x.cow.lookup(off);
    }
    if (c) {
      // found_cow: the data fork's extent (or hole) is the source.
      if (r) {
        mp.bmbt_to_iomap(ip, srcmap, trim(*r, off, std::min(end, c->end())));
        if (srcmap->type == IomapType::kHole) *srcmap = Iomap{};
      }
      uint64_t cstop = std::min(end, c->end());
      if (!r) {
        if (std::optional<XfsIrec> n = x.data.next_after(off)) cstop = std::min(cstop, n->startoff);
      } else {
        cstop = std::min(cstop, r->end());
      }
      mp.bmbt_to_iomap(ip, iomap, trim(*c, off, cstop));
      iomap->flags |= kIomapFShared;
      if (srcmap->length != 0 && srcmap->length > iomap->length) srcmap->length = iomap->length;
      return Errno::kOk;
    }
  }
  if (r || (flags & kIomapUnshare)) {
    report(off, plain_end, false);
    return Errno::kOk;
  }
  // A hole: reserve delalloc up to the next data fork extent, plus
  // speculative preallocation past EOF when nothing follows. CoW staging
  // that starts later in the write does not cut it: only an extent at
  // `off` sends the write to the CoW fork (found_cow);
  // xfs_bmapi_reserve_delalloc stops at the next extent of the data fork
  // alone, and writeback finds the staging under the delalloc
  // (xfs_map_blocks looks at the CoW fork first). The cut at the next
  // CoW extent is the direct and DAX paths' (xfs_find_trim_cow_extent).
  std::optional<XfsIrec> n = x.data.next_after(off);
  const uint64_t stop = n ? std::min(end, n->startoff) : end;
  uint64_t prealloc = 0;
  if (!n && upos + length > ip.size) {
    // allocsize= fixes it; else xfs_iomap_prealloc_size decides.
    prealloc = mp.allocsize_fixed() != 0 ? mp.allocsize_fixed() : prealloc_size(mp, ip, off, upos, length);
    if (prealloc != 0) {
      // p_end_fsb: the write's last byte rounded down to the allocation
      // size, plus the preallocation, capped at s_maxbytes.
      const uint64_t allocsize = mp.allocsize_blocks();
      const uint64_t end_offset = (upos + length - 1) / (allocsize * bs) * (allocsize * bs);
      uint64_t p_end = end_offset / bs + prealloc;
      p_end = std::min(p_end, mp.max_fileoff());
      prealloc = p_end > stop ? p_end - stop : 0;
    }
  }
  Errno e = mp.reserve_delalloc(stop - off + prealloc, /*indlen=*/true);
  if (e != Errno::kOk && prealloc != 0) {
    prealloc = 0;
    e = mp.reserve_delalloc(stop - off, /*indlen=*/true);
  }
  if (e != Errno::kOk) return e;
  x.data.insert({off, kXfsDelayBlock, stop - off + prealloc, XfsExtState::kNorm});
  r = x.data.lookup(off);
  mp.bmbt_to_iomap(ip, iomap, trim(*r, off, std::max(stop, off + 1)));
  iomap->flags |= kIomapFNew;
  return Errno::kOk;
}

Errno XfsIomapOps::iomap_end(Inode& ip, off_t64 pos, uint64_t length, int64_t written,
                             uint32_t flags, Iomap* iomap) {
  // xfs_dax_write_iomap_end: a DAX store into CoW staging is remapped at
  // once (DAX has no ioend); one that stored nothing (a write fault whose
  // staging block holds poison: SIGBUS) cancels the staging it was given
  // ("if (!written) return xfs_reflink_cancel_cow_range(ip, pos, length,
  // true)").
  const bool dax = (ip.flags & kInodeDax) && mp_.dax() != nullptr;
  if (dax && (flags & kIomapWrite) && (iomap->flags & kIomapFShared)) {
    if (written > 0) return ioend(ip, pos, static_cast<uint64_t>(written), flags);
    const uint64_t first = mp_.to_fsb(static_cast<uint64_t>(pos));
    const uint64_t last = mp_.to_fsb_up(static_cast<uint64_t>(pos) + length);
    Result<XfsTrans> tp = mp_.trans_alloc("cancel_cow", 0);
    if (!tp) return tp.error();
    mp_.cancel_cow(*tp, ip, first, last - first);
    mp_.trans_commit(std::move(*tp));
    return Errno::kOk;
  }
  if (!(iomap->flags & kIomapFNew) || iomap->type != IomapType::kDelalloc) return Errno::kOk;
  if (flags & (kIomapDirect | kIomapDax | kIomapWriteback | kIomapReport)) return Errno::kOk;
  XfsInodeData& x = XfsMount::xi(ip);
  XfsFork& fork = (iomap->flags & kIomapFShared) ? x.cow : x.data;
  iomap_write_delalloc_release(ip, pos, length, written, mp_.bsize(), [&](uint64_t b) {
    std::optional<XfsIrec> r = fork.lookup(b);
    if (!r || !r->delalloc()) return;
    fork.remove(b, 1);
    mp_.unreserve_delalloc(1);
  });
  return Errno::kOk;
}

Errno XfsIomapOps::ioend(Inode& ip, off_t64 pos, uint64_t len, uint32_t flags) {
  XfsMount& mp = mp_;
  XfsInodeData& x = XfsMount::xi(ip);
  const uint64_t off = mp.to_fsb(static_cast<uint64_t>(pos));
  const uint64_t end = mp.to_fsb_up(static_cast<uint64_t>(pos) + len);
  // xfs_setfilesize / xfs_new_eof: i_disk_size rises to the end of the
  // completed write, never past i_size. A direct write past EOF raises
  // i_size first (xfs_dio_write_end_io: "if (offset + size >
  // i_size_read(inode)) { i_size_write(...); xfs_setfilesize(...) }";
  // xfs_iomap_write_unwritten with update_isize), so all of it counts.
  const uint64_t isize = (flags & kIomapDirect) ? std::max<uint64_t>(ip.size, static_cast<uint64_t>(pos) + len)
                                                : ip.size;
  const uint64_t new_disk_size =
      std::max(x.disk_size, std::min<uint64_t>(static_cast<uint64_t>(pos) + len, isize));
  if (!x.cow.empty()) {
    if (Errno e = mp.end_cow(ip, off, end - off); e != Errno::kOk) return e;
  }
  // xfs_iomap_write_unwritten.
  bool unwritten = false;
  for (uint64_t at = off; at < end && !unwritten;) {
    std::optional<XfsIrec> r = x.data.lookup(at);
    if (!r) r = x.data.next_after(at);
    if (!r || r->startoff >= end) break;
    unwritten = !r->delalloc() && r->state == XfsExtState::kUnwritten;
    at = r->end();
  }
  if (unwritten) {
    // xfs_iomap_write_unwritten: twice XFS_DIOSTRAT_SPACE_RES (the
    // conversion may split a record at each end), with XFS_TRANS_RESERVE.
    // A direct write's conversion logs the new size with it
    // (update_isize); a buffered one's leaves it to xfs_setfilesize.
    Result<XfsTrans> tp = mp.trans_alloc("write_unwritten", 2 * kXfsExtentAddRes, /*rsvd=*/true);
    if (!tp) return tp.error();
    tp->log({XfsLogItem::kConvert, ip.ino, 0, off, 0, end - off, 0});
    x.data.set_state(off, end - off, XfsExtState::kNorm);
    if (flags & kIomapDirect) x.disk_size = new_disk_size;
    mp.log_inode(*tp, ip);
    mp.trans_commit(std::move(*tp));
  }
  mp.setfilesize(ip, new_disk_size);
  return Errno::kOk;
}

}  // namespace vfssim
