// The ext4-like filesystem: geometry and mkfs (as mke2fs 1.47 lays a
// filesystem out), the mounted filesystem (Ext4Mount, Linux's struct
// ext4_sb_info and super_block), its block allocator, its inodes' block
// maps and its iomap operations. The vnode operations are in ext4_file.h.
//
// Layout follows ext4 (fs/ext4/): the device is cut into block groups of
// 8 blocks per byte of a block (8192 with 1 KiB blocks); groups 0, 1 and
// the powers of 3, 5 and 7 carry a superblock copy, the group descriptors
// and the reserved GDT blocks; flex_bg packs each 16 groups' bitmaps and
// inode tables at the head of the first; the journal sits in the middle.
// Regular files map blocks through extents (ext4_extents.h); buffered
// writes reserve delayed allocations that writeback places, with no
// speculative preallocation visible to the user; direct and DAX writes
// allocate at once. There is no reflink. Metadata is kept in memory: mkfs
// writes only the geometry, and a filesystem lives as long as its mount.
//
//   SimBlockDevice disk(machine, {.capacity_bytes = 256 << 20});
//   ASSERT_EQ(ext4_mkfs(machine, disk, ""), Errno::kOk);   // 1 KiB blocks
//   register_ext4(vfs);
//   vfs.mount("ext4", &disk, "", "/mnt", Creds::root());

#ifndef VFSSIM_FS_EXT4_EXT4_MOUNT_H_
#define VFSSIM_FS_EXT4_EXT4_MOUNT_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "fs/ext4/ext4_extents.h"
#include "sim/machine.h"
#include "vfs/iomap.h"
#include "vfs/mount.h"

namespace vfssim {

// EXT4_SUPER_MAGIC (statfs f_type).
inline constexpr int64_t kEXT4_SUPER_MAGIC = 0xEF53;

// Ext4Geometry is what mkfs decides and the superblock records.
struct Ext4Geometry {
  uint32_t blocksize = 4096;
  uint64_t blocks_count = 0;
  uint32_t first_data_block = 0;  // 1 with 1 KiB blocks (block 0 is the boot block).
  uint32_t blocks_per_group = 0;
  uint32_t groups = 0;
  uint32_t inodes_per_group = 0;
  uint32_t inode_size = 256;
  uint32_t desc_size = 64;       // 64bit feature.
  uint32_t reserved_gdt = 0;     // Reserved GDT blocks (resize_inode).
  uint32_t flex = 16;            // Groups per flex group (flex_bg).
  uint64_t journal_blocks = 0;
  uint64_t r_blocks = 0;         // Reserved for root: 5% (-m 5).

  uint64_t inodes_count() const { return uint64_t{inodes_per_group} * groups; }
  uint64_t group_first(uint32_t g) const { return first_data_block + uint64_t{g} * blocks_per_group; }
  uint64_t gdt_blocks() const { return (uint64_t{groups} * desc_size + blocksize - 1) / blocksize; }
  uint64_t itable_blocks() const { return uint64_t{inodes_per_group} * inode_size / blocksize; }
  // ext4_bg_has_super with sparse_super: groups 0, 1 and powers of 3, 5, 7.
  static bool has_super(uint32_t g);

  // The superblock at byte 1024: a magic and these fields.
  std::vector<std::byte> encode() const;
  static Result<Ext4Geometry> decode(std::span<const std::byte> bytes);
};

// ext4_mkfs_geometry computes what `mkfs.ext4 -q -F` (e2fsprogs 1.47)
// picks for a device of `bytes` with options `opts` in its syntax:
// "-b N" (1024, 2048 or 4096), "-m PCT" (reserved percentage), "-N N"
// (inode count), and a size with a unit (k, m, g, t: mke2fs's fs-size)
// to use less than the device. Defaults per mke2fs.conf's size types: under 512 MiB
// "small" (1 KiB blocks, an inode per 4 KiB), else 4 KiB blocks and an
// inode per 16 KiB. Errors: EINVAL an option that is malformed,
// unsupported or out of range, or a device too small (under 64 blocks,
// or without room for the metadata).
Result<Ext4Geometry> ext4_mkfs_geometry(uint64_t bytes, std::string_view opts);

// ext4_mkfs formats `dev`: the geometry written at byte 1024.
Errno ext4_mkfs(Machine& m, BlockDevice& dev, std::string_view opts);

// register_ext4 adds the filesystem type "ext4" to `vfs`: mount it over a
// device ext4_mkfs formatted (EINVAL otherwise). "dax=always" or
// "dax=inode" on pmem with 4 KiB blocks makes files DAX (all of them, or
// those with FS_XFLAG_DAX); elsewhere DAX is refused as ext4 refuses it.
// "nodelalloc" turns delayed allocation off.
void register_ext4(Vfs& vfs);

class Ext4Mount;

// Ext4InodeData is the filesystem part of an inode (struct ext4_inode_info).
struct Ext4InodeData : InodeData {
  explicit Ext4InodeData(Ext4Mount* mp) : mp(mp) {}
  // An inode that dies gives its blocks back (ext4_evict_inode's truncate).
  ~Ext4InodeData() override;

