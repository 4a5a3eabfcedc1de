// truncate(2) by path, ftruncate, fsync/fdatasync/syncfs on every kind of
// descriptor, and statfs/fstatfs, case by case against the host kernel:
// every case of tests/probes/pathcalls_probe.c is re-enacted on the
// simulator and must answer (ret, errno, DIR/f's size and the statfs
// fields f_type, f_bsize, f_frsize, f_namelen, f_flags) as Linux 6.18
// recorded in tests/probes/fixtures/pathcalls.jsonl. The "tmpfs" column
// runs on shmfs, "xfs" on the XFS-like filesystem (fs/xfs). The ext4 column is not
// compared: there is no ext4-like filesystem yet (its 1 KiB blocks give
// f_bsize 1024 and s_maxbytes 4398046510080). Cases that need what the
// simulator does not model are in not_modelled(), each with its reason.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "drivers/blockdev.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "tests/testing/probe_world.h"
#include "vfs/chardev.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

constexpr off_t64 kE4Max = ((int64_t{1} << 32) - 1) * 1024;
constexpr off_t64 kLLMax = kOffMax;
constexpr int kBadFd = 1000;

const std::map<std::string, std::string>& not_modelled() {
  static const auto* table = new std::map<std::string, std::string>{};
  return *table;
}

enum class Kind { kReg, kRdonly, kWronly, kAppend, kDir, kOpath, kBad, kPipe, kFifo, kChardev };

