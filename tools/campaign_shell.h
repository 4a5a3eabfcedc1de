// campaign_shell: does a campaign's minimized case replay in `vfssim io`?
//
// verify_in_shell runs the case twice side by side: in the simulator
// backend with the oracle, as the campaign ran it, and as its io_script in
// an IoShell built like the case's filesystem. After every op it compares
// every file, block by block (the bytes, or the errno a read of the block
// gave), between the two; for an fsck failure the shell's own fsck must
// find something too. The answer is one line for the report: "reproduces:
// ...", "differs: ..." (where the shell left the simulator's path), or "not
// replayable: ..." (a filesystem the shell cannot build).
//
//   std::string said = verify_in_shell(min.scenario, min.failure);

#ifndef VFSSIM_TOOLS_CAMPAIGN_SHELL_H_
#define VFSSIM_TOOLS_CAMPAIGN_SHELL_H_

#include <string>

#include "harness/campaign.h"

namespace vfssim {

std::string verify_in_shell(const Scenario& s, const Failure& f);

}  // namespace vfssim

#endif  // VFSSIM_TOOLS_CAMPAIGN_SHELL_H_
