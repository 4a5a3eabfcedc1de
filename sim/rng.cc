#include "sim/rng.h"

#include "sim/hash.h"

namespace vfssim {
namespace {

// The SplitMix64 output function (a 64-bit finaliser).
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

}  // namespace

uint64_t Rng::next_u64() {
  state_ += kGolden;
  return mix64(state_);
}

uint64_t Rng::uniform(uint64_t n) {
  // Lemire's multiply-and-reject: unbiased, usually one draw.
  unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = -n % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

uint64_t Rng::range(uint64_t lo, uint64_t hi) {
  const uint64_t span = hi - lo;
  if (span == UINT64_MAX) return next_u64();
  return lo + uniform(span + 1);
}

double Rng::next_double() {
  return static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
}

bool Rng::bernoulli(double p) {
  if (p <= 0.0) return false;
  if (p >= 1.0) return true;
  return next_double() < p;
}

Rng Rng::stream(std::string_view name) const {
  Fnv1a h;
  h.update_u64(seed_);
  h.update(name);
  return Rng(mix64(h.digest()));
}

}  // namespace vfssim
