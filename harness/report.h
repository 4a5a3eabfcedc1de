// report: a campaign over a range of seeds — run on threads, merged in
// seed order — and its JSON report, shard merging and the summary.
//
// The report holds the parameters, the variants in force, the totals (seeds,
// ops, faults fired per point, failures by kind and by filesystem) and every
// failing seed with its minimized case (trace and `vfssim io` script) and
// first divergence. It holds no wall-clock figure and no host detail, so the
// same seeds give a byte-identical report on every run, for every --jobs
// value, and for shards merged with merge_reports.
//
//   CampaignConfig cfg;
//   cfg.params.faults = *parse_fault_spec("default");
//   cfg.first = 0; cfg.last = 999; cfg.jobs = 2;
//   CampaignResult r = run_campaign(cfg);
//   std::string json = report_json(cfg, r).dump(2);
//   std::cout << summary_text(cfg, r);

#ifndef VFSSIM_HARNESS_REPORT_H_
#define VFSSIM_HARNESS_REPORT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/campaign.h"
#include "nlohmann/json.hpp"

namespace vfssim {

// Shard: this run takes the seeds whose index in the range (seed - first)
// is congruent to index modulo total.
struct Shard {
  uint64_t index = 0;
  uint64_t total = 1;
};

// Progress is what the progress callback sees: seeds done (in order),
// of how many, failures so far, ops run, seconds since the start.
struct Progress {
  uint64_t done = 0;
  uint64_t total = 0;
  uint64_t failures = 0;
  uint64_t ops = 0;
  double seconds = 0;
};

struct CampaignConfig {
  CampaignParams params;
  uint64_t first = 0;  // The seed range, inclusive.
  uint64_t last = 99;
  Shard shard;
  int jobs = 1;
  // stop_after: stop once this many seeds failed (0: never); the seeds
  // after the K-th failing one (in seed order) are not reported.
  uint64_t stop_after = 0;
  // time_limit: stop taking seeds after this many seconds (0: none); the
  // report then covers the seeds done in order before the first not done.
  double time_limit = 0;
  bool reduce = true;
  // verify, when set, checks a minimized case some other way (the `vfssim
  // io` shell replaying its script) and says what it found; the report
  // keeps the answer. It runs on the worker threads.
  std::function<std::string(const Scenario&, const Failure&)> verify;
  // progress, when set, is called from the calling thread about every
  // progress_interval seconds and once at the end.
  std::function<void(const Progress&)> progress;
  double progress_interval = 0.2;
};

// FailureCase: one failing seed.
struct FailureCase {
  uint64_t seed = 0;
  std::string fs;
  Failure original;  // As the seed's full run found it.
  Reduced reduced;   // The minimized case (reduced.scenario == the seed's when not reduced).
  std::string verified;
  nlohmann::ordered_json trace;  // trace_json of the minimized case.
};

struct FsTotals {
  uint64_t seeds = 0;
  uint64_t ops = 0;
  uint64_t failures = 0;
};

struct CampaignResult {
  uint64_t seeds_run = 0;
  uint64_t ops_run = 0;
  uint64_t seeds_total = 0;  // In this shard's part of the range.
  bool complete = true;      // Every seed of the shard ran.
  absl::btree_map<std::string, uint64_t> faults_fired;
  absl::btree_map<std::string, uint64_t> failures_by_kind;
  absl::btree_map<std::string, FsTotals> by_fs;
  std::vector<FailureCase> failures;  // In seed order.
  double seconds = 0;                 // Wall time: the summary's, never the report's.
};

// shard_seeds lists the seeds of [first, last] that `shard` takes.
std::vector<uint64_t> shard_seeds(uint64_t first, uint64_t last, const Shard& shard);

// run_campaign runs the shard's seeds on cfg.jobs threads and merges the
// outcomes in seed order: the result is the same for every jobs value.
// Precondition: check_params(cfg.params).
CampaignResult run_campaign(const CampaignConfig& cfg);

// report_json is the campaign's JSON report.
nlohmann::ordered_json report_json(const CampaignConfig& cfg, const CampaignResult& r);

// merge_reports combines the reports of shards 0..N-1 of one campaign into
// the report one run over the whole range writes. Errors: InvalidArgument
// reports of different campaigns, a shard missing or given twice, a shard
// that did not complete, or shards whose failures together reach
// stop_after (one run would have stopped early).
absl::StatusOr<nlohmann::ordered_json> merge_reports(const std::vector<nlohmann::ordered_json>& shards);

// summary_text is the readable summary: seeds, ops, rates, faults fired
// per point, failures by kind and each failing seed.
std::string summary_text(const CampaignConfig& cfg, const CampaignResult& r);

// write_file_atomically writes `contents` to a temporary file beside
// `path` and renames it over `path`. Errors: the I/O error, as a Status.
absl::Status write_file_atomically(const std::string& path, const std::string& contents);

// render_report renders a campaign report (report_json's) readably.
std::string render_report(const nlohmann::ordered_json& report);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_REPORT_H_
