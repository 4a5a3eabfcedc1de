// The XFS-like filesystem: geometry and mkfs, the mounted filesystem
// (XfsMount, Linux's struct xfs_mount and super_block), its inodes' forks,
// its iomap operations and its vnode operations.
//
// Layout follows XFS (fs/xfs/): the data device is cut into allocation
// groups (xfs_alloc.h) as mkfs.xfs would cut it; each regular file has a
// data fork and a copy-on-write fork of extent records (xfs_bmap.h); shared
// blocks are counted in a refcount index (xfs_refcount.h); every metadata
// change goes through a transaction with its block reservation taken up
// front (xfs_trans.h). Buffered writes reserve delayed allocations with
// speculative preallocation past EOF, which writeback turns into real
// (unwritten, then written) extents; direct and DAX writes allocate at
// once. Metadata is kept in memory: mkfs writes only the superblock
// geometry to block 0, and a filesystem lives as long as its mount.
//
//   SimBlockDevice disk(machine, {.capacity_bytes = 512 << 20});
//   ASSERT_EQ(xfs_mkfs(machine, disk, "-b size=4096 -m reflink=1"), Errno::kOk);
//   register_xfs(vfs);
//   vfs.mount("xfs", &disk, "", "/mnt", Creds::root());

#ifndef VFSSIM_FS_XFS_XFS_MOUNT_H_
#define VFSSIM_FS_XFS_XFS_MOUNT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "fs/xfs/xfs_alloc.h"
#include "fs/xfs/xfs_bmap.h"
#include "fs/xfs/xfs_refcount.h"
#include "fs/xfs/xfs_trans.h"
#include "sim/machine.h"
#include "vfs/iomap.h"
#include "vfs/mount.h"

namespace vfssim {

// XfsGeometry is what mkfs decides and the superblock records.
struct XfsGeometry {
  uint32_t blocksize = 4096;
  uint32_t agcount = 0;
  uint64_t agblocks = 0;
  uint64_t dblocks = 0;
  uint64_t logstart = 0;   // First block of the internal log.
  uint64_t logblocks = 0;
  bool reflink = true;     // -m reflink=1 (mkfs.xfs's default since 5.1).
  uint32_t inodesize = 512;

  // The superblock on block 0: a magic and these fields.
  std::vector<std::byte> encode() const;
  static Result<XfsGeometry> decode(std::span<const std::byte> block);
};

// xfs_mkfs_geometry computes the geometry mkfs.xfs picks for a device of
// `bytes` with options `opts` in mkfs.xfs's syntax: "-b size=N" (1024 to
// 65536, a power of two), "-d agcount=N", "-m reflink=0|1". Errors: EINVAL
// an option that is malformed, unsupported or out of range, or a device too
// small for an XFS filesystem (mkfs.xfs's 300 MiB minimum).
Result<XfsGeometry> xfs_mkfs_geometry(uint64_t bytes, std::string_view opts);

// xfs_mkfs formats `dev`: the geometry above written to block 0.
// Errors: as xfs_mkfs_geometry; the device's write error.
Errno xfs_mkfs(Machine& m, BlockDevice& dev, std::string_view opts);

// register_xfs adds the filesystem type "xfs" to `vfs`: mount it over a
// device xfs_mkfs formatted (EINVAL otherwise); "dax=always" needs the
// device to be pmem, "dax=inode" makes files DAX per their FS_XFLAG_DAX.
void register_xfs(Vfs& vfs);

// On-disk inode flags kept per inode (XFS_DIFLAG_* / XFS_DIFLAG2_*).
enum XfsDiflag : uint32_t {
  kXfsDiflagPrealloc = 1u << 0,  // fallocate allocated space here (keeps post-EOF blocks).
  kXfsDiflagAppend = 1u << 1,
  kXfsDiflag2Dax = 1u << 2,      // FS_XFLAG_DAX.
  kXfsDiflag2Reflink = 1u << 3,  // The file may share blocks.
  kXfsDiflag2Cowextsize = 1u << 4,
};

class XfsMount;

// XfsInodeData is the filesystem part of an inode (struct xfs_inode).
struct XfsInodeData : InodeData {
  explicit XfsInodeData(XfsMount* mp) : mp(mp) {}
  // An inode that dies gives its blocks and reservations back
  // (xfs_inactive: xfs_itruncate_extents and the CoW fork cancelled).
  ~XfsInodeData() override;

