// Fault injection at every step of the XFS-like filesystem's multi-step
// operations: each scenario runs once to count the hits of a fault point
// during the operation, then once per hit with that hit failing (the plan
// is armed after the setup, and each faulted run checks that exactly one
// fault fired). Whatever fails, fsck stays clean, and each operation
// either did all it reports or left the file as the kernel's order of
// steps leaves it (each scenario says what that is).

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <string>

#include "fs/xfs/testing.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

class XfsFaultWorld : public XfsFixture {
 public:
  // dax: 1 GiB pmem mounted dax=always instead of the block device.
  explicit XfsFaultWorld(bool dax) : XfsFixture("", dax ? "dax=always" : "", dax) {}
  void TestBody() override {}
  void up() { SetUp(); }
  using XfsFixture::expect_clean;
  using XfsFixture::mount;
  using XfsFixture::m;
  using XfsFixture::p;
  // stop_faults ends the operation under test: every plan is disarmed and
  // the point's hits so far are kept, so the checks that follow (reads)
  // are neither faulted nor counted.
  void stop_faults() {
    if (!stopped_) hits_at_stop_ = m.faults.hits(point);
    stopped_ = true;
    m.faults.disarm_all();
  }
  uint64_t hits_at_stop() {
    stop_faults();
    return hits_at_stop_;
  }
  std::string point;
  int f = -1, g = -1;  // The scenario's files.

 private:
  bool stopped_ = false;
  uint64_t hits_at_stop_ = 0;
};

struct Scenario {
  std::string name;
  bool dax;  // On pmem (dax=always) rather than the block device.
  std::function<void(XfsFaultWorld&)> setup;  // Not faulted.
  // run performs the operation under test and checks what it reports
  // against what the file holds.
  std::function<void(XfsFaultWorld&)> run;
};


std::vector<std::byte> bytes(uint64_t n, char c) { return std::vector<std::byte>(n, std::byte(c)); }

// fragmented_bytes is what fragmented(n) leaves in /f: block 2i holds
// 'a' + i, block 2i + 1 holds 'A' + i for even i and is a hole for odd i.
std::vector<std::byte> fragmented_bytes(int n) {
  std::vector<std::byte> want(static_cast<size_t>(n) * 8192);
  for (int i = 0; i < n; ++i) {
    std::fill_n(want.begin() + i * 8192, 4096, std::byte('a' + i % 26));
    if (i % 2 == 0) std::fill_n(want.begin() + i * 8192 + 4096, 4096, std::byte('A' + i % 26));
  }
  // EOF is the end of the last write: 'A' + i (even i) or 'a' + i.
  want.resize((n - 1) * 8192 + ((n - 1) % 2 == 0 ? 8192 : 4096));
  return want;
}

std::vector<std::byte> read_all(XfsFaultWorld& w, int fd) {
  std::vector<std::byte> got(w.p.fstat(fd)->size);
  EXPECT_EQ(*host::pread(w.p, fd, got, 0), got.size());
  return got;
}

// expect_punched_from_end: what a punch of [from, to) that failed part
// way leaves, in xfs_free_file_space's order: the range written back
// first, then the whole blocks unmapped from the end of the range back
// (xfs_bunmapi, two records per transaction), then the partial head block
// zeroed. So `got` equals `was` outside [from, to), and inside it from
// some point k to `to` it is zero: k = `to` (nothing unmapped), a block
// boundary (the transactions after it committed), or `from` (all of it,
// the head's zeroing done).
void expect_punched_from_end(const std::vector<std::byte>& got, const std::vector<std::byte>& was,
                             uint64_t from, uint64_t to) {
  ASSERT_EQ(got.size(), was.size());
  to = std::min<uint64_t>(to, got.size());
  uint64_t k = 0;
  while (k < got.size() && got[k] == was[k]) ++k;
  if (k == got.size()) return;
  ASSERT_GE(k, from) << "changed before the range";
  EXPECT_TRUE(k == from || k % 4096 == 0) << "first change at " << k << ": not a block boundary";
  for (uint64_t i = k; i < got.size(); ++i) {
    const std::byte want = i < to ? std::byte{0} : was[i];
    if (got[i] != want) {
      ADD_FAILURE() << "byte " << i << " is " << int(got[i]) << ", want " << int(want)
                    << " (unmapped from " << k << ")";
      return;
    }
  }
}

