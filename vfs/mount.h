// Superblocks, the filesystem-type registry, and the mount table.
//
//   Vfs vfs(machine);
//   register_shmfs(vfs);
//   vfs.mount("shmfs", nullptr, "size=1m", "/", Creds::root());
//   vfs.mount("shmfs", nullptr, "swap_pressure=0.1", "/tmp", Creds::root());

#ifndef VFSSIM_VFS_MOUNT_H_
#define VFSSIM_VFS_MOUNT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "drivers/blockdev.h"
#include "sim/grant.h"
#include "sim/machine.h"
#include "sim/rng.h"
#include "vfs/errseq.h"
#include "vfs/vnode.h"

namespace vfssim {

enum class DaxMode : uint8_t { kNever, kAlways, kInode };

// IpcMode: how a filesystem reaches the caller's buffer. kDirect is Linux's
// (and FreeBSD's) in-kernel copy through the iterator; kSafecopy is MINIX's
// boundary (seed 003): the VFS makes a magic grant for each user buffer and
// the filesystem copies through it with safecopy.
enum class IpcMode : uint8_t { kDirect, kSafecopy };

// PartialIo: what a MINIX filesystem server replies when a copy fails part
// way through a request — the partial count (kProper, "proper
// partial-failure semantics") or the error alone (kWhole, "fail the whole
// call", what most of seed 003's servers did).
enum class PartialIo : uint8_t { kProper, kWhole };

// MountOptions: the options every filesystem understands, plus the rest
// ("key" or "key=value") for the filesystem to interpret.
struct MountOptions {
  bool ro = false;
  bool nodev = false;  // MS_NODEV: device nodes here cannot be opened.
  DaxMode dax = DaxMode::kNever;
  uint32_t block_size = 4096;
  // cache_pressure: the probability that a buffered write is followed by
  // writeback and eviction of the inode's pages (a seeded memory-pressure
  // knob; 0 = never).
  double cache_pressure = 0;
  // ipc=direct|safecopy; cpf_try=1|0 (the magic grants carry CPF_TRY, as
  // MINIX's VFS makes them); partial_io=proper|whole.
  IpcMode ipc = IpcMode::kDirect;
  bool cpf_try = true;
  PartialIo partial_io = PartialIo::kProper;
  absl::btree_map<std::string, std::string> fs;

  // parse reads "ro,nodev,dax=always,bs=4096,cache_pressure=0.1,ipc=safecopy,size=1m".
  // Errors: EINVAL malformed.
  static Result<MountOptions> parse(std::string_view text);
};

// Kstatfs is what a filesystem reports for statfs(2) (struct kstatfs); the
// VFS adds f_flags from the mount and leaves f_frsize = f_bsize when the
// filesystem gives none.
struct Kstatfs {
  int64_t f_type = 0;  // The filesystem's magic number.
  int64_t f_bsize = 0;
  uint64_t f_blocks = 0;
  uint64_t f_bfree = 0;
  uint64_t f_bavail = 0;
  uint64_t f_files = 0;
  uint64_t f_ffree = 0;
  int64_t f_namelen = 0;
  int64_t f_frsize = 0;
};

// Superblock: one mounted filesystem instance (Linux's super_block, FreeBSD's
// struct mount). Filesystems derive from it to keep their global state.
class FileOps;

class Superblock {
 public:
  Superblock(Machine& machine, std::string fs_type, MountOptions opts, VnodeOps& ops);
  virtual ~Superblock() = default;

  // alloc_inode makes a new inode of this filesystem with nlink 0, stamped
  // with the current time, and lets the filesystem attach its data.
  InodeRef alloc_inode(VType type, uint32_t mode, const Creds& cr);

  // make_root gives a new filesystem its root directory (root-owned, 0755,
  // nlink 2 for "." and its own entry).
  void make_root();

  // init_inode attaches filesystem-private data to a new inode.
  virtual void init_inode(Inode&) {}

  // anon_file_ops is the FileOps for anonymous shm objects (memfd_create) on
  // this filesystem, or nullptr if it has none.
  virtual const FileOps* anon_file_ops() const { return nullptr; }

