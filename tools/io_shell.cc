#include "tools/io_shell.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "fs/shmfs/shmfs.h"
#include "fs/xfs/xfs_mount.h"
#include "harness/backend.h"
#include "harness/safecopy_table.h"
#include "sim/absl_view.h"
#include "sim/fault.h"
#include "sim/variants.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

constexpr std::string_view kMountPoint = "/mnt";

// FS_XFLAG_* in the order xfs_io's lsattr prints them.
struct XflagName {
  uint32_t flag;
  char shortname;
  const char* longname;
};
constexpr XflagName kXflags[] = {
    {0x00000001, 'r', "realtime"},     {0x00000002, 'p', "prealloc"},
    {0x00000008, 'i', "immutable"},    {0x00000010, 'a', "append-only"},
    {0x00000020, 's', "sync"},         {0x00000040, 'A', "no-atime"},
    {0x00000080, 'd', "no-dump"},      {0x00000100, 't', "rt-inherit"},
    {0x00000200, 'P', "proj-inherit"}, {0x00000400, 'n', "nosymlinks"},
    {0x00000800, 'e', "extsize"},      {0x00001000, 'E', "extsz-inherit"},
    {0x00002000, 'f', "no-defrag"},    {0x00004000, 'S', "filestream"},
    {0x00008000, 'x', "dax"},          {0x00010000, 'C', "cowextsize"},
    {0x80000000, 'X', "has-xattr"},
};

std::string printxattr(uint32_t flags, bool verbose, bool dofname, std::string_view fname,
                       bool dobraces, bool doeol) {
  std::string s = dobraces ? "[" : "";
  bool first = true;
  for (const XflagName& x : kXflags) {
    if (flags & x.flag) {
      if (verbose) {
        if (!first) s += ", ";
        first = false;
        s += x.longname;
      } else {
        s += x.shortname;
      }
    } else if (!verbose) {
      s += '-';
    }
  }
  if (dobraces) s += "]";
  if (dofname) absl::StrAppend(&s, " ", to_absl(fname), " ");
  if (doeol) s += "\n";
  return s;
}

int open_flags(uint64_t letters) {
  auto has = [&](char c) { return (letters & Op::letter(c)) != 0; };
  int o = has('r') ? kO_RDONLY : kO_RDWR;
  if (has('a')) o |= kO_APPEND;
  if (has('f')) o |= kO_CREAT;
  if (has('d')) o |= kO_DIRECT;
  if (has('s')) o |= kO_SYNC;
  if (has('t')) o |= kO_TRUNC;
  if (has('n')) o |= kO_NONBLOCK;
  if (has('T')) o |= kO_TMPFILE;
  if (has('P')) o |= kO_PATH;
  if (has('L')) o |= kO_NOFOLLOW;
  return o;
}

const char* filetype(VType t) {
  switch (t) {
    case VType::kDir:
      return "directory";
    case VType::kChr:
      return "char device";
    case VType::kBlk:
      return "block device";
    case VType::kReg:
      return "regular file";
    case VType::kLnk:
      return "symbolic link";
    case VType::kFifo:
      return "fifo";
  }
  return "(null)";
}

// erase_current drops table entry *cur; the one after it becomes current,
// or the one before when it was the last (close_f and munmap_f shuffle
// their tables down so).
template <typename T>
void erase_current(std::vector<T>& table, int* cur) {
  table.erase(table.begin() + *cur);
  if (table.empty()) {
    *cur = -1;
  } else if (*cur == static_cast<int>(table.size())) {
    --*cur;
  }
}

// A buffer of n bytes of `fill`, as xfs_io's alloc_buffer memsets it.
std::vector<std::byte> filled(int64_t n, uint8_t fill) {
  return std::vector<std::byte>(static_cast<size_t>(std::max<int64_t>(n, 0)), std::byte{fill});
}

}  // namespace

std::string strerror_text(Errno e) { return std::strerror(static_cast<int>(e)); }

std::string cvtstr(double value) {
  // xfs_io's "precise" test truncates through int, as x86-64 does it.
  const int iv = value >= static_cast<double>(INT_MIN) && value < 2147483648.0
                     ? static_cast<int>(value)
                     : INT_MIN;
  const bool precise = value * 1000 == static_cast<double>(iv) * 1000;
  struct Unit {
    double size;
    const char* name;
  };
  static constexpr Unit kUnits[] = {
      {1152921504606846976.0, "EiB"}, {1125899906842624.0, "PiB"}, {1099511627776.0, "TiB"},
      {1073741824.0, "GiB"},          {1048576.0, "MiB"},          {1024.0, "KiB"},
  };
  for (const Unit& u : kUnits) {
    if (value >= u.size) {
      return precise ? absl::StrFormat("%.f %s", value / u.size, u.name)
                     : absl::StrFormat("%.3f %s", value / u.size, u.name);
    }
  }
  return absl::StrFormat("%f bytes", value);
}

std::string timestr(uint64_t ns) {
  const uint64_t sec = ns / kNsPerSec;
  const uint64_t usec = ns % kNsPerSec / 1000;
  if (sec != 0) {
    return absl::StrFormat("%u:%02u:%02u.%02u", sec / 3600, sec % 3600 / 60, sec % 60, usec / 10000);
  }
  return absl::StrFormat("0.%04u sec", usec / 100);
}

IoShell::IoShell(const ShellConfig& cfg, std::ostream& out, std::ostream& err)
    : cfg_(cfg), out_(out), err_(err), machine_(cfg.seed), vfs_(machine_),
      process_(vfs_, Creds::root()) {}

absl::StatusOr<std::unique_ptr<IoShell>> IoShell::create(const ShellConfig& cfg, std::ostream& out,
                                                         std::ostream& err) {
  std::unique_ptr<IoShell> sh(new IoShell(cfg, out, err));
  if (absl::Status s = sh->setup(); !s.ok()) return s;
  return sh;
}

absl::Status IoShell::setup() {
  for (const auto& [name, value] : cfg_.variants) {
    if (machine_.variants.set(name, value) != Errno::kOk) {
      return absl::InvalidArgumentError(
          absl::StrCat("--variant ", name, "=", value, ": unknown variant or value (see `vfssim variants`)"));
    }
  }
  register_shmfs(vfs_);
  register_xfs(vfs_);
  if (Errno e = vfs_.mount("shmfs", nullptr, "", "/", Creds::root()); e != Errno::kOk) {
    return absl::InternalError(absl::StrCat("mounting the root: ", to_absl(errno_name(e))));
  }
  process_.mkdir(kMountPoint, 0755);
  const bool xfs = cfg_.fs == "xfs";
  const bool shm = cfg_.fs == "shmfs" || cfg_.fs == "tmpfs";
  if (!xfs && !shm) {
    return absl::InvalidArgumentError(
        absl::StrCat("--fs=", cfg_.fs, ": no such filesystem (xfs, shmfs or tmpfs)"));
  }
  if (cfg_.size == 0 || cfg_.size % 4096 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--size=", cfg_.size, ": the device size is a non-zero multiple of 4 KiB"));
  }
  if (xfs) {
    if (cfg_.dev == "pmem") {
      auto pmem = std::make_unique<PmemDevice>(machine_, PmemConfig{.size = cfg_.size});
      pmem_ = pmem.get();
      dev_ = std::move(pmem);
    } else if (cfg_.dev == "blk") {
      dev_ = std::make_unique<SimBlockDevice>(machine_, BlockDeviceConfig{.capacity_bytes = cfg_.size});
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--dev=", cfg_.dev, ": no such device (blk or pmem)"));
    }
    if (Errno e = xfs_mkfs(machine_, *dev_, cfg_.mkfs_opts); e != Errno::kOk) {
      return absl::InvalidArgumentError(absl::StrCat("--mkfs-opt=\"", cfg_.mkfs_opts,
                                                     "\": mkfs.xfs options the model does not have (",
                                                     to_absl(errno_name(e)), ")"));
    }
  } else {
    if (!cfg_.mkfs_opts.empty()) {
      return absl::InvalidArgumentError("--mkfs-opt: tmpfs has no mkfs");
    }
    if (cfg_.dev != "blk") {
      return absl::InvalidArgumentError(absl::StrCat("--dev=", cfg_.dev, ": tmpfs has no device"));
    }
  }
  std::string opts = cfg_.mount_opts;
  if (shm && opts.find("size=") == std::string::npos) {
    opts = absl::StrCat("size=", cfg_.size, opts.empty() ? "" : ",", opts);
  }
  if (Errno e = vfs_.mount(xfs ? "xfs" : "shmfs", dev_.get(), opts, kMountPoint, Creds::root());
      e != Errno::kOk) {
    return absl::InvalidArgumentError(absl::StrCat("--mount-opt=\"", cfg_.mount_opts,
                                                   "\": mount failed with ", to_absl(errno_name(e))));
  }
  process_.chdir(kMountPoint);
  if (Result<int> fd = process_.open(".", kO_RDONLY | kO_DIRECTORY); fd) {
    if (Result<InodeRef> ip = process_.file_inode(*fd)) mounted_ = (*ip)->sb;
    process_.close(*fd);
  }
  return absl::OkStatus();
}

