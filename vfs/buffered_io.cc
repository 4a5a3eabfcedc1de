#include "vfs/buffered_io.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>
#include <vector>

#include "vfs/mount.h"
#include "vfs/timestamps.h"

namespace vfssim {
namespace {

constexpr uint64_t kPage = kCachePageSize;

uint64_t page_pos(uint64_t index) { return index << kCachePageShift; }

// PageSpan is the part of one page that a byte range starting at `off`,
// with `left` bytes to go, covers: page index, offset in it, byte count.
struct PageSpan {
  uint64_t index;
  uint64_t in_page;
  uint64_t n;
};
PageSpan page_span(uint64_t off, uint64_t left) {
  const uint64_t in_page = off & (kPage - 1);
  return {off >> kCachePageShift, in_page, std::min(left, kPage - in_page)};
}

// write_begin_order is the folio order iomap's write_begin asks for (the
// fgf_set_order of __iomap_get_folio) for a step of `bytes` at `pos`:
// ilog2 of the bytes, in pages, after iomap_write_iter has cut the step at
// the end of the largest folio's naturally aligned chunk. PageCache lowers
// it to what the index's alignment and the cached pages allow.
uint8_t write_begin_order(uint64_t pos, uint64_t bytes) {
  const uint64_t chunk = kPage << PageCache::kMaxFolioOrder;
  bytes = std::min(bytes, chunk - (pos & (chunk - 1)));
  if (bytes == 0) return 0;
  const int shift = std::bit_width(bytes) - 1;
  return shift <= kCachePageShift ? 0 : static_cast<uint8_t>(shift - kCachePageShift);
}

// Device byte address of file offset `pos` inside mapping `m`.
uint64_t dev_addr(const Iomap& m, off_t64 pos) {
  return m.addr + static_cast<uint64_t>(pos - m.offset);
}

// fill_page reads page `index` into `page` with a report-only walk: what a
// buffered write needs before it changes part of a page that is not
// uptodate, and what a read miss needs.
Errno fill_page(Inode& ip, uint64_t index, CachedPage& page, IomapOps& ops) {
  std::span<std::byte> bytes(*page.data);
  IomapIter iter{.inode = &ip, .pos = static_cast<off_t64>(page_pos(index)), .len = kPage,
                 .flags = 0};
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const uint64_t at = static_cast<uint64_t>(iter.pos) - page_pos(index);
    const Errno e = read_from_mapping(iter.srcmap(), iter.pos, bytes.subspan(at, iter.length()));
    iter.status = e == Errno::kOk ? iter.advance_full() : neg(e);
  }
  if (ret < 0) return iomap_errno(ret);
  // Bytes past EOF read as zeros (iomap_adjust_read_range / folio_zero_segment).
  if (page_pos(index) + kPage > ip.size) {
    const uint64_t keep = ip.size > page_pos(index) ? ip.size - page_pos(index) : 0;
    std::fill(bytes.begin() + static_cast<ptrdiff_t>(keep), bytes.end(), std::byte{0});
  }
  page.uptodate = true;
  return Errno::kOk;
}

// write_page_range sends [pos, pos+len) of the cached pages to where `m`
// maps it.
Errno write_to_mapping(Inode& ip, const Iomap& m, off_t64 pos, uint64_t len) {
  if (m.type != IomapType::kMapped && m.type != IomapType::kUnwritten) {
    return Errno::kEIO;  // Writeback must be handed real blocks.
  }
  uint64_t done = 0;
  while (done < len) {
    const uint64_t off = static_cast<uint64_t>(pos) + done;
    const auto [index, in_page, n] = page_span(off, len - done);
    static const PageBytes kZeros{};
    const CachedPage* page = ip.cache.find(index);
    const std::span<const std::byte> src =
        std::span<const std::byte>(page != nullptr ? *page->data : kZeros).subspan(in_page, n);
    const uint64_t addr = dev_addr(m, static_cast<off_t64>(off));
    if (m.bdev != nullptr) {
      IoResult r = m.bdev->write(addr >> kSectorShift, src);
      if (r.err != Errno::kOk) return r.err;
    } else if (m.dax_dev != nullptr) {
      m.dax_dev->memcpy_flushcache(addr, src);
    } else {
      return Errno::kEIO;
    }
    done += n;
  }
  return Errno::kOk;
}

// dirty_mapping_pages brings every page under the current mapping into the
// cache (reading what is not uptodate), zeroes the mapped bytes if asked,
// and dirties it: the actor of iomap_zero_range and iomap_file_unshare.
// *did_zero, if given, is set once any page was zeroed. Returns the step's
// status, having advanced the iterator over the whole mapping.
int64_t dirty_mapping_pages(Inode& ip, IomapIter& iter, IomapOps& ops, bool zero,
                            bool* did_zero = nullptr) {
  uint64_t done = 0;
  while (done < iter.length()) {
    const uint64_t off = static_cast<uint64_t>(iter.pos) + done;
    const auto [index, in_page, n] = page_span(off, iter.length() - done);
    Result<CachedPage*> page =
        filemap_get_page(ip, index, ops, write_begin_order(off, iter.length() - done));
    if (!page) return neg(page.error());
    if (zero) std::memset((*page)->data->data() + in_page, 0, n);
    ip.cache.mark_dirty_range(index, **page, in_page, n);
    if (zero && did_zero != nullptr) *did_zero = true;
    done += n;
  }
  return iter.advance(done);
}

// dirty_block_ranges: the byte ranges of [from, to) — block-aligned, inside
// one run of dirty pages — whose blocks of `bs` bytes (at most a page)
// hold a dirty sector, contiguous ones merged.
std::vector<std::pair<uint64_t, uint64_t>> dirty_block_ranges(const Inode& ip, uint64_t from,
                                                              uint64_t to, uint64_t bs) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  const uint64_t nsec = std::max<uint64_t>(1, bs >> kCacheSectorShift);
  const unsigned mask = (1u << nsec) - 1;
  for (uint64_t at = from; at < to; at += bs) {
    const CachedPage* p = ip.cache.find(at >> kCachePageShift);
    const uint64_t first_sector = (at & (kPage - 1)) >> kCacheSectorShift;
    if (p == nullptr || !p->dirty || (p->dirty_sectors & (mask << first_sector)) == 0) continue;
    const uint64_t end = std::min(at + bs, to);
    if (!ranges.empty() && ranges.back().second == at) {
      ranges.back().second = end;
    } else {
      ranges.emplace_back(at, end);
    }
  }
  return ranges;
}

}  // namespace

