#include "fs/xfs/xfs_file.h"

#include <algorithm>
#include <vector>

#include "fs/xfs/xfs_mount.h"
#include "vfs/buffered_io.h"
#include "vfs/dax.h"
#include "vfs/direct_io.h"
#include "vfs/iomap_report.h"
#include "vfs/lseek.h"
#include "vfs/mmap.h"
#include "vfs/timestamps.h"
#include "vfs/zeroinit.h"

namespace vfssim {
namespace {

XfsMount& mp_of(const Inode& ip) { return XfsMount::of(ip); }
XfsIomapOps& ops_of(const Inode& ip) { return XfsMount::of(ip).iomap_ops(); }
bool is_dax(const Inode& ip) { return (ip.flags & kInodeDax) && mp_of(ip).dax() != nullptr; }

// xfs_is_cow_inode: a reflink inode (writes may copy on write).
bool is_cow_inode(const Inode& ip) {
  return mp_of(ip).reflink() && (XfsMount::xi(ip).diflags & kXfsDiflag2Reflink);
}

uint32_t dio_align(const Inode& ip) {
  const BlockDevice* bdev = mp_of(ip).bdev();
  return bdev != nullptr ? bdev->logical_block_size() : kSectorSize;
}

// xfs_flush_unmap_range: write back and drop the cached pages of
// [off, end), widened to whole blocks and whole pages ("rounding =
// max(blocksize, PAGE_SIZE)"), so no cached page is left partly zeroed.
Errno flush_unmap_range(Inode& ip, off_t64 off, off_t64 end) {
  const off_t64 bs = static_cast<off_t64>(std::max<uint64_t>(mp_of(ip).bsize(), kPageSize));
  const off_t64 start = off / bs * bs;
  const off_t64 stop = end >= kOffMax - bs ? kOffMax : (end + bs - 1) / bs * bs - 1;
  if (Errno e = filemap_write_and_wait_range(ip, start, stop, ops_of(ip)); e != Errno::kOk) return e;
  truncate_pagecache_range(ip, start, stop);
  return Errno::kOk;
}

// dax_unshare gives a DAX inode its own copy of the shared blocks of
// [pos, end) (dax_file_unshare): each is staged in the CoW fork with the
// old bytes copied in, then remapped into the data fork.
Errno dax_unshare(Inode& ip, uint64_t pos, uint64_t end) {
  XfsMount& mp = mp_of(ip);
  if (!is_cow_inode(ip)) return Errno::kOk;
  end = std::min<uint64_t>(end, mp.max_fileoff() * mp.bsize());
  for (uint64_t at = pos; at < end;) {
    Iomap m, src;
    if (Errno e = ops_of(ip).iomap_begin(ip, static_cast<off_t64>(at), end - at, kIomapReport, &m, &src);
        e != Errno::kOk) {
      return e;
    }
    const uint64_t stop = std::min(end, static_cast<uint64_t>(m.offset) + m.length);
    // Only blocks another file shares: holes and the file's own blocks
    // stay as they are (a CoW staging extent over a hole is not data).
    if (m.flags & kIomapFShared) {
      Iomap w;
      if (Errno e = ops_of(ip).iomap_begin(ip, static_cast<off_t64>(at), stop - at, kIomapWrite | kIomapDax, &w, &src);
          e != Errno::kOk) {
        return e;
      }
      const uint64_t wstop = std::min(stop, static_cast<uint64_t>(w.offset) + w.length);
      if (w.flags & kIomapFShared) {
        // dax_unshare_iter maps the staging blocks (dax_iomap_direct_access)
        // before copying into them: known poison there (left on blocks
        // freed earlier; nothing zeroes a CoW allocation) is EIO, and
        // xfs_dax_write_iomap_end, with nothing written, cancels the
        // staging: the file keeps its shared blocks.
        const uint64_t addr = w.addr + (at - static_cast<uint64_t>(w.offset));
        const uint64_t pages = (wstop - at + kPageSize - 1) / kPageSize;
        if (w.dax_dev != nullptr) {
          if (Result<uint64_t> avail = w.dax_dev->dax_direct_access(addr / kPageSize, pages); !avail) {
            if (Errno e = ops_of(ip).iomap_end(ip, static_cast<off_t64>(at), wstop - at, 0,
                                               kIomapWrite | kIomapDax, &w);
                e != Errno::kOk) {
              return e;
            }
            return avail.error() == Errno::kEHWPOISON || avail.error() == Errno::kERANGE ? Errno::kEIO
                                                                                          : avail.error();
          }
        }
        if (Errno e = ops_of(ip).ioend(ip, static_cast<off_t64>(at), wstop - at, 0); e != Errno::kOk) return e;
      }
      at = wstop;
      continue;
    }
    at = stop;
  }
  return Errno::kOk;
}

// xfs_dax_zero_range: a DAX inode's range zeroed on the media
// (vfs/dax.h's dax_zero_range), its shared blocks unshared first so the
// zeros do not land in another file's blocks.
Errno xfs_dax_zero_range(Inode& ip, off_t64 pos, uint64_t len) {
  if (Errno e = dax_unshare(ip, static_cast<uint64_t>(pos), static_cast<uint64_t>(pos) + len);
      e != Errno::kOk) {
    return e;
  }
  return dax_zero_range(ip, pos, len, ops_of(ip));
}

// xfs_zero_range: through the page cache (*did_zero: a page was zeroed),
// or on the media for DAX.
Errno zero_range(Inode& ip, off_t64 pos, uint64_t len, bool* did_zero = nullptr) {
  if (len == 0) return Errno::kOk;
  if (is_dax(ip)) return xfs_dax_zero_range(ip, pos, len);
  return iomap_zero_range(ip, pos, len, did_zero, ops_of(ip));
}

// unmap_blocks removes file blocks [first, last) of the data fork, two
// records per transaction from the end of the range back (the
// xfs_unmap_extent loop: xfs_bunmapi on the data fork only), and with
// `cancel_cow` the CoW staging over them too (a truncate:
// xfs_itruncate_extents_flags' xfs_reflink_cancel_cow_blocks). A punch
// leaves the CoW fork alone: staging over a punched block stays, and
// SEEK_DATA still finds a cached page there (host 6.18.44).
// `resblks`: what each transaction reserves — a punch's xfs_unmap_extent
// reserves XFS_DIOSTRAT_SPACE_RES (ENOSPC when free space cannot cover
// it: the records after it already unmapped, the rest not), a
// truncate's tr_itruncate nothing.
Errno unmap_blocks(Inode& ip, uint64_t first, uint64_t last, bool cancel_cow, uint64_t resblks) {
  if (last <= first) return Errno::kOk;
  XfsMount& mp = mp_of(ip);
  XfsFork& data = XfsMount::xi(ip).data;
  // xfs_unmap_extent: one transaction per XFS_ITRUNC_MAX_EXTENTS (2)
  // records, xfs_bunmapi working back from the end of the range, until
  // it is done. A transaction that cannot reserve fails the punch with
  // the blocks after it already unmapped.
  uint64_t end = last;
  do {
    Result<XfsTrans> tp = mp.trans_alloc("unmap", resblks);
    if (!tp) return tp.error();
    uint64_t stop = end;
    for (int n = 0; n < kXfsItruncMaxExtents && stop > first; ++n) {
      std::optional<XfsIrec> r = data.lookup(stop - 1);
      if (!r) r = data.prev_before(stop);
      stop = r && r->end() > first ? std::max(r->startoff, first) : first;
    }
    mp.unmap_range(*tp, ip, data, 0, stop, end - stop);
    if (cancel_cow) mp.cancel_cow(*tp, ip, stop, end - stop);
    mp.log_inode(*tp, ip);
    mp.trans_commit(std::move(*tp));
    end = stop;
  } while (end > first);
  return Errno::kOk;
}

// write_eof_page ends a punch whose range (clipped at EOF) ends at `end`:
// xfs_free_file_space's "If we zeroed right up to EOF and EOF straddles a
// page boundary", the EOF page is written back (the kernel's reason: the
// page's part past EOF gets zeroed for mmap; host 6.18.44 traces the
// writeback of that page inside the fallocate). A DAX inode has no cached
// pages to write.
Errno write_eof_page(Inode& ip, uint64_t end) {
  if (end < ip.size || end % kPageSize == 0 || is_dax(ip)) return Errno::kOk;
  return filemap_write_and_wait_range(ip, static_cast<off_t64>(end / kPageSize * kPageSize), kOffMax,
                                      ops_of(ip));
}

// xfs_free_file_space: the range's page cache written back and dropped
// (xfs_flush_unmap_range), the whole blocks of the range unmapped, the
// rest of it (inside EOF) zeroed.
Errno free_file_space(Inode& ip, off_t64 off, off_t64 len) {
  if (Errno e = flush_unmap_range(ip, off, off + len); e != Errno::kOk) return e;
  XfsMount& mp = mp_of(ip);
  const uint64_t bs = mp.bsize();
  const uint64_t end = static_cast<uint64_t>(off) + static_cast<uint64_t>(len);
  if (Errno e = unmap_blocks(ip, (static_cast<uint64_t>(off) + bs - 1) / bs,
                             std::min(end / bs, mp.max_fileoff()), /*cancel_cow=*/false, kXfsExtentAddRes);
      e != Errno::kOk) {
    return e;
  }
  if (static_cast<uint64_t>(off) >= ip.size) return Errno::kOk;
  const uint64_t zlen = std::min<uint64_t>(static_cast<uint64_t>(len), ip.size - static_cast<uint64_t>(off));
  if (Errno e = zero_range(ip, off, zlen); e != Errno::kOk) return e;
  return write_eof_page(ip, static_cast<uint64_t>(off) + zlen);
}

// xfs_alloc_file_space: unwritten blocks over the holes (and delalloc) of
// [off, off + len) widened to blocks; the inode keeps its preallocation
// (XFS_DIFLAG_PREALLOC). Errors: ENOSPC (blocks allocated before it stay).
// Nothing is written back: xfs_bmapi_write(XFS_BMAPI_PREALLOC) turns the
// delalloc inside the range into unwritten blocks under the still dirty
// pages, and delalloc outside it stays (host, Linux 6.18: pwrite 32768
// 8672 then falloc 35568 2598 leaves blocks 8-9 unwritten and block 10
// delalloc before any sync). A failed allocation leaves the delalloc and
// its dirty pages as they were.
Errno alloc_file_space(Inode& ip, off_t64 off, uint64_t len) {
  XfsMount& mp = mp_of(ip);
  const uint64_t first = static_cast<uint64_t>(off) / mp.bsize();
  const uint64_t last = std::min(mp.to_fsb_up(static_cast<uint64_t>(off) + len), mp.max_fileoff());
  XfsInodeData& x = XfsMount::xi(ip);
  const Errno e = mp.alloc_real(ip, first, last - first, XfsExtState::kUnwritten, is_dax(ip));
  // Set by the transactions that allocated: not when the first one failed.
  if (e == Errno::kOk) x.diflags |= kXfsDiflagPrealloc;
  return e;
}

// xfs_prepare_shift: post-EOF blocks trimmed, the page cache from the
// block before `off` to EOF written back and dropped, CoW staging from
// there on cancelled.
Errno prepare_shift(Inode& ip, off_t64 off) {
  XfsMount& mp = mp_of(ip);
  mp.free_eofblocks(ip);
  const off_t64 bs = static_cast<off_t64>(mp.bsize());
  off_t64 start = off / bs * bs;
  if (start > 0) start -= bs;
  if (Errno e = flush_unmap_range(ip, start, kOffMax); e != Errno::kOk) return e;
  Result<XfsTrans> tp = mp.trans_alloc("cancel_cow", 0);
  mp.cancel_cow(*tp, ip, static_cast<uint64_t>(start) / mp.bsize(), mp.max_fileoff());
  mp.trans_commit(std::move(*tp));
  return Errno::kOk;
}

// shift_extents moves the data fork's records from `from` by `delta`
// blocks in one transaction. An insert reserves XFS_DIOSTRAT_SPACE_RES
// (xfs_insert_file_space: the split at `from` may need a bmbt block); a
// collapse nothing (xfs_collapse_file_space's tr_write with 0 blocks: the
// punch before it freed the range). Errors: ENOSPC, nothing moved.
Errno shift_extents(Inode& ip, uint64_t from, int64_t delta) {
  XfsMount& mp = mp_of(ip);
  Result<XfsTrans> tp = mp.trans_alloc("shift", delta > 0 ? kXfsExtentAddRes : 0);
  if (!tp) return tp.error();
  XfsMount::xi(ip).data.shift(from, delta);
  tp->log({XfsLogItem::kShift, ip.ino, 0, from, static_cast<uint64_t>(delta < 0 ? -delta : delta), delta < 0 ? 1u : 0u});
  mp.log_inode(*tp, ip);
  mp.trans_commit(std::move(*tp));
  return Errno::kOk;
}

// read_kernel reads [pos, pos + dst.size()) of `ip` into dst through the
// page cache or DAX (vfs_dedupe_file_range_compare's reads).
Errno read_kernel(Inode& ip, off_t64 pos, std::span<std::byte> dst) {
  IovIter to = IovIter::kvec_dest(dst);
  Kiocb k{.pos = pos};
  IoResult r = is_dax(ip) ? dax_iomap_read(ip, k, to, ops_of(ip)) : filemap_read(ip, k, to, ops_of(ip));
  if (r.err != Errno::kOk) return r.err;
  if (r.done < dst.size()) std::fill(dst.begin() + static_cast<ptrdiff_t>(r.done), dst.end(), std::byte{0});
  return Errno::kOk;
}

}  // namespace

XfsVnodeOps& xfs_vnode_ops() {
  static XfsVnodeOps ops;
  return ops;
}

IoResult XfsVnodeOps::read(Inode& ip, const Kiocb& iocb, IovIter& to) {
  if (to.count() == 0) return {0, Errno::kOk};
  if (is_dax(ip)) {
    IoResult r = dax_iomap_read(ip, iocb, to, ops_of(ip));
    file_accessed(iocb.filp);
    return r;
  }
  if (iocb.flags.has(IocbFlag::kDirect)) {
    file_accessed(iocb.filp);
    return iomap_dio_read(ip, iocb, to, dio_align(ip), ops_of(ip));
  }
  IoResult r = filemap_read(ip, iocb, to, ops_of(ip));
  if (iocb.flags.has(IocbFlag::kDontcache)) filemap_drop_behind(ip, iocb.pos, r.done, ops_of(ip));
  return r;
}

IoResult XfsVnodeOps::write(Inode& ip, const Kiocb& iocb, IovIter& from) {
  // xfs_file_write_zero_eof: a write starting past EOF first zeroes what
  // lies between EOF and it (post-EOF delalloc becomes unwritten blocks).
  // xfs_file_dio_write checks alignment before anything changes.
  if (iocb.flags.has(IocbFlag::kDirect) && !is_dax(ip) &&
      ((static_cast<uint64_t>(iocb.pos) | from.count()) % dio_align(ip)) != 0) {
    return {0, Errno::kEINVAL};
  }
  if (from.count() > 0 && static_cast<uint64_t>(iocb.pos) > ip.size) {
    if (Errno e = zero_range(ip, static_cast<off_t64>(ip.size), static_cast<uint64_t>(iocb.pos) - ip.size);
        e != Errno::kOk) {
      return {0, e};
    }
  }
  if (is_dax(ip)) {
    // xfs_file_dax_write: a write that moved EOF logs the new size
    // (xfs_setfilesize) once the copy is done.
    const uint64_t old_size = ip.size;
    IoResult r = dax_iomap_write(ip, iocb, from, ops_of(ip));
    if (ip.size > old_size) mp_of(ip).setfilesize(ip, ip.size);
    return r;
  }
  Kiocb buffered = iocb;
  if (iocb.flags.has(IocbFlag::kDirect)) {
    // xfs_file_dio_write_unaligned: "We can't properly handle unaligned
    // direct I/O to reflink files yet, as we can't unshare a partial
    // block" (xfs_is_cow_inode: -ENOTBLK, trace_xfs_reflink_bounce_dio_write),
    // and xfs_file_write_iter falls back to a buffered write: dirty pages,
    // delalloc, nothing written back (host 6.18.44: the trace point fires
    // and FIEMAP shows DELALLOC after a 2560-byte O_DIRECT write).
    const bool unaligned = ((static_cast<uint64_t>(iocb.pos) | from.count()) % mp_of(ip).bsize()) != 0;
    if (!unaligned || !is_cow_inode(ip)) return iomap_dio_write(ip, iocb, from, dio_align(ip), ops_of(ip));
    buffered.flags.clear(IocbFlag::kDirect);
  }
  IoResult r = iomap_file_buffered_write(ip, buffered, from, ops_of(ip));
  if (iocb.flags.has(IocbFlag::kDontcache)) filemap_drop_behind(ip, iocb.pos, r.done, ops_of(ip));
  balance_dirty_pages(ip, ops_of(ip));
  return r;
}

Errno XfsVnodeOps::setsize(Inode& ip, off_t64 size, bool times) {
  XfsMount& mp = mp_of(ip);
  XfsInodeData& x = XfsMount::xi(ip);
  const uint64_t newsize = static_cast<uint64_t>(size);
  const uint64_t oldsize = ip.size;
  const bool changed = newsize != oldsize;
  const uint64_t bs = mp.bsize();
  bool did_zeroing = false;
  if (newsize > oldsize) {
    // xfs_setattr_size: "zero any pages beyond the old EOF".
    if (Errno e = zero_range(ip, static_cast<off_t64>(oldsize), newsize - oldsize, &did_zeroing);
        e != Errno::kOk) {
      return e;
    }
  } else if (newsize % bs != 0 && newsize < oldsize) {
    // xfs_truncate_page: the rest of the new EOF block zeroed where it is
    // stored (through copy on write when the block is shared).
    if (Errno e = zero_range(ip, size, bs - newsize % bs, &did_zeroing); e != Errno::kOk) return e;
  }
  // truncate_setsize before the writeback below: "we update in-core
  // i_size and truncate page cache beyond newsize before writeback the
  // [i_disk_size, newsize] range, so we're guaranteed not to write stale
  // data past the new EOF on truncate down". The order shows with large
  // folios: a dirty folio the new EOF cuts stays whole in the cache
  // (zeroed past EOF; its writeback stops at EOF), so a later fault
  // inside it dirties all of it (host 6.18.44, differential seed 892: pwrite 498 16388,
  // truncate 224, pwrite 36864 11590, a store at 4099 and msync leave
  // blocks 1-3 written, not block 1 alone).
  ip.size = newsize;
  if (newsize <= oldsize) truncate_pagecache_range(ip, size, kOffMax);
  // "Any previous writes that are beyond the on disk EOF and the new EOF
  // that have not been written out need to be written here", and the
  // zeroing with them.
  if (!is_dax(ip) && (did_zeroing || (newsize > x.disk_size && oldsize != x.disk_size))) {
    if (newsize > x.disk_size) {
      if (Errno e = filemap_write_and_wait_range(ip, static_cast<off_t64>(x.disk_size), size - 1, ops_of(ip));
          e != Errno::kOk) {
        return e;
      }
    }
  }
  // tr_itruncate (no blocks reserved): the new size logged as i_disk_size
  // in the first transaction, then, truncating down, the blocks past it
  // unmapped in the rolls after it (xfs_itruncate_extents).
  Result<XfsTrans> tp = mp.trans_alloc("setattr_size", 0);
  if (!tp) return tp.error();
  x.disk_size = newsize;
  mp.log_inode(*tp, ip);
  mp.trans_commit(std::move(*tp));
  if (newsize <= oldsize) {
    // "A truncate down always removes post-EOF blocks" — to the same size
    // too (newsize <= oldsize), CoW staging included.
    unmap_blocks(ip, mp.to_fsb_up(newsize), mp.max_fileoff(), /*cancel_cow=*/true, /*resblks=*/0);
    // xfs_itruncate_clear_reflink_flags: with no extents left in either
    // fork the file is no reflink inode any more (an unaligned O_DIRECT
    // write to it goes direct again), logged in a transaction of its own
    // (the kernel logs it in the last roll).
    if (x.data.empty() && x.cow.empty() && (x.diflags & kXfsDiflag2Reflink)) mp.clear_reflink_flag(ip);
    x.truncated = true;
  }
  if (times || changed) ip.sb->touch(ip);
  return Errno::kOk;
}

Errno XfsVnodeOps::getattr(Inode& ip, Stat* st) {
  if (Errno e = VopDefaults::getattr(ip, st); e != Errno::kOk) return e;
  if (ip.is_dir()) {
    // xfs_dir2_sf_hdr (count, i8count, parent) and xfs_dir2_sf_entry
    // (namelen, offset, name, ftype, 4-byte inumber).
    uint64_t sf = 6;
    for (const auto& [name, child] : ip.entries) sf += 8 + name.size();
    // The data fork's literal area of a 512-byte inode: 336 bytes.
    constexpr uint64_t kLiteral = 512 - 176;
    if (sf <= kLiteral) {
      st->size = sf;
    } else {
      // Block and leaf forms: data blocks of 4096, entries of
      // 12 + namelen rounded to 8, after a 64-byte header.
      uint64_t bytes = 0;
      for (const auto& [name, child] : ip.entries) bytes += (12 + name.size() + 7) / 8 * 8;
      st->size = (bytes + 2 * 16 + 4095 - 64) / (4096 - 64) * 4096;
    }
  }
  return Errno::kOk;
}

Errno XfsVnodeOps::fsync(Inode& ip, off_t64 start, off_t64 end, bool) {
  // xfs_file_fsync: file_write_and_wait_range(file, start, end) — only the
  // range asked for — then the log force.
  Errno e = Errno::kOk;
  if (!is_dax(ip)) e = filemap_write_and_wait_range(ip, start, end, ops_of(ip));
  mp_of(ip).log_force();
  return e;
}

Errno XfsVnodeOps::allocate(Inode& ip, int mode, off_t64 off, off_t64 len) {
  XfsMount& mp = mp_of(ip);
  const off_t64 bs = static_cast<off_t64>(mp.bsize());
  const uint64_t end = static_cast<uint64_t>(off) + static_cast<uint64_t>(len);
  const int op = mode & ~kFALLOC_FL_KEEP_SIZE;
  switch (op) {
    case kFALLOC_FL_ALLOCATE_RANGE:
    case kFALLOC_FL_PUNCH_HOLE:
    case kFALLOC_FL_ZERO_RANGE:
    case kFALLOC_FL_COLLAPSE_RANGE:
    case kFALLOC_FL_INSERT_RANGE:
    case kFALLOC_FL_UNSHARE_RANGE:
    case kFALLOC_FL_ZEROINIT_RANGE:
      break;
    default:
      return Errno::kEOPNOTSUPP;
  }
  // Punch, zero and collapse write back and drop the range's page cache
  // in xfs_free_file_space, after their own checks: a misaligned collapse
  // is EINVAL with the dirty pages left alone (host 6.18.44). The
  // prototype ZEROINIT_RANGE keeps the flush here, where its patch put it.
  if (op == kFALLOC_FL_ZEROINIT_RANGE) {
    if (Errno e = flush_unmap_range(ip, off, off + len); e != Errno::kOk) return e;
  }
  ip.sb->touch(ip);  // file_modified.
  const uint64_t new_size = !(mode & kFALLOC_FL_KEEP_SIZE) && end > ip.size ? end : 0;
  // xfs_falloc_setsize.
  auto grow = [&]() -> Errno {
    if (new_size == 0) return Errno::kOk;
    return this->setsize(ip, static_cast<off_t64>(new_size), /*times=*/false);
  };
  switch (op) {
    case kFALLOC_FL_ALLOCATE_RANGE:
      if (Errno e = alloc_file_space(ip, off, static_cast<uint64_t>(len)); e != Errno::kOk) return e;
      return grow();
    case kFALLOC_FL_PUNCH_HOLE:
      return free_file_space(ip, off, len);
    case kFALLOC_FL_ZERO_RANGE: {
      if (Errno e = free_file_space(ip, off, len); e != Errno::kOk) return e;
      const off_t64 start = off / bs * bs;
      const uint64_t stop = (end + bs - 1) / bs * bs;
      if (Errno e = alloc_file_space(ip, start, stop - static_cast<uint64_t>(start)); e != Errno::kOk) {
        return e;
      }
      return grow();
    }
    case kFALLOC_FL_COLLAPSE_RANGE: {
      if ((off | len) % bs != 0 || end >= ip.size) return Errno::kEINVAL;
      const uint64_t new_eof = ip.size - static_cast<uint64_t>(len);
      if (Errno e = free_file_space(ip, off, len); e != Errno::kOk) return e;
      if (Errno e = prepare_shift(ip, off); e != Errno::kOk) return e;
      // Anything left past EOF in the range (preallocation) goes too.
      if (Errno e = unmap_blocks(ip, static_cast<uint64_t>(off / bs), end / static_cast<uint64_t>(bs),
                                 /*cancel_cow=*/true, kXfsExtentAddRes);
          e != Errno::kOk) {
        return e;
      }
      if (Errno e = shift_extents(ip, end / static_cast<uint64_t>(bs), -(len / bs)); e != Errno::kOk) return e;
      // xfs_falloc_collapse_range ends in xfs_falloc_setsize: a truncate
      // down to the new EOF, which drops every block past it (KEEP_SIZE
      // preallocation shifted down included; host 6.18.44: a 64 KiB file
      // with 64 KiB preallocated past EOF, collapsed by 8 KiB, holds 56 KiB).
      return setsize(ip, static_cast<off_t64>(new_eof), /*times=*/false);
    }
    case kFALLOC_FL_INSERT_RANGE: {
      if ((off | len) % bs != 0) return Errno::kEINVAL;
      if (static_cast<uint64_t>(ip.sb->maxbytes) - ip.size < static_cast<uint64_t>(len)) {
        return Errno::kEFBIG;
      }
      if (static_cast<uint64_t>(off) >= ip.size) return Errno::kEINVAL;
      // xfs_falloc_insert_range: the size first (xfs_falloc_setsize, a
      // growing xfs_setattr_size: what was never written back is written
      // from i_disk_size — host 6.18.44: four 4 KiB writes, then an insert
      // at 8 KiB or 12 KiB, leave every block written), then
      // xfs_insert_file_space, whose xfs_bmap_can_insert_extents refuses
      // to shift the last extent out of the offset space (EINVAL with the
      // size already grown).
      if (Errno e = setsize(ip, static_cast<off_t64>(ip.size + static_cast<uint64_t>(len)), /*times=*/false);
          e != Errno::kOk) {
        return e;
      }
      if (std::optional<XfsIrec> last = XfsMount::xi(ip).data.last()) {
        const XfsIrec& tail = *last;
        if (tail.startoff >= static_cast<uint64_t>(off / bs) &&
            tail.end() + static_cast<uint64_t>(len / bs) > mp.max_fileoff()) {
          return Errno::kEINVAL;
        }
      }
      if (Errno e = prepare_shift(ip, off); e != Errno::kOk) return e;
      return shift_extents(ip, static_cast<uint64_t>(off / bs), len / bs);
    }
    case kFALLOC_FL_UNSHARE_RANGE: {
      // xfs_reflink_unshare, then the range preallocated.
      XfsInodeData& x = XfsMount::xi(ip);
      if (mp.reflink() && (x.diflags & kXfsDiflag2Reflink)) {
        if (is_dax(ip)) {
          // dax_file_unshare: each shared block inside EOF copied into
          // fresh ones (it clips the range at i_size, as
          // iomap_file_unshare does).
          if (static_cast<uint64_t>(off) < ip.size) {
            if (Errno e = dax_unshare(ip, static_cast<uint64_t>(off), std::min<uint64_t>(end, ip.size));
                e != Errno::kOk) {
              return e;
            }
          }
        } else {
          if (Errno e = iomap_file_unshare(ip, off, static_cast<uint64_t>(len), ops_of(ip));
              e != Errno::kOk) {
            return e;
          }
          if (Errno e = filemap_write_and_wait_range(ip, off, off + len - 1, ops_of(ip)); e != Errno::kOk) {
            return e;
          }
        }
        // xfs_reflink_try_clear_inode_flag: with no shared extent left the
        // file stops being a reflink inode (its leftover CoW staging
        // cancelled) — but only if its pages were not dirtied since the
        // last sync (I_DIRTY_PAGES, which fsync leaves set). Host 6.18.44,
        // xfs_reflink_unset_inode_flag traced: a file with no extents or
        // only unwritten ones is cleared; one with written data (fsynced),
        // delalloc, or that the unshare itself copied is not, until a
        // sync(2), after which the next unshare clears it.
        if (!ip.cache.dirtied_since_sync && !mp.has_shared_extents(ip)) mp.clear_reflink_flag(ip);
      }
      if (Errno e = alloc_file_space(ip, off, static_cast<uint64_t>(len)); e != Errno::kOk) return e;
      return grow();
    }
    case kFALLOC_FL_ZEROINIT_RANGE: {
      // xfs_file_zeroinit_space (seed 004 patch 4/5).
      const Errno e = is_dax(ip) ? dax_zeroinit_range(ip, off, static_cast<uint64_t>(len), ops_of(ip))
                                 : iomap_zeroout_range(ip, off, static_cast<uint64_t>(len), ops_of(ip));
      return e == Errno::kECANCELED ? Errno::kEOPNOTSUPP : e;
    }
  }
  return Errno::kEOPNOTSUPP;
}

namespace {

// head_freed_by: file block `head` maps a shared block whose other owners
// are all blocks of [first, last) of this same file, so unmapping those
// leaves it unshared.
bool head_freed_by(Inode& ip, uint64_t head, uint64_t first, uint64_t last) {
  XfsMount& mp = mp_of(ip);
  if (!mp.reflink()) return false;
  const XfsFork& data = XfsMount::xi(ip).data;
  const std::optional<XfsIrec> h = data.lookup(head);
  if (!h || h->delalloc()) return false;
  const uint64_t block = h->startblock + (head - h->startoff);
  const uint32_t owners = mp.refcount().refcount(block);
  if (owners < 2) return false;
  uint32_t inside = 0;
  const XfsFork::Around a = data.around(first);
  for (std::optional<XfsIrec> r = a.at ? a.at : a.next; r && r->startoff < last; r = data.next_after(r->startoff)) {
    const uint64_t lo = std::max(r->startoff, first), hi = std::min(r->end(), last);
    if (!r->delalloc() && lo < hi && block >= r->startblock + (lo - r->startoff) &&
        block < r->startblock + (hi - r->startoff)) {
      ++inside;
    }
  }
  return owners - inside == 1;
}

}  // namespace

Errno XfsVnodeOps::deallocate(Inode& ip, off_t64* off, off_t64* len, int, IoFlags) {
  XfsMount& mp = mp_of(ip);
  const uint64_t bs = mp.bsize();
  const uint64_t start = static_cast<uint64_t>(*off);
  if (start >= ip.size) {
    *len = 0;
    return Errno::kOk;
  }
  const uint64_t end = std::min<uint64_t>(start + static_cast<uint64_t>(*len), ip.size);
  // The request is clipped at EOF first (vop_stddeallocate's "len =
  // omin(va_size - offset, len)"), so a failure below reports what is left
  // of the clipped range.
  *len = static_cast<off_t64>(end - start);
  if (Errno e = flush_unmap_range(ip, *off, static_cast<off_t64>(end)); e != Errno::kOk) return e;
  // Progress is reported piece by piece, a suffix of the range: the head
  // of a partial block, the whole blocks, the tail, each accounted when
  // done, so a failure reports exactly what is left.
  const uint64_t first = (start + bs - 1) / bs * bs;
  const uint64_t last = end / bs * bs;
  auto done_to = [&](uint64_t at) {
    *len -= static_cast<off_t64>(at - static_cast<uint64_t>(*off));
    *off = static_cast<off_t64>(at);
  };
  auto unmap_middle = [&]() -> Errno {
    if (last <= first) return Errno::kOk;
    if (Errno e = unmap_blocks(ip, first / bs, last / bs, /*cancel_cow=*/false, kXfsExtentAddRes);
        e != Errno::kOk) {
      return e;
    }
    // With blocks smaller than a page the head's page may still hold
    // the unmapped blocks' old bytes: they read as zeros now (and
    // writeback skips the holes under a dirty page).
    truncate_pagecache_range(ip, static_cast<off_t64>(first), static_cast<off_t64>(last) - 1);
    return Errno::kOk;
  };
  const uint64_t head_end = std::min(first, end);
  // The punch (xfs_free_file_space) unmaps the whole blocks before it
  // zeroes the partial ones. The order shows only where the head block's
  // other owners are all among the whole blocks (a clone of the file into
  // itself): unmapped first, the head is no longer shared and is zeroed in
  // place, not through CoW staging that SEEK_HOLE reports over the hole
  // (host 6.18.44, differential seed 973). There the punch's order is kept,
  // and a failure zeroing the head reports the whole range left although
  // its whole blocks are gone (rmsr cannot say "all but the head").
  const bool middle_first = head_end > start && last > first && head_freed_by(ip, start / bs, first / bs, last / bs);
  if (middle_first) {
    if (Errno e = unmap_middle(); e != Errno::kOk) return e;
  }
  if (head_end > start) {
    if (Errno e = zero_range(ip, *off, head_end - start); e != Errno::kOk) return e;
    done_to(head_end);
  }
  if (!middle_first) {
    if (Errno e = unmap_middle(); e != Errno::kOk) return e;
  }
  if (last > first) done_to(last);
  if (end > static_cast<uint64_t>(*off)) {
    if (Errno e = zero_range(ip, *off, end - static_cast<uint64_t>(*off)); e != Errno::kOk) return e;
    done_to(end);
  }
  // Every block of the range (clipped at EOF) is done: the file changed,
  // and rmsr says so even if the EOF page's writeback below fails.
  ip.sb->touch(ip);
  *off = static_cast<off_t64>(end);
  *len = 0;
  // As a punch: a range reaching an EOF inside a page writes that page
  // back (a failure there is the call's error).
  return write_eof_page(ip, end);
}

Result<off_t64> XfsVnodeOps::seek_data_hole(Inode& ip, off_t64 off, int whence) {
  return iomap_seek_data_hole(ip, off, whence, ops_of(ip));
}

Result<off_t64> XfsVnodeOps::llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) {
  return iomap_file_llseek(ip, pos, off, whence, ops_of(ip));
}

