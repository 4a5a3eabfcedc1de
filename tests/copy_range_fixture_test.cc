// copy_file_range(2), case by case against the host kernel: every case of
// tests/probes/copy_range_probe.c is re-enacted on the simulator and must
// answer (ret, errno, both file positions, both offsets read back, the
// destination's size and content, and whether the copy shares blocks) as
// Linux 6.18 recorded in tests/probes/fixtures/copy_range.jsonl. The
// "tmpfs" column runs on shmfs, "xfs" on the XFS-like filesystem (fs/xfs); OTHER,
// the second filesystem of the cross-filesystem cases, is a shmfs mounted
// at /other. ext4's column waits for the ext4-like filesystem.

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/testing/host_fixture.h"
#include "tests/testing/probe_world.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kSrcSize = 16384;
constexpr uint64_t kDstSize = 8192;
constexpr uint64_t kWindow = 65536;
constexpr int kBadFd = 1000;
constexpr int kOpenPath = 010000000;  // O_PATH
constexpr int64_t kLLMax = LLONG_MAX;
constexpr int64_t kLLMin = LLONG_MIN;
constexpr int64_t kTib16 = int64_t{1} << 44;
constexpr uint64_t kGib = uint64_t{1} << 30;

// The xfs column runs on the XFS-like filesystem: copies on one XFS share
// blocks through its remap op, as Linux's clone-first copy_file_range
// does, and every field is compared.

