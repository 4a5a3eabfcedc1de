#include "harness/oracle.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>

#include "absl/strings/str_format.h"

namespace vfssim {
namespace {

constexpr uint64_t kNoEnd = std::numeric_limits<uint64_t>::max();

uint64_t round_down(uint64_t x, uint64_t b) { return x / b * b; }
uint64_t round_up(uint64_t x, uint64_t b) { return x > kNoEnd - b ? kNoEnd : (x + b - 1) / b * b; }
// end_of is off + len for a request whose sum may not fit.
uint64_t end_of(uint64_t off, uint64_t len) { return len > kNoEnd - off ? kNoEnd : off + len; }

// The FIEMAP flags of an extent that holds no written data: reads of an
// unwritten extent return zeros, and delalloc has no blocks yet.
constexpr uint32_t kNotWritten = kFIEMAP_EXTENT_UNWRITTEN | kFIEMAP_EXTENT_DELALLOC;

}  // namespace

void FileModel::write(uint64_t off, uint64_t n, std::byte value) {
  if (n == 0) return;
  if (off + n > bytes.size()) bytes.resize(off + n, std::byte{0});
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(off),
            bytes.begin() + static_cast<ptrdiff_t>(off + n), value);
  poisoned_.remove(off, off + n);
  allocate(off, n);
}

void FileModel::resize(uint64_t new_size) {
  const uint64_t old = size();
  bytes.resize(new_size, std::byte{0});
  poisoned_.remove(new_size, kNoEnd);
  if (new_size < old) may_map_.remove(round_up(new_size, block) / block, kNoEnd);
}

void FileModel::zero(uint64_t off, uint64_t len) {
  const uint64_t end = std::min<uint64_t>(size(), end_of(off, len));
  if (off >= end) return;
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(off), bytes.begin() + static_cast<ptrdiff_t>(end),
            std::byte{0});
  poisoned_.remove(off, end);
}

void FileModel::punch(uint64_t off, uint64_t len) {
  zero(off, len);
  const uint64_t end = end_of(off, len);
  may_map_.remove(round_up(off, block) / block, end == kNoEnd ? kNoEnd : end / block);
}

void FileModel::allocate(uint64_t off, uint64_t len) {
  if (len == 0) return;
  const uint64_t end = end_of(off, len);
  may_map_.add(off / block, end == kNoEnd ? kNoEnd : round_up(end, block) / block);
}

void FileModel::collapse(uint64_t off, uint64_t len) {
  const uint64_t end = std::min<uint64_t>(size(), end_of(off, len));
  if (off >= end) return;
  bytes.erase(bytes.begin() + static_cast<ptrdiff_t>(off), bytes.begin() + static_cast<ptrdiff_t>(end));
  poisoned_.remove(off, end);
  poisoned_.shift(end, -static_cast<int64_t>(end - off));
  if (off % block == 0 && len % block == 0) {
    may_map_.remove(off / block, (off + len) / block);
    may_map_.shift((off + len) / block, -static_cast<int64_t>(len / block));
  } else {
    may_map_.add(off / block, kNoEnd);
  }
}

void FileModel::insert(uint64_t off, uint64_t len) {
  if (off > size()) return;
  bytes.insert(bytes.begin() + static_cast<ptrdiff_t>(off), len, std::byte{0});
  poisoned_.shift(off, static_cast<int64_t>(len));
  if (off % block == 0 && len % block == 0) {
    may_map_.shift(off / block, static_cast<int64_t>(len / block));
  } else {
    may_map_.add(off / block, kNoEnd);
  }
}

void FileModel::poison(uint64_t off, uint64_t len) {
  poisoned_.add(off, std::min<uint64_t>(size(), end_of(off, len)));
}

uint64_t FileModel::first_data(uint64_t off, uint64_t end) const {
  const uint64_t stop = std::min<uint64_t>(end, size());
  const std::byte* p = bytes.data();
  for (uint64_t i = off; i < stop; ++i) {
    if (p[i] != std::byte{0} && !poisoned_.contains(i)) return i;
  }
  return end;
}

Oracle::Oracle(Backend& backend, int nfiles) : backend_(backend) {
  for (int i = 0; i < nfiles; ++i) models_.emplace_back(std::max<uint64_t>(1, backend.block_size(i)));
}

