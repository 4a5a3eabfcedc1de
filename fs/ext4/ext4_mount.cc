#include "fs/ext4/ext4_mount.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "fs/ext4/ext4_file.h"
#include "nlohmann/json.hpp"
#include "sim/absl_view.h"

namespace vfssim {
namespace {

constexpr char kMagic[8] = {'E', 'X', 'T', '4', 'v', 's', 'i', 'm'};
// The superblock's byte offset (EXT4_MIN_BLOCK_SIZE: after the boot block).
constexpr uint64_t kSuperOffset = 1024;
// s_mb_stream_request (16 blocks) and s_mb_group_prealloc (512 blocks):
// files up to the first are placed from the locality group's preallocation,
// which is taken this many blocks at a time.
constexpr uint64_t kStreamRequest = 16;
constexpr uint64_t kGroupPrealloc = 512;

// ext2fs_default_journal_size (e2fsprogs 1.47), in blocks.
uint64_t default_journal_blocks(uint64_t blocks) {
  if (blocks < 2048) return 0;
  if (blocks < 32768) return 1024;
  if (blocks < 256 * 1024) return 4096;
  if (blocks < 512 * 1024) return 8192;
  if (blocks < 4096 * 1024) return 16384;
  if (blocks < 8192 * 1024) return 32768;
  if (blocks < 16384 * 1024) return 65536;
  if (blocks < 32768 * 1024) return 131072;
  return 262144;
}

}  // namespace

bool Ext4Geometry::has_super(uint32_t g) {
  if (g <= 1) return true;
  for (uint32_t base : {3u, 5u, 7u}) {
    uint64_t p = base;
    while (p < g) p *= base;
    if (p == g) return true;
  }
  return false;
}

// The superblock's fields, as nlohmann::json reads and writes them.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Ext4Geometry, blocksize, blocks_count, first_data_block, blocks_per_group,
                                   groups, inodes_per_group, inode_size, desc_size, reserved_gdt, flex,
                                   journal_blocks, r_blocks)

std::vector<std::byte> Ext4Geometry::encode() const {
  const std::string text = nlohmann::json(*this).dump();
  std::vector<std::byte> b(sizeof kMagic + text.size() + 1);
  std::memcpy(b.data(), kMagic, sizeof kMagic);
  std::memcpy(b.data() + sizeof kMagic, text.data(), text.size());
  return b;
}

