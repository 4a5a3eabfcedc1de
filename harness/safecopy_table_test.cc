#include "harness/safecopy_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

#include "fs/shmfs/shmfs.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

// The iomap test filesystem as a table parameter, each mount on its own
// device (kept until the test ends, past every Vfs that mounted one).
SafecopyFs iomaptest_for_safecopy() {
  auto devices = std::make_shared<std::vector<std::unique_ptr<SimBlockDevice>>>();
  return {"iomaptest", [devices](Vfs& vfs, std::string_view options) {
            register_iomap_testfs(vfs);
            devices->push_back(std::make_unique<SimBlockDevice>(vfs.machine(), BlockDeviceConfig{}));
            return vfs.mount("iomaptest", devices->back().get(), options, "/", Creds::root());
          }};
}

SafecopyRow run(const SafecopyFs& fs, const char* policy, const char* partial, BufferFault f,
                bool write, bool cpf_try = true) {
  SafecopyRow r{.fs = fs.name, .policy = policy, .partial = partial, .cpf_try = cpf_try,
                .fault = f, .write = write};
  run_safecopy_row(fs, r);
  return r;
}

class SafecopySeedTest : public ::testing::TestWithParam<bool> {
 protected:
  SafecopyFs fs = GetParam() ? iomaptest_for_safecopy() : shmfs_for_safecopy();
};

// Seed 003: "an application may get partial I/O results (e.g., a short
// read(2)) even on regular files" — under the EFAULT policy with proper
// partial-failure semantics; the mark policy repeats "regardless of its
// initial return value".
TEST_P(SafecopySeedTest, SoftFaultMidBufferIsShortOnlyUnderTheOldPolicy) {
  for (bool write : {false, true}) {
    SafecopyRow old = run(fs, "on-efault", "proper", BufferFault::kSoftMiddle, write);
    EXPECT_EQ(*old.result, 4096u) << write;
    EXPECT_TRUE(old.data_ok);
    EXPECT_EQ(old.repeats, 0);
    SafecopyRow mark = run(fs, "on-mark", "proper", BufferFault::kSoftMiddle, write);
    EXPECT_EQ(*mark.result, 12288u) << write;
    EXPECT_TRUE(mark.data_ok);
    EXPECT_EQ(mark.repeats, 1);
  }
}

// "most of the current file system implementations do not implement proper
// partial-failure semantics, this problem is not yet widespread": a
// filesystem that fails the whole call gets the full count either way.
TEST_P(SafecopySeedTest, FailWholeCallFilesystemsGetTheFullCountUnderBoth) {
  for (const char* policy : {"on-efault", "on-mark"}) {
    for (bool write : {false, true}) {
      SafecopyRow r = run(fs, policy, "whole", BufferFault::kSoftMiddle, write);
      EXPECT_EQ(*r.result, 12288u) << policy << write;
      EXPECT_TRUE(r.data_ok);
    }
  }
}

// A hard fault is the application's own: EFAULT, or the partial count.
TEST_P(SafecopySeedTest, HardFaultIsEfaultOrThePartialCountUnderBoth) {
  for (const char* policy : {"on-efault", "on-mark"}) {
    for (bool write : {false, true}) {
      SafecopyRow proper = run(fs, policy, "proper", BufferFault::kHardMiddle, write);
      EXPECT_EQ(*proper.result, 4096u) << policy << write;
      SafecopyRow whole = run(fs, policy, "whole", BufferFault::kHardMiddle, write);
      EXPECT_EQ(whole.result.error(), Errno::kEFAULT) << policy << write;
      // A soft first page and a hard second: VFS resolves the soft one and
      // repeats; the call then ends at the hard page with the bytes before
      // it, as a Linux read(2) into such a buffer does (host fixture
      // read_tail_unmapped: the exact bytes before the fault).
      SafecopyRow mixed = run(fs, policy, "proper", BufferFault::kSoftThenHard, write);
      EXPECT_EQ(*mixed.result, 4096u) << policy << write;
      EXPECT_TRUE(mixed.data_ok);
      EXPECT_EQ(mixed.repeats, 1);
    }
  }
}

