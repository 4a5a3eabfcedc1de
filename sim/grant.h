// Memory grants and safecopy: how a MINIX server (a filesystem) copies to or
// from another process's memory without ever seeing its addresses
// (include/minix/safecopies.h, kernel/system/do_safecopy.c), with the
// CPF_TRY soft-fault mark of seed 003.
//
// A grant names a range of some process's memory and what its grantee may
// do with it. Kinds:
//   - direct: the granter's own memory;
//   - magic: memory of a third process (VFS grants the user buffer of each
//     call to the filesystem this way); MINIX lets only privileged
//     granters make them, a check this model leaves out: the table is
//     VFS's alone;
//   - indirect: a range of a grant the granter itself received, passed on.
// Direct and magic grants copy the same way; the kind is kept for traces
// and for what the chain of an indirect grant resolves to.
// Identifiers are slot + generation, so a revoked slot can be reused while
// a stale identifier stays invalid.
//
// A copy meets each page resident, soft (the VM can resolve it) or hard
// (the copy stops: EFAULT). On a soft fault:
//   - with CPF_TRY the kernel returns EFAULT at once and stores a mark in
//     the ORIGINAL grant of the chain: that grant's identifier, so a stale
//     write from an earlier use of the slot is recognised and discarded;
//   - without CPF_TRY it resolves the fault inline through the VM. When the
//     VM would need the very server doing the copy (the page maps a file of
//     that filesystem) this is the deadlock CPF_TRY exists for: it is
//     detected, traced as "safecopy-deadlock" and reported as EDEADLK.
//
//   GrantTable grants(machine);
//   GrantId g = *grants.grant_magic(user_mm, buf, len, kCPF_WRITE | kCPF_TRY);
//   IoResult r = grants.safecopy_to(g, 0, bytes, /*caller=*/fs);
//   bool marked = *grants.revoke(g);   // true: repeat the request

#ifndef VFSSIM_SIM_GRANT_H_
#define VFSSIM_SIM_GRANT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/address_space.h"
#include "sim/errno.h"
#include "sim/machine.h"

namespace vfssim {

// cp_grant_id_t: slot in the low 32 bits, generation (from 1) above, so 0 is
// never a valid identifier.
using GrantId = uint64_t;
inline constexpr GrantId kGrantInvalid = 0;

// Access flags (MINIX's values).
inline constexpr uint32_t kCPF_READ = 0x000001;   // The grantee may read the memory.
inline constexpr uint32_t kCPF_WRITE = 0x000002;  // The grantee may write it.
inline constexpr uint32_t kCPF_TRY = 0x010000;    // Fail soft faults with EFAULT + mark.

enum class GrantKind : uint8_t { kDirect, kMagic, kIndirect };

class GrantTable {
 public:
  explicit GrantTable(Machine& machine) : machine_(machine) {}

  // grant_direct / grant_magic grant [addr, addr+len) of `mm` with
  // `access` (kCPF_* bits). Direct grants are of the granter's own memory,
  // magic ones of another process's; both may carry kCPF_TRY.
  // Errors: EINVAL no access bit, or an unknown flag.
  Result<GrantId> grant_direct(AddressSpace& mm, uint64_t addr, uint64_t len, uint32_t access);
  Result<GrantId> grant_magic(AddressSpace& mm, uint64_t addr, uint64_t len, uint32_t access);

  // grant_indirect passes on [off, off+len) of grant `from` with at most its
  // access. "Indirect grants should not have CPF_TRY set" (seed 003): the
  // try behaviour and the mark belong to the original grant.
  // Errors: EINVAL kCPF_TRY given, or the range is outside `from`; EPERM
  // `from` is not a valid grant or lacks the access.
  Result<GrantId> grant_indirect(GrantId from, uint64_t off, uint64_t len, uint32_t access);

  // revoke frees the grant's slot for reuse and says whether the kernel
  // marked it during its life with ITS identifier (a mark holding another
  // generation's identifier is stale and ignored). Errors: EPERM not valid.
  Result<bool> revoke(GrantId id);

  // marked: the grant currently holds its own identifier as a mark.
  bool marked(GrantId id) const;

  // safecopy_from copies grant bytes [off, off+dst.size()) into the
  // server's buffer dst (the grantee reads: needs kCPF_READ); safecopy_to
  // copies src into the grant (kCPF_WRITE). `caller` identifies the server
  // doing the copy (its VmOps::server identity), for deadlock detection.
  // The fault point "safecopy/softfault" makes a page it hits
  // non-resident just before it is copied. Returns the bytes copied and:
  // EPERM invalid grant or access; EINVAL outside the grant; EFAULT a hard
  // fault, or a soft fault under CPF_TRY (the original grant is marked);
  // EDEADLK a soft fault without CPF_TRY that only `caller` could resolve.
  IoResult safecopy_from(GrantId id, uint64_t off, std::span<std::byte> dst,
                         const void* caller);
  IoResult safecopy_to(GrantId id, uint64_t off, std::span<const std::byte> src,
                       const void* caller);

  // late_mark models a kernel store of `stale`'s identifier that lands
  // after the grant was revoked and its slot reused (the SMP race the
  // seed's identifier mark guards against).
  void late_mark(GrantId stale);

  // slots is the table's size (slots ever used); in_use how many hold a
  // valid grant.
  size_t slots() const { return slots_.size(); }
  size_t in_use() const;

  // Counts of what the kernel did on soft faults.
  uint64_t marks() const { return marks_; }          // CPF_TRY marks stored.
  uint64_t deadlocks() const { return deadlocks_; }  // Deadlocks detected.

 private:
  struct Grant {
    bool valid = false;
    uint32_t gen = 0;
    GrantKind kind = GrantKind::kDirect;
    uint32_t access = 0;
    AddressSpace* mm = nullptr;  // Direct, magic: whose memory.
    uint64_t addr = 0;
    uint64_t len = 0;
    GrantId parent = kGrantInvalid;  // Indirect: the grant passed on.
    uint64_t parent_off = 0;
    GrantId mark = kGrantInvalid;  // The kernel's soft-fault mark.
  };

  Result<GrantId> add(Grant g);
  Result<GrantId> grant_memory(GrantKind kind, AddressSpace& mm, uint64_t addr, uint64_t len,
                               uint32_t access);
  Grant* lookup(GrantId id);
  const Grant* lookup(GrantId id) const;
  // resolve walks an indirect chain to the original grant, checking
  // `need` access and the range at each link; *id and *off become the
  // original's. Errors: EPERM, EINVAL.
  Result<Grant*> resolve(GrantId* id, uint64_t* off, uint64_t len, uint32_t need);
  IoResult copy(GrantId id, uint64_t off, uint64_t len, bool to_grant, std::span<std::byte> dst,
                std::span<const std::byte> src, const void* caller);

  Machine& machine_;
  std::vector<Grant> slots_;
  uint64_t marks_ = 0;
  uint64_t deadlocks_ = 0;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_GRANT_H_
