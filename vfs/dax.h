// DAX: file data accessed in place on a persistent-memory device, with no
// page cache (Linux's fs/dax.c). Reads and writes copy between the caller
// and the device; faults map device pages straight into address spaces.
// Known poison makes dax_direct_access fail (the variant dax.direct_access
// says how); a machine-check-safe copy stops at poison it meets.

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
// holes and unwritten extents read as zeros. Each mapping is one
// dax_direct_access of all its remaining pages, so known poison anywhere in
// it fails the read there (EIO, a short read when earlier mappings gave
// bytes); latent poison met by the copy stops it at that byte (EIO). A
// short copy into the caller's buffer stops it with its fault errno.
IoResult dax_iomap_read(Inode& ip, const Kiocb& iocb, IovIter& to, IomapOps& ops);

// dax_iomap_write stores `from` at iocb.pos (kIomapDax|kIomapWrite: the
// filesystem allocates written, zeroed blocks) with non-temporal stores
// (dax_copy_from_iter), extending i_size. Over known poison (6.18,
// dax.direct_access=partial) it asks again in recovery mode and stores
// through recovery_write: pages before the poison as usual, and a
// page-aligned whole page over it after clearing the poison; a partial page
// over poison stores nothing there (EFAULT when nothing was written at
// all). Under dax.direct_access=whole (5.15) known poison fails the write
// with EIO and is never cleared (seed 004's "DAX writes do not clear
// poison"). A short copy from the caller's buffer stores what it got and
// stops with the iterator's fault errno.
IoResult dax_iomap_write(Inode& ip, const Kiocb& iocb, IovIter& from, IomapOps& ops);

// dax_zero_range zeroes the written blocks of [pos, pos+len) on the media
// (fs/dax.c's dax_zero_range, which a filesystem's zero range calls for a
// DAX inode), walking it with kIomapZero: a whole page by zero_page_range
// (clearing known poison), part of one through dax_direct_access and a
// store; holes and unwritten extents already read as zeros. Errors: EIO
// known poison under a partial page (dax_mem2blk_err), the device's errno,
// the iterator's.
Errno dax_zero_range(Inode& ip, off_t64 pos, uint64_t len, IomapOps& ops);

// DaxPfn is what a DAX fault maps: a device page, or the shared zero page
// (read faults on holes and unwritten extents).
struct DaxPfn {
  DaxDevice* dev = nullptr;  // nullptr: the zero page.
  uint64_t pgoff = 0;
};

// dax_iomap_fault resolves a fault on file page `index` (write: a store,
// which allocates). Errors: EFAULT the page is past EOF (SIGBUS);
// EHWPOISON known poison under it (SIGBUS BUS_MCEERR_AR, as
// VM_FAULT_HWPOISON), EIO under dax.direct_access=whole; ENOSPC (SIGBUS);
// the iterator's errno.
Result<DaxPfn> dax_iomap_fault(Inode& ip, uint64_t index, bool write, IomapOps& ops);

}  // namespace vfssim

#endif  // VFSSIM_VFS_DAX_H_
