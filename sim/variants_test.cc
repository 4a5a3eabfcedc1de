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
  EXPECT_EQ(v.get("shm.dealloc_swapped_page"), "read");
  EXPECT_EQ(v.set("shm.dealloc_swapped_page", "skip"), Errno::kOk);
  EXPECT_TRUE(v.is("shm.dealloc_swapped_page", "skip"));
  EXPECT_EQ(v.set("shm.dealloc_swapped_page", "maybe"), Errno::kEINVAL);
  EXPECT_EQ(v.set("no.such", "x"), Errno::kEINVAL);
  EXPECT_EQ(v.in_force(), std::vector<std::string>({"safecopy.retry=on-mark", "shm.dealloc_page_head=zero", "shm.dealloc_swapped_page=skip", "zeroinit=off", "zeroinit.holes=reject"}));
  EXPECT_EQ(trace.size(), 1u);  // The change is traced.
}

}  // namespace
}  // namespace vfssim