Errno read_from_mapping(const Iomap& m, off_t64 pos, std::span<std::byte> dst) {
  switch (m.type) {
    case IomapType::kHole:
    case IomapType::kUnwritten:
    case IomapType::kDelalloc:
      std::fill(dst.begin(), dst.end(), std::byte{0});
      return Errno::kOk;
    case IomapType::kInline: {
      const uint64_t at = static_cast<uint64_t>(pos - m.offset);
      if (at + dst.size() > m.inline_data.size()) return Errno::kEIO;
      std::memcpy(dst.data(), m.inline_data.data() + at, dst.size());
      return Errno::kOk;
    }
    case IomapType::kMapped:
      break;
  }
  const uint64_t addr = dev_addr(m, pos);
  if (m.bdev != nullptr) {
    IoResult r = m.bdev->read(addr >> kSectorShift, dst);
    return r.err;
  }
  if (m.dax_dev != nullptr) {
    return m.dax_dev->copy_mc_to_kernel(dst, addr) == 0 ? Errno::kOk : Errno::kEIO;
  }
  return Errno::kEIO;
}

Result<CachedPage*> filemap_get_page(Inode& ip, uint64_t index, IomapOps& ops, uint8_t order) {
  CachedPage& page = ip.cache.add_folio(index, order);
  if (!page.uptodate) {
    if (Errno e = fill_page(ip, index, page, ops); e != Errno::kOk) {
      if (!page.dirty) ip.cache.remove(index);
      return Fail(e);
    }
  }
  return &page;
}

