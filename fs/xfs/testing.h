// XfsFixture: a simulated machine with the XFS-like filesystem made by
// xfs_mkfs on a 512 MiB block device (or 1 GiB pmem, DAX) and mounted at
// "/", a root process, and fsck (check()) after every test.
//
//   class MyTest : public XfsFixture {};
//   TEST_F(MyTest, X) { int fd = *p.open("/f", kO_RDWR | kO_CREAT, 0644); ... }

#ifndef VFSSIM_FS_XFS_TESTING_H_
#define VFSSIM_FS_XFS_TESTING_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "fs/shmfs/shmfs.h"
#include "fs/xfs/xfs_mount.h"
#include "sim/testing/bytes.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {

class XfsFixture : public ::testing::Test {
 protected:
  explicit XfsFixture(std::string_view mkfs_opts = "", std::string_view mount_opts = "",
                      bool pmem = false)
      : mkfs_opts_(mkfs_opts), mount_opts_(mount_opts), pmem_(pmem) {}

  void SetUp() override {
    register_shmfs(vfs);
    register_xfs(vfs);
    BlockDevice& dev = pmem_ ? static_cast<BlockDevice&>(pmemdev) : disk;
    ASSERT_EQ(xfs_mkfs(m, dev, mkfs_opts_), Errno::kOk);
    ASSERT_EQ(vfs.mount("xfs", &dev, mount_opts_, "/", Creds::root()), Errno::kOk);
  }
  void TearDown() override { expect_clean(); }

  // expect_clean runs fsck and fails the test on any inconsistency.
  void expect_clean() {
    for (const std::string& e : mount().check()) ADD_FAILURE() << "fsck: " << e;
  }

  XfsMount& mount() { return static_cast<XfsMount&>(*vfs.find_mount("xfs")); }
  Inode& inode(int fd) { return **p.file_inode(fd); }
  XfsInodeData& xi(int fd) { return XfsMount::xi(inode(fd)); }

  int create(const std::string& path) {
    Result<int> fd = p.open(path, kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    EXPECT_TRUE(fd) << path;
    return fd ? *fd : -1;
  }
  uint64_t write_at(int fd, uint64_t off, uint64_t len, char fill = 'x') {
    std::vector<std::byte> b(len, std::byte(fill));
    Result<uint64_t> r = host::pwrite(p, fd, b, static_cast<off_t64>(off));
    EXPECT_TRUE(r) << errno_name(r.error());
    return r ? *r : 0;
  }
  std::vector<std::byte> read_at(int fd, uint64_t off, uint64_t len) {
    std::vector<std::byte> b(len);
    Result<uint64_t> r = host::pread(p, fd, b, static_cast<off_t64>(off));
    EXPECT_TRUE(r);
    b.resize(r ? *r : 0);
    return b;
  }
  uint64_t st_blocks(int fd) { return p.fstat(fd)->blocks; }

  // leave_free takes free space away (reserved in the allocator, as if
  // allocated) until `n` blocks are free to reserve (fdblocks), and returns
  // what it took, for give_back.
  std::vector<XfsExtent> leave_free(uint64_t n) {
    std::vector<XfsExtent> taken;
    if (mount().fdblocks() < n) {
      ADD_FAILURE() << "leave_free(" << n << "): only " << mount().fdblocks() << " free";
      return taken;
    }
    uint64_t take = mount().fdblocks() - n;
    for (const XfsExtent& e : mount().allocator().free_extents()) {
      if (take == 0) break;
      const uint64_t k = std::min(take, e.len);
      mount().allocator().reserve(e.start, k);
      taken.push_back({e.start, k});
      take -= k;
    }
    EXPECT_EQ(mount().fdblocks(), n);
    return taken;
  }
  // give_back frees what leave_free took, and forces the log so the blocks
  // are no longer busy (free to allocate and to take again).
  void give_back(const std::vector<XfsExtent>& taken) {
    for (const XfsExtent& e : taken) mount().allocator().free(e.start, e.len);
    mount().log_force();
  }

  Machine m{1};
  SimBlockDevice disk{m, BlockDeviceConfig{.capacity_bytes = 512ull << 20}};
  PmemDevice pmemdev{m, PmemConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};

 private:
  std::string mkfs_opts_;
  std::string mount_opts_;
  bool pmem_;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_XFS_TESTING_H_
