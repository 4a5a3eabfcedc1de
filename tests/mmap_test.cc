// mmap, faults and signals through the syscall layer: shmfs (memory),
// iomaptest over a block device (page cache) and over pmem (DAX).

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "fs/shmfs/testing.h"
#include "vfs/host_io.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

constexpr int kRW = kProtRead | kProtWrite;

class ShmMmapTest : public ShmfsFixture {
 protected:
  void SetUp() override {
    ShmfsFixture::SetUp();
    fd = *p.open("/f", kO_RDWR | kO_CREAT);
    ASSERT_EQ(*host::pwrite(p, fd, fill(3 * 4096, 1), 0), 3u * 4096);
  }
  int fd = -1;
};

TEST_F(ShmMmapTest, SharedStoresReachTheFilePrivateOnesDoNot) {
  uint64_t shared = *p.mmap(0, 3 * 4096, kRW, kMAP_SHARED, fd, 0);
  uint64_t priv = *p.mmap(0, 3 * 4096, kRW, kMAP_PRIVATE, fd, 0);
  EXPECT_EQ(p.store(shared + 4096, fill(10, 2)), std::nullopt);
  EXPECT_EQ(p.store(priv + 2 * 4096, fill(10, 3)), std::nullopt);
  std::vector<std::byte> b(10);
  ASSERT_EQ(*host::pread(p, fd, b, 4096), 10u);
  EXPECT_EQ(b, fill(10, 2));
  ASSERT_EQ(*host::pread(p, fd, b, 2 * 4096), 10u);
  EXPECT_EQ(b, fill(10, 1));  // The private copy stayed private.
  EXPECT_EQ(p.load(priv + 4096, b), std::nullopt);
  EXPECT_EQ(b, fill(10, 2));  // Unwritten private pages still show the file.
  ASSERT_EQ(*host::pwrite(p, fd, fill(10, 4), 0), 10u);
  EXPECT_EQ(p.load(shared, b), std::nullopt);
  EXPECT_EQ(b, fill(10, 4));  // write(2) is visible through the mapping.
}

TEST_F(ShmMmapTest, TruncationUnmapsAndLaterAccessIsSigbus) {
  uint64_t a = *p.mmap(0, 3 * 4096, kRW, kMAP_SHARED, fd, 0);
  std::vector<std::byte> b(1);
  ASSERT_EQ(p.load(a + 2 * 4096, b), std::nullopt);
  ASSERT_EQ(p.ftruncate(fd, 4096), Errno::kOk);
  EXPECT_EQ(p.load(a + 2 * 4096 + 7, b), (Siginfo{kSIGBUS, kBUS_ADRERR, a + 2 * 4096 + 7}));
  EXPECT_EQ(p.load(a + 10, b), std::nullopt);
  EXPECT_EQ(p.load(a + 3 * 4096, b)->signo, kSIGSEGV);  // Past the VMA.
  EXPECT_EQ(p.signals().size(), 2u);
}

TEST_F(ShmMmapTest, SwappedMappedPageIsUnmappedThenFaultedBack) {
  uint64_t a = *p.mmap(0, 3 * 4096, kRW, kMAP_SHARED, fd, 0);
  ASSERT_EQ(p.store(a, fill(1, 9)), std::nullopt);
  ASSERT_TRUE(sb->swap_out(**p.file_inode(fd), 0));
  EXPECT_EQ(p.mm().page_state(a), '-');
  std::vector<std::byte> b(1);
  EXPECT_EQ(p.load(a, b), std::nullopt);
  EXPECT_EQ(b, fill(1, 9));
  EXPECT_EQ(sb->page_state(**p.file_inode(fd), 0), 'r');
}

TEST_F(ShmMmapTest, MunmapSplitKeepsMapperCountsAndSealsSeeMappings) {
  int mfd = *p.memfd_create("m");
  ASSERT_EQ(*host::pwrite(p, mfd, fill(4 * 4096, 1), 0), 4u * 4096);
  InodeRef ip = *p.file_inode(mfd);
  uint64_t a = *p.mmap(0, 4 * 4096, kRW, kMAP_SHARED, mfd, 0);
  EXPECT_EQ(ip->mappers.size(), 1u);
  EXPECT_EQ(ip->writable_mappings, 1u);
  ASSERT_EQ(p.munmap(a + 4096, 4096), Errno::kOk);  // Splits into two VMAs.
  EXPECT_EQ(ip->mappers.size(), 2u);
  EXPECT_EQ(ip->writable_mappings, 2u);
  EXPECT_EQ(p.add_seals(mfd, kF_SEAL_WRITE), Errno::kEBUSY);
  ASSERT_EQ(p.munmap(a, 4 * 4096), Errno::kOk);
  EXPECT_EQ(ip->mappers.size(), 0u);
  EXPECT_EQ(ip->writable_mappings, 0u);
  ASSERT_EQ(p.add_seals(mfd, kF_SEAL_WRITE), Errno::kOk);
  EXPECT_EQ(p.mmap(0, 4096, kRW, kMAP_SHARED, mfd, 0).error(), Errno::kEPERM);
  EXPECT_TRUE(p.mmap(0, 4096, kProtRead, kMAP_SHARED, mfd, 0));
  EXPECT_TRUE(p.mmap(0, 4096, kRW, kMAP_PRIVATE, mfd, 0));
}

