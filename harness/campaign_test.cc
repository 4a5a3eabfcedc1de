#include "harness/campaign.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "harness/command.h"
#include "harness/sim_filesystems.h"

namespace vfssim {
namespace {

CampaignParams params_for(std::string fs, std::vector<std::pair<std::string, std::string>> variants = {}) {
  CampaignParams p;
  p.fs = std::move(fs);
  p.faults = *parse_fault_spec("default");
  p.variants = std::move(variants);
  return p;
}

TEST(CampaignFilesystems, RegistryEntriesKeepTheirSpecs) {
  // Every campaign filesystem named like a registry entry builds exactly
  // that entry's filesystem, so a campaign on xfs_block is the property
  // suite's xfs_block.
  int matched = 0;
  for (const FsSpec& reg : sim_filesystems()) {
    const CampaignFs* c = find_campaign_fs(reg.name);
    if (c == nullptr) continue;
    ++matched;
    EXPECT_EQ(c->spec.type, reg.type) << reg.name;
    EXPECT_EQ(c->spec.dev, reg.dev) << reg.name;
    EXPECT_EQ(c->spec.mkfs_opts, reg.mkfs_opts) << reg.name;
    EXPECT_EQ(c->spec.mount_opts, reg.mount_opts) << reg.name;
    EXPECT_EQ(c->spec.reflink, reg.reflink) << reg.name;
    EXPECT_FALSE(c->memfd || c->thin) << reg.name;
  }
  // The registry's entries but the two test-only iomap ones.
  EXPECT_EQ(matched, static_cast<int>(sim_filesystems().size()) - 2);
  for (const CampaignFs& fs : campaign_filesystems()) {
    SimBackend sim(1, fs.spec, SimOptions{.nfiles = 3, .memfd = fs.memfd, .thin = fs.thin});
    EXPECT_EQ(sim.setup_error(), Errno::kOk) << fs.spec.name;
  }
}

// --dev, --mkfs-opt and --mount-opt change an entry as `vfssim io`'s
// options of the same names would: xfs_block with "-b size=1024" is
// xfs_block_1k, and with "-m reflink=0" it draws clones as rarely as
// xfs_noreflink, because mkfs decides reflink.
TEST(CampaignFilesystems, OverridesBuildWhatTheOptionsSay) {
  absl::StatusOr<CampaignFs> k1 = campaign_fs("xfs_block", {.mkfs_opts = "-b size=1024"});
  ASSERT_TRUE(k1.ok()) << k1.status();
  EXPECT_EQ(k1->spec.mkfs_opts, find_campaign_fs("xfs_block_1k")->spec.mkfs_opts);
  EXPECT_TRUE(k1->spec.reflink);
  absl::StatusOr<CampaignFs> nr = campaign_fs("xfs_block", {.mkfs_opts = "-m reflink=0"});
  ASSERT_TRUE(nr.ok()) << nr.status();
  EXPECT_FALSE(nr->spec.reflink);
  absl::StatusOr<CampaignFs> dax = campaign_fs("xfs_block", {.dev = "pmem", .mount_opts = "dax=always"});
  ASSERT_TRUE(dax.ok()) << dax.status();
  EXPECT_TRUE(dax->spec.poisonable());
  EXPECT_EQ(dax->shell_dev, "pmem");
  Rng rng(5);
  const std::vector<Op> ops = campaign_ops(rng, 200, *find_mix("poison"), *dax, 3);
  EXPECT_TRUE(std::any_of(ops.begin(), ops.end(), [](const Op& o) { return o.kind == OpKind::kPoison; }));
  absl::StatusOr<CampaignFs> safe = campaign_fs("xfs_pmem_dax", {.mount_opts = "ipc=safecopy"});
  ASSERT_TRUE(safe.ok());
  EXPECT_EQ(safe->spec.mount_opts, "dax=always,ipc=safecopy");

  EXPECT_FALSE(campaign_fs("shmfs", {.dev = "pmem"}).ok());
  EXPECT_FALSE(campaign_fs("xfs_thin", {.dev = "pmem"}).ok());
  EXPECT_FALSE(campaign_fs("xfs_block", {.dev = "nvme"}).ok());
  EXPECT_FALSE(campaign_fs("shmfs", {.mkfs_opts = "-b size=1024"}).ok());
  EXPECT_FALSE(campaign_fs("xfs_block", {.mkfs_opts = "-b size=3000"}).ok());

  // The same seed draws the same ops on both, and they run the same.
  CampaignParams p = params_for("xfs_block");
  p.fs_overrides.mkfs_opts = "-b size=1024";
  const Scenario a = draw_scenario(p, 7);
  const Scenario b = draw_scenario(params_for("xfs_block_1k"), 7);
  EXPECT_EQ(a.fs, "xfs_block");
  EXPECT_EQ(a.fs_overrides, p.fs_overrides);
  EXPECT_EQ(a.ops, b.ops);
  EXPECT_EQ(a.faults, b.faults);
  EXPECT_EQ(run_scenario(a).trace_hash, run_scenario(b).trace_hash);
  EXPECT_NE(run_scenario(a).trace_hash, run_scenario(draw_scenario(params_for("xfs_block"), 7)).trace_hash);

  // Mounting is check_params's: an option the filesystem refuses, or a
  // device under a filesystem that has none, is an error before any seed.
  EXPECT_TRUE(check_params(p).ok());
  p.fs_overrides = {.mount_opts = "frobnicate"};
  EXPECT_FALSE(check_params(p).ok());
  p = params_for("shmfs");
  p.fs_overrides = {.dev = "blk"};
  EXPECT_FALSE(check_params(p).ok());
  p = params_for("xfs");  // vfssim io's name.
  EXPECT_TRUE(check_params(p).ok());
  EXPECT_EQ(draw_scenario(p, 3).fs, "xfs_block");
}

TEST(FaultSpec, ParsesTheWordsPointsRatesAndAtRules) {
  absl::StatusOr<FaultSpec> none = parse_fault_spec("none");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->rules.empty());
  absl::StatusOr<FaultSpec> def = parse_fault_spec("default");
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(def->rules.size(), default_fault_points().size());
  absl::StatusOr<FaultSpec> all = parse_fault_spec("all");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->rules.size(), fault_point_registry().size());
  for (const FaultRule& r : all->rules) EXPECT_EQ(r.applies, nullptr) << r.point;

