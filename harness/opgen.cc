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

}  // namespace

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
  const uint64_t kind = rng.uniform(kinds);
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