std::vector<std::string> IoShell::fsck() const {
  return mounted_ != nullptr ? mounted_->check() : std::vector<std::string>{"no filesystem mounted"};
}

ParseContext IoShell::context() const {
  ParseContext ctx;
  if (has_file() && !is_foreign()) {
    ctx.blocksize = files_[cur_].blocksize;
    ctx.sectsize = files_[cur_].sectsize;
  }
  ctx.file = std::max(cur_, 0);
  ctx.nfiles = static_cast<int>(files_.size());
  return ctx;
}

void IoShell::perror(std::string_view what, Errno e) {
  err_ << what << (what.empty() ? "" : ": ") << strerror_text(e) << "\n";
}

bool IoShell::check(const CommandSpec& spec) {
  if (spec.flags & kCmdLibrary) return true;
  if (!has_file() && !(spec.flags & kCmdNoFileOk)) {
    err_ << "no files are open, try 'help open'\n";
    return false;
  }
  if (curmap_ < 0 && !(spec.flags & kCmdNoMapOk)) {
    err_ << "no mapped regions, try 'help mmap'\n";
    return false;
  }
  if (has_file() && !(spec.flags & kCmdForeignOk) && is_foreign()) {
    err_ << "foreign file active, " << spec.name << " command is for XFS filesystems only\n";
    return false;
  }
  return true;
}

bool IoShell::run_line(std::string_view line, bool iterate) {
  std::vector<std::string> argv = breakline(line);
  if (argv.empty()) return false;
  bool raw = false;
  if (argv[0] == "raw" && argv.size() > 1) {
    argv.erase(argv.begin());
    raw = true;
  }
  const CommandSpec* spec = find_command(argv[0]);
  if (spec == nullptr) {
    err_ << "command \"" << argv[0] << "\" not found\n";
    return false;
  }
  auto once = [&]() -> bool {
    if (!check(*spec)) return false;
    if (std::optional<CommandDiag> d = check_argcount(*spec, argv, raw)) {
      out_ << d->out;
      err_ << d->err;
      if (d->failed) fail();
      return false;
    }
    ParseContext ctx = context();
    ctx.raw = raw;
    ParsedCommand p = parse_command(*spec, argv, ctx);
    if (const CommandDiag* d = std::get_if<CommandDiag>(&p)) {
      out_ << d->out;
      err_ << d->err;
      if (d->failed) fail();
      if (d->then) return run(*d->then);
      return d->stop;
    }
    return run(std::get<Op>(p));
  };
  if (!iterate || (spec->flags & kCmdOneshot)) return once();
  // A -c command runs on every open file in turn, and the last one stays
  // current (xfs_io's filetable_iterator); with none open it does not run.
  for (size_t i = 0; i < files_.size(); ++i) {
    cur_ = static_cast<int>(i);
    if (once()) return true;
  }
  return false;
}

bool IoShell::run(const Op& op) {
  // Each command is one op for fault plans (at:OP.N counts commands).
  machine_.faults.begin_op(next_op_++);
  if (machine_.trace.enabled()) {
    machine_.trace.record("op", {{"id", machine_.faults.op()}, {"file", cur_}, {"cmd", op.to_command()}});
  }
  switch (op.kind) {
    case OpKind::kQuit:
      return true;
    case OpKind::kPwrite:
      cmd_pwrite(op);
      break;
    case OpKind::kPread:
      cmd_pread(op);
      break;
    case OpKind::kTruncate:
      if (Errno e = process_.ftruncate(cur().fd, op.len); e != Errno::kOk) {
        perror("ftruncate", e);
        fail();
      }
      break;
    case OpKind::kFsync:
    case OpKind::kFdatasync: {
      const bool data = op.kind == OpKind::kFdatasync;
      if (Errno e = data ? process_.fdatasync(cur().fd) : process_.fsync(cur().fd); e != Errno::kOk) {
        perror(data ? "fdatasync" : "fsync", e);
        fail();
      }
      break;
    }
    case OpKind::kFallocate:
      cmd_fallocate(op, "fallocate");
      break;
    case OpKind::kZeroinit:
      cmd_fallocate(op, "zeroinit");
      break;
    case OpKind::kOpen:
      cmd_open(op);
      break;
    case OpKind::kClose:
      cmd_close();
      break;
    case OpKind::kFileSelect:
      cmd_file(op);
      break;
    case OpKind::kPrint:
      filelist();
      maplist();
      break;
    case OpKind::kStat:
      cmd_stat(op);
      break;
    case OpKind::kStatfs:
      cmd_statfs(op);
      break;
    case OpKind::kFiemap:
      cmd_fiemap(op);
      break;
    case OpKind::kSeekData:
    case OpKind::kSeekHole:
    case OpKind::kSeek:
      cmd_seek(op);
      break;
    case OpKind::kClone:
    case OpKind::kDedupe:
    case OpKind::kDedupeLoop:
      cmd_remap(op);
      break;
    case OpKind::kCopyRange:
    case OpKind::kCopyRangeLoop:
      cmd_copy_range(op);
      break;
    case OpKind::kChattr:
      cmd_chattr(op);
      break;
    case OpKind::kLsattr:
      cmd_lsattr(op);
      break;
    case OpKind::kMmap:
      cmd_mmap(op);
      break;
    case OpKind::kMread:
      cmd_mread(op);
      break;
    case OpKind::kMwriteMap:
      cmd_mwrite(op);
      break;
    case OpKind::kMsync:
      cmd_msync(op);
      break;
    case OpKind::kMunmap:
      cmd_munmap();
      break;
    case OpKind::kHelp:
      cmd_help(op);
      break;
    case OpKind::kSync:
      process_.sync();
      break;
    case OpKind::kSyncfs:
      if (Errno e = process_.syncfs(cur().fd); e != Errno::kOk) {
        perror("syncfs", e);
        fail();
      }
      break;
    case OpKind::kFadvise: {
      // posix_fadvise returns the error rather than setting errno, and
      // xfs_io tests it for < 0: a refused advice passes in silence.
      const int advice = op.has('d')   ? kPOSIX_FADV_DONTNEED
                         : op.has('n') ? kPOSIX_FADV_NOREUSE
                         : op.has('r') ? kPOSIX_FADV_RANDOM
                         : op.has('s') ? kPOSIX_FADV_SEQUENTIAL
                         : op.has('w') ? kPOSIX_FADV_WILLNEED
                                       : kPOSIX_FADV_NORMAL;
      process_.fadvise(cur().fd, op.nargs == 2 ? op.off : 0, op.nargs == 2 ? op.len : 0, advice);
      break;
    }
    case OpKind::kMadvise:
      cmd_madvise(op);
      break;
    case OpKind::kExtsize:
      cmd_extsize(op);
      break;
    case OpKind::kMkdir:
    case OpKind::kRmdir:
    case OpKind::kUnlink:
    case OpKind::kRename:
    case OpKind::kLink:
    case OpKind::kSymlink: {
      if (const Errno e = run_name_call(process_, op); e != Errno::kOk) {
        perror(op_kind_name(op.kind), e);
        fail();
      }
      break;
    }
    default:
      cmd_vfssim(op);
      break;
  }
  return killed_ || stop_;
}

