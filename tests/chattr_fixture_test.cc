// chattr +i / +a set after a descriptor (and a shared mapping) was made,
// case by case against the host kernel: every case of
// tests/probes/chattr_probe.c is re-enacted on the simulator and must
// answer (ret, errno, size, unchanged, and the mapping cases' signal, b0,
// b1, and "note" where the probe's own open failed) as Linux 6.18 recorded
// in tests/probes/fixtures/chattr.jsonl: which calls look at the inode
// flags again and which let an old descriptor through. The "tmpfs" column
// runs on shmfs, "xfs" on the XFS-like filesystem (fs/xfs). The ext4 column is
// not compared: there is no ext4-like filesystem yet (ext4 alone refuses
// writes, ftruncate and page_mkwrite on an immutable file through an old
// descriptor). Rows that need what the XFS-like filesystem does not model
// would be in not_modelled(), each with its reason (there are none).

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "tests/testing/probe_world.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kSize = 8192;

// The rows of one column that depend on what its filesystem does not
// model, with the reason; they are skipped, and only they.
const std::map<std::string, std::string>& not_modelled(const std::string& fs) {
  static const auto* xfs = new std::map<std::string, std::string>{};
  static const auto* none = new std::map<std::string, std::string>{};
  return fs == "xfs" ? *xfs : *none;
}

enum class Premap { kNone, kClean, kDirty };

