// Stable 64-bit hashing: FNV-1a, fixed forever by this project.
//
// Trace hashes and RNG stream names must mean the same on every run, build
// and machine, which rules out std::hash and absl::Hash (both may change
// between builds). FNV-1a is simple enough to write down and check against its
// published test vectors.
//
//   Fnv1a h;
//   h.update("line one\n");
//   uint64_t digest = h.digest();

#ifndef VFSSIM_SIM_HASH_H_
#define VFSSIM_SIM_HASH_H_

#include <cstdint>
#include <string_view>

namespace vfssim {

// Fnv1a is an incremental FNV-1a 64-bit hash.
class Fnv1a {
 public:
  static constexpr uint64_t kOffsetBasis = 0xcbf29ce484222325ull;
  static constexpr uint64_t kPrime = 0x100000001b3ull;

  constexpr void update(std::string_view bytes) {
    for (char c : bytes) {
      state_ ^= static_cast<uint8_t>(c);
      state_ *= kPrime;
    }
  }
  constexpr void update_u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      state_ ^= static_cast<uint8_t>(v >> (8 * i));
      state_ *= kPrime;
    }
  }
  constexpr uint64_t digest() const { return state_; }

 private:
  uint64_t state_ = kOffsetBasis;
};

// WordHash is an incremental hash over 64-bit words, for the trace's binary
// records: one multiply and one shift per word, so hashing a record costs a
// few nanoseconds. Fixed forever, like Fnv1a: hash_test pins its vectors.
class WordHash {
 public:
  static constexpr uint64_t kSeed = 0x9e3779b97f4a7c15ull;
  static constexpr uint64_t kMul = 0xff51afd7ed558ccdull;

  constexpr void update_u64(uint64_t w) {
    state_ = (state_ ^ w) * kMul;
    state_ ^= state_ >> 29;
  }
  // update2 takes two words in one step: a 64x64->128-bit multiply of the
  // state mixed with `a` by `b` mixed with a constant, folded (as in wyhash).
  constexpr void update2(uint64_t a, uint64_t b) {
    const unsigned __int128 m =
        static_cast<unsigned __int128>(state_ ^ a ^ kSeed) * (b ^ kMul);
    state_ = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  }
  // update_bytes hashes a string as its length and its FNV-1a hash.
  constexpr void update_bytes(std::string_view bytes);
  constexpr uint64_t digest() const { return state_; }

 private:
  uint64_t state_ = kSeed;
};

// fnv1a64 hashes `bytes` in one call.
constexpr uint64_t fnv1a64(std::string_view bytes) {
  Fnv1a h;
  h.update(bytes);
  return h.digest();
}

constexpr void WordHash::update_bytes(std::string_view bytes) {
  update_u64(bytes.size());
  update_u64(fnv1a64(bytes));
}

}  // namespace vfssim

#endif  // VFSSIM_SIM_HASH_H_
