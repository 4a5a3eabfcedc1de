// Persistent memory with poison: the DaxDevice interface and PmemDevice, a
// byte-addressable sparse region that is both a DAX device and a block device
// (Linux's drivers/nvdimm/pmem.c), with injectable, scrubbable poison.
//
// Poison is tracked per granule (default 64 B, a cache line) and reported as
// a badblocks list in 512 B sectors, like /sys/block/pmemN/badblocks. Three
// kinds of poison, as seed 004 distinguishes them:
//   - known: in the badblocks list. dax_direct_access refuses it, the
//     block read path fails with EIO without touching it, and the block write
//     path and zero_page_range clear it (when the device can).
//   - latent: on the media but not yet known to the driver, until a scrub
//     (ACPI ARS) finds it or a load consumes it (a machine check; memory
//     failure notifiers run, and it becomes known).
//   - a DRAM-emulated device (memmap=ss!nn): clearing "will succeed even
//     though no poison is corrected" (Dan Williams, seed 004).
// Plain stores through a DAX mapping (memcpy_flushcache) never clear poison.
//
//   PmemDevice pmem(m, {.size = 1ull << 30});
//   pmem.inject_poison(4096 + 128, 64, PoisonKind::kKnown);
//   pmem.dax_direct_access(0, 4);    // -> EHWPOISON: page 1 is poisoned.
//   pmem.dax_direct_access(0, 4, DaxAccessMode::kRecoveryWrite);  // -> 1.
//   pmem.zero_page_range(1, 1);      // Zeroes page 1 and clears its poison.

#ifndef VFSSIM_DRIVERS_PMEM_H_
#define VFSSIM_DRIVERS_PMEM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "drivers/blockdev.h"
#include "drivers/internal/sparse_store.h"
#include "sim/errno.h"
#include "sim/machine.h"

namespace vfssim {

inline constexpr uint64_t kPageSize = 4096;

// DaxDevice is what the DAX core and filesystems ask of a persistent-memory
// driver (Linux's struct dax_device and dax_operations). Addresses are byte
// offsets into the device, standing in for the kernel virtual addresses that
// dax_direct_access hands out.
// DaxAccessMode is dax_direct_access's mode (Linux 5.19's enum
// dax_access_mode): plain access, or a write that may recover poison.
enum class DaxAccessMode : uint8_t { kAccess, kRecoveryWrite };

class DaxDevice {
 public:
  virtual ~DaxDevice() = default;

  // dax_nr_pages is the device size in 4 KiB pages.
  virtual uint64_t dax_nr_pages() const = 0;

  // dax_direct_access maps nr_pages pages from page `pgoff` and returns how
  // many are available contiguously (fewer when the device ends). Known
  // poison anywhere in the range (latent poison is invisible here) answers
  // per the variant dax.direct_access: partial (5.19 and later, as 6.18):
  // EHWPOISON, or in kRecoveryWrite mode the pages before the first poisoned
  // sector rounded up to a page (at least 1), for recovery_write; whole
  // (5.15): EIO for the whole request, in either mode. Errors also: ERANGE
  // pgoff is at or past the end of the device (the DAX core's answer to
  // "none available").
  virtual Result<uint64_t> dax_direct_access(uint64_t pgoff, uint64_t nr_pages,
                                             DaxAccessMode mode = DaxAccessMode::kAccess) = 0;

  // recovery_write stores src at device offset `off` the way
  // pmem_recovery_write does: over no known poison, a plain store; over
  // poison only a page-aligned whole-page write can go, which first clears
  // the poison (when the device can). Returns the bytes stored: 0 when the
  // range is not page-aligned or the clear fails.
  virtual uint64_t recovery_write(uint64_t off, std::span<const std::byte> src) = 0;

