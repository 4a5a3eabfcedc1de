#include "harness/oracle.h"

#include <gtest/gtest.h>

#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "fs/shmfs/shmfs.h"
#include "harness/sim_filesystems.h"

namespace vfssim {
namespace {

// has reports whether some violation contains `what`.
bool has(const std::vector<std::string>& bad, std::string_view what) {
  for (const std::string& b : bad) {
    if (b.find(what) != std::string::npos) return true;
  }
  return false;
}

// run_ops steps through `ops` and returns the first op's violations that
// are not empty (or none).
std::vector<std::string> run_ops(Oracle& oracle, const std::vector<Op>& ops) {
  for (const Op& op : ops) {
    std::vector<std::string> bad = oracle.step(op);
    if (!bad.empty()) return bad;
  }
  return {};
}

TEST(Oracle, ShmfsKeepsEveryInvariantOverAScriptedRun) {
  SimBackend sim(1);
  Oracle oracle(sim, 2);
  const std::vector<Op> ops = {
      Op::pwrite(0, 0, 10000, 0xaa),
      Op::pread(0, 100, 50000),
      Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 1000, 5000),
      Op::seek_data(0, 0),
      Op::seek_hole(0, 0),
      Op::seek_data(0, 4096),
      Op::fspacectl(0, 9000, 4096),
      Op::truncate(0, 3000),
      Op::fallocate(0, 0, 0, 20000),
      Op::fallocate(0, kFALLOC_FL_ZERO_RANGE, 0, 10),  // tmpfs: EOPNOTSUPP, nothing changes.
      Op::pwrite(1, 5, 3, 0x01),
      Op::pread(1, 0, 100),
      Op::seek_data(1, 100),  // ENXIO: past EOF.
      Op::fiemap(0, 0, 100),  // tmpfs has no FIEMAP.
      Op::poison(0, 0, 4096),  // No pmem here: EOPNOTSUPP.
      Op::fsync(0),
  };
  for (const Op& op : ops) {
    OpResult r;
    EXPECT_EQ(oracle.step(op, &r), std::vector<std::string>{}) << op.to_json().dump();
  }
  EXPECT_EQ(oracle.model(0).size(), 20000u);
  EXPECT_EQ(oracle.model(1).size(), 8u);
}

TEST(Oracle, EveryRegisteredFilesystemMountsAndKeepsTheScriptedRun) {
  for (const FsSpec& spec : sim_filesystems()) {
    SimBackend sim(1, spec);
    ASSERT_EQ(sim.setup_error(), Errno::kOk) << spec.name;
    Oracle oracle(sim, 2);
    const std::vector<Op> ops = {
        Op::pwrite(0, 0, 10000, 0xaa),     Op::fiemap(0, 0, 1 << 20),
        Op::fsync(0),                      Op::fiemap(0, 0, 1 << 20),
        Op::fspacectl(0, 100, 5000),       Op::fspacectl(0, 9000, 1 << 20),
        Op::fspacectl(0, 1 << 20, 10),     Op::truncate(0, 40000),
        Op::fiemap(0, 0, 1 << 20),         Op::pread(0, 0, 50000),
    };
    EXPECT_EQ(run_ops(oracle, ops), std::vector<std::string>{}) << spec.name;
  }
}

TEST(Oracle, SpecsThatCannotBeBuiltSaySo) {
  FsSpec no_mkfs = sim_filesystem("iomaptest_block");
  no_mkfs.mkfs_opts = "-b size=4096";  // A type with no mkfs takes no options.
  EXPECT_EQ(SimBackend(1, no_mkfs).setup_error(), Errno::kEINVAL);
  FsSpec no_device = sim_filesystem("iomaptest_block");
  no_device.dev = FsSpec::kNone;
  EXPECT_EQ(SimBackend(1, no_device).setup_error(), Errno::kENODEV);
}

// A backend that misbehaves on purpose, to show each check can fail.
// ForwardingBackend is a SimBackend (seed 1) behind the Backend interface
// as the campaign uses it — kernel reads, and the storage epoch that lets
// the oracle read back only the files an op was given — for test backends
// that change what some ops do.
class ForwardingBackend : public Backend {
 public:
  explicit ForwardingBackend(const FsSpec& spec) : sim_(1, spec) {}
  OpResult run(const Op& op) override { return sim_.run(op); }
  Result<std::vector<std::byte>> read(int file, uint64_t off, uint64_t len) override {
    return sim_.read(file, off, len);
  }
  Result<uint64_t> read_into(int file, uint64_t off, std::span<std::byte> dst) override {
    return sim_.read_into(file, off, dst);
  }
  std::optional<uint64_t> storage_epoch() override { return sim_.storage_epoch(); }
  uint64_t block_size(int file) override { return sim_.block_size(file); }
  FileCaps caps(int file) override { return sim_.caps(file); }
  std::vector<std::string> check() override { return sim_.check(); }

