// random_ops: seeded op sequences for differential runs and campaigns.
// Offsets and lengths cluster around page boundaries and small files, where
// filesystems differ; a few ops carry invalid arguments on purpose.

#ifndef VFSSIM_HARNESS_OPGEN_H_
#define VFSSIM_HARNESS_OPGEN_H_

#include <vector>

#include "harness/fs_spec.h"
#include "harness/op.h"
#include "sim/rng.h"

namespace vfssim {

struct OpGenConfig {
  int nfiles = 2;
  int64_t max_offset = 64 * 1024;
  bool fspacectl = true;  // Linux runs it as a punch (HostBackend).
  bool poison = false;    // Only pmem-backed DAX files (FsSpec::poisonable).
  // Weights of the later kinds, each against 1 for every basic kind
  // (pwrite weighs 3); 0 leaves a kind out, and a config with all of them
  // 0 draws exactly as before they existed. Clones and dedupes pick
  // block-aligned offsets and lengths mostly, copies any, O_DIRECT writes
  // sector-aligned ones mostly (sometimes not, for the EINVAL); stores
  // through a mapping land anywhere (past the EOF page they fault);
  // FALLOC_FL_UNSHARE_RANGE (with KEEP_SIZE half the time) mostly over
  // block-aligned ranges, where clones have shared blocks.
  int clone = 0;
  int dedupe = 0;
  int copy_range = 0;
  int dio_pwrite = 0;
  int mwrite = 0;
  int unshare = 0;
};

// opgen_config draws every kind `spec`'s filesystem is run with: poison
// where its files can be poisoned, clones and dedupes often with reflink
// and now and then without (their EOPNOTSUPP is checked too), unshares
// with reflink, copies,
// O_DIRECT writes and stores through mappings everywhere, over three files.
OpGenConfig opgen_config(const FsSpec& spec);

std::vector<Op> random_ops(Rng& rng, int n, const OpGenConfig& cfg);

// random_op draws one op.
Op random_op(Rng& rng, const OpGenConfig& cfg);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_OPGEN_H_