IoResult filemap_read(Inode& ip, const Kiocb& iocb, IovIter& to, IomapOps& ops) {
  // "if (unlikely(!iov_iter_count(iter))) return 0;", before file_accessed.
  if (to.count() == 0) return {0, Errno::kOk};
  const off_t64 pos = iocb.pos;
  const uint64_t size = ip.size;
  const uint64_t want = static_cast<uint64_t>(pos) >= size
                            ? 0
                            : std::min<uint64_t>(to.count(), size - static_cast<uint64_t>(pos));
  IoResult r{0, Errno::kOk};
  while (r.done < want) {
    const uint64_t off = static_cast<uint64_t>(pos) + r.done;
    const auto [index, in_page, n] = page_span(off, want - r.done);
    if (iocb.flags.has(IocbFlag::kNowait)) {
      const CachedPage* cached = ip.cache.find(index);
      if (cached == nullptr || !cached->uptodate) {
        r.err = Errno::kEAGAIN;
        break;
      }
    }
    Result<CachedPage*> page = filemap_get_page(ip, index, ops);
    if (!page) {
      r.err = page.error();
      break;
    }
    // Hold the bytes, not the entry: the copy may fault this file's pages in.
    const std::shared_ptr<PageBytes> bytes = (*page)->data;
    const uint64_t copied = to.copy_to(std::span(*bytes).subspan(in_page, n));
    r.done += copied;
    if (copied < n) {
      r.err = to.fault_errno();
      break;
    }
  }
  // The loop's end: file_accessed, whatever it read.
  file_accessed(iocb.filp);
  return r;
}

IoResult iomap_file_buffered_write(Inode& ip, const Kiocb& iocb, IovIter& from, IomapOps& ops) {
  IomapIter iter{.inode = &ip, .pos = iocb.pos, .len = from.count(), .flags = kIomapWrite};
  uint64_t done = 0;
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const uint64_t len = iter.length();
    uint64_t copied = 0;
    uint64_t limit = kPage;  // Shrinks to what a rejected short copy managed.
    Errno err = Errno::kOk;
    ShortCopyRetry retry;
    while (copied < len) {
      const uint64_t off = static_cast<uint64_t>(iter.pos) + copied;
      const auto [index, in_page, span_n] = page_span(off, len - copied);
      const uint64_t n = std::min(span_n, limit);
      // "Bring in the user page that we will copy from _first_", so a
      // source mapping this very page cannot deadlock the copy.
      if (from.user_backed() && from.fault_in_readable(n) == n) {
        err = Errno::kEFAULT;
        break;
      }
      CachedPage& page = ip.cache.add_folio(index, write_begin_order(off, len - copied));
      if (!page.uptodate && n < kPage) {
        if (err = fill_page(ip, index, page, ops); err != Errno::kOk) break;
      }
      const std::shared_ptr<PageBytes> bytes = page.data;
      uint64_t got = from.copy_from_atomic(std::span(*bytes).subspan(in_page, n));
      CachedPage* held = ip.cache.find(index);
      if (held == nullptr) {  // Cannot happen: nothing between get() and here drops pages.
        err = Errno::kEIO;
        break;
      }
      if (got < n && !held->uptodate) {
        // __iomap_write_end: a short copy into a page that is not uptodate
        // cannot be kept. Hand the bytes back and retry with what the copy
        // managed, which reads the page in first.
        from.revert(got);
        if (got > 0) {
          limit = got;
          continue;
        }
      }
      if (got == 0 && !held->uptodate && !held->dirty) ip.cache.remove(index);
      if (!retry.again(from, got, &err)) break;
      if (got == 0) continue;  // Fault in again.
      limit = kPage;
      if (got == kPage) held->uptodate = true;
      ip.cache.mark_dirty_range(index, *held, in_page, got);
      copied += got;
      ip.size = std::max<uint64_t>(ip.size, off + got);
    }
    done += copied;
    if (copied < len) {
      // iomap_write_failed: the pages made for the part of the step not
      // written go where they lie past EOF (a large folio made for the
      // whole step would otherwise stay, not uptodate, past EOF).
      const uint64_t stop = static_cast<uint64_t>(iter.pos) + len;
      const uint64_t keep = std::max<uint64_t>(static_cast<uint64_t>(iter.pos) + copied, ip.size);
      if (stop > keep) truncate_pagecache_range(ip, static_cast<off_t64>(keep), static_cast<off_t64>(stop - 1));
    }
    if (err != Errno::kOk && copied > 0) {
      // Report the progress and end the walk here.
      // copied > 0: the step advanced, so iomap_end's error cannot win.
      iomap_iter_stop(iter, ops, copied, err);
      ip.sb->touch(ip);
      return {done, err};
    }
    iter.status = copied > 0 ? iter.advance(copied) : neg(err);
  }
  if (done > 0) ip.sb->touch(ip);
  return {done, iomap_errno(ret)};
}