  XfsMount* mp;  // Null once the mount itself is going.
  XfsFork data;  // The data fork.
  XfsFork cow;   // The CoW fork: staging extents for writes to shared blocks.
  uint32_t diflags = 0;
  uint32_t cowextsize = 0;  // Blocks; 0 = the default hint.
  uint32_t extsize = 0;     // Blocks; 0 = none.
  // FS_XFLAG_* bits XFS keeps beyond the VFS's generic ones (SYNC,
  // NODEFRAG, FILESTREAM, EXTSIZE, COWEXTSIZE, the directory inheritance
  // flags): what FSSETXATTR set and FSGETXATTR reports.
  uint32_t xflags = 0;
  // XFS_EOFBLOCKS_RELEASED: the first writable close trimmed post-EOF
  // blocks; later closes keep them (xfs_file_release).
  bool eofblocks_released = false;
  // XFS_ITRUNCATED: truncated down since the last close.
  bool truncated = false;
  // i_disk_size: the size the completed writes have made durable (raised
  // by ioend, lowered by truncation).
  uint64_t disk_size = 0;

  uint64_t nblocks() const { return data.real_blocks() + cow.real_blocks(); }
  uint64_t delayed_blks() const { return data.delalloc_blocks() + cow.delalloc_blocks(); }
};

// kXfsExtentAddRes is XFS_EXTENTADD_SPACE_RES(mp, XFS_DATA_FORK) as the
// model sizes it: the blocks a bmbt split may take when one extent is
// added or split (the data fork's height less one). Transactions that may
// split a record reserve it (xfs_unmap_extent, insert's shift, remapping;
// unwritten conversion twice, from the reserve pool); ENOSPC when free
// space cannot cover it.
inline constexpr uint64_t kXfsExtentAddRes = 4;

// kXfsItruncMaxExtents is XFS_ITRUNC_MAX_EXTENTS: how many records one
// unmapping transaction (a punch's xfs_unmap_extent, a truncate's roll)
// removes before the next one is opened.
inline constexpr int kXfsItruncMaxExtents = 2;

// XfsIomapOps maps file ranges for the generic iomap helpers: the kernel's
// xfs_buffered_write_iomap_ops, xfs_direct_write_iomap_ops,
// xfs_dax_write_iomap_ops, xfs_read_iomap_ops and writeback's
// xfs_map_blocks in one, chosen by the iterator flags.
class XfsIomapOps : public IomapOps {
 public:
  explicit XfsIomapOps(XfsMount& mp) : mp_(mp) {}
  // Reads and reports (kIomapReport, or no kIomapWrite): the data fork as
  // it is, shared extents flagged kIomapFShared and trimmed at the edges of
  // sharing. Zeroing (kIomapZero): the same, never allocating. Buffered
  // writes and write faults: holes get delalloc reservations (plus
  // speculative preallocation past EOF), shared blocks a CoW fork
  // reservation with the data extent as srcmap. Direct and DAX writes:
  // real blocks at once, unwritten for direct I/O (converted by ioend),
  // zeroed and written for DAX. Writeback: delalloc converted to real
  // blocks. Errors: ENOSPC (reservation or allocation, incl. the fault
  // point xfs/alloc/enospc); EAGAIN under kIomapNowait when it would
  // allocate; the device's errno when zeroing new DAX blocks fails.
  Errno iomap_begin(Inode& ip, off_t64 pos, uint64_t length, uint32_t flags, Iomap* iomap,
                    Iomap* srcmap) override;
  // Buffered writes: the delalloc reserved by this mapping and not written
  // is punched out again (xfs_buffered_write_iomap_end).
  Errno iomap_end(Inode& ip, off_t64 pos, uint64_t length, int64_t written, uint32_t flags,
                  Iomap* iomap) override;
  // Completed writes: CoW staging extents remapped into the data fork
  // (xfs_reflink_end_cow), unwritten extents converted
  // (xfs_iomap_write_unwritten).
  Errno ioend(Inode& ip, off_t64 pos, uint64_t len, uint32_t flags) override;

