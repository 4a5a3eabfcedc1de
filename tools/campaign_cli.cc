#include "tools/campaign_cli.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/campaign.h"
#include "harness/report.h"
#include "nlohmann/json.hpp"
#include "sim/absl_view.h"
#include "sim/variants.h"
#include "tools/campaign_shell.h"

namespace vfssim {
namespace {

using Json = nlohmann::ordered_json;

int usage(std::ostream& err, std::string_view cmd, absl::string_view what) {
  err << "vfssim " << cmd << ": " << what << "\n";
  return 2;
}

bool parse_u64(std::string_view s, uint64_t* v) { return !s.empty() && absl::SimpleAtoi(to_absl(s), v); }

// read_json reads a whole file as one JSON document.
absl::StatusOr<Json> read_json(const std::string& path) {
  std::ifstream f(path);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  try {
    return Json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not JSON (", e.what(), ")"));
  }
}

// with_kind prefixes a message with its kind, unless it says it already
// ("fsck: ...", "thin: ...").
std::string with_kind(const std::string& kind, const std::string& message) {
  return message.starts_with(kind + ": ") ? message : absl::StrCat(kind, ": ", message);
}

void draw_progress(std::ostream& err, const Progress& p) {
  constexpr int kWidth = 30;
  const double frac = p.total == 0 ? 1.0 : static_cast<double>(p.done) / static_cast<double>(p.total);
  const int filled = static_cast<int>(frac * kWidth);
  const double rate = p.seconds > 0 ? static_cast<double>(p.done) / p.seconds : 0;
  const double eta = rate > 0 ? static_cast<double>(p.total - p.done) / rate : 0;
  err << absl::StrFormat("\r[%s%s] %d/%d seeds  %.0f seeds/s  %.0f ops/s  ETA %.0fs  failures %d ",
                         std::string(static_cast<size_t>(filled), '#'),
                         std::string(static_cast<size_t>(kWidth - filled), '.'), p.done, p.total, rate,
                         p.seconds > 0 ? static_cast<double>(p.ops) / p.seconds : 0, eta, p.failures);
  if (p.done == p.total) err << "\n";
  err.flush();
}

std::string render_failure_trace(const Json& j) {
  std::string s;
  absl::StrAppendFormat(&s, "failure trace: seed %d on %s (mix %s, %d ops drawn, %d files)\n",
                        j.at("seed").get<uint64_t>(), j.at("fs").get<std::string>(),
                        j.value("mix", std::string("?")), j.value("ops_drawn", 0), j.value("files", 0));
  for (const auto& [name, value] : j.at("variants").items()) {
    absl::StrAppendFormat(&s, "variant %s=%s\n", name, value.get<std::string>());
  }
  for (const Json& d : j.at("faults")) {
    absl::StrAppendFormat(&s, "fault: op id %d, hit %d of %s -> %s\n", d.at("op").get<uint64_t>(),
                          d.at("nth").get<uint64_t>(), d.at("point").get<std::string>(),
                          d.at("err").get<std::string>());
  }
  absl::StrAppend(&s, "ops:\n");
  size_t i = 0;
  for (const Json& op : j.at("ops")) {
    absl::StrAppendFormat(&s, "  [%d] id %-4d f%d  %s\n", i++, op.value("id", -1), op.value("file", 0),
                          op.value("cmd", op.dump()));
  }
  if (j.contains("failure")) {
    const Json& f = j.at("failure");
    absl::StrAppendFormat(&s, "fails after op [%d] %s -> %s\n", f.at("op_index").get<uint64_t>(),
                          f.value("command", std::string()), f.at("result").dump());
    absl::StrAppendFormat(&s, "  %s\n", with_kind(f.at("kind").get<std::string>(), f.at("message").get<std::string>()));
    for (size_t k = 1; k < f.at("violations").size(); ++k) {
      absl::StrAppendFormat(&s, "  also: %s\n", f.at("violations")[k].get<std::string>());
    }
  }
  if (j.contains("script")) {
    const std::string shell = j.value("shell", std::string());
    absl::StrAppendFormat(&s, "vfssim io script%s:\n",
                          shell.empty() ? " (no vfssim io counterpart for this filesystem)" : " (" + shell + ")");
    for (absl::string_view line : absl::StrSplit(j.at("script").get<std::string>(), '\n', absl::SkipEmpty())) {
      absl::StrAppend(&s, "  ", line, "\n");
    }
  }
  return s;
}

// render_record renders one JSON Lines trace record: sequence number, time,
// kind, then the other fields as key=value.
std::string render_record(const Json& r) {
  std::string s = absl::StrFormat("%6d", r.value("seq", uint64_t{0}));
  if (r.contains("t")) {
    absl::StrAppendFormat(&s, " %12.6fs", static_cast<double>(r.at("t").get<uint64_t>()) / 1e9);
  } else {
    absl::StrAppend(&s, std::string(14, ' '));
  }
  absl::StrAppendFormat(&s, "  %-16s", r.value("kind", std::string("?")));
  for (const auto& [k, v] : r.items()) {
    if (k == "seq" || k == "t" || k == "kind") continue;
    absl::StrAppend(&s, " ", k, "=", v.is_string() ? v.get<std::string>() : v.dump());
  }
  return s;
}

// failure_in picks a failure trace out of a trace or report.
absl::StatusOr<Json> failure_in(const Json& j, std::optional<uint64_t> seed) {
  const std::string format = j.is_object() ? j.value("format", std::string()) : "";
  if (format == "vfssim-failure") {
    if (seed && j.at("seed").get<uint64_t>() != *seed) {
      return absl::InvalidArgumentError(absl::StrCat("the trace is seed ", j.at("seed").get<uint64_t>()));
    }
    return j;
  }
  if (format == "vfssim-campaign-report") {
    for (const Json& f : j.at("failures")) {
      if (!seed || f.at("seed").get<uint64_t>() == *seed) return f.at("trace");
    }
    return absl::InvalidArgumentError(seed ? absl::StrCat("the report has no failure for seed ", *seed)
                                           : "the report has no failures");
  }
  return absl::InvalidArgumentError("not a failure trace or campaign report");
}

}  // namespace

double parse_duration(const std::string& s) {
  if (s.empty()) return -1;
  double mult = 1;
  std::string num = s;
  switch (s.back()) {
    case 's':
      num.pop_back();
      break;
    case 'm':
      mult = 60;
      num.pop_back();
      break;
    case 'h':
      mult = 3600;
      num.pop_back();
      break;
    default:
      break;
  }
  double v = 0;
  if (!absl::SimpleAtod(num, &v) || !(v > 0)) return -1;
  return v * mult;
}

int campaign_command(const CampaignCliOptions& o, std::ostream& out, std::ostream& err) {
  if (o.list_mixes) {
    for (const Mix& m : campaign_mixes()) out << absl::StrFormat("%-10s %s\n", m.name, m.meaning);
    return 0;
  }
  CampaignConfig cfg;
  cfg.params.fs = o.fs;
  cfg.params.fs_overrides = o.fs_overrides;
  cfg.params.ops = o.ops;
  cfg.params.mix = o.mix;
  absl::StatusOr<FaultSpec> faults = parse_fault_spec(o.faults);
  if (!faults.ok()) return usage(err, "campaign", faults.status().message());
  cfg.params.faults = *faults;
  for (const std::string& v : o.variants) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos) return usage(err, "campaign", absl::StrCat("--variant ", v, ": NAME=VALUE"));
    cfg.params.variants.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  }
  if (absl::Status st = check_params(cfg.params); !st.ok()) return usage(err, "campaign", st.message());
  if (!o.seeds.empty() && o.count) return usage(err, "campaign", "--seeds and --count exclude each other");
  if (!o.seeds.empty()) {
    const size_t dots = o.seeds.find("..");
    if (dots == std::string::npos || !parse_u64(std::string_view(o.seeds).substr(0, dots), &cfg.first) ||
        !parse_u64(std::string_view(o.seeds).substr(dots + 2), &cfg.last) || cfg.last < cfg.first) {
      return usage(err, "campaign", absl::StrCat("--seeds=", o.seeds, ": A..B with A <= B (both included)"));
    }
  } else {
    const uint64_t n = o.count.value_or(100);
    if (n == 0) return usage(err, "campaign", "--count: at least 1");
    cfg.first = 0;
    cfg.last = n - 1;
  }
  std::string shard = o.shard;
  if (shard.empty()) {
    // Bazel's test sharding (and anything else that sets the pair).
    const char* index = std::getenv("TEST_SHARD_INDEX");
    const char* total = std::getenv("TEST_TOTAL_SHARDS");
    if (index != nullptr && total != nullptr) shard = absl::StrCat(index, "/", total);
    if (const char* status = std::getenv("TEST_SHARD_STATUS_FILE"); status != nullptr && *status != '\0') {
      std::ofstream touch(status, std::ios::app);  // "This test supports sharding."
    }
  }
  if (!shard.empty()) {
    const size_t slash = shard.find('/');
    if (slash == std::string::npos || !parse_u64(std::string_view(shard).substr(0, slash), &cfg.shard.index) ||
        !parse_u64(std::string_view(shard).substr(slash + 1), &cfg.shard.total) || cfg.shard.total == 0 ||
        cfg.shard.index >= cfg.shard.total) {
      return usage(err, "campaign", absl::StrCat("--shard=", shard, ": I/N with 0 <= I < N"));
    }
  }
  if (o.jobs < 1 || o.jobs > 1024) return usage(err, "campaign", "--jobs: 1..1024");
  cfg.jobs = o.jobs;
  cfg.stop_after = o.stop_after;
  if (!o.time.empty()) {
    cfg.time_limit = parse_duration(o.time);
    if (cfg.time_limit <= 0) {
      return usage(err, "campaign", absl::StrCat("--time=", o.time, ": a duration (90, 90s, 5m, 1h)"));
    }
  }
  cfg.reduce = o.reduce;
  if (o.verify) cfg.verify = verify_in_shell;
  if (o.progress) cfg.progress = [&err](const Progress& p) { draw_progress(err, p); };

  const CampaignResult r = run_campaign(cfg);
  const std::string report = report_json(cfg, r).dump(2) + "\n";
  if (!o.out.empty()) {
    if (absl::Status st = write_file_atomically(o.out, report); !st.ok()) {
      err << "vfssim campaign: " << st.message() << "\n";
      return 2;
    }
  }
  if (!o.cases.empty() && !r.failures.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.cases, ec);
    for (const FailureCase& fc : r.failures) {
      const std::string base = absl::StrCat(o.cases, "/seed-", fc.seed);
      absl::Status a = write_file_atomically(base + ".json", fc.trace.dump(2) + "\n");
      absl::Status b = write_file_atomically(base + ".io", io_script(fc.reduced.scenario));
      if (!a.ok() || !b.ok()) {
        err << "vfssim campaign: " << (a.ok() ? b : a).message() << "\n";
        return 2;
      }
    }
  }
  out << summary_text(cfg, r);
  if (!o.out.empty()) out << "report: " << o.out << "\n";
  if (!o.cases.empty() && !r.failures.empty()) out << "cases: " << o.cases << "/seed-S.{json,io}\n";
  return r.failures.empty() ? 0 : 1;
}

