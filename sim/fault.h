// Named fault points, deterministic fault plans, and the injector that
// connects them to libfiu.
//
// Every place where real hardware or a real kernel can fail is a named point
// listed once in the registry (fault.cc) with a one-line meaning and the errno
// it injects by default. Code at such a place asks the simulation's injector:
//
//   if (std::optional<Errno> e = faults.fire("blockdev/write/eio")) return *e;
//
// fire() counts the hit and, if a plan is armed for the point, goes through
// libfiu's fiu_fail(). libfiu calls back into the injector
// (fiu_enable_external), and the injector's plan decides: the n-th hit, every
// k-th hit, hits in a window, the n-th hit within one op, or a seeded coin.
// libfiu's own time-seeded randomness is never used. Every fault that fires is
// recorded in the trace and in schedule().
//
// Decisions stable under reduction: the harness names each op it runs with
// begin_op(id), where id is the op's position in the sequence it was drawn
// in and stays with the op when others are deleted. A probability plan's
// coin for a hit is a pure function of (seed, stream, op id, point, n-th hit
// of the point within the op), never a shared sequence, so removing an op
// changes no other op's decisions. schedule() lists the faults that fired
// as (op, point, n-th, errno); replay(schedule) arms exactly those again.
//
//   FaultInjector faults(machine.rng.stream("faults"), &machine.trace);
//   faults.arm("blockdev/write/eio", FaultPlan::nth(3));
//   faults.arm("pmem/read/mce", FaultPlan::probability(0.01, "mce"));

#ifndef VFSSIM_SIM_FAULT_H_
#define VFSSIM_SIM_FAULT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "sim/errno.h"
#include "sim/rng.h"
#include "sim/trace.h"

namespace vfssim {

// FaultPointInfo describes one registered fault point.
struct FaultPointInfo {
  std::string_view name;     // "layer/operation/what", e.g. "blockdev/read/eio".
  Errno default_err;         // What a plan without an explicit errno injects.
  std::string_view meaning;  // One line: what firing this point models.
};

// kFaultPoints is the registry, sorted by name (checked below).
inline constexpr std::array kFaultPoints = {
    FaultPointInfo{"blockdev/discard/eio", Errno::kEIO,
                   "a DISCARD command fails at the device"},
    FaultPointInfo{"blockdev/flush/eio", Errno::kEIO,
                   "a cache FLUSH fails; unflushed writes stay volatile"},
    FaultPointInfo{"blockdev/read/eio", Errno::kEIO,
                   "a read command fails at the device (transient, not a bad sector)"},
    FaultPointInfo{"blockdev/write/eio", Errno::kEIO,
                   "a write command fails at the device; nothing of it is written"},
    FaultPointInfo{"blockdev/zeroout/eio", Errno::kEIO,
                   "a WRITE_ZEROES command fails at the device; nothing is zeroed"},
    FaultPointInfo{"ext4/alloc/enospc", Errno::kENOSPC,
                   "the ext4-like allocator finds no free blocks (ext4_mb_new_blocks) "
                   "although the free-cluster check passed"},
    FaultPointInfo{"pmem/read/mce", Errno::kEIO,
                   "a pmem read consumes poison nobody injected: latent poison appears "
                   "at the first granule read and raises a machine check"},
    FaultPointInfo{"pmem/write/eio", Errno::kEIO,
                   "a pmem block-I/O write fails before any byte is stored"},
    FaultPointInfo{"pmem/zero/eio", Errno::kEIO,
                   "dax zero_page_range fails before any page is zeroed"},
    FaultPointInfo{"safecopy/softfault", Errno::kEFAULT,
                   "a page a safecopy is about to copy is not resident (swapped out, "
                   "or its page-table entry reclaimed): a soft fault the VM can resolve"},
    FaultPointInfo{"sched/signal/eintr", Errno::kEINTR,
                   "a signal arrives during a long, interruptible operation (checked "
                   "between its steps); with progress made the call returns it"},
    FaultPointInfo{"shmfs/page/enospc", Errno::kENOSPC,
                   "shmfs cannot get a resident page (size limit or memory "
                   "pressure) when a write allocates or swaps one in"},
    FaultPointInfo{"xfs/alloc/enospc", Errno::kENOSPC,
                   "the XFS-like allocator finds no free extent (xfs_alloc_vextent) "
                   "although the reservation succeeded: an AG too fragmented"},
    FaultPointInfo{"xfs/reserve/enospc", Errno::kENOSPC,
                   "free space cannot cover an XFS-like reservation made up front "
                   "(xfs_trans_alloc's blocks, a delalloc reservation): the step "
                   "fails before it changes anything"},
};

// fault_point_index is `name`'s place in kFaultPoints, or its size when no
// point has that name.
constexpr size_t fault_point_index(std::string_view name) {
  size_t lo = 0, hi = kFaultPoints.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (kFaultPoints[mid].name < name) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo < kFaultPoints.size() && kFaultPoints[lo].name == name ? lo : kFaultPoints.size();
}

static_assert([] {
  for (size_t i = 1; i < kFaultPoints.size(); ++i) {
    if (!(kFaultPoints[i - 1].name < kFaultPoints[i].name)) return false;
  }
  return true;
}(), "kFaultPoints must be sorted by name, without repeats");

// FaultPoint is a fault site's handle on its registered point: made from
// the point's name at compile time, so a site naming a point the registry
// does not have does not compile, and fire() finds the point's state by
// index rather than by name. Implicit from a literal, so a site reads
// faults.fire("blockdev/write/eio").
class FaultPoint {
 public:
  consteval FaultPoint(const char* name) : index_(fault_point_index(name)) {  // NOLINT: implicit
    if (index_ == kFaultPoints.size()) throw "not a registered fault point (sim/fault.h)";
  }
  size_t index() const { return index_; }
  const FaultPointInfo& info() const { return kFaultPoints[index_]; }

