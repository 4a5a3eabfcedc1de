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
//   vfssim campaign [--fs=NAME|all] [--seeds=A..B | --count=N] [--ops=N] [--mix=NAME]
//                   [--faults=SPEC] [--variant NAME=VALUE]... [--jobs=J] [--shard=I/N]
//                   [--out=FILE] [--cases=DIR] [--stop-after=K] [--time=DURATION]
//                   [--list-mixes]    seeded fault-injection campaigns (docs/campaign.md)
//   vfssim replay FILE [--seed=N] [--trace=OUT]
//                                           re-run a failure trace (or a report's failure)
//   vfssim trace show FILE                  render a trace, failure trace or report
//   vfssim report merge A.json B.json... [--out=X]
//                                           shard reports into one
//
// A usage error exits 2; `vfssim io` exits as xfs_io would.

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "absl/strings/str_format.h"
#include "harness/safecopy_table.h"
#include "sim/fault.h"
#include "sim/machine.h"
#include "sim/variants.h"
#include "tools/campaign_cli.h"
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
  int demo_campaign_seconds = 20;
  demo->add_option("--campaign-seconds", demo_campaign_seconds,
                   "end with a campaign this long over the XFS-like fs and shmfs (0: none)")
      ->capture_default_str();

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

  vfssim::CampaignCliOptions camp;
  uint64_t camp_count = 0;
  bool camp_no_reduce = false, camp_no_verify = false;
  CLI::App* campaign = app.add_subcommand(
      "campaign", "seeded fault-injection campaigns: oracle and fsck after every op, minimized failing scripts");
  campaign->add_option("--fs", camp.fs, "a filesystem (see docs/campaign.md), a comma list, or all")
      ->capture_default_str();
  campaign->add_option("--dev", camp.fs_overrides.dev, "blk or pmem: the device under each XFS");
  campaign->add_option("--mkfs-opt", camp.fs_overrides.mkfs_opts, "mkfs.xfs options added to each XFS's");
  campaign->add_option("--mount-opt", camp.fs_overrides.mount_opts, "mount options added to each filesystem's");
  campaign->add_option("--seeds", camp.seeds, "the seeds A..B (both included)");
  CLI::Option* count_opt = campaign->add_option("--count", camp_count, "seeds 0..N-1 (default 100)");
  campaign->add_option("--ops", camp.ops, "ops per seed")->capture_default_str();
  campaign->add_option("--mix", camp.mix, "the op mix (--list-mixes)")->capture_default_str();
  campaign->add_option("--faults", camp.faults, "none, default, all, or POINT[=RATE|at:OP.N|nth:N|every:K|window:A-B][=ERRNO],...")
      ->capture_default_str();
  campaign->add_option("--variant", camp.variants, "set an API variant before mkfs (NAME=VALUE)");
  campaign->add_option("--jobs", camp.jobs, "threads")->capture_default_str();
  campaign->add_option("--shard", camp.shard, "run shard I of N (default: TEST_SHARD_INDEX/TEST_TOTAL_SHARDS)");
  campaign->add_option("--out", camp.out, "write the JSON report here (atomically)");
  campaign->add_option("--cases", camp.cases, "write each failure's trace and vfssim io script here");
  campaign->add_option("--stop-after", camp.stop_after, "stop after K failing seeds");
  campaign->add_option("--time", camp.time, "stop taking seeds after DURATION (90, 90s, 5m, 1h)");
  campaign->add_flag("--no-reduce", camp_no_reduce, "report failures as found, not minimized");
  campaign->add_flag("--no-verify", camp_no_verify, "do not replay minimized cases in vfssim io");
  campaign->add_flag("--list-mixes", camp.list_mixes, "list the op mixes");

  vfssim::ReplayOptions rep;
  uint64_t rep_seed = 0;
  CLI::App* replay = app.add_subcommand("replay", "re-run a failure trace (or a campaign report's failure)");
  replay->add_option("file", rep.path, "a failure trace or campaign report")->required();
  CLI::Option* rep_seed_opt = replay->add_option("--seed", rep_seed, "the report's failure for this seed");
  replay->add_option("--trace", rep.trace, "write the replay's JSON Lines trace here");

  std::string show_path;
  CLI::App* trace_cmd = app.add_subcommand("trace", "traces");
  trace_cmd->require_subcommand(1);
  CLI::App* trace_show = trace_cmd->add_subcommand("show", "render a trace, failure trace or report readably");
  trace_show->add_option("file", show_path, "the file")->required();

  std::vector<std::string> merge_inputs;
  std::string merge_out;
  CLI::App* report_cmd = app.add_subcommand("report", "campaign reports");
  report_cmd->require_subcommand(1);
  CLI::App* report_merge = report_cmd->add_subcommand("merge", "combine shard reports into one run's report");
  report_merge->add_option("reports", merge_inputs, "the shards' reports")->required();
  report_merge->add_option("--out", merge_out, "write the merged report here (default: stdout)");

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

  if (*campaign) {
    if (count_opt->count() > 0) camp.count = camp_count;
    camp.reduce = !camp_no_reduce;
    camp.verify = !camp_no_verify;
    // A progress bar only for a person watching: stderr a terminal, not CI.
    camp.progress = isatty(STDERR_FILENO) && std::getenv("CI") == nullptr;
    return vfssim::campaign_command(camp, std::cout, std::cerr);
  }
  if (*replay) {
    if (rep_seed_opt->count() > 0) rep.seed = rep_seed;
    return vfssim::replay_command(rep, std::cout, std::cerr);
  }
  if (*trace_show) return vfssim::trace_show_command(show_path, std::cout, std::cerr);
  if (*report_merge) return vfssim::report_merge_command(merge_inputs, merge_out, std::cout, std::cerr);

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
    if (demo_campaign_seconds > 0) {
      // The main job ends with a short campaign (docs/campaign.md): seeds
      // from the demo's own, fresh filesystems, the oracle and fsck after
      // every op, failures minimized. Its findings are the simulator's known
      // bugs, reported, not the tour's surprises.
      std::cout << "\n$ vfssim campaign --fs=xfs_block,shmfs --seeds=" << seed * 1000000 << ".."
                << seed * 1000000 + 999999 << " --time=" << demo_campaign_seconds << "s --no-verify\n";
      std::cout.flush();
      vfssim::CampaignCliOptions c;
      c.fs = "xfs_block,shmfs";
      c.seeds = std::to_string(seed * 1000000) + ".." + std::to_string(seed * 1000000 + 999999);
      c.time = std::to_string(demo_campaign_seconds) + "s";
      c.verify = false;
      vfssim::campaign_command(c, std::cout, std::cerr);
    }
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