 private:
  XfsMount& mp_;
};

// XfsMount is one mounted XFS-like filesystem.
class XfsMount : public Superblock {
 public:
  XfsMount(Machine& m, MountOptions opts, const XfsGeometry& geo, BlockDevice* bdev,
           DaxDevice* dax);
  ~XfsMount() override;

  void init_inode(Inode& ip) override;
  uint64_t blocks(const Inode& ip) const override;
  Errno statfs(Kstatfs* st) const override;
  std::vector<std::string> check() const override;
  // xfs_unmount: every inode's post-EOF blocks and CoW staging freed (the
  // blockgc scan), the log forced; no delalloc reservation may be left.
  void put_super() override;
  uint64_t delalloc_reserved() const { return delalloc_; }

  static XfsInodeData& xi(const Inode& ip) { return static_cast<XfsInodeData&>(*ip.data); }
  // has_forks: `ip` carries this filesystem's forks (a FIFO's data is its
  // pipe buffer, device nodes have none).
  static bool has_forks(const Inode& ip) {
    return ip.data != nullptr && dynamic_cast<const XfsInodeData*>(ip.data.get()) != nullptr;
  }
  static XfsMount& of(const Inode& ip) { return static_cast<XfsMount&>(*ip.sb); }

  const XfsGeometry& geo() const { return geo_; }
  uint64_t bsize() const { return geo_.blocksize; }
  // sb_blocklog: the block size is a power of two, so byte and block
  // conversions shift (every read and write makes a few).
  int blocklog() const { return blocklog_; }
  uint64_t to_fsb(uint64_t bytes) const { return bytes >> blocklog_; }  // Round down.
  uint64_t to_fsb_up(uint64_t bytes) const { return (bytes + geo_.blocksize - 1) >> blocklog_; }
  // One past the last file block (s_maxbytes rounded up to a block).
  uint64_t max_fileoff() const { return (static_cast<uint64_t>(maxbytes) + bsize()) >> blocklog_; }
  BlockDevice* bdev() const { return bdev_; }
  DaxDevice* dax() const { return dax_; }
  // allocsize=: the speculative preallocation, fixed, in blocks (0: the
  // dynamic xfs_iomap_prealloc_size); allocsize_blocks is m_allocsize_blocks
  // (64 KiB worth by default), the unit EOF preallocation is rounded to.
  void set_allocsize(uint64_t blocks) { allocsize_fixed_ = blocks; }
  uint64_t allocsize_fixed() const { return allocsize_fixed_; }
  uint64_t allocsize_blocks() const {
    return allocsize_fixed_ != 0 ? allocsize_fixed_ : std::max<uint64_t>(1, (64u << 10) / bsize());
  }
  XfsIomapOps& iomap_ops() { return iomap_ops_; }
  XfsAllocator& allocator() { return alloc_; }
  XfsRefcount& refcount() { return refc_; }
  bool reflink() const { return geo_.reflink; }

  // fdblocks: free blocks nobody has reserved (sb_fdblocks less the
  // delalloc reservations and the space XFS holds back: the allocation
  // set-aside and the reserve pool).
  uint64_t fdblocks() const;

