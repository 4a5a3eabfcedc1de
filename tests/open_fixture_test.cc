// open(2) flags and O_PATH descriptors, case by case against the host
// kernel: every case of tests/probes/open_probe.c is re-enacted on the
// simulator and must answer (ret, errno and the case's extras: size,
// exists, fmt, nlink, tsize, read_ret/read_errno, st_size, newfd) as Linux
// 6.18 recorded in tests/probes/fixtures/open.jsonl. The "tmpfs" column
// runs on shmfs, "xfs" on the XFS-like filesystem (fs/xfs). The ext4 column is not
// compared: there is no ext4-like filesystem yet (the three answered alike).
// Cases that need what the simulator does not model are in kNotModelled,
// each with its reason; every other row is compared.

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

constexpr int kUnassigned = 040000000;  // An open flag bit Linux does not assign.
constexpr int kPosixFadvDontneed = 4;

// The cases whose answer depends on something the simulator does not
// model, with the reason. They are skipped, and only they.
const std::map<std::string, std::string>& not_modelled() {
  static const auto* table = new std::map<std::string, std::string>{
      {"opath_reopen_proc", "no procfs: /proc/self/fd/N cannot be opened"},
      {"opath_reopen_proc_rdwr", "no procfs: /proc/self/fd/N cannot be opened"},
  };
  return *table;
}
constexpr size_t kNotModelled = 2;

const char* fmt_of(VType t) {
  switch (t) {
    case VType::kReg: return "reg";
    case VType::kDir: return "dir";
    case VType::kLnk: return "lnk";
    case VType::kFifo: return "fifo";
    case VType::kChr: return "chr";
    case VType::kBlk: return "other";
  }
  return "other";
}

