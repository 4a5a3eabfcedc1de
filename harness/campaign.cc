#include "harness/campaign.h"

#include <malloc.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <iterator>
#include <mutex>
#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "fs/ext4/ext4_mount.h"
#include "fs/xfs/xfs_mount.h"
#include "harness/command.h"
#include "harness/ddmin.h"
#include "harness/oracle.h"
#include "harness/range_set.h"
#include "sim/absl_view.h"
#include "sim/hash.h"
#include "sim/rng.h"
#include "sim/variants.h"
#include "vfs/host_io.h"

namespace vfssim {
namespace {

using K = CampaignKind;

constexpr size_t idx(K k) { return static_cast<size_t>(k); }

// The weights, in CampaignKind's order:
//   pwrite pread truncate fallocate zeroinit fspacectl fsync fdatasync seek
//   fiemap poison clone dedupe copy_range dio_pwrite mwrite swapout
constexpr Mix kMixes[] = {
    {"default", "every kind: data I/O, space management, reflink, mmap, poison",
     {6, 3, 2, 3, 2, 3, 2, 1, 2, 2, 3, 2, 2, 2, 2, 3, 2}},
    {"data-io", "pwrite, pread, O_DIRECT writes, truncate, fsync, SEEK_*, FIEMAP",
     {6, 5, 2, 0, 0, 0, 2, 1, 1, 1, 0, 0, 0, 0, 3, 0, 0}},
    {"space",
     "space management: fallocate's modes, FALLOC_FL_ZEROINIT_RANGE, fspacectl, truncate, swapout",
     {5, 2, 2, 5, 3, 5, 2, 0, 1, 2, 0, 0, 0, 0, 0, 0, 2}},
    {"reflink", "FICLONERANGE, FIDEDUPERANGE, copy_file_range over written files",
     {5, 2, 1, 0, 0, 0, 2, 0, 0, 2, 0, 5, 3, 3, 1, 0, 0}},
    {"mmap", "stores through shared mappings (SIGBUS past EOF), truncate, swapout",
     {4, 2, 3, 1, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 6, 2}},
    {"poison", "pmem poison and its recovery: reads, punch+write, ZEROINIT, O_DIRECT (DAX only)",
     {5, 4, 0, 2, 3, 0, 1, 0, 0, 1, 5, 0, 0, 1, 2, 2, 0}},
    {"namespace",
     "mkdir, rmdir, unlink, rename, link, symlink over a few names (the files' own too, which stay open), "
     "with writes, reads, truncates and fsyncs between",
     {3, 2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12}},
};

// not_mstore: every op but a store through a mapping, where a fault that
// fails the page fault's allocation or zeroing (page_mkwrite, shmem_fault,
// DAX's zeroing of a new block) is SIGBUS (VM_FAULT_SIGBUS), which the
// oracle allows only past EOF and over poison.
bool not_mstore(const Op& op) { return op.kind != OpKind::kMwrite; }

// allocates_without_writeback: the ops that may allocate but never write
// back dirty pages first. An allocation failure in writeback loses the
// dirty bytes (the folio stays clean and uptodate, not on disk, and the
// next invalidation drops it), which the model, holding what the calls
// reported writing, cannot follow; and an O_DIRECT write that fails part
// way returns the error with its first extents written (iomap_dio_rw).
// (A truncate writes the zeroed EOF block back, so it is left out too; and
// so is a fallocate without KEEP_SIZE, which may grow the file:
// xfs_setattr_size writes back the dirty range between the on-disk and
// the new size first, and a delalloc allocation failing there discards
// those folios, xfs_discard_folio.)
bool allocates_without_writeback(const Op& op) {
  if (op.kind == OpKind::kPwrite) return true;
  return op.kind == OpKind::kFallocate && op.mode == kFALLOC_FL_KEEP_SIZE;
}

// not_mstore_or_copy: not_mstore, and not copy_file_range either, whose
// DAX write zeroes the new blocks it allocates (an EIO there is the
// call's answer, which the oracle allows only over poison).
bool not_mstore_or_copy(const Op& op) { return not_mstore(op) && op.kind != OpKind::kCopyRange; }

// The points whose injected errors the oracle can judge, on the ops it can
// judge them on. Left out: blockdev/write/eio (a failed writeback makes the
// dirty bytes indeterminate, see above), blockdev/read/eio and
// pmem/read/mce (a read error on a block the model holds as good is what
// the oracle exists to catch: it cannot tell an injected one from a bug).
constexpr DefaultFaultPoint kDefaultPoints[] = {
    {"blockdev/discard/eio", nullptr, ""},
    {"blockdev/flush/eio", nullptr, ""},
    {"blockdev/zeroout/eio", nullptr, ""},
    {"pmem/write/eio", nullptr, ""},
    {"pmem/zero/eio", not_mstore_or_copy,
     "not on stores through a mapping (SIGBUS) nor copy_file_range (EIO zeroing new blocks)"},
    {"safecopy/softfault", nullptr, ""},
    {"sched/signal/eintr", nullptr, ""},
    {"shmfs/page/enospc", not_mstore, "not on stores through a mapping (SIGBUS)"},
    {"xfs/alloc/enospc", allocates_without_writeback,
     "only pwrite and fallocate's KEEP_SIZE allocation: not where dirty pages are written back"},
};

// An offset or length near a page boundary, sometimes arbitrary (as
// harness/opgen.cc draws them).
int64_t pick(Rng& rng, int64_t max) {
  switch (rng.uniform(4)) {
    case 0:
      return static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max) / 4096 + 1)) * 4096;
    case 1: {
      const int64_t page = static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max) / 4096 + 1)) * 4096;
      return std::max<int64_t>(0, page + static_cast<int64_t>(rng.range(0, 8)) - 4);
    }
    case 2:
      return static_cast<int64_t>(rng.uniform(512));
    default:
      return static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max)));
  }
}

// A block-aligned offset or length mostly, sometimes a few bytes off.
int64_t pick_aligned(Rng& rng, int64_t max) {
  const int64_t unit = rng.bernoulli(0.7) ? 4096 : 1024;
  const int64_t v = static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max / unit) + 1)) * unit;
  return rng.bernoulli(0.1) ? v + static_cast<int64_t>(rng.range(1, 600)) : v;
}

constexpr int64_t kMaxOffset = 64 * 1024;

