#include "vfs/timestamps.h"

#include <gtest/gtest.h>

#include <vector>

#include "drivers/blockdev.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

constexpr int64_t kDay = kRelatimeMaxAgeSec;

// An inode whose atime is newer than its mtime and ctime, on a superblock
// with or without MNT_RELATIME.
class RelatimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ip = fs.new_file();
    ip->mtime = ip->ctime = {100, 0};
    ip->atime = {200, 0};
  }
  Machine m{1};
  IomapTestFs fs{m, /*dax=*/false};
  InodeRef ip;
};

TEST_F(RelatimeTest, AnAtimeNotNewerThanMtimeOrCtimeMoves) {
  fs.sb().mnt_relatime = true;
  EXPECT_FALSE(relatime_need_update(*ip, {300, 0}));
  ip->mtime = {200, 0};  // "mtime younger than or equal to atime".
  EXPECT_TRUE(relatime_need_update(*ip, {300, 0}));
  ip->mtime = {100, 0};
  ip->ctime = {200, 1};
  EXPECT_TRUE(relatime_need_update(*ip, {300, 0}));
}

TEST_F(RelatimeTest, AnAtimeADayOldMoves) {
  fs.sb().mnt_relatime = true;
  EXPECT_FALSE(relatime_need_update(*ip, {200 + kDay - 1, 999999999}));
  EXPECT_TRUE(relatime_need_update(*ip, {200 + kDay, 0}));
}

TEST_F(RelatimeTest, WithoutRelatimeEveryAccessMoves) {
  EXPECT_FALSE(fs.sb().mnt_relatime);  // Not mounted with mount(2).
  EXPECT_TRUE(relatime_need_update(*ip, {201, 0}));
  EXPECT_TRUE(atime_needs_update(*ip, {201, 0}));
  EXPECT_FALSE(atime_needs_update(*ip, {200, 0}));  // Already now.
}

TEST_F(RelatimeTest, NoatimeInodesNeverMove) {
  ip->flags |= kInodeNoatime;
  EXPECT_FALSE(atime_needs_update(*ip, {201, 0}));
}

TEST(AtimeNeedsUpdate, NotOnAReadOnlyMount) {
  Machine m{1};
  IomapTestFs fs{m, /*dax=*/false, "ro"};
  InodeRef ip = fs.new_file();
  ip->atime = {1, 0};
  EXPECT_FALSE(atime_needs_update(*ip, {201, 0}));
}

// The rules through the syscalls, on a mount(2)ed iomap test filesystem.
class TimestampSyscallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &bdev, "", "/", Creds::root()), Errno::kOk);
    fd = *p.open("/f", kO_RDWR | kO_CREAT, 0644);
    ASSERT_EQ(*host::pwrite(p, fd, std::vector<std::byte>(100, std::byte{'x'}), 0), 100u);
    buf = *p.mmap(0, 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  }
  Stat st(int f) { return *p.fstat(f); }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  int fd = -1;
  uint64_t buf = 0;
};

TEST_F(TimestampSyscallTest, RelatimeMovesTheAtimeOncePerChangeOrDay) {
  const Timespec written = st(fd).atime;
  ASSERT_EQ(*p.pread(fd, buf, 10, 0), 10u);
  const Timespec first = st(fd).atime;
  EXPECT_GT(first, written);  // The atime was not newer than the mtime.
  ASSERT_EQ(*p.pread(fd, buf, 10, 0), 10u);
  EXPECT_EQ(st(fd).atime, first);  // Newer than mtime and ctime, and recent.
  m.clock.advance(static_cast<uint64_t>(kDay) * kNsPerSec);
  ASSERT_EQ(*p.pread(fd, buf, 10, 0), 10u);
  EXPECT_GT(st(fd).atime, first);  // A day old.
}

TEST_F(TimestampSyscallTest, ReadsOfNothingLeaveTheAtimeReadsAtEofMoveIt) {
  const Timespec before = st(fd).atime;
  ASSERT_EQ(*p.pread(fd, buf, 0, 0), 0u);  // xfs_file_read_iter: "skip atime".
  EXPECT_EQ(st(fd).atime, before);
  ASSERT_EQ(*p.pread(fd, buf, 10, 100), 0u);  // filemap_read reaches file_accessed.
  EXPECT_GT(st(fd).atime, before);
}

