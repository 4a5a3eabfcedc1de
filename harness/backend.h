// Backends the harness runs ops on: the simulator (SimBackend) and the host
// kernel (HostBackend: real syscalls on files in a directory, e.g. tmpfs or
// a loop-mounted XFS/ext4).

#ifndef VFSSIM_HARNESS_BACKEND_H_
#define VFSSIM_HARNESS_BACKEND_H_

#include <algorithm>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <span>
#include <utility>
#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "harness/fs_spec.h"
#include "harness/namespace_model.h"
#include "harness/op.h"
#include "sim/errno.h"
#include "sim/machine.h"
#include "sim/trace.h"
#include "vfs/mount.h"
#include "vfs/process.h"

namespace vfssim {

// FileCaps: what a file's filesystem supports, as far as the oracle needs
// it to know which answer is the right one.
struct FileCaps {
  // fs_block is the filesystem's block size (FIGETBSZ: s_blocksize), the
  // alignment clone and dedupe ranges need (generic_remap_checks).
  uint64_t fs_block = 4096;
  // dio_align is the alignment an O_DIRECT write's position and length
  // need (the device's logical sector size: xfs_file_dio_write's EINVAL),
  // 0 where none is checked (tmpfs, which buffers O_DIRECT; DAX files).
  uint64_t dio_align = 0;
  // remap: the filesystem has a remap op (->remap_file_range; XFS with
  // reflink=0 too, which answers EOPNOTSUPP from it); reflink: that op
  // shares blocks.
  bool remap = false;
  bool reflink = false;
  // rename_nonempty is rename(2)'s errno for a directory over a non-empty
  // one: ENOTEMPTY (tmpfs), EEXIST (XFS's xfs_rename).
  Errno rename_nonempty = Errno::kENOTEMPTY;
  // eof_page_keeps_stores: bytes stored through a shared mapping past EOF,
  // in the page that holds EOF, stay in that page and become file content
  // when the file grows over them (tmpfs: nothing zeroes them). Elsewhere
  // they never do (XFS: writeback zeroes the folio past EOF, and growing
  // the file zeroes from the old EOF).
  bool eof_page_keeps_stores = false;
  // max_folio: the largest folio the file's page cache may hold (bytes).
  // A store through a mapping dirties its whole folio, and page_mkwrite
  // allocates every block of it inside EOF, written or not: XFS and ext4
  // on Linux 6.18 build large folios (from a buffered write's length, from
  // readahead), up to PMD size; tmpfs (huge=never) and shmfs, pages.
  uint64_t max_folio = 4096;
};

// kLargestFolio is the largest folio Linux's page cache builds on x86-64
// (MAX_PAGECACHE_ORDER, PMD size), the model's too (PageCache::kMaxFolioOrder).
inline constexpr uint64_t kLargestFolio = uint64_t{4096} << 9;

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // run executes `op` on file op.file (files 0..n-1 exist, open read-write)
  // and reports what the call said, with the file size after it.
  virtual OpResult run(const Op& op) = 0;
  // read is one pread(2) of [off, off+len) of `file`, outside any op: the
  // bytes it returned (short at EOF, or at an error after progress).
  // Errors: the read's errno when nothing was read.
  virtual Result<std::vector<std::byte>> read(int file, uint64_t off, uint64_t len) = 0;
  // read_into is read() into `dst` (its size is the length): the count
  // read, or the errno when nothing was. The default copies what read()
  // returns; SimBackend reads straight into `dst`.
  virtual Result<uint64_t> read_into(int file, uint64_t off, std::span<std::byte> dst) {
    Result<std::vector<std::byte>> got = read(file, off, dst.size());
    if (!got) return Fail(got.error());
    std::copy(got->begin(), got->end(), dst.begin());
    return got->size();
  }
  // storage_epoch changes whenever the storage under the files may have
  // changed: a write, zeroing or discard reaching the device, a store to
  // pmem or poison injected, cleared or consumed there, a page moving to
  // or from swap. Between two equal readings an op can
  // have changed only the files it was given. nullopt: unknown (the
  // oracle then reads every file back after every op).
  virtual std::optional<uint64_t> storage_epoch() { return std::nullopt; }
  // file_path is where file `file` was created ("/f0", ...; "" for one
  // without a name, a memfd object); namespace ops' paths are relative to
  // the same root.
  virtual std::string file_path(int /*file*/) { return ""; }
  // name_state is what lstat(2) and readlink(2) say of `path`, with which
  // file (by inode number) a regular file is; file_nlink is file `file`'s
  // st_nlink. nullopt: the backend has no view of names.
  virtual std::optional<NameState> name_state(std::string_view /*path*/) { return std::nullopt; }
  virtual std::optional<uint64_t> file_nlink(int /*file*/) { return std::nullopt; }
  // block_size is the file's st_blksize: the unit in which the oracle
  // expects space to be allocated, punched and poisoned.
  virtual uint64_t block_size(int file) = 0;
  // caps is what the file's filesystem supports (FileCaps).
  virtual FileCaps caps(int file) = 0;
  // check is the filesystem's fsck: the inconsistencies found (none: empty).
  virtual std::vector<std::string> check() = 0;
};

