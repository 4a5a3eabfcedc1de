// The iomap iterator: how the VFS asks a filesystem "what backs this file
// range?" and walks the answer one mapping at a time (Linux's fs/iomap/iter.c
// and include/linux/iomap.h). The generic helpers (iomap_helpers.h) and both
// block filesystems are written on top of it.
//
// The loop contract is 6.18's (the iterator advanced by the actor, with
// a separate status, since 6.15):
//
//   IomapIter iter{.inode = &ip, .pos = pos, .len = len, .flags = kIomapReport};
//   int64_t ret;
//   while ((ret = iomap_iter(iter, ops)) > 0) iter.status = actor(iter);
//   // ret == 0: done; ret < 0: -errno.
//
// The actor handles [iter.pos, iter.pos + iter.length()) against iter.iomap
// (and iter.srcmap() for copy-on-write), moves the iterator past what it
// handled with iter.advance(n) (iomap_iter_advance), and leaves status 0,
// or -errno to end the walk. A step that advances nothing ends it too.

#ifndef VFSSIM_VFS_IOMAP_H_
#define VFSSIM_VFS_IOMAP_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "sim/errno.h"
#include "vfs/vnode.h"

namespace vfssim {

// Mapping types (IOMAP_*).
enum class IomapType : uint8_t {
  kHole,       // No blocks allocated: reads as zeros, needs allocation to write.
  kDelalloc,   // Space reserved, blocks not yet assigned (dirty page cache).
  kMapped,     // Blocks allocated and written: addr is valid.
  kUnwritten,  // Blocks allocated, not yet written: reads as zeros.
  kInline,     // Data stored in the inode (inline_data).
};
std::string_view iomap_type_name(IomapType t);

// Mapping flags (IOMAP_F_*).
enum IomapFlag : uint16_t {
  kIomapFNew = 1u << 0,     // Blocks were allocated by this iomap_begin.
  kIomapFDirty = 1u << 1,   // The inode has uncommitted metadata (fdatasync must log it).
  kIomapFShared = 1u << 2,  // Blocks are shared (reflink): writes must copy on write.
};

// Iterator flags (IOMAP_*): what the caller is about to do with the range.
enum IomapIterFlag : uint32_t {
  kIomapWrite = 1u << 0,    // Writing: the filesystem allocates as needed.
  kIomapZero = 1u << 1,     // Zeroing a range (iomap_zero_range).
  kIomapReport = 1u << 2,   // Reporting only (FIEMAP, SEEK_*): never allocate.
  kIomapFault = 1u << 3,    // A page fault.
  kIomapDirect = 1u << 4,   // Direct I/O.
  kIomapUnshare = 1u << 5,  // Unsharing shared extents (FALLOC_FL_UNSHARE_RANGE).
  kIomapDax = 1u << 6,      // DAX mapping.
  // The simulator's model of writeback's ->map_blocks: turn delalloc (and
  // holes under dirty pages) into real blocks, never report delalloc.
  kIomapWriteback = 1u << 7,
  // IOMAP_NOWAIT: the caller (RWF_NOWAIT) must not block; a filesystem that
  // would have to allocate or wait answers EAGAIN.
  kIomapNowait = 1u << 8,
  // SEEK_DATA/SEEK_HOLE (with kIomapReport): filesystems whose seek
  // answer differs from their FIEMAP answer (XFS's xfs_seek_iomap_ops,
  // which report CoW staging over a hole) look at it.
  kIomapSeek = 1u << 9,
};

// kIomapNullAddr is Iomap::addr for holes and delalloc (IOMAP_NULL_ADDR).
inline constexpr uint64_t kIomapNullAddr = UINT64_MAX;

// Iomap describes one mapping of file range [offset, offset+length).
// addr is the byte address on the device (kIomapNullAddr when none); bdev or
// dax_dev is the device that holds it; inline_data is the inode's bytes for
// kInline, starting at `offset`.
struct Iomap {
  uint64_t addr = kIomapNullAddr;
  off_t64 offset = 0;
  uint64_t length = 0;
  IomapType type = IomapType::kHole;
  uint16_t flags = 0;
  BlockDevice* bdev = nullptr;
  DaxDevice* dax_dev = nullptr;
  std::span<std::byte> inline_data;

  // Same mapping: every field, with inline data compared by identity.
  bool operator==(const Iomap& o) const {
    return addr == o.addr && offset == o.offset && length == o.length && type == o.type &&
           flags == o.flags && bdev == o.bdev && dax_dev == o.dax_dev &&
           inline_data.data() == o.inline_data.data() &&
           inline_data.size() == o.inline_data.size();
  }
};

// IomapOps is what a filesystem implements to be driven by the iterator
// (struct iomap_ops), plus the completion hook the kernel spreads over
// ->end_io and writeback ioends.
class IomapOps {
 public:
  virtual ~IomapOps() = default;

