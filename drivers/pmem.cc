#include "drivers/pmem.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "absl/strings/str_format.h"
#include "sim/variants.h"

namespace vfssim {

PmemDevice::PmemDevice(Machine& machine, PmemConfig config)
    : machine_(machine), config_(std::move(config)) {
  const uint32_t g = config_.poison_granularity;
  if (config_.size % kPageSize != 0 || g < 64 || g > kPageSize || (g & (g - 1)) != 0) {
    absl::FPrintF(stderr, "vfssim: bad pmem geometry for %s\n", config_.name);
    std::abort();
  }
}

void PmemDevice::trace(std::string_view op, uint64_t off, uint64_t len, Errno err) {
  machine_.trace.record("pmem", {{"dev", config_.name},
                                 {"op", op},
                                 {"off", off},
                                 {"len", len},
                                 {"err", err}});
}

PmemDevice::PoisonMap::const_iterator PmemDevice::first_poison(uint64_t off, uint64_t len,
                                                               bool known_only) const {
  // Every read and write asks, and most devices hold no poison: no
  // division (the granularity is a power of two) and no tree walk then.
  if (len == 0 || poison_.empty()) return poison_.end();
  const int shift = std::countr_zero(config_.poison_granularity);
  const uint64_t last = (off + len - 1) >> shift;
  for (auto it = poison_.lower_bound(off >> shift); it != poison_.end() && it->first <= last; ++it) {
    if (!known_only || it->second == PoisonKind::kKnown) return it;
  }
  return poison_.end();
}

bool PmemDevice::poisoned(uint64_t off, uint64_t len) const {
  return first_poison(off, len, false) != poison_.end();
}

bool PmemDevice::known_poisoned(uint64_t off, uint64_t len) const {
  return first_poison(off, len, true) != poison_.end();
}

void PmemDevice::inject_poison(uint64_t off, uint64_t len, PoisonKind kind) {
  ++stats_.poison_injections;
  if (len == 0 || off >= config_.size) return;
  len = std::min(len, config_.size - off);
  const uint64_t g = config_.poison_granularity;
  for (uint64_t i = off / g; i <= (off + len - 1) / g; ++i) {
    auto [it, inserted] = poison_.emplace(i, kind);
    // Injecting known poison over latent makes it known; never the reverse.
    if (!inserted && kind == PoisonKind::kKnown) it->second = kind;
  }
  machine_.trace.record("pmem-inject",
                        {{"dev", config_.name},
                         {"off", off},
                         {"len", len},
                         {"kind", kind == PoisonKind::kKnown ? "known" : "latent"}});
}

uint64_t PmemDevice::scrub() {
  uint64_t found = 0;
  for (auto& [granule, kind] : poison_) {
    if (kind == PoisonKind::kLatent) {
      kind = PoisonKind::kKnown;
      ++found;
    }
  }
  machine_.trace.record("pmem-scrub", {{"dev", config_.name}, {"found", found}});
  return found;
}

std::vector<BadBlock> PmemDevice::badblocks() const {
  std::vector<BadBlock> out;
  const uint64_t g = config_.poison_granularity;
  for (const auto& [granule, kind] : poison_) {
    if (kind != PoisonKind::kKnown) continue;
    const uint64_t first = granule * g / kSectorSize;
    const uint64_t end = ((granule + 1) * g + kSectorSize - 1) / kSectorSize;
    if (!out.empty() && out.back().sector + out.back().count >= first) {
      out.back().count = std::max(out.back().count, end - out.back().sector);
    } else {
      out.push_back(BadBlock{first, end - first});
    }
  }
  return out;
}

std::string PmemDevice::badblocks_text() const {
  std::string out;
  for (const BadBlock& b : badblocks()) absl::StrAppendFormat(&out, "%d %d\n", b.sector, b.count);
  return out;
}

void PmemDevice::machine_check(uint64_t g) {
  ++stats_.machine_checks;
  poison_[g] = PoisonKind::kKnown;
  const MemoryFailure mf{config_.name, config_.phys_base + g * config_.poison_granularity};
  machine_.trace.record("memory-failure", {{"dev", config_.name}, {"phys", mf.phys_addr}});
  for (const Notifier& fn : notifiers_) fn(mf);
}

void PmemDevice::maybe_mce(uint64_t off) {
  if (machine_.faults.fire("pmem/read/mce")) inject_poison(off, 1, PoisonKind::kLatent);
}

Errno PmemDevice::clear_poison(uint64_t off, uint64_t len) {
  switch (config_.clear) {
    case PoisonClear::kEmulated:
      return Errno::kOk;
    case PoisonClear::kUnsupported:
      return Errno::kEIO;
    case PoisonClear::kClears:
      break;
  }
  const uint64_t g = config_.poison_granularity;
  const uint64_t first = (off + g - 1) / g;
  const uint64_t end = (off + len) / g;
  for (auto it = poison_.lower_bound(first); it != poison_.end() && it->first < end;) {
    if (it->second == PoisonKind::kKnown) {
      it = poison_.erase(it);
      ++stats_.cleared_granules;
    } else {
      ++it;
    }
  }
  // pmem_clear_poison: "if (cleared < len) rc = BLK_STS_IOERR". A known
  // poisoned granule the range covers only in part stays poisoned, and the
  // clear reports the failure instead of success.
  if (known_poisoned(off, len)) return Errno::kEIO;
  return Errno::kOk;
}

Result<uint64_t> PmemDevice::dax_direct_access(uint64_t pgoff, uint64_t nr_pages,
                                               DaxAccessMode mode) {
  ++stats_.dax_accesses;
  if (pgoff >= dax_nr_pages()) return Fail(Errno::kERANGE);
  const uint64_t avail = std::min(nr_pages, dax_nr_pages() - pgoff);
  auto bad = first_poison(pgoff * kPageSize, avail * kPageSize, /*known_only=*/true);
  if (bad == poison_.end()) return avail;
  // __pmem_direct_access over badblocks.
  if (machine_.variants.get(variant::kDaxDirectAccess) == variant::DaxDirectAccess::kWhole) {
    trace("dax_direct_access", pgoff * kPageSize, nr_pages * kPageSize, Errno::kEIO);
    return Fail(Errno::kEIO);  // 5.15: is_bad_pmem fails the request.
  }
  if (mode != DaxAccessMode::kRecoveryWrite) {
    trace("dax_direct_access", pgoff * kPageSize, nr_pages * kPageSize, Errno::kEHWPOISON);
    return Fail(Errno::kEHWPOISON);
  }
  // "actual_nr = PHYS_PFN(PAGE_ALIGN((first_bad - sector) << SECTOR_SHIFT))",
  // at least one page.
  const uint64_t first_bad_sector = bad->first * config_.poison_granularity / kSectorSize;
  const uint64_t bytes = (first_bad_sector - pgoff * kPageSize / kSectorSize) * kSectorSize;
  const uint64_t actual = (bytes + kPageSize - 1) / kPageSize;
  return std::min(avail, std::max<uint64_t>(actual, 1));
}

uint64_t PmemDevice::recovery_write(uint64_t off, std::span<const std::byte> src) {
  const uint64_t in_page = off % kPageSize;
  const uint64_t len = (in_page + src.size() + kPageSize - 1) / kPageSize * kPageSize;
  if (!known_poisoned(off - in_page, len)) {
    memcpy_flushcache(off, src);
    return src.size();
  }
  // "Not page-aligned range cannot be recovered."
  if (in_page != 0 || src.size() % kPageSize != 0) return 0;
  if (clear_poison(off, len) != Errno::kOk) return 0;
  ++stats_.stores;
  media_.write(off, src);
  trace("recovery_write", off, src.size(), Errno::kOk);
  return src.size();
}

Errno PmemDevice::zero_page_range(uint64_t pgoff, uint64_t nr_pages) {
  if (pgoff > dax_nr_pages() || nr_pages > dax_nr_pages() - pgoff) return Errno::kERANGE;
  const uint64_t off = pgoff * kPageSize;
  const uint64_t len = nr_pages * kPageSize;
  if (std::optional<Errno> e = machine_.faults.fire("pmem/zero/eio")) {
    trace("zero_page_range", off, len, *e);
    return *e;
  }
  stats_.zero_pages += nr_pages;
  machine_.clock.advance(CostModel::pmem_pages(len));
  ++stats_.zero_page_calls;
  // pmem_dax_zero_page_range is pmem_do_write of the zero page: clear
  // first; when that fails nothing is zeroed.
  if (known_poisoned(off, len)) {
    if (Errno e = clear_poison(off, len); e != Errno::kOk) {
      trace("zero_page_range", off, len, e);
      return e;
    }
  }
  media_.zero(off, len);
  trace("zero_page_range", off, len, Errno::kOk);
  return Errno::kOk;
}

uint64_t DaxDevice::copy_mc_to_kernel(std::span<std::byte> dst, uint64_t off) {
  SparseStore::ToBuffer to{dst.data()};
  return dst.size() - copy_mc_to(off, dst.size(), to).copied;
}

void DaxDevice::memcpy_flushcache(uint64_t off, std::span<const std::byte> src) {
  SparseStore::FromBuffer from{src.data()};
  memcpy_flushcache_from(off, src.size(), from);
}

DaxDevice::McCopy PmemDevice::copy_mc_to(uint64_t off, uint64_t len, Sink sink) {
  ++stats_.mc_copies;
  machine_.clock.advance(CostModel::pmem_pages(len));
  const uint64_t in_dev = off >= config_.size ? 0 : std::min<uint64_t>(len, config_.size - off);
  if (in_dev > 0) maybe_mce(off);
  uint64_t clean = in_dev;
  std::optional<uint64_t> bad;  // The granule the copy runs into.
  if (auto it = first_poison(off, in_dev, /*known_only=*/false); it != poison_.end()) {
    bad = it->first;
    const uint64_t start = *bad * config_.poison_granularity;
    clean = start > off ? start - off : 0;
  }
  McCopy c{.copied = media_.read_into(off, clean, sink)};
  // The destination may have faulted in (and cleared) pages of this very
  // device; only poison still there is consumed.
  if (c.copied == clean && bad && poison_.contains(*bad)) {
    machine_check(*bad);
    c.poisoned = true;
  }
  return c;
}

uint64_t PmemDevice::memcpy_flushcache_from(uint64_t off, uint64_t len, Source source) {
  ++stats_.stores;
  machine_.clock.advance(CostModel::pmem_pages(len));
  if (off >= config_.size) return 0;
  return media_.write_from(off, std::min<uint64_t>(len, config_.size - off), source);
}

IoResult PmemDevice::read(uint64_t sector, std::span<std::byte> buf) {
  if (buf.size() % kSectorSize != 0) return {0, Errno::kEINVAL};
  const uint64_t nr = buf.size() >> kSectorShift;
  if (sector > nr_sectors() || nr > nr_sectors() - sector) return {0, Errno::kEIO};
  ++stats_.block_reads;
  machine_.clock.advance(CostModel::pmem_pages(buf.size()));
  const uint64_t off = sector << kSectorShift;
  if (!buf.empty()) maybe_mce(off);
  IoResult r{buf.size(), Errno::kOk};
  // Known poison: the driver checks badblocks and fails without a load.
  // Latent poison: the load consumes it (a machine check).
  auto bad = first_poison(off, buf.size(), /*known_only=*/true);
  const bool known = bad != poison_.end();
  if (!known) bad = first_poison(off, buf.size(), /*known_only=*/false);
  if (bad != poison_.end()) {
    const uint64_t start = bad->first * config_.poison_granularity;
    const uint64_t good = start > off ? start - off : 0;
    r = {good - good % kSectorSize, Errno::kEIO};
    if (!known) machine_check(bad->first);
  }
  media_.read(off, buf.first(r.done));
  trace("read", off, buf.size(), r.err);
  return r;
}

IoResult PmemDevice::write(uint64_t sector, std::span<const std::byte> buf, uint32_t /*flags*/) {
  if (buf.size() % kSectorSize != 0) return {0, Errno::kEINVAL};
  const uint64_t nr = buf.size() >> kSectorShift;
  if (sector > nr_sectors() || nr > nr_sectors() - sector) return {0, Errno::kEIO};
  ++stats_.block_writes;
  machine_.clock.advance(CostModel::pmem_pages(buf.size()));
  const uint64_t off = sector << kSectorShift;
  if (std::optional<Errno> e = machine_.faults.fire("pmem/write/eio")) {
    trace("write", off, buf.size(), *e);
    return {0, *e};
  }
  // pmem_do_write (5.19 and later): known poison under the range is cleared
  // first, and when that fails the write stores nothing and reports it.
  if (known_poisoned(off, buf.size())) {
    if (Errno e = clear_poison(off, buf.size()); e != Errno::kOk) {
      trace("write", off, buf.size(), e);
      return {0, e};
    }
  }
  media_.write(off, buf);
  trace("write", off, buf.size(), Errno::kOk);
  return {buf.size(), Errno::kOk};
}

Errno PmemDevice::write_zeroes(uint64_t, uint64_t, uint32_t) { return Errno::kEOPNOTSUPP; }

Errno PmemDevice::discard(uint64_t, uint64_t) { return Errno::kEOPNOTSUPP; }

}  // namespace vfssim
