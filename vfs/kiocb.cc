#include "vfs/kiocb.h"

#include "vfs/file.h"

namespace vfssim {

IocbFlags iocb_flags(int oflags) {
  IocbFlags f;
  if (oflags & kO_APPEND) f.set(IocbFlag::kAppend);
  if (oflags & kO_DIRECT) f.set(IocbFlag::kDirect);
  if (oflags & kO_DSYNC) f.set(IocbFlag::kDsync);
  if (oflags & k__O_SYNC) f.set(IocbFlag::kSync);
  return f;
}

Kiocb init_sync_kiocb(File& fp, off_t64 pos, const Creds& creds) {
  return Kiocb{.filp = &fp, .pos = pos, .creds = &creds, .flags = iocb_flags(fp.oflags)};
}

Errno kiocb_set_rw_flags(Kiocb& iocb, int rwf, bool nowait_ok, bool append_only_inode) {
  if (rwf == 0) return Errno::kOk;
  if (rwf & ~kRWF_SUPPORTED) return Errno::kEOPNOTSUPP;
  if ((rwf & kRWF_APPEND) && (rwf & kRWF_NOAPPEND)) return Errno::kEINVAL;
  if ((rwf & kRWF_NOWAIT) && !nowait_ok) return Errno::kEOPNOTSUPP;
  // No file here has FMODE_CAN_ATOMIC_WRITE or FOP_DONTCACHE.
  if (rwf & (kRWF_ATOMIC | kRWF_DONTCACHE)) return Errno::kEOPNOTSUPP;
  IocbFlags add;
  if (rwf & kRWF_HIPRI) add.set(IocbFlag::kHipri);
  if (rwf & (kRWF_DSYNC | kRWF_SYNC)) add.set(IocbFlag::kDsync);
  if (rwf & kRWF_SYNC) add.set(IocbFlag::kSync);
  if (rwf & kRWF_NOWAIT) add.set(IocbFlag::kNowait);
  if (rwf & kRWF_APPEND) add.set(IocbFlag::kAppend);
  if ((rwf & kRWF_NOAPPEND) && iocb.flags.has(IocbFlag::kAppend)) {
    if (append_only_inode) return Errno::kEPERM;
    iocb.flags.clear(IocbFlag::kAppend);
  }
  iocb.flags |= add;
  return Errno::kOk;
}

IoFlags vn_ioflag(int oflags) {
  IoFlags f;
  if ((oflags & k__O_SYNC) != 0) f.set(IoFlag::kSync);
  if ((oflags & kO_DSYNC) != 0 && (oflags & k__O_SYNC) == 0) f.set(IoFlag::kDataSync);
  if (oflags & kO_DIRECT) f.set(IoFlag::kDirect);
  return f;
}

Kiocb kiocb_from_ioflag(off_t64 pos, IoFlags ioflag) {
  Kiocb k{.pos = pos};
  if (ioflag.has(IoFlag::kSync)) k.flags.set(IocbFlag::kSync).set(IocbFlag::kDsync);
  if (ioflag.has(IoFlag::kDataSync)) k.flags.set(IocbFlag::kDsync);
  if (ioflag.has(IoFlag::kDirect)) k.flags.set(IocbFlag::kDirect);
  if (ioflag.has(IoFlag::kAppend)) k.flags.set(IocbFlag::kAppend);
  return k;
}

}  // namespace vfssim
