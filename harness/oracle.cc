#include "harness/oracle.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace vfssim {

void FileModel::write(uint64_t off, uint64_t n, std::byte value) {
  if (n == 0) return;
  if (off + n > bytes.size()) bytes.resize(off + n, std::byte{0});
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(off),
            bytes.begin() + static_cast<ptrdiff_t>(off + n), value);
}

void FileModel::zero(uint64_t off, uint64_t len) {
  const uint64_t end = std::min<uint64_t>(size(), off + len);
  if (off >= end) return;
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(off), bytes.begin() + static_cast<ptrdiff_t>(end),
            std::byte{0});
}

void FileModel::collapse(uint64_t off, uint64_t len) {
  const uint64_t end = std::min<uint64_t>(size(), off + len);
  if (off >= end) return;
  bytes.erase(bytes.begin() + static_cast<ptrdiff_t>(off), bytes.begin() + static_cast<ptrdiff_t>(end));
}

void FileModel::insert(uint64_t off, uint64_t len) {
  if (off > size()) return;
  bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(off), len, std::byte{0});
}

bool FileModel::all_zero(uint64_t off, uint64_t end) const {
  end = std::min<uint64_t>(end, size());
  for (uint64_t i = off; i < end; ++i) {
    if (bytes[i] != std::byte{0}) return false;
  }
  return true;
}

void Oracle::check_result(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileModel& m = models_.at(op.file);
  const uint64_t size = m.size();
  auto fail = [&](std::string what) { bad->push_back(std::move(what)); };
  switch (op.kind) {
    case OpKind::kPread: {
      if (r.err != Errno::kOk) break;
      const uint64_t off = static_cast<uint64_t>(op.off);
      const uint64_t want = off >= size ? 0 : std::min<uint64_t>(op.len, size - off);
      if (static_cast<uint64_t>(r.ret) != want) {
        fail(absl::StrFormat("pread returned %d, the model has %d bytes there", r.ret, want));
        break;
      }
      if (!std::equal(r.data.begin(), r.data.end(), m.bytes.begin() + static_cast<ptrdiff_t>(off))) {
        fail("pread returned bytes that differ from the model");
      }
      break;
    }
    case OpKind::kSeekData:
      if (r.err == Errno::kENXIO) {
        if (op.off >= 0 && static_cast<uint64_t>(op.off) < size && !m.all_zero(op.off, size)) {
          fail("SEEK_DATA said ENXIO but non-zero data follows");
        }
      } else if (r.err == Errno::kOk) {
        if (r.ret < op.off || static_cast<uint64_t>(r.ret) >= size) {
          fail(absl::StrFormat("SEEK_DATA %d outside [%d, %d)", r.ret, op.off, size));
        } else if (!m.all_zero(op.off, r.ret)) {
          fail(absl::StrFormat("SEEK_DATA skipped data in [%d, %d)", op.off, r.ret));
        }
      }
      break;
    case OpKind::kSeekHole:
      if (r.err == Errno::kOk &&
          (r.ret < op.off || static_cast<uint64_t>(r.ret) > size)) {
        fail(absl::StrFormat("SEEK_HOLE %d outside [%d, %d]", r.ret, op.off, size));
      }
      if (r.err == Errno::kENXIO && op.off >= 0 && static_cast<uint64_t>(op.off) < size) {
        fail("SEEK_HOLE said ENXIO inside the file");
      }
      break;
    default:
      break;
  }
}

void Oracle::apply(const Op& op, const OpResult& r) {
  FileModel& m = models_.at(op.file);
  const uint64_t off = static_cast<uint64_t>(std::max<int64_t>(op.off, 0));
  const uint64_t len = static_cast<uint64_t>(std::max<int64_t>(op.len, 0));
  switch (op.kind) {
    case OpKind::kPwrite:
      if (r.err == Errno::kOk) m.write(off, static_cast<uint64_t>(r.ret), std::byte{op.fill});
      break;
    case OpKind::kTruncate:
      if (r.err == Errno::kOk) m.resize(len);
      break;
    case OpKind::kFallocate: {
      if (r.err != Errno::kOk) break;
      const bool keep = op.mode & kFALLOC_FL_KEEP_SIZE;
      switch (op.mode & ~kFALLOC_FL_KEEP_SIZE) {
        case 0:
        case kFALLOC_FL_UNSHARE_RANGE:
          if (!keep && off + len > m.size()) m.resize(off + len);
          break;
        case kFALLOC_FL_PUNCH_HOLE:
        case kFALLOC_FL_ZEROINIT_RANGE:
          m.zero(off, len);
          break;
        case kFALLOC_FL_ZERO_RANGE:
        case kFALLOC_FL_WRITE_ZEROES:
          m.zero(off, len);
          if (!keep && off + len > m.size()) m.resize(off + len);
          break;
        case kFALLOC_FL_COLLAPSE_RANGE:
          m.collapse(off, len);
          break;
        case kFALLOC_FL_INSERT_RANGE:
          m.insert(off, len);
          break;
      }
      break;
    }
    case OpKind::kFspacectl:
      // What was processed is [request offset, remainder offset), whether
      // the call succeeded or reported progress before failing.
      if (r.rmsr.r_offset > op.off) m.zero(off, static_cast<uint64_t>(r.rmsr.r_offset - op.off));
      break;
    default:
      break;
  }
}

std::vector<std::string> Oracle::step(const Op& op, OpResult* result) {
  std::vector<std::string> bad;
  OpResult r = backend_.run(op);
  check_result(op, r, &bad);
  apply(op, r);
  const FileModel& m = models_.at(op.file);
  if (r.size_after != m.size()) {
    bad.push_back(absl::StrFormat("size %d, the model says %d", r.size_after, m.size()));
  }
  Result<std::vector<std::byte>> now = backend_.contents(op.file);
  if (!now) {
    bad.push_back(absl::StrFormat("reading the file back failed: %s", errno_name(now.error())));
  } else if (*now != m.bytes) {
    uint64_t i = 0;
    while (i < std::min(now->size(), m.bytes.size()) && (*now)[i] == m.bytes[i]) ++i;
    bad.push_back(absl::StrFormat(
        "content differs from the model at byte %d (file %d bytes, model %d)%s", i, now->size(),
        m.bytes.size(),
        r.err != Errno::kOk ? absl::StrFormat(": the call failed with %s yet changed the file",
                                              errno_name(r.err))
                            : ""));
  }
  for (std::string& s : backend_.check()) bad.push_back("fsck: " + s);
  if (result != nullptr) *result = std::move(r);
  return bad;
}

std::string compare_results(const OpResult& a, const OpResult& b) {
  std::vector<std::string> diffs;
  if (a.err != b.err) {
    diffs.push_back(absl::StrFormat("errno %s vs %s", errno_name(a.err), errno_name(b.err)));
  } else if (a.err == Errno::kOk && a.ret != b.ret) {
    diffs.push_back(absl::StrFormat("returned %d vs %d", a.ret, b.ret));
  }
  if (a.data != b.data) diffs.push_back("data differs");
  if (!(a.rmsr == b.rmsr)) diffs.push_back("rmsr differs");
  if (a.extents != b.extents) diffs.push_back("logical FIEMAP map differs");
  if (a.size_after != b.size_after) {
    diffs.push_back(absl::StrFormat("size %d vs %d", a.size_after, b.size_after));
  }
  std::string out;
  for (const std::string& d : diffs) out += (out.empty() ? "" : "; ") + d;
  return out;
}

}  // namespace vfssim
