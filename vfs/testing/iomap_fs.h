// IomapTestFs: the smallest filesystem on the generic iomap helpers — one
// ExtentMapOps block map per inode over a SimBlockDevice, or over a
// PmemDevice for DAX — so tests of the page cache, direct I/O, DAX and mmap
// can run through real inodes and the syscall layer. The block
// filesystems are built the same way, with real allocators.
//
//   IomapTestFs fs(machine, /*dax=*/false);
//   InodeRef ip = fs.new_file();
//   IovIter from = IovIter::kvec_source(bytes);
//   iomap_file_buffered_write(*ip, Kiocb{.pos = 0}, from, fs.map(*ip));

#ifndef VFSSIM_VFS_TESTING_IOMAP_FS_H_
#define VFSSIM_VFS_TESTING_IOMAP_FS_H_

#include <algorithm>
#include <memory>
#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "vfs/buffered_io.h"
#include "vfs/dax.h"
#include "vfs/direct_io.h"
#include "vfs/iomap_report.h"
#include "vfs/lseek.h"
#include "vfs/mmap.h"
#include "vfs/mount.h"
#include "vfs/testing/extent_map_ops.h"
#include "vfs/timestamps.h"

namespace vfssim {

struct ExtentMapData : InodeData {
  explicit ExtentMapData(BlockDevice* bdev, DaxDevice* dax) : map(bdev, dax) {}
  ExtentMapOps map;
};

// The VOPs: buffered (or DAX) I/O through the inode's ExtentMapOps.
class IomapTestVnodeOps : public VopDefaults {
 public:
  static ExtentMapOps& map(const Inode& ip) { return static_cast<ExtentMapData&>(*ip.data).map; }

  // The block device's logical block size: direct I/O's alignment.
  static uint32_t dio_align(const Inode& ip) {
    const BlockDevice* bdev = map(ip).bdev();
    return bdev != nullptr ? bdev->logical_block_size() : kSectorSize;
  }

