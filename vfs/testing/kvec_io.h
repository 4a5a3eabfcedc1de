// kvec:: — the generic I/O helpers called with a kernel buffer (a kvec
// iterator), for unit tests of the helpers themselves and in-kernel
// benchmarks. Syscall-level tests go through user memory instead
// (vfs/host_io.h).
//
//   kvec::iomap_file_buffered_write(*ip, 0, bytes, fs.map(*ip));

#ifndef VFSSIM_VFS_TESTING_KVEC_IO_H_
#define VFSSIM_VFS_TESTING_KVEC_IO_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "vfs/buffered_io.h"
#include "vfs/dax.h"
#include "vfs/direct_io.h"
#include "vfs/iov_iter.h"
#include "vfs/kiocb.h"
#include "vfs/vnode.h"

namespace vfssim::kvec {

inline IoResult filemap_read(Inode& ip, off_t64 pos, std::span<std::byte> dst, IomapOps& ops) {
  IovIter to = IovIter::kvec_dest(dst);
  return vfssim::filemap_read(ip, Kiocb{.pos = pos}, to, ops);
}
inline IoResult iomap_file_buffered_write(Inode& ip, off_t64 pos, std::span<const std::byte> src,
                                          IomapOps& ops) {
  IovIter from = IovIter::kvec_source(src);
  return vfssim::iomap_file_buffered_write(ip, Kiocb{.pos = pos}, from, ops);
}
// Kernel buffers count as page aligned (IovIter::Seg::addr is 0 for them),
// so direct I/O checks only the position and the length.
inline IoResult iomap_dio_read(Inode& ip, off_t64 pos, std::span<std::byte> dst, uint32_t align,
                               IomapOps& ops) {
  IovIter to = IovIter::kvec_dest(dst);
  return vfssim::iomap_dio_read(ip, Kiocb{.pos = pos}, to, align, ops);
}
inline IoResult iomap_dio_write(Inode& ip, off_t64 pos, std::span<const std::byte> src,
                                uint32_t align, IomapOps& ops) {
  IovIter from = IovIter::kvec_source(src);
  return vfssim::iomap_dio_write(ip, Kiocb{.pos = pos}, from, align, ops);
}
inline IoResult dax_iomap_read(Inode& ip, off_t64 pos, std::span<std::byte> dst, IomapOps& ops) {
  IovIter to = IovIter::kvec_dest(dst);
  return vfssim::dax_iomap_read(ip, Kiocb{.pos = pos}, to, ops);
}
inline IoResult dax_iomap_write(Inode& ip, off_t64 pos, std::span<const std::byte> src,
                                IomapOps& ops) {
  IovIter from = IovIter::kvec_source(src);
  return vfssim::dax_iomap_write(ip, Kiocb{.pos = pos}, from, ops);
}
// vop_write is VOP_WRITE from a kernel buffer.
inline IoResult vop_write(Inode& ip, off_t64 pos, std::span<const std::byte> src) {
  IovIter from = IovIter::kvec_source(src);
  return ip.ops().write(ip, Kiocb{.pos = pos}, from);
}

}  // namespace vfssim::kvec

#endif  // VFSSIM_VFS_TESTING_KVEC_IO_H_
