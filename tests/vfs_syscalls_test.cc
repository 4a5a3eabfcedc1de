// Syscall errno tables and partial-progress rules, over shmfs. Where two
// rules overlap, a row checks that the kernel's order decides.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "fs/shmfs/testing.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

class SyscallTest : public ShmfsFixture {
 protected:
  void SetUp() override {
    ShmfsFixture::SetUp();
    ASSERT_EQ(p.mkdir("/d"), Errno::kOk);
    ASSERT_EQ(p.mkfifo("/fifo"), Errno::kOk);
    rw = *p.open("/f", kO_RDWR | kO_CREAT);
    ASSERT_EQ(*host::pwrite(p, rw, fill(5, 'h'), 0), 5u);
    ro = *p.open("/f", kO_RDONLY);
    fifo = *p.open("/fifo", kO_RDWR);
    dir = *p.open("/d", kO_RDONLY);
  }

  int rw = -1, ro = -1, fifo = -1, dir = -1;
};

// Each row was checked against the host kernel (Linux 6.18, tmpfs) with a
// probe program issuing the same fallocate(2) calls.
TEST_F(SyscallTest, FallocateCheckOrderMatchesLinux) {
  struct Row {
    const char* what;
    int fd;
    int mode;
    off_t64 off, len;
    Errno want;
  };
  const int kKeep = kFALLOC_FL_KEEP_SIZE;
  const Row rows[] = {
      {"bad fd before EINVAL", 99, 0, -1, 10, Errno::kEBADF},
      {"offset < 0 before EBADF-for-write", ro, 0, -1, 10, Errno::kEINVAL},
      {"len == 0", ro, 0, 0, 0, Errno::kEINVAL},
      {"EINVAL before unknown mode", ro, 0x200, -1, 10, Errno::kEINVAL},
      {"NO_HIDE_STALE is never valid", ro, kFALLOC_FL_NO_HIDE_STALE, 0, 10, Errno::kEOPNOTSUPP},
      {"unknown bit", ro, 0x200, 0, 10, Errno::kEOPNOTSUPP},
      {"punch without KEEP_SIZE, before EBADF", ro, kFALLOC_FL_PUNCH_HOLE, 0, 10,
       Errno::kEOPNOTSUPP},
      {"not open for writing", ro, 0, 0, 10, Errno::kEBADF},
      {"punch|zero", rw, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_ZERO_RANGE | kKeep, 0, 10,
       Errno::kEOPNOTSUPP},
      {"collapse|KEEP_SIZE", rw, kFALLOC_FL_COLLAPSE_RANGE | kKeep, 0, 4096, Errno::kEOPNOTSUPP},
      {"insert|KEEP_SIZE", rw, kFALLOC_FL_INSERT_RANGE | kKeep, 0, 4096, Errno::kEOPNOTSUPP},
      {"write_zeroes|KEEP_SIZE", rw, kFALLOC_FL_WRITE_ZEROES | kKeep, 0, 4096,
       Errno::kEOPNOTSUPP},
      {"punch|KEEP_SIZE works", rw, kFALLOC_FL_PUNCH_HOLE | kKeep, 0, 4096, Errno::kOk},
      {"offset+len wraps", rw, 0, kOffMax - 1, 10, Errno::kEFBIG},
      {"fifo", fifo, 0, 0, 10, Errno::kESPIPE},
      {"fifo: EINVAL first", fifo, 0, -1, 10, Errno::kEINVAL},
      {"fifo: ESPIPE before EFBIG", fifo, 0, kOffMax, 10, Errno::kESPIPE},
      {"directory is read-only: EBADF first", dir, 0, 0, 10, Errno::kEBADF},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(p.fallocate(r.fd, r.mode, r.off, r.len), r.want) << r.what;
  }
}

// The ZEROINIT prototype's switch. Off (the default), its bit is unknown with
// every mode, after the range checks: the host fixture
// tests/probes/fixtures/fallocate_bit.jsonl (tmpfs rows). On, patch 3/5's
// rule runs after 6.18's mode switch: a combination the switch refuses
// keeps its EOPNOTSUPP, any other ZEROINIT combination but ZEROINIT|KEEP_SIZE
// is EINVAL, and ZEROINIT|KEEP_SIZE reaches shmfs, which lacks it.
TEST_F(SyscallTest, FallocateZeroinitPrototypeSwitch) {
  int rows = 0;
  for (const nlohmann::json& j : load_host_fixture("fallocate_bit.jsonl", "tmpfs").rows) {
    const std::string name = j["case"];
    Errno want;
    ASSERT_TRUE(errno_from_name(j["errno"].get<std::string>(), &want)) << name;
    Errno got;
    if (name == "bit_negoff") {
      got = p.fallocate(rw, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, -1, 4096);
    } else if (name == "bit_len0") {
      got = p.fallocate(rw, kFALLOC_FL_ZEROINIT_RANGE | kFALLOC_FL_KEEP_SIZE, 0, 0);
    } else {
      const int mode = std::stoi(name.substr(4), nullptr, 16);
      got = p.fallocate(rw, mode | kFALLOC_FL_ZEROINIT_RANGE, 0, 4096);
    }
    EXPECT_EQ(got, want) << name;
    ++rows;
  }
  EXPECT_EQ(rows, 18);

  ASSERT_EQ(m.variants.set("zeroinit", "on"), Errno::kOk);
  const int kKeep = kFALLOC_FL_KEEP_SIZE;
  const struct {
    int mode;
    Errno want;
  } on[] = {
      {0, Errno::kEINVAL},
      {kKeep, Errno::kEOPNOTSUPP},  // Valid; shmfs has no ZEROINIT.
      {kFALLOC_FL_PUNCH_HOLE, Errno::kEOPNOTSUPP},
      {kFALLOC_FL_PUNCH_HOLE | kKeep, Errno::kEINVAL},
      {kFALLOC_FL_COLLAPSE_RANGE, Errno::kEINVAL},
      {kFALLOC_FL_COLLAPSE_RANGE | kKeep, Errno::kEOPNOTSUPP},
      {kFALLOC_FL_ZERO_RANGE, Errno::kEINVAL},
      {kFALLOC_FL_ZERO_RANGE | kKeep, Errno::kEINVAL},
      {kFALLOC_FL_INSERT_RANGE, Errno::kEINVAL},
      {kFALLOC_FL_INSERT_RANGE | kKeep, Errno::kEOPNOTSUPP},
      {kFALLOC_FL_UNSHARE_RANGE, Errno::kEINVAL},
      {kFALLOC_FL_UNSHARE_RANGE | kKeep, Errno::kEINVAL},
      {kFALLOC_FL_WRITE_ZEROES, Errno::kEINVAL},
      {kFALLOC_FL_WRITE_ZEROES | kKeep, Errno::kEOPNOTSUPP},
      {kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_ZERO_RANGE, Errno::kEOPNOTSUPP},
      {kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_ZERO_RANGE | kKeep, Errno::kEOPNOTSUPP},
  };
  for (const auto& r : on) {
    EXPECT_EQ(p.fallocate(rw, r.mode | kFALLOC_FL_ZEROINIT_RANGE, 0, 4096), r.want) << r.mode;
  }
  // The switch changes only what it owns: every other mode answers as before.
  EXPECT_EQ(p.fallocate(rw, 0x200, 0, 10), Errno::kEOPNOTSUPP);
  EXPECT_EQ(p.fallocate(rw, kFALLOC_FL_PUNCH_HOLE | kKeep, 0, 4096), Errno::kOk);
}