  absl::StatusOr<FaultSpec> list =
      parse_fault_spec("blockdev/write/eio=0.5,xfs/alloc/enospc=p:0.1=EIO,pmem/zero/eio=at:3.2");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->rules.size(), 3u);
  EXPECT_EQ(list->rules[0].point, "blockdev/write/eio");
  EXPECT_EQ(list->rules[0].rate, 0.5);
  EXPECT_EQ(list->rules[1].point, "xfs/alloc/enospc");
  EXPECT_EQ(list->rules[1].err, Errno::kEIO);
  EXPECT_EQ(list->rules[2].at, std::make_pair(uint64_t{3}, uint64_t{2}));

  absl::StatusOr<FaultSpec> counted = parse_fault_spec(
      "blockdev/write/eio=nth:3,xfs/alloc/enospc=every:2=EIO,pmem/zero/eio=window:2-5,blockdev/flush/eio=0.1");
  ASSERT_TRUE(counted.ok()) << counted.status();
  ASSERT_EQ(counted->rules.size(), 4u);
  EXPECT_EQ(counted->rules[0].point, "blockdev/flush/eio");  // Rates first.
  EXPECT_EQ(counted->rules[1].counted->describe(), "nth:3");
  EXPECT_EQ(counted->rules[2].counted->describe(), "every:2=EIO");
  EXPECT_EQ(counted->rules[3].counted->describe(), "window:2-5");

  for (const char* bad : {"", "nope/point", "blockdev/write/eio=nth:0", "blockdev/write/eio=every:x",
                          "blockdev/write/eio=window:5-2", "blockdev/write/eio=2",
                          "blockdev/write/eio=0.1=EWHAT", "pmem/zero/eio=at:3"}) {
    EXPECT_FALSE(parse_fault_spec(bad).ok()) << bad;
  }
}