  // zero_page_range writes zeros over whole pages and clears known poison in
  // them when the device can (Linux's dax_zero_page_range -> pmem_do_write).
  // Errors: ERANGE beyond the device; EIO the device cannot clear the poison
  // (clearing comes first: nothing is zeroed and the poison stays).
  virtual Errno zero_page_range(uint64_t pgoff, uint64_t nr_pages) = 0;

  // McCopy is what a machine-check-safe copy did.
  struct McCopy {
    uint64_t copied = 0;    // Bytes the destination took.
    bool poisoned = false;  // It stopped at poison and consumed it.
  };
  using Sink = SparseStore::Sink;
  using Source = SparseStore::Source;

  // copy_mc_to is a machine-check-safe load of the len bytes at `off`
  // straight into a destination (pmem_copy_to_iter's _copy_mc_to_iter):
  // `sink` is given the media's bytes piece by piece and returns how many
  // it took. The copy stops where the sink takes fewer (a fault in the
  // destination: the loads past it never happen, so poison there is not
  // consumed), or at the first poisoned granule (known or latent), which
  // it consumes: a memory-failure event for the granule's physical
  // address. Bytes past the end of the device are not handed over.
  virtual McCopy copy_mc_to(uint64_t off, uint64_t len, Sink sink) = 0;

  // copy_mc_to_kernel is copy_mc_to into a kernel buffer, which never
  // faults; it returns how many bytes were NOT copied (0: all copied).
  uint64_t copy_mc_to_kernel(std::span<std::byte> dst, uint64_t off);

  // memcpy_flushcache_from stores through the DAX mapping (a non-temporal
  // store plus flush) what `source` writes straight into the media at
  // `off` (dax_copy_from_iter's _copy_from_iter_flushcache), up to len
  // bytes; returns the bytes the source filled. Never clears poison. Bytes
  // past the end of the device are dropped.
  virtual uint64_t memcpy_flushcache_from(uint64_t off, uint64_t len, Source source) = 0;

  // memcpy_flushcache stores src at `off` the same way.
  void memcpy_flushcache(uint64_t off, std::span<const std::byte> src);
};

enum class PoisonKind : uint8_t { kKnown, kLatent };

// How the device answers a request to clear poison.
enum class PoisonClear : uint8_t {
  kClears,       // Clears known poison in the range (real NVDIMM, ACPI DSM).
  kEmulated,     // DRAM-emulated pmem: reports success, corrects nothing.
  kUnsupported,  // Cannot clear: the write lands, the poison stays, EIO.
};

struct PmemConfig {
  std::string name = "pmem0";
  uint64_t size = 1ull << 30;          // Multiple of 4 KiB.
  uint64_t phys_base = 0x100000000ull; // Physical address of byte 0.
  uint32_t poison_granularity = 64;    // Power of two, 64..4096.
  PoisonClear clear = PoisonClear::kClears;
};

// BadBlock is one line of the badblocks list: `count` sectors of 512 B from
// `sector`.
struct BadBlock {
  uint64_t sector;
  uint64_t count;
  friend bool operator==(const BadBlock&, const BadBlock&) = default;
};

// MemoryFailure is what a machine check reports to memory-failure notifiers.
struct MemoryFailure {
  std::string_view dev;
  uint64_t phys_addr;  // Physical address of the start of the poisoned granule.
};

struct PmemStats {
  uint64_t dax_accesses = 0;
  uint64_t mc_copies = 0;
  uint64_t stores = 0;
  uint64_t block_reads = 0;
  uint64_t block_writes = 0;
  uint64_t zero_pages = 0;
  uint64_t zero_page_calls = 0;  // zero_page_range requests.
  uint64_t machine_checks = 0;
  uint64_t cleared_granules = 0;
  uint64_t poison_injections = 0;  // inject_poison calls.
};

class PmemDevice : public BlockDevice, public DaxDevice {
 public:
  using Notifier = std::function<void(const MemoryFailure&)>;

  PmemDevice(Machine& machine, PmemConfig config);

