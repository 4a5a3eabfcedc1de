// Rng: the simulation's only source of randomness.
//
// SplitMix64 (Steele, Lea, Flood 2014), fixed forever by this project: the
// test vector in rng_test.cc pins its output, so a seed replays identically on
// every build and machine. Consumers never share a generator; each takes a
// named child stream, derived from the parent's seed and the name only, so
// adding a new consumer of randomness never shifts another's sequence.
//
//   Rng root(seed);
//   Rng pressure = root.stream("shm/pressure");
//   if (pressure.bernoulli(0.25)) swap_out(page);

#ifndef VFSSIM_SIM_RNG_H_
#define VFSSIM_SIM_RNG_H_

#include <cstdint>
#include <string_view>

namespace vfssim {

class Rng {
 public:
  explicit Rng(uint64_t seed) : seed_(seed), state_(seed) {}

  // seed returns the value this generator was created from.
  uint64_t seed() const { return seed_; }

  // next_u64 returns the next 64 uniformly distributed bits.
  uint64_t next_u64();

  // uniform returns a value in [0, n) without modulo bias. n must be > 0.
  uint64_t uniform(uint64_t n);

  // range returns a value in [lo, hi] (inclusive). Requires lo <= hi.
  uint64_t range(uint64_t lo, uint64_t hi);

  // next_double returns a value in [0, 1) with 53 random bits.
  double next_double();

  // bernoulli returns true with probability p (p <= 0: never; p >= 1: always).
  bool bernoulli(double p);

  // stream returns an independent child generator named `name`. It depends
  // only on this generator's seed and the name, not on how much of this
  // generator has been consumed.
  Rng stream(std::string_view name) const;

 private:
  uint64_t seed_;
  uint64_t state_;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_RNG_H_
