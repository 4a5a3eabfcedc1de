// DAX on pmem, poison and FALLOC_FL_ZEROINIT_RANGE on the XFS-like
// filesystem (seed 004): reads never return poisoned bytes as good; a write
// over poison leaves it (partial page on 6.18, every write under
// dax.direct_access=whole); punching a hole and writing again gets freshly
// allocated blocks that the allocation zeroed through the device — the
// poison is gone and the blocks may have moved; ZEROINIT resets the
// written blocks of a range in place, with the v2 and v3 rules for holes.

#include <gtest/gtest.h>

#include <optional>

#include "fs/xfs/testing.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

class XfsDaxTest : public XfsFixture {
 protected:
  XfsDaxTest() : XfsFixture("", "dax=always", /*pmem=*/true) {}

  // phys returns the physical byte address FIEMAP reports for file offset
  // `off` (FIEMAP_FLAG_SYNC), or UINT64_MAX for none.
  uint64_t phys(int fd, uint64_t off) {
    Fiemap fm{.fm_start = off, .fm_length = 1, .fm_flags = kFIEMAP_FLAG_SYNC, .fm_extent_count = 4};
    EXPECT_EQ(host::fiemap(p, fd, &fm), Errno::kOk);
    for (const FiemapExtent& e : fm.fm_extents) {
      if (e.fe_logical <= off && off < e.fe_logical + e.fe_length) return e.fe_physical + (off - e.fe_logical);
    }
    return UINT64_MAX;
  }
  Result<uint64_t> pread(int fd, uint64_t off, uint64_t len) {
    std::vector<std::byte> b(len);
    return host::pread(p, fd, b, static_cast<off_t64>(off));
  }
  Result<uint64_t> pwrite(int fd, uint64_t off, uint64_t len, char c) {
    std::vector<std::byte> b(len, std::byte(c));
    return host::pwrite(p, fd, b, static_cast<off_t64>(off));
  }
  bool poisoned(uint64_t addr) {
    for (const BadBlock& b : pmemdev.badblocks()) {
      if (addr / 512 >= b.sector && addr / 512 < b.sector + b.count) return true;
    }
    return false;
  }
};

TEST_F(XfsDaxTest, FilesAreDaxAndReadsStopAtPoison) {
  int fd = create("/f");
  ASSERT_TRUE(inode(fd).flags & kInodeDax);
  ASSERT_EQ(write_at(fd, 0, 3 * 4096, 'a'), 3u * 4096);
  const uint64_t addr = phys(fd, 4096);
  ASSERT_NE(addr, UINT64_MAX);
  pmemdev.inject_poison(addr + 100, 1, PoisonKind::kKnown);
  // The extent is one mapping, and 6.18's dax_direct_access refuses a
  // request that holds known poison: nothing of it is read (vfs/dax.h).
  EXPECT_EQ(pread(fd, 0, 3 * 4096).error(), Errno::kEIO);
  EXPECT_EQ(pread(fd, 4096, 4096).error(), Errno::kEIO);
  EXPECT_EQ(read_at(fd, 0, 4096), std::vector<std::byte>(4096, std::byte('a')));
  EXPECT_EQ(read_at(fd, 2 * 4096, 4096), std::vector<std::byte>(4096, std::byte('a')));
}

TEST_F(XfsDaxTest, APartialWriteOverPoisonLeavesItPoisoned) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 2 * 4096, 'a'), 2u * 4096);
  const uint64_t addr = phys(fd, 4096);
  pmemdev.inject_poison(addr, 64, PoisonKind::kKnown);
  // 6.18 (dax.direct_access=partial): a partial page over poison stores
  // nothing there.
  EXPECT_FALSE(pwrite(fd, 4096 + 10, 100, 'b'));
  EXPECT_TRUE(poisoned(addr));
  EXPECT_EQ(pread(fd, 4096, 4096).error(), Errno::kEIO);
}

TEST_F(XfsDaxTest, UnderTheWholeVariantNoWriteClearsPoison) {
  ASSERT_EQ(m.variants.set("dax.direct_access", "whole"), Errno::kOk);
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 2 * 4096, 'a'), 2u * 4096);
  const uint64_t addr = phys(fd, 4096);
  pmemdev.inject_poison(addr, 64, PoisonKind::kKnown);
  EXPECT_EQ(pwrite(fd, 4096, 4096, 'b').error(), Errno::kEIO);
  EXPECT_TRUE(poisoned(addr));
}

