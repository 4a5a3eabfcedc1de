// ddmin: Zeller's delta debugging over a sequence, shared by the
// campaign's reducer and the host differentials' (a failing op list cut
// down to the ops that still make it fail).
//
//   int budget = 500;  // Candidate runs left; fails() charges them.
//   std::vector<Op> min = ddmin<Op>(ops, [&](const std::vector<Op>& c) {
//     --budget;
//     return still_fails(c);
//   }, &budget);

#ifndef VFSSIM_HARNESS_DDMIN_H_
#define VFSSIM_HARNESS_DDMIN_H_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <vector>

namespace vfssim {

// ddmin is the smallest subsequence of `items` (1-minimal, within the
// budget) for which fails() holds, given that it holds for `items`.
template <typename T>
std::vector<T> ddmin(std::vector<T> items, const std::function<bool(const std::vector<T>&)>& fails,
                     int* budget) {
  size_t n = 2;
  while (items.size() >= 2 && *budget > 0) {
    const size_t chunk = (items.size() + n - 1) / n;
    std::vector<std::vector<T>> parts;
    for (size_t i = 0; i < items.size(); i += chunk) {
      parts.emplace_back(items.begin() + static_cast<ptrdiff_t>(i),
                         items.begin() + static_cast<ptrdiff_t>(std::min(items.size(), i + chunk)));
    }
    bool shrunk = false;
    for (size_t i = 0; i < parts.size() && !shrunk && *budget > 0; ++i) {
      if (parts.size() > 1 && fails(parts[i])) {
        items = parts[i];
        n = 2;
        shrunk = true;
      }
    }
    for (size_t i = 0; i < parts.size() && !shrunk && *budget > 0 && parts.size() > 2; ++i) {
      std::vector<T> rest;
      for (size_t j = 0; j < parts.size(); ++j) {
        if (j != i) rest.insert(rest.end(), parts[j].begin(), parts[j].end());
      }
      if (fails(rest)) {
        items = std::move(rest);
        n = std::max<size_t>(n - 1, 2);
        shrunk = true;
      }
    }
    if (!shrunk) {
      if (n >= items.size()) break;
      n = std::min(items.size(), 2 * n);
    }
  }
  // Single items last: a one-element list may still be droppable to none.
  if (items.size() == 1 && *budget > 0 && fails({})) items.clear();
  return items;
}

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_DDMIN_H_
