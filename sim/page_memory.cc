#include "sim/page_memory.h"

#include <cstring>
#include <memory_resource>
#include <new>

namespace vfssim {
namespace {

std::pmr::memory_resource& page_pool() {
  // Never destroyed: pages may be given back during static destruction.
  static auto* pool = new std::pmr::synchronized_pool_resource(
      std::pmr::pool_options{.max_blocks_per_chunk = 0, .largest_required_pool_block = kMemPageSize});
  return *pool;
}

}  // namespace

void PagePoolDelete::operator()(PageBytes* page) const {
  page->~PageBytes();
  page_pool().deallocate(page, kMemPageSize, kMemPageSize);
}

UniquePage alloc_page_for_overwrite() {
  void* raw = page_pool().allocate(kMemPageSize, kMemPageSize);
  return UniquePage(new (raw) PageBytes);
}

UniquePage alloc_page() {
  UniquePage p = alloc_page_for_overwrite();
  std::memset(p->data(), 0, kMemPageSize);
  return p;
}

UniquePage alloc_page_copy(const PageBytes& from) {
  UniquePage p = alloc_page_for_overwrite();
  std::memcpy(p->data(), from.data(), kMemPageSize);
  return p;
}

}  // namespace vfssim
