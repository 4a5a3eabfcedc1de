#include "fs/ext4/ext4_file.h"

#include <algorithm>

#include "fs/ext4/ext4_mount.h"
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

Ext4Mount& mp_of(const Inode& ip) { return Ext4Mount::of(ip); }
Ext4IomapOps& ops_of(const Inode& ip) { return Ext4Mount::of(ip).iomap_ops(); }
bool is_dax(const Inode& ip) { return (ip.flags & kInodeDax) && mp_of(ip).dax() != nullptr; }

uint32_t dio_align(const Inode& ip) {
  const BlockDevice* bdev = mp_of(ip).bdev();
  return bdev != nullptr ? bdev->logical_block_size() : kSectorSize;
}

// zero_range zeroes file bytes [pos, pos + len) where they are stored: in
// the page cache, or on the media for DAX (ext4_block_zero_page_range).
Errno zero_range(Inode& ip, off_t64 pos, uint64_t len) {
  if (len == 0) return Errno::kOk;
  if (is_dax(ip)) return dax_zero_range(ip, pos, len, ops_of(ip));
  return iomap_zero_range(ip, pos, len, nullptr, ops_of(ip));
}

// block_truncate_page zeroes the rest of the block holding `from`
// (ext4_block_truncate_page), if `from` is inside a block.
Errno block_truncate_page(Inode& ip, uint64_t from) {
  const uint64_t bs = mp_of(ip).bsize();
  if (from % bs == 0) return Errno::kOk;
  return zero_range(ip, static_cast<off_t64>(from), bs - from % bs);
}

// truncate_blocks frees every block from logical block `first` on
// (ext4_ext_truncate / ext4_ext_remove_space to EXT_MAX_BLOCKS).
void truncate_blocks(Inode& ip, uint64_t first) {
  Ext4Mount& mp = mp_of(ip);
  const uint64_t limit = mp.max_lblk() + 1;
  if (first < limit) mp.unmap_range(ip, first, limit - first);
}

// write_back_range writes [start, end] back (filemap_write_and_wait_range).
Errno write_back_range(Inode& ip, off_t64 start, off_t64 end) {
  if (is_dax(ip)) return Errno::kOk;
  return filemap_write_and_wait_range(ip, start, end, ops_of(ip));
}

// punch_hole is ext4_punch_hole: nothing at or past EOF; the range ends
// at most at the page holding EOF; written back and dropped from the
// page cache, the partial blocks zeroed, the whole ones freed.
Errno punch_hole(Inode& ip, off_t64 off, off_t64 len) {
  Ext4Mount& mp = mp_of(ip);
  const uint64_t bs = mp.bsize();
  const uint64_t max_end = static_cast<uint64_t>(ip.sb->maxbytes) / bs * bs;
  uint64_t start = static_cast<uint64_t>(off);
  uint64_t end = start + static_cast<uint64_t>(len);
  if (start >= ip.size || start >= max_end) return Errno::kOk;
  if (end > ip.size) end = (ip.size + kPageSize - 1) / kPageSize * kPageSize;
  end = std::min(end, max_end);
  // ext4_truncate_page_cache_block_range: dirty pages over the range
  // written first (so their delayed blocks are placed), then dropped.
  const uint64_t pstart = start / bs * bs;
  const uint64_t pend = (end + bs - 1) / bs * bs;
  if (Errno e = write_back_range(ip, static_cast<off_t64>(pstart), static_cast<off_t64>(pend) - 1);
      e != Errno::kOk) {
    return e;
  }
  truncate_pagecache_range(ip, static_cast<off_t64>(start), static_cast<off_t64>(end) - 1);
  // ext4_zero_partial_blocks: the head and tail inside blocks.
  const uint64_t first = (start + bs - 1) / bs, last = end / bs;
  if (first > last) {
    if (Errno e = zero_range(ip, static_cast<off_t64>(start), end - start); e != Errno::kOk) return e;
  } else {
    if (start % bs != 0) {
      if (Errno e = zero_range(ip, static_cast<off_t64>(start), first * bs - start); e != Errno::kOk) return e;
    }
    if (end % bs != 0 && end > last * bs) {
      if (Errno e = zero_range(ip, static_cast<off_t64>(last * bs), end - last * bs); e != Errno::kOk) return e;
    }
  }
  if (last > first) mp.unmap_range(ip, first, last - first);
  ip.sb->touch(ip);
  return Errno::kOk;
}

