#include "vfs/direct_io.h"

#include <algorithm>

#include "vfs/buffered_io.h"
#include "vfs/mount.h"

namespace vfssim {
namespace {

bool misaligned(off_t64 pos, uint64_t len, uint32_t align) {
  return (static_cast<uint64_t>(pos) | len) % align != 0;
}

}  // namespace

IoResult iomap_dio_read(Inode& ip, off_t64 pos, std::span<std::byte> dst, uint32_t align,
                        IomapOps& ops) {
  if (misaligned(pos, dst.size(), align)) return {0, Errno::kEINVAL};
  if (static_cast<uint64_t>(pos) >= ip.size) return {0, Errno::kOk};
  const uint64_t want = std::min<uint64_t>(dst.size(), ip.size - static_cast<uint64_t>(pos));
  if (Errno e = filemap_write_and_wait_range(ip, pos, pos + static_cast<off_t64>(want) - 1, ops);
      e != Errno::kOk) {
    return {0, e};
  }
  IomapIter iter{.inode = &ip, .pos = pos, .len = want, .flags = kIomapDirect};
  uint64_t done = 0;
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Errno e = read_from_mapping(iter.iomap, iter.pos, dst.subspan(done, iter.length()));
    if (e == Errno::kOk) done += iter.length();
    iter.processed = e == Errno::kOk ? static_cast<int64_t>(iter.length()) : neg(e);
  }
  return {done, iomap_errno(ret)};
}

IoResult iomap_dio_write(Inode& ip, off_t64 pos, std::span<const std::byte> src,
                         uint32_t align, IomapOps& ops) {
  if (misaligned(pos, src.size(), align)) return {0, Errno::kEINVAL};
  if (src.empty()) return {0, Errno::kOk};
  const uint64_t first = static_cast<uint64_t>(pos) >> kCachePageShift;
  const uint64_t last = (static_cast<uint64_t>(pos) + src.size() - 1) >> kCachePageShift;
  if (Errno e = invalidate_inode_pages2_range(ip, first, last, ops); e != Errno::kOk) {
    return {0, e};
  }
  IomapIter iter{.inode = &ip, .pos = pos, .len = src.size(),
                 .flags = kIomapDirect | kIomapWrite};
  uint64_t done = 0;
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t len = iter.length();
    Errno e = Errno::kOk;
    if ((m.type != IomapType::kMapped && m.type != IomapType::kUnwritten) || m.bdev == nullptr) {
      e = Errno::kEIO;  // The filesystem must hand direct writes real blocks.
    } else {
      const uint64_t addr = m.addr + static_cast<uint64_t>(iter.pos - m.offset);
      IoResult r = m.bdev->write(addr >> kSectorShift, src.subspan(done, len));
      e = r.err;
      if (e == Errno::kOk) e = ops.ioend(ip, iter.pos, len, iter.flags);
    }
    if (e == Errno::kOk) {
      done += len;
      ip.size = std::max<uint64_t>(ip.size, static_cast<uint64_t>(iter.pos) + len);
    }
    iter.processed = e == Errno::kOk ? static_cast<int64_t>(len) : neg(e);
  }
  if (done > 0) ip.sb->touch(ip);
  return {done, iomap_errno(ret)};
}

}  // namespace vfssim