TEST(FaultSpec, DefaultLeavesOutWhatTheOracleCannotJudge) {
  std::set<std::string_view> points;
  for (const DefaultFaultPoint& d : default_fault_points()) points.insert(d.point);
  // A transient read error or latent poison on a block the model holds as
  // good is what the oracle reports; a failed writeback loses dirty bytes.
  EXPECT_FALSE(points.contains("blockdev/read/eio"));
  EXPECT_FALSE(points.contains("pmem/read/mce"));
  EXPECT_FALSE(points.contains("blockdev/write/eio"));
  EXPECT_TRUE(points.contains("safecopy/softfault"));
  EXPECT_TRUE(points.contains("sched/signal/eintr"));
  // xfs/alloc/enospc only where nothing is written back.
  absl::StatusOr<FaultSpec> def = parse_fault_spec("default");
  for (const FaultRule& r : def->rules) {
    if (r.point != "xfs/alloc/enospc") continue;
    ASSERT_NE(r.applies, nullptr);
    EXPECT_TRUE(r.applies(Op::pwrite(0, 0, 10, 1)));
    EXPECT_TRUE(r.applies(Op::fallocate(0, kFALLOC_FL_KEEP_SIZE, 0, 10)));
    // Growing the file writes back between the on-disk and the new size.
    EXPECT_FALSE(r.applies(Op::fallocate(0, 0, 0, 10)));
    EXPECT_FALSE(r.applies(Op::fsync(0)));
    EXPECT_FALSE(r.applies(Op::dio_pwrite(0, 0, 4096, 1)));
    EXPECT_FALSE(r.applies(Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 0, 10)));
  }
}

TEST(Decisions, StayPutWhenOpsAreRemoved) {
  CampaignParams p = params_for("xfs_block");
  p.faults = *parse_fault_spec("all");
  const Scenario s = draw_scenario(p, 7);
  ASSERT_EQ(s.ops.size(), 50u);
  for (size_t i = 0; i < s.ops.size(); ++i) EXPECT_EQ(s.ops[i].id, static_cast<int64_t>(i));
  ASSERT_FALSE(s.faults.empty());
  // Every other op removed: the decisions of the ops that stay are the same.
  std::vector<Op> half;
  for (size_t i = 0; i < s.ops.size(); i += 2) half.push_back(s.ops[i]);
  const std::vector<FiredFault> again = draw_decisions(7, p.faults, half);
  std::vector<FiredFault> want;
  for (const FiredFault& d : s.faults) {
    if (d.op % 2 == 0) want.push_back(d);
  }
  EXPECT_EQ(again, want);
  // Another seed, other decisions.
  EXPECT_NE(draw_decisions(8, p.faults, s.ops), s.faults);
}