  // trans_alloc opens a transaction reserving `blocks` for allocations
  // (t_blk_res); `rsvd` is XFS_TRANS_RESERVE, which may also take from the
  // reserve pool (unwritten conversion, CoW remapping at I/O completion).
  // Errors: ENOSPC the free space cannot cover them.
  Result<XfsTrans> trans_alloc(std::string_view name, uint64_t blocks, bool rsvd = false);
  // trans_commit records the transaction in the log (the last
  // keep_log() transactions are kept for inspection). A transaction that
  // used more blocks than it reserved is counted, and check() reports it.
  void trans_commit(XfsTrans&& tp);
  // has_shared_extents: some written block of the data fork has more than
  // one owner (xfs_reflink_inode_has_shared_extents).
  bool has_shared_extents(const Inode& ip) const;
  // setfilesize raises the on-disk size to `size` (when above it) in a
  // transaction of its own that logs the inode core (xfs_setfilesize,
  // tr_fsyncts: no blocks reserved).
  void setfilesize(Inode& ip, uint64_t size);
  // clear_reflink_flag makes `ip` no reflink inode any more, its CoW
  // staging cancelled, in one logged transaction
  // (xfs_reflink_clear_inode_flag once nothing is shared).
  void clear_reflink_flag(Inode& ip);
  // log_inode adds the inode core item (size, blocks, diflags) to `tp`:
  // xfs_trans_log_inode(XFS_ILOG_CORE).
  void log_inode(XfsTrans& tp, const Inode& ip) const;
  const std::deque<XfsTrans>& log() const { return log_; }
  // log_force makes committed frees durable: busy extents become
  // allocatable again (xfs_log_force; fsync, syncfs).
  void log_force() { alloc_.flush_busy(); }
  uint64_t commits() const { return commits_; }
  // keep_log sets how many committed transactions log() keeps (64 unless
  // set; a test replaying a whole workload keeps them all).
  void keep_log(size_t n) { log_keep_ = n; }

  // Delalloc reservations (xfs_bmapi_reserve_delalloc / xfs_mod_fdblocks).
  // With `indlen`, the reservation must also leave room for the worst-case
  // bmbt blocks that converting it could need (xfs_bmap_worst_indlen);
  // XFS holds those too, the model only checks that they would fit.
  // Errors: ENOSPC.
  Errno reserve_delalloc(uint64_t blocks, bool indlen = false);
  // worst_indlen is xfs_bmap_worst_indlen for a delalloc extent of `len`.
  uint64_t worst_indlen(uint64_t len) const;
  // can_free_eofblocks: blocks past EOF that xfs_free_eofblocks would
  // remove (xfs_can_free_eofblocks).
  bool can_free_eofblocks(const Inode& ip) const;
  void unreserve_delalloc(uint64_t blocks) { delalloc_ -= blocks; }

  // alloc_blocks takes between minlen and maxlen blocks near `goal` inside
  // transaction `tp` (xfs_alloc_vextent); `from_delalloc` converts a
  // reservation (the blocks are already counted out of fdblocks). New
  // blocks on pmem are zeroed through the device when `zero` (XFS_BMAPI_ZERO);
  // when that fails they go back and the error is returned.
  // Errors: ENOSPC (also the fault point xfs/alloc/enospc); the zeroing errno.
  Result<XfsExtent> alloc_blocks(XfsTrans& tp, uint64_t goal, uint64_t minlen, uint64_t maxlen,
                                 bool from_delalloc, bool zero);
  // free_blocks drops one owner of [start, start + len): blocks shared
  // with another file lose a reference, the others go back to free space.
  void free_blocks(XfsTrans& tp, uint64_t start, uint64_t len);

  // unmap_data_range removes the data-fork records of `ip` over file
  // blocks [off, off + len), freeing their blocks (or dropping a
  // reference) and their delalloc reservations (xfs_bunmapi).
  void unmap_range(XfsTrans& tp, Inode& ip, XfsFork& fork, uint8_t which, uint64_t off,
                   uint64_t len);
  // cancel_cow drops the CoW fork's records over [off, off + len)
  // (xfs_reflink_cancel_cow_range).
  void cancel_cow(XfsTrans& tp, Inode& ip, uint64_t off, uint64_t len);

