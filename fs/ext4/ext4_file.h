// The ext4-like filesystem's vnode operations (fs/ext4/file.c, inode.c,
// extents.c, namei.c, ioctl.c): what ext4 does differently from the
// VFS's generic fallbacks and from XFS.

#ifndef VFSSIM_FS_EXT4_EXT4_FILE_H_
#define VFSSIM_FS_EXT4_EXT4_FILE_H_

#include "vfs/vnode.h"

namespace vfssim {

class Ext4VnodeOps : public VopDefaults {
 public:
  // Creating a name grows the directory by whole blocks (ENOSPC when none
  // is left); unlinking never shrinks it.
  Result<InodeRef> create(Inode& dir, std::string_view name, VType type, uint32_t mode,
                          const Creds& cr) override;
  Result<InodeRef> symlink(Inode& dir, std::string_view name, std::string_view target,
                           const Creds& cr) override;
  Errno link(Inode& dir, std::string_view name, Inode& ip) override;
  // ext4_rename: a regular file renamed over another has its delayed
  // blocks written back first (auto_da_alloc); the rest as the VFS's
  // (ENOTEMPTY over a non-empty directory).
  Errno rename(Inode& from_dir, std::string_view from_name, Inode& to_dir, std::string_view to_name,
               unsigned flags) override;

  // ext4_file_read_iter: DAX, O_DIRECT through iomap, else the page cache.
  IoResult read(Inode& ip, const Kiocb& iocb, IovIter& to) override;
  // ext4_file_write_iter: DAX, O_DIRECT through iomap (aligned to the
  // device's logical block), else buffered with delayed allocation.
  IoResult write(Inode& ip, const Kiocb& iocb, IovIter& from) override;
  // ext4_generic_write_checks and ext4_buffered_write_iter's first test:
  // RWF_NOWAIT on a buffered write is EOPNOTSUPP, and an immutable file
  // (chattr +i after the open) is EPERM, both before generic_write_checks.
  Errno write_iter_checks(Inode& ip, const Kiocb& iocb) override;
  // ext4_getattr: st_blksize is the block size.
  Errno getattr(Inode& ip, Stat* st) override;
  // ext4_setattr(ATTR_SIZE): EPERM on an immutable file; growing zeroes
  // the old EOF block's tail and stamps mtime/ctime when the size changes;
  // shrinking, or truncating to the same size, runs ext4_truncate, which
  // zeroes the new EOF block's tail, frees every block past EOF
  // (preallocation too) and always stamps mtime/ctime. A truncate to 0
  // marks the file for writeback at its next close (auto_da_alloc).
  Errno setsize(Inode& ip, off_t64 size, bool times) override;
  Errno fsync(Inode& ip, off_t64 start, off_t64 end, bool datasync) override;
  // ext4_fallocate: allocate (KEEP_SIZE), PUNCH_HOLE, ZERO_RANGE,
  // COLLAPSE_RANGE, INSERT_RANGE, and the prototype ZEROINIT_RANGE (seed
  // 004 patch 5/5); UNSHARE_RANGE and WRITE_ZEROES are EOPNOTSUPP (the
  // latter as on a device without unmapping write-zeroes). Every mode
  // sets mtime and ctime first (file_modified). Errors: EINVAL
  // collapse/insert not block-aligned, collapse reaching EOF, insert at or
  // past it; EFBIG insert past s_maxbytes; ENOSPC (what was allocated
  // stays); EIO.
  Errno allocate(Inode& ip, int mode, off_t64 off, off_t64 len) override;
  // fspacectl / VOP_DEALLOCATE: punch-hole semantics, clipped at EOF.
  Errno deallocate(Inode& ip, off_t64* off, off_t64* len, int flags, IoFlags ioflag) override;
  Result<off_t64> seek_data_hole(Inode& ip, off_t64 off, int whence) override;
  // ext4_llseek for files (SEEK_DATA/SEEK_HOLE through iomap, s_maxbytes
  // the limit); ext4_dir_llseek for directories: an indexed directory
  // (dir_index, or one of a single block) seeks against LLONG_MAX as its
  // end (ext4_get_htree_eof).
  Result<off_t64> llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) override;
  Errno fadvise(Inode& ip, off_t64 off, off_t64 len, int advice) override;
  // FS_IOC_FIEMAP through iomap_fiemap (UNWRITTEN, DELALLOC|UNKNOWN);
  // device nodes and FIFOs have none (EOPNOTSUPP).
  Errno ioctl(Inode& ip, unsigned long cmd, void* arg) override;
  // ext4_fileattr_set: setting IMMUTABLE on a regular file first writes
  // it back and write-protects its mappings, so a later store through one
  // faults (and page_mkwrite refuses it).
  Errno fileattr_set(Inode& ip, FsXattr* fa) override;
  // Regular files and directories have fileattr ops; device nodes, FIFOs
  // and symlinks not (ext4_special_inode_operations).
  bool has_fileattr(const Inode& ip) const override { return ip.is_reg() || ip.is_dir(); }
  // No ->remap_file_range: FICLONE, FICLONERANGE and FIDEDUPERANGE are
  // EOPNOTSUPP, copy_file_range copies.
  bool can_fiemap() const override { return true; }
  bool fmode_nowait() const override { return true; }
  bool can_odirect() const override { return true; }
  bool fop_dontcache() const override { return true; }
  // ext4_release_file: a file truncated to 0 since has its delayed blocks
  // written back.
  Errno close(Inode& ip, bool writable) override;
  Errno mmap(Inode& ip, int prot, int flags) override;
  Result<std::shared_ptr<PhysPage>> fault(Inode& ip, uint64_t pgoff, bool write) override;
  // ext4_page_mkwrite: SIGBUS (EPERM) on an immutable file.
  Result<std::shared_ptr<PhysPage>> page_mkwrite(Inode& ip, uint64_t pgoff) override;

 protected:
  // ext4_cross_rename: both directories' mtime and ctime and both
  // inodes' ctime.
  void exchange_times(Inode& dir1, Inode& ip1, Inode& dir2, Inode& ip2) override;
};

Ext4VnodeOps& ext4_vnode_ops();

}  // namespace vfssim

#endif  // VFSSIM_FS_EXT4_EXT4_FILE_H_
