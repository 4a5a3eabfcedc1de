#include "sim/address_space.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <vector>

namespace vfssim {
namespace {

// x86-64 page tables cannot make a page writable or executable and not
// readable: PROT_WRITE and PROT_EXEC mappings read (protection_map).
constexpr int kReadable = kProtRead | kProtWrite | kProtExec;

}  // namespace

namespace {

constexpr uint64_t kPage = kUserPageSize;

uint64_t page_down(uint64_t a) { return a & ~(kPage - 1); }

}  // namespace

// memmove, not memcpy: a read(2) or write(2) whose buffer maps the very
// page-cache page being copied moves bytes onto themselves.
uint64_t RamPage::load(uint64_t off, std::span<std::byte> dst) {
  std::memmove(dst.data(), bytes_->data() + off, dst.size());
  return 0;
}

void RamPage::store(uint64_t off, std::span<const std::byte> src) {
  std::memmove(bytes_->data() + off, src.data(), src.size());
}

AddressSpace::~AddressSpace() {
  for (auto& [start, vma] : vmas_) {
    if (vma.ops != nullptr) vma.ops->close(vma);
  }
}

Vma* AddressSpace::find_vma(uint64_t addr) {
  auto it = vmas_.upper_bound(addr);
  if (it == vmas_.begin()) return nullptr;
  --it;
  return addr < it->second.end ? &it->second : nullptr;
}

Result<uint64_t> AddressSpace::map(uint64_t addr, uint64_t len, int prot, bool shared,
                                   VmOps* ops, uint64_t pgoff, std::shared_ptr<void> object) {
  if (len == 0 || addr % kPage != 0) return Fail(Errno::kEINVAL);
  if (len > kTaskSize) return Fail(Errno::kENOMEM);
  len = (len + kPage - 1) / kPage * kPage;
  if (addr == 0) {
    // A guard gap between mappings; no room left below TASK_SIZE: ENOMEM.
    if (len + kPage > kTaskSize - next_addr_) return Fail(Errno::kENOMEM);
    addr = next_addr_;
    next_addr_ += len + kPage;
  } else if (addr > kTaskSize - len) {
    return Fail(Errno::kENOMEM);
  } else {
    unmap(addr, len);  // MAP_FIXED replaces.
  }
  Vma vma{addr, addr + len, prot, shared, pgoff, ops, std::move(object), this};
  vmas_[addr] = std::move(vma);
  flush_tlb();
  return addr;
}

void AddressSpace::split(uint64_t at) {
  Vma* v = find_vma(at);
  if (v == nullptr || v->start == at) return;
  Vma tail = *v;
  tail.pgoff += (at - v->start) / kPage;
  tail.start = at;
  v->end = at;
  Vma& placed = vmas_[at] = std::move(tail);
  flush_tlb();
  if (placed.ops != nullptr) placed.ops->open(placed);  // __split_vma: ->open on the new VMA.
}

Errno AddressSpace::unmap(uint64_t addr, uint64_t len) {
  // Past TASK_SIZE nothing is mapped; a range that wraps would give an
  // end below its start.
  if (len == 0 || addr % kPage != 0 || addr > kTaskSize || len > kTaskSize - addr) {
    return Errno::kEINVAL;
  }
  const uint64_t end = addr + (len + kPage - 1) / kPage * kPage;
  split(addr);
  split(end);
  std::vector<uint64_t> gone;
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < end; ++it) {
    gone.push_back(it->first);
  }
  for (uint64_t s : gone) {
    Vma& v = vmas_[s];
    if (v.ops != nullptr) v.ops->close(v);
    vmas_.erase(s);
  }
  ptes_.erase(ptes_.lower_bound(addr), ptes_.lower_bound(end));
  flush_tlb();
  return Errno::kOk;
}

Errno AddressSpace::protect(uint64_t addr, uint64_t len, int prot) {
  if (addr % kPage != 0) return Errno::kEINVAL;
  if (addr > kTaskSize || len > kTaskSize - addr) return Errno::kENOMEM;
  const uint64_t end = addr + (len + kPage - 1) / kPage * kPage;
  // Every page of the range must be mapped: walk the VMAs, not the pages.
  for (uint64_t a = addr; a < end;) {
    const Vma* v = find_vma(a);
    if (v == nullptr) return Errno::kENOMEM;
    a = v->end;
  }
  split(addr);
  split(end);
  for (auto it = vmas_.lower_bound(addr); it != vmas_.end() && it->first < end; ++it) {
    it->second.prot = prot;
  }
  if (!(prot & kProtWrite)) {
    for (auto it = ptes_.lower_bound(addr); it != ptes_.end() && it->first < end; ++it) {
      it->second.writable = false;
    }
  }
  return Errno::kOk;
}

