// Clock: simulated time in nanoseconds, advanced only by the simulation.
//
// Nothing in vfssim reads the host's clock. Timestamps (mtime, ctime, trace
// times) come from here, so a run replays to the same nanosecond.
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
