#include "sim/node_memory.h"

#include <sys/mman.h>

#include <cstdint>
#include <mutex>
#include <new>

namespace vfssim {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

// HugeRegions hands out memory from 2 MiB-aligned regions marked for
// transparent huge pages, bump-allocated and never given back (the pool
// above it keeps and reuses what its containers free).
class HugeRegions : public std::pmr::memory_resource {
 private:
  void* do_allocate(size_t bytes, size_t align) override {
    std::lock_guard<std::mutex> lock(mu_);
    uintptr_t at = (next_ + align - 1) & ~(uintptr_t{align} - 1);
    if (at + bytes > end_ || next_ == 0) {
      const size_t len = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      // Over-map by one huge page, then trim to the aligned part.
      void* raw = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (raw == MAP_FAILED) throw std::bad_alloc();
      const uintptr_t base = reinterpret_cast<uintptr_t>(raw);
      const uintptr_t aligned = (base + kHugePage - 1) & ~(uintptr_t{kHugePage} - 1);
      if (aligned > base) munmap(raw, aligned - base);
      if (const uintptr_t tail = base + len + kHugePage - (aligned + len); tail > 0) {
        munmap(reinterpret_cast<void*>(aligned + len), tail);
      }
      // Advice only: where THP is off the region is ordinary 4 KiB pages.
      madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
      at = aligned;
      end_ = aligned + len;
    }
    next_ = at + bytes;
    return reinterpret_cast<void*>(at);
  }
  void do_deallocate(void*, size_t, size_t) override {}
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }

  std::mutex mu_;
  uintptr_t next_ = 0;
  uintptr_t end_ = 0;
};

}  // namespace

std::pmr::memory_resource& node_resource() {
#if defined(__SANITIZE_ADDRESS__)
  return *std::pmr::new_delete_resource();
#else
  // Never destroyed: containers may free nodes during static destruction.
  static auto* regions = new HugeRegions;
  static auto* pool = new std::pmr::synchronized_pool_resource(regions);
  return *pool;
#endif
}

}  // namespace vfssim