// OpDraw draws ops for one file set, keeping a rough idea of each file's
// size (from the ops drawn, not run) so that range ops land inside the
// data half of the time.
class OpDraw {
 public:
  OpDraw(Rng& rng, const Mix& mix, const CampaignFs& fs, int nfiles)
      : rng_(rng), nfiles_(nfiles), size_(static_cast<size_t>(nfiles), 0) {
    const bool shm = fs.spec.type == "shmfs";
    for (size_t k = 0; k < kCampaignKinds; ++k) {
      int w = mix.weights[k];
      if (k == idx(K::kPoison) && !fs.spec.poisonable()) w = 0;
      if (k == idx(K::kSwapout) && !shm) w = 0;
      if ((k == idx(K::kClone) || k == idx(K::kDedupe)) && !fs.spec.reflink && w > 1) w = 1;
      weights_[k] = w;
      total_ += static_cast<uint64_t>(w);
    }
  }

  Op next() {
    uint64_t r = rng_.uniform(total_ == 0 ? 1 : total_);
    size_t k = 0;
    while (k + 1 < kCampaignKinds && r >= static_cast<uint64_t>(weights_[k])) {
      r -= static_cast<uint64_t>(weights_[k]);
      ++k;
    }
    return draw(static_cast<K>(k));
  }

 private:
  int file() { return static_cast<int>(rng_.uniform(static_cast<uint64_t>(nfiles_))); }
  uint8_t fill() { return static_cast<uint8_t>(rng_.range(1, 255)); }
  // A range inside file f's data (as far as the draw knows it) half of the
  // time, else anywhere.
  std::pair<int64_t, int64_t> range(int f, bool aligned) {
    const int64_t size = size_[static_cast<size_t>(f)];
    if (size > 0 && rng_.bernoulli(0.5)) {
      const int64_t unit = aligned ? 4096 : 1;
      const int64_t off = static_cast<int64_t>(rng_.uniform(static_cast<uint64_t>(size / unit) + 1)) * unit;
      const int64_t room = std::max<int64_t>(size - off, unit);
      int64_t len = aligned ? static_cast<int64_t>(rng_.range(1, 4)) * 4096
                            : static_cast<int64_t>(rng_.range(1, static_cast<uint64_t>(room)));
      if (rng_.bernoulli(0.5)) len = std::min(len, room);
      return {off, len};
    }
    const int64_t off = aligned ? pick_aligned(rng_, kMaxOffset) : pick(rng_, kMaxOffset);
    return {off, aligned ? pick_aligned(rng_, kMaxOffset / 4) : pick(rng_, kMaxOffset / 2)};
  }
  void grew(int f, int64_t end) {
    int64_t& s = size_[static_cast<size_t>(f)];
    s = std::max(s, end);
  }

  Op draw(K kind) {
    const int f = file();
    switch (kind) {
      case K::kPwrite: {
        const int64_t off = pick(rng_, kMaxOffset);
        const int64_t len = pick(rng_, kMaxOffset / 2) % 20000;
        grew(f, off + len);
        return Op::pwrite(f, off, len, fill());
      }
      case K::kPread: {
        auto [off, len] = range(f, false);
        return Op::pread(f, off, len);
      }
      case K::kTruncate: {
        const int64_t size = pick(rng_, kMaxOffset);
        size_[static_cast<size_t>(f)] = size;
        return Op::truncate(f, size);
      }
      case K::kFallocate: {
        static constexpr int kModes[] = {
            0,
            kFALLOC_FL_KEEP_SIZE,
            kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE,
            kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE,
            kFALLOC_FL_ZERO_RANGE,
            kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE,
            kFALLOC_FL_COLLAPSE_RANGE,
            kFALLOC_FL_INSERT_RANGE,
            kFALLOC_FL_PUNCH_HOLE,  // Invalid without KEEP_SIZE.
            kFALLOC_FL_UNSHARE_RANGE,
        };
        const int mode = kModes[rng_.uniform(std::size(kModes))];
        auto [off, len] = range(f, rng_.bernoulli(0.5));
        if (rng_.bernoulli(0.03)) len = -len - 1;  // Invalid on purpose.
        return Op::fallocate(f, mode, off, len);
      }
      case K::kZeroinit: {
        auto [off, len] = range(f, rng_.bernoulli(0.8));
        return Op::fallocate(f, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, off, len);
      }
      case K::kFspacectl: {
        auto [off, len] = range(f, false);
        if (rng_.bernoulli(0.03)) len = -len;  // Invalid on purpose.
        return Op::fspacectl(f, off, len);
      }
      case K::kFsync:
        return Op::fsync(f);
      case K::kFdatasync: {
        Op op = Op::fsync(f);
        op.kind = OpKind::kFdatasync;
        return op;
      }
      case K::kSeek: {
        const int64_t off = pick(rng_, kMaxOffset);
        return rng_.bernoulli(0.5) ? Op::seek_data(f, off) : Op::seek_hole(f, off);
      }
      case K::kFiemap: {
        auto [off, len] = range(f, false);
        return Op::fiemap(f, off, len <= 0 ? 1 : len);
      }
      case K::kPoison: {
        auto [off, len] = range(f, false);
        return Op::poison(f, off, rng_.bernoulli(0.5) ? 4096 * static_cast<int64_t>(rng_.range(1, 3))
                                                      : static_cast<int64_t>(rng_.range(1, 200)));
      }
      case K::kClone: {
        const int src = file();
        const int64_t len = rng_.bernoulli(0.1) ? 0 : pick_aligned(rng_, kMaxOffset / 4);
        const int64_t off = pick_aligned(rng_, kMaxOffset);
        return Op::clone(src, pick_aligned(rng_, kMaxOffset / 2), f, off, len);
      }
      case K::kDedupe: {
        const int src = file();
        if (rng_.bernoulli(0.4)) {
          const int64_t at = pick_aligned(rng_, kMaxOffset / 2);
          return Op::dedupe(src, at, f, at, pick_aligned(rng_, kMaxOffset / 4));
        }
        return Op::dedupe(src, pick_aligned(rng_, kMaxOffset / 2), f, pick_aligned(rng_, kMaxOffset),
                          pick_aligned(rng_, kMaxOffset / 4));
      }
      case K::kCopyRange: {
        const int src = file();
        const int64_t off = pick(rng_, kMaxOffset);
        const int64_t len = pick(rng_, kMaxOffset / 4);
        return Op::copy_range(src, pick(rng_, kMaxOffset / 2), f, off, len);
      }
      case K::kDioPwrite: {
        const uint8_t v = fill();
        if (rng_.bernoulli(0.15)) {
          return Op::dio_pwrite(f, pick(rng_, kMaxOffset), static_cast<int64_t>(rng_.range(1, 9000)), v);
        }
        const int64_t unit = rng_.bernoulli(0.5) ? 4096 : 512;
        const int64_t off = static_cast<int64_t>(rng_.uniform(static_cast<uint64_t>(kMaxOffset / unit))) * unit;
        const int64_t len = static_cast<int64_t>(rng_.range(1, 16)) * unit;
        grew(f, off + len);
        return Op::dio_pwrite(f, off, len, v);
      }
      case K::kMwrite: {
        auto [off, len] = range(f, false);
        len = rng_.bernoulli(0.5) ? static_cast<int64_t>(rng_.range(1, 300))
                                  : static_cast<int64_t>(rng_.range(1, 3)) * 4096;
        return Op::mwrite(f, off, len, fill());
      }
      case K::kSwapout: {
        auto [off, len] = range(f, true);
        Op op{.kind = OpKind::kSwapout, .file = f, .off = off, .len = std::max<int64_t>(len, 1)};
        return op;
      }
      case K::kNamespace:
        return name_op(f);
    }
    return Op::fsync(f);
  }

