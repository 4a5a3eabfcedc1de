// The kiocb paths through the syscalls: O_DIRECT to the device and past the
// page cache, O_SYNC/O_DSYNC/RWF_*SYNC writing back before the call
// returns, RWF_NOWAIT answering EAGAIN where XFS and ext4 do (host probe
// tests/probes/fixtures/nowait_dio.jsonl), DAX copies through user memory.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "absl/strings/str_format.h"
#include "drivers/pmem.h"
#include "fs/shmfs/shmfs.h"
#include "nlohmann/json.hpp"
#include "sim/testing/bytes.h"
#include "tests/testing/host_fixture.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

constexpr uint64_t kPage = 4096;

class CopyLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_iomap_testfs(vfs);
    ASSERT_EQ(vfs.mount("iomaptest", &bdev, "", "/", Creds::root()), Errno::kOk);
    buf = *p.mmap(0, 4 * kPage, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    ASSERT_FALSE(p.store(buf, fill(4 * kPage, '.')));
  }
  Inode& inode(int fd) { return **p.file_inode(fd); }
  // device_holds: the block device has `want` where the file's page 0 went.
  std::vector<std::byte> device_page(int fd) {
    const Iomap m = IomapTestVnodeOps::map(inode(fd)).lookup(0, kPage);
    std::vector<std::byte> out(kPage);
    EXPECT_EQ(m.type, IomapType::kMapped);
    EXPECT_EQ(bdev.read(m.addr >> kSectorShift, out).err, Errno::kOk);
    return out;
  }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  uint64_t buf = 0;
};

TEST_F(CopyLayerTest, BufferedWritesStayDirtyUntilSyncFlagsWriteThemBack) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*p.pwrite(fd, buf, kPage, 0), kPage);
  EXPECT_EQ(inode(fd).cache.nr_dirty(), 1u);  // Plain: dirty in the cache.
  ASSERT_EQ(p.fsync(fd), Errno::kOk);

  for (int oflag : {kO_SYNC, kO_DSYNC}) {
    const int sfd = *p.open("/f", kO_RDWR | oflag);
    ASSERT_EQ(*p.pwrite(sfd, buf, kPage, 0), kPage);
    EXPECT_EQ(inode(sfd).cache.nr_dirty(), 0u) << oflag;  // generic_write_sync.
    EXPECT_EQ(device_page(sfd), fill(kPage, '.'));
    p.close(sfd);
  }
  for (int rwf : {kRWF_SYNC, kRWF_DSYNC}) {
    ASSERT_FALSE(p.store(buf, fill(kPage, rwf)));
    const UserIovec iov{buf, kPage};
    ASSERT_FALSE(p.store(buf + 2 * kPage, std::as_bytes(std::span(&iov, 1))));
    ASSERT_EQ(*p.pwritev2(fd, buf + 2 * kPage, 1, 0, rwf), kPage);
    EXPECT_EQ(inode(fd).cache.nr_dirty(), 0u) << rwf;
    EXPECT_EQ(device_page(fd), fill(kPage, rwf));
  }
}

