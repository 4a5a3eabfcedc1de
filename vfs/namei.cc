// Path walking and the namespace calls (Linux's fs/namei.c): resolving a
// path through "." and "..", mount points, symlinks and trailing slashes
// from the root, the working directory or an *at directory descriptor;
// the open path (path_openat with do_open, may_open, O_PATH and O_TMPFILE);
// mkdir, mkfifo, symlink, readlinkat, link, unlink, rmdir, rename, chdir.

#include "vfs/process.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "sim/absl_view.h"
#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::is_ro;
using internal::kMayExec;
using internal::kMayRead;
using internal::kMayWrite;

namespace {

constexpr int kMaxSymlinks = 40;  // MAXSYMLINKS.
constexpr size_t kNameMax = 255;

// cross_mounts: what is mounted on `ip`, the topmost of a stack.
InodeRef cross_mounts(InodeRef ip) {
  while (ip->mounted != nullptr) ip = ip->mounted->root;
  return ip;
}

// dotdot: the parent of `dir` ("/.." is "/"; a mount's root leads to the
// parent of the directory it covers).
InodeRef dotdot(const InodeRef& dir) {
  return dir->parent == nullptr ? dir : cross_mounts(dir->parent->shared_from_this());
}

}  // namespace

Result<Process::Nameidata> Process::path_walk(const InodeRef& start, std::string_view path,
                                              int* links) const {
  // getname: "if (unlikely(len == PATH_MAX)) return -ENAMETOOLONG".
  if (path.size() >= kPathMax) return Fail(Errno::kENAMETOOLONG);
  InodeRef dir = !path.empty() && path.front() == '/' ? vfs_.root() : start;
  // Nothing mounted (or no working directory): nothing can be found.
  if (dir == nullptr) return Fail(Errno::kENOENT);
  std::vector<absl::string_view> parts = absl::StrSplit(to_absl(path), '/', absl::SkipEmpty());
  Nameidata nd;
  if (parts.empty()) {  // "/" (any number of slashes): LAST_ROOT.
    nd.dir = dir;
    nd.type = LastType::kRoot;
    return nd;
  }
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::string_view name(parts[i].data(), parts[i].size());
    // link_path_walk: "if (unlikely(!d_can_lookup(nd->path.dentry)))
    // return -ENOTDIR" before every component.
    if (!dir->is_dir()) return Fail(Errno::kENOTDIR);
    if (name == ".") continue;
    if (name == "..") {
      dir = dotdot(dir);
      continue;
    }
    if (name.size() > kNameMax) return Fail(Errno::kENAMETOOLONG);
    Result<InodeRef> next = dir->ops().lookup(*dir, name);
    if (!next) return Fail(next.error());
    InodeRef ip = cross_mounts(*next);
    if (ip->type == VType::kLnk) {
      Result<InodeRef> target = follow_link(dir, *ip, links);
      if (!target) return Fail(target.error());
      ip = *target;
    }
    dir = ip;
  }
  if (!dir->is_dir()) return Fail(Errno::kENOTDIR);
  nd.dir = dir;
  nd.last = std::string(parts.back());
  nd.type = nd.last == "." ? LastType::kDot : nd.last == ".." ? LastType::kDotDot : LastType::kNorm;
  if (nd.type == LastType::kNorm && nd.last.size() > kNameMax) {
    return Fail(Errno::kENAMETOOLONG);
  }
  nd.trailing_slash = path.back() == '/';
  return nd;
}

Result<InodeRef> Process::follow_link(const InodeRef& dir, const Inode& link, int* links) const {
  // nd->total_link_count: "if (unlikely(current->total_link_count++ >=
  // MAXSYMLINKS)) return -ELOOP".
  if (++*links > kMaxSymlinks) return Fail(Errno::kELOOP);
  // An empty body is ENOENT (pick_link).
  if (link.link.empty()) return Fail(Errno::kENOENT);
  Result<Nameidata> nd = path_walk(dir, link.link, links);
  if (!nd) return Fail(nd.error());
  return lookup_last(*nd, kLookupFollow, links);
}