 private:
  size_t index_;
};

// fault_point_registry lists every fault point, sorted by name.
absl::Span<const FaultPointInfo> fault_point_registry();

// find_fault_point returns the registry entry for `name`, or nullptr.
const FaultPointInfo* find_fault_point(std::string_view name);

// FaultPlan decides which hits of a point fail. Hits are numbered from 1,
// counted from the moment the plan was armed (hits outside ops, under
// FaultInjector::kNoOp, are not counted). nth, every and window count
// across ops, so deleting an earlier op moves the hit they fail; a
// campaign resolves them into at-plans (the schedule they fired) before
// it reduces anything.
class FaultPlan {
 public:
  enum class Kind { kNth, kEvery, kWindow, kProbability, kAt };

  // nth fails exactly hit n.
  static FaultPlan nth(uint64_t n);
  // every fails hits k, 2k, 3k, ...
  static FaultPlan every(uint64_t k);
  // window fails hits first..last inclusive.
  static FaultPlan window(uint64_t first, uint64_t last);
  // probability fails each hit with probability p; the coin is keyed by the
  // stream name, the op, the point and the hit's number within the op.
  static FaultPlan probability(double p, std::string stream = "default");
  // at fails the n-th hit (from 1) of the point within op `op` (begin_op).
  static FaultPlan at(uint64_t op, uint64_t n);

  // parse reads the spec language used by the command line and scenarios:
  //   "nth:3", "every:4", "window:2-5", "p:0.01", "p:0.01@stream",
  //   "at:OP.N" (the N-th hit within op OP),
  // each optionally followed by "=ERRNO" ("nth:3=ENOSPC"). EINVAL if malformed.
  static Result<FaultPlan> parse(std::string_view spec);

  // with_errno makes the plan inject `err` instead of the point's default.
  FaultPlan with_errno(Errno err) const;

  Kind kind() const { return kind_; }
  std::optional<Errno> err() const { return err_; }
  const std::string& stream() const { return stream_; }

  // describe returns the plan in parse() syntax.
  std::string describe() const;

 private:
  friend class FaultInjector;
  FaultPlan(Kind kind, uint64_t a, uint64_t b, double p, std::string stream)
      : kind_(kind), a_(a), b_(b), p_(p), stream_(std::move(stream)) {}

  // decides evaluates hit number `hit` since arming (1-based), the
  // `in_op`-th hit within op `op`; `coin` is the keyed coin for
  // probability plans.
  bool decides(uint64_t hit, uint64_t op, uint64_t in_op,
               const std::function<bool(double)>& coin) const;