Result<Ext4Geometry> Ext4Geometry::decode(std::span<const std::byte> b) {
  if (b.size() < sizeof kMagic || std::memcmp(b.data(), kMagic, sizeof kMagic) != 0) {
    return Fail(Errno::kEINVAL);  // "VFS: Can't find ext4 filesystem".
  }
  const char* text = reinterpret_cast<const char*>(b.data()) + sizeof kMagic;
  const size_t len = strnlen(text, b.size() - sizeof kMagic);
  const nlohmann::json j = nlohmann::json::parse(std::string_view(text, len), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Fail(Errno::kEINVAL);
  Ext4Geometry g;
  try {
    g = j.get<Ext4Geometry>();
  } catch (const nlohmann::json::exception&) {
    return Fail(Errno::kEINVAL);
  }
  // A superblock whose fields disagree is refused ("VFS: Can't find ext4
  // filesystem"), before anything is laid out from it.
  if ((g.blocksize != 1024 && g.blocksize != 2048 && g.blocksize != 4096) || g.groups == 0 ||
      g.blocks_per_group != 8 * g.blocksize || g.flex == 0 || g.first_data_block != (g.blocksize == 1024 ? 1u : 0u) ||
      g.blocks_count > (uint64_t{1} << 40) / g.blocksize ||
      g.groups != (g.blocks_count - g.first_data_block + g.blocks_per_group - 1) / g.blocks_per_group ||
      g.inodes_per_group == 0 || g.inodes_per_group > g.blocks_per_group || g.inode_size != 256 ||
      g.desc_size != 64 || g.reserved_gdt > g.blocksize / 4 || g.journal_blocks >= g.blocks_count ||
      g.r_blocks > g.blocks_count / 2) {
    return Fail(Errno::kEINVAL);
  }
  return g;
}

Result<Ext4Geometry> ext4_mkfs_geometry(uint64_t bytes, std::string_view opts) {
  Ext4Geometry g;
  uint32_t blocksize = 0;
  double reserved_pct = 5;
  uint64_t inodes = 0;
  uint64_t fs_bytes = bytes;
  const std::vector<absl::string_view> words =
      absl::StrSplit(to_absl(opts), absl::ByAnyChar(" \t"), absl::SkipEmpty());
  for (size_t i = 0; i < words.size(); ++i) {
    const absl::string_view w = words[i];
    // -q (quiet) and -F (force) change nothing the model keeps.
    if (w == "-q" || w == "-F") continue;
    // A word that is not an option is mke2fs's fs-size: a size with a
    // unit (k, m, g, t), at most the device.
    if (w[0] != '-') {
      uint64_t v = 0;
      const char unit = static_cast<char>(absl::ascii_tolower(static_cast<unsigned char>(w.back())));
      const int shift = unit == 'k' ? 10 : unit == 'm' ? 20 : unit == 'g' ? 30 : unit == 't' ? 40 : -1;
      if (shift < 0 || !absl::SimpleAtoi(w.substr(0, w.size() - 1), &v) || v == 0 || v > (bytes >> shift)) {
        return Fail(Errno::kEINVAL);
      }
      fs_bytes = v << shift;
      continue;
    }
    if (w != "-b" && w != "-m" && w != "-N") return Fail(Errno::kEINVAL);
    if (i + 1 >= words.size()) return Fail(Errno::kEINVAL);
    const absl::string_view arg = words[++i];
    if (w == "-b") {
      uint32_t v = 0;
      if (!absl::SimpleAtoi(arg, &v) || (v != 1024 && v != 2048 && v != 4096)) return Fail(Errno::kEINVAL);
      blocksize = v;
    } else if (w == "-m") {
      if (!absl::SimpleAtod(arg, &reserved_pct) || reserved_pct < 0 || reserved_pct > 50) {
        return Fail(Errno::kEINVAL);
      }
    } else if (!absl::SimpleAtoi(arg, &inodes) || inodes == 0 || inodes > (uint64_t{1} << 32)) {
      return Fail(Errno::kEINVAL);
    }
  }
  bytes = fs_bytes;
  // mke2fs.conf's size types: floppy under 3 MiB, small under 512 MiB.
  uint64_t inode_ratio = 16384;
  uint32_t default_bs = 4096;
  if (bytes < (3ull << 20)) {
    inode_ratio = 8192;
    default_bs = 1024;
  } else if (bytes < (512ull << 20)) {
    inode_ratio = 4096;
    default_bs = 1024;
  }
  g.blocksize = blocksize != 0 ? blocksize : default_bs;
  g.blocks_count = bytes / g.blocksize;
  if (g.blocks_count < 64) return Fail(Errno::kEINVAL);
  g.first_data_block = g.blocksize == 1024 ? 1 : 0;
  g.blocks_per_group = 8 * g.blocksize;
  g.groups = static_cast<uint32_t>((g.blocks_count - g.first_data_block + g.blocks_per_group - 1) /
                                   g.blocks_per_group);
  if (inodes == 0) inodes = g.blocks_count * g.blocksize / inode_ratio;
  const uint64_t per_block = g.blocksize / g.inode_size;
  uint64_t ipg = (inodes + g.groups - 1) / g.groups;
  ipg = (ipg + per_block - 1) / per_block * per_block;
  ipg = (ipg + 7) / 8 * 8;
  ipg = std::min<uint64_t>(ipg, g.blocks_per_group);
  g.inodes_per_group = static_cast<uint32_t>(std::max<uint64_t>(ipg, 16));
  // calc_reserved_gdt_blocks: room to grow to 1024 times the size (at most
  // 2^32 blocks), at most a block's worth of addresses.
  const uint64_t max_blocks = std::min<uint64_t>(0xFFFFFFFFull, g.blocks_count * 1024);
  const uint64_t rsv_groups = (max_blocks - g.first_data_block + g.blocks_per_group - 1) / g.blocks_per_group;
  const uint64_t gdpb = g.blocksize / g.desc_size;
  const uint64_t rsv_gdb = (rsv_groups + gdpb - 1) / gdpb;
  g.reserved_gdt = static_cast<uint32_t>(
      std::min<uint64_t>(rsv_gdb > g.gdt_blocks() ? rsv_gdb - g.gdt_blocks() : 0, g.blocksize / 4));
  g.journal_blocks = default_journal_blocks(g.blocks_count);
  g.r_blocks = static_cast<uint64_t>(static_cast<double>(g.blocks_count) * reserved_pct / 100);
  // The metadata of the first group must fit in it.
  const uint64_t head = 1 + g.gdt_blocks() + g.reserved_gdt + 2 * g.flex + g.itable_blocks();
  if (head >= g.blocks_per_group || g.blocks_count <= head + g.journal_blocks) return Fail(Errno::kEINVAL);
  return g;
}

Errno ext4_mkfs(Machine&, BlockDevice& dev, std::string_view opts) {
  Result<Ext4Geometry> g = ext4_mkfs_geometry(dev.nr_sectors() * kSectorSize, opts);
  if (!g) return g.error();
  std::vector<std::byte> sb = g->encode();
  sb.resize((sb.size() + kSectorSize - 1) / kSectorSize * kSectorSize);
  return dev.write(kSuperOffset / kSectorSize, sb).err;
}

void register_ext4(Vfs& vfs) {
  vfs.register_fs("ext4", [](Machine& m, BlockDevice* dev, const MountOptions& opts)
                              -> Result<std::unique_ptr<Superblock>> {
    if (dev == nullptr) return Fail(Errno::kENODEV);
    std::vector<std::byte> sb(4096);
    if (IoResult r = dev->read(kSuperOffset / kSectorSize, sb); r.err != Errno::kOk) return Fail(r.err);
    Result<Ext4Geometry> geo = Ext4Geometry::decode(sb);
    if (!geo) return Fail(geo.error());
    if (geo->blocks_count * geo->blocksize > dev->nr_sectors() * kSectorSize) return Fail(Errno::kEINVAL);
    bool delalloc = true;
    for (const auto& [key, value] : opts.fs) {
      if (key == "nodelalloc" && value.empty()) {
        delalloc = false;
      } else if (key == "delalloc" && value.empty()) {
        delalloc = true;
      } else {
        return Fail(Errno::kEINVAL);  // ext4's parser: "Unrecognized mount option".
      }
    }
    DaxDevice* dax = nullptr;
    if (opts.dax == DaxMode::kAlways || opts.dax == DaxMode::kInode) {
      dax = dynamic_cast<DaxDevice*>(dev);
      // ext4_check_feature_compatibility / ext4_should_use_dax: DAX needs
      // a DAX device and blocks of the page size; "dax=always" without
      // them fails the mount ("DAX unsupported by block device"), and
      // delayed allocation is off for DAX.
      if (dax == nullptr || geo->blocksize != kPageSize) {
        if (opts.dax == DaxMode::kAlways) return Fail(Errno::kEINVAL);
        dax = nullptr;
      }
    }
    MountOptions mopts = opts;
    mopts.block_size = geo->blocksize;
    auto sbp = std::make_unique<Ext4Mount>(m, mopts, *geo, dev, dax, delalloc);
    return std::unique_ptr<Superblock>(std::move(sbp));
  });
}

// ---- the mounted filesystem ----

Ext4Mount::Ext4Mount(Machine& m, MountOptions opts, const Ext4Geometry& geo, BlockDevice* bdev,
                     DaxDevice* dax, bool delalloc)
    : Superblock(m, "ext4", std::move(opts), ext4_vnode_ops()),
      geo_(geo),
      bdev_(bdev),
      dax_(dax),
      delalloc_(delalloc && dax == nullptr),
      iomap_ops_(*this) {
  // ext4_max_size for extent-mapped files: the 32-bit logical block,
  // lowered by one block so an extent can reach the last byte.
  maxbytes = static_cast<off_t64>(((uint64_t{1} << 32) - 1) * geo_.blocksize);
  free_[geo_.first_data_block] = geo_.blocks_count - geo_.first_data_block;
  free_count_ = geo_.blocks_count - geo_.first_data_block;
  auto used = [&](uint64_t start, uint64_t len) {
    mark_used(start, len);
    meta_.emplace_back(start, len);
  };
  // Superblock copies, group descriptors and reserved GDT blocks.
  for (uint32_t g = 0; g < geo_.groups; ++g) {
    if (Ext4Geometry::has_super(g)) used(geo_.group_first(g), 1 + geo_.gdt_blocks() + geo_.reserved_gdt);
  }
  // first_free_run: the first free run of `len` blocks at or after `from`.
  auto first_free_run = [&](uint64_t from, uint64_t len) -> uint64_t {
    for (const auto& [start, n] : free_) {
      const uint64_t s = std::max(start, from);
      if (start + n > s && start + n - s >= len) return s;
    }
    return UINT64_MAX;
  };
  // flex_bg: each flex group's block bitmaps, inode bitmaps and inode
  // tables, packed from the head of its first group.
  for (uint32_t f = 0; f * geo_.flex < geo_.groups; ++f) {
    const uint32_t first = f * geo_.flex;
    const uint32_t n = std::min(geo_.flex, geo_.groups - first);
    const uint64_t bb = first_free_run(geo_.group_first(first), n);
    used(bb, n);
    const uint64_t ib = first_free_run(bb + geo_.flex, n);
    used(ib, n);
    uint64_t at = ib + geo_.flex;
    for (uint32_t g = 0; g < n; ++g) {
      const uint64_t it = first_free_run(at, geo_.itable_blocks());
      used(it, geo_.itable_blocks());
      at = it + geo_.itable_blocks();
    }
  }
  // The journal in the middle of the filesystem (mke2fs 1.47 places it at
  // the start of the group this rule gives for the sizes checked: 64 MiB
  // to 2 GiB, 1 KiB and 4 KiB blocks).
  uint64_t overhead = geo_.first_data_block;
  for (const auto& [s, n] : meta_) overhead += n;
  if (geo_.journal_blocks != 0) {
    uint32_t jg = geo_.groups / 2;
    if (geo_.blocksize == 1024 && jg >= 2) jg -= 2;
    const uint64_t j = first_free_run(geo_.group_first(jg), geo_.journal_blocks);
    if (j != UINT64_MAX) {
      used(j, geo_.journal_blocks);
      overhead += geo_.journal_blocks;
    }
  }
  overhead_ = overhead;
  resv_clusters_ = std::min<uint64_t>(geo_.blocks_count / 50, 4096);

  // The root directory (inode 2) and lost+found (inode 11, 16 KiB or 12
  // blocks at most), then the resize inode's double-indirect block.
  make_root();
  Ext4InodeData& r = ei(*root);
  if (Result<std::pair<uint64_t, uint64_t>> b = take(geo_.group_first(0), 1)) r.dir_blocks.push_back(b->first);
  root->size = geo_.blocksize;
  InodeRef lpf = alloc_inode(VType::kDir, 0700, Creds::root());
  lpf->nlink = 2;
  lpf->parent = root.get();
  root->entries.emplace("lost+found", lpf);
  root->nlink = 3;
  const uint64_t lpf_blocks = std::min<uint64_t>(12, std::max<uint64_t>(2, (16384 + geo_.blocksize - 1) / geo_.blocksize));
  for (uint64_t i = 0; i < lpf_blocks; ++i) {
    if (Result<std::pair<uint64_t, uint64_t>> b = take(geo_.group_first(0), 1)) ei(*lpf).dir_blocks.push_back(b->first);
  }
  lpf->size = lpf_blocks * geo_.blocksize;
  if (Result<std::pair<uint64_t, uint64_t>> b = take(geo_.group_first(0), 1)) meta_.emplace_back(b->first, 1);
}

Ext4Mount::~Ext4Mount() {
  // Inodes still referenced (open files the harness keeps) must not call
  // back into a mount that is gone.
  for_each_inode([](Inode& ip) {
    if (has_map(ip)) ei(ip).mp = nullptr;
  });
}

Ext4InodeData::~Ext4InodeData() {
  if (mp == nullptr) return;
  for (const auto& [lblk, e] : map) {
    if (e.delayed) {
      mp->release_delalloc(e.len);
    } else {
      mp->free_blocks(e.pblk, e.len);
    }
  }
  for (uint64_t b : tree_blocks) mp->free_blocks(b, 1);
  for (uint64_t b : dir_blocks) mp->free_blocks(b, 1);
}

void Ext4Mount::init_inode(Inode& ip) {
  // Device nodes and FIFOs have no block map (ext4_special_inode_operations).
  if (ip.type == VType::kChr || ip.type == VType::kBlk || ip.type == VType::kFifo) return;
  ip.data = std::make_unique<Ext4InodeData>(this);
  if (ip.type == VType::kReg && dax_ != nullptr && options().dax == DaxMode::kAlways) ip.flags |= kInodeDax;
}

void Ext4Mount::mark_used(uint64_t start, uint64_t len) {
  while (len > 0) {
    auto it = free_.upper_bound(start);
    if (it == free_.begin()) return;
    --it;
    const uint64_t fs = it->first, fl = it->second;
    if (fs + fl <= start) return;
    const uint64_t n = std::min(len, fs + fl - start);
    free_.erase(it);
    if (start > fs) free_[fs] = start - fs;
    if (fs + fl > start + n) free_[start + n] = fs + fl - (start + n);
    free_count_ -= n;
    start += n;
    len -= n;
  }
}

Result<std::pair<uint64_t, uint64_t>> Ext4Mount::take(uint64_t goal, uint64_t len) {
  if (free_.empty() || len == 0) return Fail(Errno::kENOSPC);
  // The group boundary a single allocation stops at (one buddy per group).
  auto group_end = [&](uint64_t b) {
    const uint64_t g = (b - geo_.first_data_block) / geo_.blocks_per_group;
    return std::min(geo_.blocks_count, geo_.group_first(static_cast<uint32_t>(g)) + geo_.blocks_per_group);
  };
  auto grab = [&](uint64_t start, uint64_t avail) {
    const uint64_t n = std::min({len, avail, group_end(start) - start});
    mark_used(start, n);
    return std::pair<uint64_t, uint64_t>{start, n};
  };
  // The goal itself (ext4_mb_find_by_goal).
  auto it = free_.upper_bound(goal);
  if (it != free_.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second > goal) return grab(goal, prev->first + prev->second - goal);
  }
  // Then a free run long enough at or after it, then any; then from the
  // start of the device.
  for (auto from : {it, free_.begin()}) {
    for (auto j = from; j != free_.end(); ++j) {
      if (j->second >= len || j->second >= group_end(j->first) - j->first) return grab(j->first, j->second);
    }
  }
  for (auto from : {it, free_.begin()}) {
    if (from != free_.end()) return grab(from->first, from->second);
  }
  return Fail(Errno::kENOSPC);
}

