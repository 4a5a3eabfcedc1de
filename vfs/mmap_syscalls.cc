// mmap, munmap, msync (Linux's mm/mmap.c, mm/msync.c).

#include "vfs/process.h"

#include <algorithm>
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
    if (flags & kMAP_FIXED) {
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
  Errno e = mm_->unmap(addr, len);
  trace("munmap", {{"addr", addr}, {"len", len}}, e);
  return e;
}

Errno Process::msync(uint64_t addr, uint64_t len, int flags) {
  Errno e = [&] {
    if (flags & ~(kMS_ASYNC | kMS_INVALIDATE | kMS_SYNC)) return Errno::kEINVAL;
    if (addr % kUserPageSize != 0) return Errno::kEINVAL;
    if ((flags & kMS_ASYNC) && (flags & kMS_SYNC)) return Errno::kEINVAL;
    const uint64_t end = addr + ((len + kUserPageSize - 1) & ~(kUserPageSize - 1));
    Errno err = Errno::kOk;
    bool unmapped = false;
    for (uint64_t a = addr; a < end;) {
      Vma* vma = mm_->find_vma(a);
      if (vma == nullptr) {
        unmapped = true;
        a += kUserPageSize;
        continue;
      }
      const uint64_t to = std::min(end, vma->end);
      if ((flags & kMS_SYNC) && vma->shared && vma->ops != nullptr) {
        const Errno w = vma->ops->writeback(*vma, vma->pgoff + (a - vma->start) / kUserPageSize,
                                            (to - a) / kUserPageSize);
        if (err == Errno::kOk) err = w;
      }
      a = to;
    }
    if (unmapped) return Errno::kENOMEM;
    return err;
  }();
  trace("msync", {{"addr", addr}, {"len", len}, {"flags", flags}}, e);
  return e;
}

}  // namespace vfssim
