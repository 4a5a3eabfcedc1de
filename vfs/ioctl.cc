// ioctl: the commands the VFS answers itself (Linux's fs/ioctl.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {


Errno Process::ioctl(int fd, unsigned long cmd, void* arg) {
  Errno e = [&]() -> Errno {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    Inode& ip = *fp.inode;
    auto may_change_flags = [&](uint32_t old_flags, uint32_t new_flags) {
      if (creds_.uid != ip.uid && !creds_.capable(Cap::kFowner)) return Errno::kEPERM;
      if (((old_flags ^ new_flags) & (kInodeImmutable | kInodeAppend)) &&
          !creds_.capable(Cap::kLinuxImmutable)) {
        return Errno::kEPERM;
      }
      return Errno::kOk;
    };
    switch (cmd) {
      case kFS_IOC_GETFLAGS: {
        uint32_t v = 0;
        if (ip.flags & kInodeImmutable) v |= kFS_IMMUTABLE_FL;
        if (ip.flags & kInodeAppend) v |= kFS_APPEND_FL;
        if (ip.flags & kInodeNoatime) v |= kFS_NOATIME_FL;
        *static_cast<uint32_t*>(arg) = v;
        return Errno::kOk;
      }
      case kFS_IOC_SETFLAGS: {
        const uint32_t v = *static_cast<uint32_t*>(arg);
        if (v & ~(kFS_IMMUTABLE_FL | kFS_APPEND_FL | kFS_NOATIME_FL)) return Errno::kEOPNOTSUPP;
        uint32_t nf = ip.flags & ~(kInodeImmutable | kInodeAppend | kInodeNoatime);
        if (v & kFS_IMMUTABLE_FL) nf |= kInodeImmutable;
        if (v & kFS_APPEND_FL) nf |= kInodeAppend;
        if (v & kFS_NOATIME_FL) nf |= kInodeNoatime;
        if (Errno err = may_change_flags(ip.flags, nf); err != Errno::kOk) return err;
        ip.flags = nf;
        ip.sb->touch(ip, /*mtime=*/false);
        return Errno::kOk;
      }
      case kFS_IOC_FSGETXATTR: {
        FsXattr x;
        if (ip.flags & kInodeImmutable) x.fsx_xflags |= kFS_XFLAG_IMMUTABLE;
        if (ip.flags & kInodeAppend) x.fsx_xflags |= kFS_XFLAG_APPEND;
        if (ip.flags & kInodeNoatime) x.fsx_xflags |= kFS_XFLAG_NOATIME;
        if (ip.flags & kInodeDax) x.fsx_xflags |= kFS_XFLAG_DAX;
        *static_cast<FsXattr*>(arg) = x;
        return Errno::kOk;
      }
      case kFS_IOC_FSSETXATTR: {
        const FsXattr& x = *static_cast<FsXattr*>(arg);
        const uint32_t known =
            kFS_XFLAG_IMMUTABLE | kFS_XFLAG_APPEND | kFS_XFLAG_NOATIME | kFS_XFLAG_DAX;
        if (x.fsx_xflags & ~known) return Errno::kEOPNOTSUPP;
        uint32_t nf = ip.flags & ~(kInodeImmutable | kInodeAppend | kInodeNoatime | kInodeDax);
        if (x.fsx_xflags & kFS_XFLAG_IMMUTABLE) nf |= kInodeImmutable;
        if (x.fsx_xflags & kFS_XFLAG_APPEND) nf |= kInodeAppend;
        if (x.fsx_xflags & kFS_XFLAG_NOATIME) nf |= kInodeNoatime;
        if (x.fsx_xflags & kFS_XFLAG_DAX) {
          // The per-inode DAX flag matters only under dax=inode.
          if (ip.sb->options().dax == DaxMode::kNever) return Errno::kEOPNOTSUPP;
          nf |= kInodeDax;
        }
        if (Errno err = may_change_flags(ip.flags, nf); err != Errno::kOk) return err;
        ip.flags = nf;
        ip.sb->touch(ip, /*mtime=*/false);
        return Errno::kOk;
      }
      case kFICLONE:
      case kFICLONERANGE: {
        FileCloneRange r{};
        if (cmd == kFICLONE) {
          r.src_fd = *static_cast<int*>(arg);
        } else {
          r = *static_cast<FileCloneRange*>(arg);
        }
        Result<std::shared_ptr<File>> src = get(static_cast<int>(r.src_fd));
        if (!src) return Errno::kEBADF;
        Inode& sip = *(*src)->inode;
        // ioctl_file_clone -> vfs_clone_file_range order.
        if (sip.sb != ip.sb) return Errno::kEXDEV;
        if (!(*src)->read || !fp.write) return Errno::kEBADF;
        if (fp.oflags & kO_APPEND) return Errno::kEBADF;
        if (sip.is_dir() || ip.is_dir()) return Errno::kEISDIR;
        if (!sip.is_reg() || !ip.is_reg()) return Errno::kEINVAL;
        uint64_t len = cmd == kFICLONE ? sip.size : r.src_length;
        if (cmd == kFICLONE) r.src_offset = r.dest_offset = 0;
        if (len == 0 && cmd == kFICLONERANGE) len = sip.size - std::min(sip.size, r.src_offset);
        if (&sip == &ip && r.src_offset < r.dest_offset + len && r.dest_offset < r.src_offset + len) {
          return Errno::kEINVAL;
        }
        Result<uint64_t> done = ip.ops().remap_range(sip, static_cast<off_t64>(r.src_offset), ip,
                                                      static_cast<off_t64>(r.dest_offset), len, false);
        return done ? Errno::kOk : done.error();
      }
      case kFIDEDUPERANGE:
        return dedupe_range(fp, static_cast<FileDedupeRange*>(arg));
      default:
        return fp.ops->fo_ioctl(fp, cmd, arg);
    }
  }();
  if (tracing()) trace("ioctl", {{"fd", fd}, {"cmd", cmd}}, e);
  return e;
}

}  // namespace vfssim