TEST_F(TimestampSyscallTest, NoatimeByOpenFlagFcntlOrInodeFlag) {
  const Timespec before = st(fd).atime;
  const int n = *p.open("/f", kO_RDONLY | kO_NOATIME);
  ASSERT_EQ(*p.read(n, buf, 10), 10u);
  EXPECT_EQ(st(fd).atime, before);
  ASSERT_EQ(p.fcntl_setfl(fd, kO_NOATIME), Errno::kOk);
  ASSERT_EQ(*p.pread(fd, buf, 10, 0), 10u);
  EXPECT_EQ(st(fd).atime, before);
  ASSERT_EQ(p.fcntl_setfl(fd, 0), Errno::kOk);
  const uint32_t noatime = kFS_NOATIME_FL;
  ASSERT_FALSE(p.store(buf, std::as_bytes(std::span(&noatime, 1))));
  ASSERT_EQ(p.ioctl(fd, kFS_IOC_SETFLAGS, buf), Errno::kOk);
  ASSERT_EQ(*p.pread(fd, buf, 10, 0), 10u);
  EXPECT_EQ(st(fd).atime, before);
}

TEST_F(TimestampSyscallTest, TruncateToTheSameSizeChangesNothingFtruncateDoes) {
  const Stat before = st(fd);
  ASSERT_EQ(p.truncate("/f", 100), Errno::kOk);
  EXPECT_EQ(st(fd).mtime, before.mtime);
  EXPECT_EQ(st(fd).ctime, before.ctime);
  ASSERT_EQ(p.ftruncate(fd, 100), Errno::kOk);
  EXPECT_GT(st(fd).mtime, before.mtime);
  EXPECT_GT(st(fd).ctime, before.ctime);
  const Stat again = st(fd);
  ASSERT_EQ(p.truncate("/f", 50), Errno::kOk);  // A size change stamps both.
  EXPECT_GT(st(fd).mtime, again.mtime);
  EXPECT_GT(st(fd).ctime, again.ctime);
}

TEST_F(TimestampSyscallTest, FallocateStampsBeforeTheWork) {
  const Stat before = st(fd);
  // xfs_file_fallocate's file_modified comes before collapse's alignment
  // check; an unsupported mode is refused first.
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_UNSHARE_RANGE, 0, 4096), Errno::kEOPNOTSUPP);
  EXPECT_EQ(st(fd).mtime, before.mtime);
  EXPECT_EQ(p.fallocate(fd, kFALLOC_FL_COLLAPSE_RANGE, 1, 4096), Errno::kEINVAL);
  EXPECT_GT(st(fd).mtime, before.mtime);
  EXPECT_GT(st(fd).ctime, before.ctime);
}

TEST_F(TimestampSyscallTest, Renameat2Flags) {
  ASSERT_EQ(p.mkdir("/a"), Errno::kOk);
  EXPECT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/g", 8), Errno::kEINVAL);
  EXPECT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/a",
                        kRENAME_NOREPLACE | kRENAME_EXCHANGE),
            Errno::kEINVAL);
  EXPECT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/a", kRENAME_WHITEOUT | kRENAME_EXCHANGE),
            Errno::kEINVAL);
  EXPECT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/a", kRENAME_NOREPLACE), Errno::kEEXIST);
  EXPECT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/g", kRENAME_EXCHANGE), Errno::kENOENT);
  // No directory here holds whiteouts.
  EXPECT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/g", kRENAME_WHITEOUT), Errno::kEINVAL);
  EXPECT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/g", kRENAME_NOREPLACE), Errno::kOk);
  EXPECT_EQ(p.stat("/f").error(), Errno::kENOENT);
}

