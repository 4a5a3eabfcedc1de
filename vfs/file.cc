#include "vfs/file.h"

#include <algorithm>
#include <vector>

#include "vfs/mmap.h"
#include "vfs/mount.h"
#include "vfs/timestamps.h"

namespace vfssim {

const VnFileOps& VnFileOps::instance() {
  static const VnFileOps ops;
  return ops;
}

IoResult VnFileOps::fo_read(File& fp, const Kiocb& iocb, IovIter& to) const {
  Inode& ip = *fp.inode;
  if (!ip.is_reg()) return {0, ip.is_dir() ? Errno::kEISDIR : Errno::kEINVAL};
  // The filesystem's read moves the atime (file_accessed) where it does.
  return ip.ops().read(ip, iocb, to);
}

IoResult VnFileOps::fo_write(File& fp, const Kiocb& iocb, IovIter& from) const {
  Inode& ip = *fp.inode;
  if (!ip.is_reg()) return {0, Errno::kEINVAL};
  IoResult r = ip.ops().write(ip, iocb, from);
  if (r.done > 0 && iocb.flags.has(IocbFlag::kDsync)) {
    // generic_write_sync -> vfs_fsync_range(iocb->ki_filp, ki_pos - count,
    // ki_pos - 1): the bytes written; the sync reports, and advances, this
    // description's errseq.
    const Errno e = fo_fsync(fp, iocb.pos, iocb.pos + static_cast<off_t64>(r.done) - 1,
                             /*datasync=*/!iocb.flags.has(IocbFlag::kSync));
    if (e != Errno::kOk) return {0, e};
  }
  return r;
}

Errno VnFileOps::fo_truncate(File& fp, off_t64 size) const {
  Inode& ip = *fp.inode;
  if (!ip.is_reg()) return Errno::kEINVAL;
  // do_ftruncate and handle_truncate both pass ATTR_MTIME | ATTR_CTIME.
  return ip.ops().setsize(ip, size, /*times=*/true);
}

Errno VnFileOps::fo_stat(File& fp, Stat* st) const { return fp.inode->ops().getattr(*fp.inode, st); }

Errno VnFileOps::fo_fsync(File& fp, off_t64 start, off_t64 end, bool datasync) const {
  // file_write_and_wait_range: "err2 = file_check_and_advance_wb_err(file);
  // if (!err) err = err2;" — the description advances either way.
  const Errno err = fp.inode->ops().fsync(*fp.inode, start, end, datasync);
  const Errno err2 = file_check_and_advance_wb_err(fp);
  return err != Errno::kOk ? err : err2;
}

Errno file_check_and_advance_wb_err(File& fp) {
  return fp.inode->cache.wb_err.check_and_advance(&fp.f_wb_err);
}

Errno VnFileOps::fo_fallocate(File& fp, int mode, off_t64 off, off_t64 len) const {
  return fp.inode->ops().allocate(*fp.inode, mode, off, len);
}

Errno VnFileOps::fo_fspacectl(File& fp, int cmd, off_t64* off, off_t64* len, int flags) const {
  // vn_fspacectl: only SPACECTL_DEALLOC exists; kern_fspacectl checked cmd.
  (void)cmd;
  if (!fp.inode->is_reg()) return Errno::kENODEV;
  return vn_deallocate(*fp.inode, off, len, flags, get_write_ioflag(fp.oflags));
}

Result<off_t64> VnFileOps::fo_llseek(File& fp, off_t64 off, int whence) const {
  Result<off_t64> r = fp.inode->ops().llseek(*fp.inode, fp.pos, off, whence);
  if (r) fp.pos = *r;
  return r;
}

bool FileOps::fmode_nowait(const File& fp) const { return fp.inode->ops().fmode_nowait(); }

bool FileOps::has_splice_read(const File& fp) const { return fp.inode->is_reg(); }

bool FileOps::has_splice_write(const File& fp) const { return fp.inode->is_reg(); }

bool FileOps::fmode_can_odirect(const File& fp) const {
  return !fp.inode->is_reg() || fp.inode->ops().can_odirect();
}

Errno VnFileOps::fo_ioctl(File& fp, unsigned long cmd, void* arg) const {
  return fp.inode->ops().ioctl(*fp.inode, cmd, arg);
}

const FifoFileOps& FifoFileOps::instance() {
  static const FifoFileOps ops;
  return ops;
}

// A pipe moves bytes through a kernel buffer and the caller's iterator; a
// short copy keeps what did not reach the reader in the pipe (pipe_read /
// pipe_write copy page by page and stop at a fault).
Errno FifoFileOps::open(File& fp) {
  auto& fifo = static_cast<FifoData&>(*fp.inode->data);
  if (fp.write && !fp.read && (fp.oflags & kO_NONBLOCK) && fifo.readers == 0) {
    return Errno::kENXIO;
  }
  if (fp.read) ++fifo.readers;
  if (fp.write) ++fifo.writers;
  return Errno::kOk;
}

Errno FifoFileOps::fo_close(File& fp) const {
  auto& fifo = static_cast<FifoData&>(*fp.inode->data);
  if (fp.read) --fifo.readers;
  if (fp.write) --fifo.writers;
  return Errno::kOk;
}

IoResult FifoFileOps::fo_read(File& fp, const Kiocb&, IovIter& to) const {
  auto& fifo = static_cast<FifoData&>(*fp.inode->data);
  if (fifo.buffer.empty() && to.count() > 0) {
    return {0, fifo.writers > 0 ? Errno::kEAGAIN : Errno::kOk};
  }
  std::vector<std::byte> chunk(std::min<uint64_t>(to.count(), fifo.buffer.size()));
  std::copy_n(fifo.buffer.begin(), chunk.size(), chunk.begin());
  const uint64_t n = to.copy_to(chunk);
  fifo.buffer.erase(fifo.buffer.begin(), fifo.buffer.begin() + static_cast<ptrdiff_t>(n));
  return {n, n < chunk.size() ? to.fault_errno() : Errno::kOk};
}

IoResult FifoFileOps::fo_write(File& fp, const Kiocb&, IovIter& from) const {
  auto& fifo = static_cast<FifoData&>(*fp.inode->data);
  if (fifo.readers == 0) return {0, Errno::kEPIPE};
  std::vector<std::byte> chunk(from.count());
  const uint64_t want = chunk.size();
  const uint64_t n = from.copy_from(chunk);
  fifo.buffer.insert(fifo.buffer.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(n));
  return {n, n < want ? from.fault_errno() : Errno::kOk};
}

Errno FifoFileOps::fo_stat(File& fp, Stat* st) const {
  Errno e = fp.inode->ops().getattr(*fp.inode, st);
  st->size = 0;
  return e;
}

File::~File() {
  if (inode == nullptr) return;
  // locks_remove_file: the last reference drops the description's flock.
  std::erase_if(inode->flocks, [&](const auto& held) { return held.first == this; });
  if (installed_) --inode->sb->open_files;
}

void File::mark_installed() {
  if (installed_ || inode == nullptr) return;
  installed_ = true;
  ++inode->sb->open_files;
}

Errno VnFileOps::fo_close(File& fp) const {
  fp.inode->ops().close(*fp.inode, fp.write);
  return Errno::kOk;
}

int VnFileOps::fo_mmap_supported_flags(File&) const { return kMAP_SYNC; }

Result<VmOps*> VnFileOps::fo_mmap(File& fp, int prot, int flags) const {
  Inode& ip = *fp.inode;
  if (!ip.is_reg()) return Fail(Errno::kENODEV);
  if (Errno e = ip.ops().mmap(ip, prot, flags); e != Errno::kOk) return Fail(e);
  // Every filesystem's ->mmap here ends with file_accessed (shmem_mmap,
  // xfs_file_mmap, generic_file_mmap).
  file_accessed(&fp);
  return &VnodeVmOps::instance();
}

}  // namespace vfssim
