#include "vfs/errseq.h"

namespace vfssim {

void ErrSeq::set(Errno err) {
  const int e = static_cast<int>(err);
  if (e <= 0 || static_cast<Value>(e) > kMaxErrno) return;
  // "Clear out error bits and set new error"; "only increment if someone
  // has looked at it".
  Value next = (value_ & ~(kMaxErrno | kSeen)) | static_cast<Value>(e);
  if (value_ & kSeen) next += kCtrInc;
  value_ = next;
}

Errno ErrSeq::check_and_advance(Value* since) {
  if (value_ == *since) return Errno::kOk;
  value_ |= kSeen;
  *since = value_;
  return static_cast<Errno>(value_ & kMaxErrno);
}

}  // namespace vfssim