// alloc_file_blocks is ext4_alloc_file_blocks: unwritten blocks over the
// holes (and delayed blocks) of logical blocks [first, last). Errors:
// ENOSPC, with what was allocated kept.
// grow_to raises the size (and i_disksize with it) to `size` if that is
// more (ext4_update_inode_size).
void grow_to(Inode& ip, uint64_t size) {
  if (size <= ip.size) return;
  ip.size = size;
  Ext4Mount::ei(ip).disksize = size;
}

// `new_size`: the size the call grows the file to (0: none); it follows
// the blocks allocated so far, also when an allocation fails part way
// (ext4_alloc_file_blocks' ext4_update_inode_size after each mapping).
Errno alloc_file_blocks(Inode& ip, uint64_t first, uint64_t last, uint64_t new_size = 0) {
  if (last <= first) return Errno::kOk;
  uint64_t done_to = first;
  const Errno e = mp_of(ip).map_real(ip, first, last - first, /*unwritten=*/true, is_dax(ip), &done_to);
  if (new_size != 0 && e != Errno::kOk) grow_to(ip, std::min(new_size, done_to * mp_of(ip).bsize()));
  return e;
}

}  // namespace

Ext4VnodeOps& ext4_vnode_ops() {
  static Ext4VnodeOps ops;
  return ops;
}

Result<InodeRef> Ext4VnodeOps::create(Inode& dir, std::string_view name, VType type, uint32_t mode,
                                      const Creds& cr) {
  // ext4_create: the inode first, then its entry (ext4_add_nondir); when
  // the directory cannot grow for it, the inode goes again.
  if (Errno e = mp_of(dir).dir_resize(dir, name); e != Errno::kOk) return Fail(e);
  return VopDefaults::create(dir, name, type, mode, cr);
}

Result<InodeRef> Ext4VnodeOps::symlink(Inode& dir, std::string_view name, std::string_view target,
                                       const Creds& cr) {
  if (Errno e = mp_of(dir).dir_resize(dir, name); e != Errno::kOk) return Fail(e);
  return VopDefaults::symlink(dir, name, target, cr);
}

Errno Ext4VnodeOps::link(Inode& dir, std::string_view name, Inode& ip) {
  if (Errno e = mp_of(dir).dir_resize(dir, name); e != Errno::kOk) return e;
  return VopDefaults::link(dir, name, ip);
}

Errno Ext4VnodeOps::rename(Inode& from_dir, std::string_view from_name, Inode& to_dir,
                           std::string_view to_name, unsigned flags) {
  // ext4_rename: "if (new.inode && S_ISREG(old.inode->i_mode) &&
  // !test_opt(NO_AUTO_DA_ALLOC)) ext4_alloc_da_blocks(old.inode)".
  Result<InodeRef> old = lookup(from_dir, from_name);
  Result<InodeRef> target = lookup(to_dir, to_name);
  if (old && target && (*old)->is_reg() && !(flags & kRENAME_EXCHANGE)) {
    write_back_range(**old, 0, kOffMax);
  }
  // A new name is added to the target directory before the old one goes
  // (ext4_add_entry first): no room is ENOSPC, nothing moved.
  if (!target) {
    if (Errno e = mp_of(to_dir).dir_resize(to_dir, to_name); e != Errno::kOk) return e;
  }
  return VopDefaults::rename(from_dir, from_name, to_dir, to_name, flags);
}

