// mkdir, mkfifo, unlink, rmdir, rename (Linux's fs/namei.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::is_ro;
using internal::kMayExec;
using internal::kMayWrite;

Errno Process::mkdir(std::string_view path, uint32_t mode) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd());
    if (!parent) return parent.error();
    auto& [dir, name] = *parent;
    if (name == "." || name == "..") return Errno::kEEXIST;
    if (is_ro(*dir)) return Errno::kEROFS;
    if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kDir, mode, creds_);
    return made ? Errno::kOk : made.error();
  }();
  if (tracing()) trace("mkdir", {{"path", path}, {"mode", mode}}, e);
  return e;
}

Errno Process::mkfifo(std::string_view path, uint32_t mode) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd());
    if (!parent) return parent.error();
    auto& [dir, name] = *parent;
    if (is_ro(*dir)) return Errno::kEROFS;
    Result<InodeRef> made = dir->ops().create(*dir, name, VType::kFifo, mode, creds_);
    return made ? Errno::kOk : made.error();
  }();
  if (tracing()) trace("mkfifo", {{"path", path}, {"mode", mode}}, e);
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
  Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd());
  if (!parent) return parent.error();
  auto& [dir, name] = *parent;
  if (dir_op && name == ".") return Errno::kEINVAL;
  if (dir_op && name == "..") return Errno::kENOTEMPTY;
  Result<InodeRef> victim = dir->ops().lookup(*dir, name);
  if (!victim) return victim.error();
  if ((*victim)->mounted != nullptr) return Errno::kEBUSY;
  if (is_ro(*dir)) return Errno::kEROFS;
  if (Errno err = permission(*dir, kMayWrite | kMayExec); err != Errno::kOk) return err;
  if (Errno err = may_delete(*dir, **victim); err != Errno::kOk) return err;
  return dir_op ? dir->ops().rmdir(*dir, name) : dir->ops().remove(*dir, name);
}

Errno Process::unlink(std::string_view path) {
  Errno e = unlink_common(path, false);
  if (tracing()) trace("unlink", {{"path", path}}, e);
  return e;
}

Errno Process::rmdir(std::string_view path) {
  Errno e = unlink_common(path, true);
  if (tracing()) trace("rmdir", {{"path", path}}, e);
  return e;
}

Errno Process::rename(std::string_view from, std::string_view to) {
  Errno e = [&] {
    Result<std::pair<InodeRef, std::string>> src = vfs_.resolve_parent(from, cwd());
    if (!src) return src.error();
    Result<std::pair<InodeRef, std::string>> dst = vfs_.resolve_parent(to, cwd());
    if (!dst) return dst.error();
    auto& [fdir, fname] = *src;
    auto& [tdir, tname] = *dst;
    if (fname == "." || fname == ".." || tname == "." || tname == "..") return Errno::kEBUSY;
    Result<InodeRef> moving = fdir->ops().lookup(*fdir, fname);
    if (!moving) return moving.error();
    if (fdir->sb != tdir->sb) return Errno::kEXDEV;
    if ((*moving)->mounted != nullptr) return Errno::kEBUSY;
    if (is_ro(*fdir)) return Errno::kEROFS;
    for (const InodeRef& d : {fdir, tdir}) {
      if (Errno err = permission(*d, kMayWrite | kMayExec); err != Errno::kOk) return err;
    }
    // vfs_rename: may_delete on the source, and on a target it replaces.
    if (Errno err = may_delete(*fdir, **moving); err != Errno::kOk) return err;
    if (Result<InodeRef> target = tdir->ops().lookup(*tdir, tname); target) {
      if (Errno err = may_delete(*tdir, **target); err != Errno::kOk) return err;
    }
    return fdir->ops().rename(*fdir, fname, *tdir, tname);
  }();
  if (tracing()) trace("rename", {{"from", from}, {"to", to}}, e);
  return e;
}

}  // namespace vfssim
