// vfssim: the command line.
//
//   vfssim demo [--seed N] [--trace FILE]   tour of the simulated devices
//   vfssim faults                           list the fault-point registry
//   vfssim safecopy-table                   seed 003's policy table (docs/safecopy.md)

#include <cstdint>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "harness/safecopy_table.h"
#include "sim/fault.h"
#include "sim/machine.h"
#include "tools/demo.h"

int main(int argc, char** argv) {
  CLI::App app{"vfssim: a deterministic model of a kernel VFS, filesystems and devices"};
  app.require_subcommand(1);

  uint64_t seed = 1;
  std::string trace_path;
  CLI::App* demo = app.add_subcommand("demo", "a short tour of the simulated devices");
  demo->add_option("--seed", seed, "the seed that decides everything")->capture_default_str();
  demo->add_option("--trace", trace_path, "write the JSON Lines trace to this file");

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

  vfssim::Machine machine(seed);
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