IoResult Ext4VnodeOps::read(Inode& ip, const Kiocb& iocb, IovIter& to) {
  if (to.count() == 0) return {0, Errno::kOk};
  if (is_dax(ip)) {
    IoResult r = dax_iomap_read(ip, iocb, to, ops_of(ip));
    file_accessed(iocb.filp);
    return r;
  }
  if (iocb.flags.has(IocbFlag::kDirect)) {
    IoResult r = iomap_dio_read(ip, iocb, to, dio_align(ip), ops_of(ip));
    file_accessed(iocb.filp);
    return r;
  }
  IoResult r = filemap_read(ip, iocb, to, ops_of(ip));
  if (iocb.flags.has(IocbFlag::kDontcache)) filemap_drop_behind(ip, iocb.pos, r.done, ops_of(ip));
  return r;
}

Errno Ext4VnodeOps::write_iter_checks(Inode& ip, const Kiocb& iocb) {
  if (!is_dax(ip) && !iocb.flags.has(IocbFlag::kDirect) && iocb.flags.has(IocbFlag::kNowait)) {
    return Errno::kEOPNOTSUPP;
  }
  if (ip.flags & kInodeImmutable) return Errno::kEPERM;
  return Errno::kOk;
}

IoResult Ext4VnodeOps::write(Inode& ip, const Kiocb& iocb, IovIter& from) {
  if (iocb.flags.has(IocbFlag::kDirect) && !is_dax(ip) &&
      ((static_cast<uint64_t>(iocb.pos) | from.count()) % dio_align(ip)) != 0) {
    return {0, Errno::kEINVAL};
  }
  // The old EOF block's tail reads as zeros once the size passes it.
  if (from.count() > 0 && static_cast<uint64_t>(iocb.pos) > ip.size) {
    const uint64_t bs = mp_of(ip).bsize();
    const uint64_t tail_end = std::min<uint64_t>(static_cast<uint64_t>(iocb.pos), (ip.size + bs - 1) / bs * bs);
    if (tail_end > ip.size) {
      if (Errno e = zero_range(ip, static_cast<off_t64>(ip.size), tail_end - ip.size); e != Errno::kOk) {
        return {0, e};
      }
    }
  }
  if (is_dax(ip)) return dax_iomap_write(ip, iocb, from, ops_of(ip));
  if (iocb.flags.has(IocbFlag::kDirect)) return iomap_dio_write(ip, iocb, from, dio_align(ip), ops_of(ip));
  IoResult r = iomap_file_buffered_write(ip, iocb, from, ops_of(ip));
  if (iocb.flags.has(IocbFlag::kDontcache)) filemap_drop_behind(ip, iocb.pos, r.done, ops_of(ip));
  balance_dirty_pages(ip, ops_of(ip));
  return r;
}

Errno Ext4VnodeOps::getattr(Inode& ip, Stat* st) {
  if (Errno e = VopDefaults::getattr(ip, st); e != Errno::kOk) return e;
  st->blksize = static_cast<uint32_t>(mp_of(ip).bsize());
  return Errno::kOk;
}

Errno Ext4VnodeOps::setsize(Inode& ip, off_t64 size, bool times) {
  if (ip.flags & kInodeImmutable) return Errno::kEPERM;
  Ext4InodeData& x = Ext4Mount::ei(ip);
  const uint64_t newsize = static_cast<uint64_t>(size);
  const uint64_t oldsize = ip.size;
  const uint64_t bs = mp_of(ip).bsize();
  if (newsize > oldsize) {
    if (Errno e = block_truncate_page(ip, oldsize); e != Errno::kOk) return e;
    ip.size = newsize;
    x.disksize = newsize;
    ip.sb->touch(ip);
    return Errno::kOk;
  }
  // ext4_truncate, also for the same size.
  ip.size = newsize;
  x.disksize = std::min(x.disksize, newsize);
  if (Errno e = block_truncate_page(ip, newsize); e != Errno::kOk) return e;
  truncate_pagecache_range(ip, size, kOffMax);
  truncate_blocks(ip, (newsize + bs - 1) / bs);
  if (newsize == 0) x.da_alloc_close = true;
  x.disksize = newsize;
  (void)times;
  ip.sb->touch(ip);
  return Errno::kOk;
}

