// Kiocb: one read or write request as the VFS hands it to a filesystem
// (Linux's struct kiocb): the open file, the position, the caller's
// credentials and typed IOCB flags, built once per call from the open flags
// and the call's RWF_* flags. Linux open flags (int, uapi), RWF_* (int,
// uapi), IOCB flags and FreeBSD's VOP ioflag are four different things; only
// the last two reach a filesystem, each as its own type.
//
//   Kiocb iocb = init_sync_kiocb(fp, pos, creds);           // O_* -> IOCB_*
//   if (Errno e = kiocb_set_rw_flags(iocb, rwf, {.nowait = true}); e != Errno::kOk) ...
//   if (iocb.flags.has(IocbFlag::kDirect)) ...

#ifndef VFSSIM_VFS_KIOCB_H_
#define VFSSIM_VFS_KIOCB_H_

#include <cstdint>

#include "sim/bit_flags.h"
#include "sim/creds.h"
#include "sim/errno.h"
#include "vfs/uapi.h"

namespace vfssim {

struct File;

// IOCB_* (include/linux/fs.h). Each says what the request asks of the
// filesystem, whichever flag word it came from.
enum class IocbFlag : uint32_t {
  kHipri = 1u << 0,    // RWF_HIPRI: poll for completion (no effect here).
  kDsync = 1u << 1,    // O_DSYNC / RWF_DSYNC / RWF_SYNC: data durable before return.
  kSync = 1u << 2,     // __O_SYNC / RWF_SYNC: data and metadata durable.
  kNowait = 1u << 3,   // RWF_NOWAIT: EAGAIN rather than block (no I/O, no allocation).
  kAppend = 1u << 4,   // O_APPEND / RWF_APPEND: write at EOF.
  kDontcache = 1u << 7,  // RWF_DONTCACHE: drop the pages from the cache after the I/O.
  kDirect = 1u << 17,  // O_DIRECT: bypass the page cache.
};
using IocbFlags = BitFlags<IocbFlag>;

// Kiocb is one request. A filesystem reads pos and flags and never changes
// them; the VFS advances the position by what the request reports done.
struct Kiocb {
  File* filp = nullptr;  // nullptr for in-kernel requests (vop_stddeallocate).
  off_t64 pos = 0;
  const Creds* creds = nullptr;
  IocbFlags flags;
};

// iocb_flags translates a file's open flags (O_APPEND, O_DIRECT, O_DSYNC,
// __O_SYNC) into IOCB flags, as Linux's iocb_flags().
IocbFlags iocb_flags(int oflags);

// init_sync_kiocb builds the request for `fp` at `pos`.
Kiocb init_sync_kiocb(File& fp, off_t64 pos, const Creds& creds);

// RwfSupport is what a file lets RWF_* ask for: its f_mode and
// f_op->fop_flags bits, and the inode flag RWF_NOAPPEND meets.
struct RwfSupport {
  bool nowait = false;       // FMODE_NOWAIT.
  bool dontcache = false;    // FOP_DONTCACHE on a file that is not DAX.
  bool append_only = false;  // IS_APPEND(inode).
};

// kiocb_set_rw_flags adds a call's RWF_* flags (preadv2/pwritev2), checked in
// Linux 6.18's order: EOPNOTSUPP an unknown bit; EINVAL RWF_APPEND with
// RWF_NOAPPEND; EOPNOTSUPP RWF_NOWAIT without FMODE_NOWAIT, RWF_ATOMIC (no
// file here has FMODE_CAN_ATOMIC_WRITE, and reads never take it),
// RWF_DONTCACHE without FOP_DONTCACHE or on DAX; EPERM RWF_NOAPPEND on an
// append-only inode opened O_APPEND. RWF_SYNC implies DSYNC; RWF_NOAPPEND
// drops an O_APPEND; RWF_NOSIGNAL matters only to pipes and sockets.
// Host probes: tests/probes/fixtures/flags_align.jsonl (rwf_*).
Errno kiocb_set_rw_flags(Kiocb& iocb, int rwf, const RwfSupport& file);

// IoFlag: FreeBSD's VOP ioflag bits (sys/vnode.h IO_*) that vn_fspacectl
// passes to vn_deallocate and VOP_DEALLOCATE.
enum class IoFlag : uint32_t {
  kSync = 0x0080,      // IO_SYNC: the write is synchronous.
  kDirect = 0x0100,    // IO_DIRECT: a hint to bypass the cache.
  kDataSync = 0x4000,  // IO_DATASYNC: only the data need be synchronous.
};
using IoFlags = BitFlags<IoFlag>;

// get_write_ioflag is FreeBSD's: IO_DIRECT for O_DIRECT, IO_SYNC for
// O_SYNC, and IO_SYNC|IO_DATASYNC for O_DSYNC ("so that VOP_WRITE() or
// VOP_DEALLOCATE() implementations that don't understand IO_DATASYNC fall
// back to full O_SYNC behavior").
IoFlags get_write_ioflag(int oflags);

// kiocb_from_ioflag is the request an in-kernel VOP_WRITE made under
// `ioflag` (vop_stddeallocate's zero fill) carries: IO_SYNC becomes DSYNC
// (and SYNC unless IO_DATASYNC). IO_DIRECT stays a hint, as on FreeBSD: the
// zero fill goes through the cache.
Kiocb kiocb_from_ioflag(off_t64 pos, IoFlags ioflag);

}  // namespace vfssim

#endif  // VFSSIM_VFS_KIOCB_H_