  // name_op draws a namespace call over a few names: the files' own (which
  // stay open whatever happens to their names), two directories with a
  // name or a directory each inside, and a symlink that may point at a
  // directory, a file, nothing, or itself (ELOOP). Symlink texts are
  // relative, so the host backend's stay under its directory.
  Op name_op(int f) {
    std::vector<std::string> names = {"/n0", "/n1", "/d0", "/d1", "/d0/n0", "/d0/d1", "/d1/n1", "/s0", "/s0/n0"};
    for (int i = 0; i < nfiles_; ++i) names.push_back(absl::StrCat("/f", i));
    static constexpr std::string_view kTargets[] = {"d0", "d1", "f0", "nowhere", "s0"};
    auto name = [&] { return names[rng_.uniform(names.size())]; };
    static constexpr OpKind kKinds[] = {OpKind::kMkdir, OpKind::kMkdir,  OpKind::kRmdir, OpKind::kUnlink,
                                        OpKind::kRename, OpKind::kRename, OpKind::kLink,  OpKind::kSymlink};
    Op op{.kind = kKinds[rng_.uniform(std::size(kKinds))], .file = f};
    if (op.kind == OpKind::kSymlink) {
      op.path = std::string(kTargets[rng_.uniform(std::size(kTargets))]);
      op.arg = name();
    } else {
      op.path = name();
      if (op.kind == OpKind::kRename || op.kind == OpKind::kLink) op.arg = name();
    }
    return op;
  }

  Rng& rng_;
  int nfiles_;
  std::vector<int64_t> size_;
  std::array<int, kCampaignKinds> weights_{};
  uint64_t total_ = 0;
};

// mask replaces every run of digits with '#' and every {...} with "{}":
// what stays is which check fired, not where.
std::string mask(std::string_view s) {
  std::string out;
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '{') {
      if (depth++ == 0) out += "{}";
      continue;
    }
    if (c == '}' && depth > 0) {
      --depth;
      continue;
    }
    if (depth > 0) continue;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      if (out.empty() || out.back() != '#') out += '#';
      continue;
    }
    out += c;
  }
  return out;
}

// ThinWatch mirrors which pool blocks of a thin volume the device took
// back (WRITE_ZEROES without REQ_NOUNMAP, DISCARD) and not yet provisioned
// again (a write), from the requests it sees (SimBlockDevice's hook runs
// after the fault points, so a request that a fault failed is not seen),
// and checks that no file maps a written extent over such a block.
class ThinWatch {
 public:
  ThinWatch(SimBackend& sim, int nfiles) : sim_(sim), nfiles_(nfiles) {
    per_block_ = sim.thin_pool()->block_size() >> kSectorShift;
    sim.block_device()->set_hook([this](const BlockRequest& req) {
      see(req);
      return Errno::kOk;
    });
  }
  ThinWatch(const ThinWatch&) = delete;
  ThinWatch& operator=(const ThinWatch&) = delete;
  ~ThinWatch() { sim_.block_device()->set_hook(nullptr); }

  std::vector<std::string> check() {
    std::vector<std::string> bad;
    if (released_.empty()) return bad;
    for (int f = 0; f < nfiles_; ++f) {
      Fiemap fi{.fm_start = 0, .fm_length = ~uint64_t{0}, .fm_extent_count = 512};
      if (host::fiemap(sim_.process(), sim_.fd(f), &fi) != Errno::kOk) continue;
      for (const FiemapExtent& e : fi.fm_extents) {
        if (e.fe_flags & (kFIEMAP_EXTENT_UNWRITTEN | kFIEMAP_EXTENT_DELALLOC | kFIEMAP_EXTENT_UNKNOWN |
                          kFIEMAP_EXTENT_DATA_INLINE)) {
          continue;
        }
        const uint64_t bytes = uint64_t{per_block_} << kSectorShift;
        const uint64_t lo = e.fe_physical / bytes;
        const uint64_t hi = (e.fe_physical + e.fe_length + bytes - 1) / bytes;
        if (const uint64_t b = released_.first_in(lo, hi); b < hi) {
          bad.push_back(absl::StrFormat(
              "thin: file %d maps written data [%d, +%d) on device bytes [%d, +%d), whose thin-pool "
              "block %d the device released (a WRITE_ZEROES without REQ_NOUNMAP): a later write "
              "there needs new pool space and fails with ENOSPC once the pool is full",
              f, e.fe_logical, e.fe_length, e.fe_physical, e.fe_length, b));
          return bad;
        }
      }
    }
    return bad;
  }

