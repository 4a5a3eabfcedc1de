// vfssim's own shell commands (tools/io_shell_vfssim.cc), driven the way
// `vfssim io -c` drives them. What the calls return comes from the seeds
// and the kernel's semantics; the lines around them are vfssim's format.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/io_shell.h"

namespace vfssim {
namespace {

// Shell runs command lines on one file, "file", and hands back what each
// printed.
class Shell {
 public:
  explicit Shell(const ShellConfig& cfg, bool open = true) {
    auto sh = IoShell::create(cfg, out_, err_);
    EXPECT_TRUE(sh.ok()) << sh.status();
    if (!sh.ok()) return;
    sh_ = std::move(*sh);
    if (open) {
      EXPECT_TRUE(sh_->open_files({"file"}, Op::letter('f')));
    }
  }

  // run runs one line as a -c command; returns {stdout, stderr}.
  std::pair<std::string, std::string> run(std::string_view line) {
    out_.str("");
    err_.str("");
    sh_->run_line(line, /*iterate=*/true);
    return {out_.str(), err_.str()};
  }
  // run_op runs a typed op (arguments the parser never makes).
  std::pair<std::string, std::string> run_op(const Op& op) {
    out_.str("");
    err_.str("");
    sh_->run(op);
    return {out_.str(), err_.str()};
  }
  // ok runs a line that must succeed and print nothing on stderr.
  std::string ok(std::string_view line) {
    auto [out, err] = run(line);
    EXPECT_EQ(err, "") << line;
    return out;
  }
  int exitcode() const { return sh_->exitcode(); }

