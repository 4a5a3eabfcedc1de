// Block devices: the BlockDevice interface every block driver implements,
// blkdev_issue_zeroout on top of it, and SimBlockDevice, a sparse simulated
// disk with a volatile write cache, thin provisioning and media errors.
//
// Addresses are in 512-byte sectors (Linux's sector_t) whatever the logical
// block size; requests must be aligned to the logical block size (512 or
// 4096). Reads and writes report partial progress as IoResult{bytes, errno}.
//
//   Machine m(1);
//   SimBlockDevice disk(m, {.name = "sda", .capacity_bytes = 1ull << 40});
//   disk.write(8, page, kReqFua);     // Durable at once.
//   disk.write(16, page);             // Volatile until flush().
//   disk.power_cut();                 // Sector 16 is lost; sector 8 is not.

#ifndef VFSSIM_DRIVERS_BLOCKDEV_H_
#define VFSSIM_DRIVERS_BLOCKDEV_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_set.h"
#include "drivers/internal/sparse_store.h"
#include "sim/errno.h"
#include "sim/machine.h"

namespace vfssim {

inline constexpr uint64_t kSectorSize = 512;
inline constexpr int kSectorShift = 9;

// Request flags (a subset of Linux's REQ_* flags).
enum ReqFlag : uint32_t {
  // REQ_FUA: the write is on stable media when it completes, cache or not.
  kReqFua = 1u << 0,
  // REQ_NOUNMAP on WRITE_ZEROES: the device must keep the range's backing
  // space allocated. Without it a thin-provisioned device may release it,
  // and a later write can fail with ENOSPC (seed 004, review of patch 2/5).
  kReqNoUnmap = 1u << 1,
};

// The operation of a request, as a per-request hook sees it.
enum class ReqOp : uint8_t { kRead, kWrite, kFlush, kWriteZeroes, kDiscard };

std::string_view req_op_name(ReqOp op);

// BlockRequest describes one request for hooks and traces.
struct BlockRequest {
  ReqOp op;
  uint64_t sector = 0;
  uint64_t nr_sectors = 0;
  uint32_t flags = 0;
};

// BlockDevice is what a filesystem asks of a block driver (the Linux
// block_device plus the request operations it submits). Implementations:
// SimBlockDevice, and PmemDevice (pmem used as a block device).
class BlockDevice {
 public:
  virtual ~BlockDevice() = default;

  virtual std::string_view name() const = 0;

  // logical_block_size is the smallest addressable unit in bytes (512 or
  // 4096); every request's start and length must be a multiple of it.
  virtual uint32_t logical_block_size() const = 0;

  // nr_sectors is the capacity in 512-byte sectors.
  virtual uint64_t nr_sectors() const = 0;

  // read fills buf from `sector` on. Returns the bytes read before an error.
  // Errors: EINVAL misaligned start or length; EIO beyond the end of the
  // device (nothing read), or a media error (done = bytes before the bad
  // block).
  virtual IoResult read(uint64_t sector, std::span<std::byte> buf) = 0;

  // write stores buf at `sector`. flags: kReqFua. A write is all or nothing
  // at this level unless the device says otherwise.
  // Errors: EINVAL misaligned; EIO beyond the end or a device failure;
  // ENOSPC a thin pool cannot back the range.
  virtual IoResult write(uint64_t sector, std::span<const std::byte> buf,
                         uint32_t flags = 0) = 0;

  // flush makes every completed write durable (REQ_PREFLUSH).
  // Errors: EIO; on failure unflushed writes stay volatile.
  virtual Errno flush() = 0;

  // write_zeroes zeroes nr_sects sectors with the device's accelerated
  // command (REQ_OP_WRITE_ZEROES); flags: kReqNoUnmap.
  // Errors: EINVAL misaligned; EOPNOTSUPP the device has no such command (the
  // caller falls back to writing zero pages); EIO beyond the end or a device
  // failure; ENOSPC a thin pool cannot back the range.
  virtual Errno write_zeroes(uint64_t sector, uint64_t nr_sects, uint32_t flags = 0) = 0;

  // discard tells the device the range's data is no longer needed
  // (REQ_OP_DISCARD); the range reads as zeros afterwards.
  // Errors: EINVAL misaligned; EOPNOTSUPP unsupported; EIO beyond the end.
  virtual Errno discard(uint64_t sector, uint64_t nr_sects) = 0;
};

// Flags for blkdev_issue_zeroout (Linux's BLKDEV_ZERO_*).
enum ZerooutFlag : uint32_t {
  kZeroNoUnmap = 1u << 0,     // Pass REQ_NOUNMAP: keep the space allocated.
  kZeroNoFallback = 1u << 1,  // Only the accelerated command; no zero pages.
};

// blkdev_issue_zeroout zeroes a sector range, as Linux's namesake: with
// WRITE_ZEROES when the device has it, otherwise (unless kZeroNoFallback) by
// writing pages of zeros.
// Errors: EINVAL misaligned to the logical block size; EOPNOTSUPP no
// accelerated command and kZeroNoFallback; otherwise the device's errno.
Errno blkdev_issue_zeroout(BlockDevice& bdev, uint64_t sector, uint64_t nr_sects,
                           uint32_t flags);

// ThinPool is the shared backing store of thin-provisioned volumes (a
// dm-thin pool): volumes draw blocks from it on first write and give them
// back on discard or unmapping WRITE_ZEROES.
class ThinPool {
 public:
  ThinPool(uint64_t nr_blocks, uint32_t block_size = 4096)
      : nr_blocks_(nr_blocks), block_size_(block_size) {}