// fspacectl on an O_SYNC (or O_DSYNC) file: get_write_ioflag hands
// vn_deallocate IO_SYNC, so vop_stddeallocate's zero-fill VOP_WRITEs are
// synchronous and nothing is left dirty; without it the zeros sit in the
// cache.
TEST_F(CopyLayerTest, FspacectlOnASyncFileWritesItsZerosBack) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*p.pwrite(fd, buf, 2 * kPage, 0), 2 * kPage);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  SpacectlRange rq{0, 100};
  SpacectlRange rm;
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(inode(fd).cache.nr_dirty(), 1u);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  for (int oflag : {kO_SYNC, kO_DSYNC}) {
    const int sfd = *p.open("/f", kO_RDWR | oflag);
    ASSERT_EQ(host::fspacectl(p, sfd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
    EXPECT_EQ(inode(sfd).cache.nr_dirty(), 0u) << oflag;
    EXPECT_EQ(rm, (SpacectlRange{100, 0}));
    p.close(sfd);
  }
}

TEST_F(CopyLayerTest, DirectIoGoesToTheDeviceAndPastTheCache) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_DIRECT);
  ASSERT_EQ(*p.pwrite(fd, buf, kPage, 0), kPage);
  EXPECT_EQ(inode(fd).cache.nr_pages(), 0u);
  EXPECT_EQ(device_page(fd), fill(kPage, '.'));
  ASSERT_FALSE(p.store(buf, fill(kPage, 0)));
  ASSERT_EQ(*p.pread(fd, buf, kPage, 0), kPage);
  EXPECT_EQ(inode(fd).cache.nr_pages(), 0u);
  std::vector<std::byte> got(kPage);
  ASSERT_FALSE(p.load(buf, got));
  EXPECT_EQ(got, fill(kPage, '.'));
  // The device's 512-byte logical blocks set the alignment (EINVAL otherwise).
  EXPECT_EQ(p.pwrite(fd, buf + 1, 512, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(p.pwrite(fd, buf, 100, 0).error(), Errno::kEINVAL);
  EXPECT_EQ(p.pread(fd, buf, 512, 100).error(), Errno::kEINVAL);
  EXPECT_EQ(*p.pread(fd, buf + 512, 512, 512), 512u);
  // F_SETFL can turn it off; the same descriptor then goes through the cache.
  ASSERT_EQ(p.fcntl_setfl(fd, 0), Errno::kOk);
  ASSERT_EQ(*p.pwrite(fd, buf, 100, 0), 100u);
  EXPECT_EQ(inode(fd).cache.nr_dirty(), 1u);
}

TEST_F(CopyLayerTest, NowaitDirectIoAnswersAsXfsAndExt4) {
  std::map<std::string, nlohmann::json> want;  // The xfs rows.
  for (const nlohmann::json& j : load_host_fixture("nowait_dio.jsonl", "xfs").rows) {
    want[j["case"]] = j;
  }
  ASSERT_EQ(want.size(), 5u) << "fixture missing or changed";
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_DIRECT);
  ASSERT_EQ(p.ftruncate(fd, 1 << 20), Errno::kOk);
  const UserIovec iov{buf, kPage};
  ASSERT_FALSE(p.store(buf + 2 * kPage, std::as_bytes(std::span(&iov, 1))));
  auto check = [&](const std::string& name, Result<uint64_t> r) {
    EXPECT_EQ(r ? static_cast<int64_t>(*r) : -1, want[name]["ret"].get<int64_t>()) << name;
    EXPECT_EQ(r ? "" : std::string(errno_name(r.error())), want[name]["errno"]) << name;
  };
  const uint64_t v = buf + 2 * kPage;
  check("dio_nowait_write_hole", p.pwritev2(fd, v, 1, 8192, kRWF_NOWAIT));
  check("dio_fill", p.pwrite(fd, buf, kPage, 8192));
  check("dio_nowait_write_overwrite", p.pwritev2(fd, v, 1, 8192, kRWF_NOWAIT));
  check("dio_nowait_read_mapped", p.preadv2(fd, v, 1, 8192, kRWF_NOWAIT));
  check("dio_nowait_read_hole", p.preadv2(fd, v, 1, 65536, kRWF_NOWAIT));
}