Errno XfsVnodeOps::fadvise(Inode& ip, off_t64 off, off_t64 len, int advice) {
  if (Errno e = VopDefaults::fadvise(ip, off, len, advice); e != Errno::kOk) return e;
  if (advice == kPOSIX_FADV_DONTNEED && ip.is_reg() && !is_dax(ip)) fadvise_dontneed(ip, off, len, ops_of(ip));
  return Errno::kOk;
}

Errno XfsVnodeOps::ioctl(Inode& ip, unsigned long cmd, void* arg) {
  if (cmd == kFS_IOC_FIEMAP) {
    if (!XfsMount::has_forks(ip)) return Errno::kEUCLEAN;  // XFS_DINODE_FMT_DEV.
    auto* fi = static_cast<Fiemap*>(arg);
    if (fi->fm_flags & kFIEMAP_FLAG_XATTR) {
      // xfs_vn_fiemap maps the attribute fork with xfs_xattr_iomap_ops;
      // vfssim keeps no attribute fork, so there is nothing to report (the
      // other flags are still checked as fiemap_prep checks them).
      if (fi->fm_flags & ~(kFIEMAP_FLAG_XATTR | kFIEMAP_FLAG_SYNC)) {
        fi->fm_flags &= ~(kFIEMAP_FLAG_XATTR | kFIEMAP_FLAG_SYNC);
        return Errno::kEBADR;
      }
      if (fi->fm_length == 0) return Errno::kEINVAL;
      fi->fm_mapped_extents = 0;
      fi->fm_extents.clear();
      return Errno::kOk;
    }
    return iomap_fiemap(ip, fi, ops_of(ip));
  }
  return Errno::kENOTTY;
}

