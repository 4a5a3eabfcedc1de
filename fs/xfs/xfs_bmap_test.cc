#include "fs/xfs/xfs_bmap.h"

#include <gtest/gtest.h>

#include "fs/xfs/xfs_mount.h"
#include "fs/xfs/xfs_refcount.h"

namespace vfssim {
namespace {

// xfs_bmap_extsize_align's rules, with the 32-block CoW hint. Host 6.18.44
// (trace event xfs_iomap_alloc, differential seed 991): with CoW staging at
// [0, 3) a write to block 14 reserves "fork cow startoff 0x3 fsbcount
// 0x20", i.e. [3, 35): the start moves forward, the length stays.
TEST(XfsExtsizeAlign, RoundsOutThenKeepsOffTheNeighbours) {
  XfsFork empty;
  EXPECT_EQ(extsize_align(empty, 14, 1, 32, true), (XfsRange{0, 32}));
  EXPECT_EQ(extsize_align(empty, 30, 4, 32, true), (XfsRange{0, 64}));
  EXPECT_EQ(extsize_align(empty, 14, 1, 1, true), (XfsRange{14, 1}));  // No hint.
  XfsFork f;
  f.insert({0, kXfsDelayBlock, 3, XfsExtState::kNorm});
  EXPECT_EQ(extsize_align(f, 14, 1, 32, true), (XfsRange{3, 32}));
  // A record after: the start moves back so the length still fits...
  XfsFork g;
  g.insert({40, 500, 8, XfsExtState::kNorm});
  EXPECT_EQ(extsize_align(g, 20, 1, 32, true), (XfsRange{0, 32}));  // Fits before it.
  EXPECT_EQ(extsize_align(g, 38, 1, 32, true), (XfsRange{8, 32}));
  // ... unless that overlaps the record before: then the run is cut.
  g.insert({10, 600, 2, XfsExtState::kNorm});
  EXPECT_EQ(extsize_align(g, 38, 1, 32, true), (XfsRange{12, 28}));
  // A real allocation inside a delalloc record is left alone.
  XfsFork d;
  d.insert({0, kXfsDelayBlock, 64, XfsExtState::kNorm});
  EXPECT_EQ(extsize_align(d, 14, 1, 32, false), (XfsRange{14, 1}));
  // A real allocation before a delalloc record stops at it (the model's
  // records never overlap).
  XfsFork e;
  e.insert({20, kXfsDelayBlock, 4, XfsExtState::kNorm});
  EXPECT_EQ(extsize_align(e, 14, 1, 32, false), (XfsRange{0, 20}));
}

TEST(XfsFork, ContiguousRecordsMerge) {
  XfsFork f;
  f.insert({0, 100, 4, XfsExtState::kNorm});
  f.insert({4, 104, 4, XfsExtState::kNorm});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f.lookup(7)->blockcount, 8u);
  f.insert({8, 200, 4, XfsExtState::kNorm});  // Not disk-contiguous.
  f.insert({12, 204, 4, XfsExtState::kUnwritten});  // Another state.
  EXPECT_EQ(f.size(), 3u);
  EXPECT_TRUE(f.check("f").empty());
}

TEST(XfsFork, RemoveSplitsAtTheEdges) {
  XfsFork f;
  f.insert({0, 100, 10, XfsExtState::kNorm});
  std::vector<XfsIrec> gone = f.remove(3, 4);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0], (XfsIrec{3, 103, 4, XfsExtState::kNorm}));
  EXPECT_EQ(*f.lookup(0), (XfsIrec{0, 100, 3, XfsExtState::kNorm}));
  EXPECT_EQ(*f.lookup(7), (XfsIrec{7, 107, 3, XfsExtState::kNorm}));
  EXPECT_FALSE(f.lookup(5));
  EXPECT_EQ(f.real_blocks(), 6u);
  EXPECT_TRUE(f.check("f").empty());
}

