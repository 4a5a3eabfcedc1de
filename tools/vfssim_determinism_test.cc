// One seed decides everything, across processes: the vfssim binary run twice
// with the same seed writes byte-identical traces (and prints the same hash);
// another seed gives another trace. The boot record names every variant in
// force, defaults included.

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>
#include <string>

namespace vfssim {
namespace {

// run executes `vfssim demo --seed N --trace PATH` and returns its stdout.
std::string run(int seed, const std::string& trace) {
  const std::string cmd =
      "tools/vfssim demo --campaign-seconds=0 --seed " + std::to_string(seed) + " --trace " + trace;
  FILE* f = popen(cmd.c_str(), "r");
  EXPECT_NE(f, nullptr) << cmd;
  std::string out;
  char buf[4096];
  size_t n;
  while (f != nullptr && (n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  if (f != nullptr) {
    EXPECT_EQ(pclose(f), 0) << cmd << "\n" << out;
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(VfssimDeterminism, SameSeedSameTraceAcrossProcesses) {
  const std::string dir = getenv("TEST_TMPDIR") != nullptr ? getenv("TEST_TMPDIR") : "/tmp";
  const std::string a = run(7, dir + "/a.jsonl"), b = run(7, dir + "/b.jsonl");
  const std::string c = run(8, dir + "/c.jsonl");
  ASSERT_FALSE(slurp(dir + "/a.jsonl").empty());
  EXPECT_EQ(slurp(dir + "/a.jsonl"), slurp(dir + "/b.jsonl"));
  EXPECT_EQ(a, b);  // Including the printed trace hash.
  EXPECT_NE(slurp(dir + "/a.jsonl"), slurp(dir + "/c.jsonl"));
  const std::string boot = slurp(dir + "/a.jsonl").substr(0, slurp(dir + "/a.jsonl").find('\n'));
  EXPECT_NE(boot.find("\"kind\":\"boot\""), std::string::npos) << boot;
  EXPECT_NE(boot.find("safecopy.retry=on-mark"), std::string::npos) << boot;
  EXPECT_NE(boot.find("zeroinit=off"), std::string::npos) << boot;
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

int exit_code(const std::string& args) {
  const int st = std::system(("tools/vfssim " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Variants and fault plans are parsed and checked on the command line: an
// unknown name, value, point or plan is a usage error (2) before anything
// runs; a good one is set, and the trace says so.
TEST(VfssimCommandLine, VariantsAndFaultsAreCheckedWhereTheyAreParsed) {
  EXPECT_EQ(exit_code("demo --variant zeroinit=bogus"), 2);
  EXPECT_EQ(exit_code("demo --variant nosuch=on"), 2);
  EXPECT_EQ(exit_code("demo --variant zeroinit"), 2);
  EXPECT_EQ(exit_code("demo --fault nosuch/point=nth:1"), 2);
  EXPECT_EQ(exit_code("demo --fault blockdev/write/eio=sometimes"), 2);
  EXPECT_EQ(exit_code("variants"), 0);
  const std::string dir = getenv("TEST_TMPDIR") != nullptr ? getenv("TEST_TMPDIR") : "/tmp";
  ASSERT_EQ(exit_code("demo --campaign-seconds=0 --variant zeroinit=on --trace " + dir + "/v.jsonl"), 0);
  EXPECT_NE(slurp(dir + "/v.jsonl").find("zeroinit"), std::string::npos);
  EXPECT_NE(slurp(dir + "/v.jsonl").find("\"on\""), std::string::npos);
}

}  // namespace
}  // namespace vfssim
