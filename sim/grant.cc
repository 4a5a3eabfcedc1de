#include "sim/grant.h"

#include <algorithm>

namespace vfssim {
namespace {

constexpr uint32_t kAccess = kCPF_READ | kCPF_WRITE;

uint32_t slot_of(GrantId id) { return static_cast<uint32_t>(id); }
uint32_t gen_of(GrantId id) { return static_cast<uint32_t>(id >> 32); }
GrantId make_id(uint32_t slot, uint32_t gen) { return (uint64_t{gen} << 32) | slot; }

}  // namespace

Result<GrantId> GrantTable::add(Grant g) {
  auto free = std::find_if(slots_.begin(), slots_.end(), [](const Grant& s) { return !s.valid; });
  if (free == slots_.end()) free = slots_.insert(slots_.end(), Grant{});
  g.valid = true;
  g.gen = free->gen + 1;
  g.mark = free->mark;  // A late store may already sit in the slot.
  *free = g;
  return make_id(static_cast<uint32_t>(free - slots_.begin()), g.gen);
}

GrantTable::Grant* GrantTable::lookup(GrantId id) {
  if (slot_of(id) >= slots_.size()) return nullptr;
  Grant& g = slots_[slot_of(id)];
  return g.valid && g.gen == gen_of(id) ? &g : nullptr;
}

const GrantTable::Grant* GrantTable::lookup(GrantId id) const {
  return const_cast<GrantTable*>(this)->lookup(id);
}

Result<GrantId> GrantTable::grant_memory(GrantKind kind, AddressSpace& mm, uint64_t addr,
                                         uint64_t len, uint32_t access) {
  if (!(access & kAccess) || (access & ~(kAccess | kCPF_TRY))) return Fail(Errno::kEINVAL);
  return add({.kind = kind, .access = access, .mm = &mm, .addr = addr, .len = len});
}

Result<GrantId> GrantTable::grant_direct(AddressSpace& mm, uint64_t addr, uint64_t len,
                                         uint32_t access) {
  return grant_memory(GrantKind::kDirect, mm, addr, len, access);
}

Result<GrantId> GrantTable::grant_magic(AddressSpace& mm, uint64_t addr, uint64_t len,
                                        uint32_t access) {
  return grant_memory(GrantKind::kMagic, mm, addr, len, access);
}

Result<GrantId> GrantTable::grant_indirect(GrantId from, uint64_t off, uint64_t len,
                                           uint32_t access) {
  if (!(access & kAccess) || (access & ~kAccess)) return Fail(Errno::kEINVAL);
  const Grant* parent = lookup(from);
  if (parent == nullptr || (parent->access & access) != access) return Fail(Errno::kEPERM);
  if (off > parent->len || len > parent->len - off) return Fail(Errno::kEINVAL);
  return add({.kind = GrantKind::kIndirect, .access = access, .len = len, .parent = from,
              .parent_off = off});
}

Result<bool> GrantTable::revoke(GrantId id) {
  Grant* g = lookup(id);
  if (g == nullptr) return Fail(Errno::kEPERM);
  const bool marked = g->mark == id;
  g->valid = false;
  g->mark = kGrantInvalid;
  return marked;
}

bool GrantTable::marked(GrantId id) const {
  const Grant* g = lookup(id);
  return g != nullptr && g->mark == id;
}

void GrantTable::late_mark(GrantId stale) {
  if (slot_of(stale) < slots_.size()) slots_[slot_of(stale)].mark = stale;
}

size_t GrantTable::in_use() const {
  return static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const Grant& g) { return g.valid; }));
}

Result<GrantTable::Grant*> GrantTable::resolve(GrantId* id, uint64_t* off, uint64_t len,
                                               uint32_t need) {
  for (int depth = 0; depth < 16; ++depth) {
    Grant* g = lookup(*id);
    if (g == nullptr || (g->access & need) != need) return Fail(Errno::kEPERM);
    if (*off > g->len || len > g->len - *off) return Fail(Errno::kEINVAL);
    if (g->kind != GrantKind::kIndirect) return g;
    *off += g->parent_off;
    *id = g->parent;
  }
  return Fail(Errno::kEPERM);  // A chain this long is a loop.
}

IoResult GrantTable::copy(GrantId id, uint64_t off, uint64_t len, bool to_grant,
                          std::span<std::byte> dst, std::span<const std::byte> src,
                          const void* caller) {
  GrantId orig = id;
  Result<Grant*> found = resolve(&orig, &off, len, to_grant ? kCPF_WRITE : kCPF_READ);
  if (!found) return {0, found.error()};
  Grant& g = **found;
  AddressSpace& mm = *g.mm;
  uint64_t done = 0;
  while (done < len) {
    const uint64_t addr = g.addr + off + done;
    const uint64_t n = std::min(len - done, kUserPageSize - addr % kUserPageSize);
    if (machine_.faults.fire("safecopy/softfault")) mm.evict(addr);
    const PageAccess pa = mm.probe(addr, to_grant);
    if (pa == PageAccess::kHard) return {done, Errno::kEFAULT};
    bool may_fault = false;
    if (pa == PageAccess::kSoft) {
      if (g.access & kCPF_TRY) {
        g.mark = orig;
        ++marks_;
        machine_.trace.record("safecopy-softfault", {{"grant", orig}, {"addr", addr}});
        return {done, Errno::kEFAULT};
      }
      if (caller != nullptr && mm.fault_server(addr) == caller) {
        ++deadlocks_;
        machine_.trace.record("safecopy-deadlock", {{"grant", orig}, {"addr", addr}});
        return {done, Errno::kEDEADLK};
      }
      may_fault = true;  // The kernel asks the VM to resolve it inline.
    }
    const uint64_t moved = to_grant ? mm.copy_out(addr, src.subspan(done, n), may_fault)
                                    : mm.copy_in(addr, dst.subspan(done, n), may_fault);
    done += moved;
    if (moved < n) return {done, Errno::kEFAULT};
  }
  return {done, Errno::kOk};
}

IoResult GrantTable::safecopy_from(GrantId id, uint64_t off, std::span<std::byte> dst,
                                   const void* caller) {
  return copy(id, off, dst.size(), /*to_grant=*/false, dst, {}, caller);
}

IoResult GrantTable::safecopy_to(GrantId id, uint64_t off, std::span<const std::byte> src,
                                 const void* caller) {
  return copy(id, off, src.size(), /*to_grant=*/true, {}, src, caller);
}

}  // namespace vfssim