// --- files ---------------------------------------------------------------

int IoShell::openfile(const std::string& path, uint64_t flags, int mode) {
  int oflags = open_flags(flags);
  Result<Stat> st = process_.stat(path);
  if (!st && st.error() != Errno::kENOENT) {
    perror("stat", st.error());
    return -1;
  }
  if (st && st->type == VType::kFifo) oflags |= kO_NONBLOCK;
  Result<int> fd = process_.open(path, oflags, static_cast<uint32_t>(mode));
  if (!fd && fd.error() == Errno::kEISDIR && (oflags & (kO_RDWR | kO_TMPFILE)) == kO_RDWR) {
    oflags = (oflags & ~kO_RDWR) | kO_RDONLY;
    fd = process_.open(path, oflags, static_cast<uint32_t>(mode));
  }
  if (!fd) {
    perror(path, fd.error());
    return -1;
  }
  // -R: the file is made a realtime one (FS_XFLAG_REALTIME), XFS only.
  if ((flags & Op::letter('R')) && !(flags & (Op::letter('r') | Op::letter('P')))) {
    Result<InodeRef> ip = process_.file_inode(*fd);
    if (ip && dynamic_cast<const XfsMount*>((*ip)->sb) != nullptr) {
      FsXattr fsx{};
      if (Errno e = host::ioctl(process_, *fd, kFS_IOC_FSGETXATTR, &fsx); e != Errno::kOk) {
        perror("FS_IOC_FSGETXATTR", e);
        process_.close(*fd);
        return -1;
      }
      if (!(fsx.fsx_xflags & kFS_XFLAG_REALTIME)) {
        fsx.fsx_xflags |= kFS_XFLAG_REALTIME;
        if (Errno e = host::ioctl(process_, *fd, kFS_IOC_FSSETXATTR, &fsx); e != Errno::kOk) {
          perror("FS_IOC_FSSETXATTR", e);
          process_.close(*fd);
          return -1;
        }
      }
    }
  }
  return *fd;
}

void IoShell::addfile(const std::string& path, int fd, uint64_t flags) {
  OpenFile f{.fd = fd, .name = path, .flags = flags};
  Result<InodeRef> ip = process_.file_inode(fd);
  const auto* xfs = ip ? dynamic_cast<const XfsMount*>((*ip)->sb) : nullptr;
  if (xfs == nullptr) {
    f.flags |= Op::letter('F');
  } else {
    f.blocksize = xfs->geo().blocksize;
    f.sectsize = dev_ != nullptr ? dev_->logical_block_size() : 512;
  }
  // An EISDIR retry opened it read-only.
  Result<int> fl = process_.fcntl_getfl(fd);
  if (fl && (*fl & kO_ACCMODE) == kO_RDONLY) f.flags |= Op::letter('r');
  files_.push_back(std::move(f));
  cur_ = static_cast<int>(files_.size()) - 1;
}

bool IoShell::open_files(const std::vector<std::string>& paths, uint64_t flags, int mode) {
  for (const std::string& p : paths) {
    const int fd = openfile(p, flags, mode);
    if (fd < 0) return false;
    addfile(p, fd, flags);
  }
  return true;
}

void IoShell::cmd_open(const Op& op) {
  if (op.path.empty()) {
    if (has_file()) {
      cmd_stat(Op{.kind = OpKind::kStat});
      return;
    }
    err_ << "no files are open, try 'help open'\n";
    fail();
    return;
  }
  const int fd = openfile(op.path, op.letters, op.mode);
  if (fd < 0) {
    fail();
    return;
  }
  addfile(op.path, fd, op.letters);
}

void IoShell::filelist() {
  for (size_t i = 0; i < files_.size(); ++i) {
    const OpenFile& f = files_[i];
    auto has = [&](char c) { return (f.flags & Op::letter(c)) != 0; };
    const bool cur = static_cast<int>(i) == cur_;
    out_ << absl::StrFormat("%c%03d%c %-14s (%s,%s,%s,%s%s%s%s%s%s%s)\n", cur ? '[' : ' ', i,
                            cur ? ']' : ' ', f.name, has('F') ? "foreign" : "xfs",
                            has('s') ? "sync" : "non-sync", has('d') ? "direct" : "non-direct",
                            has('r') ? "read-only" : "read-write", has('R') ? ",real-time" : "",
                            has('a') ? ",append-only" : "", has('n') ? ",non-block" : "",
                            has('T') ? ",tmpfile" : "", has('P') ? ",path" : "",
                            has('L') ? ",nofollow" : "");
  }
}

void IoShell::cmd_close() {
  if (Errno e = process_.close(cur().fd); e != Errno::kOk) {
    perror("close", e);
    fail();
    return;
  }
  erase_current(files_, &cur_);
  filelist();
}

void IoShell::cmd_file(const Op& op) {
  if (op.nargs == 0) {
    filelist();
    return;
  }
  const int i = static_cast<int>(op.off);
  if (i < 0 || i >= static_cast<int>(files_.size())) {
    out_ << absl::StrFormat("value %d is out of range (0-%d)\n", i, static_cast<int>(files_.size()) - 1);
    fail();
    return;
  }
  cur_ = i;
  filelist();
}

// --- data ----------------------------------------------------------------

void IoShell::report_io_times(std::string_view verb, uint64_t ns, int64_t offset, int64_t count,
                              int64_t total, int ops) {
  const double secs = static_cast<double>(ns / 1000) / 1e6;
  out_ << absl::StrFormat("%s %d/%d bytes at offset %d\n", verb, total, count, offset);
  out_ << absl::StrFormat("%s, %d ops; %s (%s/sec and %.4f ops/sec)\n", cvtstr(static_cast<double>(total)),
                          ops, timestr(ns), cvtstr(static_cast<double>(total) / secs),
                          static_cast<double>(ops) / secs);
}

bool IoShell::buffer_fits(uint64_t bsize, uint64_t total) {
  // The simulator gives a command at most 256 MiB of buffer (a host gives
  // what memalign can get); past that it answers as a failed memalign.
  constexpr uint64_t kMaxBuffer = 256ull << 20;
  if (bsize <= kMaxBuffer && total <= kMaxBuffer && (vectors_ == 0 || total / static_cast<uint64_t>(vectors_) == bsize)) {
    return true;
  }
  perror("memalign", Errno::kENOMEM);
  fail();
  return false;
}

