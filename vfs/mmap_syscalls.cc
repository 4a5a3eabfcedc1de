// mmap, munmap, msync (Linux's mm/mmap.c, mm/msync.c).

#include "vfs/process.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace vfssim {

Result<uint64_t> Process::mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd,
                               off_t64 off) {
  std::shared_ptr<File> fp;
  Result<uint64_t> r = [&]() -> Result<uint64_t> {
    if (off < 0 || off % static_cast<off_t64>(kUserPageSize) != 0) return Fail(Errno::kEINVAL);
    const bool anon = flags & kMAP_ANONYMOUS;
    if (!anon) {
      Result<std::shared_ptr<File>> got = get(fd);
      if (!got) return Fail(got.error());
      fp = *got;
    }
    if (len == 0) return Fail(Errno::kEINVAL);
    const uint64_t rounded = (len + kUserPageSize - 1) & ~(kUserPageSize - 1);
    if (rounded < len || rounded == 0) return Fail(Errno::kENOMEM);
    const uint64_t pgoff = static_cast<uint64_t>(off) / kUserPageSize;
    if (pgoff + rounded / kUserPageSize < pgoff) return Fail(Errno::kEOVERFLOW);
    // __get_unmapped_area: "if (len > TASK_SIZE) return -ENOMEM", and a
    // fixed range must lie below TASK_SIZE too, before its alignment.
    if (rounded > kTaskSize) return Fail(Errno::kENOMEM);
    if (flags & kMAP_FIXED) {
      if (addr > kTaskSize - rounded) return Fail(Errno::kENOMEM);
      if (addr % kUserPageSize != 0) return Fail(Errno::kEINVAL);
    } else {
      addr = 0;  // The hint is not honoured: the simulator picks.
    }
    const int type = flags & kMAP_TYPE;
    if (anon) {
      if (type != kMAP_SHARED && type != kMAP_PRIVATE && type != kMAP_SHARED_VALIDATE) {
        return Fail(Errno::kEINVAL);
      }
      return mm_->map(addr, rounded, prot, type != kMAP_PRIVATE, nullptr, 0, nullptr);
    }
    const Inode& ip = *fp->inode;
    switch (type) {
      case kMAP_SHARED_VALIDATE:
        if (flags & ~(kLEGACY_MAP_MASK | fp->ops->fo_mmap_supported_flags(*fp))) {
          return Fail(Errno::kEOPNOTSUPP);
        }
        [[fallthrough]];
      case kMAP_SHARED:
        if (type == kMAP_SHARED) flags &= kLEGACY_MAP_MASK;  // Unknown flags ignored.
        if (prot & kProtWrite) {
          if (!fp->write) return Fail(Errno::kEACCES);
          if (ip.flags & kInodeSwapfile) return Fail(Errno::kETXTBSY);
        }
        if ((ip.flags & kInodeAppend) && fp->write) return Fail(Errno::kEACCES);
        [[fallthrough]];
      case kMAP_PRIVATE:
        if (!fp->read) return Fail(Errno::kEACCES);
        break;
      default:
        return Fail(Errno::kEINVAL);
    }
    Result<VmOps*> ops = fp->ops->fo_mmap(*fp, prot, flags);
    if (!ops) return Fail(ops.error());
    const bool shared = type != kMAP_PRIVATE;
    // The file put anonymous memory in its place (/dev/zero).
    if (*ops == nullptr) return mm_->map(addr, rounded, prot, shared, nullptr, 0, nullptr);
    Result<uint64_t> at = mm_->map(addr, rounded, prot, shared, *ops, pgoff, fp->inode);
    if (at) {
      Vma& vma = *mm_->find_vma(*at);
      vma.file = fp;  // vm_file: msync syncs through this description.
      (*ops)->open(vma);
    }
    return at;
  }();
  trace("mmap", {{"len", len}, {"prot", prot}, {"flags", flags}, {"fd", fd}, {"off", off}},
        r ? Errno::kOk : r.error(), r ? static_cast<int64_t>(*r) : 0);
  return r;
}

Errno Process::munmap(uint64_t addr, uint64_t len) {
  // do_vmi_munmap: "if ((offset_in_page(start)) || start > TASK_SIZE ||
  // len > TASK_SIZE-start) return -EINVAL", then an empty range is EINVAL.
  Errno e = addr % kUserPageSize != 0 || addr > kTaskSize || len > kTaskSize - addr
                ? Errno::kEINVAL
                : mm_->unmap(addr, len);
  trace("munmap", {{"addr", addr}, {"len", len}}, e);
  return e;
}

Errno Process::msync(uint64_t addr, uint64_t len, int flags) {
  Errno e = [&] {
    if (flags & ~(kMS_ASYNC | kMS_INVALIDATE | kMS_SYNC)) return Errno::kEINVAL;
    if (addr % kUserPageSize != 0) return Errno::kEINVAL;
    if ((flags & kMS_ASYNC) && (flags & kMS_SYNC)) return Errno::kEINVAL;
    // "len = (len + ~PAGE_MASK) & PAGE_MASK; end = start + len; if (end <
    // start) goto out (ENOMEM)"; an empty range (len 0, or one that rounds
    // to 0) is done.
    const uint64_t rounded = (len + kUserPageSize - 1) & ~(kUserPageSize - 1);
    const uint64_t end = addr + rounded;
    if (end < addr) return Errno::kENOMEM;
    if (end == addr) return Errno::kOk;
    // VMA by VMA, never page by page: a hole is skipped and remembered
    // (ENOMEM at the end; at once for plain MS_ASYNC), running out of VMAs
    // before `end` is ENOMEM, and a sync that fails ends the call.
    Errno unmapped = Errno::kOk;
    uint64_t start = addr;
    for (;;) {
      const auto& vmas = mm_->vmas();
      auto it = vmas.upper_bound(start);  // find_vma: the first ending past start.
      if (it != vmas.begin() && std::prev(it)->second.end > start) --it;
      if (it == vmas.end()) return Errno::kENOMEM;
      Vma& vma = *mm_->find_vma(it->first);
      if (start < vma.start) {
        if (flags == kMS_ASYNC) return Errno::kENOMEM;
        start = vma.start;
        if (start >= end) return Errno::kENOMEM;
        unmapped = Errno::kENOMEM;
      }
      const uint64_t to = std::min(end, vma.end);
      const uint64_t first = vma.pgoff + (start - vma.start) / kUserPageSize;
      const uint64_t npages = (to - start) / kUserPageSize;
      start = vma.end;
      if ((flags & kMS_SYNC) && vma.shared && vma.ops != nullptr) {
        if (Errno err = vma.ops->writeback(vma, first, npages); err != Errno::kOk) return err;
      }
      if (start >= end) return unmapped;
    }
  }();
  trace("msync", {{"addr", addr}, {"len", len}, {"flags", flags}}, e);
  return e;
}

}  // namespace vfssim
