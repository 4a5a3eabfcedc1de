#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "harness/backend.h"

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

}  // namespace

HostBackend::HostBackend(std::string dir, int nfiles) : dir_(std::move(dir)) {
  for (int i = 0; i < nfiles; ++i) {
    const std::string path = absl::StrCat(dir_, "/f", i);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) ok_ = false;
    fds_.push_back(fd);
  }
}

HostBackend::~HostBackend() {
  for (size_t i = 0; i < fds_.size(); ++i) {
    if (fds_[i] >= 0) ::close(fds_[i]);
    ::unlink(absl::StrCat(dir_, "/f", i).c_str());
  }
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
