// Property tests: random op sequences over three files through the oracle
// on every simulated filesystem of the registry (harness/sim_filesystems.h):
// pwrite, pread, truncate, fallocate (every mode, UNSHARE_RANGE and the
// ZEROINIT_RANGE prototype included), fspacectl, fsync, SEEK_*, FIEMAP,
// poison, and FICLONERANGE, FIDEDUPERANGE, copy_file_range, O_DIRECT
// writes and stores through shared mappings. Every op must keep the
// oracle's invariants (content and size equal the model built from
// reported results, reads, SEEK_* and FIEMAP answers agree with it,
// fspacectl's remainder is what fspacectl(2) allows, clone and dedupe
// answer as the VFS's remap checks say — EOPNOTSUPP without reflink —,
// misaligned O_DIRECT is EINVAL, stores fault only past the EOF page,
// poisoned bytes never come back as data, fsck finds nothing), and a run
// must be reproducible from its seed.
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

// Block-aligned offsets and lengths (4 KiB, 1 KiB, or a few bytes past),
// for clones and dedupes.
rc::Gen<int64_t> gen_aligned() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::inRange<int64_t>(0, 17), [](int64_t p) { return p * 4096; }),
      rc::gen::map(rc::gen::inRange<int64_t>(0, 65), [](int64_t p) { return p * 1024; }),
      rc::gen::map(rc::gen::inRange<int64_t>(0, 33), [](int64_t p) { return p * 512 + 7; }));
}

// The kinds gen_op draws, each as often as it appears in kinds_for.
enum Kind : int {
  kWrite, kRead, kTrunc, kFalloc, kSeekD, kSeekH, kSync, kMap, kSpace, kPoisonK,
  kCloneK, kDedupeK, kCopyK, kDioK, kMwriteK,
};

// kinds_for: the basic kinds once each (pwrite twice); poison three times
// where files can be poisoned; clones three times and dedupes twice with
// reflink (once without: their EOPNOTSUPP is checked); copies, O_DIRECT
// writes and stores through mappings twice.
std::vector<int> kinds_for(const FsSpec& spec) {
  std::vector<int> k = {kWrite, kWrite, kRead, kTrunc, kFalloc, kSeekD, kSeekH, kSync, kMap, kSpace};
  auto add = [&](int kind, int times) { k.insert(k.end(), times, kind); };
  if (spec.poisonable()) add(kPoisonK, 3);
  add(kCloneK, spec.reflink ? 3 : 1);
  add(kDedupeK, spec.reflink ? 2 : 1);
  add(kCopyK, 2);
  add(kDioK, 2);
  add(kMwriteK, 2);
  return k;
}

constexpr int kFiles = 3;

// gen_op draws ops for `spec` over kFiles files (kinds_for says which).
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
      kFALLOC_FL_UNSHARE_RANGE,
      kFALLOC_FL_UNSHARE_RANGE | kFALLOC_FL_KEEP_SIZE,
      // The prototype: EOPNOTSUPP with its switch off, as Linux 6.18
      // answers an unknown mode bit; zeros where a spec turns it on.
      kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE,
  };
  const std::vector<int> kinds = kinds_for(spec);
  struct Args {
    int file, src;
    int64_t off, len, src_off;
    int64_t aoff, alen, asrc;  // Aligned mostly.
  };
  const auto args = rc::gen::apply(
      [](int file, int src, int64_t off, int64_t len, int64_t src_off, int64_t aoff, int64_t alen,
         int64_t asrc) { return Args{file, src, off, len, src_off, aoff, alen, asrc}; },
      rc::gen::inRange(0, kFiles), rc::gen::inRange(0, kFiles), gen_offset(), gen_offset(),
      gen_offset(), gen_aligned(), gen_aligned(), gen_aligned());
  return rc::gen::apply(
      [kinds](size_t pick, Args a, int mode, uint8_t fill, bool flip) {
        switch (kinds[pick]) {
          case kWrite:
            return Op::pwrite(a.file, a.off, a.len % 20000, fill);
          case kRead:
            return Op::pread(a.file, a.off, a.len);
          case kTrunc:
            return Op::truncate(a.file, a.off);
          case kFalloc:
            return Op::fallocate(a.file, mode, a.off, a.len);
          case kSeekD:
            return Op::seek_data(a.file, a.off);
          case kSeekH:
            return Op::seek_hole(a.file, a.off);
          case kSync:
            return Op::fsync(a.file);
          case kMap:
            return Op::fiemap(a.file, a.off, a.len + 1);
          case kSpace:
            return Op::fspacectl(a.file, a.off, a.len);
          case kPoisonK:
            return Op::poison(a.file, a.off % 32768, a.len % 9000 + 1);
          case kCloneK:
            // Length 0 (a quarter of the time) clones to the source's EOF.
            return Op::clone(a.src, a.asrc, a.file, a.aoff, flip ? 0 : a.alen);
          case kDedupeK:
            // The same offset in both files a quarter of the time: equal after a
            // clone or copy between them.
            return Op::dedupe(a.src, a.asrc, a.file, flip ? a.asrc : a.aoff, a.alen);
          case kCopyK:
            return Op::copy_range(a.src, a.src_off, a.file, a.off, a.len);
          case kDioK:
            // Sector-aligned, or (flip) anything: EINVAL where checked.
            return flip ? Op::dio_pwrite(a.file, a.off, a.len % 9000 + 1, fill)
                        : Op::dio_pwrite(a.file, a.aoff / 512 * 512, (a.alen / 512 + 1) * 512, fill);
          default:
            return Op::mwrite(a.file, a.off, a.len % 9000 + 1, fill);
        }
      },
      // The kind at full size: small sizes would draw only the first kinds.
      rc::gen::resize(100, rc::gen::inRange<size_t>(0, kinds.size())), args,
      rc::gen::elementOf(kModes), rc::gen::inRange<uint8_t>(1, 255),
      rc::gen::map(rc::gen::inRange(0, 4), [](int x) { return x == 0; }));
}

