// DAX: file data accessed in place on a persistent-memory device, with no
// page cache (Linux's fs/dax.c). Reads and writes copy between the caller
// and the device; faults map device pages straight into address spaces.
// Known poison makes dax_direct_access fail; a machine-check-safe copy
// stops at poison it meets.

#ifndef VFSSIM_VFS_DAX_H_
#define VFSSIM_VFS_DAX_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "drivers/pmem.h"
#include "sim/errno.h"
#include "vfs/iomap.h"
#include "vfs/iov_iter.h"
#include "vfs/kiocb.h"
#include "vfs/vnode.h"

namespace vfssim {

// dax_iomap_read copies [iocb.pos, iocb.pos + to.count()) clipped at EOF
// from pmem into `to` (dax_copy_to_iter: a machine-check-safe copy):
// holes and unwritten extents read as zeros. A page with known poison, or
// poison met by the copy, stops the read: the bytes before it are returned
// with EIO (a short read when there are any). A short copy into the
// caller's buffer stops it with the iterator's fault errno.
IoResult dax_iomap_read(Inode& ip, const Kiocb& iocb, IovIter& to, IomapOps& ops);

// dax_iomap_write stores `from` at iocb.pos (kIomapDax|kIomapWrite: the
// filesystem allocates written, zeroed blocks) with non-temporal stores
// (dax_copy_from_iter), extending i_size. Known poison under the range
// stops it with EIO: a DAX write does not clear poison (seed 004). A short
// copy from the caller's buffer stores what it got and stops with the
// iterator's fault errno.
IoResult dax_iomap_write(Inode& ip, const Kiocb& iocb, IovIter& from, IomapOps& ops);

// DaxPfn is what a DAX fault maps: a device page, or the shared zero page
// (read faults on holes and unwritten extents).
struct DaxPfn {
  DaxDevice* dev = nullptr;  // nullptr: the zero page.
  uint64_t pgoff = 0;
};

// dax_iomap_fault resolves a fault on file page `index` (write: a store,
// which allocates). Errors: EFAULT the page is past EOF (SIGBUS);
// EIO known poison under it (SIGBUS, as VM_FAULT_HWPOISON); ENOSPC
// (SIGBUS); the iterator's errno.
Result<DaxPfn> dax_iomap_fault(Inode& ip, uint64_t index, bool write, IomapOps& ops);

}  // namespace vfssim

#endif  // VFSSIM_VFS_DAX_H_