 private:
  std::ostringstream out_, err_;
  std::unique_ptr<IoShell> sh_;
};

const ShellConfig kDax{.dev = "pmem", .mount_opts = "dax=always"};
const ShellConfig kShm{.fs = "shmfs"};
const ShellConfig kXfsBlk{};

using Said = std::pair<std::string, std::string>;

// The first and last sector of a `poisoned A..B (pmem0 sectors S..E, kind)` line.
std::pair<uint64_t, uint64_t> sectors_of(const std::string& line) {
  const size_t at = line.find("sectors ");
  if (at == std::string::npos) return {0, 0};
  char* end = nullptr;
  const uint64_t first = std::strtoull(line.c_str() + at + 8, &end, 10);
  return {first, std::strtoull(end + 2, nullptr, 10)};
}

// Seed 004: reads of poisoned DAX data fail (dax_direct_access refuses
// known poison; the DAX core turns it into EIO); punching the blocks out
// and writing again allocates fresh, zeroed blocks, and reads succeed.
TEST(PoisonCommand, InjectedPoisonFailsDaxReadsUntilPunchedAndRewritten) {
  Shell sh(kDax);
  sh.ok("pwrite -q -S 0x11 0 8192");
  const std::string line = sh.ok("poison inject 4096 4096");
  EXPECT_TRUE(line.starts_with("poisoned 4096..8191 (pmem0 sectors ")) << line;
  EXPECT_TRUE(line.ends_with(", known)\n")) << line;
  const auto [first, last] = sectors_of(line);
  EXPECT_EQ(last - first + 1, 8u);  // 4 KiB in 512-byte sectors.
  // The badblocks list names exactly those sectors ("sector count").
  EXPECT_EQ(sh.ok("poison list"), absl::StrFormat("%d 8\n", first));
  EXPECT_EQ(sh.exitcode(), 0);

  EXPECT_EQ(sh.run("pread 4096 4096"), (Said{"", "pread: Input/output error\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
  EXPECT_EQ(sh.ok("pread -q 0 4096"), "");  // The block before it is good.
  // A store through a mapping cannot clear it either: the write fault
  // finds poison and the store gets SIGBUS before its first byte.
  EXPECT_EQ(sh.run("mstore 4096 10"), (Said{"", "mstore: SIGBUS after 0 bytes\n"}));

  sh.ok("fpunch 4096 4096");
  sh.ok("pwrite -q -S 0x22 4096 4096");
  const std::string back = sh.ok("pread -v 4096 16");
  EXPECT_TRUE(back.starts_with("00001000:  22 22 22 22 22 22 22 22 22 22 22 22 22 22 22 22  ")) << back;
  EXPECT_NE(back.find("read 16/16 bytes at offset 4096\n"), std::string::npos) << back;
}

// Poison is injected per 64-byte granule (PmemConfig's default), so a
// short range widens to the granules it touches.
TEST(PoisonCommand, ARangeWidensToWholeGranules) {
  Shell sh(kDax);
  sh.ok("pwrite -q 0 4096");
  const std::string line = sh.ok("poison inject 100 10");
  EXPECT_TRUE(line.starts_with("poisoned 64..127 (pmem0 sectors ")) << line;
  const auto [first, last] = sectors_of(line);
  EXPECT_EQ(first, last);
}

// Every written block of the range is poisoned, however many extents map
// it (FIEMAP hands them out a batch at a time).
TEST(PoisonCommand, EveryExtentOfALongRangeIsPoisoned) {
  Shell sh(kDax);
  constexpr int kExtents = 300;  // Data blocks with holes between them.
  for (int i = 0; i < kExtents; ++i) sh.ok(absl::StrFormat("pwrite -q %d 4096", i * 8192));
  const std::string out = sh.ok(absl::StrFormat("poison inject 0 %d", kExtents * 8192));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), kExtents);
  EXPECT_NE(out.find(absl::StrFormat("\npoisoned %d..%d (pmem0 sectors ", (kExtents - 1) * 8192,
                                     (kExtents - 1) * 8192 + 4095)),
            std::string::npos);
  EXPECT_EQ(sh.run(absl::StrFormat("pread %d 4096", (kExtents - 1) * 8192)).second,
            "pread: Input/output error\n");
}

// Latent poison is on the media but not in the badblocks list until a
// scrub (ACPI ARS) finds it (seed 004, drivers/pmem.h).
TEST(PoisonCommand, LatentPoisonIsListedOnlyAfterAScrub) {
  Shell sh(kDax);
  sh.ok("pwrite -q 0 8192");
  const std::string line = sh.ok("poison latent 0 4096");
  EXPECT_TRUE(line.starts_with("poisoned 0..4095 (pmem0 sectors ")) << line;
  EXPECT_TRUE(line.ends_with(", latent)\n")) << line;
  EXPECT_EQ(sh.ok("poison list"), "");
  // 4096 bytes are 64 granules of 64 bytes.
  EXPECT_EQ(sh.ok("poison scrub"), "scrub found 64 latent poisoned granules (64 bytes each) on pmem0\n");
  EXPECT_EQ(sh.ok("poison list"), absl::StrFormat("%d 8\n", sectors_of(line).first));
  EXPECT_EQ(sh.ok("poison scrub"), "scrub found 0 latent poisoned granules (64 bytes each) on pmem0\n");
  EXPECT_EQ(sh.run("pread 0 4096").second, "pread: Input/output error\n");
}

// Holes and unwritten extents hold no data on the media: nothing there to
// poison, and saying so is not an error.
TEST(PoisonCommand, HolesAndUnwrittenExtentsHoldNothingToPoison) {
  Shell sh(kDax);
  sh.ok("truncate 8192");
  EXPECT_EQ(sh.ok("poison inject 0 8192"), "poisoned nothing: no written, unshared blocks in 0..8191\n");
  sh.ok("falloc 0 4096");
  EXPECT_EQ(sh.ok("poison inject 0 4096"), "poisoned nothing: no written, unshared blocks in 0..4095\n");
  EXPECT_EQ(sh.ok("poison list"), "");
  EXPECT_EQ(sh.exitcode(), 0);
}

TEST(PoisonCommand, NeedsADaxFileOnPmem) {
  {
    Shell sh(ShellConfig{.dev = "pmem"});  // pmem, but no dax=always: page cache files.
    sh.ok("pwrite -q 0 4096");
    EXPECT_EQ(sh.run("poison inject 0 4096"),
              (Said{"", "poison: file is not a DAX file (mount with -o dax=always)\n"}));
    EXPECT_EQ(sh.exitcode(), 1);
    EXPECT_EQ(sh.ok("poison list"), "");  // The device itself is pmem.
  }
  for (const ShellConfig& cfg : {kXfsBlk, kShm}) {
    Shell sh(cfg);
    sh.ok("pwrite -q 0 4096");
    for (const char* line : {"poison inject 0 4096", "poison latent 0 4096", "poison scrub", "poison list"}) {
      EXPECT_EQ(sh.run(line), (Said{"", "poison: the device is not pmem (vfssim io --dev=pmem)\n"})) << line;
    }
    EXPECT_EQ(sh.exitcode(), 1);
  }
}

// tmpfs cannot get a page: the write fails with ENOSPC, the point's
// default; the plan fails the first hit only.
TEST(FaultCommand, AnArmedPointFailsTheNextWrite) {
  Shell sh(kShm);
  EXPECT_EQ(sh.ok("fault arm shmfs/page/enospc=nth:1"), "");
  const std::string list = sh.ok("fault list");
  EXPECT_NE(list.find("shmfs/page/enospc        ENOSPC   shmfs cannot get a resident page"), std::string::npos)
      << list;
  EXPECT_NE(list.find("\n    armed: nth:1 (fired 0)\nxfs/alloc/enospc "), std::string::npos) << list;
  EXPECT_EQ(sh.run("pwrite -q 0 4096"), (Said{"", "pwrite: No space left on device\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
  EXPECT_EQ(sh.ok("pwrite -q 0 4096"), "");
  EXPECT_NE(sh.ok("fault list").find("    armed: nth:1 (fired 1)\n"), std::string::npos);
  EXPECT_EQ(sh.ok("fault disarm shmfs/page/enospc"), "");
  EXPECT_EQ(sh.ok("fault list").find("armed:"), std::string::npos);
  // A plan's own errno replaces the point's.
  sh.ok("fault arm shmfs/page/enospc=nth:1=EIO");
  EXPECT_EQ(sh.run("pwrite -q 8192 4096"), (Said{"", "pwrite: Input/output error\n"}));
}

// The XFS-like allocator's ENOSPC reaches a DAX write, which allocates.
TEST(FaultCommand, AnAllocatorFaultFailsADaxWrite) {
  Shell sh(kDax);
  sh.ok("fault arm xfs/alloc/enospc=nth:1");
  EXPECT_EQ(sh.run("pwrite -q 0 4096"), (Said{"", "pwrite: No space left on device\n"}));
  EXPECT_EQ(sh.ok("pwrite -q 0 4096"), "");
}

TEST(FaultCommand, BadPointsAndPlansAreOneLineErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"fault arm shmfs/page/enospc=bogus",
       "fault: arm shmfs/page/enospc: bad plan \"bogus\" (nth:N, every:K, window:A-B, p:P[@STREAM] or "
       "at:OP.N, then =ERRNO if wanted)\n"},
      {"fault arm shmfs/page/enospc=nth:1=ENOTANERRNO",
       "fault: arm shmfs/page/enospc: bad plan \"nth:1=ENOTANERRNO\" (nth:N, every:K, window:A-B, "
       "p:P[@STREAM] or at:OP.N, then =ERRNO if wanted)\n"},
      {"fault arm no/such/point=nth:1", "fault: no fault point \"no/such/point\" (see fault list)\n"},
      {"fault arm shmfs/page/enospc", "fault: arm shmfs/page/enospc: no plan (POINT=PLAN)\n"},
      {"fault disarm no/such/point", "fault: no fault point \"no/such/point\" (see fault list)\n"},
      {"fault disarm shmfs/page/enospc=nth:1", "fault: disarm takes a point alone, no plan\n"},
  };
  for (const auto& [line, why] : cases) {
    Shell sh(kShm);
    EXPECT_EQ(sh.run(line), (Said{"", why})) << line;
    EXPECT_EQ(sh.exitcode(), 1) << line;
    EXPECT_EQ(sh.ok("fault list").find("armed:"), std::string::npos) << line;
  }
}

// Seed 004's FALLOC_FL_ZEROINIT_RANGE: unknown to Linux 6.18 (EOPNOTSUPP)
// until the variant turns the prototype on; then it zeroes a written,
// exclusively owned DAX extent in place and clears its poison, and a range
// past EOF is EINVAL.
TEST(VariantCommand, SetTurnsTheZeroinitPrototypeOn) {
  Shell sh(kDax);
  const std::string list = sh.ok("variant list");
  EXPECT_NE(list.find("\nzeroinit                     off        (off|on)\n"), std::string::npos) << list;
  EXPECT_NE(list.find("\nzeroinit.holes               reject     (reject|ignore)\n"), std::string::npos) << list;
  EXPECT_TRUE(list.starts_with("dax.direct_access            partial    (partial|whole)\n")) << list;
  sh.ok("pwrite -q -S 0x11 0 8192");
  sh.ok("poison inject 0 4096");
  EXPECT_EQ(sh.run("zeroinit 0 4096"), (Said{"", "zeroinit: Operation not supported\n"}));

  EXPECT_EQ(sh.ok("variant set zeroinit on"), "");
  EXPECT_NE(sh.ok("variant list").find("\nzeroinit                     on         (off|on)\n"), std::string::npos);
  EXPECT_EQ(sh.ok("zeroinit 0 4096"), "");
  EXPECT_TRUE(sh.ok("pread -v 0 16").starts_with("00000000:  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  "));
  EXPECT_EQ(sh.ok("poison list"), "");
  EXPECT_EQ(sh.run("zeroinit 0 16384"), (Said{"", "zeroinit: Invalid argument\n"}));
}

TEST(VariantCommand, UnknownNamesAndValuesAreOneLineErrors) {
  Shell sh(kShm, /*open=*/false);  // variant needs no open file.
  EXPECT_EQ(sh.run("variant set no.such on"), (Said{"", "variant: no variant \"no.such\" (see variant list)\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
  EXPECT_EQ(sh.run("variant set zeroinit.holes maybe"),
            (Said{"", "variant: zeroinit.holes has no value \"maybe\" (reject|ignore)\n"}));
  EXPECT_NE(sh.ok("variant list").find("\nzeroinit.holes               reject "), std::string::npos);
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(TraceCommand, DumpWritesJsonLinesAndOffStopsRecording) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/io_shell_trace.jsonl");
  Shell sh(kShm);
  sh.ok("pwrite -q 0 4096");
  const std::string said = sh.ok(absl::StrCat("trace dump ", path));
  std::vector<std::string> lines = lines_of(path);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(said, absl::StrFormat("wrote %d trace records to %s\n", lines.size(), path));
  EXPECT_TRUE(lines.front().starts_with("{\"seq\":0,")) << lines.front();
  EXPECT_NE(lines.front().find("\"kind\":\"boot\""), std::string::npos) << lines.front();
  for (const std::string& l : lines) EXPECT_TRUE(l.starts_with("{") && l.ends_with("}")) << l;
  EXPECT_NE(lines.back().find("trace dump"), std::string::npos) << lines.back();

  // Off: the `trace off` line is the last record until tracing is on again.
  const size_t before = lines.size();
  sh.ok("trace off");
  sh.ok("pwrite -q 0 4096");
  sh.ok(absl::StrCat("trace dump ", path));
  EXPECT_EQ(lines_of(path).size(), before + 1);
  sh.ok("trace on");
  sh.ok("pwrite -q 0 4096");
  sh.ok(absl::StrCat("trace dump ", path));
  EXPECT_GT(lines_of(path).size(), before + 2);

  EXPECT_EQ(sh.run("trace dump /nonexistent-dir/t.jsonl"),
            (Said{"", "trace: cannot write /nonexistent-dir/t.jsonl: No such file or directory\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
}

TEST(SwapoutCommand, SwapsResidentShmfsPagesAndReadsBringThemBack) {
  Shell sh(kShm);
  sh.ok("pwrite -q -S 0x41 0 12288");
  EXPECT_EQ(sh.ok("swapout 0 8192"), "swapped out 2 pages in 0..8191\n");
  // Pages 0 and 1 are in swap already; page 2 is the one resident page.
  EXPECT_EQ(sh.ok("swapout 100 12000"), "swapped out 1 page in 100..12099\n");
  EXPECT_EQ(sh.ok("swapout 0 100t"), "swapped out 0 pages in 0..109951162777599\n");
  // The bytes come back from swap; a write swaps the page in (shmem_get_folio),
  // so it is resident again.
  EXPECT_TRUE(sh.ok("pread -v 4096 16").starts_with("00001000:  41 41 41 41 41 41 41 41 41 41 41 41 41 41 41 41  "));
  sh.ok("pwrite -q -S 0x42 4096 1");
  EXPECT_EQ(sh.ok("swapout 4096 1"), "swapped out 1 page in 4096..4096\n");
  EXPECT_TRUE(sh.ok("pread -v 4096 4").starts_with("00001000:  42 41 41 41  "));
  EXPECT_EQ(sh.exitcode(), 0);
}

TEST(SwapoutCommand, NeedsAShmfsFile) {
  Shell sh(kXfsBlk);
  sh.ok("pwrite -q 0 4096");
  EXPECT_EQ(sh.run("swapout 0 4096"), (Said{"", "swapout: file is not on shmfs (vfssim io --fs=shmfs)\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
}

// The table is docs/safecopy.md, which //harness:safecopy_table_test keeps
// equal to `vfssim safecopy-table`.
TEST(SafecopyCommand, PrintsSeed003sTable) {
  std::ifstream in("docs/safecopy.md");
  ASSERT_TRUE(in) << "docs/safecopy.md missing";
  std::stringstream doc;
  doc << in.rdbuf();
  Shell sh(kShm, /*open=*/false);
  const std::string table = sh.ok("safecopy");
  EXPECT_EQ(table, doc.str());
  // Seed 003: the old policy with proper partial-failure semantics turns a
  // soft fault into a short read on a regular file; the mark never does.
  EXPECT_NE(table.find("| pread | on-efault | proper | soft, middle page | **4096 (short)** | ok | 0 |\n"),
            std::string::npos);
  EXPECT_NE(table.find("| pread | on-mark | proper | soft, middle page | 12288 | ok | 1 |\n"), std::string::npos);
  EXPECT_EQ(sh.exitcode(), 0);
}

// O_DIRECT on a 512-byte-sector block device: aligned I/O goes, a
// misaligned offset or length is EINVAL, and the descriptor is buffered
// again after the call.
TEST(PwriteDirectCommand, WritesAlignedRangesAndRefusesMisalignedOnes) {
  Shell sh(kXfsBlk);
  const std::string said = sh.ok("pwrite_direct -S 0x61 0 4096");
  EXPECT_TRUE(said.starts_with("wrote 4096/4096 bytes at offset 0\n4 KiB, 1 ops; ")) << said;
  EXPECT_TRUE(sh.ok("pread -v 0 16").starts_with("00000000:  61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61  "));
  EXPECT_EQ(sh.run("pwrite_direct 100 512"), (Said{"", "pwrite: Invalid argument\n"}));
  EXPECT_EQ(sh.run("pwrite_direct 0 100"), (Said{"", "pwrite: Invalid argument\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
  EXPECT_NE(sh.ok("pwrite 100 10").find("wrote 10/10 bytes at offset 100\n"), std::string::npos);
  EXPECT_NE(sh.ok("stat").find("fd.flags = non-sync,non-direct,read-write\n"), std::string::npos);
}

// tmpfs takes O_DIRECT as buffered I/O with no alignment rule (Linux 6.6+).
TEST(PwriteDirectCommand, ShmfsHasNoAlignmentRule) {
  Shell sh(kShm);
  EXPECT_TRUE(sh.ok("pwrite_direct 1 10").starts_with("wrote 10/10 bytes at offset 1\n"));
}

// A store through a shared mapping lands in the file; a page wholly past
// EOF is SIGBUS at its first byte (mmap(2)), after the bytes before it.
TEST(MstoreCommand, StoresThroughAMappingUntilAPagePastEof) {
  for (const ShellConfig& cfg : {kXfsBlk, kShm, kDax}) {
    Shell sh(cfg);
    sh.ok("pwrite -q -S 0x41 0 8192");
    EXPECT_EQ(sh.ok("mstore -S 0x62 100 200"), "wrote 200/200 bytes at offset 100\n") << cfg.fs << cfg.dev;
    EXPECT_TRUE(sh.ok("pread -v 96 8").starts_with("00000060:  41 41 41 41 62 62 62 62  ")) << cfg.fs << cfg.dev;
    EXPECT_EQ(sh.run("mstore 8000 500"), (Said{"", "mstore: SIGBUS after 192 bytes\n"})) << cfg.fs << cfg.dev;
    EXPECT_EQ(sh.run("mstore 16384 10"), (Said{"", "mstore: SIGBUS after 0 bytes\n"})) << cfg.fs << cfg.dev;
    EXPECT_EQ(sh.exitcode(), 1);
    EXPECT_TRUE(sh.ok("pread -v 8000 8").starts_with("00001f40:  cd cd cd cd cd cd cd cd  ")) << cfg.fs << cfg.dev;
  }
}

// fspacectl's rmsr comes back on success and on error (seed 000); a
// non-positive length is EINVAL with nothing done.
TEST(FspacectlCommand, PrintsTheRmsrWhateverTheOutcome) {
  Shell sh(kShm);
  sh.ok("pwrite -q -S 0x41 0 8192");
  EXPECT_EQ(sh.ok("fspacectl dealloc 0 4096"), "rmsr: offset 4096 length 0\n");
  EXPECT_TRUE(sh.ok("pread -v 0 16").starts_with("00000000:  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  "));
  EXPECT_EQ(sh.run("fspacectl dealloc 4096 0"), (Said{"rmsr: offset 4096 length 0\n", "fspacectl: Invalid argument\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
}

TEST(ZeroinitCommand, UnknownModeByDefault) {
  Shell sh(kShm);
  sh.ok("pwrite -q 0 4096");
  EXPECT_EQ(sh.run("zeroinit 0 4096"), (Said{"", "zeroinit: Operation not supported\n"}));
  EXPECT_EQ(sh.exitcode(), 1);
}

// No argument crashes a command: the parser never makes these, so they
// are run as typed ops. Each is one line on stderr and exit status 1.
TEST(VfssimCommands, OutOfRangeArgumentsAreOneLineErrors) {
  const std::pair<Op, const char*> cases[] = {
      {Op{.kind = OpKind::kPoison, .off = -1, .len = 4096}, "poison: Invalid argument\n"},
      {Op{.kind = OpKind::kPoison, .off = 4096, .len = 0}, "poison: Invalid argument\n"},
      {Op{.kind = OpKind::kPoison, .off = 1, .len = INT64_MAX}, "poison: Invalid argument\n"},
      {Op{.kind = OpKind::kPoisonCmd, .off = -5, .len = -5, .path = "latent"}, "poison: Invalid argument\n"},
      {Op{.kind = OpKind::kDioPwrite, .off = 0, .len = -1}, "pwrite: Invalid argument\n"},
      {Op{.kind = OpKind::kDioPwrite, .off = -4096, .len = 4096}, "pwrite: Invalid argument\n"},
      {Op{.kind = OpKind::kDioPwrite, .off = 0, .len = int64_t{1} << 40}, "memalign: Cannot allocate memory\n"},
      {Op{.kind = OpKind::kMwrite, .off = -1, .len = 10}, "mmap: Invalid argument\n"},
      {Op{.kind = OpKind::kMwrite, .off = 0, .len = 0}, "mmap: Invalid argument\n"},
      {Op{.kind = OpKind::kMwrite, .off = 0, .len = -10}, "mmap: Invalid argument\n"},
      {Op{.kind = OpKind::kMwrite, .off = INT64_MAX - 1, .len = 10}, "mmap: Invalid argument\n"},
      {Op{.kind = OpKind::kMwrite, .off = 0, .len = int64_t{1} << 40}, "memalign: Cannot allocate memory\n"},
  };
  for (const auto& [op, why] : cases) {
    Shell sh(kDax);
    sh.ok("pwrite -q 0 8192");
    EXPECT_EQ(sh.run_op(op), (Said{"", why})) << op.to_command();
    EXPECT_EQ(sh.exitcode(), 1) << op.to_command();
  }
  for (const Op& op : {Op{.kind = OpKind::kSwapout, .off = -1, .len = 4096},
                       Op{.kind = OpKind::kSwapout, .off = 0, .len = 0},
                       Op{.kind = OpKind::kSwapout, .off = 1, .len = INT64_MAX}}) {
    Shell sh(kShm);
    EXPECT_EQ(sh.run_op(op), (Said{"", "swapout: Invalid argument\n"})) << op.to_command();
    EXPECT_EQ(sh.exitcode(), 1);
  }
}

TEST(VfssimCommands, RegistryCommandsNeedNoFile) {
  Shell sh(kShm, /*open=*/false);
  EXPECT_TRUE(sh.ok("fault list").starts_with("blockdev/discard/eio     EIO      "));
  EXPECT_TRUE(sh.ok("variant list").starts_with("dax.direct_access "));
  EXPECT_EQ(sh.ok("trace off"), "");
  EXPECT_EQ(sh.ok("trace on"), "");
  EXPECT_EQ(sh.exitcode(), 0);
}

}  // namespace
}  // namespace vfssim
