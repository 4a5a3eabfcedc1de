// Device-model costs against the memcpy they wrap (the floor for any data
// path). Run: bazel run --config=opt //bench:drivers_bench
//
// Each simulated 4 KiB request should cost a small multiple of a 4 KiB
// memcpy; the ratio is what later data-path targets are measured against.

#include <benchmark/benchmark.h>

#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"

namespace vfssim {
namespace {

constexpr size_t k4K = 4096;

void BM_BlockWrite4K(benchmark::State& state) {
  Machine m(1, /*keep_trace=*/false);
  SimBlockDevice d(m, {.capacity_bytes = 1ull << 30, .volatile_cache = false});
  std::vector<std::byte> buf(k4K, std::byte{1});
  uint64_t sector = 0;
  for (auto _ : state) {
    d.write(sector, buf);
    sector = (sector + 8) % (1 << 16);
  }
  state.SetBytesProcessed(state.iterations() * k4K);
}
BENCHMARK(BM_BlockWrite4K);

void BM_BlockRead4K(benchmark::State& state) {
  Machine m(1, /*keep_trace=*/false);
  SimBlockDevice d(m, {.capacity_bytes = 1ull << 30});
  std::vector<std::byte> buf(k4K, std::byte{1});
  for (uint64_t s = 0; s < (1 << 16); s += 8) d.write(s, buf);
  uint64_t sector = 0;
  for (auto _ : state) {
    d.read(sector, buf);
    benchmark::DoNotOptimize(buf.data());
    sector = (sector + 8) % (1 << 16);
  }
  state.SetBytesProcessed(state.iterations() * k4K);
}
BENCHMARK(BM_BlockRead4K);

void BM_PmemCopyMc4K(benchmark::State& state) {
  Machine m(1, /*keep_trace=*/false);
  PmemDevice pmem(m, {.size = 1ull << 30});
  std::vector<std::byte> buf(k4K, std::byte{1});
  for (uint64_t off = 0; off < (256u << 20); off += k4K) pmem.memcpy_flushcache(off, buf);
  uint64_t off = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(pmem.copy_mc_to_kernel(buf, off));
    off = (off + k4K) % (256u << 20);
  }
  state.SetBytesProcessed(state.iterations() * k4K);
}
BENCHMARK(BM_PmemCopyMc4K);

}  // namespace
}  // namespace vfssim