 protected:
  SimBackend sim_;
};

class LyingBackend : public ForwardingBackend {
 public:
  enum class Lie {
    kNone,
    kErrorAfterChange,
    kWrongData,
    kSkipData,
    kWrongSize,
    kSpacectlSkipsWork,    // Success, nothing done, rmsr = rqsr.
    kSpacectlPastEof,      // r_offset at off+len past EOF (FreeBSD before D31604).
    kSpacectlNoProgress,   // Did the work, says r_offset = off, r_len 0.
    kSpacectlBeforeRange,  // EIO with r_offset before the request.
    kFiemapDropsExtents,
    kFiemapWrittenOverHole,
    kPoisonIgnored,  // Says it poisoned the range; reads still return it.
    kFailedPunchChangesOutside,  // Punches, writes byte 0, says EIO.
    kFailedPunchWritesInside,    // Punches, writes into the range, says EIO.
    kCloneDoesNothing,           // Says it cloned; changed nothing.
    kCloneSaysEinval,            // EINVAL where the filesystem said otherwise.
    kDedupeChangesBytes,         // Dedupes, then writes a byte of the destination.
    kDedupeShortCount,           // bytes_deduped one less than asked.
    kDioIgnoresAlignment,        // A misaligned O_DIRECT write done buffered.
    kMwriteNoSigbus,             // Says every byte was stored, past EOF too.
    kCopyRangeOvercounts,        // Reports a byte more than it copied.
    kMwriteSigbusAtOnce,         // A store stores nothing: SIGBUS at its first byte.
  };
  explicit LyingBackend(Lie lie, const FsSpec& spec = sim_filesystem("shmfs"))
      : ForwardingBackend(spec), lie_(lie) {}
  std::string_view name() const override { return "liar"; }
  OpResult run(const Op& op) override {
    if (lie_ == Lie::kSpacectlSkipsWork && op.kind == OpKind::kFspacectl) {
      OpResult r = sim_.run(Op::fsync(op.file));
      r.rmsr = {op.off, op.len};
      return r;
    }
    if (lie_ == Lie::kPoisonIgnored && op.kind == OpKind::kPoison) {
      OpResult r = sim_.run(Op::fsync(op.file));
      r.extents = {{static_cast<uint64_t>(op.off), static_cast<uint64_t>(op.len), 0}};
      return r;
    }
    if (lie_ == Lie::kCloneDoesNothing && op.kind == OpKind::kClone) {
      return sim_.run(Op::fsync(op.file));
    }
    if (lie_ == Lie::kMwriteSigbusAtOnce && op.kind == OpKind::kMwrite) {
      OpResult r = sim_.run(Op::fsync(op.file));
      r.signal = kSIGBUS;
      return r;
    }
    if (lie_ == Lie::kDioIgnoresAlignment && op.kind == OpKind::kDioPwrite) {
      return sim_.run(Op::pwrite(op.file, op.off, op.len, op.fill));
    }
    OpResult r = sim_.run(op);
    if (lie_ == Lie::kCloneSaysEinval && op.kind == OpKind::kClone) r.err = Errno::kEINVAL;
    if (lie_ == Lie::kDedupeChangesBytes && op.kind == OpKind::kDedupe) {
      sim_.run(Op::pwrite(op.file, op.off, 1, 0x99));
    }
    if (lie_ == Lie::kDedupeShortCount && op.kind == OpKind::kDedupe) r.ret -= 1;
    if (lie_ == Lie::kMwriteNoSigbus && op.kind == OpKind::kMwrite) {
      r.ret = op.len;
      r.signal = 0;
    }
    if (lie_ == Lie::kCopyRangeOvercounts && op.kind == OpKind::kCopyRange) r.ret += 1;
    if (op.kind == OpKind::kFallocate && (lie_ == Lie::kFailedPunchChangesOutside ||
                                          lie_ == Lie::kFailedPunchWritesInside)) {
      sim_.run(Op::pwrite(op.file, lie_ == Lie::kFailedPunchWritesInside ? op.off : 0, 1, 0x99));
      r.err = Errno::kEIO;
    }
    if (lie_ == Lie::kErrorAfterChange && op.kind == OpKind::kPwrite) {
      r.err = Errno::kEIO;  // Wrote, yet says it did not.
    }
    if (lie_ == Lie::kWrongData && op.kind == OpKind::kPread && !r.data.empty()) {
      r.data[0] = std::byte{0x77};
    }
    if (lie_ == Lie::kSkipData && op.kind == OpKind::kSeekData && r.err == Errno::kOk) {
      r.ret += 1;
    }
    if (lie_ == Lie::kWrongSize) r.size_after += 1;
    if (op.kind == OpKind::kFspacectl) {
      if (lie_ == Lie::kSpacectlPastEof) r.rmsr = {op.off + op.len, 0};
      if (lie_ == Lie::kSpacectlNoProgress) r.rmsr = {op.off, 0};
      if (lie_ == Lie::kSpacectlBeforeRange) {
        r.err = Errno::kEIO;
        r.rmsr = {op.off - 1, op.len};
      }
    }
    if (op.kind == OpKind::kFiemap && r.err == Errno::kOk) {
      if (lie_ == Lie::kFiemapDropsExtents) r.extents.clear();
      if (lie_ == Lie::kFiemapWrittenOverHole) r.extents = {{0, 1 << 20, 0}};
    }
    return r;
  }
 private:
  Lie lie_;
};

// A backend whose pwrite to file 0 also overwrites byte 0 of file 1
// behind the storage's back (through file 1's own page cache, which no
// storage epoch sees); the rest goes to the simulator as it is, the
// storage epoch and the kernel-side reads included.
class CrossFileBackend : public ForwardingBackend {
 public:
  explicit CrossFileBackend(const FsSpec& spec) : ForwardingBackend(spec) {}
  std::string_view name() const override { return "cross-file"; }
  OpResult run(const Op& op) override {
    OpResult r = sim_.run(op);
    if (op.kind == OpKind::kPwrite && op.file == 0) sim_.run(Op::pwrite(1, 0, 1, 0x99));
    return r;
  }
};

// An op changes only the files it is given, but the oracle still checks
// every file after every op: the others from their last block on, and
// wholly when the storage moved or on every kSweepEvery-th op (by id).
// A change the storage epoch cannot see is found on the next sweep.
TEST(Oracle, FindsAnotherFilesChangeOnTheNextSweepOrWhenTheStorageMoves) {
  auto first_bad = [](const FsSpec& spec, const std::vector<Op>& ops) -> std::pair<int64_t, std::string> {
    CrossFileBackend b(spec);
    Oracle oracle(b, 2);
    for (const Op& op : ops) {
      std::vector<std::string> bad = oracle.step(op);
      if (!bad.empty()) return {op.id, bad[0]};
    }
    return {-1, ""};
  };
  std::vector<Op> ops = {Op::pwrite(1, 0, 3 * 4096, 1).with_id(0), Op::pwrite(0, 0, 10, 2).with_id(1)};
  for (int64_t id = 2; id < 10; ++id) ops.push_back(Op::seek_data(0, 0).with_id(id));
  // shmfs: nothing under the files moves; the sweep at id 7 finds it, and
  // says it may be an earlier op's doing.
  auto [at, what] = first_bad(sim_filesystem("shmfs"), ops);
  EXPECT_EQ(at, Oracle::kSweepEvery - 1);
  EXPECT_NE(what.find("an op on another file changed file 1, found by the full read-back after op 7: "
                      "content differs from the model at byte 0"),
            std::string::npos)
      << what;
  // Without a sweep in the ops, the read-back after the last op finds it.
  {
    CrossFileBackend b(sim_filesystem("shmfs"));
    Oracle oracle(b, 2);
    OpResult r;
    for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(oracle.step(ops[i], &r).empty()) << i;
    const std::vector<std::string> bad = oracle.sweep(ops[3], r);
    ASSERT_FALSE(bad.empty());
    EXPECT_NE(bad[0].find("changed file 1, found by the full read-back after op 3"), std::string::npos) << bad[0];
    EXPECT_TRUE(oracle.sweep(ops[3], r).empty());  // Read whole now: nothing partial is left.
  }
  // XFS on a block device: fsync's writeback moves the storage, and the
  // op after the change finds it.
  ops[2] = Op::fsync(0).with_id(2);
  std::tie(at, what) = first_bad(sim_filesystem("xfs_block"), ops);
  EXPECT_EQ(at, 2);
  // A change within the last block of the other file shows at once.
  ops = {Op::pwrite(1, 0, 100, 1).with_id(0), Op::pwrite(0, 0, 10, 2).with_id(1)};
  std::tie(at, what) = first_bad(sim_filesystem("shmfs"), ops);
  EXPECT_EQ(at, 1);
}

// What moves the storage epoch, source by source: a write reaching the
// device (XFS's writeback at fsync), a page going to swap (shmfs), a DAX
// write's store to pmem, injected poison. A buffered write that stays in
// the page cache and a read move nothing.
TEST(Oracle, TheStorageEpochMovesWithWhatReachesTheStorage) {
  auto moves = [](SimBackend& b, const Op& op) {
    const std::optional<uint64_t> before = b.storage_epoch();
    b.run(op);
    return b.storage_epoch() != before;
  };
  SimBackend xfs(1, sim_filesystem("xfs_block"), 2);
  EXPECT_FALSE(moves(xfs, Op::pwrite(0, 0, 8192, 1)));
  EXPECT_FALSE(moves(xfs, Op::pread(0, 0, 8192)));
  EXPECT_TRUE(moves(xfs, Op::fsync(0)));
  SimBackend shm(1, sim_filesystem("shmfs"), 2);
  EXPECT_FALSE(moves(shm, Op::pwrite(0, 0, 8192, 1)));
  EXPECT_TRUE(moves(shm, Op{.kind = OpKind::kSwapout, .file = 0, .off = 0, .len = 4096}));
  EXPECT_FALSE(moves(shm, Op::pread(0, 0, 4096)));  // Read from the swap copy.
  EXPECT_TRUE(moves(shm, Op::pwrite(0, 0, 10, 2)));  // The swap-in.
  SimBackend dax(1, sim_filesystem("xfs_pmem_dax"), 2);
  EXPECT_TRUE(moves(dax, Op::pwrite(0, 0, 8192, 1)));
  EXPECT_FALSE(moves(dax, Op::pread(0, 0, 8192)));
  EXPECT_TRUE(moves(dax, Op::poison(0, 0, 4096)));
}

TEST(Oracle, CatchesEachKindOfMisbehaviour) {
  using Lie = LyingBackend::Lie;
  const FsSpec& block = sim_filesystem("iomaptest_block");
  const FsSpec& xfs = sim_filesystem("xfs_block");
  struct Row {
    Lie lie;
    std::vector<Op> ops;
    const char* expect;  // A substring of a violation of the last op.
    const FsSpec* spec = nullptr;
  } rows[] = {
      {Lie::kErrorAfterChange, {Op::pwrite(0, 0, 10, 1)}, "failed with EIO yet changed"},
      {Lie::kWrongData, {Op::pwrite(0, 0, 10, 1), Op::pread(0, 0, 10)}, "bytes that differ"},
      {Lie::kSkipData, {Op::pwrite(0, 0, 10, 1), Op::seek_data(0, 0)}, "skipped data"},
      {Lie::kWrongSize, {Op::fsync(0)}, "size 1, the model says 0"},
      {Lie::kSpacectlSkipsWork,
       {Op::pwrite(0, 0, 8192, 1), Op::fspacectl(0, 100, 200)},
       "success with nothing done and r_len still set"},
      // 100 bytes before EOF: r_offset must be 8192, "rqsr->r_offset plus
      // the number of bytes zeroed before the end-of-file".
      {Lie::kSpacectlPastEof,
       {Op::pwrite(0, 0, 8192, 1), Op::fspacectl(0, 8092, 4096)},
       "rqsr->r_offset plus the bytes zeroed before EOF, 8192"},
      {Lie::kSpacectlNoProgress,
       {Op::pwrite(0, 0, 8192, 1), Op::fspacectl(0, 100, 200)},
       "rqsr->r_offset plus the bytes zeroed before EOF, 300"},
      {Lie::kSpacectlBeforeRange,
       {Op::pwrite(0, 0, 8192, 1), Op::fspacectl(0, 100, 200)},
       "not a part of the request [100, 300)"},
      {Lie::kFiemapDropsExtents,
       {Op::pwrite(0, 4096, 10, 1), Op::fiemap(0, 0, 8192)},
       "maps no extent over byte 4096",
       &block},
      {Lie::kFiemapWrittenOverHole,
       {Op::truncate(0, 20000), Op::pwrite(0, 0, 10, 1), Op::fiemap(0, 0, 8192)},
       "over block 1 ([4096, 8192)), which the model knows is a hole",
       &block},
      {Lie::kPoisonIgnored,
       {Op::pwrite(0, 0, 8192, 1), Op::poison(0, 4096, 4096), Op::pread(0, 0, 8192)},
       "returned poisoned byte 4096 as data"},
      // A failed punch may have zeroed part of its range, nothing else.
      {Lie::kFailedPunchChangesOutside,
       {Op::pwrite(0, 0, 8192, 1),
        Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 4096, 100)},
       "at byte 0 (file 8192 bytes, model 8192): the call failed with EIO yet changed the file"},
      {Lie::kFailedPunchWritesInside,
       {Op::pwrite(0, 0, 8192, 1),
        Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 4096, 100)},
       "at byte 4096 (file 8192 bytes, model 8192): the call failed with EIO yet changed"},
      {Lie::kCloneDoesNothing,
       {Op::pwrite(0, 0, 8192, 1), Op::clone(0, 0, 1, 0, 8192)},
       "content differs from the model at byte 0 (file 0 bytes, model 8192)",
       &xfs},
      // Without a remap op, EOPNOTSUPP and nothing else.
      {Lie::kCloneSaysEinval,
       {Op::pwrite(0, 0, 8192, 1), Op::clone(0, 100, 1, 0, 8192)},
       "returned EINVAL, the model expects EOPNOTSUPP"},
      {Lie::kDedupeChangesBytes,
       {Op::pwrite(0, 0, 8192, 1), Op::pwrite(1, 0, 8192, 1), Op::dedupe(0, 0, 1, 0, 8192)},
       "content differs from the model at byte 0 (file 8192 bytes, model 8192)",
       &xfs},
      {Lie::kDedupeShortCount,
       {Op::pwrite(0, 0, 8192, 1), Op::pwrite(1, 0, 8192, 1), Op::dedupe(0, 0, 1, 0, 8192)},
       "bytes_deduped must be 8192",
       &xfs},
      {Lie::kDioIgnoresAlignment,
       {Op::dio_pwrite(0, 100, 512, 1)},
       "a misaligned direct write is EINVAL",
       &block},
      {Lie::kMwriteNoSigbus,
       {Op::pwrite(0, 0, 100, 1), Op::mwrite(0, 0, 8192, 2)},
       "a store to a page wholly past EOF (from 4096) must fault with SIGBUS"},
      {Lie::kCopyRangeOvercounts,
       {Op::pwrite(0, 0, 8192, 1), Op::copy_range(0, 0, 1, 0, 100)},
       "the count must be in [1, 100]"},
  };
  for (const Row& row : rows) {
    LyingBackend liar(row.lie, row.spec != nullptr ? *row.spec : sim_filesystem("shmfs"));
    Oracle oracle(liar, 2);
    std::vector<std::string> bad = run_ops(oracle, row.ops);
    ASSERT_FALSE(bad.empty()) << row.expect;
    EXPECT_TRUE(has(bad, row.expect)) << row.expect << " not in: " << bad[0];
  }
}