TEST_F(TimestampSyscallTest, ExchangeOfADirectoryAcrossParentsMovesItsParent) {
  ASSERT_EQ(p.mkdir("/a"), Errno::kOk);
  ASSERT_EQ(p.mkdir("/b"), Errno::kOk);
  ASSERT_EQ(p.mkdir("/a/dir"), Errno::kOk);
  const int x = *p.open("/b/file", kO_RDWR | kO_CREAT, 0644);
  const int dir = *p.open("/a/dir", kO_RDONLY | kO_DIRECTORY);
  const Stat file0 = st(x), dir0 = st(dir);
  const uint64_t a_links = p.stat("/a")->nlink, b_links = p.stat("/b")->nlink;
  ASSERT_EQ(p.renameat2(kAT_FDCWD, "/a/dir", kAT_FDCWD, "/b/file", kRENAME_EXCHANGE),
            Errno::kOk);
  EXPECT_EQ(p.stat("/a/dir")->ino, file0.ino);
  EXPECT_EQ(p.stat("/b/file")->ino, dir0.ino);
  EXPECT_EQ(p.stat("/b/file/..")->ino, p.stat("/b")->ino);
  EXPECT_EQ(p.stat("/a")->nlink, a_links - 1);
  EXPECT_EQ(p.stat("/b")->nlink, b_links + 1);
  // xfs_cross_rename: the directory whose ".." moved gets mtime and ctime,
  // the other inode its ctime.
  EXPECT_GT(st(dir).mtime, dir0.mtime);
  EXPECT_GT(st(dir).ctime, dir0.ctime);
  EXPECT_EQ(st(x).mtime, file0.mtime);
  EXPECT_GT(st(x).ctime, file0.ctime);
}

TEST_F(TimestampSyscallTest, ExchangeOfTwoFilesStampsOnlyTheDirectory) {
  const int y = *p.open("/g", kO_RDWR | kO_CREAT, 0644);
  const Stat f0 = st(fd), g0 = st(y), root0 = *p.stat("/");
  ASSERT_EQ(p.renameat2(kAT_FDCWD, "/f", kAT_FDCWD, "/g", kRENAME_EXCHANGE), Errno::kOk);
  EXPECT_EQ(p.stat("/g")->ino, f0.ino);
  EXPECT_EQ(st(fd).ctime, f0.ctime);
  EXPECT_EQ(st(y).ctime, g0.ctime);
  EXPECT_GT(p.stat("/")->mtime, root0.mtime);
  // An exchange of a name with itself is nothing at all.
  const Stat root1 = *p.stat("/");
  ASSERT_EQ(p.renameat2(kAT_FDCWD, "/g", kAT_FDCWD, "/g", kRENAME_EXCHANGE), Errno::kOk);
  EXPECT_EQ(p.stat("/")->mtime, root1.mtime);
}

TEST_F(TimestampSyscallTest, RemovexattrStampsTheCtimeOnlyWhenItRemoves) {
  const char v = 'v';
  ASSERT_FALSE(p.store(buf, std::as_bytes(std::span(&v, 1))));
  ASSERT_EQ(p.setxattr("/f", "user.x", buf, 1, 0), Errno::kOk);
  const Timespec set = st(fd).ctime;
  EXPECT_EQ(p.removexattr("/f", "user.none"), Errno::kENODATA);
  EXPECT_EQ(st(fd).ctime, set);
  EXPECT_EQ(p.removexattr("/f", ""), Errno::kERANGE);
  EXPECT_EQ(p.fremovexattr(fd, "user.x"), Errno::kOk);
  EXPECT_GT(st(fd).ctime, set);
  EXPECT_EQ(p.getxattr("/f", "user.x", buf, 1).error(), Errno::kENODATA);
  EXPECT_EQ(p.removexattr("/f", "nons.x"), Errno::kEOPNOTSUPP);
}

TEST_F(TimestampSyscallTest, NodumpIsKeptAndReported) {
  const uint32_t nodump = kFS_NODUMP_FL;
  ASSERT_FALSE(p.store(buf, std::as_bytes(std::span(&nodump, 1))));
  ASSERT_EQ(p.ioctl(fd, kFS_IOC_SETFLAGS, buf), Errno::kOk);
  uint32_t got = 0;
  ASSERT_EQ(p.ioctl(fd, kFS_IOC_GETFLAGS, buf + 8), Errno::kOk);
  ASSERT_FALSE(p.load(buf + 8, std::as_writable_bytes(std::span(&got, 1))));
  EXPECT_EQ(got, kFS_NODUMP_FL);
}

TEST_F(TimestampSyscallTest, BtimeIsTheCreationTime) {
  const Timespec born = st(fd).btime;
  ASSERT_EQ(p.utimensat(kAT_FDCWD, "/f", 0, 0), Errno::kOk);
  ASSERT_EQ(p.ftruncate(fd, 0), Errno::kOk);
  EXPECT_EQ(st(fd).btime, born);
  EXPECT_LE(born, st(fd).ctime);
}

}  // namespace
}  // namespace vfssim
