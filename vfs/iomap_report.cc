#include "vfs/iomap_report.h"

#include <algorithm>

#include "vfs/buffered_io.h"
#include "vfs/lseek.h"
#include "vfs/mount.h"

namespace vfssim {
namespace {

// fill_next_extent is fiemap_fill_next_extent: returns true when the caller
// must stop (the array is full, or this was the LAST extent).
bool fill_next_extent(Fiemap* fi, uint64_t logical, uint64_t phys, uint64_t len,
                      uint32_t flags) {
  if (fi->fm_extent_count == 0) {
    ++fi->fm_mapped_extents;
    return (flags & kFIEMAP_EXTENT_LAST) != 0;
  }
  if (fi->fm_mapped_extents == fi->fm_extent_count) return true;
  if (flags & kFIEMAP_EXTENT_DELALLOC) flags |= kFIEMAP_EXTENT_UNKNOWN;
  if (flags & kFIEMAP_EXTENT_DATA_INLINE) flags |= kFIEMAP_EXTENT_NOT_ALIGNED;
  fi->fm_extents.push_back({logical, phys, len, flags});
  ++fi->fm_mapped_extents;
  return fi->fm_mapped_extents == fi->fm_extent_count || (flags & kFIEMAP_EXTENT_LAST);
}

// iomap_to_fiemap reports one mapping; holes report nothing.
bool iomap_to_fiemap(Fiemap* fi, const Iomap& m, uint32_t flags) {
  switch (m.type) {
    case IomapType::kHole:
      return false;
    case IomapType::kDelalloc:
      flags |= kFIEMAP_EXTENT_DELALLOC | kFIEMAP_EXTENT_UNKNOWN;
      break;
    case IomapType::kMapped:
      break;
    case IomapType::kUnwritten:
      flags |= kFIEMAP_EXTENT_UNWRITTEN;
      break;
    case IomapType::kInline:
      flags |= kFIEMAP_EXTENT_DATA_INLINE | kFIEMAP_EXTENT_NOT_ALIGNED;
      break;
  }
  if (m.flags & kIomapFShared) flags |= kFIEMAP_EXTENT_SHARED;
  const uint64_t phys = m.addr == kIomapNullAddr ? 0 : m.addr;
  return fill_next_extent(fi, static_cast<uint64_t>(m.offset), phys, m.length, flags);
}

// cached_data_offset is mapping_seek_hole_data over the page cache: the
// first offset in [start, end) that is (want_data) or is not (!want_data)
// covered by an uptodate or dirty cached page, or `end`.
off_t64 cached_data_offset(const Inode& ip, off_t64 start, off_t64 end, bool want_data) {
  off_t64 pos = start;
  while (pos < end) {
    const CachedPage* pg = ip.cache.find(static_cast<uint64_t>(pos) >> kCachePageShift);
    const bool data = pg != nullptr && (pg->uptodate || pg->dirty);
    if (data == want_data) return pos;
    pos = static_cast<off_t64>(((static_cast<uint64_t>(pos) >> kCachePageShift) + 1)
                               << kCachePageShift);
  }
  return end;
}

}  // namespace

Errno iomap_fiemap(Inode& ip, Fiemap* fi, IomapOps& ops) {
  // fiemap_prep.
  const uint32_t unsupported = fi->fm_flags & ~kFIEMAP_FLAG_SYNC;
  if (unsupported) {
    fi->fm_flags = unsupported;
    return Errno::kEBADR;
  }
  if (fi->fm_length == 0) return Errno::kEINVAL;
  fi->fm_mapped_extents = 0;
  fi->fm_extents.clear();
  uint64_t len = fi->fm_length;
  const uint64_t maxbytes = static_cast<uint64_t>(kOffMax);
  if (fi->fm_start > maxbytes) return Errno::kEFBIG;
  len = std::min(len, maxbytes - fi->fm_start);
  if (fi->fm_flags & kFIEMAP_FLAG_SYNC) {
    if (Errno e = filemap_write_and_wait_range(ip, 0, kOffMax, ops); e != Errno::kOk) return e;
  }
  IomapIter iter{.inode = &ip, .pos = static_cast<off_t64>(fi->fm_start), .len = len,
                 .flags = kIomapReport};
  // The previous mapping is held back so the last one can carry LAST.
  Iomap prev;
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    if (iter.iomap.type == IomapType::kHole) {
      iter.status = iter.advance_full();
      continue;
    }
    const bool full = iomap_to_fiemap(fi, prev, 0);
    prev = iter.iomap;
    if (!full) iter.status = iter.advance_full();  // Full: advance nothing, which ends the walk.
  }
  if (ret < 0) return iomap_errno(ret);
  if (prev.type != IomapType::kHole) iomap_to_fiemap(fi, prev, kFIEMAP_EXTENT_LAST);
  return Errno::kOk;
}