// Without CPF_TRY a soft fault on a page of the file being read or written
// needs the busy filesystem: the deadlock is detected and reported; with
// CPF_TRY the request is repeated after VFS resolves the fault and the
// call completes with the right data.
TEST_P(SafecopySeedTest, SameFileMappingDeadlocksWithoutTryAndCompletesWithIt) {
  for (bool write : {false, true}) {
    SafecopyRow no_try =
        run(fs, "on-mark", "proper", BufferFault::kSharedMapSameFile, write, /*cpf_try=*/false);
    EXPECT_EQ(no_try.result.error(), Errno::kEDEADLK) << write;
    EXPECT_TRUE(no_try.deadlock);
    SafecopyRow with_try = run(fs, "on-mark", "proper", BufferFault::kSharedMapSameFile, write);
    EXPECT_EQ(*with_try.result, 4096u) << write;
    EXPECT_TRUE(with_try.data_ok);
    EXPECT_FALSE(with_try.deadlock);
    // An anonymous soft fault needs only the VM: resolved inline.
    SafecopyRow anon =
        run(fs, "on-mark", "proper", BufferFault::kSoftMiddle, write, /*cpf_try=*/false);
    EXPECT_EQ(*anon.result, 12288u);
    EXPECT_EQ(anon.repeats, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Filesystems, SafecopySeedTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "iomaptest" : "shmfs"; });

// One shmfs (or iomaptest) machine mounted ipc=safecopy, for the cases the
// table does not lay out.
struct SafecopyWorld {
  SafecopyWorld(SafecopyFs f, std::string_view options) : fs(std::move(f)) {
    EXPECT_EQ(fs.mount(vfs, options), Errno::kOk);
  }
  uint64_t anon(uint64_t pages) {
    const uint64_t a = *p.mmap(0, pages * 4096, kProtRead | kProtWrite,
                               kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    EXPECT_FALSE(p.store(a, std::vector<std::byte>(pages * 4096, std::byte{'.'})));
    return a;
  }
  Machine m{1};
  SafecopyFs fs;  // Holds the devices it mounts: declared before vfs, it outlives it.
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
};

// Pipes stay outside the repeat: a repeated pipe request would consume (or
// append) its bytes twice. A soft page in a FIFO read is resolved inline and
// every byte arrives once, in order.
TEST(SafecopyEdges, FifosAreNotRepeated) {
  SafecopyWorld w(shmfs_for_safecopy(), "ipc=safecopy");
  ASSERT_EQ(w.p.mkfifo("/pipe"), Errno::kOk);
  const int fd = *w.p.open("/pipe", kO_RDWR);
  const uint64_t buf = w.anon(3);
  std::vector<std::byte> data(8192);
  for (size_t i = 0; i < data.size(); ++i) data[i] = std::byte(static_cast<uint8_t>(i * 7));
  ASSERT_FALSE(w.p.store(buf, data));
  ASSERT_TRUE(w.p.mm().swap_out(buf + 4096));
  EXPECT_EQ(*w.p.write(fd, buf, 8192), 8192u);
  ASSERT_FALSE(w.p.store(buf, std::vector<std::byte>(8192, std::byte{0})));
  ASSERT_TRUE(w.p.mm().swap_out(buf + 4096));
  EXPECT_EQ(*w.p.read(fd, buf, 8192), 8192u);
  std::vector<std::byte> got(8192);
  ASSERT_FALSE(w.p.load(buf, got));
  EXPECT_EQ(got, data);
  EXPECT_EQ(w.vfs.safecopy_stats().requests, 0u);
}

// A deadlock would have hung the call: after partial progress too it is
// EDEADLK (with the trace event), never a short count.
TEST(SafecopyEdges, DeadlockAfterProgressIsStillEdeadlk) {
  SafecopyWorld w(shmfs_for_safecopy(), "ipc=safecopy,cpf_try=0");
  const int fd = *w.p.open("/f", kO_RDWR | kO_CREAT);
  std::vector<std::byte> content(4 * 4096, std::byte{'c'});
  ASSERT_EQ(*host::pwrite(w.p, fd, content, 0), content.size());
  // Page 0 of the buffer is anonymous and resident, page 1 a never-touched
  // MAP_SHARED page of the file itself.
  const uint64_t buf = *w.p.mmap(0, 2 * 4096, kProtRead | kProtWrite, kMAP_SHARED, fd, 0);
  ASSERT_EQ(*w.p.mmap(buf, 4096, kProtRead | kProtWrite,
                      kMAP_PRIVATE | kMAP_ANONYMOUS | kMAP_FIXED, -1, 0),
            buf);
  ASSERT_FALSE(w.p.store(buf, std::vector<std::byte>(4096, std::byte{'.'})));
  EXPECT_EQ(w.p.pread(fd, buf, 8192, 2 * 4096).error(), Errno::kEDEADLK);
  EXPECT_EQ(w.vfs.grants().deadlocks(), 1u);
  w.p.munmap(buf, 2 * 4096);
}

// A grant source whose copy stops part way through a whole-page write into
// an uncached page (iomaptest, partial_io=proper): the bytes before the
// fault are still written — the answer Linux gives for user memory (host
// fixture flags_align, cache_write_page_tail_unmapped: 3996).
TEST(SafecopyEdges, ShortGrantCopyIntoAnUncachedPageKeepsTheBytesBeforeTheFault) {
  SafecopyWorld w(iomaptest_for_safecopy(), "ipc=safecopy");
  const int fd = *w.p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(w.p, fd, std::vector<std::byte>(16384, std::byte{'A'}), 0), 16384u);
  ASSERT_EQ(w.p.fsync(fd), Errno::kOk);
  Inode& ip = **w.p.file_inode(fd);
  invalidate_inode_pages2_range(ip, 0, 3, IomapTestVnodeOps::map(ip));
  const uint64_t buf = w.anon(3);
  ASSERT_EQ(w.p.munmap(buf + 4096, 4096), Errno::kOk);
  EXPECT_EQ(*w.p.write(fd, buf + 100, 4096), 3996u);
  std::vector<std::byte> got(4096);
  ASSERT_EQ(*host::pread(w.p, fd, got, 0), 4096u);
  EXPECT_EQ(std::vector<std::byte>(got.begin(), got.begin() + 3996),
            std::vector<std::byte>(3996, std::byte{'.'}));
  EXPECT_EQ(std::vector<std::byte>(got.begin() + 3996, got.end()),
            std::vector<std::byte>(100, std::byte{'A'}));
}

// A filesystem whose read lets a late kernel store land in its grant's slot
// mid-request: the identifier of the slot's previous use (seed 003: "the
// mark stored in the grant is its grant identifier, so as to discard
// outdated kernel writes").
class LateMarkOps : public ShmVnodeOps {
 public:
  IoResult read(Inode& ip, const Kiocb& iocb, IovIter& to) override {
    const std::vector<IovIter::Seg> segs = to.segments();
    IoResult r = ShmVnodeOps::read(ip, iocb, to);
    if (grants != nullptr && !segs.empty()) {
      const GrantId now = segs.front().base;
      grants->late_mark(now - (uint64_t{1} << 32));  // Same slot, one generation back.
    }
    return r;
  }
  GrantTable* grants = nullptr;
};

TEST(SafecopyEdges, AStaleMarkTriggersNoRepeat) {
  LateMarkOps ops;
  Machine m(1);
  Vfs vfs(m);
  vfs.register_fs("latemark", [&ops](Machine& mm, BlockDevice*, const MountOptions& opts)
                                  -> Result<std::unique_ptr<Superblock>> {
    auto sb = std::make_unique<ShmSuperblock>(mm, opts, UINT64_MAX, 0.0, ops);
    sb->make_root();
    return std::unique_ptr<Superblock>(std::move(sb));
  });
  ASSERT_EQ(vfs.mount("latemark", nullptr, "ipc=safecopy", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
  ASSERT_EQ(*host::pwrite(p, fd, std::vector<std::byte>(8192, std::byte{'s'}), 0), 8192u);
  ops.grants = &vfs.grants();
  const uint64_t buf =
      *p.mmap(0, 8192, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_FALSE(p.store(buf, std::vector<std::byte>(8192, std::byte{'.'})));  // Resident.
  EXPECT_EQ(*p.pread(fd, buf, 8192, 0), 8192u);
  EXPECT_EQ(vfs.safecopy_stats().repeats, 0u);  // The stale store was discarded.
  // A mark with the grant's own identifier does repeat (the control).
  ops.grants = nullptr;
  ASSERT_TRUE(p.mm().swap_out(buf + 4096));
  EXPECT_EQ(*p.pread(fd, buf, 8192, 0), 8192u);
  EXPECT_EQ(vfs.safecopy_stats().repeats, 1u);
}

TEST(SafecopyTableDoc, DocsMatchTheGeneratedTable) {
  std::ifstream in("docs/safecopy.md");
  ASSERT_TRUE(in) << "docs/safecopy.md missing";
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_EQ(doc.str(), render_safecopy_table(run_safecopy_table({shmfs_for_safecopy()})))
      << "regenerate: bazel run //tools:vfssim -- safecopy-table > docs/safecopy.md";
}

}  // namespace
}  // namespace vfssim