// World is one case and the probe's fresh tree: /f (0644, 1000 'f'), /d,
// /l -> f, /dangling -> nope, the fifo /p and the char device /c (1:3);
// B is user memory for the statfs buffer.
class World {
 public:
  explicit World(const std::string& fs) {
    EXPECT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
    const int fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    EXPECT_EQ(*host::write(p, fd, std::vector<std::byte>(1000, std::byte{'f'})), 1000u);
    EXPECT_EQ(p.close(fd), Errno::kOk);
    EXPECT_EQ(p.mkdir("/d", 0755), Errno::kOk);
    EXPECT_EQ(p.symlink("f", "/l"), Errno::kOk);
    EXPECT_EQ(p.symlink("nope", "/dangling"), Errno::kOk);
    EXPECT_EQ(p.mkfifo("/p", 0644), Errno::kOk);
    EXPECT_EQ(p.mknod("/c", kS_IFCHR | 0666, kDevNull), Errno::kOk);
    B = *p.mmap(0, 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  }

  // get: a descriptor of the probe's kinds (the pipe's write end).
  int get(Kind k) {
    switch (k) {
      case Kind::kReg: return *p.open("/f", kO_RDWR);
      case Kind::kRdonly: return *p.open("/f", kO_RDONLY);
      case Kind::kWronly: return *p.open("/f", kO_WRONLY);
      case Kind::kAppend: return *p.open("/f", kO_WRONLY | kO_APPEND);
      case Kind::kDir: return *p.open("/d", kO_RDONLY | kO_DIRECTORY);
      case Kind::kOpath: return *p.open("/f", kO_PATH);
      case Kind::kBad: return kBadFd;
      case Kind::kPipe: return p.pipe2(0)->second;
      case Kind::kFifo: return *p.open("/p", kO_RDWR);
      case Kind::kChardev: return *p.open("/c", kO_RDWR);
    }
    return kBadFd;
  }

  void rec(Errno e) {
    out["ret"] = e == Errno::kOk ? 0 : -1;
    out["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
  }
  void x_size() {
    Result<Stat> st = p.stat("/f");
    out["size"] = st ? static_cast<int64_t>(st->size) : -1;
  }
  // x_statfs: the deterministic fields of the struct statfs at B.
  void x_statfs() {
    UserStatfs s{};
    EXPECT_FALSE(p.load(B, std::as_writable_bytes(std::span(&s, 1))));
    out["f_type"] = absl::StrFormat("%#x", static_cast<uint64_t>(s.f_type));
    out["f_bsize"] = s.f_bsize;
    out["f_frsize"] = s.f_frsize;
    out["f_namelen"] = s.f_namelen;
    out["f_flags"] = absl::StrFormat("%#x", static_cast<uint64_t>(s.f_flags));
  }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  uint64_t B = 0;
  Json out = Json::object();
};

using Case = std::function<void(World&)>;

Case trunc(std::string path, off_t64 len) {
  return [path, len](World& w) {
    w.rec(w.p.truncate(path, len));
    w.x_size();
  };
}
Case ftrunc(Kind k, off_t64 len) {
  return [k, len](World& w) {
    w.rec(w.p.ftruncate(w.get(k), len));
    w.x_size();
  };
}
Case sync_case(Errno (Process::*fn)(int), Kind k) {
  return [fn, k](World& w) { w.rec((w.p.*fn)(w.get(k))); };
}
Case statfs_case(std::string path) {
  return [path](World& w) {
    const Errno e = w.p.statfs(path, w.B);
    w.rec(e);
    if (e == Errno::kOk) w.x_statfs();
  };
}
Case fstatfs_case(Kind k) {
  return [k](World& w) {
    const Errno e = w.p.fstatfs(w.get(k), w.B);
    w.rec(e);
    if (e == Errno::kOk) w.x_statfs();
  };
}

const std::map<std::string, Case>& cases() {
  static const auto* all = new std::map<std::string, Case>{
      // truncate(path, len).
      {"trunc_smaller", trunc("/f", 100)},
      {"trunc_same", trunc("/f", 1000)},
      {"trunc_bigger", trunc("/f", 100000)},
      {"trunc_zero", trunc("/f", 0)},
      {"trunc_neg", trunc("/f", -1)},
      {"trunc_neg_nonexistent", trunc("/nope", -1)},
      {"trunc_neg_dir", trunc("/d", -1)},
      {"trunc_e4max", trunc("/f", kE4Max)},
      {"trunc_e4max_plus1", trunc("/f", kE4Max + 1)},
      {"trunc_llmax", trunc("/f", kLLMax)},
      {"trunc_t1", trunc("/f", int64_t{1} << 40)},
      {"trunc_dir", trunc("/d", 0)},
      {"trunc_nonexistent", trunc("/nope", 0)},
      {"trunc_fifo", trunc("/p", 0)},
      {"trunc_chardev", trunc("/c", 0)},
      {"trunc_symlink", trunc("/l", 10)},
      {"trunc_dangling", trunc("/dangling", 0)},
      {"trunc_trailing_slash", trunc("/f/", 0)},
      {"trunc_dir_trailing_slash", trunc("/d/", 0)},
      {"trunc_through_file", trunc("/f/x", 0)},
      {"trunc_empty", trunc("", 0)},
      {"trunc_name256", trunc("/" + std::string(256, 'a'), 0)},
      {"trunc_readonly_mode",
       [](World& w) {
         ASSERT_EQ(w.p.chmod("/f", 0444), Errno::kOk);
         w.rec(w.p.truncate("/f", 10));
         w.x_size();
       }},
      {"trunc_null_path",
       [](World& w) {
         w.rec(w.p.truncate(uint64_t{0}, 0));
         w.x_size();
       }},
      // ftruncate(fd, len).
      {"ftrunc_rdwr", ftrunc(Kind::kReg, 100)},
      {"ftrunc_rdonly", ftrunc(Kind::kRdonly, 100)},
      {"ftrunc_wronly", ftrunc(Kind::kWronly, 100)},
      {"ftrunc_append", ftrunc(Kind::kAppend, 100)},
      {"ftrunc_neg", ftrunc(Kind::kReg, -1)},
      {"ftrunc_rdonly_neg", ftrunc(Kind::kRdonly, -1)},
      {"ftrunc_badfd", ftrunc(Kind::kBad, 0)},
      {"ftrunc_badfd_neg", ftrunc(Kind::kBad, -1)},
      {"ftrunc_opath", ftrunc(Kind::kOpath, 0)},
      {"ftrunc_dir", ftrunc(Kind::kDir, 0)},
      {"ftrunc_fifo", ftrunc(Kind::kFifo, 0)},
      {"ftrunc_pipe", ftrunc(Kind::kPipe, 0)},
      {"ftrunc_chardev", ftrunc(Kind::kChardev, 0)},
      {"ftrunc_e4max_plus1", ftrunc(Kind::kReg, kE4Max + 1)},
      {"ftrunc_llmax", ftrunc(Kind::kReg, kLLMax)},
      // fsync / fdatasync / syncfs.
      {"fsync_reg", sync_case(&Process::fsync, Kind::kReg)},
      {"fsync_rdonly", sync_case(&Process::fsync, Kind::kRdonly)},
      {"fsync_dir", sync_case(&Process::fsync, Kind::kDir)},
      {"fsync_opath", sync_case(&Process::fsync, Kind::kOpath)},
      {"fsync_badfd", sync_case(&Process::fsync, Kind::kBad)},
      {"fsync_pipe", sync_case(&Process::fsync, Kind::kPipe)},
      {"fsync_fifo", sync_case(&Process::fsync, Kind::kFifo)},
      {"fsync_chardev", sync_case(&Process::fsync, Kind::kChardev)},
      {"fdatasync_reg", sync_case(&Process::fdatasync, Kind::kReg)},
      {"fdatasync_dir", sync_case(&Process::fdatasync, Kind::kDir)},
      {"fdatasync_pipe", sync_case(&Process::fdatasync, Kind::kPipe)},
      {"fdatasync_opath", sync_case(&Process::fdatasync, Kind::kOpath)},
      {"syncfs_reg", sync_case(&Process::syncfs, Kind::kReg)},
      {"syncfs_rdonly", sync_case(&Process::syncfs, Kind::kRdonly)},
      {"syncfs_dir", sync_case(&Process::syncfs, Kind::kDir)},
      {"syncfs_opath", sync_case(&Process::syncfs, Kind::kOpath)},
      {"syncfs_badfd", sync_case(&Process::syncfs, Kind::kBad)},
      {"syncfs_pipe", sync_case(&Process::syncfs, Kind::kPipe)},
      {"syncfs_fifo", sync_case(&Process::syncfs, Kind::kFifo)},
      {"syncfs_chardev", sync_case(&Process::syncfs, Kind::kChardev)},
      // statfs / fstatfs.
      {"statfs_root", statfs_case("/")},
      {"statfs_file", statfs_case("/f")},
      {"statfs_dir", statfs_case("/d")},
      {"statfs_symlink", statfs_case("/l")},
      {"statfs_fifo", statfs_case("/p")},
      {"statfs_nonexistent", statfs_case("/nope")},
      {"statfs_dangling", statfs_case("/dangling")},
      {"statfs_trailing_slash", statfs_case("/f/")},
      {"statfs_empty", statfs_case("")},
      {"statfs_nullbuf", [](World& w) { w.rec(w.p.statfs("/", 0)); }},
      {"fstatfs_reg", fstatfs_case(Kind::kReg)},
      {"fstatfs_rdonly", fstatfs_case(Kind::kRdonly)},
      {"fstatfs_dir", fstatfs_case(Kind::kDir)},
      {"fstatfs_opath", fstatfs_case(Kind::kOpath)},
      {"fstatfs_badfd", fstatfs_case(Kind::kBad)},
      {"fstatfs_pipe", fstatfs_case(Kind::kPipe)},
      {"fstatfs_fifo", fstatfs_case(Kind::kFifo)},
      {"fstatfs_chardev", fstatfs_case(Kind::kChardev)},
      {"fstatfs_nullbuf", [](World& w) { w.rec(w.p.fstatfs(w.get(Kind::kReg), 0)); }},
      {"fstatfs_badfd_nullbuf", [](World& w) { w.rec(w.p.fstatfs(kBadFd, 0)); }},
  };
  return *all;
}

class PathcallsFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PathcallsFixtureTest, EveryCaseAnswersAsTheHostKernel) {
  EXPECT_EQ(not_modelled().size(), 0u);
  auto play = [](const std::string& name, Json* got) {
    auto it = cases().find(name);
    if (it == cases().end()) return false;
    World w(GetParam());
    it->second(w);
    *got = w.out;
    return true;
  };
  FixtureSkips skips;
  skips.row = [](const std::string& name) { return not_modelled().contains(name); };
  const FixtureRun run = run_fixture("pathcalls.jsonl", GetParam(), play, skips, /*exact=*/true);
  for (const auto& [name, reason] : not_modelled()) {
    EXPECT_TRUE(run.names.contains(name)) << "known difference for a case not in the fixture: " << name;
  }
  EXPECT_EQ(run.ran, 79) << "every case runs";
}

INSTANTIATE_TEST_SUITE_P(HostKernel, PathcallsFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