 private:
  void see(const BlockRequest& req) {
    const uint64_t start = req.sector, end = req.sector + req.nr_sectors;
    const uint64_t touched_lo = start / per_block_, touched_hi = (end + per_block_ - 1) / per_block_;
    const uint64_t whole_lo = (start + per_block_ - 1) / per_block_, whole_hi = end / per_block_;
    switch (req.op) {
      case ReqOp::kWrite:
        released_.remove(touched_lo, touched_hi);
        break;
      case ReqOp::kWriteZeroes:
        released_.remove(touched_lo, touched_hi);
        if (!(req.flags & kReqNoUnmap) && whole_lo < whole_hi) released_.add(whole_lo, whole_hi);
        break;
      case ReqOp::kDiscard:
        if (whole_lo < whole_hi) released_.add(whole_lo, whole_hi);
        break;
      default:
        break;
    }
  }

  SimBackend& sim_;
  int nfiles_;
  uint64_t per_block_ = 8;
  RangeSet released_;  // Pool block indices.
};

Failure make_failure(const std::vector<std::string>& bad, size_t index, const Op& op, OpResult r) {
  Failure f;
  f.message = bad.front();
  f.violations = bad;
  f.index = index;
  f.op = op;
  f.result = std::move(r);
  classify_violation(f.message, &f);
  return f;
}

std::vector<FiredFault> faults_for(const std::vector<FiredFault>& faults, const std::vector<Op>& ops) {
  std::vector<FiredFault> out;
  for (const FiredFault& d : faults) {
    const bool present = std::any_of(ops.begin(), ops.end(), [&](const Op& op) {
      return static_cast<uint64_t>(op.id) == d.op;
    });
    if (present) out.push_back(d);
  }
  return out;
}

nlohmann::ordered_json variants_json(const std::vector<std::pair<std::string, std::string>>& v) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [name, value] : v) j[name] = value;
  return j;
}

}  // namespace

const std::vector<CampaignFs>& campaign_filesystems() {
  static const std::vector<CampaignFs> kList = {
      {{"shmfs", "shmfs", FsSpec::kNone, "", "", nullptr, nullptr}, false, false, "shmfs", "blk",
       "shmfs (tmpfs) files opened by path"},
      {{"ext4_block", "ext4", FsSpec::kBlock, "", "", register_ext4, ext4_mkfs}, false, false, "ext4", "blk",
       "the ext4-like filesystem on a block device (4 KiB blocks, delayed allocation, no reflink)"},
      {{"ext4_block_1k", "ext4", FsSpec::kBlock, "-b 1024", "", register_ext4, ext4_mkfs}, false, false,
       "ext4", "blk", "ext4 with 1 KiB blocks (mkfs.ext4's choice under 512 MiB)"},
      {{"xfs_block", "xfs", FsSpec::kBlock, "", "", register_xfs, xfs_mkfs, true}, false, false, "xfs",
       "blk", "the XFS-like filesystem on a block device, reflink"},
      {{"xfs_block_1k", "xfs", FsSpec::kBlock, "-b size=1024", "", register_xfs, xfs_mkfs, true}, false,
       false, "xfs", "blk", "XFS with 1 KiB blocks"},
      {{"xfs_block_16k", "xfs", FsSpec::kBlock, "-b size=16384", "", register_xfs, xfs_mkfs, true}, false,
       false, "xfs", "blk", "XFS with 16 KiB blocks (larger than a page: written a block at a time)"},
      {{"xfs_noreflink", "xfs", FsSpec::kBlock, "-m reflink=0", "", register_xfs, xfs_mkfs, false}, false,
       false, "xfs", "blk", "XFS without reflink (clone and dedupe: EOPNOTSUPP)"},
      {{"xfs_pmem_dax", "xfs", FsSpec::kPmem, "", "dax=always", register_xfs, xfs_mkfs, true}, false,
       false, "xfs", "pmem", "XFS on pmem mounted dax=always: poison, DAX reads and writes"},
      {{"shm_memfd", "shmfs", FsSpec::kNone, "", "swap_pressure=0.2", nullptr, nullptr}, true, false, "",
       "", "memfd objects (FreeBSD shm's fo_fspacectl, seed 000) on a shmfs that swaps pages out"},
      {{"shmfs_safecopy", "shmfs", FsSpec::kNone, "", "ipc=safecopy", nullptr, nullptr}, false, false,
       "shmfs", "blk", "shmfs behind MINIX's safecopy boundary (seed 003): user pages go soft"},
      {{"xfs_safecopy", "xfs", FsSpec::kBlock, "", "ipc=safecopy", register_xfs, xfs_mkfs, true}, false,
       false, "xfs", "blk", "XFS behind MINIX's safecopy boundary (seed 003)"},
      {{"xfs_thin", "xfs", FsSpec::kBlock, "", "", register_xfs, xfs_mkfs, true}, false, true, "", "",
       "XFS on a thin-provisioned volume (seed 004: zeroing must keep the space, REQ_NOUNMAP)"},
  };
  return kList;
}

const CampaignFs* find_campaign_fs(std::string_view name) {
  for (const CampaignFs& fs : campaign_filesystems()) {
    if (fs.spec.name == name) return &fs;
  }
  return nullptr;
}