Errno iomap_zero_range(Inode& ip, off_t64 pos, uint64_t len, bool* did_zero, IomapOps& ops) {
  // Mappings that read as zeros (holes, unwritten extents) are skipped
  // while the page cache over them is clean: dirty pages there would
  // convert them at writeback. 6.18's rule (fs/iomap/buffered-io.c):
  //  - an unaligned start whose block has dirty pages is zeroed in the
  //    page cache whatever the mapping, and nothing is flushed (the
  //    partial EOF block, where every caller's dirty page sits);
  //  - then, if anything in the rest of the range is dirty, the first hole
  //    or unwritten mapping met flushes the rest and maps it again
  //    (iomap_zero_iter_flush_and_stale): writeback may have turned it
  //    into written blocks.
  const uint64_t bs = ip.sb->options().block_size;
  if (const uint64_t off = static_cast<uint64_t>(pos) % bs; off != 0) {
    const uint64_t plen = std::min(len, bs - off);
    if (ip.cache.range_needs_writeback(static_cast<uint64_t>(pos), plen)) {
      IomapIter iter{.inode = &ip, .pos = pos, .len = plen, .flags = kIomapZero};
      int64_t ret;
      while ((ret = iomap_iter(iter, ops)) > 0) {
        iter.status = dirty_mapping_pages(ip, iter, ops, /*zero=*/true, did_zero);
      }
      if (ret < 0) return iomap_errno(ret);
      pos += static_cast<off_t64>(plen);
      len -= plen;
      if (len == 0) return Errno::kOk;
    }
  }
  bool range_dirty = ip.cache.range_needs_writeback(static_cast<uint64_t>(pos), len);
  for (;;) {
    IomapIter iter{.inode = &ip, .pos = pos, .len = len, .flags = kIomapZero};
    int64_t ret;
    bool remap = false;
    while ((ret = iomap_iter(iter, ops)) > 0) {
      const IomapType t = iter.srcmap().type;
      if (t == IomapType::kHole || t == IomapType::kUnwritten) {
        if (!range_dirty) {
          iter.status = iter.advance_full();
          continue;
        }
        range_dirty = false;
        // The rest of the range, kept before iomap_iter_stop ends the walk.
        pos = iter.pos;
        len = iter.len;
        const off_t64 last = pos + static_cast<off_t64>(std::min<uint64_t>(len, kOffMax - pos)) - 1;
        const Errno e = iomap_iter_stop(iter, ops, 0, filemap_write_and_wait_range(ip, pos, last, ops));
        if (e != Errno::kOk) return e;
        remap = true;
        break;
      }
      iter.status = dirty_mapping_pages(ip, iter, ops, /*zero=*/true, did_zero);
    }
    if (!remap) return iomap_errno(ret);
  }
}

Errno iomap_file_unshare(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops) {
  // Only what lies inside EOF: "if (pos < 0 || pos >= size) return 0;
  // iter.len = min(len, size - pos)".
  if (pos < 0 || static_cast<uint64_t>(pos) >= ip.size) return Errno::kOk;
  len = std::min<uint64_t>(len, ip.size - static_cast<uint64_t>(pos));
  IomapIter iter{.inode = &ip, .pos = pos, .len = len, .flags = kIomapWrite | kIomapUnshare};
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const IomapType t = iter.srcmap().type;
    if (!(iter.iomap.flags & kIomapFShared) || t == IomapType::kHole ||
        t == IomapType::kUnwritten) {
      iter.status = iter.advance_full();
      continue;
    }
    iter.status = dirty_mapping_pages(ip, iter, ops, /*zero=*/false);
  }
  return iomap_errno(ret);
}

Result<CachedPage*> iomap_page_mkwrite(Inode& ip, uint64_t index, IomapOps& ops) {
  if (page_pos(index) >= ip.size) return Fail(Errno::kEFAULT);
  // The whole folio holding the page is made writable and dirty:
  // folio_mkwrite_check_truncate's length (the folio up to EOF) is
  // allocated, and folio_mark_dirty dirties every block of the folio.
  const PageCache::FolioSpan f = ip.cache.folio_of(index);
  const uint64_t from = page_pos(f.first);
  const uint64_t len = std::min<uint64_t>(page_pos(f.last + 1), ip.size) - from;
  IomapIter iter{.inode = &ip, .pos = static_cast<off_t64>(from), .len = len,
                 .flags = kIomapWrite | kIomapFault};
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) iter.status = iter.advance_full();
  if (ret < 0) return Fail(iomap_errno(ret));
  CachedPage* faulted = nullptr;
  for (uint64_t i = f.first; i <= f.last; ++i) {
    Result<CachedPage*> page = filemap_get_page(ip, i, ops);
    if (!page) return page;
    ip.cache.mark_dirty(i, **page);
    if (i == index) faulted = *page;
  }
  ip.sb->touch(ip);
  return faulted;
}