void IoShell::cmd_pwrite(const Op& op) {
  const int fd = cur().fd;
  if (op.vectors != 0) vectors_ = op.vectors;
  const uint64_t bsize = static_cast<uint64_t>(std::max<int64_t>(op.bsize, 0));
  const uint64_t io_buffersize = vectors_ != 0 ? bsize * static_cast<uint64_t>(vectors_) : bsize;
  if (!buffer_fits(bsize, io_buffersize)) return;
  int rwf = 0;
  if (op.has('D')) rwf |= kRWF_DSYNC;
  if (op.has('N')) rwf |= kRWF_NOWAIT;
  const uint64_t t1 = machine_.clock.now_ns();
  // One write of up to `count` bytes, as do_pwrite makes it.
  std::vector<std::byte> buf = filled(static_cast<int64_t>(io_buffersize), op.fill);
  auto do_pwrite = [&](int64_t offset, int64_t count, uint64_t buffer_size) -> Result<uint64_t> {
    if (vectors_ == 0 && rwf == 0) {
      const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(count), buffer_size);
      return host::pwrite(process_, fd, std::span(buf).first(std::min<uint64_t>(n, buf.size())), offset);
    }
    // pwritev(2): vectors of bsize bytes, the first ones trimmed to count
    // (and, as xfs_io passes every vector, the rest untrimmed).
    std::vector<host::IoVec> iov;
    const int n = std::max(vectors_, 1);
    uint64_t left = static_cast<uint64_t>(count) < io_buffersize ? static_cast<uint64_t>(count) : UINT64_MAX;
    for (int i = 0; i < n; ++i) {
      size_t len = bsize;
      if (left != UINT64_MAX) {
        if (left < bsize) {
          len = left;
          left = UINT64_MAX;  // Trimmed once; the later vectors stay whole.
        } else {
          left -= bsize;
        }
      }
      iov.push_back({buf.data() + static_cast<size_t>(i) * bsize, len});
    }
    return host::pwritev2(process_, fd, iov, offset, rwf);
  };
  int64_t offset = op.off, count = op.len, total = 0;
  int ops = 0;
  const uint64_t bar = std::min<uint64_t>(bsize, static_cast<uint64_t>(count));
  while (count >= 0) {
    Result<uint64_t> n = do_pwrite(offset, count, bar);
    if (!n) {
      perror("pwrite", n.error());
      fail();
      return;
    }
    if (*n == 0) break;
    ++ops;
    total += static_cast<int64_t>(*n);
    if (*n < std::min<uint64_t>(static_cast<uint64_t>(count), bar)) break;
    offset += static_cast<int64_t>(*n);
    count -= static_cast<int64_t>(*n);
    if (count == 0) break;
  }
  if (op.has('W')) {
    if (Errno e = process_.fsync(fd); e != Errno::kOk) {
      perror("fsync", e);
      fail();
      return;
    }
  }
  if (op.has('w')) {
    if (Errno e = process_.fdatasync(fd); e != Errno::kOk) {
      perror("fdatasync", e);
      fail();
      return;
    }
  }
  if (op.has('q')) return;
  report_io_times("wrote", machine_.clock.now_ns() - t1, op.off, op.len, total, ops);
}

void IoShell::dump_buffer(std::span<const std::byte> buf, int64_t offset) {
  for (size_t i = 0; i < buf.size(); i += 16) {
    std::string line = absl::StrFormat("%08x:  ", static_cast<uint64_t>(offset) + i);
    const size_t n = std::min<size_t>(16, buf.size() - i);
    for (size_t j = 0; j < n; ++j) {
      absl::StrAppendFormat(&line, "%02x ", static_cast<unsigned>(buf[i + j]));
    }
    line += " ";
    for (size_t j = 0; j < n; ++j) {
      const char c = static_cast<char>(buf[i + j]);
      line += std::isalnum(static_cast<unsigned char>(c)) ? c : '.';
    }
    out_ << line << "\n";
  }
}

void IoShell::cmd_pread(const Op& op) {
  const int fd = cur().fd;
  if (op.vectors != 0) vectors_ = op.vectors;
  const uint64_t bsize = static_cast<uint64_t>(std::max<int64_t>(op.bsize, 0));
  const uint64_t io_buffersize = vectors_ != 0 ? bsize * static_cast<uint64_t>(vectors_) : bsize;
  if (!buffer_fits(bsize, io_buffersize)) return;
  const bool eof = op.has('E');
  std::vector<std::byte> buf = filled(static_cast<int64_t>(io_buffersize), 0xab);
  const uint64_t t1 = machine_.clock.now_ns();
  int64_t offset = op.off, count = op.len, total = 0;
  int ops = 0;
  while (count > 0 || eof) {
    // min(count, io_buffersize) compares as unsigned, as xfs_io's does.
    const uint64_t want = std::min<uint64_t>(static_cast<uint64_t>(count), io_buffersize);
    Result<uint64_t> n = Fail(Errno::kOk);
    if (vectors_ == 0) {
      n = host::pread(process_, fd, std::span(buf).first(want), offset);
    } else {
      std::vector<host::IoVec> iov;
      uint64_t left = want;
      for (int i = 0; i < vectors_; ++i) {
        const size_t len = std::min<uint64_t>(left, bsize);
        iov.push_back({buf.data() + static_cast<size_t>(i) * bsize, len == 0 ? bsize : len});
        left -= std::min<uint64_t>(left, bsize);
      }
      n = host::preadv2(process_, fd, iov, offset, 0);
    }
    if (!n) {
      perror("pread", n.error());
      fail();
      return;
    }
    if (*n == 0) break;
    ++ops;
    if (op.has('v')) dump_buffer(std::span(buf).first(*n), offset);
    total += static_cast<int64_t>(*n);
    if (*n < want) break;
    offset += static_cast<int64_t>(*n);
    count -= static_cast<int64_t>(*n);
  }
  if (op.has('q')) return;
  report_io_times("read", machine_.clock.now_ns() - t1, op.off, eof ? total : op.len, total, ops);
}

void IoShell::cmd_fallocate(const Op& op, std::string_view what) {
  const int mode = op.kind == OpKind::kZeroinit ? kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE : op.mode;
  if (Errno e = process_.fallocate(cur().fd, mode, op.off, op.len); e != Errno::kOk) {
    perror(what, e);
    // fzero alone leaves the exit status alone.
    if (op.mode != kFALLOC_FL_ZERO_RANGE && op.mode != (kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE)) {
      fail();
    }
  }
}

// --- metadata --------------------------------------------------------------

void IoShell::cmd_stat(const Op& op) {
  Result<Stat> st = process_.fstat(cur().fd);
  if (!st) {
    perror("fstat", st.error());
    fail();
    return;
  }
  const OpenFile& f = cur();
  auto has = [&](char c) { return (f.flags & Op::letter(c)) != 0; };
  if (op.has('r')) {
    const uint32_t type_bits = st->type == VType::kDir    ? 0040000
                               : st->type == VType::kChr  ? 0020000
                               : st->type == VType::kBlk  ? 0060000
                               : st->type == VType::kLnk  ? 0120000
                               : st->type == VType::kFifo ? 0010000
                                                          : 0100000;
    out_ << absl::StrFormat("stat.blksize = %u\n", st->blksize);
    out_ << absl::StrFormat("stat.nlink = %u\n", st->nlink);
    out_ << absl::StrFormat("stat.uid = %u\n", st->uid);
    out_ << absl::StrFormat("stat.gid = %u\n", st->gid);
    out_ << absl::StrFormat("stat.mode: 0%o\n", type_bits | st->mode);
    out_ << absl::StrFormat("stat.ino = %u\n", st->ino);
    out_ << absl::StrFormat("stat.size = %d\n", st->size);
    out_ << absl::StrFormat("stat.blocks = %d\n", st->blocks);
    out_ << absl::StrFormat("stat.atime.tv_sec = %d\n", st->atime.sec);
    out_ << absl::StrFormat("stat.atime.tv_nsec = %d\n", st->atime.nsec);
    out_ << absl::StrFormat("stat.ctime.tv_sec = %d\n", st->ctime.sec);
    out_ << absl::StrFormat("stat.ctime.tv_nsec = %d\n", st->ctime.nsec);
    out_ << absl::StrFormat("stat.mtime.tv_sec = %d\n", st->mtime.sec);
    out_ << absl::StrFormat("stat.mtime.tv_nsec = %d\n", st->mtime.nsec);
    out_ << absl::StrFormat("stat.rdev_major = %u\n", st->rdev >> 20);
    out_ << absl::StrFormat("stat.rdev_minor = %u\n", st->rdev & 0xfffff);
    out_ << "stat.dev_major = 7\nstat.dev_minor = 0\n";
    return;
  }
  out_ << absl::StrFormat("fd.path = \"%s\"\n", f.name);
  out_ << absl::StrFormat("fd.flags = %s,%s,%s%s%s%s%s\n", has('s') ? "sync" : "non-sync",
                          has('d') ? "direct" : "non-direct", has('r') ? "read-only" : "read-write",
                          has('R') ? ",real-time" : "", has('a') ? ",append-only" : "",
                          has('n') ? ",non-block" : "", has('T') ? ",tmpfile" : "");
  out_ << absl::StrFormat("stat.ino = %d\n", st->ino);
  out_ << absl::StrFormat("stat.type = %s\n", filetype(st->type));
  out_ << absl::StrFormat("stat.size = %d\n", st->size);
  out_ << absl::StrFormat("stat.blocks = %d\n", st->blocks);
  if (op.has('v')) {
    // ctime(3) of the simulated times, in UTC.
    auto ctime = [](Timespec t) {
      const time_t secs = static_cast<time_t>(t.sec);
      struct tm tm;
      gmtime_r(&secs, &tm);
      char buf[64];
      strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y\n", &tm);
      return std::string(buf);
    };
    out_ << "stat.atime = " << ctime(st->atime);
    out_ << "stat.mtime = " << ctime(st->mtime);
    out_ << "stat.ctime = " << ctime(st->ctime);
  }
  if (is_foreign()) return;
  FsXattr fsx{};
  if (Errno e = host::ioctl(process_, f.fd, kFS_IOC_FSGETXATTR, &fsx); e != Errno::kOk) {
    perror("FS_IOC_FSGETXATTR", e);
  } else {
    out_ << absl::StrFormat("fsxattr.xflags = 0x%x ", fsx.fsx_xflags)
         << printxattr(fsx.fsx_xflags, op.has('v'), false, f.name, true, true);
    out_ << absl::StrFormat("fsxattr.projid = %u\n", fsx.fsx_projid);
    out_ << absl::StrFormat("fsxattr.extsize = %u\n", fsx.fsx_extsize);
    out_ << absl::StrFormat("fsxattr.cowextsize = %u\n", fsx.fsx_cowextsize);
    out_ << absl::StrFormat("fsxattr.nextents = %u\n", fsx.fsx_nextents);
    // The attribute fork's extents: vfssim keeps no attribute fork.
    out_ << "fsxattr.naextents = 0\n";
  }
  // XFS_IOC_DIOINFO, from statx's STATX_DIOALIGN: memory and offset
  // alignment for regular files (the sector size; the block size for a
  // file that may share blocks, whose direct writes copy on write), none
  // for anything else; the largest I/O is INT_MAX rounded down to it.
  uint32_t mem = 0, miniosz = 0;
  if (st->type == VType::kReg) {
    mem = dev_ != nullptr ? dev_->logical_block_size() : 512;
    miniosz = mem;
    Result<InodeRef> ip = process_.file_inode(f.fd);
    if (ip && XfsMount::has_forks(**ip) && (XfsMount::xi(**ip).diflags & kXfsDiflag2Reflink)) {
      miniosz = static_cast<uint32_t>(XfsMount::of(**ip).bsize());
    }
  }
  out_ << absl::StrFormat("dioattr.mem = 0x%x\n", mem);
  out_ << absl::StrFormat("dioattr.miniosz = %u\n", miniosz);
  out_ << absl::StrFormat("dioattr.maxiosz = %u\n", miniosz == 0 ? 0 : 0x7fffffffu / miniosz * miniosz);
}