// run_name_call makes the namespace call a kMkdir, kRmdir, kUnlink,
// kRename, kLink or kSymlink op names (path, and arg the second path; a
// symlink's path is its text) in `p`; EINVAL for any other kind.
Errno run_name_call(Process& p, const Op& op);

// SimOptions: how SimBackend sets its machine up, beyond the FsSpec.
struct SimOptions {
  int nfiles = 2;
  // memfd: the files are anonymous shm objects (memfd_create) instead.
  bool memfd = false;
  // variants are set (Variants::set, by name) before mkfs and mount; an
  // unknown name or value is the setup error EINVAL.
  std::vector<std::pair<std::string, std::string>> variants;
  // thin: a kBlock spec's device is a thin volume (BlockDeviceConfig::
  // thin_pool) drawing from a pool as large as the volume, so it never
  // runs out on its own; thin_pool() and block_device() expose both.
  bool thin = false;
  // trace is the trace mode from the start (campaigns: kHash or kOff).
  TraceMode trace = TraceMode::kFull;
  // reads_outside_ops: read() runs as no op at all (FaultInjector op
  // kNoOp), so fault decisions keyed to ops (at:OP.N) never fire in the
  // oracle's reads of the files, which are not part of any op.
  bool reads_outside_ops = false;
};

// SimBackend: `nfiles` files /f0.. on a fresh simulated machine with the
// filesystem `spec` describes built on its device and mounted at "/"
// (shmfs is always registered); with memfd, the files are anonymous shm
// objects (memfd_create) instead, whose fspacectl is shm_deallocate.
// Op::poison injects known poison into the pmem device under the file's
// written, unshared extents (found with FIEMAP's fe_physical) when the spec
// is poisonable(), and is EOPNOTSUPP otherwise. caps() takes reflink from the
// spec (FsSpec::reflink), the O_DIRECT alignment from the device (none on
// shmfs and for DAX files), and keeps stores past EOF where the files live
// in memory (shmfs, as tmpfs). Op::kSwapout swaps the resident pages of a
// shmfs file (a memfd too) that overlap its range out (ret: how many);
// elsewhere it is EINVAL, as the shell's swapout refuses other files.
class SimBackend : public Backend {
 public:
  // kNoOp is the op id read() runs under with reads_outside_ops.
  static constexpr uint64_t kNoOp = FaultInjector::kNoOp;

  SimBackend(uint64_t seed, FsSpec spec = {.name = "shmfs", .type = "shmfs"}, int nfiles = 2,
             bool memfd = false);
  SimBackend(uint64_t seed, FsSpec spec, const SimOptions& opts);
  std::string_view name() const override { return "sim"; }
  OpResult run(const Op& op) override;
  Result<std::vector<std::byte>> read(int file, uint64_t off, uint64_t len) override;
  // read_into reads as the kernel does (Process::kernel_read): nothing
  // goes through user memory.
  Result<uint64_t> read_into(int file, uint64_t off, std::span<std::byte> dst) override;
  std::optional<uint64_t> storage_epoch() override;
  std::string file_path(int file) override;
  std::optional<NameState> name_state(std::string_view path) override;
  std::optional<uint64_t> file_nlink(int file) override;
  uint64_t block_size(int file) override;
  FileCaps caps(int file) override;
  std::vector<std::string> check() override;
  // unmount_check is what the filesystem's fsck finds after unmount's work
  // (sync_fs, put_super: the final writeback, post-EOF blocks and CoW
  // staging dropped): nothing may be left reserved or inconsistent. The
  // backend runs no op afterwards.
  std::vector<std::string> unmount_check();