  // As xfs_file_read_iter: nothing for a read of 0 bytes ("skip atime"),
  // then DAX, O_DIRECT or the page cache, each moving the atime
  // (xfs_file_dax_read after the read, xfs_file_dio_read before it,
  // filemap_read at its end).
  IoResult read(Inode& ip, const Kiocb& iocb, IovIter& to) override {
    if (to.count() == 0) return {0, Errno::kOk};
    if (ip.flags & kInodeDax) {
      IoResult r = dax_iomap_read(ip, iocb, to, map(ip));
      file_accessed(iocb.filp);
      return r;
    }
    if (iocb.flags.has(IocbFlag::kDirect)) {
      file_accessed(iocb.filp);
      return iomap_dio_read(ip, iocb, to, dio_align(ip), map(ip));
    }
    IoResult r = filemap_read(ip, iocb, to, map(ip));
    if (iocb.flags.has(IocbFlag::kDontcache)) filemap_drop_behind(ip, iocb.pos, r.done, map(ip));
    return r;
  }
  IoResult write(Inode& ip, const Kiocb& iocb, IovIter& from) override {
    if (ip.flags & kInodeDax) return dax_iomap_write(ip, iocb, from, map(ip));
    if (iocb.flags.has(IocbFlag::kDirect)) {
      return iomap_dio_write(ip, iocb, from, dio_align(ip), map(ip));
    }
    IoResult r = iomap_file_buffered_write(ip, iocb, from, map(ip));
    // generic_write_sync kicks writeback of the range and the pages leave
    // when it completes; writeback here completes at once.
    if (iocb.flags.has(IocbFlag::kDontcache)) filemap_drop_behind(ip, iocb.pos, r.done, map(ip));
    balance_dirty_pages(ip, map(ip));
    return r;
  }
  // XFS-shaped: FIEMAP, FMODE_NOWAIT, FMODE_CAN_ODIRECT, FOP_DONTCACHE.
  bool can_fiemap() const override { return true; }
  bool fop_dontcache() const override { return true; }
  bool fmode_nowait() const override { return true; }
  bool can_odirect() const override { return true; }
  // xfs_setattr_size: "Only change the c/mtime if we are changing the size
  // or we are explicitly asked to change it" — truncate(2) to the current
  // size changes nothing.
  Errno setsize(Inode& ip, off_t64 size, bool times) override {
    const bool changed = static_cast<uint64_t>(size) != ip.size;
    if (static_cast<uint64_t>(size) < ip.size) {
      // xfs_truncate_page: the rest of the new EOF block is zeroed where
      // it is stored — dirtied in the page cache (iomap_truncate_page), or
      // on the media for DAX (dax_truncate_page) — or a later extension
      // shows the old bytes once the page has left the cache.
      if (size % 4096 != 0) {
        const uint64_t tail = 4096 - static_cast<uint64_t>(size) % 4096;
        const Errno e = (ip.flags & kInodeDax) ? dax_zero_range(ip, size, tail, map(ip))
                                               : iomap_zero_range(ip, size, tail, nullptr, map(ip));
        if (e != Errno::kOk) return e;
      }
      truncate_pagecache_range(ip, size, kOffMax);
      // The blocks wholly past the new EOF, to the end of the offset space.
      punch_to_end(map(ip), (static_cast<uint64_t>(size) + 4095) / 4096 * 4096);
    }
    ip.size = static_cast<uint64_t>(size);
    if (times || changed) ip.sb->touch(ip);
    return Errno::kOk;
  }
  // Writes the dirty pages back: this pass's error, also recorded in the
  // errseqs (the VFS then reports per open file what they gained).
  Errno fsync(Inode& ip, off_t64 start, off_t64 end, bool) override {
    return filemap_write_and_wait_range(ip, start, end, map(ip));
  }
  Result<off_t64> seek_data_hole(Inode& ip, off_t64 off, int whence) override {
    return iomap_seek_data_hole(ip, off, whence, map(ip));
  }
  // Regular files: xfs_file_llseek (SEEK_DATA/SEEK_HOLE through iomap's
  // seek, the rest generic). Directories: generic_file_llseek
  // (xfs_dir_file_operations) against the inode's i_size, which nothing
  // here keeps for a directory — as XFS leaves the VFS i_size of a
  // directory made since mount at 0.
  Result<off_t64> llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) override {
    return iomap_file_llseek(ip, pos, off, whence, map(ip));
  }
  // xfs_file_fallocate. Allocation, with or without KEEP_SIZE
  // (xfs_alloc_file_space): unwritten blocks over the holes of the range.
  // PUNCH_HOLE (xfs_free_file_space): the range's whole blocks unmapped,
  // the rest of it zeroed. ZERO_RANGE: a punch, then unwritten blocks over
  // the range widened to blocks, the size grown unless KEEP_SIZE.
  // COLLAPSE_RANGE / INSERT_RANGE: block-aligned ranges only (EINVAL),
  // collapse ending before EOF and insert starting before it (EINVAL),
  // insert not past s_maxbytes (EFBIG); the extents from the range on shift
  // by its length. UNSHARE_RANGE and WRITE_ZEROES: EOPNOTSUPP. Every mode
  // it does sets mtime and ctime first ("error = file_modified(file)"
  // before the mode's work), so they change even when the work then fails.
  Errno allocate(Inode& ip, int mode, off_t64 off, off_t64 len) override {
    ExtentMapOps& m = map(ip);
    const off_t64 bs = static_cast<off_t64>(ExtentMapOps::kBlock);
    const uint64_t end = static_cast<uint64_t>(off + len);
    switch (mode & ~kFALLOC_FL_KEEP_SIZE) {
      case kFALLOC_FL_ALLOCATE_RANGE:
      case kFALLOC_FL_PUNCH_HOLE:
      case kFALLOC_FL_ZERO_RANGE:
      case kFALLOC_FL_COLLAPSE_RANGE:
      case kFALLOC_FL_INSERT_RANGE:
        ip.sb->touch(ip);
        break;
      default:
        return Errno::kEOPNOTSUPP;
    }
    switch (mode & ~kFALLOC_FL_KEEP_SIZE) {
      case kFALLOC_FL_ALLOCATE_RANGE: {
        if (Errno e = m.preallocate(off, static_cast<uint64_t>(len)); e != Errno::kOk) return e;
        if (!(mode & kFALLOC_FL_KEEP_SIZE) && end > ip.size) ip.size = end;
        return Errno::kOk;
      }
      case kFALLOC_FL_PUNCH_HOLE:
        if (Errno e = free_file_space(ip, off, len); e != Errno::kOk) return e;
        break;
      case kFALLOC_FL_ZERO_RANGE: {
        const uint64_t new_size = !(mode & kFALLOC_FL_KEEP_SIZE) && end > ip.size ? end : 0;
        if (Errno e = free_file_space(ip, off, len); e != Errno::kOk) return e;
        // Widened to blocks, the end may be one past LLONG_MAX: unsigned.
        const off_t64 start = off / bs * bs;
        const uint64_t stop = (end + bs - 1) / bs * bs;
        if (Errno e = m.preallocate(start, stop - static_cast<uint64_t>(start)); e != Errno::kOk) {
          return e;
        }
        if (new_size != 0) ip.size = new_size;
        break;
      }
      case kFALLOC_FL_COLLAPSE_RANGE:
        if ((off | len) % bs != 0 || end >= ip.size) return Errno::kEINVAL;
        if (Errno e = free_file_space(ip, off, len); e != Errno::kOk) return e;
        if (Errno e = prepare_shift(ip, off); e != Errno::kOk) return e;
        shift_extents(m, off + len, -len);
        ip.size -= static_cast<uint64_t>(len);
        break;
      case kFALLOC_FL_INSERT_RANGE:
        if ((off | len) % bs != 0) return Errno::kEINVAL;
        if (static_cast<uint64_t>(ip.sb->maxbytes) - ip.size < static_cast<uint64_t>(len)) {
          return Errno::kEFBIG;
        }
        if (static_cast<uint64_t>(off) >= ip.size) return Errno::kEINVAL;
        // xfs_bmap_can_insert_extents: EINVAL when the last extent (past
        // EOF, preallocated) would be shifted out of the offset space.
        if (!m.extents().empty()) {
          const Iomap& tail = m.extents().rbegin()->second;
          if (tail.offset >= off && ExtentMapOps::end_of(tail) >
                                        static_cast<uint64_t>(kOffMax) + 1 - static_cast<uint64_t>(len)) {
            return Errno::kEINVAL;
          }
        }
        ip.size += static_cast<uint64_t>(len);
        if (Errno e = prepare_shift(ip, off); e != Errno::kOk) return e;
        shift_extents(m, off, len);
        break;
    }
    return Errno::kOk;
  }
  // generic_fadvise with a backing device: DONTNEED writes the range back
  // and drops its pages (as drop_page_cache does; Linux keeps pages that
  // are mapped), the rest is readahead policy, which nothing here models.
  Errno fadvise(Inode& ip, off_t64 off, off_t64 len, int advice) override {
    if (Errno e = VopDefaults::fadvise(ip, off, len, advice); e != Errno::kOk) return e;
    if (advice == kPOSIX_FADV_DONTNEED && ip.is_reg() && !(ip.flags & kInodeDax)) {
      fadvise_dontneed(ip, off, len, map(ip));
    }
    return Errno::kOk;
  }
  Errno ioctl(Inode& ip, unsigned long cmd, void* arg) override {
    if (cmd == kFS_IOC_FIEMAP) {
      // Special files have no block map (XFS_DINODE_FMT_DEV): xfs_bmapi_read's
      // xfs_ifork_has_extents check calls that corruption.
      if (ip.type == VType::kChr || ip.type == VType::kBlk || ip.type == VType::kFifo) {
        return Errno::kEUCLEAN;
      }
      return iomap_fiemap(ip, static_cast<Fiemap*>(arg), map(ip));
    }
    return Errno::kENOTTY;
  }
  Errno close(Inode& ip, bool) override {
    if (ip.flags & kInodeDax) return Errno::kOk;
    return filemap_write_and_wait_range(ip, 0, kOffMax, map(ip));
  }
  // MAP_SYNC needs DAX (xfs_file_mmap's daxdev_mapping_supported).
  Errno mmap(Inode& ip, int, int flags) override {
    if ((flags & kMAP_SYNC) && !(ip.flags & kInodeDax)) return Errno::kEOPNOTSUPP;
    return Errno::kOk;
  }
  Result<std::shared_ptr<PhysPage>> fault(Inode& ip, uint64_t pgoff, bool write) override {
    return iomap_file_fault(ip, pgoff, write, ip.flags & kInodeDax, map(ip));
  }
  Result<std::shared_ptr<PhysPage>> page_mkwrite(Inode& ip, uint64_t pgoff) override {
    return iomap_file_page_mkwrite(ip, pgoff, ip.flags & kInodeDax, map(ip));
  }