void Oracle::check_pread(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileModel& m = models_.at(op.file);
  if (op.off < 0 || op.len < 0) return;
  const uint64_t off = static_cast<uint64_t>(op.off);
  const uint64_t want = off >= m.size() ? 0 : std::min<uint64_t>(op.len, m.size() - off);
  // A read may stop (short, or EIO before any byte) only where poison lies
  // ahead in the blocks of the request, from the block it stopped in: DAX
  // maps whole pages, and dax_direct_access refuses a request with a
  // poisoned page anywhere in it (5.15's even in recovery mode).
  auto poison_ahead = [&](uint64_t from) {
    const uint64_t to = round_up(off + want, m.block);
    return m.first_poisoned(round_down(from, m.block), to) < to;
  };
  if (r.err != Errno::kOk) {
    if (r.err == Errno::kEIO && want > 0 && !poison_ahead(off)) {
      bad->push_back(absl::StrFormat("pread of [%d, %d) failed with EIO over data the model holds "
                                     "as good (no poison there)", off, off + want));
    }
    return;
  }
  const uint64_t got = static_cast<uint64_t>(r.ret);
  if (got > want || (got < want && !poison_ahead(off + got))) {
    bad->push_back(absl::StrFormat("pread returned %d, the model has %d bytes there", r.ret, want));
    return;
  }
  if (const uint64_t p = m.first_poisoned(off, off + got); p < off + got) {
    bad->push_back(absl::StrFormat(
        "pread returned poisoned byte %d as data (poisoned bytes never read back as good data)", p));
    return;
  }
  if (!std::equal(r.data.begin(), r.data.end(), m.bytes.begin() + static_cast<ptrdiff_t>(off))) {
    bad->push_back("pread returned bytes that differ from the model");
  }
}

// fspacectl(2) (FreeBSD 14): "If the rmsr argument is non-NULL, the
// spacectl_range structure it points to is updated to contain the
// unprocessed operation range after the system call returns. For a
// successful completion without an unprocessed part in the requested
// operation range, rmsr->r_len is updated to be the value 0, and
// rmsr->r_offset is updated to be rqsr->r_offset plus the number of bytes
// zeroed before the end-of-file." kern_fspacectl copies rqsr to rmsr before
// its EINVAL checks, and turns a signal (ERESTART, EINTR, EAGAIN) into
// success once rmsr moved: "fspacectl is not restarted after signals if the
// file is modified".
void Oracle::check_spacectl(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileModel& m = models_.at(op.file);
  const SpacectlRange& rm = r.rmsr;
  auto fail = [&](std::string what) {
    bad->push_back(absl::StrFormat("fspacectl(%d, %d) -> %s, rmsr {%d, %d}: %s", op.off, op.len,
                                   errno_name(r.err), rm.r_offset, rm.r_len, what));
  };
  const int64_t off = op.off, len = op.len;
  if (off < 0 || len <= 0 || off > kOffMax - len) {
    // "[EINVAL] ... the rqsr->r_offset argument was less than zero, or the
    // rqsr->r_len argument was less than or equal to zero"; "[EINVAL] The
    // value of rqsr->r_offset + rqsr->r_len is greater than OFF_MAX."
    if (r.err != Errno::kEINVAL) fail("an invalid range must fail with EINVAL");
    if (rm.r_offset != off || rm.r_len != len) fail("an invalid range leaves rmsr as rqsr");
    return;
  }
  const int64_t size = static_cast<int64_t>(m.size());
  // Where a complete call's rmsr.r_offset is: past the bytes zeroed before EOF.
  const int64_t done_end = std::max(off, std::min(off + len, size));
  if (rm.r_offset < off || rm.r_len < 0 || rm.r_offset > off + len - rm.r_len) {
    fail(absl::StrFormat("the remainder is not a part of the request [%d, %d)", off, off + len));
    return;
  }
  if (rm.r_offset + rm.r_len < done_end) {
    fail(absl::StrFormat("[%d, %d) is neither done nor left: the remainder must run to the end of "
                         "the range clipped at EOF, %d",
                         rm.r_offset + rm.r_len, done_end, done_end));
  }
  if (r.err != Errno::kOk) return;
  if (rm.r_len == 0) {
    if (rm.r_offset != done_end) {
      fail(absl::StrFormat("a complete call leaves r_offset at rqsr->r_offset plus the bytes "
                           "zeroed before EOF, %d",
                           done_end));
    }
  } else if (rm.r_offset == off) {
    fail("success with nothing done and r_len still set: success leaves r_len 0 (only a signal "
         "after progress may end the call early)");
  }
}

