// One op language: a seeded op sequence the harness draws, run by the
// simulator backend, and the same sequence printed as a `vfssim io` script
// (format_script) and run by the shell, leave every file with the same size
// and the same bytes. So a failing campaign seed, written out as a script,
// replays in the shell.

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "harness/backend.h"
#include "harness/command.h"
#include "harness/opgen.h"
#include "harness/sim_filesystems.h"
#include "sim/absl_view.h"
#include "tools/io_shell.h"
#include "vfs/host_io.h"

namespace vfssim {
namespace {

constexpr int kFiles = 3;

std::vector<std::byte> whole_file(Process& p, const std::string& path) {
  Result<int> fd = p.open(path, kO_RDONLY);
  if (!fd) return {};
  Result<Stat> st = p.fstat(*fd);
  std::vector<std::byte> buf(st ? st->size : 0);
  Result<uint64_t> n = host::pread(p, *fd, buf, 0);
  buf.resize(n ? *n : 0);
  p.close(*fd);
  return buf;
}

class OpScript : public testing::TestWithParam<std::string> {};

TEST_P(OpScript, ShellReplaysTheHarnessSequence) {
  const FsSpec& spec = sim_filesystem(GetParam());
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    SCOPED_TRACE(testing::Message() << spec.name << " seed " << seed);
    Rng rng(seed);
    OpGenConfig gen = opgen_config(spec);
    gen.nfiles = kFiles;
    const std::vector<Op> ops = random_ops(rng, 60, gen);

    SimBackend sim(seed, spec, kFiles);
    ASSERT_EQ(sim.setup_error(), Errno::kOk);

    ShellConfig cfg{.fs = spec.type == "xfs" ? "xfs" : "shmfs",
                    .dev = spec.dev == FsSpec::kPmem ? "pmem" : "blk",
                    .mkfs_opts = spec.mkfs_opts,
                    .mount_opts = spec.mount_opts,
                    .seed = seed};
    std::ostringstream out, err;
    auto sh = IoShell::create(cfg, out, err);
    ASSERT_TRUE(sh.ok()) << sh.status();
    std::vector<std::string> names;
    for (int i = 0; i < kFiles; ++i) names.push_back("f" + std::to_string(i));
    ASSERT_TRUE((*sh)->open_files(names, Op::letter('f')));
    // The script parses back into the same ops.
    const std::string script = "file 0\n" + format_script(ops);
    absl::StatusOr<std::vector<Op>> back = parse_script(script);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_EQ(back->size(), ops.size());
    for (size_t i = 0; i < ops.size(); ++i) {
      Op want = ops[i];
      want.id = -1;  // Op numbers are not part of the text.
      EXPECT_EQ((*back)[i], want) << (*back)[i].to_command() << " vs " << want.to_command();
    }
    // Op by op: the shell runs the lines format_script printed for it.
    (*sh)->run_line("file 0", false);
    int file = 0;
    std::string done;
    for (const Op& op : ops) {
      sim.run(op);
      if (op.file != file) {
        (*sh)->run_line("file " + std::to_string(op.file), false);
        file = op.file;
      }
      (*sh)->run_line(op.to_command(), false);
      done += op.to_command() + "\n";
      bool same = true;
      for (int i = 0; i < kFiles && same; ++i) {
        const std::vector<std::byte> a = whole_file(sim.process(), "/f" + std::to_string(i));
        const std::vector<std::byte> b = whole_file((*sh)->process(), names[i]);
        if (a != b) {
          ADD_FAILURE() << "file " << i << " differs (" << a.size() << " vs " << b.size()
                        << " bytes) after file " << op.file << ": " << op.to_command() << "\n"
                        << done << "shell said: " << err.str();
          same = false;
        }
      }
      if (!same) break;
    }
    EXPECT_TRUE((*sh)->fsck().empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Filesystems, OpScript,
                         testing::Values("shmfs", "xfs_block", "xfs_block_1k", "xfs_noreflink", "xfs_pmem_dax"));

}  // namespace
}  // namespace vfssim
