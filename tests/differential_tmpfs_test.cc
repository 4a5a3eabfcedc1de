// Differential: the same op lists on the simulator's shmfs and on the host
// kernel's tmpfs (/dev/shm), compared op by op — return value, errno, data,
// size, SEEK_DATA/SEEK_HOLE answers and the logical FIEMAP map — with the
// oracle checking each side. Skips where /dev/shm is not a writable tmpfs.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/opgen.h"
#include "harness/oracle.h"

namespace vfssim {
namespace {

constexpr long kTmpfsMagic = 0x01021994;

class TmpfsDifferential : public ::testing::Test {
 protected:
  void SetUp() override {
    struct statfs sfs;
    if (statfs("/dev/shm", &sfs) != 0 || sfs.f_type != kTmpfsMagic) {
      GTEST_SKIP() << "/dev/shm is not tmpfs here; the host differential needs one";
    }
    char tmpl[] = "/dev/shm/vfssim-diff-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) GTEST_SKIP() << "cannot create a directory in /dev/shm";
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) rmdir(dir_.c_str());
  }

  // run executes `ops` on both sides and returns the first disagreement or
  // oracle violation, with the op's index, or "" when they agree.
  std::string run(const std::vector<Op>& ops) {
    SimBackend sim(1);
    HostBackend host(dir_);
    if (!host.ok()) return "cannot create files on the host";
    Oracle sim_oracle(sim, 2), host_oracle(host, 2);
    for (size_t i = 0; i < ops.size(); ++i) {
      OpResult a, b;
      std::vector<std::string> bad_sim = sim_oracle.step(ops[i], &a);
      std::vector<std::string> bad_host = host_oracle.step(ops[i], &b);
      const std::string where = "op " + std::to_string(i) + " " + ops[i].to_json().dump() + ": ";
      if (!bad_sim.empty()) return where + "sim: " + bad_sim[0];
      if (!bad_host.empty()) return where + "host: " + bad_host[0];
      if (std::string d = compare_results(a, b); !d.empty()) {
        // The replay: every earlier op on the same file.
        std::string replay;
        for (size_t j = 0; j < i; ++j) {
          if (ops[j].file == ops[i].file) replay += "\n  " + ops[j].to_json().dump();
        }
        return where + d + " (sim " + a.to_json().dump() + ", host " + b.to_json().dump() +
               ")\nafter:" + replay;
      }
    }
    return "";
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
  };
  EXPECT_EQ(run(ops), "");
}

TEST_F(TmpfsDifferential, SeededRandomRuns) {
  OpGenConfig cfg;
  cfg.fspacectl = false;  // Linux has no fspacectl.
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    Rng rng(seed);
    const std::vector<Op> ops = random_ops(rng, 200, cfg);
    EXPECT_EQ(run(ops), "") << "seed " << seed;
  }
}

}  // namespace
}  // namespace vfssim
