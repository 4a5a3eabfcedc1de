#include "sim/fault.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <set>

#include <fiu.h>
#include <fiu-control.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sim/absl_view.h"
#include "sim/hash.h"

namespace vfssim {
namespace {


// The injector that is calling fiu_fail on this thread, and the errno its
// plan decided on. A thread-local rather than libfiu's shared failnum, so
// simulations on different threads cannot see each other's decisions.
thread_local FaultInjector* tls_injector = nullptr;
thread_local Errno tls_decided = Errno::kOk;
thread_local bool tls_consulted = false;

// libfiu's state is process-global: initialise it once, and enable each point
// (with our external callback) the first time any injector arms it. A point
// stays enabled; the callback answers "no" when nothing is armed.
std::mutex fiu_mu;
std::set<std::string, std::less<>>* fiu_enabled = nullptr;

void fiu_enable_point(std::string_view name,
                      int (*cb)(const char*, int*, void**, unsigned int*), bool force = false) {
  std::lock_guard<std::mutex> lock(fiu_mu);
  if (fiu_enabled == nullptr) {
    fiu_init(0);
    fiu_enabled = new std::set<std::string, std::less<>>();
  }
  if (fiu_enabled->contains(name)) {
    if (force) fiu_enable_external(std::string(name).c_str(), 1, nullptr, 0, cb);
    return;
  }
  std::string key(name);
  fiu_enable_external(key.c_str(), 1, nullptr, 0, cb);
  fiu_enabled->insert(std::move(key));
}

}  // namespace

absl::Span<const FaultPointInfo> fault_point_registry() { return kFaultPoints; }

const FaultPointInfo* find_fault_point(std::string_view name) {
  const size_t i = fault_point_index(name);
  return i == kFaultPoints.size() ? nullptr : &kFaultPoints[i];
}

FaultPlan FaultPlan::nth(uint64_t n) { return FaultPlan(Kind::kNth, n, 0, 0, ""); }
FaultPlan FaultPlan::every(uint64_t k) { return FaultPlan(Kind::kEvery, k, 0, 0, ""); }
FaultPlan FaultPlan::window(uint64_t first, uint64_t last) {
  return FaultPlan(Kind::kWindow, first, last, 0, "");
}
FaultPlan FaultPlan::probability(double p, std::string stream) {
  return FaultPlan(Kind::kProbability, 0, 0, p, std::move(stream));
}
FaultPlan FaultPlan::at(uint64_t op, uint64_t n) { return FaultPlan(Kind::kAt, op, n, 0, ""); }

FaultPlan FaultPlan::with_errno(Errno err) const {
  FaultPlan copy = *this;
  copy.err_ = err;
  return copy;
}

Result<FaultPlan> FaultPlan::parse(std::string_view spec) {
  std::string_view body = spec;
  std::optional<Errno> err;
  if (size_t eq = spec.find('='); eq != std::string_view::npos) {
    Errno e;
    if (!errno_from_name(spec.substr(eq + 1), &e) || e == Errno::kOk) {
      return Fail(Errno::kEINVAL);
    }
    err = e;
    body = spec.substr(0, eq);
  }
  size_t colon = body.find(':');
  if (colon == std::string_view::npos) return Fail(Errno::kEINVAL);
  std::string_view kind = body.substr(0, colon);
  std::string_view arg = body.substr(colon + 1);
  std::optional<FaultPlan> plan;
  uint64_t a = 0, b = 0;
  if (kind == "nth" && absl::SimpleAtoi(to_absl(arg), &a) && a > 0) {
    plan = nth(a);
  } else if (kind == "every" && absl::SimpleAtoi(to_absl(arg), &a) && a > 0) {
    plan = every(a);
  } else if (kind == "window") {
    std::vector<absl::string_view> ends = absl::StrSplit(to_absl(arg), '-');
    if (ends.size() == 2 && absl::SimpleAtoi(ends[0], &a) &&
        absl::SimpleAtoi(ends[1], &b) && a > 0 && a <= b) {
      plan = window(a, b);
    }
  } else if (kind == "at") {
    std::vector<absl::string_view> parts = absl::StrSplit(to_absl(arg), '.');
    if (parts.size() == 2 && absl::SimpleAtoi(parts[0], &a) &&
        absl::SimpleAtoi(parts[1], &b) && b > 0) {
      plan = at(a, b);
    }
  } else if (kind == "p") {
    std::string stream = "default";
    if (size_t at = arg.find('@'); at != std::string_view::npos) {
      stream = std::string(arg.substr(at + 1));
      arg = arg.substr(0, at);
    }
    double p = 0;
    if (absl::SimpleAtod(to_absl(arg), &p) && p >= 0.0 && p <= 1.0 && !stream.empty()) {
      plan = probability(p, std::move(stream));
    }
  }
  if (!plan) return Fail(Errno::kEINVAL);
  if (err) return plan->with_errno(*err);
  return *plan;
}

std::string FaultPlan::describe() const {
  std::string s;
  switch (kind_) {
    case Kind::kNth:
      s = absl::StrCat("nth:", a_);
      break;
    case Kind::kEvery:
      s = absl::StrCat("every:", a_);
      break;
    case Kind::kWindow:
      s = absl::StrCat("window:", a_, "-", b_);
      break;
    case Kind::kProbability:
      s = absl::StrFormat("p:%g@%s", p_, stream_);
      break;
    case Kind::kAt:
      s = absl::StrCat("at:", a_, ".", b_);
      break;
  }
  if (err_) absl::StrAppend(&s, "=", to_absl(errno_name(*err_)));
  return s;
}

bool FaultPlan::decides(uint64_t hit, uint64_t op, uint64_t in_op,
                        const std::function<bool(double)>& coin) const {
  switch (kind_) {
    case Kind::kAt:
      return op == a_ && in_op == b_;
    case Kind::kNth:
      return hit == a_;
    case Kind::kEvery:
      return hit % a_ == 0;
    case Kind::kWindow:
      return hit >= a_ && hit <= b_;
    case Kind::kProbability:
      return coin(p_);
  }
  return false;
}

FaultInjector::FaultInjector(Rng rng, Trace* trace) : rng_(rng), trace_(trace) {}

Errno FaultInjector::arm(std::string_view point, FaultPlan plan) {
  if (find_fault_point(point) == nullptr) return Errno::kEINVAL;
  if ((plan.kind_ == FaultPlan::Kind::kNth || plan.kind_ == FaultPlan::Kind::kEvery) &&
      plan.a_ == 0) {
    return Errno::kEINVAL;
  }
  if (plan.err_ == Errno::kOk) return Errno::kEINVAL;
  if (plan.kind_ == FaultPlan::Kind::kAt && plan.b_ == 0) return Errno::kEINVAL;
  fiu_enable_point(point, &FaultInjector::fiu_external_cb);
  PointState& st = *state(point);
  if (trace_ != nullptr) {
    trace_->record("fault-arm", {{"point", point}, {"plan", plan.describe()}});
  }
  st.plans.push_back(Armed{std::move(plan), st.hits_in_ops});
  return Errno::kOk;
}

void FaultInjector::disarm(std::string_view point) {
  if (PointState* st = state(point)) st->plans.clear();
}

void FaultInjector::disarm_all() {
  for (PointState& st : points_) st.plans.clear();
}

FaultInjector::PointState* FaultInjector::state(std::string_view point) {
  const size_t i = fault_point_index(point);
  return i == points_.size() ? nullptr : &points_[i];
}

const FaultInjector::PointState* FaultInjector::state(std::string_view point) const {
  const size_t i = fault_point_index(point);
  return i == points_.size() ? nullptr : &points_[i];
}

void FaultInjector::begin_op(uint64_t id) {
  op_ = id;
  ++op_seq_;
}

Errno FaultInjector::replay(absl::Span<const FiredFault> schedule) {
  for (const FiredFault& f : schedule) {
    if (find_fault_point(f.point) == nullptr || f.nth == 0 || f.err == Errno::kOk) {
      return Errno::kEINVAL;
    }
  }
  disarm_all();
  for (const FiredFault& f : schedule) arm(f.point, FaultPlan::at(f.op, f.nth).with_errno(f.err));
  return Errno::kOk;
}

std::optional<Errno> FaultInjector::fire_armed(FaultPoint point, PointState& state) {
  FaultInjector* saved = tls_injector;
  tls_injector = this;
  tls_decided = Errno::kOk;
  tls_consulted = false;
  const char* name = point.info().name.data();  // A literal: NUL-terminated.
  int failed = fiu_fail(name);
  if (!tls_consulted) {
    // Someone called fiu_disable on the point (or libfiu lost it): our
    // callback was not asked. Enable it again and ask once more, so a plan
    // is never silently disarmed.
    fiu_enable_point(point.info().name, &FaultInjector::fiu_external_cb, /*force=*/true);
    failed = fiu_fail(name);
  }
  const Errno decided = tls_decided;
  tls_injector = saved;
  if (failed == 0 || decided == Errno::kOk) return std::nullopt;

  ++state.fired;
  return decided;
}

std::optional<Errno> FaultInjector::decide(size_t index) {
  PointState& state = points_[index];
  const std::string_view point = kFaultPoints[index].name;
  std::optional<Errno> result;
  const FaultPlan* chosen = nullptr;
  const uint64_t point_hash = fnv1a64(point);
  // Every plan sees every hit (probability plans draw once per hit whether or
  // not an earlier plan already failed it), so composing plans never shifts
  // another plan's random sequence.
  for (const Armed& armed : state.plans) {
    const FaultPlan& plan = armed.plan;
    auto coin = [&](double p) {
      // A pure function of (seed, stream, op, point, n-th hit in the op).
      WordHash key;
      key.update2(rng_.seed(), fnv1a64(plan.stream_));
      key.update2(op_, point_hash);
      key.update_u64(state.hits_in_op);
      return Rng(key.digest()).bernoulli(p);
    };
    const bool fails =
        plan.decides(state.hits_in_ops - armed.armed_at_hit, op_, state.hits_in_op, coin);
    if (fails && !result) {
      chosen = &plan;
      result = plan.err_.value_or(kFaultPoints[index].default_err);
    }
  }
  if (result) {
    schedule_.push_back(FiredFault{op_, std::string(point), state.hits_in_op, *result});
    if (trace_ != nullptr && trace_->enabled()) {
      trace_->record("fault", {{"point", point},
                               {"op", op_},
                               {"nth", state.hits_in_op},
                               {"hit", state.hits},
                               {"plan", chosen->describe()},
                               {"err", *result}});
    }
  }
  return result;
}

int FaultInjector::fiu_external_cb(const char* name, int* /*failnum*/,
                                   void** /*failinfo*/, unsigned int* /*flags*/) {
  FaultInjector* self = tls_injector;
  if (self == nullptr) return 0;
  tls_consulted = true;
  const size_t index = fault_point_index(name);
  if (index == kFaultPoints.size()) return 0;
  std::optional<Errno> e = self->decide(index);
  if (!e) return 0;
  tls_decided = *e;
  return 1;
}

std::vector<std::string> FaultInjector::armed() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < points_.size(); ++i) {
    for (const Armed& a : points_[i].plans) {
      out.push_back(absl::StrCat(to_absl(kFaultPoints[i].name), "=", a.plan.describe()));
    }
  }
  return out;
}

uint64_t FaultInjector::hits(std::string_view point) const {
  const PointState* st = state(point);
  return st == nullptr ? 0 : st->hits;
}

uint64_t FaultInjector::fired(std::string_view point) const {
  const PointState* st = state(point);
  return st == nullptr ? 0 : st->fired;
}

}  // namespace vfssim
