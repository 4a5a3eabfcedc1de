// Backends the harness runs ops on: the simulator (SimBackend) and the host
// kernel (HostBackend: real syscalls on files in a directory, e.g. tmpfs or
// a loop-mounted XFS/ext4).

#ifndef VFSSIM_HARNESS_BACKEND_H_
#define VFSSIM_HARNESS_BACKEND_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/op.h"
#include "sim/errno.h"
#include "sim/machine.h"
#include "vfs/mount.h"
#include "vfs/process.h"

namespace vfssim {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // run executes `op` on file op.file (files 0..n-1 exist, open read-write)
  // and reports what the call said, with the file size after it.
  virtual OpResult run(const Op& op) = 0;
  // contents reads the whole file. Errors: the read's errno.
  virtual Result<std::vector<std::byte>> contents(int file) = 0;
  // check is the filesystem's fsck: the inconsistencies found (none: empty).
  virtual std::vector<std::string> check() = 0;
};

// SimBackend: `nfiles` files /f0.. on a fresh simulated machine with
// `fs_type` mounted at "/" (shmfs is always registered); with memfd, the
// files are anonymous shm objects (memfd_create) instead, whose fspacectl
// is shm_deallocate.
class SimBackend : public Backend {
 public:
  SimBackend(uint64_t seed, std::string_view fs_type = "shmfs", std::string_view options = "",
             int nfiles = 2, bool memfd = false);
  std::string_view name() const override { return "sim"; }
  OpResult run(const Op& op) override;
  Result<std::vector<std::byte>> contents(int file) override;
  std::vector<std::string> check() override;

  Machine& machine() { return machine_; }
  Vfs& vfs() { return vfs_; }
  Process& process() { return process_; }
  int fd(int file) const { return fds_.at(file); }

 private:
  Machine machine_;
  Vfs vfs_;
  Process process_;
  std::vector<int> fds_;
  uint64_t next_op_id_ = 0;
};

// HostBackend: `nfiles` files f0.. created (truncated) in `dir` on the host.
// fspacectl does not exist on Linux: it reports ENOSYS.
class HostBackend : public Backend {
 public:
  HostBackend(std::string dir, int nfiles = 2);
  ~HostBackend() override;
  std::string_view name() const override { return "host"; }
  OpResult run(const Op& op) override;
  Result<std::vector<std::byte>> contents(int file) override;
  std::vector<std::string> check() override { return {}; }
  bool ok() const { return ok_; }

 private:
  std::string dir_;
  std::vector<int> fds_;
  bool ok_ = true;
};

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_BACKEND_H_
