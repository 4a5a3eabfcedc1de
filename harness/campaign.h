// campaign: one seed of a fault-injection campaign, run and reduced.
//
// A scenario is what one seed decides: a fresh filesystem (one of
// campaign_filesystems()), the API variants set before mkfs and mount, an
// op sequence drawn with the weights of a mix, and a fault schedule — a
// list of decisions "fail the N-th hit of POINT within op K" drawn from the
// seed over the points a FaultSpec names. run_scenario runs it on a
// SimBackend with the oracle (harness/oracle.h: content, size, every call's
// contract, and the filesystem's fsck) after every op, plus the campaign's
// own device check where the filesystem has one (a thin volume must still
// back every block a file maps as written); the first op that breaks an
// invariant is the failure. An errno a fault injected is a failure only if
// the oracle says the call may not answer it.
//
// reduce() delta-debugs a failing scenario (ddmin over the ops, then over
// the fault decisions, until neither shrinks), re-running each candidate
// from scratch with the same seed and accepting it when it fails the same
// way: the same kind and the same check (the first violation's message
// with its numbers masked). Decisions are keyed by op id (Op::id, the op's
// position in the sequence it was drawn in), so removing ops leaves every
// other op's decisions where they were.
//
//   CampaignParams params;                       // all filesystems, 50 ops
//   Scenario s = draw_scenario(params, 42);
//   RunResult r = run_scenario(s);
//   if (r.failure) {
//     Reduced min = reduce(s, *r.failure);
//     std::cout << io_script(min.scenario);     // a `vfssim io` script
//     std::cout << trace_json(min.scenario, min.failure).dump(2);
//   }

#ifndef VFSSIM_HARNESS_CAMPAIGN_H_
#define VFSSIM_HARNESS_CAMPAIGN_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "harness/backend.h"
#include "harness/fs_spec.h"
#include "harness/op.h"
#include "nlohmann/json.hpp"
#include "sim/errno.h"
#include "sim/fault.h"
#include "sim/trace.h"

namespace vfssim {

// CampaignFs is one filesystem a campaign runs on: the FsSpec, how the
// backend sets it up beyond it (memfd objects, a thin volume), and whether
// `vfssim io` can build the same filesystem (shell_fs/shell_dev, empty when
// it cannot), so a failing case replays there.
struct CampaignFs {
  FsSpec spec;
  bool memfd = false;
  bool thin = false;
  std::string shell_fs;   // vfssim io --fs=
  std::string shell_dev;  // vfssim io --dev=
  std::string_view meaning;
};

// FsOverrides: what --dev, --mkfs-opt and --mount-opt change in the
// filesystems of a campaign; an empty field leaves an entry as listed.
struct FsOverrides {
  std::string dev;         // "blk" or "pmem": the device under an XFS.
  std::string mkfs_opts;   // mkfs.xfs syntax, after the entry's own options.
  std::string mount_opts;  // After the entry's own mount options.