void mapping_set_error(Inode& ip, Errno err) {
  if (err == Errno::kOk) return;
  ip.cache.wb_err.set(err);
  ip.sb->s_wb_err.set(err);  // "Record it in superblock".
}

Errno filemap_write_and_wait_range(Inode& ip, off_t64 start, off_t64 end, IomapOps& ops) {
  if (ip.cache.nr_dirty() == 0 || end < start) return Errno::kOk;
  // Writeback writes whole folios: one the range touches is written with
  // every dirty block it holds, inside the range or not.
  const uint64_t first = ip.cache.folio_of(static_cast<uint64_t>(start) >> kCachePageShift).first;
  const uint64_t last = ip.cache.folio_of(static_cast<uint64_t>(end) >> kCachePageShift).last;
  Errno first_err = Errno::kOk;
  const uint64_t bs = ip.sb->options().block_size;
  // The end of the block holding EOF (writeback does not move EOF).
  const uint64_t eof = (ip.size + bs - 1) / bs * bs;
  // The writes' completions (ioends: unwritten conversion, CoW remapping)
  // run once every dirty block of the range is mapped and written. In the
  // kernel an ioend is submitted when the next mapping cannot join it, and
  // its end_io work runs later (for a long writeback, possibly while
  // submission goes on); in particular a folio's mapping comes before the
  // completion of the ioend just before it. Completing after the whole
  // range is the ordering the host shows for the small ranges seen here
  // (6.18.44, differential seed 882: a CoW write of block 4, then delalloc
  // [2, 6) still whole when block 5 is mapped, so all of it is converted).
  struct Completion {
    off_t64 pos;
    uint64_t len;
    uint32_t flags;
  };
  std::vector<Completion> completions;
  uint64_t index = ip.cache.first_dirty(first, last);
  while (index != UINT64_MAX) {
    // A run of contiguous dirty pages, written with one iteration.
    uint64_t run_end = index;
    auto extend_run = [&](uint64_t bound) {  // While the next page is dirty, up to `bound`.
      while (run_end < bound && ip.cache.first_dirty(run_end + 1, run_end + 1) == run_end + 1) ++run_end;
    };
    extend_run(last);
    if (bs > kPage) {
      // A block larger than a page lives in one folio in the kernel (the
      // mapping's minimum folio order), so it is dirty and written whole:
      // the pages of the run's blocks that are not dirty are brought in
      // (zeros where the block has no data yet) and written with it, or
      // a new block would keep the old contents of the device there.
      const uint64_t per_block = bs / kPage;
      const uint64_t first_page = index / per_block * per_block;
      const uint64_t end_page = (run_end / per_block + 1) * per_block;  // Exclusive.
      for (uint64_t i = first_page; i < end_page; ++i) {
        if (page_pos(i) >= eof) break;
        if (const CachedPage* c = ip.cache.find(i); c != nullptr && c->dirty) continue;
        Result<CachedPage*> page = filemap_get_page(ip, i, ops);
        if (!page) {
          mapping_set_error(ip, page.error());
          if (first_err == Errno::kOk) first_err = page.error();
          continue;
        }
        ip.cache.mark_dirty_range(i, **page, 0, kPage);
      }
      index = std::min(index, first_page);
      extend_run(end_page - 1);
    }
    const uint64_t from = page_pos(index);
    // iomap_writepage_handle_eof: the EOF page's bytes past i_size are
    // zeroed ("it may be mmapped") and the write runs to the end of the
    // block holding EOF, so that block's tail is zeros on the device too —
    // which an extension over it (truncate up, ZERO_RANGE, fallocate past
    // EOF) relies on.
    const uint64_t to = std::min(page_pos(run_end + 1), eof);
    if (const uint64_t tail = ip.size % kPage; tail != 0) {
      const uint64_t eof_page = ip.size >> kCachePageShift;
      if (eof_page >= index && eof_page <= run_end) {
        if (CachedPage* p = ip.cache.find(eof_page)) {
          std::memset(p->data->data() + tail, 0, kPage - tail);
        }
      }
    }
    // Only the dirty blocks are mapped and written, a contiguous run of
    // them at a time (iomap_writeback_folio's iomap_find_dirty_range over
    // the per-block dirty bits): a page's blocks that no write, zeroing
    // or store dirtied stay as they are on disk — holes stay holes even
    // where the CoW fork stages blocks over them.
    for (const auto& [at, stop] : dirty_block_ranges(ip, from, to, std::min<uint64_t>(bs, kPage))) {
      IomapIter iter{.inode = &ip, .pos = static_cast<off_t64>(at), .len = stop - at,
                     .flags = kIomapWrite | kIomapWriteback};
      int64_t ret;
      while ((ret = iomap_iter(iter, ops)) > 0) {
        // A hole under dirty blocks holds nothing to write: blocks a
        // whole-page dirtying (page_mkwrite) covered past the old EOF
        // (xfs_map_blocks' IOMAP_HOLE, which writeback skips).
        if (iter.iomap.type == IomapType::kHole) {
          iter.status = iter.advance_full();
          continue;
        }
        const Errno e = write_to_mapping(ip, iter.iomap, iter.pos, iter.length());
        if (e == Errno::kOk) completions.push_back({iter.pos, iter.length(), iter.flags});
        iter.status = e == Errno::kOk ? iter.advance_full() : neg(e);
      }
      if (ret < 0) {
        const Errno e = iomap_errno(ret);
        mapping_set_error(ip, e);
        if (first_err == Errno::kOk) first_err = e;
        break;
      }
    }
    for (uint64_t i = index; i <= run_end; ++i) {
      if (CachedPage* p = ip.cache.find(i)) ip.cache.mark_clean(i, *p);
    }
    index = run_end >= last ? UINT64_MAX : ip.cache.first_dirty(run_end + 1, last);
  }
  for (const Completion& c : completions) {
    if (Errno e = ops.ioend(ip, c.pos, c.len, c.flags); e != Errno::kOk) {
      mapping_set_error(ip, e);
      if (first_err == Errno::kOk) first_err = e;
    }
  }
  return first_err;
}

