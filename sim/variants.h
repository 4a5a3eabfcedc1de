// API variants: the alternative designs the seeds argue about, as named
// switches in one registry, so a test, the shell or a campaign can flip them
// and every trace records the values in force.
//
// Each variant has a one-line meaning citing its seed, its values, and a
// default (the fixed or merged behaviour).
//
// Code reads a variant through its typed handle, an array index (no string
// lookups on hot paths); the shell, campaigns and tests set it by name, and
// an unknown name or value is EINVAL right there.
//
//   machine.variants.set("shm.dealloc_swapped_page", "skip");
//   if (machine.variants.get(variant::kShmDeallocSwappedPage) ==
//       variant::ShmDeallocSwappedPage::kRead) page_in(...);

#ifndef VFSSIM_SIM_VARIANTS_H_
#define VFSSIM_SIM_VARIANTS_H_

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/types/span.h"
#include "sim/errno.h"
#include "sim/trace.h"

namespace vfssim {

struct VariantInfo {
  std::string_view name;
  std::initializer_list<std::string_view> values;  // values.begin()[0] is the default.
  std::string_view meaning;
};

// variant_registry lists every variant, sorted by name.
absl::Span<const VariantInfo> variant_registry();
const VariantInfo* find_variant(std::string_view name);

// VariantHandle<E> names the registry entry at `index`; E enumerates its
// values in registry order (E{0} is the default). variants_test checks each
// handle against the registry.
template <typename E>
struct VariantHandle {
  size_t index;
  std::string_view name;
};

namespace variant {
// The registry's variants, in its (sorted) order.
enum class DaxDirectAccess : uint8_t { kPartial, kWhole };
inline constexpr VariantHandle<DaxDirectAccess> kDaxDirectAccess{0, "dax.direct_access"};
enum class SafecopyRetry : uint8_t { kOnMark, kOnEfault };
inline constexpr VariantHandle<SafecopyRetry> kSafecopyRetry{1, "safecopy.retry"};
enum class ShmDeallocPageHead : uint8_t { kZero, kSkip };
inline constexpr VariantHandle<ShmDeallocPageHead> kShmDeallocPageHead{2, "shm.dealloc_page_head"};
enum class ShmDeallocSwappedPage : uint8_t { kRead, kSkip };
inline constexpr VariantHandle<ShmDeallocSwappedPage> kShmDeallocSwappedPage{
    3, "shm.dealloc_swapped_page"};
enum class Zeroinit : uint8_t { kOff, kOn };
inline constexpr VariantHandle<Zeroinit> kZeroinit{4, "zeroinit"};
enum class ZeroinitHoles : uint8_t { kReject, kIgnore };
inline constexpr VariantHandle<ZeroinitHoles> kZeroinitHoles{5, "zeroinit.holes"};
enum class ZeroinitNounmap : uint8_t { kOn, kOff };
inline constexpr VariantHandle<ZeroinitNounmap> kZeroinitNounmap{6, "zeroinit.nounmap"};
inline constexpr size_t kCount = 7;
}  // namespace variant

// Variants holds the values in force for one simulation.
class Variants {
 public:
  explicit Variants(Trace* trace) : trace_(trace) { chosen_.fill(0); }

  // get(handle) is the value in force: an array lookup.
  template <typename E>
  E get(VariantHandle<E> h) const {
    return static_cast<E>(chosen_[h.index]);
  }

  // set chooses `value` for `name`. Errors: EINVAL unknown name or value.
  Errno set(std::string_view name, std::string_view value);
  template <typename E>
  void set(VariantHandle<E> h, E value) {
    chosen_[h.index] = static_cast<uint8_t>(value);
    trace_set(h.index);
  }

  // get(name) returns the value in force by name (the default unless set).
  // Errors: EINVAL for an unknown name.
  Result<std::string_view> get(std::string_view name) const;

  // in_force lists "name=value" for every variant, sorted, for reports.
  std::vector<std::string> in_force() const;

 private:
  void trace_set(size_t index);

  Trace* trace_;
  std::array<uint8_t, variant::kCount> chosen_;  // Value indexes, by registry index.
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_VARIANTS_H_
