// Inodes (vnodes) and the VnodeOps table a filesystem implements.
//
// VnodeOps models FreeBSD's vnode_if.src (VOP_*) with Linux's names where
// Linux has the operation; VopDefaults holds the generic fallbacks
// (vop_std<op>, as in FreeBSD's vfs_default.c) a filesystem inherits for
// whatever it does not implement. vn_deallocate is the public KPI over
// VOP_DEALLOCATE.
//
// Locking: a simulation runs on one thread; the VFS calls every op as if it
// held the vnode lock exclusively, so ops never lock.
//
//   class ShmVnodeOps : public VopDefaults {
//     IoResult read(Inode& ip, const Kiocb& iocb, IovIter& to) override;
//     ...   // no deallocate(): VOP_DEALLOCATE falls back to vop_stddeallocate
//   };

#ifndef VFSSIM_VFS_VNODE_H_
#define VFSSIM_VFS_VNODE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "sim/address_space.h"
#include "sim/clock.h"
#include "sim/creds.h"
#include "sim/errno.h"
#include "vfs/iov_iter.h"
#include "vfs/kiocb.h"
#include "vfs/page_cache.h"
#include "vfs/uapi.h"

namespace vfssim {

class Superblock;
class VnodeOps;

// VType is the vnode type (FreeBSD's enum vtype; Linux's S_IFMT).
enum class VType : uint8_t { kReg, kDir, kFifo, kChr, kBlk, kLnk };

// In-kernel inode flags (Linux's S_* inode flags, plus this project's
// prototypes: the seeds' IOMAP_IMMUTABLE and MAP_DIRECT's IOMAP_SEALED).
enum InodeFlag : uint32_t {
  kInodeImmutable = 1u << 0,       // S_IMMUTABLE: no change at all.
  kInodeAppend = 1u << 1,          // S_APPEND: writes only at EOF.
  kInodeNoatime = 1u << 2,         // S_NOATIME.
  kInodeDax = 1u << 3,             // S_DAX: file data accessed directly.
  kInodeSwapfile = 1u << 4,        // S_SWAPFILE: an active swapfile.
  kInodeIomapImmutable = 1u << 5,  // Block map may not change (seed 003).
  kInodeIomapSealed = 1u << 6,     // MAP_DIRECT holds the block map sealed.
  // FS_NODUMP_FL: kept by the filesystem (shmem's fsflags, XFS's
  // XFS_DIFLAG_NODUMP) and only reported back; no S_* flag means it.
  kInodeNodump = 1u << 7,
};

// Stat is what fstat/stat report (struct stat, reduced).
struct Stat {
  uint64_t ino = 0;
  VType type = VType::kReg;
  uint32_t mode = 0;  // Permission bits only.
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t nlink = 0;
  uint64_t size = 0;
  uint64_t blocks = 0;  // 512-byte units allocated.
  uint32_t blksize = 4096;
  uint32_t rdev = 0;  // Device number of a device node (kernel dev_t, makedev()).
  Timespec atime, mtime, ctime;
  Timespec btime;  // Birth time (statx's stx_btime; STATX_BTIME on tmpfs and XFS).
};

// Iattr is what setattr changes (struct iattr without the size, which
// setsize handles): `valid` says which fields count, with Linux's ATTR_*
// bits.
enum IattrValid : uint32_t {
  kAttrMode = 1u << 0,
  kAttrUid = 1u << 1,
  kAttrGid = 1u << 2,
  kAttrAtime = 1u << 4,
  kAttrMtime = 1u << 5,
  kAttrCtime = 1u << 6,
  kAttrAtimeSet = 1u << 7,  // atime is the caller's value, not "now".
  kAttrMtimeSet = 1u << 8,
  kAttrTimesSet = 1u << 16,  // Either time is explicit (utimensat with values).
  kAttrTouch = 1u << 17,     // utimensat(NULL) or both UTIME_NOW.
};
struct Iattr {
  uint32_t valid = 0;
  uint32_t mode = 0;  // Permission bits.
  uint32_t uid = 0;
  uint32_t gid = 0;
  Timespec atime, mtime, ctime;
};

struct File;
struct Inode;
using InodeRef = std::shared_ptr<Inode>;

// PageMapper is anything that maps an inode's pages into an address space
// and must drop those mappings before the pages change identity (Linux's
// i_mmap tree walked by unmap_mapping_range). Address spaces register one
// per VMA of a file.
class PageMapper {
 public:
  virtual ~PageMapper() = default;
  // unmap_pages drops every mapping of page indexes [first, last] of `ip`.
  virtual void unmap_pages(const Inode& ip, uint64_t first, uint64_t last) = 0;
};

// InodeData is a filesystem's private per-inode state (its page map, its
// extent tree). The filesystem owns its meaning.
struct InodeData {
  virtual ~InodeData() = default;
};

// Inode is the VFS object for a file of any type. Fields are read and
// written by the VFS and the owning filesystem; "seals" and
// "map_direct_count" belong to the memfd and MAP_DIRECT prototypes.
struct Inode : std::enable_shared_from_this<Inode> {
  Superblock* sb = nullptr;
  uint64_t ino = 0;
  VType type = VType::kReg;
  uint32_t mode = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t nlink = 0;
  uint64_t size = 0;
  Timespec atime, mtime, ctime;
  // When the inode was made (shmem's i_crtime, XFS's di_crtime); nothing
  // changes it.
  Timespec btime;
  uint32_t flags = 0;  // InodeFlag bits.
  uint32_t rdev = 0;   // i_rdev: the device a kChr/kBlk node names (makedev()).
  uint32_t seals = 0;  // kF_SEAL_* (memfd/shm objects).
  uint64_t map_direct_count = 0;
  // I_LINKABLE: an O_TMPFILE inode (opened without O_EXCL) that linkat may
  // still give a name although its link count is 0.
  bool linkable = false;