Errno invalidate_inode_pages2_range(Inode& ip, uint64_t first, uint64_t last, IomapOps& ops) {
  // Whole folios are invalidated, as they are written back.
  first = ip.cache.folio_of(first).first;
  last = ip.cache.folio_of(last).last;
  const off_t64 end = last >= (UINT64_MAX >> kCachePageShift)
                          ? kOffMax
                          : static_cast<off_t64>(page_pos(last + 1) - 1);
  const Errno e = filemap_write_and_wait_range(ip, static_cast<off_t64>(page_pos(first)), end, ops);
  unmap_mapping_range(ip, first, last);
  ip.cache.remove_range(first, last);
  return e;
}

void truncate_pagecache_range(Inode& ip, off_t64 lstart, off_t64 lend) {
  if (lend < lstart) return;
  const uint64_t s = static_cast<uint64_t>(lstart);
  const uint64_t e = static_cast<uint64_t>(lend);  // Inclusive.
  const uint64_t first_whole = (s + kPage - 1) >> kCachePageShift;
  const uint64_t last_whole_plus1 = (e + 1) >> kCachePageShift;  // Exclusive.
  // Partial pages at the edges: zero the part in range.
  auto zero_part = [&](uint64_t index) {
    CachedPage* p = ip.cache.find(index);
    if (p == nullptr) return;
    const uint64_t from = std::max(s, page_pos(index));
    const uint64_t to = std::min(e + 1, page_pos(index + 1));
    std::memset(p->data->data() + (from - page_pos(index)), 0, to - from);
  };
  if (first_whole >= last_whole_plus1) {
    // The range lies within one page, or spans two partial pages.
    zero_part(s >> kCachePageShift);
    if ((e >> kCachePageShift) != (s >> kCachePageShift)) zero_part(e >> kCachePageShift);
    return;
  }
  if (s != page_pos(first_whole)) zero_part(first_whole - 1);
  if (e + 1 != page_pos(last_whole_plus1)) zero_part(last_whole_plus1);
  unmap_mapping_range(ip, first_whole, last_whole_plus1 - 1);
  // A large folio the range cuts (truncate_inode_partial_folio): a clean
  // one is split and its pages in range go; a dirty one cannot be split
  // (iomap_release_folio refuses to drop a dirty folio's per-block state)
  // and stays whole, its pages in range zeroed — on the 6.18 host a dirty
  // 64 KiB folio truncated to 20000 or 40000 bytes is still written back
  // whole by an msync of its first page.
  const auto [drop_first, drop_end] =
      ip.cache.folios_inside(first_whole, last_whole_plus1, [&](const PageCache::FolioSpan& f) {
        return ip.cache.first_dirty(f.first, f.last) != UINT64_MAX;
      });
  // The kept folios' whole pages in range read as zeros from now on.
  auto zero_pages = [&](uint64_t from, uint64_t to) {  // Whole pages [from, to).
    for (uint64_t i = from; i < to; ++i) {
      if (CachedPage* p = ip.cache.find(i)) std::memset(p->data->data(), 0, kPage);
    }
  };
  zero_pages(first_whole, drop_first);
  zero_pages(drop_end, last_whole_plus1);
  if (drop_first < drop_end) ip.cache.remove_range(drop_first, drop_end - 1);
}

