#include "sim/node_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vfssim {
namespace {

// vm_flags returns the VmFlags line of the /proc/self/smaps mapping that
// holds `p`, or "" when none does. (Unused under AddressSanitizer.)
[[maybe_unused]] std::string vm_flags(const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line;
    }
  }
  return "";
}

TEST(NodeMemory, BtreesOnTheNodePoolHoldWhatWasPut) {
  NodeBtreeMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 100000; ++i) m.emplace(i * 2, i);
  for (uint64_t i = 0; i < 100000; i += 2) m.erase(i * 2);
  ASSERT_EQ(m.size(), 50000u);
  uint64_t expect = 1;
  for (const auto& [k, v] : m) {
    ASSERT_EQ(k, expect * 2);
    ASSERT_EQ(v, expect);
    expect += 2;
  }
  NodeBtreeMap<uint64_t, uint64_t> moved = std::move(m);
  NodeBtreeMap<uint64_t, uint64_t> copied = moved;
  EXPECT_EQ(copied, moved);
  copied.swap(m);
  EXPECT_EQ(m.size(), 50000u);
}

TEST(NodeMemory, ThreadsShareThePool) {
  // Built in one thread, grown and freed in another: the pool is shared.
  auto* s = new NodeBtreeSet<std::pair<uint64_t, uint64_t>>;
  std::thread a([s] {
    for (uint64_t i = 0; i < 20000; ++i) s->insert({i % 97, i});
  });
  a.join();
  std::vector<std::thread> more;
  std::vector<NodeBtreeMap<uint64_t, uint64_t>> own(4);
  for (int t = 0; t < 4; ++t) {
    more.emplace_back([&own, t] {
      for (uint64_t i = 0; i < 20000; ++i) own[t].emplace(i, t);
    });
  }
  std::thread b([s] { delete s; });
  for (std::thread& t : more) t.join();
  b.join();
  for (const auto& m : own) EXPECT_EQ(m.size(), 20000u);
}

TEST(NodeMemory, AllocationsAreAlignedAndLargeOnesWork) {
  std::pmr::memory_resource& r = node_resource();
  void* small = r.allocate(24, 8);
  void* node = r.allocate(256, 64);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(node) % 64, 0u);
  // Larger than a huge page: a region of its own.
  const size_t big = (size_t{5} << 20) + 123;
  auto* p = static_cast<unsigned char*>(r.allocate(big, 16));
  p[0] = 1;
  p[big - 1] = 2;
  EXPECT_EQ(p[0] + p[big - 1], 3);
  r.deallocate(p, big, 16);
  r.deallocate(node, 256, 64);
  r.deallocate(small, 24, 8);
}

TEST(NodeMemory, NodesLieInMemoryMarkedForHugePages) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under AddressSanitizer nodes come from new/delete";
#else
  NodeBtreeMap<uint64_t, uint64_t> m;
  for (uint64_t i = 0; i < 1000; ++i) m.emplace(i, i);
  const std::string flags = vm_flags(&*m.begin());
  ASSERT_FALSE(flags.empty()) << "no smaps mapping holds the node";
  // "hg": madvise(MADV_HUGEPAGE) (proc(5)).
  EXPECT_NE(flags.find(" hg"), std::string::npos) << flags;
#endif
}

}  // namespace
}  // namespace vfssim
