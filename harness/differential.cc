#include "harness/differential.h"

#include "absl/strings/str_cat.h"
#include "harness/oracle.h"

namespace vfssim {

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
    if (!opts.compare_extents) a.extents = b.extents = {};
    std::vector<bool>::reference diverged = layout_may_differ[static_cast<size_t>(op.file)];
    if (diverged && (op.kind == OpKind::kSeekData || op.kind == OpKind::kSeekHole ||
                     op.kind == OpKind::kFiemap)) {
      a = b;  // Not compared: each oracle checked its own side.
    }
    if (op.kind == OpKind::kFspacectl) diverged = true;
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
    std::string replay;
    for (size_t j = 0; j < i; ++j) {
      if (ops[j].file == ops[i].file) absl::StrAppend(&replay, "\n  ", ops[j].to_json().dump());
    }
    return absl::StrCat(where, what, "\nafter:", replay);
  }
  return "";
}

}  // namespace vfssim
