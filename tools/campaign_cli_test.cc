// vfssim campaign, replay, trace show and report merge, run in-process as
// the command line runs them: exit statuses, the report's determinism
// across runs, --jobs and shards, replay, and the minimized case replaying
// in vfssim io.

#include "tools/campaign_cli.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_split.h"
#include "harness/command.h"
#include "nlohmann/json.hpp"

namespace vfssim {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string tmp(const std::string& name) { return testing::TempDir() + "/" + name; }

struct Outcome {
  int status;
  std::string out, err;
};

Outcome campaign(CampaignCliOptions o) {
  std::ostringstream out, err;
  const int st = campaign_command(o, out, err);
  return {st, out.str(), err.str()};
}

// seed 000's excerpt (shm.dealloc_page_head=skip) on memfd objects: seeds
// 30..39 hold failures (the first at 31), and the same seeds under the
// fixed default hold none.
CampaignCliOptions failing() {
  CampaignCliOptions o;
  o.fs = "shm_memfd";
  o.seeds = "30..39";
  o.variants = {"shm.dealloc_page_head=skip"};
  return o;
}

TEST(CampaignCommand, ExitsZeroWhenCleanOneOnFailuresTwoOnUsage) {
  CampaignCliOptions clean = failing();
  clean.variants.clear();
  Outcome r = campaign(clean);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("failures: none"), std::string::npos) << r.out;

  r = campaign(failing());
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("failures: "), std::string::npos);
  EXPECT_NE(r.out.find("fspacectl"), std::string::npos) << r.out;

  auto usage = [](CampaignCliOptions o) {
    Outcome u = campaign(std::move(o));
    EXPECT_EQ(u.status, 2) << u.out;
    // One line, on stderr.
    EXPECT_EQ(std::count(u.err.begin(), u.err.end(), '\n'), 1) << u.err;
    EXPECT_TRUE(u.out.empty()) << u.out;
  };
  CampaignCliOptions o;
  o.fs = "ext9";
  usage(o);
  o = {};
  o.mix = "nope";
  usage(o);
  o = {};
  o.seeds = "9..3";
  usage(o);
  o = {};
  o.seeds = "1..3";
  o.count = 3;
  usage(o);
  o = {};
  o.faults = "blockdev/write/eio=every:0";
  usage(o);
  o = {};
  o.variants = {"zeroinit=maybe"};
  usage(o);
  o = {};
  o.shard = "3/3";
  usage(o);
  o = {};
  o.time = "soon";
  usage(o);
  o = {};
  o.jobs = 0;
  usage(o);
  o = {};
  o.fs = "shmfs";
  o.fs_overrides.dev = "pmem";
  usage(o);
  o = {};
  o.fs = "xfs_block";
  o.fs_overrides.mkfs_opts = "-b size=3";
  usage(o);
  o = {};
  o.fs = "xfs_block";
  o.fs_overrides.mount_opts = "nosuch=1";
  usage(o);
}

// vfssim io's filesystem options, on a campaign: the summary and the
// report's parameters say how the filesystem was built.
TEST(CampaignCommand, DevMkfsAndMountOptionsBuildTheFilesystem) {
  CampaignCliOptions o;
  o.fs = "xfs";
  o.fs_overrides = {.dev = "pmem", .mkfs_opts = "-b size=2048", .mount_opts = "dax=always"};
  o.mix = "poison";
  o.seeds = "0..3";
  o.ops = 20;
  o.out = tmp("dev.json");
  Outcome r = campaign(o);
  ASSERT_LE(r.status, 1) << r.err;
  EXPECT_NE(r.out.find("fs xfs --dev=pmem --mkfs-opt=\"-b size=2048\" --mount-opt=dax=always"), std::string::npos)
      << r.out;
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(slurp(tmp("dev.json")));
  EXPECT_EQ(j["params"]["dev"], "pmem");
  EXPECT_EQ(j["params"]["mkfs_opt"], "-b size=2048");
  EXPECT_EQ(j["params"]["mount_opt"], "dax=always");
  EXPECT_EQ(j["totals"]["seeds"], 4);
  EXPECT_GT(j["totals"]["ops"].get<int>(), 0);
}

