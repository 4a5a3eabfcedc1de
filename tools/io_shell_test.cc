#include "tools/io_shell.h"

#include <gtest/gtest.h>

#include <sstream>

namespace vfssim {
namespace {

TEST(IoShell, WritesAndReadsBack) {
  std::ostringstream out, err;
  auto sh = IoShell::create(ShellConfig{}, out, err);
  ASSERT_TRUE(sh.ok()) << sh.status();
  ASSERT_TRUE((*sh)->open_files({"file"}, Op::letter('f')));
  (*sh)->run_line("pwrite -S 0x41 0 8", true);
  (*sh)->run_line("pread -v 0 8", true);
  EXPECT_NE(out.str().find("00000000:  41 41 41 41 41 41 41 41  AAAAAAAA\n"), std::string::npos) << out.str();
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ((*sh)->exitcode(), 0);
}

}  // namespace
}  // namespace vfssim