// The seed's cover letter: "punch a hole, then pwrite" recovers a poisoned
// block because the new allocation is zeroed through the device (clearing
// poison) — and may not return the same pmem.
TEST_F(XfsDaxTest, PunchThenWriteGetsFreshZeroedBlocks) {
  int fd = create("/f");
  int other = create("/g");
  ASSERT_EQ(write_at(fd, 0, 4 * 4096, 'a'), 4u * 4096);
  const uint64_t before = phys(fd, 4096);
  pmemdev.inject_poison(before, 64, PoisonKind::kKnown);
  ASSERT_EQ(p.fallocate(fd, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 4096, 4096), Errno::kOk);
  EXPECT_EQ(phys(fd, 4096), UINT64_MAX);  // A hole now.
  // Right after the punch the freed block is busy and a new allocation
  // would go elsewhere; once the log is forced someone else may take it.
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  ASSERT_EQ(write_at(other, 0, 4096, 'z'), 4096u);
  ASSERT_EQ(phys(other, 0), before);
  ASSERT_EQ(write_at(fd, 4096, 4096, 'b'), 4096u);
  const uint64_t after = phys(fd, 4096);
  EXPECT_NE(after, before);  // Different pmem.
  EXPECT_FALSE(poisoned(after));
  EXPECT_EQ(read_at(fd, 4096, 4096), std::vector<std::byte>(4096, std::byte('b')));
  // The block the other file got was zeroed before use: its poison is gone.
  EXPECT_FALSE(poisoned(before));
  EXPECT_EQ(read_at(other, 0, 4096), std::vector<std::byte>(4096, std::byte('z')));
}

TEST_F(XfsDaxTest, ZeroingNewBlocksFailsTheAllocation) {
  int fd = create("/f");
  ASSERT_EQ(m.faults.arm("pmem/zero/eio", *FaultPlan::parse("nth:1")), Errno::kOk);
  EXPECT_EQ(pwrite(fd, 0, 4096, 'a').error(), Errno::kEIO);
  EXPECT_EQ(p.fstat(fd)->size, 0u);
  EXPECT_EQ(phys(fd, 0), UINT64_MAX);  // Nothing stayed allocated.
  EXPECT_EQ(pwrite(fd, 0, 4096, 'a').value(), 4096u);
}

// clone_range is FICLONERANGE: len bytes of src from src_off into dst at
// dst_off.
Errno clone_range(Process& p, int dst, int src, uint64_t src_off, uint64_t len, uint64_t dst_off) {
  FileCloneRange r{.src_fd = src, .src_offset = src_off, .src_length = len, .dest_offset = dst_off};
  return host::ioctl(p, dst, kFICLONERANGE, &r);
}

// A DAX (or direct) write over a hole that ends at shared blocks maps only
// the blocks it allocated (xfs_iomap_write_direct's imap), so the next
// step copies on write. The new blocks used to merge with the shared
// extent after them on the device into one record, and the step mapped
// that whole record: the write went into the other file's blocks (12 of
// the default campaign's seeds on xfs_pmem_dax, 48064 among them). Host,
// Linux 6.18.44 (XFS without DAX, reflink semantics are the same), the
// same calls through xfs_io: f keeps 'b', g reads 'c'.
TEST_F(XfsDaxTest, AWriteOverAHoleBeforeSharedBlocksCopiesThemOnWrite) {
  int g = create("/g");
  int f = create("/f");
  ASSERT_EQ(write_at(g, 0, 4096, 'a'), 4096u);
  ASSERT_EQ(write_at(g, 4 * 4096, 2 * 4096, 'b'), 2u * 4096);
  // The allocator leaves the file's gap on the device (the goal is the
  // previous extent's end plus the gap), so blocks 2-3 will be allocated
  // right before block 4.
  ASSERT_EQ(phys(g, 4 * 4096), phys(g, 0) + 4 * 4096);
  ASSERT_EQ(clone_range(p, f, g, 4 * 4096, 2 * 4096, 0), Errno::kOk);
  ASSERT_EQ(pwrite(g, 2 * 4096, 4 * 4096, 'c').value(), 4u * 4096);
  EXPECT_EQ(read_at(f, 0, 2 * 4096), std::vector<std::byte>(2 * 4096, std::byte('b')));
  EXPECT_EQ(read_at(g, 2 * 4096, 4 * 4096), std::vector<std::byte>(4 * 4096, std::byte('c')));
  EXPECT_EQ(phys(g, 2 * 4096), phys(g, 0) + 2 * 4096);  // Allocated in the gap.
  EXPECT_NE(phys(g, 4 * 4096), phys(f, 0));             // Copied on write.
}

