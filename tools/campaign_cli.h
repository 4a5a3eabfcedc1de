// campaign_cli: vfssim's campaign, replay, trace show and report merge
// subcommands, behind the command-line parsing in vfssim.cc (so tests run
// them in-process). Each returns the process's exit status and writes only
// to the streams it is given (and the files it is told to).
//
//   vfssim campaign [--fs=NAME|all] [--seeds=A..B | --count=N] [--ops=N] [--mix=NAME]
//                   [--faults=SPEC] [--variant NAME=VALUE]... [--jobs=J] [--shard=I/N]
//                   [--out=report.json] [--cases=DIR] [--stop-after=K] [--time=DURATION]
//                   [--no-reduce] [--list-mixes]
//       exit 0: no failure; 1: failures found; 2: usage error (one line on stderr).
//   vfssim replay FILE [--seed=N] [--trace=OUT.jsonl]
//       FILE is a failure trace, or a campaign report (its failure for seed N,
//       else the first); exit 1: the recorded failure reproduces; 0: the case
//       runs clean; 3: it fails another way; 2: usage or an unreadable file.
//   vfssim trace show FILE
//       a JSON Lines trace (--trace, `trace dump`), a failure trace or a
//       campaign report, rendered for reading.
//   vfssim report merge A.json B.json... [--out=X]
//       shard reports into the report one run over the whole range writes.

#ifndef VFSSIM_TOOLS_CAMPAIGN_CLI_H_
#define VFSSIM_TOOLS_CAMPAIGN_CLI_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/campaign.h"

namespace vfssim {

struct CampaignCliOptions {
  std::string fs = "all";
  FsOverrides fs_overrides;       // --dev, --mkfs-opt, --mount-opt.
  std::string seeds;              // "A..B", inclusive; empty: --count.
  std::optional<uint64_t> count;  // Seeds 0..N-1; neither: 0..99.
  int ops = 50;
  std::string mix = "default";
  std::string faults = "default";
  std::vector<std::string> variants;  // NAME=VALUE.
  int jobs = 1;
  std::string shard;  // "I/N"; empty: TEST_SHARD_INDEX/TEST_TOTAL_SHARDS, else 0/1.
  std::string out;    // The JSON report.
  std::string cases;  // A directory for seed-S.json and seed-S.io per failure.
  uint64_t stop_after = 0;
  std::string time;   // "90", "90s", "5m", "1h"; empty: no limit.
  bool reduce = true;
  bool verify = true;  // Replay each minimized case in the shell.
  bool list_mixes = false;
  // progress: draw a progress bar on `err` (vfssim.cc: stderr is a TTY and
  // CI is unset).
  bool progress = false;
};

int campaign_command(const CampaignCliOptions& o, std::ostream& out, std::ostream& err);

struct ReplayOptions {
  std::string path;
  std::optional<uint64_t> seed;
  std::string trace;  // Write the replay's full JSON Lines trace here.
};
int replay_command(const ReplayOptions& o, std::ostream& out, std::ostream& err);

int trace_show_command(const std::string& path, std::ostream& out, std::ostream& err);

int report_merge_command(const std::vector<std::string>& inputs, const std::string& out_path,
                         std::ostream& out, std::ostream& err);

// parse_duration reads --time: seconds, or a number with s, m or h; -1
// when it is not one.
double parse_duration(const std::string& s);

}  // namespace vfssim

#endif  // VFSSIM_TOOLS_CAMPAIGN_CLI_H_