TEST_F(ShmMmapTest, MmapErrnoOrder) {
  int ro = *p.open("/f", kO_RDONLY);
  int wo = *p.open("/f", kO_WRONLY);
  ASSERT_EQ(p.mkdir("/d"), Errno::kOk);
  int dir = *p.open("/d", kO_RDONLY);
  struct Row {
    const char* what;
    uint64_t len;
    int prot, flags, fd;
    off_t64 off;
    Errno want;
  } rows[] = {
      {"offset before EBADF", 4096, kProtRead, kMAP_SHARED, 99, 1, Errno::kEINVAL},
      {"bad fd", 4096, kProtRead, kMAP_SHARED, 99, 0, Errno::kEBADF},
      {"len 0", 0, kProtRead, kMAP_SHARED, fd, 0, Errno::kEINVAL},
      {"len wraps", ~uint64_t{0} - 10, kProtRead, kMAP_SHARED, fd, 0, Errno::kENOMEM},
      {"validate: unknown flag", 4096, kProtRead, kMAP_SHARED_VALIDATE | 0x200000, fd, 0,
       Errno::kEOPNOTSUPP},
      {"shared write, read-only fd", 4096, kRW, kMAP_SHARED, ro, 0, Errno::kEACCES},
      {"private write, read-only fd", 4096, kRW, kMAP_PRIVATE, ro, 0, Errno::kOk},
      {"write-only fd", 4096, kProtRead, kMAP_PRIVATE, wo, 0, Errno::kEACCES},
      {"neither shared nor private", 4096, kProtRead, 0, fd, 0, Errno::kEINVAL},
      {"directory", 4096, kProtRead, kMAP_SHARED, dir, 0, Errno::kENODEV},
      {"plain shared ignores unknown flags", 4096, kProtRead, kMAP_SHARED | 0x200000, fd, 0,
       Errno::kOk},
      {"MAP_SYNC: shmfs declares nothing", 4096, kProtRead, kMAP_SHARED_VALIDATE | kMAP_SYNC,
       fd, 0, Errno::kOk},
  };
  for (const Row& r : rows) {
    Result<uint64_t> got = p.mmap(0, r.len, r.prot, r.flags, r.fd, r.off);
    EXPECT_EQ(got ? Errno::kOk : got.error(), r.want) << r.what;
  }
  uint32_t app = kFS_APPEND_FL;
  ASSERT_EQ(host::ioctl(p, fd, kFS_IOC_SETFLAGS, &app), Errno::kOk);
  int afd = *p.open("/f", kO_RDWR | kO_APPEND);
  EXPECT_EQ(p.mmap(0, 4096, kProtRead, kMAP_SHARED, afd, 0).error(), Errno::kEACCES);
  EXPECT_EQ(p.munmap(1, 4096), Errno::kEINVAL);
  EXPECT_EQ(p.msync(0x1000, 4096, kMS_SYNC | kMS_ASYNC), Errno::kEINVAL);
  EXPECT_EQ(p.msync(0x1000, 4096, kMS_SYNC), Errno::kENOMEM);
}

// iomaptest: a page-cache filesystem on a block device, and DAX on pmem.
class IomapMmapTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &bdev, "", "/", Creds::root()), Errno::kOk);
    ASSERT_EQ(p.mkdir("/pmem"), Errno::kOk);
    ASSERT_EQ(vfs.mount("iomaptest", &pmem, "dax", "/pmem", Creds::root()), Errno::kOk);
  }
  Machine m{1};
  Vfs vfs{m};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  PmemDevice pmem{m, PmemConfig{}};
  Process p{vfs, Creds::root()};
};

