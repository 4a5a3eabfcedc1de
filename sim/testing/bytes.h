// Byte-buffer helpers for tests at every layer.
//
//   EXPECT_EQ(read_back, fill(4096, 0));

#ifndef VFSSIM_SIM_TESTING_BYTES_H_
#define VFSSIM_SIM_TESTING_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vfssim {

// fill returns n bytes of value v.
inline std::vector<std::byte> fill(size_t n, uint8_t v) {
  return std::vector<std::byte>(n, std::byte{v});
}

}  // namespace vfssim

#endif  // VFSSIM_SIM_TESTING_BYTES_H_
