// chrdev_open and the memory devices (Linux's fs/char_dev.c and
// drivers/char/mem.c), and mknod(2) (fs/namei.c's do_mknodat).

#include "vfs/chardev.h"

#include <algorithm>
#include <utility>

#include "vfs/internal/syscall.h"
#include "vfs/mount.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

// MemDevFileOps is what null_fops and zero_fops share: the file may seek
// and take positioned I/O (do_dentry_open's FMODE_LSEEK|FMODE_PREAD|
// FMODE_PWRITE) but every lseek lands on 0 (null_lseek: "return
// file->f_pos = 0"); writes take every byte and keep none (write_null,
// write_zero is the same); RWF_NOWAIT is accepted (the devlist entries carry
// FMODE_NOWAIT) and O_DIRECT is not (no FMODE_CAN_ODIRECT). The driver has no
// ->fsync (EINVAL), no ->fallocate, no ->unlocked_ioctl (ENOTTY); fstat is
// the node's filesystem's.
class MemDevFileOps : public FileOps {
 public:
  bool seekable() const override { return true; }
  IoResult fo_write(File&, const Kiocb&, IovIter& from) const override {
    const uint64_t n = from.count();
    from.advance(n);
    return {n, Errno::kOk};
  }
  Errno fo_truncate(File&, off_t64) const override { return Errno::kEINVAL; }
  Errno fo_stat(File& fp, Stat* st) const override {
    return fp.inode->ops().getattr(*fp.inode, st);
  }
  Errno fo_fsync(File&, off_t64, off_t64, bool) const override { return Errno::kEINVAL; }
  Errno fo_fallocate(File&, int, off_t64, off_t64) const override { return Errno::kENODEV; }
  Errno fo_fspacectl(File&, int, off_t64*, off_t64*, int) const override {
    return Errno::kENODEV;
  }
  Result<off_t64> fo_llseek(File& fp, off_t64, int) const override {
    fp.pos = 0;
    return 0;
  }
  Errno fo_ioctl(File&, unsigned long, void*) const override { return Errno::kENOTTY; }
  Errno fo_close(File&) const override { return Errno::kOk; }
  bool fmode_nowait(const File&) const override { return true; }
  bool fmode_can_odirect(const File&) const override { return false; }
  // splice_write_null (splice_write_zero is the same).
  bool has_splice_write(const File&) const override { return true; }
};

// null_fops: reads find EOF at once (read_null, read_iter_null: 0, the
// buffer never touched); no ->splice_read (EINVAL) and no ->mmap (ENODEV).
class NullFileOps : public MemDevFileOps {
 public:
  IoResult fo_read(File&, const Kiocb&, IovIter&) const override { return {0, Errno::kOk}; }
  Result<VmOps*> fo_mmap(File&, int, int) const override { return Fail(Errno::kENODEV); }
};

// zero_fops: reads fill the buffer with zeros (read_zero's clear_user,
// read_iter_zero's iov_iter_zero), stopping at a fault: EFAULT if nothing
// was cleared, else the short count; copy_splice_read reads the same way.
// mmap_zero maps anonymous memory, private or shared (shmem_zero_setup).
class ZeroFileOps : public MemDevFileOps {
 public:
  IoResult fo_read(File&, const Kiocb&, IovIter& to) const override {
    const uint64_t want = to.count();
    const uint64_t n = to.zero(want);
    return {n, n < want ? to.fault_errno() : Errno::kOk};
  }
  Result<VmOps*> fo_mmap(File&, int, int) const override { return nullptr; }
  bool has_splice_read(const File&) const override { return true; }
};

}  // namespace

Result<const FileOps*> chrdev_open(const Inode& ip) {
  static const NullFileOps null_fops;
  static const ZeroFileOps zero_fops;
  switch (ip.rdev) {
    case kDevNull:
      return &null_fops;
    case kDevZero:
      return &zero_fops;
    default:
      return Fail(Errno::kENXIO);  // kobj_lookup found no cdev.
  }
}

Errno Process::mknod(std::string_view path, uint32_t mode, uint32_t dev) {
  Errno e = [&] {
    // may_mknod.
    VType type;
    switch (mode & kS_IFMT) {
      case 0:
      case kS_IFREG:
        type = VType::kReg;
        break;
      case kS_IFCHR:
        type = VType::kChr;
        break;
      case kS_IFBLK:
        type = VType::kBlk;
        break;
      case kS_IFIFO:
        type = VType::kFifo;
        break;
      case kS_IFDIR:
        return Errno::kEPERM;
      default:  // S_IFSOCK too: the simulator has no sockets.
        return Errno::kEINVAL;
    }
    Result<std::pair<InodeRef, std::string>> parent = vfs_.resolve_parent(path, cwd());
    if (!parent) return parent.error();
    auto& [dir, name] = *parent;
    // filename_create: an existing name is EEXIST before the mount's EROFS.
    if (name == "." || name == ".." || dir->ops().lookup(*dir, name)) return Errno::kEEXIST;
    if (internal::is_ro(*dir)) return Errno::kEROFS;
    // vfs_mknod: may_create, then CAP_MKNOD for device nodes.
    if (Errno err = permission(*dir, internal::kMayWrite | internal::kMayExec); err != Errno::kOk) {
      return err;
    }
    if ((type == VType::kChr || type == VType::kBlk) && !creds_.capable(Cap::kMknod)) {
      return Errno::kEPERM;
    }
    Result<InodeRef> made = dir->ops().create(*dir, name, type, mode & 07777, creds_);
    if (!made) return made.error();
    // init_special_inode: the node names its device.
    if (type == VType::kChr || type == VType::kBlk) (*made)->rdev = dev;
    return Errno::kOk;
  }();
  trace("mknod", {{"path", path}, {"mode", mode}, {"dev", dev}}, e);
  return e;
}

}  // namespace vfssim
