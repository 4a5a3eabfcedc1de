#include "vfs/mmap.h"

#include <algorithm>

#include "vfs/buffered_io.h"
#include "vfs/dax.h"
#include "vfs/file.h"

namespace vfssim {

std::shared_ptr<PhysPage> zero_page() {
  static const std::shared_ptr<PhysPage> page =
      std::make_shared<RamPage>(share_page(alloc_page()));
  return page;
}

Result<std::shared_ptr<PhysPage>> filemap_fault(Inode& ip, uint64_t index, IomapOps& ops) {
  if ((index << kCachePageShift) >= ip.size) return Fail(Errno::kEFAULT);
  Result<CachedPage*> page = filemap_get_page(ip, index, ops);
  if (!page) return Fail(page.error());
  return std::shared_ptr<PhysPage>(std::make_shared<RamPage>((*page)->data));
}

Result<std::shared_ptr<PhysPage>> dax_fault(Inode& ip, uint64_t index, bool write,
                                            IomapOps& ops) {
  Result<DaxPfn> pfn = dax_iomap_fault(ip, index, write, ops);
  if (!pfn) return Fail(pfn.error());
  if (pfn->dev == nullptr) return zero_page();
  return std::shared_ptr<PhysPage>(std::make_shared<DaxPhysPage>(pfn->dev, pfn->pgoff));
}

FaultResult fault_signal(Errno e) {
  // vmf_error: ENOMEM is VM_FAULT_OOM (the OOM killer's SIGKILL, not a
  // SIGBUS); EHWPOISON is VM_FAULT_HWPOISON (BUS_MCEERR_AR); every other
  // error, I/O errors included, is VM_FAULT_SIGBUS (BUS_ADRERR).
  if (e == Errno::kENOMEM) return {nullptr, kSIGKILL, kSI_KERNEL};
  if (e == Errno::kEHWPOISON) return {nullptr, kSIGBUS, kBUS_MCEERR_AR};
  return {nullptr, kSIGBUS, kBUS_ADRERR};
}

namespace {

Inode& vma_inode(const Vma& vma) { return *static_cast<Inode*>(vma.object.get()); }

}  // namespace

VnodeVmOps& VnodeVmOps::instance() {
  static VnodeVmOps ops;
  return ops;
}

Result<std::shared_ptr<PhysPage>> iomap_file_fault(Inode& ip, uint64_t index, bool write, bool dax,
                                                   IomapOps& ops) {
  if (dax) return dax_fault(ip, index, write, ops);
  return filemap_fault(ip, index, ops);
}

Result<std::shared_ptr<PhysPage>> iomap_file_page_mkwrite(Inode& ip, uint64_t index, bool dax,
                                                          IomapOps& ops) {
  if (dax) return dax_fault(ip, index, /*write=*/true, ops);
  Result<CachedPage*> page = iomap_page_mkwrite(ip, index, ops);
  if (!page) return Fail(page.error());
  return nullptr;
}

FaultResult VnodeVmOps::fault(Vma& vma, uint64_t pgoff, bool write) {
  Inode& ip = vma_inode(vma);
  Result<std::shared_ptr<PhysPage>> page = ip.ops().fault(ip, pgoff, write);
  if (!page) return fault_signal(page.error());
  return {*page, 0, 0};
}

FaultResult VnodeVmOps::page_mkwrite(Vma& vma, uint64_t pgoff) {
  Inode& ip = vma_inode(vma);
  Result<std::shared_ptr<PhysPage>> page = ip.ops().page_mkwrite(ip, pgoff);
  if (!page) return fault_signal(page.error());
  return {*page, 0, 0};
}

void VnodeVmOps::open(Vma& vma) {
  Inode& ip = vma_inode(vma);
  ip.mappers.push_back(static_cast<PageMapper*>(vma.mm->owner));
  if (vma.shared && (vma.prot & kProtWrite)) ++ip.writable_mappings;
}

void VnodeVmOps::close(Vma& vma) {
  Inode& ip = vma_inode(vma);
  auto it = std::find(ip.mappers.begin(), ip.mappers.end(),
                      static_cast<PageMapper*>(vma.mm->owner));
  if (it != ip.mappers.end()) ip.mappers.erase(it);
  if (vma.shared && (vma.prot & kProtWrite)) --ip.writable_mappings;
}

const void* VnodeVmOps::server(const Vma& vma) const { return vma_inode(vma).sb; }

Errno VnodeVmOps::writeback(Vma& vma, uint64_t pgoff, uint64_t npages) {
  // msync: "vfs_fsync_range(file, fstart, fend, 1)" on vma->vm_file over
  // the mapped bytes only (fstart = the range's file offset, fend its last
  // byte), so the description the mapping was made through hears of the
  // error, once.
  const off_t64 fstart = static_cast<off_t64>(pgoff * kUserPageSize);
  const off_t64 fend = static_cast<off_t64>((pgoff + npages) * kUserPageSize) - 1;
  if (vma.file != nullptr) {
    File& fp = *static_cast<File*>(vma.file.get());
    return fp.ops->fo_fsync(fp, fstart, fend, /*datasync=*/true);
  }
  Inode& ip = vma_inode(vma);
  return ip.ops().fsync(ip, fstart, fend, true);
}

}  // namespace vfssim
