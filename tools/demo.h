// The driver demo: a short, readable tour of the simulated block device and
// pmem, run by `vfssim demo` (the README's run command).

#ifndef VFSSIM_TOOLS_DEMO_H_
#define VFSSIM_TOOLS_DEMO_H_

#include <cstdint>
#include <ostream>

#include "sim/machine.h"

namespace vfssim {

// run_driver_demo drives a block device, a thin pool and a pmem device on
// `machine`, printing each step and its result to `out`. Returns the number
// of steps whose result differed from what the model promises (0 = all as
// expected). Deterministic: the same seed prints the same text.
int run_driver_demo(Machine& machine, std::ostream& out);

}  // namespace vfssim

#endif  // VFSSIM_TOOLS_DEMO_H_