void Ext4Mount::free_blocks(uint64_t start, uint64_t len) {
  if (len == 0) return;
  uint64_t s = start, n = len;
  auto next = free_.lower_bound(start);
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second == start) {
      s = prev->first;
      n += prev->second;
      free_.erase(prev);
    }
  }
  next = free_.lower_bound(start + len);
  if (next != free_.end() && next->first == start + len) {
    n += next->second;
    free_.erase(next);
  }
  free_[s] = n;
  free_count_ += len;
}

bool Ext4Mount::has_free(uint64_t n, bool use_reserved) const {
  // ext4_has_free_clusters as root (CAP_SYS_RESOURCE): the root-reserved
  // blocks are usable; the reserved clusters only with use_reserved.
  const uint64_t free = free_blocks();
  const uint64_t need = n + dirty_ + (use_reserved ? 0 : resv_clusters_);
  return free >= need;
}

Errno Ext4Mount::reserve_delalloc(uint64_t n) {
  if (!has_free(n)) return Errno::kENOSPC;
  dirty_ += n;
  return Errno::kOk;
}

Result<std::pair<uint64_t, uint64_t>> Ext4Mount::alloc_blocks(Inode& ip, uint64_t lblk, uint64_t len,
                                                              bool from_delalloc, bool use_reserved) {
  if (std::optional<Errno> e = machine().faults.fire("ext4/alloc/enospc")) return Fail(*e);
  Ext4InodeData& x = ei(ip);
  if (from_delalloc) {
    // The reservation is converted: it leaves the dirty count as the
    // blocks leave the free count.
    len = std::min(len, free_blocks());
  } else {
    // ext4_mb_new_blocks: "while (ar->len && ext4_claim_free_clusters())
    // ar->len >>= 1".
    while (len > 0 && !has_free(len, use_reserved)) len >>= 1;
  }
  if (len == 0) return Fail(Errno::kENOSPC);
  // ext4_ext_find_goal: next to the nearest real extent before (or after)
  // the block; else the inode's group — for a regular file the second
  // group of its flex group (ext4_inode_to_goal_block).
  uint64_t goal;
  std::optional<Ext4Extent> near = x.map.lookup(lblk);
  if (!near || near->delayed) {
    near.reset();
    for (std::optional<Ext4Extent> p = x.map.prev_before(lblk); p; p = x.map.prev_before(p->lblk)) {
      if (!p->delayed) {
        near = p;
        break;
      }
    }
  }
  if (!near) {
    for (std::optional<Ext4Extent> n = x.map.next_after(lblk); n; n = x.map.next_after(n->lblk)) {
      if (!n->delayed) {
        near = n;
        break;
      }
    }
  }
  if (near) {
    goal = lblk >= near->lblk ? near->pblk + (lblk - near->lblk)
                              : (near->pblk > near->lblk - lblk ? near->pblk - (near->lblk - lblk) : 0);
  } else {
    const uint32_t group = ip.is_reg() && geo_.flex >= 4 && geo_.groups > 1 ? 1 : 0;
    goal = geo_.group_first(group);
  }
  goal = std::clamp<uint64_t>(goal, geo_.first_data_block, geo_.blocks_count - 1);
  // ext4_mb_group_or_file: files (the request's end or the size, in
  // blocks) up to s_mb_stream_request come from the locality group's
  // preallocation, one after another; larger ones are placed at the goal.
  const uint64_t isize = (ip.size + bsize() - 1) / bsize();
  Result<std::pair<uint64_t, uint64_t>> got = Fail(Errno::kENOSPC);
  if (std::max(lblk + len, isize) <= kStreamRequest) {
    if (lg_left_ < len) {
      if (lg_left_ != 0) free_blocks(lg_next_, lg_left_);
      lg_left_ = 0;
      Result<std::pair<uint64_t, uint64_t>> pa = take(goal, kGroupPrealloc);
      if (pa && pa->second >= len) {
        lg_next_ = pa->first;
        lg_left_ = pa->second;
      } else if (pa) {
        free_blocks(pa->first, pa->second);
      }
    }
    if (lg_left_ >= len) {
      got = std::pair<uint64_t, uint64_t>{lg_next_, len};
      lg_next_ += len;
      lg_left_ -= len;
    }
  }
  if (!got) got = take(goal, len);
  if (!got && lg_left_ != 0) {
    // ENOSPC discards the preallocations and tries again
    // (ext4_mb_discard_preallocations_should_retry).
    free_blocks(lg_next_, lg_left_);
    lg_left_ = 0;
    got = take(goal, len);
  }
  if (!got) return got;
  if (from_delalloc) dirty_ -= got->second;
  return got;
}

