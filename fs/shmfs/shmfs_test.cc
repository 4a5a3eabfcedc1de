#include "fs/shmfs/shmfs.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "fs/shmfs/testing.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/timestamps.h"

namespace vfssim {
namespace {

class ShmfsTest : public ShmfsFixture {
 protected:
  // A memfd holding 3 pages of 0x11, 0x22, 0x33.
  int three_pages() {
    int fd = *p.memfd_create("obj");
    for (uint8_t i = 0; i < 3; ++i) EXPECT_EQ(*host::pwrite(p, fd, fill(4096, 0x11 * (i + 1)), i * 4096), 4096u);
    return fd;
  }

  bool swap_out(int fd, uint64_t index) { return sb->swap_out(**p.file_inode(fd), index); }
};

TEST_F(ShmfsTest, FspacectlFreesWholePagesAndZeroesEdges) {
  int fd = three_pages();
  SpacectlRange rq{1000, 2 * 4096}, rm{};
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(rm, (SpacectlRange{1000 + 2 * 4096, 0}));
  std::vector<std::byte> want = fill(3 * 4096, 0);
  std::fill(want.begin(), want.begin() + 1000, std::byte{0x11});
  std::fill(want.begin() + 1000 + 2 * 4096, want.end(), std::byte{0x33});
  EXPECT_EQ(contents(fd, 3 * 4096), want);
  EXPECT_EQ(p.fstat(fd)->size, 3u * 4096);       // st_size never changes.
  EXPECT_EQ(p.fstat(fd)->blocks, 2u * 8);        // Page 1 was freed.
}

TEST_F(ShmfsTest, FspacectlClipsAtEofAndPastEof) {
  int fd = three_pages();
  SpacectlRange rq{8192, 1 << 20}, rm{};
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(rm, (SpacectlRange{3 * 4096, 0}));  // Ended at EOF.
  rq = {1 << 20, 4096};
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(rm, (SpacectlRange{1 << 20, 0}));   // Past EOF: r_offset unchanged.
}

TEST_F(ShmfsTest, WriteSealedObjectIsEperm) {
  int fd = three_pages();
  ASSERT_EQ(p.add_seals(fd, kF_SEAL_WRITE), Errno::kOk);
  SpacectlRange rq{0, 4096}, rm{};
  EXPECT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kEPERM);
  EXPECT_EQ(rm, rq);  // Nothing processed; the remainder is the request.
  EXPECT_EQ(host::pwrite(p, fd, fill(1, 1), 0).error(), Errno::kEPERM);
  EXPECT_EQ(contents(fd, 4096), fill(4096, 0x11));
}

// Seed 000, kib: "the page that you need to partially zero might be not
// resident but swap contains the user data. So we need to read the page from
// swap."
TEST_F(ShmfsTest, SwappedPartialPageIsReadBackFromSwap) {
  int fd = three_pages();
  EXPECT_EQ(sb->resident_pages(), 3u);
  // Swap out page 0, then deallocate [1000, 4096): a partial page.
  ASSERT_TRUE(swap_out(fd, 0));
  EXPECT_EQ(sb->swapped_pages(), 1u);
  SpacectlRange rq{1000, 4096 - 1000}, rm{};
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  std::vector<std::byte> want = fill(4096, 0);
  std::fill(want.begin(), want.begin() + 1000, std::byte{0x11});
  EXPECT_EQ(contents(fd, 4096), want);  // The bytes before the range survive.
}

TEST_F(ShmfsTest, SkipVariantLosesTheSwappedPagesOtherBytes) {
  ASSERT_EQ(m.variants.set("shm.dealloc_swapped_page", "skip"), Errno::kOk);
  int fd = three_pages();
  ASSERT_TRUE(swap_out(fd, 0));
  SpacectlRange rq{1000, 4096 - 1000}, rm{};
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(contents(fd, 4096), fill(4096, 0));  // Bytes 0..999 are lost.
}

TEST_F(ShmfsTest, SwapInFailureReportsProgress) {
  int fd = three_pages();
  ASSERT_TRUE(swap_out(fd, 2));
  m.faults.arm("shmfs/page/enospc", FaultPlan::nth(1));
  // [1000, 2*4096+100): partial page 0, whole page 1, partial swapped page 2.
  SpacectlRange rq{1000, 2 * 4096 + 100 - 1000}, rm{};
  EXPECT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kENOSPC);
  EXPECT_EQ(rm, (SpacectlRange{2 * 4096, 100}));  // Pages 0 and 1 were done.
  std::vector<std::byte> buf(4096);
  host::pread(p, fd, buf, 4096);
  EXPECT_EQ(buf, fill(4096, 0));
  host::pread(p, fd, buf, 2 * 4096);
  EXPECT_EQ(buf, fill(4096, 0x33));  // Untouched: nothing half-done.
}