TEST(CampaignCommand, ListsTheMixes) {
  CampaignCliOptions o;
  o.list_mixes = true;
  Outcome r = campaign(o);
  EXPECT_EQ(r.status, 0);
  for (const char* m : {"default", "data-io", "space", "reflink", "mmap", "poison", "namespace"}) {
    EXPECT_NE(r.out.find(m), std::string::npos) << m;
  }
}

TEST(CampaignCommand, ReportIsByteIdenticalAcrossRunsAndJobs) {
  CampaignCliOptions o = failing();
  o.out = tmp("a.json");
  ASSERT_EQ(campaign(o).status, 1);
  o.out = tmp("b.json");
  ASSERT_EQ(campaign(o).status, 1);
  o.out = tmp("c.json");
  o.jobs = 3;
  ASSERT_EQ(campaign(o).status, 1);
  const std::string a = slurp(tmp("a.json"));
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, slurp(tmp("b.json")));
  EXPECT_EQ(a, slurp(tmp("c.json")));
  // Written atomically: no temporary file stays beside it.
  for (const auto& e : std::filesystem::directory_iterator(testing::TempDir())) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(a);
  EXPECT_EQ(j["params"]["variants"]["shm.dealloc_page_head"], "skip");
  EXPECT_EQ(j["totals"]["seeds"], 10);
  ASSERT_GT(j["failures"].size(), 0u);
  const nlohmann::ordered_json& f = j["failures"][0];
  EXPECT_EQ(f["seed"], 31);
  EXPECT_EQ(f["kind"], "fspacectl");
  EXPECT_TRUE(f.contains("first_divergence"));
  EXPECT_TRUE(f.contains("script"));
  EXPECT_LE(f["minimized"]["ops"].get<int>(), 3);
}

TEST(CampaignCommand, ShardsFromTheEnvironmentMergeIntoTheSingleRun) {
  CampaignCliOptions o = failing();
  o.seeds = "30..45";
  o.out = tmp("single.json");
  ASSERT_EQ(campaign(o).status, 1);
  std::vector<std::string> parts;
  for (int i = 0; i < 3; ++i) {
    // As Bazel's test sharding sets it.
    setenv("TEST_SHARD_INDEX", std::to_string(i).c_str(), 1);
    setenv("TEST_TOTAL_SHARDS", "3", 1);
    CampaignCliOptions s = o;
    s.out = tmp("shard" + std::to_string(i) + ".json");
    campaign(s);
    parts.push_back(s.out);
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(slurp(s.out));
    EXPECT_EQ(j["shard"]["index"], i);
    EXPECT_EQ(j["totals"]["seeds"], i == 0 ? 6 : 5);  // 16 seeds: 6, 5, 5.
  }
  unsetenv("TEST_SHARD_INDEX");
  unsetenv("TEST_TOTAL_SHARDS");
  std::ostringstream out, err;
  ASSERT_EQ(report_merge_command({parts[1], parts[2], parts[0]}, tmp("merged.json"), out, err), 0) << err.str();
  EXPECT_EQ(slurp(tmp("merged.json")), slurp(tmp("single.json")));
  // Two shards of three are not the campaign.
  std::ostringstream out2, err2;
  EXPECT_EQ(report_merge_command({parts[0], parts[1]}, tmp("bad.json"), out2, err2), 2);
  EXPECT_NE(err2.str().find("missing"), std::string::npos) << err2.str();
}