Errno Ext4Mount::map_real(Inode& ip, uint64_t lblk, uint64_t len, bool unwritten, bool zero,
                          uint64_t* done_to) {
  Ext4InodeData& x = ei(ip);
  if (done_to != nullptr) *done_to = lblk;
  const uint64_t stop = lblk + len;
  for (uint64_t at = lblk; at < stop;) {
    std::optional<Ext4Extent> r = x.map.lookup(at);
    if (r && !r->delayed) {
      at = std::min(stop, r->end());
      continue;
    }
    uint64_t piece_end = stop;
    if (r) {
      piece_end = std::min(stop, r->end());
    } else if (std::optional<Ext4Extent> n = x.map.next_after(at)) {
      piece_end = std::min(stop, n->lblk);
    }
    const bool delayed = r.has_value();
    // A new extent that needs one more tree block gets it first
    // (ext4_ext_insert_extent's split: ext4_ext_new_meta_block takes free
    // space as data does, so the data gets a block less).
    if (tree_blocks_for(x.map.extents() + 1) > x.tree_blocks.size()) {
      // Writeback's mapping may dip into the reserved clusters for it
      // (EXT4_GET_BLOCKS_METADATA_NOFAIL); fallocate and direct I/O not.
      if (!has_free(1, /*use_reserved=*/delayed)) return Errno::kENOSPC;
      const uint64_t goal = x.map.empty() ? geo_.group_first(0) : x.map.begin()->second.pblk;
      Result<std::pair<uint64_t, uint64_t>> b = take(goal, 1);
      if (!b) return b.error();
      x.tree_blocks.push_back(b->first);
    }
    Result<std::pair<uint64_t, uint64_t>> got = alloc_blocks(ip, at, piece_end - at, delayed);
    if (!got) {
      update_tree_blocks(ip);  // The tree block taken for it goes back.
      return got.error();
    }
    const auto [pblk, n] = *got;
    if (zero && dax_ != nullptr) {
      if (Errno e = dax_->zero_page_range(pblk * bsize() / kPageSize, n * bsize() / kPageSize);
          e != Errno::kOk) {
        free_blocks(pblk, n);
        if (delayed) dirty_ += n;
        update_tree_blocks(ip);
        return e;
      }
    }
    if (delayed) x.map.remove(at, n);
    x.map.insert({.lblk = at, .pblk = pblk, .len = n, .unwritten = unwritten});
    at += n;
    if (done_to != nullptr) *done_to = at;
  }
  update_tree_blocks(ip);
  return Errno::kOk;
}

