// The read/write argument checks, case by case against the host kernel:
// every case of tests/probes/rw_checks_probe.c is re-enacted on the
// simulator and must answer (ret, errno, file position, size and the case's
// extras) as Linux 6.18 recorded in tests/probes/fixtures/rw_checks.jsonl.
// rw_verify_area, MAX_RW_COUNT, s_maxbytes, O_APPEND, fifos, directories,
// O_PATH descriptors, lseek and ftruncate/truncate limits. The "tmpfs"
// column runs on shmfs, "xfs" on the XFS-like filesystem (fs/xfs); ext4's column
// (1 KiB blocks, s_maxbytes 4398046510080) waits for the ext4-like
// filesystem.

#include <gtest/gtest.h>

#include <climits>
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

constexpr uint64_t kFileSize = 16384;
constexpr uint64_t kBufSize = 65536;
constexpr int kBadFd = 1000;
constexpr int kOpenPath = 010000000;  // O_PATH
constexpr int kRwfNoappend = 0x20;
constexpr int kUnknownRwf = 0x100000;
constexpr int64_t kLLMax = LLONG_MAX;
constexpr int64_t kLLMin = LLONG_MIN;
constexpr int64_t kTib16 = int64_t{1} << 44;
constexpr uint64_t kGib = uint64_t{1} << 30;
constexpr uint64_t kSsMax1 = uint64_t{1} << 63;
constexpr std::byte kDot{'.'};

std::byte orig(uint64_t i) { return std::byte(static_cast<uint8_t>('A' + i % 26)); }

// World: the probe's setup. /f holds the original 16 KiB (fd at offset 0);
// B is 64 KiB of '.'; the other descriptors are opened on demand.
class World : public ProbeWorld {
 public:
  explicit World(const std::string& fs) : ProbeWorld(fs) {
    fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    std::vector<std::byte> o(kFileSize);
    for (uint64_t i = 0; i < kFileSize; ++i) o[i] = orig(i);
    EXPECT_EQ(*host::write(p, fd, o), kFileSize);
    EXPECT_EQ(p.fsync(fd), Errno::kOk);
    EXPECT_EQ(*p.lseek(fd, 0, kSEEK_SET), 0);
    B = map_user(kBufSize, kDot);
    M = p.vfs().root()->sb->maxbytes;
  }
  int open(const char* path, int flags) {
    Result<int> r = p.open(path, flags);
    EXPECT_TRUE(r.has_value()) << path;
    return r ? *r : -1;
  }
  int wfd() { return open("/f", kO_WRONLY); }
  int rfd() { return open("/f", kO_RDONLY); }
  int afd() { return open("/f", kO_WRONLY | kO_APPEND); }
  int pfd() { return open("/f", kOpenPath); }
  int dfd() { return open("/", kO_RDONLY | kO_DIRECTORY); }
  int ffd() {
    EXPECT_EQ(p.mkfifo("/p", 0644), Errno::kOk);
    return open("/p", kO_RDWR | kO_NONBLOCK);
  }
  uint64_t iov(std::vector<UserIovec> v) {
    const uint64_t a = map_user(4096, std::byte{0});
    store_iov(a, std::move(v));
    return a;
  }
  // The common record: the call's answer on `on`, and f's size.
  template <typename T>
  void done(const T& r, int on) {
    result(r, on);
    rec["size"] = size_of(fd);
  }
  // file_ok: f's size is max(16384, at+n) and its content the original with
  // n '.' bytes at `at`.
  bool file_ok(uint64_t at, uint64_t n) {
    const uint64_t sz = std::max(kFileSize, at + n);
    if (size_of(fd) != sz) return false;
    const std::vector<std::byte> all = read_file(fd, 0, sz);
    if (all.size() != sz) return false;
    for (uint64_t i = 0; i < sz; ++i) {
      if (all[i] != (i >= at && i < at + n ? kDot : orig(i))) return false;
    }
    return true;
  }
  // data_ok: the max(ret,0) bytes at off read back as `v`.
  bool data_ok(off_t64 off, int64_t ret, std::byte v) {
    const uint64_t n = ret > 0 ? static_cast<uint64_t>(ret) : 0;
    const std::vector<std::byte> b = read_file(fd, static_cast<uint64_t>(off), n);
    return b.size() == n && std::all_of(b.begin(), b.end(), [&](std::byte x) { return x == v; });
  }

  int fd = -1;
  int a = -1;                // The O_APPEND descriptor of the append cases.
  bool zero_source = false;  // The write's source reads as zeros.
  uint64_t B = 0;
  off_t64 M = 0;
};