 protected:
  // xfs_cross_rename: the first directory's mtime and ctime, and the
  // second's when it is another; the exchanged inodes' only when a
  // directory among them changes parent (its ".." moves: its mtime and
  // ctime, and the other's ctime, "userspace needs to be warned").
  void exchange_times(Inode& dir1, Inode& ip1, Inode& dir2, Inode& ip2) override {
    dir1.sb->touch(dir1);
    if (&dir1 == &dir2) return;
    dir1.sb->touch(dir2);
    if (ip1.is_dir() || ip2.is_dir()) {
      dir1.sb->touch(ip1, /*mtime=*/ip1.is_dir());
      dir1.sb->touch(ip2, /*mtime=*/ip2.is_dir());
    }
  }

 private:
  // xfs_flush_unmap_range: write back and drop the cached pages of
  // [off, end), widened to blocks.
  static Errno flush_unmap_range(Inode& ip, off_t64 off, off_t64 end);
  // xfs_free_file_space: whole blocks of the range unmapped, the rest
  // zeroed through the page cache.
  static Errno free_file_space(Inode& ip, off_t64 off, off_t64 len);
  // xfs_prepare_shift: the page cache from just before `off` to EOF.
  static Errno prepare_shift(Inode& ip, off_t64 off);
  // shift_extents moves every extent at or past `from` by `delta` bytes.
  static void shift_extents(ExtentMapOps& m, off_t64 from, off_t64 delta);
  // punch_to_end unmaps everything from `from` to the end of the offset
  // space: one past LLONG_MAX, where the block holding the last byte ends.
  // Punching only to LLONG_MAX left that byte mapped, a one-byte extent at
  // an unaligned device address that no read of it could use (EINVAL).
  static void punch_to_end(ExtentMapOps& m, uint64_t from) {
    constexpr uint64_t kEnd = static_cast<uint64_t>(kOffMax) + 1;
    if (from < kEnd) m.punch(static_cast<off_t64>(from), kEnd - from);
  }
};

