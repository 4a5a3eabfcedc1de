#include "sim/page_memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

namespace vfssim {
namespace {

TEST(PageMemory, PagesArePageAlignedZeroedAndDistinct) {
  std::vector<UniquePage> pages;
  std::set<const void*> seen;
  for (int i = 0; i < 300; ++i) {
    pages.push_back(alloc_page());
    const PageBytes& p = *pages.back();
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p.data()) % kMemPageSize, 0u);
    EXPECT_EQ(p[0], std::byte{0});
    EXPECT_EQ(p[kMemPageSize - 1], std::byte{0});
    EXPECT_TRUE(seen.insert(p.data()).second);
    pages.back()->fill(std::byte{7});  // Dirty it: a page given back and taken again is zeroed.
  }
  pages.clear();
  for (int i = 0; i < 300; ++i) {
    UniquePage p = alloc_page();
    for (std::byte b : *p) ASSERT_EQ(b, std::byte{0});
  }
}

TEST(PageMemory, CopyAndSharedPages) {
  UniquePage a = alloc_page();
  (*a)[10] = std::byte{42};
  std::shared_ptr<PageBytes> s = share_page(alloc_page_copy(*a));
  std::shared_ptr<PageBytes> t = s;
  EXPECT_EQ((*t)[10], std::byte{42});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data()) % kMemPageSize, 0u);
  s.reset();
  EXPECT_EQ((*t)[10], std::byte{42});  // Still alive through the other owner.
}

}  // namespace
}  // namespace vfssim