void IoShell::cmd_statfs(const Op& op) {
  const bool s = op.has('s'), g = op.has('g'), c = op.has('c');
  const bool all = !s && !g && !c;
  const OpenFile& f = cur();
  out_ << absl::StrFormat("fd.path = \"%s\"\n", f.name);
  if (all || s) {
    const uint64_t at = host::staging(process_, sizeof(UserStatfs));
    if (Errno e = process_.fstatfs(f.fd, at); e != Errno::kOk) {
      perror("fstatfs", e);
      fail();
    } else {
      UserStatfs st{};
      process_.load(at, std::as_writable_bytes(std::span(&st, 1)));
      out_ << absl::StrFormat("statfs.f_bsize = %d\n", st.f_bsize);
      out_ << absl::StrFormat("statfs.f_blocks = %d\n", st.f_blocks);
      out_ << absl::StrFormat("statfs.f_bavail = %d\n", st.f_bavail);
      out_ << absl::StrFormat("statfs.f_files = %d\n", st.f_files);
      out_ << absl::StrFormat("statfs.f_ffree = %d\n", st.f_ffree);
      out_ << absl::StrFormat("statfs.f_flags = 0x%x\n", st.f_flags);
    }
  }
  if (is_foreign()) return;
  Result<InodeRef> ip = process_.file_inode(f.fd);
  const auto* xfs = ip ? dynamic_cast<const XfsMount*>((*ip)->sb) : nullptr;
  if (xfs == nullptr) return;
  const XfsGeometry& geo = xfs->geo();
  if (all || g) {
    out_ << absl::StrFormat("geom.bsize = %u\n", geo.blocksize);
    out_ << absl::StrFormat("geom.agcount = %u\n", geo.agcount);
    out_ << absl::StrFormat("geom.agblocks = %u\n", geo.agblocks);
    out_ << absl::StrFormat("geom.datablocks = %u\n", geo.dblocks);
    // mkfs.xfs's default realtime extent is 4 KiB (at least a block).
    out_ << absl::StrFormat("geom.rtblocks = 0\ngeom.rtextents = 0\ngeom.rtextsize = %u\ngeom.sunit = 0\ngeom.swidth = 0\n",
                            std::max<uint32_t>(1, 4096 / geo.blocksize));
  }
  if (all || c) {
    // XFS_IOC_FSCOUNTS reads the superblock's counters; no statfs(2) call.
    Kstatfs st{};
    xfs->statfs(&st);
    out_ << absl::StrFormat("counts.freedata = %u\n", xfs->fdblocks());
    out_ << "counts.freertx = 0\n";
    // Inodes come in chunks of 64: the chunks' inodes are allocated, the
    // ones not in use free.
    const uint64_t used = st.f_files - st.f_ffree;
    const uint64_t allocino = (used + 63) / 64 * 64;
    out_ << absl::StrFormat("counts.freeino = %u\n", allocino - used);
    out_ << absl::StrFormat("counts.allocino = %u\n", allocino);
  }
}

// --- maps ------------------------------------------------------------------

