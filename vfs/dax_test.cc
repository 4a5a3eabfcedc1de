#include "vfs/dax.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/machine.h"
#include "sim/testing/bytes.h"
#include "vfs/mmap.h"
#include "vfs/testing/iomap_fs.h"
#include "vfs/testing/kvec_io.h"

namespace vfssim {
namespace {

constexpr uint64_t kAddr = 1 << 20;

class DaxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ip->size = 3 * 4096;
    map().put({.addr = kAddr, .offset = 0, .length = 8192, .type = IomapType::kMapped});
    map().put({.addr = kAddr + 8192, .offset = 8192, .length = 4096, .type = IomapType::kUnwritten});
    fs.pmem().memcpy_flushcache(kAddr, fill(8192, 5));
  }
  ExtentMapOps& map() { return fs.map(*ip); }

  Machine m{1};
  IomapTestFs fs{m, true};
  InodeRef ip = fs.new_file();
};

TEST_F(DaxTest, ReadCopiesFromPmemAndZeroFillsUnwritten) {
  std::vector<std::byte> buf(3 * 4096);
  IoResult r = kvec::dax_iomap_read(*ip, 0, buf, map());
  EXPECT_EQ(r.done, 3u * 4096);
  EXPECT_EQ(r.err, Errno::kOk);
  auto want = fill(3 * 4096, 0);
  std::fill(want.begin(), want.begin() + 8192, std::byte{5});
  EXPECT_EQ(buf, want);
  EXPECT_EQ(ip->cache.nr_pages(), 0u);  // No page cache under DAX.
}

TEST_F(DaxTest, ReadStopsAtPoisonWithShortCount) {
  fs.pmem().inject_poison(kAddr + 4096 + 256, 64, PoisonKind::kLatent);
  std::vector<std::byte> buf(8192);
  IoResult r = kvec::dax_iomap_read(*ip, 0, buf, map());
  EXPECT_EQ(r.done, 4096u + 256);  // The copy stops at the poisoned granule.
  EXPECT_EQ(r.err, Errno::kEIO);
  // Now known. fs/dax.c dax_iomap_iter asks dax_direct_access for the rest
  // of the mapping at once, and 6.18's __pmem_direct_access refuses any
  // request that holds known poison (EHWPOISON, reported as EIO by
  // dax_mem2blk_err): nothing of the 8 KiB mapping is read.
  r = kvec::dax_iomap_read(*ip, 0, buf, map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEIO);
  r = kvec::dax_iomap_read(*ip, 0, std::span(buf).first(4096), map());
  EXPECT_EQ(r.done, 4096u);  // A read that ends before the poisoned page.
  r = kvec::dax_iomap_read(*ip, 4096, buf, map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEIO);
}

// dax_copy_to_iter copies from pmem straight into the caller's memory. A
// user buffer that faults part way ends the read there with the bytes
// before the fault; latent poison past the fault is never loaded, so it
// stays latent and raises no machine check.
TEST_F(DaxTest, ReadIntoAFaultingUserBufferStopsThereAndLeavesPoisonPastItLatent) {
  AddressSpace mm;
  const uint64_t base = *mm.map(0, 2 * 4096, kProtRead | kProtWrite, false, nullptr, 0, nullptr);
  ASSERT_EQ(mm.unmap(base + 4096, 4096), Errno::kOk);
  fs.pmem().inject_poison(kAddr + 4096 + 512, 1, PoisonKind::kLatent);
  IovIter to = IovIter::ubuf(IovIter::Dir::kDest, mm, base + 1000, 8192);
  IoResult r = dax_iomap_read(*ip, Kiocb{.pos = 0}, to, map());
  EXPECT_EQ(r.done, 4096u - 1000);
  EXPECT_EQ(r.err, Errno::kEFAULT);
  EXPECT_EQ(fs.pmem().stats().machine_checks, 0u);
  EXPECT_TRUE(fs.pmem().poisoned(kAddr + 4096 + 512, 1));
  EXPECT_FALSE(fs.pmem().known_poisoned(kAddr + 4096 + 512, 1));
  std::vector<std::byte> got(4096 - 1000);
  EXPECT_EQ(mm.copy_in(base + 1000, got, true), got.size());
  EXPECT_EQ(got, fill(4096 - 1000, 5));
}

// 6.18 (dax.direct_access=partial): a DAX write over known poison asks
// again in DAX_RECOVERY_WRITE mode and stores through pmem_recovery_write,
// which clears the poison under a page-aligned whole page and stores
// nothing for a partial page ("if (xfer == 0) ret = -EFAULT").
TEST_F(DaxTest, WriteOverPoisonRecoversWholePagesOnly) {
  fs.pmem().inject_poison(kAddr, 64, PoisonKind::kKnown);
  IoResult r = kvec::dax_iomap_write(*ip, 0, fill(100, 1), map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEFAULT);
  EXPECT_TRUE(fs.pmem().known_poisoned(kAddr, 64));
  r = kvec::dax_iomap_write(*ip, 0, fill(8192, 2), map());
  EXPECT_EQ(r.done, 8192u);
  EXPECT_EQ(r.err, Errno::kOk);
  EXPECT_FALSE(fs.pmem().poisoned(kAddr, 8192));
  std::vector<std::byte> buf(8192);
  EXPECT_EQ(kvec::dax_iomap_read(*ip, 0, buf, map()).done, 8192u);
  EXPECT_EQ(buf, fill(8192, 2));
}