absl::StatusOr<CampaignFs> campaign_fs(std::string_view name, const FsOverrides& o) {
  const CampaignFs* base = find_campaign_fs(name);
  if (base == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown filesystem ", to_absl(name)));
  CampaignFs fs = *base;
  if (o.empty()) return fs;
  const bool xfs = fs.spec.type == "xfs";
  if (!o.dev.empty()) {
    if (o.dev != "blk" && o.dev != "pmem") {
      return absl::InvalidArgumentError(absl::StrCat("--dev=", o.dev, ": no such device (blk or pmem)"));
    }
    if (!xfs || fs.thin) {
      return absl::InvalidArgumentError(
          absl::StrCat("--dev=", o.dev, ": ", fs.spec.name, " sits on no device it can change"));
    }
    fs.spec.dev = o.dev == "pmem" ? FsSpec::kPmem : FsSpec::kBlock;
    fs.shell_dev = o.dev;
  }
  if (!o.mkfs_opts.empty()) {
    if (fs.spec.mkfs == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--mkfs-opt: ", fs.spec.name, " has no mkfs"));
    }
    fs.spec.mkfs_opts = fs.spec.mkfs_opts.empty() ? o.mkfs_opts : absl::StrCat(fs.spec.mkfs_opts, " ", o.mkfs_opts);
    // Only what mkfs decides says whether blocks can be shared.
    Result<XfsGeometry> geo = xfs_mkfs_geometry(uint64_t{1} << 30, fs.spec.mkfs_opts);
    if (!geo) {
      return absl::InvalidArgumentError(absl::StrCat("--mkfs-opt=", o.mkfs_opts, ": mkfs refuses \"",
                                                     fs.spec.mkfs_opts, "\" (", to_absl(errno_name(geo.error())),
                                                     ")"));
    }
    fs.spec.reflink = geo->reflink;
  }
  if (!o.mount_opts.empty()) {
    fs.spec.mount_opts =
        fs.spec.mount_opts.empty() ? o.mount_opts : absl::StrCat(fs.spec.mount_opts, ",", o.mount_opts);
  }
  return fs;
}

absl::Span<const Mix> campaign_mixes() { return kMixes; }

const Mix* find_mix(std::string_view name) {
  for (const Mix& m : kMixes) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

absl::Span<const DefaultFaultPoint> default_fault_points() { return kDefaultPoints; }

absl::StatusOr<FaultSpec> parse_fault_spec(std::string_view text) {
  FaultSpec spec;
  spec.text = std::string(text);
  // point -> rate (the last one named wins), plus at-rules and counted
  // rules in order.
  absl::btree_map<std::string, FaultRule> rates;
  std::vector<FaultRule> ats, counted;
  auto set_rate = [&](std::string_view point, double rate, bool (*applies)(const Op&) = nullptr) {
    FaultRule& r = rates[std::string(point)];
    r.point = std::string(point);
    r.rate = rate;
    r.err.reset();
    r.applies = applies;
  };
  if (text.empty()) return absl::InvalidArgumentError("--faults: empty (none, default, all, or POINT[=PLAN],...)");
  for (absl::string_view item_a : absl::StrSplit(to_absl(text), ',')) {
    const std::string_view item(item_a.data(), item_a.size());
    if (item == "none") continue;
    if (item == "default") {
      for (const DefaultFaultPoint& p : kDefaultPoints) set_rate(p.point, kDefaultFaultRate, p.applies);
      continue;
    }
    if (item == "all") {
      for (const FaultPointInfo& p : fault_point_registry()) set_rate(p.name, kDefaultFaultRate);
      continue;
    }
    const size_t eq = item.find('=');
    const std::string_view point = item.substr(0, eq);
    if (find_fault_point(point) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--faults: no fault point \"", to_absl(point), "\" (see `vfssim faults`)"));
    }
    if (eq == std::string_view::npos) {
      set_rate(point, kDefaultFaultRate);
      continue;
    }
    std::string_view plan = item.substr(eq + 1);
    std::optional<Errno> err;
    if (const size_t e2 = plan.find('='); e2 != std::string_view::npos) {
      Errno e;
      if (!errno_from_name(plan.substr(e2 + 1), &e) || e == Errno::kOk) {
        return absl::InvalidArgumentError(
            absl::StrCat("--faults: ", to_absl(item), ": not an errno name"));
      }
      err = e;
      plan = plan.substr(0, e2);
    }
    if (plan.starts_with("at:")) {
      Result<FaultPlan> p = FaultPlan::parse(plan);
      std::vector<absl::string_view> parts = absl::StrSplit(to_absl(plan.substr(3)), '.');
      uint64_t op = 0, nth = 0;
      if (!p || parts.size() != 2 || !absl::SimpleAtoi(parts[0], &op) || !absl::SimpleAtoi(parts[1], &nth)) {
        return absl::InvalidArgumentError(absl::StrCat("--faults: ", to_absl(item), ": at:OP.N"));
      }
      ats.push_back({.point = std::string(point), .at = std::make_pair(op, nth), .err = err});
      continue;
    }
    if (plan.starts_with("nth:") || plan.starts_with("every:") || plan.starts_with("window:")) {
      Result<FaultPlan> p = FaultPlan::parse(plan);
      if (!p) {
        return absl::InvalidArgumentError(
            absl::StrCat("--faults: ", to_absl(item), ": nth:N, every:K or window:A-B (N, K, A >= 1, A <= B)"));
      }
      FaultPlan with = err ? p->with_errno(*err) : *p;
      counted.push_back({.point = std::string(point), .counted = std::move(with), .err = err});
      continue;
    }
    if (plan.starts_with("p:")) plan.remove_prefix(2);
    double rate = 0;
    if (plan.empty() || !absl::SimpleAtod(to_absl(plan), &rate) || !(rate >= 0 && rate <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--faults: ", to_absl(item),
          ": a plan is a rate (0..1, or p:RATE), at:OP.N, nth:N, every:K or window:A-B, optionally =ERRNO"));
    }
    set_rate(point, rate);
    rates[std::string(point)].err = err;
  }
  for (auto& [point, rule] : rates) {
    if (rule.rate > 0) spec.rules.push_back(std::move(rule));
  }
  spec.rules.insert(spec.rules.end(), ats.begin(), ats.end());
  spec.rules.insert(spec.rules.end(), counted.begin(), counted.end());
  return spec;
}

absl::StatusOr<std::vector<const CampaignFs*>> campaign_fs_list(std::string_view fs) {
  std::vector<const CampaignFs*> out;
  if (fs == "all") {
    for (const CampaignFs& f : campaign_filesystems()) out.push_back(&f);
    return out;
  }
  for (absl::string_view name_a : absl::StrSplit(to_absl(fs), ',')) {
    std::string_view name(name_a.data(), name_a.size());
    if (name == "xfs") name = "xfs_block";
    if (name == "tmpfs") name = "shmfs";
    const CampaignFs* f = find_campaign_fs(name);
    if (f == nullptr) {
      std::vector<std::string> names;
      for (const CampaignFs& c : campaign_filesystems()) names.push_back(c.spec.name);
      return absl::InvalidArgumentError(absl::StrCat("--fs=", to_absl(name), ": no such filesystem (all, ",
                                                     absl::StrJoin(names, ", "), ")"));
    }
    out.push_back(f);
  }
  return out;
}

