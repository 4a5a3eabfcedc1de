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

// PAGE_SIZE: mappings fault a page at a time, and a page holds EOF.
constexpr uint64_t kPage = 4096;

// MAX_RW_COUNT: one copy_file_range moves at most this much.
constexpr uint64_t kMaxRw = (uint64_t{1} << 31) - kPage;

// "Arbitrary 1G limit on a single dedupe request" (vfs_dedupe_file_range).
constexpr uint64_t kDedupeMax = uint64_t{1} << 30;

}  // namespace

void FileModel::grow(uint64_t new_size) {
  const uint64_t old = size();
  if (new_size <= old) return;
  bytes.resize(new_size, std::byte{0});
  const uint64_t shown = std::min<uint64_t>(past_eof_.size(), new_size - old);
  std::copy(past_eof_.begin(), past_eof_.begin() + static_cast<ptrdiff_t>(shown),
            bytes.begin() + static_cast<ptrdiff_t>(old));
  past_eof_.erase(past_eof_.begin(), past_eof_.begin() + static_cast<ptrdiff_t>(shown));
}

void FileModel::write(uint64_t off, uint64_t n, std::byte value) {
  if (n == 0) return;
  grow(off + n);
  std::fill(bytes.begin() + static_cast<ptrdiff_t>(off),
            bytes.begin() + static_cast<ptrdiff_t>(off + n), value);
  poisoned_.remove(off, off + n);
  allocate(off, n);
}

void FileModel::resize(uint64_t new_size) {
  const uint64_t old = size();
  if (new_size > old) return grow(new_size);
  bytes.resize(new_size);
  past_eof_.clear();
  poisoned_.remove(new_size, kNoEnd);
  if (new_size < old) may_map_.remove(round_up(new_size, block) / block, kNoEnd);
}

void FileModel::mstore(uint64_t off, uint64_t n, std::byte value, bool keep, uint64_t max_folio) {
  if (n == 0) return;
  const uint64_t size0 = size();
  const uint64_t folio = std::max(max_folio, kPage);
  const uint64_t lo = round_down(off, folio);
  const uint64_t hi = std::min(round_up(off + n, folio), size0);
  if (hi > lo) allocate(lo, hi - lo);
  if (off < size0) {
    const uint64_t in = std::min(n, size0 - off);
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(off),
              bytes.begin() + static_cast<ptrdiff_t>(off + in), value);
    poisoned_.remove(off, off + in);
  }
  if (keep && off + n > size0) {
    const uint64_t from = std::max(off, size0) - size0, to = off + n - size0;
    if (past_eof_.size() < to) past_eof_.resize(to, std::byte{0});
    std::fill(past_eof_.begin() + static_cast<ptrdiff_t>(from),
              past_eof_.begin() + static_cast<ptrdiff_t>(to), value);
  }
}

void FileModel::copy_from(const FileModel& src, uint64_t src_off, uint64_t off, uint64_t n) {
  if (n == 0) return;
  // Read the source first: it may be this file.
  const std::vector<std::byte> data(src.bytes.begin() + static_cast<ptrdiff_t>(src_off),
                                    src.bytes.begin() + static_cast<ptrdiff_t>(src_off + n));
  std::vector<std::pair<uint64_t, uint64_t>> poison;  // Runs, relative to src_off.
  for (uint64_t p = src.first_poisoned(src_off, src_off + n); p < src_off + n;) {
    uint64_t q = p;
    while (q < src_off + n && src.is_poisoned(q)) ++q;
    poison.push_back({p - src_off, q - src_off});
    p = src.first_poisoned(q, src_off + n);
  }
  grow(off + n);
  std::copy(data.begin(), data.end(), bytes.begin() + static_cast<ptrdiff_t>(off));
  poisoned_.remove(off, off + n);
  for (auto [a, b] : poison) poisoned_.add(off + a, off + b);
}

uint64_t FileModel::first_reported_data(uint64_t off, uint64_t end) const {
  for (uint64_t i = first_data(off, end); i < end; i = first_data(i + 1, end)) {
    if (!cow_staged_.contains(i)) return i;
    // Skip the staged run at once.
    uint64_t next = i + 1;
    while (next < end && cow_staged_.contains(next)) ++next;
    i = next - 1;
  }
  return end;
}

bool FileModel::any_may_map(uint64_t off, uint64_t len) const {
  if (len == 0) return false;
  const uint64_t last = (end_of(off, len) - 1) / block;
  for (uint64_t b = off / block; b <= last; ++b) {
    if (may_map_.contains(b)) return true;
  }
  return false;
}

