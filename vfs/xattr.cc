// Extended attributes (Linux's fs/xattr.c): setxattr, getxattr, listxattr,
// removexattr and their descriptor and *at forms, over an in-memory store per inode
// (Inode::xattrs), as tmpfs keeps its simple_xattrs.

#include "vfs/process.h"

#include <algorithm>
#include <string>
#include <vector>

#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::is_ro;
using internal::kMayRead;
using internal::kMayWrite;

namespace {

bool has_prefix(std::string_view name, std::string_view prefix) {
  return name.substr(0, prefix.size()) == prefix;
}

// import_xattr_name: "if (error == 0 || error == sizeof(kname->name))
// error = -ERANGE".
Errno check_name(std::string_view name) {
  return name.empty() || name.size() > kXATTR_NAME_MAX ? Errno::kERANGE : Errno::kOk;
}

// xattr_resolve_name: the namespaces with a handler here. system.* holds
// the POSIX ACLs, which are not modelled.
bool known_namespace(std::string_view name) {
  return has_prefix(name, "user.") || has_prefix(name, "trusted.") ||
         has_prefix(name, "security.");
}

}  // namespace

Errno Process::xattr_permission(const Inode& ip, std::string_view name, int mask) const {
  const Creds& cr = creds_;
  if (mask & kMayWrite) {
    if (ip.flags & (kInodeImmutable | kInodeAppend)) return Errno::kEPERM;
  }
  if (has_prefix(name, "security.") || has_prefix(name, "system.")) return Errno::kOk;
  // "The trusted.* namespace can only be accessed by privileged users."
  if (has_prefix(name, "trusted.")) {
    if (!cr.capable(Cap::kSysAdmin)) return (mask & kMayWrite) ? Errno::kEPERM : Errno::kENODATA;
    return Errno::kOk;
  }
  // "In the user.* namespace, only regular files and directories can have
  // extended attributes. For sticky directories, only the owner and
  // privileged users can write attributes."
  if (has_prefix(name, "user.")) {
    if (!ip.is_reg() && !ip.is_dir()) return (mask & kMayWrite) ? Errno::kEPERM : Errno::kENODATA;
    if (ip.is_dir() && (ip.mode & kS_ISVTX) && (mask & kMayWrite) && cr.uid != ip.uid &&
        !cr.capable(Cap::kFowner)) {
      return Errno::kEPERM;
    }
  }
  return permission(ip, mask);
}

Errno Process::do_setxattr(Inode& ip, std::string_view name, uint64_t value, uint64_t size,
                           int flags) {
  // setxattr_copy: the name, then the value (at most XATTR_SIZE_MAX).
  if (Errno e = check_name(name); e != Errno::kOk) return e;
  if (size > kXATTR_SIZE_MAX) return Errno::kE2BIG;
  std::string v(size, '\0');
  if (size > 0) {
    if (Errno e = copy_from_user_bytes(std::as_writable_bytes(std::span(v.data(), v.size())), value);
        e != Errno::kOk) {
      return e;
    }
  }
  if (is_ro(ip)) return Errno::kEROFS;  // mnt_want_write.
  if (Errno e = xattr_permission(ip, name, kMayWrite);
      e != Errno::kOk) {
    return e;
  }
  if (!known_namespace(name)) return Errno::kEOPNOTSUPP;
  auto it = ip.xattrs.find(name);
  if ((flags & kXATTR_CREATE) && it != ip.xattrs.end()) return Errno::kEEXIST;
  if ((flags & kXATTR_REPLACE) && it == ip.xattrs.end()) return Errno::kENODATA;
  ip.xattrs.insert_or_assign(std::string(name), std::move(v));
  ip.sb->touch(ip, /*mtime=*/false);
  return Errno::kOk;
}