// The same op lists without the lies are clean: each violation above is
// the lie's, not the script's.
TEST(Oracle, TheLiesScriptsAreCleanWithoutTheLies) {
  for (const char* name : {"shmfs", "iomaptest_block"}) {
    SimBackend sim(1, sim_filesystem(name));
    Oracle oracle(sim, 2);
    EXPECT_EQ(run_ops(oracle, {Op::pwrite(0, 0, 8192, 1), Op::fspacectl(0, 100, 200),
                               Op::fspacectl(0, 8092, 4096), Op::truncate(1, 20000),
                               Op::pwrite(1, 0, 10, 1), Op::fiemap(1, 0, 8192),
                               Op::pwrite(1, 4096, 10, 1), Op::fiemap(1, 0, 8192)}),
              std::vector<std::string>{})
        << name;
  }
}

// The two-file ops, O_DIRECT writes and stores through mappings, scripted
// over three files, keep the model on every registered filesystem: with
// reflink, clones share and dedupes compare; without, both say
// EOPNOTSUPP. (No write lands on a shared block here: see
// KnownSimulatorBugs.)
TEST(Oracle, EveryRegisteredFilesystemKeepsTheRemapAndMappingScript) {
  for (const FsSpec& spec : sim_filesystems()) {
    SimBackend sim(1, spec, 3);
    ASSERT_EQ(sim.setup_error(), Errno::kOk) << spec.name;
    Oracle oracle(sim, 3);
    const std::vector<Op> ops = {
        Op::pwrite(0, 0, 20000, 0x11),
        Op::pwrite(0, 8192, 4096, 0x12),
        Op::pwrite(1, 0, 8192, 0x22),
        Op::pwrite(2, 0, 20000, 0x66),
        Op::clone(0, 4096, 1, 0, 8192),     // Shares [4096, 12288) of f0 at 0.
        Op::clone(0, 0, 2, 0, 0),           // All of f0 (an EOF block part full) into f2.
        Op::clone(0, 100, 1, 0, 4096),      // Misaligned: EINVAL with reflink.
        Op::clone(0, 16384, 1, 0, 3616),    // A partial EOF block into the middle: EINVAL.
        Op::clone(0, 0, 0, 4096, 8192),     // Overlapping, one file: EINVAL.
        Op::dedupe(0, 4096, 1, 0, 8192),    // Equal after the clone.
        Op::dedupe(0, 0, 1, 0, 8192),       // Differs at 4096.
        Op::dedupe(0, 16384, 2, 16384, 3616),  // Both EOFs: the EOF block whole.
        Op::dedupe(0, 0, 1, 100, 4096),     // Misaligned destination: -EINVAL.
        Op::dedupe(0, 16384, 1, 0, 8192),   // Past the source's EOF: EINVAL.
        Op::copy_range(0, 10, 1, 30000, 5000),  // Past f1's EOF: the gap reads as zeros.
        Op::copy_range(1, 0, 1, 100, 4096),     // Overlapping, one file: EINVAL.
        Op::copy_range(0, 40000, 1, 0, 10),     // From past EOF: 0.
        Op::copy_range(0, 0, 1, 40960, 8192),   // Aligned: shared where reflink is.
        Op::dio_pwrite(1, 53248, 4096, 0x44),   // Past EOF, a gap before it.
        Op::dio_pwrite(1, 30100, 10, 0x45),     // EINVAL where sectors are checked.
        Op::mwrite(1, 56000, 2000, 0x55),   // SIGBUS at 57344, the first page past EOF.
        Op::mwrite(1, 31000, 300, 0x56),
        Op::mwrite(1, 60000, 10, 0x57),     // Wholly past EOF: SIGBUS at once.
        Op::truncate(1, 57000),
        Op::mwrite(1, 56900, 300, 0x58),    // Past EOF inside the EOF page: no fault.
        Op::pread(1, 0, 60000),
        Op::fiemap(1, 0, 1 << 20),
        Op::fsync(1),
        Op::fiemap(1, 0, 1 << 20),
        Op::seek_data(1, 8192),
    };
    for (const Op& op : ops) {
      OpResult r;
      std::vector<std::string> bad = oracle.step(op, &r);
      EXPECT_EQ(bad, std::vector<std::string>{}) << spec.name << " " << op.to_json().dump() << " -> "
                                                  << r.to_json().dump();
    }
  }
}