// The flags_align probe re-enacted (tests/probes/flags_align_probe.c): which
// RWF bits a buffered preadv2 accepts, where O_DIRECT checks alignment, a
// short copy into an uncached page (the not-uptodate retry of
// iomap_write_iter), RWF_DONTCACHE, and RWF_NOWAIT direct I/O over dirty or
// cached pages (tmpfs column on shmfs, xfs column on the iomap test
// filesystem).
class FlagsAlignTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FlagsAlignTest, AnswersAsTheHostKernel) {
  const std::vector<nlohmann::json> rows = load_host_fixture("flags_align.jsonl", GetParam()).rows;
  ASSERT_EQ(rows.size(), 23u) << "fixture missing or changed";
  Machine m(1);
  SimBlockDevice bdev(m, BlockDeviceConfig{});
  Vfs vfs(m);
  ASSERT_EQ(mount_host_column(vfs, GetParam(), &bdev), Errno::kOk);
  Process p(vfs, Creds::root());
  const uint64_t buf =
      *p.mmap(0, 4 * kPage, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_FALSE(p.store(buf, fill(4 * kPage, '.')));
  // The rwf_* cases: a 5-byte file, preadv2 of 8 bytes with one bit.
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT | kO_TRUNC);
  ASSERT_EQ(*host::pwrite(p, fd, fill(5, 'h'), 0), 5u);
  const UserIovec iov{buf, 8};
  ASSERT_FALSE(p.store(buf + 3 * kPage, std::as_bytes(std::span(&iov, 1))));
  std::map<std::string, Result<uint64_t>> got;
  for (int bit = 0x20; bit <= 0x400; bit <<= 1) {
    got[absl::StrFormat("rwf_%#x", bit)] = p.preadv2(fd, buf + 3 * kPage, 1, 0, bit);
  }
  // The dio_* cases: 8192 written bytes, a hole to 65536, an O_DIRECT fd.
  ASSERT_EQ(p.ftruncate(fd, 0), Errno::kOk);
  ASSERT_EQ(*p.pwrite(fd, buf, 8192, 0), 8192u);
  ASSERT_EQ(p.ftruncate(fd, 65536), Errno::kOk);
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  const int dfd = *p.open("/f", kO_RDWR | kO_DIRECT);
  struct Dio {
    const char* name;
    bool write;
    off_t64 off;
    uint64_t len, bufoff;
  };
  const Dio dio[] = {
      {"dio_read_off100_mapped", false, 100, 4096, 0},
      {"dio_read_off100_hole", false, 16384 + 100, 4096, 0},
      {"dio_read_buf1_hole", false, 16384, 4096, 1},
      {"dio_read_len100_hole", false, 16384, 100, 0},
      {"dio_read_off100_at_eof", false, 65536, 4096, 0},
      {"dio_read_off100_past_eof", false, 65536 + 100, 4096, 0},
      {"dio_read_buf1_past_eof", false, 131072, 4096, 1},
      {"dio_write_off100_past_eof", true, 131072 + 100, 4096, 0},
      {"dio_write_buf1_past_eof", true, 131072, 4096, 1},
      {"dio_write_len100_hole", true, 16384, 100, 0},
  };
  for (const Dio& d : dio) {
    got[d.name] = d.write ? p.pwrite(dfd, buf + d.bufoff, d.len, d.off)
                          : p.pread(dfd, buf + d.bufoff, d.len, d.off);
  }
  p.close(dfd);
  // dio_read_tail_100: a 100-byte file read O_DIRECT, 4096 at 0.
  const int t = *p.open("/t", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*p.pwrite(t, buf, 100, 0), 100u);
  ASSERT_EQ(p.fsync(t), Errno::kOk);
  const int td = *p.open("/t", kO_RDWR | kO_DIRECT);
  got["dio_read_tail_100"] = p.pread(td, buf, kPage, 0);
  // The cache_* cases: a 16 KiB file written, synced and dropped from the
  // cache (POSIX_FADV_DONTNEED: tmpfs cannot drop its pages).
  const bool tmpfs = GetParam() == "tmpfs";
  std::map<std::string, int> cached;
  auto fresh_uncached = [&] {
    const int f = *p.open("/c", kO_RDWR | kO_CREAT | kO_TRUNC);
    EXPECT_EQ(*host::pwrite(p, f, fill(16384, 'A'), 0), 16384u);
    EXPECT_EQ(p.fsync(f), Errno::kOk);
    if (!tmpfs) drop_page_cache(**p.file_inode(f));
    return f;
  };
  auto cached_pages = [&](int f) {
    Inode& ip = **p.file_inode(f);
    int n = 0;
    for (uint64_t i = 0; i < 4; ++i) {
      n += tmpfs ? static_cast<ShmSuperblock&>(*ip.sb).page_state(ip, i) != '-'
                 : ip.cache.find(i) != nullptr;
    }
    return n;
  };
  const uint64_t r16 =
      *p.mmap(0, 5 * kPage, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_FALSE(p.store(r16, fill(5 * kPage, 'w')));
  const UserIovec all{r16, 16384};
  ASSERT_FALSE(p.store(r16 + 4 * kPage, std::as_bytes(std::span(&all, 1))));
  int c = fresh_uncached();
  ASSERT_EQ(p.munmap(buf + kPage, kPage), Errno::kOk);  // R's page 1.
  got["cache_write_tail_unmapped"] = p.write(c, buf + 3996, 200);
  p.close(c);
  c = fresh_uncached();
  got["cache_write_page_tail_unmapped"] = p.write(c, buf + 100, 4096);
  p.close(c);
  c = fresh_uncached();
  got["cache_dontcache_read"] = p.preadv2(c, r16 + 4 * kPage, 1, 0, kRWF_DONTCACHE);
  cached["cache_dontcache_read"] = cached_pages(c);
  p.close(c);
  c = fresh_uncached();
  got["cache_dontcache_write"] = p.pwritev2(c, r16 + 4 * kPage, 1, 0, kRWF_DONTCACHE);
  cached["cache_dontcache_write"] = cached_pages(c);
  p.close(c);
  c = fresh_uncached();
  const int cd = *p.open("/c", kO_RDWR | kO_DIRECT);
  const UserIovec one{buf, kPage};
  ASSERT_FALSE(p.store(buf + 2 * kPage, std::as_bytes(std::span(&one, 1))));
  ASSERT_EQ(*p.pwrite(c, r16, kPage, 0), kPage);  // Page 0 dirty.
  got["cache_dio_nowait_read_dirty"] = p.preadv2(cd, buf + 2 * kPage, 1, 0, kRWF_NOWAIT);
  ASSERT_EQ(p.fsync(c), Errno::kOk);
  if (!tmpfs) drop_page_cache(**p.file_inode(c));
  ASSERT_EQ(*p.pread(c, r16, kPage, kPage), kPage);  // Page 1 cached, clean.
  got["cache_dio_nowait_write_cached"] = p.pwritev2(cd, buf + 2 * kPage, 1, kPage, kRWF_NOWAIT);

  for (const nlohmann::json& row : rows) {
    const std::string name = row["case"];
    ASSERT_TRUE(got.contains(name)) << name;
    if (row.contains("cached")) {
      EXPECT_EQ(cached[name], row["cached"].get<int>()) << name;
    }
    const Result<uint64_t>& r = got.at(name);
    EXPECT_EQ(r ? static_cast<int64_t>(*r) : -1, row["ret"].get<int64_t>()) << name;
    EXPECT_EQ(r ? "" : std::string(errno_name(r.error())), row["errno"]) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(HostKernel, FlagsAlignTest, ::testing::Values("tmpfs", "xfs", "ext4"));

// Every mapping a helper begins it also ends, when a fault in the caller's
// buffer stops it part way (iomap_iter_stop): buffered and direct writes and
// reads over a buffer whose second page is unmapped.
TEST_F(CopyLayerTest, ShortStepsEndTheirMappings) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  const int dfd = *p.open("/f", kO_RDWR | kO_DIRECT);
  ASSERT_EQ(*p.pwrite(fd, buf, 3 * kPage, 0), 3 * kPage);
  ASSERT_EQ(p.munmap(buf + kPage, kPage), Errno::kOk);
  ExtentMapOps& map = IomapTestVnodeOps::map(inode(fd));
  EXPECT_EQ(*p.pwrite(fd, buf + 100, 2 * kPage, 0), kPage - 100);
  EXPECT_EQ(*p.pread(fd, buf + 100, 2 * kPage, 0), kPage - 100);
  EXPECT_EQ(p.pwrite(dfd, buf, 2 * kPage, 0).error(), Errno::kEFAULT);
  EXPECT_EQ(p.pread(dfd, buf, 2 * kPage, 0).error(), Errno::kEFAULT);
  EXPECT_EQ(map.begins, map.ends);
}

// import_iovec as Linux 6.18's copy_iovec_from_user reads it: entry by
// entry, the first bad one decides; no entries, nothing read.
TEST_F(CopyLayerTest, IovecArraysAreReadEntryByEntry) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(p.munmap(buf + 3 * kPage, kPage), Errno::kOk);
  EXPECT_EQ(*p.readv(fd, kTaskSize + 4096, 0), 0u);  // Nothing to read.
  const UserIovec neg_then_fault[] = {{buf, static_cast<uint64_t>(-1)}};
  ASSERT_FALSE(p.store(buf + 3 * kPage - 16, std::as_bytes(std::span(neg_then_fault))));
  EXPECT_EQ(p.readv(fd, buf + 3 * kPage - 16, 2).error(), Errno::kEINVAL);
  const UserIovec ok_then_fault[] = {{buf, 10}};
  ASSERT_FALSE(p.store(buf + 3 * kPage - 16, std::as_bytes(std::span(ok_then_fault))));
  EXPECT_EQ(p.readv(fd, buf + 3 * kPage - 16, 2).error(), Errno::kEFAULT);
  // do_dentry_open drops O_CREAT, O_EXCL, O_NOCTTY and O_TRUNC from f_flags;
  // open(2) adds O_LARGEFILE.
  EXPECT_EQ(*p.fcntl_getfl(*p.open("/g", kO_RDWR | kO_CREAT | kO_TRUNC | kO_APPEND)),
            kO_RDWR | kO_APPEND | kO_LARGEFILE);
}

// read(2) and write(2) whose buffer is a never-touched MAP_SHARED mapping of
// the same file complete with the right data: the fixture's pread/pwrite
// rows (read_into_shared_map_same_file, write_from_shared_map_same_file:
// 4096 and the right bytes on tmpfs and XFS), through the calls that use
// and move the file position.
TEST_F(CopyLayerTest, ReadAndWriteThroughASharedMappingOfTheSameFile) {
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  std::vector<std::byte> orig(4 * kPage);
  for (size_t i = 0; i < orig.size(); ++i) orig[i] = std::byte(static_cast<uint8_t>('A' + i % 26));
  ASSERT_EQ(*host::pwrite(p, fd, orig, 0), orig.size());
  ASSERT_EQ(p.fsync(fd), Errno::kOk);
  const uint64_t M = *p.mmap(0, 4 * kPage, kProtRead | kProtWrite, kMAP_SHARED, fd, 0);
  ASSERT_EQ(*p.lseek(fd, 0, kSEEK_SET), 0);
  EXPECT_EQ(*p.read(fd, M + 2 * kPage, kPage), kPage);  // File page 0 into file page 2.
  EXPECT_EQ(*p.lseek(fd, 0, kSEEK_CUR), static_cast<off_t64>(kPage));
  std::vector<std::byte> page2(kPage);
  ASSERT_EQ(*host::pread(p, fd, page2, 2 * kPage), kPage);
  EXPECT_TRUE(std::equal(page2.begin(), page2.end(), orig.begin()));
  ASSERT_EQ(*p.lseek(fd, 3 * kPage, kSEEK_SET), static_cast<off_t64>(3 * kPage));
  EXPECT_EQ(*p.write(fd, M + kPage, kPage), kPage);  // File page 1 onto file page 3.
  std::vector<std::byte> page3(kPage);
  ASSERT_EQ(*host::pread(p, fd, page3, 3 * kPage), kPage);
  EXPECT_TRUE(std::equal(page3.begin(), page3.end(), orig.begin() + kPage));
  p.munmap(M, 4 * kPage);
}

// DAX copies between pmem and the caller's buffer through the iterator: a
// buffer that runs into an unmapped page moves the bytes before it
// (dax_iomap_rw: "return done ? done : ret").
TEST(DaxCopyTest, ShortCountAtTheFirstUnmappedUserPage) {
  Machine m(1);
  PmemDevice pmem(m, PmemConfig{});
  Vfs vfs(m);
  register_iomap_testfs(vfs);
  ASSERT_EQ(vfs.mount("iomaptest", &pmem, "dax", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_TRUE((**p.file_inode(fd)).flags & kInodeDax);
  const uint64_t buf =
      *p.mmap(0, 3 * kPage, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_FALSE(p.store(buf, fill(3 * kPage, 'x')));
  ASSERT_EQ(p.munmap(buf + kPage, kPage), Errno::kOk);
  EXPECT_EQ(*p.pwrite(fd, buf + kPage - 100, 200, 0), 100u);
  EXPECT_EQ(p.fstat(fd)->size, 100u);
  EXPECT_EQ(p.pwrite(fd, buf + kPage, 200, 0).error(), Errno::kEFAULT);
  std::vector<std::byte> whole(8192, std::byte{'y'});
  ASSERT_EQ(*host::pwrite(p, fd, whole, 0), 8192u);
  EXPECT_EQ(*p.pread(fd, buf + kPage - 100, 8192, 0), 100u);
  std::vector<std::byte> got(100);
  ASSERT_FALSE(p.load(buf + kPage - 100, got));
  EXPECT_EQ(got, fill(100, 'y'));
}

}  // namespace
}  // namespace vfssim