void FileModel::share_blocks(const FileModel& src, uint64_t src_off, uint64_t off, uint64_t n) {
  if (n == 0) return;
  std::vector<std::pair<uint64_t, bool>> states;  // Block, may map; decided before any change.
  for (uint64_t b = off / block; b * block < off + n; ++b) {
    const uint64_t lo = std::max(b * block, off), hi = std::min((b + 1) * block, off + n);
    const bool whole = lo == b * block && hi == (b + 1) * block;
    const bool from_src = src.any_may_map(src_off + (lo - off), hi - lo);
    states.push_back({b, from_src || (!whole && !known_hole(b))});
  }
  for (auto [b, may] : states) {
    if (may) {
      may_map_.add(b, b + 1);
    } else {
      may_map_.remove(b, b + 1);
    }
  }
}

void FileModel::zero_past_eof(uint64_t off, uint64_t len) {
  const uint64_t end = end_of(off, len);
  for (uint64_t i = std::max(off, size()); i < end && i - size() < past_eof_.size(); ++i) {
    past_eof_[i - size()] = std::byte{0};
  }
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
  zero_past_eof(off, len);
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
  past_eof_.clear();
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
  past_eof_.clear();
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
  for (int i = 0; i < nfiles; ++i) {
    models_.emplace_back(std::max<uint64_t>(1, backend.block_size(i)));
    caps_.push_back(backend.caps(i));
  }
  if (nfiles > 0 && caps_[0].rename_nonempty == Errno::kEEXIST) names_ = NamespaceModel(NamespaceModel::kXfs);
  for (int i = 0; i < nfiles; ++i) {
    const std::string path = backend.file_path(i);
    named_.push_back(!path.empty());
    if (!path.empty()) names_.add_file(path, i);
  }
}

