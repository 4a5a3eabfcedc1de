// Fault injection at every step of the XFS-like filesystem's multi-step
// operations: each scenario runs once to count the hits of a fault point,
// then once per hit with that hit failing. Whatever fails, fsck stays
// clean, and a write either reports exactly the bytes it stored (the file
// holds them and nothing else changed) or fails having changed nothing.

#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <string>

#include "fs/xfs/testing.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

class XfsFaultWorld : public XfsFixture {
 public:
  void TestBody() override {}
  void up() { SetUp(); }
  using XfsFixture::expect_clean;
  using XfsFixture::mount;
  using XfsFixture::m;
  using XfsFixture::p;
  int f = -1, g = -1;  // The scenario's files.
};

struct Scenario {
  std::string name;
  std::function<void(XfsFaultWorld&)> setup;  // Not faulted.
  // run performs the operation under test and checks what it reports
  // against what the file holds.
  std::function<void(XfsFaultWorld&)> run;
};


std::vector<std::byte> bytes(uint64_t n, char c) { return std::vector<std::byte>(n, std::byte(c)); }

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
  w.m.faults.disarm_all();  // What follows checks; it is not under test.
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

std::vector<Scenario> scenarios() {
  return {
      {"punch_across_extents", [](XfsFaultWorld& w) { fragmented(w, 64); },
       [](XfsFaultWorld& w) {
         const Errno e = w.p.fallocate(w.f, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 1000, 64 * 8192);
         w.m.faults.disarm_all();
         if (e == Errno::kOk) {
           std::vector<std::byte> got(64 * 8192);
           ASSERT_TRUE(host::pread(w.p, w.f, got, 0));
           EXPECT_EQ(std::vector<std::byte>(got.begin() + 1000, got.end()), bytes(got.size() - 1000, 0));
         }
       }},
      {"collapse", [](XfsFaultWorld& w) { fragmented(w, 32); },
       [](XfsFaultWorld& w) {
         const uint64_t size = w.p.fstat(w.f)->size;
         const Errno e = w.p.fallocate(w.f, kFALLOC_FL_COLLAPSE_RANGE, 8192, 8192);
         EXPECT_EQ(w.p.fstat(w.f)->size, e == Errno::kOk ? size - 8192 : size);
       }},
      {"insert", [](XfsFaultWorld& w) { fragmented(w, 32); },
       [](XfsFaultWorld& w) {
         const uint64_t size = w.p.fstat(w.f)->size;
         const Errno e = w.p.fallocate(w.f, kFALLOC_FL_INSERT_RANGE, 8192, 8192);
         EXPECT_EQ(w.p.fstat(w.f)->size, e == Errno::kOk ? size + 8192 : size);
       }},
      {"reflink", [](XfsFaultWorld& w) { fragmented(w, 32); },
       [](XfsFaultWorld& w) {
         const Errno e = host::ficlone(w.p, w.g, w.f);
         w.m.faults.disarm_all();
         if (e == Errno::kOk) {
           std::vector<std::byte> a(32 * 8192), b(32 * 8192);
           ASSERT_TRUE(host::pread(w.p, w.f, a, 0));
           ASSERT_TRUE(host::pread(w.p, w.g, b, 0));
           EXPECT_EQ(a, b);
         } else {
           EXPECT_EQ(w.p.fstat(w.g)->size, 0u);
         }
       }},
      {"cow_write",
       [](XfsFaultWorld& w) {
         w.f = *w.p.open("/f", kO_RDWR | kO_CREAT, 0644);
         w.g = *w.p.open("/g", kO_RDWR | kO_CREAT, 0644);
         ASSERT_EQ(*host::pwrite(w.p, w.f, bytes(16 * 4096, 'o'), 0), 16u * 4096);
         ASSERT_EQ(w.p.fsync(w.f), Errno::kOk);
         ASSERT_EQ(host::ficlone(w.p, w.g, w.f), Errno::kOk);
       },
       cow_write},
      {"delalloc_writeback",
       [](XfsFaultWorld& w) { w.f = *w.p.open("/f", kO_RDWR | kO_CREAT, 0644); },
       [](XfsFaultWorld& w) {
         const std::vector<std::byte> data = bytes(1 << 20, 'd');
         Result<uint64_t> r = host::pwrite(w.p, w.f, data, 0);
         w.p.fsync(w.f);
         w.m.faults.disarm_all();
         std::vector<std::byte> got(1 << 20);
         const uint64_t n = *host::pread(w.p, w.f, got, 0);
         EXPECT_EQ(n, r ? *r : 0);
         got.resize(n);
         EXPECT_EQ(got, bytes(n, 'd'));
       }},
      {"direct_write",
       [](XfsFaultWorld& w) { w.f = *w.p.open("/f", kO_RDWR | kO_CREAT | kO_DIRECT, 0644); },
       [](XfsFaultWorld& w) {
         Result<uint64_t> r = host::pwrite(w.p, w.f, bytes(256 * 1024, 'x'), 0);
         EXPECT_EQ(w.p.fstat(w.f)->size, r ? *r : 0);
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
      XfsFaultWorld w;
      w.up();
      s.setup(w);
      const uint64_t before = w.m.faults.hits(point);
      s.run(w);
      hits = w.m.faults.hits(point) - before;
      w.expect_clean();
    }
    if (hits > 0) ++scenarios_hit;
    for (uint64_t n = 1; n <= std::min<uint64_t>(hits, 40); ++n) {
      SCOPED_TRACE(s.name + " " + point + " hit " + std::to_string(n));
      XfsFaultWorld w;
      w.up();
      s.setup(w);
      const uint64_t before = w.m.faults.hits(point);
      ASSERT_EQ(w.m.faults.arm(point, *FaultPlan::parse("nth:" + std::to_string(before + n))), Errno::kOk);
      s.run(w);
      w.m.faults.disarm_all();
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
  // Every scenario meets the device: none is vacuous for write errors.
  if (point == "blockdev/write/eio") {
    EXPECT_EQ(scenarios_hit, scenarios().size());
  }
  std::cout << point << ": " << faults_tried << " faulted runs over " << scenarios().size()
            << " scenarios\n";
}

INSTANTIATE_TEST_SUITE_P(Points, XfsFaultTest,
                         ::testing::Values("xfs/alloc/enospc", "blockdev/write/eio", "blockdev/read/eio"),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '/', '_');
                           return n;
                         });

}  // namespace
}  // namespace vfssim
