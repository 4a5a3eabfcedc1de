#include "harness/report.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/variants.h"

namespace vfssim {
namespace {

using Json = nlohmann::ordered_json;

// SeedOutcome is one seed's run, as a worker leaves it.
struct SeedOutcome {
  bool done = false;
  std::string fs;
  uint64_t ops = 0;
  std::vector<FiredFault> fired;
  std::optional<FailureCase> failure;
};

SeedOutcome run_seed(const CampaignConfig& cfg, uint64_t seed) {
  SeedOutcome o;
  Scenario s = draw_scenario(cfg.params, seed);
  RunResult r = run_scenario(s);
  o.fs = s.fs;
  o.ops = r.ops_run;
  o.fired = std::move(r.fired);
  if (!r.failure) return o;
  FailureCase fc;
  fc.seed = seed;
  fc.fs = s.fs;
  fc.original = *r.failure;
  if (cfg.reduce) {
    fc.reduced = reduce(s, *r.failure);
  } else {
    Scenario trimmed = s;
    trimmed.ops.resize(r.failure->index + 1);
    fc.reduced = Reduced{trimmed, *r.failure, 0};
  }
  fc.trace = trace_json(fc.reduced.scenario, fc.reduced.failure);
  if (cfg.verify) fc.verified = cfg.verify(fc.reduced.scenario, fc.reduced.failure);
  o.failure = std::move(fc);
  return o;
}

Json params_json(const CampaignConfig& cfg) {
  const CampaignParams& p = cfg.params;
  Json j;
  j["fs"] = p.fs;
  if (!p.fs_overrides.dev.empty()) j["dev"] = p.fs_overrides.dev;
  if (!p.fs_overrides.mkfs_opts.empty()) j["mkfs_opt"] = p.fs_overrides.mkfs_opts;
  if (!p.fs_overrides.mount_opts.empty()) j["mount_opt"] = p.fs_overrides.mount_opts;
  j["ops"] = p.ops;
  j["mix"] = p.mix;
  j["files"] = p.nfiles;
  j["faults"] = p.faults.text;
  Json rules = Json::array();
  for (const FaultRule& r : p.faults.rules) {
    Json x;
    x["point"] = r.point;
    if (r.at) {
      x["at"] = absl::StrCat(r.at->first, ".", r.at->second);
    } else {
      x["rate"] = r.rate;
    }
    if (r.err) x["err"] = errno_name(*r.err);
    if (r.applies != nullptr) {
      for (const DefaultFaultPoint& d : default_fault_points()) {
        if (d.point == r.point && d.applies == r.applies) x["ops"] = d.why;
      }
    }
    rules.push_back(x);
  }
  j["fault_rules"] = rules;
  Json vars = Json::object();
  for (const auto& [name, value] : p.variants) vars[name] = value;
  j["variants"] = vars;
  j["seeds"] = {{"first", cfg.first}, {"last", cfg.last}};
  j["stop_after"] = cfg.stop_after;
  j["reduce"] = cfg.reduce;
  return j;
}

std::vector<std::string> in_force(const CampaignParams& p) {
  Variants v(nullptr);
  for (const auto& [name, value] : p.variants) v.set(name, value);
  return v.in_force();
}

Json failure_case_json(const FailureCase& fc) {
  const Scenario& s = fc.reduced.scenario;
  const Failure& f = fc.reduced.failure;
  Json j;
  j["seed"] = fc.seed;
  j["fs"] = fc.fs;
  j["kind"] = fc.original.kind;
  j["check"] = fc.original.check;
  j["message"] = fc.original.message;
  j["found_at_op"] = fc.original.index;
  j["minimized"] = {{"ops", s.ops.size()}, {"faults", s.faults.size()}, {"runs", fc.reduced.runs}};
  Json d;
  d["op_index"] = f.index;
  d["op_id"] = f.op.id;
  d["command"] = f.op.to_command();
  d["result"] = f.result.to_json();
  d["message"] = f.message;
  d["violations"] = f.violations;
  j["first_divergence"] = d;
  if (!fc.verified.empty()) j["shell_replay"] = fc.verified;
  j["script"] = io_script(s);
  j["trace"] = fc.trace;
  return j;
}

// Body: the parts of a report that shards add up.
struct Body {
  uint64_t seeds_run = 0;
  uint64_t ops_run = 0;
  bool complete = true;
  std::string stopped;
  absl::btree_map<std::string, uint64_t> faults_fired;
  absl::btree_map<std::string, uint64_t> failures_by_kind;
  absl::btree_map<std::string, FsTotals> by_fs;
  std::vector<Json> failures;  // Sorted by seed.
};

Json assemble(const Json& params, const Json& variants_in_force, const Json* shard, const Body& b) {
  Json j;
  j["format"] = "vfssim-campaign-report";
  j["version"] = 1;
  j["params"] = params;
  j["variants_in_force"] = variants_in_force;
  if (shard != nullptr) j["shard"] = *shard;
  j["complete"] = b.complete;
  if (!b.stopped.empty()) j["stopped"] = b.stopped;
  uint64_t failing = 0;
  for (const auto& [fs, t] : b.by_fs) failing += t.failures;
  j["totals"] = {{"seeds", b.seeds_run}, {"ops", b.ops_run}, {"failing_seeds", failing}};
  Json by_fs = Json::object();
  for (const auto& [fs, t] : b.by_fs) {
    by_fs[fs] = {{"seeds", t.seeds}, {"ops", t.ops}, {"failures", t.failures}};
  }
  j["by_fs"] = by_fs;
  Json fired = Json::object();
  for (const auto& [p, n] : b.faults_fired) fired[p] = n;
  j["faults_fired"] = fired;
  Json kinds = Json::object();
  for (const auto& [k, n] : b.failures_by_kind) kinds[k] = n;
  j["failures_by_kind"] = kinds;
  j["failures"] = b.failures;
  return j;
}

std::string rate(double n, double seconds) {
  return seconds > 0 ? absl::StrFormat("%.0f", n / seconds) : "-";
}

}  // namespace

std::vector<uint64_t> shard_seeds(uint64_t first, uint64_t last, const Shard& shard) {
  std::vector<uint64_t> out;
  if (last < first || shard.total == 0) return out;
  for (uint64_t k = shard.index; k <= last - first; k += shard.total) {
    out.push_back(first + k);
    if (last - first - k < shard.total) break;  // The next step would pass last (or wrap).
  }
  return out;
}

CampaignResult run_campaign(const CampaignConfig& cfg) {
  keep_freed_memory();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  const std::vector<uint64_t> seeds = shard_seeds(cfg.first, cfg.last, cfg.shard);
  std::vector<SeedOutcome> out(seeds.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> limit{seeds.size()};
  std::atomic<bool> timed_out{false};
  std::mutex mu;
  std::condition_variable cv;
  size_t prefix = 0;  // out[0, prefix) are done and counted.
  uint64_t prefix_failures = 0, prefix_ops = 0;
  int running = std::max(1, cfg.jobs);

  auto worker = [&] {
    for (;;) {
      if (cfg.time_limit > 0 && elapsed() > cfg.time_limit) {
        timed_out = true;
        break;
      }
      const size_t i = next.fetch_add(1);
      if (i >= limit.load()) break;
      SeedOutcome o = run_seed(cfg, seeds[i]);
      std::lock_guard<std::mutex> lock(mu);
      out[i] = std::move(o);
      out[i].done = true;
      while (prefix < limit.load() && out[prefix].done) {
        prefix_ops += out[prefix].ops;
        if (out[prefix].failure && ++prefix_failures == cfg.stop_after && cfg.stop_after > 0) {
          limit = prefix + 1;
        }
        ++prefix;
      }
      cv.notify_all();
    }
    std::lock_guard<std::mutex> lock(mu);
    --running;
    cv.notify_all();
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, cfg.jobs); ++t) threads.emplace_back(worker);
  {
    std::unique_lock<std::mutex> lock(mu);
    while (running > 0) {
      cv.wait_for(lock, std::chrono::duration<double>(cfg.progress_interval));
      if (cfg.progress) {
        cfg.progress({prefix, seeds.size(), prefix_failures, prefix_ops, elapsed()});
      }
    }
  }
  for (std::thread& t : threads) t.join();

  CampaignResult r;
  r.seeds_total = seeds.size();
  for (size_t i = 0; i < prefix; ++i) {
    SeedOutcome& o = out[i];
    ++r.seeds_run;
    r.ops_run += o.ops;
    FsTotals& t = r.by_fs[o.fs];
    ++t.seeds;
    t.ops += o.ops;
    for (const FiredFault& f : o.fired) ++r.faults_fired[f.point];
    if (o.failure) {
      ++t.failures;
      ++r.failures_by_kind[o.failure->original.kind];
      r.failures.push_back(std::move(*o.failure));
    }
  }
  r.complete = r.seeds_run == seeds.size();
  (void)timed_out;
  r.seconds = elapsed();
  if (cfg.progress) cfg.progress({r.seeds_run, seeds.size(), r.failures.size(), r.ops_run, r.seconds});
  return r;
}

Json report_json(const CampaignConfig& cfg, const CampaignResult& r) {
  Body b;
  b.seeds_run = r.seeds_run;
  b.ops_run = r.ops_run;
  b.complete = r.complete;
  if (!r.complete) {
    b.stopped = cfg.stop_after > 0 && r.failures.size() >= cfg.stop_after ? "stop-after" : "time";
  }
  b.faults_fired = r.faults_fired;
  b.failures_by_kind = r.failures_by_kind;
  b.by_fs = r.by_fs;
  for (const FailureCase& fc : r.failures) b.failures.push_back(failure_case_json(fc));
  Json vars = in_force(cfg.params);
  if (cfg.shard.total > 1) {
    const Json shard = {{"index", cfg.shard.index}, {"total", cfg.shard.total}};
    return assemble(params_json(cfg), vars, &shard, b);
  }
  return assemble(params_json(cfg), vars, nullptr, b);
}

absl::StatusOr<Json> merge_reports(const std::vector<Json>& shards) {
  if (shards.empty()) return absl::InvalidArgumentError("no reports to merge");
  Body b;
  std::vector<bool> seen;
  uint64_t total = 0;
  const Json* params = nullptr;
  const Json* vars = nullptr;
  try {
    for (size_t i = 0; i < shards.size(); ++i) {
      const Json& s = shards[i];
      if (s.value("format", "") != "vfssim-campaign-report" || s.value("version", 0) != 1) {
        return absl::InvalidArgumentError(absl::StrCat("report ", i + 1, ": not a vfssim campaign report"));
      }
      uint64_t index = 0, n = 1;
      if (s.contains("shard")) {
        index = s["shard"].at("index").get<uint64_t>();
        n = s["shard"].at("total").get<uint64_t>();
      }
      if (params == nullptr) {
        params = &s.at("params");
        vars = &s.at("variants_in_force");
        total = n;
        seen.assign(n, false);
      } else if (s.at("params") != *params || n != total) {
        return absl::InvalidArgumentError(
            absl::StrCat("report ", i + 1, ": another campaign (its parameters or shard count differ)"));
      }
      if (index >= total || seen[index]) {
        return absl::InvalidArgumentError(absl::StrCat("report ", i + 1, ": shard ", index, "/", total,
                                                       index >= total ? " is out of range" : " given twice"));
      }
      seen[index] = true;
      if (!s.at("complete").get<bool>()) {
        return absl::InvalidArgumentError(absl::StrCat("report ", i + 1, ": shard ", index, "/", total,
                                                       " stopped early (", s.value("stopped", "?"),
                                                       "): its seeds are not all there"));
      }
      b.seeds_run += s.at("totals").at("seeds").get<uint64_t>();
      b.ops_run += s.at("totals").at("ops").get<uint64_t>();
      for (const auto& [k, v] : s.at("faults_fired").items()) b.faults_fired[k] += v.get<uint64_t>();
      for (const auto& [k, v] : s.at("failures_by_kind").items()) b.failures_by_kind[k] += v.get<uint64_t>();
      for (const auto& [k, v] : s.at("by_fs").items()) {
        FsTotals& t = b.by_fs[k];
        t.seeds += v.at("seeds").get<uint64_t>();
        t.ops += v.at("ops").get<uint64_t>();
        t.failures += v.at("failures").get<uint64_t>();
      }
      for (const Json& f : s.at("failures")) b.failures.push_back(f);
    }
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("malformed report: ", e.what()));
  }
  for (uint64_t i = 0; i < total; ++i) {
    if (!seen[i]) return absl::InvalidArgumentError(absl::StrCat("shard ", i, "/", total, " is missing"));
  }
  const uint64_t stop_after = params->value("stop_after", uint64_t{0});
  if (stop_after > 0 && b.failures.size() >= stop_after && total > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the shards found ", b.failures.size(), " failures with --stop-after=", stop_after,
        ": one run would have stopped at the ", stop_after, "th, which the shards cannot say where"));
  }
  std::stable_sort(b.failures.begin(), b.failures.end(), [](const Json& x, const Json& y) {
    return x.at("seed").get<uint64_t>() < y.at("seed").get<uint64_t>();
  });
  return assemble(*params, *vars, nullptr, b);
}

