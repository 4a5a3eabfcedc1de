// The demo, run by `vfssim demo` (the README's run command): a guided tour
// written in `vfssim io`'s shell language, printed as a session transcript.
//
//   std::ostringstream out;
//   int surprises = run_tour({.seed = 7}, out);  // 0: every step as the seeds say
//
// The tour runs on the XFS-like filesystem on pmem mounted dax=always: a
// file is written, poisoned and read (EIO), recovered by punch+write and by
// FALLOC_FL_ZEROINIT_RANGE with FIEMAP before and after (seed 004), space
// is deallocated with fspacectl and its rmsr shown (seed 000); a second
// session on the same filesystem behind MINIX's VFS boundary
// (ipc=safecopy) compares CPF_TRY's repeat policies on a live short read
// and prints seed 003's table. Each step says in one line what it shows and
// which seed it comes from, and says what it expects in a machine-checkable
// way; an unmet expectation prints an UNEXPECTED line. The seed chooses the
// offsets, lengths and fill bytes, so one seed always prints one transcript.
//
// run_driver_demo is the earlier tour of the devices themselves (`vfssim
// demo --drivers`).

#ifndef VFSSIM_TOOLS_DEMO_H_
#define VFSSIM_TOOLS_DEMO_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/errno.h"
#include "sim/machine.h"

namespace vfssim {

// DemoSettings are the API variants and fault plans the demo's command line
// gives (--variant NAME=VALUE, --fault POINT=PLAN), checked when added.
class DemoSettings {
 public:
  // add_variant takes "NAME=VALUE" (see `vfssim variants`). Errors: EINVAL
  // no '=', an unknown variant or a value it does not have.
  Errno add_variant(std::string_view arg);

  // add_fault takes "POINT=PLAN" (see `vfssim faults`, FaultPlan::parse).
  // Errors: EINVAL no '=', an unknown point or a plan that does not parse.
  Errno add_fault(std::string_view arg);

  // apply sets the variants and arms the plans on `machine`.
  void apply(Machine& machine) const;

  // shell_lines are the same settings as `vfssim io` commands ("variant
  // set NAME VALUE", then "fault arm POINT=PLAN"), in the order given.
  std::vector<std::string> shell_lines() const;

  bool empty() const { return variants_.empty() && faults_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> variants_;  // name, value
  std::vector<std::pair<std::string, std::string>> faults_;    // point, plan
};

struct TourOptions {
  uint64_t seed = 1;
  // Run first in each session, as shell commands shown in the transcript.
  DemoSettings settings;
  // When set, each session's JSON Lines trace is written here after it
  // runs, in order (each begins with its own boot record).
  std::ostream* trace = nullptr;
};

// run_tour runs the tour and prints its transcript to `out`. Returns the
// number of unmet expectations (0 = every step as the seeds say).
// Deterministic: the same options print the same bytes and write the same
// traces.
int run_tour(const TourOptions& opt, std::ostream& out);

// run_driver_demo drives a block device, a thin pool and a pmem device on
// `machine`, then a shmfs file through user memory and under ipc=safecopy,
// printing each step and its result to `out`. Returns the number
// of steps whose result differed from what the model promises (0 = all as
// expected). Deterministic: the same seed prints the same text.
int run_driver_demo(Machine& machine, std::ostream& out);

}  // namespace vfssim

#endif  // VFSSIM_TOOLS_DEMO_H_
