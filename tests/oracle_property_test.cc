// Property tests: random op sequences through the oracle on every
// simulated filesystem of the registry (harness/sim_filesystems.h). Every
// op must keep the oracle's invariants (content and size equal the model
// built from reported results, reads, SEEK_* and FIEMAP answers agree with
// it, fspacectl's remainder is what fspacectl(2) allows, poisoned bytes
// never come back as data, fsck finds nothing), and a run must be
// reproducible from its seed.
//
// CI pins RapidCheck's seed below; for longer local runs set e.g.
//   RC_PARAMS="seed=7 max_success=2000" bazel test //tests:oracle_property_test
// (.bazelrc passes RC_PARAMS through). A failure prints the shrunk op list.

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <functional>
#include <string>
#include <vector>

#include "fs/shmfs/shmfs.h"

#include "harness/backend.h"
#include "harness/opgen.h"
#include "harness/oracle.h"
#include "harness/sim_filesystems.h"

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

// gen_op draws ops for `spec`: poison only where its files can be poisoned.
rc::Gen<Op> gen_op(const FsSpec& spec) {
  static const std::vector<int> kModes = {
      0,
      kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_ZERO_RANGE,
      kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE,
      kFALLOC_FL_COLLAPSE_RANGE,
      kFALLOC_FL_INSERT_RANGE,
      kFALLOC_FL_PUNCH_HOLE,
  };
  // Poison weighs three kinds, aimed at the first pages, where data is.
  const int kinds = spec.poisonable() ? 13 : 10;
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
          case 8:
            return Op::fiemap(file, off, len + 1);
          case 9:
            return Op::fspacectl(file, off, len);
          default:
            return Op::poison(file, off % 32768, len % 9000 + 1);
        }
      },
      // The kind at full size: small sizes would draw only the first kinds.
      rc::gen::resize(100, rc::gen::inRange(0, kinds)), rc::gen::inRange(0, 2), gen_offset(),
      gen_offset(),
      rc::gen::elementOf(kModes), rc::gen::inRange<uint8_t>(1, 255));
}

// run_through_oracle steps every op through the oracle and fails the
// property at the first violation, with the ops so far as its replay;
// `between`, if given, runs after each op (memory pressure, say).
void run_through_oracle(SimBackend& sim, const std::vector<Op>& ops,
                        const std::function<void()>& between = nullptr) {
  RC_ASSERT(sim.setup_error() == Errno::kOk);
  Oracle oracle(sim, 2);
  std::string replay;  // The ops so far, one per line: the failure's replay.
  bool poisoned = false;
  for (const Op& op : ops) {
    replay += "\n  " + op.to_json().dump();
    OpResult r;
    std::vector<std::string> bad = oracle.step(op, &r);
    if (!bad.empty()) RC_FAIL(bad[0] + "\nafter:" + replay);
    poisoned |= op.kind == OpKind::kPoison && !r.extents.empty();
    if (between) between();
  }
  // The distribution RapidCheck prints shows how often poison landed.
  if (sim.spec().poisonable()) RC_TAG(poisoned ? "poison landed" : "no poison landed");
}

class OracleProperty : public ::testing::TestWithParam<FsSpec> {};

TEST_P(OracleProperty, RegularFilesKeepEveryInvariant) {
  const FsSpec& spec = GetParam();
  EXPECT_TRUE(rc::check(spec.name + ": regular files keep every invariant", [&] {
    const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(spec));
    const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
    SimBackend sim(seed, spec);
    run_through_oracle(sim, ops);
  }));
}

// One seed decides everything: the same ops on the same seed give a
// byte-identical trace.
TEST_P(OracleProperty, SameSeedSameTrace) {
  const FsSpec& spec = GetParam();
  EXPECT_TRUE(rc::check(spec.name + ": same seed, same trace", [&] {
    const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(spec));
    const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
    auto trace_hash = [&] {
      SimBackend sim(seed, spec);
      for (const Op& op : ops) sim.run(op);
      return sim.machine().trace.hash();
    };
    RC_ASSERT(trace_hash() == trace_hash());
  }));
}

