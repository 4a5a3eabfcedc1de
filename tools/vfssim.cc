// vfssim: the command line.
//
//   vfssim demo [--seed N] [--trace FILE] [--variant NAME=VALUE]... [--fault POINT=PLAN]...
//                                           tour of the simulated devices
//   vfssim faults                           list the fault-point registry
//   vfssim variants                         list the API variants and their values
//   vfssim safecopy-table                   seed 003's policy table (docs/safecopy.md)

#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "harness/safecopy_table.h"
#include "sim/fault.h"
#include "sim/machine.h"
#include "sim/variants.h"
#include "tools/demo.h"

int main(int argc, char** argv) {
  CLI::App app{"vfssim: a deterministic model of a kernel VFS, filesystems and devices"};
  app.require_subcommand(1);

  uint64_t seed = 1;
  std::string trace_path;
  CLI::App* demo = app.add_subcommand("demo", "a short tour of the simulated devices");
  demo->add_option("--seed", seed, "the seed that decides everything")->capture_default_str();
  demo->add_option("--trace", trace_path, "write the JSON Lines trace to this file");
  std::vector<std::string> variant_args, fault_args;
  demo->add_option("--variant", variant_args, "set an API variant (NAME=VALUE; see `vfssim variants`)");
  demo->add_option("--fault", fault_args,
                   "arm a fault point (POINT=PLAN, e.g. blockdev/write/eio=nth:3; see `vfssim faults`)");

  CLI::App* variants = app.add_subcommand("variants", "list every API variant, its values and its seed");

  CLI::App* faults = app.add_subcommand("faults", "list every fault point and what it models");

  CLI::App* table = app.add_subcommand(
      "safecopy-table", "what read(2)/write(2) observe under each MINIX safecopy repeat policy");

  CLI11_PARSE(app, argc, argv);

  if (*table) {
    std::cout << vfssim::render_safecopy_table(
        vfssim::run_safecopy_table({vfssim::shmfs_for_safecopy()}));
    return 0;
  }

  if (*faults) {
    for (const vfssim::FaultPointInfo& p : vfssim::fault_point_registry()) {
      std::cout << absl::StrFormat("%-24s %-8s %s\n", p.name, vfssim::errno_name(p.default_err),
                                   p.meaning);
    }
    return 0;
  }

  if (*variants) {
    for (const vfssim::VariantInfo& v : vfssim::variant_registry()) {
      std::string values;
      for (std::string_view x : v.values) values += (values.empty() ? "" : "|") + std::string(x);
      std::cout << absl::StrFormat("%-28s %-24s %s\n", v.name, values, v.meaning);
    }
    return 0;
  }

  vfssim::Machine machine(seed);
  // Variants and fault plans are checked where they are parsed: a bad one
  // is a usage error before anything runs.
  for (const std::string& a : variant_args) {
    const size_t eq = a.find('=');
    if (eq == std::string::npos ||
        machine.variants.set(std::string_view(a).substr(0, eq), std::string_view(a).substr(eq + 1)) !=
            vfssim::Errno::kOk) {
      std::cerr << "vfssim: --variant " << a << ": unknown variant or value (see `vfssim variants`)\n";
      return 2;
    }
  }
  for (const std::string& a : fault_args) {
    const size_t eq = a.find('=');
    const std::string point = a.substr(0, eq == std::string::npos ? a.size() : eq);
    vfssim::Result<vfssim::FaultPlan> plan =
        eq == std::string::npos ? vfssim::Result<vfssim::FaultPlan>(vfssim::Fail(vfssim::Errno::kEINVAL))
                                : vfssim::FaultPlan::parse(std::string_view(a).substr(eq + 1));
    if (vfssim::find_fault_point(point) == nullptr || !plan ||
        machine.faults.arm(point, *plan) != vfssim::Errno::kOk) {
      std::cerr << "vfssim: --fault " << a << ": unknown point or plan (see `vfssim faults`)\n";
      return 2;
    }
  }
  const int surprises = vfssim::run_driver_demo(machine, std::cout);
  if (!trace_path.empty()) {
    std::ofstream out(trace_path);
    if (!out) {
      std::cerr << "vfssim: cannot write " << trace_path << "\n";
      return 2;
    }
    machine.trace.write_jsonl(out);
  }
  return surprises == 0 ? 0 : 1;
}