absl::Status check_params(const CampaignParams& params) {
  absl::StatusOr<std::vector<const CampaignFs*>> fs = campaign_fs_list(params.fs);
  if (!fs.ok()) return fs.status();
  if (!params.fs_overrides.empty()) {
    for (const CampaignFs* f : *fs) {
      absl::StatusOr<CampaignFs> with = campaign_fs(f->spec.name, params.fs_overrides);
      if (!with.ok()) return with.status();
      SimBackend trial(0, with->spec, SimOptions{.nfiles = 1, .memfd = with->memfd, .thin = with->thin});
      if (trial.setup_error() != Errno::kOk) {
        return absl::InvalidArgumentError(absl::StrCat(
            f->spec.name, " with mkfs options \"", with->spec.mkfs_opts, "\" and mount options \"",
            with->spec.mount_opts, "\" does not mount: ", to_absl(errno_name(trial.setup_error()))));
      }
    }
  }
  if (find_mix(params.mix) == nullptr) {
    std::vector<std::string> names;
    for (const Mix& m : kMixes) names.push_back(std::string(m.name));
    return absl::InvalidArgumentError(
        absl::StrCat("--mix=", params.mix, ": no such mix (", absl::StrJoin(names, ", "), ")"));
  }
  Variants probe(nullptr);
  for (const auto& [name, value] : params.variants) {
    if (probe.set(name, value) != Errno::kOk) {
      return absl::InvalidArgumentError(absl::StrCat("--variant ", name, "=", value,
                                                     ": unknown variant or value (see `vfssim variants`)"));
    }
  }
  if (params.ops < 1 || params.ops > 100000) return absl::InvalidArgumentError("--ops: 1..100000");
  if (params.nfiles < 1 || params.nfiles > 16) return absl::InvalidArgumentError("files: 1..16");
  return absl::OkStatus();
}

std::vector<Op> campaign_ops(Rng& rng, int n, const Mix& mix, const CampaignFs& fs, int nfiles) {
  OpDraw draw(rng, mix, fs, nfiles);
  std::vector<Op> ops;
  ops.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ops.push_back(draw.next());
    ops.back().id = i;
  }
  return ops;
}

std::vector<FiredFault> draw_decisions(uint64_t seed, const FaultSpec& spec, absl::Span<const Op> ops) {
  std::vector<FiredFault> out;
  for (const FaultRule& rule : spec.rules) {
    if (rule.counted) continue;  // Not a decision until a run resolves it (draw_scenario).
    const FaultPointInfo* info = find_fault_point(rule.point);
    const Errno err = rule.err.value_or(info->default_err);
    if (rule.at) {
      out.push_back({rule.at->first, rule.point, rule.at->second, err});
      continue;
    }
    const uint64_t point_hash = fnv1a64(rule.point);
    for (const Op& op : ops) {
      if (op.id < 0 || (rule.applies != nullptr && !rule.applies(op))) continue;
      // No point sits where a namespace call goes (the models have no
      // directory blocks), so none of their decisions could fire.
      if (NamespaceModel::is_namespace_op(op)) continue;
      // A pure function of (seed, point, op id): the decisions of one op do
      // not depend on how many ops were drawn or which others remain.
      WordHash h;
      h.update2(seed, fnv1a64("campaign/faults"));
      h.update2(point_hash, static_cast<uint64_t>(op.id));
      Rng coin(h.digest());
      if (!coin.bernoulli(rule.rate)) continue;
      out.push_back({static_cast<uint64_t>(op.id), rule.point, 1 + coin.uniform(kMaxNth), err});
    }
  }
  std::sort(out.begin(), out.end(), [](const FiredFault& a, const FiredFault& b) {
    return std::tie(a.op, a.point, a.nth) < std::tie(b.op, b.point, b.nth);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const FiredFault& a, const FiredFault& b) {
                          return a.op == b.op && a.point == b.point && a.nth == b.nth;
                        }),
            out.end());
  return out;
}

void keep_freed_memory() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest (HEAP_MAX_SIZE / 2).
  });
}

Scenario draw_scenario(const CampaignParams& params, uint64_t seed) {
  const std::vector<const CampaignFs*> list = *campaign_fs_list(params.fs);
  const CampaignFs fs = *campaign_fs(list[seed % list.size()]->spec.name, params.fs_overrides);
  Scenario s;
  s.seed = seed;
  s.fs = fs.spec.name;
  s.fs_overrides = params.fs_overrides;
  s.mix = params.mix;
  s.variants = params.variants;
  s.nfiles = params.nfiles;
  s.ops_drawn = params.ops;
  Rng rng = Rng(seed).stream("campaign/ops");
  s.ops = campaign_ops(rng, params.ops, *find_mix(params.mix), fs, params.nfiles);
  s.faults = draw_decisions(seed, params.faults, s.ops);
  for (const FaultRule& rule : params.faults.rules) {
    if (rule.counted) s.counted.emplace_back(rule.point, *rule.counted);
  }
  if (!s.counted.empty()) resolve_counted(s);
  return s;
}

void resolve_counted(Scenario& s) {
  // The run arms the counted plans and the drawn decisions together; what
  // fired is both, keyed. Replaying exactly that (FaultInjector::replay's
  // contract) fails the same hits, so the run is the same.
  const RunResult r = run_scenario(s);
  s.faults = r.fired;
  s.counted.clear();
}

void classify_violation(std::string_view m, Failure* f) {
  struct Prefix {
    std::string_view prefix, kind;
  };
  static constexpr Prefix kPrefixes[] = {
      {"fsck: ", "fsck"},
      {"thin: ", "thin"},
      {"setup: ", "setup"},
      {"content differs", "content"},
      {"an op on ", "content"},
      {"reading the file back", "content"},
      {"size ", "size"},
      {"pread ", "read"},
      {"SEEK_", "seek"},
      {"fspacectl(", "fspacectl"},
      {"FIEMAP", "fiemap"},
      {"FICLONERANGE", "clone"},
      {"FIDEDUPERANGE", "dedupe"},
      {"copy_file_range", "copy_range"},
      {"O_DIRECT", "dio"},
      {"mmap store", "mmap"},
      {"poison of", "poison"},
      {"namespace: ", "namespace"},
  };
  f->kind = "oracle";
  for (const Prefix& p : kPrefixes) {
    if (m.starts_with(p.prefix)) {
      f->kind = std::string(p.kind);
      break;
    }
  }
  f->check = mask(m);
}

