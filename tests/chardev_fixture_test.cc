// /dev/null and /dev/zero, case by case against the host kernel: every case
// of tests/probes/chardev_probe.c (its header comment and
// tests/probes/README.md list them) is re-enacted on the simulator and must
// answer (ret, errno and the case's extras: the bytes read, the fstat
// fields, the ioctl results, statfs's f_type) as Linux 6.18 recorded in
// tests/probes/fixtures/chardev.jsonl. Each of the 63 calls runs on the
// "host" nodes (devtmpfs on /dev) and on nodes made with mknod in the
// probed filesystem, and nodev_open once. The "tmpfs" column runs on
// shmfs, the "xfs" column on the XFS-like filesystem (fs/xfs). The "ext4" column
// (FIGETBSZ and st_blksize 1024, f_type 0xef53) is not compared: there is
// no ext4-like filesystem yet.

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "drivers/blockdev.h"
#include "fs/devtmpfs/devtmpfs.h"
#include "fs/shmfs/shmfs.h"
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

constexpr int64_t kLLMax = LLONG_MAX;
constexpr unsigned long kFIONREAD = 0x541B;
constexpr uint64_t kBufSize = 256;

// Dev is one of the probe's four device paths.
struct Dev {
  std::string name;  // host_null, host_zero, node_null, node_zero
  std::string path;
  bool node;         // Made with mknod in the probed filesystem per case.
  uint32_t minor;
};

const std::vector<Dev>& devs() {
  static const auto* all = new std::vector<Dev>{
      {"host_null", "/dev/null", false, 3},
      {"host_zero", "/dev/zero", false, 5},
      {"node_null", "/null", true, 3},
      {"node_zero", "/zero", true, 5},
  };
  return *all;
}

// World is one case's machine: the column's filesystem at "/", devtmpfs at
// "/dev", the device node D (opened O_RDWR, as every case but a few does
// first), the 256-byte buffer `buf` (0xff) and, on demand, R = /r, 8192
// bytes of 'r'.
class World {
 public:
  World(const std::string& fs, const Dev& dev) : dev_(dev) {
    EXPECT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
    register_shmfs(vfs);  // For nodev_open's tmpfs (a second registration is refused, harmlessly).
    register_devtmpfs(vfs);
    EXPECT_EQ(p.mkdir("/dev", 0755), Errno::kOk);
    EXPECT_EQ(vfs.mount("devtmpfs", nullptr, "", "/dev", Creds::root()), Errno::kOk);
    buf = *p.mmap(0, 2 * kUserPageSize, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS,
                  -1, 0);
    EXPECT_FALSE(p.store(buf, std::vector<std::byte>(kBufSize, std::byte{0xff})));
    // The probe sets umask(022): mknod(S_IFCHR | 0666) makes 0644 nodes.
    if (dev.node) {
      EXPECT_EQ(p.mknod(dev.path, kS_IFCHR | (0666 & ~022), mkdev(1, dev.minor)), Errno::kOk);
    }
    D = p.open(dev.path, kO_RDWR);
  }

  const std::string& path() const { return dev_.path; }
  bool node() const { return dev_.node; }

