#include "vfs/errseq.h"

#include "gtest/gtest.h"

namespace vfssim {
namespace {

TEST(ErrSeqTest, NoErrorSamplesZeroAndReportsNothing) {
  ErrSeq e;
  ErrSeq::Value since = e.sample();
  EXPECT_EQ(since, 0u);
  EXPECT_EQ(e.check(since), Errno::kOk);
  EXPECT_EQ(e.check_and_advance(&since), Errno::kOk);
  EXPECT_EQ(e.value(), 0u);
}

TEST(ErrSeqTest, EachReaderReportsAnErrorOnce) {
  ErrSeq e;
  ErrSeq::Value a = e.sample(), b = e.sample();
  e.set(Errno::kEIO);
  EXPECT_EQ(e.check(a), Errno::kEIO);  // check does not mark it seen.
  EXPECT_EQ(e.sample(), 0u);           // Unseen: a new reader would report it.
  EXPECT_EQ(e.check_and_advance(&a), Errno::kEIO);
  EXPECT_EQ(e.check_and_advance(&a), Errno::kOk);
  EXPECT_EQ(e.check_and_advance(&b), Errno::kEIO);
  EXPECT_EQ(e.check_and_advance(&b), Errno::kOk);
}

TEST(ErrSeqTest, NewReaderReportsOnlyAnUnseenError) {
  ErrSeq e;
  e.set(Errno::kEIO);
  ErrSeq::Value first = e.sample();  // Nobody has seen it: 0.
  EXPECT_EQ(e.check_and_advance(&first), Errno::kEIO);
  ErrSeq::Value late = e.sample();  // Seen now: the current value.
  EXPECT_EQ(late, e.value());
  EXPECT_EQ(e.check_and_advance(&late), Errno::kOk);
}

TEST(ErrSeqTest, ErrorsBeforeAnyoneLooksAreOneReport) {
  ErrSeq e;
  ErrSeq::Value a = e.sample();
  e.set(Errno::kEIO);
  const ErrSeq::Value once = e.value();
  e.set(Errno::kENOSPC);  // Replaces the errno; the counter stays.
  EXPECT_EQ(e.value() & ~ErrSeq::kMaxErrno, once & ~ErrSeq::kMaxErrno);
  EXPECT_EQ(e.check_and_advance(&a), Errno::kENOSPC);
  EXPECT_EQ(e.check_and_advance(&a), Errno::kOk);
}

TEST(ErrSeqTest, AnErrorAfterASeenOneIsNewToEveryone) {
  ErrSeq e;
  ErrSeq::Value a = e.sample(), b = e.sample();
  e.set(Errno::kEIO);
  EXPECT_EQ(e.check_and_advance(&a), Errno::kEIO);
  e.set(Errno::kEIO);  // The same errno, but the counter moves.
  EXPECT_EQ(e.value() & ErrSeq::kSeen, 0u);
  EXPECT_GE(e.value(), ErrSeq::kCtrInc);
  EXPECT_EQ(e.check_and_advance(&a), Errno::kEIO);
  EXPECT_EQ(e.check_and_advance(&b), Errno::kEIO);  // Two errors, one report.
  EXPECT_EQ(e.check_and_advance(&b), Errno::kOk);
}

TEST(ErrSeqTest, ZeroAndOutOfRangeRecordNothing) {
  ErrSeq e;
  e.set(Errno::kOk);
  e.set(static_cast<Errno>(5000));
  EXPECT_EQ(e.value(), 0u);
}

TEST(ErrSeqTest, LayoutIsLinuxs) {
  ErrSeq e;
  e.set(Errno::kEIO);
  EXPECT_EQ(e.value(), 5u);
  ErrSeq::Value a = 0;
  e.check_and_advance(&a);
  EXPECT_EQ(e.value(), 5u | (1u << 12));
  e.set(Errno::kEIO);
  EXPECT_EQ(e.value(), 5u | (1u << 13));
}

}  // namespace
}  // namespace vfssim
