// The oracle: a reference model of every file, updated only from what each
// call reported doing, and the checks the harness runs after every op.
//
//   SimBackend sim(seed);
//   Oracle oracle(sim, 2);
//   for (const Op& op : ops) {
//     std::vector<std::string> bad = oracle.step(op);   // empty: all held
//   }
//
// After each op: the result agrees with the model (reads return the model's
// bytes, SEEK_DATA never skips data, sizes are right); then the model takes
// the call's reported effect; then the file's content and size equal the
// model — so an error that changed the file without reporting it is caught
// — and the filesystem's check() (fsck) finds nothing.

#ifndef VFSSIM_HARNESS_ORACLE_H_
#define VFSSIM_HARNESS_ORACLE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/backend.h"
#include "harness/op.h"

namespace vfssim {

// FileModel: the bytes a file must hold (its size is bytes.size()). Ranges
// that must read as zero are zeros here.
struct FileModel {
  std::vector<std::byte> bytes;

  uint64_t size() const { return bytes.size(); }
  void write(uint64_t off, uint64_t n, std::byte value);
  void resize(uint64_t size) { bytes.resize(size, std::byte{0}); }
  // zero clears [off, off+len) inside the file.
  void zero(uint64_t off, uint64_t len);
  // collapse removes [off, off+len); insert opens a zeroed gap there.
  void collapse(uint64_t off, uint64_t len);
  void insert(uint64_t off, uint64_t len);
  // all_zero: [off, end) holds only zeros.
  bool all_zero(uint64_t off, uint64_t end) const;
};

class Oracle {
 public:
  Oracle(Backend& backend, int nfiles) : backend_(backend), models_(nfiles) {}

  // step runs `op` on the backend and returns every violation found (empty:
  // the op behaved). *result, if given, receives what the call reported.
  std::vector<std::string> step(const Op& op, OpResult* result = nullptr);

  const FileModel& model(int file) const { return models_.at(file); }

 private:
  void check_result(const Op& op, const OpResult& r, std::vector<std::string>* bad) const;
  void apply(const Op& op, const OpResult& r);

  Backend& backend_;
  std::vector<FileModel> models_;
};

// compare_results describes how two backends' answers to the same op differ
// (return value, errno, data, fspacectl remainder, logical FIEMAP map, size);
// empty when they agree.
std::string compare_results(const OpResult& a, const OpResult& b);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_ORACLE_H_