// Issue 9 §6: a plan that counts hits across the run (every 5th signal
// check) is resolved by one run into decisions keyed by (op, point, n-th
// hit in the op). The resolved scenario replays the same run; with half
// its ops deleted, the other ops keep exactly their decisions, where the
// counted plan itself would fail other hits.
TEST(CountedPlans, ResolveIntoKeyedDecisionsThatStayPutUnderDeletion) {
  CampaignParams p = params_for("xfs_block");
  p.faults = *parse_fault_spec("sched/signal/eintr=every:5");
  p.ops = 200;
  const Scenario s = draw_scenario(p, 11);
  EXPECT_TRUE(s.counted.empty());
  ASSERT_GE(s.faults.size(), 3u);
  for (const FiredFault& d : s.faults) {
    EXPECT_EQ(d.point, "sched/signal/eintr");
    EXPECT_EQ(d.err, Errno::kEINTR);
    EXPECT_LT(d.op, s.ops.size());  // Never under FaultInjector::kNoOp (the oracle's reads).
  }
  // The same run again: what fires is exactly the decisions.
  const RunResult again = run_scenario(s);
  EXPECT_FALSE(again.failure.has_value()) << again.failure->message;
  EXPECT_EQ(again.fired, s.faults);

  // Drop every op before the second decision's op, as ddmin would: the
  // ops left keep their decisions, and a run fails only hits among them.
  const uint64_t cut = s.faults[1].op;
  Scenario tail = s;
  tail.ops.erase(tail.ops.begin(), tail.ops.begin() + static_cast<ptrdiff_t>(cut));
  std::vector<FiredFault> kept;
  for (const FiredFault& d : s.faults) {
    if (d.op >= cut) kept.push_back(d);
  }
  tail.faults = kept;
  const RunResult tail_run = run_scenario(tail);
  ASSERT_FALSE(tail_run.fired.empty());
  for (const FiredFault& f : tail_run.fired) {
    EXPECT_NE(std::find(kept.begin(), kept.end(), f), kept.end()) << f.op << " " << f.nth;
  }
  // Armed as counted instead, the plan counts from op `cut` and fails other hits.
  Scenario raw = tail;
  raw.faults.clear();
  raw.counted = {{"sched/signal/eintr", *FaultPlan::parse("every:5")}};
  const RunResult raw_run = run_scenario(raw);
  EXPECT_NE(raw_run.fired, kept);
  // resolve_counted turns that into its own keyed schedule, which replays it.
  resolve_counted(raw);
  EXPECT_TRUE(raw.counted.empty());
  EXPECT_EQ(raw.faults, raw_run.fired);
  EXPECT_EQ(run_scenario(raw).fired, raw_run.fired);
}

// reduce() resolves a scenario's counted plans before it deletes any op:
// the minimized case carries keyed decisions only, and fails the same way.
TEST(CountedPlans, ReduceResolvesThemFirst) {
  CampaignParams p = params_for("shm_memfd", {{"shm.dealloc_page_head", "skip"}});
  std::optional<Scenario> s;
  std::optional<Failure> f;
  for (uint64_t seed = 0; seed < 200 && !f; ++seed) {
    s = draw_scenario(p, seed);
    s->faults.clear();
    s->counted = {{"sched/signal/eintr", *FaultPlan::parse("every:7")}};
    f = run_scenario(*s).failure;
  }
  ASSERT_TRUE(f.has_value()) << "no failure in seeds 0..199";
  const Reduced r = reduce(*s, *f);
  EXPECT_TRUE(r.scenario.counted.empty());
  EXPECT_TRUE(r.failure.same_way(*f));
  const RunResult again = run_scenario(r.scenario);
  ASSERT_TRUE(again.failure.has_value());
  EXPECT_TRUE(again.failure->same_way(*f));
}

TEST(Scenario, TheSeedDecidesEverything) {
  const CampaignParams p = params_for("all");
  const Scenario a = draw_scenario(p, 123), b = draw_scenario(p, 123);
  EXPECT_EQ(a.ops, b.ops);
  EXPECT_EQ(a.faults, b.faults);
  EXPECT_EQ(a.fs, b.fs);
  // Seed S runs on the (S mod n)-th filesystem.
  EXPECT_EQ(draw_scenario(p, 0).fs, campaign_filesystems()[0].spec.name);
  EXPECT_EQ(draw_scenario(p, campaign_filesystems().size() + 1).fs, campaign_filesystems()[1].spec.name);
  const RunResult r1 = run_scenario(a), r2 = run_scenario(b);
  EXPECT_EQ(r1.trace_hash, r2.trace_hash);
  EXPECT_EQ(r1.fired, r2.fired);
  EXPECT_EQ(r1.ops_run, r2.ops_run);
}