// run_through_oracle steps every op through the oracle and fails the
// property at the first violation, with the ops so far as its replay;
// `between`, if given, runs after each op (memory pressure, say).
void run_through_oracle(SimBackend& sim, const std::vector<Op>& ops,
                        const std::function<void()>& between = nullptr) {
  RC_ASSERT(sim.setup_error() == Errno::kOk);
  Oracle oracle(sim, kFiles);
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
  // Unmount's work leaves nothing reserved and fsck clean.
  std::vector<std::string> after = sim.unmount_check();
  if (!after.empty()) RC_FAIL("after unmount: " + after[0] + "\nafter:" + replay);
  // The distribution RapidCheck prints shows how often poison landed.
  if (sim.spec().poisonable()) RC_TAG(poisoned ? "poison landed" : "no poison landed");
}

class OracleProperty : public ::testing::TestWithParam<FsSpec> {};

TEST_P(OracleProperty, RegularFilesKeepEveryInvariant) {
  const FsSpec& spec = GetParam();
  EXPECT_TRUE(rc::check(spec.name + ": regular files keep every invariant", [&] {
    const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(spec));
    const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
    SimBackend sim(seed, spec, kFiles);
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
      SimBackend sim(seed, spec, kFiles);
      for (const Op& op : ops) sim.run(op);
      return sim.machine().trace.hash();
    };
    RC_ASSERT(trace_hash() == trace_hash());
  }));
}

// property_filesystems is every registered filesystem but the iomap test
// filesystem on pmem: a unit-test fake (issue 10: "the ExtentMapOps fake
// stays for unit tests only") whose DAX path lacks what the full op
// language now exercises — zeroing past EOF before a write or a growing
// truncate, and writing into unwritten extents — as
// harness/oracle_test.cc's KnownSimulatorBugs records; the XFS-like
// filesystem on pmem is the DAX filesystem the suite runs on.
std::vector<FsSpec> property_filesystems() {
  std::vector<FsSpec> out;
  for (const FsSpec& spec : sim_filesystems()) {
    if (spec.name != "iomaptest_pmem_dax") out.push_back(spec);
  }
  return out;
}

