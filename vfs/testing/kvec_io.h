// kvec:: — the generic I/O helpers called with a kernel buffer (a kvec
// iterator), for unit tests of the helpers themselves and in-kernel
// benchmarks. Syscall-level tests go through user memory instead
// (vfs/host_io.h).
//
//   kvec::iomap_file_buffered_write(*ip, 0, bytes, fs.map(*ip));

#ifndef VFSSIM_VFS_TESTING_KVEC_IO_H_
#define VFSSIM_VFS_TESTING_KVEC_IO_H_

#include <algorithm>
#include <cstddef>
#include <cstdlib>
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
// The direct-I/O forms go through a page-aligned kernel buffer, so a test's
// own vector (heap-aligned only) does not trip the buffer-alignment rule;
// tests of that rule build their iterators themselves.
struct AlignedBuffer {
  explicit AlignedBuffer(size_t n)
      : bytes(static_cast<std::byte*>(std::aligned_alloc(4096, (n + 4095) / 4096 * 4096 + 4096))),
        size(n) {}
  ~AlignedBuffer() { std::free(bytes); }
  std::span<std::byte> span() { return {bytes, size}; }
  std::byte* bytes;
  size_t size;
};
inline IoResult iomap_dio_read(Inode& ip, off_t64 pos, std::span<std::byte> dst, uint32_t align,
                               IomapOps& ops) {
  AlignedBuffer b(dst.size());
  IovIter to = IovIter::kvec_dest(b.span());
  IoResult r = vfssim::iomap_dio_read(ip, Kiocb{.pos = pos}, to, align, ops);
  std::copy_n(b.bytes, dst.size(), dst.begin());
  return r;
}
inline IoResult iomap_dio_write(Inode& ip, off_t64 pos, std::span<const std::byte> src,
                                uint32_t align, IomapOps& ops) {
  AlignedBuffer b(src.size());
  std::copy(src.begin(), src.end(), b.bytes);
  IovIter from = IovIter::kvec_source(b.span());
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
