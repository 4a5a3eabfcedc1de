#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "fs/shmfs/shmfs.h"
#include "harness/backend.h"
#include "harness/file_poison.h"
#include "vfs/host_io.h"

namespace vfssim {
namespace {

uint64_t sim_size(Process& p, int fd) {
  Result<Stat> st = p.fstat(fd);
  return st ? st->size : 0;
}

constexpr unsigned kExtentCount = 256;

// A FIDEDUPERANGE argument with one destination, as it lies in memory.
struct DedupeOne {
  FileDedupeRange hdr;
  FileDedupeRangeInfo info;
};

}  // namespace

SimBackend::SimBackend(uint64_t seed, FsSpec spec, int nfiles, bool memfd)
    : SimBackend(seed, std::move(spec), SimOptions{.nfiles = nfiles, .memfd = memfd}) {}

SimBackend::SimBackend(uint64_t seed, FsSpec spec, const SimOptions& opts)
    : spec_(std::move(spec)), machine_(seed), vfs_(machine_), process_(vfs_, Creds::root()),
      reads_outside_ops_(opts.reads_outside_ops) {
  machine_.trace.set_mode(opts.trace);
  const int nfiles = opts.nfiles;
  const bool memfd = opts.memfd;
  memfd_ = memfd;
  for (const auto& [name, value] : opts.variants) {
    if (machine_.variants.set(name, value) != Errno::kOk) {
      setup_error_ = Errno::kEINVAL;
      return;
    }
  }
  register_shmfs(vfs_);
  if (spec_.register_fs != nullptr) spec_.register_fs(vfs_);
  switch (spec_.dev) {
    case FsSpec::kNone:
      break;
    case FsSpec::kBlock: {
      BlockDeviceConfig cfg;
      if (opts.thin) {
        thin_pool_ = std::make_shared<ThinPool>(cfg.capacity_bytes / 4096);
        cfg.thin_pool = thin_pool_;
      }
      auto block = std::make_unique<SimBlockDevice>(machine_, cfg);
      block_ = block.get();
      dev_ = std::move(block);
      break;
    }
    case FsSpec::kPmem: {
      auto pmem = std::make_unique<PmemDevice>(machine_, PmemConfig{});
      pmem_ = pmem.get();
      dev_ = std::move(pmem);
      break;
    }
  }
  if (spec_.mkfs != nullptr || !spec_.mkfs_opts.empty()) {
    if (spec_.mkfs == nullptr || dev_ == nullptr) {
      setup_error_ = Errno::kEINVAL;
      return;
    }
    setup_error_ = spec_.mkfs(machine_, *dev_, spec_.mkfs_opts);
    if (setup_error_ != Errno::kOk) return;
  }
  setup_error_ = vfs_.mount(spec_.type, dev_.get(), spec_.mount_opts, "/", Creds::root());
  if (setup_error_ != Errno::kOk) return;
  for (int i = 0; i < nfiles; ++i) {
    const std::string name = absl::StrCat("/f", i);
    Result<int> fd = memfd ? process_.memfd_create(name) : process_.open(name, kO_RDWR | kO_CREAT, 0644);
    if (!fd) {
      setup_error_ = fd.error();
      return;
    }
    fds_.push_back(*fd);
  }
}

OpResult SimBackend::run(const Op& op) {
  machine_.faults.begin_op(op.id >= 0 ? static_cast<uint64_t>(op.id) : next_op_id_);
  next_op_id_ = machine_.faults.op() + 1;
  // The trace records the op as its command line: the one encoding.
  if (machine_.trace.enabled()) {
    machine_.trace.record("op", {{"id", machine_.faults.op()}, {"file", op.file}, {"cmd", op.to_command()}});
  }
  OpResult r;
  Process& p = process_;
  const int fd = fds_.at(op.file);
  auto set = [&](auto res) {
    if (res) {
      r.ret = static_cast<int64_t>(*res);
    } else {
      r.err = res.error();
    }
  };
  switch (op.kind) {
    case OpKind::kPwrite: {
      std::vector<std::byte> buf(static_cast<size_t>(op.len), std::byte{op.fill});
      set(host::pwrite(p, fd, buf, op.off));
      break;
    }
    case OpKind::kPread: {
      r.data.resize(static_cast<size_t>(op.len));
      Result<uint64_t> n = host::pread(p, fd, r.data, op.off);
      set(n);
      r.data.resize(n ? *n : 0);
      break;
    }
    case OpKind::kTruncate:
      r.err = p.ftruncate(fd, op.len);
      break;
    case OpKind::kFallocate:
      r.err = p.fallocate(fd, op.mode, op.off, op.len);
      break;
    case OpKind::kFspacectl: {
      SpacectlRange rq{op.off, op.len};
      r.err = host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &r.rmsr);
      break;
    }
    case OpKind::kFsync:
      r.err = p.fsync(fd);
      break;
    case OpKind::kSeekData:
      set(p.lseek(fd, op.off, kSEEK_DATA));
      break;
    case OpKind::kSeekHole:
      set(p.lseek(fd, op.off, kSEEK_HOLE));
      break;
    case OpKind::kFiemap: {
      Fiemap fi{.fm_start = static_cast<uint64_t>(op.off),
                .fm_length = static_cast<uint64_t>(op.len),
                .fm_extent_count = kExtentCount};
      r.err = host::fiemap(p, fd, &fi);
      if (r.err == Errno::kOk) r.extents = logical_extents(fi.fm_extents);
      break;
    }
    case OpKind::kPoison:
      r = poison(op);
      break;
    case OpKind::kClone: {
      FileCloneRange arg{.src_fd = fds_.at(op.src),
                         .src_offset = static_cast<uint64_t>(op.src_off),
                         .src_length = static_cast<uint64_t>(op.len),
                         .dest_offset = static_cast<uint64_t>(op.off)};
      r.err = host::ioctl(p, fd, kFICLONERANGE, &arg);
      break;
    }
    case OpKind::kDedupe: {
      DedupeOne arg{};
      arg.hdr = {.src_offset = static_cast<uint64_t>(op.src_off),
                 .src_length = static_cast<uint64_t>(op.len),
                 .dest_count = 1};
      arg.info = {.dest_fd = fd, .dest_offset = static_cast<uint64_t>(op.off)};
      r.err = host::dedupe(p, fds_.at(op.src), &arg.hdr);
      if (r.err == Errno::kOk) {
        r.ret = static_cast<int64_t>(arg.info.bytes_deduped);
        r.status = arg.info.status;
      }
      break;
    }
    case OpKind::kCopyRange: {
      // Both offsets in user memory, as loff_t.
      const uint64_t at = host::staging(p, 2 * sizeof(int64_t));
      const int64_t offs[2] = {op.src_off, op.off};
      p.store(at, std::as_bytes(std::span(offs)));
      set(p.copy_file_range(fds_.at(op.src), at, fd, at + sizeof(int64_t),
                            static_cast<uint64_t>(op.len), 0));
      break;
    }
    case OpKind::kDioPwrite:
      r = dio_pwrite(op);
      break;
    case OpKind::kMwrite:
      r = mwrite(op);
      break;
    case OpKind::kFdatasync:
      r.err = p.fdatasync(fd);
      break;
    case OpKind::kZeroinit:
      r.err = p.fallocate(fd, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, op.off, op.len);
      break;
    case OpKind::kSwapout:
      r = swapout(op);
      break;
    case OpKind::kMkdir:
    case OpKind::kRmdir:
    case OpKind::kUnlink:
    case OpKind::kRename:
    case OpKind::kLink:
    case OpKind::kSymlink:
      r.err = run_name_call(p, op);
      break;
    default:
      // The shell-level ops (open, mmap tables, help, ...) run in the
      // `vfssim io` shell, which keeps the state they act on.
      r.err = Errno::kEINVAL;
      break;
  }
  r.size_after = sim_size(p, fd);
  return r;
}

