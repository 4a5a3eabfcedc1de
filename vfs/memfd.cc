// memfd_create and seals (Linux's mm/memfd.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {

Result<int> Process::memfd_create(std::string_view name) {
  // A mounted shmfs serves memfds (its options apply); without one, the
  // kernel's own instance does, as shm_mnt does on Linux.
  Superblock* sb = vfs_.find_mount("shmfs");
  if (sb == nullptr) {
    Result<Superblock*> kern = vfs_.kern_mount("shmfs");
    if (kern) sb = *kern;
  }
  Errno e = Errno::kOk;
  int fd = -1;
  if (sb == nullptr || sb->anon_file_ops() == nullptr) {
    e = Errno::kENOSYS;
  } else {
    auto fp = std::make_shared<File>();
    fp->inode = sb->alloc_inode(VType::kReg, 0600, creds_);
    fp->oflags = kO_RDWR;
    fp->read = fp->write = true;
    fp->ops = sb->anon_file_ops();
    fp->memfd = true;
    fd = install(std::move(fp));
  }
  trace("memfd_create", {{"name", name}}, e, fd);
  if (e != Errno::kOk) return Fail(e);
  return fd;
}

Errno Process::add_seals(int fd, uint32_t seals) {
  Errno e = [&] {
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    if (!fp.memfd) return Errno::kEINVAL;
    if (seals & ~(kF_SEAL_SEAL | kF_SEAL_SHRINK | kF_SEAL_GROW | kF_SEAL_WRITE)) {
      return Errno::kEINVAL;
    }
    if (!fp.write) return Errno::kEPERM;
    if (fp.inode->seals & kF_SEAL_SEAL) return Errno::kEPERM;
    // memfd_wait_for_pins / mapping_deny_writable: no write seal while a
    // shared writable mapping exists.
    if ((seals & kF_SEAL_WRITE) && fp.inode->writable_mappings > 0) return Errno::kEBUSY;
    fp.inode->seals |= seals;
    return Errno::kOk;
  }();
  trace("fcntl", {{"fd", fd}, {"cmd", "F_ADD_SEALS"}, {"seals", seals}}, e);
  return e;
}

Result<uint32_t> Process::get_seals(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return Fail(got.error());
  if (!(*got)->memfd) return Fail(Errno::kEINVAL);
  return (*got)->inode->seals;
}

}  // namespace vfssim
