#include "tools/demo.h"

#include <gtest/gtest.h>

#include <sstream>

namespace vfssim {
namespace {

std::pair<std::string, uint64_t> run(uint64_t seed) {
  Machine m(seed);
  std::ostringstream out;
  EXPECT_EQ(run_driver_demo(m, out), 0) << out.str();
  return {out.str(), m.trace.hash()};
}

TEST(DemoTest, EveryStepAsTheModelSays) {
  auto [text, hash] = run(1);
  EXPECT_NE(text.find("every step as the model says"), std::string::npos);
  EXPECT_NE(text.find("memory failure on pmem0 at phys 0x100003100"), std::string::npos) << text;
}

TEST(DemoTest, SameSeedSameOutputAndTrace) {
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7).second, run(8).second);
}

}  // namespace
}  // namespace vfssim
