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
// known hole, a clone or dedupe answers what generic_remap_file_range_prep
// makes of its ranges — EOPNOTSUPP without reflink —, a misaligned O_DIRECT
// write is EINVAL, a store through a mapping faults exactly at the first
// page wholly past EOF); then the model takes the call's reported effect; then the
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
#include "harness/namespace_model.h"
#include "harness/op.h"
#include "harness/range_set.h"

namespace vfssim {

// FileModel: the bytes a file must hold (its size is bytes.size()), which
// of them are poisoned, and which blocks are known holes. Ranges that must
// read as zero are zeros here. A poisoned byte (known poison injected under
// it, not rewritten or zeroed since) has no content a read may return; a
// block of `block` bytes is a known hole when nothing has been written or
// allocated in it since it was created past EOF or removed by a punch or a
// truncate, so no written extent may map it. past_eof are the bytes the
// file's EOF page holds past EOF from stores through a mapping, on a
// filesystem that keeps them (FileCaps::eof_page_keeps_stores): growing
// the file over them makes them content.
struct FileModel {
  explicit FileModel(uint64_t block_size = 4096) : block(block_size) {}

  uint64_t block;
  std::vector<std::byte> bytes;

  uint64_t size() const { return bytes.size(); }
  // write stores n bytes of `value` at off (extending the file), clears
  // their poison and marks their blocks as possibly mapped.
  void write(uint64_t off, uint64_t n, std::byte value);
  // resize is ftruncate: growing adds zeros (the blocks wholly past the old
  // EOF stay holes) or what past_eof holds; shrinking, or a truncate to the
  // same size, removes the blocks wholly past the new EOF and clears the
  // EOF page past it (past_eof).
  void resize(uint64_t size);
  // grow extends the file to `size` (nothing if it is not larger) with
  // past_eof's bytes, then zeros; block states stay.
  void grow(uint64_t size);
  // mstore is n bytes of `value` stored at off through a shared mapping:
  // those inside EOF are written (their poison cleared), the blocks inside
  // EOF of the folios touched may be mapped (page_mkwrite allocates a whole
  // folio; any folio lies in the naturally aligned `max_folio` bytes around
  // a page of it), and those past EOF go to past_eof when `keep`, else
  // nowhere. The size does not change.
  void mstore(uint64_t off, uint64_t n, std::byte value, bool keep, uint64_t max_folio = 4096);
  // copy_from puts src's [src_off, src_off+n) at off (extending the file,
  // as write does), poison state included; block states are share_blocks'
  // or allocate's business. src may be *this.
  void copy_from(const FileModel& src, uint64_t src_off, uint64_t off, uint64_t n);
  // share_blocks gives the blocks of [off, off+n) src's block states over
  // [src_off, src_off+n), as a remap does: a block wholly inside the range
  // may be mapped only where src's may be; one partly inside keeps its own
  // state too.
  void share_blocks(const FileModel& src, uint64_t src_off, uint64_t off, uint64_t n);
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
  // poisoned_bytes is how many bytes are poisoned.
  uint64_t poisoned_bytes() const { return poisoned_.total(); }
  // known_hole: block index b is a known hole.
  bool known_hole(uint64_t b) const { return !may_map_.contains(b); }
  // A file that shared blocks (a clone, dedupe or copy on a filesystem with
  // reflink) may stage buffered writes in a CoW fork (XFS: a write to a
  // shared block, and every later one inside the CoW extent size hint's
  // range around it, goes there until writeback), which FIEMAP does not
  // report: mark_reflinked says it shared; note_buffered_write records
  // such writes; written_back forgets them (fsync); first_reported_data is
  // first_data without them.
  void mark_reflinked() { reflinked_ = true; }
  bool reflinked() const { return reflinked_; }
  void note_buffered_write(uint64_t off, uint64_t n) {
    if (reflinked_ && n > 0) cow_staged_.add(off, end_of_range(off, n));
  }
  void written_back() { cow_staged_ = RangeSet(); }
  uint64_t first_reported_data(uint64_t off, uint64_t end) const;
  // any_may_map: some block overlapping [off, off+len) may be mapped.
  bool any_may_map(uint64_t off, uint64_t len) const;
  const std::vector<std::byte>& past_eof() const { return past_eof_; }