int replay_command(const ReplayOptions& o, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Json> j = read_json(o.path);
  if (!j.ok()) return usage(err, "replay", j.status().message());
  absl::StatusOr<Json> trace = failure_in(*j, o.seed);
  if (!trace.ok()) return usage(err, "replay", absl::StrCat(o.path, ": ", trace.status().message()));
  absl::StatusOr<Scenario> s = scenario_from_json(*trace);
  if (!s.ok()) return usage(err, "replay", absl::StrCat(o.path, ": ", s.status().message()));
  std::optional<Failure> recorded;
  if (trace->contains("failure")) {
    absl::StatusOr<Failure> f = failure_from_json(trace->at("failure"));
    if (!f.ok()) return usage(err, "replay", absl::StrCat(o.path, ": ", f.status().message()));
    recorded = *f;
  }
  std::vector<std::string> vars;
  for (const auto& [name, value] : s->variants) vars.push_back(absl::StrCat(name, "=", value));
  out << absl::StrFormat("replay: seed %d on %s, %d ops, %d faults%s\n", s->seed, s->fs, s->ops.size(),
                         s->faults.size(), vars.empty() ? "" : absl::StrCat(" (", absl::StrJoin(vars, " "), ")"));
  for (const FiredFault& d : s->faults) {
    out << absl::StrFormat("  fault: op id %d, hit %d of %s -> %s\n", d.op, d.nth, d.point, errno_name(d.err));
  }
  std::ofstream trace_out;
  RunConfig rc;
  if (!o.trace.empty()) {
    trace_out.open(o.trace);
    if (!trace_out) return usage(err, "replay", absl::StrCat("cannot write ", o.trace));
    rc.trace_out = &trace_out;
  }
  rc.after_op = [&](size_t i, const OpResult& r, SimBackend&) {
    out << absl::StrFormat("  [%d] id %-4d f%d  %-44s -> %s\n", i, s->ops[i].id, s->ops[i].file,
                           s->ops[i].to_command(), r.to_json().dump());
  };
  const RunResult r = run_scenario(*s, rc);
  if (!r.failure) {
    out << "no divergence: every op kept the oracle's invariants"
        << (recorded ? " (the recorded failure does not reproduce)" : "") << "\n";
    return 0;
  }
  const Failure& f = *r.failure;
  out << absl::StrFormat("diverges after op [%d] (id %d) %s\n  %s\n", f.index, f.op.id, f.op.to_command(),
                         with_kind(f.kind, f.message));
  for (size_t k = 1; k < f.violations.size(); ++k) out << "  also: " << f.violations[k] << "\n";
  if (!recorded) return 1;
  if (f.same_way(*recorded)) {
    out << (f.message == recorded->message && f.index == recorded->index
                ? "reproduces the recorded failure exactly\n"
                : "reproduces the recorded failure (same kind and check)\n");
    return 1;
  }
  out << absl::StrFormat("fails another way than recorded (%s: %s)\n", recorded->kind, recorded->message);
  return 3;
}