  // A symlink's target (i_link); its size is the target's length.
  std::string link;
  // Extended attributes, by full name ("user.x"), kept in memory as tmpfs's
  // simple_xattrs are; the VFS checks names, sizes and permissions.
  absl::btree_map<std::string, std::string, std::less<>> xattrs;
  // flock(2) locks held on this inode: the open file description holding
  // each and whether it is exclusive, in the order they were taken.
  std::vector<std::pair<const File*, bool>> flocks;

  // Directories: the entries (not "." or ".."), the parent, and a
  // filesystem mounted on this directory, if any.
  absl::btree_map<std::string, InodeRef, std::less<>> entries;
  Inode* parent = nullptr;
  Superblock* mounted = nullptr;

  std::unique_ptr<InodeData> data;

  // The page cache (i_mapping) for filesystems that use one, and who maps
  // this inode's pages (i_mmap).
  PageCache cache;
  std::vector<PageMapper*> mappers;  // One entry per VMA mapping the inode.
  uint64_t writable_mappings = 0;    // Shared writable VMAs (F_SEAL_WRITE's EBUSY).

  VnodeOps& ops() const;
  bool is_reg() const { return type == VType::kReg; }
  bool is_dir() const { return type == VType::kDir; }
};

// is_under: directory `dir` is `ancestor` or below it (by the parent
// links, within one filesystem).
bool is_under(const Inode& dir, const Inode& ancestor);

// VnodeOps: the operations a filesystem implements on its vnodes (FreeBSD's
// VOP_* table; Linux's inode_operations plus the data side of
// file_operations). Offsets and lengths are validated by the VFS before any
// op is called ("the VFS checks once, the filesystem acts").
// remap_range's flags (REMAP_FILE_*).
inline constexpr unsigned kRemapFileDedup = 1u << 0;
inline constexpr unsigned kRemapFileCanShorten = 1u << 1;

class VnodeOps {
 public:
  virtual ~VnodeOps() = default;

