// Open file descriptions and the FileOps table behind them.
//
// FileOps models FreeBSD's struct fileops (fo_read, fo_write, fo_fspacectl,
// ...): what an open file does, chosen when it is opened. Vnode-backed files
// use VnFileOps, which dispatches to the vnode's VOPs as FreeBSD's vn_fileops
// does; a file type may implement an op directly (memfd/shm objects do
// fo_fspacectl themselves, as FreeBSD's shm_fspacectl). The syscall layer has
// already checked the descriptor (EBADF, ESPIPE, ...) before any fo_* runs.

#ifndef VFSSIM_VFS_FILE_H_
#define VFSSIM_VFS_FILE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>

#include "sim/address_space.h"
#include "sim/errno.h"
#include "vfs/errseq.h"
#include "vfs/iov_iter.h"
#include "vfs/kiocb.h"
#include "vfs/uapi.h"
#include "vfs/vnode.h"

namespace vfssim {

class FileOps;

// File is an open file description (struct file).
struct File {
  InodeRef inode;
  int oflags = 0;     // open(2) flags as given.
  bool read = false;  // FREAD / FMODE_READ.
  bool write = false; // FWRITE / FMODE_WRITE.
  off_t64 pos = 0;
  const FileOps* ops = nullptr;
  bool memfd = false;  // An anonymous shm object: seals apply.
  // FMODE_PATH: an O_PATH descriptor. It names a file without opening it:
  // only the calls that take O_PATH descriptors (Process::Fdget::kRaw) see
  // it; to every other call it is EBADF.
  bool path = false;
  // What this description has seen of its inode's writeback errseq
  // (f_wb_err: fsync, fdatasync, msync, O_SYNC writes report through it)
  // and of its superblock's (f_sb_err: syncfs), sampled at open
  // (do_dentry_open). A description made some other way (pipes, memfds)
  // starts at 0, which is what a sample of an errseq without errors is.
  ErrSeq::Value f_wb_err = 0;
  ErrSeq::Value f_sb_err = 0;

  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  // An installed file keeps its filesystem busy (umount says EBUSY).
  ~File();
  void mark_installed();

 private:
  bool installed_ = false;
};

// FileOps: what an open file does. Offsets are validated by the caller.
class FileOps {
 public:
  virtual ~FileOps() = default;

  // seekable: positioned I/O and lseek are allowed (FreeBSD's DFLAG_SEEKABLE;
  // Linux's FMODE_PREAD/FMODE_LSEEK). Pipes and FIFOs are not (ESPIPE).
  virtual bool seekable() const = 0;

  // fo_read/fo_write move data at iocb.pos (ignored when not seekable)
  // between the file and the iterator, which is the only way to the
  // caller's buffer (Linux's ->read_iter/->write_iter, FreeBSD's
  // fo_read(uio)). Partial progress is reported; a short copy ends the call
  // with the bytes before it and the iterator's fault errno.
  virtual IoResult fo_read(File& fp, const Kiocb& iocb, IovIter& to) const = 0;
  virtual IoResult fo_write(File& fp, const Kiocb& iocb, IovIter& from) const = 0;

  // fo_truncate sets the size for ftruncate(2) and open's O_TRUNC, which
  // ask for mtime and ctime to be set whatever the size was (do_truncate
  // with ATTR_MTIME | ATTR_CTIME). Errors: EINVAL not a regular file; EPERM
  // sealed.
  virtual Errno fo_truncate(File& fp, off_t64 size) const = 0;

  // fo_stat fills `st`.
  virtual Errno fo_stat(File& fp, Stat* st) const = 0;

  // fo_fsync: fsync/fdatasync (the whole file: 0, kOffMax), msync(MS_SYNC)
  // of a mapping made through `fp` (the mapped bytes), and the sync after
  // an O_SYNC/O_DSYNC write (the bytes written): bytes [start, end] and the
  // metadata (Linux's vfs_fsync_range -> ->fsync). Errors: EINVAL the file
  // cannot be synced; EIO (or another writeback errno) writeback failed
  // now, or failed since this description last looked (its f_wb_err).
  virtual Errno fo_fsync(File& fp, off_t64 start, off_t64 end, bool datasync) const = 0;