Result<uint64_t> XfsVnodeOps::remap_range(Inode& src, off_t64 pos_in, Inode& dst, off_t64 pos_out,
                                          uint64_t len, unsigned remap_flags) {
  const bool dedupe = remap_flags & kRemapFileDedup;
  const bool can_shorten = remap_flags & kRemapFileCanShorten;
  XfsMount& mp = mp_of(dst);
  if (!mp.reflink()) return Fail(Errno::kEOPNOTSUPP);
  if (is_dax(src) != is_dax(dst)) return Fail(Errno::kEINVAL);
  // __generic_remap_file_range_prep.
  if (dst.flags & kInodeImmutable) return Fail(Errno::kEPERM);
  if ((src.flags | dst.flags) & kInodeSwapfile) return Fail(Errno::kETXTBSY);
  if (src.is_dir() || dst.is_dir()) return Fail(Errno::kEISDIR);
  if (!src.is_reg() || !dst.is_reg()) return Fail(Errno::kEINVAL);
  const uint64_t isize = src.size;
  if (len == 0) {
    if (dedupe || static_cast<uint64_t>(pos_in) == isize) return 0;
    if (static_cast<uint64_t>(pos_in) > isize) return Fail(Errno::kEINVAL);
    len = isize - static_cast<uint64_t>(pos_in);
    if (len == 0) return 0;
  }
  // generic_remap_checks.
  const uint64_t bs = mp.bsize();
  const uint64_t in = static_cast<uint64_t>(pos_in), out = static_cast<uint64_t>(pos_out);
  if (in % bs != 0 || out % bs != 0) return Fail(Errno::kEINVAL);
  if (static_cast<int64_t>(in + len) < pos_in || static_cast<int64_t>(out + len) < pos_out) {
    return Fail(Errno::kEINVAL);
  }
  const uint64_t size_out = dst.size;
  if (dedupe && (in >= isize || in + len > isize || out >= size_out || out + len > size_out)) {
    return Fail(Errno::kEINVAL);
  }
  if (in >= isize) return Fail(Errno::kEINVAL);
  uint64_t count = std::min(len, isize - in);
  // generic_write_check_limits.
  const uint64_t max = static_cast<uint64_t>(dst.sb->maxbytes);
  if (out >= max) return Fail(Errno::kEFBIG);
  count = std::min(count, max - out);
  uint64_t bcount;
  if (in + count == isize && (!dedupe || out + count == size_out)) {
    bcount = (isize + bs - 1) / bs * bs - in;
  } else {
    count = count / bs * bs;
    bcount = count;
  }
  if (&src == &dst && out + bcount > in && out < in + bcount) return Fail(Errno::kEINVAL);
  if (len != count && !can_shorten) return Fail(Errno::kEINVAL);
  if (count == 0) return 0;
  if (Errno e = filemap_write_and_wait_range(src, pos_in, static_cast<off_t64>(in + count - 1), ops_of(src));
      e != Errno::kOk) {
    return Fail(e);
  }
  if (Errno e = filemap_write_and_wait_range(dst, pos_out, static_cast<off_t64>(out + count - 1), ops_of(dst));
      e != Errno::kOk) {
    return Fail(e);
  }
  if (dedupe) {
    // vfs_dedupe_file_range_compare, a page at a time.
    std::vector<std::byte> a(kPageSize), b(kPageSize);
    for (uint64_t done = 0; done < count;) {
      const uint64_t n = std::min<uint64_t>(kPageSize, count - done);
      if (Errno e = read_kernel(src, static_cast<off_t64>(in + done), std::span(a).first(n)); e != Errno::kOk) {
        return Fail(e);
      }
      if (Errno e = read_kernel(dst, static_cast<off_t64>(out + done), std::span(b).first(n)); e != Errno::kOk) {
        return Fail(e);
      }
      if (!std::equal(a.begin(), a.begin() + static_cast<ptrdiff_t>(n), b.begin())) return Fail(Errno::kEBADE);
      done += n;
    }
  }
  // generic_remap_check_len.
  if (count % bs != 0) {
    uint64_t new_len = count;
    if (out + count < size_out) new_len = count / bs * bs;
    if (new_len != count) {
      if (!can_shorten) return Fail(dedupe ? Errno::kEBADE : Errno::kEINVAL);
      count = new_len;
      bcount = count;
      if (count == 0) return 0;
    }
  }
  if (!dedupe) dst.sb->touch(dst);  // file_modified.
  // xfs_reflink_zero_posteof: a destination past EOF has the gap from EOF
  // zeroed first (through CoW where the EOF block is shared).
  if (out > dst.size) {
    if (Errno e = zero_range(dst, static_cast<off_t64>(dst.size), out - dst.size); e != Errno::kOk) {
      return Fail(e);
    }
  }
  // xfs_reflink_remap_prep: the destination's page cache written back and
  // dropped — from EOF when the range starts past it ("we may have dirtied
  // blocks between EOF and pos_out", the zeroing just done, so a shared
  // EOF block zeroed through CoW is remapped now and no longer shared).
  const uint64_t flush_from = std::min<uint64_t>(out, dst.size);
  if (Errno e = flush_unmap_range(dst, static_cast<off_t64>(flush_from), static_cast<off_t64>(out + count));
      e != Errno::kOk) {
    return Fail(e);
  }
  // xfs_reflink_remap_blocks: each source extent shared into the
  // destination, whose old blocks go.
  XfsInodeData& sx = XfsMount::xi(src);
  XfsInodeData& dx = XfsMount::xi(dst);
  const uint64_t first = in / bs, nblocks = (bcount + bs - 1) / bs, dfirst = out / bs;
  std::vector<XfsIrec> pieces;
  std::vector<std::pair<uint64_t, uint64_t>> keep;  // Destination blocks left alone, in order.
  for (uint64_t at = first; at < first + nblocks;) {
    std::optional<XfsIrec> r = sx.data.lookup(at);
    if (!r) {
      std::optional<XfsIrec> n = sx.data.next_after(at);
      at = n ? std::min(first + nblocks, n->startoff) : first + nblocks;
      continue;
    }
    XfsIrec piece = *r;
    if (piece.startoff < at) {
      if (!piece.delalloc()) piece.startblock += at - piece.startoff;
      piece.blockcount -= at - piece.startoff;
      piece.startoff = at;
    }
    piece.blockcount = std::min(piece.blockcount, first + nblocks - at);
    at = piece.end();
    // "If the extent we're sharing is backed by written storage, increase
    // its refcount and map it into the file" (xfs_reflink_remap_extent's
    // dmap_written): an unwritten source extent leaves a hole, as a
    // delalloc one would.
    if (!piece.delalloc() && piece.state == XfsExtState::kNorm) pieces.push_back(piece);
    // "If both extents are unwritten, leave them alone": where the source
    // and the destination are both unwritten, nothing is unmapped or
    // mapped (host 6.18.44: falloc 0 32k, then a clone of [16k, 24k) to 0
    // within the file leaves [0, 8k) unwritten).
    if (!piece.delalloc() && piece.state == XfsExtState::kUnwritten) {
      const uint64_t dfrom = piece.startoff - first + dfirst, dto = dfrom + piece.blockcount;
      for (uint64_t d = dfrom; d < dto;) {
        const XfsFork::Around near = dx.data.around(d);
        if (!near.at) {
          d = near.next ? std::min(dto, near.next->startoff) : dto;
          continue;
        }
        const uint64_t stop = std::min(dto, near.at->end());
        if (!near.at->delalloc() && near.at->state == XfsExtState::kUnwritten) keep.emplace_back(d, stop);
        d = stop;
      }
    }
  }
  // xfs_reflink_remap_extent: XFS_EXTENTADD_SPACE_RES for the
  // destination's mapping.
  Result<XfsTrans> tp = mp.trans_alloc(dedupe ? "dedupe" : "reflink", kXfsExtentAddRes);
  if (!tp) return Fail(tp.error());
  // Share the source blocks first, so unmapping the destination (which may
  // be the very same blocks, a dedupe of an already shared range) never
  // frees them.
  for (const XfsIrec& p : pieces) {
    mp.refcount().adjust(p.startblock, p.blockcount, +1);
    tp->log({XfsLogItem::kRefcount, 0, 0, p.startblock, p.blockcount, 0, 2});
  }
  // Only the data fork changes (xfs_reflink_remap_extent): CoW staging
  // over the destination range stays, and later writes there still go
  // through it (host 6.18.44: staging under a block remapped and then
  // punched still makes SEEK_DATA find the cached page).
  uint64_t from = dfirst;
  for (const auto& [a, b] : keep) {
    mp.unmap_range(*tp, dst, dx.data, 0, from, a - from);
    from = b;
  }
  mp.unmap_range(*tp, dst, dx.data, 0, from, dfirst + nblocks - from);
  for (const XfsIrec& p : pieces) {
    XfsIrec d = p;
    d.startoff = p.startoff - first + dfirst;
    dx.data.insert(d);
    tp->log({XfsLogItem::kMap, dst.ino, 0, d.startoff, d.startblock, d.blockcount,
             d.state == XfsExtState::kUnwritten ? 1u : 0u});
  }
  // xfs_reflink_set_inode_flag: both inodes become reflink inodes, the
  // source logged here (the destination's core is logged below).
  if (!(sx.diflags & kXfsDiflag2Reflink)) {
    sx.diflags |= kXfsDiflag2Reflink;
    mp.log_inode(*tp, src);
  }
  dx.diflags |= kXfsDiflag2Reflink;
  // xfs_reflink_update_dest: the new size, logged (i_disk_size too).
  if (out + count > dst.size) {
    dst.size = out + count;
    dx.disk_size = dst.size;
  }
  mp.log_inode(*tp, dst);
  mp.trans_commit(std::move(*tp));
  return count;
}

