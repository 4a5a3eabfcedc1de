// IovIter: the one interface every copy of user data goes through (Linux's
// struct iov_iter, FreeBSD's struct uio). A filesystem or generic helper
// gets an iterator over the caller's buffer and moves bytes with it; it never
// sees a user pointer. Kinds:
//   - ubuf / iovec: user memory in a process's AddressSpace (read(2) and
//     readv(2) buffers). Copies fault soft pages in as they go; the atomic
//     copy does not (pagefault_disable) and the caller faults in and retries.
//   - kvec: kernel buffers (in-kernel I/O: vop_stddeallocate's zero fill,
//     copy_file_range's bounce buffer).
//   - grant: MINIX safecopy grants; each copy is a safecopy_to/from by the
//     filesystem (`server`) on the grant, with CPF_TRY's EFAULT + mark.
// Every copy stops at the first fault and returns the bytes it moved; they
// are a prefix, the iterator advances by exactly that much, and nothing past
// the fault is touched. fault_errno() says why a copy came up short.
//
//   IovIter to = IovIter::ubuf(IovIter::Dir::kDest, mm, buf, len);
//   uint64_t n = to.copy_to(page_bytes);          // copy_to_iter
//   if (n < page_bytes.size()) return {done + n, to.fault_errno()};

#ifndef VFSSIM_VFS_IOV_ITER_H_
#define VFSSIM_VFS_IOV_ITER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "sim/address_space.h"
#include "sim/errno.h"
#include "sim/grant.h"
#include "vfs/uapi.h"

namespace vfssim {

class IovIter {
 public:
  enum class Kind : uint8_t { kUbuf, kIovec, kKvec, kGrant };
  // kDest: a read fills it (ITER_DEST). kSource: a write drains it.
  enum class Dir : uint8_t { kDest, kSource };

  // Seg is one segment: a user address, a host pointer (kvec) or a grant
  // identifier, and its length. addr is the user address the segment's
  // bytes lie at (for a grant, the granted buffer's), which alignment()
  // reads; 0 for kernel buffers, which count as page aligned (the kernel's
  // bounce pages are), so host heap addresses never reach a result.
  struct Seg {
    uint64_t base;
    uint64_t len;
    uint64_t addr = 0;
  };

  // ubuf: one user buffer. iovec: the kernel's copy of a user iovec array
  // (import_iovec already copied it in).
  static IovIter ubuf(Dir dir, AddressSpace& mm, uint64_t addr, uint64_t len);
  static IovIter iovec(Dir dir, AddressSpace& mm, std::span<const UserIovec> iov);
  // kvec over a kernel buffer: a destination (read into it) or a source.
  static IovIter kvec_dest(std::span<std::byte> dst);
  static IovIter kvec_source(std::span<const std::byte> src);
  // grant: segments whose base is a GrantId (and addr the user address it
  // grants); `server` is the filesystem that copies (the safecopy caller).
  static IovIter grant(Dir dir, GrantTable& grants, std::span<const Seg> segs,
                       const void* server);

  Kind kind() const { return kind_; }
  Dir dir() const { return dir_; }
  // user_backed: user memory the filesystem may fault in (user_backed_iter).
  bool user_backed() const { return kind_ == Kind::kUbuf || kind_ == Kind::kIovec; }
  // count: bytes left (iov_iter_count).
  uint64_t count() const { return count_; }

  // copy_to moves src into the iterator (copy_to_iter; a read's data);
  // zero writes n zero bytes (iov_iter_zero). copy_from moves bytes out of
  // it into dst (copy_from_iter; a write's data). copy_from_atomic is
  // copy_from with page faults disabled (copy_folio_from_iter_atomic), for
  // use while a page is held. All return the bytes moved and advance by it.
  uint64_t copy_to(std::span<const std::byte> src);
  uint64_t zero(uint64_t n);
  uint64_t copy_from(std::span<std::byte> dst);
  uint64_t copy_from_atomic(std::span<std::byte> dst);

  // fault_in_readable / fault_in_writeable fault in the next n bytes of
  // user memory (fault_in_iov_iter_readable/writeable) and return the bytes
  // that could NOT be (0: all resident). Other kinds return 0: there is
  // nothing a filesystem can fault in.
  uint64_t fault_in_readable(uint64_t n);
  uint64_t fault_in_writeable(uint64_t n);

  // advance skips n bytes; revert steps back n (iov_iter_advance/revert).
  void advance(uint64_t n);
  void revert(uint64_t n);
  // truncate limits the iterator to n bytes, returning how many it hid;
  // reexpand sets the count back to `count`, at most what the segments
  // still hold (iov_iter_truncate / iov_iter_reexpand).
  uint64_t truncate(uint64_t n);
  void reexpand(uint64_t count);

  // segments lists what is left, segment by segment (trimmed to count()):
  // what the VFS grants to a MINIX filesystem. Meaningful for user-backed
  // iterators.
  std::vector<Seg> segments() const;

  // alignment ORs the remaining segments' starts and lengths
  // (iov_iter_alignment): direct I/O checks it against the block size.
  uint64_t alignment() const;

  // fault_errno: why the last short copy stopped — EFAULT, or a safecopy's
  // own errno (EDEADLK, EPERM).
  Errno fault_errno() const { return fault_errno_; }

 private:
  IovIter(Kind kind, Dir dir) : kind_(kind), dir_(dir) {}
  // move runs fn(base, len, offset into the copy) over the next n bytes,
  // segment by segment, stopping when fn moves less than asked; advances
  // by what moved and returns it.
  template <typename Fn>
  uint64_t move(uint64_t n, Fn fn);
  uint64_t fault_in(uint64_t n, bool write);
  // for_each_left calls fn(seg, offset in it, length) for what is left;
  // for_each_left_unbounded fn(length) for what the segments hold past the
  // current point, count() notwithstanding.
  template <typename Fn>
  void for_each_left(Fn fn) const;
  template <typename Fn>
  void for_each_left_unbounded(Fn fn) const;

  Kind kind_;
  Dir dir_;
  absl::InlinedVector<Seg, 1> segs_;
  size_t seg_ = 0;       // Current segment.
  uint64_t off_ = 0;     // Offset in it.
  uint64_t count_ = 0;   // Bytes left (after truncate).
  AddressSpace* mm_ = nullptr;
  GrantTable* grants_ = nullptr;
  const void* server_ = nullptr;
  Errno fault_errno_ = Errno::kEFAULT;
};

// ShortCopyRetry is the buffered write loops' answer to a step whose copy
// from the source (with page faults disabled) moved nothing
// (generic_perform_write, iomap_write_iter): fault in and go round again —
// unless the source is not user memory (a kernel buffer or a grant: there
// is nothing to fault in, and the copy's own errno ends the write), or a
// step already came back empty right after a successful fault-in (a
// resident page that still cannot be read, i.e. poisoned: Linux's
// memory_failure would have unmapped it, failing the next fault-in).
class ShortCopyRetry {
 public:
  // again returns true to retry the step; false to end the write, with
  // *err the errno to report. A step that copied bytes resets it.
  bool again(const IovIter& from, uint64_t copied, Errno* err) {
    if (copied > 0) {
      empty_steps_ = 0;
      return true;
    }
    if (!from.user_backed()) {
      *err = from.fault_errno();
      return false;
    }
    if (++empty_steps_ >= 2) {
      *err = Errno::kEFAULT;
      return false;
    }
    return true;
  }

 private:
  int empty_steps_ = 0;
};

}  // namespace vfssim

#endif  // VFSSIM_VFS_IOV_ITER_H_