uint64_t Ext4Mount::tree_blocks_for(uint64_t extents) const {
  // Four extents in the inode's i_block; each tree block holds
  // (blocksize - 12) / 12 entries.
  const uint64_t per = (bsize() - 12) / 12;
  uint64_t need = 0;
  for (uint64_t level = extents; level > 4;) {
    level = (level + per - 1) / per;
    need += level;
  }
  return need;
}

void Ext4Mount::unmap_range(Inode& ip, uint64_t lblk, uint64_t len) {
  Ext4InodeData& x = ei(ip);
  for (const Ext4Extent& e : x.map.remove(lblk, len)) {
    if (e.delayed) {
      release_delalloc(e.len);
    } else {
      free_blocks(e.pblk, e.len);
    }
  }
  update_tree_blocks(ip);
}

void Ext4Mount::update_tree_blocks(Inode& ip) {
  Ext4InodeData& x = ei(ip);
  const uint64_t need = tree_blocks_for(x.map.extents());
  while (x.tree_blocks.size() > need) {
    free_blocks(x.tree_blocks.back(), 1);
    x.tree_blocks.pop_back();
  }
  while (x.tree_blocks.size() < need) {
    // ext4_ext_new_meta_block: next to the data. map_real has taken the
    // block a new extent needs with the free-space check; what is left
    // here is a split that adds records without new blocks (punch,
    // zero range), which ext4 makes with METADATA_NOFAIL.
    const uint64_t goal = x.map.empty() ? geo_.group_first(0) : x.map.begin()->second.pblk;
    Result<std::pair<uint64_t, uint64_t>> b = take(goal, 1);
    if (!b) break;
    x.tree_blocks.push_back(b->first);
  }
}

