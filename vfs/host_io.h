// host_io: host-buffer conveniences over a Process's syscalls, for tests,
// the harness, tools and benchmarks. Each one stages its bytes through the
// process's own memory — a private anonymous scratch mapping at
// kStagingBase — and makes the real syscall with user addresses, then
// copies results back; no path bypasses user memory.
//
//   host::pwrite(p, fd, bytes, 0);
//   std::vector<std::byte> buf(4096);
//   host::pread(p, fd, buf, 0);
//   SpacectlRange rq{0, 8192}, rm;
//   host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm);

#ifndef VFSSIM_VFS_HOST_IO_H_
#define VFSSIM_VFS_HOST_IO_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sim/errno.h"
#include "vfs/process.h"
#include "vfs/uapi.h"

namespace vfssim::host {

// Where staged bytes live in every process: far from where mmap(2) places
// mappings, so staging never moves them.
inline constexpr uint64_t kStagingBase = 0x100000000000ull;

// staging returns the user address of a scratch area of at least n bytes
// (the mapping grows as needed; its old bytes are not kept).
uint64_t staging(Process& p, uint64_t n);

// IoVec is a host buffer for the vector calls.
struct IoVec {
  std::byte* base;
  size_t len;
};

// The data calls, with the syscalls' results; reads copy back what the
// call returned.
Result<uint64_t> read(Process& p, int fd, std::span<std::byte> buf);
Result<uint64_t> write(Process& p, int fd, std::span<const std::byte> buf);
Result<uint64_t> pread(Process& p, int fd, std::span<std::byte> buf, off_t64 off);
Result<uint64_t> pwrite(Process& p, int fd, std::span<const std::byte> buf, off_t64 off);
Result<uint64_t> readv(Process& p, int fd, std::span<const IoVec> iov);
Result<uint64_t> writev(Process& p, int fd, std::span<const IoVec> iov);
Result<uint64_t> preadv2(Process& p, int fd, std::span<const IoVec> iov, off_t64 off, int rwf);
Result<uint64_t> pwritev2(Process& p, int fd, std::span<const IoVec> iov, off_t64 off, int rwf);
// readlink is readlink(2) of `path` (PATH_MAX bytes at most): the link's
// text.
Result<std::string> readlink(Process& p, std::string_view path);

// pwrite_direct is one pwrite(2) of buf at off with O_DIRECT set on the
// file (F_SETFL) for the call and its old flags put back after. The bytes
// come from the page-aligned staging area, so the buffer meets any memory
// alignment rule; the offset and length are the caller's. Errors: F_GETFL's
// and F_SETFL's (EINVAL: the file cannot do direct I/O), then pwrite's
// (EINVAL: off or the length breaks the device's alignment).
Result<uint64_t> pwrite_direct(Process& p, int fd, std::span<const std::byte> buf, off_t64 off);

// MstoreResult is what mstore saw: the bytes stored before a signal (all
// of them without one), the signal the store ended in, and the first
// error of the calls around it with that call's name.
struct MstoreResult {
  uint64_t stored = 0;
  int signal = 0;            // SIGBUS: a page wholly past EOF, or poison; 0 none.
  Errno err = Errno::kOk;
  std::string_view call;     // "mmap", "msync" or "munmap" when err is set.
};

// mstore is an application storing buf at file offset off through a
// mapping: mmap(MAP_SHARED, PROT_READ|PROT_WRITE) of the pages holding
// [off, off + buf.size()), the store, msync(MS_SYNC) and munmap of the
// mapping (both run after a signal too). Errors: EINVAL off < 0, buf
// empty, or the range past kOffMax (what mmap says of such a range); then
// mmap's (nothing stored), msync's, munmap's.
MstoreResult mstore(Process& p, int fd, off_t64 off, std::span<const std::byte> buf);

// fspacectl stages *rqsr (nullptr: passes address 0, which faults) and
// copies rmsr back when rmsr is given (nullptr: passes 0, "no rmsr").
Errno fspacectl(Process& p, int fd, int cmd, const SpacectlRange* rqsr, int flags,
                SpacectlRange* rmsr);

// ioctl_bytes stages `arg`, makes the ioctl with its user address, and
// copies the staged bytes back after the call.
Errno ioctl_bytes(Process& p, int fd, unsigned long cmd, std::span<std::byte> arg);

// ioctl stages *arg (a fixed-size argument: uint32_t flags, FsXattr,
// FileCloneRange) and copies it back after the call.
template <typename T>
Errno ioctl(Process& p, int fd, unsigned long cmd, T* arg) {
  return ioctl_bytes(p, fd, cmd, {reinterpret_cast<std::byte*>(arg), sizeof(T)});
}

// ficlone: FICLONE, whose argument is the source descriptor itself.
inline Errno ficlone(Process& p, int dst_fd, int src_fd) {
  return p.ioctl(dst_fd, kFICLONE, static_cast<uint64_t>(src_fd));
}

// dedupe: FIDEDUPERANGE on `same`, which is followed in memory by its
// dest_count FileDedupeRangeInfo records; all are copied back.
Errno dedupe(Process& p, int fd, FileDedupeRange* same);

// fiemap: FS_IOC_FIEMAP with room for fi->fm_extent_count extents; fills
// fm_mapped_extents, fm_flags and fm_extents from what the call copied out.
Errno fiemap(Process& p, int fd, Fiemap* fi);

}  // namespace vfssim::host

#endif  // VFSSIM_VFS_HOST_IO_H_