Errno filemap_drop_behind(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops) {
  if (len == 0) return Errno::kOk;
  const off_t64 end = pos + static_cast<off_t64>(len) - 1;
  const Errno e = filemap_write_and_wait_range(ip, pos, end, ops);
  const uint64_t first = static_cast<uint64_t>(pos) >> kCachePageShift;
  const uint64_t last = static_cast<uint64_t>(end) >> kCachePageShift;
  std::vector<uint64_t> drop;
  for (auto it = ip.cache.pages().lower_bound(first);
       it != ip.cache.pages().end() && it->first <= last; ++it) {
    if (!it->second.dirty && it->second.data.use_count() == 1) drop.push_back(it->first);
  }
  for (uint64_t i : drop) ip.cache.remove(i);
  return e;
}

void fadvise_dontneed(Inode& ip, off_t64 off, off_t64 len, IomapOps& ops) {
  if (off < 0) return;
  const off_t64 end = len == 0 || len > kOffMax - off ? kOffMax : off + len - 1;
  filemap_write_and_wait_range(ip, off, end, ops);
  // mapping_try_invalidate drops only folios wholly inside (find_lock_entries
  // omits a large folio that begins before the start or ends past the end).
  const auto [first, last_plus1] = ip.cache.folios_inside(
      (static_cast<uint64_t>(off) + kCachePageSize - 1) >> kCachePageShift,
      (static_cast<uint64_t>(end) + 1) >> kCachePageShift, [](const PageCache::FolioSpan&) { return true; });
  if (last_plus1 > first) invalidate_inode_pages2_range(ip, first, last_plus1 - 1, ops);
}

void iomap_write_delalloc_release(const Inode& ip, off_t64 pos, uint64_t length, int64_t written,
                                  uint64_t bsize, const std::function<void(uint64_t block)>& punch) {
  const uint64_t upos = static_cast<uint64_t>(pos);
  const uint64_t w = written > 0 ? static_cast<uint64_t>(written) : 0;
  if (w >= length) return;
  const uint64_t start = w == 0 ? upos / bsize : (upos + w + bsize - 1) / bsize;
  const uint64_t stop = (upos + length + bsize - 1) / bsize;
  for (uint64_t b = start; b < stop; ++b) {
    if (!ip.cache.range_dirty(b * bsize, bsize)) punch(b);
  }
}

void balance_dirty_pages(Inode& ip, IomapOps& ops) {
  Superblock& sb = *ip.sb;
  if (sb.cache_pressure <= 0 || !sb.cache_rng.bernoulli(sb.cache_pressure)) return;
  sb.machine().trace.record("pagecache/reclaim", {{"ino", ip.ino}, {"pages", ip.cache.nr_pages()}});
  filemap_write_and_wait_range(ip, 0, kOffMax, ops);
  std::vector<uint64_t> drop;
  for (const auto& [index, page] : ip.cache.pages()) {
    if (!page.dirty && page.data.use_count() == 1) drop.push_back(index);  // Not mapped.
  }
  for (uint64_t i : drop) ip.cache.remove(i);
}

}  // namespace vfssim
