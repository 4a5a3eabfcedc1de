// BM_Memcpy4K: the 4 KiB memcpy every suite reports its figures against
// (the floor for any data path). Linked into each benchmark binary, so the
// baseline is measured in the same run as what it is compared with.

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstring>
#include <vector>

namespace vfssim {
namespace {

void BM_Memcpy4K(benchmark::State& state) {
  constexpr size_t k4K = 4096;
  std::vector<std::byte> src(k4K, std::byte{1}), dst(k4K);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), k4K);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * k4K);
}
BENCHMARK(BM_Memcpy4K);

}  // namespace
}  // namespace vfssim
