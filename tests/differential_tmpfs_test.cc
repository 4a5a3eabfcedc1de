// Differential: the same op lists on the simulator's shmfs and on the host
// kernel's tmpfs, compared op by op — return value, errno, data, size,
// SEEK_DATA/SEEK_HOLE answers, the logical FIEMAP map and fspacectl's
// remainder — with the oracle checking each side. Linux has no fspacectl:
// the host runs it as fallocate(PUNCH_HOLE | KEEP_SIZE) over the range
// clipped to EOF (HostBackend), so the simulator's fspacectl is compared
// with the host's punch. Skips, saying why, where neither /dev/shm nor the
// test's temporary directory is a writable tmpfs.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/campaign.h"
#include "harness/differential.h"
#include "harness/opgen.h"
#include "harness/sim_filesystems.h"

namespace vfssim {
namespace {

constexpr long kTmpfsMagic = 0x01021994;

class TmpfsDifferential : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> candidates = {"/dev/shm"};
    if (const char* tmp = getenv("TEST_TMPDIR")) candidates.push_back(tmp);
    std::string why;
    for (const std::string& base : candidates) {
      struct statfs sfs;
      if (statfs(base.c_str(), &sfs) != 0 || sfs.f_type != kTmpfsMagic) {
        why += base + " is not tmpfs; ";
        continue;
      }
      std::string tmpl = base + "/vfssim-diff-XXXXXX";
      if (mkdtemp(tmpl.data()) == nullptr) {
        why += "cannot create a directory in " + base + "; ";
        continue;
      }
      dir_ = tmpl;
      return;
    }
    GTEST_SKIP() << why << "the host differential needs a writable tmpfs";
  }
  void TearDown() override {
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  // run executes `ops` on both sides: "" when they agree.
  std::string run(const std::vector<Op>& ops) {
    SimBackend sim(1, sim_filesystem("shmfs"));
    HostBackend host(dir_);
    if (!host.ok()) return "cannot create files on the host";
    return run_differential(sim, host, ops);
  }

  std::string dir_;
};

TEST_F(TmpfsDifferential, ScriptedEdgeCases) {
  const int kKeep = kFALLOC_FL_KEEP_SIZE;
  const std::vector<Op> ops = {
      Op::pwrite(0, 0, 5000, 1),
      Op::seek_data(0, 0),
      Op::seek_hole(0, 0),
      Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE | kKeep, 0, 4096),
      Op::seek_data(0, 0),
      Op::seek_hole(0, 0),
      Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE | kKeep, 4097, 10),  // Sub-page: zeroed in place.
      Op::pread(0, 0, 8192),
      Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE, 0, 10),              // EOPNOTSUPP.
      Op::fallocate(0, kFALLOC_FL_ZERO_RANGE, 0, 10),              // tmpfs: EOPNOTSUPP.
      Op::fallocate(0, kFALLOC_FL_COLLAPSE_RANGE, 0, 4096),        // tmpfs: EOPNOTSUPP.
      Op::fallocate(0, kKeep, 20000, 4096),                        // Past EOF, size kept.
      Op::fallocate(0, 0, 30000, 10),                              // Extends.
      Op::seek_data(0, 5000),
      Op::seek_hole(0, 5000),
      Op::pwrite(0, -1, 10, 1),                                    // EINVAL.
      Op::fallocate(0, 0, 0, 0),                                   // EINVAL.
      Op::pread(0, 1 << 20, 10),                                   // Past EOF: 0.
      Op::seek_data(0, 1 << 20),                                   // ENXIO.
      Op::seek_hole(0, 1 << 20),                                   // ENXIO.
      Op::truncate(0, 4096 + 100),
      Op::fiemap(0, 0, 1 << 20),                                   // tmpfs: EOPNOTSUPP.
      Op::truncate(1, 12288),
      Op::seek_data(1, 0),                                         // All hole: ENXIO.
      Op::seek_hole(1, 100),
      Op::fsync(1),
      // fspacectl against the host's punch.
      Op::pwrite(1, 0, 12288, 7),
      Op::fspacectl(1, 100, 200),         // Inside a page: zeroed in place.
      Op::fspacectl(1, 4096, 100),        // From a page boundary into it.
      Op::fspacectl(1, 4096, 4096),       // A whole page.
      Op::fspacectl(1, 10000, 1 << 20),   // Across EOF: clipped, r_offset at EOF.
      Op::fspacectl(1, 1 << 20, 10),      // Past EOF: nothing, r_offset stays.
      Op::fspacectl(1, 12288, 1),         // At EOF.
      Op::fspacectl(1, 0, 0),             // EINVAL: r_len must be > 0.
      Op::fspacectl(1, -1, 10),           // EINVAL.
      Op::fspacectl(1, 10, kOffMax),      // EINVAL: past OFF_MAX.
      Op::seek_data(1, 0),
      Op::seek_hole(1, 0),
      Op::pread(1, 0, 20000),
  };
  EXPECT_EQ(run(ops), "");
}

// Copies, O_DIRECT writes (buffered on tmpfs: no alignment), stores
// through mappings (kept past EOF in the EOF page: they become content
// when the file grows), and clones and dedupes, which both refuse
// (EOPNOTSUPP), over three files.
TEST_F(TmpfsDifferential, SeededRandomRunsWithTheLaterKinds) {
  const OpGenConfig cfg = opgen_config(sim_filesystem("shmfs"));
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Rng rng(seed);
    const std::vector<Op> ops = random_ops(rng, 200, cfg);
    SimBackend sim(seed, sim_filesystem("shmfs"), cfg.nfiles);
    HostBackend host(dir_, cfg.nfiles);
    ASSERT_TRUE(host.ok());
    EXPECT_EQ(run_differential(sim, host, ops, {.nfiles = cfg.nfiles}), "") << "seed " << seed;
  }
}

// The campaign's namespace mix (mkdir, rmdir, unlink, rename, link and
// symlink over a few names, the open files' own among them, with I/O
// between) against the host: the same errno op by op, and on each side
// the oracle's namespace model checks every name after every namespace op.
TEST_F(TmpfsDifferential, TheNamespaceMix) {
  const CampaignFs& fs = *find_campaign_fs("shmfs");
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Rng rng(seed);
    const std::vector<Op> ops = campaign_ops(rng, 60, *find_mix("namespace"), fs, 3);
    SimBackend sim(seed, sim_filesystem("shmfs"), 3);
    HostBackend host(dir_, 3);
    ASSERT_TRUE(host.ok());
    EXPECT_EQ(run_differential(sim, host, ops, {.nfiles = 3}), "") << "seed " << seed;
  }
}

TEST_F(TmpfsDifferential, SeededRandomRuns) {
  const OpGenConfig cfg;  // With fspacectl: the host punches.
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Rng rng(seed);
    const std::vector<Op> ops = random_ops(rng, 200, cfg);
    EXPECT_EQ(run(ops), "") << "seed " << seed;
  }
}

}  // namespace
}  // namespace vfssim
