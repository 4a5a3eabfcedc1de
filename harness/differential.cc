#include "harness/differential.h"

#include "absl/strings/str_cat.h"
#include "harness/oracle.h"

namespace vfssim {
namespace {

// replay_before lists the ops before ops[i] that could have shaped the
// files it touches: those on the same files, and, through the two-file
// ops among them, on their sources, transitively.
std::string replay_before(const std::vector<Op>& ops, size_t i) {
  std::vector<bool> wanted;
  auto want = [&](int f) {
    if (static_cast<size_t>(f) >= wanted.size()) wanted.resize(static_cast<size_t>(f) + 1, false);
    wanted[static_cast<size_t>(f)] = true;
  };
  auto wanted_file = [&](int f) { return static_cast<size_t>(f) < wanted.size() && wanted[f]; };
  want(ops[i].file);
  if (ops[i].two_files()) want(ops[i].src);
  std::vector<size_t> picked;
  for (size_t j = i; j-- > 0;) {
    // An op changes only ops[j].file; a two-file op makes it depend on src.
    if (!wanted_file(ops[j].file)) continue;
    picked.push_back(j);
    if (ops[j].two_files()) want(ops[j].src);
  }
  std::string replay;
  for (size_t k = picked.size(); k-- > 0;) {
    absl::StrAppend(&replay, "\n  ", ops[picked[k]].to_json().dump());
  }
  return replay;
}

}  // namespace

std::string run_differential(Backend& sim, Backend& host, const std::vector<Op>& ops,
                             const DifferentialOptions& opts) {
  Oracle sim_oracle(sim, opts.nfiles), host_oracle(host, opts.nfiles);
  const std::string sim_name(sim.name()), host_name(host.name());
  std::vector<bool> layout_may_differ(static_cast<size_t>(opts.nfiles), false);
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    OpResult a, b;
    const std::vector<std::string> bad_sim = sim_oracle.step(op, &a);
    const std::vector<std::string> bad_host = host_oracle.step(op, &b);
    if (opts.log != nullptr) {
      *opts.log << op.to_json().dump() << "\n  " << sim_name << " " << a.to_json().dump() << "\n  "
                << host_name << " " << b.to_json().dump() << "\n";
    }
    if (!opts.compare_extents) a.extents = b.extents = {};
    std::vector<bool>::reference diverged = layout_may_differ[static_cast<size_t>(op.file)];
    if (diverged && (op.kind == OpKind::kSeekData || op.kind == OpKind::kSeekHole ||
                     op.kind == OpKind::kFiemap)) {
      a = b;  // Not compared: each oracle checked its own side.
    }
    if (op.kind == OpKind::kFspacectl && !opts.deallocate_punches) diverged = true;
    if (op.kind == OpKind::kTruncate && op.len == 0 && a.err == Errno::kOk && b.err == Errno::kOk) {
      diverged = false;
    }
    const std::string where = absl::StrCat("op ", i, " ", op.to_json().dump(), ": ");
    std::string what;
    if (!bad_sim.empty()) {
      what = absl::StrCat(sim_name, ": ", bad_sim[0]);
    } else if (!bad_host.empty()) {
      what = absl::StrCat(host_name, ": ", bad_host[0]);
    } else if (std::string d = compare_results(a, b); !d.empty()) {
      what = absl::StrCat(d, " (", sim_name, " ", a.to_json().dump(), ", ", host_name, " ",
                          b.to_json().dump(), ")");
    } else {
      continue;
    }
    return absl::StrCat(where, what, "\nafter:", replay_before(ops, i));
  }
  return "";
}

}  // namespace vfssim
