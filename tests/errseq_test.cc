// Writeback errors per open file description, against the host kernel:
// every case of tests/probes/errseq_probe.c is a script of steps, recorded
// with what each step returned on XFS and ext4 (Linux 6.18, with real EIO
// from a failing device: tests/probes/README.md), in
// tests/probes/fixtures/errseq.jsonl. This test runs the very same step
// strings from the fixture on the iomap test filesystem and compares every
// result, for both columns (they agree with each other), and the number of
// failed device writes.
//
// "arm F" arms the fault point blockdev/write/eio for every hit until
// "disarm". The probe's device fails only F's blocks; the iomap test fs
// writes nothing but file data, and only F is dirty while armed, so failing
// every write fails exactly F's blocks.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

constexpr char kWriteEio[] = "blockdev/write/eio";
constexpr uint64_t kFileSize = 16384;

// World is one case's machine with the column's filesystem freshly mounted
// at "/" (the probe mounts afresh for every case, so the superblock's
// errseq starts at zero), and the descriptors and mappings the script
// names by letter.
class World {
 public:
  explicit World(const std::string& fs) {
    EXPECT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
  }

  // step runs one step of the probe's language (errseq_probe.c's header)
  // and returns what the probe prints for it.
  std::string step(const std::string& s) {
    std::istringstream in(s);
    std::string op, x, y, mode;
    in >> op >> x >> y >> mode;
    if (op == "setup") {
      Result<int> fd = p.open("/" + x, kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
      if (!fd) return name(fd.error());
      Result<uint64_t> w = host::pwrite(p, *fd, pattern('A', kFileSize), 0);
      Errno e = w ? p.fsync(*fd) : w.error();
      p.close(*fd);
      return name(e);
    }
    if (op == "open") {
      const int flags = mode == "ro" ? kO_RDONLY : mode == "wsync" ? kO_WRONLY | kO_SYNC : kO_RDWR;
      Result<int> fd = p.open("/" + y, flags);
      if (!fd) return name(fd.error());
      fds[x] = *fd;
      return "0";
    }
    if (op == "dup") {
      Result<int> fd = p.dup(fds.at(y));
      if (!fd) return name(fd.error());
      fds[x] = *fd;
      return "0";
    }
    if (op == "dirty") return count(host::pwrite(p, fds.at(x), pattern('B', kFileSize), 0));
    if (op == "pwrite") return count(host::pwrite(p, fds.at(x), pattern('C', 4096), 0));
    if (op == "arm") {
      return name(m.faults.arm(kWriteEio, FaultPlan::window(1, UINT64_MAX)));
    }
    if (op == "disarm") {
      m.faults.disarm(kWriteEio);
      return "0";
    }
    if (op == "fsync") return name(p.fsync(fds.at(x)));
    if (op == "fdatasync") return name(p.fdatasync(fds.at(x)));
    if (op == "syncfs") return name(p.syncfs(fds.at(x)));
    if (op == "close") return name(p.close(fds.at(x)));
    if (op == "sync") {
      p.sync();
      return "0";
    }
    if (op == "mmap") {
      Result<uint64_t> a = p.mmap(0, kFileSize, kProtRead | kProtWrite, kMAP_SHARED, fds.at(x), 0);
      if (!a) return name(a.error());
      maps[x] = *a;
      return "0";
    }
    if (op == "store") {
      const std::vector<std::byte> d = pattern('D', 4096);
      return p.store(maps.at(x), d) ? "SIGNAL" : "0";
    }
    if (op == "msync") return name(p.msync(maps.at(x), kFileSize, kMS_SYNC));
    if (op == "munmap") return name(p.munmap(maps.at(x), kFileSize));
    if (op == "check") {
      Result<int> fd = p.open("/h", kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
      if (!fd) return name(fd.error());
      Result<uint64_t> w = host::pwrite(p, *fd, pattern('E', 4096), 0);
      Errno e = w ? p.fsync(*fd) : w.error();
      p.close(*fd);
      p.unlink("/h");
      return name(e);
    }
    ADD_FAILURE() << "unknown step " << s;
    return "?";
  }

  uint64_t failed_writes() const { return m.faults.fired(kWriteEio); }
  Process& process() { return p; }
  int fd(const std::string& x) const { return fds.at(x); }

 private:
  static std::string name(Errno e) {
    return e == Errno::kOk ? "0" : std::string(errno_name(e));
  }
  static std::string count(const Result<uint64_t>& r) {
    return r ? std::to_string(*r) : std::string(errno_name(r.error()));
  }
  static std::vector<std::byte> pattern(char c, uint64_t n) {
    return std::vector<std::byte>(n, static_cast<std::byte>(c));
  }

  Machine m{7};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  std::map<std::string, int> fds;
  std::map<std::string, uint64_t> maps;
};

class ErrseqFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ErrseqFixtureTest, EveryStepAsTheHostKernel) {
  const HostFixture fx = load_host_fixture("errseq.jsonl", GetParam());
  ASSERT_EQ(fx.kernel.rfind("6.18", 0), 0u) << fx.kernel;
  ASSERT_EQ(fx.rows.size(), 20u);
  for (const Json& row : fx.rows) {
    const std::string name = row["case"];
    World w(GetParam());
    for (const Json& st : row["steps"]) {
      const std::string step = st[0], want = st[1];
      EXPECT_EQ(w.step(step), want) << name << ": " << step;
    }
    EXPECT_EQ(w.failed_writes(), row["failed_writes"].get<uint64_t>()) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Columns, ErrseqFixtureTest, ::testing::Values("xfs", "ext4"));

// Beyond the fixture: what Linux does by construction, which the probe does
// not need a failing device to show.

// World's script language drives these too.
std::vector<std::string> run(World& w, const std::vector<std::string>& steps) {
  std::vector<std::string> out;
  for (const std::string& s : steps) out.push_back(w.step(s));
  return out;
}

TEST(ErrseqTest, UmountAfterAWritebackErrorSucceeds) {
  Machine m(1);
  SimBlockDevice disk(m, BlockDeviceConfig{});
  Vfs vfs(m);
  ASSERT_EQ(mount_host_column(vfs, "tmpfs", nullptr), Errno::kOk);
  register_iomap_testfs(vfs);
  Process p(vfs, Creds::root());
  ASSERT_EQ(p.mkdir("/mnt", 0755), Errno::kOk);
  ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/mnt", Creds::root()), Errno::kOk);
  int fd = *p.open("/mnt/f", kO_RDWR | kO_CREAT, 0644);
  ASSERT_TRUE(host::pwrite(p, fd, std::vector<std::byte>(4096), 0));
  ASSERT_EQ(p.close(fd), Errno::kOk);  // Its writeback failed nothing yet.
  fd = *p.open("/mnt/f", kO_RDWR);
  ASSERT_TRUE(host::pwrite(p, fd, std::vector<std::byte>(4096), 0));
  ASSERT_EQ(m.faults.arm(kWriteEio, FaultPlan::window(1, UINT64_MAX)), Errno::kOk);
  // close writes back (VOP_CLOSE) and fails, but says nothing.
  EXPECT_EQ(p.close(fd), Errno::kOk);
  EXPECT_EQ(m.faults.fired(kWriteEio), 1u);
  // generic_shutdown_super ignores sync_filesystem's outcome.
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kOk);
}

TEST(ErrseqTest, ForkedChildSharesTheDescription) {
  World w("xfs");
  EXPECT_EQ(run(w, {"setup f", "open a f rw", "dirty a", "arm f"}),
            (std::vector<std::string>{"0", "0", "16384", "0"}));
  // The child's table shares the parent's open file description, as dup
  // does (dup_shares): whoever asks first hears of the error.
  std::unique_ptr<Process> child = w.process().fork(Creds::root(), 2);
  EXPECT_EQ(child->fsync(w.fd("a")), Errno::kEIO);
  EXPECT_EQ(w.process().fsync(w.fd("a")), Errno::kOk);
  EXPECT_EQ(child->fsync(w.fd("a")), Errno::kOk);
}

TEST(ErrseqTest, SyncfsAndFsyncOnMemoryFilesystemsSayZero) {
  World w("tmpfs");
  EXPECT_EQ(run(w, {"setup f", "open a f rw", "dirty a", "arm f", "fsync a", "syncfs a", "sync",
                    "fsync a", "disarm"}),
            (std::vector<std::string>{"0", "0", "16384", "0", "0", "0", "0", "0", "0"}));
  EXPECT_EQ(w.failed_writes(), 0u);
}

TEST(ErrseqTest, SyncReportsNothingAndLeavesTheErrorToEveryDescription) {
  World w("xfs");
  EXPECT_EQ(run(w, {"setup f", "setup g", "open a f rw", "open b f rw", "open h g rw", "dirty a",
                    "arm f", "sync", "disarm", "sync", "fsync b", "fsync a", "fsync h",
                    "syncfs h", "syncfs a", "syncfs b", "syncfs h"}),
            (std::vector<std::string>{"0", "0", "0", "0", "0", "16384", "0", "0", "0", "0", "EIO",
                                      "EIO", "0", "EIO", "EIO", "EIO", "0"}));
  EXPECT_EQ(w.failed_writes(), 1u);
}

}  // namespace
}  // namespace vfssim