OpResult SimBackend::dio_pwrite(const Op& op) {
  OpResult r;
  std::vector<std::byte> buf(static_cast<size_t>(op.len), std::byte{op.fill});
  Result<uint64_t> n = host::pwrite_direct(process_, fds_.at(op.file), buf, op.off);
  if (n) {
    r.ret = static_cast<int64_t>(*n);
  } else {
    r.err = n.error();
  }
  return r;
}

OpResult SimBackend::mwrite(const Op& op) {
  OpResult r;
  if (op.off < 0 || op.len <= 0) {
    r.err = Errno::kEINVAL;  // What mmap says of the range the op names.
    return r;
  }
  const std::vector<std::byte> bytes(static_cast<size_t>(op.len), std::byte{op.fill});
  const host::MstoreResult m = host::mstore(process_, fds_.at(op.file), op.off, bytes);
  r.ret = static_cast<int64_t>(m.stored);
  r.signal = m.signal;
  r.err = m.err;
  return r;
}

OpResult SimBackend::poison(const Op& op) {
  OpResult r;
  if (!spec_.poisonable() || pmem_ == nullptr) {
    r.err = Errno::kEOPNOTSUPP;
    return r;
  }
  Result<std::vector<PoisonedRange>> got =
      poison_file_range(process_, fds_.at(op.file), *pmem_, op.off, op.len, PoisonKind::kKnown);
  if (!got) {
    r.err = got.error();
    return r;
  }
  std::vector<FiemapExtent> done;
  for (const PoisonedRange& x : *got) done.push_back({x.file_off, 0, x.len, 0});
  r.extents = logical_extents(done);
  return r;
}

