// Typed operations the harness runs against a backend, and what each one
// reported. The same Op list runs on the simulator and on the host kernel;
// results compare field by field.
//
//   Op op = Op::pwrite(0, 4096, 100, 0xab);   // file 0, 100 bytes of 0xab at 4096
//   OpResult r = backend.run(op);

#ifndef VFSSIM_HARNESS_OP_H_
#define VFSSIM_HARNESS_OP_H_

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

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
  kPoison,     // off, len: known poison injected under the file's written
               // blocks there (pmem-backed DAX files in the simulator only)
};
std::string_view op_kind_name(OpKind k);

struct Op {
  OpKind kind = OpKind::kFsync;
  int file = 0;  // Index of the file the op runs on.
  int64_t off = 0;
  int64_t len = 0;
  int mode = 0;       // fallocate mode.
  uint8_t fill = 0;   // pwrite: every byte written has this value.
  // id names the op for fault decisions (FaultInjector::begin_op): its
  // position in the sequence it was drawn in, kept when others are removed.
  // -1: not numbered (the backend numbers it after the previous op).
  int64_t id = -1;

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

  nlohmann::ordered_json to_json() const;
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
// a poison op: the file ranges whose media was poisoned), and the file
// size after the call.
struct OpResult {
  int64_t ret = 0;
  Errno err = Errno::kOk;
  std::vector<std::byte> data;
  SpacectlRange rmsr{};
  std::vector<LogicalExtent> extents;
  uint64_t size_after = 0;

  bool operator==(const OpResult&) const = default;
  nlohmann::ordered_json to_json() const;
};

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_OP_H_
