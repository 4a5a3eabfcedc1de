#include "vfs/direct_io.h"

#include <algorithm>
#include <vector>

#include "vfs/buffered_io.h"
#include "vfs/mount.h"

namespace vfssim {
namespace {

bool misaligned(off_t64 pos, const IovIter& it, uint32_t align) {
  return ((static_cast<uint64_t>(pos) | it.count() | it.alignment()) & (align - 1)) != 0;
}

}  // namespace

IoResult iomap_dio_read(Inode& ip, const Kiocb& iocb, IovIter& to, uint32_t align,
                        IomapOps& ops) {
  const off_t64 pos = iocb.pos;
  if (misaligned(pos, to, align)) return {0, Errno::kEINVAL};
  if (static_cast<uint64_t>(pos) >= ip.size) return {0, Errno::kOk};
  const uint64_t want = std::min<uint64_t>(to.count(), ip.size - static_cast<uint64_t>(pos));
  if (Errno e = filemap_write_and_wait_range(ip, pos, pos + static_cast<off_t64>(want) - 1, ops);
      e != Errno::kOk) {
    return {0, e};
  }
  IomapIter iter{.inode = &ip, .pos = pos, .len = want, .flags = kIomapDirect};
  uint64_t done = 0;
  int64_t ret;
  std::vector<std::byte> bounce;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    bounce.resize(iter.length());
    Errno e = read_from_mapping(iter.iomap, iter.pos, bounce);
    if (e == Errno::kOk) {
      const uint64_t copied = to.copy_to(bounce);
      done += copied;
      if (copied < bounce.size()) e = to.fault_errno();
    }
    iter.processed = e == Errno::kOk ? static_cast<int64_t>(iter.length()) : neg(e);
  }
  if (ret < 0 && iomap_errno(ret) == Errno::kEFAULT) return {0, Errno::kEFAULT};
  return {done, iomap_errno(ret)};
}

IoResult iomap_dio_write(Inode& ip, const Kiocb& iocb, IovIter& from, uint32_t align,
                         IomapOps& ops) {
  const off_t64 pos = iocb.pos;
  if (misaligned(pos, from, align)) return {0, Errno::kEINVAL};
  if (from.count() == 0) return {0, Errno::kOk};
  const uint64_t first = static_cast<uint64_t>(pos) >> kCachePageShift;
  const uint64_t last = (static_cast<uint64_t>(pos) + from.count() - 1) >> kCachePageShift;
  if (Errno e = invalidate_inode_pages2_range(ip, first, last, ops); e != Errno::kOk) {
    return {0, e};
  }
  const uint32_t nowait = iocb.flags.has(IocbFlag::kNowait) ? kIomapNowait : 0u;
  IomapIter iter{.inode = &ip, .pos = pos, .len = from.count(),
                 .flags = kIomapDirect | kIomapWrite | nowait};
  uint64_t done = 0;
  int64_t ret;
  std::vector<std::byte> bounce;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t len = iter.length();
    Errno e = Errno::kOk;
    if ((m.type != IomapType::kMapped && m.type != IomapType::kUnwritten) || m.bdev == nullptr) {
      e = Errno::kEIO;  // The filesystem must hand direct writes real blocks.
    } else {
      bounce.resize(len);
      const uint64_t got = from.copy_from(bounce);
      // The pages pinned before the fault still go to the device.
      const uint64_t send = got / align * align;
      const uint64_t addr = m.addr + static_cast<uint64_t>(iter.pos - m.offset);
      IoResult r = m.bdev->write(addr >> kSectorShift, std::span(bounce).first(send));
      e = r.err;
      if (e == Errno::kOk && send > 0) e = ops.ioend(ip, iter.pos, send, iter.flags);
      if (e == Errno::kOk && send > 0) {
        ip.size = std::max<uint64_t>(ip.size, static_cast<uint64_t>(iter.pos) + send);
      }
      if (e == Errno::kOk && got < len) e = from.fault_errno();
    }
    if (e == Errno::kOk) done += len;
    iter.processed = e == Errno::kOk ? static_cast<int64_t>(len) : neg(e);
  }
  if (done > 0) ip.sb->touch(ip);
  if (ret < 0 && iomap_errno(ret) == Errno::kEFAULT) return {0, Errno::kEFAULT};
  return {done, iomap_errno(ret)};
}

}  // namespace vfssim