Result<InodeRef> Process::lookup_last(const Nameidata& nd, unsigned flags, int* links) const {
  // lookup_last: "if (nd->last_type == LAST_NORM && nd->last.name[nd->last.len])
  // nd->flags |= LOOKUP_FOLLOW | LOOKUP_DIRECTORY".
  const bool slash = nd.type == LastType::kNorm && nd.trailing_slash;
  const bool follow = (flags & kLookupFollow) || slash;
  const bool want_dir = (flags & kLookupDirectory) || slash;
  InodeRef ip;
  switch (nd.type) {
    case LastType::kRoot:
    case LastType::kDot:
      ip = nd.dir;
      break;
    case LastType::kDotDot:
      ip = dotdot(nd.dir);
      break;
    case LastType::kNorm: {
      Result<InodeRef> found = nd.dir->ops().lookup(*nd.dir, nd.last);
      if (!found) return Fail(found.error());
      ip = cross_mounts(*found);
      if (ip->type == VType::kLnk && follow) {
        Result<InodeRef> target = follow_link(nd.dir, *ip, links);
        if (!target) return Fail(target.error());
        ip = *target;
      }
      break;
    }
  }
  if (want_dir && !ip->is_dir()) return Fail(Errno::kENOTDIR);
  return ip;
}

Result<Process::Nameidata> Process::path_parentat(int dfd, std::string_view path,
                                                  int* links) const {
  if (path.empty()) return Fail(Errno::kENOENT);  // getname without LOOKUP_EMPTY.
  if (path.front() == '/' || dfd == kAT_FDCWD) return path_walk(cwd(), path, links);
  // path_init: the directory descriptor (fdget_raw), which must be a
  // directory for a path to be walked from it.
  Result<std::shared_ptr<File>> fp = get(dfd, Fdget::kRaw);
  if (!fp) return Fail(fp.error());
  if (!(*fp)->inode->is_dir()) return Fail(Errno::kENOTDIR);
  return path_walk((*fp)->inode, path, links);
}

Result<InodeRef> Process::path_lookupat(int dfd, std::string_view path, unsigned flags) const {
  if (path.size() >= kPathMax) return Fail(Errno::kENAMETOOLONG);
  if (path.empty()) {
    if (!(flags & kLookupEmpty)) return Fail(Errno::kENOENT);
    // An empty path names the descriptor's own file (an O_PATH one too).
    InodeRef ip;
    if (dfd == kAT_FDCWD) {
      ip = cwd();
      if (ip == nullptr) return Fail(Errno::kENOENT);
    } else {
      Result<std::shared_ptr<File>> fp = get(dfd, Fdget::kRaw);
      if (!fp) return Fail(fp.error());
      ip = (*fp)->inode;
    }
    if ((flags & kLookupDirectory) && !ip->is_dir()) return Fail(Errno::kENOTDIR);
    return ip;
  }
  int links = 0;
  Result<Nameidata> nd = path_parentat(dfd, path, &links);
  if (!nd) return Fail(nd.error());
  return lookup_last(*nd, flags, &links);
}

Result<std::string> Process::getname(uint64_t uaddr) {
  std::string name;
  for (uint64_t i = 0; i < kPathMax; ++i) {
    std::byte c{};
    if (Errno e = copy_from_user_bytes({&c, 1}, uaddr + i); e != Errno::kOk) return Fail(e);
    if (c == std::byte{0}) return name;
    name.push_back(static_cast<char>(c));
  }
  return Fail(Errno::kENAMETOOLONG);
}

// ---- open ----