// World is one case's machine and the probe's fresh tree: /f (0644,
// "0123456789", xattr user.p = "v"), /d, the symlinks /l -> f, /dl -> d,
// /dangling -> nope, and the fifo /p; B is user memory for buffers.
class World {
 public:
  explicit World(const std::string& fs) {
    EXPECT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
    const int fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    const std::string digits = "0123456789";
    EXPECT_EQ(*host::write(p, fd, std::as_bytes(std::span(digits))), 10u);
    B = *p.mmap(0, 65536 + 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    put(B, "v");
    EXPECT_EQ(p.fsetxattr(fd, "user.p", B, 1, 0), Errno::kOk);
    EXPECT_EQ(p.close(fd), Errno::kOk);
    EXPECT_EQ(p.mkdir("/d", 0755), Errno::kOk);
    EXPECT_EQ(p.symlink("f", "/l"), Errno::kOk);
    EXPECT_EQ(p.symlink("d", "/dl"), Errno::kOk);
    EXPECT_EQ(p.symlink("nope", "/dangling"), Errno::kOk);
    EXPECT_EQ(p.mkfifo("/p", 0644), Errno::kOk);
  }

  void put(uint64_t addr, std::string_view s) {
    EXPECT_FALSE(p.store(addr, std::as_bytes(std::span(s.data(), s.size()))));
  }

  // rec: the call's return value (-1 on error) and errno, as the probe's.
  template <typename T>
  void rec(const Result<T>& r) {
    out["ret"] = r ? static_cast<int64_t>(*r) : -1;
    out["errno"] = r ? "" : std::string(errno_name(r.error()));
  }
  void rec(Errno e) {
    out["ret"] = e == Errno::kOk ? 0 : -1;
    out["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
  }
  // rec_fd: a call that returns a descriptor: ret 0 and "newfd" on
  // success, and the descriptor is closed.
  void rec_fd(const Result<int>& fd) {
    out["ret"] = fd ? 0 : -1;
    out["errno"] = fd ? "" : std::string(errno_name(fd.error()));
    if (fd) {
      out["newfd"] = ">=0";
      EXPECT_EQ(p.close(*fd), Errno::kOk);
    }
  }
  void x_size() {
    Result<Stat> st = p.stat("/f");
    out["size"] = st ? static_cast<int64_t>(st->size) : -1;
  }
  void x_exists(const std::string& name) { out["exists"] = p.lstat("/" + name).has_value(); }
  void x_fmt(int fd) {
    Result<Stat> st = p.fstat(fd);
    out["fmt"] = st ? fmt_of(st->type) : "error";
  }

  int opath() { return *p.open("/f", kO_PATH); }
  int normal() { return *p.open("/f", kO_RDWR); }
  int opath_dir() { return *p.open("/d", kO_PATH | kO_DIRECTORY); }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  uint64_t B = 0;
  Json out = Json::object();
};

using Case = std::function<void(World&)>;

Case open_case(std::string path, int flags, std::function<void(World&)> post = nullptr) {
  return [path, flags, post](World& w) {
    w.rec_fd(w.p.open("/" + path, flags, 0644));
    if (post) post(w);
  };
}
Case exists_after(std::string path, int flags, std::string name) {
  return open_case(path, flags, [name](World& w) { w.x_exists(name); });
}
Case size_after(std::string path, int flags) {
  return open_case(path, flags, [](World& w) { w.x_size(); });
}
Case tmp_case(std::string path, int flags) {
  return [path, flags](World& w) { w.rec_fd(w.p.open("/" + path, flags, 0600)); };
}
void tmpfile_link(World& w, int flags) {
  Result<int> fd = w.p.open("/d", flags, 0600);
  if (!fd) {
    w.rec(fd);
  } else {
    const std::string abc = "abc";
    EXPECT_EQ(*host::write(w.p, *fd, std::as_bytes(std::span(abc))), 3u);
    w.rec(w.p.linkat(*fd, "", kAT_FDCWD, "/t", kAT_EMPTY_PATH));
    EXPECT_EQ(w.p.close(*fd), Errno::kOk);
  }
  w.x_exists("t");
  Result<Stat> st = w.p.stat("/t");
  w.out["tsize"] = st ? static_cast<int64_t>(st->size) : -1;
}
void fmt_open(World& w, const std::string& path, int flags) {
  Result<int> fd = w.p.open("/" + path, flags);
  if (fd) w.x_fmt(*fd);
  w.rec_fd(fd);
}
// An O_PATH case: `call` on P.
Case op_case(std::function<void(World&, int)> call) {
  return [call](World& w) {
    const int p = w.opath();
    call(w, p);
    EXPECT_EQ(w.p.close(p), Errno::kOk);
  };
}
// An O_PATH case that needs an ordinary descriptor N too.
Case op2_case(std::function<void(World&, int, int)> call) {
  return [call](World& w) {
    const int p = w.opath();
    const int n = w.normal();
    call(w, p, n);
    EXPECT_EQ(w.p.close(n), Errno::kOk);
    EXPECT_EQ(w.p.close(p), Errno::kOk);
  };
}

const std::map<std::string, Case>& cases() {
  static const auto* all = new std::map<std::string, Case>{
      // Open flags on a directory.
      {"dir_rdonly", open_case("d", kO_RDONLY)},
      {"dir_wronly", open_case("d", kO_WRONLY)},
      {"dir_rdwr", open_case("d", kO_RDWR)},
      {"dir_accmode3", open_case("d", 3)},
      {"dir_rdonly_trunc", open_case("d", kO_RDONLY | kO_TRUNC)},
      {"dir_creat", open_case("d", kO_RDONLY | kO_CREAT)},
      {"dir_creat_excl", open_case("d", kO_RDONLY | kO_CREAT | kO_EXCL)},
      {"dir_directory", open_case("d", kO_RDONLY | kO_DIRECTORY)},
      {"dir_directory_creat", open_case("d", kO_RDONLY | kO_DIRECTORY | kO_CREAT)},
      {"dir_directory_creat_excl", open_case("d", kO_RDONLY | kO_DIRECTORY | kO_CREAT | kO_EXCL)},
      {"dir_directory_wronly", open_case("d", kO_WRONLY | kO_DIRECTORY)},
      {"dir_trailing_slash", open_case("d/", kO_RDONLY)},
      {"dir_trailing_slash_creat", open_case("d/", kO_RDONLY | kO_CREAT)},
      {"dir_path", open_case("d", kO_PATH)},
      {"dir_path_wronly", open_case("d", kO_PATH | kO_WRONLY)},
      {"dir_nofollow", open_case("d", kO_RDONLY | kO_NOFOLLOW)},
      {"newdir_directory_creat",
       exists_after("newname", kO_RDONLY | kO_DIRECTORY | kO_CREAT, "newname")},
      // O_TMPFILE.
      {"tmpfile_rdwr", tmp_case("d", kO_TMPFILE | kO_RDWR)},
      {"tmpfile_wronly", tmp_case("d", kO_TMPFILE | kO_WRONLY)},
      {"tmpfile_rdonly", tmp_case("d", kO_TMPFILE | kO_RDONLY)},
      {"tmpfile_excl", tmp_case("d", kO_TMPFILE | kO_RDWR | kO_EXCL)},
      {"tmpfile_creat", tmp_case("d", kO_TMPFILE | kO_RDWR | kO_CREAT)},
      {"tmpfile_path", tmp_case("d", kO_TMPFILE | kO_RDWR | kO_PATH)},
      {"tmpfile_on_file", tmp_case("f", kO_TMPFILE | kO_RDWR)},
      {"tmpfile_nonexistent", tmp_case("nope", kO_TMPFILE | kO_RDWR)},
      {"tmpfile_link", [](World& w) { tmpfile_link(w, kO_TMPFILE | kO_RDWR); }},
      {"tmpfile_excl_link", [](World& w) { tmpfile_link(w, kO_TMPFILE | kO_RDWR | kO_EXCL); }},
      {"tmpfile_fstat_nlink",
       [](World& w) {
         Result<int> fd = w.p.open("/d", kO_TMPFILE | kO_RDWR, 0600);
         Result<Stat> st = fd ? w.p.fstat(*fd) : Result<Stat>(Fail(fd.error()));
         w.rec(st ? Errno::kOk : st.error());
         w.out["nlink"] = st ? static_cast<int64_t>(st->nlink) : -1;
         if (fd) {
           EXPECT_EQ(w.p.close(*fd), Errno::kOk);
         }
       }},
      // Open flags on a regular file.
      {"file_rdonly", size_after("f", kO_RDONLY)},
      {"file_accmode3",
       [](World& w) {
         Result<int> fd = w.p.open("/f", 3);
         Result<uint64_t> n = fd ? w.p.read(*fd, w.B, 1) : Result<uint64_t>(Fail(Errno::kEBADF));
         w.out["ret"] = fd ? 0 : -1;
         w.out["errno"] = fd ? "" : std::string(errno_name(fd.error()));
         if (fd) {
           w.out["newfd"] = ">=0";
           EXPECT_EQ(w.p.close(*fd), Errno::kOk);
         }
         w.out["read_ret"] = n ? static_cast<int64_t>(*n) : -1;
         w.out["read_errno"] = n ? "" : std::string(errno_name(n.error()));
       }},
      {"file_directory", open_case("f", kO_RDONLY | kO_DIRECTORY)},
      {"file_directory_creat", open_case("f", kO_RDONLY | kO_DIRECTORY | kO_CREAT)},
      {"file_rdonly_trunc", size_after("f", kO_RDONLY | kO_TRUNC)},
      {"file_path_trunc", size_after("f", kO_PATH | kO_TRUNC)},
      {"file_path_rdwr", open_case("f", kO_PATH | kO_RDWR)},
      {"file_path_creat_new", exists_after("newname", kO_PATH | kO_CREAT, "newname")},
      {"file_trailing_slash", open_case("f/", kO_RDONLY)},
      {"file_trailing_slash_creat", open_case("f/", kO_RDWR | kO_CREAT)},
      {"file_trailing_slash_path", open_case("f/", kO_PATH)},
      {"new_trailing_slash_creat", exists_after("newname/", kO_RDWR | kO_CREAT, "newname")},
      {"new_trailing_slash", open_case("newname/", kO_RDONLY)},
      {"new_nocreat", open_case("newname", kO_RDONLY)},
      {"new_creat", exists_after("newname", kO_RDWR | kO_CREAT, "newname")},
      {"new_in_missing_dir", open_case("nodir/x", kO_RDWR | kO_CREAT)},
      {"through_file", open_case("f/x", kO_RDONLY)},
      {"through_file_creat", open_case("f/x", kO_RDWR | kO_CREAT)},
      {"file_creat", size_after("f", kO_RDWR | kO_CREAT)},
      {"file_creat_excl", open_case("f", kO_RDWR | kO_CREAT | kO_EXCL)},
      {"file_excl_only", open_case("f", kO_RDWR | kO_EXCL)},
      {"file_unknown_bit", open_case("f", kO_RDONLY | kUnassigned)},
      {"empty_path", [](World& w) { w.rec_fd(w.p.open("", kO_RDONLY)); }},
      {"empty_path_creat", [](World& w) { w.rec_fd(w.p.open("", kO_RDWR | kO_CREAT, 0644)); }},
      {"name_255_creat", open_case(std::string(255, 'a'), kO_RDWR | kO_CREAT)},
      {"name_256_creat", open_case(std::string(256, 'a'), kO_RDWR | kO_CREAT)},
      {"name_256_nocreat", open_case(std::string(256, 'a'), kO_RDONLY)},
      // Symlinks.
      {"symlink_follow", open_case("l", kO_RDONLY)},
      {"symlink_nofollow", open_case("l", kO_RDONLY | kO_NOFOLLOW)},
      {"symlink_nofollow_path", [](World& w) { fmt_open(w, "l", kO_PATH | kO_NOFOLLOW); }},
      {"symlink_path", [](World& w) { fmt_open(w, "l", kO_PATH); }},
      {"symlink_nofollow_creat", open_case("l", kO_RDWR | kO_CREAT | kO_NOFOLLOW)},
      {"symlink_creat_excl", open_case("l", kO_RDWR | kO_CREAT | kO_EXCL)},
      {"dangling_creat", exists_after("dangling", kO_RDWR | kO_CREAT, "nope")},
      {"dangling_creat_excl", exists_after("dangling", kO_RDWR | kO_CREAT | kO_EXCL, "nope")},
      {"dangling_nocreat", open_case("dangling", kO_RDONLY)},
      {"dangling_nofollow_path", open_case("dangling", kO_PATH | kO_NOFOLLOW)},
      {"dirlink_directory_nofollow", open_case("dl", kO_RDONLY | kO_DIRECTORY | kO_NOFOLLOW)},
      {"dirlink_path_directory_nofollow",
       open_case("dl", kO_PATH | kO_DIRECTORY | kO_NOFOLLOW)},
      {"dirlink_trailing_slash_nofollow", open_case("dl/", kO_RDONLY | kO_NOFOLLOW)},
      {"filelink_trailing_slash", open_case("l/", kO_RDONLY)},
      // Fifos.
      {"fifo_rdonly_nonblock", open_case("p", kO_RDONLY | kO_NONBLOCK)},
      {"fifo_wronly_nonblock", open_case("p", kO_WRONLY | kO_NONBLOCK)},
      {"fifo_path", open_case("p", kO_PATH)},
      {"fifo_rdwr_trunc", open_case("p", kO_RDWR | kO_TRUNC)},
  };
  return *all;
}

// The O_PATH descriptor cases.
const std::map<std::string, Case>& opath_cases() {
  static const auto* all = new std::map<std::string, Case>{
      {"opath_read", op_case([](World& w, int p) { w.rec(w.p.read(p, w.B, 4)); })},
      {"opath_write",
       op_case([](World& w, int p) {
         w.put(w.B, "x");
         w.rec(w.p.write(p, w.B, 1));
         w.x_size();
       })},
      {"opath_pread", op_case([](World& w, int p) { w.rec(w.p.pread(p, w.B, 4, 0)); })},
      {"opath_pwrite",
       op_case([](World& w, int p) {
         w.put(w.B, "x");
         w.rec(w.p.pwrite(p, w.B, 1, 0));
       })},
      {"opath_readv",
       op_case([](World& w, int p) {
         const UserIovec v{w.B, 4};
         EXPECT_FALSE(w.p.store(w.B + 1024, std::as_bytes(std::span(&v, 1))));
         w.rec(w.p.readv(p, w.B + 1024, 1));
       })},
      {"opath_writev",
       op_case([](World& w, int p) {
         w.put(w.B, "x");
         const UserIovec v{w.B, 1};
         EXPECT_FALSE(w.p.store(w.B + 1024, std::as_bytes(std::span(&v, 1))));
         w.rec(w.p.writev(p, w.B + 1024, 1));
       })},
      {"opath_lseek", op_case([](World& w, int p) { w.rec(w.p.lseek(p, 0, kSEEK_SET)); })},
      {"opath_fstat",
       op_case([](World& w, int p) {
         Result<Stat> st = w.p.fstat(p);
         w.rec(st ? Errno::kOk : st.error());
         w.out["fmt"] = st ? fmt_of(st->type) : "error";
         w.out["st_size"] = st ? static_cast<int64_t>(st->size) : -1;
       })},
      {"opath_fstatat_empty",
       op_case([](World& w, int p) {
         Result<Stat> st = w.p.fstatat(p, "", kAT_EMPTY_PATH);
         w.rec(st ? Errno::kOk : st.error());
         w.out["st_size"] = st ? static_cast<int64_t>(st->size) : -1;
       })},
      {"opath_fstatfs", op_case([](World& w, int p) { w.rec(w.p.fstatfs(p, w.B)); })},
      {"opath_ftruncate",
       op_case([](World& w, int p) {
         w.rec(w.p.ftruncate(p, 0));
         w.x_size();
       })},
      {"opath_fsync", op_case([](World& w, int p) { w.rec(w.p.fsync(p)); })},
      {"opath_fdatasync", op_case([](World& w, int p) { w.rec(w.p.fdatasync(p)); })},
      {"opath_syncfs", op_case([](World& w, int p) { w.rec(w.p.syncfs(p)); })},
      {"opath_fallocate", op_case([](World& w, int p) { w.rec(w.p.fallocate(p, 0, 0, 4096)); })},
      {"opath_fadvise",
       op_case([](World& w, int p) { w.rec(w.p.fadvise(p, 0, 0, kPosixFadvDontneed)); })},
      {"opath_getflags",
       op_case([](World& w, int p) { w.rec(w.p.ioctl(p, kFS_IOC_GETFLAGS, w.B)); })},
      {"opath_fiemap",
       op_case([](World& w, int p) {
         const UserFiemap fm{.fm_start = 0, .fm_length = ~uint64_t{0}};
         EXPECT_FALSE(w.p.store(w.B, std::as_bytes(std::span(&fm, 1))));
         w.rec(w.p.ioctl(p, kFS_IOC_FIEMAP, w.B));
       })},
      {"opath_fioclex", op_case([](World& w, int p) { w.rec(w.p.ioctl(p, kFIOCLEX, 0)); })},
      {"opath_mmap",
       op_case([](World& w, int p) {
         Result<uint64_t> m = w.p.mmap(0, 4096, kProtRead, kMAP_PRIVATE, p, 0);
         w.rec(m ? Errno::kOk : m.error());
         if (m) {
           EXPECT_EQ(w.p.munmap(*m, 4096), Errno::kOk);
         }
       })},
      {"opath_fchmod", op_case([](World& w, int p) { w.rec(w.p.fchmod(p, 0600)); })},
      {"opath_fchown", op_case([](World& w, int p) { w.rec(w.p.fchown(p, 0, 0)); })},
      {"opath_fchmodat_empty",
       op_case([](World& w, int p) { w.rec(w.p.fchmodat(p, "", 0600, kAT_EMPTY_PATH)); })},
      {"opath_fchownat_empty",
       op_case([](World& w, int p) { w.rec(w.p.fchownat(p, "", 0, 0, kAT_EMPTY_PATH)); })},
      {"opath_futimens", op_case([](World& w, int p) { w.rec(w.p.futimens(p, 0)); })},
      {"opath_utimensat_empty",
       op_case([](World& w, int p) { w.rec(w.p.utimensat(p, "", 0, kAT_EMPTY_PATH)); })},
      {"opath_getfl", op_case([](World& w, int p) { w.rec(w.p.fcntl(p, kF_GETFL)); })},
      {"normal_getfl",
       [](World& w) {
         const int fd = *w.p.open("/f", kO_RDONLY);
         w.rec(w.p.fcntl(fd, kF_GETFL));
         EXPECT_EQ(w.p.close(fd), Errno::kOk);
       }},
      {"opath_setfl",
       op_case([](World& w, int p) { w.rec(w.p.fcntl(p, kF_SETFL, kO_NONBLOCK)); })},
      {"opath_getfd", op_case([](World& w, int p) { w.rec(w.p.fcntl(p, kF_GETFD)); })},
      {"opath_setfd",
       op_case([](World& w, int p) { w.rec(w.p.fcntl(p, kF_SETFD, kFD_CLOEXEC)); })},
      {"opath_dupfd",
       op_case([](World& w, int p) {
         Result<int64_t> fd = w.p.fcntl(p, kF_DUPFD, 0);
         w.rec_fd(fd ? Result<int>(static_cast<int>(*fd)) : Result<int>(Fail(fd.error())));
       })},
      // struct flock {F_RDLCK, SEEK_SET, 0, 0}: the probe's lock requests.
      {"opath_setlk", op_case([](World& w, int p) { w.rec(w.p.fcntl(p, kF_SETLK, w.B)); })},
      {"opath_ofd_getlk",
       op_case([](World& w, int p) { w.rec(w.p.fcntl(p, kF_OFD_GETLK, w.B)); })},
      {"opath_getlease", op_case([](World& w, int p) { w.rec(w.p.fcntl(p, kF_GETLEASE)); })},
      {"opath_copy_in",
       op2_case([](World& w, int p, int n) { w.rec(w.p.copy_file_range(p, 0, n, 0, 4, 0)); })},
      {"opath_copy_out",
       op2_case([](World& w, int p, int n) { w.rec(w.p.copy_file_range(n, 0, p, 0, 4, 0)); })},
      {"opath_sendfile_in",
       op2_case([](World& w, int p, int n) { w.rec(w.p.sendfile(n, p, 0, 4)); })},
      {"opath_splice_in",
       op_case([](World& w, int p) {
         const auto [rd, wr] = *w.p.pipe2(0);
         w.rec(w.p.splice(p, 0, wr, 0, 4, 0));
         EXPECT_EQ(w.p.close(rd), Errno::kOk);
         EXPECT_EQ(w.p.close(wr), Errno::kOk);
       })},
      {"opath_dup", op_case([](World& w, int p) { w.rec_fd(w.p.dup(p)); })},
      {"opath_dup3", op_case([](World& w, int p) { w.rec_fd(w.p.dup3(p, 900, kO_CLOEXEC)); })},
      {"opath_close", [](World& w) { w.rec(w.p.close(w.opath())); }},
      {"opath_flock", op_case([](World& w, int p) { w.rec(w.p.flock(p, kLOCK_SH)); })},
      {"opath_fgetxattr",
       op_case([](World& w, int p) { w.rec(w.p.fgetxattr(p, "user.p", w.B, 16)); })},
      {"normal_fgetxattr",
       [](World& w) {
         const int n = w.normal();
         w.rec(w.p.fgetxattr(n, "user.p", w.B, 16));
         EXPECT_EQ(w.p.close(n), Errno::kOk);
       }},
      {"opath_fsetxattr",
       op_case([](World& w, int p) {
         w.put(w.B, "w");
         w.rec(w.p.fsetxattr(p, "user.q", w.B, 1, 0));
       })},
      {"opath_flistxattr", op_case([](World& w, int p) { w.rec(w.p.flistxattr(p, w.B, 16)); })},
      {"opath_getxattrat_empty",
       op_case([](World& w, int p) {
         const XattrArgs a{.value = w.B, .size = 16, .flags = 0};
         EXPECT_FALSE(w.p.store(w.B + 1024, std::as_bytes(std::span(&a, 1))));
         w.rec(w.p.getxattrat(p, "", kAT_EMPTY_PATH, "user.p", w.B + 1024, sizeof a));
       })},
      {"normal_getxattrat_empty",
       [](World& w) {
         const int n = w.normal();
         const XattrArgs a{.value = w.B, .size = 16, .flags = 0};
         EXPECT_FALSE(w.p.store(w.B + 1024, std::as_bytes(std::span(&a, 1))));
         w.rec(w.p.getxattrat(n, "", kAT_EMPTY_PATH, "user.p", w.B + 1024, sizeof a));
         EXPECT_EQ(w.p.close(n), Errno::kOk);
       }},
      {"opath_linkat_empty",
       op_case([](World& w, int p) {
         w.rec(w.p.linkat(p, "", kAT_FDCWD, "/lnk", kAT_EMPTY_PATH));
         w.x_exists("lnk");
       })},
      {"opath_openat_empty",
       op_case([](World& w, int p) { w.rec_fd(w.p.openat(p, "", kO_RDONLY)); })},
      {"opath_openat_child",
       op_case([](World& w, int p) { w.rec_fd(w.p.openat(p, "x", kO_RDONLY)); })},
      {"opath_fchdir_file", op_case([](World& w, int p) { w.rec(w.p.fchdir(p)); })},
      {"opathdir_fchdir",
       [](World& w) {
         const int pd = w.opath_dir();
         w.rec(w.p.fchdir(pd));
         EXPECT_EQ(w.p.chdir("/"), Errno::kOk);  // The probe restores its cwd.
         EXPECT_EQ(w.p.close(pd), Errno::kOk);
       }},
      {"opathdir_openat",
       [](World& w) {
         const int pd = w.opath_dir();
         w.rec_fd(w.p.openat(pd, "x", kO_RDWR | kO_CREAT, 0644));
         w.x_exists("d/x");
         EXPECT_EQ(w.p.close(pd), Errno::kOk);
       }},
      {"opathdir_fstatat",
       [](World& w) {
         const int pd = w.opath_dir();
         Result<Stat> st = w.p.fstatat(pd, ".", 0);
         w.rec(st ? Errno::kOk : st.error());
         w.out["fmt"] = st ? fmt_of(st->type) : "error";
         EXPECT_EQ(w.p.close(pd), Errno::kOk);
       }},
      {"opathdir_mkdirat",
       [](World& w) {
         const int pd = w.opath_dir();
         w.rec(w.p.mkdirat(pd, "sub", 0755));
         w.x_exists("d/sub");
         EXPECT_EQ(w.p.close(pd), Errno::kOk);
       }},
      {"opathdir_getdents",
       [](World& w) {
         const int pd = w.opath_dir();
         w.rec(w.p.getdents64(pd, w.B, 65536));
         EXPECT_EQ(w.p.close(pd), Errno::kOk);
       }},
      {"opathdir_read",
       [](World& w) {
         const int pd = w.opath_dir();
         w.rec(w.p.read(pd, w.B, 4));
         EXPECT_EQ(w.p.close(pd), Errno::kOk);
       }},
      {"opathlink_fstat",
       [](World& w) {
         const int fd = *w.p.open("/l", kO_PATH | kO_NOFOLLOW);
         Result<Stat> st = w.p.fstat(fd);
         w.rec(st ? Errno::kOk : st.error());
         w.out["fmt"] = st ? fmt_of(st->type) : "error";
         EXPECT_EQ(w.p.close(fd), Errno::kOk);
       }},
      {"opathlink_readlinkat",
       [](World& w) {
         const int fd = *w.p.open("/l", kO_PATH | kO_NOFOLLOW);
         w.rec(w.p.readlinkat(fd, "", w.B, 16));
         EXPECT_EQ(w.p.close(fd), Errno::kOk);
       }},
      {"opathfifo_read",
       [](World& w) {
         const int fd = *w.p.open("/p", kO_PATH);
         w.rec(w.p.read(fd, w.B, 4));
         EXPECT_EQ(w.p.close(fd), Errno::kOk);
       }},
  };
  return *all;
}

class OpenFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OpenFixtureTest, EveryCaseAnswersAsTheHostKernel) {
  EXPECT_EQ(not_modelled().size(), kNotModelled);
  auto play = [](const std::string& name, Json* got) {
    World w(GetParam());
    if (auto it = cases().find(name); it != cases().end()) {
      it->second(w);
    } else if (auto o = opath_cases().find(name); o != opath_cases().end()) {
      o->second(w);
    } else {
      return false;
    }
    *got = w.out;
    return true;
  };
  FixtureSkips skips;
  skips.row = [](const std::string& name) { return not_modelled().contains(name); };
  const FixtureRun run = run_fixture("open.jsonl", GetParam(), play, skips, /*exact=*/true);
  for (const auto& [name, reason] : not_modelled()) {
    EXPECT_TRUE(run.names.contains(name)) << "known difference for a case not in the fixture: " << name;
  }
  EXPECT_EQ(run.ran, 135) << "every case but the known differences runs";
  EXPECT_EQ(run.skipped, 2);
}

INSTANTIATE_TEST_SUITE_P(HostKernel, OpenFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
