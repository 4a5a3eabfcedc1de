// Buffered I/O through the page cache, over the iomap iterator (Linux's
// mm/filemap.c and fs/iomap/buffered-io.c): reads fill pages from storage,
// writes dirty pages, writeback sends dirty pages through the filesystem's
// IomapOps, and truncation/invalidation drop pages (unmapping them from
// every address space first). Zeroing and unsharing are buffered too.
//
// The caller (a filesystem's VOP_READ/VOP_WRITE) has validated the range and
// holds the inode "locked" (the simulation is single-threaded).

#ifndef VFSSIM_VFS_BUFFERED_IO_H_
#define VFSSIM_VFS_BUFFERED_IO_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "sim/errno.h"
#include "vfs/iomap.h"
#include "vfs/iov_iter.h"
#include "vfs/kiocb.h"
#include "vfs/page_cache.h"
#include "vfs/vnode.h"

namespace vfssim {

// read_from_mapping copies the file bytes [pos, pos+dst.size()) that `m`
// maps (the range lies inside m) into dst: zeros for holes, unwritten and
// delalloc mappings, the inode's bytes for inline data, the device's bytes
// for mapped extents. Errors: EIO the device failed (or pmem poison).
Errno read_from_mapping(const Iomap& m, off_t64 pos, std::span<std::byte> dst);

// filemap_get_page returns page `index` of `ip` uptodate, reading it through
// `ops` if needed (bytes past EOF read as zeros). A page not cached is added
// in a folio of at most `order` (PageCache::add_folio): what iomap's
// write_begin asks for; reads and faults add order-0 pages.
// Errors: EIO; the iterator's errno.
Result<CachedPage*> filemap_get_page(Inode& ip, uint64_t index, IomapOps& ops, uint8_t order = 0);

// filemap_read copies [iocb.pos, iocb.pos + to.count()) clipped at EOF from
// the page cache into `to`, page by page with page faults enabled (the
// page is only referenced, not locked, so faulting the caller's buffer in
// may even read this file). Returns the bytes copied, and the error that
// stopped it: the iterator's fault errno on a short copy; EAGAIN under
// IOCB_NOWAIT when a page is not uptodate (filemap_get_pages); EIO. A read
// of 0 bytes returns at once; any other moves the atime of iocb.filp
// (file_accessed), at EOF or after an error too.
IoResult filemap_read(Inode& ip, const Kiocb& iocb, IovIter& to, IomapOps& ops);

// iomap_file_buffered_write copies `from` into the page cache at iocb.pos
// (mapping with kIomapWrite so the filesystem reserves space), dirties the
// pages and extends i_size. It follows generic_perform_write /
// iomap_write_iter: fault the source in before taking a page, copy with
// page faults disabled while the page is held, and on a short copy revert
// what a not-uptodate page cannot keep and go round again; only a fault-in
// that fails outright ends it (EFAULT). Returns the bytes written, and the
// error that stopped it (ENOSPC after progress returns the progress).
IoResult iomap_file_buffered_write(Inode& ip, const Kiocb& iocb, IovIter& from, IomapOps& ops);

// iomap_zero_range zeroes [pos, pos+len) through the page cache, skipping
// holes and unwritten extents (they already read as zero). *did_zero, if
// given, is set when any page was zeroed. Errors: EIO; the iterator's errno.
Errno iomap_zero_range(Inode& ip, off_t64 pos, uint64_t len, bool* did_zero, IomapOps& ops);

// iomap_file_unshare reads the shared extents of [pos, pos+len) into the
// page cache and dirties them, so writeback gives the file its own copy
// (FALLOC_FL_UNSHARE_RANGE). Errors: EIO; the iterator's errno.
Errno iomap_file_unshare(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops);

// iomap_page_mkwrite makes page `index` writable for a shared mapping's
// store: reserves space (kIomapWrite|kIomapFault), then returns the page
// uptodate and dirty. Errors: ENOSPC (the fault becomes SIGBUS); EIO;
// EFAULT the page lies wholly past EOF.
Result<CachedPage*> iomap_page_mkwrite(Inode& ip, uint64_t index, IomapOps& ops);

// mapping_set_error records a writeback error of `ip` in its page cache's
// errseq and in its superblock's (Linux's mapping_set_error /
// __filemap_set_wb_err), where fsync and syncfs find it per open file.
void mapping_set_error(Inode& ip, Errno err);

// filemap_write_and_wait_range writes back the dirty pages of [start, end]
// (bytes, inclusive): in each run of dirty pages, each run of dirty blocks
// (a page's blocks that no write, zeroing or store dirtied are left alone)
// is mapped with kIomapWrite|kIomapWriteback and written to the device;
// once the whole range is written, each write is completed with ops.ioend,
// in order. Pages wholly past EOF are cleaned without I/O. A failed page is
// cleaned anyway and the error recorded (mapping_set_error), as a failed
// bio's completion does; so is a failed completion. Returns the first
// error of the writes, else of the completions.
Errno filemap_write_and_wait_range(Inode& ip, off_t64 start, off_t64 end, IomapOps& ops);

// invalidate_inode_pages2_range writes back, unmaps and drops the pages of
// [first, last] (page indexes), as direct I/O does around its range.
Errno invalidate_inode_pages2_range(Inode& ip, uint64_t first, uint64_t last, IomapOps& ops);

// truncate_pagecache_range drops the cached pages wholly inside
// [lstart, lend] (bytes, inclusive) after unmapping them, and zeroes the
// part of the range in partial pages at either edge (dirty or not): the
// filesystem has already changed the blocks (punch, truncate, zeroinit).
void truncate_pagecache_range(Inode& ip, off_t64 lstart, off_t64 lend);

// filemap_drop_behind is RWF_DONTCACHE's ending of a buffered read or write
// of [pos, pos+len): the range is written back and its clean pages that no
// mapping holds leave the cache (folio_end_dropbehind, which Linux runs when
// that writeback completes). Returns
// writeback's first error (also kept for fsync).
Errno filemap_drop_behind(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops);

// fadvise_dontneed is generic_fadvise's POSIX_FADV_DONTNEED for a
// page-cache file: [off, off+len) (len 0: to EOF) written back, and the
// whole pages inside it dropped ("First and last FULL page!"). A negative
// offset (the VFS passes it on, as Linux does) writes nothing back and
// drops nothing; the unsigned sum ends the range at LLONG_MAX when it
// wraps or goes past it. Writeback errors stay in the errseqs.
void fadvise_dontneed(Inode& ip, off_t64 off, off_t64 len, IomapOps& ops);

// iomap_write_delalloc_release is the end of a short buffered write over
// a delalloc mapping (iomap_write_delalloc_release): of the `length` bytes
// from `pos` the mapping reserved, `written` were written; `punch` is
// called for each block of `bsize` bytes past the last written one
// (iomap_last_written_block: from pos's block when nothing was written)
// that no dirty data holds (iomap_write_delalloc_ifs_punch: a dirty
// page's clean blocks too), for the filesystem to drop its reservation.
void iomap_write_delalloc_release(const Inode& ip, off_t64 pos, uint64_t length, int64_t written,
                                  uint64_t bsize, const std::function<void(uint64_t block)>& punch);

// balance_dirty_pages applies the superblock's seeded cache-pressure knob
// after a buffered write: with probability cache_pressure it writes back the
// inode's dirty pages and evicts its clean, unmapped pages.
void balance_dirty_pages(Inode& ip, IomapOps& ops);

}  // namespace vfssim

#endif  // VFSSIM_VFS_BUFFERED_IO_H_