TEST_F(SyscallTest, FallocateInodeFlagRules) {
  uint32_t flags = kFS_APPEND_FL;
  ASSERT_EQ(host::ioctl(p, rw, kFS_IOC_SETFLAGS, &flags), Errno::kOk);
  int app = *p.open("/f", kO_WRONLY | kO_APPEND);
  EXPECT_EQ(p.fallocate(app, 0, 0, 10), Errno::kOk);
  EXPECT_EQ(p.fallocate(app, kFALLOC_FL_KEEP_SIZE, 0, 10), Errno::kOk);
  EXPECT_EQ(p.fallocate(app, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 0, 10), Errno::kEPERM);
  EXPECT_EQ(p.fallocate(app, kFALLOC_FL_ZERO_RANGE, 0, 10), Errno::kEPERM);
  // EPERM (append) comes before EFBIG.
  EXPECT_EQ(p.fallocate(app, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, kOffMax, 10),
            Errno::kEPERM);
  flags = kFS_IMMUTABLE_FL;
  ASSERT_EQ(host::ioctl(p, rw, kFS_IOC_SETFLAGS, &flags), Errno::kOk);
  EXPECT_EQ(p.fallocate(rw, 0, 0, 10), Errno::kEPERM);
  flags = 0;
  ASSERT_EQ(host::ioctl(p, rw, kFS_IOC_SETFLAGS, &flags), Errno::kOk);
  (*p.file_inode(rw))->flags |= kInodeSwapfile;
  EXPECT_EQ(p.fallocate(rw, 0, 0, 10), Errno::kETXTBSY);
}

TEST_F(SyscallTest, FspacectlValidationOrderAndRmsr) {
  SpacectlRange rm{-7, -7};
  // sys_fspacectl copies rqsr in first: a NULL rqsr is EFAULT, rmsr untouched.
  EXPECT_EQ(host::fspacectl(p, rw, kSPACECTL_DEALLOC, nullptr, 0, &rm), Errno::kEFAULT);
  EXPECT_EQ(rm, (SpacectlRange{-7, -7}));
  struct Row {
    const char* what;
    int fd, cmd;
    SpacectlRange rq;
    int flags;
    Errno want;
  };
  const Row rows[] = {
      {"bad cmd, before EBADF", 99, 2, {0, 10}, 0, Errno::kEINVAL},
      {"r_offset < 0", 99, kSPACECTL_DEALLOC, {-1, 10}, 0, Errno::kEINVAL},
      {"r_len == 0", 99, kSPACECTL_DEALLOC, {0, 0}, 0, Errno::kEINVAL},
      {"overflow", 99, kSPACECTL_DEALLOC, {kOffMax, 1}, 0, Errno::kEINVAL},
      {"a flag bit", 99, kSPACECTL_DEALLOC, {0, 10}, 1, Errno::kEINVAL},
      {"bad fd", 99, kSPACECTL_DEALLOC, {0, 10}, 0, Errno::kEBADF},
      {"not open for writing", ro, kSPACECTL_DEALLOC, {0, 10}, 0, Errno::kEBADF},
      {"fifo", fifo, kSPACECTL_DEALLOC, {0, 10}, 0, Errno::kESPIPE},
  };
  for (const Row& r : rows) {
    rm = {-7, -7};
    EXPECT_EQ(host::fspacectl(p, r.fd, r.cmd, &r.rq, r.flags, &rm), r.want) << r.what;
    EXPECT_EQ(rm, r.rq) << r.what << ": rmsr holds the request on error";
  }
}