// FIEMAP against the model: every byte the model holds as written data
// (non-zero: the harness writes only non-zero bytes) lies in some extent
// (delalloc and unwritten-with-dirty-cache count), and no written extent
// (neither UNWRITTEN nor DELALLOC) maps a block inside EOF that the model
// knows is a hole.
void Oracle::check_fiemap(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileModel& m = models_.at(op.file);
  if (r.err != Errno::kOk || op.off < 0 || op.len <= 0) return;
  const uint64_t start = static_cast<uint64_t>(op.off);
  const uint64_t stop = std::min<uint64_t>(m.size(), end_of(start, static_cast<uint64_t>(op.len)));
  // The gaps between the extents (sorted, from logical_extents) must hold
  // no data.
  auto report = [&](uint64_t i) {
    bad->push_back(absl::StrFormat(
        "FIEMAP of [%d, %d) maps no extent over byte %d, which holds written data", start,
        end_of(start, op.len), i));
  };
  uint64_t pos = start;
  for (const LogicalExtent& e : r.extents) {
    if (pos >= stop) break;
    if (e.offset > pos) {
      const uint64_t gap_end = std::min<uint64_t>(e.offset, stop);
      if (const uint64_t i = m.first_data(pos, gap_end); i < gap_end) return report(i);
    }
    pos = std::max(pos, end_of(e.offset, e.length));
  }
  if (pos < stop) {
    if (const uint64_t i = m.first_data(pos, stop); i < stop) return report(i);
  }
  for (const LogicalExtent& e : r.extents) {
    if (e.flags & kNotWritten) continue;
    const uint64_t lo = e.offset / m.block;
    const uint64_t hi = round_up(std::min<uint64_t>(end_of(e.offset, e.length), m.size()), m.block) /
                        m.block;
    for (uint64_t b = lo; b < hi; ++b) {
      if (m.known_hole(b)) {
        bad->push_back(absl::StrFormat(
            "FIEMAP maps a written extent [%d, %d) over block %d ([%d, %d)), which the model "
            "knows is a hole (never written, or punched or truncated away since)",
            e.offset, e.offset + e.length, b, b * m.block, (b + 1) * m.block));
        return;
      }
    }
  }
}

