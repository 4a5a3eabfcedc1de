// The XFS-like filesystem through the syscall layer.

#include <gtest/gtest.h>

#include "fs/xfs/testing.h"
#include "vfs/buffered_io.h"

namespace vfssim {
namespace {

class XfsTest : public XfsFixture {};

TEST_F(XfsTest, WriteReadBack) {
  int fd = create("/f");
  EXPECT_EQ(write_at(fd, 0, 10000, 'a'), 10000u);
  EXPECT_EQ(read_at(fd, 0, 10000), std::vector<std::byte>(10000, std::byte('a')));
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  EXPECT_EQ(read_at(fd, 5000, 10), std::vector<std::byte>(10, std::byte('a')));
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

class Xfs1kTest : public XfsFixture {
 protected:
  Xfs1kTest() : XfsFixture("-b size=1024") {}
};

TEST_F(Xfs1kTest, SubPageBlocksWriteBackAndReadBack) {
  int fd = create("/f");
  std::vector<std::byte> data(10000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(static_cast<uint8_t>('A' + i / 1024));
  ASSERT_EQ(*host::pwrite(p, fd, data, 0), 10000u);
  EXPECT_EQ(read_at(fd, 0, 10000), data);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  EXPECT_EQ(read_at(fd, 0, 10000), data);
  invalidate_inode_pages2_range(inode(fd), 0, 100, mount().iomap_ops());
  EXPECT_EQ(read_at(fd, 0, 10000), data);
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

class XfsBehaviourTest : public XfsFixture {};

// Every metadata change is a transaction with a serialisable form.
TEST_F(XfsBehaviourTest, WritebackLogsAllocationAndMapping) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 8192), 8192u);
  const uint64_t before = mount().commits();
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  ASSERT_GT(mount().commits(), before);
  bool alloc = false, map = false;
  for (const XfsTrans& tp : mount().log()) {
    for (const XfsLogItem& i : tp.items()) {
      alloc |= i.kind == XfsLogItem::kAlloc;
      map |= i.kind == XfsLogItem::kMap && i.ino == inode(fd).ino;
    }
  }
  EXPECT_TRUE(alloc);
  EXPECT_TRUE(map);
  const nlohmann::json j = mount().log().back().to_json();
  EXPECT_TRUE(j.contains("trans") && j.contains("items") && j["items"].is_array());
}

// A reservation that cannot be covered fails before anything changes.
TEST_F(XfsBehaviourTest, FallocateLargerThanFreeSpaceChangesNothing) {
  int fd = create("/f");
  Kstatfs before;
  ASSERT_EQ(mount().statfs(&before), Errno::kOk);
  EXPECT_EQ(p.fallocate(fd, 0, 0, 1ll << 30), Errno::kENOSPC);
  Kstatfs after;
  ASSERT_EQ(mount().statfs(&after), Errno::kOk);
  EXPECT_EQ(after.f_bfree, before.f_bfree);
  EXPECT_EQ(p.fstat(fd)->size, 0u);
  EXPECT_EQ(st_blocks(fd), 0u);
}

// The delalloc a write reserved and did not use goes again at iomap_end:
// a copy from a user buffer that faults part way keeps only what it wrote.
TEST_F(XfsBehaviourTest, AShortCopyPunchesTheUnusedReservation) {
  int fd = create("/f");
  // 8 KiB of user memory, the second page unmapped.
  const uint64_t a = *p.mmap(0, 2 * 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_FALSE(p.store(a, std::vector<std::byte>(4096, std::byte{7})));
  ASSERT_EQ(p.munmap(a + 4096, 4096), Errno::kOk);
  Result<uint64_t> r = p.pwrite(fd, a, 2 * 4096, 0);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 4096u);
  EXPECT_EQ(st_blocks(fd), 8u);  // One block reserved, not two.
  EXPECT_EQ(xi(fd).data.delalloc_blocks(), 1u);
}

// Speculative preallocation past EOF, trimmed by the first writable close.
TEST_F(XfsBehaviourTest, PreallocationGrowsAndTheFirstCloseTrimsIt) {
  int fd = create("/f");
  for (int i = 0; i < 16; ++i) ASSERT_EQ(write_at(fd, i * 65536ull, 65536), 65536u);
  const uint64_t blocks = st_blocks(fd);
  EXPECT_GT(blocks, 1024u * 2);  // More than the 1 MiB written.
  ASSERT_EQ(p.close(fd), Errno::kOk);
  fd = *p.open("/f", kO_RDWR);
  EXPECT_EQ(st_blocks(fd), 2048u);  // Exactly the data.
}

// -m reflink=0 answers as XFS without reflink.
class XfsNoReflinkTest : public XfsFixture {
 protected:
  XfsNoReflinkTest() : XfsFixture("-m reflink=0") {}
};

TEST_F(XfsNoReflinkTest, CloneIsEopnotsuppAndCopyRangeCopies) {
  int f = create("/f");
  int g = create("/g");
  ASSERT_EQ(write_at(f, 0, 65536), 65536u);
  EXPECT_EQ(host::ficlone(p, g, f), Errno::kEOPNOTSUPP);
  EXPECT_EQ(*p.copy_file_range(f, 0, g, 0, 65536, 0), 65536u);
  EXPECT_TRUE(mount().refcount().records().empty());
  EXPECT_EQ(read_at(g, 0, 65536), read_at(f, 0, 65536));
}

// dax=inode: files are DAX when their FS_XFLAG_DAX says so.
class XfsDaxInodeTest : public XfsFixture {
 protected:
  XfsDaxInodeTest() : XfsFixture("", "dax=inode", /*pmem=*/true) {}
};

TEST_F(XfsDaxInodeTest, TheFlagMakesAFileDax) {
  int fd = create("/f");
  EXPECT_FALSE(inode(fd).flags & kInodeDax);
  FsXattr x;
  ASSERT_EQ(host::ioctl(p, fd, kFS_IOC_FSGETXATTR, &x), Errno::kOk);
  x.fsx_xflags |= kFS_XFLAG_DAX;
  ASSERT_EQ(host::ioctl(p, fd, kFS_IOC_FSSETXATTR, &x), Errno::kOk);
  EXPECT_TRUE(inode(fd).flags & kInodeDax);
  ASSERT_EQ(write_at(fd, 0, 4096, 'd'), 4096u);
  EXPECT_EQ(inode(fd).cache.nr_pages(), 0u);  // No page cache under DAX.
  EXPECT_EQ(read_at(fd, 0, 4096), std::vector<std::byte>(4096, std::byte('d')));
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

// Unmount leaves no delalloc reservation: dirty data is written back,
// speculative preallocation and CoW staging are freed.
TEST_F(XfsBehaviourTest, UnmountLeavesNoReservation) {
  int f = create("/f");
  int g = create("/g");
  for (int i = 0; i < 8; ++i) ASSERT_EQ(write_at(f, i * 65536ull, 65536), 65536u);
  ASSERT_EQ(p.fsync(f), Errno::kOk);
  ASSERT_EQ(host::ficlone(p, g, f), Errno::kOk);
  ASSERT_EQ(write_at(g, 0, 4096, 'c'), 4096u);  // A CoW reservation.
  ASSERT_EQ(write_at(f, 8 * 65536ull, 65536), 65536u);  // Dirty, preallocating.
  EXPECT_GT(mount().delalloc_reserved(), 0u);
  mount().sync_fs();
  mount().put_super();
  EXPECT_EQ(mount().delalloc_reserved(), 0u);
  EXPECT_TRUE(xi(g).cow.empty());
  EXPECT_EQ(read_at(g, 0, 4096), std::vector<std::byte>(4096, std::byte('c')));
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

// Turning DAX on over dirty pages leaves the file as it is until its pages
// are gone, rather than strand them.
TEST_F(XfsDaxInodeTest, DaxDoesNotSwitchUnderCachedPages) {
  int fd = create("/f");
  ASSERT_EQ(write_at(fd, 0, 4096, 'p'), 4096u);  // Dirty in the page cache.
  FsXattr x;
  ASSERT_EQ(host::ioctl(p, fd, kFS_IOC_FSGETXATTR, &x), Errno::kOk);
  x.fsx_xflags |= kFS_XFLAG_DAX;
  ASSERT_EQ(host::ioctl(p, fd, kFS_IOC_FSSETXATTR, &x), Errno::kOk);
  EXPECT_FALSE(inode(fd).flags & kInodeDax);
  EXPECT_EQ(read_at(fd, 0, 4096), std::vector<std::byte>(4096, std::byte('p')));
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  EXPECT_EQ(read_at(fd, 0, 4096), std::vector<std::byte>(4096, std::byte('p')));
}

}  // namespace
}  // namespace vfssim
