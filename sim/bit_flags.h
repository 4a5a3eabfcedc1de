// BitFlags<E>: a set of bits of one enum class, so flag words of different
// ABIs (Linux's IOCB_*, FreeBSD's IO_*) are different types and never mix.
//
//   enum class IocbFlag : uint32_t { kDirect = 1u << 17, ... };
//   using IocbFlags = BitFlags<IocbFlag>;
//   IocbFlags f = IocbFlag::kDirect;
//   if (f.has(IocbFlag::kDirect)) ...

#ifndef VFSSIM_SIM_BIT_FLAGS_H_
#define VFSSIM_SIM_BIT_FLAGS_H_

#include <type_traits>

namespace vfssim {

template <typename E>
class BitFlags {
 public:
  using Bits = std::underlying_type_t<E>;

  constexpr BitFlags() = default;
  constexpr BitFlags(E flag) : bits_(static_cast<Bits>(flag)) {}  // NOLINT: implicit on purpose.

  constexpr bool has(E flag) const { return (bits_ & static_cast<Bits>(flag)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr Bits bits() const { return bits_; }
  constexpr BitFlags& set(E flag) {
    bits_ |= static_cast<Bits>(flag);
    return *this;
  }
  constexpr BitFlags& clear(E flag) {
    bits_ &= static_cast<Bits>(~static_cast<Bits>(flag));
    return *this;
  }
  constexpr BitFlags& operator|=(BitFlags o) {
    bits_ |= o.bits_;
    return *this;
  }
  friend constexpr BitFlags operator|(BitFlags a, BitFlags b) { return a |= b; }
  friend constexpr bool operator==(BitFlags, BitFlags) = default;

 private:
  Bits bits_ = 0;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_BIT_FLAGS_H_