Errno Ext4Mount::dir_resize(Inode& dir, std::string_view adding) {
  if (!has_map(dir)) return Errno::kOk;
  Ext4InodeData& x = ei(dir);
  // ext4_dir_entry_2: 8 bytes and the name, in 4-byte units; "." and
  // "..". With metadata_csum each block ends in a 12-byte checksum tail
  // (ext4_dir_entry_tail).
  auto rec_len = [](size_t namelen) { return (8 + namelen + 3) / 4 * 4; };
  uint64_t bytes = 12 + 12;
  for (const auto& [name, child] : dir.entries) bytes += rec_len(name.size());
  if (!adding.empty()) bytes += rec_len(adding.size());
  const uint64_t per_block = bsize() - 12;
  uint64_t need = (bytes + per_block - 1) / per_block;
  // A directory past one block is indexed (dir_index): a root block too.
  if (need > 1) ++need;
  if (need <= x.dir_blocks.size()) return Errno::kOk;  // ext4 never shrinks a directory.
  // ext4_append's blocks are ordinary allocations: root may take the
  // root-reserved blocks, not the reserved clusters; all or none.
  if (!has_free(need - x.dir_blocks.size())) return Errno::kENOSPC;
  while (x.dir_blocks.size() < need) {
    const uint64_t goal = x.dir_blocks.empty() ? geo_.group_first(0) : x.dir_blocks.back() + 1;
    Result<std::pair<uint64_t, uint64_t>> b = take(goal, 1);
    if (!b) return b.error();
    x.dir_blocks.push_back(b->first);
  }
  dir.size = x.dir_blocks.size() * bsize();
  return Errno::kOk;
}