OpResult SimBackend::swapout(const Op& op) {
  OpResult r;
  Result<InodeRef> ip = process_.file_inode(fds_.at(op.file));
  auto* sb = ip ? dynamic_cast<ShmSuperblock*>((*ip)->sb) : nullptr;
  auto* d = ip ? dynamic_cast<ShmInodeData*>((*ip)->data.get()) : nullptr;
  if (sb == nullptr || d == nullptr || op.off < 0 || op.len <= 0 || op.off > kOffMax - op.len) {
    r.err = Errno::kEINVAL;
    return r;
  }
  const uint64_t first = static_cast<uint64_t>(op.off) / kShmPageSize;
  const uint64_t last = static_cast<uint64_t>(op.off + op.len - 1) / kShmPageSize;
  std::vector<uint64_t> pages;  // Collected first: swap_out reshapes the map.
  for (auto it = d->pages.lower_bound(first); it != d->pages.end() && it->first <= last; ++it) {
    pages.push_back(it->first);
  }
  for (uint64_t index : pages) r.ret += sb->swap_out(**ip, index) ? 1 : 0;
  return r;
}

Result<std::vector<std::byte>> SimBackend::read(int file, uint64_t off, uint64_t len) {
  if (reads_outside_ops_) machine_.faults.begin_op(kNoOp);
  std::vector<std::byte> buf(len);
  Result<uint64_t> n = host::pread(process_, fds_.at(file), buf, static_cast<off_t64>(off));
  if (!n) return Fail(n.error());
  buf.resize(*n);
  return buf;
}

Result<uint64_t> SimBackend::read_into(int file, uint64_t off, std::span<std::byte> dst) {
  if (reads_outside_ops_) machine_.faults.begin_op(kNoOp);
  return process_.kernel_read(fds_.at(file), dst, static_cast<off_t64>(off));
}

std::optional<uint64_t> SimBackend::storage_epoch() {
  uint64_t e = 0;
  if (block_ != nullptr) {
    const BlockStats& b = block_->stats();
    e += b.writes + b.write_zeroes + b.discards;
  }
  if (pmem_ != nullptr) {
    const PmemStats& p = pmem_->stats();
    // Not dax_accesses, which reads take too: a DAX write's copy is a
    // store (memcpy_flushcache), and a store through a mapping belongs to
    // an op given the file (the sweep finds one that strays).
    e += p.stores + p.block_writes + p.zero_page_calls + p.cleared_granules + p.machine_checks +
         p.poison_injections;
  }
  if (InodeRef root = vfs_.root()) {
    if (const auto* shm = dynamic_cast<const ShmSuperblock*>(root->sb)) e += shm->swap_events();
  }
  return e;
}

