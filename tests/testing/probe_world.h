// ProbeWorld: one probe case's simulated machine, for the tests that
// re-enact a host probe (tests/probes/*_probe.c) and compare the fields it
// recorded. A fresh filesystem for a fixture column is mounted at "/"; the
// case records "ret", "errno" and "pos" the way the probes print them, plus
// its own extras, into `rec`.
//
//   ProbeWorld w("xfs");
//   w.result(w.p.pread(w.fd, w.B, 10, -1), w.fd);
//   EXPECT_EQ(w.rec["errno"], "EINVAL");

#ifndef VFSSIM_TESTS_TESTING_PROBE_WORLD_H_
#define VFSSIM_TESTS_TESTING_PROBE_WORLD_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {

class ProbeWorld {
 public:
  explicit ProbeWorld(const std::string& fs) : fs_(fs) {
    EXPECT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
  }

  // result records a call's outcome as the probes print it: ret (-1 on
  // error), errno's name, and pos = lseek(on_fd, 0, SEEK_CUR) or -1.
  template <typename T>
  void result(const Result<T>& r, int on_fd) {
    rec["ret"] = r ? static_cast<int64_t>(*r) : -1;
    rec["errno"] = r ? "" : std::string(errno_name(r.error()));
    pos_of(on_fd);
  }
  void result(Errno e, int on_fd) {
    rec["ret"] = e == Errno::kOk ? 0 : -1;
    rec["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
    pos_of(on_fd);
  }

  // map_user maps n bytes of anonymous user memory filled with `fill`.
  uint64_t map_user(uint64_t n, std::byte fill) {
    const uint64_t a = *p.mmap(0, n, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    EXPECT_FALSE(p.store(a, std::vector<std::byte>(n, fill)));
    return a;
  }
  std::vector<std::byte> user(uint64_t addr, uint64_t n) {
    std::vector<std::byte> b(n);
    EXPECT_EQ(p.mm().copy_in(addr, b, /*may_fault=*/true), n);
    return b;
  }
  // store_iov writes an iovec array into user memory at addr.
  void store_iov(uint64_t addr, std::vector<UserIovec> iov) {
    EXPECT_FALSE(p.store(addr, std::as_bytes(std::span(iov))));
  }
  // read_file reads n bytes at off through `on_fd` (host staging helper).
  std::vector<std::byte> read_file(int on_fd, uint64_t off, uint64_t n) {
    std::vector<std::byte> b(n);
    Result<uint64_t> r = host::pread(p, on_fd, b, static_cast<off_t64>(off));
    b.resize(r ? *r : 0);
    return b;
  }
  uint64_t size_of(int on_fd) {
    Result<Stat> st = p.fstat(on_fd);
    return st ? st->size : 0;
  }

  const std::string& fs() const { return fs_; }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  nlohmann::json rec = nlohmann::json::object();

 private:
  void pos_of(int on_fd) {
    Result<off_t64> pos = p.lseek(on_fd, 0, kSEEK_CUR);
    rec["pos"] = pos ? *pos : -1;
  }
  std::string fs_;
};

// compare_fixture_row checks every field of `want` (but "fs" and `skip`ped
// ones) against what the case recorded.
inline void compare_fixture_row(const nlohmann::json& want, const nlohmann::json& got,
                                const std::string& fs,
                                const std::vector<std::string>& skip = {}) {
  const std::string name = want["case"];
  for (const auto& [key, value] : want.items()) {
    if (key == "fs" || key == "case" ||
        std::find(skip.begin(), skip.end(), key) != skip.end()) {
      continue;
    }
    if (!got.contains(key)) {
      ADD_FAILURE() << fs << " " << name << ": the case does not record " << key;
      continue;
    }
    if (got[key] != value) {
      ADD_FAILURE() << fs << " " << name << " " << key << ": simulator " << got[key].dump()
                    << ", host " << value.dump();
    }
  }
}

}  // namespace vfssim

#endif  // VFSSIM_TESTS_TESTING_PROBE_WORLD_H_
