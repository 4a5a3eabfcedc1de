// Which calls change which timestamps, case by case against the host
// kernel: every case of tests/probes/timestamps_probe.c is re-enacted on the
// simulator and must answer as Linux 6.18 recorded in
// tests/probes/fixtures/timestamps.jsonl — the call's ret and errno, and
// whether the atime, mtime, ctime and btime of the file F changed (a, m, c,
// b) and the atime, mtime and ctime of its directory D (da, dm, dc). The
// "tmpfs" column runs on shmfs, "xfs" on the XFS-like filesystem (fs/xfs). The
// ext4 column is not compared: there is no ext4-like filesystem yet. Cases
// that need what the simulator does not model are in not_modelled(), each
// with its reason.
//
// The probe sets F's and D's atime and mtime to T0 = 1000000000 s with
// utimensat, snapshots them through an O_PATH descriptor, sleeps 20 ms and
// makes the call. Here the setup calls the same utimensat; the sleep is not
// needed, because the simulated clock moves by the cost model (every
// syscall costs CostModel::kSyscallNs), so a stamp the call sets is newer
// than the ones the setup left. Relatime's rule needs no time to pass
// either: T0 is 23 years before the simulated boot, older than 24 h.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/testing/host_fixture.h"
#include "tests/testing/probe_world.h"
#include "vfs/mmap.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

constexpr int64_t kT0 = 1000000000;
constexpr int64_t kT1 = 1100000000;

// The xfs column's rows the simulator cannot re-enact, and why.
const std::map<std::string, std::string>& not_modelled(const std::string& fs) {
  static const auto* xfs = new std::map<std::string, std::string>{};
  static const auto* none = new std::map<std::string, std::string>{};
  return fs == "xfs" ? *xfs : *none;
}

// World: the probe's fresh setup. D = /d (0755) holding f (4096 'A', or
// empty), src (4096 'S') and the empty directory sub; /d2 an empty
// directory. fd = F O_RDWR, opf = F O_PATH (F's stamps even after it is
// unlinked or replaced), src = /d/src O_RDWR. F's and D's atime and mtime
// are T0. B is a page of user memory for the calls' buffers.
class World : public ProbeWorld {
 public:
  enum Variant { kPlain, kEmpty, kRecent };

  World(const std::string& fs, Variant v) : ProbeWorld(fs) {
    EXPECT_EQ(p.mkdir("/d", 0755), Errno::kOk);
    EXPECT_EQ(p.mkdir("/d/sub", 0755), Errno::kOk);
    EXPECT_EQ(p.mkdir("/d2", 0755), Errno::kOk);
    fill("/d/f", std::byte{'A'}, v == kEmpty ? 0 : 4096);
    fill("/d/src", std::byte{'S'}, 4096);
    fd = open("/d/f", kO_RDWR);
    opf = open("/d/f", kO_PATH);
    src = open("/d/src", kO_RDWR);
    B = map_user(4096, std::byte{'x'});
    T = map_user(4096, std::byte{0});
    set_times("/d/f", kT0, kT0);
    set_times("/d", kT0, kT0);
    // "atime later than mtime and ctime and not old".
    if (v == kRecent) set_times("/d/f", m.clock.now().sec + 3600, kT0);
    before_f = *p.fstat(opf);
    before_d = *p.stat("/d");
  }

