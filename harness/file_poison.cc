#include "harness/file_poison.h"

#include <algorithm>

#include "vfs/host_io.h"
#include "vfs/uapi.h"

namespace vfssim {

Result<std::vector<PoisonedRange>> poison_file_range(Process& p, int fd, PmemDevice& pmem,
                                                     int64_t off, int64_t len, PoisonKind kind) {
  if (off < 0 || len <= 0 || off > kOffMax - len) return Fail(Errno::kEINVAL);
  Result<Stat> st = p.fstat(fd);
  if (!st) return Fail(st.error());
  const uint64_t start = static_cast<uint64_t>(off);
  const uint64_t end = std::min<uint64_t>(start + static_cast<uint64_t>(len), st->size);
  std::vector<PoisonedRange> done;
  if (start >= end) return done;
  // Only written blocks hold data on the media: an unwritten extent reads
  // as zeros without touching it, delalloc has no blocks yet.
  constexpr uint32_t kNoMedia = kFIEMAP_EXTENT_UNWRITTEN | kFIEMAP_EXTENT_DELALLOC |
                                kFIEMAP_EXTENT_UNKNOWN | kFIEMAP_EXTENT_DATA_INLINE |
                                kFIEMAP_EXTENT_NOT_ALIGNED;
  constexpr unsigned kExtentCount = 256;
  const uint64_t g = pmem.config().poison_granularity;
  // FIEMAP a batch of extents at a time, from where the last one ended.
  for (uint64_t next = start; next < end;) {
    Fiemap fi{.fm_start = next, .fm_length = end - next, .fm_extent_count = kExtentCount};
    if (Errno e = host::fiemap(p, fd, &fi); e != Errno::kOk) return Fail(e);
    if (fi.fm_extents.empty()) break;
    for (const FiemapExtent& e : fi.fm_extents) {
      next = std::max(next, e.fe_logical + e.fe_length);
      if (e.fe_flags & kNoMedia) continue;
      // A shared block's poison would show in every file and offset sharing
      // it (memory failure notifies each owner), which the oracle models per
      // file: only blocks this range alone maps are poisoned. (A clone or
      // copy of a poisoned block shares its poison: the model copies it.)
      if (e.fe_flags & kFIEMAP_EXTENT_SHARED) continue;
      const uint64_t e_end = e.fe_logical + e.fe_length;
      uint64_t lo = std::max(start, e.fe_logical);
      uint64_t hi = std::min(end, e_end);
      if (lo >= hi) continue;
      // inject_poison poisons whole granules: widen the file range by as
      // much, inside the extent (extents are block-aligned on both sides).
      const uint64_t dev_lo = e.fe_physical + (lo - e.fe_logical);
      const uint64_t dev_hi = e.fe_physical + (hi - e.fe_logical);
      lo = std::max(e.fe_logical, lo - (dev_lo % g));
      hi = std::min(e_end, hi + (dev_hi % g == 0 ? 0 : g - dev_hi % g));
      const uint64_t at = e.fe_physical + (lo - e.fe_logical);
      pmem.inject_poison(at, hi - lo, kind);
      done.push_back({lo, at, hi - lo});
    }
    if (fi.fm_extents.back().fe_flags & kFIEMAP_EXTENT_LAST) break;
  }
  return done;
}

}  // namespace vfssim
