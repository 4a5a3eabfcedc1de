#include "vfs/process.h"

#include <utility>

#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::kMayExec;

Process::Process(Vfs& vfs, Creds creds, int pid)
    : vfs_(vfs), creds_(std::move(creds)), pid_(pid), cwd_(vfs.root()),
      mm_(std::make_unique<AddressSpace>()) {
  mapper_ = std::make_unique<ProcessMapper>(*mm_);
  mm_->owner = static_cast<PageMapper*>(mapper_.get());
}

void Process::trace(TraceKey name, absl::Span<const TraceField> args, Errno err, int64_t ret) {
  vfs_.machine().clock.advance(CostModel::kSyscallNs);
  Trace& t = vfs_.machine().trace;
  if (!t.enabled()) return;
  if (err == Errno::kOk) {
    t.record("syscall", {{"pid", pid_}, {"call", name}, {"args", TraceValue::object(args)},
                         {"ret", ret}});
  } else {
    t.record("syscall", {{"pid", pid_}, {"call", name}, {"args", TraceValue::object(args)},
                         {"err", err}});
  }
}

std::unique_ptr<Process> Process::fork(Creds creds, int pid) const {
  auto child = std::make_unique<Process>(vfs_, std::move(creds), pid);
  child->fds_ = fds_;
  child->cwd_ = cwd_;
  return child;
}

Result<std::shared_ptr<File>> Process::get(int fd, Fdget how) const {
  auto it = fds_.find(fd);
  // __fget_light(fd, FMODE_PATH): fdget refuses O_PATH files, fdget_raw not.
  if (it == fds_.end() || (it->second.file->path && how != Fdget::kRaw)) {
    return Fail(Errno::kEBADF);
  }
  return it->second.file;
}

int Process::install(std::shared_ptr<File> fp, bool cloexec) {
  int fd = 0;
  while (fds_.contains(fd)) ++fd;
  fp->mark_installed();
  fds_.emplace(fd, FdEntry{std::move(fp), cloexec});
  return fd;
}

Errno Process::copy_from_user_bytes(std::span<std::byte> dst, uint64_t uaddr) {
  if (!access_ok(uaddr, dst.size())) return Errno::kEFAULT;
  return mm_->copy_in(uaddr, dst, /*may_fault=*/true) == dst.size() ? Errno::kOk : Errno::kEFAULT;
}

Errno Process::copy_to_user_bytes(uint64_t uaddr, std::span<const std::byte> src) {
  if (!access_ok(uaddr, src.size())) return Errno::kEFAULT;
  return mm_->copy_out(uaddr, src, /*may_fault=*/true) == src.size() ? Errno::kOk
                                                                       : Errno::kEFAULT;
}

Errno Process::permission(const Inode& ip, int may) const {
  if (creds_.capable(Cap::kDacOverride)) {
    // Root may read/write anything; execute needs some x bit.
    if (!(may & kMayExec) || ip.is_dir() || (ip.mode & 0111)) return Errno::kOk;
  }
  uint32_t bits = ip.mode & 07;
  if (creds_.uid == ip.uid) {
    bits = (ip.mode >> 6) & 07;
  } else if (creds_.in_group(ip.gid)) {
    bits = (ip.mode >> 3) & 07;
  }
  return (bits & static_cast<uint32_t>(may)) == static_cast<uint32_t>(may) ? Errno::kOk
                                                                           : Errno::kEACCES;
}

std::optional<Siginfo> Process::deliver(std::optional<Siginfo> s) {
  if (s) {
    signals_.push_back(*s);
    if (tracing()) {
      trace("signal", {{"signo", s->signo}, {"code", s->code}, {"addr", s->addr}}, Errno::kOk);
    }
  }
  return s;
}

std::optional<Siginfo> Process::load(uint64_t addr, std::span<std::byte> dst) {
  return deliver(mm_->load(addr, dst));
}

std::optional<Siginfo> Process::store(uint64_t addr, std::span<const std::byte> src) {
  return deliver(mm_->store(addr, src));
}

}  // namespace vfssim
