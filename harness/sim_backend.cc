#include <algorithm>

#include "absl/strings/str_cat.h"
#include "fs/shmfs/shmfs.h"
#include "harness/backend.h"
#include "vfs/host_io.h"

namespace vfssim {
namespace {

uint64_t sim_size(Process& p, int fd) {
  Result<Stat> st = p.fstat(fd);
  return st ? st->size : 0;
}

}  // namespace

SimBackend::SimBackend(uint64_t seed, std::string_view fs_type, std::string_view options,
                       int nfiles, bool memfd)
    : machine_(seed), vfs_(machine_), process_(vfs_, Creds::root()) {
  register_shmfs(vfs_);
  if (vfs_.mount(fs_type, nullptr, options, "/", Creds::root()) != Errno::kOk) return;
  for (int i = 0; i < nfiles; ++i) {
    const std::string name = absl::StrCat("/f", i);
    fds_.push_back(memfd ? *process_.memfd_create(name)
                         : *process_.open(name, kO_RDWR | kO_CREAT, 0644));
  }
}

OpResult SimBackend::run(const Op& op) {
  machine_.faults.begin_op(op.id >= 0 ? static_cast<uint64_t>(op.id) : next_op_id_);
  next_op_id_ = machine_.faults.op() + 1;
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
                .fm_extent_count = 256};
      r.err = host::fiemap(p, fd, &fi);
      if (r.err == Errno::kOk) r.extents = logical_extents(fi.fm_extents);
      break;
    }
  }
  r.size_after = sim_size(p, fd);
  return r;
}

Result<std::vector<std::byte>> SimBackend::contents(int file) {
  const int fd = fds_.at(file);
  std::vector<std::byte> buf(sim_size(process_, fd));
  Result<uint64_t> n = host::pread(process_, fd, buf, 0);
  if (!n) return Fail(n.error());
  buf.resize(*n);
  return buf;
}

std::vector<std::string> SimBackend::check() {
  std::vector<std::string> bad;
  if (InodeRef root = vfs_.root()) bad = root->sb->check();
  return bad;
}

}  // namespace vfssim
