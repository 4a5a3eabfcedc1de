// The campaign rate: one scenario is a fresh simulated machine and
// filesystem, 50 ops drawn from the seed, the fault decisions armed, and the
// oracle (files read back and compared as Oracle::step does, every call's
// contract, the read-back after the last op) plus
// the filesystem's fsck after every op — what `vfssim campaign` does per
// seed before any reduction. Single-threaded, so the rates are per core.
// Run: bazel run --config=opt //bench:campaign_bench
//
// The target (issue 12): at least 2,000 scenarios/s per core, i.e. 100,000
// checked ops/s. docs/campaign.md gives the figures and where the time goes.
//
// BM_CampaignScenario/<fs>: the whole scenario on one filesystem, default
// faults and mix (fs indexes campaign_filesystems()).
// BM_CampaignDraw: drawing the ops and decisions alone.
// BM_CampaignSetup/<fs>: the fresh machine, mkfs, mount and files alone.

#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "harness/campaign.h"

namespace vfssim {
namespace {

const CampaignParams& params_for(const std::string& fs) {
  static std::map<std::string, CampaignParams> cache;
  auto it = cache.find(fs);
  if (it == cache.end()) {
    CampaignParams p;
    p.fs = fs;
    p.faults = *parse_fault_spec("default");
    it = cache.emplace(fs, p).first;
  }
  return it->second;
}

void BM_CampaignScenario(benchmark::State& state) {
  keep_freed_memory();  // As run_campaign does.
  const CampaignFs& fs = campaign_filesystems().at(static_cast<size_t>(state.range(0)));
  const CampaignParams& p = params_for(fs.spec.name);
  uint64_t seed = 1, ops = 0, failures = 0;
  for (auto _ : state) {
    const Scenario s = draw_scenario(p, seed++);
    const RunResult r = run_scenario(s);
    ops += r.ops_run;
    failures += r.failure ? 1 : 0;
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetLabel(fs.spec.name);
  state.counters["scenarios/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate);
  state.counters["ops/s"] = benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
  state.counters["failing"] = static_cast<double>(failures);
}
BENCHMARK(BM_CampaignScenario)->DenseRange(0, static_cast<int64_t>(campaign_filesystems().size()) - 1)
    ->Unit(benchmark::kMicrosecond);

void BM_CampaignDraw(benchmark::State& state) {
  const CampaignParams& p = params_for("xfs_block");
  uint64_t seed = 1;
  for (auto _ : state) {
    const Scenario s = draw_scenario(p, seed++);
    benchmark::DoNotOptimize(s.ops.data());
  }
  state.counters["scenarios/s"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                     benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CampaignDraw)->Unit(benchmark::kMicrosecond);

void BM_CampaignSetup(benchmark::State& state) {
  const CampaignFs& fs = campaign_filesystems().at(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    Scenario s;
    s.seed = 1;
    s.fs = fs.spec.name;
    const RunResult r = run_scenario(s);  // No ops: the machine, mkfs, mount, files.
    benchmark::DoNotOptimize(r.trace_hash);
  }
  state.SetLabel(fs.spec.name);
}
BENCHMARK(BM_CampaignSetup)->DenseRange(0, static_cast<int64_t>(campaign_filesystems().size()) - 1)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace vfssim