std::optional<Siginfo> AddressSpace::fault_in(Vma& vma, uint64_t page_addr, bool write,
                                              uint64_t addr, Pte** out) {
  bool fresh = false;
  const uint64_t pgoff = vma.pgoff + (page_addr - vma.start) / kPage;
  auto sig = [&](const FaultResult& r) { return Siginfo{r.signo, r.code, addr}; };
  auto it = ptes_.find(page_addr);
  if (it != ptes_.end() && it->second.page == nullptr && it->second.swapped) {
    // Swapped anonymous page: read it back.
    auto bytes = share_page(alloc_page_copy(*it->second.swapped));
    it->second.swapped.reset();
    it->second.page = std::make_shared<RamPage>(std::move(bytes));
  }
  if (it == ptes_.end()) {
    if (vma.ops == nullptr) {
      // Anonymous memory: a zeroed page.
      Pte pte;
      pte.page = std::make_shared<RamPage>(share_page(alloc_page()));
      pte.anon = true;
      pte.writable = true;
      it = ptes_.emplace(page_addr, std::move(pte)).first;
      flush_tlb();
    } else {
      FaultResult r = vma.ops->fault(vma, pgoff, write && vma.shared);
      if (r.page == nullptr) return sig(r);
      it = ptes_.emplace(page_addr, Pte{std::move(r.page), false, false, nullptr}).first;
      flush_tlb();
      fresh = true;
    }
  }
  Pte& pte = it->second;
  *out = &pte;
  if (write && !pte.writable) {
    if (vma.shared) {
      FaultResult w = vma.ops->page_mkwrite(vma, pgoff);
      if (w.signo != 0) {
        if (fresh) {
          ptes_.erase(it);  // A failed write fault maps nothing.
          flush_tlb();
        }
        return sig(w);
      }
      if (w.page != nullptr) pte.page = std::move(w.page);
      pte.writable = true;
    } else {
      // Private: copy on write into an anonymous page.
      auto bytes = share_page(alloc_page_for_overwrite());
      if (pte.page->load(0, *bytes) != 0) return Siginfo{kSIGBUS, kBUS_MCEERR_AR, addr};
      pte.page = std::make_shared<RamPage>(std::move(bytes));
      pte.anon = true;
      pte.writable = true;
    }
  }
  return std::nullopt;
}

AddressSpace::Pte* AddressSpace::resident_pte(uint64_t page_addr, bool write) {
  auto it = ptes_.find(page_addr);
  if (it == ptes_.end() || it->second.page == nullptr) return nullptr;
  if (write && !it->second.writable) return nullptr;
  return &it->second;
}

std::optional<Siginfo> AddressSpace::access(uint64_t addr, size_t len, bool write,
                                            std::span<std::byte> dst,
                                            std::span<const std::byte> src, bool may_fault,
                                            uint64_t* done_out) {
  size_t done = 0;
  std::optional<Siginfo> sig;
  while (done < len) {
    const uint64_t a = addr + done;
    const uint64_t page_addr = page_down(a);
    const int need = write ? kProtWrite : kReadable;
    Pte* pte = nullptr;
    if (tlb_.page == page_addr && (tlb_.vma->prot & need) && tlb_.pte->page != nullptr &&
        (!write || tlb_.pte->writable)) {
      pte = tlb_.pte;
    } else {
      Vma* vma = find_vma(a);
      if (vma == nullptr) {
        sig = Siginfo{kSIGSEGV, kSEGV_MAPERR, a};
        break;
      }
      if (!(vma->prot & need)) {
        sig = Siginfo{kSIGSEGV, kSEGV_ACCERR, a};
        break;
      }
      pte = resident_pte(page_addr, write);
      if (pte != nullptr) {
        tlb_ = {page_addr, vma, pte};
      } else {
        // Not cached: the fault calls out (a filesystem's ->fault), and
        // the next access finds the page resident.
        if (!may_fault) break;  // Faults disabled: stop before the page.
        if ((sig = fault_in(*vma, page_addr, write, a, &pte))) break;
      }
    }
    const uint64_t in_page = a - page_addr;
    const size_t n = std::min<size_t>(len - done, kPage - in_page);
    if (write) {
      pte->page->store(in_page, src.subspan(done, n));
    } else {
      const uint64_t missed = pte->page->load(in_page, dst.subspan(done, n));
      if (missed > 0) {
        // A machine check consumed poison: SIGBUS at the bad byte.
        done += n - missed;
        sig = Siginfo{kSIGBUS, kBUS_MCEERR_AR, a + (n - missed)};
        break;
      }
    }
    done += n;
  }
  *done_out = done;
  return sig;
}

