// run_differential: the same op list on two backends (the simulator and
// the host kernel), op by op, with an oracle checking each side and their
// answers compared (compare_results). The first disagreement or violation
// comes back with the op's index and the earlier ops that shaped the files
// it touches (its own, and the sources clones and copies read from), so
// the report is its own replay.
//
// fspacectl "may" deallocate (fspacectl(2): "If the file system supports
// hole-punching, file system space deallocation may be performed"), so
// unless the simulator's filesystem deallocates by punching as the host
// side does (deallocate_punches: XFS's), once a file has seen one its
// layout answers (SEEK_DATA, SEEK_HOLE, FIEMAP) are the oracle's business
// only, until a truncate to 0 frees everything on both sides; its data and
// size are compared throughout.
//
//   SimBackend sim(1, sim_filesystem("shmfs"));
//   HostBackend host("/dev/shm/dir");
//   EXPECT_EQ(run_differential(sim, host, ops), "");

#ifndef VFSSIM_HARNESS_DIFFERENTIAL_H_
#define VFSSIM_HARNESS_DIFFERENTIAL_H_

#include <ostream>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/op.h"

namespace vfssim {

struct DifferentialOptions {
  int nfiles = 2;
  // compare_extents: the logical FIEMAP maps must agree too (off where the
  // simulator's allocator is a stand-in whose layout differs, e.g. XFS's
  // speculative preallocation; each side's map is still checked by its
  // oracle).
  bool compare_extents = true;
  // deallocate_punches: the simulator's VOP_DEALLOCATE frees the range's
  // whole blocks (clipped at EOF) as the host backend's fspacectl, a punch,
  // does, so layouts stay comparable after one (the XFS-like filesystem's,
  // which zeroes the partial blocks and writes back the EOF page as the
  // punch does; shmfs's vop_stddeallocate writes zeros instead).
  bool deallocate_punches = false;
  // log, when set, gets one line per op: the op and both sides' results.
  std::ostream* log = nullptr;
};

// run_differential returns "" when every op agreed and kept both oracles'
// invariants.
std::string run_differential(Backend& sim, Backend& host, const std::vector<Op>& ops,
                             const DifferentialOptions& opts = {});

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_DIFFERENTIAL_H_