void XfsVnodeOps::fileattr_fill(const Inode& ip, FsXattr* fa) const {
  if (!XfsMount::has_forks(ip)) return;
  const XfsInodeData& x = XfsMount::xi(ip);
  if (x.diflags & kXfsDiflagPrealloc) fa->fsx_xflags |= kFS_XFLAG_PREALLOC;
  // if_nextents: the incore records, delalloc ones included.
  fa->fsx_nextents = static_cast<uint32_t>(x.data.size());
  fa->fsx_extsize = x.extsize * static_cast<uint32_t>(XfsMount::of(ip).bsize());
  fa->fsx_cowextsize = x.cowextsize * static_cast<uint32_t>(XfsMount::of(ip).bsize());
  // FS_XFLAG_DAX is the inode's flag (XFS_DIFLAG2_DAX), not whether it is
  // DAX now (S_DAX, which dax=always gives every file).
  fa->fsx_xflags = (fa->fsx_xflags & ~kFS_XFLAG_DAX) | x.xflags;
}

Errno XfsVnodeOps::fileattr_set(Inode& ip, FsXattr* fa) {
  if (!XfsMount::has_forks(ip)) return VopDefaults::fileattr_set(ip, fa);
  XfsMount& mp = XfsMount::of(ip);
  XfsInodeData& x = XfsMount::xi(ip);
  const uint64_t bsize = mp.bsize();
  // xfs_ioctl_setattr_xflags: a realtime file needs a realtime section.
  if (fa->fsx_xflags & kFS_XFLAG_REALTIME) return Errno::kEINVAL;
  // xfs_ioctl_setattr_check_extsize: a whole number of blocks, at most
  // XFS_MAX_BMBT_EXTLEN and half an AG, unchanged once data is mapped.
  auto hint_ok = [&](uint32_t bytes) {
    return bytes % bsize == 0 && bytes / bsize <= XfsFork::kMaxExtlen && bytes / bsize <= mp.geo().agblocks / 2;
  };
  if (ip.is_reg() && x.data.size() != 0 && fa->fsx_extsize != x.extsize * bsize) return Errno::kEINVAL;
  if (!hint_ok(fa->fsx_extsize)) return Errno::kEINVAL;
  if (fa->fsx_cowextsize != 0 || (fa->fsx_xflags & kFS_XFLAG_COWEXTSIZE)) {
    if (!mp.geo().reflink || !hint_ok(fa->fsx_cowextsize)) return Errno::kEINVAL;
  }
  uint32_t keep = kFS_XFLAG_SYNC | kFS_XFLAG_NODEFRAG | kFS_XFLAG_FILESTREAM | kFS_XFLAG_COWEXTSIZE |
                  kFS_XFLAG_DAX;
  keep |= ip.is_dir() ? kFS_XFLAG_RTINHERIT | kFS_XFLAG_PROJINHERIT | kFS_XFLAG_NOSYMLINKS |
                            kFS_XFLAG_EXTSZINHERIT
                      : kFS_XFLAG_EXTSIZE;
  // xfs_ioctl_setattr: one tr_ichange transaction (no blocks) logs the
  // flags the inode now holds (XFS's own kept here, and the common ones
  // the VFS applies after this returns) and the hints.
  Result<XfsTrans> tp = mp.trans_alloc("ichange", 0);
  if (!tp) return tp.error();
  x.xflags = fa->fsx_xflags & keep;
  x.extsize = static_cast<uint32_t>(fa->fsx_extsize / bsize);
  x.cowextsize = static_cast<uint32_t>(fa->fsx_cowextsize / bsize);
  tp->log({XfsLogItem::kIchange, ip.ino, 0, fa->fsx_xflags & (keep | kFS_XFLAG_COMMON), x.extsize, x.cowextsize});
  mp.trans_commit(std::move(*tp));
  // What the VFS applies: the generic flags, and DAX as S_DAX — which the
  // flag gives only under dax=inode on a DAX device (dax=always: every
  // file; dax=never or no DAX device: none), whatever the flag says.
  const DaxMode mode = ip.sb->options().dax;
  const bool s_dax = mp.dax() != nullptr && ip.is_reg() &&
                     (mode == DaxMode::kAlways || (mode == DaxMode::kInode && (x.xflags & kFS_XFLAG_DAX)));
  fa->fsx_xflags = (fa->fsx_xflags & kFS_XFLAG_COMMON & ~(kFS_XFLAG_SYNC | kFS_XFLAG_DAX)) |
                   (s_dax ? kFS_XFLAG_DAX : 0);
  return Errno::kOk;
}