  uint32_t block_size() const { return block_size_; }
  uint64_t nr_blocks() const { return nr_blocks_; }
  uint64_t used_blocks() const { return used_; }
  uint64_t free_blocks() const { return nr_blocks_ - used_; }

  // take reserves n blocks; false (nothing reserved) if fewer are free.
  bool take(uint64_t n) {
    if (n > free_blocks()) return false;
    used_ += n;
    return true;
  }
  void give(uint64_t n) { used_ -= n; }

 private:
  uint64_t nr_blocks_;
  uint32_t block_size_;
  uint64_t used_ = 0;
};

struct BlockDeviceConfig {
  std::string name = "sda";
  uint64_t capacity_bytes = 1ull << 30;
  uint32_t logical_block_size = 512;  // 512 or 4096.
  // A volatile write cache: writes are durable only after flush() or with
  // kReqFua. Without one every completed write is durable.
  bool volatile_cache = true;
  bool supports_write_zeroes = true;
  bool supports_discard = true;
  // Set: the device is a thin volume drawing its space from this pool.
  std::shared_ptr<ThinPool> thin_pool;
};

// Counters of requests submitted (after argument checks) and bytes moved.
struct BlockStats {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t fua_writes = 0;
  uint64_t flushes = 0;
  uint64_t write_zeroes = 0;
  uint64_t discards = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
  uint64_t bytes_zeroed = 0;
  uint64_t remapped_blocks = 0;  // Bad blocks cleared by a write.
};

class SimBlockDevice : public BlockDevice {
 public:
  // A hook sees every request after its argument checks and fault points;
  // returning anything but kOk fails the request with that errno, untouched.
  using Hook = std::function<Errno(const BlockRequest&)>;

  // Requires capacity and logical block size to be multiples of 512, the
  // block size 512 or 4096, and capacity a multiple of it.
  SimBlockDevice(Machine& machine, BlockDeviceConfig config);
  ~SimBlockDevice() override;

  std::string_view name() const override { return config_.name; }
  uint32_t logical_block_size() const override { return config_.logical_block_size; }
  uint64_t nr_sectors() const override { return config_.capacity_bytes >> kSectorShift; }

  IoResult read(uint64_t sector, std::span<std::byte> buf) override;
  IoResult write(uint64_t sector, std::span<const std::byte> buf, uint32_t flags = 0) override;
  Errno flush() override;
  Errno write_zeroes(uint64_t sector, uint64_t nr_sects, uint32_t flags = 0) override;
  Errno discard(uint64_t sector, uint64_t nr_sects) override;

  // Media errors. inject_bad_sector makes the logical block holding `sector`
  // a latent bad block: reads of it fail with EIO until a write covers it
  // (the drive remaps it, as disks do).
  void inject_bad_sector(uint64_t sector);
  bool is_bad(uint64_t sector) const;
  uint64_t bad_blocks() const { return bad_.size(); }

  // Persistence. durable_image is what would survive a power cut now: the
  // flushed state plus FUA writes. pending_writes counts the volatile
  // requests (writes, zeroes, discards) since the last flush, in order;
  // durable_image_with(subset) is the durable image had exactly those pending
  // requests (indices into that order) also reached the media, for crash-state
  // enumeration. power_cut drops every volatile write.
  SparseStore durable_image() const { return durable_; }
  size_t pending_writes() const { return pending_.size(); }
  SparseStore durable_image_with(std::span<const size_t> subset) const;
  void power_cut();

  // image is what reads see now.
  const SparseStore& image() const { return current_; }

  // provisioned_blocks counts pool blocks this thin volume holds.
  uint64_t provisioned_blocks() const { return provisioned_.size(); }

  void set_hook(Hook hook) { hook_ = std::move(hook); }
  const BlockStats& stats() const { return stats_; }

 private:
  struct Pending {
    ReqOp op;  // kWrite, kWriteZeroes or kDiscard.
    uint64_t sector;
    uint64_t nr_sectors;
    std::vector<std::byte> data;  // kWrite only.
    bool durable;                 // FUA: already on the media.
  };

  // misaligned: the range is not in whole logical blocks.
  bool misaligned(uint64_t sector, uint64_t nr_sects) const;
  // check_range validates alignment (EINVAL) and bounds (EIO).
  Errno check_range(uint64_t sector, uint64_t nr_sects) const;
  // submit runs the fault point and the hook for a request.
  Errno submit(const BlockRequest& req, FaultPoint fault_point);
  // provision reserves pool blocks for [sector, +nr), or only for the
  // partially covered ones with skip_whole; ENOSPC if the pool cannot back
  // all of them (then nothing is reserved).
  Errno provision(uint64_t sector, uint64_t nr_sects, bool skip_whole = false);
  // unprovision gives back pool blocks wholly inside [sector, +nr).
  void unprovision(uint64_t sector, uint64_t nr_sects);
  // clear_bad remaps bad blocks in the range; counts them.
  void clear_bad(uint64_t sector, uint64_t nr_sects);
  // commit applies a request to the visible image and, by the cache rules,
  // to the durable image and/or the pending log.
  void commit(Pending p);
  static void apply(SparseStore& store, const Pending& p);
  void trace(const BlockRequest& req, Errno err, uint64_t done_bytes);

  Machine& machine_;
  BlockDeviceConfig config_;
  SparseStore current_;
  SparseStore durable_;
  std::vector<Pending> pending_;
  absl::btree_set<uint64_t> bad_;          // Sector numbers of bad logical blocks.
  absl::btree_set<uint64_t> provisioned_;  // Pool block indices held.
  Hook hook_;
  BlockStats stats_;
};

}  // namespace vfssim

#endif  // VFSSIM_DRIVERS_BLOCKDEV_H_