  bool empty() const { return dev.empty() && mkfs_opts.empty() && mount_opts.empty(); }
  bool operator==(const FsOverrides&) const = default;
};

// campaign_filesystems lists every filesystem a campaign can run on, in a
// fixed order: the entries of the harness registry (harness/
// sim_filesystems.cc) that are not test-only, by the same names, then the
// campaign's own: shm_memfd (memfd objects on a shmfs under swap
// pressure: FreeBSD shm's fspacectl, seed 000), shmfs_safecopy and
// xfs_safecopy (mounted ipc=safecopy: MINIX's grants, seed 003), xfs_thin
// (XFS on a thin-provisioned volume, seed 004's NOUNMAP review).
const std::vector<CampaignFs>& campaign_filesystems();
// find_campaign_fs is the entry named `name`, or nullptr.
const CampaignFs* find_campaign_fs(std::string_view name);
// campaign_fs is entry `name` with `o` applied: the device and both
// option strings, whether mkfs makes it reflink, and the `vfssim io`
// command line's. Errors: InvalidArgument an unknown name, a device or
// mkfs option for a filesystem without one (shmfs, the thin volume), a
// device other than blk or pmem, or mkfs options mkfs.xfs would refuse.
// (A mount that fails with the options is check_params's to find.)
absl::StatusOr<CampaignFs> campaign_fs(std::string_view name, const FsOverrides& o);

// The op kinds a campaign draws. Each mix weighs them; kinds a filesystem
// cannot run are dropped for it (poison off DAX pmem, swapout off shmfs).
enum class CampaignKind : uint8_t {
  kPwrite,
  kPread,
  kTruncate,
  kFallocate,  // allocate, keep-size, punch, zero, collapse, insert
  kZeroinit,   // fallocate(FALLOC_FL_ZEROINIT_RANGE | KEEP_SIZE) (seed 004)
  kFspacectl,
  kFsync,
  kFdatasync,
  kSeek,       // SEEK_DATA or SEEK_HOLE
  kFiemap,
  kPoison,
  kClone,
  kDedupe,
  kCopyRange,
  kDioPwrite,
  kMwrite,     // a store through a shared mapping (mstore)
  kSwapout,    // shmfs pages to swap
  kNamespace,  // mkdir, rmdir, unlink, rename, link or symlink over a few names
};
inline constexpr size_t kCampaignKinds = 18;

// Mix: the weights of each kind (0 leaves it out).
struct Mix {
  std::string_view name;
  std::string_view meaning;
  std::array<uint8_t, kCampaignKinds> weights;
};

// campaign_mixes lists the mixes, "default" (every kind) first.
absl::Span<const Mix> campaign_mixes();
const Mix* find_mix(std::string_view name);

// FaultRule: decisions for one point. rate: each op fails one of its first
// kMaxNth hits of the point (chosen from the seed) with this probability;
// or at: exactly the N-th hit within op K; or counted: a plan that counts
// the point's hits across the run (nth, every, window), which
// draw_scenario resolves into at-decisions (see there). err: the errno
// (the point's default when unset).
// applies, when set, limits rate decisions to the ops it accepts (the
// default set's: see default_fault_points).
struct FaultRule {
  std::string point;
  double rate = 0;
  std::optional<std::pair<uint64_t, uint64_t>> at;
  std::optional<FaultPlan> counted;  // With the errno in it.
  std::optional<Errno> err;
  bool (*applies)(const Op&) = nullptr;
};
inline constexpr uint64_t kMaxNth = 4;
inline constexpr double kDefaultFaultRate = 0.05;

// FaultSpec is --faults: `none`; `default` (kDefaultFaultPoints at
// kDefaultFaultRate); `all` (every registered point at that rate); or a
// comma list of those words and POINT, POINT=RATE (also p:RATE),
// POINT=at:OP.N, POINT=nth:N, POINT=every:K, POINT=window:A-B, each
// optionally followed by =ERRNO. A point named twice keeps its last rate;
// at-rules and counted rules add up.
struct FaultSpec {
  std::string text;
  std::vector<FaultRule> rules;  // Sorted by point, at-rules, then counted ones, after rates.
};
// DefaultFaultPoint: a point of the default set, and the ops it may fail
// (null: every op) — those where the oracle can judge every outcome the
// kernel allows; `why` says what is left out and why.
struct DefaultFaultPoint {
  std::string_view point;
  bool (*applies)(const Op&);
  std::string_view why;
};
// default_fault_points is the default set; the registry's other points are
// left out (docs/campaign.md says why for each).
absl::Span<const DefaultFaultPoint> default_fault_points();
// parse_fault_spec reads --faults. Errors: InvalidArgument an unknown
// point, a malformed rate, plan or errno.
absl::StatusOr<FaultSpec> parse_fault_spec(std::string_view text);

// CampaignParams: what every seed of a campaign shares.
struct CampaignParams {
  // fs: a campaign_filesystems() name, a comma list of them, or "all";
  // with several, seed S runs on the (S mod n)-th.
  std::string fs = "all";
  FsOverrides fs_overrides;  // Applied to every filesystem in `fs`.
  int ops = 50;
  std::string mix = "default";
  FaultSpec faults;  // parse_fault_spec("default") unless set.
  std::vector<std::pair<std::string, std::string>> variants;
  int nfiles = 3;
};
// campaign_fs_list resolves params.fs; `xfs` names xfs_block and `tmpfs`
// shmfs, as `vfssim io --fs=` does. Errors: InvalidArgument an unknown
// name.
absl::StatusOr<std::vector<const CampaignFs*>> campaign_fs_list(std::string_view fs);
// check_params validates a whole parameter set (filesystem names and the
// overrides, by building each filesystem once with them; mix; variant
// names and values; op and file counts). Errors: InvalidArgument, saying
// which.
absl::Status check_params(const CampaignParams& params);

// Scenario: everything one run needs; a reduced scenario is a subset of
// its seed's ops and decisions.
struct Scenario {
  uint64_t seed = 0;
  std::string fs;  // A campaign_filesystems() name.
  FsOverrides fs_overrides;
  std::string mix;
  std::vector<std::pair<std::string, std::string>> variants;
  int nfiles = 3;
  int ops_drawn = 0;             // How many ops the seed drew.
  std::vector<Op> ops;           // Each with its id.
  std::vector<FiredFault> faults;  // Decisions: (op id, point, nth, errno).
  // Plans that count hits across the run (nth/every/window), armed before
  // the first op. draw_scenario resolves them into `faults` and leaves
  // this empty; reduce does the same first, since deleting an op would
  // move which hit they fail.
  std::vector<std::pair<std::string, FaultPlan>> counted;
};

// keep_freed_memory tunes glibc's allocator for a process that builds and
// drops a simulated machine per seed: freed memory stays in the heap
// (M_TRIM_THRESHOLD) and large blocks come from it (M_MMAP_THRESHOLD),
// rather than going back to the kernel and being faulted in afresh by the
// next seed (a fifth of a campaign's time on XFS). Results do not depend
// on it. run_campaign calls it; idempotent.
void keep_freed_memory();

// draw_scenario is seed `seed`'s scenario. Precondition: check_params.
// Counted plans in params.faults (nth:N, every:K, window:A-B: hits of a
// point counted from before the first op) are resolved by running the
// seed once with them armed, beside the drawn decisions: every hit that
// failed becomes a decision (op id, point, n-th hit within the op), so the
// scenario holds keyed decisions only, replays the same run, and stays
// stable under reduction. Only such specs cost that extra run.
Scenario draw_scenario(const CampaignParams& params, uint64_t seed);
// resolve_counted is that step on its own: it runs `s` and replaces its
// counted plans and decisions with the keyed schedule that fired.
void resolve_counted(Scenario& s);

// campaign_ops draws n ops for `fs` with `mix`'s weights, ids 0..n-1.
std::vector<Op> campaign_ops(Rng& rng, int n, const Mix& mix, const CampaignFs& fs, int nfiles);

// draw_decisions is the fault schedule of `seed` for `ops` (by their ids).
std::vector<FiredFault> draw_decisions(uint64_t seed, const FaultSpec& spec, absl::Span<const Op> ops);

// Failure: the first op after which an invariant did not hold.
struct Failure {
  // kind names the family of the check (fsck, content, size, read, seek,
  // fspacectl, fiemap, clone, dedupe, copy_range, dio, mmap, poison, thin,
  // setup, oracle); check is the first violation with its numbers masked
  // ('#') and any JSON object in it elided, which "fails the same way"
  // compares.
  std::string kind;
  std::string check;
  std::string message;
  std::vector<std::string> violations;  // Every one found after that op.
  size_t index = 0;                     // Position of the op in Scenario::ops.
  Op op;
  OpResult result;
  bool same_way(const Failure& o) const { return kind == o.kind && check == o.check; }
};

// classify_violation fills kind and check from a violation's message.
void classify_violation(std::string_view message, Failure* f);

struct RunResult {
  std::optional<Failure> failure;
  uint64_t ops_run = 0;
  std::vector<FiredFault> fired;  // What fired, in order.
  std::vector<std::string> variants_in_force;
  uint64_t trace_hash = 0;
};

// RunConfig: how to run. trace: the machine's trace mode (campaigns keep
// only the hash); trace_out: when set, the full trace is written there as
// JSON Lines at the end (trace is then kFull).
struct RunConfig {
  TraceMode trace = TraceMode::kHash;
  std::ostream* trace_out = nullptr;
  // after_op, when set, is called after each op has been checked, with its
  // position in Scenario::ops, what it returned and the backend (to print
  // the run, or compare another run of the same ops against it).
  std::function<void(size_t index, const OpResult& r, SimBackend& sim)> after_op;
};

// run_scenario runs the scenario's ops in order, the oracle and the
// campaign's checks after each, stopping at the first failure.
RunResult run_scenario(const Scenario& s, const RunConfig& cfg = {});

struct Reduced {
  Scenario scenario;
  Failure failure;
  int runs = 0;  // Scenarios run while reducing.
};
// reduce shrinks a failing scenario; `f` is its failure. At most max_runs
// candidate runs (then it returns the smallest found so far).
Reduced reduce(const Scenario& s, const Failure& f, int max_runs = 4000);

// io_script is the scenario as a `vfssim io` script: `variant set` lines,
// `fault arm POINT=at:K.N=ERRNO` lines (K counting the script's commands,
// as the shell numbers them), `open -f fI` for each file, `file 0`, then
// format_script's lines. shell_command is the command line that runs it
// ("vfssim io --fs=xfs --dev=blk < FILE"), empty where the shell cannot
// build the filesystem.
std::string io_script(const Scenario& s);
std::string shell_command(const Scenario& s, std::string_view file = "FILE");
// shell_op_numbers maps each op of s.ops to the shell command number its
// line gets in io_script (the same order).
std::vector<uint64_t> shell_op_numbers(const Scenario& s);

// trace_json is the failure trace: format, seed, filesystem, mix, variants
// (as set, and every one in force), the decisions, the ops (Op::to_json),
// the failure (kind, check, message, every violation, the op and what it
// returned), the script and the shell command. scenario_from_json reads
// the scenario back (the failure is ignored). Errors: InvalidArgument a
// malformed trace.
nlohmann::ordered_json scenario_json(const Scenario& s);
nlohmann::ordered_json failure_json(const Failure& f);
nlohmann::ordered_json trace_json(const Scenario& s, const Failure& f);
absl::StatusOr<Scenario> scenario_from_json(const nlohmann::ordered_json& j);
absl::StatusOr<Failure> failure_from_json(const nlohmann::ordered_json& j);

// fault_json / fault_from_json: one decision.
nlohmann::ordered_json fault_json(const FiredFault& f);
absl::StatusOr<FiredFault> fault_from_json(const nlohmann::ordered_json& j);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_CAMPAIGN_H_
