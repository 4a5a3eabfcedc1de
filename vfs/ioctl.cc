// ioctl: the commands the VFS answers itself (Linux's fs/ioctl.c).

#include "vfs/process.h"

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace vfssim {
namespace {

// generic_xflags: the FS_XFLAG_* bits the VFS keeps in the inode's flags
// (fileattr_fill_flags' part of FS_IOC_FSGETXATTR).
uint32_t generic_xflags(uint32_t inode_flags) {
  uint32_t x = 0;
  if (inode_flags & kInodeImmutable) x |= kFS_XFLAG_IMMUTABLE;
  if (inode_flags & kInodeAppend) x |= kFS_XFLAG_APPEND;
  if (inode_flags & kInodeNoatime) x |= kFS_XFLAG_NOATIME;
  if (inode_flags & kInodeNodump) x |= kFS_XFLAG_NODUMP;
  if (inode_flags & kInodeDax) x |= kFS_XFLAG_DAX;
  return x;
}

}  // namespace

Errno Process::ioctl(int fd, unsigned long cmd, uint64_t arg) {
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
    // vfs_fileattr_get/set: an inode without ->fileattr_get/set makes the
    // fileattr commands ENOIOCTLCMD, which go to the file's own ioctl.
    const bool fileattr_cmd = cmd == kFS_IOC_GETFLAGS || cmd == kFS_IOC_SETFLAGS ||
                              cmd == kFS_IOC_FSGETXATTR || cmd == kFS_IOC_FSSETXATTR;
    if (fileattr_cmd && !ip.ops().has_fileattr(ip)) return fp.ops->fo_ioctl(fp, cmd, nullptr);
    switch (cmd) {
      case kFIOCLEX:
      case kFIONCLEX:
        // do_vfs_ioctl: the descriptor's close-on-exec flag.
        fds_.at(fd).cloexec = cmd == kFIOCLEX;
        return Errno::kOk;
      case kFS_IOC_GETFLAGS: {
        uint32_t v = 0;
        if (ip.flags & kInodeImmutable) v |= kFS_IMMUTABLE_FL;
        if (ip.flags & kInodeAppend) v |= kFS_APPEND_FL;
        if (ip.flags & kInodeNoatime) v |= kFS_NOATIME_FL;
        if (ip.flags & kInodeNodump) v |= kFS_NODUMP_FL;
        return copy_to_user(arg, v);  // put_user after fileattr_get.
      }
      case kFS_IOC_SETFLAGS: {
        uint32_t v = 0;
        if (Errno err = copy_from_user(&v, arg); err != Errno::kOk) return err;
        if (v & ~(kFS_IMMUTABLE_FL | kFS_APPEND_FL | kFS_NODUMP_FL | kFS_NOATIME_FL)) {
          return Errno::kEOPNOTSUPP;
        }
        uint32_t nf = ip.flags & ~(kInodeImmutable | kInodeAppend | kInodeNodump | kInodeNoatime);
        if (v & kFS_IMMUTABLE_FL) nf |= kInodeImmutable;
        if (v & kFS_APPEND_FL) nf |= kInodeAppend;
        if (v & kFS_NODUMP_FL) nf |= kInodeNodump;
        if (v & kFS_NOATIME_FL) nf |= kInodeNoatime;
        if (Errno err = may_change_flags(ip.flags, nf); err != Errno::kOk) return err;
        // vfs_fileattr_set with flags_valid: the filesystem's
        // ->fileattr_set sees the new flags with every other attribute as
        // it is (ext4 writes the file back before it turns immutable).
        FsXattr x;
        x.fsx_xflags = generic_xflags(ip.flags & kInodeDax);
        ip.ops().fileattr_fill(ip, &x);
        x.fsx_xflags &= ~(kFS_XFLAG_PREALLOC | kFS_XFLAG_HASATTR | kFS_XFLAG_IMMUTABLE | kFS_XFLAG_APPEND |
                          kFS_XFLAG_NOATIME | kFS_XFLAG_NODUMP);
        x.fsx_xflags |= generic_xflags(nf & ~kInodeDax);
        if (Errno err = ip.ops().fileattr_set(ip, &x); err != Errno::kOk) return err;
        ip.flags = nf;
        ip.sb->touch(ip, /*mtime=*/false);
        return Errno::kOk;
      }
      case kFS_IOC_FSGETXATTR: {
        FsXattr x;
        x.fsx_xflags = generic_xflags(ip.flags);
        ip.ops().fileattr_fill(ip, &x);
        return copy_to_user(arg, x);
      }
      case kFS_IOC_FSSETXATTR: {
        FsXattr x;
        if (Errno err = copy_from_user(&x, arg); err != Errno::kOk) return err;
        // copy_fsxattr_from_user: the read-only flags are not the caller's
        // to set, and are dropped without a word.
        x.fsx_xflags &= ~(kFS_XFLAG_PREALLOC | kFS_XFLAG_HASATTR);
        // fileattr_set_prepare: DAX only on regular files and directories;
        // a zero extent size hint turns its flags off.
        // The file-type checks come first, then the zero hints' flags go.
        if ((x.fsx_xflags & kFS_XFLAG_DAX) && !ip.is_reg() && !ip.is_dir()) return Errno::kEINVAL;
        if ((x.fsx_xflags & kFS_XFLAG_EXTSIZE) && !ip.is_reg()) return Errno::kEINVAL;
        if ((x.fsx_xflags & kFS_XFLAG_EXTSZINHERIT) && !ip.is_dir()) return Errno::kEINVAL;
        if (x.fsx_extsize == 0) x.fsx_xflags &= ~(kFS_XFLAG_EXTSIZE | kFS_XFLAG_EXTSZINHERIT);
        if (x.fsx_cowextsize == 0) x.fsx_xflags &= ~kFS_XFLAG_COWEXTSIZE;
        {
          // The immutable/append change needs CAP_LINUX_IMMUTABLE whatever
          // the filesystem then says.
          uint32_t want = ip.flags & ~(kInodeImmutable | kInodeAppend);
          if (x.fsx_xflags & kFS_XFLAG_IMMUTABLE) want |= kInodeImmutable;
          if (x.fsx_xflags & kFS_XFLAG_APPEND) want |= kInodeAppend;
          if (Errno err = may_change_flags(ip.flags, want); err != Errno::kOk) return err;
        }
        if (Errno err = ip.ops().fileattr_set(ip, &x); err != Errno::kOk) return err;
        uint32_t nf = ip.flags &
                      ~(kInodeImmutable | kInodeAppend | kInodeNoatime | kInodeNodump | kInodeDax);
        if (x.fsx_xflags & kFS_XFLAG_IMMUTABLE) nf |= kInodeImmutable;
        if (x.fsx_xflags & kFS_XFLAG_APPEND) nf |= kInodeAppend;
        if (x.fsx_xflags & kFS_XFLAG_NOATIME) nf |= kInodeNoatime;
        if (x.fsx_xflags & kFS_XFLAG_NODUMP) nf |= kInodeNodump;
        if (x.fsx_xflags & kFS_XFLAG_DAX) {
          // The per-inode DAX flag matters only under dax=inode.
          if (ip.sb->options().dax == DaxMode::kNever) return Errno::kEOPNOTSUPP;
          nf |= kInodeDax;
        }
        if (Errno err = may_change_flags(ip.flags, nf); err != Errno::kOk) return err;
        // S_DAX changes only when the inode is next instantiated
        // (xfs_ioctl_setattr_prepare_dax marks it I_DONTCACHE); while it
        // has cached pages or mappings the model keeps its current mode,
        // so no dirty page is stranded behind DAX.
        if (((nf ^ ip.flags) & kInodeDax) && (ip.cache.nr_pages() > 0 || !ip.mappers.empty())) {
          nf = (nf & ~kInodeDax) | (ip.flags & kInodeDax);
        }
        ip.flags = nf;
        ip.sb->touch(ip, /*mtime=*/false);
        return Errno::kOk;
      }
      case kFICLONE:
      case kFICLONERANGE: {
        // FICLONE's argument is the source descriptor itself; FICLONERANGE's
        // a struct file_clone_range in user memory, copied in first.
        FileCloneRange r{};
        if (cmd == kFICLONE) {
          r.src_fd = static_cast<int>(arg);
        } else if (Errno err = copy_from_user(&r, arg); err != Errno::kOk) {
          return err;
        }
        // fdget takes an unsigned int: src_fd's upper 32 bits are dropped.
        Result<std::shared_ptr<File>> src =
            get(static_cast<int>(static_cast<uint32_t>(r.src_fd)));
        if (!src) return Errno::kEBADF;
        Inode& sip = *(*src)->inode;
        // ioctl_file_clone -> vfs_clone_file_range, in the order 6.18
        // answers on the host: superblock, file types, access modes, then
        // a filesystem without a remap op, before any range check.
        if (sip.sb != ip.sb) return Errno::kEXDEV;
        if (sip.is_dir() || ip.is_dir()) return Errno::kEISDIR;
        if (!sip.is_reg() || !ip.is_reg()) return Errno::kEINVAL;
        if (!(*src)->read || !fp.write) return Errno::kEBADF;
        if (fp.oflags & kO_APPEND) return Errno::kEBADF;
        if (!ip.ops().can_remap()) return Errno::kEOPNOTSUPP;
        // ioctl_file_clone: FICLONE is the whole source (length 0: to EOF).
        const uint64_t len = cmd == kFICLONE ? 0 : r.src_length;
        if (cmd == kFICLONE) r.src_offset = r.dest_offset = 0;
        // remap_verify_area on each side: loff_t positions and length, no
        // negative value and no overflow of their sum.
        auto verify_area = [](uint64_t pos, uint64_t n) {
          const int64_t p = static_cast<int64_t>(pos), l = static_cast<int64_t>(n);
          if (p < 0 || l < 0) return Errno::kEINVAL;
          if (l > kOffMax - p) return Errno::kEINVAL;
          return Errno::kOk;
        };
        if (Errno err = verify_area(r.src_offset, len); err != Errno::kOk) return err;
        if (Errno err = verify_area(r.dest_offset, len); err != Errno::kOk) return err;
        Result<uint64_t> done = ip.ops().remap_range(sip, static_cast<off_t64>(r.src_offset), ip,
                                                      static_cast<off_t64>(r.dest_offset), len, 0);
        if (!done) return done.error();
        // "if (olen && cloned != olen) ret = -EINVAL".
        return len != 0 && *done != len ? Errno::kEINVAL : Errno::kOk;
      }
      case kFIDEDUPERANGE:
        return ioctl_file_dedupe_range(fp, arg);
      case kFS_IOC_FIEMAP:
        return ioctl_fiemap(fp, arg);
      case kFIGETBSZ:
        // The filesystem's block size, whatever the file (put_user of
        // i_sb->s_blocksize).
        return copy_to_user(arg, static_cast<int>(ip.sb->options().block_size));
      default:
        // No filesystem here takes a command of its own from user memory.
        return fp.ops->fo_ioctl(fp, cmd, nullptr);
    }
  }();
  trace("ioctl", {{"fd", fd}, {"cmd", cmd}}, e);
  return e;
}

