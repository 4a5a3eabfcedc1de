// Trace recording: the cost of one syscall-shaped record in each mode.
// Run: bazel run --config=opt //bench:trace_bench -- --benchmark_repetitions=3
//          --benchmark_report_aggregates_only=true
//
// The record is the one Process::trace makes for a pread: pid, a static
// call name, an object of four arguments, the return value. trace: 0 off,
// 1 hash, 2 ring (1024 records), 3 full. Full mode keeps every record, so
// its trace is started afresh every kBatch records, its memory handed back
// to the kernel (untimed): memory stays bounded, and each batch pays for
// first-touching the pages it keeps, as a long full trace does (malloc
// would otherwise hand the freed chunks straight back, already faulted
// in). faults: minor page faults per record; bytes: what the trace kept
// per record (Trace::bytes_kept over the records kept).

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>

#include <cstdint>
#include <memory>

#include "sim/clock.h"
#include "sim/trace.h"

namespace vfssim {
namespace {

constexpr int64_t kBatch = 1 << 18;

int64_t minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

std::unique_ptr<Trace> make_trace(const Clock& clock, int64_t mode) {
  auto t = std::make_unique<Trace>(&clock);
  if (mode == 0) t->set_mode(TraceMode::kOff);
  if (mode == 1) t->set_mode(TraceMode::kHash);
  if (mode == 2) t->set_mode(TraceMode::kRing, 1024);
  return t;
}

void BM_TraceSyscallRecord(benchmark::State& state) {
  Clock clock;
  std::unique_ptr<Trace> trace = make_trace(clock, state.range(0));
  int64_t in_batch = 0;
  uint64_t off = 0;
  double bytes = 0;
  int64_t kept = 0;
  const int64_t faults0 = minor_faults();
  for (auto _ : state) {
    if (in_batch == kBatch && state.range(0) == 3) {
      state.PauseTiming();
      bytes += static_cast<double>(trace->bytes_kept());
      kept += static_cast<int64_t>(trace->records_kept());
      trace.reset();
      malloc_trim(0);
      trace = make_trace(clock, state.range(0));
      in_batch = 0;
      state.ResumeTiming();
    }
    const int64_t ret = 4096;
    trace->record("syscall", {{"pid", 1},
                              {"call", TraceKey("pread64")},
                              {"args", {{"fd", 3},
                                        {"buf", uint64_t{0x7f0000000000} + off},
                                        {"count", uint64_t{4096}},
                                        {"pos", static_cast<int64_t>(off)}}},
                              {"ret", ret}});
    clock.advance(CostModel::kSyscallNs);
    off = (off + 4096) % (4 << 20);
    ++in_batch;
  }
  bytes += static_cast<double>(trace->bytes_kept());
  kept += static_cast<int64_t>(trace->records_kept());
  const double n = static_cast<double>(state.iterations());
  state.counters["faults"] = static_cast<double>(minor_faults() - faults0) / n;
  state.counters["bytes"] = kept > 0 ? bytes / static_cast<double>(kept) : 0;
  benchmark::DoNotOptimize(trace->hash());
}

BENCHMARK(BM_TraceSyscallRecord)->ArgName("trace")->Arg(0)->Arg(1)->Arg(2)->Arg(3);

}  // namespace
}  // namespace vfssim
