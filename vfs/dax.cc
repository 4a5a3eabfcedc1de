#include "vfs/dax.h"

#include <algorithm>
#include <array>
#include <vector>

#include "vfs/mount.h"

namespace vfssim {
namespace {

// dax_mem2blk_err: "return (err == -EHWPOISON) ? -EIO : err" — what a read
// or write reports for poison dax_direct_access refused; a request past the
// device (ERANGE) is an I/O error too.
Errno dax_mem2blk_err(Errno e) {
  return e == Errno::kEHWPOISON || e == Errno::kERANGE ? Errno::kEIO : e;
}

// dax_map is dax_direct_access for the bytes [addr, addr+len) of a step:
// how many of them are mapped (the pages it granted, from addr).
Result<uint64_t> dax_map(DaxDevice& dev, uint64_t addr, uint64_t len, DaxAccessMode mode) {
  const uint64_t pg = addr / kPageSize;
  const uint64_t nr = (addr + len + kPageSize - 1) / kPageSize - pg;
  Result<uint64_t> avail = dev.dax_direct_access(pg, nr, mode);
  if (!avail) return Fail(avail.error());
  return std::min(len, (pg + *avail) * kPageSize - addr);
}

// dax_mapped_addr is the common start of a DAX read or write actor: the
// mapping must be written pmem; the result is the device address of
// iter.pos. Errors: EIO not a written pmem mapping.
Result<uint64_t> dax_mapped_addr(const IomapIter& iter) {
  const Iomap& m = iter.iomap;
  if (m.type != IomapType::kMapped || m.dax_dev == nullptr) return Fail(Errno::kEIO);
  return m.addr + static_cast<uint64_t>(iter.pos - m.offset);
}

}  // namespace

IoResult dax_iomap_read(Inode& ip, const Kiocb& iocb, IovIter& to, IomapOps& ops) {
  const off_t64 pos = iocb.pos;
  if (static_cast<uint64_t>(pos) >= ip.size) return {0, Errno::kOk};
  const uint64_t want = std::min<uint64_t>(to.count(), ip.size - static_cast<uint64_t>(pos));
  IomapIter iter{.inode = &ip, .pos = pos, .len = want, .flags = kIomapDax};
  uint64_t done = 0;
  int64_t ret;
  // finish ends the walk after a short step of `copied` bytes.
  auto finish = [&](uint64_t copied, Errno e) -> IoResult {
    return {done, iomap_iter_stop(iter, ops, copied, e)};
  };
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t len = iter.length();
    if (m.type == IomapType::kHole || m.type == IomapType::kUnwritten) {
      const uint64_t z = to.zero(len);
      done += z;
      if (z < len) return finish(z, to.fault_errno());
      iter.status = iter.advance(len);
      continue;
    }
    // dax_iomap_iter: the step asks for the rest of the mapping at once, so
    // known poison anywhere in it fails the step (EIO) before a byte moves.
    Result<uint64_t> addr = dax_mapped_addr(iter);
    Result<uint64_t> avail =
        addr ? dax_map(*m.dax_dev, *addr, len, DaxAccessMode::kAccess) : addr;
    if (!avail) {
      iter.status = neg(dax_mem2blk_err(avail.error()));
      continue;
    }
    // dax_copy_to_iter: from the media straight into the caller's memory.
    const DaxDevice::McCopy c = m.dax_dev->copy_mc_to(
        *addr, *avail, [&to](std::span<const std::byte> piece) { return to.copy_to(piece); });
    done += c.copied;
    // Short: the copy consumed poison the driver did not know of, or the
    // caller's buffer faulted.
    if (c.poisoned) return finish(c.copied, Errno::kEIO);
    if (c.copied < *avail) return finish(c.copied, to.fault_errno());
    if (*avail < len) {
      iter.status = iter.advance(*avail);  // The device ended: map the rest.
      continue;
    }
    iter.status = iter.advance(len);
  }
  return {done, iomap_errno(ret)};
}