  // fo_fallocate runs a validated fallocate mode. Errors: EOPNOTSUPP.
  virtual Errno fo_fallocate(File& fp, int mode, off_t64 off, off_t64 len) const = 0;

  // fo_fspacectl runs a validated fspacectl command on [*off, *off+*len),
  // leaving the unprocessed remainder there on every return.
  // Errors: ENODEV not a regular file; EPERM write-sealed; EINTR; ENOSPC; EIO.
  virtual Errno fo_fspacectl(File& fp, int cmd, off_t64* off, off_t64* len,
                             int flags) const = 0;

  // fo_llseek moves the file position for lseek(2) (->llseek), after the
  // syscall checked the descriptor, the whence (SEEK_SET..SEEK_HOLE) and
  // seekable(). It stores and returns the new position; on error the
  // position stays. Errors: EINVAL a result out of range, or a whence the
  // file does not support; ENXIO SEEK_DATA/SEEK_HOLE past the data.
  virtual Result<off_t64> fo_llseek(File& fp, off_t64 off, int whence) const = 0;

  // fo_ioctl handles a command the VFS did not. Errors: ENOTTY.
  virtual Errno fo_ioctl(File& fp, unsigned long cmd, void* arg) const = 0;

  // fo_close runs when the last descriptor for `fp` is closed.
  virtual Errno fo_close(File& fp) const = 0;

  // fo_mmap_supported_flags: mmap flags beyond LEGACY_MAP_MASK that this
  // file accepts under MAP_SHARED_VALIDATE (->mmap_supported_flags); the
  // hook MAP_SYNC and MAP_DIRECT go through.
  virtual int fo_mmap_supported_flags(File&) const { return 0; }

  // fo_mmap lets the file accept a mapping with `prot` and `flags` (after
  // the syscall's own checks) and returns the VmOps for it (->mmap), or
  // nullptr for anonymous memory in its place (/dev/zero's mmap_zero).
  // Errors: ENODEV the file cannot be mapped; EOPNOTSUPP a flag it cannot
  // honour; EPERM a seal forbids it.
  virtual Result<VmOps*> fo_mmap(File& fp, int prot, int flags) const = 0;

  // fmode_nowait: the open file accepts RWF_NOWAIT (FMODE_NOWAIT, which
  // the filesystem or driver sets at open); by default the filesystem says.
  virtual bool fmode_nowait(const File& fp) const;

  // fmode_can_odirect: the file may be open O_DIRECT (FMODE_CAN_ODIRECT);
  // by default regular files ask their filesystem and other files may.
  virtual bool fmode_can_odirect(const File& fp) const;

  // has_splice_read / has_splice_write: sendfile(2) and splice(2) may read
  // from / write to the file (->splice_read / ->splice_write); without,
  // they are EINVAL. By default regular files have both
  // (filemap_splice_read, iter_file_splice_write) and other files neither;
  // pipes take the pipe path instead.
  virtual bool has_splice_read(const File& fp) const;
  virtual bool has_splice_write(const File& fp) const;
};

// VnFileOps: vnode-backed files (FreeBSD's vn_fileops): each op becomes the
// matching VOP; fo_fspacectl is vn_fspacectl -> vn_deallocate.
class VnFileOps : public FileOps {
 public:
  static const VnFileOps& instance();