// 5.15 (dax.direct_access=whole): known poison fails the write with EIO and
// stays (seed 004's "DAX writes do not clear poison").
TEST_F(DaxTest, WriteDoesNotClearPoisonOn515) {
  ASSERT_EQ(m.variants.set("dax.direct_access", "whole"), Errno::kOk);
  fs.pmem().inject_poison(kAddr, 64, PoisonKind::kKnown);
  IoResult r = kvec::dax_iomap_write(*ip, 0, fill(4096, 1), map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEIO);
  EXPECT_TRUE(fs.pmem().known_poisoned(kAddr, 64));
}

// Newly allocated pmem blocks are zeroed through the device before use;
// when zero_page_range fails the allocation fails with its error, the
// write stores nothing and the range stays a hole.
TEST_F(DaxTest, ZeroPageRangeFailureFailsTheAllocatingWrite) {
  m.faults.arm("pmem/zero/eio", FaultPlan::nth(1));
  IoResult r = kvec::dax_iomap_write(*ip, 5 * 4096, fill(100, 2), map());
  EXPECT_EQ(r.done, 0u);
  EXPECT_EQ(r.err, Errno::kEIO);
  EXPECT_EQ(ip->size, 3u * 4096);
  EXPECT_EQ(map().lookup(5 * 4096, 1).type, IomapType::kHole);
  r = kvec::dax_iomap_write(*ip, 5 * 4096, fill(100, 2), map());  // The fault is spent.
  EXPECT_EQ(r.done, 100u);
}

TEST_F(DaxTest, WritePastEofAllocatesZeroedBlocksAndExtends) {
  IoResult r = kvec::dax_iomap_write(*ip, 5 * 4096, fill(100, 2), map());
  EXPECT_EQ(r.done, 100u);
  EXPECT_EQ(ip->size, 5u * 4096 + 100);
  std::vector<std::byte> buf(4096);
  EXPECT_EQ(kvec::dax_iomap_read(*ip, 5 * 4096, buf, map()).done, 100u);
  EXPECT_EQ(map().lookup(5 * 4096, 1).type, IomapType::kMapped);
}

TEST_F(DaxTest, FaultsMapPmemPagesOrTheZeroPage) {
  Result<DaxPfn> pfn = dax_iomap_fault(*ip, 1, false, map());
  ASSERT_TRUE(pfn);
  EXPECT_EQ(pfn->dev, &fs.pmem());
  EXPECT_EQ(pfn->pgoff, kAddr / 4096 + 1);
  pfn = dax_iomap_fault(*ip, 2, false, map());  // Unwritten, read: the zero page.
  ASSERT_TRUE(pfn);
  EXPECT_EQ(pfn->dev, nullptr);
  EXPECT_EQ(dax_iomap_fault(*ip, 3, false, map()).error(), Errno::kEFAULT);  // Past EOF.
  fs.pmem().inject_poison(kAddr, 64, PoisonKind::kKnown);
  // dax_direct_access's EHWPOISON becomes VM_FAULT_HWPOISON (vmf_error);
  // 5.15's EIO is VM_FAULT_SIGBUS.
  EXPECT_EQ(dax_iomap_fault(*ip, 0, false, map()).error(), Errno::kEHWPOISON);
  ASSERT_EQ(m.variants.set("dax.direct_access", "whole"), Errno::kOk);
  EXPECT_EQ(dax_iomap_fault(*ip, 0, false, map()).error(), Errno::kEIO);
}

// vmf_error and the fault handler: only poison is BUS_MCEERR_AR; an I/O
// error is BUS_ADRERR; ENOMEM is the OOM killer's SIGKILL, not a SIGBUS.
TEST(FaultSignalTest, ErrnoToSignal) {
  EXPECT_EQ(fault_signal(Errno::kEHWPOISON).signo, kSIGBUS);
  EXPECT_EQ(fault_signal(Errno::kEHWPOISON).code, kBUS_MCEERR_AR);
  EXPECT_EQ(fault_signal(Errno::kEIO).code, kBUS_ADRERR);
  EXPECT_EQ(fault_signal(Errno::kENOSPC).code, kBUS_ADRERR);
  EXPECT_EQ(fault_signal(Errno::kEFAULT).code, kBUS_ADRERR);
  EXPECT_EQ(fault_signal(Errno::kENOMEM).signo, kSIGKILL);
}

TEST_F(DaxTest, WriteFaultOnHoleAllocatesAndAllocationClearsPoison) {
  ip->size = 5 * 4096;
  // The next free block holds known poison from an earlier life; the
  // allocation-time zeroing clears it (seed 004: why punch+rewrite works).
  fs.pmem().inject_poison(ExtentMapOps::kFirstFree + 128, 64, PoisonKind::kKnown);
  Result<DaxPfn> pfn = dax_iomap_fault(*ip, 4, true, map());
  ASSERT_TRUE(pfn);
  ASSERT_NE(pfn->dev, nullptr);
  EXPECT_EQ(pfn->pgoff, ExtentMapOps::kFirstFree / 4096);
  EXPECT_EQ(map().lookup(4 * 4096, 1).type, IomapType::kMapped);
  EXPECT_FALSE(fs.pmem().poisoned(ExtentMapOps::kFirstFree, 4096));
}

}  // namespace
}  // namespace vfssim
