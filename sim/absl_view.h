// to_absl: pass a std::string_view to Abseil's string utilities.
//
// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW 0, so
// absl::string_view is its own type and absl::SimpleAtoi, absl::StrSplit and
// absl::StrCat do not accept a std::string_view. vfssim code uses
// std::string_view; this is the one bridge.
//
//   uint64_t n;
//   if (!absl::SimpleAtoi(to_absl(arg), &n)) return Fail(Errno::kEINVAL);

#ifndef VFSSIM_SIM_ABSL_VIEW_H_
#define VFSSIM_SIM_ABSL_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace vfssim {

inline absl::string_view to_absl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace vfssim

#endif  // VFSSIM_SIM_ABSL_VIEW_H_
