// shmfs: a memory filesystem whose pages can be swapped out — Linux's tmpfs
// and, for anonymous objects (memfd_create), FreeBSD's shm with seals and
// its own fo_fspacectl (seed 000).
//
// Pages are resident, swapped (their bytes live in the superblock's swap
// store), or absent (a hole). Regular files opened by path use VnFileOps, and
// having no VOP_DEALLOCATE of their own they reach vop_stddeallocate through
// vn_deallocate. Anonymous objects use ShmFileOps, whose fo_fspacectl is
// shm_fspacectl: whole pages in the range are freed; partial pages at the
// edges are zeroed only within the range — including a partial page that is
// swapped out, which is read back from swap first (kib's vm_pager_has_page()
// point). The variant shm.dealloc_swapped_page=skip keeps the reviewed bug:
// a fresh page shadows the swapped one and its other bytes are lost.
//
// Mount options: size=N[k|m|g] (page limit, ENOSPC past it; size=0 is
// unlimited; the default is kShmDefaultSize, as tmpfs defaults to half of
// RAM — for the kernel's own instance too, which Linux leaves to the
// machine's memory, so that no request can exhaust the host's), swap_pressure=P (after each write, with probability P from the
// Rng stream "shmfs/pressure", one resident page of the file is swapped out).
//
//   register_shmfs(vfs);
//   vfs.mount("shmfs", nullptr, "size=64m,swap_pressure=0.2", "/", Creds::root());

#ifndef VFSSIM_FS_SHMFS_SHMFS_H_
#define VFSSIM_FS_SHMFS_SHMFS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "sim/page_memory.h"
#include "sim/rng.h"
#include "vfs/file.h"
#include "vfs/mount.h"
#include "vfs/vnode.h"

namespace vfssim {

inline constexpr uint64_t kShmPageSize = 4096;

// kShmDefaultSize is the size limit without size=: half of the 2 GiB of
// memory the simulated machine is taken to have.
inline constexpr uint64_t kShmDefaultSize = 1ull << 30;

using ShmPageBytes = PageBytes;
static_assert(kShmPageSize == kMemPageSize);

// A page of a file: resident (data set) or swapped (slot set), never both.
struct ShmPage {
  std::shared_ptr<ShmPageBytes> data;
  uint64_t swap_slot = 0;  // 0: not in swap.
  // Allocated by fallocate and not written since (shmem's "falloced", not
  // uptodate folio): it reads as zeros and SEEK_DATA/SEEK_HOLE see a hole,
  // as on Linux 6.18 tmpfs. A write, a fault, or a later fallocate over it
  // makes it data (the tmpfs differential pins each rule).
  bool falloc = false;
};

class ShmSuperblock;

struct ShmInodeData : InodeData {
  explicit ShmInodeData(ShmSuperblock* sb) : sb(sb) {}
  // An inode that dies gives its pages and swap slots back to the
  // filesystem (shmem_evict_inode), or they would count against the size
  // limit for ever.
  ~ShmInodeData() override;