RunResult run_scenario(const Scenario& s, const RunConfig& cfg) {
  RunResult rr;
  const absl::StatusOr<CampaignFs> fs = campaign_fs(s.fs, s.fs_overrides);
  if (!fs.ok()) {
    rr.failure = make_failure({absl::StrCat("setup: ", fs.status().message())}, 0, Op{}, {});
    return rr;
  }
  SimOptions opts{.nfiles = s.nfiles,
                  .memfd = fs->memfd,
                  .variants = s.variants,
                  .thin = fs->thin,
                  .trace = cfg.trace_out != nullptr ? TraceMode::kFull : cfg.trace,
                  .reads_outside_ops = true};
  SimBackend sim(s.seed, fs->spec, opts);
  rr.variants_in_force = sim.machine().variants.in_force();
  if (sim.setup_error() != Errno::kOk) {
    rr.failure = make_failure(
        {absl::StrCat("setup: building ", s.fs, " failed with ", to_absl(errno_name(sim.setup_error())))}, 0,
        Op{}, {});
    return rr;
  }
  for (const FiredFault& d : s.faults) {
    sim.machine().faults.arm(d.point, FaultPlan::at(d.op, d.nth).with_errno(d.err));
  }
  for (const auto& [point, plan] : s.counted) sim.machine().faults.arm(point, plan);
  std::optional<ThinWatch> thin;
  if (fs->thin) thin.emplace(sim, s.nfiles);
  Oracle oracle(sim, s.nfiles);
  for (size_t i = 0; i < s.ops.size(); ++i) {
    const Op& op = s.ops[i];
    OpResult r;
    std::vector<std::string> bad = oracle.step(op, &r);
    ++rr.ops_run;
    if (bad.empty() && thin) bad = thin->check();
    // After the last op, whatever the step read only in part is read
    // whole: a change the sweeps would have found later is found now.
    if (bad.empty() && i + 1 == s.ops.size()) bad = oracle.sweep(op, r);
    if (cfg.after_op) cfg.after_op(i, r, sim);
    if (!bad.empty()) {
      rr.failure = make_failure(bad, i, op, std::move(r));
      break;
    }
  }
  rr.fired = sim.machine().faults.schedule();
  rr.trace_hash = sim.machine().trace.hash();
  if (cfg.trace_out != nullptr) sim.machine().trace.write_jsonl(*cfg.trace_out);
  return rr;
}

Reduced reduce(const Scenario& s, const Failure& f, int max_runs) {
  int budget = max_runs;
  // Counted plans become keyed decisions before anything is deleted (one
  // run, charged to the budget), so no candidate carries them.
  Scenario resolved = s;
  if (!resolved.counted.empty()) {
    resolve_counted(resolved);
    --budget;
  }
  Reduced best{resolved, f, s.counted.empty() ? 0 : 1};
  auto attempt = [&](const Scenario& c) -> bool {
    --budget;
    ++best.runs;
    RunResult r = run_scenario(c);
    if (!r.failure || !r.failure->same_way(f)) return false;
    best.scenario = c;
    best.failure = *r.failure;
    return true;
  };
  // Nothing after the failing op ran; decisions that did not fire changed
  // nothing.
  Scenario start = resolved;
  start.ops.resize(std::min(s.ops.size(), f.index + 1));
  {
    RunResult r = run_scenario(start);
    ++best.runs;
    --budget;
    if (r.failure && r.failure->same_way(f)) {
      best.scenario = start;
      best.failure = *r.failure;
      Scenario fired = start;
      fired.faults = r.fired;
      attempt(fired);
    }
  }
  for (int round = 0; round < 4 && budget > 0; ++round) {
    const size_t ops_before = best.scenario.ops.size(), faults_before = best.scenario.faults.size();
    std::function<bool(const std::vector<Op>&)> ops_fail = [&](const std::vector<Op>& ops) {
      if (ops.empty()) return false;
      Scenario c = best.scenario;
      c.ops = ops;
      c.faults = faults_for(best.scenario.faults, ops);
      return attempt(c);
    };
    ddmin(best.scenario.ops, ops_fail, &budget);
    std::function<bool(const std::vector<FiredFault>&)> faults_fail =
        [&](const std::vector<FiredFault>& faults) {
          Scenario c = best.scenario;
          c.faults = faults;
          return attempt(c);
        };
    if (!best.scenario.faults.empty() && budget > 0) {
      Scenario none = best.scenario;
      none.faults.clear();
      if (!attempt(none)) ddmin(best.scenario.faults, faults_fail, &budget);
    }
    if (best.scenario.ops.size() == ops_before && best.scenario.faults.size() == faults_before) break;
  }
  // Keep only the decisions that fired in the final run: the same run.
  RunResult last = run_scenario(best.scenario);
  ++best.runs;
  if (last.failure && last.failure->same_way(f)) {
    best.failure = *last.failure;
    if (last.fired.size() < best.scenario.faults.size()) {
      Scenario fired = best.scenario;
      fired.faults = last.fired;
      attempt(fired);
    }
  }
  return best;
}

std::vector<uint64_t> shell_op_numbers(const Scenario& s) {
  // variant set lines, fault arm lines, open lines, "file 0", then the
  // ops with a "file N" line before each change of file.
  uint64_t n = s.variants.size() + faults_for(s.faults, s.ops).size() + static_cast<uint64_t>(s.nfiles) + 1;
  std::vector<uint64_t> out;
  int file = 0;
  for (const Op& op : s.ops) {
    if (op.file != file) {
      ++n;
      file = op.file;
    }
    out.push_back(n++);
  }
  return out;
}

std::string io_script(const Scenario& s) {
  std::string out;
  for (const auto& [name, value] : s.variants) absl::StrAppend(&out, "variant set ", name, " ", value, "\n");
  const std::vector<uint64_t> numbers = shell_op_numbers(s);
  for (const FiredFault& d : faults_for(s.faults, s.ops)) {
    size_t i = 0;
    while (static_cast<uint64_t>(s.ops[i].id) != d.op) ++i;
    absl::StrAppend(&out, "fault arm ", d.point, "=at:", numbers[i], ".", d.nth, "=",
                    to_absl(errno_name(d.err)), "\n");
  }
  for (int i = 0; i < s.nfiles; ++i) absl::StrAppend(&out, "open -f f", i, "\n");
  absl::StrAppend(&out, "file 0\n", format_script(s.ops));
  return out;
}