Errno Process::may_open(const Inode& ip, int acc_mode, int flags) const {
  switch (ip.type) {
    case VType::kLnk:
      return Errno::kELOOP;
    case VType::kDir:
      if (acc_mode & kMayWrite) return Errno::kEISDIR;
      if (acc_mode & kMayExec) return Errno::kEACCES;
      break;
    case VType::kChr:
    case VType::kBlk:
      // "if (!may_open_dev(path)) return -EACCES": a nodev mount (host
      // probe nodev_open).
      if (ip.sb->options().nodev) return Errno::kEACCES;
      [[fallthrough]];
    case VType::kFifo:
      flags &= ~kO_TRUNC;
      break;
    case VType::kReg:
      break;
  }
  // inode_permission(MAY_OPEN | acc_mode): sb_permission's EROFS, then
  // "if (IS_IMMUTABLE(inode)) return -EPERM" for a write, then the bits.
  if (acc_mode & kMayWrite) {
    if (is_ro(ip) && (ip.is_reg() || ip.is_dir() || ip.type == VType::kLnk)) return Errno::kEROFS;
    if (ip.flags & kInodeImmutable) return Errno::kEPERM;
  }
  if (Errno e = permission(ip, acc_mode & 7); e != Errno::kOk) return e;
  // "An append-only file must be opened in append mode for writing."
  if (ip.flags & kInodeAppend) {
    if ((flags & kO_ACCMODE) != kO_RDONLY && !(flags & kO_APPEND)) return Errno::kEPERM;
    if (flags & kO_TRUNC) return Errno::kEPERM;
  }
  // "O_NOATIME can only be set by the owner or superuser."
  if ((flags & kO_NOATIME) && !owner_or_capable(ip)) return Errno::kEPERM;
  return Errno::kOk;
}

Result<std::shared_ptr<File>> Process::path_openat(int dfd, std::string_view path, int flags,
                                                   unsigned lookup, int acc_mode, uint32_t mode) {
  if (flags & k__O_TMPFILE) {
    // do_tmpfile: the directory, then vfs_tmpfile's checks, then may_open.
    Result<InodeRef> dir = path_lookupat(dfd, path, lookup | kLookupDirectory);
    if (!dir) return Fail(dir.error());
    if (is_ro(**dir)) return Fail(Errno::kEROFS);
    if (Errno e = permission(**dir, kMayWrite | kMayExec); e != Errno::kOk) return Fail(e);
    Result<InodeRef> ip = (*dir)->ops().tmpfile(**dir, mode, creds_);
    if (!ip) return Fail(ip.error());
    if (Errno e = may_open(**ip, acc_mode, flags); e != Errno::kOk) return Fail(e);
    Result<std::shared_ptr<File>> fp = do_dentry_open(*ip, flags);
    // "if (!(open_flag & O_EXCL)) inode->i_state |= I_LINKABLE".
    if (fp) (*ip)->linkable = !(flags & kO_EXCL);
    return fp;
  }
  if (flags & kO_PATH) {
    // do_o_path: a lookup and a file that only names what it found.
    Result<InodeRef> ip = path_lookupat(dfd, path, lookup);
    if (!ip) return Fail(ip.error());
    auto fp = std::make_shared<File>();
    fp->inode = *ip;
    fp->oflags = flags;
    fp->path = true;
    fp->ops = &VnFileOps::instance();  // empty_fops: only fo_stat is ever reached.
    return fp;
  }

  int links = 0;
  Result<Nameidata> walked = path_parentat(dfd, path, &links);
  if (!walked) return Fail(walked.error());
  Nameidata nd = std::move(*walked);
  bool follow = lookup & kLookupFollow;
  bool want_dir = lookup & kLookupDirectory;
  bool created = false;
  InodeRef ip;
  // open_last_lookups, once per trailing symlink followed.
  for (;;) {
    if (nd.type != LastType::kNorm) {  // handle_dots: ".", ".." or "/".
      ip = nd.type == LastType::kDotDot ? dotdot(nd.dir) : nd.dir;
      break;
    }
    Result<InodeRef> found = nd.dir->ops().lookup(*nd.dir, nd.last);
    if (!(flags & kO_CREAT)) {
      if (nd.trailing_slash) follow = want_dir = true;
      if (!found) return Fail(found.error());
    } else {
      // "trailing slashes?" with O_CREAT: EISDIR, whatever is there.
      if (nd.trailing_slash) return Fail(Errno::kEISDIR);
      if (!found && found.error() != Errno::kENOENT) return Fail(found.error());
      if (!found) {
        // lookup_open -> may_o_create: the mount must be writable and the
        // directory writable and searchable.
        if (is_ro(*nd.dir)) return Fail(Errno::kEROFS);
        if (Errno e = permission(*nd.dir, kMayWrite | kMayExec); e != Errno::kOk) return Fail(e);
        Result<InodeRef> made = nd.dir->ops().create(*nd.dir, nd.last, VType::kReg, mode, creds_);
        if (!made) return Fail(made.error());
        ip = *made;
        created = true;
        break;
      }
    }
    ip = cross_mounts(*found);
    if (ip->type != VType::kLnk || !follow) break;
    // step_into(WALK_TRAILING): the link's body is walked like the rest of
    // the path, with the same open flags, from the link's directory.
    if (++links > kMaxSymlinks) return Fail(Errno::kELOOP);
    if (ip->link.empty()) return Fail(Errno::kENOENT);
    Result<Nameidata> body = path_walk(nd.dir, ip->link, &links);
    if (!body) return Fail(body.error());
    nd = std::move(*body);
  }

  // do_open.
  if (flags & kO_CREAT) {
    if ((flags & kO_EXCL) && !created) return Fail(Errno::kEEXIST);
    if (ip->is_dir()) return Fail(Errno::kEISDIR);
  }
  if (want_dir && !ip->is_dir()) return Fail(Errno::kENOTDIR);
  bool do_truncate = false;
  if (created) {
    // "Don't check for write permission, don't truncate."
    flags &= ~kO_TRUNC;
    acc_mode = 0;
  } else if (ip->is_reg() && (flags & kO_TRUNC)) {
    if (is_ro(*ip)) return Fail(Errno::kEROFS);  // mnt_want_write.
    do_truncate = true;
  }
  if (Errno e = may_open(*ip, acc_mode, flags); e != Errno::kOk) return Fail(e);
  Result<std::shared_ptr<File>> fp = do_dentry_open(ip, flags);
  if (!fp) return fp;
  // handle_truncate: do_truncate(0) with ATTR_MTIME|ATTR_CTIME|ATTR_OPEN,
  // whatever the size was.
  if (do_truncate) {
    if (Errno e = (*fp)->ops->fo_truncate(**fp, 0); e != Errno::kOk) return Fail(e);
  }
  return fp;
}