  // rec_ret records a call's outcome as the probe prints it.
  template <typename T>
  void rec_ret(const Result<T>& r) {
    rec["ret"] = r ? static_cast<int64_t>(*r) : -1;
    rec["errno"] = r ? "" : std::string(errno_name(r.error()));
  }
  void rec_ret(Errno e) {
    rec["ret"] = e == Errno::kOk ? 0 : -1;
    rec["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
  }
  // rec_open records an open's outcome (ret 0 on success: descriptor
  // numbers are not recorded).
  void rec_open(const Result<int>& r) {
    if (r) {
      rec_ret(Errno::kOk);
    } else {
      rec_ret(r.error());
    }
  }
  // need_d: the case needs D; if its open failed, that is the case's line.
  bool need_d() {
    if (!D) rec_ret(D.error());
    return D.has_value();
  }
  // zeros: the extra "zeros" over the n bytes at addr, when n > 0.
  void zeros(uint64_t addr, int64_t n) {
    if (n <= 0) return;
    std::vector<std::byte> b(static_cast<size_t>(n));
    EXPECT_EQ(p.mm().copy_in(addr, b, /*may_fault=*/true), b.size());
    rec["zeros"] = std::all_of(b.begin(), b.end(), [](std::byte x) { return x == std::byte{0}; });
  }
  void zeros_after_read() { zeros(buf, rec["ret"].get<int64_t>()); }
  int reg() {
    if (R < 0) {
      R = *p.open("/r", kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
      EXPECT_EQ(*host::pwrite(p, R, std::vector<std::byte>(8192, std::byte{'r'}), 0), 8192u);
    }
    return R;
  }
  // iov stores iovec entries at buf + 128 (after the data) and returns
  // their address.
  uint64_t iov(std::vector<UserIovec> v) {
    const uint64_t at = buf + kBufSize;
    EXPECT_FALSE(p.store(at, std::as_bytes(std::span(v))));
    return at;
  }
  // user_pipe is pipe(2): {read end, write end}.
  std::pair<int, int> user_pipe() { return *p.pipe2(0); }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  Result<int> D = Fail(Errno::kEBADF);
  int R = -1;
  uint64_t buf = 0;
  Json rec = Json::object();

 private:
  Dev dev_;
};

void do_mmap(World& w, Result<int> fd, int prot, int flags, bool probe) {
  if (!fd) {
    w.rec_ret(fd.error());
    return;
  }
  Result<uint64_t> m = w.p.mmap(0, 8192, prot, flags, *fd, 0);
  w.rec_ret(m ? Errno::kOk : m.error());
  if (!m) return;
  if (probe) {
    w.zeros(*m, 8192);
    EXPECT_FALSE(w.p.store(*m, std::vector<std::byte>(1, std::byte{1})));
  }
  EXPECT_EQ(w.p.munmap(*m, 8192), Errno::kOk);
}

void statfs_case(World& w, Errno e, uint64_t at) {
  w.rec_ret(e);
  if (e != Errno::kOk) return;
  UserStatfs st{};
  EXPECT_EQ(w.p.mm().copy_in(at, std::as_writable_bytes(std::span(&st, 1)), true), sizeof st);
  w.rec["f_type"] = absl::StrFormat("%#x", static_cast<uint64_t>(st.f_type));
}

using Op = std::function<void(World&)>;

// The probe's 63 calls, by the name of its op_* function.
const std::vector<std::pair<std::string, Op>>& ops() {
  static const auto* all = new std::vector<std::pair<std::string, Op>>{
      {"open_rdwr", [](World& w) { w.rec_open(w.D); }},
      {"read",
       [](World& w) {
         if (!w.need_d()) return;
         w.rec_ret(w.p.read(*w.D, w.buf, 100));
         w.zeros_after_read();
       }},
      {"read0", [](World& w) { if (w.need_d()) w.rec_ret(w.p.read(*w.D, w.buf, 0)); }},
      {"read_nullbuf", [](World& w) { if (w.need_d()) w.rec_ret(w.p.read(*w.D, 0, 100)); }},
      {"write", [](World& w) { if (w.need_d()) w.rec_ret(w.p.write(*w.D, w.buf, 100)); }},
      {"write_nullbuf", [](World& w) { if (w.need_d()) w.rec_ret(w.p.write(*w.D, 0, 100)); }},
      {"pread_0",
       [](World& w) {
         if (!w.need_d()) return;
         w.rec_ret(w.p.pread(*w.D, w.buf, 100, 0));
         w.zeros_after_read();
       }},
      {"pread_1000",
       [](World& w) {
         if (!w.need_d()) return;
         w.rec_ret(w.p.pread(*w.D, w.buf, 100, 1000));
         w.zeros_after_read();
       }},
      {"pread_neg1", [](World& w) { if (w.need_d()) w.rec_ret(w.p.pread(*w.D, w.buf, 100, -1)); }},
      {"pread_llmax",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.pread(*w.D, w.buf, 100, kLLMax)); }},
      {"pwrite_0", [](World& w) { if (w.need_d()) w.rec_ret(w.p.pwrite(*w.D, w.buf, 100, 0)); }},
      {"pwrite_neg1",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.pwrite(*w.D, w.buf, 100, -1)); }},
      {"pwrite_llmax",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.pwrite(*w.D, w.buf, 100, kLLMax)); }},
      {"readv",
       [](World& w) {
         if (!w.need_d()) return;
         w.rec_ret(w.p.readv(*w.D, w.iov({{w.buf, 50}, {w.buf + 50, 50}}), 2));
         w.zeros_after_read();
       }},
      {"writev",
       [](World& w) {
         if (w.need_d()) w.rec_ret(w.p.writev(*w.D, w.iov({{w.buf, 50}, {w.buf + 50, 50}}), 2));
       }},
      {"preadv2_nowait",
       [](World& w) {
         if (!w.need_d()) return;
         w.rec_ret(w.p.preadv2(*w.D, w.iov({{w.buf, 100}}), 1, 0, kRWF_NOWAIT));
         w.zeros_after_read();
       }},
      {"pwritev2_nowait",
       [](World& w) {
         if (w.need_d()) w.rec_ret(w.p.pwritev2(*w.D, w.iov({{w.buf, 100}}), 1, 0, kRWF_NOWAIT));
       }},
      {"preadv2_cur",
       [](World& w) {
         if (!w.need_d()) return;
         w.rec_ret(w.p.preadv2(*w.D, w.iov({{w.buf, 100}}), 1, -1, 0));
         w.zeros_after_read();
       }},
      {"lseek_set", [](World& w) { if (w.need_d()) w.rec_ret(w.p.lseek(*w.D, 12345, kSEEK_SET)); }},
      {"lseek_data", [](World& w) { if (w.need_d()) w.rec_ret(w.p.lseek(*w.D, 0, kSEEK_DATA)); }},
      {"lseek_whence5", [](World& w) { if (w.need_d()) w.rec_ret(w.p.lseek(*w.D, 0, 5)); }},
      {"ftruncate", [](World& w) { if (w.need_d()) w.rec_ret(w.p.ftruncate(*w.D, 0)); }},
      {"ftruncate_neg", [](World& w) { if (w.need_d()) w.rec_ret(w.p.ftruncate(*w.D, -1)); }},
      {"truncate_path", [](World& w) { w.rec_ret(w.p.truncate(w.path(), 0)); }},
      {"fallocate", [](World& w) { if (w.need_d()) w.rec_ret(w.p.fallocate(*w.D, 0, 0, 4096)); }},
      {"fallocate_len0", [](World& w) { if (w.need_d()) w.rec_ret(w.p.fallocate(*w.D, 0, 0, 0)); }},
      {"fallocate_rdonly",
       [](World& w) {
         Result<int> fd = w.p.open(w.path(), kO_RDONLY);
         if (!fd) return w.rec_ret(fd.error());
         w.rec_ret(w.p.fallocate(*fd, 0, 0, 4096));
       }},
      {"fallocate_punch",
       [](World& w) {
         if (w.need_d()) {
           w.rec_ret(w.p.fallocate(*w.D, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 0, 4096));
         }
       }},
      {"fsync", [](World& w) { if (w.need_d()) w.rec_ret(w.p.fsync(*w.D)); }},
      {"fdatasync", [](World& w) { if (w.need_d()) w.rec_ret(w.p.fdatasync(*w.D)); }},
      {"syncfs", [](World& w) { if (w.need_d()) w.rec_ret(w.p.syncfs(*w.D)); }},
      {"fstat",
       [](World& w) {
         if (!w.need_d()) return;
         Result<Stat> st = w.p.fstat(*w.D);
         w.rec_ret(st ? Errno::kOk : st.error());
         if (!st) return;
         w.rec["fmt"] = st->type == VType::kChr ? "chr" : "other";
         w.rec["rdev"] = absl::StrFormat("%u:%u", dev_major(st->rdev), dev_minor(st->rdev));
         w.rec["perm"] = std::stoi(absl::StrFormat("%o", st->mode & 07777));  // Printed "%o".
         w.rec["size"] = st->size;
         w.rec["blocks"] = st->blocks;
         w.rec["blksize"] = st->blksize;
         w.rec["nlink"] = st->nlink;
       }},
      {"getflags",
       [](World& w) {
         if (!w.need_d()) return;
         EXPECT_FALSE(w.p.store(w.buf, std::vector<std::byte>(4, std::byte{0})));
         w.rec_ret(w.p.ioctl(*w.D, kFS_IOC_GETFLAGS, w.buf));
         if (w.rec["ret"] != 0) return;
         int32_t v = -1;
         EXPECT_EQ(w.p.mm().copy_in(w.buf, std::as_writable_bytes(std::span(&v, 1)), true), 4u);
         w.rec["flags"] = v;
       }},
      {"fsgetxattr",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.ioctl(*w.D, kFS_IOC_FSGETXATTR, w.buf)); }},
      {"fiemap",
       [](World& w) {
         if (!w.need_d()) return;
         const UserFiemap fm{.fm_start = 0, .fm_length = ~0ull, .fm_extent_count = 0};
         EXPECT_FALSE(w.p.store(w.buf, std::as_bytes(std::span(&fm, 1))));
         w.rec_ret(w.p.ioctl(*w.D, kFS_IOC_FIEMAP, w.buf));
       }},
      {"fionread", [](World& w) { if (w.need_d()) w.rec_ret(w.p.ioctl(*w.D, kFIONREAD, w.buf)); }},
      {"figetbsz",
       [](World& w) {
         if (!w.need_d()) return;
         w.rec_ret(w.p.ioctl(*w.D, kFIGETBSZ, w.buf));
         if (w.rec["ret"] != 0) return;
         int32_t v = -1;
         EXPECT_EQ(w.p.mm().copy_in(w.buf, std::as_writable_bytes(std::span(&v, 1)), true), 4u);
         w.rec["bsz"] = v;
       }},
      {"ficlone_from_reg",
       [](World& w) {
         if (w.need_d()) w.rec_ret(w.p.ioctl(*w.D, kFICLONE, static_cast<uint64_t>(w.reg())));
       }},
      {"copy_from_dev",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.copy_file_range(*w.D, 0, w.reg(), 0, 100, 0)); }},
      {"copy_to_dev",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.copy_file_range(w.reg(), 0, *w.D, 0, 100, 0)); }},
      {"sendfile_from_dev",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.sendfile(w.reg(), *w.D, 0, 100)); }},
      {"sendfile_to_dev",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.sendfile(*w.D, w.reg(), 0, 100)); }},
      {"splice_to_dev",
       [](World& w) {
         if (!w.need_d()) return;
         auto [rd, wr] = w.user_pipe();
         EXPECT_EQ(*w.p.write(wr, w.buf, 100), 100u);
         w.rec_ret(w.p.splice(rd, 0, *w.D, 0, 100, 0));
       }},
      {"splice_from_dev",
       [](World& w) {
         if (!w.need_d()) return;
         auto [rd, wr] = w.user_pipe();
         w.rec_ret(w.p.splice(*w.D, 0, wr, 0, 100, 0));
       }},
      {"mmap_private",
       [](World& w) { do_mmap(w, w.D, kProtRead | kProtWrite, kMAP_PRIVATE, true); }},
      {"mmap_shared", [](World& w) { do_mmap(w, w.D, kProtRead | kProtWrite, kMAP_SHARED, true); }},
      {"mmap_shared_rdonly_fd",
       [](World& w) {
         do_mmap(w, w.p.open(w.path(), kO_RDONLY), kProtRead | kProtWrite, kMAP_SHARED, false);
       }},
      {"mmap_shared_ro_rdonly_fd",
       [](World& w) { do_mmap(w, w.p.open(w.path(), kO_RDONLY), kProtRead, kMAP_SHARED, false); }},
      {"fadvise",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.fadvise(*w.D, 0, 0, kPOSIX_FADV_DONTNEED)); }},
      {"flock", [](World& w) { if (w.need_d()) w.rec_ret(w.p.flock(*w.D, kLOCK_EX)); }},
      {"fgetxattr",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.fgetxattr(*w.D, "user.x", w.buf, 16)); }},
      {"fsetxattr",
       [](World& w) {
         if (!w.need_d()) return;
         if (!w.node()) {  // The probe never changes the host's nodes.
           w.rec_ret(Errno::kOk);
           w.rec["note"] = "skipped";
           return;
         }
         EXPECT_FALSE(w.p.store(w.buf, std::vector<std::byte>(1, std::byte{'v'})));
         w.rec_ret(w.p.fsetxattr(*w.D, "user.x", w.buf, 1, 0));
       }},
      {"fsetxattr_trusted",
       [](World& w) {
         if (!w.need_d()) return;
         if (!w.node()) {
           w.rec_ret(Errno::kOk);
           w.rec["note"] = "skipped";
           return;
         }
         EXPECT_FALSE(w.p.store(w.buf, std::vector<std::byte>(1, std::byte{'v'})));
         w.rec_ret(w.p.fsetxattr(*w.D, "trusted.x", w.buf, 1, 0));
       }},
      {"getdents",
       [](World& w) { if (w.need_d()) w.rec_ret(w.p.getdents64(*w.D, w.buf, kBufSize)); }},
      {"fchdir", [](World& w) { if (w.need_d()) w.rec_ret(w.p.fchdir(*w.D)); }},
      {"open_trunc", [](World& w) { w.rec_open(w.p.open(w.path(), kO_RDWR | kO_TRUNC, 0644)); }},
      {"open_creat", [](World& w) { w.rec_open(w.p.open(w.path(), kO_RDWR | kO_CREAT, 0644)); }},
      {"open_creat_excl",
       [](World& w) { w.rec_open(w.p.open(w.path(), kO_RDWR | kO_CREAT | kO_EXCL, 0644)); }},
      {"open_directory",
       [](World& w) { w.rec_open(w.p.open(w.path(), kO_RDONLY | kO_DIRECTORY, 0644)); }},
      {"open_odirect", [](World& w) { w.rec_open(w.p.open(w.path(), kO_RDWR | kO_DIRECT, 0644)); }},
      {"open_append_write",
       [](World& w) {
         Result<int> fd = w.p.open(w.path(), kO_WRONLY | kO_APPEND);
         if (!fd) return w.rec_ret(fd.error());
         w.rec_ret(w.p.write(*fd, w.buf, 100));
       }},
      {"statfs_path",
       [](World& w) { statfs_case(w, w.p.statfs(w.path(), w.buf), w.buf); }},
      {"fstatfs",
       [](World& w) {
         if (w.need_d()) statfs_case(w, w.p.fstatfs(*w.D, w.buf), w.buf);
       }},
  };
  return *all;
}

