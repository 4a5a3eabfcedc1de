#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "harness/backend.h"
#include "sim/absl_view.h"

namespace vfssim {
namespace {

Errno host_errno() { return static_cast<Errno>(errno); }

uint64_t host_size(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// spacectl_by_punch is fspacectl(SPACECTL_DEALLOC) in Linux terms:
// kern_fspacectl's argument checks (rmsr starts as rqsr), then
// fallocate(PUNCH_HOLE | KEEP_SIZE) over the range clipped to EOF. A
// complete call leaves rmsr as fspacectl(2) says: r_len 0 and r_offset
// "rqsr->r_offset plus the number of bytes zeroed before the end-of-file".
// A failed punch reports the whole range as left.
Errno spacectl_by_punch(int fd, int64_t off, int64_t len, SpacectlRange* rmsr) {
  *rmsr = {off, len};
  if (off < 0 || len <= 0 || off > kOffMax - len) return Errno::kEINVAL;
  const int64_t size = static_cast<int64_t>(host_size(fd));
  const int64_t end = std::max(off, std::min(off + len, size));
  if (end > off && ::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, end - off) != 0) {
    return host_errno();
  }
  *rmsr = {end, 0};
  return Errno::kOk;
}

constexpr long kTmpfsMagic = 0x01021994;
constexpr long kXfsMagic = 0x58465342;  // XFS_SUPER_MAGIC, "XFSB".
constexpr long kExt4Magic = 0xef53;     // EXT4_SUPER_MAGIC.
constexpr size_t kPage = 4096;

// A FIDEDUPERANGE argument with one destination, as it lies in memory:
// struct file_dedupe_range and its info[1].
struct alignas(struct file_dedupe_range) DedupeOne {
  unsigned char bytes[sizeof(struct file_dedupe_range) + sizeof(struct file_dedupe_range_info)];
  struct file_dedupe_range* hdr() { return reinterpret_cast<struct file_dedupe_range*>(bytes); }
  struct file_dedupe_range_info* info() { return &hdr()->info[0]; }
};

// probe_caps asks the kernel what `fd`'s filesystem supports, `other`
// being a second empty file there (see HostBackend).
FileCaps probe_caps(int fd, int other) {
  FileCaps c;
  int bsize = 0;
  if (::ioctl(fd, FIGETBSZ, &bsize) == 0 && bsize > 0) c.fs_block = static_cast<uint64_t>(bsize);
  struct statx sx {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0 && (sx.stx_mask & STATX_DIOALIGN)) {
    c.dio_align = sx.stx_dio_offset_align;
  }
  struct file_dedupe_range none {};
  c.remap = ::ioctl(fd, FIDEDUPERANGE, &none) == 0;
  struct file_clone_range nothing {.src_fd = fd, .src_offset = 0, .src_length = 0, .dest_offset = 0};
  c.reflink = c.remap && ::ioctl(other, FICLONERANGE, &nothing) == 0;
  struct statfs sfs {};
  c.eof_page_keeps_stores = ::fstatfs(fd, &sfs) == 0 && sfs.f_type == kTmpfsMagic;
  if (sfs.f_type == kXfsMagic) c.rename_nonempty = Errno::kEEXIST;
  if (sfs.f_type == kXfsMagic || sfs.f_type == kExt4Magic) c.max_folio = kLargestFolio;
  return c;
}

// The SIGBUS a store through a mapping may end in: where to go back to.
thread_local sigjmp_buf* t_sigbus_jump = nullptr;

void on_sigbus(int) {
  if (t_sigbus_jump != nullptr) siglongjmp(*t_sigbus_jump, 1);
  std::abort();
}

// store_pages stores n bytes of `value` at p, a page at a time, and
// returns how many it stored before a page raised SIGBUS (n: none did).
size_t store_pages(volatile unsigned char* p, size_t n, unsigned char value) {
  struct sigaction sa {}, old {};
  sa.sa_handler = on_sigbus;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGBUS, &sa, &old);
  sigjmp_buf jump;
  t_sigbus_jump = &jump;
  volatile size_t done = 0;
  if (sigsetjmp(jump, 1) == 0) {
    while (done < n) {
      const size_t in_page = (reinterpret_cast<uintptr_t>(p) + done) % kPage;
      const size_t chunk = std::min(n - done, kPage - in_page);
      for (size_t i = 0; i < chunk; ++i) p[done + i] = value;
      done = done + chunk;
    }
  }
  t_sigbus_jump = nullptr;
  ::sigaction(SIGBUS, &old, nullptr);
  return done;
}

}  // namespace