int trace_show_command(const std::string& path, std::ostream& out, std::ostream& err) {
  std::ifstream f(path);
  if (!f) return usage(err, "trace show", absl::StrCat("cannot read ", path));
  std::stringstream buf;
  buf << f.rdbuf();
  const std::string text = buf.str();
  // One JSON document (a failure trace or a report), else JSON Lines.
  try {
    Json j = Json::parse(text);
    const std::string format = j.is_object() ? j.value("format", std::string()) : "";
    if (format == "vfssim-failure") {
      out << render_failure_trace(j);
      return 0;
    }
    if (format == "vfssim-campaign-report") {
      out << render_report(j);
      return 0;
    }
    if (j.is_object() && j.contains("kind")) {
      out << render_record(j) << "\n";
      return 0;
    }
    return usage(err, "trace show", absl::StrCat(path, ": JSON, but not a trace"));
  } catch (const nlohmann::json::exception&) {
  }
  int lineno = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++lineno;
    try {
      out << render_record(Json::parse(line)) << "\n";
    } catch (const nlohmann::json::exception& e) {
      return usage(err, "trace show", absl::StrCat(path, ":", lineno, ": not a JSON Lines trace record"));
    }
  }
  return 0;
}

int report_merge_command(const std::vector<std::string>& inputs, const std::string& out_path,
                         std::ostream& out, std::ostream& err) {
  if (inputs.empty()) return usage(err, "report merge", "no reports given");
  std::vector<Json> reports;
  for (const std::string& p : inputs) {
    absl::StatusOr<Json> j = read_json(p);
    if (!j.ok()) return usage(err, "report merge", j.status().message());
    reports.push_back(*std::move(j));
  }
  absl::StatusOr<Json> merged = merge_reports(reports);
  if (!merged.ok()) return usage(err, "report merge", merged.status().message());
  const std::string text = merged->dump(2) + "\n";
  if (out_path.empty()) {
    out << text;
    return 0;
  }
  if (absl::Status st = write_file_atomically(out_path, text); !st.ok()) {
    return usage(err, "report merge", st.message());
  }
  out << absl::StrFormat("merged %d reports: %d seeds, %d failing -> %s\n", reports.size(),
                         merged->at("totals").at("seeds").get<uint64_t>(),
                         merged->at("totals").at("failing_seeds").get<uint64_t>(), out_path);
  return 0;
}

}  // namespace vfssim