TEST_F(IomapMmapTest, SharedStoreDirtiesThePageAndMsyncWritesItBack) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(p, fd, fill(8192, 1), 0), 8192u);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  InodeRef ip = *p.file_inode(fd);
  uint64_t a = *p.mmap(0, 8192, kRW, kMAP_SHARED, fd, 0);
  ASSERT_EQ(p.store(a + 4096, fill(4, 7)), std::nullopt);
  EXPECT_EQ(ip->cache.nr_dirty(), 1u);  // page_mkwrite dirtied it.
  const uint64_t writes = bdev.stats().writes;
  ASSERT_EQ(p.msync(a, 8192, kMS_SYNC), Errno::kOk);
  EXPECT_EQ(ip->cache.nr_dirty(), 0u);
  EXPECT_GT(bdev.stats().writes, writes);
  // Drop the cache: the data comes back from the device.
  ASSERT_EQ(invalidate_inode_pages2_range(*ip, 0, 1, IomapTestVnodeOps::map(*ip)), Errno::kOk);
  std::vector<std::byte> b(4);
  EXPECT_EQ(p.load(a + 4096, b), std::nullopt);
  EXPECT_EQ(b, fill(4, 7));
  EXPECT_EQ(p.mmap(0, 4096, kProtRead, kMAP_SHARED_VALIDATE | kMAP_SYNC, fd, 0).error(),
            Errno::kEOPNOTSUPP);  // MAP_SYNC needs DAX.
}

TEST_F(IomapMmapTest, CloseWritesBackDirtyPages) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(p, fd, fill(4096, 1), 0), 4096u);
  InodeRef ip = *p.file_inode(fd);
  EXPECT_EQ(ip->cache.nr_dirty(), 1u);
  ASSERT_EQ(p.close(fd), Errno::kOk);
  EXPECT_EQ(ip->cache.nr_dirty(), 0u);
}

TEST_F(IomapMmapTest, DaxStoresLandInPmemAndPoisonIsSigbusWithTheAddress) {
  int fd = *p.open("/pmem/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(p, fd, fill(8192, 1), 0), 8192u);
  InodeRef ip = *p.file_inode(fd);
  ASSERT_TRUE(ip->flags & kInodeDax);
  uint64_t a = *p.mmap(0, 8192, kRW, kMAP_SHARED_VALIDATE | kMAP_SYNC, fd, 0);
  ASSERT_EQ(p.store(a + 10, fill(2, 5)), std::nullopt);
  EXPECT_EQ(ip->cache.nr_pages(), 0u);  // No page cache.
  const Iomap m0 = IomapTestVnodeOps::map(*ip).lookup(0, 1);
  std::vector<std::byte> raw(2);
  ASSERT_EQ(pmem.copy_mc_to_kernel(raw, m0.addr + 10), 0u);
  EXPECT_EQ(raw, fill(2, 5));
  // Latent poison in page 1: the load consumes it and gets SIGBUS at it.
  const Iomap m1 = IomapTestVnodeOps::map(*ip).lookup(4096, 1);
  pmem.inject_poison(m1.addr + m1.length - 4096 + 128, 64, PoisonKind::kLatent);
  std::vector<std::byte> b(256);
  std::optional<Siginfo> s = p.load(a + 4096, b);
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, (Siginfo{kSIGBUS, kBUS_MCEERR_AR, a + 4096 + 128}));
}

