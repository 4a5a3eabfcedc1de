#include "harness/safecopy_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

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
