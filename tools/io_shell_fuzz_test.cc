// Random and mutated command lines, run (not only parsed) by `vfssim io` on
// each filesystem it offers: nothing crashes or hangs, every message is
// whole lines, and the filesystem's fsck is clean afterwards. Under
// --config=asan (CI) this is also the shell's memory-safety check.
//
// CI pins RapidCheck's seed below; for longer runs set e.g.
//   RC_PARAMS="seed=3 max_success=3000" bazel test //tools:io_shell_fuzz_test

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "harness/command.h"
#include "tools/io_shell.h"

namespace vfssim {
namespace {

const bool kSeeded = [] {
  setenv("RC_PARAMS", "seed=20261201 max_success=120", /*overwrite=*/0);
  return true;
}();

// Words a line is made of: command names, options, sizes (good, huge,
// negative, malformed), paths, and the odd stray token.
rc::Gen<std::string> word() {
  std::vector<std::string> names;
  for (const CommandSpec& c : command_table()) {
    // `trace dump FILE` writes on the host: trace on/off only.
    if (c.name != "trace") names.emplace_back(c.name);
  }
  static const std::vector<std::string> kTokens = {
      "-S", "0x41", "-b", "-V", "2", "-v", "-r", "-f", "-k", "-a", "-d", "-h", "-s", "-l",
      "-q", "-w", "-W", "-n", "-c", "-p", "-u", "-i", "-x", "-m", "--", "-", "-1", "-4096",
      "0", "1", "512", "4096", "4k", "64k", "1m", "2b", "3s", "1g", "12q", "0x1000",
      "9223372036854775807", "18446744073709551615", "file", "f0", "src", "nope", ".",
      "d/x", "+x", "+a", "+i", "-i", "-a", "inject", "latent", "scrub", "list", "arm",
      "disarm", "set", "dealloc", "on", "off", "zeroinit", "shmfs/page/enospc=nth:1",
      "xfs/alloc/enospc=every:2", "raw",
  };
  return rc::gen::oneOf(rc::gen::elementOf(names), rc::gen::elementOf(kTokens),
                        rc::gen::map(rc::gen::inRange<int64_t>(-70000, 70000),
                                     [](int64_t n) { return std::to_string(n); }),
                        rc::gen::container<std::string>(rc::gen::inRange<char>(' ', '~')));
}

rc::Gen<std::string> line() {
  return rc::gen::map(rc::gen::pair(rc::gen::elementOf(std::vector<std::string>{"", "raw "}),
                                    rc::gen::container<std::vector<std::string>>(word())),
                      [](const std::pair<std::string, std::vector<std::string>>& p) {
                        std::string s = p.first;
                        for (const std::string& w : p.second) s += (s.empty() ? "" : " ") + w;
                        return s;
                      });
}

bool whole_lines(const std::string& text) { return text.empty() || text.back() == '\n'; }

void run_script(const ShellConfig& cfg, const std::vector<std::string>& lines) {
  std::ostringstream out, err;
  auto sh = IoShell::create(cfg, out, err);
  RC_ASSERT(sh.ok());
  RC_ASSERT((*sh)->open_files({"file"}, Op::letter('f')));
  (*sh)->run_line("pwrite -S 0x5a 0 16k", true);
  for (const std::string& l : lines) {
    if ((*sh)->run_line(l, /*iterate=*/true)) break;
  }
  RC_ASSERT(whole_lines(out.str()));
  RC_ASSERT(whole_lines(err.str()));
  const int rc = (*sh)->exitcode();
  RC_ASSERT(rc == 0 || rc == 1 || rc == 135);
  const std::vector<std::string> bad = (*sh)->fsck();
  RC_ASSERT(bad.empty());
}

TEST(IoShellFuzz, RandomLinesNeverCrashAndLeaveACleanFilesystem) {
  for (const ShellConfig& cfg : {ShellConfig{.size = 512ull << 20},
                                 ShellConfig{.dev = "pmem", .size = 512ull << 20, .mount_opts = "dax=always"},
                                 ShellConfig{.fs = "shmfs", .size = 64ull << 20}}) {
    EXPECT_TRUE(rc::check(cfg.fs + "/" + cfg.dev + ": random command lines", [&] {
      run_script(cfg, *rc::gen::resize(40, rc::gen::container<std::vector<std::string>>(line())));
    }));
  }
}

// The same, from valid commands with one word changed.
TEST(IoShellFuzz, MutatedValidLinesNeverCrash) {
  static const std::vector<std::string> kValid = {
      "pwrite -S 0xab -b 4k 0 64k", "pread -v 0 64", "fiemap -v 0 1m", "seek -a -r 0",
      "falloc -k 1m 64k", "fpunch 4k 4k", "fzero 0 8k", "fcollapse 4k 4k", "finsert 4k 4k",
      "funshare 0 8k", "truncate 100k", "reflink file 0 64k 4k", "dedupe file 0 128k 4k",
      "copy_range -s 0 -d 256k -l 4k file", "mmap -rw 0 16k", "mwrite -S 0x62 0 100",
      "mread -v 0 32", "msync -s", "munmap", "chattr +a", "chattr -a", "lsattr -v", "stat -v",
      "statfs", "open -f other", "file 0", "close", "poison inject 0 4k", "zeroinit 0 4k",
      "fspacectl dealloc 0 4k", "variant set zeroinit on", "fault arm xfs/alloc/enospc=nth:1",
  };
  EXPECT_TRUE(rc::check("mutated command lines", [&] {
    std::vector<std::string> lines;
    const int n = *rc::gen::inRange(1, 20);
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> words = breakline(*rc::gen::elementOf(kValid));
      const size_t at = *rc::gen::inRange<size_t>(0, words.size());
      switch (*rc::gen::inRange(0, 3)) {
        case 0: words[at] = *word(); break;
        case 1: words.erase(words.begin() + static_cast<ptrdiff_t>(at)); break;
        default: words.insert(words.begin() + static_cast<ptrdiff_t>(at), *word()); break;
      }
      std::string l;
      for (const std::string& w : words) l += (l.empty() ? "" : " ") + w;
      lines.push_back(l);
    }
    run_script(ShellConfig{.dev = "pmem", .size = 512ull << 20, .mount_opts = "dax=always"}, lines);
  }));
}

}  // namespace
}  // namespace vfssim