HostBackend::HostBackend(std::string dir, int nfiles) : dir_(std::move(dir)) {
  for (int i = 0; i < nfiles; ++i) {
    const std::string path = absl::StrCat(dir_, "/f", i);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) ok_ = false;
    fds_.push_back(fd);
  }
  // Asked while every file is new and empty: a clone of nothing, and a
  // reflinked inode's larger O_DIRECT alignment hint, change nothing yet.
  for (int i = 0; i < nfiles; ++i) {
    caps_.push_back(ok_ ? probe_caps(fds_[i], fds_[(i + 1) % nfiles]) : FileCaps{});
  }
}

HostBackend::~HostBackend() {
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] >= 0) ::close(fds_[i]);
  }
  // The files, and whatever namespace ops left beside them.
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) std::filesystem::remove_all(e.path(), ec);
}

std::string HostBackend::under(std::string_view path) const { return absl::StrCat(dir_, "/", to_absl(path)); }

std::string HostBackend::file_path(int file) { return absl::StrCat("/f", file); }

std::optional<NameState> HostBackend::name_state(std::string_view path) {
  struct stat st;
  const std::string full = under(path);
  if (::lstat(full.c_str(), &st) != 0) return NameState{.err = host_errno()};
  NameState s{.nlink = static_cast<uint64_t>(st.st_nlink)};
  if (S_ISDIR(st.st_mode)) {
    s.type = 'd';
  } else if (S_ISLNK(st.st_mode)) {
    s.type = 'l';
    char buf[4096];
    const ssize_t n = ::readlink(full.c_str(), buf, sizeof(buf));
    if (n >= 0) s.target.assign(buf, static_cast<size_t>(n));
  } else if (S_ISREG(st.st_mode)) {
    s.type = 'f';
    for (size_t i = 0; i < fds_.size(); ++i) {
      struct stat f;
      if (::fstat(fds_[i], &f) == 0 && f.st_ino == st.st_ino && f.st_dev == st.st_dev) s.file = static_cast<int>(i);
    }
  } else {
    s.type = '?';
  }
  return s;
}

