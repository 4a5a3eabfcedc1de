// Clock: simulated time in nanoseconds, advanced only by the simulation.
//
// Nothing in vfssim reads the host's clock. Timestamps (mtime, ctime, trace
// times) come from here, so a run replays to the same nanosecond. Time moves
// only by the CostModel: every syscall and every device command advances it
// by a fixed, documented amount, so two calls never share a timestamp and
// the stamps a call updates are observably newer than the ones it left.
//
//   Clock clock;
//   inode.mtime = clock.now();
//   clock.advance(kNsPerUs);  // a device command took one microsecond

#ifndef VFSSIM_SIM_CLOCK_H_
#define VFSSIM_SIM_CLOCK_H_

#include <cstdint>

namespace vfssim {

inline constexpr uint64_t kNsPerUs = 1000;
inline constexpr uint64_t kNsPerSec = 1000 * 1000 * 1000;

// Timespec mirrors struct timespec.
struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;

  friend bool operator==(const Timespec&, const Timespec&) = default;
  friend auto operator<=>(const Timespec&, const Timespec&) = default;
};

// CostModel: what each simulated action costs in simulated time. The
// figures are round numbers of the right order for a current x86 server
// with an NVMe drive and Optane-class pmem; they exist so time moves, not to
// predict performance. Changing one changes traces (their "t"), never what
// a call answers.
struct CostModel {
  // A syscall: entry, the VFS work, exit. Charged as the call returns.
  static constexpr uint64_t kSyscallNs = 1000;
  // A block device command (read, write, flush, discard, write-zeroes):
  // a fixed latency plus the transfer of its data.
  static constexpr uint64_t kBlockCommandNs = 10 * kNsPerUs;
  static constexpr uint64_t kBlockNsPerKiB = 250;  // 4 GB/s.
  // A pmem access through the block path or DAX: per 4 KiB page touched.
  static constexpr uint64_t kPmemNsPerPage = 300;

  static constexpr uint64_t block_command(uint64_t bytes) {
    return kBlockCommandNs + (bytes + 1023) / 1024 * kBlockNsPerKiB;
  }
  static constexpr uint64_t pmem_pages(uint64_t bytes) {
    return (bytes + 4095) / 4096 * kPmemNsPerPage;
  }
};

class Clock {
 public:
  // Simulated boot time: 2024-01-01T00:00:00Z, so timestamps look plausible.
  static constexpr uint64_t kEpochNs = 1704067200ull * kNsPerSec;

  uint64_t now_ns() const { return now_ns_; }

  Timespec now() const {
    return Timespec{static_cast<int64_t>(now_ns_ / kNsPerSec),
                    static_cast<int64_t>(now_ns_ % kNsPerSec)};
  }

  // advance moves time forward by `ns`. Time never goes backwards.
  void advance(uint64_t ns) { now_ns_ += ns; }

 private:
  uint64_t now_ns_ = kEpochNs;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_CLOCK_H_
