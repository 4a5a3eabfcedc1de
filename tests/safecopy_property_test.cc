// Seed 003's fix as a property: on a filesystem mounted ipc=safecopy with
// proper partial-failure semantics, random reads and writes whose user
// pages go soft at seeded moments (fault point safecopy/softfault evicts
// the page a safecopy is about to copy) never come back short under the
// mark policy, and the oracle agrees with every byte. Under the old
// EFAULT policy the same schedule does produce short transfers, so the
// property can fail.
//
// CI pins RapidCheck's seed; for a longer local run set e.g.
//   RC_PARAMS="seed=7 max_success=2000" bazel test //tests:safecopy_property_test

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/oracle.h"

namespace vfssim {
namespace {

const bool kPinnedSeed = [] {
  setenv("RC_PARAMS", "seed=20261201 max_success=100", /*overwrite=*/0);
  return true;
}();

rc::Gen<Op> gen_rw() {
  return rc::gen::apply(
      [](bool write, int file, int64_t off, int64_t len, uint8_t fill) {
        return write ? Op::pwrite(file, off, len, fill) : Op::pread(file, off, len);
      },
      rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 2), rc::gen::inRange<int64_t>(0, 40000),
      rc::gen::inRange<int64_t>(1, 20000), rc::gen::inRange<uint8_t>(1, 255));
}

// owed is what a regular file owes the call: all of a write, and a read up
// to EOF.
uint64_t owed(const Op& op, uint64_t size) {
  if (op.kind == OpKind::kPwrite) return static_cast<uint64_t>(op.len);
  const uint64_t off = static_cast<uint64_t>(op.off);
  return std::min<uint64_t>(static_cast<uint64_t>(op.len), size > off ? size - off : 0);
}

// short_transfers runs ops through the oracle (every violation fails the
// property) and counts the calls that moved less than a regular file owes.
int short_transfers(SimBackend& sim, const std::vector<Op>& ops) {
  Oracle oracle(sim, 2);
  std::vector<uint64_t> size(2, 0);
  int shorts = 0;
  for (const Op& op : ops) {
    OpResult r;
    const std::vector<std::string> bad = oracle.step(op, &r);
    RC_ASSERT(bad.empty());
    RC_ASSERT(r.err == Errno::kOk);
    if (static_cast<uint64_t>(r.ret) < owed(op, size[op.file])) ++shorts;
    size[op.file] = r.size_after;
  }
  return shorts;
}

RC_GTEST_PROP(SafecopyOnMark, SoftFaultsNeverShortenARegularFileTransfer, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_rw());
  const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
  SimBackend sim(seed, {.name = "shmfs", .type = "shmfs", .mount_opts = "ipc=safecopy,partial_io=proper"});
  sim.machine().faults.arm("safecopy/softfault", FaultPlan::probability(0.1, "softfault"));
  RC_ASSERT(short_transfers(sim, ops) == 0);
}

// The same kind of schedule under the old policy gives short transfers (so
// the property above can fail), and under the mark it exercised the path:
// soft faults were marked and requests repeated. No oracle here: under the
// old policy its own whole-file reads come back short too.
TEST(SafecopyOnEfault, TheSameSoftFaultsGiveShortTransfers) {
  std::vector<Op> ops;
  for (int i = 0; i < 60; ++i) {
    ops.push_back(i % 2 == 0 ? Op::pwrite(0, i * 1000, 12000, static_cast<uint8_t>(i + 1))
                             : Op::pread(0, i * 500, 9000));
  }
  auto run = [&](std::string_view policy, uint64_t* marks) {
    SimBackend sim(3, {.name = "shmfs", .type = "shmfs", .mount_opts = "ipc=safecopy,partial_io=proper"});
    sim.machine().variants.set("safecopy.retry", policy);
    sim.machine().faults.arm("safecopy/softfault", FaultPlan::probability(0.1, "softfault"));
    int shorts = 0;
    uint64_t size = 0;
    for (const Op& op : ops) {
      const OpResult r = sim.run(op);
      EXPECT_EQ(r.err, Errno::kOk);
      if (static_cast<uint64_t>(r.ret) < owed(op, size)) ++shorts;
      size = r.size_after;
    }
    *marks = sim.vfs().grants().marks();
    return shorts;
  };
  uint64_t marks_old = 0, marks_new = 0;
  EXPECT_GT(run("on-efault", &marks_old), 0);
  EXPECT_EQ(run("on-mark", &marks_new), 0);
  EXPECT_GT(marks_new, 0u);
}

}  // namespace
}  // namespace vfssim