  // BlockDevice: pmem used as a block device (logical block 512 B). Reads
  // fail with EIO on known poison without touching it, and on latent poison
  // by consuming it (machine check; it becomes known). Writes clear known
  // poison in granules they cover whole before storing (and store nothing
  // when that fails); FUA and flush are no-ops (the media
  // is persistent); WRITE_ZEROES and DISCARD are EOPNOTSUPP, so
  // blkdev_issue_zeroout falls back to writing zero pages, which clears
  // poison (the reason punch+rewrite recovers a poisoned block, seed 004).
  std::string_view name() const override { return config_.name; }
  uint32_t logical_block_size() const override { return kSectorSize; }
  uint64_t nr_sectors() const override { return config_.size >> kSectorShift; }
  IoResult read(uint64_t sector, std::span<std::byte> buf) override;
  IoResult write(uint64_t sector, std::span<const std::byte> buf, uint32_t flags = 0) override;
  Errno flush() override { return Errno::kOk; }
  Errno write_zeroes(uint64_t sector, uint64_t nr_sects, uint32_t flags = 0) override;
  Errno discard(uint64_t sector, uint64_t nr_sects) override;

  // DaxDevice.
  uint64_t dax_nr_pages() const override { return config_.size / kPageSize; }
  Result<uint64_t> dax_direct_access(uint64_t pgoff, uint64_t nr_pages,
                                     DaxAccessMode mode = DaxAccessMode::kAccess) override;
  uint64_t recovery_write(uint64_t off, std::span<const std::byte> src) override;
  Errno zero_page_range(uint64_t pgoff, uint64_t nr_pages) override;
  McCopy copy_mc_to(uint64_t off, uint64_t len, Sink sink) override;
  uint64_t memcpy_flushcache_from(uint64_t off, uint64_t len, Source source) override;

  // Injection and inspection. inject_poison poisons every granule that
  // overlaps [off, off+len). scrub (ACPI ARS) makes latent poison known and
  // returns how many granules it found. badblocks lists known poison in
  // merged sector runs; badblocks_text formats it as sysfs does ("sector
  // count" per line).
  void inject_poison(uint64_t off, uint64_t len, PoisonKind kind);
  uint64_t scrub();
  std::vector<BadBlock> badblocks() const;
  std::string badblocks_text() const;
  // poisoned is true if any granule overlapping the range holds poison of
  // any kind (what the media holds, not what the driver knows).
  bool poisoned(uint64_t off, uint64_t len) const;
  bool known_poisoned(uint64_t off, uint64_t len) const;

  // add_memory_failure_notifier registers `fn` for every machine check.
  void add_memory_failure_notifier(Notifier fn) { notifiers_.push_back(std::move(fn)); }

  const PmemStats& stats() const { return stats_; }
  const PmemConfig& config() const { return config_; }

 private:
  using PoisonMap = absl::btree_map<uint64_t, PoisonKind>;  // Granule index -> kind.

  // first_poison returns the first granule overlapping [off, off+len) with
  // poison (known only if known_only), or end().
  PoisonMap::const_iterator first_poison(uint64_t off, uint64_t len, bool known_only) const;
  // machine_check consumes the poisoned granule `g`: notifiers run and the
  // poison becomes known.
  void machine_check(uint64_t g);
  // maybe_mce runs the "pmem/read/mce" fault point for a read at `off`.
  void maybe_mce(uint64_t off);
  // clear_poison clears known poison in granules wholly inside the range,
  // per config_.clear. Returns EIO when the device cannot clear, or when
  // known poison remains in the range (a granule it covers only in part).
  Errno clear_poison(uint64_t off, uint64_t len);
  void trace(std::string_view op, uint64_t off, uint64_t len, Errno err);

  Machine& machine_;
  PmemConfig config_;
  SparseStore media_;
  PoisonMap poison_;
  std::vector<Notifier> notifiers_;
  PmemStats stats_;
};

}  // namespace vfssim

#endif  // VFSSIM_DRIVERS_PMEM_H_