void IoShell::cmd_fiemap(const Op& op) {
  if (op.has('n')) max_extents_ = static_cast<int>(op.src_off);
  const int fd = cur().fd;
  const bool verbose = op.has('v');
  const bool lflag = op.has('l');
  int foff_w = 16, boff_w = 16, tot_w = 5, flg_w = 5;
  const uint64_t start_offset = op.nargs >= 1 ? static_cast<uint64_t>(op.off) : 0;
  uint64_t last_logical = start_offset;
  uint64_t range_end = op.nargs >= 2 ? start_offset + static_cast<uint64_t>(op.len) : UINT64_MAX;
  int cur_extent = 0;
  auto bb = [](uint64_t bytes) { return bytes / 512; };
  auto numlen = [](uint64_t v, int base) {
    int n = 1;
    while (v >= static_cast<uint64_t>(base)) {
      v /= base;
      ++n;
    }
    return n;
  };
  auto print_hole = [&](int lflag_, bool plain, uint64_t llast, uint64_t lstart) {
    if (plain) {
      out_ << absl::StrFormat("\t%d: [%u..%u]: hole", cur_extent, llast, lstart - 1);
      out_ << (lflag_ ? absl::StrFormat(" %u blocks\n", lstart - llast) : "\n");
    } else {
      const std::string lbuf = absl::StrFormat("[%u..%u]:", llast, lstart - 1);
      out_ << absl::StrFormat("%4d: %-*s %-*s %*u\n", cur_extent, foff_w, lbuf, boff_w, "hole", tot_w,
                              lstart - llast);
    }
  };
  out_ << cur().name << ":\n";
  bool done = false;
  while (!done) {
    Fiemap fi{.fm_start = last_logical,
              .fm_length = range_end - last_logical,
              .fm_flags = op.has('U') ? 0u : kFIEMAP_FLAG_SYNC,
              .fm_extent_count = 32};
    if (op.has('a')) fi.fm_flags |= kFIEMAP_FLAG_XATTR;
    if (Errno e = host::fiemap(process_, fd, &fi); e != Errno::kOk) {
      err_ << absl::StrFormat("xfs_io: ioctl(FS_IOC_FIEMAP) [\"%s\"]: %s\n", cur().name, strerror_text(e));
      fail();
      return;
    }
    if (fi.fm_mapped_extents == 0) break;
    for (size_t i = 0; i < fi.fm_extents.size(); ++i) {
      const FiemapExtent& ext = fi.fm_extents[i];
      const uint64_t llast = bb(last_logical), lstart = bb(ext.fe_logical), len = bb(ext.fe_length),
                     block = bb(ext.fe_physical);
      if (verbose) {
        if (cur_extent == 0) {
          for (const FiemapExtent& x : fi.fm_extents) {
            const uint64_t l = bb(x.fe_logical), n = bb(x.fe_length), b = bb(x.fe_physical);
            foff_w = std::max<int>(foff_w, absl::StrFormat("[%u..%u]", l, l + n - 1).size());
            boff_w = std::max<int>(boff_w, absl::StrFormat("%u..%u", b, b + n - 1).size());
            tot_w = std::max(tot_w, numlen(n, 10));
            flg_w = std::max(flg_w, numlen(x.fe_flags, 16));
            if (x.fe_flags & kFIEMAP_EXTENT_LAST) break;
          }
          out_ << absl::StrFormat("%4s: %-*s %-*s %*s %*s\n", "EXT", foff_w, "FILE-OFFSET", boff_w,
                                  "BLOCK-RANGE", tot_w, "TOTAL", flg_w, "FLAGS");
        }
        if (lstart > llast) {
          print_hole(0, false, llast, lstart);
          ++cur_extent;
        }
        if (cur_extent != max_extents_) {
          out_ << absl::StrFormat("%4d: %-*s %-*s %*u %*s\n", cur_extent, foff_w,
                                  absl::StrFormat("[%u..%u]:", lstart, lstart + len - 1), boff_w,
                                  absl::StrFormat("%u..%u", block, block + len - 1), tot_w, len, flg_w,
                                  absl::StrFormat("0x%x", ext.fe_flags));
          ++cur_extent;
        }
      } else {
        if (lstart > llast) {
          print_hole(lflag, true, llast, lstart);
          ++cur_extent;
        }
        if (cur_extent != max_extents_) {
          out_ << absl::StrFormat("\t%d: [%u..%u]: %u..%u", cur_extent, lstart, lstart + len - 1, block,
                                  block + len - 1);
          out_ << (lflag ? absl::StrFormat(" %u blocks\n", len) : "\n");
          ++cur_extent;
        }
      }
      last_logical = ext.fe_logical + ext.fe_length;
      if ((ext.fe_flags & kFIEMAP_EXTENT_LAST) || last_logical >= range_end ||
          cur_extent == max_extents_) {
        done = true;
        break;
      }
    }
  }
  if (cur_extent == max_extents_) return;
  Result<Stat> st = process_.fstat(fd);
  if (!st) {
    err_ << "xfs_io: fstat failed: " << strerror_text(st.error()) << "\n";
    fail();
    return;
  }
  range_end = std::min<uint64_t>(range_end, st->size);
  if (cur_extent != 0 && last_logical < range_end) {
    print_hole(lflag, !verbose, bb(last_logical), bb(range_end));
  }
}

void IoShell::cmd_seek(const Op& op) {
  const int fd = cur().fd;
  bool dflag = op.kind == OpKind::kSeekData || op.has('d');
  bool hflag = op.kind == OpKind::kSeekHole || op.has('h');
  const bool rflag = op.has('r');
  const bool startflag = op.has('s');
  static constexpr const char* kName[] = {"DATA", "HOLE"};
  auto lseek = [&](int64_t at, int which) -> std::pair<int64_t, Errno> {
    Result<off_t64> r = process_.lseek(fd, at, which == 0 ? kSEEK_DATA : kSEEK_HOLE);
    return r ? std::pair<int64_t, Errno>{*r, Errno::kOk} : std::pair<int64_t, Errno>{-1, r.error()};
  };
  auto output = [&](const char* type, int64_t start, std::pair<int64_t, Errno> r) {
    if (r.first == -1) {
      if (r.second == Errno::kENXIO) {
        out_ << (startflag ? absl::StrFormat("%s\t%d\tEOF\n", type, start) : absl::StrFormat("%s\tEOF\n", type));
      } else {
        out_ << absl::StrFormat("ERR\t%d\t", start);
        perror("", r.second);
      }
    } else {
      out_ << (startflag ? absl::StrFormat("%s\t%d\t%d\n", type, start, r.first)
                         : absl::StrFormat("%s\t%d\n", type, r.first));
    }
  };
  int64_t start = op.off;
  int current = 1;
  std::pair<int64_t, Errno> r{-1, Errno::kOk};
  auto bad = [&]() {
    err_ << absl::StrFormat("Invalid seek result: lseek(<fd>, %d, SEEK_%s) = %d\n", start, kName[current],
                            r.first);
  };
  bool found = false;
  if (hflag) {
    current = 1;
    r = lseek(start, 1);
    if (r.first != -1 && r.first < start) return bad();
    if (start == r.first || !dflag) found = true;
  }
  if (!found) {
    current = 0;
    r = lseek(start, 0);
    if (r.first != -1 && r.first < start) return bad();
  }
  out_ << (startflag ? "Whence\tStart\tResult\n" : "Whence\tResult\n");
  for (int c = 0; dflag || hflag; ++c) {
    if (r.first == -1) {
      if (r.second != Errno::kENXIO || c == 0) output(kName[current], start, r);
      return;
    }
    if ((current == 0 && dflag) || (current == 1 && hflag)) output(kName[current], start, r);
    if (!rflag) (current == 0 ? dflag : hflag) = false;
    current ^= 1;
    start = r.first;
    r = lseek(start, current);
    if (r.first != -1 && r.first <= start) return bad();
  }
}

// --- two files -------------------------------------------------------------

void IoShell::cmd_remap(const Op& op) {
  const std::string src = op.src >= 0 ? absl::StrCat("f", op.src) : op.path;
  const int fd = openfile(src, Op::letter('r'), 0);
  if (fd < 0) {
    fail();
    return;
  }
  const uint64_t t1 = machine_.clock.now_ns();
  if (op.kind == OpKind::kClone) {
    int ops = 0;
    Errno e;
    if (op.src_off == 0 && op.off == 0 && op.len == 0) {
      e = host::ficlone(process_, cur().fd, fd);
      if (e != Errno::kOk) perror("XFS_IOC_CLONE", e);
    } else {
      FileCloneRange arg{.src_fd = fd,
                         .src_offset = static_cast<uint64_t>(op.src_off),
                         .src_length = static_cast<uint64_t>(op.len),
                         .dest_offset = static_cast<uint64_t>(op.off)};
      e = host::ioctl(process_, cur().fd, kFICLONERANGE, &arg);
      if (e != Errno::kOk) perror("XFS_IOC_CLONE_RANGE", e);
    }
    if (e == Errno::kOk) ops = 1;
    if (ops != 0 && !op.has('q')) {
      report_io_times("linked", machine_.clock.now_ns() - t1, op.off, op.len, op.len, ops);
    }
    process_.close(fd);
    return;
  }
  // dedupe: FIDEDUPERANGE until the length is done.
  struct DedupeOne {
    FileDedupeRange hdr;
    FileDedupeRangeInfo info;
  } args{};
  args.hdr = {.src_offset = static_cast<uint64_t>(op.src_off),
              .src_length = static_cast<uint64_t>(op.len),
              .dest_count = 1};
  args.info = {.dest_fd = cur().fd, .dest_offset = static_cast<uint64_t>(op.off)};
  int ops = 0;
  int64_t deduped = 0;
  // dedupe repeats the call until the length is done; dedupe_range makes it once.
  const bool once = op.kind == OpKind::kDedupe;
  while ((args.hdr.src_length > 0 || ops == 0) && !(once && ops > 0)) {
    if (Errno e = host::dedupe(process_, fd, &args.hdr); e != Errno::kOk) {
      perror("XFS_IOC_FILE_EXTENT_SAME", e);
      fail();
      break;
    }
    if (args.info.status < 0) {
      err_ << "XFS_IOC_FILE_EXTENT_SAME: " << strerror_text(static_cast<Errno>(-args.info.status)) << "\n";
      break;
    }
    if (args.info.status == kFILE_DEDUPE_RANGE_DIFFERS) {
      err_ << "XFS_IOC_FILE_EXTENT_SAME: Extents did not match.\n";
      break;
    }
    if (args.hdr.src_length != 0 &&
        (args.info.bytes_deduped == 0 || args.info.bytes_deduped > args.hdr.src_length)) {
      break;
    }
    ++ops;
    args.hdr.src_offset += args.info.bytes_deduped;
    args.info.dest_offset += args.info.bytes_deduped;
    if (args.hdr.src_length >= args.info.bytes_deduped) args.hdr.src_length -= args.info.bytes_deduped;
    deduped += static_cast<int64_t>(args.info.bytes_deduped);
  }
  if (ops != 0 && !op.has('q')) {
    report_io_times("deduped", machine_.clock.now_ns() - t1, op.off, op.len, deduped, ops);
  }
  process_.close(fd);
}

