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

// fnv1a64 hashes `bytes` in one call.
constexpr uint64_t fnv1a64(std::string_view bytes) {
  Fnv1a h;
  h.update(bytes);
  return h.digest();
}

}  // namespace vfssim

#endif  // VFSSIM_SIM_HASH_H_