// Known poison stays on the blocks a file gives back, and nothing zeroes
// a CoW staging allocation (xfs_reflink_fill_cow_hole: XFS_BMAPI_COWFORK |
// XFS_BMAPI_PREALLOC, no XFS_BMAPI_ZERO). A write fault whose staging
// block holds poison is SIGBUS (dax_fault_iter: dax_iomap_direct_access
// answers -EHWPOISON), and an unshare there EIO (dax_unshare_iter); with
// nothing written, xfs_dax_write_iomap_end cancels the staging
// (xfs_reflink_cancel_cow_range). Either way the file keeps its shared
// blocks and their bytes. The unshare used to copy into the poisoned
// blocks and remap them into the file. From the kernel source (fs/dax.c,
// fs/xfs/xfs_iomap.c, xfs_reflink.c of 6.18): the host has no pmem.
TEST_F(XfsDaxTest, CopyOnWriteOntoFreedPoisonFailsAndLeavesTheFileShared) {
  int f = create("/f");
  int g = create("/g");
  ASSERT_EQ(write_at(f, 0, 4 * 4096, 'a'), 4u * 4096);
  ASSERT_EQ(clone_range(p, g, f, 0, 4 * 4096, 0), Errno::kOk);
  // Poison the free space after the shared blocks, where staging goes.
  const uint64_t free_start = phys(f, 3 * 4096) + 4096;
  pmemdev.inject_poison(free_start, 256 * 4096, PoisonKind::kKnown);
  const host::MstoreResult s = host::mstore(p, f, 4096 + 10, std::vector<std::byte>(100, std::byte('b')));
  EXPECT_EQ(s.signal, kSIGBUS);
  EXPECT_EQ(s.stored, 0u);
  // Cancelled over the step's mapping (the fault's block); the rest of the
  // staging the CoW extent size hint widened to stays unwritten.
  EXPECT_FALSE(xi(f).cow.lookup(1));
  EXPECT_EQ(xi(f).cow.lookup(0)->state, XfsExtState::kUnwritten);
  // The unshare's first step is block 0's staging.
  EXPECT_EQ(p.fallocate(f, kFALLOC_FL_UNSHARE_RANGE, 0, 4 * 4096), Errno::kEIO);
  EXPECT_FALSE(xi(f).cow.lookup(0));
  for (int fd : {f, g}) {
    EXPECT_EQ(read_at(fd, 0, 4 * 4096), std::vector<std::byte>(4 * 4096, std::byte('a')));
  }
  EXPECT_EQ(phys(f, 4096), phys(g, 4096));
  EXPECT_FALSE(poisoned(phys(f, 4096)));
}

// WithZeroinit turns the ZEROINIT prototype on over a fixture and gives
// it the call.
template <class Fixture>
class WithZeroinit : public Fixture {
 protected:
  void SetUp() override {
    Fixture::SetUp();
    ASSERT_EQ(this->m.variants.set("zeroinit", "on"), Errno::kOk);
  }
  Errno zeroinit(int fd, off_t64 off, off_t64 len) {
    return this->p.fallocate(fd, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, off, len);
  }
};

using XfsZeroinitTest = WithZeroinit<XfsDaxTest>;

TEST_F(XfsZeroinitTest, WrittenBlocksAreZeroedAndUnpoisonedInPlace) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 2 * 4096, 'a'), 2u * 4096);
  const uint64_t addr = phys(fd, 0);
  pmemdev.inject_poison(addr + 4096, 64, PoisonKind::kKnown);
  ASSERT_EQ(zeroinit(fd, 0, 2 * 4096), Errno::kOk);
  EXPECT_EQ(phys(fd, 0), addr);  // The same blocks: reset, not reallocated.
  EXPECT_FALSE(poisoned(addr + 4096));
  EXPECT_EQ(read_at(fd, 0, 2 * 4096), std::vector<std::byte>(2 * 4096, std::byte{0}));
}