// sys_fspacectl (FreeBSD sys_generic.c, ../shared/research): rmsr is
// copied out after kern_fspacectl whatever it returned, and a copyout that
// fails is the error only when the call had none.
TEST_F(SyscallTest, FspacectlCopiesRmsrOutOnEveryPath) {
  ASSERT_EQ(*host::pwrite(p, rw, fill(8192, 1), 0), 8192u);
  const uint64_t u = *p.mmap(0, 8192, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  const SpacectlRange rq{0, 4096};
  ASSERT_FALSE(p.store(u, std::as_bytes(std::span(&rq, 1))));
  auto rmsr = [&] {
    SpacectlRange rm;
    EXPECT_FALSE(p.load(u + 64, std::as_writable_bytes(std::span(&rm, 1))));
    return rm;
  };
  // An error path: EBADF, and rmsr still receives the request.
  EXPECT_EQ(p.fspacectl(99, kSPACECTL_DEALLOC, u, 0, u + 64), Errno::kEBADF);
  EXPECT_EQ(rmsr(), rq);
  // Success: the remainder (r_len 0, r_offset where processing ended).
  EXPECT_EQ(p.fspacectl(rw, kSPACECTL_DEALLOC, u, 0, u + 64), Errno::kOk);
  EXPECT_EQ(rmsr(), (SpacectlRange{4096, 0}));
  // rmsr unwritable: EFAULT after a successful deallocation (the file did
  // change), but the call's own error wins when it had one.
  ASSERT_EQ(p.munmap(u + 4096, 4096), Errno::kOk);
  EXPECT_EQ(p.fspacectl(rw, kSPACECTL_DEALLOC, u, 0, u + 4096), Errno::kEFAULT);
  EXPECT_EQ(contents(rw, 4096), fill(4096, 0));
  EXPECT_EQ(p.fspacectl(ro, kSPACECTL_DEALLOC, u, 0, u + 4096), Errno::kEBADF);
  // rmsr 0: nothing is copied out.
  EXPECT_EQ(p.fspacectl(rw, kSPACECTL_DEALLOC, u, 0, 0), Errno::kOk);
  // rqsr unreadable: EFAULT before anything, rmsr untouched.
  EXPECT_EQ(p.fspacectl(rw, kSPACECTL_DEALLOC, u + 4096, 0, u + 64), Errno::kEFAULT);
  EXPECT_EQ(rmsr(), (SpacectlRange{4096, 0}));
}

TEST_F(SyscallTest, FspacectlOnVnodeUsesVopStddeallocate) {
  // Data at [0,4096) and [8192,12288) with a hole between; size 16384.
  int fd = *p.open("/g", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(4096, 1), 0);
  host::pwrite(p, fd, fill(4096, 2), 8192);
  p.ftruncate(fd, 16384);
  const Timespec before = p.fstat(fd)->mtime;
  m.clock.advance(1000);
  SpacectlRange rq{100, 1 << 20}, rm{};
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(rm, (SpacectlRange{16384, 0}));  // Clipped at EOF.
  std::vector<std::byte> buf(16384);
  host::pread(p, fd, buf, 0);
  std::vector<std::byte> want = fill(16384, 0);
  std::fill(want.begin(), want.begin() + 100, std::byte{1});
  EXPECT_EQ(buf, want);
  EXPECT_EQ(p.fstat(fd)->size, 16384u);
  EXPECT_GT(p.fstat(fd)->mtime, before);
  // A directory cannot be opened for writing; a FIFO is ESPIPE; a memfd and
  // a vnode agree on the past-EOF answer.
  rq = {1 << 20, 10};
  ASSERT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(rm, (SpacectlRange{1 << 20, 0}));
}

TEST_F(SyscallTest, FspacectlEintrAfterProgressIsSuccessWithRemainder) {
  int fd = *p.open("/g", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(4096, 1), 0);
  host::pwrite(p, fd, fill(4096, 2), 8192);
  // vn_deallocate checks for a signal before each VOP_DEALLOCATE pass; the
  // first pass zeroes region one, the second is interrupted.
  m.faults.arm("sched/signal/eintr", FaultPlan::nth(2));
  SpacectlRange rq{0, 12288}, rm{};
  EXPECT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kOk);
  EXPECT_EQ(rm, (SpacectlRange{4096, 8192}));
  std::vector<std::byte> buf(4096);
  host::pread(p, fd, buf, 8192);
  EXPECT_EQ(buf, fill(4096, 2));  // Not reached.
}

TEST_F(SyscallTest, FspacectlEintrWithoutProgressIsEintr) {
  int fd = *p.open("/g", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(4096, 1), 0);
  m.faults.arm("sched/signal/eintr", FaultPlan::nth(1));
  SpacectlRange rq{0, 4096}, rm{};
  EXPECT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kEINTR);
  EXPECT_EQ(rm, rq);
}

TEST_F(SyscallTest, FspacectlEnospcReportsProgress) {
  int fd = *p.open("/g", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(3 * 4096, 1), 0);
  // The zero-fill of page 2 needs it back from swap, and no page is left.
  sb->swap_out(**p.file_inode(fd), 2);
  m.faults.arm("shmfs/page/enospc", FaultPlan::nth(1));
  SpacectlRange rq{0, 3 * 4096}, rm{};
  EXPECT_EQ(host::fspacectl(p, fd, kSPACECTL_DEALLOC, &rq, 0, &rm), Errno::kENOSPC);
  EXPECT_EQ(rm, (SpacectlRange{2 * 4096, 4096}));
}

class VopStddeallocateTest : public ShmfsFixture {};