  // setup_error is why the mount or a file's creation failed (kOk: ready).
  Errno setup_error() const { return setup_error_; }
  const FsSpec& spec() const { return spec_; }
  Machine& machine() { return machine_; }
  Vfs& vfs() { return vfs_; }
  Process& process() { return process_; }
  int fd(int file) const { return fds_.at(file); }
  // pmem is the device under a kPmem spec (nullptr otherwise).
  PmemDevice* pmem() { return pmem_; }
  // block_device is the device under a kBlock spec (nullptr otherwise);
  // thin_pool its pool with SimOptions::thin (nullptr otherwise).
  SimBlockDevice* block_device() { return block_; }
  ThinPool* thin_pool() { return thin_pool_.get(); }

 private:
  // poison runs Op::poison: FIEMAP over the range (clipped to EOF), then
  // inject_poison under each written extent, widened to the device's poison
  // granularity inside the extent; reports the file ranges poisoned.
  OpResult poison(const Op& op);
  // mwrite runs Op::mwrite; dio_pwrite Op::dio_pwrite.
  OpResult mwrite(const Op& op);
  OpResult dio_pwrite(const Op& op);
  // swapout runs Op::kSwapout.
  OpResult swapout(const Op& op);

  FsSpec spec_;
  Machine machine_;
  std::unique_ptr<BlockDevice> dev_;  // Declared before vfs_: outlives the mount.
  PmemDevice* pmem_ = nullptr;        // dev_, when it is a PmemDevice.
  SimBlockDevice* block_ = nullptr;   // dev_, when it is a SimBlockDevice.
  std::shared_ptr<ThinPool> thin_pool_;
  Vfs vfs_;
  Process process_;
  std::vector<int> fds_;
  bool memfd_ = false;  // The files have no names.
  uint64_t next_op_id_ = 0;
  Errno setup_error_ = Errno::kOk;
  bool reads_outside_ops_ = false;
};

// HostBackend: `nfiles` files f0.. created (truncated) in `dir` on the host.
// fspacectl does not exist on Linux; it runs as its Linux equivalent: the
// checks kern_fspacectl makes (EINVAL), then fallocate(PUNCH_HOLE |
// KEEP_SIZE) over the range clipped to EOF, with rmsr written as
// fspacectl(2) says a complete call leaves it (r_len 0, r_offset past the
// bytes zeroed before EOF) or, when the punch fails, the whole range.
// Op::poison is EOPNOTSUPP: the host's media cannot be poisoned from here.
// caps() are the kernel's answers, taken when the files are new: FIGETBSZ;
// statx's STATX_DIOALIGN offset alignment (none reported: none checked);
// remap when FIDEDUPERANGE with no destinations succeeds, reflink when a
// FICLONERANGE of nothing (file 0's EOF into file 1) does; tmpfs keeps
// stores past EOF.
class HostBackend : public Backend {
 public:
  HostBackend(std::string dir, int nfiles = 2);
  ~HostBackend() override;
  std::string_view name() const override { return "host"; }
  OpResult run(const Op& op) override;
  Result<std::vector<std::byte>> read(int file, uint64_t off, uint64_t len) override;
  uint64_t block_size(int file) override;
  FileCaps caps(int file) override { return caps_.at(file); }
  std::vector<std::string> check() override { return {}; }
  std::string file_path(int file) override;
  std::optional<NameState> name_state(std::string_view path) override;
  std::optional<uint64_t> file_nlink(int file) override;
  bool ok() const { return ok_; }

 private:
  // mwrite runs Op::mwrite, catching SIGBUS page by page.
  OpResult mwrite(const Op& op);
  // under is `path` (a namespace op's, rooted at the files' directory) on
  // the host.
  std::string under(std::string_view path) const;

  std::string dir_;
  std::vector<int> fds_;
  std::vector<FileCaps> caps_;
  bool ok_ = true;
};

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_BACKEND_H_
