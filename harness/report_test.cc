#include "harness/report.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace vfssim {
namespace {

CampaignConfig config(uint64_t first, uint64_t last, std::vector<std::pair<std::string, std::string>> variants = {},
                      std::string fs = "all") {
  CampaignConfig cfg;
  cfg.params.fs = std::move(fs);
  cfg.params.faults = *parse_fault_spec("default");
  cfg.params.variants = std::move(variants);
  cfg.first = first;
  cfg.last = last;
  return cfg;
}

std::string report_of(const CampaignConfig& cfg) { return report_json(cfg, run_campaign(cfg)).dump(2); }

TEST(Shards, CoverTheRangeExactlyOnce) {
  for (uint64_t total : {1, 2, 3, 7, 40}) {
    std::multiset<uint64_t> seen;
    for (uint64_t i = 0; i < total; ++i) {
      for (uint64_t s : shard_seeds(100, 129, {i, total})) seen.insert(s);
    }
    EXPECT_EQ(seen.size(), 30u) << total;
    for (uint64_t s = 100; s <= 129; ++s) EXPECT_EQ(seen.count(s), 1u) << total << " " << s;
  }
  // The end of the seed space does not wrap.
  const uint64_t top = ~uint64_t{0};
  EXPECT_EQ(shard_seeds(top - 2, top, {0, 1}), (std::vector<uint64_t>{top - 2, top - 1, top}));
  EXPECT_EQ(shard_seeds(top - 2, top, {1, 2}), (std::vector<uint64_t>{top - 1}));
}

// seed 000's swapped-page review case (shm.dealloc_swapped_page=skip) makes
// failures on memfd objects, so the reports below have some to order.
const std::vector<std::pair<std::string, std::string>> kSkip = {{"shm.dealloc_swapped_page", "skip"}};

TEST(Report, IsTheSameForEveryJobsValueAndRun) {
  CampaignConfig one = config(0, 35, kSkip, "shm_memfd,xfs_block,shmfs");
  const std::string a = report_of(one);
  CampaignConfig three = one;
  three.jobs = 3;
  EXPECT_EQ(report_of(three), a);
  EXPECT_EQ(report_of(one), a);
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(a);
  EXPECT_GT(j["totals"]["failing_seeds"].get<int>(), 0);
  EXPECT_EQ(j["totals"]["seeds"], 36);
  EXPECT_TRUE(j["complete"].get<bool>());
  // No wall-clock figure anywhere.
  EXPECT_EQ(a.find("seconds"), std::string::npos);
}

TEST(Report, ShardsMergeIntoTheSingleRunReport) {
  const CampaignConfig whole = config(10, 45, kSkip, "shm_memfd,xfs_block_1k");
  const std::string single = report_of(whole);
  std::vector<nlohmann::ordered_json> parts;
  for (uint64_t i : {2, 0, 1}) {  // Any order.
    CampaignConfig part = whole;
    part.shard = {i, 3};
    parts.push_back(report_json(part, run_campaign(part)));
    EXPECT_EQ(parts.back()["shard"]["index"], i);
  }
  absl::StatusOr<nlohmann::ordered_json> merged = merge_reports(parts);
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->dump(2), single);

  // A shard missing, given twice, or of another campaign.
  EXPECT_FALSE(merge_reports({parts[0], parts[1]}).ok());
  EXPECT_FALSE(merge_reports({parts[0], parts[1], parts[1]}).ok());
  nlohmann::ordered_json other = parts[2];
  other["params"]["ops"] = 7;
  EXPECT_FALSE(merge_reports({parts[0], parts[1], other}).ok());
  EXPECT_FALSE(merge_reports({nlohmann::ordered_json::parse("{}")}).ok());
}

TEST(Report, StopAfterStopsAtTheSameSeedWhateverTheJobs) {
  CampaignConfig cfg = config(0, 199, kSkip, "shm_memfd");
  cfg.stop_after = 2;
  const CampaignResult r1 = run_campaign(cfg);
  ASSERT_EQ(r1.failures.size(), 2u);
  EXPECT_FALSE(r1.complete);
  EXPECT_EQ(r1.seeds_run, r1.failures[1].seed + 1);  // Seeds 0.. the second failing one.
  cfg.jobs = 2;
  EXPECT_EQ(report_json(cfg, run_campaign(cfg)).dump(), report_json(cfg, r1).dump());
  // A stopped shard does not merge.
  cfg.shard = {0, 2};
  const nlohmann::ordered_json part = report_json(cfg, run_campaign(cfg));
  EXPECT_EQ(part["stopped"], "stop-after");
}

TEST(Report, SummaryNamesTheSeedsAndRates) {
  const CampaignConfig cfg = config(0, 26, kSkip, "shm_memfd");
  const CampaignResult r = run_campaign(cfg);
  const std::string s = summary_text(cfg, r);
  EXPECT_NE(s.find("ran 27 of 27 seeds"), std::string::npos) << s;
  EXPECT_NE(s.find("seeds/s"), std::string::npos) << s;
  EXPECT_NE(s.find("ops/s"), std::string::npos) << s;
  EXPECT_NE(s.find("faults fired"), std::string::npos) << s;
  const std::string rendered = render_report(report_json(cfg, r));
  EXPECT_NE(rendered.find("27 seeds"), std::string::npos) << rendered;
}

TEST(Report, WrittenAtomically) {
  const std::string dir = testing::TempDir();
  const std::string path = dir + "/report.json";
  ASSERT_TRUE(write_file_atomically(path, "one\n").ok());
  ASSERT_TRUE(write_file_atomically(path, "two\n").ok());
  std::ifstream f(path);
  std::stringstream got;
  got << f.rdbuf();
  EXPECT_EQ(got.str(), "two\n");
  EXPECT_FALSE(write_file_atomically(dir + "/no/such/dir/x.json", "x").ok());
}

}  // namespace
}  // namespace vfssim