TEST_F(VopStddeallocateTest, ProgressOnEveryExitPath) {
  int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  host::pwrite(p, fd, fill(4096, 1), 4096);
  p.ftruncate(fd, 4 * 4096);
  Inode& ip = **p.file_inode(fd);
  // Yield after the first data region: offset past it, length the rest.
  off_t64 off = 0, len = 4 * 4096;
  EXPECT_EQ(vop_stddeallocate(ip, &off, &len, IoFlags{}), Errno::kOk);
  EXPECT_EQ(off, 8192);
  EXPECT_EQ(len, 8192);
  // Only holes remain: done, offset advanced to the end of the range.
  EXPECT_EQ(vop_stddeallocate(ip, &off, &len, IoFlags{}), Errno::kOk);
  EXPECT_EQ(off, 4 * 4096);
  EXPECT_EQ(len, 0);
  // Past EOF: nothing, offset unchanged, length 0.
  off = 1 << 20, len = 10;
  EXPECT_EQ(vop_stddeallocate(ip, &off, &len, IoFlags{}), Errno::kOk);
  EXPECT_EQ(off, 1 << 20);
  EXPECT_EQ(len, 0);
  // A write error mid-region reports how far it got.
  host::pwrite(p, fd, fill(4096, 1), 0);
  static_cast<ShmSuperblock*>(ip.sb)->swap_out(ip, 0);
  m.faults.arm("shmfs/page/enospc", FaultPlan::nth(1));
  off = 0, len = 4096;
  EXPECT_EQ(vop_stddeallocate(ip, &off, &len, IoFlags{}), Errno::kENOSPC);
  EXPECT_EQ(off, 0);
  EXPECT_EQ(len, 4096);
  // vn_deallocate validation.
  off = -1, len = 1;
  EXPECT_EQ(vn_deallocate(ip, &off, &len, 0, IoFlags{}), Errno::kEINVAL);
  off = 0, len = 1;
  EXPECT_EQ(vn_deallocate(ip, &off, &len, 1, IoFlags{}), Errno::kEINVAL);
  Inode& root = *vfs.root();
  off = 0, len = 1;
  EXPECT_EQ(vn_deallocate(root, &off, &len, 0, IoFlags{}), Errno::kENODEV);
}

TEST_F(SyscallTest, OpenErrnos) {
  EXPECT_EQ(p.open("/nope", kO_RDONLY).error(), Errno::kENOENT);
  EXPECT_EQ(p.open("/f/x", kO_RDONLY).error(), Errno::kENOTDIR);
  EXPECT_EQ(p.open("/f", kO_RDWR | kO_CREAT | kO_EXCL).error(), Errno::kEEXIST);
  EXPECT_EQ(p.open("/d", kO_RDWR).error(), Errno::kEISDIR);
  EXPECT_EQ(p.open("/f", kO_RDONLY | kO_DIRECTORY).error(), Errno::kENOTDIR);
  EXPECT_EQ(p.open(std::string("/") + std::string(256, 'a'), kO_RDONLY).error(),
            Errno::kENAMETOOLONG);
  // Access mode 3 opens with neither read nor write access (host probe
  // open.jsonl file_accmode3).
  ASSERT_TRUE(p.open("/f", kO_ACCMODE).has_value());
  Process user(vfs, Creds::user(1000, 1000));
  EXPECT_EQ(user.open("/f", kO_RDWR).error(), Errno::kEACCES);  // 0644, owned by root.
  EXPECT_TRUE(user.open("/f", kO_RDONLY).has_value());
  EXPECT_EQ(user.open("/d/new", kO_RDWR | kO_CREAT).error(), Errno::kEACCES);
  uint32_t flags = kFS_APPEND_FL;
  ASSERT_EQ(host::ioctl(p, rw, kFS_IOC_SETFLAGS, &flags), Errno::kOk);
  EXPECT_EQ(p.open("/f", kO_WRONLY).error(), Errno::kEPERM);
  EXPECT_EQ(p.open("/f", kO_WRONLY | kO_APPEND | kO_TRUNC).error(), Errno::kEPERM);
  EXPECT_TRUE(p.open("/f", kO_WRONLY | kO_APPEND).has_value());
  flags = kFS_IMMUTABLE_FL;
  ASSERT_EQ(host::ioctl(p, rw, kFS_IOC_SETFLAGS, &flags), Errno::kOk);
  EXPECT_EQ(p.open("/f", kO_RDWR).error(), Errno::kEPERM);
}

TEST_F(SyscallTest, ReadWriteErrnosAndProgress) {
  std::vector<std::byte> buf(8);
  EXPECT_EQ(host::write(p, ro, fill(1, 1)).error(), Errno::kEBADF);
  int wo = *p.open("/f", kO_WRONLY);
  EXPECT_EQ(host::read(p, wo, buf).error(), Errno::kEBADF);
  EXPECT_EQ(host::read(p, dir, buf).error(), Errno::kEISDIR);
  EXPECT_EQ(host::pread(p, fifo, buf, 0).error(), Errno::kESPIPE);
  EXPECT_EQ(host::pread(p, rw, buf, -5).error(), Errno::kEINVAL);
  const host::IoVec v{buf.data(), buf.size()};
  // RWF_* bits on tmpfs (host fixture tests/probes/fixtures/flags_align.jsonl,
  // rwf_*, which //tests:copy_layer_test re-enacts bit by bit): 0x200 is
  // unknown; RWF_ATOMIC on a read and RWF_DONTCACHE without FOP_DONTCACHE
  // are EOPNOTSUPP; RWF_NOSIGNAL and RWF_NOAPPEND are accepted.
  EXPECT_EQ(host::preadv2(p, rw, {&v, 1}, 0, 0x200).error(), Errno::kEOPNOTSUPP);
  EXPECT_EQ(host::preadv2(p, rw, {&v, 1}, 0, kRWF_ATOMIC).error(), Errno::kEOPNOTSUPP);
  EXPECT_EQ(host::preadv2(p, rw, {&v, 1}, 0, kRWF_DONTCACHE).error(), Errno::kEOPNOTSUPP);
  EXPECT_EQ(*host::preadv2(p, rw, {&v, 1}, 0, kRWF_NOSIGNAL), 5u);
  EXPECT_EQ(*host::preadv2(p, rw, {&v, 1}, 0, kRWF_NOAPPEND), 5u);
  EXPECT_EQ(*host::pread(p, rw, buf, 0), 5u);  // Short read at EOF.
  EXPECT_EQ(*host::pread(p, rw, buf, 100), 0u);
  // readv/writev move the file position; RWF_APPEND writes at EOF.
  std::vector<std::byte> a = fill(3, 'a'), b = fill(2, 'b');
  const host::IoVec iov[] = {{a.data(), a.size()}, {b.data(), b.size()}};
  EXPECT_EQ(*host::writev(p, rw, iov), 5u);
  EXPECT_EQ(*p.lseek(rw, 0, kSEEK_CUR), 5);
  EXPECT_EQ(*host::pwritev2(p, rw, iov, 0, kRWF_APPEND), 5u);
  EXPECT_EQ(p.fstat(rw)->size, 10u);
  // A signal mid-transfer returns the progress; before any, EINTR.
  std::vector<std::byte> big(9 << 20);
  m.faults.arm("sched/signal/eintr", FaultPlan::nth(2));
  EXPECT_EQ(*host::pwrite(p, rw, big, 0), 4u << 20);
  m.faults.disarm_all();
  m.faults.arm("sched/signal/eintr", FaultPlan::nth(1));
  EXPECT_EQ(host::pwrite(p, rw, big, 0).error(), Errno::kEINTR);
}

