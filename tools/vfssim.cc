// vfssim: the command line.
//
//   vfssim demo [--seed N] [--trace FILE] [--variant NAME=VALUE]... [--fault POINT=PLAN]... [--drivers]
//                                           the guided tour, in vfssim io's language
//   vfssim faults                           list the fault-point registry
//   vfssim variants                         list the API variants and their values
//   vfssim safecopy-table                   seed 003's policy table (docs/safecopy.md)
//   vfssim io [--fs=xfs|shmfs] [--dev=blk|pmem] [--size=SIZE] [--mkfs-opt=OPTS]
//             [--mount-opt=OPTS] [--seed=N] [-f] [-r] [-c CMD]... [FILE...]
//                                           the xfs_io-compatible shell (docs/shell.md)
//
// A usage error exits 2; `vfssim io` exits as xfs_io would.

#include <cstdint>
#include <cstdlib>
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
#include "tools/io_prompt.h"
#include "tools/io_shell.h"

int main(int argc, char** argv) {
  CLI::App app{"vfssim: a deterministic model of a kernel VFS, filesystems and devices"};
  app.require_subcommand(1);

  uint64_t seed = 1;
  std::string trace_path;
  CLI::App* demo = app.add_subcommand(
      "demo", "a guided tour in vfssim io's language: poison, recovery, fspacectl, CPF_TRY (seeds 000-004)");
  demo->add_option("--seed", seed, "the seed that decides everything")->capture_default_str();
  demo->add_option("--trace", trace_path, "write the JSON Lines trace to this file");
  std::vector<std::string> variant_args, fault_args;
  demo->add_option("--variant", variant_args, "set an API variant (NAME=VALUE; see `vfssim variants`)");
  demo->add_option("--fault", fault_args,
                   "arm a fault point (POINT=PLAN, e.g. blockdev/write/eio=nth:3; see `vfssim faults`)");
  bool demo_drivers = false;
  demo->add_flag("--drivers", demo_drivers, "the tour of the devices themselves (block device, thin pool, pmem)");

  CLI::App* variants = app.add_subcommand("variants", "list every API variant, its values and its seed");

  CLI::App* faults = app.add_subcommand("faults", "list every fault point and what it models");

  CLI::App* table = app.add_subcommand(
      "safecopy-table", "what read(2)/write(2) observe under each MINIX safecopy repeat policy");

  vfssim::ShellConfig io_cfg;
  std::string io_size = "1g";
  std::vector<std::string> io_cmds, io_files;
  bool io_create = false, io_readonly = false, io_append = false, io_direct = false, io_sync = false,
       io_trunc = false;
  CLI::App* io = app.add_subcommand("io", "an xfs_io-compatible shell over a fresh simulated filesystem");
  io->add_option("--fs", io_cfg.fs, "xfs, or shmfs (tmpfs)")->capture_default_str();
  io->add_option("--dev", io_cfg.dev, "blk or pmem (xfs)")->capture_default_str();
  io->add_option("--size", io_size, "the device (or tmpfs) size, with xfs_io's suffixes")->capture_default_str();
  io->add_option("--mkfs-opt", io_cfg.mkfs_opts, "mkfs.xfs options, e.g. \"-b size=1024 -m reflink=0\"");
  io->add_option("--mount-opt", io_cfg.mount_opts, "mount options, e.g. dax=always");
  io->add_option("--seed", io_cfg.seed, "the seed that decides everything")->capture_default_str();
  io->add_flag("-f", io_create, "create FILEs (O_CREAT)");
  io->add_flag("-r", io_readonly, "open FILEs read-only");
  io->add_flag("-a", io_append, "open FILEs append-only");
  io->add_flag("-d", io_direct, "open FILEs for direct I/O");
  io->add_flag("-s", io_sync, "open FILEs O_SYNC");
  io->add_flag("-t", io_trunc, "truncate FILEs on open");
  bool io_nonblock = false, io_tmpfile = false, io_path = false, io_nofollow = false, io_realtime = false,
       io_ignored = false, io_version = false;
  io->add_flag("-n", io_nonblock, "open FILEs O_NONBLOCK");
  io->add_flag("-T", io_tmpfile, "open FILEs O_TMPFILE");
  io->add_flag("-P", io_path, "open FILEs O_PATH");
  io->add_flag("-L", io_nofollow, "open FILEs O_NOFOLLOW");
  io->add_flag("-R", io_realtime, "mark FILEs realtime (XFS: EINVAL, no realtime section)");
  io->add_flag("-x,-F,-i", io_ignored, "accepted and ignored, as xfs_io 6.1 takes them (expert mode, -F, idle thread)");
  io->add_flag("-V", io_version, "print the xfs_io version vfssim io speaks and exit");
  std::string io_mode_text = "0600";
  io->add_option("-m", io_mode_text, "the mode new FILEs get (default 0600)");
  std::vector<std::string> io_variants;
  io->add_option("--variant", io_variants, "set an API variant before mkfs (NAME=VALUE; see `vfssim variants`)");
  io->add_option("-c", io_cmds, "a command to run (repeatable); without -c, commands come from stdin")
      ->allow_extra_args(false)
      ->take_all();
  io->add_option("files", io_files, "files to open, relative to the mount point");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Every other complaint about the command line is a usage error, said
    // in one line.
    std::cerr << "vfssim: " << e.what() << " (see vfssim --help)\n";
    return 2;
  }

  if (*io) {
    if (io_version) {
      std::cout << "xfs_io version 6.1.0 (vfssim io)\n";
      return 0;
    }
    const int64_t size = vfssim::cvtnum(4096, 512, io_size);
    if (size <= 0) {
      std::cerr << "vfssim io: --size=" << io_size << ": not a size\n";
      return 2;
    }
    io_cfg.size = static_cast<uint64_t>(size);
    for (const std::string& v : io_variants) {
      const size_t eq = v.find('=');
      if (eq == std::string::npos) {
        std::cerr << "vfssim io: --variant " << v << ": NAME=VALUE\n";
        return 2;
      }
      io_cfg.variants.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
    absl::StatusOr<std::unique_ptr<vfssim::IoShell>> sh = vfssim::IoShell::create(io_cfg, std::cout, std::cerr);
    if (!sh.ok()) {
      std::cerr << "vfssim io: " << sh.status().message() << "\n";
      return 2;
    }
    using vfssim::Op;
    uint64_t flags = (io_create ? Op::letter('f') : 0) | (io_readonly ? Op::letter('r') : 0) |
                     (io_append ? Op::letter('a') : 0) | (io_direct ? Op::letter('d') : 0) |
                     (io_sync ? Op::letter('s') : 0) | (io_trunc ? Op::letter('t') : 0) |
                     (io_nonblock ? Op::letter('n') : 0) | (io_tmpfile ? Op::letter('T') : 0) |
                     (io_path ? Op::letter('P') : 0) | (io_nofollow ? Op::letter('L') : 0) |
                     (io_realtime ? Op::letter('R') : 0);
    // xfs_io reads -m with strtoul(optarg, &sp, 0): octal with a leading 0.
    char* end = nullptr;
    const unsigned long io_mode = std::strtoul(io_mode_text.c_str(), &end, 0);
    if (end == io_mode_text.c_str()) {
      std::cerr << "non-numeric mode -- " << io_mode_text << "\n";
      return 1;
    }
    if (!(*sh)->open_files(io_files, flags, static_cast<int>(io_mode))) return 1;
    if (io_cmds.empty()) {
      vfssim::run_prompt(**sh);
    } else {
      for (const std::string& c : io_cmds) {
        if ((*sh)->run_line(c, /*iterate=*/true)) break;
      }
    }
    std::cout.flush();
    return (*sh)->exitcode();
  }

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

  // Variants and fault plans are checked where they are parsed: a bad one
  // is a usage error before anything runs.
  vfssim::TourOptions tour{.seed = seed};
  for (const std::string& a : variant_args) {
    if (tour.settings.add_variant(a) != vfssim::Errno::kOk) {
      std::cerr << "vfssim: --variant " << a << ": unknown variant or value (see `vfssim variants`)\n";
      return 2;
    }
  }
  for (const std::string& a : fault_args) {
    if (tour.settings.add_fault(a) != vfssim::Errno::kOk) {
      std::cerr << "vfssim: --fault " << a << ": unknown point or plan (see `vfssim faults`)\n";
      return 2;
    }
  }
  std::ofstream trace_out;
  if (!trace_path.empty()) {
    trace_out.open(trace_path);
    if (!trace_out) {
      std::cerr << "vfssim: cannot write " << trace_path << "\n";
      return 2;
    }
    tour.trace = &trace_out;
  }
  int surprises = 0;
  if (demo_drivers) {
    vfssim::Machine machine(seed);
    tour.settings.apply(machine);
    surprises = vfssim::run_driver_demo(machine, std::cout);
    if (tour.trace != nullptr) machine.trace.write_jsonl(*tour.trace);
  } else {
    surprises = vfssim::run_tour(tour, std::cout);
  }
  std::cout.flush();
  if (trace_out.is_open()) {
    trace_out.close();
    if (!trace_out) {
      std::cerr << "vfssim: writing " << trace_path << " failed\n";
      return 2;
    }
  }
  return surprises == 0 ? 0 : 1;
}