void Oracle::check_namespace(const Op& op, const OpResult& r, std::vector<std::string>* bad) {
  const Errno want = names_.apply(op);
  if (r.err != want) {
    bad->push_back(absl::StrFormat("namespace: %s returned %s, the model expects %s", op.to_command(),
                                   errno_name(r.err), errno_name(want)));
  }
  std::vector<std::string> paths = names_.paths();
  if (op.kind != OpKind::kSymlink) paths.push_back(op.path);  // A symlink's path is its text.
  if (!op.arg.empty()) paths.push_back(op.arg);
  for (const std::string& path : paths) {
    const std::optional<NameState> got = backend_.name_state(path);
    if (!got) return;  // The backend has no view of names.
    const NameState model = names_.state(path);
    if (*got != model) {
      bad->push_back(absl::StrFormat("namespace: after %s, lstat(%s) says %s; the model says %s",
                                     op.to_command(), path, to_string(*got), to_string(model)));
    }
  }
  for (int f = 0; f < static_cast<int>(models_.size()); ++f) {
    if (!named_[static_cast<size_t>(f)]) continue;
    const std::optional<uint64_t> n = backend_.file_nlink(f);
    if (n && *n != names_.nlink(f)) {
      bad->push_back(absl::StrFormat("namespace: after %s, file %d has st_nlink %d; the model says %d",
                                     op.to_command(), f, *n, names_.nlink(f)));
    }
  }
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
// (delalloc and unwritten-with-dirty-cache count) — but for buffered
// writes a reflinked file may have staged in its CoW fork, which XFS's
// FIEMAP (the data fork only) shows as holes until writeback —, and no
// written extent (neither UNWRITTEN nor DELALLOC) maps a block inside EOF
// that the model knows is a hole.
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
      if (const uint64_t i = m.first_reported_data(pos, gap_end); i < gap_end) return report(i);
    }
    pos = std::max(pos, end_of(e.offset, e.length));
  }
  if (pos < stop) {
    if (const uint64_t i = m.first_reported_data(pos, stop); i < stop) return report(i);
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

namespace {

// RemapPlan is what a clone or dedupe of [src_off, src_off+len) of one
// file into another at `off` comes to on a filesystem with reflink:
// do_clone_file_range / vfs_dedupe_file_range_one's remap_verify_area,
// then __generic_remap_file_range_prep (len 0: a clone to the source's
// EOF, a dedupe of nothing), generic_remap_checks (block-aligned starts;
// a dedupe inside both EOFs; a clone from inside the source; the source's
// partial EOF block whole when the range ends there — and, for a dedupe,
// the destination's too —, otherwise a whole number of blocks; no overlap
// within one file; a clone that would come up short is EINVAL), and
// generic_remap_check_len (a clone of a partial EOF block into the middle
// of the destination is EINVAL; a dedupe drops it).
struct RemapPlan {
  Errno err = Errno::kOk;  // EINVAL, or OK.
  uint64_t count = 0;      // The bytes remapped (a dedupe's compared range).
  uint64_t bcount = 0;     // count with the source's EOF block whole.
  uint64_t shared = 0;     // The bytes whose blocks are shared (a dedupe's
                           // after generic_remap_check_len).
};

RemapPlan remap_plan(const FileModel& src, const FileModel& dst, bool same_file, int64_t src_off,
                     int64_t off, int64_t len, uint64_t bs, bool dedupe) {
  RemapPlan p;
  auto fail = [&] {
    p.err = Errno::kEINVAL;
    return p;
  };
  if (src_off < 0 || off < 0 || len < 0 || len > kOffMax - src_off || len > kOffMax - off) {
    return fail();
  }
  const uint64_t in = static_cast<uint64_t>(src_off), out = static_cast<uint64_t>(off);
  uint64_t n = static_cast<uint64_t>(len);
  const uint64_t isize = src.size(), osize = dst.size();
  if (n == 0) {
    if (dedupe || in == isize) return p;
    if (in > isize) return fail();
    n = isize - in;
  }
  if (in % bs != 0 || out % bs != 0) return fail();
  if (dedupe && (in >= isize || in + n > isize || out >= osize || out + n > osize)) return fail();
  if (in >= isize) return fail();
  uint64_t count = std::min(n, isize - in);
  uint64_t bcount;
  if (in + count == isize && (!dedupe || out + count == osize)) {
    bcount = round_up(isize, bs) - in;
  } else {
    count = round_down(count, bs);
    bcount = count;
  }
  if (same_file && out + bcount > in && out < in + bcount) return fail();
  if (!dedupe && count != n) return fail();
  p.count = count;
  p.bcount = bcount;
  p.shared = count;
  if (count % bs != 0 && out + count < osize) {
    if (!dedupe) return fail();
    p.shared = p.bcount = round_down(count, bs);
  }
  return p;
}

// poisoned_near: some poisoned byte lies in the blocks [off, off+len) spans.
bool poisoned_near(const FileModel& m, uint64_t off, uint64_t len) {
  const uint64_t lo = round_down(off, m.block), hi = round_up(off + len, m.block);
  return m.first_poisoned(lo, hi) < hi;
}

}  // namespace

// FICLONERANGE, from ioctl_file_clone down: without a remap op
// EOPNOTSUPP before anything else; with one, remap_verify_area's EINVAL on
// either range, then a filesystem without reflink says EOPNOTSUPP
// (xfs_file_remap_range); then remap_plan's EINVAL or success with
// nothing returned ("if (olen && cloned != olen) ret = -EINVAL"). A clone
// that fails for want of space or on I/O must have changed nothing.
void Oracle::check_clone(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileCaps& caps = caps_.at(op.file);
  Errno want;
  if (!caps.remap) {
    want = Errno::kEOPNOTSUPP;
  } else {
    const RemapPlan p = remap_plan(models_.at(op.src), models_.at(op.file), op.src == op.file,
                                   op.src_off, op.off, op.len, caps.fs_block, false);
    const bool bad_area = op.src_off < 0 || op.off < 0 || op.len < 0 ||
                          op.len > kOffMax - op.src_off || op.len > kOffMax - op.off;
    want = bad_area ? Errno::kEINVAL : !caps.reflink ? Errno::kEOPNOTSUPP : p.err;
  }
  if (r.err == want && (r.err != Errno::kOk || r.ret == 0)) return;
  if (want == Errno::kOk && (r.err == Errno::kENOSPC || r.err == Errno::kEIO)) return;
  bad->push_back(absl::StrFormat(
      "FICLONERANGE of file %d [%d, +%d) to file %d at %d (sizes %d and %d, block %d%s) returned "
      "%s, the model expects %s",
      op.src, op.src_off, op.len, op.file, op.off, models_.at(op.src).size(),
      models_.at(op.file).size(), caps.fs_block, caps.reflink ? "" : ", no reflink",
      r.err == Errno::kOk ? absl::StrCat(r.ret) : std::string(errno_name(r.err)), errno_name(want)));
}

// FIDEDUPERANGE with one destination (vfs_dedupe_file_range): the call
// fails (EOPNOTSUPP without a remap op; EINVAL a source range that is
// negative, overflows, or runs past the source's EOF) or the destination
// gets a status: -EINVAL its range fails remap_verify_area; SAME with 0
// bytes for length 0; -EOPNOTSUPP without reflink; -EINVAL as remap_plan
// says; SAME with bytes_deduped the (1 GiB-clipped) request when the
// compared range is equal — or empty —, DIFFERS when it is not, -EIO
// where poison lies in the blocks compared (never SAME over a poisoned
// byte). bytes_deduped is 0 for every status but SAME.
void Oracle::check_dedupe(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileCaps& caps = caps_.at(op.file);
  const FileModel& src = models_.at(op.src);
  const FileModel& dst = models_.at(op.file);
  Errno call = Errno::kOk;
  std::vector<int32_t> statuses;
  uint64_t len = 0;
  if (!caps.remap) {
    call = Errno::kEOPNOTSUPP;
  } else if (op.src_off < 0 || op.len < 0 || op.len > kOffMax - op.src_off ||
             static_cast<uint64_t>(op.src_off + op.len) > src.size()) {
    call = Errno::kEINVAL;
  } else {
    len = std::min<uint64_t>(op.len, kDedupeMax);
    constexpr int32_t kInval = -static_cast<int32_t>(Errno::kEINVAL);
    if (op.off < 0 || len > static_cast<uint64_t>(kOffMax - op.off)) {
      statuses = {kInval};
    } else if (len == 0) {
      statuses = {kFILE_DEDUPE_RANGE_SAME};
    } else if (!caps.reflink) {
      statuses = {-static_cast<int32_t>(Errno::kEOPNOTSUPP)};
    } else {
      const RemapPlan p = remap_plan(src, dst, op.src == op.file, op.src_off, op.off,
                                     static_cast<int64_t>(len), caps.fs_block, true);
      if (p.err != Errno::kOk) {
        statuses = {kInval};
      } else {
        const uint64_t in = static_cast<uint64_t>(op.src_off), out = static_cast<uint64_t>(op.off);
        const bool same = std::equal(src.bytes.begin() + static_cast<ptrdiff_t>(in),
                                     src.bytes.begin() + static_cast<ptrdiff_t>(in + p.count),
                                     dst.bytes.begin() + static_cast<ptrdiff_t>(out));
        const int32_t normal = same ? kFILE_DEDUPE_RANGE_SAME : kFILE_DEDUPE_RANGE_DIFFERS;
        constexpr int32_t kIo = -static_cast<int32_t>(Errno::kEIO);
        if (p.count > 0 && (src.first_poisoned(in, in + p.count) < in + p.count ||
                            dst.first_poisoned(out, out + p.count) < out + p.count)) {
          statuses = {kIo, kFILE_DEDUPE_RANGE_DIFFERS};
        } else if (p.count > 0 &&
                   (poisoned_near(src, in, p.count) || poisoned_near(dst, out, p.count))) {
          statuses = {kIo, normal};
        } else {
          statuses = {normal};
        }
      }
    }
  }
  auto fail = [&](std::string what) {
    bad->push_back(absl::StrFormat(
        "FIDEDUPERANGE of file %d [%d, +%d) against file %d at %d (sizes %d and %d, block %d%s) "
        "-> %s: %s",
        op.src, op.src_off, op.len, op.file, op.off, src.size(), dst.size(), caps.fs_block,
        caps.reflink ? "" : ", no reflink", r.to_json().dump(), what));
  };
  if (r.err != call) {
    return fail(absl::StrFormat("the call must answer %s", errno_name(call)));
  }
  if (call != Errno::kOk) return;
  if (std::find(statuses.begin(), statuses.end(), r.status) == statuses.end()) {
    std::string want;
    for (int32_t st : statuses) absl::StrAppend(&want, want.empty() ? "" : " or ", st);
    return fail(absl::StrFormat("the destination's status must be %s", want));
  }
  const uint64_t deduped = r.status == kFILE_DEDUPE_RANGE_SAME ? len : 0;
  if (static_cast<uint64_t>(r.ret) != deduped) {
    fail(absl::StrFormat("bytes_deduped must be %d (the request on SAME, else 0)", deduped));
  }
}

// copy_file_range(2) with both offsets given: negative offsets fail, and
// offsets a (size_t) length would wrap are EOVERFLOW; the count is clipped at the source's EOF and to MAX_RW_COUNT; an overlap
// within one file (on the clipped count) is EINVAL; nothing to copy
// returns 0; otherwise it copies at least a byte and at most the clipped
// count (a remap may share only a block-aligned prefix), or fails over
// poison (EIO reading or zeroing up to the destination, EFAULT writing on
// DAX) or for want of space.
void Oracle::check_copy_range(const Op& op, const OpResult& r,
                              std::vector<std::string>* bad) const {
  const FileModel& src = models_.at(op.src);
  auto fail = [&](std::string what) {
    bad->push_back(absl::StrFormat(
        "copy_file_range of file %d [%d, +%d) to file %d at %d (source size %d) -> %s: %s",
        op.src, op.src_off, op.len, op.file, op.off, src.size(), r.to_json().dump(), what));
  };
  if (op.src_off < 0 || op.off < 0) {
    if (r.err == Errno::kOk) fail("a negative offset must fail (EINVAL, or EOVERFLOW if it wraps)");
    return;
  }
  // The length is a size_t: "Ensure offsets don't wrap" (EOVERFLOW).
  const uint64_t in = static_cast<uint64_t>(op.src_off), out = static_cast<uint64_t>(op.off);
  const uint64_t want = static_cast<uint64_t>(op.len);
  if (in + want < in || out + want < out) {
    if (r.err != Errno::kEOVERFLOW) fail("offsets that wrap must be EOVERFLOW");
    return;
  }
  uint64_t len = in >= src.size() ? 0 : std::min<uint64_t>(want, src.size() - in);
  if (op.src == op.file && in + len > out && in < out + len) {
    if (r.err != Errno::kEINVAL) fail("overlapping ranges of one file must be EINVAL");
    return;
  }
  if (out + len > static_cast<uint64_t>(kOffMax)) return;  // EINVAL or EFBIG: not drawn.
  len = std::min(len, kMaxRw);
  if (r.err != Errno::kOk) {
    // Over known poison a DAX read is EIO (dax_direct_access refuses the
    // page) and a write EFAULT (a recovery write of part of a page stores
    // nothing: "if (xfer == 0) ret = -EFAULT"); so is the zeroing from the
    // destination's EOF to a copy past it (EIO).
    const FileModel& dst = models_.at(op.file);
    const bool poison = len > 0 && (poisoned_near(src, in, len) || poisoned_near(dst, out, len) ||
                                    (out > dst.size() && poisoned_near(dst, dst.size(), out - dst.size())));
    if (len == 0) {
      fail("nothing to copy must return 0");
    } else if (r.err != Errno::kENOSPC &&
               !(poison && (r.err == Errno::kEIO || r.err == Errno::kEFAULT))) {
      fail("a valid copy may fail only over poison (EIO, EFAULT) or for want of space");
    }
    return;
  }
  if (static_cast<uint64_t>(r.ret) > len || (len > 0 && r.ret == 0)) {
    fail(absl::StrFormat("the count must be in [1, %d] (0 only when nothing is to copy)", len));
  }
}

// An O_DIRECT write whose position or length is not a multiple of the
// device's logical sector size is EINVAL before anything moves
// (xfs_file_dio_write, iomap_dio_rw); a write of nothing returns 0 first.
void Oracle::check_dio(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const uint64_t a = caps_.at(op.file).dio_align;
  if (a == 0 || op.off < 0 || op.len <= 0) return;
  const bool aligned = static_cast<uint64_t>(op.off) % a == 0 && static_cast<uint64_t>(op.len) % a == 0;
  if (!aligned && r.err != Errno::kEINVAL) {
    bad->push_back(absl::StrFormat(
        "O_DIRECT pwrite of [%d, +%d) (alignment %d) -> %s: a misaligned direct write is EINVAL",
        op.off, op.len, a, r.to_json().dump()));
  }
  if (aligned && r.err == Errno::kEINVAL) {
    bad->push_back(absl::StrFormat(
        "O_DIRECT pwrite of [%d, +%d) (alignment %d) is aligned, yet EINVAL", op.off, op.len, a));
  }
}

// A store through a MAP_SHARED mapping faults (SIGBUS) at the first page
// wholly past EOF and nowhere before it — except at a page with poison in
// it (DAX refuses to map it). mmap itself may fail only where the model
// cannot see why: then nothing is stored.
void Oracle::check_mwrite(const Op& op, const OpResult& r, std::vector<std::string>* bad) const {
  const FileModel& m = models_.at(op.file);
  if (op.off < 0 || op.len <= 0) return;
  if (r.ret == 0 && r.signal == 0 && r.err != Errno::kOk) return;  // mmap failed.
  const uint64_t off = static_cast<uint64_t>(op.off), len = static_cast<uint64_t>(op.len);
  const uint64_t eof_page_end = round_up(m.size(), kPage);
  const uint64_t want = off >= eof_page_end ? 0 : std::min(len, eof_page_end - off);
  const uint64_t got = static_cast<uint64_t>(r.ret);
  auto fail = [&](std::string what) {
    bad->push_back(absl::StrFormat("mmap store of [%d, +%d) (size %d) -> %s: %s", off, len,
                                   m.size(), r.to_json().dump(), what));
  };
  if (got > len || (got < len) != (r.signal != 0) || (r.signal != 0 && r.signal != kSIGBUS)) {
    return fail("a store stops exactly where it takes SIGBUS");
  }
  if (got > want) return fail(absl::StrFormat("a store to a page wholly past EOF (from %d) must "
                                              "fault with SIGBUS", eof_page_end));
  if (got < want) {
    const uint64_t page = round_down(off + got, kPage);
    // A write fault on a shared block copies on write into fresh blocks
    // that nothing zeroes (xfs_reflink_fill_cow_hole allocates them with
    // XFS_BMAPI_COWFORK | XFS_BMAPI_PREALLOC, no XFS_BMAPI_ZERO), and pmem
    // keeps known poison on the blocks a file gave back: dax_fault_iter's
    // dax_iomap_direct_access of such a staging block is -EHWPOISON, so
    // SIGBUS. Once poison has been freed, a store into a file that shares
    // blocks may fault anywhere inside EOF.
    const bool stray_poison = poison_freed_ && m.reflinked();
    if (m.first_poisoned(page, page + kPage) >= page + kPage && !stray_poison) {
      fail(absl::StrFormat("SIGBUS at %d, inside the EOF page's end %d and away from poison",
                           off + got, eof_page_end));
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
    case OpKind::kClone:
      check_clone(op, r, bad);
      break;
    case OpKind::kDedupe:
      check_dedupe(op, r, bad);
      break;
    case OpKind::kCopyRange:
      check_copy_range(op, r, bad);
      break;
    case OpKind::kDioPwrite:
      check_dio(op, r, bad);
      break;
    case OpKind::kMwrite:
      check_mwrite(op, r, bad);
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
      if (r.err == Errno::kOk) {
        m.write(off, static_cast<uint64_t>(r.ret), std::byte{op.fill});
        m.note_buffered_write(off, static_cast<uint64_t>(r.ret));
      }
      break;
    case OpKind::kDioPwrite:
      // A direct CoW write is remapped when it completes; what it leaves in
      // the CoW fork is unwritten preallocation. But XFS cannot unshare a
      // partial block: an O_DIRECT write to a reflinked file that is not
      // block-aligned goes buffered (xfs_file_dio_write_unaligned's
      // -ENOTBLK), so it may stage in the CoW fork like any buffered write.
      if (r.err == Errno::kOk) {
        m.write(off, static_cast<uint64_t>(r.ret), std::byte{op.fill});
        if ((off | len) % m.block != 0) m.note_buffered_write(off, static_cast<uint64_t>(r.ret));
      }
      break;
    case OpKind::kMwrite:
      // The bytes stored before any SIGBUS, whatever msync then said: they
      // are in the page cache (or on the media, for DAX).
      m.mstore(off, static_cast<uint64_t>(std::max<int64_t>(r.ret, 0)), std::byte{op.fill},
               caps_.at(op.file).eof_page_keeps_stores, caps_.at(op.file).max_folio);
      m.note_buffered_write(off, static_cast<uint64_t>(std::max<int64_t>(r.ret, 0)));
      break;
    case OpKind::kFsync:
      if (r.err == Errno::kOk) m.written_back();
      break;
    case OpKind::kClone: {
      // Success returns 0: the whole request was cloned ("cloned != olen"
      // is EINVAL), to the source's EOF for length 0 — remap_plan's count,
      // with the source's EOF block whole.
      if (r.err != Errno::kOk) break;
      const FileModel& src = models_.at(op.src);
      const RemapPlan p = remap_plan(src, m, op.src == op.file, op.src_off, op.off, op.len,
                                     caps_.at(op.file).fs_block, false);
      if (p.err != Errno::kOk || p.count == 0) break;  // check_clone objected already.
      const FileModel before = src;
      m.copy_from(before, static_cast<uint64_t>(op.src_off), off, p.count);
      m.share_blocks(before, static_cast<uint64_t>(op.src_off), off, p.bcount);
      m.mark_reflinked();
      models_.at(op.src).mark_reflinked();
      break;
    }
    case OpKind::kDedupe: {
      // No byte changes; the destination's blocks may now be the source's.
      if (r.err != Errno::kOk || r.status != kFILE_DEDUPE_RANGE_SAME || r.ret <= 0) break;
      const FileModel& src = models_.at(op.src);
      const RemapPlan p = remap_plan(src, m, op.src == op.file, op.src_off, op.off,
                                     std::min<int64_t>(op.len, kDedupeMax),
                                     caps_.at(op.file).fs_block, true);
      if (p.err != Errno::kOk || p.shared == 0) break;
      const FileModel before = src;
      m.share_blocks(before, static_cast<uint64_t>(op.src_off), off, p.bcount);
      m.mark_reflinked();
      models_.at(op.src).mark_reflinked();
      break;
    }
    case OpKind::kCopyRange: {
      // The reported count, copied or shared (a remap leaves the source's
      // holes holes; a copy maps what it writes).
      if (r.err != Errno::kOk || r.ret <= 0) break;
      const FileModel before = models_.at(op.src);
      m.copy_from(before, static_cast<uint64_t>(op.src_off), off, static_cast<uint64_t>(r.ret));
      m.allocate(off, static_cast<uint64_t>(r.ret));
      // Shared, or copied by buffered writes: either way as a clone or a
      // write would leave it.
      if (caps_.at(op.file).reflink) {
        m.mark_reflinked();
        models_.at(op.src).mark_reflinked();
      }
      m.note_buffered_write(off, static_cast<uint64_t>(r.ret));
      break;
    }
    case OpKind::kTruncate:
      // XFS sets the size and truncates the page cache before the
      // writeback of [i_disk_size, newsize) that can fail with EIO
      // (xfs_setattr_size: "made user visible changes"): a failed
      // truncate that moved the size took effect.
      if (r.err == Errno::kOk || (r.err == Errno::kEIO && r.size_after == len)) m.resize(len);
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
          // xfs_file_fallocate: the shared blocks copied, then the range
          // preallocated as mode 0 does (unwritten over the holes).
          m.allocate(off, len);
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
                           std::vector<std::string>* bad, uint64_t from) {
  const FileModel& m = models_.at(file);
  const uint64_t size = m.size();
  const bool own = file == op.file;
  auto differs = [&](uint64_t at) {
    if (!own && sweeping_) {
      bad->push_back(absl::StrFormat(
          "an op on another file changed file %d, found by the full read-back after op %d: content "
          "differs from the model at byte %d (model %d bytes)",
          file, op.id, at, size));
      return;
    }
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
  for (uint64_t lo = from; lo < end;) {
    uint64_t hi = std::min(end, lo + m.block);
    const bool tainted = m.first_poisoned(lo, hi) < hi;
    while (!tainted && hi < end) {
      const uint64_t next = std::min(end, hi + m.block);
      if (m.first_poisoned(hi, next) < next) break;
      hi = next;
    }
    if (scratch_.size() < hi - lo) scratch_.resize(hi - lo);
    Result<uint64_t> n = backend_.read_into(file, lo, std::span(scratch_).first(hi - lo));
    const std::optional<std::span<const std::byte>> got =
        n ? std::optional(std::span<const std::byte>(scratch_).first(*n)) : std::nullopt;
    if (tainted) {
      const uint64_t p = m.first_poisoned(lo, hi);
      if (got && lo + got->size() > p) {
        bad->push_back(absl::StrFormat(
            "reading the file back returned poisoned byte %d as data (poisoned bytes never read "
            "back as good data)",
            p));
        return;
      }
    } else if (!n) {
      bad->push_back(absl::StrFormat("reading the file back failed at byte %d: %s", lo,
                                     errno_name(n.error())));
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
// poison, say). So after a PUNCH_HOLE, ZERO_RANGE, COLLAPSE_RANGE or ZEROINIT_RANGE that
// failed, bytes of its range that read back as zeros are taken as zeroed;
// anything else — other bytes of the range, bytes outside it — must still
// equal the model. A collapse that failed in its final truncate has moved
// the data down (below). A block that reads back whole inside the range has no
// poison left there (a page with known poison does not read).
void Oracle::take_partial_zeroing(const Op& op, const OpResult& r) {
  if (op.kind != OpKind::kFallocate || r.err == Errno::kOk || op.off < 0 || op.len <= 0) return;
  // Only an error met on the way can come after a change: argument,
  // permission and support checks (EINVAL, EOPNOTSUPP, EBADF, EPERM,
  // EFBIG, ...) come before anything is touched (vfs_fallocate,
  // xfs_file_fallocate), and a change before one of those is a bug.
  // ZEROINIT_RANGE (seed 004, patches 1, 2 and 4) is the exception: its
  // iterators (dax_zeroinit_iter, iomap_zeroinit_iter) zero each mapped
  // extent as they reach it and reject a later hole, delalloc, shared or
  // misaligned one with ECANCELED (EOPNOTSUPP to the caller) or EINVAL,
  // so extents before the rejected one may already be zero.
  // Only a call past the argument checks (the mode exactly
  // ZEROINIT|KEEP_SIZE, vfs_fallocate's; the range inside EOF,
  // dax_zeroinit_range's and iomap_zeroout_range's first check) can have
  // zeroed anything.
  const int mode = op.mode & ~kFALLOC_FL_KEEP_SIZE;
  const bool zeroinit_rejected =
      op.mode == (kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE) &&
      static_cast<uint64_t>(op.off) + static_cast<uint64_t>(op.len) <= models_.at(op.file).size() &&
      (r.err == Errno::kEINVAL || r.err == Errno::kEOPNOTSUPP);
  if (r.err != Errno::kEIO && r.err != Errno::kENOSPC && r.err != Errno::kEINTR &&
      r.err != Errno::kENOMEM && r.err != Errno::kEHWPOISON && !zeroinit_rejected) {
    return;
  }
  if (mode != kFALLOC_FL_PUNCH_HOLE && mode != kFALLOC_FL_ZERO_RANGE &&
      mode != kFALLOC_FL_COLLAPSE_RANGE && mode != kFALLOC_FL_ZEROINIT_RANGE) {
    return;
  }
  FileModel& m = models_.at(op.file);
  const uint64_t start = static_cast<uint64_t>(op.off);
  if (mode == kFALLOC_FL_COLLAPSE_RANGE) {
    // xfs_falloc_collapse_range shifts the extents (xfs_collapse_file_space)
    // before it truncates to the new EOF (xfs_falloc_setsize), and that
    // truncate can fail too (zeroing the new EOF block over poison, a
    // writeback error): then the data has moved down and the size is still
    // the old one, the tail a hole. Whichever of the two the file shows
    // is taken.
    FileModel shifted = m;
    shifted.collapse(start, static_cast<uint64_t>(op.len));
    shifted.resize(m.size());
    std::swap(m, shifted);
    std::vector<std::string> bad;
    check_content(op.file, op, r, &bad, 0);
    if (bad.empty()) return;
    std::swap(m, shifted);
  }
  const uint64_t stop = std::min<uint64_t>(m.size(), end_of(start, static_cast<uint64_t>(op.len)));
  for (uint64_t lo = start; lo < stop;) {
    const uint64_t hi = std::min(stop, round_down(lo, m.block) + m.block);
    if (scratch_.size() < hi - lo) scratch_.resize(hi - lo);
    Result<uint64_t> n = backend_.read_into(op.file, lo, std::span(scratch_).first(hi - lo));
    if (n && *n == hi - lo) {
      for (uint64_t i = 0; i < *n; ++i) {
        if (scratch_[i] == std::byte{0}) m.zero(lo + i, 1);
      }
    }
    lo = hi;
  }
}

std::vector<std::string> Oracle::step(const Op& op, OpResult* result) {
  std::vector<std::string> bad;
  const std::optional<uint64_t> epoch = backend_.storage_epoch();
  OpResult r = backend_.run(op);
  const bool storage_moved = !epoch || backend_.storage_epoch() != epoch;
  check_result(op, r, &bad);
  if (NamespaceModel::is_namespace_op(op)) check_namespace(op, r, &bad);
  const uint64_t poisoned_before = models_.at(op.file).poisoned_bytes();
  apply(op, r);
  take_partial_zeroing(op, r);
  // Writes and ZEROINIT rewrite poisoned bytes in place (clearing the
  // poison); any other op that takes poison out of the file frees it
  // with the blocks it lies on.
  const bool rewrites = op.kind == OpKind::kPwrite || op.kind == OpKind::kDioPwrite ||
                        op.kind == OpKind::kMwrite ||
                        (op.kind == OpKind::kFallocate &&
                         (op.mode & ~kFALLOC_FL_KEEP_SIZE) == kFALLOC_FL_ZEROINIT_RANGE);
  if (!rewrites && models_.at(op.file).poisoned_bytes() < poisoned_before) poison_freed_ = true;
  const FileModel& m = models_.at(op.file);
  if (r.size_after != m.size()) {
    bad.push_back(absl::StrFormat("size %d, the model says %d", r.size_after, m.size()));
  }
  // Every file, not only the op's: an op must not change another file.
  // One it was not given can have changed only through the storage under
  // it, or its size; it is read back whole when that moved, and on the
  // sweeps (by op id, which reduction keeps), so whatever this misses is
  // found a few ops later at most.
  const bool sweep = op.id < 0 || op.id % kSweepEvery == kSweepEvery - 1;
  // The ops that only look (pread, SEEK_*, FIEMAP) change no file but
  // through the storage (FIEMAP_FLAG_SYNC's writeback, say).
  const bool looks = op.kind == OpKind::kPread || op.kind == OpKind::kSeekData ||
                     op.kind == OpKind::kSeekHole || op.kind == OpKind::kFiemap;
  partial_.resize(models_.size());
  for (int f = 0; f < static_cast<int>(models_.size()); ++f) {
    const bool given = !looks && (f == op.file || (op.two_files() && f == op.src));
    const FileModel& m = models_[static_cast<size_t>(f)];
    const bool whole = given || storage_moved || sweep || m.size() == 0;
    partial_[static_cast<size_t>(f)] = !whole;
    sweeping_ = !given && !storage_moved && sweep;
    check_content(f, op, r, &bad, whole ? 0 : round_down(m.size() - 1, m.block));
    sweeping_ = false;
  }
  for (std::string& s : backend_.check()) bad.push_back("fsck: " + s);
  if (result != nullptr) *result = std::move(r);
  return bad;
}

std::vector<std::string> Oracle::sweep(const Op& last, const OpResult& r) {
  std::vector<std::string> bad;
  sweeping_ = true;
  for (size_t f = 0; f < partial_.size(); ++f) {
    if (partial_[f]) check_content(static_cast<int>(f), last, r, &bad, 0);
    partial_[f] = false;
  }
  sweeping_ = false;
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
  if (a.status != b.status) diffs.push_back(absl::StrFormat("dedupe status %d vs %d", a.status, b.status));
  if (a.signal != b.signal || (a.signal != 0 && a.ret != b.ret)) {
    diffs.push_back(absl::StrFormat("signal %d after %d bytes vs %d after %d", a.signal, a.ret,
                                    b.signal, b.ret));
  }
  if (a.size_after != b.size_after) {
    diffs.push_back(absl::StrFormat("size %d vs %d", a.size_after, b.size_after));
  }
  std::string out;
  for (const std::string& d : diffs) out += (out.empty() ? "" : "; ") + d;
  return out;
}

}  // namespace vfssim
