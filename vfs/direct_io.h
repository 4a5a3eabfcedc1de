// Direct I/O over the iomap iterator (Linux's fs/iomap/direct-io.c): data
// moves between the caller's buffer and the device with no page cache in
// between. Cached pages over the range are written back first, and for
// writes dropped (and unmapped), so buffered and direct views agree.

#ifndef VFSSIM_VFS_DIRECT_IO_H_
#define VFSSIM_VFS_DIRECT_IO_H_

#include <cstddef>
#include <span>

#include "sim/errno.h"
#include "vfs/iomap.h"
#include "vfs/iov_iter.h"
#include "vfs/kiocb.h"
#include "vfs/vnode.h"

namespace vfssim {

// iomap_dio_read reads [iocb.pos, iocb.pos + to.count()) straight from the
// device into `to`: holes, unwritten and delalloc ranges read as zeros. The
// walk covers the whole request (past EOF as a hole, zero-filling the user
// buffer there) and the count is trimmed to EOF, as iomap_dio_complete
// does. iomap_dio_write writes `from` at iocb.pos (mapping with
// kIomapDirect|kIomapWrite, so the filesystem allocates), calls ops.ioend
// after each mapping reached the device (unwritten conversion) and extends
// i_size. The user pages are what the device transfers to or from (pinned
// in the kernel; a bounce buffer here).
// Alignment to `align` (the device's logical block size, which the caller
// passes) follows XFS: a write's position and length are checked first; the
// user memory (and, for reads, position and length) only where a step goes
// to the device, so misaligned reads of holes, unwritten extents or past EOF
// succeed (host probe tests/probes/fixtures/flags_align.jsonl).
// Any error fails the whole call, whatever moved before it (no
// IOMAP_DIO_PARTIAL, as XFS and ext4). Errors: EINVAL misaligned as above;
// EFAULT the caller's buffer faulted part way — the pages before the fault
// were transferred all the same (host probes
// odirect_p{read,write}_tail_unmapped), and neither EOF nor unwritten
// extents move; EAGAIN under IOCB_NOWAIT when a read's range has dirty
// pages, a write's range has cached pages, or the filesystem would have to
// allocate; EIO; ENOSPC; the iterator's errno.
// Both return the bytes moved and the error that stopped them.
IoResult iomap_dio_read(Inode& ip, const Kiocb& iocb, IovIter& to, uint32_t align,
                        IomapOps& ops);
IoResult iomap_dio_write(Inode& ip, const Kiocb& iocb, IovIter& from, uint32_t align,
                         IomapOps& ops);

}  // namespace vfssim

#endif  // VFSSIM_VFS_DIRECT_IO_H_