 private:
  // zero_past_eof clears past_eof's bytes in [off, off+len).
  void zero_past_eof(uint64_t off, uint64_t len);

  static uint64_t end_of_range(uint64_t off, uint64_t n) {
    return n > RangeSet::kEnd - off ? RangeSet::kEnd : off + n;
  }

  RangeSet poisoned_;  // Bytes, inside the size.
  RangeSet may_map_;   // Block indexes; every other block is a known hole.
  std::vector<std::byte> past_eof_;  // Bytes [size, size + past_eof_.size()).
  bool reflinked_ = false;
  RangeSet cow_staged_;  // Bytes written since the last fsync, once reflinked.
};

class Oracle {
 public:
  // Oracle models `nfiles` empty files of `backend`, with each file's
  // block size and capabilities as the backend reports them.
  Oracle(Backend& backend, int nfiles);

  // step runs `op` on the backend and returns every violation found (empty:
  // the op behaved). *result, if given, receives what the call reported.
  // Every file is checked after every op: the files the op was given are
  // read back whole; every other file too when the storage under them
  // moved during the op (Backend::storage_epoch) and on every
  // kSweepEvery-th op by id, else from its last block on (its size).
  static constexpr int64_t kSweepEvery = 8;

  // sweep reads back whole every file the last step read only in part
  // (call it after the last op, with that op and what it returned, so a
  // change in the last ops is seen too).
  std::vector<std::string> sweep(const Op& last, const OpResult& r);
  std::vector<std::string> step(const Op& op, OpResult* result = nullptr);

  const FileModel& model(int file) const { return models_.at(file); }

 private:
  void check_result(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_pread(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_spacectl(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_fiemap(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_clone(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_dedupe(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_copy_range(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_dio(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void check_mwrite(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void apply(const Op& op, const OpResult& r);
  // check_namespace: a namespace op's errno is the model's, and afterwards
  // every name the model holds (and the op's paths) reads back under
  // lstat as the model says, each named file's st_nlink too.
  void check_namespace(const Op& op, const OpResult& r, std::vector<std::string>* bad);
  // take_partial_zeroing: after a failed punch, zero range or collapse,
  // the bytes of its range that read back as zeros are zero in the model.
  void take_partial_zeroing(const Op& op, const OpResult& r);
  // check_content reads `file` back after `op` from byte `from` (a block
  // boundary) on: every run of blocks without poison must equal the model;
  // a block with poison must not return its poisoned bytes as data.
  void check_content(int file, const Op& op, const OpResult& r, std::vector<std::string>* bad,
                     uint64_t from = 0);

  Backend& backend_;
  std::vector<FileModel> models_;
  std::vector<FileCaps> caps_;
  std::vector<std::byte> scratch_;  // check_content's reads, reused.
  std::vector<bool> partial_;       // The last step read the file from its last block only.
  // sweeping_: check_content reads a file because of a sweep, not because
  // the op or the storage could have changed it: a difference there is
  // some op's since the last sweep, not necessarily this one's.
  bool sweeping_ = false;
  // poison_freed: some op took poisoned bytes out of a file other than by
  // rewriting them (a punch, truncate, collapse, remap over them, ...),
  // so the device may hold known poison on blocks no file owns, which a
  // later allocation that nothing zeroes can hand out again.
  bool poison_freed_ = false;
  NamespaceModel names_{NamespaceModel::kTmpfs};
  std::vector<bool> named_;  // Each file had a name at the start.
};

// compare_results describes how two backends' answers to the same op differ
// (return value, errno, data, fspacectl remainder, logical FIEMAP map,
// dedupe status, signal, size); empty when they agree.
std::string compare_results(const OpResult& a, const OpResult& b);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_ORACLE_H_
