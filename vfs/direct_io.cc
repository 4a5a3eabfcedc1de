#include "vfs/direct_io.h"

#include <algorithm>
#include <vector>

#include "vfs/buffered_io.h"
#include "vfs/mount.h"

namespace vfssim {
namespace {

bool misaligned(uint64_t bits, uint32_t align) { return (bits & (align - 1)) != 0; }

// bio_misaligned: iomap_dio_bio_iter's check for a step that reaches the
// device: its position and length, and all the user memory still to be
// transferred (bdev_iter_is_aligned looks at the whole remaining iterator).
bool bio_misaligned(const IomapIter& iter, const IovIter& it, uint32_t align) {
  return misaligned(static_cast<uint64_t>(iter.pos) | iter.length() | it.alignment(), align);
}

// dio_result is iomap_dio_complete's answer: an error anywhere is the
// call's error, whatever moved before it (no IOMAP_DIO_PARTIAL).
IoResult dio_result(uint64_t done, int64_t ret) {
  if (ret < 0) return {0, iomap_errno(ret)};
  return {done, Errno::kOk};
}

}  // namespace

IoResult iomap_dio_read(Inode& ip, const Kiocb& iocb, IovIter& to, uint32_t align,
                        IomapOps& ops) {
  const off_t64 pos = iocb.pos;
  // __iomap_dio_rw: "if (iomi.pos >= dio->i_size) goto out_free_dio".
  if (static_cast<uint64_t>(pos) >= ip.size || to.count() == 0) return {0, Errno::kOk};
  // The walk covers the whole request, past EOF too (mapped there as a
  // hole); iomap_dio_complete trims the count to i_size at the end. So a
  // block-aligned read of a file whose size is not block-aligned reads its
  // tail.
  const uint64_t want = to.count();
  const off_t64 last = pos + static_cast<off_t64>(want) - 1;
  // kiocb_write_and_wait: under NOWAIT, a dirty folio over the range is
  // EAGAIN (filemap_range_needs_writeback looks at whole folios).
  if (iocb.flags.has(IocbFlag::kNowait) && ip.cache.range_needs_writeback(static_cast<uint64_t>(pos), want)) {
    return {0, Errno::kEAGAIN};
  }
  if (Errno e = filemap_write_and_wait_range(ip, pos, last, ops); e != Errno::kOk) return {0, e};
  IomapIter iter{.inode = &ip, .pos = pos, .len = want, .flags = kIomapDirect};
  uint64_t done = 0;
  int64_t ret;
  std::vector<std::byte> bounce;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    // Holes and unwritten extents are zero-filled (iomap_dio_hole_iter) with
    // no alignment rule; mapped ones go to the device (host probe
    // flags_align: dio_read_*_hole succeed, dio_read_off100_mapped is EINVAL).
    if (iter.iomap.type == IomapType::kMapped && bio_misaligned(iter, to, align)) {
      iter.status = neg(Errno::kEINVAL);
      continue;
    }
    bounce.resize(iter.length());
    Errno e = read_from_mapping(iter.iomap, iter.pos, bounce);
    if (e == Errno::kOk) {
      const uint64_t copied = to.copy_to(bounce);
      done += copied;
      if (copied < bounce.size()) e = to.fault_errno();
    }
    iter.status = e == Errno::kOk ? iter.advance_full() : neg(e);
  }
  IoResult r = dio_result(done, ret);
  r.done = std::min<uint64_t>(r.done, ip.size - static_cast<uint64_t>(pos));
  return r;
}

