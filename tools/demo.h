// The demo: a short, readable tour of the simulated block device and pmem,
// user memory at the syscall boundary, and MINIX safecopy's repeat policies,
// run by `vfssim demo` (the README's run command).

#ifndef VFSSIM_TOOLS_DEMO_H_
#define VFSSIM_TOOLS_DEMO_H_

#include <cstdint>
#include <ostream>

#include "sim/machine.h"

namespace vfssim {

// run_driver_demo drives a block device, a thin pool and a pmem device on
// `machine`, then a shmfs file through user memory and under ipc=safecopy,
// printing each step and its result to `out`. Returns the number
// of steps whose result differed from what the model promises (0 = all as
// expected). Deterministic: the same seed prints the same text.
int run_driver_demo(Machine& machine, std::ostream& out);

}  // namespace vfssim

#endif  // VFSSIM_TOOLS_DEMO_H_
