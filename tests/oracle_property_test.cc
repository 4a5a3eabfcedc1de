// Property tests: random op sequences through the oracle over shmfs. Every
// op must keep the oracle's invariants (content and size equal the model
// built from reported results, reads and SEEK_* answers agree with it,
// fsck finds nothing), and a run must be reproducible from its seed.
//
// CI pins RapidCheck's seed below; for longer local runs set e.g.
//   RC_PARAMS="seed=7 max_success=2000" bazel test //tests:oracle_property_test
// (.bazelrc passes RC_PARAMS through). A failure prints the shrunk op list.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/oracle.h"

namespace vfssim {
namespace {

// Deterministic unless the caller says otherwise: RapidCheck reads
// RC_PARAMS lazily, at the first property.
const bool kPinnedSeed = [] {
  setenv("RC_PARAMS", "seed=20261124 max_success=150", /*overwrite=*/0);
  return true;
}();

// Offsets cluster at page boundaries, where filesystems differ.
rc::Gen<int64_t> gen_offset() {
  return rc::gen::oneOf(rc::gen::map(rc::gen::inRange<int64_t>(0, 17), [](int64_t p) { return p * 4096; }),
                        rc::gen::map(rc::gen::inRange<int64_t>(0, 17 * 4096),
                                     [](int64_t o) { return o; }),
                        rc::gen::map(rc::gen::pair(rc::gen::inRange<int64_t>(1, 17),
                                                   rc::gen::inRange<int64_t>(-3, 4)),
                                     [](std::pair<int64_t, int64_t> p) { return p.first * 4096 + p.second; }));
}

rc::Gen<Op> gen_op(bool fspacectl) {
  static const std::vector<int> kModes = {
      0,
      kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_ZERO_RANGE,
      kFALLOC_FL_COLLAPSE_RANGE,
      kFALLOC_FL_PUNCH_HOLE,
  };
  const int kinds = fspacectl ? 9 : 8;
  return rc::gen::apply(
      [](int kind, int file, int64_t off, int64_t len, int mode, uint8_t fill) {
        switch (kind) {
          case 0:
          case 1:
            return Op::pwrite(file, off, len % 20000, fill);
          case 2:
            return Op::pread(file, off, len);
          case 3:
            return Op::truncate(file, off);
          case 4:
            return Op::fallocate(file, mode, off, len);
          case 5:
            return Op::seek_data(file, off);
          case 6:
            return Op::seek_hole(file, off);
          case 7:
            return Op::fsync(file);
          default:
            return Op::fspacectl(file, off, len);
        }
      },
      rc::gen::inRange(0, kinds), rc::gen::inRange(0, 2), gen_offset(), gen_offset(),
      rc::gen::elementOf(kModes), rc::gen::inRange<uint8_t>(1, 255));
}

void run_through_oracle(SimBackend& sim, const std::vector<Op>& ops) {
  Oracle oracle(sim, 2);
  for (const Op& op : ops) {
    std::vector<std::string> bad = oracle.step(op);
    RC_ASSERT(bad.empty());
  }
}

RC_GTEST_PROP(ShmfsOracle, RegularFilesKeepEveryInvariant, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(true));
  SimBackend sim(1);
  run_through_oracle(sim, ops);
}

// Memfd objects under swap pressure: fspacectl is shm_deallocate, and its
// partial pages are often swapped out (the seed 000 review case).
RC_GTEST_PROP(ShmfsOracle, SwappedShmObjectsKeepEveryInvariant, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(true));
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
  SimBackend sim(seed, "shmfs", "swap_pressure=0.4", 2, /*memfd=*/true);
  run_through_oracle(sim, ops);
}

// One seed decides everything: the same ops on the same seed give a
// byte-identical trace.
RC_GTEST_PROP(ShmfsOracle, SameSeedSameTrace, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(true));
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
  auto trace_hash = [&] {
    SimBackend sim(seed, "shmfs", "swap_pressure=0.3", 2, true);
    for (const Op& op : ops) sim.run(op);
    return sim.machine().trace.hash();
  };
  RC_ASSERT(trace_hash() == trace_hash());
}

}  // namespace
}  // namespace vfssim
