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
#include "vfs/vnode.h"

namespace vfssim {

// iomap_dio_read reads [pos, pos+dst.size()) clipped at EOF straight from
// the device: holes, unwritten and delalloc ranges read as zeros.
// iomap_dio_write writes src at pos (mapping with kIomapDirect|kIomapWrite,
// so the filesystem allocates), calls ops.ioend after each mapping reached
// the device (unwritten conversion) and extends i_size.
// Both return the bytes moved and the error that stopped them.
// Errors: EINVAL pos or length not a multiple of `align` (the device's
// logical block size, which the caller passes); EIO; ENOSPC; the
// iterator's errno.
IoResult iomap_dio_read(Inode& ip, off_t64 pos, std::span<std::byte> dst, uint32_t align,
                        IomapOps& ops);
IoResult iomap_dio_write(Inode& ip, off_t64 pos, std::span<const std::byte> src,
                         uint32_t align, IomapOps& ops);

}  // namespace vfssim

#endif  // VFSSIM_VFS_DIRECT_IO_H_