class ShmfsSizeLimitTest : public ShmfsFixture {
 protected:
  ShmfsSizeLimitTest() : ShmfsFixture("size=8k") {}
};

TEST_F(ShmfsSizeLimitTest, EnospcWithPartialWrite) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  EXPECT_EQ(*host::pwrite(p, fd, fill(3 * 4096, 1), 0), 2u * 4096);  // Short write.
  EXPECT_EQ(host::pwrite(p, fd, fill(10, 1), 2 * 4096).error(), Errno::kENOSPC);
  EXPECT_EQ(p.fallocate(fd, 0, 2 * 4096, 4096), Errno::kENOSPC);
  EXPECT_EQ(p.fstat(fd)->size, 2u * 4096);
}

// fallocate of a range larger than the filesystem allocated page after
// page until the host ran out of memory (tests/crash_audit_test.cc): there
// is a size limit by default now (tmpfs: half of RAM), and a range over it
// is ENOSPC before anything is allocated (shmem_fallocate's max_blocks
// check).
TEST_F(ShmfsTest, FallocateLargerThanTheFilesystemIsEnospcAtOnce) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  EXPECT_EQ(p.fallocate(fd, 0, 0, int64_t{1} << 40), Errno::kENOSPC);
  EXPECT_EQ(p.fallocate(fd, 0, 0, static_cast<int64_t>(kShmDefaultSize) + 4096), Errno::kENOSPC);
  EXPECT_EQ(sb->resident_pages(), 0u);
  EXPECT_EQ(p.fstat(fd)->size, 0u);
  EXPECT_EQ(p.fallocate(fd, 0, 0, 8192), Errno::kOk);
}

// Every shmfs instance draws its pages from the machine's memory: filling
// several instances, each within its own limit, ends in ENOMEM rather than
// in the host's memory running out.
TEST_F(ShmfsTest, InstancesShareTheMachinesMemory) {
  m.memory.limit_pages = m.memory.used_pages + 4;
  for (const char* d : {"/a", "/b"}) {
    ASSERT_EQ(p.mkdir(d, 0755), Errno::kOk);
    ASSERT_EQ(vfs.mount("shmfs", nullptr, "", d, Creds::root()), Errno::kOk);
  }
  const int a = *p.open("/a/f", kO_RDWR | kO_CREAT);
  const int b = *p.open("/b/f", kO_RDWR | kO_CREAT);
  EXPECT_EQ(p.fallocate(a, 0, 0, 3 * 4096), Errno::kOk);
  EXPECT_EQ(p.fallocate(b, 0, 0, 2 * 4096), Errno::kENOMEM);
  EXPECT_EQ(p.fallocate(b, 0, 0, 4096), Errno::kOk);
  // Freed pages go back to the machine.
  EXPECT_EQ(p.ftruncate(a, 0), Errno::kOk);
  EXPECT_EQ(p.fallocate(b, 0, 0, 4 * 4096), Errno::kOk);
}

// The pages of a file that died (unlinked, last descriptor closed) stayed
// counted against the size limit (the fsck after the crash audit: "resident
// count 61, pages resident 52"): they are given back now
// (shmem_evict_inode), and the filesystem can fill up again.
TEST_F(ShmfsSizeLimitTest, ADeadFilesPagesAreGivenBack) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  EXPECT_EQ(*host::pwrite(p, fd, fill(2 * 4096, 1), 0), 2u * 4096);
  EXPECT_EQ(p.unlink("/f"), Errno::kOk);
  EXPECT_EQ(p.close(fd), Errno::kOk);
  EXPECT_TRUE(sb->check().empty());
  EXPECT_EQ(sb->resident_pages(), 0u);
  fd = *p.open("/g", kO_RDWR | kO_CREAT);
  EXPECT_EQ(*host::pwrite(p, fd, fill(2 * 4096, 2), 0), 2u * 4096);
}