using Case = std::function<void(World&)>;

// append records an O_APPEND case: on w.a, and file_ok for what it claims.
template <typename T>
void append(World& w, const Result<T>& r, uint64_t at) {
  w.done(r, w.a);
  w.rec["file_ok"] = w.file_ok(at, r ? static_cast<uint64_t>(*r) : 0);
}

// max_write records an s_maxbytes case: data_ok for the bytes it claims.
template <typename T>
void max_write(World& w, const Result<T>& r, off_t64 off) {
  w.done(r, w.fd);
  w.rec["data_ok"] = w.data_ok(off, r ? static_cast<int64_t>(*r) : -1,
                               w.zero_source ? std::byte{0} : kDot);
}

// dio_3g: a 3 GiB O_DIRECT read of a 4 GiB file into G, a region made of
// 3072 shared mappings of one 1 MiB memfd, as the probe builds it.
void dio_3g(World& w, bool vector) {
  w.p.ftruncate(w.fd, static_cast<off_t64>(4 * kGib));
  const int x = w.open("/f", kO_RDONLY | kO_DIRECT);
  const int mfd = *w.p.memfd_create("rw_checks_buf");
  constexpr uint64_t kChunk = uint64_t{1} << 20;
  EXPECT_EQ(w.p.ftruncate(mfd, kChunk), Errno::kOk);
  const uint64_t G =
      *w.p.mmap(0, 3 * kGib, kProtNone, kMAP_PRIVATE | kMAP_ANONYMOUS | 0x4000 /*NORESERVE*/, -1, 0);
  for (uint64_t off = 0; off < 3 * kGib; off += kChunk) {
    ASSERT_TRUE(w.p.mmap(G + off, kChunk, kProtRead | kProtWrite, kMAP_SHARED | kMAP_FIXED, mfd, 0)
                    .has_value());
  }
  w.p.close(mfd);
  if (vector) {
    w.done(w.p.readv(x, w.iov({{G, 3 * kGib / 2}, {G + 3 * kGib / 2, 3 * kGib / 2}}), 2), x);
  } else {
    w.done(w.p.read(x, G, 3 * kGib), x);
  }
}

