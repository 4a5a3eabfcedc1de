#include "fs/xfs/xfs_mount.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "fs/xfs/xfs_file.h"
#include "sim/absl_view.h"

namespace vfssim {
namespace {

constexpr char kMagic[8] = {'X', 'F', 'S', 'B', 'v', 's', 'i', 'm'};

// mkfs.xfs refuses data devices under 300 MiB (xfsprogs 5.19 and later).
constexpr uint64_t kMinFsBytes = 300ull << 20;
// XFS_AG_MIN_BYTES / XFS_AG_MAX_BYTES.
constexpr uint64_t kAgMinBytes = 16ull << 20;
constexpr uint64_t kAgMaxBytes = 1ull << 40;
// XFS_DEFAULT_COWEXTSZ_HINT.
constexpr uint64_t kDefaultCowextszHint = 32;
// xfs_alloc_set_aside: XFS_ALLOCBT_AGFL_RESERVE + 4 blocks per AG that
// statfs never reports free.
constexpr uint64_t kSetAsidePerAg = 8;
// Short-form btree block header with CRCs (XFS_BTREE_SBLOCK_CRC_LEN).
constexpr uint64_t kSblockCrcLen = 56;

// Blocks at the head of every AG that are never free: the block(s) holding
// the SB, AGF, AGI and AGFL sectors, and the bnobt, cntbt and inobt roots.
// The finobt and refcountbt roots count in their AG reservations below.
uint64_t ag_header_blocks(const XfsGeometry& g) {
  return (4 * kSectorSize + g.blocksize - 1) / g.blocksize + 3;
}

// xfs_btree_calc_size: the blocks a btree of `records` records needs at
// its minimum fill (leaf and node minrecs).
uint64_t btree_calc_size(uint64_t leaf_min, uint64_t node_min, uint64_t records) {
  uint64_t level = (records + leaf_min - 1) / leaf_min;
  uint64_t blocks = level;
  while (level > 1) {
    level = (level + node_min - 1) / node_min;
    blocks += level;
  }
  return blocks;
}

// The per-AG metadata reservations (xfs_ag_resv_init): the largest the
// finobt (xfs_finobt_calc_reserves) and, with reflink, the refcountbt
// (xfs_refcountbt_calc_reserves) can grow to in an AG, not counting the
// log's blocks ("the log is permanently allocated"). Each includes the
// tree's root block, which is in use from mkfs on.
uint64_t ag_reservation(const XfsGeometry& g, uint64_t agblocks) {
  const uint64_t bs = g.blocksize;
  const uint64_t inopblock = bs / g.inodesize;
  // inobt records are 16 bytes, refcount records 12, node entries 8.
  const uint64_t node_min = (bs - kSblockCrcLen) / 8 / 2;
  uint64_t blocks = btree_calc_size((bs - kSblockCrcLen) / 16 / 2, node_min,
                                    agblocks * inopblock / 64);
  if (g.reflink) blocks += btree_calc_size((bs - kSblockCrcLen) / 12 / 2, node_min, agblocks);
  return blocks;
}

// calc_default_ag_geometry (mkfs.xfs, single disk): the maximum AG size
// (1 TiB) from 4 TiB; four AGs below.
void default_ag_geometry(XfsGeometry* g) {
  const uint64_t bs = g->blocksize;
  const uint64_t max_blocks = kAgMaxBytes / bs;
  uint64_t blocks;
  if (g->dblocks * bs >= (4ull << 40)) {
    blocks = max_blocks;
  } else {
    const int shift = 2;
    blocks = g->dblocks >> shift;
    if ((g->dblocks & ((uint64_t{1} << shift) - 1)) != 0 && blocks < max_blocks) ++blocks;
  }
  g->agblocks = blocks;
  g->agcount = static_cast<uint32_t>(g->dblocks / blocks + (g->dblocks % blocks != 0));
}

// The internal log (xfsprogs 6.1): 1/2048 of the data device, at least
// 64 MiB ("Log size must be at least 64MB"), at most 2 GiB
// (XFS_MAX_LOG_BYTES); the host's mkfs.xfs -N figures are in
// tests/probes/fixtures/xfs_mkfs.jsonl.
uint64_t default_log_blocks(const XfsGeometry& g) {
  const uint64_t bytes = std::clamp<uint64_t>(g.dblocks * g.blocksize / 2048, 64ull << 20, 2ull << 30);
  return bytes / g.blocksize;
}

void put64(std::vector<std::byte>& b, size_t at, uint64_t v) { std::memcpy(b.data() + at, &v, 8); }
uint64_t get64(std::span<const std::byte> b, size_t at) {
  uint64_t v;
  std::memcpy(&v, b.data() + at, 8);
  return v;
}

}  // namespace

std::vector<std::byte> XfsGeometry::encode() const {
  std::vector<std::byte> b(kSectorSize);
  std::memcpy(b.data(), kMagic, sizeof kMagic);
  put64(b, 8, blocksize);
  put64(b, 16, agcount);
  put64(b, 24, agblocks);
  put64(b, 32, dblocks);
  put64(b, 40, logstart);
  put64(b, 48, logblocks);
  put64(b, 56, reflink ? 1 : 0);
  put64(b, 64, inodesize);
  return b;
}

Result<XfsGeometry> XfsGeometry::decode(std::span<const std::byte> b) {
  if (b.size() < 72 || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) {
    return Fail(Errno::kEINVAL);  // "wrong fs type, bad superblock".
  }
  XfsGeometry g;
  g.blocksize = static_cast<uint32_t>(get64(b, 8));
  g.agcount = static_cast<uint32_t>(get64(b, 16));
  g.agblocks = get64(b, 24);
  g.dblocks = get64(b, 32);
  g.logstart = get64(b, 40);
  g.logblocks = get64(b, 48);
  g.reflink = get64(b, 56) != 0;
  g.inodesize = static_cast<uint32_t>(get64(b, 64));
  if (g.agcount == 0 || g.agblocks == 0 || g.dblocks == 0 || g.dblocks >= XfsFork::kMaxStartblock) {
    return Fail(Errno::kEINVAL);
  }
  // xfs_validate_sb_common: a power of two from 512 to 64 KiB (the block
  // conversions shift by its log).
  if (g.blocksize < 512 || g.blocksize > 65536 || !std::has_single_bit(g.blocksize)) {
    return Fail(Errno::kEINVAL);
  }
  return g;
}

Result<XfsGeometry> xfs_mkfs_geometry(uint64_t bytes, std::string_view opts) {
  XfsGeometry g;
  uint32_t agcount = 0;
  const std::vector<absl::string_view> words =
      absl::StrSplit(to_absl(opts), absl::ByAnyChar(" \t"), absl::SkipEmpty());
  // A value as mkfs.xfs's cvtnum reads it: digits and an optional k, m or g.
  auto value = [](absl::string_view t, uint64_t* v) {
    uint64_t mult = 1;
    if (!t.empty() && (t.back() == 'k' || t.back() == 'm' || t.back() == 'g')) {
      mult = t.back() == 'k' ? 1u << 10 : t.back() == 'm' ? 1u << 20 : 1u << 30;
      t.remove_suffix(1);
    }
    if (!absl::SimpleAtoi(t, v) || *v > UINT64_MAX / mult) return false;
    *v *= mult;
    return true;
  };
  for (size_t i = 0; i < words.size(); ++i) {
    absl::string_view w = words[i];
    // -f (overwrite), -q (quiet) and -K (no discard) change nothing the
    // model keeps.
    if (w == "-f" || w == "-q" || w == "-K") continue;
    absl::string_view arg;
    if (w.size() > 2 && (w.substr(0, 2) == "-b" || w.substr(0, 2) == "-d" || w.substr(0, 2) == "-m")) {
      arg = w.substr(2);  // -bsize=4096: the suboptions attached.
      w = w.substr(0, 2);
    } else if (w == "-b" || w == "-d" || w == "-m") {
      if (i + 1 >= words.size()) return Fail(Errno::kEINVAL);
      arg = words[++i];
    } else {
      return Fail(Errno::kEINVAL);
    }
    for (absl::string_view sub : absl::StrSplit(arg, ',')) {
      const std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(sub, '=');
      uint64_t v = 0;
      if (!value(kv.second, &v)) return Fail(Errno::kEINVAL);
      if (w == "-b" && kv.first == "size") {
        if (v < 1024 || v > 65536 || !std::has_single_bit(v)) return Fail(Errno::kEINVAL);
        g.blocksize = static_cast<uint32_t>(v);
      } else if (w == "-d" && kv.first == "agcount") {
        if (v == 0 || v > UINT32_MAX) return Fail(Errno::kEINVAL);
        agcount = static_cast<uint32_t>(v);
      } else if (w == "-m" && kv.first == "reflink") {
        if (v > 1) return Fail(Errno::kEINVAL);
        g.reflink = v == 1;
      } else if (w == "-m" && (kv.first == "crc" || kv.first == "finobt") && v == 1) {
        // What the model is (v5, with a free inode btree); 0 is not modelled.
      } else {
        return Fail(Errno::kEINVAL);  // Not modelled.
      }
    }
  }
  if (bytes < kMinFsBytes) return Fail(Errno::kEINVAL);
  g.dblocks = bytes / g.blocksize;
  // Not modelled: more blocks than a data fork record can address.
  if (g.dblocks >= XfsFork::kMaxStartblock) return Fail(Errno::kEINVAL);
  if (agcount != 0) {
    // "Filesystem must have at least 2 superblocks for redundancy!"
    if (agcount < 2) return Fail(Errno::kEINVAL);
    g.agblocks = g.dblocks / agcount + (g.dblocks % agcount != 0);
    if (g.agblocks * g.blocksize < kAgMinBytes || g.agblocks * g.blocksize > kAgMaxBytes) {
      return Fail(Errno::kEINVAL);
    }
    g.agcount = static_cast<uint32_t>(g.dblocks / g.agblocks + (g.dblocks % g.agblocks != 0));
  } else {
    default_ag_geometry(&g);
  }
  // A last AG too small to hold its headers is dropped (mkfs.xfs's
  // "Last AG too small, reducing").
  const uint64_t last = g.dblocks - uint64_t{g.agcount - 1} * g.agblocks;
  if (g.agcount > 1 && last < kAgMinBytes / g.blocksize) {
    --g.agcount;
    g.dblocks = uint64_t{g.agcount} * g.agblocks;
  }
  g.logblocks = default_log_blocks(g);
  // The log must fit in one AG beside its headers ("Log size must be at
  // least 64MB" when AGs are too small for the minimum log).
  if (g.logblocks + ag_header_blocks(g) + 2 > g.agblocks) return Fail(Errno::kEINVAL);
  // The internal log sits in the middle AG, after its headers.
  g.logstart = uint64_t{g.agcount / 2} * g.agblocks + ag_header_blocks(g) + (g.reflink ? 2 : 1);
  return g;
}

Errno xfs_mkfs(Machine&, BlockDevice& dev, std::string_view opts) {
  Result<XfsGeometry> g = xfs_mkfs_geometry(dev.nr_sectors() * kSectorSize, opts);
  if (!g) return g.error();
  // mkfs.xfs: "block size 1024 cannot be smaller than sector size 4096"
  // (xfsprogs 6.1 on a 4 KiB-sector loop device; fixture
  // xfs_mkfs_sector.jsonl).
  if (g->blocksize < dev.logical_block_size()) return Errno::kEINVAL;
  std::vector<std::byte> sb = g->encode();
  sb.resize(std::max<size_t>(sb.size(), dev.logical_block_size()));
  return dev.write(0, sb).err;
}

XfsMount::XfsMount(Machine& m, MountOptions opts, const XfsGeometry& geo, BlockDevice* bdev,
                   DaxDevice* dax)
    : Superblock(m, "xfs", [&] {
        opts.block_size = geo.blocksize;
        return std::move(opts);
      }(), xfs_vnode_ops()),
      geo_(geo),
      blocklog_(std::countr_zero(geo.blocksize)),
      bdev_(bdev),
      dax_(dax),
      alloc_(geo.agcount, geo.agblocks, geo.dblocks),
      iomap_ops_(*this) {
  // Per AG: the headers and the finobt (and refcountbt) root blocks; the
  // rest of each tree's reservation is held back from fdblocks.
  const uint64_t roots = geo.reflink ? 2 : 1;
  for (uint32_t a = 0; a < geo.agcount; ++a) {
    const uint64_t start = uint64_t{a} * geo.agblocks;
    const uint64_t len = std::min(geo.agblocks, geo.dblocks - start);
    const bool has_log = geo.logstart >= start && geo.logstart < start + len;
    meta_.push_back({start, ag_header_blocks(geo) + roots});
    const uint64_t resv = ag_reservation(geo, has_log ? len - geo.logblocks : len) - roots;
    ag_resv_ += resv;
    alloc_.set_ag_reservation(a, resv);
  }
  meta_.push_back({geo.logstart, geo.logblocks});
  // The root inode chunk: 64 inodes in AG 0, after the headers.
  const uint64_t chunk = std::max<uint64_t>(1, 64 * uint64_t{geo.inodesize} / geo.blocksize);
  meta_.push_back({ag_header_blocks(geo) + roots, chunk});
  for (const XfsExtent& e : meta_) alloc_.reserve(e.start, e.len);
  set_aside_ = kSetAsidePerAg * geo.agcount;
  // The reserve pool (xfs_default_resblks): 5% of the blocks or 8192,
  // whichever is smaller.
  resblks_ = std::min<uint64_t>(geo.dblocks / 20, 8192);
  // MAX_LFS_FILESIZE: XFS files reach LLONG_MAX on 64-bit.
  maxbytes = kOffMax;
}

XfsMount::~XfsMount() {
  for_each_inode([](Inode& ip) {
    if (has_forks(ip)) xi(ip).mp = nullptr;
  });
  if (root != nullptr && has_forks(*root)) xi(*root).mp = nullptr;
}

XfsInodeData::~XfsInodeData() {
  if (mp == nullptr) return;
  Result<XfsTrans> tp = mp->trans_alloc("inactive", 0);
  if (!tp) return;
  for (const XfsIrec& r : cow.remove(0, UINT64_MAX)) {
    if (r.delalloc()) {
      mp->unreserve_delalloc(r.blockcount);
    } else {
      mp->allocator().free(r.startblock, r.blockcount);
      tp->log(XfsLogItem::free(r.startblock, r.blockcount));
    }
  }
  for (const XfsIrec& r : data.remove(0, UINT64_MAX)) {
    if (r.delalloc()) {
      mp->unreserve_delalloc(r.blockcount);
    } else {
      mp->free_blocks(*tp, r.startblock, r.blockcount);
    }
  }
  mp->trans_commit(std::move(*tp));
}

void XfsMount::init_inode(Inode& ip) {
  if (ip.type == VType::kChr || ip.type == VType::kBlk || ip.type == VType::kFifo) return;
  // A new file shares nothing: XFS_DIFLAG2_REFLINK is set when a remap
  // first shares its blocks (xfs_reflink_set_inode_flag), which is what
  // makes it a CoW inode (STATX_DIOALIGN's offset alignment, the CoW fork).
  auto data = std::make_unique<XfsInodeData>(this);
  ip.data = std::move(data);
  // xfs_setup_inode: mapping_set_large_folios. With blocks larger than a
  // page it is mapping_set_folio_min_order, which allows large folios too;
  // vfssim keeps 4 KiB folios there and writes a block's pages back as one
  // (filemap_write_and_wait_range), so those mappings make no large ones.
  ip.cache.set_large_folios(bsize() <= kCachePageSize);
  if (dax_ != nullptr && ip.type == VType::kReg && options().dax == DaxMode::kAlways) {
    ip.flags |= kInodeDax;
  }
}

uint64_t XfsMount::blocks(const Inode& ip) const {
  if (!has_forks(ip)) return 0;
  const XfsInodeData& x = xi(ip);
  // xfs_vn_getattr: XFS_FSB_TO_BB(i_nblocks + i_delayed_blks).
  return (x.nblocks() + x.delayed_blks()) * (bsize() / 512);
}

uint64_t XfsMount::fdblocks() const {
  const uint64_t held = delalloc_ + set_aside_ + resblks_ + ag_resv_;
  const uint64_t free = alloc_.free_blocks();
  return free > held ? free - held : 0;
}

Errno XfsMount::statfs(Kstatfs* st) const {
  st->f_type = kXFS_SUPER_MAGIC;
  st->f_bsize = bsize();
  st->f_namelen = 255;
  st->f_blocks = geo_.dblocks - geo_.logblocks;
  // Delalloc reservations also hold their worst-case bmbt blocks
  // (xfs_bmap_worst_indlen per reservation).
  uint64_t indlen = 0;
  for_each_inode([&](Inode& ip) {
    if (!has_forks(ip)) return;
    for (const XfsFork* f : {&xi(ip).data, &xi(ip).cow}) {
      if (f->delalloc_blocks() == 0) continue;
      for (const XfsIrec r : *f) {
        if (r.delalloc()) indlen += worst_indlen(r.blockcount);
      }
    }
  });
  st->f_bfree = fdblocks() > indlen ? fdblocks() - indlen : 0;
  st->f_bavail = st->f_bfree;
  // Inodes (xfs_fs_statfs): those in use plus as many as the free blocks
  // could hold, capped at m_maxicount (imaxpct 25% of the blocks, in whole
  // inode chunks). In use: the live inodes and the realtime bitmap and
  // summary inodes mkfs makes.
  // m_icount counts allocated inodes: whole chunks of 64, the first made
  // by mkfs (the model takes no blocks for further chunks).
  uint64_t used = 2;
  for_each_inode([&](Inode&) { ++used; });
  const uint64_t icount = (used + 63) / 64 * 64;
  const uint64_t per_block = bsize() / geo_.inodesize;
  const uint64_t chunk_blocks = std::max<uint64_t>(1, 64 / per_block);
  const uint64_t maxicount = geo_.dblocks * 25 / 100 / chunk_blocks * chunk_blocks * per_block;
  st->f_files = std::min(icount + st->f_bfree * per_block, maxicount);
  st->f_ffree = st->f_files - std::min(st->f_files, used);
  return Errno::kOk;
}

Result<XfsTrans> XfsMount::trans_alloc(std::string_view name, uint64_t blocks, bool rsvd) {
  // A transaction reserving no blocks (truncation, setfilesize, ichange)
  // cannot run out of space; one that reserves may.
  if (blocks > 0) {
    if (std::optional<Errno> e = machine().faults.fire("xfs/reserve/enospc")) return Fail(*e);
  }
  const uint64_t avail = fdblocks() + (rsvd ? std::min(resblks_, alloc_.free_blocks()) : 0);
  if (blocks > avail) return Fail(Errno::kENOSPC);
  return XfsTrans(name, blocks);
}

bool XfsMount::has_shared_extents(const Inode& ip) const {
  for (const XfsIrec r : xi(ip).data) {
    if (r.delalloc() || r.state != XfsExtState::kNorm) continue;
    if (refc_.shared_in(r.startblock, r.blockcount)) return true;
  }
  return false;
}

void XfsMount::setfilesize(Inode& ip, uint64_t size) {
  XfsInodeData& x = xi(ip);
  if (size <= x.disk_size) return;
  XfsTrans tp("setfilesize", 0);  // No blocks: cannot fail.
  x.disk_size = size;
  log_inode(tp, ip);
  trans_commit(std::move(tp));
}

void XfsMount::clear_reflink_flag(Inode& ip) {
  XfsTrans tp("clear_reflink", 0);  // No blocks: cannot fail.
  cancel_cow(tp, ip, 0, max_fileoff());
  xi(ip).diflags &= ~kXfsDiflag2Reflink;
  log_inode(tp, ip);
  trans_commit(std::move(tp));
}

void XfsMount::log_inode(XfsTrans& tp, const Inode& ip) const {
  const XfsInodeData& x = xi(ip);
  tp.log({XfsLogItem::kInode, ip.ino, 0, x.disk_size, x.nblocks(), x.diflags});
}

void XfsMount::trans_commit(XfsTrans&& tp) {
  ++commits_;
  if (tp.overrun()) ++overruns_;
  if (tp.items().empty()) return;
  machine().trace.record("xfs/trans", {{"name", tp.name()}, {"items", tp.items().size()},
                                       {"blk_res", tp.blk_res()}, {"blk_used", tp.blk_used()}});
  log_.push_back(std::move(tp));
  while (log_.size() > log_keep_) log_.pop_front();
}

uint64_t XfsMount::worst_indlen(uint64_t len) const {
  // Long-form btree blocks with CRCs: 72-byte headers; bmbt records and
  // node entries are 16 bytes. The data fork's maximum height
  // (xfs_bmap_compute_maxlevels) for 2^31 - 1 extents at minimum fill,
  // the root in the inode's literal area.
  const uint64_t bs = bsize();
  const uint64_t maxrecs = (bs - 72) / 16, minrecs = maxrecs / 2;
  const uint64_t rootrecs = (geo_.inodesize - 176 - 4) / 16;
  uint64_t maxlevels = 1;
  for (uint64_t blocks = ((uint64_t{1} << 31) - 1 + minrecs - 1) / minrecs; blocks > 1; ++maxlevels) {
    blocks = blocks <= rootrecs ? 1 : (blocks + minrecs - 1) / minrecs;
  }
  uint64_t rval = 0;
  for (uint64_t level = 0; level < maxlevels; ++level) {
    len = (len + maxrecs - 1) / maxrecs;
    rval += len;
    if (len == 1) return rval + maxlevels - level - 1;
  }
  return rval;
}

bool XfsMount::can_free_eofblocks(const Inode& ip) const {
  const XfsInodeData& x = xi(ip);
  if ((x.diflags & (kXfsDiflagPrealloc | kXfsDiflagAppend)) && x.delayed_blks() == 0) return false;
  if (ip.size == 0 && ip.cache.nr_pages() == 0 && x.delayed_blks() == 0) return false;
  // "If there are any delalloc blocks attached to the inode (data fork
  // delalloc reservations or CoW extents of any kind), we need to free
  // them."
  if (x.delayed_blks() > 0 || !x.cow.empty()) return true;
  const uint64_t end_fsb = to_fsb_up(ip.size);
  return x.data.lookup(end_fsb) || x.data.next_after(end_fsb);
}

Errno XfsMount::reserve_delalloc(uint64_t blocks, bool indlen) {
  if (std::optional<Errno> e = machine().faults.fire("xfs/reserve/enospc")) return *e;
  if (blocks + (indlen ? worst_indlen(blocks) : 0) > fdblocks()) return Errno::kENOSPC;
  delalloc_ += blocks;
  return Errno::kOk;
}

Result<XfsExtent> XfsMount::alloc_blocks(XfsTrans& tp, uint64_t goal, uint64_t minlen,
                                         uint64_t maxlen, bool from_delalloc, bool zero) {
  if (std::optional<Errno> e = machine().faults.fire("xfs/alloc/enospc")) return Fail(*e);
  // A reservation's blocks are already counted out of fdblocks; fresh
  // allocations must fit what is left.
  if (!from_delalloc) maxlen = std::min(maxlen, std::max<uint64_t>(fdblocks(), 0));
  if (maxlen < minlen) return Fail(Errno::kENOSPC);
  Result<XfsExtent> e = alloc_.alloc(goal, minlen, maxlen);
  if (!e) return e;
  if (zero && dax_ != nullptr) {
    // XFS_BMAPI_ZERO: xfs_zero_extent -> blkdev_issue_zeroout, which on
    // pmem is dax_zero_page_range: it clears known poison.
    // DAX mounts have page-sized blocks.
    if (Errno z = dax_->zero_page_range(e->start * bsize() / kPageSize, e->len * bsize() / kPageSize);
        z != Errno::kOk) {
      alloc_.free(e->start, e->len);
      return Fail(z);
    }
  }
  if (from_delalloc) delalloc_ -= std::min(delalloc_, e->len);
  // Blocks a delalloc reservation already held were reserved by the write
  // that made it; the rest come out of this transaction's reservation.
  if (!from_delalloc) tp.use(e->len);
  tp.log(XfsLogItem::alloc(e->start, e->len));
  return e;
}

void XfsMount::free_blocks(XfsTrans& tp, uint64_t start, uint64_t len) {
  std::vector<XfsExtent> freed;
  if (reflink()) {
    refc_.adjust(start, len, -1, &freed);
    if (!(freed.size() == 1 && freed[0] == XfsExtent{start, len})) {
      tp.log({XfsLogItem::kRefcount, 0, 0, start, len, 0, 0});
    }
  } else {
    freed.push_back({start, len});
  }
  for (const XfsExtent& f : freed) {
    // A freed run never crosses an AG: records never do.
    alloc_.free(f.start, f.len);
    tp.log(XfsLogItem::free(f.start, f.len));
  }
}

void XfsMount::unmap_range(XfsTrans& tp, Inode& ip, XfsFork& fork, uint8_t which, uint64_t off,
                           uint64_t len) {
  for (const XfsIrec& r : fork.remove(off, len)) {
    if (r.delalloc()) {
      unreserve_delalloc(r.blockcount);
    } else if (which == 1) {
      // CoW staging blocks have one owner, the CoW fork.
      alloc_.free(r.startblock, r.blockcount);
      tp.log(XfsLogItem::free(r.startblock, r.blockcount));
    } else {
      free_blocks(tp, r.startblock, r.blockcount);
    }
    tp.log({XfsLogItem::kUnmap, ip.ino, which, r.startoff, 0, r.blockcount, 0});
  }
}

void XfsMount::cancel_cow(XfsTrans& tp, Inode& ip, uint64_t off, uint64_t len) {
  unmap_range(tp, ip, xi(ip).cow, 1, off, len);
}

uint64_t XfsMount::cowextsz_hint(const Inode& ip) const {
  const XfsInodeData& x = xi(ip);
  return x.cowextsize != 0 ? x.cowextsize : kDefaultCowextszHint;
}

Result<XfsIrec> XfsMount::convert_delalloc(Inode& ip, XfsFork& fork, uint8_t which, uint64_t off) {
  std::optional<XfsIrec> r = fork.lookup(off);
  if (!r || !r->delalloc()) return Fail(Errno::kEIO);
  Result<XfsTrans> tp = trans_alloc("convert_delalloc", 0);
  if (!tp) return Fail(tp.error());
  // The whole reservation is converted, one allocation at a time from
  // its start (xfs_bmapi_convert_delalloc loops until `off` is covered).
  XfsIrec left = *r;
  std::optional<XfsIrec> hit;
  while (left.blockcount > 0) {
    const uint64_t goal = [&] {
      // xfs_bmap_adjacent: right after the previous extent on disk (the
      // host places even an allocation after a file gap there).
      if (std::optional<XfsIrec> p = fork.prev_before(left.startoff); p && !p->delalloc()) {
        return p->startblock + p->blockcount;
      }
      return uint64_t{alloc_.agno_of(std::min<uint64_t>(ip.ino * 7919, geo_.dblocks - 1))} * geo_.agblocks;
    }();
    tp->use(0);
    Result<XfsExtent> e = alloc_blocks(*tp, goal, 1, left.blockcount, /*from_delalloc=*/true,
                                       /*zero=*/false);
    if (!e) {
      trans_commit(std::move(*tp));
      if (hit) return *hit;
      return Fail(e.error());
    }
    fork.remove(left.startoff, e->len);
    XfsIrec n{left.startoff, e->start, e->len, XfsExtState::kUnwritten};
    fork.insert(n);
    tp->log({XfsLogItem::kMap, ip.ino, which, n.startoff, n.startblock, n.blockcount, 1});
    if (off >= n.startoff && off < n.end()) hit = n;
    left.startoff += e->len;
    left.blockcount -= e->len;
    // One allocation at a time until `off` is covered; what lies beyond
    // stays delalloc until writeback needs it (a reservation larger than
    // the free extents leaves its tail delalloc, as on the host).
    if (hit) break;
  }
  trans_commit(std::move(*tp));
  return *hit;
}

Errno XfsMount::alloc_real(Inode& ip, uint64_t off, uint64_t len, XfsExtState state, bool zero) {
  XfsInodeData& x = xi(ip);
  const uint64_t end = off + len;
  for (uint64_t at = off; at < end;) {
    const XfsFork::Around near = x.data.around(at);
    const std::optional<XfsIrec>& r = near.at;
    if (r && !r->delalloc()) {
      at = r->end();
      continue;
    }
    uint64_t stop = end;
    uint64_t reserved = 0;  // Blocks of the range that delalloc already holds.
    if (r) {
      stop = std::min(end, r->end());
      reserved = stop - at;
    } else if (near.next && near.next->startoff < end) {
      stop = near.next->startoff;
    }
    // XFS_MAX_BMBT_EXTLEN per allocation, as xfs_alloc_file_space loops.
    stop = std::min(stop, at + XfsFork::kMaxExtlen);
    // XFS_DIOSTRAT_SPACE_RES: the blocks plus a bmbt split's worth
    // (XFS_EXTENTADD_SPACE_RES, the data fork's height less one).
    Result<XfsTrans> tp = trans_alloc("alloc_real", reserved != 0 ? 0 : stop - at + kXfsExtentAddRes);
    if (!tp) return tp.error();
    const uint64_t goal = [&] {
      // xfs_bmap_adjacent at EOF for xfs_bmapi_write (fallocate, direct
      // and DAX writes): the previous extent's end plus the gap in the
      // file, so a later write into the gap can be contiguous.
      // Over a hole the record before it came with the lookup.
      if (std::optional<XfsIrec> p = r ? x.data.prev_before(at) : near.prev; p && !p->delalloc()) {
        const uint64_t goal = p->startblock + p->blockcount + (at - p->end());
        return goal < geo_.dblocks && alloc_.agno_of(goal) == alloc_.agno_of(p->startblock)
                   ? goal
                   : p->startblock + p->blockcount;
      }
      return uint64_t{alloc_.agno_of(std::min<uint64_t>(ip.ino * 7919, geo_.dblocks - 1))} * geo_.agblocks;
    }();
    Result<XfsExtent> e = alloc_blocks(*tp, goal, 1, stop - at, reserved != 0, zero);
    if (!e) {
      trans_commit(std::move(*tp));
      return e.error();
    }
    if (reserved != 0) x.data.remove(at, e->len);  // The delalloc there (its reservation used).
    XfsIrec n{at, e->start, e->len, state};
    x.data.insert(n);
    tp->log({XfsLogItem::kMap, ip.ino, 0, n.startoff, n.startblock, n.blockcount,
             state == XfsExtState::kUnwritten ? 1u : 0u});
    log_inode(*tp, ip);
    trans_commit(std::move(*tp));
    at += e->len;
  }
  return Errno::kOk;
}

Errno XfsMount::end_cow(Inode& ip, uint64_t off, uint64_t len) {
  XfsInodeData& x = xi(ip);
  const uint64_t end = off + len;
  for (uint64_t at = off; at < end;) {
    std::optional<XfsIrec> c = x.cow.lookup(at);
    if (!c) {
      std::optional<XfsIrec> n = x.cow.next_after(at);
      if (!n || n->startoff >= end) break;
      at = n->startoff;
      continue;
    }
    const uint64_t stop = std::min(end, c->end());
    // "Skip extents that were never written": reservations, and staging
    // blocks still unwritten (an aligned CoW allocation's unused part).
    if (c->delalloc() || c->state == XfsExtState::kUnwritten) {
      at = stop;
      continue;
    }
    // xfs_reflink_end_cow_extent: XFS_EXTENTADD_SPACE_RES, with
    // XFS_TRANS_RESERVE (the reserve pool may cover it).
    Result<XfsTrans> tp = trans_alloc("end_cow", kXfsExtentAddRes, /*rsvd=*/true);
    if (!tp) return tp.error();
    const uint64_t block = c->startblock + (at - c->startoff);
    x.cow.remove(at, stop - at);
    tp->log({XfsLogItem::kUnmap, ip.ino, 1, at, 0, stop - at, 0});
    unmap_range(*tp, ip, x.data, 0, at, stop - at);
    x.data.insert({at, block, stop - at, XfsExtState::kNorm});
    tp->log({XfsLogItem::kMap, ip.ino, 0, at, block, stop - at, 0});
    log_inode(*tp, ip);
    trans_commit(std::move(*tp));
    at = stop;
  }
  return Errno::kOk;
}

void XfsMount::free_eofblocks(Inode& ip) {
  XfsInodeData& x = xi(ip);
  const uint64_t end_fsb = to_fsb_up(ip.size);
  const uint64_t last = max_fileoff();
  if (end_fsb >= last) return;
  Result<XfsTrans> tp = trans_alloc("free_eofblocks", 0);
  if (!tp) return;
  if (x.diflags & (kXfsDiflagPrealloc | kXfsDiflagAppend)) {
    // Persistent preallocation stays; only delalloc goes.
    for (const XfsIrec& r : x.data.remove(end_fsb, last - end_fsb)) {
      if (r.delalloc()) {
        unreserve_delalloc(r.blockcount);
      } else {
        x.data.insert(r);
      }
    }
  } else {
    unmap_range(*tp, ip, x.data, 0, end_fsb, last - end_fsb);
  }
  // xfs_itruncate_extents: "Remove all pending CoW reservations" past EOF.
  cancel_cow(*tp, ip, end_fsb, last - end_fsb);
  if (!tp->items().empty()) log_inode(*tp, ip);
  trans_commit(std::move(*tp));
}

void XfsMount::put_super() {
  for_each_inode([&](Inode& ip) {
    if (!has_forks(ip) || !ip.is_reg()) return;
    free_eofblocks(ip);
    Result<XfsTrans> tp = trans_alloc("cancel_cow", 0);
    cancel_cow(*tp, ip, 0, max_fileoff());
    trans_commit(std::move(*tp));
  });
  log_force();
  if (delalloc_ != 0) {
    machine().trace.record("xfs/umount/leak", {{"delalloc", delalloc_}});
  }
  unmounted_ = true;
}

std::vector<std::string> XfsMount::check() const {
  std::vector<std::string> errs = alloc_.check();
  if (overruns_ > 0) {
    errs.push_back(absl::StrFormat("%d transactions used more blocks than they reserved", overruns_));
  }
  // After unmount's final writeback nothing may still be reserved.
  if (unmounted_ && delalloc_ != 0) {
    errs.push_back(absl::StrFormat("%d delalloc blocks still reserved after unmount", delalloc_));
  }
  // Every block is free, static metadata, or owned by fork records; owned
  // blocks have as many owners as the refcount says.
  std::vector<XfsExtent> runs(meta_.begin(), meta_.end());
  uint64_t delalloc = 0;
  for_each_inode([&](Inode& ip) {
    if (!has_forks(ip)) return;
    const XfsInodeData& x = xi(ip);
    const std::string name = absl::StrCat("inode ", ip.ino);
    for (const std::string& e : x.data.check(name + " data fork")) errs.push_back(e);
    for (const std::string& e : x.cow.check(name + " cow fork")) errs.push_back(e);
    // i_disk_size is what has been logged of i_size: never past it.
    if (x.disk_size > ip.size) {
      errs.push_back(absl::StrFormat("%s: on-disk size %d past the size %d", name, x.disk_size, ip.size));
    }
    for (const XfsFork* f : {&x.data, &x.cow}) {
      if (std::optional<XfsIrec> last = f->last(); last && last->end() > max_fileoff()) {
        errs.push_back(absl::StrFormat("%s: a record ends past the last file block", name));
      }
      for (const XfsIrec r : *f) {
        const uint64_t off = r.startoff;
        if (r.delalloc()) {
          delalloc += r.blockcount;
          continue;
        }
        if (r.startblock + r.blockcount > geo_.dblocks) {
          errs.push_back(absl::StrFormat("%s: record at %d maps past the device", name, off));
          continue;
        }
        runs.push_back({r.startblock, r.blockcount});
      }
    }
  });
  if (delalloc != delalloc_) {
    errs.push_back(absl::StrFormat("delalloc reservations: counter %d, records %d", delalloc_, delalloc));
  }
  // Sweep: owners per block (as boundaries, sorted, equal ones summed),
  // against free space and refcounts.
  std::vector<std::pair<uint64_t, int64_t>> delta;
  delta.reserve(2 * runs.size());
  for (const XfsExtent& e : runs) {
    delta.emplace_back(e.start, 1);
    delta.emplace_back(e.start + e.len, -1);
  }
  std::sort(delta.begin(), delta.end());
  size_t kept = 0;
  for (size_t i = 0; i < delta.size(); ++i) {
    if (kept > 0 && delta[kept - 1].first == delta[i].first) {
      delta[kept - 1].second += delta[i].second;
    } else {
      delta[kept++] = delta[i];
    }
  }
  delta.resize(kept);
  const std::vector<XfsExtent> free = alloc_.free_extents();
  auto is_free_overlap = [&](uint64_t s, uint64_t l) {
    auto it = std::upper_bound(free.begin(), free.end(), s,
                               [](uint64_t v, const XfsExtent& f) { return v < f.start; });
    if (it != free.begin() && std::prev(it)->start + std::prev(it)->len > s) return true;
    return it != free.end() && it->start < s + l;
  };
  int64_t owners = 0;
  uint64_t prev = 0, used = 0;
  for (const auto& [at, d] : delta) {
    if (owners > 0 && at > prev) {
      used += at - prev;
      if (is_free_overlap(prev, at - prev)) {
        errs.push_back(absl::StrFormat("blocks [%d, %d) are both free and owned", prev, at));
      }
      for (uint64_t b = prev; b < at;) {
        // Compare the owner count with the refcount run by run.
        const uint32_t rc = refc_.refcount(b);
        const uint64_t next = std::min<uint64_t>(at, refc_.next_boundary(b, at - b));
        if (static_cast<int64_t>(rc) != owners) {
          errs.push_back(absl::StrFormat("blocks [%d, %d): %d owners, refcount %d", b, next, owners, rc));
        }
        b = next;
      }
    }
    owners += d;
    prev = at;
  }
  // Refcount records only over owned blocks.
  for (const auto& [start, rec] : refc_.records()) {
    if (rec.refcount < 2) errs.push_back(absl::StrFormat("refcount record at %d below 2", start));
    if (is_free_overlap(start, rec.len)) {
      errs.push_back(absl::StrFormat("refcount record [%d, +%d) over free blocks", start, rec.len));
    }
  }
  if (used + alloc_.free_blocks() != geo_.dblocks) {
    errs.push_back(absl::StrFormat("%d blocks owned + %d free != %d blocks", used,
                                   alloc_.free_blocks(), geo_.dblocks));
  }
  return errs;
}

namespace {

// A mount option's size: digits with an optional k, m or g (suffix_kstrtoint).
int64_t cvt_size(const std::string& v) {
  if (v.empty()) return -1;
  int64_t n = 0;
  size_t i = 0;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i) {
    if (n > (int64_t{1} << 40)) return -1;
    n = n * 10 + (v[i] - '0');
  }
  if (i == 0) return -1;
  if (i == v.size()) return n;
  if (i + 1 != v.size()) return -1;
  switch (v[i]) {
    case 'k': case 'K': return n << 10;
    case 'm': case 'M': return n << 20;
    case 'g': case 'G': return n << 30;
    default: return -1;
  }
}

}  // namespace