TEST_F(SyscallTest, LseekAndFtruncateOrder) {
  EXPECT_EQ(p.lseek(fifo, 0, kSEEK_SET).error(), Errno::kESPIPE);
  EXPECT_EQ(p.lseek(rw, -1, kSEEK_SET).error(), Errno::kEINVAL);
  EXPECT_EQ(p.lseek(rw, 0, 9).error(), Errno::kEINVAL);
  EXPECT_EQ(*p.lseek(rw, 2, kSEEK_END), 7);
  EXPECT_EQ(p.lseek(rw, 5, kSEEK_DATA).error(), Errno::kENXIO);
  EXPECT_EQ(p.ftruncate(99, -1), Errno::kEINVAL);  // length < 0 before EBADF.
  EXPECT_EQ(p.ftruncate(99, 0), Errno::kEBADF);
  EXPECT_EQ(p.ftruncate(ro, 0), Errno::kEINVAL);   // Not writable: EINVAL.
  EXPECT_EQ(p.ftruncate(fifo, 0), Errno::kEINVAL);
  EXPECT_EQ(p.ftruncate(rw, 3), Errno::kOk);
  EXPECT_EQ(p.fstat(rw)->size, 3u);
  EXPECT_EQ(p.fsync(fifo), Errno::kEINVAL);
  EXPECT_EQ(p.fsync(rw), Errno::kOk);
  EXPECT_EQ(p.fdatasync(99), Errno::kEBADF);
}

TEST_F(SyscallTest, Ioctls) {
  uint32_t flags = 0;
  EXPECT_EQ(host::ioctl(p, rw, kFS_IOC_GETFLAGS, &flags), Errno::kOk);
  EXPECT_EQ(flags, 0u);
  flags = 0x80000000;
  EXPECT_EQ(host::ioctl(p, rw, kFS_IOC_SETFLAGS, &flags), Errno::kEOPNOTSUPP);
  Process user(vfs, Creds::user(0, 0, {Cap::kFowner}));
  int ufd = *user.open("/f", kO_RDONLY);
  flags = kFS_IMMUTABLE_FL;
  EXPECT_EQ(host::ioctl(user, ufd, kFS_IOC_SETFLAGS, &flags), Errno::kEPERM);  // No CAP_LINUX_IMMUTABLE.
  FsXattr x;
  x.fsx_xflags = kFS_XFLAG_DAX;
  EXPECT_EQ(host::ioctl(p, rw, kFS_IOC_FSSETXATTR, &x), Errno::kEOPNOTSUPP);  // Mounted dax=never.
  EXPECT_EQ(p.ioctl(rw, kFS_IOC_FIEMAP, 0), Errno::kEOPNOTSUPP);  // tmpfs: no FIEMAP.
  EXPECT_EQ(p.ioctl(rw, 0x1234, 0), Errno::kENOTTY);
  EXPECT_EQ(host::ioctl(p, 99, kFS_IOC_GETFLAGS, &flags), Errno::kEBADF);
  int src = rw;
  int dst = *p.open("/c", kO_RDWR | kO_CREAT);
  EXPECT_EQ(host::ficlone(p, dst, src), Errno::kEOPNOTSUPP);  // No reflink on shmfs.
  EXPECT_EQ(host::ficlone(p, ro, src), Errno::kEBADF);        // Destination read-only.
  EXPECT_EQ(host::ficlone(p, dst, fifo), Errno::kEINVAL);
}

// FIDEDUPERANGE on tmpfs-like shmfs, each row checked on the host (Linux
// 6.18, tmpfs): argument size, reserved fields and the source type come
// before "no remap op" (EOPNOTSUPP), which comes before the range checks.
TEST_F(SyscallTest, DedupeRangeOrderMatchesLinux) {
  struct Arg {
    FileDedupeRange r{0, 4096, 1, 0, 0};
    FileDedupeRangeInfo info[1] = {};
  } a;
  a.info[0].dest_fd = rw;
  EXPECT_EQ(host::dedupe(p, rw, &a.r), Errno::kEOPNOTSUPP);
  a.r.src_offset = kOffMax;  // Past EOF, and overflowing: still EOPNOTSUPP.
  EXPECT_EQ(host::dedupe(p, rw, &a.r), Errno::kEOPNOTSUPP);
  a.r.reserved1 = 1;
  EXPECT_EQ(host::dedupe(p, rw, &a.r), Errno::kEINVAL);
  a.r.reserved1 = 0;
  EXPECT_EQ(host::dedupe(p, dir, &a.r), Errno::kEISDIR);
  EXPECT_EQ(host::dedupe(p, fifo, &a.r), Errno::kEINVAL);
  std::vector<std::byte> big(65536);
  reinterpret_cast<FileDedupeRange*>(big.data())->dest_count = 1000;  // Over a page.
  EXPECT_EQ(host::dedupe(p, rw, reinterpret_cast<FileDedupeRange*>(big.data())), Errno::kENOMEM);
}

