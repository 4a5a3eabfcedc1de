#include "vfs/iov_iter.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/machine.h"
#include "sim/testing/bytes.h"

namespace vfssim {
namespace {

constexpr uint64_t kPage = 4096;

// Three resident pages of user memory at `base`.
class IovIterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base = *mm.map(0, 3 * kPage, kProtRead | kProtWrite, false, nullptr, 0, nullptr);
    ASSERT_FALSE(mm.store(base, fill(3 * kPage, '.')));
  }
  std::vector<std::byte> user(uint64_t addr, uint64_t n) {
    std::vector<std::byte> b(n);
    EXPECT_EQ(mm.copy_in(addr, b, true), n);
    return b;
  }
  AddressSpace mm;
  uint64_t base = 0;
};

TEST_F(IovIterTest, CopyToStopsAtTheFirstUnmappedPageAndTouchesNothingPast) {
  ASSERT_EQ(mm.unmap(base + kPage, kPage), Errno::kOk);
  IovIter to = IovIter::ubuf(IovIter::Dir::kDest, mm, base + kPage - 100, 200);
  EXPECT_EQ(to.copy_to(fill(200, 'a')), 100u);
  EXPECT_EQ(to.fault_errno(), Errno::kEFAULT);
  EXPECT_EQ(to.count(), 100u);  // Advanced by exactly what moved.
  EXPECT_EQ(user(base + kPage - 100, 100), fill(100, 'a'));
  EXPECT_EQ(user(base + 2 * kPage, kPage), fill(kPage, '.'));
}

TEST_F(IovIterTest, IovecCopiesCrossSegmentsAndRevertAndAdvanceAgree) {
  const UserIovec iov[] = {{base, 10}, {base + 100, 0}, {base + 200, 20}};
  IovIter from = IovIter::iovec(IovIter::Dir::kSource, mm, iov);
  ASSERT_TRUE(mm.store(base, fill(10, 'x')) == std::nullopt);
  ASSERT_TRUE(mm.store(base + 200, fill(20, 'y')) == std::nullopt);
  EXPECT_EQ(from.count(), 30u);
  std::vector<std::byte> got(25);
  EXPECT_EQ(from.copy_from(got), 25u);
  std::vector<std::byte> want = fill(10, 'x');
  const std::vector<std::byte> ys = fill(15, 'y');
  want.insert(want.end(), ys.begin(), ys.end());
  EXPECT_EQ(got, want);
  from.revert(20);
  EXPECT_EQ(from.count(), 25u);
  from.advance(5);
  std::vector<std::byte> rest(20);
  EXPECT_EQ(from.copy_from(rest), 20u);
  EXPECT_EQ(rest, fill(20, 'y'));
  EXPECT_EQ(from.count(), 0u);
}

TEST_F(IovIterTest, AtomicCopyStopsAtANonResidentPageThatAFaultInResolves) {
  // A private copy-on-write page swapped out: soft.
  ASSERT_TRUE(mm.swap_out(base + kPage));
  IovIter from = IovIter::ubuf(IovIter::Dir::kSource, mm, base, 2 * kPage);
  std::vector<std::byte> dst(2 * kPage);
  EXPECT_EQ(from.copy_from_atomic(dst), kPage);  // Faults disabled.
  EXPECT_EQ(mm.page_state(base + kPage), 's');
  EXPECT_EQ(from.fault_in_readable(kPage), 0u);  // All of it could be faulted in.
  EXPECT_EQ(mm.page_state(base + kPage), 'r');
  EXPECT_EQ(from.copy_from_atomic(std::span(dst).subspan(kPage)), kPage);
  // A hard page cannot be faulted in: the whole remainder is reported.
  ASSERT_EQ(mm.unmap(base + 2 * kPage, kPage), Errno::kOk);
  IovIter bad = IovIter::ubuf(IovIter::Dir::kSource, mm, base + 2 * kPage - 10, 30);
  EXPECT_EQ(bad.fault_in_readable(30), 20u);
}

TEST_F(IovIterTest, TruncateReexpandAndAlignment) {
  IovIter it = IovIter::ubuf(IovIter::Dir::kDest, mm, base + 512, 4096);
  EXPECT_EQ(it.alignment() & 511, 0u);
  EXPECT_EQ(it.truncate(1000), 3096u);
  EXPECT_EQ(it.count(), 1000u);
  EXPECT_EQ(it.zero(2000), 1000u);  // Bounded by the truncated count.
  it.reexpand(3096);
  EXPECT_EQ(it.count(), 3096u);
  EXPECT_EQ(it.segments().size(), 1u);
  EXPECT_EQ(it.segments()[0].base, base + 1512);
  IovIter odd = IovIter::ubuf(IovIter::Dir::kDest, mm, base + 1, 4096);
  EXPECT_NE(odd.alignment() & 511, 0u);
}

TEST_F(IovIterTest, KvecCopiesAndNeverFaults) {
  std::vector<std::byte> kbuf(16);
  IovIter to = IovIter::kvec_dest(kbuf);
  EXPECT_FALSE(to.user_backed());
  EXPECT_EQ(to.copy_to(fill(16, 'k')), 16u);
  EXPECT_EQ(kbuf, fill(16, 'k'));
  EXPECT_EQ(to.fault_in_writeable(16), 0u);
}

TEST_F(IovIterTest, GrantCopiesGoThroughSafecopyWithItsErrno) {
  Machine m(1);
  GrantTable grants(m);
  ASSERT_TRUE(mm.swap_out(base + kPage));
  const GrantId g = *grants.grant_magic(mm, base, 2 * kPage, kCPF_WRITE | kCPF_TRY);
  const IovIter::Seg seg{g, 2 * kPage};
  IovIter to = IovIter::grant(IovIter::Dir::kDest, grants, {&seg, 1}, nullptr);
  EXPECT_EQ(to.copy_to(fill(2 * kPage, 'g')), kPage);
  EXPECT_EQ(to.fault_errno(), Errno::kEFAULT);
  EXPECT_TRUE(grants.marked(g));
  EXPECT_EQ(to.fault_in_writeable(kPage), 0u);  // A filesystem cannot fault grants in.
}

}  // namespace
}  // namespace vfssim