  // lookup finds `name` in directory `dir`. Errors: ENOENT.
  virtual Result<InodeRef> lookup(Inode& dir, std::string_view name) = 0;

  // create makes a new inode of `type` named `name` in `dir`, owned by `cr`.
  // Errors: EEXIST the name exists; ENOSPC no inode can be allocated.
  virtual Result<InodeRef> create(Inode& dir, std::string_view name, VType type,
                                  uint32_t mode, const Creds& cr) = 0;

  // remove unlinks non-directory `name` from `dir` (VOP_REMOVE).
  // Errors: ENOENT; EISDIR the entry is a directory.
  virtual Errno remove(Inode& dir, std::string_view name) = 0;

  // rmdir removes empty directory `name` (VOP_RMDIR).
  // Errors: ENOENT; ENOTDIR not a directory; ENOTEMPTY.
  virtual Errno rmdir(Inode& dir, std::string_view name) = 0;

  // symlink makes a symbolic link `name` in `dir` whose target is
  // `target` (->symlink). Errors: EEXIST; ENOSPC.
  virtual Result<InodeRef> symlink(Inode& dir, std::string_view name, std::string_view target,
                                   const Creds& cr) = 0;

  // link gives `ip` (not a directory) the further name `name` in `dir`,
  // raising its link count (->link). Errors: EEXIST; EMLINK.
  virtual Errno link(Inode& dir, std::string_view name, Inode& ip) = 0;

  // tmpfile makes a regular file with no name (link count 0) on the
  // filesystem of `dir`, for O_TMPFILE (->tmpfile). Errors: EOPNOTSUPP the
  // filesystem has none; ENOSPC.
  virtual Result<InodeRef> tmpfile(Inode& dir, uint32_t mode, const Creds& cr) = 0;

  // setattr stores the fields `ia.valid` names (->setattr without
  // ATTR_SIZE); the VFS has checked them (notify_change).
  virtual Errno setattr(Inode& ip, const Iattr& ia) = 0;

  // rename moves `from_name` in `from_dir` to `to_name` in `to_dir`,
  // replacing a compatible target (VOP_RENAME, ->rename). Both directories
  // are on this filesystem. `flags` are renameat2's, checked by the VFS:
  // kRENAME_NOREPLACE (the VFS has seen that the target does not exist),
  // kRENAME_EXCHANGE (both exist: the two entries swap), kRENAME_WHITEOUT.
  // Errors: ENOENT; EISDIR/ENOTDIR type mismatch with the target;
  // ENOTEMPTY target directory not empty; EINVAL moving a directory under
  // itself, or a flag the filesystem does not support.
  virtual Errno rename(Inode& from_dir, std::string_view from_name, Inode& to_dir,
                       std::string_view to_name, unsigned flags) = 0;

  // read copies file data at [iocb.pos, iocb.pos + to.count()) into `to`,
  // stopping at EOF (VOP_READ, ->read_iter). Every byte goes through the
  // iterator; a copy that comes up short (a fault in the caller's buffer)
  // ends the read with the bytes before it and to.fault_errno() (EFAULT, or
  // a safecopy's EDEADLK). iocb.flags: kDirect routes to direct I/O where
  // the filesystem has it; kNowait answers EAGAIN instead of reading
  // storage. Returns bytes read before an error.
  virtual IoResult read(Inode& ip, const Kiocb& iocb, IovIter& to) = 0;

  // write stores the bytes of `from` at iocb.pos, extending the size past
  // EOF, updating mtime/ctime (VOP_WRITE, ->write_iter). Data comes only
  // through the iterator; a short copy ends the write with what was stored
  // and from.fault_errno(). Partial progress is reported: ENOSPC after some
  // bytes returns {bytes, ENOSPC}. iocb.flags as for read; kDsync/kSync
  // are honoured by the VFS after the write returns.
  virtual IoResult write(Inode& ip, const Kiocb& iocb, IovIter& from) = 0;