// A write whose source is a mapped page holding poison: the copy from it
// stops at the poisoned bytes (x86's uaccess machine-check fixup gives a
// short copy), and the buffered write loop, which cannot fault a resident
// page in any further, ends with the bytes before the poison instead of
// retrying for ever.
TEST_F(IomapMmapTest, WriteFromPoisonedSourceEndsAtThePoison) {
  int fd = *p.open("/pmem/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(p, fd, fill(8192, 1), 0), 8192u);
  InodeRef ip = *p.file_inode(fd);
  uint64_t a = *p.mmap(0, 8192, kRW, kMAP_SHARED, fd, 0);
  std::vector<std::byte> b(4096);
  ASSERT_EQ(p.load(a, b), std::nullopt);
  ASSERT_EQ(p.load(a + 4096, std::span(b).first(16)), std::nullopt);  // Page 1 mapped.
  const Iomap m1 = IomapTestVnodeOps::map(*ip).lookup(4096, 1);
  pmem.inject_poison(m1.addr + m1.length - 4096 + 128, 64, PoisonKind::kLatent);
  for (const char* path : {"/dst", "/pmem/dst"}) {
    const int dst = *p.open(path, kO_RDWR | kO_CREAT);
    EXPECT_EQ(*p.pwrite(dst, a + 4096, 4096, 0), 128u) << path;
    EXPECT_EQ(p.fstat(dst)->size, 128u) << path;
  }
  // A shmfs target: the same loop.
  ASSERT_EQ(p.mkdir("/shm"), Errno::kOk);
  register_shmfs(vfs);
  ASSERT_EQ(vfs.mount("shmfs", nullptr, "", "/shm", Creds::root()), Errno::kOk);
  const int shm = *p.open("/shm/dst", kO_RDWR | kO_CREAT);
  EXPECT_EQ(*p.pwrite(shm, a + 4096, 4096, 0), 128u);
  p.munmap(a, 8192);
}

// A DAX pwrite whose buffer is a mapping of the same file, over the very
// bytes it writes (and a pread into such a mapping): the copy between the
// caller's memory and pmem runs straight between the two, so source and
// destination overlap inside a page. Each piece moves as memmove does
// (ASan checks there is no overlapping memcpy).
TEST_F(IomapMmapTest, DaxReadAndWriteThroughAMappingOfTheSameBytes) {
  int fd = *p.open("/pmem/f", kO_RDWR | kO_CREAT);
  std::vector<std::byte> pattern(8192);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = std::byte{static_cast<uint8_t>(i / 512 + 1)};
  ASSERT_EQ(*host::pwrite(p, fd, pattern, 0), 8192u);
  uint64_t a = *p.mmap(0, 8192, kRW, kMAP_SHARED, fd, 0);
  // Within one page: bytes [100, 1100) to [200, 1200).
  ASSERT_EQ(*p.pwrite(fd, a + 100, 1000, 200), 1000u);
  std::vector<std::byte> want = pattern;
  std::memmove(want.data() + 200, pattern.data() + 100, 1000);
  std::vector<std::byte> got(8192);
  ASSERT_EQ(p.load(a, got), std::nullopt);
  EXPECT_EQ(got, want);
  // And back: pread of [200, 1200) into the mapping at 100.
  ASSERT_EQ(*p.pread(fd, a + 100, 1000, 200), 1000u);
  std::memmove(want.data() + 100, want.data() + 200, 1000);
  ASSERT_EQ(p.load(a, got), std::nullopt);
  EXPECT_EQ(got, want);
  p.munmap(a, 8192);
}

TEST_F(IomapMmapTest, DaxReadFaultOnHoleMapsZeroPageThenWriteAllocates) {
  int fd = *p.open("/pmem/g", kO_RDWR | kO_CREAT);
  ASSERT_EQ(p.ftruncate(fd, 8192), Errno::kOk);
  InodeRef ip = *p.file_inode(fd);
  uint64_t a = *p.mmap(0, 8192, kRW, kMAP_SHARED, fd, 0);
  std::vector<std::byte> b(4);
  ASSERT_EQ(p.load(a, b), std::nullopt);
  EXPECT_EQ(b, fill(4, 0));
  EXPECT_EQ(IomapTestVnodeOps::map(*ip).lookup(0, 1).type, IomapType::kHole);
  ASSERT_EQ(p.store(a, fill(4, 6)), std::nullopt);
  EXPECT_EQ(IomapTestVnodeOps::map(*ip).lookup(0, 1).type, IomapType::kMapped);
  ASSERT_EQ(*host::pread(p, fd, b, 0), 4u);
  EXPECT_EQ(b, fill(4, 6));
  std::vector<std::byte> z(4096, std::byte{1});
  zero_page()->load(0, z);
  EXPECT_EQ(z, fill(4096, 0));  // The zero page stayed zero.
}

// Pages dirtied through a mapping after the last close are written back
// when the filesystem is unmounted; open files and mappings keep it busy.
TEST_F(IomapMmapTest, UmountWritesBackAndRefusesWhileBusy) {
  SimBlockDevice disk{m, BlockDeviceConfig{.name = "sdb"}};
  ASSERT_EQ(p.mkdir("/mnt"), Errno::kOk);
  ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/mnt", Creds::root()), Errno::kOk);
  int fd = *p.open("/mnt/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(p, fd, fill(4096, 1), 0), 4096u);
  uint64_t a = *p.mmap(0, 4096, kRW, kMAP_SHARED, fd, 0);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kEBUSY);  // Open file.
  ASSERT_EQ(p.close(fd), Errno::kOk);
  ASSERT_EQ(p.store(a, fill(8, 9)), std::nullopt);  // Dirtied after the last close.
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kEBUSY);  // Still mapped.
  ASSERT_EQ(p.munmap(a, 4096), Errno::kOk);
  const uint64_t writes = disk.stats().writes;
  EXPECT_EQ(vfs.umount("/mnt", Creds::user(1, 1)), Errno::kEPERM);
  EXPECT_EQ(vfs.umount("/mnt/..", Creds::root()), Errno::kEBUSY);  // The root filesystem.
  ASSERT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kOk);
  EXPECT_GT(disk.stats().writes, writes);  // The dirty page reached the disk.
  EXPECT_EQ(p.stat("/mnt/f").error(), Errno::kENOENT);  // The covered directory again.
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kEINVAL);
}

}  // namespace
}  // namespace vfssim