std::optional<Siginfo> AddressSpace::load(uint64_t addr, std::span<std::byte> dst) {
  uint64_t done = 0;
  return access(addr, dst.size(), false, dst, {}, /*may_fault=*/true, &done);
}

std::optional<Siginfo> AddressSpace::store(uint64_t addr, std::span<const std::byte> src) {
  uint64_t done = 0;
  return access(addr, src.size(), true, {}, src, /*may_fault=*/true, &done);
}

uint64_t AddressSpace::copy_in(uint64_t addr, std::span<std::byte> dst, bool may_fault) {
  uint64_t done = 0;
  access(addr, dst.size(), false, dst, {}, may_fault, &done);
  return done;
}

uint64_t AddressSpace::copy_out(uint64_t addr, std::span<const std::byte> src, bool may_fault) {
  uint64_t done = 0;
  access(addr, src.size(), true, {}, src, may_fault, &done);
  return done;
}

PageAccess AddressSpace::probe(uint64_t addr, bool write) {
  Vma* vma = find_vma(addr);
  if (vma == nullptr || !(vma->prot & (write ? kProtWrite : kReadable))) return PageAccess::kHard;
  return resident_pte(page_down(addr), write) != nullptr ? PageAccess::kResident
                                                         : PageAccess::kSoft;
}

uint64_t AddressSpace::fault_in_range(uint64_t addr, uint64_t len, bool write) {
  if (len == 0) return 0;
  const uint64_t end = addr + len;
  for (uint64_t a = addr; a < end; a = page_down(a) + kPage) {
    Vma* vma = find_vma(a);
    if (vma == nullptr || !(vma->prot & (write ? kProtWrite : kReadable))) return a - addr;
    Pte* pte = resident_pte(page_down(a), write);
    if (pte == nullptr && fault_in(*vma, page_down(a), write, a, &pte)) return a - addr;
  }
  return len;
}

const void* AddressSpace::fault_server(uint64_t addr) {
  Vma* vma = find_vma(addr);
  return vma == nullptr || vma->ops == nullptr ? nullptr : vma->ops->server(*vma);
}

bool AddressSpace::evict(uint64_t addr) {
  auto it = ptes_.find(page_down(addr));
  if (it == ptes_.end() || it->second.page == nullptr) return false;
  if (it->second.anon) return swap_out(addr);
  ptes_.erase(it);
  flush_tlb();
  return true;
}

void AddressSpace::zap(const void* object, uint64_t first, uint64_t last) {
  for (auto& [start, vma] : vmas_) {
    if (vma.object.get() != object) continue;
    const uint64_t vfirst = vma.pgoff;
    const uint64_t vlast = vma.pgoff + (vma.end - vma.start) / kPage - 1;
    const uint64_t lo = std::max(first, vfirst);
    const uint64_t hi = std::min(last, vlast);
    if (lo > hi) continue;
    const uint64_t from = vma.start + (lo - vma.pgoff) * kPage;
    const uint64_t to = vma.start + (hi - vma.pgoff + 1) * kPage;
    // Private copies are the process's own: only file pages are zapped.
    for (auto it = ptes_.lower_bound(from); it != ptes_.end() && it->first < to;) {
      it = it->second.anon ? std::next(it) : ptes_.erase(it);
    }
    flush_tlb();
  }
}

bool AddressSpace::swap_out(uint64_t addr) {
  auto it = ptes_.find(page_down(addr));
  if (it == ptes_.end() || !it->second.anon || it->second.page == nullptr) return false;
  UniquePage bytes = alloc_page_for_overwrite();
  it->second.page->load(0, *bytes);
  it->second.swapped = std::move(bytes);
  it->second.page.reset();
  return true;
}

char AddressSpace::page_state(uint64_t addr) const {
  auto it = ptes_.find(page_down(addr));
  if (it == ptes_.end()) return '-';
  return it->second.page != nullptr ? 'r' : 's';
}

}  // namespace vfssim