// A range across several records, starting inside one (written) and
// ending inside another (delalloc), with a hole and a whole record
// between: every piece inside comes back in file order with its own disk
// address, the head and tail stay, and the counters lose only the pieces.
TEST(XfsFork, RemoveAcrossRecordsKeepsHeadAndTailAndCountsOnlyThePieces) {
  XfsFork f;
  f.insert({0, 100, 10, XfsExtState::kNorm});
  f.insert({12, 300, 4, XfsExtState::kUnwritten});
  f.insert({20, kXfsDelayBlock, 10, XfsExtState::kNorm});
  std::vector<XfsIrec> gone = f.remove(6, 18);  // [6, 24).
  EXPECT_EQ(gone, (std::vector<XfsIrec>{{6, 106, 4, XfsExtState::kNorm},
                                        {12, 300, 4, XfsExtState::kUnwritten},
                                        {20, kXfsDelayBlock, 4, XfsExtState::kNorm}}));
  EXPECT_EQ(*f.lookup(0), (XfsIrec{0, 100, 6, XfsExtState::kNorm}));
  EXPECT_EQ(*f.lookup(24), (XfsIrec{24, kXfsDelayBlock, 6, XfsExtState::kNorm}));
  EXPECT_FALSE(f.lookup(12));
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(f.real_blocks(), 6u);
  EXPECT_EQ(f.delalloc_blocks(), 6u);
  EXPECT_TRUE(f.check("f").empty());
  // Nothing inside: nothing changes.
  EXPECT_TRUE(f.remove(6, 18).empty());
  EXPECT_EQ(f.size(), 2u);
  // To the end of the file space.
  gone = f.remove(2, UINT64_MAX);
  EXPECT_EQ(gone.size(), 2u);
  EXPECT_EQ(*f.lookup(0), (XfsIrec{0, 100, 2, XfsExtState::kNorm}));
  EXPECT_EQ(f.delalloc_blocks(), 0u);
  EXPECT_TRUE(f.check("f").empty());
}

// A record inserted between two it continues on both sides merges with
// both, into one.
TEST(XfsFork, InsertBetweenTwoContinuedNeighboursMergesAllThree) {
  XfsFork f;
  f.insert({0, 100, 4, XfsExtState::kNorm});
  f.insert({8, 108, 4, XfsExtState::kNorm});
  ASSERT_EQ(f.size(), 2u);
  f.insert({4, 104, 4, XfsExtState::kNorm});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(*f.lookup(11), (XfsIrec{0, 100, 12, XfsExtState::kNorm}));
  EXPECT_TRUE(f.check("f").empty());
}

TEST(XfsFork, ConvertingUnwrittenMergesWithWrittenNeighbours) {
  XfsFork f;
  f.insert({0, 100, 4, XfsExtState::kNorm});
  f.insert({4, 104, 4, XfsExtState::kUnwritten});
  f.set_state(4, 4, XfsExtState::kNorm);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f.lookup(0)->blockcount, 8u);
  f.set_state(2, 1, XfsExtState::kUnwritten);
  EXPECT_EQ(f.size(), 3u);
  EXPECT_TRUE(f.check("f").empty());
}

TEST(XfsFork, DelallocIsCountedApart) {
  XfsFork f;
  f.insert({0, kXfsDelayBlock, 5, XfsExtState::kNorm});
  f.insert({5, kXfsDelayBlock, 5, XfsExtState::kNorm});
  EXPECT_EQ(f.size(), 1u);
  EXPECT_EQ(f.delalloc_blocks(), 10u);
  EXPECT_EQ(f.real_blocks(), 0u);
}

TEST(XfsFork, ShiftMovesRecordsFromABoundary) {
  XfsFork f;
  f.insert({0, 100, 10, XfsExtState::kNorm});
  f.shift(5, 3);  // Insert 3 blocks at 5.
  EXPECT_EQ(*f.lookup(0), (XfsIrec{0, 100, 5, XfsExtState::kNorm}));
  EXPECT_FALSE(f.lookup(6));
  EXPECT_EQ(*f.lookup(8), (XfsIrec{8, 105, 5, XfsExtState::kNorm}));
  f.shift(8, -3);  // Collapse them again: merged back.
  EXPECT_EQ(f.size(), 1u);
  EXPECT_TRUE(f.check("f").empty());
}