  ShmSuperblock* sb;  // Null once the superblock itself is going.
  absl::btree_map<uint64_t, ShmPage> pages;  // Page index -> page.
};

class ShmVnodeOps : public VopDefaults {
 public:
  IoResult read(Inode& ip, const Kiocb& iocb, IovIter& to) override;
  IoResult write(Inode& ip, const Kiocb& iocb, IovIter& from) override;
  // tmpfs opens O_DIRECT since Linux 6.6 and treats it as buffered I/O,
  // with no alignment rule (host probe odirect_*); it has no FMODE_NOWAIT
  // (preadv2/pwritev2 RWF_NOWAIT: EOPNOTSUPP, host probe).
  bool can_odirect() const override { return true; }
  // shmem_setattr with ATTR_SIZE: mtime and ctime change when asked, when
  // the size changes, and when the file holds pages and does not grow
  // (shmem_truncate_range, which also drops pages past EOF, runs then and
  // stamps them) — so truncate(2) to the current size changes them on a
  // file with data and not on one without.
  Errno setsize(Inode& ip, off_t64 size, bool times) override;
  // tmpfs's fallocate: allocation (with or without KEEP_SIZE) and
  // PUNCH_HOLE|KEEP_SIZE; every other mode is EOPNOTSUPP.
  Errno allocate(Inode& ip, int mode, off_t64 off, off_t64 len) override;
  // Data is wherever a written page exists (resident or swapped); pages
  // fallocated and never written are holes.
  Result<off_t64> seek_data_hole(Inode& ip, off_t64 off, int whence) override;
  // Regular files: shmem_file_llseek (SEEK_DATA/SEEK_HOLE over the pages,
  // a negative offset ENXIO; the rest generic up to MAX_LFS_FILESIZE).
  // Directories: offset_dir_llseek, SEEK_SET and SEEK_CUR only (anything
  // else EINVAL), any position >= 0.
  Result<off_t64> llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) override;
  // generic_fillattr; a directory's size is shmem's BOGO_DIRENT_SIZE (20)
  // for each entry, "." and ".." included, as shmem_mknod/shmem_unlink keep it.
  Errno getattr(Inode& ip, Stat* st) override;
  // shmem_file/dir_inode_operations have fileattr_get; special files'
  // (shmem_special_inode_operations) and symlinks' do not.
  bool has_fileattr(const Inode& ip) const override { return ip.is_reg() || ip.is_dir(); }
  // shmem_fileattr_set: immutable, append-only, nodump and noatime; any
  // other flag or field (sync, DAX, extent size hints) is EOPNOTSUPP.
  Errno fileattr_set(Inode&, FsXattr* fa) override {
    constexpr uint32_t kShmemFlags =
        kFS_XFLAG_IMMUTABLE | kFS_XFLAG_APPEND | kFS_XFLAG_NODUMP | kFS_XFLAG_NOATIME;
    if ((fa->fsx_xflags & ~kShmemFlags) || fa->fsx_extsize != 0 || fa->fsx_cowextsize != 0 ||
        fa->fsx_projid != 0) {
      return Errno::kEOPNOTSUPP;
    }
    return Errno::kOk;
  }
  // shmem_mmap: a write-sealed object refuses shared writable mappings.
  Errno mmap(Inode& ip, int prot, int flags) override;
  // shmem_fault: the object's page (read back from swap, or a new zeroed
  // page). Errors: EFAULT past EOF; ENOSPC.
  Result<std::shared_ptr<PhysPage>> fault(Inode& ip, uint64_t pgoff, bool write) override;
  // Stores dirty nothing more in memory; mtime/ctime change.
  Result<std::shared_ptr<PhysPage>> page_mkwrite(Inode& ip, uint64_t pgoff) override;
  // tmpfs has no FIEMAP.
  Errno ioctl(Inode&, unsigned long cmd, void*) override {
    return cmd == kFS_IOC_FIEMAP ? Errno::kEOPNOTSUPP : Errno::kENOTTY;
  }
};

// ShmFileOps: anonymous shm objects (memfd_create). Writes honour
// F_SEAL_WRITE; fo_fspacectl is shm_fspacectl.
// shm_vnode_ops is the one ShmVnodeOps every shmfs superblock uses.
ShmVnodeOps& shm_vnode_ops();

class ShmFileOps : public VnFileOps {
 public:
  static const ShmFileOps& instance();

  IoResult fo_write(File& fp, const Kiocb& iocb, IovIter& from) const override;
  Errno fo_fspacectl(File& fp, int cmd, off_t64* off, off_t64* len, int flags) const override;
};

class ShmSuperblock : public Superblock {
 public:
  // ops: shmfs's own, or a test's derivation of ShmVnodeOps; fs_type: the
  // name it is mounted as (another filesystem built on shmem, as devtmpfs).
  ShmSuperblock(Machine& machine, MountOptions opts, uint64_t max_pages, double swap_pressure,
                VnodeOps& ops = shm_vnode_ops(), std::string fs_type = "shmfs");
  // Inodes that outlive the superblock's own members (its root, and any
  // still referenced) no longer give pages back to it.
  ~ShmSuperblock() override;