// Bytes stored through a mapping past EOF, in the EOF page, become file
// content when the file grows over them only on shmfs (as tmpfs on the
// host, where nothing zeroes them); XFS zeroes them (writeback zeroes the
// folio past EOF; growing the file zeroes from the old EOF).
TEST(Oracle, StoresPastEofBecomeContentOnlyOnShmfs) {
  for (const FsSpec& spec : sim_filesystems()) {
    if (spec.name == "iomaptest_pmem_dax") continue;  // KnownSimulatorBugs.
    for (const Op& grow : {Op::truncate(0, 8192), Op::pwrite(0, 5000, 1, 3),
                           Op::fallocate(0, 0, 0, 8192)}) {
      SimBackend sim(1, spec, 1);
      Oracle oracle(sim, 1);
      EXPECT_EQ(run_ops(oracle, {Op::pwrite(0, 0, 100, 1), Op::mwrite(0, 50, 300, 2), grow,
                                 Op::pread(0, 0, 8192)}),
                std::vector<std::string>{})
          << spec.name << " " << grow.to_json().dump();
      EXPECT_EQ(oracle.model(0).bytes[200],
                spec.dev == FsSpec::kNone ? std::byte{2} : std::byte{0})
          << spec.name;
    }
  }
}

// The answers the script above depends on, filesystem by filesystem:
// reflink clones and dedupes, XFS without reflink has the remap op and
// says EOPNOTSUPP from it (a dedupe's status), shmfs and the iomap test
// filesystem have none (the call's EOPNOTSUPP).
TEST(Oracle, CloneAndDedupeAnswerAsTheFilesystemSupportsThem) {
  struct Row {
    const char* fs;
    Errno clone;
    Errno dedupe_call;
    int32_t dedupe_status;
  } rows[] = {
      {"shmfs", Errno::kEOPNOTSUPP, Errno::kEOPNOTSUPP, 0},
      {"iomaptest_block", Errno::kEOPNOTSUPP, Errno::kEOPNOTSUPP, 0},
      {"xfs_block", Errno::kOk, Errno::kOk, kFILE_DEDUPE_RANGE_SAME},
      {"xfs_block_1k", Errno::kOk, Errno::kOk, kFILE_DEDUPE_RANGE_SAME},
      {"xfs_pmem_dax", Errno::kOk, Errno::kOk, kFILE_DEDUPE_RANGE_SAME},
      {"xfs_noreflink", Errno::kEOPNOTSUPP, Errno::kOk, -static_cast<int32_t>(Errno::kEOPNOTSUPP)},
  };
  for (const Row& row : rows) {
    SimBackend sim(1, sim_filesystem(row.fs), 2);
    Oracle oracle(sim, 2);
    ASSERT_TRUE(run_ops(oracle, {Op::pwrite(0, 0, 8192, 1), Op::pwrite(1, 0, 8192, 1)}).empty());
    OpResult r;
    EXPECT_EQ(oracle.step(Op::clone(0, 0, 1, 0, 4096), &r), std::vector<std::string>{}) << row.fs;
    EXPECT_EQ(r.err, row.clone) << row.fs;
    EXPECT_EQ(oracle.step(Op::dedupe(0, 0, 1, 0, 8192), &r), std::vector<std::string>{}) << row.fs;
    EXPECT_EQ(r.err, row.dedupe_call) << row.fs;
    EXPECT_EQ(r.status, row.dedupe_status) << row.fs;
    EXPECT_EQ(r.ret, r.status == kFILE_DEDUPE_RANGE_SAME && r.err == Errno::kOk ? 8192 : 0) << row.fs;
  }
}