// ---- names ----

Result<std::pair<InodeRef, std::string>> Process::filename_create(int dfd, std::string_view path,
                                                                  bool want_dir) {
  int links = 0;
  Result<Nameidata> nd = path_parentat(dfd, path, &links);
  if (!nd) return Fail(nd.error());
  // "if (unlikely(type != LAST_NORM)) goto out" with -EEXIST.
  if (nd->type != LastType::kNorm) return Fail(Errno::kEEXIST);
  Result<InodeRef> existing = nd->dir->ops().lookup(*nd->dir, nd->last);
  if (existing) return Fail(Errno::kEEXIST);
  if (existing.error() != Errno::kENOENT) return Fail(existing.error());
  // A trailing slash suppresses the create unless a directory is made.
  if (nd->trailing_slash && !want_dir) return Fail(Errno::kENOENT);
  if (is_ro(*nd->dir)) return Fail(Errno::kEROFS);
  return std::make_pair(nd->dir, nd->last);
}

Errno Process::mkdir(std::string_view path, uint32_t mode) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> at = filename_create(kAT_FDCWD, path, true);
    if (!at) return at.error();
    auto& [dir, name] = *at;
    if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kDir, mode, creds_);
    return made ? Errno::kOk : made.error();
  }();
  trace("mkdir", {{"path", path}, {"mode", mode}}, e);
  return e;
}

Errno Process::mkdirat(int dfd, std::string_view path, uint32_t mode) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> at = filename_create(dfd, path, true);
    if (!at) return at.error();
    auto& [dir, name] = *at;
    if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kDir, mode, creds_);
    return made ? Errno::kOk : made.error();
  }();
  trace("mkdirat", {{"dfd", dfd}, {"path", path}, {"mode", mode}}, e);
  return e;
}