  // write_iter_checks is what a filesystem's ->write_iter refuses before
  // generic_write_checks, for a write on a regular file that reaches it
  // (every write(2)/pwrite(2), and vectored ones with bytes to write):
  // ext4's EPERM on an immutable file, its EOPNOTSUPP on a buffered
  // RWF_NOWAIT write. The default refuses nothing.
  virtual Errno write_iter_checks(Inode& ip, const Kiocb& iocb) = 0;

  // getattr fills `st` (VOP_GETATTR).
  virtual Errno getattr(Inode& ip, Stat* st) = 0;

  // setsize truncates or extends to `size` (->setattr with ATTR_SIZE,
  // VOP_SETATTR with va_size); extension leaves a hole. `times`: the VFS
  // asks for mtime and ctime to be set (do_truncate's ATTR_MTIME |
  // ATTR_CTIME, which ftruncate(2) and open's O_TRUNC pass and truncate(2)
  // does not). Without it each filesystem has its own rule for when they
  // change anyway (a size change, on every filesystem here).
  virtual Errno setsize(Inode& ip, off_t64 size, bool times) = 0;

  // fsync makes bytes [start, end] of the file durable, and its metadata
  // (VOP_FSYNC; Linux's ->fsync(file, start, end, datasync)): fsync(2)
  // and syncfs pass the whole file (vfs_fsync: 0, LLONG_MAX), msync(2)
  // the mapping's range, an O_SYNC write the bytes it wrote
  // (generic_write_sync). datasync: fdatasync. Errors: this call's own
  // writeback failure (EIO), which writeback has also recorded in the
  // inode's errseq (mapping_set_error); the VFS then reports per open file
  // what that errseq gained (VnFileOps::fo_fsync).
  virtual Errno fsync(Inode& ip, off_t64 start, off_t64 end, bool datasync) = 0;

  // allocate implements a validated fallocate mode (VOP_ALLOCATE / Linux
  // ->fallocate). Errors: EOPNOTSUPP the mode is not supported; ENOSPC.
  virtual Errno allocate(Inode& ip, int mode, off_t64 off, off_t64 len) = 0;

  // deallocate zeroes [*off, *off+*len), freeing space where it can
  // (VOP_DEALLOCATE). On every return, *off and *len describe what is left:
  // *len == 0 means done (the range was clipped at EOF); an op may return
  // early with *len > 0 and no error (vn_deallocate calls it again).
  virtual Errno deallocate(Inode& ip, off_t64* off, off_t64* len, int flags, IoFlags ioflag) = 0;

  // seek_data_hole answers SEEK_DATA/SEEK_HOLE from `off`.
  // Errors: ENXIO off is at or past EOF, or (SEEK_DATA) no data after off.
  virtual Result<off_t64> seek_data_hole(Inode& ip, off_t64 off, int whence) = 0;

  // llseek answers lseek(2) on a regular file or directory of this
  // filesystem (Linux's file_operations.llseek): the new position for
  // moving `off` from `whence` (SEEK_SET..SEEK_HOLE, already checked by the
  // VFS) when the file is at `pos`. The VFS stores the answer as the file
  // position; on error the position stays. Errors: EINVAL a result below 0
  // or past the filesystem's limit, or a whence it does not support; ENXIO
  // SEEK_DATA/SEEK_HOLE at or past EOF, or below 0.
  virtual Result<off_t64> llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) = 0;

  // fileattr_fill adds what only the filesystem knows to FS_IOC_FSGETXATTR's
  // answer for `ip` (->fileattr_get beyond the generic flags): extent
  // counts, extent size hints, its own flags (XFS_DIFLAG_PREALLOC). The
  // default adds nothing.
  virtual void fileattr_fill(const Inode& ip, FsXattr* fa) const = 0;

