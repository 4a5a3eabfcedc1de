#include "vfs/dax.h"

#include <algorithm>
#include <vector>

#include "vfs/mount.h"

namespace vfssim {
namespace {

// dax_span checks with dax_direct_access that [addr, addr+len) is
// reachable, returning how many bytes from addr are (stopping before the
// first page with known poison). Errors: EIO the first page is poisoned.
Result<uint64_t> dax_span(DaxDevice& dev, uint64_t addr, uint64_t len) {
  const uint64_t pg = addr / kPageSize;
  const uint64_t nr = (addr + len + kPageSize - 1) / kPageSize - pg;
  Result<uint64_t> avail = dev.dax_direct_access(pg, nr);
  if (!avail) return Fail(avail.error() == Errno::kERANGE ? Errno::kEIO : avail.error());
  return std::min(len, (pg + *avail) * kPageSize - addr);
}

// dax_mapped_span is the common start of a DAX read or write actor: the
// mapping must be written pmem; *addr receives the device address of
// iter.pos, and the result how much of the mapping is reachable from it.
// Errors: EIO not a written pmem mapping, or known poison at addr.
Result<uint64_t> dax_mapped_span(const IomapIter& iter, uint64_t* addr) {
  const Iomap& m = iter.iomap;
  if (m.type != IomapType::kMapped || m.dax_dev == nullptr) return Fail(Errno::kEIO);
  *addr = m.addr + static_cast<uint64_t>(iter.pos - m.offset);
  return dax_span(*m.dax_dev, *addr, iter.length());
}

}  // namespace

IoResult dax_iomap_read(Inode& ip, const Kiocb& iocb, IovIter& to, IomapOps& ops) {
  const off_t64 pos = iocb.pos;
  if (static_cast<uint64_t>(pos) >= ip.size) return {0, Errno::kOk};
  const uint64_t want = std::min<uint64_t>(to.count(), ip.size - static_cast<uint64_t>(pos));
  IomapIter iter{.inode = &ip, .pos = pos, .len = want, .flags = kIomapDax};
  uint64_t done = 0;
  int64_t ret;
  std::vector<std::byte> bounce;
  // finish ends the walk after a short step of `copied` bytes.
  auto finish = [&](uint64_t copied, Errno e) -> IoResult {
    iomap_iter_stop(iter, ops, copied, e);
    return {done, e};
  };
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t len = iter.length();
    if (m.type == IomapType::kHole || m.type == IomapType::kUnwritten) {
      const uint64_t z = to.zero(len);
      done += z;
      if (z < len) return finish(z, to.fault_errno());
      iter.processed = static_cast<int64_t>(len);
      continue;
    }
    uint64_t addr = 0;
    Result<uint64_t> avail = dax_mapped_span(iter, &addr);
    if (!avail) {
      iter.processed = neg(avail.error());
      continue;
    }
    bounce.resize(*avail);
    const uint64_t good = *avail - m.dax_dev->copy_mc_to_kernel(bounce, addr);
    const uint64_t copied = to.copy_to(std::span(bounce).first(good));
    done += copied;
    if (copied < good) return finish(copied, to.fault_errno());
    // Short: poison met by the copy or known poison further on.
    if (copied < len) return finish(copied, Errno::kEIO);
    iter.processed = static_cast<int64_t>(len);
  }
  return {done, iomap_errno(ret)};
}

IoResult dax_iomap_write(Inode& ip, const Kiocb& iocb, IovIter& from, IomapOps& ops) {
  IomapIter iter{.inode = &ip, .pos = iocb.pos, .len = from.count(),
                 .flags = kIomapDax | kIomapWrite};
  uint64_t done = 0;
  int64_t ret;
  std::vector<std::byte> bounce;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t len = iter.length();
    uint64_t addr = 0;
    Result<uint64_t> avail = dax_mapped_span(iter, &addr);  // Needs written blocks.
    if (!avail) {
      iter.processed = neg(avail.error());
      continue;
    }
    bounce.resize(*avail);
    const uint64_t got = from.copy_from(bounce);
    m.dax_dev->memcpy_flushcache(addr, std::span(bounce).first(got));
    done += got;
    ip.size = std::max<uint64_t>(ip.size, static_cast<uint64_t>(iter.pos) + got);
    if (got < len) {
      const Errno e = got < *avail ? from.fault_errno() : Errno::kEIO;
      iomap_iter_stop(iter, ops, got, e);
      if (done > 0) ip.sb->touch(ip);
      return {done, e};
    }
    iter.processed = static_cast<int64_t>(len);
  }
  if (done > 0) ip.sb->touch(ip);
  return {done, iomap_errno(ret)};
}

Result<DaxPfn> dax_iomap_fault(Inode& ip, uint64_t index, bool write, IomapOps& ops) {
  const uint64_t pos = index * kPageSize;
  if (pos >= ip.size) return Fail(Errno::kEFAULT);
  IomapIter iter{.inode = &ip, .pos = static_cast<off_t64>(pos), .len = kPageSize,
                 .flags = kIomapDax | kIomapFault | (write ? kIomapWrite : 0u)};
  DaxPfn pfn;
  Errno err = Errno::kOk;
  int64_t ret = iomap_iter(iter, ops);
  if (ret > 0) {
    const Iomap& m = iter.iomap;
    if (m.type == IomapType::kHole || m.type == IomapType::kUnwritten) {
      if (write) err = Errno::kEIO;  // A write fault must be given blocks.
    } else if (m.type == IomapType::kMapped && m.dax_dev != nullptr) {
      const uint64_t addr = m.addr + (pos - static_cast<uint64_t>(m.offset));
      Result<uint64_t> avail = dax_span(*m.dax_dev, addr, kPageSize);
      if (!avail || *avail < kPageSize || addr % kPageSize != 0) {
        err = avail ? Errno::kEIO : avail.error();
      } else {
        pfn = {m.dax_dev, addr / kPageSize};
      }
    } else {
      err = Errno::kEIO;
    }
    iter.processed = err == Errno::kOk ? static_cast<int64_t>(iter.length()) : neg(err);
    ret = iomap_iter(iter, ops);
  }
  if (ret < 0) return Fail(iomap_errno(ret));
  if (write) ip.sb->touch(ip);
  return pfn;
}

}  // namespace vfssim