TEST(Scenario, KindsAFilesystemCannotRunAreNotDrawn) {
  for (const CampaignFs& fs : campaign_filesystems()) {
    Rng rng(5);
    const std::vector<Op> ops = campaign_ops(rng, 400, *find_mix("default"), fs, 3);
    const bool poison = std::any_of(ops.begin(), ops.end(), [](const Op& o) { return o.kind == OpKind::kPoison; });
    const bool swap = std::any_of(ops.begin(), ops.end(), [](const Op& o) { return o.kind == OpKind::kSwapout; });
    EXPECT_EQ(poison, fs.spec.poisonable()) << fs.spec.name;
    EXPECT_EQ(swap, fs.spec.type == "shmfs") << fs.spec.name;
  }
}

TEST(Failure, KindAndMaskedCheck) {
  Failure f;
  classify_violation("fsck: ino 3 page 2: resident and swapped", &f);
  EXPECT_EQ(f.kind, "fsck");
  EXPECT_EQ(f.check, "fsck: ino # page #: resident and swapped");
  classify_violation("pread returned 4096, the model has 9296 bytes there", &f);
  EXPECT_EQ(f.kind, "read");
  EXPECT_EQ(f.check, "pread returned #, the model has # bytes there");
  classify_violation(R"(mmap store of [1, +2) (size 3) -> {"ret":0,"size":3}: SIGBUS at 1)", &f);
  EXPECT_EQ(f.kind, "mmap");
  EXPECT_EQ(f.check, "mmap store of [#, +#) (size #) -> {}: SIGBUS at #");
  classify_violation("something new", &f);
  EXPECT_EQ(f.kind, "oracle");
}

// Seed 000's shm_deallocate excerpt (shm.dealloc_page_head=skip) leaves a
// range from a page boundary to inside that page untouched and succeeds
// with r_len still set; the first seed of a campaign on memfd objects
// that draws such a range fails, and reduction keeps only what it needs:
// a write under the range and the fspacectl.
TEST(Reduce, KeepsTheFailureAndDropsTheRest) {
  const CampaignParams p = params_for("shm_memfd", {{"shm.dealloc_page_head", "skip"}});
  std::optional<Scenario> s;
  std::optional<Failure> f;
  for (uint64_t seed = 0; seed < 200 && !f; ++seed) {
    s = draw_scenario(p, seed);
    f = run_scenario(*s).failure;
  }
  ASSERT_TRUE(f.has_value()) << "no failure in seeds 0..199";
  EXPECT_EQ(f->kind, "fspacectl");
  const Reduced r = reduce(*s, *f);
  EXPECT_TRUE(r.failure.same_way(*f));
  EXPECT_LE(r.scenario.ops.size(), 3u);
  EXPECT_EQ(r.scenario.ops.back().kind, OpKind::kFspacectl);
  // The reduced scenario fails on its own, the same way.
  const RunResult again = run_scenario(r.scenario);
  ASSERT_TRUE(again.failure.has_value());
  EXPECT_TRUE(again.failure->same_way(*f));
  // And under the fixed default it runs clean.
  Scenario fixed = r.scenario;
  fixed.variants.clear();
  EXPECT_FALSE(run_scenario(fixed).failure.has_value());
}

