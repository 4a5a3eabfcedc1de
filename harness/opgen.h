// random_ops: seeded op sequences for differential runs and campaigns.
// Offsets and lengths cluster around page boundaries and small files, where
// filesystems differ; a few ops carry invalid arguments on purpose.

#ifndef VFSSIM_HARNESS_OPGEN_H_
#define VFSSIM_HARNESS_OPGEN_H_

#include <vector>

#include "harness/op.h"
#include "sim/rng.h"

namespace vfssim {

struct OpGenConfig {
  int nfiles = 2;
  int64_t max_offset = 64 * 1024;
  bool fspacectl = true;  // Linux runs it as a punch (HostBackend).
  bool poison = false;    // Only pmem-backed DAX files (FsSpec::poisonable).
};

std::vector<Op> random_ops(Rng& rng, int n, const OpGenConfig& cfg);

// random_op draws one op.
Op random_op(Rng& rng, const OpGenConfig& cfg);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_OPGEN_H_