Iomap Ext4Mount::iomap_of(const Ext4Extent& e, uint64_t from, uint64_t to, const Inode& ip) const {
  Iomap m;
  const uint64_t bs = bsize();
  m.offset = static_cast<off_t64>(from * bs);
  m.length = (to - from) * bs;
  if ((ip.flags & kInodeDax) && dax_ != nullptr) {
    m.dax_dev = dax_;
  } else {
    m.bdev = bdev_;
  }
  if (e.delayed) {
    m.type = IomapType::kDelalloc;
    return m;
  }
  m.addr = (e.pblk + (from - e.lblk)) * bs;
  m.type = e.unwritten ? IomapType::kUnwritten : IomapType::kMapped;
  return m;
}

Iomap Ext4Mount::hole(uint64_t from, uint64_t to, const Inode& ip) const {
  Iomap m;
  m.offset = static_cast<off_t64>(from * bsize());
  m.length = (to - from) * bsize();
  m.type = IomapType::kHole;
  if ((ip.flags & kInodeDax) && dax_ != nullptr) {
    m.dax_dev = dax_;
  } else {
    m.bdev = bdev_;
  }
  return m;
}

uint64_t Ext4Mount::blocks(const Inode& ip) const {
  if (!has_map(ip)) return 0;
  const Ext4InodeData& x = ei(ip);
  // ext4_getattr: i_blocks plus the delayed blocks ("reserved, not yet
  // allocated"), in 512-byte units; tree and directory blocks count too.
  const uint64_t n = x.map.real_blocks() + x.map.delayed_blocks() + x.tree_blocks.size() + x.dir_blocks.size();
  return n * (bsize() / 512);
}

