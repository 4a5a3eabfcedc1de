// sim_filesystems: the registry of simulated filesystems the harness suites
// run on — the oracle property suite once per entry, the differential
// against each host counterpart. A new filesystem is one line in
// sim_filesystems.cc.
//
//   for (const FsSpec& spec : sim_filesystems()) {
//     SimBackend sim(seed, spec);
//     ...
//   }

#ifndef VFSSIM_HARNESS_SIM_FILESYSTEMS_H_
#define VFSSIM_HARNESS_SIM_FILESYSTEMS_H_

#include <string_view>
#include <vector>

#include "harness/fs_spec.h"

namespace vfssim {

// sim_filesystems lists every simulated filesystem, in a fixed order.
const std::vector<FsSpec>& sim_filesystems();

// sim_filesystem is the entry named `name`. Precondition: it exists.
const FsSpec& sim_filesystem(std::string_view name);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_SIM_FILESYSTEMS_H_
