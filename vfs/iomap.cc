#include "vfs/iomap.h"

#include <algorithm>

namespace vfssim {

std::string_view iomap_type_name(IomapType t) {
  switch (t) {
    case IomapType::kHole:
      return "hole";
    case IomapType::kDelalloc:
      return "delalloc";
    case IomapType::kMapped:
      return "mapped";
    case IomapType::kUnwritten:
      return "unwritten";
    case IomapType::kInline:
      return "inline";
  }
  return "?";
}

uint64_t IomapIter::length() const {
  const uint64_t end = static_cast<uint64_t>(iomap.offset) + iomap.length;
  const uint64_t left = end - static_cast<uint64_t>(pos);
  return std::min(len, left);
}

namespace {

// A mapping must contain pos (iomap_iter_done's WARN_ONs).
bool covers(const Iomap& m, off_t64 pos) {
  return m.length > 0 && m.offset <= pos &&
         static_cast<uint64_t>(m.offset) + m.length > static_cast<uint64_t>(pos);
}

}  // namespace

int64_t IomapIter::advance(uint64_t n) {
  if (n > length()) return neg(Errno::kEIO);
  len -= n;
  advanced += n;
  // A request may end one past LLONG_MAX (the page holding the last
  // byte), which a position cannot hold: a walk that ends there leaves
  // pos where its last step stopped short of it.
  if (pos <= kOffMax - static_cast<off_t64>(n)) pos += static_cast<off_t64>(n);
  return 0;
}

namespace {

// step_length is iomap_length_trim(iter, iter_start_pos, olen): what the
// step's mapping covered of the request from where the step began.
uint64_t step_length(const IomapIter& iter) {
  const uint64_t end = static_cast<uint64_t>(iter.iomap.offset) + iter.iomap.length;
  return std::min(iter.len + iter.advanced, end - static_cast<uint64_t>(iter.iter_start_pos));
}

// end_step calls iomap_end for the outstanding mapping, over the step's
// range from where it began and with the bytes advanced. Returns its error
// when the step advanced nothing (the only case where it counts), else kOk.
Errno end_step(IomapIter& iter, IomapOps& ops) {
  const Errno e = ops.iomap_end(*iter.inode, iter.iter_start_pos, step_length(iter),
                                static_cast<int64_t>(iter.advanced), iter.flags, &iter.iomap);
  return iter.advanced == 0 ? e : Errno::kOk;
}

void reset_step(IomapIter& iter) {
  iter.status = 0;
  iter.advanced = 0;
  iter.iomap = Iomap{};
  iter.srcmap_ = Iomap{};
}

}  // namespace

int64_t iomap_iter(IomapIter& iter, IomapOps& ops) {
  if (iter.iomap.length > 0) {
    // A mapping is outstanding: end it, then decide whether to go on.
    const uint64_t advanced = iter.advanced;
    if (const Errno end_err = end_step(iter, ops); end_err != Errno::kOk) {
      reset_step(iter);
      return neg(end_err);
    }
    int64_t ret = 1;
    if (iter.status > 0) {
      ret = neg(Errno::kEIO);  // The pre-6.15 "bytes processed" return, which 6.18 WARNs on.
    } else if (iter.status < 0) {
      ret = iter.status;
    } else if (iter.len == 0 || advanced == 0) {
      ret = 0;
    }
    reset_step(iter);
    if (ret <= 0) return ret;
  } else if (iter.len == 0) {
    return 0;
  }
  reset_step(iter);
  if (Errno e = ops.iomap_begin(*iter.inode, iter.pos, iter.len, iter.flags, &iter.iomap,
                                &iter.srcmap_);
      e != Errno::kOk) {
    iter.iomap = Iomap{};  // Nothing outstanding: no iomap_end for it.
    return neg(e);
  }
  if (!covers(iter.iomap, iter.pos) || (iter.has_srcmap() && !covers(iter.srcmap_, iter.pos))) {
    iter.iomap = Iomap{};
    return neg(Errno::kEIO);
  }
  iter.iter_start_pos = iter.pos;
  return 1;
}

Errno iomap_iter_stop(IomapIter& iter, IomapOps& ops, uint64_t processed, Errno err) {
  Errno out = err;
  if (iter.iomap.length > 0) {
    iter.advance(std::min(processed, iter.length()));
    // iomap_end gets the step's whole length and what was done of it, as
    // iomap_iter passes them, so a filesystem releases what the step
    // reserved beyond it (xfs_buffered_write_iomap_end).
    if (const Errno end_err = end_step(iter, ops); end_err != Errno::kOk) out = end_err;
  }
  iter.len = 0;
  reset_step(iter);
  return out;
}

}  // namespace vfssim