// Bugs the property suite (tests/oracle_property_test) and the host
// differential found in the simulator's filesystems, each as the minimal
// op sequence with the violation the oracle reports at its last op. The
// filesystems are fixed elsewhere, not here: a row whose sequence comes
// out clean means its bug is gone — delete the row then (and, where the
// row names one, the exclusion in the test it points at).
TEST(KnownSimulatorBugs, StillCaughtByTheOracle) {
  struct Row {
    const char* what;
    const char* fs;
    std::vector<Op> ops;
    const char* expect;  // In the last op's violations.
  } rows[] = {
      {"iomaptest DAX: bytes stored through a mapping past EOF become content when the file "
       "grows (StoresPastEofBecomeContentOnlyOnShmfs skips it)",
       "iomaptest_pmem_dax",
       {Op::pwrite(0, 0, 100, 1), Op::mwrite(0, 50, 300, 2), Op::truncate(0, 8192)},
       "content differs from the model at byte 100"},
      {"iomaptest DAX: a store (or write) into a preallocated, unwritten extent fails: SIGBUS "
       "(pwrite: EIO)",
       "iomaptest_pmem_dax",
       {Op::fallocate(0, 0, 0, 4096), Op::mwrite(0, 0, 1, 1)},
       "SIGBUS at 0, inside the EOF page's end 4096"},
  };
  for (const Row& row : rows) {
    SimBackend sim(1, sim_filesystem(row.fs), 2);
    Oracle oracle(sim, 2);
    std::vector<std::string> bad;
    for (size_t i = 0; i < row.ops.size(); ++i) {
      bad = oracle.step(row.ops[i]);
      if (i + 1 < row.ops.size()) {
        ASSERT_EQ(bad, std::vector<std::string>{}) << row.what << ": op " << i;
      }
    }
    EXPECT_TRUE(has(bad, row.expect))
        << row.what << " (" << row.fs << "): no longer reproduces as \"" << row.expect
        << "\"; if it is fixed, delete the row. Violations: "
        << (bad.empty() ? std::string("none") : bad[0]);
  }
}

// Fixed simulator bugs of the same kind, each the sequence that showed it:
// every op must keep the oracle's invariants.
//  - 1 KiB blocks in 4 KiB pages: writeback wrote a dirty page whole, so
//    a page's never-written blocks went to disk through the CoW fork's
//    staging over them and FIEMAP mapped them as written (the default
//    campaign's 28 xfs_block_1k seeds in 100,000). Writeback now writes
//    only the dirty blocks (iomap_find_dirty_range). The same calls on the
//    host's 1 KiB XFS (Linux 6.18.44) leave block 8 a hole: xfs_io pwrite
//    0 4093, copy_range -s 0 -d 4096 -l 4096 (same file), pwrite 9216
//    4096, a whole-file reflink to another file, then fiemap: hole
//    [8192, 9216).
TEST(FixedSimulatorBugs, StayFixed) {
  struct Row {
    const char* what;
    const char* fs;
    std::vector<Op> ops;
  } rows[] = {
      // Not a simulator bug but the oracle's rule: a collapse shifts the
      // extents, then truncates to the new EOF, whose zeroing of the EOF
      // block meets poison there: EIO with the data moved down and the
      // old size (campaign seed 245 on xfs_pmem_dax, minimized).
      {"xfs DAX: a collapse whose final truncate fails over poison", "xfs_pmem_dax",
       {Op::pwrite(0, 50114, 8193, 0x59), Op::poison(0, 57342, 8192),
        Op::fallocate(0, kFALLOC_FL_COLLAPSE_RANGE, 24576, 12288), Op::pread(0, 0, 60000)}},
      // iomaptest: I/O completion converted only the bytes a sub-block
      // O_DIRECT write covered, so the next one zeroed the block from its
      // start again over them (the property suite found it once unshare
      // joined the fallocate modes). It converts whole blocks now.
      {"iomaptest: a direct write over part of a block an earlier one wrote",
       "iomaptest_block",
       {Op::fallocate(0, kFALLOC_FL_KEEP_SIZE, 0, 4096), Op::dio_pwrite(0, 0, 512, 1),
        Op::dio_pwrite(0, 0, 4608, 2), Op::pread(0, 0, 4608)}},
      {"xfs 1 KiB blocks: a write past EOF after sharing the EOF block leaves the hole block "
       "between a hole",
       "xfs_block_1k",
       {Op::pwrite(0, 0, 4093, 1), Op::copy_range(0, 0, 0, 4096, 4096), Op::pwrite(0, 9216, 4096, 1),
        Op::clone(0, 0, 1, 0, 0), Op::fiemap(0, 0, 8193)}},
      // Not a simulator bug but the model's rule: XFS sends an O_DIRECT
      // write that is not block-aligned to a reflinked file through the
      // page cache (xfs_file_dio_write_unaligned's -ENOTBLK), so it may
      // stage in the CoW fork and FIEMAP shows a hole under it until
      // writeback, on the host too (differential seeds 54 and 57).
      {"xfs: an unaligned O_DIRECT write to a reflinked file stages in the CoW fork", "xfs_block",
       {Op::pwrite(0, 53248, 8672, 1), Op::pwrite(0, 22756, 10645, 1), Op::clone(0, 24576, 1, 16384, 16384), Op::dio_pwrite(0, 29184, 3072, 2),
        Op::dio_pwrite(0, 46592, 7168, 3), Op::fiemap(0, 45056, 28674)}},
  };
  for (const Row& row : rows) {
    SimBackend sim(1, sim_filesystem(row.fs), 2);
    Oracle oracle(sim, 2);
    for (size_t i = 0; i < row.ops.size(); ++i) {
      EXPECT_EQ(oracle.step(row.ops[i]), std::vector<std::string>{}) << row.what << ": op " << i;
    }
  }
}