inline Errno IomapTestVnodeOps::flush_unmap_range(Inode& ip, off_t64 off, off_t64 end) {
  const off_t64 bs = static_cast<off_t64>(ExtentMapOps::kBlock);
  const off_t64 start = off / bs * bs;
  const off_t64 stop = end >= kOffMax - bs ? kOffMax : (end + bs - 1) / bs * bs - 1;
  if (Errno e = filemap_write_and_wait_range(ip, start, stop, map(ip)); e != Errno::kOk) return e;
  truncate_pagecache_range(ip, start, stop);
  return Errno::kOk;
}

inline Errno IomapTestVnodeOps::free_file_space(Inode& ip, off_t64 off, off_t64 len) {
  const off_t64 bs = static_cast<off_t64>(ExtentMapOps::kBlock);
  if (Errno e = flush_unmap_range(ip, off, off + len); e != Errno::kOk) return e;
  // The whole blocks inside the range; rounding `off` up may pass
  // LLONG_MAX, so unsigned.
  const uint64_t first = (static_cast<uint64_t>(off) + bs - 1) / bs * bs;
  const uint64_t last = static_cast<uint64_t>(off + len) / bs * bs;
  if (last > first) map(ip).punch(static_cast<off_t64>(first), last - first);
  // "Need to zero the stuff we're not freeing", inside EOF.
  if (static_cast<uint64_t>(off) >= ip.size) return Errno::kOk;
  const uint64_t zlen = std::min<uint64_t>(static_cast<uint64_t>(len), ip.size - static_cast<uint64_t>(off));
  if (ip.flags & kInodeDax) return dax_zero_range(ip, off, zlen, map(ip));
  return iomap_zero_range(ip, off, zlen, nullptr, map(ip));
}

inline Errno IomapTestVnodeOps::prepare_shift(Inode& ip, off_t64 off) {
  // xfs_prepare_shift: from the block before the boundary to EOF.
  const off_t64 bs = static_cast<off_t64>(ExtentMapOps::kBlock);
  off_t64 start = off / bs * bs;
  if (start > 0) start -= bs;
  return flush_unmap_range(ip, start, kOffMax);
}