std::optional<uint64_t> HostBackend::file_nlink(int file) {
  struct stat st;
  if (::fstat(fds_.at(file), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_nlink);
}

OpResult HostBackend::run(const Op& op) {
  OpResult r;
  const int fd = fds_.at(op.file);
  auto set = [&](int64_t v) {
    if (v < 0) {
      r.err = host_errno();
    } else {
      r.ret = v;
    }
  };
  switch (op.kind) {
    case OpKind::kPwrite: {
      std::vector<std::byte> buf(static_cast<size_t>(op.len), std::byte{op.fill});
      set(::pwrite(fd, buf.data(), buf.size(), op.off));
      break;
    }
    case OpKind::kPread: {
      r.data.resize(static_cast<size_t>(op.len));
      const ssize_t n = ::pread(fd, r.data.data(), r.data.size(), op.off);
      set(n);
      r.data.resize(n > 0 ? static_cast<size_t>(n) : 0);
      break;
    }
    case OpKind::kTruncate:
      set(::ftruncate(fd, op.len));
      break;
    case OpKind::kFallocate:
      set(::fallocate(fd, op.mode, op.off, op.len));
      break;
    case OpKind::kFspacectl:
      r.err = spacectl_by_punch(fd, op.off, op.len, &r.rmsr);
      break;
    case OpKind::kPoison:
      r.err = Errno::kEOPNOTSUPP;
      break;
    case OpKind::kFsync:
      set(::fsync(fd));
      break;
    case OpKind::kSeekData:
      set(::lseek(fd, op.off, SEEK_DATA));
      break;
    case OpKind::kSeekHole:
      set(::lseek(fd, op.off, SEEK_HOLE));
      break;
    case OpKind::kClone: {
      struct file_clone_range arg {
        .src_fd = fds_.at(op.src), .src_offset = static_cast<uint64_t>(op.src_off),
        .src_length = static_cast<uint64_t>(op.len), .dest_offset = static_cast<uint64_t>(op.off)
      };
      set(::ioctl(fd, FICLONERANGE, &arg));
      break;
    }
    case OpKind::kDedupe: {
      DedupeOne arg{};
      arg.hdr()->src_offset = static_cast<uint64_t>(op.src_off);
      arg.hdr()->src_length = static_cast<uint64_t>(op.len);
      arg.hdr()->dest_count = 1;
      arg.info()->dest_fd = fd;
      arg.info()->dest_offset = static_cast<uint64_t>(op.off);
      set(::ioctl(fds_.at(op.src), FIDEDUPERANGE, arg.hdr()));
      if (r.err == Errno::kOk) {
        r.ret = static_cast<int64_t>(arg.info()->bytes_deduped);
        r.status = arg.info()->status;
      }
      break;
    }
    case OpKind::kCopyRange: {
      loff_t in = op.src_off, out = op.off;
      set(::copy_file_range(fds_.at(op.src), &in, fd, &out, static_cast<size_t>(op.len), 0));
      break;
    }
    case OpKind::kDioPwrite: {
      const int fl = ::fcntl(fd, F_GETFL);
      if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_DIRECT) != 0) {
        r.err = host_errno();
        break;
      }
      void* raw = nullptr;
      const size_t n = static_cast<size_t>(op.len);
      if (posix_memalign(&raw, kPage, std::max<size_t>(n, 1)) != 0) {
        r.err = Errno::kENOMEM;
      } else {
        std::unique_ptr<void, decltype(&std::free)> buf(raw, &std::free);
        std::memset(raw, op.fill, n);
        set(::pwrite(fd, raw, n, op.off));
      }
      ::fcntl(fd, F_SETFL, fl);
      break;
    }
    case OpKind::kMwrite:
      r = mwrite(op);
      break;
    case OpKind::kFdatasync:
      if (::fdatasync(fd) != 0) r.err = host_errno();
      break;
    case OpKind::kMkdir:
      if (::mkdir(under(op.path).c_str(), 0755) != 0) r.err = host_errno();
      break;
    case OpKind::kRmdir:
      if (::rmdir(under(op.path).c_str()) != 0) r.err = host_errno();
      break;
    case OpKind::kUnlink:
      if (::unlink(under(op.path).c_str()) != 0) r.err = host_errno();
      break;
    case OpKind::kRename:
      if (::rename(under(op.path).c_str(), under(op.arg).c_str()) != 0) r.err = host_errno();
      break;
    case OpKind::kLink:
      if (::link(under(op.path).c_str(), under(op.arg).c_str()) != 0) r.err = host_errno();
      break;
    case OpKind::kSymlink:
      // The target is the link's text, as given (the campaign's are
      // relative, so they stay under the directory).
      if (::symlink(op.path.c_str(), under(op.arg).c_str()) != 0) r.err = host_errno();
      break;
    default:
      r.err = Errno::kEINVAL;  // Shell-level, or the simulator's only.
      break;
    case OpKind::kFiemap: {
      constexpr unsigned kCount = 256;
      std::vector<std::byte> buf(sizeof(struct fiemap) + kCount * sizeof(struct fiemap_extent));
      auto* fm = reinterpret_cast<struct fiemap*>(buf.data());
      fm->fm_start = static_cast<uint64_t>(op.off);
      fm->fm_length = static_cast<uint64_t>(op.len);
      fm->fm_extent_count = kCount;
      set(::ioctl(fd, FS_IOC_FIEMAP, fm));
      if (r.err == Errno::kOk) {
        std::vector<FiemapExtent> ext;
        for (unsigned i = 0; i < fm->fm_mapped_extents; ++i) {
          const struct fiemap_extent& e = fm->fm_extents[i];
          ext.push_back({e.fe_logical, e.fe_physical, e.fe_length, e.fe_flags});
        }
        r.extents = logical_extents(ext);
      }
      break;
    }
  }
  r.size_after = host_size(fd);
  return r;
}

OpResult HostBackend::mwrite(const Op& op) {
  OpResult r;
  const int fd = fds_.at(op.file);
  if (op.off < 0 || op.len <= 0) {
    r.err = Errno::kEINVAL;  // As SimBackend: mmap's answer to the range.
    return r;
  }
  const uint64_t start = static_cast<uint64_t>(op.off) / kPage * kPage;
  const size_t maplen = static_cast<size_t>(static_cast<uint64_t>(op.off + op.len) - start);
  void* addr = ::mmap(nullptr, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                      static_cast<off_t>(start));
  if (addr == MAP_FAILED) {
    r.err = host_errno();
    return r;
  }
  auto* at = static_cast<unsigned char*>(addr) + (static_cast<uint64_t>(op.off) - start);
  const size_t done = store_pages(at, static_cast<size_t>(op.len), op.fill);
  r.ret = static_cast<int64_t>(done);
  r.signal = done < static_cast<size_t>(op.len) ? SIGBUS : 0;
  if (::msync(addr, maplen, MS_SYNC) != 0) r.err = host_errno();
  if (::munmap(addr, maplen) != 0 && r.err == Errno::kOk) r.err = host_errno();
  return r;
}

Result<std::vector<std::byte>> HostBackend::read(int file, uint64_t off, uint64_t len) {
  std::vector<std::byte> buf(len);
  const ssize_t n = ::pread(fds_.at(file), buf.data(), buf.size(), static_cast<off_t>(off));
  if (n < 0) return Fail(host_errno());
  buf.resize(static_cast<size_t>(n));
  return buf;
}

uint64_t HostBackend::block_size(int file) {
  struct stat st;
  return fstat(fds_.at(file), &st) == 0 ? static_cast<uint64_t>(st.st_blksize) : 4096;
}

}  // namespace vfssim