// Seed 000's swapped-partial-page bug, seen through the oracle: with the
// buggy variant the bytes outside the deallocated range are lost, and the
// content check says so.
TEST(Oracle, CatchesTheSwappedPageDataLossOfTheSkipVariant) {
  for (const char* variant : {"read", "skip"}) {
    SimBackend sim(1, sim_filesystem("shmfs"), 1, /*memfd=*/true);
    ASSERT_EQ(sim.machine().variants.set("shm.dealloc_swapped_page", variant), Errno::kOk);
    Oracle oracle(sim, 1);
    ASSERT_TRUE(oracle.step(Op::pwrite(0, 0, 8192, 0x5a)).empty());
    InodeRef ip = *sim.process().file_inode(sim.fd(0));
    ASSERT_TRUE(static_cast<ShmSuperblock*>(ip->sb)->swap_out(*ip, 0));
    std::vector<std::string> bad = oracle.step(Op::fspacectl(0, 1000, 5000));
    if (std::string_view(variant) == "read") {
      EXPECT_TRUE(bad.empty()) << bad[0];
    } else {
      ASSERT_FALSE(bad.empty());
      EXPECT_NE(bad[0].find("content differs from the model at byte 0"), std::string::npos)
          << bad[0];
    }
  }
}

// Seed 000's shm_deallocate excerpt (variant shm.dealloc_page_head=skip):
// a range from a page boundary to inside that page is left untouched and
// the call succeeds with r_len still set. The file did not change, so only
// the remainder check can see it: success must leave r_len 0.
TEST(Oracle, CatchesSuccessWithWorkLeftOfThePageHeadVariant) {
  for (const char* variant : {"zero", "skip"}) {
    SimBackend sim(1, sim_filesystem("shmfs"), 1, /*memfd=*/true);
    ASSERT_EQ(sim.machine().variants.set("shm.dealloc_page_head", variant), Errno::kOk);
    Oracle oracle(sim, 1);
    ASSERT_TRUE(oracle.step(Op::pwrite(0, 0, 12288, 0x22)).empty());
    OpResult r;
    std::vector<std::string> bad = oracle.step(Op::fspacectl(0, 4096, 100), &r);
    if (std::string_view(variant) == "zero") {
      EXPECT_EQ(bad, std::vector<std::string>{});
    } else {
      EXPECT_EQ(r.err, Errno::kOk);
      EXPECT_TRUE(has(bad, "success with nothing done and r_len still set")) << bad.size();
      EXPECT_FALSE(has(bad, "content differs"));  // The model zeroed [4096, 4096): nothing.
    }
  }
}

// kern_fspacectl: "fspacectl is not restarted after signals if the file is
// modified" — a signal after progress is success with a remainder, and the
// oracle takes exactly [off, r_offset) as done.
TEST(Oracle, AcceptsSuccessWithARemainderAfterASignal) {
  SimBackend sim(1, sim_filesystem("iomaptest_block"), 1);
  Oracle oracle(sim, 1);
  Op a = Op::pwrite(0, 0, 4096, 1), b = Op::pwrite(0, 8192, 4096, 2);
  a.id = 0;
  b.id = 1;
  ASSERT_TRUE(oracle.step(a).empty());
  ASSERT_TRUE(oracle.step(b).empty());
  // vn_deallocate checks for a signal before each VOP_DEALLOCATE; the
  // default deallocates one data region a call, so the second check
  // stops it after [0, 4096).
  Op d = Op::fspacectl(0, 0, 12288);
  d.id = 2;
  ASSERT_EQ(sim.machine().faults.arm("sched/signal/eintr", FaultPlan::at(2, 2)), Errno::kOk);
  OpResult r;
  EXPECT_EQ(oracle.step(d, &r), std::vector<std::string>{});
  EXPECT_EQ(r.err, Errno::kOk);
  EXPECT_GT(r.rmsr.r_offset, 0);
  EXPECT_GT(r.rmsr.r_len, 0);
  EXPECT_EQ(r.rmsr.r_offset + r.rmsr.r_len, 12288);
}

// Poison on pmem-backed DAX files: reads stop at or fail on a poisoned
// page (either is allowed) and never return its bytes; a whole-page
// rewrite recovers it (pmem_recovery_write), a punch removes it.
TEST(Oracle, PoisonedBytesNeverReadBackAsGoodData) {
  for (const char* direct_access : {"partial", "whole"}) {
    SimBackend sim(1, sim_filesystem("iomaptest_pmem_dax"), 1);
    ASSERT_EQ(sim.setup_error(), Errno::kOk);
    ASSERT_EQ(sim.machine().variants.set("dax.direct_access", direct_access), Errno::kOk);
    Oracle oracle(sim, 1);
    ASSERT_TRUE(run_ops(oracle, {Op::pwrite(0, 0, 16384, 0x11)}).empty());
    OpResult r;
    ASSERT_EQ(oracle.step(Op::poison(0, 4096 + 100, 100), &r), std::vector<std::string>{});
    ASSERT_EQ(r.extents.size(), 1u);  // Widened to 64-byte granules.
    EXPECT_EQ(r.extents[0], (LogicalExtent{4096 + 64, 192, 0}));
    EXPECT_EQ(oracle.step(Op::pread(0, 0, 16384), &r), std::vector<std::string>{});
    EXPECT_TRUE(r.err == Errno::kEIO || r.ret < 4096 + 64) << r.to_json().dump();
    EXPECT_EQ(oracle.step(Op::pread(0, 8192, 8192), &r), std::vector<std::string>{});
    EXPECT_EQ(r.ret, 8192);
    // A write inside the poisoned page cannot clear it; a whole page can
    // (pmem_recovery_write), from 5.19 on: 5.15's direct access refuses
    // the page to the write too.
    const bool recovers = std::string_view(direct_access) == "partial";
    EXPECT_EQ(oracle.step(Op::pwrite(0, 4096, 100, 0x33), &r), std::vector<std::string>{});
    EXPECT_NE(r.err, Errno::kOk);
    EXPECT_EQ(oracle.step(Op::pwrite(0, 4096, 4096, 0x22), &r), std::vector<std::string>{});
    EXPECT_EQ(r.err, recovers ? Errno::kOk : Errno::kEIO) << r.to_json().dump();
    EXPECT_EQ(oracle.step(Op::pread(0, 0, 16384), &r), std::vector<std::string>{});
    if (recovers) {
      EXPECT_EQ(r.ret, 16384) << r.to_json().dump();
    }
    // Poison a page and punch the poisoned pages out: the holes read as
    // zeros, and rewriting them allocates fresh, zeroed blocks.
    EXPECT_EQ(run_ops(oracle, {Op::poison(0, 8192, 4096),
                               Op::fallocate(0, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE,
                                             4096, 8192),
                               Op::fiemap(0, 0, 16384), Op::pwrite(0, 4096, 100, 0x44)}),
              std::vector<std::string>{})
        << direct_access;
    EXPECT_EQ(oracle.step(Op::pread(0, 0, 16384), &r), std::vector<std::string>{});
    EXPECT_EQ(r.ret, 16384) << direct_access;
  }
}