TEST(Trace, RoundTripsThroughJson) {
  CampaignParams p = params_for("xfs_block", {{"zeroinit", "on"}});
  p.faults = *parse_fault_spec("all");
  Scenario s = draw_scenario(p, 11);
  s.ops.resize(12);
  Failure f;
  f.message = "content differs from the model at byte 4096 (file 8192 bytes, model 8192)";
  classify_violation(f.message, &f);
  f.violations = {f.message};
  f.index = 11;
  f.op = s.ops[11];
  const nlohmann::ordered_json j = trace_json(s, f);
  EXPECT_EQ(j["format"], "vfssim-failure");
  absl::StatusOr<Scenario> back = scenario_from_json(nlohmann::ordered_json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->seed, s.seed);
  EXPECT_EQ(back->fs, s.fs);
  EXPECT_TRUE(back->fs_overrides.empty());
  EXPECT_EQ(back->variants, s.variants);
  EXPECT_EQ(back->faults, s.faults);
  EXPECT_EQ(back->ops, s.ops);
  absl::StatusOr<Failure> fb = failure_from_json(j["failure"]);
  ASSERT_TRUE(fb.ok());
  EXPECT_TRUE(fb->same_way(f));
  EXPECT_FALSE(scenario_from_json(nlohmann::ordered_json::parse(R"({"seed": 1})")).ok());

  // The overrides travel with the trace, and its shell line builds them.
  s.fs_overrides = {.dev = "pmem", .mkfs_opts = "-b size=2048", .mount_opts = "dax=always"};
  const nlohmann::ordered_json j2 = trace_json(s, f);
  EXPECT_EQ(j2["dev"], "pmem");
  EXPECT_EQ(j2["shell"], "vfssim io --fs=xfs --dev=pmem --mkfs-opt=\"-b size=2048\" --mount-opt=dax=always --seed=11 < seed-11.io");
  back = scenario_from_json(nlohmann::ordered_json::parse(j2.dump()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->fs_overrides, s.fs_overrides);
}

TEST(Script, NumbersFaultsAsTheShellNumbersCommands) {
  Scenario s;
  s.seed = 1;
  s.fs = "xfs_block";
  s.nfiles = 2;
  s.variants = {{"zeroinit", "on"}};
  s.ops = {Op::pwrite(0, 0, 4096, 1).with_id(4), Op::pwrite(1, 0, 4096, 2).with_id(9),
           Op::fsync(1).with_id(12)};
  s.faults = {{9, "blockdev/write/eio", 1, Errno::kEIO}, {30, "pmem/zero/eio", 1, Errno::kEIO}};
  // variant set (0), fault arm (1), open f0 (2), open f1 (3), file 0 (4),
  // pwrite (5), file 1 (6), pwrite (7), fsync (8); the decision for op 30,
  // which is not in the script, is left out.
  EXPECT_EQ(shell_op_numbers(s), (std::vector<uint64_t>{5, 7, 8}));
  EXPECT_EQ(io_script(s),
            "variant set zeroinit on\n"
            "fault arm blockdev/write/eio=at:7.1=EIO\n"
            "open -f f0\n"
            "open -f f1\n"
            "file 0\n"
            "pwrite -S 0x1 -b 4096 0 4096\n"
            "file 1\n"
            "pwrite -S 0x2 -b 4096 0 4096\n"
            "fsync\n");
  EXPECT_EQ(shell_command(s, "x.io"), "vfssim io --fs=xfs --dev=blk --seed=1 < x.io");
  s.fs = "shm_memfd";
  EXPECT_EQ(shell_command(s), "");
}

// Seed 004: without BLKDEV_ZERO_NOUNMAP a thin device may release the
// blocks a ZEROINIT zeroes, which the file still maps as written data.
TEST(ThinCheck, ZeroinitWithoutNounmapReleasesMappedBlocks) {
  for (const char* nounmap : {"on", "off"}) {
    Scenario s;
    s.seed = 3;
    s.fs = "xfs_thin";
    s.nfiles = 1;
    s.variants = {{"zeroinit", "on"}, {"zeroinit.nounmap", nounmap}};
    s.ops = {Op::pwrite(0, 0, 16384, 0x5a).with_id(0), Op::fsync(0).with_id(1),
             Op::fallocate(0, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, 0, 16384).with_id(2),
             Op::pread(0, 0, 16384).with_id(3)};
    const RunResult r = run_scenario(s);
    if (std::string_view(nounmap) == "on") {
      EXPECT_FALSE(r.failure.has_value()) << r.failure->message;
    } else {
      ASSERT_TRUE(r.failure.has_value());
      EXPECT_EQ(r.failure->kind, "thin");
      EXPECT_EQ(r.failure->index, 2u);
    }
  }
}

}  // namespace
}  // namespace vfssim