// A filesystem with a remap op: dedupe compares the ranges and reports each
// destination's outcome in its own status; the ioctl itself succeeds.
class CompareRemapOps : public ShmVnodeOps {
 public:
  bool can_remap() const override { return true; }
  Result<uint64_t> remap_range(Inode& src, off_t64 src_off, Inode& dst, off_t64 dst_off,
                               uint64_t len, unsigned flags) override {
    if (!(flags & kRemapFileDedup)) return Fail(Errno::kEOPNOTSUPP);
    std::vector<std::byte> a(len), b(len);
    IovIter ta = IovIter::kvec_dest(a), tb = IovIter::kvec_dest(b);
    if (read(src, Kiocb{.pos = src_off}, ta).done != len ||
        read(dst, Kiocb{.pos = dst_off}, tb).done != len) {
      return Fail(Errno::kEINVAL);
    }
    if (a != b) return Fail(Errno::kEBADE);
    return len;  // Equal bytes in memory: sharing them changes nothing visible.
  }
};

TEST(DedupeRange, PerDestinationStatus) {
  static CompareRemapOps ops;
  Machine m(1);
  Vfs vfs(m);
  vfs.register_fs("cmpfs", [](Machine& mm, BlockDevice*, const MountOptions& o)
                               -> Result<std::unique_ptr<Superblock>> {
    auto sb = std::make_unique<ShmSuperblock>(mm, o, UINT64_MAX, 0.0, ops);
    sb->make_root();
    return std::unique_ptr<Superblock>(std::move(sb));
  });
  ASSERT_EQ(vfs.mount("cmpfs", nullptr, "", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  int src = *p.open("/src", kO_RDWR | kO_CREAT);
  int same = *p.open("/same", kO_RDWR | kO_CREAT);
  int differs = *p.open("/differs", kO_RDWR | kO_CREAT);
  ASSERT_EQ(p.mkdir("/d"), Errno::kOk);
  int dir = *p.open("/d", kO_RDONLY);
  ASSERT_EQ(*host::pwrite(p, src, fill(8192, 7), 0), 8192u);
  ASSERT_EQ(*host::pwrite(p, same, fill(8192, 7), 0), 8192u);
  ASSERT_EQ(*host::pwrite(p, differs, fill(8192, 8), 0), 8192u);
  struct Arg {
    FileDedupeRange r{0, 4096, 5, 0, 0};
    FileDedupeRangeInfo info[5] = {};
  } a;
  a.info[0].dest_fd = same;
  a.info[1].dest_fd = differs;
  a.info[2].dest_fd = 99;
  a.info[3].dest_fd = dir;
  a.info[4].dest_fd = same;
  a.info[4].reserved = 1;
  a.info[2].bytes_deduped = 123;  // Reset by the kernel before the loop.
  ASSERT_EQ(host::dedupe(p, src, &a.r), Errno::kOk);
  EXPECT_EQ(a.info[0].status, kFILE_DEDUPE_RANGE_SAME);
  EXPECT_EQ(a.info[0].bytes_deduped, 4096u);
  EXPECT_EQ(a.info[1].status, kFILE_DEDUPE_RANGE_DIFFERS);
  EXPECT_EQ(a.info[1].bytes_deduped, 0u);
  EXPECT_EQ(a.info[2].status, -9);   // -EBADF
  EXPECT_EQ(a.info[2].bytes_deduped, 0u);
  EXPECT_EQ(a.info[3].status, -21);  // -EISDIR
  EXPECT_EQ(a.info[4].status, -22);  // -EINVAL
  a.r.src_offset = 8000;  // Source range past EOF: the whole call fails.
  EXPECT_EQ(host::dedupe(p, src, &a.r), Errno::kEINVAL);
  // allow_file_dedupe: a read-only open by someone who may not write is EPERM.
  Process user(vfs, Creds::user(1000, 1000));
  int usrc = *user.open("/src", kO_RDONLY);
  int udst = *user.open("/same", kO_RDONLY);
  a.r = {0, 4096, 1, 0, 0};
  a.info[0] = {udst, 0, 0, 0, 0};
  ASSERT_EQ(host::dedupe(user, usrc, &a.r), Errno::kOk);
  EXPECT_EQ(a.info[0].status, -1);  // -EPERM
}

// A filesystem whose s_maxbytes is below OFF_MAX (ext4 with 4 KiB blocks:
// 16 TiB - 4 KiB): fallocate past it is EFBIG, after every fd and mode check.
TEST_F(SyscallTest, FallocateBeyondSmallerMaxbytesIsEfbig) {
  sb->maxbytes = (off_t64{1} << 44) - 4096;
  EXPECT_EQ(p.fallocate(rw, 0, sb->maxbytes - 4096, 4096), Errno::kOk);
  EXPECT_EQ(p.fallocate(rw, 0, sb->maxbytes - 4096, 4097), Errno::kEFBIG);
  EXPECT_EQ(p.fallocate(rw, kFALLOC_FL_KEEP_SIZE, sb->maxbytes, 1), Errno::kEFBIG);
  EXPECT_EQ(p.fallocate(ro, 0, sb->maxbytes, 1), Errno::kEBADF);  // EBADF first.
  EXPECT_EQ(p.fallocate(fifo, 0, sb->maxbytes, 1), Errno::kESPIPE);
}

// check_sticky: in a 01777 directory only the file's owner, the
// directory's owner or CAP_FOWNER may unlink or rename an entry away.
TEST_F(SyscallTest, StickyDirectoryRestrictsDeletion) {
  ASSERT_EQ(p.mkdir("/tmp", 01777), Errno::kOk);
  Process alice(vfs, Creds::user(1000, 1000));
  Process bob(vfs, Creds::user(1001, 1001));
  ASSERT_EQ(alice.close(*alice.open("/tmp/a", kO_RDWR | kO_CREAT)), Errno::kOk);
  ASSERT_EQ(bob.close(*bob.open("/tmp/b", kO_RDWR | kO_CREAT)), Errno::kOk);
  EXPECT_EQ(bob.unlink("/tmp/a"), Errno::kEPERM);
  EXPECT_EQ(bob.rename("/tmp/a", "/tmp/c"), Errno::kEPERM);
  EXPECT_EQ(bob.rename("/tmp/b", "/tmp/a"), Errno::kEPERM);  // Would replace alice's file.
  EXPECT_EQ(alice.rename("/tmp/a", "/tmp/c"), Errno::kOk);
  Process fowner(vfs, Creds::user(1002, 1002, {Cap::kFowner}));
  EXPECT_EQ(fowner.unlink("/tmp/c"), Errno::kOk);
  EXPECT_EQ(p.unlink("/tmp/b"), Errno::kOk);  // Root has CAP_FOWNER.
  // Without the sticky bit, write permission on the directory is enough.
  ASSERT_EQ(p.mkdir("/pub", 0777), Errno::kOk);
  ASSERT_EQ(alice.close(*alice.open("/pub/a", kO_RDWR | kO_CREAT)), Errno::kOk);
  EXPECT_EQ(bob.unlink("/pub/a"), Errno::kOk);
}

// SYSCALL_DEFINE6(copy_file_range) (Linux 6.18 fs/read_write.c): fds, then
// the offsets copied in from user memory, then flags; the offsets are
// copied back after progress.
TEST_F(SyscallTest, CopyFileRange) {
  int dst = *p.open("/c", kO_RDWR | kO_CREAT);
  const uint64_t u = *p.mmap(0, 8192, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  auto put = [&](uint64_t at, off_t64 v) { ASSERT_FALSE(p.store(at, std::as_bytes(std::span(&v, 1)))); };
  auto get = [&](uint64_t at) {
    off_t64 v = 0;
    EXPECT_FALSE(p.load(at, std::as_writable_bytes(std::span(&v, 1))));
    return v;
  };
  put(u, 1);
  put(u + 8, 0);
  EXPECT_EQ(*p.copy_file_range(rw, u, dst, u + 8, 100, 0), 4u);
  EXPECT_EQ(get(u), 5);
  EXPECT_EQ(get(u + 8), 4);
  EXPECT_EQ(p.copy_file_range(rw, 0, dst, 0, 1, 1).error(), Errno::kEINVAL);
  EXPECT_EQ(p.copy_file_range(99, 0, dst, 0, 1, 1).error(), Errno::kEBADF);  // Before flags.
  EXPECT_EQ(p.copy_file_range(rw, 0, ro, 0, 1, 0).error(), Errno::kEBADF);
  EXPECT_EQ(p.copy_file_range(dir, 0, dst, 0, 1, 0).error(), Errno::kEISDIR);
  put(u, 0);
  put(u + 8, 2);
  EXPECT_EQ(p.copy_file_range(rw, u, rw, u + 8, 4, 0).error(), Errno::kEINVAL);  // Overlap.
  // Offsets in unmapped memory: EFAULT before the flags are looked at.
  ASSERT_EQ(p.munmap(u + 4096, 4096), Errno::kOk);
  EXPECT_EQ(p.copy_file_range(rw, u + 4096, dst, 0, 1, 1).error(), Errno::kEFAULT);
  EXPECT_EQ(p.copy_file_range(rw, u, dst, u + 4096, 1, 1).error(), Errno::kEFAULT);
}

TEST_F(SyscallTest, Namespace) {
  EXPECT_EQ(p.mkdir("/d"), Errno::kEEXIST);
  EXPECT_EQ(p.mkdir("/x/y"), Errno::kENOENT);
  EXPECT_EQ(p.mkdir("/f/y"), Errno::kENOTDIR);
  ASSERT_EQ(p.mkdir("/d/e"), Errno::kOk);
  EXPECT_EQ(p.stat("/d")->nlink, 3u);
  EXPECT_EQ(p.rmdir("/d"), Errno::kENOTEMPTY);
  EXPECT_EQ(p.unlink("/d"), Errno::kEISDIR);
  EXPECT_EQ(p.rmdir("/f"), Errno::kENOTDIR);
  EXPECT_EQ(p.rename("/d", "/d/e/z"), Errno::kEINVAL);
  EXPECT_EQ(p.rename("/f", "/d"), Errno::kEISDIR);
  EXPECT_EQ(p.rename("/d", "/f"), Errno::kENOTDIR);
  ASSERT_EQ(p.rename("/f", "/d/e/g"), Errno::kOk);
  EXPECT_EQ(p.stat("/f").error(), Errno::kENOENT);
  EXPECT_EQ(p.stat("/d/e/../e/./g")->size, 5u);
  // An open file outlives its name.
  ASSERT_EQ(p.unlink("/d/e/g"), Errno::kOk);
  EXPECT_EQ(p.fstat(rw)->nlink, 0u);
  std::vector<std::byte> buf(5);
  EXPECT_EQ(*host::pread(p, rw, buf, 0), 5u);
  ASSERT_EQ(p.rmdir("/d/e"), Errno::kOk);
  EXPECT_EQ(p.stat("/d")->nlink, 2u);
  // A second mount: crossing it, EBUSY, EXDEV.
  ASSERT_EQ(vfs.mount("shmfs", nullptr, "", "/d", Creds::root()), Errno::kOk);
  int under = *p.open("/d/under", kO_RDWR | kO_CREAT);
  ASSERT_EQ(vfs.mount("shmfs", nullptr, "", "/d", Creds::root()), Errno::kOk);  // Stacks.
  EXPECT_EQ(p.stat("/d/under").error(), Errno::kENOENT);  // Hidden by the top mount.
  EXPECT_EQ(p.fstat(under)->size, 0u);                    // Still open.
  EXPECT_EQ(vfs.mount("nofs", nullptr, "", "/d", Creds::root()), Errno::kENODEV);
  EXPECT_EQ(vfs.mount("shmfs", nullptr, "", "/d", Creds::user(1, 1)), Errno::kEPERM);
  EXPECT_EQ(vfs.mount("shmfs", nullptr, "bs=3", "/fifo", Creds::root()), Errno::kENOTDIR);
  int h = *p.open("/d/h", kO_RDWR | kO_CREAT);
  EXPECT_EQ(p.stat("/d/../d/h")->ino, p.fstat(h)->ino);
  EXPECT_EQ(p.rename("/d/h", "/h"), Errno::kEXDEV);
  EXPECT_EQ(p.rmdir("/d"), Errno::kEBUSY);
}

TEST_F(SyscallTest, ReadOnlyMount) {
  ASSERT_EQ(vfs.mount("shmfs", nullptr, "ro", "/d", Creds::root()), Errno::kOk);
  EXPECT_EQ(p.open("/d/x", kO_RDWR | kO_CREAT).error(), Errno::kEROFS);
  EXPECT_EQ(p.mkdir("/d/y"), Errno::kEROFS);
  EXPECT_EQ(vfs.mount("shmfs", nullptr, "size=zz", "/fifo", Creds::root()), Errno::kENOTDIR);
}

TEST_F(SyscallTest, SyscallsAreTraced) {
  const uint64_t before = m.trace.size();
  p.fallocate(ro, 0, 0, 10);
  ASSERT_EQ(m.trace.size(), before + 1);
  EXPECT_NE(m.trace.records().back().find(R"("call":"fallocate")"), std::string::npos);
  EXPECT_NE(m.trace.records().back().find(R"("err":"EBADF")"), std::string::npos);
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

// A process made before anything is mounted: every path lookup is ENOENT
// (there is no root to start from), never a crash; once the root is
// mounted, relative paths start there.
TEST(ProcessBeforeMount, LookupsAreEnoentThenRelativePathsStartAtTheRoot) {
  Machine m(1);
  Vfs vfs(m);
  register_shmfs(vfs);
  Process p(vfs, Creds::root());
  EXPECT_EQ(p.open("f", kO_RDWR | kO_CREAT).error(), Errno::kENOENT);
  EXPECT_EQ(p.open("/f", kO_RDWR | kO_CREAT).error(), Errno::kENOENT);
  EXPECT_EQ(p.stat("/").error(), Errno::kENOENT);
  EXPECT_EQ(p.mkdir("d"), Errno::kENOENT);
  EXPECT_EQ(p.unlink("f"), Errno::kENOENT);
  EXPECT_EQ(p.rename("a", "b"), Errno::kENOENT);
  EXPECT_EQ(p.mkfifo("q"), Errno::kENOENT);
  ASSERT_EQ(vfs.mount("shmfs", nullptr, "", "/", Creds::root()), Errno::kOk);
  const int fd = *p.open("f", kO_RDWR | kO_CREAT);
  EXPECT_EQ(p.fstat(fd)->ino, p.stat("/f")->ino);
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

// The clock's cost model: every syscall advances simulated time by exactly
// CostModel::kSyscallNs, on success and on error, traced or not; a block
// device command costs its latency and transfer. So a call that updates a
// timestamp leaves one newer than any it found.
TEST_F(SyscallTest, EverySyscallAdvancesTheClockByItsCost) {
  Clock& clock = m.clock;
  uint64_t t = clock.now_ns();
  ASSERT_TRUE(p.lseek(rw, 0, kSEEK_SET).has_value());
  EXPECT_EQ(clock.now_ns() - t, CostModel::kSyscallNs);
  t = clock.now_ns();
  EXPECT_FALSE(p.lseek(1000, 0, kSEEK_SET).has_value());  // EBADF costs the same.
  EXPECT_EQ(clock.now_ns() - t, CostModel::kSyscallNs);
  m.trace.set_enabled(false);
  t = clock.now_ns();
  EXPECT_EQ(p.fsync(rw), Errno::kOk);
  EXPECT_EQ(clock.now_ns() - t, CostModel::kSyscallNs);
  m.trace.set_enabled(true);

  const Timespec before = p.fstat(rw)->mtime;
  ASSERT_EQ(*host::pwrite(p, rw, fill(5, 'x'), 0), 5u);
  EXPECT_GT(p.fstat(rw)->mtime, before);

  SimBlockDevice disk(m, {.name = "sdb", .capacity_bytes = 1 << 20});
  t = clock.now_ns();
  ASSERT_TRUE(disk.write(0, fill(8192, 1)).ok());
  EXPECT_EQ(clock.now_ns() - t, CostModel::block_command(8192));
  t = clock.now_ns();
  ASSERT_EQ(disk.flush(), Errno::kOk);
  EXPECT_EQ(clock.now_ns() - t, CostModel::kBlockCommandNs);
}

}  // namespace
}  // namespace vfssim
