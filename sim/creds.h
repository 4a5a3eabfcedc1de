// Creds: who a simulated process is — uid/gid, groups and capabilities.
//
// Models Linux's struct cred reduced to what permission checks need. The
// capability numbers are Linux's (include/uapi/linux/capability.h), so a trace
// that prints a capability set reads like the kernel's.
//
//   Creds user = Creds::user(1000, 1000);
//   if (!creds.capable(Cap::kLinuxImmutable)) return Errno::kEPERM;

#ifndef VFSSIM_SIM_CREDS_H_
#define VFSSIM_SIM_CREDS_H_

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace vfssim {

// Cap is a Linux capability number.
enum class Cap : uint8_t {
  kChown = 0,
  kDacOverride = 1,
  kDacReadSearch = 2,
  kFowner = 3,
  kFsetid = 4,
  kKill = 5,
  kLinuxImmutable = 9,
  kIpcLock = 14,
  kSysRawio = 17,
  kSysAdmin = 21,
  kSysResource = 24,
  kMknod = 27,
};

struct Creds {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups;
  uint64_t caps = 0;  // Bit n set: capability n is effective.

  // root has uid 0 and every capability.
  static Creds root() { return Creds{0, 0, {}, ~uint64_t{0}}; }

  // user has no capabilities unless listed.
  static Creds user(uint32_t uid, uint32_t gid, std::initializer_list<Cap> caps = {}) {
    Creds c{uid, gid, {}, 0};
    for (Cap cap : caps) c.grant(cap);
    return c;
  }

  bool capable(Cap cap) const { return (caps >> static_cast<unsigned>(cap)) & 1; }
  void grant(Cap cap) { caps |= uint64_t{1} << static_cast<unsigned>(cap); }
  void drop(Cap cap) { caps &= ~(uint64_t{1} << static_cast<unsigned>(cap)); }

  // in_group is true for the primary gid or any supplementary group.
  bool in_group(uint32_t g) const {
    if (g == gid) return true;
    for (uint32_t x : groups) {
      if (x == g) return true;
    }
    return false;
  }
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_CREDS_H_
