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

Errno kiocb_set_rw_flags(Kiocb& iocb, int rwf, const RwfSupport& file) {
  if (rwf == 0) return Errno::kOk;
  if (rwf & ~kRWF_SUPPORTED) return Errno::kEOPNOTSUPP;
  if ((rwf & kRWF_APPEND) && (rwf & kRWF_NOAPPEND)) return Errno::kEINVAL;
  if ((rwf & kRWF_NOWAIT) && !file.nowait) return Errno::kEOPNOTSUPP;
  if (rwf & kRWF_ATOMIC) return Errno::kEOPNOTSUPP;
  if ((rwf & kRWF_DONTCACHE) && !file.dontcache) return Errno::kEOPNOTSUPP;
  IocbFlags add;
  if (rwf & kRWF_HIPRI) add.set(IocbFlag::kHipri);
  if (rwf & (kRWF_DSYNC | kRWF_SYNC)) add.set(IocbFlag::kDsync);
  if (rwf & kRWF_SYNC) add.set(IocbFlag::kSync);
  if (rwf & kRWF_NOWAIT) add.set(IocbFlag::kNowait);
  if (rwf & kRWF_APPEND) add.set(IocbFlag::kAppend);
  if (rwf & kRWF_DONTCACHE) add.set(IocbFlag::kDontcache);
  if ((rwf & kRWF_NOAPPEND) && iocb.flags.has(IocbFlag::kAppend)) {
    if (file.append_only) return Errno::kEPERM;
    iocb.flags.clear(IocbFlag::kAppend);
  }
  iocb.flags |= add;
  return Errno::kOk;
}

IoFlags get_write_ioflag(int oflags) {
  IoFlags f;
  if (oflags & kO_DIRECT) f.set(IoFlag::kDirect);
  // Linux spells O_SYNC as __O_SYNC|O_DSYNC; FreeBSD's O_FSYNC and O_DSYNC
  // are separate bits. O_SYNC is full sync; O_DSYNC alone is data sync.
  if (oflags & k__O_SYNC) {
    f.set(IoFlag::kSync);
  } else if (oflags & kO_DSYNC) {
    f.set(IoFlag::kSync).set(IoFlag::kDataSync);
  }
  return f;
}

Kiocb kiocb_from_ioflag(off_t64 pos, IoFlags ioflag) {
  Kiocb k{.pos = pos};
  if (ioflag.has(IoFlag::kSync)) {
    k.flags.set(IocbFlag::kDsync);
    if (!ioflag.has(IoFlag::kDataSync)) k.flags.set(IocbFlag::kSync);
  }
  return k;
}

}  // namespace vfssim