// Unwritten extents are left untouched (seed 004 patch 1/5: "case
// IOMAP_UNWRITTEN: skip"): no zeroing reaches the device, and the extent
// stays where it was and unwritten.
TEST_F(XfsZeroinitTest, UnwrittenExtentsAreSkipped) {
  int fd = create("/f");
  ASSERT_EQ(p.fallocate(fd, 0, 0, 4 * 4096), Errno::kOk);
  const uint64_t addr = phys(fd, 0);
  const uint64_t zero_calls = pmemdev.stats().zero_page_calls;
  ASSERT_EQ(zeroinit(fd, 0, 4 * 4096), Errno::kOk);
  EXPECT_EQ(pmemdev.stats().zero_page_calls, zero_calls);
  EXPECT_EQ(phys(fd, 0), addr);
  Fiemap fm{.fm_start = 0, .fm_length = 4 * 4096, .fm_extent_count = 4};
  ASSERT_EQ(host::fiemap(p, fd, &fm), Errno::kOk);
  ASSERT_EQ(fm.fm_extents.size(), 1u);
  EXPECT_TRUE(fm.fm_extents[0].fe_flags & kFIEMAP_EXTENT_UNWRITTEN);
}

// A range that does not start on a page: its mapping's physical start is
// misaligned, and dax_zeroinit_range refuses it (seed 004 patch 1/5:
// ECANCELED, which xfs_file_zeroinit_space reports as EOPNOTSUPP) before
// zeroing anything.
TEST_F(XfsZeroinitTest, AMisalignedRangeIsRefusedBeforeAnythingIsZeroed) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 2 * 4096, 'a'), 2u * 4096);
  const uint64_t zero_calls = pmemdev.stats().zero_page_calls;
  EXPECT_EQ(zeroinit(fd, 100, 4096), Errno::kEOPNOTSUPP);
  EXPECT_EQ(pmemdev.stats().zero_page_calls, zero_calls);
  EXPECT_EQ(read_at(fd, 0, 2 * 4096), std::vector<std::byte>(2 * 4096, std::byte('a')));
}

// dax_zeroinit_iter goes extent by extent: the written block before the
// hole is zeroed (its zero_page_range issued) before v2's rejection of
// the hole ends the call with ECANCELED (EOPNOTSUPP to the caller); v3
// zeroes it and skips the hole.
TEST_F(XfsZeroinitTest, HolesFailUnderV2AndAreSkippedUnderV3) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 4096, 'a'), 4096u);
  ASSERT_EQ(p.ftruncate(fd, 3 * 4096), Errno::kOk);  // [4096, 12288) a hole.
  uint64_t zero_calls = pmemdev.stats().zero_page_calls;
  EXPECT_EQ(zeroinit(fd, 0, 3 * 4096), Errno::kEOPNOTSUPP);  // reject (v2): ECANCELED.
  EXPECT_EQ(pmemdev.stats().zero_page_calls, zero_calls + 1);
  EXPECT_EQ(read_at(fd, 0, 4096), std::vector<std::byte>(4096, std::byte{0}));
  ASSERT_EQ(write_at(fd, 0, 4096, 'b'), 4096u);
  ASSERT_EQ(m.variants.set("zeroinit.holes", "ignore"), Errno::kOk);
  zero_calls = pmemdev.stats().zero_page_calls;
  EXPECT_EQ(zeroinit(fd, 0, 3 * 4096), Errno::kOk);
  EXPECT_EQ(pmemdev.stats().zero_page_calls, zero_calls + 1);
  EXPECT_EQ(read_at(fd, 0, 3 * 4096), std::vector<std::byte>(3 * 4096, std::byte{0}));
  EXPECT_EQ(phys(fd, 4096), UINT64_MAX);  // Still a hole.
}

TEST_F(XfsZeroinitTest, SharedBlocksAreRefused) {
  int fd = create("/f");
  int clone = create("/c");
  ASSERT_EQ(write_at(fd, 0, 2 * 4096, 'a'), 2u * 4096);
  ASSERT_EQ(host::ficlone(p, clone, fd), Errno::kOk);
  EXPECT_EQ(zeroinit(clone, 0, 2 * 4096), Errno::kEOPNOTSUPP);  // ECANCELED: IOMAP_F_SHARED.
  EXPECT_EQ(read_at(fd, 0, 4096), std::vector<std::byte>(4096, std::byte('a')));
}

TEST_F(XfsZeroinitTest, PastEofIsInvalid) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 4096, 'a'), 4096u);
  EXPECT_EQ(zeroinit(fd, 0, 2 * 4096), Errno::kEINVAL);  // pos + len > i_size.
}