void IoShell::cmd_copy_range(const Op& op) {
  int fd;
  if (op.has('f')) {
    fd = files_.at(static_cast<size_t>(op.src)).fd;
  } else {
    fd = openfile(op.src >= 0 ? absl::StrCat("f", op.src) : op.path, Op::letter('r'), 0);
    if (fd < 0) {
      fail();
      return;
    }
  }
  uint64_t len = static_cast<uint64_t>(op.has('l') ? op.len : 0);
  int64_t src_off = op.has('s') ? op.src_off : 0, dst_off = op.has('d') ? op.off : 0;
  bool failed = false;
  if (!op.has('l')) {
    Result<Stat> st = process_.fstat(fd);
    if (!st) {
      perror("fstat", st.error());
      failed = true;
    } else if (static_cast<int64_t>(st->size) > src_off) {
      len = st->size - static_cast<uint64_t>(src_off);
    }
  }
  // Both offsets in user memory, updated by each call.
  const uint64_t at = host::staging(process_, 2 * sizeof(int64_t));
  while (!failed) {
    const int64_t offs[2] = {src_off, dst_off};
    process_.store(at, std::as_bytes(std::span(offs)));
    Result<uint64_t> n = process_.copy_file_range(fd, at, cur().fd, at + sizeof(int64_t), len, 0);
    if (!n) {
      perror("copy_range", n.error());
      failed = true;
      break;
    }
    int64_t back[2];
    process_.load(at, std::as_writable_bytes(std::span(back)));
    src_off = back[0];
    dst_off = back[1];
    if (*n == 0) break;
    len -= *n;
    // copy_range repeats the call until the length is done; copy_file_range
    // makes it once.
    if (len == 0 || op.kind == OpKind::kCopyRange) break;
  }
  // xfs_io closes the source even when it is an entry of the file table,
  // and a failed call ends the command loop (its errno is the command's
  // return value) with the exit status as it was.
  process_.close(fd);
  if (failed) stop_ = true;
}

// --- attributes ------------------------------------------------------------

void IoShell::cmd_chattr(const Op& op) {
  uint32_t orflags = 0, andflags = 0;
  bool recurse_all = false, recurse_dir = false;
  for (const std::string& w : breakline(op.path)) {
    if (w.size() >= 2 && w[0] == '-' && w[1] == 'R') {
      recurse_all = true;
    } else if (w.size() >= 2 && w[0] == '-' && w[1] == 'D') {
      recurse_dir = true;
    } else if (w[0] == '+' || w[0] == '-') {
      for (size_t i = 1; i < w.size(); ++i) {
        const XflagName* x = nullptr;
        for (const XflagName& cand : kXflags) {
          if (cand.shortname == w[i]) x = &cand;
        }
        if (x == nullptr) {
          err_ << "xfs_io: unknown flag\n";
          fail();
          return;
        }
        (w[0] == '+' ? orflags : andflags) |= x->flag;
      }
    } else {
      err_ << "xfs_io: bad chattr command, not +/-X\n";
      fail();
      return;
    }
  }
  if (recurse_all && recurse_dir) {
    err_ << "xfs_io: -R and -D options are mutually exclusive\n";
    fail();
    return;
  }
  FsXattr fsx{};
  if (Errno e = host::ioctl(process_, cur().fd, kFS_IOC_FSGETXATTR, &fsx); e != Errno::kOk) {
    err_ << "xfs_io: cannot get flags on " << cur().name << ": " << strerror_text(e) << "\n";
    fail();
    return;
  }
  fsx.fsx_xflags = (fsx.fsx_xflags | orflags) & ~andflags;
  if (Errno e = host::ioctl(process_, cur().fd, kFS_IOC_FSSETXATTR, &fsx); e != Errno::kOk) {
    err_ << "xfs_io: cannot set flags on " << cur().name << ": " << strerror_text(e) << "\n";
    fail();
  }
}

void IoShell::cmd_lsattr(const Op& op) {
  FsXattr fsx{};
  if (Errno e = host::ioctl(process_, cur().fd, kFS_IOC_FSGETXATTR, &fsx); e != Errno::kOk) {
    err_ << "xfs_io: cannot get flags on " << cur().name << ": " << strerror_text(e) << "\n";
    fail();
    return;
  }
  const bool a = op.has('a'), v = op.has('v');
  out_ << printxattr(fsx.fsx_xflags, v, !a, cur().name, v, !a);
  if (a) out_ << "/" << printxattr(~0u, false, true, cur().name, false, true);
}

// --- mappings --------------------------------------------------------------

void IoShell::maplist() {
  for (size_t i = 0; i < maps_.size(); ++i) {
    const Mapping& m = maps_[i];
    const bool cur = static_cast<int>(i) == curmap_;
    std::string prot = absl::StrCat((m.prot & kProtRead) ? "r" : "-", (m.prot & kProtWrite) ? "w" : "-",
                                    (m.prot & kProtExec) ? "x" : "-");
    if ((m.flags & (kMAP_SYNC | kMAP_SHARED_VALIDATE)) == (kMAP_SYNC | kMAP_SHARED_VALIDATE)) prot += " S";
    out_ << absl::StrFormat("%c%03d%c 0x%x - 0x%x %s  %14s (%d : %d)\n", cur ? '[' : ' ', i, cur ? ']' : ' ',
                            m.addr, m.addr + static_cast<uint64_t>(m.length), prot, m.name, m.offset,
                            m.length);
  }
}

void IoShell::cmd_mmap(const Op& op) {
  if (op.nargs < 2) {
    if (curmap_ >= 0) {
      if (op.nargs == 0) return maplist();
      const int i = static_cast<int>(op.off);
      if (i < 0 || i >= static_cast<int>(maps_.size())) {
        out_ << absl::StrFormat("value %d is out of range (0-%d)\n", i, static_cast<int>(maps_.size()));
        fail();
        return;
      }
      curmap_ = i;
      return maplist();
    }
    err_ << (has_file() ? "no mapped regions, try 'help mmap'\n" : "no files are open, try 'help open'\n");
    fail();
    return;
  }
  if (!has_file()) {
    err_ << "no files are open, try 'help open'\n";
    fail();
    return;
  }
  int prot = 0;
  if (op.has('r')) prot |= kProtRead;
  if (op.has('w')) prot |= kProtWrite;
  if (op.has('x')) prot |= kProtExec;
  if (prot == 0) prot = kProtRead | kProtWrite | kProtExec;
  const int flags = op.has('S') ? kMAP_SYNC | kMAP_SHARED_VALIDATE : kMAP_SHARED;
  Result<uint64_t> addr = process_.mmap(0, static_cast<uint64_t>(op.len), prot, flags, cur().fd, op.off);
  if (!addr) {
    perror("mmap", addr.error());
    fail();
    return;
  }
  maps_.push_back({*addr, op.len, op.off, cur().name, prot, flags});
  curmap_ = static_cast<int>(maps_.size()) - 1;
}