Result<uint64_t> Process::do_getxattr(const Inode& ip, std::string_view name, uint64_t value,
                                      uint64_t size) {
  if (Errno e = xattr_permission(ip, name, kMayRead);
      e != Errno::kOk) {
    return Fail(e);
  }
  if (!known_namespace(name)) return Fail(Errno::kEOPNOTSUPP);
  auto it = ip.xattrs.find(name);
  if (it == ip.xattrs.end()) return Fail(Errno::kENODATA);
  const std::string& v = it->second;
  if (size == 0) return v.size();  // The caller asks for the length.
  if (std::min(size, kXATTR_SIZE_MAX) < v.size()) return Fail(Errno::kERANGE);
  if (Errno e = copy_to_user_bytes(value, std::as_bytes(std::span(v.data(), v.size())));
      e != Errno::kOk) {
    return Fail(e);
  }
  return v.size();
}

Errno Process::do_removexattr(Inode& ip, std::string_view name) {
  if (is_ro(ip)) return Errno::kEROFS;  // mnt_want_write.
  // vfs_removexattr.
  if (Errno e = xattr_permission(ip, name, kMayWrite); e != Errno::kOk) return e;
  if (!known_namespace(name)) return Errno::kEOPNOTSUPP;
  // simple_xattr_set(NULL value, XATTR_REPLACE): "-ENODATA if the
  // attribute does not exist".
  auto it = ip.xattrs.find(name);
  if (it == ip.xattrs.end()) return Errno::kENODATA;
  ip.xattrs.erase(it);
  ip.sb->touch(ip, /*mtime=*/false);
  return Errno::kOk;
}

Errno Process::removexattr(std::string_view path, std::string_view name) {
  Errno e = [&] {
    // path_removexattrat: the name is imported before the lookup.
    if (Errno err = check_name(name); err != Errno::kOk) return err;
    Result<InodeRef> ip = path_lookupat(kAT_FDCWD, path, kLookupFollow);
    if (!ip) return ip.error();
    return do_removexattr(**ip, name);
  }();
  trace("removexattr", {{"path", path}, {"name", name}}, e);
  return e;
}

Errno Process::fremovexattr(int fd, std::string_view name) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    if (Errno err = check_name(name); err != Errno::kOk) return err;
    return do_removexattr(*(*got)->inode, name);
  }();
  trace("fremovexattr", {{"fd", fd}, {"name", name}}, e);
  return e;
}

Errno Process::setxattr(std::string_view path, std::string_view name, uint64_t value,
                        uint64_t size, int flags) {
  Errno e = [&] {
    if (flags & ~(kXATTR_CREATE | kXATTR_REPLACE)) return Errno::kEINVAL;
    if (Errno err = check_name(name); err != Errno::kOk) return err;
    Result<InodeRef> ip = path_lookupat(kAT_FDCWD, path, kLookupFollow);
    if (!ip) return ip.error();
    return do_setxattr(**ip, name, value, size, flags);
  }();
  trace("setxattr", {{"path", path}, {"name", name}, {"size", size}}, e);
  return e;
}

Errno Process::fsetxattr(int fd, std::string_view name, uint64_t value, uint64_t size,
                         int flags) {
  Errno e = [&] {
    if (flags & ~(kXATTR_CREATE | kXATTR_REPLACE)) return Errno::kEINVAL;
    // file_setxattr: fdget (O_PATH is EBADF).
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    return do_setxattr(*(*got)->inode, name, value, size, flags);
  }();
  trace("fsetxattr", {{"fd", fd}, {"name", name}, {"size", size}}, e);
  return e;
}

Result<uint64_t> Process::getxattr(std::string_view path, std::string_view name, uint64_t value,
                                   uint64_t size) {
  Result<uint64_t> r = [&]() -> Result<uint64_t> {
    if (Errno err = check_name(name); err != Errno::kOk) return Fail(err);
    Result<InodeRef> ip = path_lookupat(kAT_FDCWD, path, kLookupFollow);
    if (!ip) return Fail(ip.error());
    return do_getxattr(**ip, name, value, size);
  }();
  {
    trace("getxattr", {{"path", path}, {"name", name}, {"size", size}}, r ? Errno::kOk : r.error(),
          static_cast<int64_t>(r.value_or(0)));
  }
  return r;
}

