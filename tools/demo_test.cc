#include "tools/demo.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

namespace vfssim {
namespace {

struct Tour {
  std::string text;
  std::string trace;
  int surprises = 0;
};

Tour tour(uint64_t seed, const DemoSettings& settings = {}) {
  std::ostringstream out, trace;
  Tour t;
  t.surprises = run_tour({.seed = seed, .settings = settings, .trace = &trace}, out);
  t.text = out.str();
  t.trace = trace.str();
  return t;
}

// output_of is what the transcript shows `command` printed, at its first
// run after `from`: the lines up to the next command, comment or blank line.
std::string output_of(const std::string& text, const std::string& command, size_t from = 0) {
  const size_t at = text.find("xfs_io> " + command + "\n", from);
  if (at == std::string::npos) return "<no such command>";
  size_t begin = text.find('\n', at) + 1, end = begin;
  while (end < text.size() && text.compare(end, 8, "xfs_io> ") != 0 && text[end] != '#' && text[end] != '\n') {
    end = text.find('\n', end) + 1;
  }
  return text.substr(begin, end - begin);
}

TEST(TourTest, EveryStepAsTheSeedsSayForSeveralSeeds) {
  for (uint64_t seed : {1, 2, 3, 7, 42, 1234567}) {
    const Tour t = tour(seed);
    EXPECT_EQ(t.surprises, 0) << "seed " << seed << "\n" << t.text;
    EXPECT_NE(t.text.find("== every step as the seeds say"), std::string::npos) << t.text;
    EXPECT_EQ(t.text.find("UNEXPECTED"), std::string::npos) << t.text;
  }
}

TEST(TourTest, SeedOneShowsTheKeyResults) {
  const Tour t = tour(1);
  const std::string& s = t.text;
  // Each step names its seed.
  for (const char* seed : {"seed 000", "seed 003", "seed 004"}) EXPECT_NE(s.find(seed), std::string::npos) << seed;
  EXPECT_NE(s.find("$ vfssim io --dev=pmem --mount-opt=dax=always --seed=1 -f file"), std::string::npos);
  EXPECT_NE(s.find("$ vfssim io --dev=pmem --mount-opt=dax=always,ipc=safecopy,partial_io=proper --seed=1 -f file"),
            std::string::npos);

  // The poisoned read fails with EIO.
  EXPECT_NE(s.find("\npread: Input/output error\n"), std::string::npos) << s;

  // Punch+write: FIEMAP before and after, on different pmem.
  const size_t note = s.find("#   -> file block ");
  ASSERT_NE(note, std::string::npos) << s;
  long long block = 0, b0 = 0, b1 = 0, a0 = 0, a1 = 0;
  ASSERT_EQ(std::sscanf(s.c_str() + note, "#   -> file block %lld: pmem sectors %lld..%lld before, %lld..%lld after",
                        &block, &b0, &b1, &a0, &a1),
            5)
      << s.substr(note, 200);
  EXPECT_NE(b0, a0);
  EXPECT_EQ(b1 - b0, 7);
  EXPECT_EQ(a1 - a0, 7);
  const std::string punch = "fpunch " + std::to_string(block * 4) + "k 4k";
  EXPECT_NE(s.find("xfs_io> " + punch), std::string::npos) << punch;

  // ZEROINIT: EOPNOTSUPP with the variant off, works in place with it on.
  const size_t off = s.find("xfs_io> variant set zeroinit off\n");
  const size_t on = s.find("xfs_io> variant set zeroinit on\n");
  ASSERT_NE(off, std::string::npos);
  ASSERT_NE(on, std::string::npos);
  ASSERT_LT(off, on);
  const size_t zi_off = s.find("xfs_io> zeroinit ", off);
  EXPECT_LT(zi_off, on);
  const std::string zi_line = s.substr(zi_off + 8, s.find('\n', zi_off) - zi_off - 8);
  EXPECT_EQ(output_of(s, zi_line, off), "zeroinit: Operation not supported\n");
  EXPECT_EQ(output_of(s, zi_line, on), "");
  const size_t zi_note = s.find("#   -> file block ", on);
  ASSERT_NE(zi_note, std::string::npos);
  ASSERT_EQ(std::sscanf(s.c_str() + zi_note,
                        "#   -> file block %lld: pmem sectors %lld..%lld before, %lld..%lld after", &block, &b0,
                        &b1, &a0, &a1),
            5);
  EXPECT_EQ(b0, a0) << "ZEROINIT keeps the mapping";

  // fspacectl: rmsr after a whole success (nothing left) and after a call
  // stopped by EIO (what is left of it).
  const size_t done = s.find("\nrmsr: offset ");
  ASSERT_NE(done, std::string::npos) << s;
  long long at = 0, left = -1;
  ASSERT_EQ(std::sscanf(s.c_str() + done, "\nrmsr: offset %lld length %lld", &at, &left), 2);
  EXPECT_EQ(left, 0);
  const size_t eio = s.find("fspacectl: Input/output error\nrmsr: offset ");
  ASSERT_NE(eio, std::string::npos) << s;
  ASSERT_EQ(std::sscanf(s.c_str() + eio, "fspacectl: Input/output error\nrmsr: offset %lld length %lld", &at, &left),
            2);
  EXPECT_GT(left, 0);
  EXPECT_LT(left, 4096);
  EXPECT_EQ(at % 4096, 0) << "it stops at the poisoned block";

  // CPF_TRY: a short read under on-efault, a whole one under on-mark, and
  // seed 003's table.
  const size_t efault = s.find("xfs_io> variant set safecopy.retry on-efault\n");
  ASSERT_NE(efault, std::string::npos);
  long long got = 0, want = 0;
  const size_t short_read = s.find("\nread ", efault);
  ASSERT_EQ(std::sscanf(s.c_str() + short_read, "\nread %lld/%lld", &got, &want), 2);
  EXPECT_GT(got, 0);
  EXPECT_LT(got, want);
  EXPECT_EQ(got % 4096, 0);
  const size_t mark = s.find("xfs_io> variant set safecopy.retry on-mark\n", efault);
  ASSERT_NE(mark, std::string::npos);
  ASSERT_EQ(std::sscanf(s.c_str() + s.find("\nread ", mark), "\nread %lld/%lld", &got, &want), 2);
  EXPECT_EQ(got, want);
  EXPECT_NE(s.find("| pread | on-efault | proper | soft, middle page | **4096 (short)** |"), std::string::npos);
}

TEST(TourTest, SameSeedSameTranscriptAndTrace) {
  const Tour a = tour(7), b = tour(7), c = tour(8);
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.trace, b.trace);
  EXPECT_NE(a.text, c.text);
  EXPECT_NE(a.trace, c.trace);
  // Two sessions, each trace opening with its boot record.
  EXPECT_EQ(a.trace.rfind("{\"seq\":0,", 0), 0u);
  EXPECT_LT(a.trace.find("\"kind\":\"boot\""), a.trace.find('\n'));
  const size_t second = a.trace.find("\n{\"seq\":0,");
  ASSERT_NE(second, std::string::npos);
  EXPECT_LT(a.trace.find("\"kind\":\"boot\"", second), a.trace.find('\n', second + 1));
}

TEST(TourTest, CommandLineSettingsRunAsShellCommands) {
  DemoSettings settings;
  ASSERT_EQ(settings.add_variant("zeroinit=on"), Errno::kOk);
  ASSERT_EQ(settings.add_variant("safecopy.retry=on-efault"), Errno::kOk);
  EXPECT_EQ(settings.add_variant("zeroinit"), Errno::kEINVAL);
  EXPECT_EQ(settings.add_variant("zeroinit=bogus"), Errno::kEINVAL);
  EXPECT_EQ(settings.add_fault("nosuch/point=nth:1"), Errno::kEINVAL);
  EXPECT_EQ(settings.add_fault("blockdev/write/eio=sometimes"), Errno::kEINVAL);
  const Tour t = tour(3, settings);
  // The steps that compare variants set them themselves, and put back what
  // the command line chose.
  EXPECT_EQ(t.surprises, 0) << t.text;
  EXPECT_NE(t.text.find("xfs_io> variant set zeroinit on\nxfs_io> variant set safecopy.retry on-efault\n"),
            std::string::npos)
      << t.text;
  EXPECT_NE(t.text.find("xfs_io> fault disarm safecopy/softfault\nxfs_io> variant set safecopy.retry on-efault\n"),
            std::string::npos)
      << t.text;
}

TEST(TourTest, AFaultThatBreaksAPromiseIsCounted) {
  DemoSettings settings;
  // Every write, read and fspacectl is interrupted before it starts.
  ASSERT_EQ(settings.add_fault("sched/signal/eintr=every:1"), Errno::kOk);
  const Tour t = tour(1, settings);
  EXPECT_GT(t.surprises, 0);
  EXPECT_NE(t.text.find("xfs_io> fault arm sched/signal/eintr=every:1\n"), std::string::npos);
  EXPECT_NE(t.text.find("#   UNEXPECTED: "), std::string::npos);
  EXPECT_NE(t.text.find("UNEXPECTED results"), std::string::npos);
}

std::pair<std::string, uint64_t> run_drivers(uint64_t seed) {
  Machine m(seed);
  std::ostringstream out;
  EXPECT_EQ(run_driver_demo(m, out), 0) << out.str();
  return {out.str(), m.trace.hash()};
}

TEST(DriverDemoTest, EveryStepAsTheModelSays) {
  auto [text, hash] = run_drivers(1);
  EXPECT_NE(text.find("every step as the model says"), std::string::npos);
  EXPECT_NE(text.find("memory failure on pmem0 at phys 0x100003100"), std::string::npos) << text;
}

TEST(DriverDemoTest, SameSeedSameOutputAndTrace) {
  EXPECT_EQ(run_drivers(7), run_drivers(7));
  EXPECT_NE(run_drivers(7).second, run_drivers(8).second);
}

}  // namespace
}  // namespace vfssim