// A file of `n` 4 KiB extents separated by holes, written back, and its
// holes then filled with dirty delalloc data: the operation under test has
// to write back (device writes, delalloc conversion) before it can act.
void fragmented(XfsFaultWorld& w, int n) {
  w.f = *w.p.open("/f", kO_RDWR | kO_CREAT, 0644);
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(*host::pwrite(w.p, w.f, bytes(4096, 'a' + i % 26), i * 8192), 4096u);
  }
  ASSERT_EQ(w.p.fsync(w.f), Errno::kOk);
  for (int i = 0; i < n; i += 2) {
    ASSERT_EQ(*host::pwrite(w.p, w.f, bytes(4096, 'A' + i % 26), i * 8192 + 4096), 4096u);
  }
  w.g = *w.p.open("/g", kO_RDWR | kO_CREAT, 0644);
}

// A buffered write of 64 KiB over a cloned (shared) file, then fsync:
// writeback converts the CoW reservation, writes, and remaps.
void cow_write(XfsFaultWorld& w) {
  const int f = w.f, g = w.g;
  const std::vector<std::byte> data = bytes(65536, 'n');
  Result<uint64_t> r = host::pwrite(w.p, g, data, 4096);
  const Errno e = w.p.fsync(g);
  w.stop_faults();  // What follows checks; it is not under test.
  std::vector<std::byte> got(65536 + 8192);
  const uint64_t n = *host::pread(w.p, g, got, 0);
  got.resize(n);
  std::vector<std::byte> want = bytes(16 * 4096, 'o');
  want.resize(std::max<uint64_t>(16 * 4096, r ? 4096 + *r : 0));
  if (r) std::copy(data.begin(), data.begin() + static_cast<ptrdiff_t>(*r), want.begin() + 4096);
  // After a failed writeback the page cache still holds the bytes written
  // (the error is reported by fsync), so reads agree with what pwrite said.
  EXPECT_EQ(got, want) << "pwrite " << (r ? std::to_string(*r) : std::string(errno_name(r.error())))
                       << ", fsync " << errno_name(e);
  // The source never changes.
  std::vector<std::byte> src(16 * 4096);
  ASSERT_EQ(*host::pread(w.p, f, src, 0), src.size());
  EXPECT_EQ(src, bytes(16 * 4096, 'o'));
}

// A punch across the 64 extents of fragmented(w, 64), from inside the
// first block to past EOF.
void punch_across_extents(XfsFaultWorld& w) {
  const Errno e = w.p.fallocate(w.f, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 1000, 64 * 8192);
  w.stop_faults();
  const std::vector<std::byte> was = fragmented_bytes(64);
  const std::vector<std::byte> got = read_all(w, w.f);
  if (e == Errno::kOk) {
    std::vector<std::byte> want = was;
    std::fill(want.begin() + 1000, want.end(), std::byte{0});
    EXPECT_EQ(got, want);
  } else {
    expect_punched_from_end(got, was, 1000, was.size());
  }
}