void Oracle::check_result(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileModel& m = models_.at(op.file);
  const uint64_t size = m.size();
  auto fail = [&](std::string what) { bad->push_back(std::move(what)); };
  switch (op.kind) {
    case OpKind::kPread:
      check_pread(op, r, bad);
      break;
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
    case OpKind::kFspacectl:
      check_spacectl(op, r, bad);
      break;
    case OpKind::kFiemap:
      check_fiemap(op, r, bad);
      break;
    case OpKind::kPoison:
      // What was poisoned lies in the request, widened to whole blocks.
      for (const LogicalExtent& e : r.extents) {
        if (op.off < 0 || op.len <= 0 || e.offset < round_down(op.off, m.block) ||
            end_of(e.offset, e.length) > round_up(end_of(op.off, op.len), m.block)) {
          fail(absl::StrFormat("poison of [%d, %d) reports poisoning [%d, %d)", op.off,
                               op.off + op.len, e.offset, e.offset + e.length));
        }
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
          m.allocate(off, len);
          if (!keep && off + len > m.size()) m.resize(off + len);
          break;
        case kFALLOC_FL_UNSHARE_RANGE:
          if (!keep && off + len > m.size()) m.resize(off + len);
          break;
        case kFALLOC_FL_PUNCH_HOLE:
          m.punch(off, len);
          break;
        case kFALLOC_FL_ZEROINIT_RANGE:
          m.zero(off, len);
          break;
        case kFALLOC_FL_ZERO_RANGE:
        case kFALLOC_FL_WRITE_ZEROES:
          m.zero(off, len);
          m.allocate(off, len);
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
      // The part done is exactly [request offset, remainder offset), whether
      // the call succeeded or reported progress before failing; whether it
      // was allowed to stop there is check_spacectl's business. Deallocation
      // never allocates, so known holes stay holes.
      if (op.off >= 0 && r.rmsr.r_offset > op.off) {
        m.zero(off, static_cast<uint64_t>(r.rmsr.r_offset - op.off));
      }
      break;
    case OpKind::kPoison:
      for (const LogicalExtent& e : r.extents) m.poison(e.offset, e.length);
      break;
    default:
      break;
  }
}

void Oracle::check_content(int file, const Op& op, const OpResult& r,
                           std::vector<std::string>* bad) {
  const FileModel& m = models_.at(file);
  const uint64_t size = m.size();
  const bool own = file == op.file;
  auto differs = [&](uint64_t at) {
    if (!own) {
      bad->push_back(absl::StrFormat(
          "an op on file %d changed file %d: content differs from the model at byte %d (model %d "
          "bytes)",
          op.file, file, at, size));
      return;
    }
    bad->push_back(absl::StrFormat(
        "content differs from the model at byte %d (file %d bytes, model %d)%s", at, r.size_after,
        size,
        r.err != Errno::kOk ? absl::StrFormat(": the call failed with %s yet changed the file",
                                              errno_name(r.err))
                            : ""));
  };
  // Walk the file (as far as either it or the model goes; another file one
  // byte past its model, to see it grow) a run of blocks at a time: a run
  // without poison is read and must equal the model; a block with poison
  // is read alone and may return only the bytes before its first poisoned
  // one.
  const uint64_t end = own ? std::max(size, r.size_after) : size + 1;
  for (uint64_t lo = 0; lo < end;) {
    uint64_t hi = std::min(end, lo + m.block);
    const bool tainted = m.first_poisoned(lo, hi) < hi;
    while (!tainted && hi < end) {
      const uint64_t next = std::min(end, hi + m.block);
      if (m.first_poisoned(hi, next) < next) break;
      hi = next;
    }
    Result<std::vector<std::byte>> got = backend_.read(file, lo, hi - lo);
    if (tainted) {
      const uint64_t p = m.first_poisoned(lo, hi);
      if (got && lo + got->size() > p) {
        bad->push_back(absl::StrFormat(
            "reading the file back returned poisoned byte %d as data (poisoned bytes never read "
            "back as good data)",
            p));
        return;
      }
    } else if (!got) {
      bad->push_back(absl::StrFormat("reading the file back failed at byte %d: %s", lo,
                                     errno_name(got.error())));
      return;
    }
    if (got) {
      const uint64_t in_model = lo < size ? std::min<uint64_t>(got->size(), size - lo) : 0;
      // memcmp first: this runs after every op, in unoptimised builds too.
      if (in_model > 0 && std::memcmp(got->data(), m.bytes.data() + lo, in_model) != 0) {
        uint64_t i = 0;
        while ((*got)[i] == m.bytes[lo + i]) ++i;
        return differs(lo + i);
      }
      if (got->size() > in_model) return differs(lo + in_model);  // The file holds more.
      if (!tainted && lo + got->size() < std::min(hi, size)) return differs(lo + got->size());
    }
    lo = hi;
  }
}

// fallocate(2) promises nothing about a call that fails part way, and
// XFS's punch (xfs_free_file_space) unmaps the whole blocks of the range
// before it zeroes the partial ones, stopping at the first error (EIO over
// poison, say). So after a PUNCH_HOLE, ZERO_RANGE or COLLAPSE_RANGE that
// failed, bytes of its range that read back as zeros are taken as zeroed;
// anything else — other bytes of the range, bytes outside it — must still
// equal the model. A block that reads back whole inside the range has no
// poison left there (a page with known poison does not read).
void Oracle::take_partial_zeroing(const Op& op, const OpResult& r) {
  if (op.kind != OpKind::kFallocate || r.err == Errno::kOk || op.off < 0 || op.len <= 0) return;
  const int mode = op.mode & ~kFALLOC_FL_KEEP_SIZE;
  if (mode != kFALLOC_FL_PUNCH_HOLE && mode != kFALLOC_FL_ZERO_RANGE &&
      mode != kFALLOC_FL_COLLAPSE_RANGE) {
    return;
  }
  FileModel& m = models_.at(op.file);
  const uint64_t start = static_cast<uint64_t>(op.off);
  const uint64_t stop = std::min<uint64_t>(m.size(), end_of(start, static_cast<uint64_t>(op.len)));
  for (uint64_t lo = start; lo < stop;) {
    const uint64_t hi = std::min(stop, round_down(lo, m.block) + m.block);
    Result<std::vector<std::byte>> got = backend_.read(op.file, lo, hi - lo);
    if (got && got->size() == hi - lo) {
      for (uint64_t i = 0; i < got->size(); ++i) {
        if ((*got)[i] == std::byte{0}) m.zero(lo + i, 1);
      }
    }
    lo = hi;
  }
}

std::vector<std::string> Oracle::step(const Op& op, OpResult* result) {
  std::vector<std::string> bad;
  OpResult r = backend_.run(op);
  check_result(op, r, &bad);
  apply(op, r);
  take_partial_zeroing(op, r);
  const FileModel& m = models_.at(op.file);
  if (r.size_after != m.size()) {
    bad.push_back(absl::StrFormat("size %d, the model says %d", r.size_after, m.size()));
  }
  // Every file, not only the op's: an op must not change another file.
  for (int f = 0; f < static_cast<int>(models_.size()); ++f) check_content(f, op, r, &bad);
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