Errno XfsVnodeOps::close(Inode& ip, bool writable) {
  if (!XfsMount::has_forks(ip) || !ip.is_reg()) return Errno::kOk;
  XfsMount& mp = mp_of(ip);
  XfsInodeData& x = XfsMount::xi(ip);
  Errno err = Errno::kOk;
  if (x.truncated) {
    x.truncated = false;
    x.eofblocks_released = false;
    if (x.delayed_blks() > 0 && !is_dax(ip)) err = filemap_write_and_wait_range(ip, 0, kOffMax, ops_of(ip));
  }
  if (ip.nlink == 0 || !writable || (x.diflags & kXfsDiflagAppend)) return err;
  // XFS_EOFBLOCKS_RELEASED is set by the first close that finds
  // something to trim.
  if (!x.eofblocks_released && mp.can_free_eofblocks(ip)) {
    x.eofblocks_released = true;
    mp.free_eofblocks(ip);
  }
  return err;
}

Errno XfsVnodeOps::mmap(Inode& ip, int, int flags) {
  if ((flags & kMAP_SYNC) && !is_dax(ip)) return Errno::kEOPNOTSUPP;
  return Errno::kOk;
}

Result<std::shared_ptr<PhysPage>> XfsVnodeOps::fault(Inode& ip, uint64_t pgoff, bool write) {
  return iomap_file_fault(ip, pgoff, write, is_dax(ip), ops_of(ip));
}

Result<std::shared_ptr<PhysPage>> XfsVnodeOps::page_mkwrite(Inode& ip, uint64_t pgoff) {
  return iomap_file_page_mkwrite(ip, pgoff, is_dax(ip), ops_of(ip));
}

void XfsVnodeOps::exchange_times(Inode& dir1, Inode& ip1, Inode& dir2, Inode& ip2) {
  dir1.sb->touch(dir1);
  if (&dir1 == &dir2) return;
  dir1.sb->touch(dir2);
  if (ip1.is_dir() || ip2.is_dir()) {
    dir1.sb->touch(ip1, /*mtime=*/ip1.is_dir());
    dir1.sb->touch(ip2, /*mtime=*/ip2.is_dir());
  }
}

}  // namespace vfssim