// On pmem-backed DAX files, after both files hold data: poison lands under
// written blocks and the reads, rewrites, punches and truncates that follow
// must never return a poisoned byte as data nor fail over good data.
TEST(PoisonOracle, PoisonedDaxFilesNeverReadBackAsGoodData) {
  for (const FsSpec& spec : sim_filesystems()) {
    if (!spec.poisonable()) continue;
    EXPECT_TRUE(rc::check(spec.name + ": poisoned files keep every invariant", [&] {
      std::vector<Op> ops = {Op::pwrite(0, 0, 32768, 0x5a), Op::pwrite(1, 0, 20000, 0xa5)};
      const auto more = *rc::gen::container<std::vector<Op>>(gen_op(spec));
      ops.insert(ops.end(), more.begin(), more.end());
      const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
      SimBackend sim(seed, spec);
      run_through_oracle(sim, ops);
    }));
  }
}

INSTANTIATE_TEST_SUITE_P(EverySimFilesystem, OracleProperty, ::testing::ValuesIn(sim_filesystems()),
                         [](const ::testing::TestParamInfo<FsSpec>& info) { return info.param.name; });

// Memfd objects under swap pressure: fspacectl is shm_deallocate, and its
// partial pages are often swapped out (the seed 000 review case).
// The objects live on the kernel's own shmem instance, which no mount
// option reaches, so the pressure is applied here: after each op, with
// probability 0.4, one page of a file goes to swap (a no-op if it is not
// resident).
RC_GTEST_PROP(ShmfsOracle, SwappedShmObjectsKeepEveryInvariant, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(sim_filesystem("shmfs")));
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
  SimBackend sim(seed, sim_filesystem("shmfs"), 2, /*memfd=*/true);
  Rng pressure(seed);
  int swapped = 0;
  run_through_oracle(sim, ops, [&] {
    if (!pressure.bernoulli(0.4)) return;
    const int file = static_cast<int>(pressure.uniform(2));
    InodeRef ip = *sim.process().file_inode(sim.fd(file));
    const uint64_t page = pressure.uniform(ip->size / 4096 + 1);
    swapped += static_cast<ShmSuperblock*>(ip->sb)->swap_out(*ip, page) ? 1 : 0;
  });
  RC_TAG(swapped > 0 ? "pages swapped" : "nothing swapped");
}

// The property above fails under seed 000's shm_deallocate excerpt
// (shm.dealloc_page_head=skip: a range from a page boundary to inside that
// page is left untouched, and the call succeeds with r_len still set): the
// same kind of random runs (harness/opgen, seeded) find it, and only
// through the remainder check, since the file is left as the model has it.
TEST(ShmfsOracle, RandomRunsCatchSuccessWithWorkLeft) {
  for (const char* variant : {"zero", "skip"}) {
    int caught = 0;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      SimBackend sim(seed, sim_filesystem("shmfs"), 2, /*memfd=*/true);
      ASSERT_EQ(sim.machine().variants.set("shm.dealloc_page_head", variant), Errno::kOk);
      Oracle oracle(sim, 2);
      Rng rng(seed);
      for (const Op& op : random_ops(rng, 150, OpGenConfig{})) {
        std::vector<std::string> bad = oracle.step(op);
        if (bad.empty()) continue;
        EXPECT_EQ(std::string_view(variant), "skip") << bad[0];
        EXPECT_NE(bad[0].find("success with nothing done and r_len still set"), std::string::npos)
            << bad[0];
        ++caught;
        break;
      }
    }
    if (std::string_view(variant) == "skip") {
      EXPECT_GT(caught, 5);
    }
  }
}

}  // namespace
}  // namespace vfssim