TEST_F(ShmfsTest, SwapPressureIsSeeded) {
  auto run = [](uint64_t seed) {
    Machine mm(seed);
    Vfs vv(mm);
    register_shmfs(vv);
    vv.mount("shmfs", nullptr, "swap_pressure=0.5", "/", Creds::root());
    Process q(vv, Creds::root());
    int fd = *q.open("/f", kO_RDWR | kO_CREAT);
    for (int i = 0; i < 16; ++i) host::pwrite(q, fd, fill(4096, static_cast<uint8_t>(i)), i * 4096);
    std::vector<std::byte> buf(16 * 4096);
    EXPECT_EQ(*host::pread(q, fd, buf, 0), buf.size());
    for (int i = 0; i < 16; ++i) EXPECT_EQ(buf[i * 4096], std::byte(static_cast<uint8_t>(i)));
    return std::make_pair(static_cast<ShmSuperblock*>(vv.find_mount("shmfs"))->swapped_pages(),
                          mm.trace.hash());
  };
  auto a = run(3);
  EXPECT_GT(a.first, 0u);
  EXPECT_EQ(a, run(3));
}

TEST_F(ShmfsTest, TmpfsFallocateModes) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  EXPECT_EQ(p.fallocate(fd, 0, 0, 8192), Errno::kOk);
  EXPECT_EQ(p.fstat(fd)->size, 8192u);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_KEEP_SIZE, 8192, 4096), Errno::kOk);
  EXPECT_EQ(p.fstat(fd)->size, 8192u);
  EXPECT_EQ(p.fstat(fd)->blocks, 24u);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 0, 4096), Errno::kOk);
  EXPECT_EQ(p.fstat(fd)->blocks, 16u);
  // What the host's tmpfs says (6.18): every other mode is EOPNOTSUPP.
  for (int mode : {kFALLOC_FL_ZERO_RANGE, kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE,
                   kFALLOC_FL_COLLAPSE_RANGE, kFALLOC_FL_INSERT_RANGE, kFALLOC_FL_UNSHARE_RANGE,
                   kFALLOC_FL_WRITE_ZEROES,
                   kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE}) {
    EXPECT_EQ(p.fallocate(fd, mode, 0, 4096), Errno::kEOPNOTSUPP) << mode;
  }
}

TEST_F(ShmfsTest, SeekDataHoleFollowsPages) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(4096, 1), 8192);
  p.ftruncate(fd, 5 * 4096);
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_DATA), 8192);
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_HOLE), 0);
  EXPECT_EQ(*p.lseek(fd, 8192, kSEEK_HOLE), 3 * 4096);
  EXPECT_EQ(p.lseek(fd, 3 * 4096, kSEEK_DATA).error(), Errno::kENXIO);
  EXPECT_EQ(p.lseek(fd, 5 * 4096, kSEEK_HOLE).error(), Errno::kENXIO);
}

TEST_F(ShmfsTest, TruncateReadsSwappedTailBack) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(8192, 7), 0);
  ASSERT_TRUE(swap_out(fd, 1));
  ASSERT_EQ(p.ftruncate(fd, 4096 + 100), Errno::kOk);
  ASSERT_EQ(p.ftruncate(fd, 8192), Errno::kOk);
  std::vector<std::byte> buf(8192);
  host::pread(p, fd, buf, 0);
  std::vector<std::byte> want = fill(8192, 7);
  std::fill(want.begin() + 4096 + 100, want.end(), std::byte{0});
  EXPECT_EQ(buf, want);
}

// A shrinking truncate does not fail for its partial page: Linux's
// shmem_undo_range returns nothing (shmem_get_partial_folio drops a failed
// swap-in), FreeBSD's shm_partial_page_invalidate retries a failed
// allocation (VM_ALLOC_WAITFAIL, "goto retry"). So the page fault point is
// not asked there: the call succeeds, the tail comes back from swap zeroed,
// and the pages past EOF are gone.
TEST_F(ShmfsTest, ShrinkingTruncateAlwaysGetsItsSwappedTailBack) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(3 * 4096, 7), 0);
  ASSERT_TRUE(swap_out(fd, 0));
  m.faults.arm("shmfs/page/enospc", FaultPlan::nth(1));
  EXPECT_EQ(p.ftruncate(fd, 100), Errno::kOk);
  Inode& ip = **p.file_inode(fd);
  EXPECT_EQ(ip.size, 100u);
  EXPECT_EQ(sb->page_state(ip, 0), 'r');
  EXPECT_EQ(sb->page_state(ip, 1), '-');
  EXPECT_EQ(sb->page_state(ip, 2), '-');
  ASSERT_EQ(p.ftruncate(fd, 4096), Errno::kOk);
  std::vector<std::byte> buf(4096);
  host::pread(p, fd, buf, 0);
  std::vector<std::byte> want = fill(4096, 7);
  std::fill(want.begin() + 100, want.end(), std::byte{0});
  EXPECT_EQ(buf, want);
}