Errno Process::mkfifo(std::string_view path, uint32_t mode) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> at = filename_create(kAT_FDCWD, path, false);
    if (!at) return at.error();
    auto& [dir, name] = *at;
    if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kFifo, mode, creds_);
    return made ? Errno::kOk : made.error();
  }();
  trace("mkfifo", {{"path", path}, {"mode", mode}}, e);
  return e;
}

Errno Process::symlink(std::string_view target, std::string_view linkpath) {
  Errno e = [&] {
    if (target.empty()) return Errno::kENOENT;  // getname(oldname).
    if (target.size() >= kPathMax) return Errno::kENAMETOOLONG;
    Result<std::pair<InodeRef, std::string>> at = filename_create(kAT_FDCWD, linkpath, false);
    if (!at) return at.error();
    auto& [dir, name] = *at;
    if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
    Result<InodeRef> made = dir->ops().symlink(*dir, name, target, creds_);
    return made ? Errno::kOk : made.error();
  }();
  trace("symlink", {{"target", target}, {"path", linkpath}}, e);
  return e;
}

Result<uint64_t> Process::readlinkat(int dfd, std::string_view path, uint64_t buf,
                                     uint64_t bufsiz) {
  uint64_t n = 0;
  Errno e = [&] {
    // do_readlinkat: "if (bufsiz <= 0) return -EINVAL" (an int).
    if (static_cast<int>(bufsiz) <= 0) return Errno::kEINVAL;
    Result<InodeRef> ip = path_lookupat(dfd, path, kLookupEmpty);
    if (!ip) return ip.error();
    if ((*ip)->type != VType::kLnk) return Errno::kEINVAL;
    const std::string& body = (*ip)->link;
    n = std::min<uint64_t>(body.size(), static_cast<uint64_t>(static_cast<int>(bufsiz)));
    return copy_to_user_bytes(buf, std::as_bytes(std::span(body.data(), n)));
  }();
  trace("readlinkat", {{"dfd", dfd}, {"path", path}, {"bufsiz", bufsiz}}, e,
                       static_cast<int64_t>(n));
  if (e != Errno::kOk) return Fail(e);
  return n;
}

Errno Process::link(std::string_view oldpath, std::string_view newpath) {
  return linkat(kAT_FDCWD, oldpath, kAT_FDCWD, newpath, 0);
}

Errno Process::linkat(int olddfd, std::string_view oldpath, int newdfd, std::string_view newpath,
                      int flags) {
  Errno e = [&] {
    if (flags & ~(kAT_SYMLINK_FOLLOW | kAT_EMPTY_PATH)) return Errno::kEINVAL;
    // LOOKUP_LINKAT_EMPTY wants CAP_DAC_READ_SEARCH or the credentials the
    // descriptor was opened with; every descriptor here was opened by this
    // process, so an empty name is always allowed.
    unsigned how = 0;
    if (flags & kAT_EMPTY_PATH) how |= kLookupEmpty;
    if (flags & kAT_SYMLINK_FOLLOW) how |= kLookupFollow;
    Result<InodeRef> old = path_lookupat(olddfd, oldpath, how);
    if (!old) return old.error();
    Result<std::pair<InodeRef, std::string>> at = filename_create(newdfd, newpath, false);
    if (!at) return at.error();
    auto& [dir, name] = *at;
    Inode& ip = **old;
    if (ip.sb != dir->sb) return Errno::kEXDEV;  // old_path.mnt != new_path.mnt.
    // may_linkat (fs.protected_hardlinks=1): someone else's file needs
    // CAP_FOWNER, or to be a regular file the caller may read and write.
    if (creds_.uid != ip.uid && !creds_.capable(Cap::kFowner) &&
        (!ip.is_reg() || permission(ip, kMayRead | kMayWrite) != Errno::kOk)) {
      return Errno::kEPERM;
    }
    // vfs_link.
    if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
    // "A link to an append-only or immutable file cannot be created."
    if (ip.flags & (kInodeAppend | kInodeImmutable)) return Errno::kEPERM;
    if (ip.is_dir()) return Errno::kEPERM;
    // "Make sure we don't allow creating hardlink to an unlinked file."
    if (ip.nlink == 0 && !ip.linkable) return Errno::kENOENT;
    Errno err = dir->ops().link(*dir, name, ip);
    if (err == Errno::kOk) ip.linkable = false;
    return err;
  }();
  {
    trace("linkat", {{"olddfd", olddfd}, {"old", oldpath}, {"newdfd", newdfd}, {"new", newpath},
                     {"flags", flags}}, e);
  }
  return e;
}