std::vector<Scenario> scenarios() {
  return {
      {"punch_across_extents", false, [](XfsFaultWorld& w) { fragmented(w, 64); }, punch_across_extents},
      {"dax_punch_across_extents", true, [](XfsFaultWorld& w) { fragmented(w, 64); }, punch_across_extents},
      {"collapse", false, [](XfsFaultWorld& w) { fragmented(w, 32); },
       [](XfsFaultWorld& w) {
         const Errno e = w.p.fallocate(w.f, kFALLOC_FL_COLLAPSE_RANGE, 8192, 8192);
         w.stop_faults();
         const std::vector<std::byte> was = fragmented_bytes(32);
         const std::vector<std::byte> got = read_all(w, w.f);
         if (e == Errno::kOk) {
           std::vector<std::byte> want = was;
           want.erase(want.begin() + 8192, want.begin() + 16384);
           EXPECT_EQ(got, want);
         } else {
           // xfs_falloc_collapse_range sets the size only after
           // xfs_collapse_file_space succeeded; the failures here come
           // before any extent moved (the range's writeback and punch).
           expect_punched_from_end(got, was, 8192, 16384);
         }
       }},
      {"insert", false, [](XfsFaultWorld& w) { fragmented(w, 32); },
       [](XfsFaultWorld& w) {
         const Errno e = w.p.fallocate(w.f, kFALLOC_FL_INSERT_RANGE, 8192, 8192);
         w.stop_faults();
         std::vector<std::byte> want = fragmented_bytes(32);
         if (e == Errno::kOk) {
           want.insert(want.begin() + 8192, 8192, std::byte{0});
         } else {
           // xfs_falloc_insert_range grows the size (xfs_falloc_setsize)
           // before xfs_insert_file_space, whose writeback failed before
           // any extent moved: the new bytes are at EOF.
           want.resize(want.size() + 8192);
         }
         EXPECT_EQ(read_all(w, w.f), want);
       }},
      {"reflink", false, [](XfsFaultWorld& w) { fragmented(w, 32); },
       [](XfsFaultWorld& w) {
         const Errno e = host::ficlone(w.p, w.g, w.f);
         w.stop_faults();
         EXPECT_EQ(read_all(w, w.f), fragmented_bytes(32));  // The source never changes.
         if (e == Errno::kOk) {
           EXPECT_EQ(read_all(w, w.g), fragmented_bytes(32));
         } else {
           EXPECT_EQ(w.p.fstat(w.g)->size, 0u);
         }
       }},
      {"cow_write", false,
       [](XfsFaultWorld& w) {
         w.f = *w.p.open("/f", kO_RDWR | kO_CREAT, 0644);
         w.g = *w.p.open("/g", kO_RDWR | kO_CREAT, 0644);
         ASSERT_EQ(*host::pwrite(w.p, w.f, bytes(16 * 4096, 'o'), 0), 16u * 4096);
         ASSERT_EQ(w.p.fsync(w.f), Errno::kOk);
         ASSERT_EQ(host::ficlone(w.p, w.g, w.f), Errno::kOk);
       },
       cow_write},
      {"delalloc_writeback", false,
       [](XfsFaultWorld& w) { w.f = *w.p.open("/f", kO_RDWR | kO_CREAT, 0644); },
       [](XfsFaultWorld& w) {
         const std::vector<std::byte> data = bytes(1 << 20, 'd');
         Result<uint64_t> r = host::pwrite(w.p, w.f, data, 0);
         w.p.fsync(w.f);
         w.stop_faults();
         std::vector<std::byte> got(1 << 20);
         const uint64_t n = *host::pread(w.p, w.f, got, 0);
         EXPECT_EQ(n, r ? *r : 0);
         got.resize(n);
         EXPECT_EQ(got, bytes(n, 'd'));
       }},
      {"direct_write", false,
       [](XfsFaultWorld& w) { w.f = *w.p.open("/f", kO_RDWR | kO_CREAT | kO_DIRECT, 0644); },
       [](XfsFaultWorld& w) {
         Result<uint64_t> r = host::pwrite(w.p, w.f, bytes(256 * 1024, 'x'), 0);
         w.stop_faults();
         // Direct I/O reports all or nothing (a failed bio fails the call).
         EXPECT_EQ(read_all(w, w.f), bytes(r ? *r : 0, 'x'));
         if (r) {
           EXPECT_EQ(*r, 256u * 1024);
         }
       }},
      {"dax_write",
       true,
       [](XfsFaultWorld& w) {
         // Four written extents with holes between them: the write fills
         // the holes (allocation, zeroing through pmem) and overwrites.
         w.f = *w.p.open("/f", kO_RDWR | kO_CREAT, 0644);
         for (int i = 0; i < 4; ++i) ASSERT_EQ(*host::pwrite(w.p, w.f, bytes(4096, 'a'), i * 65536), 4096u);
       },
       [](XfsFaultWorld& w) {
         Result<uint64_t> r = host::pwrite(w.p, w.f, bytes(256 * 1024, 'x'), 0);
         w.stop_faults();
         // A DAX write copies extent by extent (dax_iomap_rw): a failure
         // after the first returns the bytes copied before it, and the
         // file holds exactly those; the rest is as it was.
         std::vector<std::byte> want(3 * 65536 + 4096);
         for (int i = 0; i < 4; ++i) std::fill_n(want.begin() + i * 65536, 4096, std::byte('a'));
         const uint64_t n = r ? *r : 0;
         if (n > want.size()) want.resize(n);
         std::fill_n(want.begin(), n, std::byte('x'));
         EXPECT_EQ(read_all(w, w.f), want) << "pwrite " << (r ? std::to_string(*r) : errno_name(r.error()));
       }},
  };
}

