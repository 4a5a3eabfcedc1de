#include "vfs/host_io.h"

#include <vector>

#include "vfs/mmap.h"

namespace vfssim::host {
namespace {

std::span<const std::byte> bytes_of(const void* p, size_t n) {
  return {static_cast<const std::byte*>(p), n};
}

// stage_vec lays the host buffers out in the staging area, followed by the
// iovec array pointing at them; returns the array's user address.
uint64_t stage_vec(Process& p, std::span<const IoVec> iov, bool copy_in) {
  uint64_t total = 0;
  for (const IoVec& v : iov) total += v.len;
  const uint64_t base = staging(p, total + iov.size() * sizeof(UserIovec));
  std::vector<UserIovec> uv;
  uint64_t at = base;
  for (const IoVec& v : iov) {
    if (copy_in) p.mm().store(at, bytes_of(v.base, v.len));
    uv.push_back({at, v.len});
    at += v.len;
  }
  p.mm().store(at, bytes_of(uv.data(), uv.size() * sizeof(UserIovec)));
  return at;
}

// unstage_vec copies the first n bytes of the staged buffers back.
void unstage_vec(Process& p, std::span<const IoVec> iov, uint64_t n) {
  uint64_t at = kStagingBase;
  for (const IoVec& v : iov) {
    const uint64_t k = std::min<uint64_t>(n, v.len);
    p.mm().load(at, {v.base, k});
    n -= k;
    at += v.len;
  }
}

}  // namespace

uint64_t staging(Process& p, uint64_t n) {
  const uint64_t want = std::max<uint64_t>((n + kUserPageSize - 1) & ~(kUserPageSize - 1),
                                           kUserPageSize);
  const Vma* vma = p.mm().find_vma(kStagingBase);
  if (vma == nullptr || vma->end - vma->start < want) {
    p.mm().map(kStagingBase, want, kProtRead | kProtWrite, /*shared=*/false, nullptr, 0, nullptr);
  }
  return kStagingBase;
}

Result<uint64_t> read(Process& p, int fd, std::span<std::byte> buf) {
  const uint64_t at = staging(p, buf.size());
  Result<uint64_t> r = p.read(fd, at, buf.size());
  if (r) p.mm().load(at, buf.first(*r));
  return r;
}

Result<uint64_t> write(Process& p, int fd, std::span<const std::byte> buf) {
  const uint64_t at = staging(p, buf.size());
  p.mm().store(at, buf);
  return p.write(fd, at, buf.size());
}

Result<uint64_t> pread(Process& p, int fd, std::span<std::byte> buf, off_t64 off) {
  const uint64_t at = staging(p, buf.size());
  Result<uint64_t> r = p.pread(fd, at, buf.size(), off);
  if (r) p.mm().load(at, buf.first(*r));
  return r;
}

Result<std::string> readlink(Process& p, std::string_view path) {
  constexpr uint64_t kPathMax = 4096;
  const uint64_t at = staging(p, kPathMax);
  Result<uint64_t> n = p.readlinkat(kAT_FDCWD, path, at, kPathMax);
  if (!n) return Fail(n.error());
  std::string text(*n, '\0');
  p.mm().load(at, std::as_writable_bytes(std::span(text)));
  return text;
}

Result<uint64_t> pwrite(Process& p, int fd, std::span<const std::byte> buf, off_t64 off) {
  const uint64_t at = staging(p, buf.size());
  p.mm().store(at, buf);
  return p.pwrite(fd, at, buf.size(), off);
}

Result<uint64_t> readv(Process& p, int fd, std::span<const IoVec> iov) {
  const uint64_t v = stage_vec(p, iov, /*copy_in=*/false);
  Result<uint64_t> r = p.readv(fd, v, static_cast<int>(iov.size()));
  if (r) unstage_vec(p, iov, *r);
  return r;
}

Result<uint64_t> writev(Process& p, int fd, std::span<const IoVec> iov) {
  const uint64_t v = stage_vec(p, iov, /*copy_in=*/true);
  return p.writev(fd, v, static_cast<int>(iov.size()));
}

Result<uint64_t> preadv2(Process& p, int fd, std::span<const IoVec> iov, off_t64 off, int rwf) {
  const uint64_t v = stage_vec(p, iov, /*copy_in=*/false);
  Result<uint64_t> r = p.preadv2(fd, v, static_cast<int>(iov.size()), off, rwf);
  if (r) unstage_vec(p, iov, *r);
  return r;
}

Result<uint64_t> pwritev2(Process& p, int fd, std::span<const IoVec> iov, off_t64 off, int rwf) {
  const uint64_t v = stage_vec(p, iov, /*copy_in=*/true);
  return p.pwritev2(fd, v, static_cast<int>(iov.size()), off, rwf);
}

Result<uint64_t> pwrite_direct(Process& p, int fd, std::span<const std::byte> buf, off_t64 off) {
  Result<int> fl = p.fcntl_getfl(fd);
  if (!fl) return Fail(fl.error());
  if (Errno e = p.fcntl_setfl(fd, *fl | kO_DIRECT); e != Errno::kOk) return Fail(e);
  Result<uint64_t> n = pwrite(p, fd, buf, off);
  p.fcntl_setfl(fd, *fl);
  return n;
}

MstoreResult mstore(Process& p, int fd, off_t64 off, std::span<const std::byte> buf) {
  MstoreResult r;
  const uint64_t len = buf.size();
  if (off < 0 || len == 0 || len > static_cast<uint64_t>(kOffMax) ||
      off > kOffMax - static_cast<off_t64>(len)) {
    r.err = Errno::kEINVAL;
    r.call = "mmap";
    return r;
  }
  const uint64_t start = static_cast<uint64_t>(off) / kUserPageSize * kUserPageSize;
  const uint64_t maplen = static_cast<uint64_t>(off) + len - start;
  Result<uint64_t> addr = p.mmap(0, maplen, kProtRead | kProtWrite, kMAP_SHARED, fd,
                                 static_cast<off_t64>(start));
  if (!addr) {
    r.err = addr.error();
    r.call = "mmap";
    return r;
  }
  const uint64_t at = *addr + (static_cast<uint64_t>(off) - start);
  std::optional<Siginfo> sig = p.store(at, buf);
  r.stored = sig ? sig->addr - at : len;
  r.signal = sig ? sig->signo : 0;
  if (Errno e = p.msync(*addr, maplen, kMS_SYNC); e != Errno::kOk) {
    r.err = e;
    r.call = "msync";
  }
  if (Errno e = p.munmap(*addr, maplen); e != Errno::kOk && r.err == Errno::kOk) {
    r.err = e;
    r.call = "munmap";
  }
  return r;
}

Errno fspacectl(Process& p, int fd, int cmd, const SpacectlRange* rqsr, int flags,
                SpacectlRange* rmsr) {
  const uint64_t at = staging(p, 2 * sizeof(SpacectlRange));
  const uint64_t rm_at = at + sizeof(SpacectlRange);
  if (rqsr != nullptr) p.mm().store(at, bytes_of(rqsr, sizeof(*rqsr)));
  // Stage rmsr's old contents too, so a call that leaves it alone shows it.
  if (rmsr != nullptr) p.mm().store(rm_at, bytes_of(rmsr, sizeof(*rmsr)));
  const Errno e = p.fspacectl(fd, cmd, rqsr != nullptr ? at : 0, flags,
                              rmsr != nullptr ? rm_at : 0);
  if (rmsr != nullptr) p.mm().load(rm_at, {reinterpret_cast<std::byte*>(rmsr), sizeof(*rmsr)});
  return e;
}

Errno ioctl_bytes(Process& p, int fd, unsigned long cmd, std::span<std::byte> arg) {
  const uint64_t at = staging(p, arg.size());
  p.mm().store(at, arg);
  const Errno e = p.ioctl(fd, cmd, at);
  p.mm().load(at, arg);
  return e;
}

Errno dedupe(Process& p, int fd, FileDedupeRange* same) {
  const size_t size = sizeof(FileDedupeRange) + same->dest_count * sizeof(FileDedupeRangeInfo);
  return ioctl_bytes(p, fd, kFIDEDUPERANGE, {reinterpret_cast<std::byte*>(same), size});
}

Errno fiemap(Process& p, int fd, Fiemap* fi) {
  const uint64_t size = sizeof(UserFiemap) + uint64_t{fi->fm_extent_count} * sizeof(UserFiemapExtent);
  const uint64_t at = staging(p, size);
  const UserFiemap hdr{.fm_start = fi->fm_start, .fm_length = fi->fm_length,
                       .fm_flags = fi->fm_flags, .fm_extent_count = fi->fm_extent_count};
  p.mm().store(at, bytes_of(&hdr, sizeof(hdr)));
  const Errno e = p.ioctl(fd, kFS_IOC_FIEMAP, at);
  UserFiemap out;
  p.mm().load(at, {reinterpret_cast<std::byte*>(&out), sizeof(out)});
  fi->fm_flags = out.fm_flags;
  fi->fm_mapped_extents = out.fm_mapped_extents;
  fi->fm_extents.clear();
  if (fi->fm_extent_count > 0) {
    for (uint32_t i = 0; i < out.fm_mapped_extents && i < fi->fm_extent_count; ++i) {
      UserFiemapExtent x;
      p.mm().load(at + sizeof(UserFiemap) + i * sizeof(UserFiemapExtent),
                  {reinterpret_cast<std::byte*>(&x), sizeof(x)});
      fi->fm_extents.push_back({x.fe_logical, x.fe_physical, x.fe_length, x.fe_flags});
    }
  }
  return e;
}

}  // namespace vfssim::host