const std::map<std::string, Case>& cases() {
  static const auto* all = new std::map<std::string, Case>{
      {"find_maxbytes",
       [](World& w) {
         // The probe's binary search over ftruncate on a scratch file.
         const int s = w.open("/maxbytes", kO_RDWR | kO_CREAT);
         off_t64 found = 0;
         if (w.p.ftruncate(s, kLLMax) == Errno::kOk) {
           found = kLLMax;
         } else {
           off_t64 lo = 0, hi = kLLMax;  // ftruncate(lo) works, (hi) fails.
           while (hi - lo > 1) {
             const off_t64 mid = lo + (hi - lo) / 2;
             (w.p.ftruncate(s, mid) == Errno::kOk ? lo : hi) = mid;
           }
           found = lo;
         }
         w.p.close(s);
         w.done(Errno::kOk, w.fd);
         w.rec["maxbytes"] = found;
       }},
      // Reads: offsets and counts.
      {"read_basic", [](World& w) { w.done(w.p.read(w.fd, w.B, 100), w.fd); }},
      {"pread_neg1", [](World& w) { w.done(w.p.pread(w.fd, w.B, 10, -1), w.fd); }},
      {"pread_llmin", [](World& w) { w.done(w.p.pread(w.fd, w.B, 10, kLLMin), w.fd); }},
      {"pread_neg1_count0", [](World& w) { w.done(w.p.pread(w.fd, w.B, 0, -1), w.fd); }},
      {"pread_overflow", [](World& w) { w.done(w.p.pread(w.fd, w.B, 100, kLLMax - 10), w.fd); }},
      {"pread_end_at_llmax",
       [](World& w) { w.done(w.p.pread(w.fd, w.B, 10, kLLMax - 10), w.fd); }},
      {"pread_past_eof",
       [](World& w) { w.done(w.p.pread(w.fd, w.B, 100, int64_t{1} << 40), w.fd); }},
      {"pread_count_3g", [](World& w) { w.done(w.p.pread(w.fd, w.B, 3 * kGib, 0), w.fd); }},
      {"pread_count_ssmax1", [](World& w) { w.done(w.p.pread(w.fd, w.B, kSsMax1, 0), w.fd); }},
      {"readv_len_ssmax1",
       [](World& w) { w.done(w.p.readv(w.fd, w.iov({{w.B, kSsMax1}}), 1), w.fd); }},
      {"pread_tail_of_max_file",
       [](World& w) {
         w.p.ftruncate(w.fd, w.M);
         w.done(w.p.pread(w.fd, w.B, 10, w.M - 10), w.fd);
       }},
      {"pread_straddle_max_file",
       [](World& w) {
         w.p.ftruncate(w.fd, w.M);
         w.done(w.p.pread(w.fd, w.B, 100, w.M - 10), w.fd);
       }},
      {"read_fpos_near_max",
       [](World& w) {
         Result<off_t64> s = w.p.lseek(w.fd, w.M - 10, kSEEK_SET);
         w.done(w.p.read(w.fd, w.B, 100), w.fd);
         w.rec["seek"] = s ? *s : -1;
       }},
      {"read_dio_3g_clamped", [](World& w) { dio_3g(w, /*vector=*/false); }},
      {"readv_dio_3g_clamped", [](World& w) { dio_3g(w, /*vector=*/true); }},
      // preadv2 and offset -1.
      {"preadv2_neg1_uses_fpos",
       [](World& w) {
         w.p.lseek(w.fd, 100, kSEEK_SET);
         w.done(w.p.preadv2(w.fd, w.iov({{w.B, 10}}), 1, -1, 0), w.fd);
       }},
      {"preadv2_neg2",
       [](World& w) { w.done(w.p.preadv2(w.fd, w.iov({{w.B, 10}}), 1, -2, 0), w.fd); }},
      {"preadv2_overflow",
       [](World& w) {
         w.done(w.p.preadv2(w.fd, w.iov({{w.B, 100}}), 1, kLLMax - 10, 0), w.fd);
       }},
      {"preadv2_len0_neg2",
       [](World& w) { w.done(w.p.preadv2(w.fd, w.iov({{w.B, 0}}), 1, -2, 0), w.fd); }},
      {"preadv2_len0_badflag",
       [](World& w) { w.done(w.p.preadv2(w.fd, w.iov({{w.B, 0}}), 1, 0, kUnknownRwf), w.fd); }},
      {"preadv2_badflag",
       [](World& w) { w.done(w.p.preadv2(w.fd, w.iov({{w.B, 10}}), 1, 0, kUnknownRwf), w.fd); }},
      // Bad descriptors and wrong modes: which error wins.
      {"read_badfd", [](World& w) { w.done(w.p.read(kBadFd, w.B, 10), kBadFd); }},
      {"pread_badfd_neg1", [](World& w) { w.done(w.p.pread(kBadFd, w.B, 10, -1), kBadFd); }},
      {"pread_wronly",
       [](World& w) {
         const int f = w.wfd();
         w.done(w.p.pread(f, w.B, 10, 0), f);
       }},
      {"pread_wronly_neg1",
       [](World& w) {
         const int f = w.wfd();
         w.done(w.p.pread(f, w.B, 10, -1), f);
       }},
      {"pread_wronly_overflow",
       [](World& w) {
         const int f = w.wfd();
         w.done(w.p.pread(f, w.B, 100, kLLMax - 10), f);
       }},
      {"pwrite_rdonly",
       [](World& w) {
         const int f = w.rfd();
         w.done(w.p.pwrite(f, w.B, 10, 0), f);
       }},
      {"pwrite_rdonly_neg1",
       [](World& w) {
         const int f = w.rfd();
         w.done(w.p.pwrite(f, w.B, 10, -1), f);
       }},
      {"readv_wronly_len_ssmax1",
       [](World& w) {
         const int f = w.wfd();
         w.done(w.p.readv(f, w.iov({{w.B, kSsMax1}}), 1), f);
       }},
      {"read_opath",
       [](World& w) {
         const int f = w.pfd();
         w.done(w.p.read(f, w.B, 10), f);
       }},
      {"pread_opath_neg1",
       [](World& w) {
         const int f = w.pfd();
         w.done(w.p.pread(f, w.B, 10, -1), f);
       }},
      {"write_opath",
       [](World& w) {
         const int f = w.pfd();
         w.done(w.p.write(f, w.B, 10), f);
       }},
      // Directories.
      {"read_dir",
       [](World& w) {
         const int f = w.dfd();
         w.done(w.p.read(f, w.B, 10), f);
       }},
      {"read_dir_count0",
       [](World& w) {
         const int f = w.dfd();
         w.done(w.p.read(f, w.B, 0), f);
       }},
      {"readv_dir_len0",
       [](World& w) {
         const int f = w.dfd();
         w.done(w.p.readv(f, w.iov({{w.B, 0}}), 1), f);
       }},
      {"pread_dir_neg1",
       [](World& w) {
         const int f = w.dfd();
         w.done(w.p.pread(f, w.B, 10, -1), f);
       }},
      {"pread_dir_overflow",
       [](World& w) {
         const int f = w.dfd();
         w.done(w.p.pread(f, w.B, 100, kLLMax - 10), f);
       }},
      {"write_dir",
       [](World& w) {
         const int f = w.dfd();
         w.done(w.p.write(f, w.B, 10), f);
       }},
      // Fifos.
      {"fifo_read_empty",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.read(f, w.B, 10), f);
       }},
      {"fifo_read_count0",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.read(f, w.B, 0), f);
       }},
      {"fifo_read_no_writer",
       [](World& w) {
         EXPECT_EQ(w.p.mkfifo("/p", 0644), Errno::kOk);
         const int f = w.open("/p", kO_RDONLY | kO_NONBLOCK);
         w.done(w.p.read(f, w.B, 10), f);
       }},
      {"fifo_pread",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.pread(f, w.B, 10, 0), f);
       }},
      {"fifo_pread_neg1",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.pread(f, w.B, 10, -1), f);
       }},
      {"fifo_pread_overflow",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.pread(f, w.B, 100, kLLMax - 10), f);
       }},
      {"fifo_preadv2_neg1",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.preadv2(f, w.iov({{w.B, 10}}), 1, -1, 0), f);
       }},
      {"fifo_pwrite",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.pwrite(f, w.B, 10, 0), f);
       }},
      {"fifo_write",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.write(f, w.B, 10), f);
         const uint64_t buf = w.map_user(4096, std::byte{0});
         Result<uint64_t> back = w.p.read(f, buf, 100);
         w.rec["read_back"] = back ? static_cast<int64_t>(*back) : -1;
       }},
      {"fifo_lseek",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.lseek(f, 0, kSEEK_SET), f);
       }},
      // O_APPEND.
      {"pwrite_append", [](World& w) { append(w, w.p.pwrite(w.a = w.afd(), w.B, 10, 0), 16384); }},
      {"write_append", [](World& w) { append(w, w.p.write(w.a = w.afd(), w.B, 10), 16384); }},
      {"pwrite_append_overflow",
       [](World& w) { append(w, w.p.pwrite(w.a = w.afd(), w.B, 100, kLLMax - 10), 16384); }},
      {"pwrite_append_high_pos",
       [](World& w) { append(w, w.p.pwrite(w.a = w.afd(), w.B, 10, kLLMax - 10), 16384); }},
      {"pwritev2_append_noappend",
       [](World& w) {
         w.a = w.afd();
         append(w, w.p.pwritev2(w.a, w.iov({{w.B, 10}}), 1, 0, kRwfNoappend), 0);
       }},
      // s_maxbytes.
      {"pwrite_fits_max", [](World& w) { max_write(w, w.p.pwrite(w.fd, w.B, 10, w.M - 10), w.M - 10); }},
      {"pwrite_straddle_max",
       [](World& w) { max_write(w, w.p.pwrite(w.fd, w.B, 100, w.M - 10), w.M - 10); }},
      {"pwrite_at_max", [](World& w) { max_write(w, w.p.pwrite(w.fd, w.B, 100, w.M), w.M); }},
      {"pwrite_at_max_count0", [](World& w) { max_write(w, w.p.pwrite(w.fd, w.B, 0, w.M), w.M); }},
      {"pwritev_straddle_max",
       [](World& w) {
         const uint64_t v = w.iov({{w.B, 5}, {w.B + 5, 95}});
         max_write(w, w.p.pwritev2(w.fd, v, 2, w.M - 10, 0), w.M - 10);
       }},
      {"write_fpos_straddle_max",
       [](World& w) {
         w.p.lseek(w.fd, w.M - 10, kSEEK_SET);
         max_write(w, w.p.write(w.fd, w.B, 100), w.M - 10);
       }},
      {"write_fpos_at_max",
       [](World& w) {
         w.p.lseek(w.fd, w.M, kSEEK_SET);
         max_write(w, w.p.write(w.fd, w.B, 10), w.M);
       }},
      {"pwrite_16tib", [](World& w) { max_write(w, w.p.pwrite(w.fd, w.B, 10, kTib16), kTib16); }},
      {"pwrite_llmax_minus10",
       [](World& w) { max_write(w, w.p.pwrite(w.fd, w.B, 10, kLLMax - 10), kLLMax - 10); }},
      {"pwrite_3g_straddle_max",
       [](World& w) {
         const uint64_t z =
             *w.p.mmap(0, 3 * kGib, kProtRead, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
         w.zero_source = true;
         max_write(w, w.p.pwrite(w.fd, z, 3 * kGib, w.M - 10), w.M - 10);
       }},
      {"pwrite_count_ssmax1", [](World& w) { w.done(w.p.pwrite(w.fd, w.B, kSsMax1, 0), w.fd); }},
      // lseek.
      {"lseek_neg", [](World& w) { w.done(w.p.lseek(w.fd, -1, kSEEK_SET), w.fd); }},
      {"lseek_to_max", [](World& w) { w.done(w.p.lseek(w.fd, w.M, kSEEK_SET), w.fd); }},
      {"lseek_llmax", [](World& w) { w.done(w.p.lseek(w.fd, kLLMax, kSEEK_SET), w.fd); }},
      {"lseek_16tib", [](World& w) { w.done(w.p.lseek(w.fd, kTib16, kSEEK_SET), w.fd); }},
      {"lseek_cur_overflow",
       [](World& w) {
         w.p.lseek(w.fd, w.M, kSEEK_SET);
         w.done(w.p.lseek(w.fd, w.M, kSEEK_CUR), w.fd);
       }},
      {"lseek_end_past_max", [](World& w) { w.done(w.p.lseek(w.fd, w.M, kSEEK_END), w.fd); }},
      // ftruncate / truncate.
      {"ftruncate_neg", [](World& w) { w.done(w.p.ftruncate(w.fd, -1), w.fd); }},
      {"ftruncate_badfd", [](World& w) { w.done(w.p.ftruncate(kBadFd, 0), kBadFd); }},
      {"ftruncate_badfd_neg", [](World& w) { w.done(w.p.ftruncate(kBadFd, -1), kBadFd); }},
      {"ftruncate_rdonly",
       [](World& w) {
         const int f = w.rfd();
         w.done(w.p.ftruncate(f, 0), f);
       }},
      {"ftruncate_rdonly_llmax",
       [](World& w) {
         const int f = w.rfd();
         w.done(w.p.ftruncate(f, kLLMax), f);
       }},
      {"ftruncate_dir",
       [](World& w) {
         const int f = w.dfd();
         w.done(w.p.ftruncate(f, 0), f);
       }},
      {"ftruncate_fifo",
       [](World& w) {
         const int f = w.ffd();
         w.done(w.p.ftruncate(f, 0), f);
       }},
      {"ftruncate_opath",
       [](World& w) {
         const int f = w.pfd();
         w.done(w.p.ftruncate(f, 0), f);
       }},
      {"ftruncate_append",
       [](World& w) {
         const int f = w.afd();
         w.done(w.p.ftruncate(f, 100), f);
       }},
      {"ftruncate_max", [](World& w) { w.done(w.p.ftruncate(w.fd, w.M), w.fd); }},
      {"ftruncate_max_plus1",
       [](World& w) {
         const off_t64 m1 = static_cast<off_t64>(static_cast<uint64_t>(w.M) + 1);
         w.done(w.p.ftruncate(w.fd, m1), w.fd);
       }},
      {"ftruncate_16tib", [](World& w) { w.done(w.p.ftruncate(w.fd, kTib16), w.fd); }},
      {"ftruncate_llmax", [](World& w) { w.done(w.p.ftruncate(w.fd, kLLMax), w.fd); }},
      {"truncate_neg_missing", [](World& w) { w.done(w.p.truncate("/missing", -1), w.fd); }},
      {"truncate_missing", [](World& w) { w.done(w.p.truncate("/missing", 0), w.fd); }},
      {"truncate_dir", [](World& w) { w.done(w.p.truncate("/", 0), w.fd); }},
      {"truncate_fifo",
       [](World& w) {
         EXPECT_EQ(w.p.mkfifo("/p", 0644), Errno::kOk);
         w.done(w.p.truncate("/p", 0), w.fd);
       }},
      {"truncate_max_plus1",
       [](World& w) {
         const off_t64 m1 = static_cast<off_t64>(static_cast<uint64_t>(w.M) + 1);
         w.done(w.p.truncate("/f", m1), w.fd);
       }},
  };
  return *all;
}

class RwChecksFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RwChecksFixtureTest, EveryCaseAnswersAsTheHostKernel) {
  const FixtureRun run = run_fixture("rw_checks.jsonl", GetParam(), play_cases(cases(), GetParam()));
  EXPECT_EQ(run.ran, 89) << "every probed case runs";
}

INSTANTIATE_TEST_SUITE_P(HostKernel, RwChecksFixtureTest, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