  // blocks reports the 512-byte units `ip` holds (st_blocks).
  virtual uint64_t blocks(const Inode& ip) const { return (ip.size + 511) / 512; }

  // statfs fills `st` (->statfs). Errors: ENOSYS the filesystem has none
  // (statfs_by_dentry's answer), the default.
  virtual Errno statfs(Kstatfs*) const { return Errno::kENOSYS; }

  // put_super runs at unmount, after the final writeback (->put_super /
  // the filesystem's own unmount work): what the filesystem still holds
  // for live inodes goes (XFS: post-EOF blocks and CoW staging). The
  // default does nothing.
  virtual void put_super() {}

  // check is the filesystem's fsck: it returns every inconsistency it finds
  // in its own structures (empty: consistent). The harness calls it after
  // every op.
  virtual std::vector<std::string> check() const { return {}; }

  // for_each_inode visits the live inodes of this filesystem, by number.
  void for_each_inode(const std::function<void(Inode&)>& fn) const;

  // touch sets mtime and ctime (a data change) or only ctime.
  void touch(Inode& ip, bool mtime = true);

  Machine& machine() const { return machine_; }
  const std::string& fs_type() const { return fs_type_; }
  const MountOptions& options() const { return opts_; }
  VnodeOps& ops() const { return ops_; }

  InodeRef root;
  off_t64 maxbytes = kOffMax;  // s_maxbytes: the largest file size.
  double cache_pressure;       // From the mount options.
  Rng cache_rng;               // Draws for cache_pressure.
  Inode* covered = nullptr;    // The directory this filesystem is mounted on.
  // MNT_RELATIME: mounted with mount(2), whose default atime policy is
  // relatime (Vfs::mount sets it). The kernel's internal mounts (shm_mnt,
  // pipefs) and superblocks made outside a Vfs have no atime policy: every
  // access may move the atime (relatime_need_update, vfs/timestamps.h).
  bool mnt_relatime = false;
  uint64_t open_files = 0;     // Installed open files on this filesystem.
  uint64_t pins = 0;           // PinnedInodes (working directories) on it.
  // s_wb_err: every writeback error of this filesystem's inodes
  // (mapping_set_error), which syncfs(2) reports per open file (f_sb_err).
  ErrSeq s_wb_err;

  // sync_fs writes back every regular inode (VOP_FSYNC on each;
  // sync_filesystem). Returns 0: a data writeback error is recorded in the
  // inode's and this superblock's errseq, where fsync and syncfs report
  // it; sync_filesystem itself returns only ->sync_fs's and the block
  // device's errors, which the simulator's filesystems do not have.
  Errno sync_fs();

 private:
  Machine& machine_;
  std::string fs_type_;
  MountOptions opts_;
  VnodeOps& ops_;
  uint64_t next_ino_ = 1;
  // Every inode allocated, for check() and for_each_inode (icache).
  absl::btree_map<uint64_t, std::weak_ptr<Inode>> inodes_;
  size_t sweep_at_ = 64;  // Sweep dead entries when inodes_ reaches this.
};

// PinnedInode holds an inode and keeps its filesystem busy while it does
// (umount says EBUSY), as a working directory's struct path holds its
// vfsmount in Linux. It must not outlive the superblock, which umount
// guarantees for the mounted ones.
class PinnedInode {
 public:
  PinnedInode() = default;
  PinnedInode(InodeRef ip) : ip_(std::move(ip)) { pin(); }  // NOLINT: an InodeRef converts.
  PinnedInode(const PinnedInode& other) : ip_(other.ip_) { pin(); }
  PinnedInode& operator=(PinnedInode other) {
    std::swap(ip_, other.ip_);
    return *this;
  }
  ~PinnedInode() {
    if (ip_ != nullptr) --ip_->sb->pins;
  }

  const InodeRef& get() const { return ip_; }