// ZEROINIT on a block-device XFS (no DAX): iomap_zeroout_range issues the
// device's zeroing command over written blocks in place (seed 004 patch
// 2/5, blkdev_issue_zeroout), skips unwritten ones, and a mapping whose
// device range is not 512-byte aligned is EINVAL.
using XfsBlockZeroinitTest = WithZeroinit<XfsFixture>;

TEST_F(XfsBlockZeroinitTest, WrittenBlocksAreZeroedOnTheDeviceUnwrittenOnesSkipped) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 2 * 4096, 'a'), 2u * 4096);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  ASSERT_EQ(p.fallocate(fd, 0, 2 * 4096, 2 * 4096), Errno::kOk);  // Unwritten.
  const BlockStats before = disk.stats();
  ASSERT_EQ(zeroinit(fd, 0, 4 * 4096), Errno::kOk);
  EXPECT_EQ(disk.stats().write_zeroes, before.write_zeroes + 1);
  EXPECT_EQ(disk.stats().bytes_zeroed, before.bytes_zeroed + 2 * 4096);
  EXPECT_EQ(read_at(fd, 0, 4 * 4096), std::vector<std::byte>(4 * 4096, std::byte{0}));
  // Sector-aligned inside a block: only that sector.
  ASSERT_EQ(write_at(fd, 0, 4096, 'b'), 4096u);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  ASSERT_EQ(zeroinit(fd, 512, 512), Errno::kOk);
  std::vector<std::byte> want(4096, std::byte('b'));
  std::fill_n(want.begin() + 512, 512, std::byte{0});
  EXPECT_EQ(read_at(fd, 0, 4096), want);
  // Not sector-aligned: EINVAL, nothing zeroed.
  EXPECT_EQ(zeroinit(fd, 100, 400), Errno::kEINVAL);
  EXPECT_EQ(read_at(fd, 0, 4096), want);
}

// The same order on the block device (iomap_zeroinit_iter): the written
// block is zeroed on the device, then the hole after it fails the call —
// with EINVAL, as its sector check comes before the type switch and a
// hole's address is IOMAP_NULL_ADDR (xfs_hole_to_iomap still sets the
// bdev, so the !bdev ECANCELED does not apply); a shared block is refused
// before anything is zeroed.
TEST_F(XfsBlockZeroinitTest, AHoleAfterWrittenBlocksFailsAfterZeroingThem) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 4096, 'a'), 4096u);
  ASSERT_EQ(p.ftruncate(fd, 3 * 4096), Errno::kOk);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  const BlockStats before = disk.stats();
  EXPECT_EQ(zeroinit(fd, 0, 3 * 4096), Errno::kEINVAL);
  EXPECT_EQ(disk.stats().write_zeroes, before.write_zeroes + 1);
  EXPECT_EQ(disk.stats().bytes_zeroed, before.bytes_zeroed + 4096);
  EXPECT_EQ(read_at(fd, 0, 3 * 4096), std::vector<std::byte>(3 * 4096, std::byte{0}));
  int clone = create("/c");
  ASSERT_EQ(write_at(fd, 0, 4096, 'b'), 4096u);
  ASSERT_EQ(host::ficlone(p, clone, fd), Errno::kOk);
  const BlockStats shared = disk.stats();
  EXPECT_EQ(zeroinit(clone, 0, 4096), Errno::kEOPNOTSUPP);  // ECANCELED: IOMAP_F_SHARED.
  EXPECT_EQ(disk.stats().write_zeroes, shared.write_zeroes);
  EXPECT_EQ(read_at(clone, 0, 4096), std::vector<std::byte>(4096, std::byte('b')));
}

// A DAX write that moves EOF logs the new size (xfs_file_dax_write's
// xfs_setfilesize): the last inode core item of the log carries it.
TEST_F(XfsDaxTest, AnExtendingDaxWriteLogsTheNewSize) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 10000, 'a'), 10000u);
  std::optional<XfsLogItem> core;
  for (const XfsTrans& tp : mount().log()) {
    for (const XfsLogItem& i : tp.items()) {
      if (i.kind == XfsLogItem::kInode && i.ino == inode(fd).ino) core = i;
    }
  }
  ASSERT_TRUE(core);
  EXPECT_EQ(core->a, 10000u);
  EXPECT_EQ(xi(fd).disk_size, 10000u);
}

// With the prototype off (Linux 6.18) the mode bit is unknown.
TEST_F(XfsDaxTest, ZeroinitOffIsEopnotsupp) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 4096, 'a'), 4096u);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, 0, 4096), Errno::kEOPNOTSUPP);
}

}  // namespace
}  // namespace vfssim