// xfs_free_file_space unmaps the range's whole blocks, then zeroes the
// partial ones: over poison the zeroing fails (EIO) after the unmap. The
// oracle takes the bytes of the range that now read as zeros and nothing
// more (fallocate(2) promises nothing about a call that fails part way).
TEST(Oracle, AFailedZeroRangeMayHaveZeroedPartOfItsRange) {
  SimBackend sim(1, sim_filesystem("iomaptest_pmem_dax"), 1);
  Oracle oracle(sim, 1);
  ASSERT_TRUE(run_ops(oracle, {Op::pwrite(0, 0, 12288, 1), Op::poison(0, 0, 1)}).empty());
  OpResult r;
  EXPECT_EQ(oracle.step(Op::fallocate(0, kFALLOC_FL_ZERO_RANGE, 1, 8192), &r),
            std::vector<std::string>{});
  EXPECT_EQ(r.err, Errno::kEIO);
  EXPECT_TRUE(oracle.model(0).all_zero(4096, 8192));  // The unmapped block.
  EXPECT_EQ(oracle.model(0).bytes[8192], std::byte{1});  // Not reached.
  EXPECT_EQ(oracle.model(0).first_poisoned(0, 12288), 0u);  // Still poisoned.
}

// Poison lands only on blocks one file range alone maps: a shared block's
// would show at every range sharing it. A clone of a poisoned block shares
// its poison, and the model copies it.
TEST(Oracle, PoisonSparesSharedBlocksAndClonesCarryIt) {
  SimBackend sim(1, sim_filesystem("xfs_pmem_dax"), 2);
  Oracle oracle(sim, 2);
  ASSERT_TRUE(run_ops(oracle, {Op::pwrite(0, 0, 8192, 1), Op::clone(0, 0, 1, 0, 4096)}).empty());
  OpResult r;
  EXPECT_EQ(oracle.step(Op::poison(0, 0, 8192), &r), std::vector<std::string>{});
  EXPECT_EQ(r.extents, (std::vector<LogicalExtent>{{4096, 4096, 0}})) << r.to_json().dump();
  EXPECT_EQ(oracle.step(Op::clone(0, 4096, 1, 4096, 4096), &r), std::vector<std::string>{});
  EXPECT_EQ(oracle.model(1).first_poisoned(0, 8192), 4096u);
  EXPECT_EQ(run_ops(oracle, {Op::pread(1, 0, 8192), Op::pread(0, 0, 8192)}), std::vector<std::string>{});
}

// Known poison stays on the blocks a file gives back, and a DAX write
// fault that copies on write takes fresh blocks nothing zeroes
// (xfs_reflink_fill_cow_hole), so it may meet that poison: SIGBUS
// (dax_fault_iter) inside EOF, away from any poison the model knows. The
// oracle allows it only where both can be: poison has left a file other
// than by being rewritten, and the store's file shares blocks.
TEST(Oracle, ASigbusInsideEofNeedsPoisonOrFreedPoisonUnderCow) {
  const Op store = Op::mwrite(0, 10, 100, 2);
  struct Row {
    const char* what;
    std::vector<Op> ops;
    bool caught;
  } rows[] = {
      {"shared, no poison freed",
       {Op::pwrite(0, 0, 8192, 1), Op::clone(0, 0, 1, 0, 8192), store}, true},
      {"poison freed (truncated away), nothing shared",
       {Op::pwrite(0, 0, 8192, 1), Op::poison(0, 4096, 4096), Op::truncate(0, 4096),
        Op::pwrite(0, 4096, 4096, 1), store},
       true},
      {"poison freed by a clone over it, shared",
       {Op::pwrite(0, 0, 8192, 1), Op::pwrite(1, 0, 8192, 3), Op::poison(0, 4096, 4096),
        Op::clone(1, 0, 0, 0, 8192), store},
       false},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    LyingBackend liar(LyingBackend::Lie::kMwriteSigbusAtOnce, sim_filesystem("xfs_pmem_dax"));
    Oracle oracle(liar, 2);
    std::vector<Op> before(row.ops.begin(), row.ops.end() - 1);
    ASSERT_EQ(run_ops(oracle, before), std::vector<std::string>{});
    const std::vector<std::string> bad = oracle.step(row.ops.back());
    EXPECT_EQ(has(bad, "SIGBUS at 10, inside the EOF page's end 8192 and away from poison"), row.caught)
        << (bad.empty() ? "" : bad[0]);
  }
}

TEST(Oracle, PoisonNeedsPmemUnderDaxFiles) {
  for (const char* name : {"shmfs", "iomaptest_block"}) {
    SimBackend sim(1, sim_filesystem(name), 1);
    sim.run(Op::pwrite(0, 0, 4096, 1));
    EXPECT_EQ(sim.run(Op::poison(0, 0, 4096)).err, Errno::kEOPNOTSUPP) << name;
  }
}

