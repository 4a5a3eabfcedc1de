// page_memory: the bytes of one 4 KiB page of simulated memory — a page
// of the page cache, of shmfs, of a process's anonymous memory, or of a
// device's storage — page-aligned, as the kernel's pages are.
//
// Alignment is what makes a 4 KiB copy between two pages run at memcpy
// speed. Pages placed by plain malloc sit at drifting offsets modulo 4 KiB,
// and a copy whose destination lies a little past its source modulo 4 KiB
// stalls on every load (4K aliasing): 2 to 4 times as long, varying with
// the placement. Aligned one at a time, glibc spends a second page on the
// padding; the pool below packs them (std::pmr::synchronized_pool_resource,
// shared by every simulation in the process, whatever its thread).
//
//   UniquePage p = alloc_page();                  // zeros
//   std::shared_ptr<PageBytes> s = share_page(alloc_page_copy(*p));

#ifndef VFSSIM_SIM_PAGE_MEMORY_H_
#define VFSSIM_SIM_PAGE_MEMORY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace vfssim {

inline constexpr uint64_t kMemPageSize = 4096;

struct alignas(kMemPageSize) PageBytes : std::array<std::byte, kMemPageSize> {};
static_assert(sizeof(PageBytes) == kMemPageSize);

// PagePoolDelete gives a page back to the pool.
struct PagePoolDelete {
  void operator()(PageBytes* page) const;
};
using UniquePage = std::unique_ptr<PageBytes, PagePoolDelete>;

// alloc_page is a zeroed page; alloc_page_copy one holding `from`;
// alloc_page_for_overwrite one whose bytes the caller sets, all of them.
UniquePage alloc_page();
UniquePage alloc_page_copy(const PageBytes& from);
UniquePage alloc_page_for_overwrite();

// share_page hands a page to shared owners (the page cache and the
// mappings of it); the last one gives it back to the pool.
inline std::shared_ptr<PageBytes> share_page(UniquePage page) { return std::shared_ptr<PageBytes>(std::move(page)); }

}  // namespace vfssim

#endif  // VFSSIM_SIM_PAGE_MEMORY_H_