TEST(Replay, ReproducesTheRecordedFailure) {
  CampaignCliOptions o = failing();
  o.out = tmp("r.json");
  o.cases = tmp("cases");
  ASSERT_EQ(campaign(o).status, 1);
  const std::string trace = tmp("cases/seed-31.json");
  ASSERT_TRUE(std::filesystem::exists(trace));
  // From the trace, and from the report (its first failure, or by seed).
  for (ReplayOptions r : {ReplayOptions{trace}, ReplayOptions{tmp("r.json")}, ReplayOptions{tmp("r.json"), 31}}) {
    std::ostringstream out, err;
    EXPECT_EQ(replay_command(r, out, err), 1) << out.str() << err.str();
    EXPECT_NE(out.str().find("reproduces the recorded failure"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("success with nothing done and r_len still set"), std::string::npos);
  }
  // The same case under the fixed default runs clean: exit 0.
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(slurp(trace));
  j["variants"] = nlohmann::ordered_json::object();
  std::ofstream(tmp("fixed.json")) << j.dump();
  std::ostringstream out, err;
  EXPECT_EQ(replay_command({tmp("fixed.json")}, out, err), 0) << out.str();
  EXPECT_NE(out.str().find("does not reproduce"), std::string::npos) << out.str();
  // Not a trace: a usage error.
  std::ofstream(tmp("junk.json")) << "{\"x\": 1}";
  std::ostringstream out2, err2;
  EXPECT_EQ(replay_command({tmp("junk.json")}, out2, err2), 2);
  std::ostringstream out3, err3;
  EXPECT_EQ(replay_command({tmp("r.json"), 12345}, out3, err3), 2);
}

TEST(Replay, TheScriptIsTheCaseInVfssimIo) {
  // On a filesystem the shell can build: MINIX's safecopy boundary under
  // the old EFAULT repeat policy (seed 003) gives a short read.
  CampaignCliOptions o;
  o.fs = "xfs_safecopy";
  o.seeds = "0..9";
  o.variants = {"safecopy.retry=on-efault"};
  o.out = tmp("sc.json");
  o.cases = tmp("sc");
  ASSERT_EQ(campaign(o).status, 1);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(slurp(o.out));
  ASSERT_GT(j["failures"].size(), 0u);
  for (const auto& f : j["failures"]) {
    EXPECT_EQ(f["shell_replay"].get<std::string>().rfind("reproduces", 0), 0u) << f["shell_replay"];
    // The script parses as the op language, first lines included.
    const std::string script = f["script"].get<std::string>();
    EXPECT_TRUE(parse_script(script).ok()) << script;
    EXPECT_NE(script.find("variant set safecopy.retry on-efault\n"), std::string::npos) << script;
    EXPECT_NE(f["trace"]["shell"].get<std::string>().find("vfssim io --fs=xfs --dev=blk --mount-opt=ipc=safecopy"),
              std::string::npos);
  }
  // A filesystem the shell cannot build says so.
  CampaignCliOptions m = failing();
  m.out = tmp("m.json");
  campaign(m);
  const nlohmann::ordered_json mj = nlohmann::ordered_json::parse(slurp(m.out));
  EXPECT_EQ(mj["failures"][0]["shell_replay"].get<std::string>().rfind("not replayable", 0), 0u);
}

TEST(TraceShow, RendersTracesReportsAndJsonLines) {
  CampaignCliOptions o = failing();
  o.out = tmp("show.json");
  o.cases = tmp("show");
  campaign(o);
  std::ostringstream out, err;
  ASSERT_EQ(trace_show_command(tmp("show/seed-31.json"), out, err), 0) << err.str();
  EXPECT_NE(out.str().find("failure trace: seed 31 on shm_memfd"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("fspacectl dealloc"), std::string::npos);
  std::ostringstream out2, err2;
  ASSERT_EQ(trace_show_command(tmp("show.json"), out2, err2), 0);
  EXPECT_NE(out2.str().find("campaign report: seeds 30..39"), std::string::npos) << out2.str();
  // The replay's JSON Lines trace, record by record.
  std::ostringstream out3, err3;
  replay_command({tmp("show/seed-31.json"), std::nullopt, tmp("replay.jsonl")}, out3, err3);
  std::ostringstream out4, err4;
  ASSERT_EQ(trace_show_command(tmp("replay.jsonl"), out4, err4), 0) << err4.str();
  EXPECT_NE(out4.str().find("boot"), std::string::npos);
  EXPECT_NE(out4.str().find("cmd=fspacectl dealloc"), std::string::npos) << out4.str();
  std::ofstream(tmp("bad.jsonl")) << "{\"kind\": \"x\"}\nnot json\n";
  std::ostringstream out5, err5;
  EXPECT_EQ(trace_show_command(tmp("bad.jsonl"), out5, err5), 2);
}

TEST(Durations, ReadSecondsMinutesHours) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("5m"), 300);
  EXPECT_EQ(parse_duration("1h"), 3600);
  EXPECT_LT(parse_duration("-1"), 0);
  EXPECT_LT(parse_duration("soon"), 0);
}

}  // namespace
}  // namespace vfssim