  void init_inode(Inode& ip) override;
  uint64_t blocks(const Inode& ip) const override;
  const FileOps* anon_file_ops() const override { return &ShmFileOps::instance(); }
  // shmem_statfs: TMPFS_MAGIC, page-sized blocks, NAME_MAX; the block
  // counts only under a size limit (0 when unlimited, like simple_statfs).
  Errno statfs(Kstatfs* st) const override;

  // check: the resident count matches the resident pages, every swap slot
  // belongs to exactly one swapped page, each page is either resident or
  // swapped, and the size limit holds. (Pages past EOF are legal:
  // fallocate with KEEP_SIZE makes them.)
  std::vector<std::string> check() const override;

  // swap_out moves page `index` of `ip` to swap; false if not resident.
  bool swap_out(Inode& ip, uint64_t index);
  // page_state: 'r' resident, 's' swapped, '-' absent.
  char page_state(const Inode& ip, uint64_t index) const;

  uint64_t resident_pages() const { return resident_; }
  // swap_events counts pages moved to and from swap since mount.
  uint64_t swap_events() const { return swap_events_; }
  uint64_t swapped_pages() const { return swap_.size(); }

  // Internal to shmfs. get_page returns page `index` resident, allocating
  // it (zeroed) or reading it back from swap. Errors: ENOSPC the size limit
  // or the fault point "shmfs/page/enospc"; ENOMEM the machine's memory
  // (Machine::memory, shared by every instance) is used up.
  // With `can_fail` false (a shrinking truncate's partial page, which is
  // there already) the fault point is not asked: neither kernel fails
  // that swap-in (shmem_undo_range ignores it and returns nothing;
  // FreeBSD's shm_partial_page_invalidate retries a failed allocation).
  Result<ShmPage*> get_page(ShmInodeData& d, uint64_t index, bool can_fail = true);
  // free_pages unmaps and drops the pages [first, end) (end UINT64_MAX: to
  // the last) and their swap slots; free_page drops one.
  void free_pages(Inode& ip, uint64_t first, uint64_t end);
  void free_page(Inode& ip, uint64_t index) { free_pages(ip, index, index + 1); }
  // page_bytes returns the bytes of page `index` (resident or swapped), or
  // nullptr for a hole; the reference keeps them alive across a copy.
  std::shared_ptr<const ShmPageBytes> page_bytes(const ShmInodeData& d, uint64_t index) const;
  // maybe_swap applies the swap_pressure knob to `ip` after a write.
  void maybe_swap(Inode& ip);
  // release forgets the pages of an inode that is going (~ShmInodeData).
  void release(const ShmInodeData& d);
  // max_pages is the size limit in pages (UINT64_MAX: none).
  uint64_t max_pages() const { return max_pages_; }
  // nr_inodes=: the inode limit statfs reports (0: none, and statfs says
  // 0 files). Creating past it is not refused (shmem_reserve_inode's
  // ENOSPC is not modelled).
  void set_max_inodes(uint64_t n) { max_inodes_ = n; }

 private:
  uint64_t max_pages_;
  uint64_t max_inodes_ = 0;
  double swap_pressure_;
  Rng pressure_;
  uint64_t resident_ = 0;
  uint64_t swap_events_ = 0;
  uint64_t next_slot_ = 1;
  absl::btree_map<uint64_t, std::shared_ptr<ShmPageBytes>> swap_;
};

// shm_deallocate zeroes [*off, *off+*len) of a shm object as FreeBSD's
// shm_deallocate does, clipped at the size; writes the remainder back.
Errno shm_deallocate(Inode& ip, off_t64* off, off_t64* len);

// register_shmfs adds "shmfs" to the filesystem-type registry.
void register_shmfs(Vfs& vfs);

}  // namespace vfssim

#endif  // VFSSIM_FS_SHMFS_SHMFS_H_
