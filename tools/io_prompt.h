// The interactive side of `vfssim io`: lines from standard input, with
// libedit's line editing and history when it is a terminal.

#ifndef VFSSIM_TOOLS_IO_PROMPT_H_
#define VFSSIM_TOOLS_IO_PROMPT_H_

#include "tools/io_shell.h"

namespace vfssim {

// run_prompt reads commands until quit or end of input. At a terminal it
// prompts "xfs_io> " and keeps 100 lines of history, as xfs_io does;
// otherwise it reads lines silently (a script piped in prints only its
// output). Commands typed here run once, on the current file.
void run_prompt(IoShell& shell);

}  // namespace vfssim

#endif  // VFSSIM_TOOLS_IO_PROMPT_H_