namespace {

// iomap_seek walks [pos, EOF) for the first hole (want_data false) or the
// first data (want_data true): iomap_seek_hole_iter and
// iomap_seek_data_iter in one.
Result<off_t64> iomap_seek(Inode& ip, off_t64 pos, IomapOps& ops, bool want_data) {
  const off_t64 size = static_cast<off_t64>(ip.size);
  if (pos < 0 || pos >= size) return Fail(Errno::kENXIO);
  IomapIter iter{.inode = &ip, .pos = pos, .len = static_cast<uint64_t>(size - pos),
                 .flags = kIomapReport | kIomapSeek};
  int64_t ret;
  off_t64 found = -1;  // Set when the answer lies inside a mapping.
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const off_t64 end = iter.pos + static_cast<off_t64>(iter.length());
    // Found at iter.pos: advance nothing, which ends the walk there (and
    // the next iomap_iter still ends this mapping with iomap_end).
    switch (iter.iomap.type) {
      case IomapType::kHole:
        if (want_data) iter.status = iter.advance_full();
        break;
      case IomapType::kUnwritten: {
        // Unwritten extents are holes unless the page cache holds data.
        const off_t64 at = cached_data_offset(ip, iter.pos, end, want_data);
        if (at < end) {
          found = at;
        } else {
          iter.status = iter.advance_full();
        }
        break;
      }
      default:
        if (!want_data) iter.status = iter.advance_full();
    }
  }
  if (ret < 0) return Fail(iomap_errno(ret));
  if (found >= 0) return found;
  if (iter.len > 0) return iter.pos;
  // No hole before EOF: EOF is one. No data: ENXIO.
  if (want_data) return Fail(Errno::kENXIO);
  return size;
}

}  // namespace

Result<off_t64> iomap_seek_hole(Inode& ip, off_t64 pos, IomapOps& ops) {
  return iomap_seek(ip, pos, ops, /*want_data=*/false);
}

Result<off_t64> iomap_seek_data(Inode& ip, off_t64 pos, IomapOps& ops) {
  return iomap_seek(ip, pos, ops, /*want_data=*/true);
}

}  // namespace vfssim

namespace vfssim {

Result<off_t64> iomap_seek_data_hole(Inode& ip, off_t64 pos, int whence, IomapOps& ops) {
  return whence == kSEEK_DATA ? iomap_seek_data(ip, pos, ops) : iomap_seek_hole(ip, pos, ops);
}

Result<off_t64> iomap_file_llseek(Inode& ip, off_t64 pos, off_t64 off, int whence, IomapOps& ops) {
  if (!ip.is_reg() || (whence != kSEEK_DATA && whence != kSEEK_HOLE)) {
    return generic_file_llseek_size(pos, off, whence, ip.sb->maxbytes, static_cast<off_t64>(ip.size));
  }
  Result<off_t64> found = iomap_seek_data_hole(ip, off, whence, ops);
  if (!found) return found;
  return vfs_setpos(*found, ip.sb->maxbytes);
}

}  // namespace vfssim
