// Machine: the simulated machine one simulation runs on.
//
// One seed decides everything: the root Rng is created from it and every
// consumer takes a named stream; the clock starts at the same instant; the
// trace is empty; no fault is armed. Two Machines with the same seed, driven
// by the same inputs, produce byte-identical traces.
//
//   Machine m(42);
//   SimBlockDevice disk(m, {.name = "sda", .capacity_bytes = 1 << 30});
//   m.faults.arm("blockdev/write/eio", FaultPlan::nth(2));

#ifndef VFSSIM_SIM_MACHINE_H_
#define VFSSIM_SIM_MACHINE_H_

#include <algorithm>
#include <cstdint>

#include "sim/clock.h"
#include "sim/fault.h"
#include "sim/rng.h"
#include "sim/trace.h"
#include "sim/variants.h"

namespace vfssim {

// MemoryPool is the simulated machine's memory for pages that live nowhere
// else (shmfs/tmpfs and memfd pages, resident or swapped): every instance
// draws from one pool, as every tmpfs draws from RAM, so no sequence of
// requests can exhaust the host's memory. Device contents, the page cache
// and process memory are not counted.
struct MemoryPool {
  static constexpr uint64_t kDefaultPages = (2ull << 30) / 4096;  // 2 GiB.

  // charge takes n pages; false (and nothing taken) when fewer are free.
  bool charge(uint64_t n) {
    if (n > limit_pages - used_pages) return false;
    used_pages += n;
    return true;
  }
  void uncharge(uint64_t n) { used_pages -= std::min(n, used_pages); }

  uint64_t limit_pages = kDefaultPages;
  uint64_t used_pages = 0;
};

struct Machine {
  explicit Machine(uint64_t seed, bool keep_trace = true)
      : seed(seed),
        rng(seed),
        trace(&clock, keep_trace),
        faults(rng.stream("faults"), &trace),
        variants(&trace) {
    // Every trace says which variant of every API it ran under, defaults
    // included; later changes are traced as "variant" records.
    trace.record("boot", {{"seed", seed}, {"variants", variants.in_force()}});
  }
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const uint64_t seed;
  Rng rng;  // The root: take named streams, never draw from it directly.
  Clock clock;
  Trace trace;
  FaultInjector faults;
  Variants variants;
  MemoryPool memory;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_MACHINE_H_