Errno Ext4VnodeOps::fsync(Inode& ip, off_t64 start, off_t64 end, bool) {
  return write_back_range(ip, start, end);
}

Errno Ext4VnodeOps::allocate(Inode& ip, int mode, off_t64 off, off_t64 len) {
  Ext4Mount& mp = mp_of(ip);
  const uint64_t bs = mp.bsize();
  const uint64_t end = static_cast<uint64_t>(off) + static_cast<uint64_t>(len);
  const int op = mode & ~kFALLOC_FL_KEEP_SIZE;
  switch (op) {
    case kFALLOC_FL_ALLOCATE_RANGE:
    case kFALLOC_FL_PUNCH_HOLE:
    case kFALLOC_FL_ZERO_RANGE:
    case kFALLOC_FL_COLLAPSE_RANGE:
    case kFALLOC_FL_INSERT_RANGE:
    case kFALLOC_FL_ZEROINIT_RANGE:
      break;
    default:
      return Errno::kEOPNOTSUPP;
  }
  if (op == kFALLOC_FL_ZEROINIT_RANGE) {
    // ext4_zeroinit_range (seed 004 patch 5/5): the page cache over the
    // range dropped — not written back first, as posted — then the
    // storage zeroed through ext4_iomap_report_ops.
    truncate_pagecache_range(ip, off, static_cast<off_t64>(end) - 1);
    ip.sb->touch(ip);
    const Errno e = is_dax(ip) ? dax_zeroinit_range(ip, off, static_cast<uint64_t>(len), ops_of(ip))
                               : iomap_zeroout_range(ip, off, static_cast<uint64_t>(len), ops_of(ip));
    if (e != Errno::kOk) return e == Errno::kECANCELED ? Errno::kEOPNOTSUPP : e;
    ip.sb->touch(ip);
    return Errno::kOk;
  }
  ip.sb->touch(ip);  // file_modified.
  const bool keep = mode & kFALLOC_FL_KEEP_SIZE;
  switch (op) {
    case kFALLOC_FL_ALLOCATE_RANGE: {
      // ext4_do_fallocate: unwritten blocks over the range's holes; the
      // size follows only when all of it was allocated.
      const uint64_t last = std::min((end + bs - 1) / bs, mp.max_lblk());
      if (Errno e = alloc_file_blocks(ip, static_cast<uint64_t>(off) / bs, last, keep ? 0 : end);
          e != Errno::kOk) {
        return e;
      }
      if (!keep) grow_to(ip, end);
      return Errno::kOk;
    }
    case kFALLOC_FL_PUNCH_HOLE:
      return punch_hole(ip, off, len);
    case kFALLOC_FL_ZERO_RANGE: {
      // ext4_zero_range: the range written back and dropped from the page
      // cache, its whole blocks made unwritten (holes allocated, written
      // blocks converted), the partial blocks at its edges zeroed.
      const uint64_t start = static_cast<uint64_t>(off);
      const uint64_t first = (start + bs - 1) / bs, last = end / bs;
      if (Errno e = write_back_range(ip, static_cast<off_t64>(start / bs * bs),
                                     static_cast<off_t64>((end + bs - 1) / bs * bs) - 1);
          e != Errno::kOk) {
        return e;
      }
      truncate_pagecache_range(ip, off, static_cast<off_t64>(end) - 1);
      if (last > first) {
        Ext4InodeData& x = Ext4Mount::ei(ip);
        if (Errno e = alloc_file_blocks(ip, first, last); e != Errno::kOk) return e;
        x.map.set_unwritten(first, last - first, true);
        mp.update_tree_blocks(ip);
      }
      // The partial blocks at the edges: allocated (so that they exist
      // past EOF) and zeroed inside EOF.
      auto partial = [&](uint64_t from, uint64_t to) -> Errno {
        if (Errno e = alloc_file_blocks(ip, from / bs, from / bs + 1); e != Errno::kOk) return e;
        const uint64_t stop = std::min<uint64_t>(to, ip.size);
        return from < stop ? zero_range(ip, static_cast<off_t64>(from), stop - from) : Errno::kOk;
      };
      if (first > last) {
        if (Errno e = partial(start, end); e != Errno::kOk) return e;
      } else {
        if (start % bs != 0) {
          if (Errno e = partial(start, first * bs); e != Errno::kOk) return e;
        }
        if (end % bs != 0) {
          if (Errno e = partial(last * bs, end); e != Errno::kOk) return e;
        }
      }
      if (!keep) grow_to(ip, end);
      return Errno::kOk;
    }
    case kFALLOC_FL_COLLAPSE_RANGE: {
      // ext4_collapse_range.
      if ((off | len) % static_cast<off_t64>(bs) != 0) return Errno::kEINVAL;
      if (end >= ip.size) return Errno::kEINVAL;
      if (Errno e = write_back_range(ip, off, kOffMax); e != Errno::kOk) return e;
      truncate_pagecache_range(ip, off, kOffMax);
      const uint64_t first = static_cast<uint64_t>(off) / bs, n = static_cast<uint64_t>(len) / bs;
      mp.unmap_range(ip, first, n);
      Ext4Mount::ei(ip).map.shift(first + n, -static_cast<int64_t>(n));
      mp.update_tree_blocks(ip);
      ip.size -= static_cast<uint64_t>(len);
      Ext4InodeData& x = Ext4Mount::ei(ip);
      x.disksize = std::min(x.disksize, ip.size);
      return Errno::kOk;
    }
    case kFALLOC_FL_INSERT_RANGE: {
      // ext4_insert_range.
      if ((off | len) % static_cast<off_t64>(bs) != 0) return Errno::kEINVAL;
      if (static_cast<uint64_t>(ip.sb->maxbytes) - ip.size < static_cast<uint64_t>(len)) return Errno::kEFBIG;
      if (static_cast<uint64_t>(off) >= ip.size) return Errno::kEINVAL;
      if (Errno e = write_back_range(ip, off, kOffMax); e != Errno::kOk) return e;
      truncate_pagecache_range(ip, off, kOffMax);
      const uint64_t first = static_cast<uint64_t>(off) / bs, n = static_cast<uint64_t>(len) / bs;
      Ext4InodeData& x = Ext4Mount::ei(ip);
      // Split the extent the boundary cuts, then move what follows.
      x.map.split(first);
      x.map.shift(first, static_cast<int64_t>(n));
      mp.update_tree_blocks(ip);
      ip.size += static_cast<uint64_t>(len);
      x.disksize = ip.size;
      return Errno::kOk;
    }
  }
  return Errno::kEOPNOTSUPP;
}