  Kind kind_;
  uint64_t a_ = 0;
  uint64_t b_ = 0;
  double p_ = 0;
  std::string stream_;
  std::optional<Errno> err_;
};

// FiredFault is one decision that failed a hit: the schedule's unit.
struct FiredFault {
  uint64_t op = 0;      // begin_op's id (0 before any).
  std::string point;
  uint64_t nth = 0;     // The hit's number within the op, from 1.
  Errno err = Errno::kOk;
  bool operator==(const FiredFault&) const = default;
};

// FaultInjector holds the armed plans and hit counters of one simulation.
// Not thread-safe; one simulation runs on one thread, and several simulations
// may run on different threads at once (libfiu's callback finds the injector
// that called fiu_fail through a thread-local).
class FaultInjector {
 public:
  FaultInjector(Rng rng, Trace* trace);
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // arm adds `plan` to `point`; several plans on one point compose (the hit
  // fails if any plan decides so; the first such plan gives the errno).
  // Errors: EINVAL if `point` is not in the registry.
  Errno arm(std::string_view point, FaultPlan plan);

  // disarm removes every plan from `point`; disarm_all from every point.
  void disarm(std::string_view point);
  void disarm_all();

  // begin_op starts op `id`: hits are numbered within it from here on,
  // from 1 (hits before the first begin_op, setting up the machine, count
  // under op 0 but not toward op 0's numbering).
  // begin_op(kNoOp) leaves every op: the harness's own reads of what an
  // op left run so. Hits there count in hits() but no plan sees them (none
  // fails, and nth/every/window count only hits inside ops).
  static constexpr uint64_t kNoOp = ~uint64_t{0};
  void begin_op(uint64_t id);
  uint64_t op() const { return op_; }

  // schedule lists every fault that fired, in order.
  const std::vector<FiredFault>& schedule() const { return schedule_; }
  // replay disarms everything and arms exactly `schedule` (at-plans with
  // the recorded errnos), so a rerun fails the same hits and no others.
  // Errors: EINVAL for an unregistered point.
  Errno replay(absl::Span<const FiredFault> schedule);

  // fire is called at a fault site. It counts the hit and returns the errno to
  // fail with when an armed plan decides the hit fails.
  // Inline: every I/O path passes a few points, nearly always unarmed.
  std::optional<Errno> fire(FaultPoint point) {
    PointState& state = points_[point.index()];
    ++state.hits;
    if (op_ == kNoOp) return std::nullopt;
    ++state.hits_in_ops;
    if (state.op_seq != op_seq_) {  // The first hit since begin_op.
      state.op_seq = op_seq_;
      state.hits_in_op = 0;
    }
    ++state.hits_in_op;
    if (state.plans.empty()) return std::nullopt;
    return fire_armed(point, state);
  }

  // hits counts every fire() of `point` since construction, armed or not;
  // fired counts the hits that failed.
  uint64_t hits(std::string_view point) const;
  uint64_t fired(std::string_view point) const;

  // armed lists "point=plan" for every armed plan, sorted, for reports.
  std::vector<std::string> armed() const;

 private:
  struct Armed {
    FaultPlan plan;
    uint64_t armed_at_hit;  // The point's hits_in_ops when the plan was armed.
  };
  struct PointState {
    uint64_t hits = 0;
    uint64_t hits_in_ops = 0;  // Those not under kNoOp: what plans count.
    uint64_t fired = 0;
    uint64_t op_seq = 0;     // The begin_op call hits_in_op counts within.
    uint64_t hits_in_op = 0;
    std::vector<Armed> plans;
  };

  // fire_armed asks libfiu about a hit of an armed point.
  std::optional<Errno> fire_armed(FaultPoint point, PointState& state);
  // decide runs inside libfiu's external callback for the current hit
  // (of op op_: fire_armed is its only caller).
  std::optional<Errno> decide(size_t point);
  // state is the point's counters and plans; nullptr for an unregistered name.
  PointState* state(std::string_view point);
  const PointState* state(std::string_view point) const;
  static int fiu_external_cb(const char* name, int* failnum, void** failinfo,
                             unsigned int* flags);

  Rng rng_;
  Trace* trace_;
  uint64_t op_ = 0;
  uint64_t op_seq_ = 0;  // begin_op calls so far.
  std::array<PointState, kFaultPoints.size()> points_;  // By FaultPoint::index.
  std::vector<FiredFault> schedule_;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_FAULT_H_
