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

int64_t iomap_iter(IomapIter& iter, IomapOps& ops) {
  if (iter.iomap.length > 0) {
    // A mapping is outstanding: end it, then advance.
    const int64_t processed = iter.processed;
    const Errno end_err = ops.iomap_end(*iter.inode, iter.pos, iter.length(),
                                        processed > 0 ? processed : 0, iter.flags, &iter.iomap);
    // fs/iomap/iter.c: iomap_end's error ends the walk only when nothing
    // was advanced and the actor reported no error of its own; after
    // progress it is ignored, and it never replaces the actor's error.
    if (end_err != Errno::kOk && processed == 0) return neg(end_err);
    if (processed < 0) return processed;
    if (static_cast<uint64_t>(processed) > iter.length()) return neg(Errno::kEIO);
    if (processed == 0) return 0;
    iter.len -= static_cast<uint64_t>(processed);
    // A request may end one past LLONG_MAX (the page holding the last
    // byte), which a position cannot hold: a walk that ends there leaves
    // pos where the last mapping began.
    if (iter.pos <= kOffMax - processed) iter.pos += processed;
    if (iter.len == 0) return 0;
  } else if (iter.len == 0) {
    return 0;
  }
  iter.processed = 0;
  iter.iomap = Iomap{};
  iter.srcmap_ = Iomap{};
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
  return 1;
}

void iomap_iter_stop(IomapIter& iter, IomapOps& ops, uint64_t processed, Errno err) {
  (void)err;  // The caller reports it; iomap_end sees only the bytes done.
  if (iter.iomap.length > 0) {
    // iomap_end gets the mapping's whole length and what was done of it,
    // as iomap_iter passes them, so a filesystem releases what the step
    // reserved beyond `processed` (xfs_buffered_write_iomap_end).
    ops.iomap_end(*iter.inode, iter.pos, iter.length(), static_cast<int64_t>(processed), iter.flags,
                  &iter.iomap);
  }
  if (processed > 0 && iter.pos <= kOffMax - static_cast<off_t64>(processed)) {
    iter.pos += static_cast<off_t64>(processed);
  }
  iter.len = 0;
  iter.processed = 0;
  iter.iomap = Iomap{};
  iter.srcmap_ = Iomap{};
}

}  // namespace vfssim