IoResult iomap_dio_write(Inode& ip, const Kiocb& iocb, IovIter& from, uint32_t align,
                         IomapOps& ops) {
  const off_t64 pos = iocb.pos;
  // xfs_file_dio_write: "if ((iocb->ki_pos | count) & target->bt_logical_sectormask)
  // return -EINVAL", before anything else; the buffer is checked per bio.
  if (misaligned(static_cast<uint64_t>(pos) | from.count(), align)) return {0, Errno::kEINVAL};
  if (from.count() == 0) return {0, Errno::kOk};
  const uint64_t first = static_cast<uint64_t>(pos) >> kCachePageShift;
  const uint64_t last = (static_cast<uint64_t>(pos) + from.count() - 1) >> kCachePageShift;
  const bool nowait = iocb.flags.has(IocbFlag::kNowait);
  // kiocb_invalidate_pages: under NOWAIT, cached pages in the range are EAGAIN.
  if (nowait) {
    auto it = ip.cache.pages().lower_bound(first);
    if (it != ip.cache.pages().end() && it->first <= last) return {0, Errno::kEAGAIN};
  }
  if (Errno e = invalidate_inode_pages2_range(ip, first, last, ops); e != Errno::kOk) {
    return {0, e};
  }
  IomapIter iter{.inode = &ip, .pos = pos, .len = from.count(),
                 .flags = kIomapDirect | kIomapWrite | (nowait ? kIomapNowait : 0u)};
  uint64_t done = 0;
  int64_t ret;
  std::vector<std::byte> bounce;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t len = iter.length();
    Errno e = Errno::kOk;
    if ((m.type != IomapType::kMapped && m.type != IomapType::kUnwritten) || m.bdev == nullptr) {
      e = Errno::kEIO;  // The filesystem must hand direct writes real blocks.
    } else if (bio_misaligned(iter, from, align)) {
      e = Errno::kEINVAL;
    } else {
      bounce.resize(len);
      const uint64_t got = from.copy_from(bounce);
      // The pages pinned before a fault still reach the device; but the
      // write failed, so end_io neither converts unwritten extents nor
      // moves EOF (xfs_dio_write_end_io returns early on error).
      const uint64_t send = got / align * align;
      const uint64_t addr = m.addr + static_cast<uint64_t>(iter.pos - m.offset);
      // iomap_dio_bio_iter's need_zeroout: a write that covers part of a
      // new or unwritten block zeroes the rest of it on the device
      // (iomap_dio_zero), or the block would show stale bytes once written.
      const uint64_t bs = ip.sb->options().block_size;
      if ((m.type == IomapType::kUnwritten || (m.flags & kIomapFNew)) && bs > align) {
        static const std::vector<std::byte> kZeros(64 * 1024);
        const uint64_t head = static_cast<uint64_t>(iter.pos) % bs;
        const uint64_t tail_end = static_cast<uint64_t>(iter.pos) + len;
        if (head != 0) {
          e = m.bdev->write((addr - head) >> kSectorShift, std::span(kZeros).first(std::min<uint64_t>(head, kZeros.size()))).err;
        }
        if (e == Errno::kOk && tail_end % bs != 0) {
          const uint64_t n = bs - tail_end % bs;
          e = m.bdev->write((addr + len) >> kSectorShift, std::span(kZeros).first(std::min<uint64_t>(n, kZeros.size()))).err;
        }
      }
      if (e == Errno::kOk) e = m.bdev->write(addr >> kSectorShift, std::span(bounce).first(send)).err;
      if (e == Errno::kOk && got < len) e = from.fault_errno();
    }
    if (e == Errno::kOk) done += len;
    iter.status = e == Errno::kOk ? iter.advance(len) : neg(e);
  }
  // iomap_dio_complete: end_io runs once for the whole request, and only
  // when all of it reached the device — a failure part way leaves the
  // blocks allocated so far unwritten and EOF where it was
  // (xfs_dio_write_end_io returns early on error; host probe enospc_dio).
  if (ret == 0 && done > 0) {
    if (Errno e = ops.ioend(ip, pos, done, iter.flags); e != Errno::kOk) return {0, e};
    ip.size = std::max<uint64_t>(ip.size, static_cast<uint64_t>(pos) + done);
  }
  if (done > 0) ip.sb->touch(ip);
  return dio_result(done, ret);
}

}  // namespace vfssim