Result<uint64_t> Process::fgetxattr(int fd, std::string_view name, uint64_t value,
                                    uint64_t size) {
  Result<uint64_t> r = [&]() -> Result<uint64_t> {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return Fail(got.error());
    if (Errno err = check_name(name); err != Errno::kOk) return Fail(err);
    return do_getxattr(*(*got)->inode, name, value, size);
  }();
  {
    trace("fgetxattr", {{"fd", fd}, {"name", name}, {"size", size}}, r ? Errno::kOk : r.error(),
          static_cast<int64_t>(r.value_or(0)));
  }
  return r;
}

Result<uint64_t> Process::getxattrat(int dfd, std::string_view path, int at_flags,
                                     std::string_view name, uint64_t uargs, uint64_t usize) {
  Result<uint64_t> r = [&]() -> Result<uint64_t> {
    // SYSCALL_DEFINE6(getxattrat): the argument struct first.
    if (usize < sizeof(XattrArgs)) return Fail(Errno::kEINVAL);
    if (usize > kUserPageSize) return Fail(Errno::kE2BIG);
    XattrArgs args{};
    if (Errno err = copy_from_user(&args, uargs); err != Errno::kOk) return Fail(err);
    // copy_struct_from_user: bytes past the struct we know must be zero.
    if (usize > sizeof(XattrArgs)) {
      std::vector<std::byte> rest(usize - sizeof(XattrArgs));
      if (Errno err = copy_from_user_bytes(rest, uargs + sizeof(XattrArgs)); err != Errno::kOk) {
        return Fail(err);
      }
      if (std::any_of(rest.begin(), rest.end(), [](std::byte b) { return b != std::byte{0}; })) {
        return Fail(Errno::kE2BIG);
      }
    }
    if (args.flags != 0) return Fail(Errno::kEINVAL);
    // path_getxattrat.
    if (at_flags & ~(kAT_SYMLINK_NOFOLLOW | kAT_EMPTY_PATH)) return Fail(Errno::kEINVAL);
    if (Errno err = check_name(name); err != Errno::kOk) return Fail(err);
    if ((at_flags & kAT_EMPTY_PATH) && path.empty()) {
      // getname_maybe_null gave no name: the descriptor, with fdget.
      Result<std::shared_ptr<File>> got = get(dfd);
      if (!got) return Fail(got.error());
      return do_getxattr(*(*got)->inode, name, args.value, args.size);
    }
    const unsigned how = (at_flags & kAT_SYMLINK_NOFOLLOW) ? 0 : kLookupFollow;
    Result<InodeRef> ip = path_lookupat(dfd, path, how);
    if (!ip) return Fail(ip.error());
    return do_getxattr(**ip, name, args.value, args.size);
  }();
  {
    trace("getxattrat", {{"dfd", dfd}, {"path", path}, {"name", name}}, r ? Errno::kOk : r.error(),
          static_cast<int64_t>(r.value_or(0)));
  }
  return r;
}

Result<uint64_t> Process::flistxattr(int fd, uint64_t list, uint64_t size) {
  Result<uint64_t> r = [&]() -> Result<uint64_t> {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return Fail(got.error());
    // simple_xattr_list: every name but trusted.* without CAP_SYS_ADMIN,
    // each NUL-terminated.
    std::string names;
    for (const auto& [name, value] : (*got)->inode->xattrs) {
      if (has_prefix(name, "trusted.") && !creds_.capable(Cap::kSysAdmin)) continue;
      names += name;
      names.push_back('\0');
    }
    if (size == 0) return names.size();
    if (std::min(size, kXATTR_LIST_MAX) < names.size()) return Fail(Errno::kERANGE);
    if (Errno err = copy_to_user_bytes(list, std::as_bytes(std::span(names.data(), names.size())));
        err != Errno::kOk) {
      return Fail(err);
    }
    return names.size();
  }();
  {
    trace("flistxattr", {{"fd", fd}, {"size", size}}, r ? Errno::kOk : r.error(),
          static_cast<int64_t>(r.value_or(0)));
  }
  return r;
}

}  // namespace vfssim