  // iomap_begin maps the range starting at `pos` (at most `length` bytes):
  // it fills *iomap with a mapping that contains pos, and *srcmap with the
  // data source when writing to a shared or COW-staged range (else leaves
  // srcmap as a hole, meaning "same as iomap"). With kIomapWrite/kIomapZero/
  // kIomapFault|kIomapWrite it may allocate (delalloc, unwritten or mapped);
  // with kIomapReport never.
  // Errors: ENOSPC no space to allocate; EIO metadata read failure;
  // EOPNOTSUPP the filesystem cannot map for these flags.
  virtual Errno iomap_begin(Inode& ip, off_t64 pos, uint64_t length, uint32_t flags,
                            Iomap* iomap, Iomap* srcmap) = 0;

  // iomap_end is called after the actor with the bytes it processed
  // (`written`, 0 on error) so the filesystem can release what it reserved
  // but did not use (delalloc punch-out). Errors: as the filesystem's.
  virtual Errno iomap_end(Inode&, off_t64, uint64_t, int64_t, uint32_t, Iomap*) {
    return Errno::kOk;
  }

  // ioend completes a write that reached the device, direct or writeback,
  // over [pos, pos+len): the filesystem converts unwritten extents to
  // written and finishes copy-on-write remapping (xfs_end_ioend,
  // iomap_dio_ops->end_io). Errors: ENOSPC, EIO.
  virtual Errno ioend(Inode&, off_t64, uint64_t, uint32_t) { return Errno::kOk; }
};

// IomapIter is struct iomap_iter. Callers set inode, pos, len and flags; the
// iterator owns the rest.
struct IomapIter {
  Inode* inode = nullptr;
  off_t64 pos = 0;
  uint64_t len = 0;
  uint32_t flags = 0;
  // Set by the actor: 0, or -errno to end the walk (iter->status).
  int64_t status = 0;
  Iomap iomap;
  Iomap srcmap_;  // As filled by iomap_begin; read it through srcmap().
  // Where the current mapping's step began (iter->iter_start_pos), and how
  // far the actor has advanced since (pos - iter_start_pos, kept apart so a
  // request ending one past LLONG_MAX cannot overflow pos).
  off_t64 iter_start_pos = 0;
  uint64_t advanced = 0;

  // length is iomap_length(): what the current mapping covers of the
  // remaining request, from pos.
  uint64_t length() const;

  // advance is iomap_iter_advance: the actor handled n more bytes from pos,
  // so pos and len move on. Returns 0, or -EIO when n is more than length()
  // (the kernel WARNs), for the actor to put in status.
  int64_t advance(uint64_t n);
  // advance_full is iomap_iter_advance_full: all of length().
  int64_t advance_full() { return advance(length()); }

  // srcmap is iomap_iter_srcmap(): where to read existing data from — the
  // separate source mapping when the filesystem gave one, else iomap.
  const Iomap& srcmap() const { return srcmap_.type != IomapType::kHole ? srcmap_ : iomap; }

  // has_srcmap: the filesystem staged a separate source (copy on write).
  bool has_srcmap() const { return srcmap_.type != IomapType::kHole; }
};

// iomap_iter ends the previous mapping (iomap_end over the step's range
// from iter_start_pos, with the bytes advanced) and maps the next range
// with ops.iomap_begin. Returns 1 with a new mapping in iter.iomap; 0 when
// the request is done or the step advanced nothing; or -errno, in 6.18's
// order: iomap_end's error when the step advanced nothing (even over the
// actor's status: fs/iomap/iter.c returns it first), else the actor's
// status, else iomap_begin's. An iomap_end error after an advance is
// ignored. Mappings the kernel WARNs on fail the walk with -EIO instead:
// one that does not start at or before pos, that is empty, or that ends
// at or before pos; a source map that does not cover pos.
int64_t iomap_iter(IomapIter& iter, IomapOps& ops);

// iomap_iter_stop ends the walk after a short step: the step advances by
// `processed`, the current mapping is ended (iomap_end with the step's
// whole length and what was advanced, so the filesystem can release the
// rest of what it reserved) and nothing further is mapped, so a helper that
// stops early (a fault in the caller's buffer, poison) leaves no mapping
// begun and not ended. Returns what the caller reports: `err`, or
// iomap_end's error when the step advanced nothing (iomap_iter's order).
Errno iomap_iter_stop(IomapIter& iter, IomapOps& ops, uint64_t processed, Errno err);

// iomap_errno turns the loop's final value into an Errno (0 -> kOk).
inline Errno iomap_errno(int64_t ret) {
  return ret < 0 ? static_cast<Errno>(-ret) : Errno::kOk;
}
// neg returns -e as an actor's / loop's return value.
inline int64_t neg(Errno e) { return -static_cast<int64_t>(e); }

}  // namespace vfssim

#endif  // VFSSIM_VFS_IOMAP_H_
