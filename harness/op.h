// Typed operations the harness runs against a backend, and what each one
// reported. The same Op list runs on the simulator and on the host kernel;
// results compare field by field.
//
//   Op op = Op::pwrite(0, 4096, 100, 0xab);   // file 0, 100 bytes of 0xab at 4096
//   OpResult r = backend.run(op);
//   Op back = *Op::from_json(op.to_json());   // == op
//   op.to_command()                           // "pwrite -S 0xab -b 100 4096 100"
//
// The op language is xfs_io's: every op prints as the shell command that
// makes it (to_command), and harness/command.h parses a command line back
// into the same op, so a failing op sequence is a `vfssim io` script.

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

  // Shell-level commands (xfs_io's, then vfssim's own). Their options are
  // `letters` (one bit per option letter given, see letter()); `nargs` is
  // how many optional operands were given where a command takes some.
  kSeek,       // seek with any other flag set than a lone -d or -h: letters, off
  kFdatasync,
  kOpen,       // path, letters (open's -a -d -f -r -s -t -n ...), mode (-m)
  kClose,
  kFileSelect, // `file [N]`: nargs 0 lists the table, 1 selects file `off`
  kStat,       // letters -v -r
  kStatfs,     // letters -c -g -s
  kMmap,       // nargs 0: list, 1: select mapping `off`; else letters -r -w -x
               // -S, off, len, src_off (-s length2)
  kMread,      // letters -f -r -v; nargs 0 (the whole mapping) or 2: off, len
  kMwriteMap,  // xfs_io's mwrite: letters -r, fill (-S), nargs 0 or 2: off, len
  kMsync,      // letters -a -i -s; nargs 0 or 2: off, len
  kMunmap,
  kChattr,     // path: the +/- flag words, space-separated, as given
  kLsattr,     // letters -a -v
  kHelp,       // path: the command asked about (empty: every command)
  kQuit,
  kPrint,      // xfs_io's print: the file and mapping tables
  kPoisonCmd,  // path: latent|scrub|list; off, len (the file range: latent)
  kFaultCmd,   // path: list|arm|disarm; arg: POINT[=PLAN]
  kVariantCmd, // path: list|set; arg: NAME, value: VALUE
  kTraceCmd,   // path: on|off|dump; arg: FILE (dump)
  kZeroinit,   // off, len: fallocate(FALLOC_FL_ZEROINIT_RANGE | KEEP_SIZE)
  kSwapout,    // off, len: shmfs swaps the range's pages out
  kSafecopy,   // prints seed 003's safecopy policy table
  kSync,       // sync(2)
  kSyncfs,     // syncfs(2) on the current file
  kFadvise,    // letters -d -n -r -s -w; nargs 0 or 2: off, len
  kMadvise,    // letters -d -r -s -w; nargs 0 or 2: off, len (the mapping's)
  kExtsize,    // letters -D -R; nargs 0 (get) or 1: len (set)
  // Namespace calls (vfssim's): path, and arg the second path.
  kMkdir,      // mkdir(path, 0755)
  kRmdir,      // rmdir(path)
  kUnlink,     // unlink(path)
  kRename,     // rename(path, arg)
  kLink,       // link(path, arg)
  kSymlink,    // symlink(path = target, arg = link path)
  // xfs_io's copy_range and dedupe: the call repeated until the length is
  // done or it returns 0 (the harness's kCopyRange and kDedupe make one
  // call, printed as vfssim's copy_file_range and dedupe_range).
  kCopyRangeLoop,  // as kCopyRange
  kDedupeLoop,     // as kDedupe
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
  // Shell-level fields. bsize: pwrite/pread's -b, the bytes one call moves
  // (0: the whole length in one call). vectors: -V (0: pwrite(2)/pread(2),
  // else pwritev(2)/preadv(2) with that many buffers of bsize each).
  int64_t bsize = 0;
  int vectors = 0;
  uint64_t letters = 0;  // The option letters given; letter('v') etc.
  int nargs = 0;
  std::string path;   // A path or the command's first word (see the kinds).
  std::string arg;
  std::string value;

  static constexpr uint64_t letter(char c) {
    return c >= 'a' && c <= 'z'   ? uint64_t{1} << (c - 'a')
           : c >= 'A' && c <= 'Z' ? uint64_t{1} << (26 + c - 'A')
                                  : 0;
  }
  bool has(char c) const { return (letters & letter(c)) != 0; }

  // pwrite and pread move the whole length in one call (bsize = len).
  static Op pwrite(int file, int64_t off, int64_t len, uint8_t fill) {
    Op op{OpKind::kPwrite, file, off, len, 0, fill};
    op.bsize = len > 0 ? len : 0;
    return op;
  }
  // A negative offset or length reads "from/to EOF" as xfs_io's pread
  // does (-E: reads until one returns 0 or fails).
  static Op pread(int file, int64_t off, int64_t len) {
    Op op{OpKind::kPread, file, off, len};
    op.bsize = len > 0 ? len : 0;
    if (off < 0 || len < 0) op.letters = letter('E');
    return op;
  }
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
  // The harness's fiemap asks without FIEMAP_FLAG_SYNC (vfssim's -U;
  // xfs_io's fiemap always syncs first).
  static Op fiemap(int file, int64_t off, int64_t len) {
    Op op{OpKind::kFiemap, file, off, len};
    op.letters = letter('U');
    op.nargs = 2;
    op.src_off = -1;  // No -n limit.
    return op;
  }
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
            .src_off = src_off, .letters = letter('s') | letter('d') | letter('l')};
  }
  static Op dio_pwrite(int file, int64_t off, int64_t len, uint8_t fill) {
    return {.kind = OpKind::kDioPwrite, .file = file, .off = off, .len = len, .fill = fill};
  }
  static Op mwrite(int file, int64_t off, int64_t len, uint8_t fill) {
    return {.kind = OpKind::kMwrite, .file = file, .off = off, .len = len, .fill = fill};
  }

  Op with_id(int64_t n) const {
    Op op = *this;
    op.id = n;
    return op;
  }

  // two_files: the op reads file `src` as well as writing `file`.
  bool two_files() const {
    return kind == OpKind::kClone || kind == OpKind::kDedupe || kind == OpKind::kCopyRange;
  }

  bool operator==(const Op&) const = default;
  // to_command prints the op as the one shell command line that makes it
  // on the current file; parse_command (harness/command.h) reads it back as
  // the same op. format_script prints a sequence, with `file N` lines where
  // the file changes.
  std::string to_command() const;
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
