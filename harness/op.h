// Typed operations the harness runs against a backend, and what each one
// reported. The same Op list runs on the simulator and on the host kernel;
// results compare field by field.
//
//   Op op = Op::pwrite(0, 4096, 100, 0xab);   // file 0, 100 bytes of 0xab at 4096
//   OpResult r = backend.run(op);
//   Op back = *Op::from_json(op.to_json());   // == op

#ifndef VFSSIM_HARNESS_OP_H_
#define VFSSIM_HARNESS_OP_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "sim/errno.h"
#include "vfs/uapi.h"

namespace vfssim {

enum class OpKind : uint8_t {
  kPwrite,     // off, len, fill
  kPread,      // off, len
  kTruncate,   // len (the new size)
  kFallocate,  // mode, off, len
  kFspacectl,  // off, len (SPACECTL_DEALLOC; the simulator only)
  kFsync,
  kSeekData,   // off
  kSeekHole,   // off
  kFiemap,     // off, len
  kPoison,     // off, len: known poison injected under the file's written,
               // unshared blocks there (pmem-backed DAX files in the
               // simulator only)
  // The two-file ops run from file `src` at src_off into `file` at off.
  kClone,      // src, src_off, off, len: ioctl(file, FICLONERANGE) (len 0: to
               // the source's EOF); returns 0
  kDedupe,     // src, src_off, off, len: ioctl(src, FIDEDUPERANGE) with `file`
               // as its one destination; ret is bytes_deduped, status its status
  kCopyRange,  // src, src_off, off, len: copy_file_range(2) with both offsets
               // given; returns the bytes copied
  kDioPwrite,  // off, len, fill: pwrite(2) with O_DIRECT set on the file
               // (F_SETFL) for the call, from a page-aligned buffer
  kMwrite,     // off, len, fill: mmap(MAP_SHARED) of the pages holding
               // [off, off+len), a store of the bytes, msync(MS_SYNC), munmap
               // (off < 0 or len <= 0: EINVAL, as mmap says of the range)
};
std::string_view op_kind_name(OpKind k);

struct Op {
  OpKind kind = OpKind::kFsync;
  int file = 0;  // Index of the file the op runs on.
  int64_t off = 0;
  int64_t len = 0;
  int mode = 0;       // fallocate mode.
  uint8_t fill = 0;   // pwrite, dio_pwrite, mwrite: every byte written has this value.
  // id names the op for fault decisions (FaultInjector::begin_op): its
  // position in the sequence it was drawn in, kept when others are removed.
  // -1: not numbered (the backend numbers it after the previous op).
  int64_t id = -1;
  // The source of clone, dedupe and copy_range: a file index and offset.
  int src = 0;
  int64_t src_off = 0;

  static Op pwrite(int file, int64_t off, int64_t len, uint8_t fill) {
    return {OpKind::kPwrite, file, off, len, 0, fill};
  }
  static Op pread(int file, int64_t off, int64_t len) { return {OpKind::kPread, file, off, len}; }
  static Op truncate(int file, int64_t size) { return {OpKind::kTruncate, file, 0, size}; }
  static Op fallocate(int file, int mode, int64_t off, int64_t len) {
    return {OpKind::kFallocate, file, off, len, mode};
  }
  static Op fspacectl(int file, int64_t off, int64_t len) {
    return {OpKind::kFspacectl, file, off, len};
  }
  static Op fsync(int file) { return {OpKind::kFsync, file}; }
  static Op seek_data(int file, int64_t off) { return {OpKind::kSeekData, file, off}; }
  static Op seek_hole(int file, int64_t off) { return {OpKind::kSeekHole, file, off}; }
  static Op fiemap(int file, int64_t off, int64_t len) { return {OpKind::kFiemap, file, off, len}; }
  static Op poison(int file, int64_t off, int64_t len) { return {OpKind::kPoison, file, off, len}; }
  // clone, dedupe and copy_range move [src_off, src_off+len) of file `src`
  // to `file` at `off` (src may be file itself).
  static Op clone(int src, int64_t src_off, int file, int64_t off, int64_t len) {
    return {.kind = OpKind::kClone, .file = file, .off = off, .len = len, .src = src, .src_off = src_off};
  }
  static Op dedupe(int src, int64_t src_off, int file, int64_t off, int64_t len) {
    return {.kind = OpKind::kDedupe, .file = file, .off = off, .len = len, .src = src, .src_off = src_off};
  }
  static Op copy_range(int src, int64_t src_off, int file, int64_t off, int64_t len) {
    return {.kind = OpKind::kCopyRange, .file = file, .off = off, .len = len, .src = src,
            .src_off = src_off};
  }
  static Op dio_pwrite(int file, int64_t off, int64_t len, uint8_t fill) {
    return {.kind = OpKind::kDioPwrite, .file = file, .off = off, .len = len, .fill = fill};
  }
  static Op mwrite(int file, int64_t off, int64_t len, uint8_t fill) {
    return {.kind = OpKind::kMwrite, .file = file, .off = off, .len = len, .fill = fill};
  }

  // two_files: the op reads file `src` as well as writing `file`.
  bool two_files() const {
    return kind == OpKind::kClone || kind == OpKind::kDedupe || kind == OpKind::kCopyRange;
  }

  bool operator==(const Op&) const = default;
  // to_json names the kind and gives the fields it uses (and id, when
  // numbered); from_json reads that back. Errors (from_json):
  // InvalidArgument an unknown kind, a missing or mistyped field.
  nlohmann::ordered_json to_json() const;
  static absl::StatusOr<Op> from_json(const nlohmann::ordered_json& j);
};

// showValue prints an op as JSON: RapidCheck finds it by ADL when it
// reports a failing (shrunk) op list; PrintTo does the same for gtest.
void showValue(const Op& op, std::ostream& os);
inline void PrintTo(const Op& op, std::ostream* os) { showValue(op, *os); }

// A FIEMAP extent reduced to its logical form: physical addresses and
// physical contiguity are the filesystem's business, so adjacent extents
// with the same flags merge.
struct LogicalExtent {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint32_t flags = 0;  // UNWRITTEN | SHARED | DELALLOC only.
  bool operator==(const LogicalExtent&) const = default;
};
std::vector<LogicalExtent> logical_extents(const std::vector<FiemapExtent>& extents);

// OpResult is what the call reported: its return value (bytes, offset, 0)
// or errno, the bytes read, the fspacectl remainder, the logical map (for
// a poison op: the file ranges whose media was poisoned), the dedupe
// destination's status, the signal a store through a mapping ended in,
// and the file size after the call.
struct OpResult {
  int64_t ret = 0;
  Errno err = Errno::kOk;
  std::vector<std::byte> data;
  SpacectlRange rmsr{};
  std::vector<LogicalExtent> extents;
  // dedupe: the destination's info.status (kFILE_DEDUPE_RANGE_SAME,
  // _DIFFERS, or -errno) when the ioctl itself succeeded; ret is its
  // bytes_deduped.
  int32_t status = 0;
  // mwrite: the signal the store ended in (SIGBUS: a page wholly past EOF,
  // or poison), 0 none; ret is the bytes stored before it, err the errno
  // of mmap, msync or munmap.
  int signal = 0;
  uint64_t size_after = 0;

  bool operator==(const OpResult&) const = default;
  nlohmann::ordered_json to_json() const;
};

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_OP_H_
