// FICLONE, FICLONERANGE and FIDEDUPERANGE, case by case against the host
// kernel: every case of tests/probes/remap_probe.c is re-enacted on the
// simulator and must answer (ret, errno, the destination's size and content,
// and for dedupe every record's status and bytes_deduped read back) as Linux
// 6.18 recorded in tests/probes/fixtures/remap.jsonl, in the order the
// checks are made: descriptors, superblock, file types, access modes, "no
// remap op", then the ranges. The "tmpfs" column runs on shmfs; OTHER is a
// shmfs at /other. The "xfs" column runs on the XFS-like filesystem (fs/xfs), reflink
// included, and every row is compared. ext4's column
// (the same answers as tmpfs on all 86 cases) waits for the ext4-like one.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fs/shmfs/shmfs.h"
#include "tests/testing/host_fixture.h"
#include "tests/testing/probe_world.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kSize = 16384;
constexpr uint64_t kWindow = 65536;
constexpr int kBadFd = 1000;
constexpr int kOpenPath = 010000000;  // O_PATH
constexpr uint32_t kNobody = 65534;
constexpr int32_t kPresetStatus = 23130;
constexpr uint64_t kPresetBytes = 57005;
constexpr uint64_t kP63 = uint64_t{1} << 63;
constexpr uint64_t U(int64_t x) { return static_cast<uint64_t>(x); }

// The xfs column runs on the XFS-like filesystem, reflink and all: every
// row is compared.

std::vector<std::byte> pattern(char base) {
  std::vector<std::byte> b(kSize);
  for (uint64_t i = 0; i < kSize; ++i) b[i] = std::byte(static_cast<uint8_t>(base + i % 26));
  return b;
}