Errno Ext4VnodeOps::deallocate(Inode& ip, off_t64* off, off_t64* len, int, IoFlags) {
  const uint64_t start = static_cast<uint64_t>(*off);
  if (start >= ip.size) {
    *len = 0;
    return Errno::kOk;
  }
  const uint64_t end = std::min<uint64_t>(start + static_cast<uint64_t>(*len), ip.size);
  // Clipped at EOF first, as vop_stddeallocate clips: a failed punch
  // reports the clipped range as left.
  *len = static_cast<off_t64>(end - start);
  if (Errno e = punch_hole(ip, *off, static_cast<off_t64>(end - start)); e != Errno::kOk) return e;
  *off = static_cast<off_t64>(end);
  *len = 0;
  return Errno::kOk;
}

Result<off_t64> Ext4VnodeOps::seek_data_hole(Inode& ip, off_t64 off, int whence) {
  return iomap_seek_data_hole(ip, off, whence, ops_of(ip));
}

Result<off_t64> Ext4VnodeOps::llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) {
  if (ip.is_dir()) {
    // ext4_dir_llseek: is_dx_dir (dir_index, or a single block) seeks
    // against the htree's end, LLONG_MAX with 64-bit hashes.
    return generic_file_llseek_size(pos, off, whence, kOffMax, kOffMax);
  }
  return iomap_file_llseek(ip, pos, off, whence, ops_of(ip));
}