  int open(const char* path, int flags) {
    Result<int> r = p.open(path, flags);
    EXPECT_TRUE(r.has_value()) << path;
    return r ? *r : -1;
  }
  // times stores {{a_sec, a_nsec}, {m_sec, m_nsec}} at T for utimensat.
  uint64_t times(int64_t as, int64_t an, int64_t ms, int64_t mn) {
    const UserTimespec t[2] = {{as, an}, {ms, mn}};
    EXPECT_FALSE(p.store(T, std::as_bytes(std::span(t))));
    return T;
  }
  // rec_fd records an open as the probe does: ret 0 or -1, and closes it.
  void rec_fd(const Result<int>& r) {
    rec["ret"] = r ? 0 : -1;
    rec["errno"] = r ? "" : std::string(errno_name(r.error()));
    if (r) p.close(*r);
  }
  template <typename T>
  void rec_ret(const Result<T>& r) {
    rec["ret"] = r ? static_cast<int64_t>(*r) : -1;
    rec["errno"] = r ? "" : std::string(errno_name(r.error()));
  }
  void rec_ret(Errno e) {
    rec["ret"] = e == Errno::kOk ? 0 : -1;
    rec["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
  }

  // finish takes the second snapshot and records what changed.
  void finish() {
    const Stat f = *p.fstat(opf);
    const Stat d = *p.stat("/d");
    rec["a"] = f.atime != before_f.atime;
    rec["m"] = f.mtime != before_f.mtime;
    rec["c"] = f.ctime != before_f.ctime;
    rec["b"] = f.btime != before_f.btime;
    rec["da"] = d.atime != before_d.atime;
    rec["dm"] = d.mtime != before_d.mtime;
    rec["dc"] = d.ctime != before_d.ctime;
  }

  int fd = -1, opf = -1, src = -1;
  uint64_t B = 0, T = 0;

 private:
  void fill(const char* path, std::byte c, uint64_t n) {
    const int f = open(path, kO_RDWR | kO_CREAT | kO_TRUNC);
    if (n > 0) {
      EXPECT_EQ(*host::write(p, f, std::vector<std::byte>(n, c)), n);
    }
    EXPECT_EQ(p.close(f), Errno::kOk);
  }
  void set_times(const char* path, int64_t a, int64_t mt) {
    EXPECT_EQ(p.utimensat(kAT_FDCWD, path, times(a, 0, mt, 0), 0), Errno::kOk) << path;
  }

  Stat before_f, before_d;
};

struct Case {
  World::Variant variant = World::kPlain;
  std::function<void(World&)> run;
};

Case plain(std::function<void(World&)> run) { return {World::kPlain, std::move(run)}; }

const std::map<std::string, Case>& cases() {
  static const auto* all = new std::map<std::string, Case>{
      {"write", plain([](World& w) { w.rec_ret(w.p.write(w.fd, w.B, 10)); })},
      {"write0", plain([](World& w) { w.rec_ret(w.p.write(w.fd, w.B, 0)); })},
      {"pwrite0", plain([](World& w) { w.rec_ret(w.p.pwrite(w.fd, w.B, 0, 0)); })},
      {"pwrite_extend", plain([](World& w) { w.rec_ret(w.p.pwrite(w.fd, w.B, 10, 4096)); })},
      {"append_write", plain([](World& w) {
         const int a = w.open("/d/f", kO_WRONLY | kO_APPEND);
         w.rec_ret(w.p.write(a, w.B, 10));
         w.p.close(a);
       })},
      {"read", plain([](World& w) { w.rec_ret(w.p.read(w.fd, w.B, 10)); })},
      {"read0", plain([](World& w) { w.rec_ret(w.p.read(w.fd, w.B, 0)); })},
      {"read_eof", plain([](World& w) {
         w.p.lseek(w.fd, 0, kSEEK_END);
         w.rec_ret(w.p.read(w.fd, w.B, 10));
       })},
      {"pread", plain([](World& w) { w.rec_ret(w.p.pread(w.fd, w.B, 10, 0)); })},
      {"read_relatime_recent",
       {World::kRecent, [](World& w) { w.rec_ret(w.p.read(w.fd, w.B, 10)); }}},
      {"read_noatime", plain([](World& w) {
         const int n = w.open("/d/f", kO_RDONLY | kO_NOATIME);
         w.rec_ret(w.p.read(n, w.B, 10));
         w.p.close(n);
       })},
      {"mmap_read", plain([](World& w) {
         Result<uint64_t> a = w.p.mmap(0, 4096, kProtRead, kMAP_SHARED, w.fd, 0);
         w.rec["ret"] = a ? 0 : -1;
         w.rec["errno"] = a ? "" : std::string(errno_name(a.error()));
         if (!a) return;
         std::byte one[1];
         EXPECT_FALSE(w.p.load(*a, one));
         w.p.munmap(*a, 4096);
       })},
      {"mmap_store_msync", plain([](World& w) {
         Result<uint64_t> a = w.p.mmap(0, 4096, kProtRead | kProtWrite, kMAP_SHARED, w.fd, 0);
         if (!a) {
           w.rec_ret(a);
           return;
         }
         const std::byte z[1] = {std::byte{'Z'}};
         EXPECT_FALSE(w.p.store(*a, z));
         w.rec_ret(w.p.msync(*a, 4096, kMS_SYNC));
         w.p.munmap(*a, 4096);
       })},
      {"ftruncate_same", plain([](World& w) { w.rec_ret(w.p.ftruncate(w.fd, 4096)); })},
      {"ftruncate_smaller", plain([](World& w) { w.rec_ret(w.p.ftruncate(w.fd, 100)); })},
      {"ftruncate_bigger", plain([](World& w) { w.rec_ret(w.p.ftruncate(w.fd, 8192)); })},
      {"ftruncate0_empty",
       {World::kEmpty, [](World& w) { w.rec_ret(w.p.ftruncate(w.fd, 0)); }}},
      {"truncate_same", plain([](World& w) { w.rec_ret(w.p.truncate("/d/f", 4096)); })},
      {"truncate_smaller", plain([](World& w) { w.rec_ret(w.p.truncate("/d/f", 100)); })},
      {"falloc_inside", plain([](World& w) { w.rec_ret(w.p.fallocate(w.fd, 0, 0, 4096)); })},
      {"falloc_extend", plain([](World& w) { w.rec_ret(w.p.fallocate(w.fd, 0, 4096, 4096)); })},
      {"falloc_keep", plain([](World& w) {
         w.rec_ret(w.p.fallocate(w.fd, kFALLOC_FL_KEEP_SIZE, 4096, 4096));
       })},
      {"falloc_punch", plain([](World& w) {
         w.rec_ret(w.p.fallocate(w.fd, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 0, 4096));
       })},
      {"falloc_zero", plain([](World& w) {
         w.rec_ret(w.p.fallocate(w.fd, kFALLOC_FL_ZERO_RANGE, 0, 4096));
       })},
      {"chmod", plain([](World& w) { w.rec_ret(w.p.chmod("/d/f", 0600)); })},
      {"chmod_same", plain([](World& w) { w.rec_ret(w.p.chmod("/d/f", 0644)); })},
      {"chown_same", plain([](World& w) { w.rec_ret(w.p.fchownat(kAT_FDCWD, "/d/f", 0, 0, 0)); })},
      {"chown_noop", plain([](World& w) {
         w.rec_ret(w.p.fchownat(kAT_FDCWD, "/d/f", 0xffffffff, 0xffffffff, 0));
       })},
      {"fchmod", plain([](World& w) { w.rec_ret(w.p.fchmod(w.fd, 0600)); })},
      {"utimensat_now", plain([](World& w) { w.rec_ret(w.p.utimensat(kAT_FDCWD, "/d/f", 0, 0)); })},
      {"utimensat_omit", plain([](World& w) {
         const uint64_t t = w.times(0, kUTIME_OMIT, 0, kUTIME_OMIT);
         w.rec_ret(w.p.utimensat(kAT_FDCWD, "/d/f", t, 0));
       })},
      {"utimensat_atime_now", plain([](World& w) {
         const uint64_t t = w.times(0, kUTIME_NOW, 0, kUTIME_OMIT);
         w.rec_ret(w.p.utimensat(kAT_FDCWD, "/d/f", t, 0));
       })},
      {"futimens_set", plain([](World& w) {
         w.rec_ret(w.p.futimens(w.fd, w.times(kT1, 0, kT1, 0)));
       })},
      {"link", plain([](World& w) { w.rec_ret(w.p.link("/d/f", "/d/h")); })},
      {"unlink", plain([](World& w) { w.rec_ret(w.p.unlink("/d/f")); })},
      {"rename", plain([](World& w) { w.rec_ret(w.p.rename("/d/f", "/d/g")); })},
      {"rename_cross_dir", plain([](World& w) { w.rec_ret(w.p.rename("/d/f", "/d2/f")); })},
      {"rename_onto", plain([](World& w) { w.rec_ret(w.p.rename("/d/src", "/d/f")); })},
      {"rename_noreplace_exists", plain([](World& w) {
         w.rec_ret(w.p.renameat2(kAT_FDCWD, "/d/f", kAT_FDCWD, "/d/src", kRENAME_NOREPLACE));
       })},
      {"rename_same", plain([](World& w) { w.rec_ret(w.p.rename("/d/f", "/d/f")); })},
      {"rename_exchange", plain([](World& w) {
         w.rec_ret(w.p.renameat2(kAT_FDCWD, "/d/f", kAT_FDCWD, "/d/src", kRENAME_EXCHANGE));
       })},
      {"setxattr", plain([](World& w) {
         const std::byte v[1] = {std::byte{'v'}};
         EXPECT_FALSE(w.p.store(w.B, v));
         w.rec_ret(w.p.setxattr("/d/f", "user.x", w.B, 1, 0));
       })},
      {"removexattr_missing",
       plain([](World& w) { w.rec_ret(w.p.removexattr("/d/f", "user.none")); })},
      {"setflags", plain([](World& w) {
         uint32_t v = 0;
         if (Errno e = w.p.ioctl(w.fd, kFS_IOC_GETFLAGS, w.B); e != Errno::kOk) {
           w.rec_ret(e);
           return;
         }
         EXPECT_FALSE(w.p.load(w.B, std::as_writable_bytes(std::span(&v, 1))));
         v |= kFS_NODUMP_FL;
         EXPECT_FALSE(w.p.store(w.B, std::as_bytes(std::span(&v, 1))));
         w.rec_ret(w.p.ioctl(w.fd, kFS_IOC_SETFLAGS, w.B));
       })},
      {"setflags_same", plain([](World& w) {
         if (Errno e = w.p.ioctl(w.fd, kFS_IOC_GETFLAGS, w.B); e != Errno::kOk) {
           w.rec_ret(e);
           return;
         }
         w.rec_ret(w.p.ioctl(w.fd, kFS_IOC_SETFLAGS, w.B));
       })},
      {"copy_to", plain([](World& w) {
         const uint64_t offs = w.map_user(4096, std::byte{0});  // Two loff_t 0s.
         w.rec_ret(w.p.copy_file_range(w.src, offs, w.fd, offs + 8, 100, 0));
       })},
      {"copy_from", plain([](World& w) {
         const uint64_t offs = w.map_user(4096, std::byte{0});
         w.rec_ret(w.p.copy_file_range(w.fd, offs, w.src, offs + 8, 100, 0));
       })},
      {"ficlone_to", plain([](World& w) {
         w.rec_ret(w.p.ioctl(w.fd, kFICLONE, static_cast<uint64_t>(w.src)));
       })},
      {"sendfile_from", plain([](World& w) { w.rec_ret(w.p.sendfile(w.src, w.fd, 0, 100)); })},
      {"open_trunc", plain([](World& w) { w.rec_fd(w.p.open("/d/f", kO_RDWR | kO_TRUNC)); })},
      {"open_trunc_empty",
       {World::kEmpty, [](World& w) { w.rec_fd(w.p.open("/d/f", kO_RDWR | kO_TRUNC)); }}},
      {"open_rdonly_trunc",
       plain([](World& w) { w.rec_fd(w.p.open("/d/f", kO_RDONLY | kO_TRUNC)); })},
      {"open_creat_existing",
       plain([](World& w) { w.rec_fd(w.p.open("/d/f", kO_RDWR | kO_CREAT, 0644)); })},
      {"open_creat_new",
       plain([](World& w) { w.rec_fd(w.p.open("/d/new", kO_RDWR | kO_CREAT, 0644)); })},
      {"mkdir", plain([](World& w) { w.rec_ret(w.p.mkdir("/d/newdir", 0755)); })},
      {"rmdir", plain([](World& w) { w.rec_ret(w.p.rmdir("/d/sub")); })},
      {"symlink", plain([](World& w) { w.rec_ret(w.p.symlink("f", "/d/sl")); })},
      {"mkfifo", plain([](World& w) { w.rec_ret(w.p.mkfifo("/d/fifo", 0644)); })},
      {"readdir", plain([](World& w) {
         const int d = w.open("/d", kO_RDONLY | kO_DIRECTORY);
         Result<uint64_t> r = w.p.getdents64(d, w.B, 4096);
         // "the byte count depends on the fs's dirent layout".
         w.rec["ret"] = r ? 0 : -1;
         w.rec["errno"] = r ? "" : std::string(errno_name(r.error()));
         w.p.close(d);
       })},
      {"stat", plain([](World& w) {
         Result<Stat> st = w.p.stat("/d/f");
         w.rec["ret"] = st ? 0 : -1;
         w.rec["errno"] = st ? "" : std::string(errno_name(st.error()));
       })},
      {"fsync", plain([](World& w) { w.rec_ret(w.p.fsync(w.fd)); })},
  };
  return *all;
}

class TimestampsFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TimestampsFixtureTest, EveryCaseChangesWhatTheHostKernelChanged) {
  const std::string fs = GetParam();
  const std::map<std::string, std::string>& known = not_modelled(fs);
  EXPECT_EQ(known.size(), 0u);
  auto play = [&fs](const std::string& name, Json* got) {
    auto it = cases().find(name);
    if (it == cases().end()) return false;
    World w(fs, it->second.variant);
    it->second.run(w);
    w.finish();
    *got = w.rec;
    return true;
  };
  FixtureSkips skips;
  skips.row = [&known](const std::string& name) { return known.contains(name); };
  const FixtureRun run = run_fixture("timestamps.jsonl", fs, play, skips, /*exact=*/true);
  EXPECT_EQ(run.names.size(), 61u) << "fixture changed";
  for (const auto& [name, reason] : known) {
    EXPECT_TRUE(run.names.contains(name))
        << "known difference for a case not in the fixture: " << name;
  }
  EXPECT_EQ(run.ran, 61) << "every case runs";
}

INSTANTIATE_TEST_SUITE_P(HostKernel, TimestampsFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
