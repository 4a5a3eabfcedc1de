// The oracle: a reference model of every file, updated only from what each
// call reported doing, and the checks the harness runs after every op.
//
//   SimBackend sim(seed);
//   Oracle oracle(sim, 2);
//   for (const Op& op : ops) {
//     std::vector<std::string> bad = oracle.step(op);   // empty: all held
//   }
//
// After each op: the result agrees with the model and with the call's
// contract (reads return the model's bytes and never poisoned ones,
// SEEK_DATA never skips data, fspacectl's remainder is what fspacectl(2)
// allows, FIEMAP maps all written data and no written extent covers a
// known hole); then the model takes the call's reported effect; then the
// file's content and size equal the model — so an error that changed the
// file without reporting it is caught — every other file is unchanged,
// poisoned blocks do not read back as good data, and the filesystem's
// check() (fsck) finds nothing.

#ifndef VFSSIM_HARNESS_ORACLE_H_
#define VFSSIM_HARNESS_ORACLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/op.h"
#include "harness/range_set.h"

namespace vfssim {

// FileModel: the bytes a file must hold (its size is bytes.size()), which
// of them are poisoned, and which blocks are known holes. Ranges that must
// read as zero are zeros here. A poisoned byte (known poison injected under
// it, not rewritten or zeroed since) has no content a read may return; a
// block of `block` bytes is a known hole when nothing has been written or
// allocated in it since it was created past EOF or removed by a punch or a
// truncate, so no written extent may map it.
struct FileModel {
  explicit FileModel(uint64_t block_size = 4096) : block(block_size) {}

  uint64_t block;
  std::vector<std::byte> bytes;

  uint64_t size() const { return bytes.size(); }
  // write stores n bytes of `value` at off (extending the file), clears
  // their poison and marks their blocks as possibly mapped.
  void write(uint64_t off, uint64_t n, std::byte value);
  // resize is ftruncate: growing adds zeros (the blocks wholly past the old
  // EOF stay holes); shrinking removes the blocks wholly past the new EOF.
  void resize(uint64_t size);
  // zero clears [off, off+len) inside the file, poison included.
  void zero(uint64_t off, uint64_t len);
  // punch is zero plus the removal of the whole blocks in [off, off+len),
  // past EOF too (fallocate(2) PUNCH_HOLE: "whole filesystem blocks are
  // removed from the file").
  void punch(uint64_t off, uint64_t len);
  // allocate marks the blocks of [off, off+len) as possibly mapped.
  void allocate(uint64_t off, uint64_t len);
  // collapse removes [off, off+len); insert opens a zeroed hole there.
  // Block states move with the bytes when the range is block-aligned;
  // otherwise every block from off on may be mapped.
  void collapse(uint64_t off, uint64_t len);
  void insert(uint64_t off, uint64_t len);
  // poison marks [off, off+len) inside the file as poisoned.
  void poison(uint64_t off, uint64_t len);
  // first_data is the first byte in [off, end) the model holds as data
  // (non-zero, not poisoned: a poisoned byte's content is unknown, so it
  // counts neither as data nor as zero), or end.
  uint64_t first_data(uint64_t off, uint64_t end) const;
  // all_zero: [off, end) holds no data (first_data).
  bool all_zero(uint64_t off, uint64_t end) const { return first_data(off, end) >= end; }
  // first_poisoned is the first poisoned byte in [off, end), or end.
  uint64_t first_poisoned(uint64_t off, uint64_t end) const { return poisoned_.first_in(off, end); }
  bool is_poisoned(uint64_t i) const { return poisoned_.contains(i); }
  bool any_poisoned() const { return !poisoned_.empty(); }
  // known_hole: block index b is a known hole.
  bool known_hole(uint64_t b) const { return !may_map_.contains(b); }

 private:
  RangeSet poisoned_;  // Bytes, inside the size.
  RangeSet may_map_;   // Block indexes; every other block is a known hole.
};

class Oracle {
 public:
  // Oracle models `nfiles` empty files of `backend`, with each file's
  // block size as the backend reports it.
  Oracle(Backend& backend, int nfiles);

  // step runs `op` on the backend and returns every violation found (empty:
  // the op behaved). *result, if given, receives what the call reported.
  std::vector<std::string> step(const Op& op, OpResult* result = nullptr);

  const FileModel& model(int file) const { return models_.at(file); }

 private:
  void check_result(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_pread(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_spacectl(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_fiemap(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void apply(const Op& op, const OpResult& r);
  // take_partial_zeroing: after a failed punch, zero range or collapse,
  // the bytes of its range that read back as zeros are zero in the model.
  void take_partial_zeroing(const Op& op, const OpResult& r);
  // check_content reads `file` back after `op`: every run of blocks
  // without poison must equal the model; a block with poison must not
  // return its poisoned bytes as data.
  void check_content(int file, const Op& op, const OpResult& r, std::vector<std::string>* bad);

  Backend& backend_;
  std::vector<FileModel> models_;
};

// compare_results describes how two backends' answers to the same op differ
// (return value, errno, data, fspacectl remainder, logical FIEMAP map, size);
// empty when they agree.
std::string compare_results(const OpResult& a, const OpResult& b);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_ORACLE_H_