 private:
  void pin() {
    if (ip_ != nullptr) ++ip_->sb->pins;
  }
  InodeRef ip_;
};

// An FsFactory builds a superblock over `dev` (nullptr for memory
// filesystems). Errors are the mount(2) errno (EINVAL bad options, ENOTBLK
// or ENODEV wrong device, EUCLEAN/EIO a bad image, ...).
using FsFactory = std::function<Result<std::unique_ptr<Superblock>>(
    Machine&, BlockDevice* dev, const MountOptions&)>;

// SafecopyStats counts what VFS did at the MINIX boundary (ipc=safecopy).
struct SafecopyStats {
  uint64_t requests = 0;  // Filesystem requests made, repeats included.
  uint64_t repeats = 0;   // Requests repeated after a fault was resolved.
};

// Vfs: the filesystem-type registry, the mount table and the root.
class Vfs {
 public:
  explicit Vfs(Machine& machine) : machine_(machine), grants_(machine) {}

  // register_fs adds a filesystem type. Returns false if the name is taken.
  bool register_fs(std::string name, FsFactory factory);

  // mount mounts a new instance of `fs_type` over `dev` at `path` (the first
  // mount must be at "/"; a mount on a mount point stacks on top). Errors:
  // ENODEV unknown type; EPERM without CAP_SYS_ADMIN; ENOENT/ENOTDIR bad
  // path; EINVAL bad options; whatever the filesystem's factory says.
  Errno mount(std::string_view fs_type, BlockDevice* dev, std::string_view options,
              std::string_view path, const Creds& cr);

  // umount unmounts the filesystem whose root `path` names, after writing
  // back every inode (sync_filesystem; a writeback error does not stop it,
  // as on Linux). Errors: EPERM without CAP_SYS_ADMIN; lookup errors;
  // EINVAL not a mount point; EBUSY the root filesystem, or it is in use:
  // open files, mappings, a working directory on it (PinnedInode), or
  // another filesystem mounted on one of its directories.
  Errno umount(std::string_view path, const Creds& cr);

  // resolve walks `path` (absolute, or relative to `cwd`), crossing mount
  // points. Errors: ENOENT; ENOTDIR a non-final component is not a directory;
  // ENAMETOOLONG a component over 255 bytes.
  Result<InodeRef> resolve(std::string_view path, const InodeRef& cwd) const;

  // resolve_parent resolves all but the last component and returns that
  // directory and the last name ("." for "/"). Same errors as resolve.
  Result<std::pair<InodeRef, std::string>> resolve_parent(std::string_view path,
                                                          const InodeRef& cwd) const;

  InodeRef root() const { return mounts_.empty() ? nullptr : mounts_.front()->root; }

  // sync writes back every filesystem, mounted and internal (ksys_sync:
  // sync_filesystem on every superblock). Nothing is reported: errors stay
  // in the errseqs for fsync and syncfs.
  void sync();

  // find_mount returns the first mounted instance of `fs_type`, or nullptr.
  Superblock* find_mount(std::string_view fs_type) const {
    for (const auto& m : mounts_) {
      if (m->fs_type() == fs_type) return m.get();
    }
    return nullptr;
  }
  // kern_mount returns the instance of `fs_type` the kernel keeps for
  // itself, outside the namespace (Linux's shm_mnt, which memfd_create uses
  // whether or not a tmpfs is mounted anywhere): made with default options
  // on first use. Errors: ENODEV unknown type; the factory's errno.
  Result<Superblock*> kern_mount(std::string_view fs_type);

  Machine& machine() const { return machine_; }

  // grants is VFS's grant table: the magic grants it makes for user buffers
  // when a filesystem is mounted ipc=safecopy.
  GrantTable& grants() { return grants_; }
  SafecopyStats& safecopy_stats() { return safecopy_stats_; }

 private:
  Machine& machine_;
  GrantTable grants_;
  SafecopyStats safecopy_stats_;
  absl::btree_map<std::string, FsFactory, std::less<>> types_;
  std::vector<std::unique_ptr<Superblock>> mounts_;
  absl::btree_map<std::string, std::unique_ptr<Superblock>, std::less<>> kern_mounts_;
};

}  // namespace vfssim

#endif  // VFSSIM_VFS_MOUNT_H_