void register_xfs(Vfs& vfs) {
  vfs.register_fs("xfs", [](Machine& m, BlockDevice* dev, const MountOptions& opts)
                             -> Result<std::unique_ptr<Superblock>> {
    if (dev == nullptr) return Fail(Errno::kENODEV);
    std::vector<std::byte> sb(std::max<uint32_t>(kSectorSize, dev->logical_block_size()));
    if (IoResult r = dev->read(0, sb); r.err != Errno::kOk) return Fail(r.err);
    Result<XfsGeometry> geo = XfsGeometry::decode(sb);
    if (!geo) return Fail(geo.error());
    if (geo->dblocks * geo->blocksize > dev->nr_sectors() * kSectorSize) return Fail(Errno::kEINVAL);
    DaxDevice* dax = nullptr;
    MountOptions mount_opts = opts;
    if (opts.dax == DaxMode::kAlways || opts.dax == DaxMode::kInode) {
      dax = dynamic_cast<DaxDevice*>(dev);
      // xfs_inode_supports_dax: blocks of the page size only; a dax=inode
      // mount with other blocks has no DAX inodes.
      if (opts.dax == DaxMode::kInode && geo->blocksize != kPageSize) dax = nullptr;
      // xfs_setup_dax_always: "DAX unsupported by block device. Turning
      // off DAX." (and the same for blocks other than the page size): the
      // mount goes on as dax=never.
      if (opts.dax == DaxMode::kAlways && (dax == nullptr || geo->blocksize != kPageSize)) {
        dax = nullptr;
        mount_opts.dax = DaxMode::kNever;
      }
    }
    // XFS's own options: allocsize= (a power of two from 4 KiB to 1 GiB,
    // xfs_fs_parse_param); any other is not modelled and refused, as an
    // unknown one is.
    uint64_t allocsize = 0;
    for (const auto& [key, value] : opts.fs) {
      if (key != "allocsize") return Fail(Errno::kEINVAL);
      const int64_t bytes = cvt_size(value);
      if (bytes < 4096 || bytes > (int64_t{1} << 30) || (bytes & (bytes - 1)) != 0) {
        return Fail(Errno::kEINVAL);
      }
      allocsize = static_cast<uint64_t>(bytes);
    }
    auto sbp = std::make_unique<XfsMount>(m, mount_opts, *geo, dev, dax);
    if (allocsize != 0) sbp->set_allocsize(std::max<uint64_t>(1, allocsize / geo->blocksize));
    sbp->make_root();
    return std::unique_ptr<Superblock>(std::move(sbp));
  });
}

}  // namespace vfssim