TEST(XfsRefcount, CountsOwnersAndFreesTheLast) {
  XfsRefcount rc;
  rc.adjust(10, 10, +1);
  EXPECT_EQ(rc.refcount(15), 2u);
  EXPECT_EQ(rc.refcount(25), 1u);
  rc.adjust(12, 2, +1);
  EXPECT_EQ(rc.refcount(12), 3u);
  EXPECT_EQ(rc.records().size(), 3u);
  std::vector<XfsExtent> freed;
  rc.adjust(12, 2, -1, &freed);
  EXPECT_TRUE(freed.empty());
  EXPECT_EQ(rc.records().size(), 1u);  // Merged back to one run of 2.
  rc.adjust(10, 10, -1, &freed);
  EXPECT_TRUE(freed.empty());
  EXPECT_TRUE(rc.records().empty());
  rc.adjust(10, 10, -1, &freed);
  ASSERT_EQ(freed.size(), 1u);
  EXPECT_EQ(freed[0], (XfsExtent{10, 10}));
}

// Records are packed into 16 bytes in the tree: every field's extremes
// come back as they went in, iteration is in file order, last() is the
// highest record, and around() answers lookup and next_after together.
TEST(XfsFork, PackedRecordsKeepEveryFieldsExtremes) {
  constexpr uint64_t kMaxLen = XfsFork::kMaxExtlen;
  const std::vector<XfsIrec> in = {
      {0, 0, 1, XfsExtState::kNorm},
      {10, XfsFork::kMaxStartblock - kMaxLen, kMaxLen, XfsExtState::kUnwritten},
      {kMaxLen + 20, kXfsDelayBlock, kMaxLen, XfsExtState::kNorm},
      {(uint64_t{1} << 54) - 2, 7, 1, XfsExtState::kUnwritten},  // At XFS_MAX_FILEOFF.
  };
  XfsFork f;
  for (const XfsIrec& r : in) f.insert(r);
  EXPECT_EQ(std::vector<XfsIrec>(f.begin(), f.end()), in);
  EXPECT_EQ(*f.last(), in.back());
  EXPECT_EQ(f.real_blocks(), 2 + kMaxLen);
  EXPECT_EQ(f.delalloc_blocks(), kMaxLen);
  EXPECT_TRUE(f.check("f").empty());

  XfsFork::Around a = f.around(5);  // In the hole between 0 and 1.
  EXPECT_FALSE(a.at);
  EXPECT_EQ(a.prev, in[0]);
  EXPECT_EQ(a.next, in[1]);
  a = f.around(10);
  EXPECT_EQ(a.at, in[1]);
  EXPECT_FALSE(a.prev);
  EXPECT_EQ(a.next, in[2]);
  a = f.around(UINT64_MAX);
  EXPECT_FALSE(a.at);
  EXPECT_EQ(a.prev, in[3]);
  EXPECT_FALSE(a.next);
  EXPECT_FALSE(XfsFork().last());
}

TEST(XfsFork, MkfsRefusesMoreBlocksThanARecordAddresses) {
  // 4 PiB of 1 KiB blocks is 2^42 blocks: one more than a record maps.
  EXPECT_EQ(xfs_mkfs_geometry(uint64_t{1} << 52, "-b size=1024").error(), Errno::kEINVAL);
  EXPECT_TRUE(xfs_mkfs_geometry(uint64_t{1} << 52, "").has_value());  // 4 KiB blocks.
}

TEST(XfsRefcount, SharedInFindsTheFirstSharedRun) {
  XfsRefcount rc;
  rc.adjust(10, 5, +1);
  EXPECT_EQ(*rc.shared_in(0, 100), (XfsExtent{10, 5}));
  EXPECT_EQ(*rc.shared_in(12, 100), (XfsExtent{12, 3}));
  EXPECT_FALSE(rc.shared_in(15, 100));
  EXPECT_EQ(rc.next_boundary(0, 100), 10u);
  EXPECT_EQ(rc.next_boundary(10, 100), 15u);
}

}  // namespace
}  // namespace vfssim
