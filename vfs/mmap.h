// File mappings: the glue between a process's AddressSpace (sim/) and the
// VFS. VnodeVmOps is the vm_operations_struct of every vnode-backed file: it
// faults pages in through VOP fault/page_mkwrite and keeps the inode's list
// of mappers, so truncation and punching unmap pages first. The generic
// fault helpers for page-cache and DAX files live here too.

#ifndef VFSSIM_VFS_MMAP_H_
#define VFSSIM_VFS_MMAP_H_

#include <cstdint>
#include <memory>

#include "drivers/pmem.h"
#include "sim/address_space.h"
#include "sim/errno.h"
#include "vfs/iomap.h"
#include "vfs/vnode.h"

namespace vfssim {

// mmap(2) flags (include/uapi/asm-generic/mman*.h).
inline constexpr int kMAP_SHARED = 0x01;
inline constexpr int kMAP_PRIVATE = 0x02;
inline constexpr int kMAP_SHARED_VALIDATE = 0x03;
inline constexpr int kMAP_TYPE = 0x0f;
inline constexpr int kMAP_FIXED = 0x10;
inline constexpr int kMAP_ANONYMOUS = 0x20;
inline constexpr int kMAP_SYNC = 0x80000;
// LEGACY_MAP_MASK: flags MAP_SHARED_VALIDATE accepts without asking the file.
inline constexpr int kLEGACY_MAP_MASK = kMAP_SHARED | kMAP_PRIVATE | kMAP_FIXED |
                                        kMAP_ANONYMOUS | 0x0100 /*GROWSDOWN*/ |
                                        0x0800 /*DENYWRITE*/ | 0x1000 /*EXECUTABLE*/ |
                                        0x2000 /*LOCKED*/ | 0x4000 /*NORESERVE*/ |
                                        0x8000 /*POPULATE*/ | 0x10000 /*NONBLOCK*/ |
                                        0x20000 /*STACK*/ | 0x40000 /*HUGETLB*/ |
                                        0x4000000 /*UNINITIALIZED*/;
// msync(2) flags.
inline constexpr int kMS_ASYNC = 1;
inline constexpr int kMS_INVALIDATE = 2;
inline constexpr int kMS_SYNC = 4;

// DaxPhysPage is a pmem page mapped straight into an address space: loads
// are machine-check-safe copies (poison -> SIGBUS), stores non-temporal.
class DaxPhysPage : public PhysPage {
 public:
  DaxPhysPage(DaxDevice* dev, uint64_t pgoff) : dev_(dev), pgoff_(pgoff) {}
  uint64_t load(uint64_t off, std::span<std::byte> dst) override {
    return dev_->copy_mc_to_kernel(dst, pgoff_ * kPageSize + off);
  }
  void store(uint64_t off, std::span<const std::byte> src) override {
    dev_->memcpy_flushcache(pgoff_ * kPageSize + off, src);
  }

 private:
  DaxDevice* dev_;
  uint64_t pgoff_;
};

// zero_page is the shared read-only zero page (ZERO_PAGE(0)).
std::shared_ptr<PhysPage> zero_page();

// filemap_fault returns page `index` of a page-cache file, uptodate.
// Errors: EFAULT the page lies wholly past EOF (SIGBUS); EIO.
Result<std::shared_ptr<PhysPage>> filemap_fault(Inode& ip, uint64_t index, IomapOps& ops);

// dax_fault maps page `index` of a DAX file (write: allocate) — the zero
// page for a read fault on a hole or unwritten extent.
// Errors: as dax_iomap_fault.
Result<std::shared_ptr<PhysPage>> dax_fault(Inode& ip, uint64_t index, bool write,
                                            IomapOps& ops);

// iomap_file_fault and iomap_file_page_mkwrite are ->fault and
// ->page_mkwrite of a filesystem on the iomap helpers: a DAX file
// (`dax`) maps through dax_fault, allocating for a store; any other
// through the page cache, page_mkwrite reserving space and dirtying the
// page (iomap_page_mkwrite), which stays the one mapped (nullptr).
// Errors: as dax_fault, filemap_fault and iomap_page_mkwrite.
Result<std::shared_ptr<PhysPage>> iomap_file_fault(Inode& ip, uint64_t index, bool write, bool dax,
                                                   IomapOps& ops);
Result<std::shared_ptr<PhysPage>> iomap_file_page_mkwrite(Inode& ip, uint64_t index, bool dax,
                                                          IomapOps& ops);

// VnodeVmOps: the VmOps of vnode-backed file mappings. VMAs map the inode
// (Vma::object); the address space's owner is its ProcessMapper.
class VnodeVmOps : public VmOps {
 public:
  static VnodeVmOps& instance();
  FaultResult fault(Vma& vma, uint64_t pgoff, bool write) override;
  FaultResult page_mkwrite(Vma& vma, uint64_t pgoff) override;
  void open(Vma& vma) override;
  void close(Vma& vma) override;
  Errno writeback(Vma& vma, uint64_t pgoff, uint64_t npages) override;
  // The inode's filesystem resolves faults on file mappings.
  const void* server(const Vma& vma) const override;
};

// ProcessMapper unmaps an inode's pages from one address space.
class ProcessMapper : public PageMapper {
 public:
  explicit ProcessMapper(AddressSpace& as) : as_(as) {}
  void unmap_pages(const Inode& ip, uint64_t first, uint64_t last) override {
    as_.zap(&ip, first, last);
  }

 private:
  AddressSpace& as_;
};

// fault_signal turns a fault errno into the signal the process gets, as
// vmf_error and the arch fault handler do: EHWPOISON (poison under the page)
// -> SIGBUS/BUS_MCEERR_AR; ENOMEM -> SIGKILL (the OOM killer, SI_KERNEL);
// anything else (EFAULT past EOF, EIO, ENOSPC) -> SIGBUS/BUS_ADRERR.
FaultResult fault_signal(Errno e);

}  // namespace vfssim

#endif  // VFSSIM_VFS_MMAP_H_