  // fileattr_set is ->fileattr_set for FS_IOC_FSSETXATTR: `fa` is what the
  // caller asked for, after the VFS dropped the read-only flags (PREALLOC,
  // HASATTR) and ran fileattr_set_prepare. The filesystem refuses what it
  // does not support, stores what only it keeps (extent size hints, its own
  // flags), and leaves the generic flags (IMMUTABLE, APPEND, NOATIME,
  // NODUMP, DAX) in fa->fsx_xflags for the VFS to apply. The default takes
  // the generic flags only. Errors: EOPNOTSUPP a flag or field it does not
  // have; EINVAL one it has but not with these values.
  virtual Errno fileattr_set(Inode& ip, FsXattr* fa) = 0;

  // has_fileattr: FS_IOC_GETFLAGS/SETFLAGS/FSGETXATTR/FSSETXATTR apply to
  // `ip` (Linux's "inode->i_op->fileattr_get != NULL"); without it those
  // commands go to the open file's own ioctl (ENOIOCTLCMD, then vfs_ioctl).
  virtual bool has_fileattr(const Inode& ip) const = 0;

  // fadvise takes posix_fadvise's `advice` (kPOSIX_FADV_*) for [off, off +
  // len) of `ip`, len 0 meaning to EOF (generic_fadvise, after the VFS's
  // EBADF/ESPIPE/len checks). Errors: EINVAL an unknown advice.
  virtual Errno fadvise(Inode& ip, off_t64 off, off_t64 len, int advice) = 0;

  // ioctl handles filesystem-specific commands (FIEMAP, ...).
  // Errors: ENOTTY unknown command; EOPNOTSUPP known but unsupported here.
  virtual Errno ioctl(Inode& ip, unsigned long cmd, void* arg) = 0;

  // remap_range shares (clone) or dedupes (kRemapFileDedup) src's range
  // into dst (->remap_file_range); len 0 means to the source's EOF. With
  // kRemapFileCanShorten the filesystem may remap less than asked (a
  // block-aligned prefix); without it a range it would shorten is EINVAL.
  // Returns bytes remapped. Errors: EOPNOTSUPP no reflink support; EINVAL
  // misaligned or out of range; with dedupe, the ranges are compared first
  // and EBADE means they differ.
  virtual Result<uint64_t> remap_range(Inode& src, off_t64 src_off, Inode& dst,
                                       off_t64 dst_off, uint64_t len, unsigned remap_flags) = 0;

  // close runs when the last descriptor of an open file goes and no
  // mapping made through it holds it (VOP_CLOSE, ->release; a file closed
  // while mapped goes with its last mapping, without it). `writable`: the
  // file was open for writing (FMODE_WRITE), which XFS's ->release looks
  // at before trimming post-EOF blocks. Filesystems may start writeback.
  // Errors: as writeback's; close(2) does not report them
  // (VnFileOps::fo_close), they stay in the errseq for the next fsync.
  virtual Errno close(Inode& ip, bool writable) = 0;

  // mmap is the filesystem's say on a new mapping (->mmap): `flags` are the
  // mmap flags (MAP_SYNC among them, once MAP_SHARED_VALIDATE let it
  // through), prot the protections.
  // Errors: ENODEV the filesystem cannot map files; EOPNOTSUPP it cannot
  // honour a flag (MAP_SYNC without DAX); EPERM a seal forbids it.
  virtual Errno mmap(Inode& ip, int prot, int flags) = 0;

  // fault returns the physical page for file page `pgoff` (->fault); write:
  // a store to a shared mapping (DAX allocates).
  // Errors: EFAULT wholly past EOF; EIO (poison, device); ENOSPC.
  virtual Result<std::shared_ptr<PhysPage>> fault(Inode& ip, uint64_t pgoff, bool write) = 0;

  // page_mkwrite prepares page `pgoff` for its first store through a shared
  // mapping (->page_mkwrite): reserve space, dirty it, update mtime. It may
  // return a different page to map (DAX), or nullptr to keep the one mapped.
  // Errors: ENOSPC; EFAULT past EOF (truncated meanwhile); EIO.
  virtual Result<std::shared_ptr<PhysPage>> page_mkwrite(Inode& ip, uint64_t pgoff) = 0;