  Ext4Mount* mp;  // Null once the mount itself is going.
  Ext4ExtentTree map;
  // Extent tree blocks beyond the four records the inode holds (leaves
  // and index nodes, as ext4_ext_grow_indepth and splits add them), and a
  // directory's blocks.
  std::vector<uint64_t> tree_blocks;
  std::vector<uint64_t> dir_blocks;
  // EXT4_STATE_DA_ALLOC_CLOSE: truncated to 0 since the last close, so the
  // next close starts writeback of its delayed blocks (auto_da_alloc).
  bool da_alloc_close = false;
  // i_disksize: the size the completed writes have made durable.
  uint64_t disksize = 0;
};

// Ext4IomapOps maps file ranges for the generic iomap helpers: the
// kernel's ext4_iomap_ops (direct I/O, DAX), ext4_iomap_report_ops
// (FIEMAP, SEEK_DATA/SEEK_HOLE), and for the buffered path the delayed
// allocation of ext4_da_write_begin and the block placement of
// ext4_writepages, chosen by the iterator flags.
class Ext4IomapOps : public IomapOps {
 public:
  explicit Ext4IomapOps(Ext4Mount& mp) : mp_(mp) {}
  // Reports: the extent tree and the delayed ranges as they are. Buffered
  // writes and write faults: holes get delayed reservations (one block
  // each, ENOSPC when free space less the reserved clusters cannot cover
  // them); unwritten and written blocks are used as they are. Writeback:
  // delayed ranges placed (written blocks). Direct I/O: holes allocated,
  // written past EOF and unwritten inside it (converted at completion);
  // DAX: written and zeroed through the device. Errors: ENOSPC; EAGAIN
  // under kIomapNowait when it would allocate; the zeroing errno.
  Errno iomap_begin(Inode& ip, off_t64 pos, uint64_t length, uint32_t flags, Iomap* iomap,
                    Iomap* srcmap) override;
  // Buffered writes: reservations not written are released
  // (ext4_da_release_space via block_write_end's failure path).
  Errno iomap_end(Inode& ip, off_t64 pos, uint64_t length, int64_t written, uint32_t flags,
                  Iomap* iomap) override;
  // Completed writes: unwritten extents converted
  // (ext4_convert_unwritten_extents), i_disksize raised.
  Errno ioend(Inode& ip, off_t64 pos, uint64_t len, uint32_t flags) override;

 private:
  Ext4Mount& mp_;
};

// Ext4Mount is one mounted ext4-like filesystem.
class Ext4Mount : public Superblock {
 public:
  Ext4Mount(Machine& m, MountOptions opts, const Ext4Geometry& geo, BlockDevice* bdev,
            DaxDevice* dax, bool delalloc);
  ~Ext4Mount() override;

  void init_inode(Inode& ip) override;
  uint64_t blocks(const Inode& ip) const override;
  Errno statfs(Kstatfs* st) const override;
  std::vector<std::string> check() const override;
  void put_super() override { unmounted_ = true; }

  static Ext4InodeData& ei(const Inode& ip) { return static_cast<Ext4InodeData&>(*ip.data); }
  static bool has_map(const Inode& ip) {
    return ip.data != nullptr && dynamic_cast<const Ext4InodeData*>(ip.data.get()) != nullptr;
  }
  static Ext4Mount& of(const Inode& ip) { return static_cast<Ext4Mount&>(*ip.sb); }

  const Ext4Geometry& geo() const { return geo_; }
  uint64_t bsize() const { return geo_.blocksize; }
  // One past the last logical block a file may hold (s_maxbytes / block).
  uint64_t max_lblk() const { return static_cast<uint64_t>(maxbytes) / bsize(); }
  BlockDevice* bdev() const { return bdev_; }
  DaxDevice* dax() const { return dax_; }
  bool delalloc() const { return delalloc_; }
  Ext4IomapOps& iomap_ops() { return iomap_ops_; }

