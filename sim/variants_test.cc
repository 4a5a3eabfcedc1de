#include "sim/variants.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

TEST(VariantsTest, RegistrySortedWithDefaultsAndMeanings) {
  auto reg = variant_registry();
  for (size_t i = 0; i < reg.size(); ++i) {
    EXPECT_GE(reg[i].values.size(), 2u) << reg[i].name;
    EXPECT_FALSE(reg[i].meaning.empty());
    if (i > 0) {
      EXPECT_LT(reg[i - 1].name, reg[i].name);
    }
  }
}

TEST(VariantsTest, DefaultSetAndReject) {
  Trace trace;
  Variants v(&trace);
  EXPECT_EQ(*v.get("shm.dealloc_swapped_page"), "read");
  EXPECT_EQ(v.get(variant::kShmDeallocSwappedPage), variant::ShmDeallocSwappedPage::kRead);
  EXPECT_EQ(v.set("shm.dealloc_swapped_page", "skip"), Errno::kOk);
  EXPECT_EQ(v.get(variant::kShmDeallocSwappedPage), variant::ShmDeallocSwappedPage::kSkip);
  EXPECT_EQ(v.set("shm.dealloc_swapped_page", "maybe"), Errno::kEINVAL);
  EXPECT_EQ(v.set("no.such", "x"), Errno::kEINVAL);
  EXPECT_EQ(v.get("no.such").error(), Errno::kEINVAL);
  EXPECT_EQ(v.in_force(),
            std::vector<std::string>({"dax.direct_access=partial", "safecopy.retry=on-mark",
                                      "shm.dealloc_page_head=zero",
                                      "shm.dealloc_swapped_page=skip", "zeroinit=off",
                                      "zeroinit.holes=reject", "zeroinit.nounmap=on"}));
  EXPECT_EQ(trace.size(), 1u);  // The change is traced.
  v.set(variant::kZeroinit, variant::Zeroinit::kOn);
  EXPECT_EQ(*v.get("zeroinit"), "on");
  EXPECT_EQ(trace.size(), 2u);
}

// Every typed handle names the registry entry at its index, and its enum's
// values are the entry's (checked through the largest value's name).
TEST(VariantsTest, HandlesMatchTheRegistry) {
  auto reg = variant_registry();
  ASSERT_EQ(reg.size(), variant::kCount);
  auto check = [&](auto h, size_t nvalues) {
    ASSERT_LT(h.index, reg.size());
    EXPECT_EQ(reg[h.index].name, h.name);
    EXPECT_EQ(reg[h.index].values.size(), nvalues) << h.name;
  };
  check(variant::kDaxDirectAccess, 2);
  check(variant::kSafecopyRetry, 2);
  check(variant::kShmDeallocPageHead, 2);
  check(variant::kShmDeallocSwappedPage, 2);
  check(variant::kZeroinit, 2);
  check(variant::kZeroinitHoles, 2);
  check(variant::kZeroinitNounmap, 2);
}

}  // namespace
}  // namespace vfssim
