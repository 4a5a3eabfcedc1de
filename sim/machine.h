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

#include <cstdint>

#include "sim/clock.h"
#include "sim/fault.h"
#include "sim/rng.h"
#include "sim/trace.h"
#include "sim/variants.h"

namespace vfssim {

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
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_MACHINE_H_