// An O_DIRECT CoW write whose hint-aligned staging would run on over a
// delalloc CoW reservation after the hole it fills stops at that record:
// the allocation used to cover it, and the CoW fork's counters stopped
// matching its records (fsck; XFS differential seed 381 of 500 ops, cut
// down by its reducer to these).
TEST(XfsOracle, ADirectCowWriteStopsItsStagingAtTheNextReservation) {
  SimBackend sim(381, sim_filesystem("xfs_block"), kFiles);
  ASSERT_EQ(sim.setup_error(), Errno::kOk);
  Oracle oracle(sim, kFiles);
  const std::vector<Op> ops = {
      Op::truncate(0, 40960),           Op::clone(0, 32768, 2, 57344, 0),
      Op::pwrite(1, 163, 12284, 0x5e),  Op::clone(2, 16384, 1, 53248, 8192),
      Op::dio_pwrite(1, 38912, 5632, 0x70), Op::clone(1, 12288, 1, 45056, 12288),
      Op::pwrite(0, 0, 16383, 0x24),    Op::pwrite(1, 16383, 7956, 0x31),
      Op::clone(0, 12288, 1, 36864, 12288), Op::copy_range(2, 12, 1, 24573, 16380),
      Op::clone(0, 0, 1, 4096, 16384),  Op::dio_pwrite(1, 16384, 20480, 0xd8),
  };
  for (const Op& op : ops) {
    OpResult r;
    const std::vector<std::string> bad = oracle.step(op, &r);
    ASSERT_TRUE(bad.empty()) << op.to_json().dump() << ": " << bad[0];
  }
  EXPECT_EQ(sim.unmount_check(), std::vector<std::string>{});
}

// On pmem-backed DAX files, after both files hold data: poison lands under
// written blocks and the reads, rewrites, punches and truncates that follow
// must never return a poisoned byte as data nor fail over good data.
TEST(PoisonOracle, PoisonedDaxFilesNeverReadBackAsGoodData) {
  for (const FsSpec& spec : property_filesystems()) {
    if (!spec.poisonable()) continue;
    EXPECT_TRUE(rc::check(spec.name + ": poisoned files keep every invariant", [&] {
      std::vector<Op> ops = {Op::pwrite(0, 0, 32768, 0x5a), Op::pwrite(1, 0, 20000, 0xa5)};
      const auto more = *rc::gen::container<std::vector<Op>>(gen_op(spec));
      ops.insert(ops.end(), more.begin(), more.end());
      const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
      SimBackend sim(seed, spec, kFiles);
      run_through_oracle(sim, ops);
    }));
  }
}

// With the ZEROINIT_RANGE prototype switched on (seed 004, patch 4/5),
// under both of its hole rules (v2: a hole or delalloc range fails the
// call; v3, zeroinit.holes=ignore: holes are skipped), on the page cache
// and on DAX: the oracle checks each call's zeros and its error (extents
// before a rejected one may be zeroed, as the seed's iterators go), and
// fsck after every op and after unmount. Not ext4: patch 5/5 as posted
// drops dirty pages without writing them back and leaks their delalloc
// reservation, which this run finds at once (fs/ext4/ext4_test.cc,
// ZeroinitAsPostedDropsDirtyPagesAndLeaksTheirReservation).
TEST(ZeroinitOracle, TheSwitchedOnPrototypeKeepsEveryInvariant) {
  for (const char* fs : {"xfs_block", "xfs_pmem_dax"}) {
    for (const char* holes : {"reject", "ignore"}) {
      const FsSpec& spec = sim_filesystem(fs);
      EXPECT_TRUE(rc::check(spec.name + ", zeroinit on, holes " + holes + ": every invariant", [&] {
        // One op in four a ZEROINIT_RANGE (gen_op alone draws one in ~200).
        const auto zeroinit = rc::gen::apply(
            [](int file, int64_t off, int64_t len) {
              return Op::fallocate(file, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, off, len);
            },
            rc::gen::inRange(0, kFiles), gen_offset(), gen_offset());
        const auto ops = *rc::gen::container<std::vector<Op>>(
            rc::gen::weightedOneOf<Op>({{3, gen_op(spec)}, {1, zeroinit}}));
        const uint64_t seed = *rc::gen::inRange<uint64_t>(1, 1000);
        SimBackend sim(seed, spec, kFiles);
        RC_ASSERT(sim.machine().variants.set("zeroinit", "on") == Errno::kOk);
        RC_ASSERT(sim.machine().variants.set("zeroinit.holes", holes) == Errno::kOk);
        int zeroinits = 0;
        for (const Op& op : ops) zeroinits += op.kind == OpKind::kFallocate && (op.mode & kFALLOC_FL_ZEROINIT_RANGE);
        RC_TAG(zeroinits > 0 ? "zeroinit drawn" : "no zeroinit");
        run_through_oracle(sim, ops);
      }));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EverySimFilesystem, OracleProperty, ::testing::ValuesIn(property_filesystems()),
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
  SimBackend sim(seed, sim_filesystem("shmfs"), kFiles, /*memfd=*/true);
  Rng pressure(seed);
  int swapped = 0;
  run_through_oracle(sim, ops, [&] {
    if (!pressure.bernoulli(0.4)) return;
    const int file = static_cast<int>(pressure.uniform(kFiles));
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
