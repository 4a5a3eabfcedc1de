// ErrSeq: one place that records writeback errors, and a way for any number
// of readers to learn, each once, that an error happened since they last
// looked (Linux's errseq_t: include/linux/errseq.h, lib/errseq.c).
//
// The inode's page cache keeps one (address_space->wb_err) and so does its
// superblock (s_wb_err); writeback records every failure in both
// (mapping_set_error, vfs/buffered_io.h). Each open file description
// samples both when it is opened (do_dentry_open: f_wb_err, f_sb_err), and
// fsync/fdatasync/msync report through its f_wb_err, syncfs through its
// f_sb_err, with check_and_advance: each description hears of a given error
// once, and a description opened after an error hears of it only if nobody
// had heard of it yet (host probe tests/probes/fixtures/errseq.jsonl).
//
//   ErrSeq wb_err;
//   ErrSeq::Value a = wb_err.sample(), b = wb_err.sample();
//   wb_err.set(Errno::kEIO);
//   wb_err.check_and_advance(&a);  // EIO
//   wb_err.check_and_advance(&a);  // 0: a has seen it
//   wb_err.check_and_advance(&b);  // EIO: b has not
//
// The value is Linux's bit for bit: the errno in the low 12 bits (MAX_ERRNO
// 4095), a "seen" flag above it, and a counter in the bits above that, which
// moves only when an error is recorded after the last one was seen.

#ifndef VFSSIM_VFS_ERRSEQ_H_
#define VFSSIM_VFS_ERRSEQ_H_

#include <cstdint>

#include "sim/errno.h"

namespace vfssim {

class ErrSeq {
 public:
  // Value is a sample (errseq_t): what a reader last saw.
  using Value = uint32_t;

  // set records `err` (errseq_set): it replaces the errno held, and the
  // counter moves if the previous error was seen, so every reader will
  // report it. kOk, or a value over MAX_ERRNO, records nothing (Linux
  // WARNs).
  void set(Errno err);

  // sample is what a new reader starts from (errseq_sample): the current
  // value if its error has been seen, so the new reader will not report
  // it; 0 if not, so the new reader will be among those who report it.
  Value sample() const { return (value_ & kSeen) ? value_ : 0; }

  // check returns the errno recorded if anything changed since `since`,
  // else kOk, without marking anything seen (errseq_check).
  Errno check(Value since) const {
    return value_ == since ? Errno::kOk : static_cast<Errno>(value_ & kMaxErrno);
  }

  // check_and_advance is check, then marks the error seen and moves
  // `since` to the current value, so the same reader reports it once
  // (errseq_check_and_advance).
  Errno check_and_advance(Value* since);

  Value value() const { return value_; }

  static constexpr Value kMaxErrno = 4095;
  static constexpr Value kSeen = 1u << 12;     // ERRSEQ_SEEN.
  static constexpr Value kCtrInc = 1u << 13;   // ERRSEQ_CTR_INC.

 private:
  Value value_ = 0;
};

}  // namespace vfssim

#endif  // VFSSIM_VFS_ERRSEQ_H_