// World is one case: /f holds 8192 'A' (fd, offset 0), /src 8192 'S' (src),
// X is 10 'x' bytes in user memory, B a scratch buffer; M the mapping of
// the map_* ops.
class World {
 public:
  World(const std::string& fs, Premap premap) {
    EXPECT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
    fd = make("/f", std::byte{'A'});
    src = make("/src", std::byte{'S'});
    X = *p.mmap(0, 4 * 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    EXPECT_FALSE(p.store(X, std::vector<std::byte>(10, std::byte{'x'})));
    B = X + 4096;
    if (premap != Premap::kNone) {
      M = *p.mmap(0, kSize, kProtRead | kProtWrite, kMAP_SHARED, fd, 0);
      std::byte c{};
      if (premap == Premap::kClean) {
        EXPECT_FALSE(p.load(M, {&c, 1}));
        EXPECT_EQ(c, std::byte{'A'});
      } else {
        c = std::byte{'Y'};
        EXPECT_FALSE(p.store(M, {&c, 1}));
      }
    }
  }

  int make(const std::string& path, std::byte c) {
    const int f = *p.open(path, kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    EXPECT_EQ(*host::pwrite(p, f, std::vector<std::byte>(kSize, c), 0), kSize);
    return f;
  }

  // flags_set: GETFLAGS, |= flag, SETFLAGS on fd, as the probe.
  void flags_set(uint32_t add) {
    uint32_t v = 0;
    ASSERT_EQ(host::ioctl(p, fd, kFS_IOC_GETFLAGS, &v), Errno::kOk);
    v |= add;
    ASSERT_EQ(host::ioctl(p, fd, kFS_IOC_SETFLAGS, &v), Errno::kOk);
  }

  template <typename T>
  void rec(const Result<T>& r) {
    out["ret"] = r ? static_cast<int64_t>(*r) : -1;
    out["errno"] = r ? "" : std::string(errno_name(r.error()));
  }
  void rec(Errno e) {
    out["ret"] = e == Errno::kOk ? 0 : -1;
    out["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
  }
  void rec_open(const Result<int>& f) {
    rec(f ? Errno::kOk : f.error());
    if (f) {
      EXPECT_EQ(p.close(*f), Errno::kOk);
    }
  }
  void rec_mmap(int on, int prot, int flags) {
    Result<uint64_t> m = p.mmap(0, kSize, prot, flags, on, 0);
    rec(m ? Errno::kOk : m.error());
    if (m) {
      EXPECT_EQ(p.munmap(*m, kSize), Errno::kOk);
    }
  }
  // store: one byte through the mapping; "signal" says whether it faulted.
  void store(uint64_t addr, char v) {
    const std::byte b{static_cast<unsigned char>(v)};
    std::optional<Siginfo> s = p.store(addr, {&b, 1});
    out["signal"] = !s ? "" : s->signo == kSIGBUS ? "SIGBUS" : "SIGSEGV";
  }
  void x_byte(const char* key, off_t64 off) {
    std::vector<std::byte> c(1);
    Result<uint64_t> n = host::pread(p, fd, c, off);
    out[key] = std::string(1, n && *n == 1 ? static_cast<char>(c[0]) : '?');
  }
  // afd_open: the O_WRONLY|O_APPEND descriptor opened after the flag; when
  // it cannot be opened the op is skipped, as the probe notes.
  bool afd_open() {
    Result<int> f = p.open("/f", kO_WRONLY | kO_APPEND);
    if (!f) {
      rec(f);
      out["note"] = "open failed";
      return false;
    }
    afd = *f;
    return true;
  }
  // The probe's checks after the op.
  void finish() {
    Result<Stat> st = p.fstat(fd);
    out["size"] = st ? static_cast<int64_t>(st->size) : -1;
    std::vector<std::byte> all(kSize + 1);
    Result<uint64_t> n = host::pread(p, fd, all, 0);
    bool same = st && st->size == kSize && n && *n == kSize;
    for (uint64_t i = 0; same && i < kSize; ++i) same = all[i] == std::byte{'A'};
    out["unchanged"] = same;
  }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int fd = -1, src = -1, afd = -1;
  uint64_t X = 0, B = 0, M = 0;
  Json out = Json::object();
};

struct Op {
  Premap premap = Premap::kNone;
  std::function<void(World&)> run;
};

Op op(std::function<void(World&)> run) { return {Premap::kNone, std::move(run)}; }

void copy_into(World& w, off_t64 at) {
  const off_t64 zero = 0;
  EXPECT_FALSE(w.p.store(w.B, std::as_bytes(std::span(&zero, 1))));
  EXPECT_FALSE(w.p.store(w.B + 8, std::as_bytes(std::span(&at, 1))));
  w.rec(w.p.copy_file_range(w.src, w.B, w.fd, w.B + 8, 10, 0));
}
void futimens(World& w, UserTimespec a, UserTimespec b) {
  const UserTimespec t[2] = {a, b};
  EXPECT_FALSE(w.p.store(w.B, std::as_bytes(std::span(t))));
  w.rec(w.p.futimens(w.fd, w.B));
}

// The probe's ops, named as in chattr_probe.c.
const std::map<std::string, Op>& ops() {
  static const auto* all = new std::map<std::string, Op>{
      {"write", op([](World& w) { w.rec(w.p.write(w.fd, w.X, 10)); })},
      {"write0", op([](World& w) { w.rec(w.p.write(w.fd, w.X, 0)); })},
      {"pwrite", op([](World& w) { w.rec(w.p.pwrite(w.fd, w.X, 10, 100)); })},
      {"write_eof",
       op([](World& w) {
         EXPECT_TRUE(w.p.lseek(w.fd, 0, kSEEK_END).has_value());
         w.rec(w.p.write(w.fd, w.X, 10));
       })},
      {"pwrite_eof", op([](World& w) { w.rec(w.p.pwrite(w.fd, w.X, 10, kSize)); })},
      {"pwritev2_append",
       op([](World& w) {
         const UserIovec v{w.X, 10};
         EXPECT_FALSE(w.p.store(w.B, std::as_bytes(std::span(&v, 1))));
         w.rec(w.p.pwritev2(w.fd, w.B, 1, 0, kRWF_APPEND));
       })},
      {"ftruncate_same", op([](World& w) { w.rec(w.p.ftruncate(w.fd, kSize)); })},
      {"ftruncate_small", op([](World& w) { w.rec(w.p.ftruncate(w.fd, 4096)); })},
      {"ftruncate_big", op([](World& w) { w.rec(w.p.ftruncate(w.fd, 16384)); })},
      {"falloc", op([](World& w) { w.rec(w.p.fallocate(w.fd, 0, 0, 4096)); })},
      {"falloc_extend", op([](World& w) { w.rec(w.p.fallocate(w.fd, 0, kSize, 4096)); })},
      {"falloc_keep",
       op([](World& w) { w.rec(w.p.fallocate(w.fd, kFALLOC_FL_KEEP_SIZE, kSize, 4096)); })},
      {"falloc_punch",
       op([](World& w) {
         w.rec(w.p.fallocate(w.fd, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 0, 4096));
       })},
      {"falloc_zero",
       op([](World& w) { w.rec(w.p.fallocate(w.fd, kFALLOC_FL_ZERO_RANGE, 0, 4096)); })},
      {"falloc_collapse",
       op([](World& w) { w.rec(w.p.fallocate(w.fd, kFALLOC_FL_COLLAPSE_RANGE, 0, 4096)); })},
      {"falloc_insert",
       op([](World& w) { w.rec(w.p.fallocate(w.fd, kFALLOC_FL_INSERT_RANGE, 0, 4096)); })},
      {"falloc_len0", op([](World& w) { w.rec(w.p.fallocate(w.fd, 0, 0, 0)); })},
      {"mmap_shared_rw",
       op([](World& w) { w.rec_mmap(w.fd, kProtRead | kProtWrite, kMAP_SHARED); })},
      {"mmap_shared_ro", op([](World& w) { w.rec_mmap(w.fd, kProtRead, kMAP_SHARED); })},
      {"mmap_private_rw",
       op([](World& w) { w.rec_mmap(w.fd, kProtRead | kProtWrite, kMAP_PRIVATE); })},
      {"mmap_shared_ro_rdonly_fd",
       op([](World& w) {
         const int r = *w.p.open("/f", kO_RDONLY);
         w.rec_mmap(r, kProtRead, kMAP_SHARED);
         EXPECT_EQ(w.p.close(r), Errno::kOk);
       })},
      {"map_store_clean",
       {Premap::kClean,
        [](World& w) {
          w.store(w.M, 'Z');
          w.rec(w.p.msync(w.M, kSize, kMS_SYNC));
          w.x_byte("b0", 0);
        }}},
      {"map_store_dirty",
       {Premap::kDirty,
        [](World& w) {
          w.store(w.M + 1, 'Z');
          w.rec(w.p.msync(w.M, kSize, kMS_SYNC));
          w.x_byte("b0", 0);
          w.x_byte("b1", 1);
        }}},
      {"copy_into", op([](World& w) { copy_into(w, 0); })},
      {"copy_into_eof", op([](World& w) { copy_into(w, kSize); })},
      {"ficlone_into", op([](World& w) { w.rec(w.p.ioctl(w.fd, kFICLONE, w.src)); })},
      {"fchmod", op([](World& w) { w.rec(w.p.fchmod(w.fd, 0600)); })},
      {"fchown", op([](World& w) { w.rec(w.p.fchown(w.fd, 0, 0)); })},
      {"fsync", op([](World& w) { w.rec(w.p.fsync(w.fd)); })},
      {"fdatasync", op([](World& w) { w.rec(w.p.fdatasync(w.fd)); })},
      {"futimens_now", op([](World& w) { w.rec(w.p.futimens(w.fd, 0)); })},
      {"futimens_set",
       op([](World& w) { futimens(w, {1000000000, 0}, {1000000000, 0}); })},
      {"futimens_omit",
       op([](World& w) { futimens(w, {0, kUTIME_OMIT}, {0, kUTIME_OMIT}); })},
      {"fsetxattr",
       op([](World& w) {
         const std::byte v{'v'};
         EXPECT_FALSE(w.p.store(w.B, {&v, 1}));
         w.rec(w.p.fsetxattr(w.fd, "user.x", w.B, 1, 0));
       })},
      {"fgetxattr", op([](World& w) { w.rec(w.p.fgetxattr(w.fd, "user.none", w.B, 16)); })},
      {"setfl_append", op([](World& w) { w.rec(w.p.fcntl(w.fd, kF_SETFL, kO_APPEND)); })},
      {"unlink", op([](World& w) { w.rec(w.p.unlink("/f")); })},
      {"rename_from", op([](World& w) { w.rec(w.p.rename("/f", "/g")); })},
      {"rename_onto", op([](World& w) { w.rec(w.p.rename("/src", "/f")); })},
      {"link", op([](World& w) { w.rec(w.p.link("/f", "/f2")); })},
      {"truncate_path", op([](World& w) { w.rec(w.p.truncate("/f", 4096)); })},
      {"utimensat_now", op([](World& w) { w.rec(w.p.utimensat(kAT_FDCWD, "/f", 0, 0)); })},
      {"chmod_path", op([](World& w) { w.rec(w.p.chmod("/f", 0600)); })},
      {"open_rdonly", op([](World& w) { w.rec_open(w.p.open("/f", kO_RDONLY)); })},
      {"open_rdwr", op([](World& w) { w.rec_open(w.p.open("/f", kO_RDWR)); })},
      {"open_wronly", op([](World& w) { w.rec_open(w.p.open("/f", kO_WRONLY)); })},
      {"open_append", op([](World& w) { w.rec_open(w.p.open("/f", kO_WRONLY | kO_APPEND)); })},
      {"open_rdwr_append",
       op([](World& w) { w.rec_open(w.p.open("/f", kO_RDWR | kO_APPEND)); })},
      {"open_trunc", op([](World& w) { w.rec_open(w.p.open("/f", kO_RDONLY | kO_TRUNC)); })},
      {"open_append_trunc",
       op([](World& w) { w.rec_open(w.p.open("/f", kO_WRONLY | kO_APPEND | kO_TRUNC)); })},
      {"afd_write",
       op([](World& w) {
         if (w.afd_open()) w.rec(w.p.write(w.afd, w.X, 10));
       })},
      {"afd_pwrite0",
       op([](World& w) {
         if (w.afd_open()) w.rec(w.p.pwrite(w.afd, w.X, 10, 0));
       })},
      {"afd_setfl_clear",
       op([](World& w) {
         if (w.afd_open()) w.rec(w.p.fcntl(w.afd, kF_SETFL, 0));
       })},
      {"afd_ftruncate",
       op([](World& w) {
         if (w.afd_open()) w.rec(w.p.ftruncate(w.afd, kSize));
       })},
  };
  return *all;
}

class ChattrFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ChattrFixtureTest, EveryCaseAnswersAsTheHostKernel) {
  const std::string fs = GetParam();
  EXPECT_EQ(not_modelled("xfs").size(), 0u);
  EXPECT_EQ(not_modelled("tmpfs").size(), 0u);
  const std::map<std::string, uint32_t> flags = {
      {"none", 0}, {"imm", kFS_IMMUTABLE_FL}, {"app", kFS_APPEND_FL}};
  // A case is a flag ("none", "imm", "app") and an op: FLAG_OP.
  auto play = [&](const std::string& name, Json* got) {
    const size_t us = name.find('_');
    if (us == std::string::npos) return false;
    auto flag = flags.find(name.substr(0, us));
    auto it = ops().find(name.substr(us + 1));
    if (flag == flags.end() || it == ops().end()) return false;
    World w(fs, it->second.premap);
    if (flag->second != 0) w.flags_set(flag->second);
    it->second.run(w);
    w.finish();
    *got = w.out;
    return true;
  };
  FixtureSkips skips;
  skips.row = [&fs](const std::string& name) { return not_modelled(fs).contains(name); };
  const FixtureRun run = run_fixture("chattr.jsonl", fs, play, skips, /*exact=*/true);
  for (const auto& [name, reason] : not_modelled(fs)) {
    EXPECT_TRUE(run.names.contains(name)) << "known difference for a case not in the fixture: " << name;
  }
  EXPECT_EQ(run.ran + run.skipped, 162);
  EXPECT_EQ(run.skipped, 0);
}

INSTANTIATE_TEST_SUITE_P(HostKernel, ChattrFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

// The xfs rows compare only the size and "unchanged" after PUNCH_HOLE,
// ZERO_RANGE, COLLAPSE_RANGE and INSERT_RANGE; these pin the bytes the
// iomap test filesystem leaves, with the data dirty in the page cache and
// after writeback.
class IomapFallocateTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ASSERT_EQ(mount_host_column(vfs, "xfs", &bdev), Errno::kOk);
    fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    for (char c : {'A', 'B', 'C', 'D'}) want.append(4096, c);
    ASSERT_EQ(*host::pwrite(p, fd, std::as_bytes(std::span(want)), 0), want.size());
    if (GetParam()) {
      ASSERT_EQ(p.fsync(fd), Errno::kOk);
    }
  }
  std::string contents() {
    std::vector<std::byte> b(p.fstat(fd)->size);
    EXPECT_EQ(*host::pread(p, fd, b, 0), b.size());
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int fd = -1;
  std::string want;
};

TEST_P(IomapFallocateTest, PunchAndZeroLeaveZerosInTheRange) {
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 1000, 5000), Errno::kOk);
  want.replace(1000, 5000, 5000, '\0');
  EXPECT_EQ(contents(), want);
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_ZERO_RANGE, 9000, 1000), Errno::kOk);
  want.replace(9000, 1000, 1000, '\0');
  EXPECT_EQ(contents(), want);
  // Past EOF, ZERO_RANGE grows the file unless KEEP_SIZE.
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE, 16000, 1000), Errno::kOk);
  want.replace(16000, 384, 384, '\0');
  EXPECT_EQ(contents(), want);
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_ZERO_RANGE, 16000, 1000), Errno::kOk);
  want.append(616, '\0');
  EXPECT_EQ(contents(), want);
}

TEST_P(IomapFallocateTest, CollapseAndInsertShiftTheBlocks) {
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_COLLAPSE_RANGE, 4096, 4096), Errno::kOk);
  EXPECT_EQ(contents(), std::string(4096, 'A') + std::string(4096, 'C') + std::string(4096, 'D'));
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_INSERT_RANGE, 4096, 8192), Errno::kOk);
  EXPECT_EQ(contents(), std::string(4096, 'A') + std::string(8192, '\0') +
                            std::string(4096, 'C') + std::string(4096, 'D'));
  // xfs_is_falloc_aligned, and the ranges XFS refuses.
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_COLLAPSE_RANGE, 100, 4096), Errno::kEINVAL);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_COLLAPSE_RANGE, 16384, 4096), Errno::kEINVAL);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_INSERT_RANGE, 20480, 4096), Errno::kEINVAL);
  EXPECT_EQ(p.fstat(fd)->size, 20480u);
}

INSTANTIATE_TEST_SUITE_P(DirtyAndWrittenBack, IomapFallocateTest, ::testing::Bool());

}  // namespace
}  // namespace vfssim
