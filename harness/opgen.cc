#include "harness/opgen.h"

#include <algorithm>
#include <iterator>

namespace vfssim {
namespace {

// An offset or length near a page boundary, sometimes arbitrary.
int64_t pick(Rng& rng, int64_t max) {
  switch (rng.uniform(4)) {
    case 0:
      return static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max) / 4096 + 1)) * 4096;
    case 1: {  // A few bytes either side of a page boundary.
      const int64_t page =
          static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max) / 4096 + 1)) * 4096;
      return std::max<int64_t>(0, page + static_cast<int64_t>(rng.range(0, 8)) - 4);
    }
    case 2:
      return static_cast<int64_t>(rng.uniform(512));
    default:
      return static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max)));
  }
}

// A block-aligned offset or length mostly (4 KiB, or 1 KiB for filesystems
// with smaller blocks), sometimes a few bytes off.
int64_t pick_aligned(Rng& rng, int64_t max) {
  const int64_t unit = rng.bernoulli(0.7) ? 4096 : 1024;
  const int64_t v = static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(max / unit) + 1)) * unit;
  return rng.bernoulli(0.1) ? v + static_cast<int64_t>(rng.range(1, 600)) : v;
}

}  // namespace

OpGenConfig opgen_config(const FsSpec& spec) {
  OpGenConfig cfg;
  cfg.nfiles = 3;
  cfg.poison = spec.poisonable();
  cfg.clone = spec.reflink ? 3 : 1;
  cfg.dedupe = spec.reflink ? 2 : 1;
  cfg.copy_range = 2;
  cfg.dio_pwrite = 2;
  cfg.mwrite = 2;
  cfg.unshare = spec.reflink ? 1 : 0;
  return cfg;
}

// random_later_op draws one of the later kinds, `which` in the order of
// OpGenConfig's weights.
Op random_later_op(Rng& rng, const OpGenConfig& cfg, int which, int file) {
  auto other = [&] { return static_cast<int>(rng.uniform(static_cast<uint64_t>(cfg.nfiles))); };
  const uint8_t fill = static_cast<uint8_t>(rng.range(1, 255));
  switch (which) {
    case 0: {
      // A clone from the start of a block; length 0 (to EOF) a tenth of
      // the time.
      const int64_t len = rng.bernoulli(0.1) ? 0 : pick_aligned(rng, cfg.max_offset / 4);
      return Op::clone(other(), pick_aligned(rng, cfg.max_offset / 2), file,
                       pick_aligned(rng, cfg.max_offset), len);
    }
    case 1:
      // Dedupe compares: the same offsets in two files hold the same bytes
      // after a clone or copy between them, so those come often.
      if (rng.bernoulli(0.4)) {
        const int64_t at = pick_aligned(rng, cfg.max_offset / 2);
        return Op::dedupe(other(), at, file, at, pick_aligned(rng, cfg.max_offset / 4));
      }
      return Op::dedupe(other(), pick_aligned(rng, cfg.max_offset / 2), file,
                        pick_aligned(rng, cfg.max_offset), pick_aligned(rng, cfg.max_offset / 4));
    case 2:
      return Op::copy_range(other(), pick(rng, cfg.max_offset / 2), file, pick(rng, cfg.max_offset),
                            pick(rng, cfg.max_offset / 4));
    case 3: {
      // Sector-aligned, mostly.
      if (rng.bernoulli(0.15)) {
        return Op::dio_pwrite(file, pick(rng, cfg.max_offset), rng.range(1, 9000), fill);
      }
      const int64_t unit = rng.bernoulli(0.5) ? 4096 : 512;
      return Op::dio_pwrite(file, static_cast<int64_t>(rng.uniform(static_cast<uint64_t>(cfg.max_offset / unit))) * unit,
                            rng.range(1, 16) * unit, fill);
    }
    case 4:
      // A few bytes to a few pages, anywhere: past EOF the store faults.
      return Op::mwrite(file, pick(rng, cfg.max_offset),
                        rng.bernoulli(0.5) ? rng.range(1, 300) : rng.range(1, 3) * 4096, fill);
    default:
      return Op::fallocate(file, kFALLOC_FL_UNSHARE_RANGE | (rng.bernoulli(0.5) ? kFALLOC_FL_KEEP_SIZE : 0),
                           pick_aligned(rng, cfg.max_offset), pick_aligned(rng, cfg.max_offset / 2));
  }
}

Op random_op(Rng& rng, const OpGenConfig& cfg) {
  const int file = static_cast<int>(rng.uniform(static_cast<uint64_t>(cfg.nfiles)));
  const int64_t off = pick(rng, cfg.max_offset);
  int64_t len = pick(rng, cfg.max_offset / 2);
  if (rng.bernoulli(0.03)) len = -len - 1;  // Invalid on purpose.
  static constexpr int kModes[] = {
      0,
      kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_ZERO_RANGE,
      kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_COLLAPSE_RANGE,
      kFALLOC_FL_INSERT_RANGE,
      kFALLOC_FL_PUNCH_HOLE,  // Invalid without KEEP_SIZE.
  };
  // Optional kinds come last, so a config without them draws as before.
  const uint64_t kinds = 9 + (cfg.fspacectl ? 1 : 0) + (cfg.poison ? 1 : 0);
  const int weights[] = {cfg.clone, cfg.dedupe, cfg.copy_range, cfg.dio_pwrite, cfg.mwrite, cfg.unshare};
  uint64_t later = 0;
  for (int w : weights) later += static_cast<uint64_t>(std::max(w, 0));
  uint64_t kind = rng.uniform(kinds + later);
  if (kind >= kinds) {
    kind -= kinds;
    int which = 0;
    while (kind >= static_cast<uint64_t>(std::max(weights[which], 0))) {
      kind -= static_cast<uint64_t>(std::max(weights[which], 0));
      ++which;
    }
    return random_later_op(rng, cfg, which, file);
  }
  switch (kind) {
    case 0:
    case 1:
    case 2:
      // Byte counts are size_t: only range ops get invalid lengths.
      return Op::pwrite(file, off, (len < 0 ? -len : len) % 20000,
                        static_cast<uint8_t>(rng.range(1, 255)));
    case 3:
      return Op::pread(file, off, len < 0 ? -len : len);
    case 4:
      return Op::truncate(file, pick(rng, cfg.max_offset));
    case 5:
      return Op::fallocate(file, kModes[rng.uniform(std::size(kModes))], off, len);
    case 6:
      return rng.bernoulli(0.5) ? Op::seek_data(file, off) : Op::seek_hole(file, off);
    case 7:
      return Op::fiemap(file, off, len <= 0 ? 1 : len);
    case 8:
      return Op::fsync(file);
    default:
      if (kind == 9 && cfg.fspacectl) return Op::fspacectl(file, off, len);
      // A page or a few, or a few bytes (the whole granule is poisoned).
      return Op::poison(file, off, rng.bernoulli(0.5) ? 4096 * rng.range(1, 3) : rng.range(1, 200));
  }
}

std::vector<Op> random_ops(Rng& rng, int n, const OpGenConfig& cfg) {
  std::vector<Op> ops;
  ops.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    ops.push_back(random_op(rng, cfg));
    ops.back().id = i;
  }
  return ops;
}

}  // namespace vfssim