namespace {

// check_mapping_range: xfs_io's messages for a range outside the mapping.
std::optional<std::string> outside(int64_t map_off, int64_t map_len, int64_t offset, int64_t length) {
  if (offset < map_off) {
    return absl::StrFormat("offset (%d) is before start of mapping (%d)\n", offset, map_off);
  }
  const int64_t relative = offset - map_off;
  if (relative > map_len) {
    return absl::StrFormat("offset (%d) is beyond end of mapping (%d)\n", relative, map_off);
  }
  if (relative + length > map_off + map_len) {
    return absl::StrFormat("range (%d:%d) is beyond mapping (%d:%d)\n", offset, relative, map_off, map_len);
  }
  return std::nullopt;
}

}  // namespace

bool IoShell::mapping_range(const Op& op, int64_t* offset, int64_t* length) {
  const Mapping& m = maps_[curmap_];
  *offset = op.nargs == 2 ? op.off : m.offset;
  *length = op.nargs == 2 ? op.len : m.length;
  if (std::optional<std::string> why = outside(m.offset, m.length, *offset, *length)) {
    out_ << *why;
    fail();
    return false;
  }
  return true;
}

void IoShell::cmd_mread(const Op& op) {
  const Mapping& m = maps_[curmap_];
  int64_t offset = 0, length = 0;
  if (!mapping_range(op, &offset, &length)) return;
  const int64_t dumpoffset = offset - m.offset;
  const int dump = op.has('f') ? 2 : op.has('v') ? 1 : 0;
  const int64_t printoffset = dump == 2 ? offset : dumpoffset;
  constexpr int64_t kPage = 4096;
  // xfs_io reads the bytes one at a time (last first with -r) and dumps a
  // piece whenever it has one: the first piece is length % page (or a whole
  // page), then whole pages. A fault ends it where the byte read faulted.
  std::vector<std::byte> piece_bytes;
  int64_t at = 0;  // Bytes of the (possibly reversed) sequence done.
  int64_t piece = length % kPage == 0 ? kPage : length % kPage;
  while (at < length) {
    const int64_t n = std::min(piece, length - at);
    piece_bytes.resize(static_cast<size_t>(n));
    // The mapping offset of the piece's lowest byte.
    const int64_t lo = op.has('r') ? dumpoffset + length - at - n : dumpoffset + at;
    if (std::optional<Siginfo> sig = process_.load(m.addr + static_cast<uint64_t>(lo), piece_bytes)) {
      // The signal kills xfs_io: nothing more runs.
      exitcode_ = 128 + sig->signo;
      killed_ = true;
      return;
    }
    if (op.has('r')) std::reverse(piece_bytes.begin(), piece_bytes.end());
    if (dump != 0) dump_buffer(piece_bytes, printoffset + at);
    at += n;
    piece = kPage;
  }
}

void IoShell::cmd_mwrite(const Op& op) {
  const Mapping& m = maps_[curmap_];
  int64_t offset = 0, length = 0;
  if (!mapping_range(op, &offset, &length)) return;
  // Stored a piece at a time (xfs_io stores byte by byte; -r from the end).
  constexpr int64_t kPiece = 64 << 10;
  const std::vector<std::byte> bytes = filled(std::min(length, kPiece), op.fill);
  for (int64_t at = 0; at < length;) {
    const int64_t n = std::min(kPiece, length - at);
    const int64_t lo = op.has('r') ? offset - m.offset + length - at - n : offset - m.offset + at;
    if (std::optional<Siginfo> sig =
            process_.store(m.addr + static_cast<uint64_t>(lo), std::span(bytes).first(static_cast<size_t>(n)))) {
      // The signal kills xfs_io: nothing more runs.
      exitcode_ = 128 + sig->signo;
      killed_ = true;
      return;
    }
    at += n;
  }
}

void IoShell::cmd_msync(const Op& op) {
  const Mapping& m = maps_[curmap_];
  int64_t offset = 0, length = 0;
  if (!mapping_range(op, &offset, &length)) return;
  const uint64_t start = m.addr + static_cast<uint64_t>(offset - m.offset);
  if (start % 4096 != 0) {
    out_ << absl::StrFormat("offset address (0x%x) is not page aligned\n", start);
    fail();
    return;
  }
  int flags = 0;
  if (op.has('a')) flags |= kMS_ASYNC;
  if (op.has('i')) flags |= kMS_INVALIDATE;
  if (op.has('s')) flags |= kMS_SYNC;
  if (Errno e = process_.msync(start, static_cast<uint64_t>(length), flags); e != Errno::kOk) {
    perror("msync", e);
    fail();
  }
}

void IoShell::cmd_munmap() {
  Mapping& m = maps_[curmap_];
  if (Errno e = process_.munmap(m.addr, static_cast<uint64_t>(m.length)); e != Errno::kOk) {
    perror("munmap", e);
    fail();
    return;
  }
  erase_current(maps_, &curmap_);
  maplist();
}

void IoShell::cmd_madvise(const Op& op) {
  int64_t offset = 0, length = 0;
  if (!mapping_range(op, &offset, &length)) return;
  // The advice itself changes nothing the model keeps: pages are faulted
  // in on access either way (MADV_DONTNEED on a shared file mapping only
  // drops page table entries).
}

void IoShell::cmd_extsize(const Op& op) {
  const OpenFile& f = cur();
  // -D recurses over directories only: a regular file is passed over.
  if (op.has('D')) {
    Result<Stat> st = process_.fstat(f.fd);
    if (st && st->type != VType::kDir) return;
  }
  FsXattr fsx{};
  if (Errno e = host::ioctl(process_, f.fd, kFS_IOC_FSGETXATTR, &fsx); e != Errno::kOk) {
    out_ << "xfs_io: FS_IOC_FSGETXATTR " << f.name << ": " << strerror_text(e) << "\n";
    fail();
    return;
  }
  if (op.nargs == 0) {
    out_ << absl::StrFormat("[%u] %s\n", fsx.fsx_extsize, f.name);
    return;
  }
  Result<Stat> st = process_.fstat(f.fd);
  if (!st) {
    perror("fstat", st.error());
    fail();
    return;
  }
  if (st->type == VType::kReg) {
    fsx.fsx_xflags |= kFS_XFLAG_EXTSIZE;
  } else if (st->type == VType::kDir) {
    fsx.fsx_xflags |= kFS_XFLAG_EXTSZINHERIT;
  } else {
    out_ << "invalid target file type - file " << f.name << "\n";
    fail();
    return;
  }
  fsx.fsx_extsize = static_cast<uint32_t>(op.len);
  if (Errno e = host::ioctl(process_, f.fd, kFS_IOC_FSSETXATTR, &fsx); e != Errno::kOk) {
    out_ << "xfs_io: FS_IOC_FSSETXATTR " << f.name << ": " << strerror_text(e) << "\n";
    fail();
  }
}

// --- help and vfssim's own --------------------------------------------------

void IoShell::cmd_help(const Op& op) {
  auto oneline = [&](std::string_view word, const CommandSpec& c) {
    std::string s;
    if (!word.empty()) {
      absl::StrAppend(&s, to_absl(word), " ");
    } else {
      absl::StrAppend(&s, to_absl(c.name), " ");
      if (!c.altname.empty()) absl::StrAppend(&s, "(or ", to_absl(c.altname), ") ");
    }
    if (!c.args.empty()) absl::StrAppend(&s, to_absl(c.args), " ");
    absl::StrAppend(&s, "-- ", to_absl(c.oneline), "\n");
    return s;
  };
  if (op.path.empty()) {
    // help_all passes each command's name, so no "(or X)" is printed.
    for (const CommandSpec& c : command_table()) out_ << oneline(c.name, c);
    out_ << "\nUse 'help commandname' for extended help.\n";
    return;
  }
  const CommandSpec* c = find_command(op.path);
  if (c == nullptr) {
    out_ << "command " << op.path << " not found\n";
    return;
  }
  out_ << oneline(op.path, *c);
}

}  // namespace vfssim