Errno Ext4Mount::statfs(Kstatfs* st) const {
  st->f_type = kEXT4_SUPER_MAGIC;
  st->f_bsize = bsize();
  st->f_namelen = 255;
  st->f_blocks = geo_.blocks_count - overhead_;
  const uint64_t free = free_blocks();
  st->f_bfree = free > dirty_ ? free - dirty_ : 0;
  const uint64_t held = geo_.r_blocks + resv_clusters_;
  st->f_bavail = st->f_bfree > held ? st->f_bfree - held : 0;
  st->f_files = geo_.inodes_count();
  // In use: the reserved inodes 1-10 (the root is inode 2) and every
  // other live inode, lost+found (inode 11) among them until it is removed.
  uint64_t live = 0;
  for_each_inode([&](Inode& ip) {
    if (&ip != root.get()) ++live;
  });
  const uint64_t used = 10 + live;
  st->f_ffree = st->f_files > used ? st->f_files - used : 0;
  return Errno::kOk;
}

std::vector<std::string> Ext4Mount::check() const {
  std::vector<std::string> errs;
  // Every block is free, static metadata, preallocated, or owned by one
  // inode, exactly once.
  std::vector<std::pair<uint64_t, uint64_t>> runs(meta_.begin(), meta_.end());
  for (const auto& [s, n] : free_) runs.emplace_back(s, n);
  if (lg_left_ != 0) runs.emplace_back(lg_next_, lg_left_);
  uint64_t delayed = 0;
  for_each_inode([&](Inode& ip) {
    if (!has_map(ip)) return;
    const Ext4InodeData& x = ei(ip);
    const std::string who = absl::StrCat("inode ", ip.ino);
    for (const std::string& e : x.map.check(who)) errs.push_back(e);
    for (const auto& [lblk, e] : x.map) {
      if (e.delayed) {
        delayed += e.len;
      } else {
        runs.emplace_back(e.pblk, e.len);
      }
    }
    if (x.tree_blocks.size() != tree_blocks_for(x.map.extents())) {
      errs.push_back(absl::StrFormat("%s: %d extent-tree blocks for %d extents, %d needed", who,
                                     x.tree_blocks.size(), x.map.extents(), tree_blocks_for(x.map.extents())));
    }
    if (std::optional<Ext4Extent> last = x.map.last(); last && last->end() > max_lblk()) {
      errs.push_back(absl::StrFormat("%s: an extent ends past the last file block", who));
    }
    for (uint64_t b : x.tree_blocks) runs.emplace_back(b, 1);
    for (uint64_t b : x.dir_blocks) runs.emplace_back(b, 1);
    if (x.disksize > ip.size && ip.is_reg()) {
      errs.push_back(absl::StrFormat("%s: i_disksize %d past the size %d", who, x.disksize, ip.size));
    }
  });
  std::sort(runs.begin(), runs.end());
  uint64_t at = geo_.first_data_block;
  for (const auto& [s, n] : runs) {
    if (s < at) errs.push_back(absl::StrFormat("block %d is owned twice (or owned and free)", s));
    if (s > at) errs.push_back(absl::StrFormat("blocks %d-%d are neither free nor owned", at, s - 1));
    at = std::max(at, s + n);
  }
  if (at != geo_.blocks_count) errs.push_back(absl::StrFormat("blocks end at %d, not %d", at, geo_.blocks_count));
  uint64_t counted = 0;
  for (const auto& [s, n] : free_) counted += n;
  if (counted != free_count_) errs.push_back(absl::StrFormat("free count %d, free runs %d", free_count_, counted));
  if (free_blocks() < dirty_) errs.push_back(absl::StrFormat("%d free blocks for %d delayed", free_blocks(), dirty_));
  if (delayed != dirty_) errs.push_back(absl::StrFormat("%d delayed blocks, %d reserved", delayed, dirty_));
  if (unmounted_ && dirty_ != 0) errs.push_back(absl::StrFormat("%d delayed blocks left after unmount", dirty_));
  return errs;
}

}  // namespace vfssim
