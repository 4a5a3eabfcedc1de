// Kiocb: one read or write request as the VFS hands it to a filesystem
// (Linux's struct kiocb): the open file, the position, the caller's
// credentials and typed IOCB flags, built once per call from the open flags
// and the call's RWF_* flags. Linux open flags (int, uapi), RWF_* (int,
// uapi), IOCB flags and FreeBSD's VOP ioflag are four different things; only
// the last two reach a filesystem, each as its own type.
//
//   Kiocb iocb = init_sync_kiocb(fp, pos, creds);           // O_* -> IOCB_*
//   if (Errno e = kiocb_set_rw_flags(iocb, rwf, /*write=*/true); e != Errno::kOk) ...
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

// kiocb_set_rw_flags adds a call's RWF_* flags (preadv2/pwritev2), checked in
// Linux 6.18's order: EOPNOTSUPP an unknown bit, RWF_ATOMIC (no filesystem
// here supports atomic writes) or RWF_DONTCACHE (none has FOP_DONTCACHE);
// EINVAL RWF_APPEND with RWF_NOAPPEND; EOPNOTSUPP RWF_NOWAIT on a file
// without FMODE_NOWAIT; EPERM RWF_NOAPPEND on an append-only inode opened
// O_APPEND. RWF_SYNC implies DSYNC; RWF_NOAPPEND drops an O_APPEND.
Errno kiocb_set_rw_flags(Kiocb& iocb, int rwf, bool nowait_ok, bool append_only_inode);

// IoFlag: FreeBSD's VOP ioflag bits (sys/vnode.h IO_*), what
// vn_deallocate and VOP_DEALLOCATE are told.
enum class IoFlag : uint32_t {
  kUnit = 0x0001,        // IO_UNIT.
  kAppend = 0x0002,      // IO_APPEND.
  kNdelay = 0x0004,      // IO_NDELAY: FNONBLOCK.
  kNodelocked = 0x0008,  // IO_NODELOCKED.
  kSync = 0x0080,        // IO_SYNC: O_FSYNC.
  kDirect = 0x0100,      // IO_DIRECT.
  kDataSync = 0x4000,    // IO_DATASYNC: O_DSYNC.
};
using IoFlags = BitFlags<IoFlag>;

// vn_ioflag is what FreeBSD's vn_fspacectl passes down for an open file:
// IO_SYNC for O_SYNC files, IO_DATASYNC for O_DSYNC, IO_DIRECT for O_DIRECT.
IoFlags vn_ioflag(int oflags);

// kiocb_from_ioflag is the request an in-kernel VOP_WRITE made under
// `ioflag` (vop_stddeallocate's zero fill) carries.
Kiocb kiocb_from_ioflag(off_t64 pos, IoFlags ioflag);

}  // namespace vfssim

#endif  // VFSSIM_VFS_KIOCB_H_