// A range from a page boundary to inside that page: the excerpt's
// condition skips it and leaves r_len set on success (found by the tmpfs
// differential); the default zeroes it.
TEST_F(ShmfsTest, DeallocWithinThePageHeadZeroesUnlessTheExcerptVariant) {
  for (const char* variant : {"zero", "skip"}) {
    ASSERT_EQ(m.variants.set("shm.dealloc_page_head", variant), Errno::kOk);
    int fd = three_pages();
    SpacectlRange rq{4096, 100}, rm{};
    ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
    std::vector<std::byte> b(100);
    ASSERT_EQ(*host::pread(p, fd, b, 4096), 100u);
    if (std::string_view(variant) == "zero") {
      EXPECT_EQ(rm, (SpacectlRange{4196, 0}));
      EXPECT_EQ(b, fill(100, 0));
    } else {
      EXPECT_EQ(rm, (SpacectlRange{4096, 100}));  // "Success" with work left.
      EXPECT_EQ(b, fill(100, 0x22));
    }
  }
}

// Linux 6.18 tmpfs (checked on the host): fallocated pages are holes for
// SEEK_DATA/SEEK_HOLE until written; reading them does not change that.
TEST_F(ShmfsTest, FallocatedPagesAreHolesUntilWritten) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(p, fd, fill(4096, 1), 0), 4096u);
  ASSERT_EQ(p.fallocate(fd, 0, 4096, 8192), Errno::kOk);
  ASSERT_EQ(*host::pwrite(p, fd, fill(10, 1), 12288 + 100), 10u);
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_HOLE), 4096);
  EXPECT_EQ(*p.lseek(fd, 4096, kSEEK_DATA), 12288);
  std::vector<std::byte> b(10);
  ASSERT_EQ(*host::pread(p, fd, b, 4096), 10u);
  EXPECT_EQ(*p.lseek(fd, 4096, kSEEK_DATA), 12288);
  ASSERT_EQ(*host::pwrite(p, fd, fill(1, 1), 8192 + 5), 1u);
  EXPECT_EQ(*p.lseek(fd, 4096, kSEEK_DATA), 8192);
  EXPECT_EQ(*p.lseek(fd, 8192, kSEEK_HOLE), 12398);
  // A second fallocate over a fallocated page initialises it: data.
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_KEEP_SIZE, 4096, 1), Errno::kOk);
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_HOLE), 12398);
}

// shmem_setattr: truncate(2) to the current size stamps mtime and ctime
// only through shmem_truncate_range, which runs on a file holding pages (and
// drops those past EOF); an empty file keeps its times.
TEST_F(ShmfsTest, TruncateToTheSameSizeStampsOnlyAFileWithPages) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  const Stat empty = *p.fstat(fd);
  ASSERT_EQ(p.truncate("/f", 0), Errno::kOk);
  EXPECT_EQ(p.fstat(fd)->mtime, empty.mtime);
  EXPECT_EQ(p.fstat(fd)->ctime, empty.ctime);
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_KEEP_SIZE, 0, 8192), Errno::kOk);
  EXPECT_EQ(p.fstat(fd)->blocks, 16u);
  const Stat with_pages = *p.fstat(fd);
  ASSERT_EQ(p.truncate("/f", 0), Errno::kOk);
  EXPECT_GT(p.fstat(fd)->mtime, with_pages.mtime);
  EXPECT_GT(p.fstat(fd)->ctime, with_pages.ctime);
  EXPECT_EQ(p.fstat(fd)->blocks, 0u);  // The pages past EOF are gone.
}

// shmem_file_read_iter moves the atime even for a read of nothing;
// O_NOATIME keeps it.
TEST_F(ShmfsTest, EveryReadMovesTheAtime) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  const uint64_t buf =
      *p.mmap(0, 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  const Timespec before = p.fstat(fd)->atime;
  ASSERT_EQ(*p.read(fd, buf, 0), 0u);
  const Timespec after = p.fstat(fd)->atime;
  EXPECT_GT(after, before);
  const int n = *p.open("/f", kO_RDONLY | kO_NOATIME);
  m.clock.advance(2 * kRelatimeMaxAgeSec * kNsPerSec);
  ASSERT_EQ(*p.read(n, buf, 0), 0u);
  EXPECT_EQ(p.fstat(fd)->atime, after);
}

}  // namespace
}  // namespace vfssim