Errno Ext4VnodeOps::fadvise(Inode& ip, off_t64 off, off_t64 len, int advice) {
  if (Errno e = VopDefaults::fadvise(ip, off, len, advice); e != Errno::kOk) return e;
  if (advice == kPOSIX_FADV_DONTNEED && ip.is_reg() && !is_dax(ip)) fadvise_dontneed(ip, off, len, ops_of(ip));
  return Errno::kOk;
}

Errno Ext4VnodeOps::ioctl(Inode& ip, unsigned long cmd, void* arg) {
  if (cmd == kFS_IOC_FIEMAP) {
    if (!Ext4Mount::has_map(ip)) return Errno::kEOPNOTSUPP;  // No ->fiemap.
    return iomap_fiemap(ip, static_cast<Fiemap*>(arg), ops_of(ip));
  }
  return Errno::kENOTTY;
}

Errno Ext4VnodeOps::fileattr_set(Inode& ip, FsXattr* fa) {
  // ext4_ioctl_setflags: "flush all the dirty pages for this file. The
  // flush marks all the pages readonly, so any subsequent attempt to
  // write to the file (particularly mmap pages) will come through the
  // filesystem and fail."
  // (The model unmaps the pages, where the kernel write-protects them:
  // the next store faults either way.) Nothing changes for a request the
  // checks refuse.
  if (Errno e = VopDefaults::fileattr_set(ip, fa); e != Errno::kOk) return e;
  if (ip.is_reg() && !(ip.flags & kInodeImmutable) && (fa->fsx_xflags & kFS_XFLAG_IMMUTABLE)) {
    if (Errno e = write_back_range(ip, 0, kOffMax); e != Errno::kOk) return e;
    unmap_mapping_range(ip, 0, UINT64_MAX >> kCachePageShift);
  }
  return Errno::kOk;
}

Errno Ext4VnodeOps::close(Inode& ip, bool) {
  if (!Ext4Mount::has_map(ip) || !ip.is_reg()) return Errno::kOk;
  Ext4InodeData& x = Ext4Mount::ei(ip);
  if (x.da_alloc_close) {
    x.da_alloc_close = false;
    return write_back_range(ip, 0, kOffMax);
  }
  return Errno::kOk;
}

Errno Ext4VnodeOps::mmap(Inode& ip, int, int flags) {
  if ((flags & kMAP_SYNC) && !is_dax(ip)) return Errno::kEOPNOTSUPP;
  return Errno::kOk;
}

Result<std::shared_ptr<PhysPage>> Ext4VnodeOps::fault(Inode& ip, uint64_t pgoff, bool write) {
  return iomap_file_fault(ip, pgoff, write, is_dax(ip), ops_of(ip));
}

Result<std::shared_ptr<PhysPage>> Ext4VnodeOps::page_mkwrite(Inode& ip, uint64_t pgoff) {
  if (ip.flags & kInodeImmutable) return Fail(Errno::kEPERM);
  return iomap_file_page_mkwrite(ip, pgoff, is_dax(ip), ops_of(ip));
}

void Ext4VnodeOps::exchange_times(Inode& dir1, Inode& ip1, Inode& dir2, Inode& ip2) {
  dir1.sb->touch(dir1);
  if (&dir1 != &dir2) dir1.sb->touch(dir2);
  dir1.sb->touch(ip1, /*mtime=*/false);
  dir1.sb->touch(ip2, /*mtime=*/false);
}

}  // namespace vfssim