class XfsFaultTest : public ::testing::TestWithParam<std::string> {};

TEST_P(XfsFaultTest, EveryHitOfEveryStepKeepsTheFilesystemConsistent) {
  const std::string point = GetParam();
  int faults_tried = 0;
  size_t scenarios_hit = 0;
  for (const Scenario& s : scenarios()) {
    // Count the hits of the point in the run.
    uint64_t hits = 0;
    {
      XfsFaultWorld w(s.dax);
      w.point = point;
      w.up();
      s.setup(w);
      const uint64_t before = w.m.faults.hits(point);
      s.run(w);
      hits = w.hits_at_stop() - before;
      w.expect_clean();
    }
    if (hits > 0 && !s.dax) ++scenarios_hit;
    std::cout << point << " " << s.name << ": " << hits << " hits\n";
    // Every hit is tried: the error-or-exact-progress invariant at each step.
    for (uint64_t n = 1; n <= hits; ++n) {
      SCOPED_TRACE(s.name + " " + point + " hit " + std::to_string(n));
      XfsFaultWorld w(s.dax);
      w.point = point;
      w.up();
      s.setup(w);
      // A plan counts hits from its arming: the n-th hit of the operation.
      ASSERT_EQ(w.m.faults.arm(point, *FaultPlan::parse("nth:" + std::to_string(n))), Errno::kOk);
      s.run(w);
      w.stop_faults();
      EXPECT_EQ(w.m.faults.fired(point), 1u);
      w.expect_clean();
      // Unmount's writeback and put_super leave no reservation behind,
      // whatever the fault left half done.
      w.mount().sync_fs();
      w.mount().put_super();
      EXPECT_EQ(w.mount().delalloc_reserved(), 0u);
      w.expect_clean();
      ++faults_tried;
    }
  }
  EXPECT_GT(faults_tried, 0) << point << " was never hit";
  // Every block-device scenario meets the device: none is vacuous for
  // write errors.
  if (point == "blockdev/write/eio") {
    const std::vector<Scenario> all = scenarios();
    EXPECT_EQ(scenarios_hit,
              static_cast<size_t>(std::count_if(all.begin(), all.end(), [](const Scenario& s) { return !s.dax; })));
  }
  std::cout << point << ": " << faults_tried << " faulted runs over " << scenarios().size()
            << " scenarios\n";
}

INSTANTIATE_TEST_SUITE_P(Points, XfsFaultTest,
                         ::testing::Values("xfs/alloc/enospc", "xfs/reserve/enospc", "blockdev/write/eio",
                                           "blockdev/read/eio", "pmem/zero/eio"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '/', '_');
                           return n;
                         });

}  // namespace
}  // namespace vfssim