class World : public ProbeWorld {
 public:
  explicit World(const std::string& fs) : ProbeWorld(fs) {
    EXPECT_EQ(p.mkdir("/other", 0755), Errno::kOk);
    register_shmfs(vfs);
    EXPECT_EQ(vfs.mount("shmfs", nullptr, "size=16m", "/other", Creds::root()), Errno::kOk);
    s = make("/src", pattern('A'));
    d = make("/dst", pattern('a'));
    sm = make("/same", pattern('A'));
    M = vfs.root()->sb->maxbytes;
  }
  int make(const char* path, const std::vector<std::byte>& data) {
    const int f = *p.open(path, kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    EXPECT_EQ(*host::write(p, f, data), data.size());
    EXPECT_EQ(p.fsync(f), Errno::kOk);
    EXPECT_EQ(*p.lseek(f, 0, kSEEK_SET), 0);
    return f;
  }
  int open(const char* path, int flags) {
    Result<int> r = p.open(path, flags);
    EXPECT_TRUE(r.has_value()) << path;
    return r ? *r : -1;
  }
  int dir(const char* path = "/") { return open(path, kO_RDONLY | kO_DIRECTORY); }
  int fifo() {
    EXPECT_EQ(p.mkfifo("/p", 0644), Errno::kOk);
    return open("/p", kO_RDWR | kO_NONBLOCK);
  }
  int pipe_end(int which) {
    Result<std::pair<int, int>> pp = p.pipe2(kO_NONBLOCK);
    EXPECT_TRUE(pp.has_value());
    return pp ? (which == 0 ? pp->first : pp->second) : -1;
  }
  int other(int flags) {
    p.close(make("/other/o", pattern('A')));
    return open("/other/o", flags);
  }
  void trunc(const char* path, off_t64 n) { EXPECT_EQ(p.truncate(path, n), Errno::kOk); }
  int64_t size_path(const std::string& path) {
    Result<Stat> st = p.stat(path);
    return st ? static_cast<int64_t>(st->size) : -1;
  }
  std::vector<std::byte> head(const std::string& path) {
    const int f = *p.open(path, kO_RDONLY);
    std::vector<std::byte> b = read_file(f, 0, kWindow);
    p.close(f);
    return b;
  }

  int s = -1, d = -1, sm = -1;
  off_t64 M = 0;
};

// A snapshot of a regular file: size and first 64 KiB.
struct Snap {
  std::string path;
  int64_t size;
  std::vector<std::byte> head;
};
Snap take(World& w, const std::string& path) { return {path, w.size_path(path), w.head(path)}; }
bool unchanged(World& w, const Snap& s) {
  return w.size_path(s.path) == s.size && w.head(s.path) == s.head;
}

// Cl is one clone call: the ioctl's descriptor, the source (FICLONE's
// argument or FICLONERANGE's src_fd), the range, and the regular files to
// take bytes from and check (empty: not a regular file).
struct Cl {
  int dfd;
  int64_t src_fd;
  bool range = false;
  uint64_t so = 0, len = 0, dof = 0;
  std::string src_path = "/src";
  std::string dst_path = "/dst";
};

void do_clone(World& w, Cl c) {
  Process& p = w.p;
  const int64_t so = static_cast<int64_t>(c.so), dof = static_cast<int64_t>(c.dof);
  int64_t L = 0;
  std::vector<std::byte> srcb;
  if (!c.src_path.empty()) {
    const int64_t ssize = w.size_path(c.src_path);
    L = c.len ? static_cast<int64_t>(c.len) : ssize - so;
    if (L < 0 || (c.len && L > static_cast<int64_t>(kWindow)) || so < 0) L = 0;
    if (L > static_cast<int64_t>(kWindow)) L = 0;
    if (L > 0) {
      const int f = *p.open(c.src_path, kO_RDONLY);
      srcb = w.read_file(f, static_cast<uint64_t>(so), static_cast<uint64_t>(L));
      p.close(f);
      srcb.resize(static_cast<size_t>(L), std::byte{0});
    }
  }
  Snap old;
  if (!c.dst_path.empty()) old = take(w, c.dst_path);
  Errno e;
  if (c.range) {
    FileCloneRange a{.src_fd = c.src_fd, .src_offset = c.so, .src_length = c.len, .dest_offset = c.dof};
    e = host::ioctl(p, c.dfd, kFICLONERANGE, &a);
  } else {
    e = p.ioctl(c.dfd, kFICLONE, static_cast<uint64_t>(c.src_fd));
  }
  w.rec["ret"] = e == Errno::kOk ? 0 : -1;
  w.rec["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
  Result<Stat> st = p.fstat(c.dfd);
  w.rec["size_out"] = st && st->type == VType::kReg ? static_cast<int64_t>(st->size) : -1;
  w.rec["data_ok"] = nullptr;
  if (c.dst_path.empty()) return;
  if (e != Errno::kOk || L == 0) {
    w.rec["data_ok"] = unchanged(w, old);
    return;
  }
  const int64_t want = std::max(old.size, dof + L);
  bool ok = w.size_path(c.dst_path) == want;
  const uint64_t win = std::min<uint64_t>(static_cast<uint64_t>(want), kWindow);
  std::vector<std::byte> exp = old.head;
  exp.resize(kWindow, std::byte{0});
  for (int64_t i = 0; i < L; ++i) {
    if (static_cast<uint64_t>(dof + i) < win) exp[static_cast<size_t>(dof + i)] = srcb[static_cast<size_t>(i)];
  }
  exp.resize(win);
  std::vector<std::byte> got = w.head(c.dst_path);
  got.resize(win);
  ok = ok && got == exp;
  w.rec["data_ok"] = ok;
}

// Dd is one dedupe call.
struct Info {
  int64_t fd;
  int64_t off;
  uint32_t reserved = 0;
  std::string path;  // Regular file to check unchanged, or empty.
};
struct Dd {
  int sfd;
  std::string src_path = "/src";
  uint64_t so = 0, len = 0;
  int count = 0;
  std::vector<Info> in;
  uint16_t reserved1 = 0;
  uint32_t reserved2 = 0;
  bool unpriv = false;
  void add(int64_t fd, int64_t off, std::string path) {
    in.push_back({fd, off, 0, std::move(path)});
    count = static_cast<int>(in.size());
  }
};

constexpr int kMaxInfos = 128;

void do_dedupe(World& w, Dd dd) {
  Process& p = w.p;
  std::vector<std::byte> arg(sizeof(FileDedupeRange) + kMaxInfos * sizeof(FileDedupeRangeInfo));
  auto* a = reinterpret_cast<FileDedupeRange*>(arg.data());
  a->src_offset = dd.so;
  a->src_length = dd.len;
  a->dest_count = static_cast<uint16_t>(dd.count);
  a->reserved1 = dd.reserved1;
  a->reserved2 = dd.reserved2;
  auto* info = reinterpret_cast<FileDedupeRangeInfo*>(a + 1);
  for (int i = 0; i < kMaxInfos; ++i) {
    const Info& d = dd.in.empty() ? Info{0, 0} : dd.in[i < static_cast<int>(dd.in.size()) ? i : 0];
    info[i].dest_fd = d.fd;
    info[i].dest_offset = static_cast<uint64_t>(d.off);
    info[i].reserved = d.reserved;
    info[i].status = kPresetStatus;
    info[i].bytes_deduped = kPresetBytes;
  }
  std::vector<Snap> snaps;
  if (!dd.src_path.empty()) snaps.push_back(take(w, dd.src_path));
  for (const Info& d : dd.in) {
    if (!d.path.empty()) snaps.push_back(take(w, d.path));
  }
  // The unprivileged cases: a child dropped to nobody makes the call.
  std::unique_ptr<Process> child;
  if (dd.unpriv) child = p.fork(Creds::user(kNobody, kNobody), 2);
  Process& caller = child ? *child : p;
  const Errno e = host::ioctl_bytes(caller, dd.sfd, kFIDEDUPERANGE, arg);
  w.rec["ret"] = e == Errno::kOk ? 0 : -1;
  w.rec["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
  w.rec["size_out"] = !dd.in.empty() && !dd.in[0].path.empty() ? w.size_path(dd.in[0].path) : -1;
  bool ok = true;
  for (const Snap& s : snaps) ok = ok && unchanged(w, s);
  w.rec["data_ok"] = ok;
  if (!dd.in.empty() && !dd.in[0].path.empty() && dd.in[0].off >= 0 && dd.len > 0 &&
      dd.len <= kWindow) {
    const int f = *p.open(dd.in[0].path, kO_RDONLY);
    Fiemap fm{.fm_start = static_cast<uint64_t>(dd.in[0].off), .fm_length = dd.len,
              .fm_flags = kFIEMAP_FLAG_SYNC, .fm_extent_count = 32};
    const Errno fe = host::fiemap(p, f, &fm);
    p.close(f);
    if (fe != Errno::kOk) {
      w.rec["shared_bytes"] = nullptr;
    } else {
      const uint64_t lo0 = static_cast<uint64_t>(dd.in[0].off), hi0 = lo0 + dd.len;
      uint64_t total = 0;
      for (const FiemapExtent& x : fm.fm_extents) {
        if (!(x.fe_flags & kFIEMAP_EXTENT_SHARED)) continue;
        const uint64_t lo = std::max(x.fe_logical, lo0), hi = std::min(x.fe_logical + x.fe_length, hi0);
        if (hi > lo) total += hi - lo;
      }
      w.rec["shared_bytes"] = total;
    }
  }
  Json infos = Json::array();
  const int n = dd.count <= 8 ? dd.count : 0;
  for (int i = 0; i < n; ++i) {
    infos.push_back({{"status", info[i].status}, {"bytes_deduped", info[i].bytes_deduped}});
  }
  w.rec["infos"] = infos;
}

using Case = std::function<void(World&)>;

Cl cl(World& w) { return {w.d, w.s}; }
Cl cr(World& w, uint64_t so, uint64_t len, uint64_t dof) {
  Cl c = cl(w);
  c.range = true;
  c.so = so;
  c.len = len;
  c.dof = dof;
  return c;
}
Case clone_case(std::function<void(World&, Cl&)> body) {
  return [body](World& w) {
    Cl c = cl(w);
    body(w, c);
    do_clone(w, c);
  };
}
Case range_case(uint64_t so, uint64_t len, uint64_t dof,
                std::function<void(World&, Cl&)> body = [](World&, Cl&) {}) {
  return [=](World& w) {
    Cl c = cr(w, so, len, dof);
    body(w, c);
    do_clone(w, c);
  };
}
Case dd_case(uint64_t so, uint64_t len, std::function<void(World&, Dd&)> body) {
  return [=](World& w) {
    Dd d{.sfd = w.s, .so = so, .len = len};
    body(w, d);
    do_dedupe(w, d);
  };
}
void same0(World& w, Dd& d) { d.add(w.sm, 0, "/same"); }

const std::map<std::string, Case>& cases() {
  static const auto* all = new std::map<std::string, Case>{
      {"find_maxbytes",
       [](World& w) {
         w.rec = {{"ret", 0}, {"errno", ""}, {"size_out", -1}, {"data_ok", nullptr},
                  {"maxbytes", w.M}};
       }},
      {"ficlone_basic", clone_case([](World&, Cl&) {})},
      {"ficlone_src_wronly", clone_case([](World& w, Cl& c) { c.src_fd = w.open("/src", kO_WRONLY); })},
      {"ficlone_dst_rdonly", clone_case([](World& w, Cl& c) { c.dfd = w.open("/dst", kO_RDONLY); })},
      {"ficlone_dst_append",
       clone_case([](World& w, Cl& c) { c.dfd = w.open("/dst", kO_WRONLY | kO_APPEND); })},
      {"ficlone_src_dir",
       clone_case([](World& w, Cl& c) {
         c.src_fd = w.dir();
         c.src_path.clear();
       })},
      {"ficlone_dst_dir",
       clone_case([](World& w, Cl& c) {
         c.dfd = w.dir();
         c.dst_path.clear();
       })},
      {"ficlone_src_wronly_dst_dir",
       clone_case([](World& w, Cl& c) {
         c.src_fd = w.open("/src", kO_WRONLY);
         c.dfd = w.dir();
         c.dst_path.clear();
       })},
      {"ficlone_src_fifo",
       clone_case([](World& w, Cl& c) {
         c.src_fd = w.fifo();
         c.src_path.clear();
       })},
      {"ficlone_src_pipe",
       clone_case([](World& w, Cl& c) {
         c.src_fd = w.pipe_end(0);
         c.src_path.clear();
       })},
      {"ficlone_dst_fifo",
       clone_case([](World& w, Cl& c) {
         c.dfd = w.fifo();
         c.dst_path.clear();
       })},
      {"ficlone_src_other",
       clone_case([](World& w, Cl& c) {
         c.src_fd = w.other(kO_RDWR);
         c.src_path = "/other/o";
       })},
      {"ficlone_dst_other",
       clone_case([](World& w, Cl& c) {
         c.dfd = w.other(kO_RDWR);
         c.dst_path = "/other/o";
       })},
      {"ficlone_src_other_wronly",
       clone_case([](World& w, Cl& c) {
         c.src_fd = w.other(kO_WRONLY);
         c.src_path = "/other/o";
       })},
      {"ficlone_src_other_dir",
       clone_case([](World& w, Cl& c) {
         c.src_fd = w.dir("/other");
         c.src_path.clear();
       })},
      {"ficlone_same_file",
       clone_case([](World& w, Cl& c) {
         c.dfd = w.s;
         c.dst_path = "/src";
       })},
      {"ficlone_badfd",
       clone_case([](World&, Cl& c) {
         c.src_fd = kBadFd;
         c.src_path.clear();
       })},
      {"ficlone_src_opath", clone_case([](World& w, Cl& c) { c.src_fd = w.open("/src", kOpenPath); })},
      {"ficlone_dst_opath", clone_case([](World& w, Cl& c) { c.dfd = w.open("/dst", kOpenPath); })},
      {"ficlone_src_empty", clone_case([](World& w, Cl&) { w.trunc("/src", 0); })},
      {"ficlone_unaligned_into_bigger", clone_case([](World& w, Cl&) { w.trunc("/src", 10000); })},
      {"ficlone_unaligned_into_smaller",
       clone_case([](World& w, Cl&) {
         w.trunc("/src", 10000);
         w.trunc("/dst", 4096);
       })},
      {"ficlone_unaligned_into_equal",
       clone_case([](World& w, Cl&) {
         w.trunc("/src", 10000);
         w.trunc("/dst", 10000);
       })},
      {"fcr_basic", range_case(4096, 4096, 8192)},
      {"fcr_len0_to_eof", range_case(4096, 0, 0)},
      {"fcr_len0_at_eof", range_case(16384, 0, 0)},
      {"fcr_len0_past_eof", range_case(20480, 0, 0)},
      {"fcr_off_past_eof", range_case(20480, 4096, 0)},
      {"fcr_unaligned_src_off", range_case(100, 4096, 0)},
      {"fcr_unaligned_dst_off", range_case(0, 4096, 100)},
      {"fcr_unaligned_len_mid", range_case(0, 5000, 0)},
      {"fcr_unaligned_len_to_eof",
       range_case(8192, 1808, 16384, [](World& w, Cl&) { w.trunc("/src", 10000); })},
      {"fcr_len_past_eof", range_case(8192, 16384, 0)},
      {"fcr_neg_src_off", range_case(U(-4096), 4096, 0)},
      {"fcr_neg_dst_off", range_case(0, 4096, U(-4096))},
      {"fcr_len_2pow63", range_case(0, kP63, 0)},
      {"fcr_src_overflow", range_case(kP63 - 4096, 8192, 0)},
      {"fcr_dst_overflow", range_case(0, 8192, kP63 - 4096)},
      {"fcr_dst_16tib", range_case(0, 4096, uint64_t{1} << 44)},
      {"fcr_dst_near_llmax", range_case(0, 4096, kP63 - 8192)},
      {"fcr_same_overlap",
       range_case(0, 8192, 4096, [](World& w, Cl& c) {
         c.dfd = w.s;
         c.dst_path = "/src";
       })},
      {"fcr_same_nonoverlap",
       range_case(0, 4096, 8192, [](World& w, Cl& c) {
         c.dfd = w.s;
         c.dst_path = "/src";
       })},
      {"fcr_same_to_eof_append",
       range_case(0, 0, 16384, [](World& w, Cl& c) {
         c.dfd = w.s;
         c.dst_path = "/src";
       })},
      {"fcr_src_wronly_neg_off",
       range_case(U(-4096), 4096, 0, [](World& w, Cl& c) { c.src_fd = w.open("/src", kO_WRONLY); })},
      {"fcr_src_other_neg_off",
       range_case(U(-4096), 4096, 0, [](World& w, Cl& c) {
         c.src_fd = w.other(kO_RDWR);
         c.src_path = "/other/o";
       })},
      {"fcr_src_other_unaligned",
       range_case(100, 4096, 0, [](World& w, Cl& c) {
         c.src_fd = w.other(kO_RDWR);
         c.src_path = "/other/o";
       })},
      {"fcr_src_dir_unaligned",
       range_case(100, 4096, 0, [](World& w, Cl& c) {
         c.src_fd = w.dir();
         c.src_path.clear();
       })},
      {"fcr_src_dir_neg_off",
       range_case(U(-4096), 4096, 0, [](World& w, Cl& c) {
         c.src_fd = w.dir();
         c.src_path.clear();
       })},
      {"fcr_badfd_neg_off",
       range_case(U(-4096), 4096, 0, [](World&, Cl& c) {
         c.src_fd = kBadFd;
         c.src_path.clear();
       })},
      {"fcr_src_fd_high_bits",
       range_case(0, 4096, 0, [](World& w, Cl& c) { c.src_fd = (int64_t{1} << 32) + w.s; })},
      {"dd_same", dd_case(0, 8192, same0)},
      {"dd_differs", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.d, 0, "/dst"); })},
      {"dd_count0", dd_case(0, 8192, [](World&, Dd&) {})},
      {"dd_count128",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.count = 128;
       })},
      {"dd_reserved1",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.reserved1 = 1;
       })},
      {"dd_reserved2",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.reserved2 = 1;
       })},
      {"dd_src_wronly",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.sfd = w.open("/src", kO_WRONLY);
       })},
      {"dd_src_dir",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.sfd = w.dir();
         d.src_path.clear();
       })},
      {"dd_src_dir_reserved1",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.sfd = w.dir();
         d.src_path.clear();
         d.reserved1 = 1;
       })},
      {"dd_src_fifo",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.sfd = w.fifo();
         d.src_path.clear();
       })},
      {"dd_src_other",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.sfd = w.other(kO_RDWR);
         d.src_path = "/other/o";
       })},
      {"dd_src_len_past_eof", dd_case(8192, 16384, same0)},
      {"dd_src_neg_off", dd_case(U(-4096), 4096, same0)},
      {"dd_len0", dd_case(0, 0, same0)},
      {"dd_unaligned_len_mid", dd_case(0, 5000, same0)},
      {"dd_unaligned_len_eof",
       dd_case(8192, 1808, [](World& w, Dd& d) {
         w.trunc("/src", 10000);
         w.trunc("/same", 10000);
         d.add(w.sm, 8192, "/same");
       })},
      {"dd_eof_src_not_dst",
       dd_case(8192, 1808, [](World& w, Dd& d) {
         w.trunc("/src", 10000);
         d.add(w.sm, 8192, "/same");
       })},
      {"dd_info_badfd", dd_case(0, 8192, [](World&, Dd& d) { d.add(kBadFd, 0, ""); })},
      {"dd_info_reserved",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.in[0].reserved = 1;
       })},
      {"dd_info_badfd_reserved",
       dd_case(0, 8192, [](World&, Dd& d) {
         d.add(kBadFd, 0, "");
         d.in[0].reserved = 1;
       })},
      {"dd_info_other", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.other(kO_RDWR), 0, "/other/o"); })},
      {"dd_info_dir", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.dir(), 0, ""); })},
      {"dd_info_other_dir", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.dir("/other"), 0, ""); })},
      {"dd_info_fifo", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.fifo(), 0, ""); })},
      {"dd_info_pipe", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.pipe_end(1), 0, ""); })},
      {"dd_info_opath",
       dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.open("/same", kOpenPath), 0, "/same"); })},
      {"dd_info_rdonly",
       dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.open("/same", kO_RDONLY), 0, "/same"); })},
      {"dd_info_rdonly_unpriv",
       dd_case(0, 8192, [](World& w, Dd& d) {
         d.add(w.open("/same", kO_RDONLY), 0, "/same");
         d.unpriv = true;
       })},
      {"dd_info_rdonly_unpriv_owner",
       dd_case(0, 8192, [](World& w, Dd& d) {
         EXPECT_EQ(w.p.fchown(w.sm, kNobody, kNobody), Errno::kOk);
         d.add(w.open("/same", kO_RDONLY), 0, "/same");
         d.unpriv = true;
       })},
      {"dd_info_other_rdonly_unpriv",
       dd_case(0, 8192, [](World& w, Dd& d) {
         w.p.close(w.other(kO_RDWR));
         d.add(w.open("/other/o", kO_RDONLY), 0, "/other/o");
         d.unpriv = true;
       })},
      {"dd_info_dest_at_eof", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.sm, 16384, "/same"); })},
      {"dd_info_dest_unaligned", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.sm, 100, "/same"); })},
      {"dd_info_dest_neg", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.sm, -4096, "/same"); })},
      {"dd_info_same_file_overlap", dd_case(0, 8192, [](World& w, Dd& d) { d.add(w.s, 4096, "/src"); })},
      {"dd_info_same_file_nonoverlap",
       dd_case(0, 8192, [](World& w, Dd& d) {
         std::vector<std::byte> a = pattern('A');
         a.resize(8192);
         EXPECT_EQ(*host::pwrite(w.p, w.s, a, 8192), 8192u);
         EXPECT_EQ(w.p.fsync(w.s), Errno::kOk);
         d.add(w.s, 8192, "/src");
       })},
      {"dd_multi",
       dd_case(0, 8192, [](World& w, Dd& d) {
         same0(w, d);
         d.add(w.d, 0, "/dst");
         d.add(kBadFd, 0, "");
         d.add(w.other(kO_RDWR), 0, "/other/o");
       })},
  };
  return *all;
}

class RemapFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RemapFixtureTest, EveryCaseAnswersAsTheHostKernel) {
  const FixtureRun run = run_fixture("remap.jsonl", GetParam(), play_cases(cases(), GetParam()), {});
  EXPECT_EQ(run.ran, 86) << "every probed case runs";
  EXPECT_EQ(run.skipped, 0);
}

INSTANTIATE_TEST_SUITE_P(HostKernel, RemapFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