  // convert_delalloc turns the delalloc record of `fork` containing file
  // block `off` into real blocks (xfs_bmapi_convert_delalloc): unwritten
  // (the data fork, XFS_BMAPI_PREALLOC; the CoW fork). Returns the new
  // record holding `off`. Errors: ENOSPC; the zeroing errno.
  Result<XfsIrec> convert_delalloc(Inode& ip, XfsFork& fork, uint8_t which, uint64_t off);

  // alloc_real gives file blocks [off, off + len) of the data fork that
  // are holes or delalloc real blocks in state `state` (xfs_bmapi_write),
  // zeroing them on pmem when `zero`. Stops at existing real extents.
  // Errors: ENOSPC; the zeroing errno. Blocks allocated before an error
  // stay mapped.
  Errno alloc_real(Inode& ip, uint64_t off, uint64_t len, XfsExtState state, bool zero);

  // end_cow remaps the CoW fork's real records over file blocks
  // [off, off + len) into the data fork (xfs_reflink_end_cow).
  Errno end_cow(Inode& ip, uint64_t off, uint64_t len);

  // The CoW extent size hint in blocks (xfs_get_cowextsz_hint: the
  // inode's, else XFS_DEFAULT_COWEXTSZ_HINT).
  uint64_t cowextsz_hint(const Inode& ip) const;

  // free_eofblocks trims the blocks past EOF (xfs_free_eofblocks):
  // delalloc only for files with persistent preallocation.
  void free_eofblocks(Inode& ip);

  // bmbt_to_iomap fills *m with the bytes a fork record maps
  // (xfs_bmbt_to_iomap), hole_to_iomap with a hole over the file blocks
  // [off_fsb, end_fsb) (xfs_hole_to_iomap); every field is written. The
  // device is the inode's: pmem for DAX inodes, else the block device.
  // Inline and field by field: every read asks, and a mapping built in a
  // temporary and copied over costs the copy a store-forwarding stall.
  void bmbt_to_iomap(const Inode& ip, Iomap* m, const XfsIrec& r) const {
    hole_to_iomap(ip, m, r.startoff, r.end());
    if (r.delalloc()) {
      m->type = IomapType::kDelalloc;
    } else {
      m->addr = r.startblock * bsize();
      m->type = r.state == XfsExtState::kUnwritten ? IomapType::kUnwritten : IomapType::kMapped;
    }
  }
  void hole_to_iomap(const Inode& ip, Iomap* m, uint64_t off_fsb, uint64_t end_fsb) const {
    const bool dax = (ip.flags & kInodeDax) && dax_ != nullptr;
    m->addr = kIomapNullAddr;
    m->offset = static_cast<off_t64>(off_fsb * bsize());
    m->length = (end_fsb - off_fsb) * bsize();
    m->type = IomapType::kHole;
    m->flags = 0;
    m->bdev = dax ? nullptr : bdev_;
    m->dax_dev = dax ? dax_ : nullptr;
    m->inline_data = {};
  }

  // In-use accounting for fsck: blocks the AG headers, btree roots and
  // the log hold.
  const std::vector<XfsExtent>& static_metadata() const { return meta_; }

 private:
  XfsGeometry geo_;
  int blocklog_;
  BlockDevice* bdev_;
  DaxDevice* dax_;
  uint64_t allocsize_fixed_ = 0;
  XfsAllocator alloc_;
  XfsRefcount refc_;
  XfsIomapOps iomap_ops_;
  std::vector<XfsExtent> meta_;
  uint64_t delalloc_ = 0;  // Blocks reserved by delalloc records, all inodes.
  uint64_t set_aside_ = 0;
  uint64_t resblks_ = 0;
  uint64_t overruns_ = 0;  // Transactions that used more than they reserved.
  bool unmounted_ = false;  // put_super has run.
  uint64_t ag_resv_ = 0;  // Per-AG metadata reservations (finobt, refcountbt).
  std::deque<XfsTrans> log_;
  size_t log_keep_ = 64;
  uint64_t commits_ = 0;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_XFS_XFS_MOUNT_H_