std::string summary_text(const CampaignConfig& cfg, const CampaignResult& r) {
  std::string s;
  const CampaignParams& p = cfg.params;
  absl::StrAppendFormat(&s, "campaign: seeds %d..%d", cfg.first, cfg.last);
  if (cfg.shard.total > 1) absl::StrAppendFormat(&s, " (shard %d/%d)", cfg.shard.index, cfg.shard.total);
  absl::StrAppendFormat(&s, ", fs %s", p.fs);
  if (!p.fs_overrides.dev.empty()) absl::StrAppendFormat(&s, " --dev=%s", p.fs_overrides.dev);
  if (!p.fs_overrides.mkfs_opts.empty()) absl::StrAppendFormat(&s, " --mkfs-opt=\"%s\"", p.fs_overrides.mkfs_opts);
  if (!p.fs_overrides.mount_opts.empty()) absl::StrAppendFormat(&s, " --mount-opt=%s", p.fs_overrides.mount_opts);
  absl::StrAppendFormat(&s, ", mix %s, %d ops, faults %s", p.mix, p.ops, p.faults.text);
  for (const auto& [name, value] : p.variants) absl::StrAppendFormat(&s, ", %s=%s", name, value);
  absl::StrAppend(&s, "\n");
  absl::StrAppendFormat(&s, "ran %d of %d seeds, %d ops in %.1f s: %s seeds/s, %s ops/s%s\n", r.seeds_run,
                        r.seeds_total, r.ops_run, r.seconds, rate(static_cast<double>(r.seeds_run), r.seconds),
                        rate(static_cast<double>(r.ops_run), r.seconds), r.complete ? "" : " (stopped early)");
  for (const auto& [fs, t] : r.by_fs) {
    absl::StrAppendFormat(&s, "  %-16s %7d seeds %9d ops %5d failing\n", fs, t.seeds, t.ops, t.failures);
  }
  if (r.faults_fired.empty()) {
    absl::StrAppend(&s, "faults fired: none\n");
  } else {
    absl::StrAppend(&s, "faults fired:\n");
    for (const auto& [point, n] : r.faults_fired) absl::StrAppendFormat(&s, "  %-24s %d\n", point, n);
  }
  if (r.failures.empty()) {
    absl::StrAppend(&s, "failures: none\n");
    return s;
  }
  std::vector<std::string> kinds;
  for (const auto& [k, n] : r.failures_by_kind) kinds.push_back(absl::StrCat(k, " ", n));
  absl::StrAppendFormat(&s, "failures: %d (%s)\n", r.failures.size(), absl::StrJoin(kinds, ", "));
  for (const FailureCase& fc : r.failures) {
    absl::StrAppendFormat(&s, "  seed %d (%s) %s: %s\n", fc.seed, fc.fs, fc.original.kind, fc.original.message);
    absl::StrAppendFormat(&s, "    minimized to %d ops, %d faults (%d runs); fails after: %s\n",
                          fc.reduced.scenario.ops.size(), fc.reduced.scenario.faults.size(), fc.reduced.runs,
                          fc.reduced.failure.op.to_command());
    if (!fc.verified.empty()) absl::StrAppendFormat(&s, "    vfssim io: %s\n", fc.verified);
  }
  return s;
}