std::string shell_command(const Scenario& s, std::string_view file) {
  const absl::StatusOr<CampaignFs> fs = campaign_fs(s.fs, s.fs_overrides);
  if (!fs.ok() || fs->shell_fs.empty()) return "";
  std::string cmd = absl::StrCat("vfssim io --fs=", fs->shell_fs);
  if (fs->shell_fs == "xfs") absl::StrAppend(&cmd, " --dev=", fs->shell_dev);
  if (!fs->spec.mkfs_opts.empty()) absl::StrAppend(&cmd, " --mkfs-opt=\"", fs->spec.mkfs_opts, "\"");
  if (!fs->spec.mount_opts.empty()) absl::StrAppend(&cmd, " --mount-opt=", fs->spec.mount_opts);
  absl::StrAppend(&cmd, " --seed=", s.seed, " < ", to_absl(file));
  return cmd;
}

nlohmann::ordered_json fault_json(const FiredFault& f) {
  return {{"op", f.op}, {"point", f.point}, {"nth", f.nth}, {"err", errno_name(f.err)}};
}

absl::StatusOr<FiredFault> fault_from_json(const nlohmann::ordered_json& j) {
  FiredFault f;
  try {
    f.op = j.at("op").get<uint64_t>();
    f.point = j.at("point").get<std::string>();
    f.nth = j.at("nth").get<uint64_t>();
    if (!errno_from_name(j.at("err").get<std::string>(), &f.err) || f.err == Errno::kOk) {
      return absl::InvalidArgumentError(absl::StrCat("fault: bad errno ", j.at("err").dump()));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("fault: ", e.what()));
  }
  if (find_fault_point(f.point) == nullptr || f.nth == 0) {
    return absl::InvalidArgumentError(absl::StrCat("fault: bad point or nth in ", j.dump()));
  }
  return f;
}

namespace {

void fs_overrides_to_json(const FsOverrides& o, nlohmann::ordered_json& j) {
  if (!o.dev.empty()) j["dev"] = o.dev;
  if (!o.mkfs_opts.empty()) j["mkfs_opt"] = o.mkfs_opts;
  if (!o.mount_opts.empty()) j["mount_opt"] = o.mount_opts;
}

FsOverrides fs_overrides_from_json(const nlohmann::ordered_json& j) {
  return {.dev = j.value("dev", std::string()),
          .mkfs_opts = j.value("mkfs_opt", std::string()),
          .mount_opts = j.value("mount_opt", std::string())};
}

}  // namespace

nlohmann::ordered_json scenario_json(const Scenario& s) {
  nlohmann::ordered_json j;
  j["seed"] = s.seed;
  j["fs"] = s.fs;
  fs_overrides_to_json(s.fs_overrides, j);
  j["mix"] = s.mix;
  j["files"] = s.nfiles;
  j["ops_drawn"] = s.ops_drawn;
  j["variants"] = variants_json(s.variants);
  nlohmann::ordered_json faults = nlohmann::ordered_json::array();
  for (const FiredFault& d : s.faults) faults.push_back(fault_json(d));
  j["faults"] = faults;
  nlohmann::ordered_json ops = nlohmann::ordered_json::array();
  for (const Op& op : s.ops) ops.push_back(op.to_json());
  j["ops"] = ops;
  return j;
}

nlohmann::ordered_json failure_json(const Failure& f) {
  nlohmann::ordered_json j;
  j["kind"] = f.kind;
  j["check"] = f.check;
  j["message"] = f.message;
  j["op_index"] = f.index;
  j["op"] = f.op.to_json();
  j["command"] = f.op.to_command();
  j["result"] = f.result.to_json();
  j["violations"] = f.violations;
  return j;
}

nlohmann::ordered_json trace_json(const Scenario& s, const Failure& f) {
  nlohmann::ordered_json j;
  j["format"] = "vfssim-failure";
  j["version"] = 1;
  const nlohmann::ordered_json scenario = scenario_json(s);
  for (const auto& [k, v] : scenario.items()) j[k] = v;
  RunResult r = run_scenario(s);
  j["variants_in_force"] = r.variants_in_force;
  j["failure"] = failure_json(f);
  j["script"] = io_script(s);
  j["shell"] = shell_command(s, absl::StrCat("seed-", s.seed, ".io"));
  return j;
}

absl::StatusOr<Scenario> scenario_from_json(const nlohmann::ordered_json& j) {
  Scenario s;
  try {
    s.seed = j.at("seed").get<uint64_t>();
    s.fs = j.at("fs").get<std::string>();
    s.fs_overrides = fs_overrides_from_json(j);
    s.mix = j.value("mix", std::string("default"));
    s.nfiles = j.value("files", 3);
    s.ops_drawn = j.value("ops_drawn", 0);
    for (const auto& [name, value] : j.at("variants").items()) {
      s.variants.emplace_back(name, value.get<std::string>());
    }
    for (const auto& d : j.at("faults")) {
      absl::StatusOr<FiredFault> f = fault_from_json(d);
      if (!f.ok()) return f.status();
      s.faults.push_back(*std::move(f));
    }
    for (const auto& o : j.at("ops")) {
      absl::StatusOr<Op> op = Op::from_json(o);
      if (!op.ok()) return op.status();
      s.ops.push_back(*std::move(op));
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not a failure trace: ", e.what()));
  }
  if (absl::StatusOr<CampaignFs> fs = campaign_fs(s.fs, s.fs_overrides); !fs.ok()) return fs.status();
  if (s.nfiles < 1 || s.nfiles > 16) return absl::InvalidArgumentError("files: 1..16");
  for (const Op& op : s.ops) {
    if (op.file < 0 || op.file >= s.nfiles || (op.two_files() && (op.src < 0 || op.src >= s.nfiles))) {
      return absl::InvalidArgumentError(absl::StrCat("op on a file out of range: ", op.to_json().dump()));
    }
  }
  return s;
}

absl::StatusOr<Failure> failure_from_json(const nlohmann::ordered_json& j) {
  Failure f;
  try {
    f.kind = j.at("kind").get<std::string>();
    f.check = j.at("check").get<std::string>();
    f.message = j.at("message").get<std::string>();
    f.index = j.value("op_index", size_t{0});
    if (j.contains("violations")) f.violations = j.at("violations").get<std::vector<std::string>>();
    if (j.contains("op")) {
      absl::StatusOr<Op> op = Op::from_json(j.at("op"));
      if (op.ok()) f.op = *op;
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not a failure: ", e.what()));
  }
  return f;
}

}  // namespace vfssim