  bool seekable() const override { return true; }
  IoResult fo_read(File& fp, const Kiocb& iocb, IovIter& to) const override;
  // VOP_WRITE, then generic_write_sync: a DSYNC/SYNC request is made
  // durable (fo_fsync, through this description) before returning, and a
  // sync failure is the call's error, as in Linux.
  IoResult fo_write(File& fp, const Kiocb& iocb, IovIter& from) const override;
  // VnodeOps::setsize with times.
  Errno fo_truncate(File& fp, off_t64 size) const override;
  Errno fo_stat(File& fp, Stat* st) const override;
  // VOP_FSYNC, then file_check_and_advance_wb_err, as XFS's and ext4's
  // ->fsync do (file_write_and_wait_range): VOP_FSYNC's own error first,
  // else what the inode's errseq gained since `fp` last looked. A memory
  // filesystem never records a writeback error, so it answers 0 there too.
  Errno fo_fsync(File& fp, off_t64 start, off_t64 end, bool datasync) const override;
  Errno fo_fallocate(File& fp, int mode, off_t64 off, off_t64 len) const override;
  Errno fo_fspacectl(File& fp, int cmd, off_t64* off, off_t64* len, int flags) const override;
  // The filesystem's llseek (VnodeOps::llseek) at the file's position.
  Result<off_t64> fo_llseek(File& fp, off_t64 off, int whence) const override;
  Errno fo_ioctl(File& fp, unsigned long cmd, void* arg) const override;
  // Runs VOP_CLOSE (->release; filesystems with a page cache start
  // writeback here) and returns 0 whatever it says: close(2) reports only
  // ->flush, which XFS, ext4 and tmpfs do not have, and fput ignores
  // ->release's value (host probe errseq.jsonl: close_no_report). A
  // writeback error stays in the errseq for the next fsync.
  Errno fo_close(File& fp) const override;
  // MAP_SYNC is declared, as XFS and ext4 do; the filesystem's mmap op
  // refuses it for files that are not DAX.
  int fo_mmap_supported_flags(File&) const override;
  Result<VmOps*> fo_mmap(File& fp, int prot, int flags) const override;
};

// file_check_and_advance_wb_err reports what the errseq of `fp`'s inode
// gained since `fp` last looked, and moves `fp` past it (mm/filemap.c).
Errno file_check_and_advance_wb_err(File& fp);

// FifoData: a FIFO's buffer and how many open files read and write it,
// kept on its inode.
struct FifoData : InodeData {
  std::deque<std::byte> buffer;
  int readers = 0;
  int writers = 0;
};

// FifoFileOps: named pipes (Linux's fs/pipe.c). Not seekable. An empty pipe
// reads 0 once no writer is left, else EAGAIN (O_NONBLOCK; and where Linux
// would sleep, since nothing else runs while the simulation waits); a write
// with no reader is EPIPE. Writes append.
class FifoFileOps : public FileOps {
 public:
  static const FifoFileOps& instance();

  // open counts `fp` as a reader and/or writer (fifo_open): an O_WRONLY |
  // O_NONBLOCK open with no reader is ENXIO. A blocking open without the
  // other end succeeds at once, where Linux would wait for it.
  static Errno open(File& fp);

  bool seekable() const override { return false; }
  IoResult fo_read(File& fp, const Kiocb& iocb, IovIter& to) const override;
  IoResult fo_write(File& fp, const Kiocb& iocb, IovIter& from) const override;
  Errno fo_truncate(File&, off_t64) const override { return Errno::kEINVAL; }
  Errno fo_stat(File& fp, Stat* st) const override;
  Errno fo_fsync(File&, off_t64, off_t64, bool) const override { return Errno::kEINVAL; }
  Errno fo_fallocate(File&, int, off_t64, off_t64) const override { return Errno::kESPIPE; }
  Errno fo_fspacectl(File&, int, off_t64*, off_t64*, int) const override {
    return Errno::kESPIPE;
  }
  Result<off_t64> fo_llseek(File&, off_t64, int) const override { return Fail(Errno::kESPIPE); }
  Errno fo_ioctl(File&, unsigned long, void*) const override { return Errno::kENOTTY; }
  Errno fo_close(File& fp) const override;
  Result<VmOps*> fo_mmap(File&, int, int) const override { return Fail(Errno::kENODEV); }
};

}  // namespace vfssim

#endif  // VFSSIM_VFS_FILE_H_