absl::Status write_file_atomically(const std::string& path, const std::string& contents) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) return absl::UnavailableError(absl::StrCat("cannot write ", tmp));
    f << contents;
    f.flush();
    if (!f) {
      std::remove(tmp.c_str());
      return absl::UnavailableError(absl::StrCat("writing ", tmp, " failed"));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::UnavailableError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

std::string render_report(const Json& j) {
  std::string s;
  const Json& p = j.at("params");
  absl::StrAppendFormat(&s, "campaign report: seeds %d..%d, fs %s, mix %s, %d ops, faults %s\n",
                        p.at("seeds").at("first").get<uint64_t>(), p.at("seeds").at("last").get<uint64_t>(),
                        p.at("fs").get<std::string>(), p.at("mix").get<std::string>(), p.at("ops").get<int>(),
                        p.at("faults").get<std::string>());
  if (j.contains("shard")) {
    absl::StrAppendFormat(&s, "shard %d/%d\n", j["shard"]["index"].get<uint64_t>(),
                          j["shard"]["total"].get<uint64_t>());
  }
  for (const auto& [name, value] : p.at("variants").items()) {
    absl::StrAppendFormat(&s, "variant %s=%s\n", name, value.get<std::string>());
  }
  const Json& t = j.at("totals");
  absl::StrAppendFormat(&s, "%d seeds, %d ops, %d failing%s\n", t.at("seeds").get<uint64_t>(),
                        t.at("ops").get<uint64_t>(), t.at("failing_seeds").get<uint64_t>(),
                        j.at("complete").get<bool>() ? "" : " (stopped early)");
  for (const auto& [point, n] : j.at("faults_fired").items()) {
    absl::StrAppendFormat(&s, "  fault %-24s fired %d\n", point, n.get<uint64_t>());
  }
  for (const Json& f : j.at("failures")) {
    absl::StrAppendFormat(&s, "\nseed %d on %s: %s: %s\n", f.at("seed").get<uint64_t>(),
                          f.at("fs").get<std::string>(), f.at("kind").get<std::string>(),
                          f.at("message").get<std::string>());
    const Json& m = f.at("minimized");
    const Json& d = f.at("first_divergence");
    absl::StrAppendFormat(&s, "minimized to %d ops and %d faults; diverges after op %d: %s -> %s\n",
                          m.at("ops").get<uint64_t>(), m.at("faults").get<uint64_t>(),
                          d.at("op_index").get<uint64_t>(), d.at("command").get<std::string>(),
                          d.at("result").dump());
    absl::StrAppendFormat(&s, "  %s\n", d.at("message").get<std::string>());
    if (f.contains("shell_replay")) {
      absl::StrAppendFormat(&s, "vfssim io: %s\n", f.at("shell_replay").get<std::string>());
    }
    absl::StrAppend(&s, "script:\n");
    for (absl::string_view line : absl::StrSplit(f.at("script").get<std::string>(), '\n', absl::SkipEmpty())) {
      absl::StrAppend(&s, "  ", line, "\n");
    }
  }
  return s;
}

}  // namespace vfssim
