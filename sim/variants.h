// API variants: the alternative designs the seeds argue about, as named
// switches in one registry, so a test, the shell or a campaign can flip them
// and every trace records the values in force.
//
// Each variant has a one-line meaning citing its seed, its values, and a
// default (the fixed or merged behaviour).
//
//   machine.variants.set("shm.dealloc_swapped_page", "skip");
//   if (machine.variants.is("shm.dealloc_swapped_page", "read")) page_in(...);

#ifndef VFSSIM_SIM_VARIANTS_H_
#define VFSSIM_SIM_VARIANTS_H_

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

// Variants holds the values in force for one simulation.
class Variants {
 public:
  explicit Variants(Trace* trace) : trace_(trace) {}

  // set chooses `value` for `name`. Errors: EINVAL unknown name or value.
  Errno set(std::string_view name, std::string_view value);

  // get returns the value in force (the default unless set). `name` must be
  // registered (checked).
  std::string_view get(std::string_view name) const;
  bool is(std::string_view name, std::string_view value) const { return get(name) == value; }

  // in_force lists "name=value" for every variant, sorted, for reports.
  std::vector<std::string> in_force() const;

 private:
  Trace* trace_;
  absl::btree_map<std::string, std::string, std::less<>> chosen_;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_VARIANTS_H_