Errno run_name_call(Process& p, const Op& op) {
  switch (op.kind) {
    case OpKind::kMkdir:
      return p.mkdir(op.path, 0755);
    case OpKind::kRmdir:
      return p.rmdir(op.path);
    case OpKind::kUnlink:
      return p.unlink(op.path);
    case OpKind::kRename:
      return p.rename(op.path, op.arg);
    case OpKind::kLink:
      return p.link(op.path, op.arg);
    case OpKind::kSymlink:
      return p.symlink(op.path, op.arg);
    default:
      return Errno::kEINVAL;
  }
}

std::string SimBackend::file_path(int file) { return memfd_ ? "" : absl::StrCat("/f", file); }

std::optional<NameState> SimBackend::name_state(std::string_view path) {
  Result<Stat> st = process_.lstat(path);
  if (!st) return NameState{.err = st.error()};
  NameState s{.nlink = st->nlink};
  switch (st->type) {
    case VType::kDir:
      s.type = 'd';
      break;
    case VType::kLnk: {
      s.type = 'l';
      if (Result<std::string> text = host::readlink(process_, path)) s.target = *std::move(text);
      break;
    }
    case VType::kReg:
      s.type = 'f';
      for (size_t i = 0; i < fds_.size(); ++i) {
        Result<Stat> f = process_.fstat(fds_[i]);
        if (f && f->ino == st->ino) s.file = static_cast<int>(i);
      }
      break;
    default:
      s.type = '?';
      break;
  }
  return s;
}

std::optional<uint64_t> SimBackend::file_nlink(int file) {
  Result<Stat> st = process_.fstat(fds_.at(file));
  if (!st) return std::nullopt;
  return st->nlink;
}

uint64_t SimBackend::block_size(int file) {
  Result<Stat> st = process_.fstat(fds_.at(file));
  return st ? st->blksize : 4096;
}

FileCaps SimBackend::caps(int file) {
  FileCaps c;
  Result<InodeRef> ip = process_.file_inode(fds_.at(file));
  if (!ip) return c;
  int bsize = 0;
  if (host::ioctl(process_, fds_.at(file), kFIGETBSZ, &bsize) == Errno::kOk && bsize > 0) {
    c.fs_block = static_cast<uint64_t>(bsize);
  }
  // shmfs files (memfd objects too) live in memory: O_DIRECT is buffered,
  // and nothing zeroes a page past EOF.
  const bool shm = dynamic_cast<const ShmSuperblock*>((*ip)->sb) != nullptr;
  const bool dax = ((*ip)->flags & kInodeDax) != 0;
  c.dio_align = shm || dax || dev_ == nullptr ? 0 : dev_->logical_block_size();
  c.remap = (*ip)->ops().can_remap();
  c.reflink = c.remap && spec_.reflink;
  c.eof_page_keeps_stores = shm;
  if (spec_.type == "xfs") c.rename_nonempty = Errno::kEEXIST;
  // The XFS-like filesystem's mappings take large folios (its buffered
  // writes build them); the model's other filesystems keep to pages.
  if (spec_.type == "xfs" && !dax) c.max_folio = kLargestFolio;
  return c;
}

std::vector<std::string> SimBackend::check() {
  std::vector<std::string> bad;
  if (InodeRef root = vfs_.root()) bad = root->sb->check();
  return bad;
}

std::vector<std::string> SimBackend::unmount_check() {
  InodeRef root = vfs_.root();
  if (root == nullptr) return {};
  root->sb->sync_fs();
  root->sb->put_super();
  return root->sb->check();
}

}  // namespace vfssim
