#include "vfs/vnode.h"

#include <algorithm>
#include <vector>

#include "vfs/mount.h"

namespace vfssim {

VnodeOps& Inode::ops() const { return sb->ops(); }

Result<InodeRef> VopDefaults::lookup(Inode& dir, std::string_view name) {
  auto it = dir.entries.find(name);
  if (it == dir.entries.end()) return Fail(Errno::kENOENT);
  return it->second;
}

Result<InodeRef> VopDefaults::create(Inode& dir, std::string_view name, VType type,
                                     uint32_t mode, const Creds& cr) {
  if (dir.entries.contains(name)) return Fail(Errno::kEEXIST);
  InodeRef ip = dir.sb->alloc_inode(type, mode, cr);
  ip->nlink = type == VType::kDir ? 2 : 1;
  if (type == VType::kDir) {
    ip->parent = &dir;
    ++dir.nlink;
  }
  dir.entries.emplace(std::string(name), ip);
  dir.sb->touch(dir);
  return ip;
}

Errno VopDefaults::fileattr_set(Inode&, FsXattr* fa) {
  constexpr uint32_t kGeneric =
      kFS_XFLAG_IMMUTABLE | kFS_XFLAG_APPEND | kFS_XFLAG_NOATIME | kFS_XFLAG_NODUMP | kFS_XFLAG_DAX;
  if ((fa->fsx_xflags & ~kGeneric) || fa->fsx_extsize != 0 || fa->fsx_cowextsize != 0 ||
      fa->fsx_projid != 0) {
    return Errno::kEOPNOTSUPP;
  }
  return Errno::kOk;
}

Errno VopDefaults::remove(Inode& dir, std::string_view name) {
  auto it = dir.entries.find(name);
  if (it == dir.entries.end()) return Errno::kENOENT;
  if (it->second->is_dir()) return Errno::kEISDIR;
  --it->second->nlink;
  dir.sb->touch(*it->second, /*mtime=*/false);
  dir.entries.erase(it);
  dir.sb->touch(dir);
  return Errno::kOk;
}

Errno VopDefaults::rmdir(Inode& dir, std::string_view name) {
  auto it = dir.entries.find(name);
  if (it == dir.entries.end()) return Errno::kENOENT;
  Inode& victim = *it->second;
  if (!victim.is_dir()) return Errno::kENOTDIR;
  if (!victim.entries.empty()) return Errno::kENOTEMPTY;
  victim.nlink = 0;
  victim.parent = nullptr;
  --dir.nlink;
  dir.entries.erase(it);
  dir.sb->touch(dir);
  return Errno::kOk;
}

bool is_under(const Inode& dir, const Inode& ancestor) {
  for (const Inode* p = &dir; p != nullptr; p = p->parent) {
    if (p == &ancestor) return true;
  }
  return false;
}

Errno VopDefaults::rename(Inode& from_dir, std::string_view from_name, Inode& to_dir,
                          std::string_view to_name, unsigned flags) {
  if (flags & kRENAME_WHITEOUT) return Errno::kEINVAL;
  auto from = from_dir.entries.find(from_name);
  if (from == from_dir.entries.end()) return Errno::kENOENT;
  InodeRef moving = from->second;
  // [EINVAL] The new directory pathname contains a path prefix that names
  // the old directory.
  if (moving->is_dir() && is_under(to_dir, *moving)) return Errno::kEINVAL;
  if (flags & kRENAME_EXCHANGE) {
    auto to = to_dir.entries.find(to_name);
    if (to == to_dir.entries.end()) return Errno::kENOENT;
    InodeRef other = to->second;
    if (other == moving) return Errno::kOk;  // vfs_rename: "if (source == target) return 0".
    // The exchange moves the target under the source's directory too.
    if (other->is_dir() && is_under(from_dir, *other)) return Errno::kEINVAL;
    from->second = other;
    to->second = moving;
    if (&from_dir != &to_dir) {
      if (moving->is_dir()) moving->parent = &to_dir;
      if (other->is_dir()) other->parent = &from_dir;
      // simple_rename_exchange: a directory's ".." link changes parent.
      if (moving->is_dir() && !other->is_dir()) {
        --from_dir.nlink;
        ++to_dir.nlink;
      } else if (other->is_dir() && !moving->is_dir()) {
        --to_dir.nlink;
        ++from_dir.nlink;
      }
    }
    exchange_times(from_dir, *moving, to_dir, *other);
    return Errno::kOk;
  }
  InodeRef replaced;
  if (auto to = to_dir.entries.find(to_name); to != to_dir.entries.end()) {
    if (to->second == moving) return Errno::kOk;  // Same file: nothing to do.
    replaced = to->second;
    Inode& target = *to->second;
    if (moving->is_dir() && !target.is_dir()) return Errno::kENOTDIR;
    if (!moving->is_dir() && target.is_dir()) return Errno::kEISDIR;
    if (target.is_dir()) {
      if (!target.entries.empty()) return Errno::kENOTEMPTY;
      target.nlink = 0;
      --to_dir.nlink;
    } else {
      --target.nlink;
    }
    to_dir.entries.erase(to);
  }
  // By name: erasing the target may have moved the source's entry (btree
  // iterators do not survive an erase).
  from_dir.entries.erase(from_name);
  if (moving->is_dir() && &from_dir != &to_dir) {
    --from_dir.nlink;
    ++to_dir.nlink;
    moving->parent = &to_dir;
  }
  to_dir.entries.emplace(std::string(to_name), moving);
  // simple_rename_timestamp.
  from_dir.sb->touch(from_dir);
  to_dir.sb->touch(to_dir);
  from_dir.sb->touch(*moving, /*mtime=*/false);
  if (replaced != nullptr) from_dir.sb->touch(*replaced, /*mtime=*/false);
  return Errno::kOk;
}

void VopDefaults::exchange_times(Inode& dir1, Inode& ip1, Inode& dir2, Inode& ip2) {
  dir1.sb->touch(dir1);
  dir1.sb->touch(dir2);
  dir1.sb->touch(ip1, /*mtime=*/false);
  dir1.sb->touch(ip2, /*mtime=*/false);
}

Result<InodeRef> VopDefaults::symlink(Inode& dir, std::string_view name, std::string_view target,
                                      const Creds& cr) {
  Result<InodeRef> made = create(dir, name, VType::kLnk, 0777, cr);
  if (!made) return made;
  (*made)->link = std::string(target);
  (*made)->size = target.size();
  return made;
}

Errno VopDefaults::link(Inode& dir, std::string_view name, Inode& ip) {
  if (dir.entries.contains(name)) return Errno::kEEXIST;
  ++ip.nlink;
  dir.entries.emplace(std::string(name), ip.shared_from_this());
  dir.sb->touch(ip, /*mtime=*/false);
  dir.sb->touch(dir);
  return Errno::kOk;
}

Result<InodeRef> VopDefaults::tmpfile(Inode& dir, uint32_t mode, const Creds& cr) {
  InodeRef ip = dir.sb->alloc_inode(VType::kReg, mode, cr);
  ip->nlink = 0;
  return ip;
}

Errno VopDefaults::setattr(Inode& ip, const Iattr& ia) {
  if (ia.valid & kAttrMode) ip.mode = ia.mode & 07777;
  if (ia.valid & kAttrUid) ip.uid = ia.uid;
  if (ia.valid & kAttrGid) ip.gid = ia.gid;
  if (ia.valid & kAttrAtime) ip.atime = ia.atime;
  if (ia.valid & kAttrMtime) ip.mtime = ia.mtime;
  if (ia.valid & kAttrCtime) ip.ctime = ia.ctime;
  return Errno::kOk;
}

Errno VopDefaults::getattr(Inode& ip, Stat* st) {
  st->ino = ip.ino;
  st->type = ip.type;
  st->mode = ip.mode;
  st->uid = ip.uid;
  st->gid = ip.gid;
  st->nlink = ip.nlink;
  st->size = ip.size;
  st->blocks = ip.sb->blocks(ip);
  st->blksize = ip.sb->options().block_size;
  st->rdev = ip.rdev;
  st->atime = ip.atime;
  st->mtime = ip.mtime;
  st->ctime = ip.ctime;
  st->btime = ip.btime;
  return Errno::kOk;
}

Result<off_t64> VopDefaults::seek_data_hole(Inode& ip, off_t64 off, int whence) {
  if (off >= static_cast<off_t64>(ip.size)) return Fail(Errno::kENXIO);
  return whence == kSEEK_DATA ? off : static_cast<off_t64>(ip.size);
}

Errno VopDefaults::deallocate(Inode& ip, off_t64* off, off_t64* len, int, IoFlags ioflag) {
  return vop_stddeallocate(ip, off, len, ioflag);
}

namespace {

// vp_zerofill writes zeros over [*off, *off+*len) through VOP_WRITE in
// block-size*8 chunks (FreeBSD's iosize), from a kernel buffer (a kvec
// iterator: FreeBSD's UIO_SYSSPACE uio), writing progress back on error.
Errno vp_zerofill(Inode& ip, uint32_t blksize, off_t64* off, off_t64* len, IoFlags ioflag) {
  static const std::vector<std::byte> kZeroRegion(256 * 1024);
  const off_t64 iosize =
      std::min<off_t64>(static_cast<off_t64>(blksize) * 8, kZeroRegion.size());
  while (*len > 0) {
    off_t64 xfer = iosize - *off % iosize;
    xfer = std::min(xfer, *len);
    IovIter from = IovIter::kvec_source(
        std::span<const std::byte>(kZeroRegion.data(), static_cast<size_t>(xfer)));
    const Kiocb k = kiocb_from_ioflag(*off, ioflag);
    IoResult r = ip.ops().write(ip, k, from);
    *off += static_cast<off_t64>(r.done);
    *len -= static_cast<off_t64>(r.done);
    if (!r.ok()) return r.err;
    // VOP_WRITE under IO_SYNC is synchronous: make each chunk durable.
    if (k.flags.has(IocbFlag::kDsync)) {
      if (Errno e = ip.ops().fsync(ip, k.pos, *off - 1, !k.flags.has(IocbFlag::kSync)); e != Errno::kOk) {
        return e;
      }
    }
  }
  return Errno::kOk;
}

}  // namespace

Errno vop_stddeallocate(Inode& ip, off_t64* offp, off_t64* lenp, IoFlags ioflag) {
  Stat va;
  off_t64 offset = *offp;
  Errno error = ip.ops().getattr(ip, &va);
  if (error != Errno::kOk) return error;

  off_t64 len = std::min(static_cast<off_t64>(va.size) - offset, *lenp);
  while (len > 0) {
    Result<off_t64> data = ip.ops().seek_data_hole(ip, offset, kSEEK_DATA);
    if (!data) {
      if (data.error() != Errno::kENXIO) {
        error = data.error();
        break;
      }
      // No more data: the rest of the range is holes.
      offset += len;
      len = 0;
      break;
    }
    if (*data != offset) {
      const off_t64 skip = std::min(*data - offset, len);
      len -= skip;
      offset += skip;
      if (len == 0) break;
    }
    Result<off_t64> hole = ip.ops().seek_data_hole(ip, offset, kSEEK_HOLE);
    if (!hole) {
      error = hole.error();
      break;
    }
    const off_t64 xfer = std::min(*hole - offset, len);
    off_t64 rem = xfer;
    error = vp_zerofill(ip, va.blksize, &offset, &rem, ioflag);
    len -= xfer - rem;
    if (error != Errno::kOk) break;
    // should_yield(): return after each data region; the caller loops.
    break;
  }
  if (len < 0) len = 0;
  *offp = offset;
  *lenp = len;
  return error;
}

Errno vn_deallocate(Inode& ip, off_t64* off, off_t64* len, int flags, IoFlags ioflag) {
  if (*off < 0 || *len <= 0 || *len > kOffMax - *off || flags != 0) return Errno::kEINVAL;
  if (!ip.is_reg()) return Errno::kENODEV;
  Errno error = Errno::kOk;
  while (*len > 0 && error == Errno::kOk) {
    if (std::optional<Errno> sig = ip.sb->machine().faults.fire("sched/signal/eintr")) {
      return *sig;
    }
    error = ip.ops().deallocate(ip, off, len, flags, ioflag);
  }
  return error;
}

void unmap_mapping_range(const Inode& ip, uint64_t first, uint64_t last) {
  // A mapper may unregister itself while unmapping: walk a copy.
  const std::vector<PageMapper*> mappers = ip.mappers;
  for (PageMapper* m : mappers) m->unmap_pages(ip, first, last);
}

}  // namespace vfssim