// nodev_open: a tmpfs mounted nodev on DIR/nodev, a null node in it, and
// open(O_RDWR) of that node.
void nodev_open(World& w) {
  EXPECT_EQ(w.p.mkdir("/nodev", 0755), Errno::kOk);
  EXPECT_EQ(w.vfs.mount("shmfs", nullptr, "nodev,size=1m", "/nodev", Creds::root()), Errno::kOk);
  EXPECT_EQ(w.p.mknod("/nodev/null", kS_IFCHR | 0644, mkdev(1, 3)), Errno::kOk);
  Result<int> fd = w.p.open("/nodev/null", kO_RDWR);
  w.rec_open(fd);
  if (fd) {
    EXPECT_EQ(w.p.close(*fd), Errno::kOk);
  }
  EXPECT_EQ(w.vfs.umount("/nodev", Creds::root()), Errno::kOk);
}

// Every case of chardev_probe.c, by name: DEV_OP for each device and op,
// and nodev_open. Each makes its own World on the column's filesystem.
using Case = std::function<void(const std::string& fs, Json* rec)>;

const std::map<std::string, Case>& cases() {
  static const auto* all = [] {
    auto* m = new std::map<std::string, Case>;
    for (const Dev& dev : devs()) {
      for (const auto& [name, op] : ops()) {
        (*m)[dev.name + "_" + name] = [dev, op](const std::string& fs, Json* rec) {
          World w(fs, dev);
          op(w);
          *rec = w.rec;
        };
      }
    }
    (*m)["nodev_open"] = [](const std::string& fs, Json* rec) {
      World w(fs, devs()[0]);
      w.rec = Json::object();
      nodev_open(w);
      *rec = w.rec;
    };
    return m;
  }();
  return *all;
}

class ChardevFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ChardevFixtureTest, EveryCaseAnswersAsTheHostKernel) {
  const std::string fs = GetParam();
  auto play = [&fs](const std::string& name, Json* got) {
    auto it = cases().find(name);
    if (it == cases().end()) return false;
    it->second(fs, got);
    return true;
  };
  // exact: an extra (zeros, flags, bsz, f_type) appears exactly where the
  // kernel's answer had it.
  const FixtureRun run = run_fixture("chardev.jsonl", fs, play, {}, /*exact=*/true);
  EXPECT_EQ(run.ran, 253) << "every probed case runs";
  EXPECT_EQ(static_cast<size_t>(run.ran), cases().size());
}

INSTANTIATE_TEST_SUITE_P(HostKernel, ChardevFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