inline void IomapTestVnodeOps::shift_extents(ExtentMapOps& m, off_t64 from, off_t64 delta) {
  m.punch(from, 0);  // Split at the boundary.
  std::vector<Iomap> moved;
  for (const auto& [offset, extent] : m.extents()) {
    if (offset >= from) moved.push_back(extent);
  }
  punch_to_end(m, static_cast<uint64_t>(from));
  for (Iomap e : moved) {
    e.offset += delta;
    m.put(e);
  }
}

class IomapTestSuperblock : public Superblock {
 public:
  IomapTestSuperblock(Machine& m, MountOptions opts, BlockDevice* bdev, DaxDevice* dax)
      : Superblock(m, "iomaptest", std::move(opts), vops()), bdev_(bdev), dax_(dax) {}
  void init_inode(Inode& ip) override {
    // Special files have no block map (XFS_DINODE_FMT_DEV); a FIFO's data
    // is its pipe buffer, attached when it is opened.
    if (ip.type == VType::kChr || ip.type == VType::kBlk || ip.type == VType::kFifo) return;
    auto data = std::make_unique<ExtentMapData>(bdev_, dax_);
    data->map.share_allocator(&next_free_);  // One device: one allocator.
    ip.data = std::move(data);
    if (dax_ != nullptr && ip.type == VType::kReg) ip.flags |= kInodeDax;
  }
  static IomapTestVnodeOps& vops() {
    static IomapTestVnodeOps ops;
    return ops;
  }
  // As xfs_fs_statfs: XFS_SUPER_MAGIC, the filesystem block size, names up
  // to MAXNAMELEN - 1; blocks are the device's capacity in those blocks.
  Errno statfs(Kstatfs* st) const override {
    const uint32_t bs = options().block_size;
    st->f_type = kXFS_SUPER_MAGIC;
    st->f_bsize = bs;
    st->f_namelen = 255;
    st->f_blocks = bdev_ != nullptr ? bdev_->nr_sectors() * kSectorSize / bs : 0;
    return Errno::kOk;
  }

 private:
  BlockDevice* bdev_;
  DaxDevice* dax_;
  uint64_t next_free_ = ExtentMapOps::kFirstFree;
};

// register_iomap_testfs adds the type "iomaptest": mount it over a
// SimBlockDevice, or over a PmemDevice with "dax" for DAX files.
inline void register_iomap_testfs(Vfs& vfs) {
  vfs.register_fs("iomaptest", [](Machine& m, BlockDevice* dev, const MountOptions& opts)
                                   -> Result<std::unique_ptr<Superblock>> {
    if (dev == nullptr) return Fail(Errno::kENODEV);
    DaxDevice* dax = nullptr;
    if (opts.dax == DaxMode::kAlways) {
      dax = dynamic_cast<DaxDevice*>(dev);
      if (dax == nullptr) return Fail(Errno::kEINVAL);
    }
    auto sb = std::make_unique<IomapTestSuperblock>(m, opts, dax ? nullptr : dev, dax);
    sb->make_root();
    return std::unique_ptr<Superblock>(std::move(sb));
  });
}

class IomapTestFs {
 public:
  IomapTestFs(Machine& m, bool dax, std::string_view options = "",
              BlockDeviceConfig bdev_config = {})
      : bdev_(m, std::move(bdev_config)), pmem_(m, PmemConfig{}),
        sb_(m, *MountOptions::parse(options), dax ? nullptr : &bdev_, dax ? &pmem_ : nullptr) {
    sb_.make_root();
  }

  InodeRef new_file() {
    InodeRef ip = sb_.alloc_inode(VType::kReg, 0644, Creds::root());
    ip->nlink = 1;
    return ip;
  }
  ExtentMapOps& map(const Inode& ip) { return IomapTestVnodeOps::map(ip); }
  SimBlockDevice& bdev() { return bdev_; }
  PmemDevice& pmem() { return pmem_; }
  IomapTestSuperblock& sb() { return sb_; }

 private:
  SimBlockDevice bdev_;
  PmemDevice pmem_;
  IomapTestSuperblock sb_;
};

}  // namespace vfssim

#endif  // VFSSIM_VFS_TESTING_IOMAP_FS_H_