Errno Process::may_delete(const Inode& dir, const Inode& victim) const {
  // check_sticky: in a sticky directory (S_ISVTX, /tmp's 01777) only the
  // file's owner, the directory's owner or CAP_FOWNER may remove an entry.
  const bool sticky_denied = (dir.mode & kS_ISVTX) && creds_.uid != victim.uid &&
                             creds_.uid != dir.uid && !creds_.capable(Cap::kFowner);
  if (sticky_denied || (victim.flags & (kInodeImmutable | kInodeAppend | kInodeSwapfile))) {
    return Errno::kEPERM;
  }
  return Errno::kOk;
}

Errno Process::unlink_common(std::string_view path, bool dir_op) {
  int links = 0;
  Result<Nameidata> nd = path_parentat(kAT_FDCWD, path, &links);
  if (!nd) return nd.error();
  // do_rmdir: LAST_DOTDOT ENOTEMPTY, LAST_DOT EINVAL, LAST_ROOT EBUSY;
  // do_unlinkat: anything but a name is EISDIR.
  switch (nd->type) {
    case LastType::kNorm:
      break;
    case LastType::kDotDot:
      return dir_op ? Errno::kENOTEMPTY : Errno::kEISDIR;
    case LastType::kDot:
      return dir_op ? Errno::kEINVAL : Errno::kEISDIR;
    case LastType::kRoot:
      return dir_op ? Errno::kEBUSY : Errno::kEISDIR;
  }
  InodeRef dir = nd->dir;
  Result<InodeRef> victim = dir->ops().lookup(*dir, nd->last);
  if (!victim) return victim.error();
  // unlink("name/"): "slashes" — a directory is EISDIR, anything else ENOTDIR.
  if (!dir_op && nd->trailing_slash) return (*victim)->is_dir() ? Errno::kEISDIR : Errno::kENOTDIR;
  if ((*victim)->mounted != nullptr) return Errno::kEBUSY;
  if (is_ro(*dir)) return Errno::kEROFS;
  if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
  if (Errno err = may_delete(*dir, **victim); err != Errno::kOk) return err;
  return dir_op ? dir->ops().rmdir(*dir, nd->last) : dir->ops().remove(*dir, nd->last);
}

Errno Process::unlink(std::string_view path) {
  Errno e = unlink_common(path, false);
  trace("unlink", {{"path", path}}, e);
  return e;
}

Errno Process::rmdir(std::string_view path) {
  Errno e = unlink_common(path, true);
  trace("rmdir", {{"path", path}}, e);
  return e;
}