  // can_remap: the filesystem has a remap op at all (Linux's
  // "f_op->remap_file_range != NULL"), which the VFS checks before it
  // validates a dedupe range.
  virtual bool can_remap() const = 0;

  // can_fiemap: the filesystem answers FS_IOC_FIEMAP (Linux's
  // "inode->i_op->fiemap != NULL"); without it the ioctl is EOPNOTSUPP
  // before its argument is read.
  virtual bool can_fiemap() const = 0;

  // fmode_nowait: files of this filesystem accept RWF_NOWAIT (Linux's
  // FMODE_NOWAIT); without it preadv2/pwritev2 say EOPNOTSUPP.
  virtual bool fmode_nowait() const = 0;

  // can_odirect: files may be opened O_DIRECT (FMODE_CAN_ODIRECT); without
  // it open(2) and fcntl(F_SETFL) say EINVAL.
  virtual bool can_odirect() const = 0;

  // fop_dontcache: buffered I/O may ask to drop its pages afterwards
  // (FOP_DONTCACHE); without it RWF_DONTCACHE is EOPNOTSUPP.
  virtual bool fop_dontcache() const = 0;
};

// VopDefaults holds the generic fallbacks, each named after the kernel
// function it models. Filesystems derive from it.
class VopDefaults : public VnodeOps {
 public:
  // An in-memory directory (Inode::entries), like a dcache-only filesystem.
  Result<InodeRef> lookup(Inode& dir, std::string_view name) override;
  Result<InodeRef> create(Inode& dir, std::string_view name, VType type, uint32_t mode,
                          const Creds& cr) override;
  Errno remove(Inode& dir, std::string_view name) override;
  Errno rmdir(Inode& dir, std::string_view name) override;
  // simple_rename (simple_offset_rename): the target replaced, then
  // simple_rename_timestamp (both directories' mtime and ctime, the moved
  // and the replaced inode's ctime). kRENAME_EXCHANGE swaps the entries
  // (simple_rename_exchange) and stamps them with exchange_times.
  // kRENAME_WHITEOUT: EINVAL, as no directory here holds whiteouts.
  Errno rename(Inode& from_dir, std::string_view from_name, Inode& to_dir,
               std::string_view to_name, unsigned flags) override;
  // A new kLnk inode holding the target (page_symlink / an inline link).
  Result<InodeRef> symlink(Inode& dir, std::string_view name, std::string_view target,
                           const Creds& cr) override;
  // simple_link: a new entry, nlink + 1, ctime of both.
  Errno link(Inode& dir, std::string_view name, Inode& ip) override;
  // An unnamed inode of the in-memory directory's filesystem (as
  // shmem_tmpfile / xfs_vn_tmpfile give).
  Result<InodeRef> tmpfile(Inode& dir, uint32_t mode, const Creds& cr) override;
  // setattr_copy.
  Errno setattr(Inode& ip, const Iattr& ia) override;