TEST(FileModel, BlocksAreHolesUntilWrittenOrAllocated) {
  FileModel m(4096);
  m.write(100, 10, std::byte{1});
  EXPECT_FALSE(m.known_hole(0));
  EXPECT_TRUE(m.known_hole(1));
  m.resize(5 * 4096);  // Growing adds holes.
  EXPECT_TRUE(m.known_hole(2));
  m.allocate(2 * 4096 + 1, 4096);  // Blocks 2 and 3.
  EXPECT_FALSE(m.known_hole(2));
  EXPECT_FALSE(m.known_hole(3));
  EXPECT_TRUE(m.known_hole(4));
  m.punch(100, 3 * 4096);  // Whole blocks 1 and 2; block 0 and 3 only zeroed.
  EXPECT_FALSE(m.known_hole(0));
  EXPECT_TRUE(m.known_hole(1));
  EXPECT_TRUE(m.known_hole(2));
  EXPECT_FALSE(m.known_hole(3));
  m.collapse(4096, 4096);  // Block 3 becomes block 2.
  EXPECT_TRUE(m.known_hole(1));
  EXPECT_FALSE(m.known_hole(2));
  EXPECT_TRUE(m.known_hole(3));
  m.insert(0, 4096);  // A hole at 0; the rest moves up a block.
  EXPECT_TRUE(m.known_hole(0));
  EXPECT_FALSE(m.known_hole(1));
  EXPECT_FALSE(m.known_hole(3));
  m.resize(4096 + 1);  // Blocks 2.. are gone.
  EXPECT_FALSE(m.known_hole(1));
  EXPECT_TRUE(m.known_hole(3));
}

TEST(FileModel, StoresPastEofShowOnlyWhereThePageKeepsThem) {
  for (bool keep : {false, true}) {
    FileModel m(4096);
    m.write(0, 100, std::byte{1});
    m.mstore(50, 300, std::byte{2}, keep);  // [100, 350) past EOF.
    EXPECT_EQ(m.size(), 100u);
    m.write(5000, 1, std::byte{3});  // Grows over them.
    EXPECT_EQ(m.bytes[99], std::byte{2});
    EXPECT_EQ(m.bytes[200], keep ? std::byte{2} : std::byte{0});
    EXPECT_EQ(m.bytes[350], std::byte{0});
    FileModel t(4096);
    t.write(0, 100, std::byte{1});
    t.mstore(100, 100, std::byte{2}, keep);
    t.resize(100);  // A truncate to the same size clears the page past EOF.
    t.resize(300);
    EXPECT_TRUE(t.all_zero(100, 300)) << keep;
  }
}

// A store dirties its whole folio, and page_mkwrite allocates every block
// of it inside EOF: with large folios the blocks that may be mapped are
// those of the aligned max_folio bytes around the stored pages, inside
// EOF. Host 6.18.44 (XFS, differential seed 892): pwrite 498 16388,
// truncate 224, pwrite 36864 11590, a store at 4099 and msync map blocks
// 1-3 written (the truncated write's 16 KiB folio stayed whole).
TEST(FileModel, AStoreMayMapItsWholeFolioInsideEof) {
  for (const uint64_t folio : {uint64_t{4096}, uint64_t{16384}}) {
    FileModel m(4096);
    m.write(0, 100, std::byte{1});
    m.resize(48454);  // Blocks 1-11 are holes.
    m.mstore(4099, 49, std::byte{2}, false, folio);
    EXPECT_FALSE(m.known_hole(1)) << folio;
    EXPECT_EQ(m.known_hole(3), folio == 4096) << folio;
    EXPECT_TRUE(m.known_hole(4)) << folio;  // Another folio.
    FileModel t(4096);
    t.write(0, 6000, std::byte{1});
    t.mstore(5000, 10, std::byte{2}, false, folio);
    EXPECT_EQ(t.size(), 6000u);
    EXPECT_TRUE(t.known_hole(2)) << folio;  // Past EOF: never.
  }
}

TEST(FileModel, CloneCopiesBytesAndBlockStates) {
  FileModel src(4096), dst(4096);
  src.write(0, 4096, std::byte{1});
  src.resize(3 * 4096);  // Blocks 1 and 2 are holes.
  dst.write(0, 4 * 4096, std::byte{2});
  dst.copy_from(src, 0, 4096, 3 * 4096);
  dst.share_blocks(src, 0, 4096, 3 * 4096);
  EXPECT_EQ(dst.bytes[4096], std::byte{1});
  EXPECT_EQ(dst.bytes[8192], std::byte{0});
  EXPECT_FALSE(dst.known_hole(0));
  EXPECT_FALSE(dst.known_hole(1));  // The source's block 0.
  EXPECT_TRUE(dst.known_hole(2));   // Its holes.
  EXPECT_TRUE(dst.known_hole(3));
  dst.share_blocks(src, 0, 100, 4096);  // Partly inside: block 0 keeps its own state.
  EXPECT_FALSE(dst.known_hole(0));
}

TEST(FileModel, PoisonLastsUntilRewrittenOrZeroed) {
  FileModel m(4096);
  m.write(0, 8192, std::byte{1});
  m.poison(100, 200);
  EXPECT_EQ(m.first_poisoned(0, 8192), 100u);
  EXPECT_TRUE(m.all_zero(100, 300));  // Unknown content is not data.
  m.write(100, 50, std::byte{2});
  EXPECT_EQ(m.first_poisoned(0, 8192), 150u);
  m.zero(150, 100);
  EXPECT_EQ(m.first_poisoned(0, 8192), 250u);
  m.resize(200);
  EXPECT_EQ(m.first_poisoned(0, 8192), 8192u);
}

TEST(Oracle, LogicalExtentsMergeAdjacentAndDropPhysical) {
  const std::vector<FiemapExtent> ext = {
      {0, 1000, 4096, 0},
      {4096, 9000, 4096, kFIEMAP_EXTENT_LAST},  // Physically elsewhere: same logical run.
      {8192, 100, 4096, kFIEMAP_EXTENT_UNWRITTEN},
      {16384, 200, 4096, kFIEMAP_EXTENT_UNWRITTEN},  // A gap: not merged.
  };
  EXPECT_EQ(logical_extents(ext), (std::vector<LogicalExtent>{
                                      {0, 8192, 0},
                                      {8192, 4096, kFIEMAP_EXTENT_UNWRITTEN},
                                      {16384, 4096, kFIEMAP_EXTENT_UNWRITTEN}}));
}

TEST(Oracle, CompareResultsNamesEachDifference) {
  OpResult a, b;
  EXPECT_EQ(compare_results(a, b), "");
  b.err = Errno::kEOPNOTSUPP;
  b.size_after = 5;
  EXPECT_EQ(compare_results(a, b), "errno OK vs EOPNOTSUPP; size 0 vs 5");
  OpResult c, d;
  c.status = kFILE_DEDUPE_RANGE_DIFFERS;
  d.signal = 7;
  d.ret = 10;
  EXPECT_EQ(compare_results(c, d),
            "returned 0 vs 10; dedupe status 1 vs 0; signal 0 after 0 bytes vs 7 after 10");
}

}  // namespace
}  // namespace vfssim
