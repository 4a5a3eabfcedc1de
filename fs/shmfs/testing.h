// ShmfsFixture: a simulated machine with shmfs mounted at "/" and a root
// process, for tests of the VFS and of shmfs itself.
//
//   class MyTest : public ShmfsFixture {};
//   TEST_F(MyTest, X) { int fd = *p.open("/f", kO_RDWR | kO_CREAT); ... }

#ifndef VFSSIM_FS_SHMFS_TESTING_H_
#define VFSSIM_FS_SHMFS_TESTING_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "fs/shmfs/shmfs.h"
#include "sim/testing/bytes.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {

class ShmfsFixture : public ::testing::Test {
 protected:
  // mount_options are the shmfs options for the root mount.
  explicit ShmfsFixture(std::string_view mount_options = "") : mount_options_(mount_options) {}

  void SetUp() override {
    register_shmfs(vfs);
    ASSERT_EQ(vfs.mount("shmfs", nullptr, mount_options_, "/", Creds::root()), Errno::kOk);
    sb = static_cast<ShmSuperblock*>(vfs.find_mount("shmfs"));
  }

  // contents reads the first n bytes of fd.
  std::vector<std::byte> contents(int fd, size_t n) {
    std::vector<std::byte> buf(n);
    EXPECT_EQ(*host::pread(p, fd, buf, 0), n);
    return buf;
  }

  Machine m{1};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  ShmSuperblock* sb = nullptr;

 private:
  std::string_view mount_options_;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_SHMFS_TESTING_H_