IoResult dax_iomap_write(Inode& ip, const Kiocb& iocb, IovIter& from, IomapOps& ops) {
  IomapIter iter{.inode = &ip, .pos = iocb.pos, .len = from.count(),
                 .flags = kIomapDax | kIomapWrite};
  uint64_t done = 0;
  int64_t ret;
  thread_local std::vector<std::byte> bounce_store;
  if (bounce_store.size() > (1u << 20)) bounce_store = {};  // No large leftovers kept.
  std::vector<std::byte>& bounce = bounce_store;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t len = iter.length();
    Result<uint64_t> addr = dax_mapped_addr(iter);  // Needs written blocks.
    // dax_iomap_iter: known poison refuses a plain access (EHWPOISON);
    // a write then asks again in recovery mode and, when granted, stores
    // through recovery_write, which clears the poison under whole pages.
    bool recovery = false;
    Result<uint64_t> avail =
        addr ? dax_map(*m.dax_dev, *addr, len, DaxAccessMode::kAccess) : addr;
    if (!avail && avail.error() == Errno::kEHWPOISON) {
      avail = dax_map(*m.dax_dev, *addr, len, DaxAccessMode::kRecoveryWrite);
      recovery = avail.has_value();
    }
    if (!avail) {
      iter.status = neg(dax_mem2blk_err(avail.error()));
      continue;
    }
    uint64_t got, xfer;
    if (recovery) {
      // recovery_write decides from the whole request whether it can go.
      if (bounce.size() < *avail) bounce.resize(*avail);
      got = from.copy_from(std::span(bounce).first(*avail));
      xfer = m.dax_dev->recovery_write(*addr, std::span(bounce).first(got));
    } else {
      // dax_copy_from_iter: from the caller's memory straight to the media.
      got = xfer = m.dax_dev->memcpy_flushcache_from(
          *addr, *avail, [&from](std::span<std::byte> piece) { return from.copy_from(piece); });
    }
    done += xfer;
    // xfs_file_dax_write grows i_size only after a write that stored
    // something ("if (ret > 0 && iocb->ki_pos > i_size_read(inode))").
    if (xfer > 0) ip.size = std::max<uint64_t>(ip.size, static_cast<uint64_t>(iter.pos) + xfer);
    if (xfer < *avail) {
      // "if (xfer == 0) ret = -EFAULT": nothing stored (a recovery write
      // that could not clear, or the caller's buffer faulted at once).
      const Errno e = iomap_iter_stop(
          iter, ops, xfer, got < *avail ? from.fault_errno() : xfer == 0 ? Errno::kEFAULT : Errno::kEIO);
      if (done > 0) ip.sb->touch(ip);
      return {done, e};
    }
    iter.status = iter.advance(*avail);
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
      // dax_iomap_pfn -> dax_direct_access; its EHWPOISON becomes
      // VM_FAULT_HWPOISON (vmf_error), anything else VM_FAULT_SIGBUS.
      Result<uint64_t> avail = dax_map(*m.dax_dev, addr, kPageSize, DaxAccessMode::kAccess);
      if (!avail || *avail < kPageSize || addr % kPageSize != 0) {
        err = avail ? Errno::kEIO : avail.error() == Errno::kERANGE ? Errno::kEIO : avail.error();
      } else {
        pfn = {m.dax_dev, addr / kPageSize};
      }
    } else {
      err = Errno::kEIO;
    }
    iter.status = err == Errno::kOk ? iter.advance_full() : neg(err);
    ret = iomap_iter(iter, ops);
  }
  if (ret < 0) return Fail(iomap_errno(ret));
  if (write) ip.sb->touch(ip);
  return pfn;
}

Errno dax_zero_range(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops) {
  static const std::array<std::byte, kPageSize> kZeros{};
  IomapIter iter{.inode = &ip, .pos = pos, .len = len, .flags = kIomapZero};
  int64_t ret;
  while ((ret = iomap_iter(iter, ops)) > 0) {
    const Iomap& m = iter.iomap;
    const uint64_t stop = static_cast<uint64_t>(iter.pos) + iter.length();
    Errno e = Errno::kOk;
    for (uint64_t p = static_cast<uint64_t>(iter.pos);
         e == Errno::kOk && m.type == IomapType::kMapped && m.dax_dev != nullptr && p < stop;) {
      const uint64_t addr = m.addr + (p - static_cast<uint64_t>(m.offset));
      const uint64_t n = std::min(stop - p, kPageSize - addr % kPageSize);
      if (n == kPageSize) {
        e = m.dax_dev->zero_page_range(addr / kPageSize, 1);
      } else if (Result<uint64_t> mapped = m.dax_dev->dax_direct_access(addr / kPageSize, 1); !mapped) {
        e = mapped.error() == Errno::kEHWPOISON ? Errno::kEIO : mapped.error();
      } else {
        m.dax_dev->memcpy_flushcache(addr, std::span(kZeros).first(n));
      }
      p += n;
    }
    iter.status = e == Errno::kOk ? iter.advance_full() : neg(e);
  }
  return iomap_errno(ret);
}

}  // namespace vfssim