class World : public ProbeWorld {
 public:
  explicit World(const std::string& fs) : ProbeWorld(fs) {
    EXPECT_EQ(p.mkdir("/other", 0755), Errno::kOk);
    register_shmfs(vfs);
    EXPECT_EQ(vfs.mount("shmfs", nullptr, "size=16m", "/other", Creds::root()), Errno::kOk);
    src = make("/src", kSrcSize, 'A');
    dst = make("/dst", kDstSize, 'a');
    M = vfs.root()->sb->maxbytes;
  }
  int make(const char* path, uint64_t n, char base) {
    const int f = *p.open(path, kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    std::vector<std::byte> b(n);
    for (uint64_t i = 0; i < n; ++i) b[i] = std::byte(static_cast<uint8_t>(base + i % 26));
    EXPECT_EQ(*host::write(p, f, b), n);
    EXPECT_EQ(p.fsync(f), Errno::kOk);
    EXPECT_EQ(*p.lseek(f, 0, kSEEK_SET), 0);
    return f;
  }
  int open(const char* path, int flags) {
    Result<int> r = p.open(path, flags);
    EXPECT_TRUE(r.has_value()) << path;
    return r ? *r : -1;
  }
  // pipe_end: one end of a fresh pipe2(O_NONBLOCK) (0 read, 1 write).
  int pipe_end(int which) {
    Result<std::pair<int, int>> pp = p.pipe2(kO_NONBLOCK);
    EXPECT_TRUE(pp.has_value());
    return pp ? (which == 0 ? pp->first : pp->second) : -1;
  }
  int fifo() {
    EXPECT_EQ(p.mkfifo("/p", 0644), Errno::kOk);
    return open("/p", kO_RDWR | kO_NONBLOCK);
  }

  int src = -1;
  int dst = -1;
  off_t64 M = 0;
};

// Cp is one call: descriptors, offsets (nullopt: NULL, the file position),
// and the regular files to snapshot and check (empty: not a regular file).
struct Cp {
  int in;
  int out;
  std::optional<int64_t> off_in;
  std::optional<int64_t> off_out;
  uint64_t len;
  unsigned flags = 0;
  std::string in_path = "/src";
  std::string out_path = "/dst";
  bool bad_in = false;  // off_in is the unmapped address 8.
};

Cp cp(World& w, int64_t i, int64_t o, uint64_t len) { return {w.src, w.dst, i, o, len}; }

// do_copy makes the call and records what the probe records.
void do_copy(World& w, Cp c) {
  Process& p = w.p;
  auto pos = [&](int fd) -> int64_t {
    Result<off_t64> r = fd >= 0 ? p.lseek(fd, 0, kSEEK_CUR) : Fail(Errno::kEBADF);
    return r ? *r : -1;
  };
  auto read_path = [&](const std::string& path, uint64_t off, uint64_t n) {
    const int fd = *p.open(path, kO_RDONLY);
    std::vector<std::byte> b = w.read_file(fd, off, n);
    p.close(fd);
    return b;
  };
  auto size_path = [&](const std::string& path) -> int64_t {
    Result<Stat> st = p.stat(path);
    return st ? static_cast<int64_t>(st->size) : -1;
  };
  const int64_t in_start = c.off_in ? *c.off_in : pos(c.in);
  const int64_t out_start = c.off_out ? *c.off_out : pos(c.out);
  std::vector<std::byte> snap_in;
  if (!c.in_path.empty() && in_start >= 0) {
    snap_in = read_path(c.in_path, static_cast<uint64_t>(in_start), kWindow);
  }
  int64_t old_size = -1;
  std::vector<std::byte> old_out;
  if (!c.out_path.empty()) {
    old_size = size_path(c.out_path);
    old_out = read_path(c.out_path, 0, kWindow);
  }
  const uint64_t scratch = w.map_user(4096, std::byte{0});
  const uint64_t ui = scratch, uo = scratch + 8;
  if (c.off_in) {
    EXPECT_FALSE(p.store(ui, std::as_bytes(std::span(&*c.off_in, 1))));
  }
  if (c.off_out) {
    EXPECT_FALSE(p.store(uo, std::as_bytes(std::span(&*c.off_out, 1))));
  }
  const uint64_t arg_in = c.bad_in ? 8 : c.off_in ? ui : 0;
  const uint64_t arg_out = c.off_out ? uo : 0;
  Result<uint64_t> r = p.copy_file_range(c.in, arg_in, c.out, arg_out, c.len, c.flags);
  auto& rec = w.rec;
  rec["ret"] = r ? static_cast<int64_t>(*r) : -1;
  rec["errno"] = r ? "" : std::string(errno_name(r.error()));
  rec["pos_in"] = pos(c.in);
  rec["pos_out"] = pos(c.out);
  auto read_back = [&](uint64_t addr) {
    int64_t v = 0;
    EXPECT_EQ(p.mm().copy_in(addr, std::as_writable_bytes(std::span(&v, 1)), true), 8u);
    return v;
  };
  rec["off_in"] = c.off_in && !c.bad_in ? Json(read_back(ui)) : Json(nullptr);
  rec["off_out"] = c.off_out ? Json(read_back(uo)) : Json(nullptr);
  rec["size_out"] = -1;
  rec["data_ok"] = nullptr;
  if (c.out_path.empty()) return;

  const int64_t size_out = size_path(c.out_path);
  rec["size_out"] = size_out;
  const uint64_t n = r ? *r : 0;
  if (n > snap_in.size()) {  // Claimed more than the source had.
    rec["data_ok"] = false;
    return;
  }
  int64_t want = old_size;
  if (n > 0 && out_start + static_cast<int64_t>(n) > want) want = out_start + static_cast<int64_t>(n);
  bool ok = size_out == want;
  const uint64_t win = std::min<uint64_t>(static_cast<uint64_t>(want), kWindow);
  std::vector<std::byte> exp = old_out;
  exp.resize(kWindow, std::byte{0});
  for (uint64_t i = 0; i < n; ++i) {
    if (static_cast<uint64_t>(out_start) + i < win) exp[static_cast<uint64_t>(out_start) + i] = snap_in[i];
  }
  exp.resize(win);
  ok = ok && read_path(c.out_path, 0, win) == exp;
  if (ok && n > 0) {
    const std::vector<std::byte> got = read_path(c.out_path, static_cast<uint64_t>(out_start), n);
    ok = got == std::vector<std::byte>(snap_in.begin(), snap_in.begin() + static_cast<ptrdiff_t>(n));
  }
  rec["data_ok"] = ok;
  if (n > 0) {
    // FIEMAP (FIEMAP_FLAG_SYNC, 32 extents): an extent flagged SHARED
    // overlapping the copied bytes; null without FIEMAP.
    const int fd = *p.open(c.out_path, kO_RDONLY);
    Fiemap fm{.fm_start = static_cast<uint64_t>(out_start), .fm_length = n,
              .fm_flags = kFIEMAP_FLAG_SYNC, .fm_extent_count = 32};
    const Errno fe = host::fiemap(p, fd, &fm);
    p.close(fd);
    if (fe != Errno::kOk) {
      rec["shared"] = nullptr;
    } else {
      bool shared = false;
      for (const FiemapExtent& e : fm.fm_extents) {
        shared |= (e.fe_flags & kFIEMAP_EXTENT_SHARED) &&
                  e.fe_logical < static_cast<uint64_t>(out_start) + n &&
                  e.fe_logical + e.fe_length > static_cast<uint64_t>(out_start);
      }
      rec["shared"] = shared;
    }
  }
}

Cp same(World& w, int64_t i, int64_t o, uint64_t len) {
  Cp c = cp(w, i, o, len);
  c.out = w.src;
  c.out_path = "/src";
  return c;
}

Cp to_other(World& w, int64_t i, int64_t o, uint64_t len) {
  Cp c = cp(w, i, o, len);
  c.out = w.make("/other/o", kDstSize, 'a');
  c.out_path = "/other/o";
  return c;
}

using Case = std::function<void(World&)>;

Case simple(int64_t i, int64_t o, uint64_t len) {
  return [=](World& w) { do_copy(w, cp(w, i, o, len)); };
}

const std::map<std::string, Case>& cases() {
  static const auto* all = new std::map<std::string, Case>{
      {"find_maxbytes",
       [](World& w) {
         const int s = *w.p.open("/maxbytes", kO_RDWR | kO_CREAT, 0644);
         off_t64 found = kLLMax;
         if (w.p.ftruncate(s, kLLMax) != Errno::kOk) {
           off_t64 lo = 0, hi = kLLMax;
           while (hi - lo > 1) {
             const off_t64 mid = lo + (hi - lo) / 2;
             (w.p.ftruncate(s, mid) == Errno::kOk ? lo : hi) = mid;
           }
           found = lo;
         }
         w.rec = {{"ret", 0},        {"errno", ""},     {"pos_in", 0},   {"pos_out", 0},
                  {"off_in", nullptr}, {"off_out", nullptr}, {"size_out", -1}, {"data_ok", nullptr},
                  {"maxbytes", found}};
       }},
      {"basic", simple(0, 0, 4096)},
      {"len0", simple(0, 0, 0)},
      {"in_at_eof", simple(16384, 0, 100)},
      {"in_past_eof", simple(int64_t{1} << 20, 0, 100)},
      {"shorten_at_eof", simple(16000, 0, 1000)},
      {"extend_dest_hole", simple(0, 12288, 100)},
      {"len_size_max", simple(0, 0, SIZE_MAX)},
      {"len_size_max_off_in1", simple(1, 0, SIZE_MAX)},
      {"len_3g", simple(0, 0, 3 * kGib)},
      {"off_in_neg1", simple(-1, 0, 10)},
      {"off_in_neg4096", simple(-4096, 0, 10)},
      {"off_in_llmin", simple(kLLMin, 0, 10)},
      {"off_in_neg4096_len0", simple(-4096, 0, 0)},
      {"off_out_neg1", simple(0, -1, 10)},
      {"off_out_neg4096", simple(0, -4096, 10)},
      {"off_in_llmax_minus10", simple(kLLMax - 10, 0, 100)},
      {"off_out_llmax_minus10", simple(0, kLLMax - 10, 100)},
      {"off_out_llmax_len0", simple(0, kLLMax, 0)},
      {"off_out_max_minus10", [](World& w) { do_copy(w, cp(w, 0, w.M - 10, 100)); }},
      {"off_out_at_max", [](World& w) { do_copy(w, cp(w, 0, w.M, 100)); }},
      {"off_out_at_max_in_eof", [](World& w) { do_copy(w, cp(w, 16384, w.M, 100)); }},
      {"off_in_neg4096_out_at_max", [](World& w) { do_copy(w, cp(w, -4096, w.M, 10)); }},
      {"off_out_16tib", simple(0, kTib16, 100)},
      {"unaligned_len", simple(0, 0, 5000)},
      {"unaligned_off", simple(100, 0, 5000)},
      {"aligned_8192", simple(0, 0, 8192)},
      {"null_offsets",
       [](World& w) {
         w.p.lseek(w.src, 100, kSEEK_SET);
         w.p.lseek(w.dst, 50, kSEEK_SET);
         Cp c = cp(w, 0, 0, 1000);
         c.off_in = c.off_out = std::nullopt;
         do_copy(w, c);
       }},
      {"null_in_off_out",
       [](World& w) {
         w.p.lseek(w.src, 100, kSEEK_SET);
         Cp c = cp(w, 0, 100, 1000);
         c.off_in = std::nullopt;
         do_copy(w, c);
       }},
      {"same_overlap", [](World& w) { do_copy(w, same(w, 0, 100, 1000)); }},
      {"same_adjacent", [](World& w) { do_copy(w, same(w, 0, 4096, 4096)); }},
      {"same_extend", [](World& w) { do_copy(w, same(w, 0, 16384, 4096)); }},
      {"same_overlap_before_shortening", [](World& w) { do_copy(w, same(w, 12288, 16384, 8192)); }},
      {"same_in_at_eof", [](World& w) { do_copy(w, same(w, 16384, 16384, 100)); }},
      {"same_fd_null_offsets",
       [](World& w) {
         Cp c = same(w, 0, 0, 100);
         c.off_in = c.off_out = std::nullopt;
         do_copy(w, c);
       }},
      {"same_file_two_fds",
       [](World& w) {
         const int fd2 = w.open("/src", kO_RDWR);
         w.p.lseek(fd2, 16384, kSEEK_SET);
         Cp c = same(w, 0, 0, 4096);
         c.out = fd2;
         c.off_in = c.off_out = std::nullopt;
         do_copy(w, c);
       }},
      {"flags1",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.flags = 1;
         do_copy(w, c);
       }},
      {"badfd_in",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = kBadFd;
         c.in_path.clear();
         do_copy(w, c);
       }},
      {"badfd_out",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.out = kBadFd;
         c.out_path.clear();
         do_copy(w, c);
       }},
      {"badfd_in_flags1",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = kBadFd;
         c.in_path.clear();
         c.flags = 1;
         do_copy(w, c);
       }},
      {"efault_off_in",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.bad_in = true;
         do_copy(w, c);
       }},
      {"efault_off_in_flags1",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.bad_in = true;
         c.flags = 1;
         do_copy(w, c);
       }},
      {"efault_off_in_badfd_out",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.bad_in = true;
         c.out = kBadFd;
         c.out_path.clear();
         do_copy(w, c);
       }},
      {"in_wronly",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.open("/src", kO_WRONLY);
         do_copy(w, c);
       }},
      {"out_rdonly",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.out = w.open("/dst", kO_RDONLY);
         do_copy(w, c);
       }},
      {"out_append",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.out = w.open("/dst", kO_WRONLY | kO_APPEND);
         do_copy(w, c);
       }},
      {"out_append_in_past_eof",
       [](World& w) {
         Cp c = cp(w, int64_t{1} << 20, 0, 100);
         c.out = w.open("/dst", kO_WRONLY | kO_APPEND);
         do_copy(w, c);
       }},
      {"in_opath",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.open("/src", kOpenPath);
         do_copy(w, c);
       }},
      {"in_dir",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.open("/", kO_RDONLY | kO_DIRECTORY);
         c.in_path.clear();
         do_copy(w, c);
       }},
      {"out_dir",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.out = w.open("/", kO_RDONLY | kO_DIRECTORY);
         c.out_path.clear();
         do_copy(w, c);
       }},
      {"in_dir_out_rdonly",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.open("/", kO_RDONLY | kO_DIRECTORY);
         c.in_path.clear();
         c.out = w.open("/dst", kO_RDONLY);
         do_copy(w, c);
       }},
      {"in_dir_flags1",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.open("/", kO_RDONLY | kO_DIRECTORY);
         c.in_path.clear();
         c.flags = 1;
         do_copy(w, c);
       }},
      {"in_fifo",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.fifo();
         c.in_path.clear();
         c.off_in = std::nullopt;
         do_copy(w, c);
       }},
      {"out_fifo",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.out = w.fifo();
         c.out_path.clear();
         c.off_out = std::nullopt;
         do_copy(w, c);
       }},
      {"in_pipe",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.pipe_end(0);
         c.in_path.clear();
         c.off_in = std::nullopt;
         do_copy(w, c);
       }},
      {"out_pipe",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.out = w.pipe_end(1);
         c.out_path.clear();
         c.off_out = std::nullopt;
         do_copy(w, c);
       }},
      {"in_fifo_out_rdonly",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.in = w.fifo();
         c.in_path.clear();
         c.off_in = std::nullopt;
         c.out = w.open("/dst", kO_RDONLY);
         do_copy(w, c);
       }},
      {"cross_to_other", [](World& w) { do_copy(w, to_other(w, 0, 0, 4096)); }},
      {"cross_from_other",
       [](World& w) {
         Cp c = cp(w, 0, 0, 4096);
         c.in = w.make("/other/o", kSrcSize, 'A');
         c.in_path = "/other/o";
         do_copy(w, c);
       }},
      {"cross_in_wronly",
       [](World& w) {
         Cp c = to_other(w, 0, 0, 4096);
         c.in = w.open("/src", kO_WRONLY);
         do_copy(w, c);
       }},
      {"cross_neg_off", [](World& w) { do_copy(w, to_other(w, -4096, 0, 100)); }},
      {"cross_out_dir",
       [](World& w) {
         Cp c = cp(w, 0, 0, 100);
         c.out = w.open("/other", kO_RDONLY | kO_DIRECTORY);
         c.out_path.clear();
         do_copy(w, c);
       }},
      {"cross_flags1",
       [](World& w) {
         Cp c = to_other(w, 0, 0, 100);
         c.flags = 1;
         do_copy(w, c);
       }},
      {"cross_len0", [](World& w) { do_copy(w, to_other(w, 0, 0, 0)); }},
      {"eof_tail_into_middle",
       [](World& w) {
         w.p.ftruncate(w.src, 10000);
         do_copy(w, cp(w, 8192, 0, 4096));
       }},
      {"whole_unaligned_file",
       [](World& w) {
         w.p.ftruncate(w.src, 10000);
         do_copy(w, cp(w, 0, 0, 10000));
       }},
  };
  return *all;
}

class CopyRangeFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CopyRangeFixtureTest, EveryCaseAnswersAsTheHostKernel) {
  const FixtureRun run =
      run_fixture("copy_range.jsonl", GetParam(), play_cases(cases(), GetParam()), {});
  EXPECT_EQ(run.ran, 66) << "every probed case runs";
  EXPECT_EQ(run.skipped, 0);
}

INSTANTIATE_TEST_SUITE_P(HostKernel, CopyRangeFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