  Errno write_iter_checks(Inode&, const Kiocb&) override { return Errno::kOk; }
  // generic_fillattr: from the inode; blocks from size.
  Errno getattr(Inode& ip, Stat* st) override;
  // Nothing is volatile in a memory filesystem.
  Errno fsync(Inode&, off_t64, off_t64, bool) override { return Errno::kOk; }
  // No ->fallocate: EOPNOTSUPP (vfs_fallocate's "!file->f_op->fallocate").
  Errno allocate(Inode&, int, off_t64, off_t64) override { return Errno::kEOPNOTSUPP; }
  // vop_stddeallocate (FreeBSD vfs_default.c).
  Errno deallocate(Inode& ip, off_t64* off, off_t64* len, int flags, IoFlags ioflag) override;
  // generic_file_llseek: the whole file is data (vop_stdioctl FIOSEEKDATA).
  Result<off_t64> seek_data_hole(Inode& ip, off_t64 off, int whence) override;
  // generic_file_llseek: generic_file_llseek_size up to s_maxbytes and
  // i_size, the whole file data (vfs/lseek.h).
  Result<off_t64> llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) override;
  void fileattr_fill(const Inode&, FsXattr*) const override {}
  Errno fileattr_set(Inode& ip, FsXattr* fa) override;
  // Every inode takes the fileattr commands unless the filesystem says so.
  bool has_fileattr(const Inode&) const override { return true; }
  // No backing device (noop_backing_dev_info, as memory filesystems and
  // DAX): "no bad return value, but ignore advice".
  Errno fadvise(Inode&, off_t64, off_t64, int advice) override {
    return advice >= kPOSIX_FADV_NORMAL && advice <= kPOSIX_FADV_NOREUSE ? Errno::kOk
                                                                         : Errno::kEINVAL;
  }
  Errno ioctl(Inode&, unsigned long, void*) override { return Errno::kENOTTY; }
  Result<uint64_t> remap_range(Inode&, off_t64, Inode&, off_t64, uint64_t, unsigned) override {
    return Fail(Errno::kEOPNOTSUPP);
  }
  bool can_remap() const override { return false; }
  // Neither FMODE_NOWAIT nor FMODE_CAN_ODIRECT unless the filesystem says so.
  bool can_fiemap() const override { return false; }
  bool fmode_nowait() const override { return false; }
  bool can_odirect() const override { return false; }
  bool fop_dontcache() const override { return false; }
  Errno close(Inode&, bool) override { return Errno::kOk; }
  // No ->mmap.
  Errno mmap(Inode&, int, int) override { return Errno::kENODEV; }
  Result<std::shared_ptr<PhysPage>> fault(Inode&, uint64_t, bool) override {
    return Fail(Errno::kENODEV);
  }
  Result<std::shared_ptr<PhysPage>> page_mkwrite(Inode&, uint64_t) override { return nullptr; }

 protected:
  // exchange_times stamps a RENAME_EXCHANGE of `ip1` (was in `dir1`) and
  // `ip2` (was in `dir2`) once the entries have swapped. The default is
  // simple_rename_timestamp's: both directories' mtime and ctime, both
  // inodes' ctime.
  virtual void exchange_times(Inode& dir1, Inode& ip1, Inode& dir2, Inode& ip2);
};

// unmap_mapping_range drops every address-space mapping of page indexes
// [first, last] of `ip` (Linux's namesake), before pages are truncated,
// punched or invalidated.
void unmap_mapping_range(const Inode& ip, uint64_t first, uint64_t last);

// vop_stddeallocate zeroes the data regions of [*off, *off+*len) through
// VOP_WRITE, skipping holes (found with SEEK_DATA/SEEK_HOLE), clipping the
// range at EOF, and writing progress back to *off/*len on every exit path.
// It returns after each data region (FreeBSD's should_yield() point, made
// deterministic) with *len > 0; vn_deallocate calls it again.
Errno vop_stddeallocate(Inode& ip, off_t64* off, off_t64* len, IoFlags ioflag);

// vn_deallocate is the public KPI (FreeBSD vfs_vnops.c): validates, then
// calls VOP_DEALLOCATE until the range is done or an error occurs. Before each
// call a pending signal (fault point "sched/signal/eintr") stops it with
// EINTR, as vn_start_write(V_PCATCH) would. Progress is written back to
// *off/*len on every path.
// Errors: EINVAL *off < 0, *len <= 0, *off + *len overflows, or flags != 0;
// ENODEV not a regular file; EINTR; any VOP_DEALLOCATE error.
Errno vn_deallocate(Inode& ip, off_t64* off, off_t64* len, int flags, IoFlags ioflag);

}  // namespace vfssim

#endif  // VFSSIM_VFS_VNODE_H_