// ioctl_file_dedupe_range: dest_count first (get_user), then the whole
// argument (memdup_user, at most a page), the work on the kernel copy, and
// the statuses copied back.
Errno Process::ioctl_file_dedupe_range(File& fp, uint64_t arg) {
  uint16_t count = 0;
  if (Errno e = copy_from_user(&count, arg + offsetof(FileDedupeRange, dest_count));
      e != Errno::kOk) {
    return e;
  }
  const size_t size = sizeof(FileDedupeRange) + count * sizeof(FileDedupeRangeInfo);
  if (size > kUserPageSize) return Errno::kENOMEM;
  std::vector<std::byte> kbuf(size);
  if (Errno e = copy_from_user_bytes(kbuf, arg); e != Errno::kOk) return e;
  auto* same = reinterpret_cast<FileDedupeRange*>(kbuf.data());
  same->dest_count = count;
  if (Errno e = dedupe_range(fp, same); e != Errno::kOk) return e;
  return copy_to_user_bytes(arg, kbuf);
}

// ioctl_fiemap: EOPNOTSUPP without ->fiemap before anything is read; the
// header copied in; EINVAL more extents asked for than FIEMAP_MAX_EXTENTS.
// The filesystem fills a kernel copy; its extents are then copied out in
// order, and the first that cannot be is EFAULT with the ones before it
// counted, which is what fiemap_fill_next_extent's copy per extent leaves
// behind; the header is copied back with the mapped count whatever the
// outcome (host probe fiemap_extents_unmapped).
Errno Process::ioctl_fiemap(File& fp, uint64_t arg) {
  Inode& ip = *fp.inode;
  if (!ip.ops().can_fiemap()) return Errno::kEOPNOTSUPP;
  UserFiemap hdr;
  if (Errno e = copy_from_user(&hdr, arg); e != Errno::kOk) return e;
  if (hdr.fm_extent_count > kFiemapMaxExtents) return Errno::kEINVAL;
  Fiemap fi{.fm_start = hdr.fm_start, .fm_length = hdr.fm_length, .fm_flags = hdr.fm_flags,
            .fm_extent_count = hdr.fm_extent_count};
  Errno err = ip.ops().ioctl(ip, kFS_IOC_FIEMAP, &fi);  // i_op->fiemap, whatever the file's f_op.
  uint32_t mapped = fi.fm_mapped_extents;
  if (hdr.fm_extent_count > 0) {
    mapped = 0;
    for (const FiemapExtent& x : fi.fm_extents) {
      const UserFiemapExtent ux{.fe_logical = x.fe_logical, .fe_physical = x.fe_physical,
                                .fe_length = x.fe_length, .fe_flags = x.fe_flags};
      if (copy_to_user(arg + sizeof(UserFiemap) + mapped * sizeof(UserFiemapExtent), ux) !=
          Errno::kOk) {
        err = Errno::kEFAULT;
        break;
      }
      ++mapped;
    }
  }
  hdr.fm_flags = fi.fm_flags;
  hdr.fm_mapped_extents = mapped;
  if (copy_to_user(arg, hdr) != Errno::kOk) err = Errno::kEFAULT;
  return err;
}

}  // namespace vfssim