Errno Process::do_renameat2(int olddfd, std::string_view from, int newdfd, std::string_view to,
                            unsigned flags) {
  // do_renameat2: unknown flags, then the combinations that make no sense.
  if (flags & ~(kRENAME_NOREPLACE | kRENAME_EXCHANGE | kRENAME_WHITEOUT)) return Errno::kEINVAL;
  if ((flags & (kRENAME_NOREPLACE | kRENAME_WHITEOUT)) && (flags & kRENAME_EXCHANGE)) {
    return Errno::kEINVAL;
  }
  if ((flags & kRENAME_WHITEOUT) && !creds_.capable(Cap::kMknod)) return Errno::kEPERM;
  int links = 0;
  Result<Nameidata> src = path_parentat(olddfd, from, &links);
  if (!src) return src.error();
  Result<Nameidata> dst = path_parentat(newdfd, to, &links);
  if (!dst) return dst.error();
  // do_renameat2: "if (old_type != LAST_NORM) goto exit2" with -EBUSY.
  if (src->type != LastType::kNorm || dst->type != LastType::kNorm) return Errno::kEBUSY;
  InodeRef fdir = src->dir;
  InodeRef tdir = dst->dir;
  const std::string& fname = src->last;
  const std::string& tname = dst->last;
  Result<InodeRef> moving = fdir->ops().lookup(*fdir, fname);
  if (!moving) return moving.error();
  if (fdir->sb != tdir->sb) return Errno::kEXDEV;
  // The target's lookup: RENAME_NOREPLACE wants it absent (LOOKUP_EXCL:
  // EEXIST), RENAME_EXCHANGE present (ENOENT).
  Result<InodeRef> target = tdir->ops().lookup(*tdir, tname);
  if ((flags & kRENAME_NOREPLACE) && target) return Errno::kEEXIST;
  if ((flags & kRENAME_EXCHANGE) && !target) return target.error();
  // lock_rename's trap, before vfs_rename's checks: a directory moved
  // below itself is EINVAL; a target that is an ancestor of the source is
  // ENOTEMPTY (EINVAL for an exchange). Host probe (6.18, tmpfs and XFS):
  // rename("d1/x", "d1") is ENOTEMPTY, not EISDIR.
  if (fdir.get() != tdir.get()) {
    if ((*moving)->is_dir() && is_under(*tdir, **moving)) return Errno::kEINVAL;
    if (target && (*target)->is_dir() && is_under(*fdir, **target)) {
      return (flags & kRENAME_EXCHANGE) ? Errno::kEINVAL : Errno::kENOTEMPTY;
    }
  }
  if ((*moving)->mounted != nullptr) return Errno::kEBUSY;
  // "if (is_local_mountpoint(old_dentry) || is_local_mountpoint(new_dentry))
  // goto out" (EBUSY): replacing a mount point would leave its mount
  // covering a directory that is gone.
  if (target && (*target)->mounted != nullptr) return Errno::kEBUSY;
  if (is_ro(*fdir)) return Errno::kEROFS;
  for (const InodeRef& d : {fdir, tdir}) {
    if (Errno err = permission(*d, kMayWrite | kMayExec); err != Errno::kOk) return err;
  }
  // vfs_rename: may_delete on the source, and on a target it replaces or
  // exchanges.
  if (Errno err = may_delete(*fdir, **moving); err != Errno::kOk) return err;
  if (target) {
    if (Errno err = may_delete(*tdir, **target); err != Errno::kOk) return err;
  }
  return fdir->ops().rename(*fdir, fname, *tdir, tname, flags);
}

Errno Process::rename(std::string_view from, std::string_view to) {
  Errno e = do_renameat2(kAT_FDCWD, from, kAT_FDCWD, to, 0);
  trace("rename", {{"from", from}, {"to", to}}, e);
  return e;
}

Errno Process::renameat2(int olddfd, std::string_view from, int newdfd, std::string_view to,
                         unsigned flags) {
  Errno e = do_renameat2(olddfd, from, newdfd, to, flags);
  {
    trace("renameat2", {{"olddfd", olddfd}, {"from", from}, {"newdfd", newdfd}, {"to", to},
                        {"flags", flags}}, e);
  }
  return e;
}

Errno Process::chdir(std::string_view path) {
  Errno e = [&] {
    Result<InodeRef> ip = path_lookupat(kAT_FDCWD, path, kLookupFollow | kLookupDirectory);
    if (!ip) return ip.error();
    if (Errno err = permission(**ip, kMayExec); err != Errno::kOk) return err;
    cwd_ = *ip;
    return Errno::kOk;
  }();
  trace("chdir", {{"path", path}}, e);
  return e;
}

Errno Process::fchdir(int fd) {
  Errno e = [&] {
    // fchdir takes O_PATH descriptors (fdget_raw).
    Result<std::shared_ptr<File>> fp = get(fd, Fdget::kRaw);
    if (!fp) return fp.error();
    const InodeRef& ip = (*fp)->inode;
    if (!ip->is_dir()) return Errno::kENOTDIR;
    if (Errno err = permission(*ip, kMayExec); err != Errno::kOk) return err;
    cwd_ = ip;
    return Errno::kOk;
  }();
  trace("fchdir", {{"fd", fd}}, e);
  return e;
}

}  // namespace vfssim