  // Free-space accounting (s_freeclusters_counter, s_dirtyclusters_counter,
  // s_resv_clusters): free blocks, delayed reservations, and the clusters
  // held back for metadata that only EXT4_MB_USE_RESERVED may take.
  uint64_t free_blocks() const { return free_count_ + lg_left_; }
  uint64_t dirty_blocks() const { return dirty_; }
  uint64_t resv_clusters() const { return resv_clusters_; }
  // ext4_has_free_clusters for root (CAP_SYS_RESOURCE: the root-reserved
  // blocks are usable, the reserved clusters not, unless `use_reserved`).
  bool has_free(uint64_t n, bool use_reserved = false) const;
  // reservable: how many blocks has_free would still grant.
  uint64_t reservable() const {
    const uint64_t held = dirty_ + resv_clusters_;
    return free_blocks() > held ? free_blocks() - held : 0;
  }
  // Delayed allocation (ext4_da_reserve_space / ext4_da_release_space).
  // Errors: ENOSPC.
  Errno reserve_delalloc(uint64_t n);
  void release_delalloc(uint64_t n) { dirty_ -= n; }

  // alloc_blocks places up to `len` blocks for logical block `lblk` of
  // `ip` (ext4_mb_new_blocks): near the goal ext4_ext_find_goal gives,
  // small files from the locality group's preallocation. Returns the
  // first block and how many were placed together (at least one).
  // `from_delalloc` converts a reservation. Errors: ENOSPC (also the fault
  // point ext4/alloc/enospc).
  Result<std::pair<uint64_t, uint64_t>> alloc_blocks(Inode& ip, uint64_t lblk, uint64_t len,
                                                     bool from_delalloc, bool use_reserved = false);
  // free_blocks gives [start, start + len) back.
  void free_blocks(uint64_t start, uint64_t len);

  // map_real gives logical blocks [lblk, lblk + len) of `ip`, which are
  // holes or delayed, real blocks (unwritten or written), zeroing them
  // through the DAX device when `zero` (EXT4_GET_BLOCKS_CREATE_ZERO).
  // Blocks placed before an error stay mapped; *done_to, if given, is
  // where the blocks placed in order from `lblk` end. Errors: ENOSPC; the
  // zeroing errno.
  Errno map_real(Inode& ip, uint64_t lblk, uint64_t len, bool unwritten, bool zero,
                 uint64_t* done_to = nullptr);
  // tree_blocks_for: the extent-tree blocks `extents` records need.
  uint64_t tree_blocks_for(uint64_t extents) const;
  // unmap_range removes logical blocks [lblk, lblk + len) of `ip` (holes
  // and delayed ranges too), freeing the blocks (ext4_ext_remove_space).
  void unmap_range(Inode& ip, uint64_t lblk, uint64_t len);
  // update_tree_blocks keeps the extent tree's own blocks in step with its
  // record count (leaves of (blocksize - 12) / 12 records past the four
  // the inode holds, and index levels above them).
  void update_tree_blocks(Inode& ip);
  // dir_resize gives a directory the blocks its entries need, with room
  // for one more named `adding` when it is not empty (ext4_add_entry's
  // ext4_append). Errors: ENOSPC, nothing allocated.
  Errno dir_resize(Inode& dir, std::string_view adding = {});

  Iomap iomap_of(const Ext4Extent& e, uint64_t from, uint64_t to, const Inode& ip) const;
  Iomap hole(uint64_t from, uint64_t to, const Inode& ip) const;

 private:
  // The free extents, by first block (the block bitmaps' zero runs).
  absl::btree_map<uint64_t, uint64_t> free_;
  std::vector<std::pair<uint64_t, uint64_t>> meta_;  // Static metadata runs (fsck).
  Result<std::pair<uint64_t, uint64_t>> take(uint64_t goal, uint64_t len);
  void mark_used(uint64_t start, uint64_t len);

  Ext4Geometry geo_;
  BlockDevice* bdev_;
  DaxDevice* dax_;
  bool delalloc_;
  Ext4IomapOps iomap_ops_;
  uint64_t free_count_ = 0;
  uint64_t dirty_ = 0;
  uint64_t resv_clusters_ = 0;
  // The locality group's preallocation (s_mb_group_prealloc blocks) that
  // small files are placed from, one after another.
  uint64_t lg_next_ = 0;
  uint64_t lg_left_ = 0;
  uint64_t overhead_ = 0;  // Blocks statfs leaves out of f_blocks.
  bool unmounted_ = false;
  friend struct Ext4InodeData;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_EXT4_EXT4_MOUNT_H_
