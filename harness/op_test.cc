#include "harness/op.h"

#include <gtest/gtest.h>

#include <vector>

namespace vfssim {
namespace {

// Every kind prints as JSON and reads back as the same op, id included.
TEST(Op, EveryKindRoundTripsThroughJson) {
  std::vector<Op> ops = {
      Op::pwrite(0, 4096, 100, 0xab),
      Op::pread(1, -1, 10),
      Op::truncate(0, 12345),
      Op::fallocate(2, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, 100, 200),
      Op::fspacectl(0, 1, 2),
      Op::fsync(1),
      Op::seek_data(0, 7),
      Op::seek_hole(0, 8),
      Op::fiemap(1, 0, 1 << 20),
      Op::poison(0, 4096, 64),
      Op::clone(1, 4096, 2, 8192, 0),
      Op::dedupe(0, 0, 1, 4096, 8192),
      Op::copy_range(2, 10, 2, 50000, 3000),
      Op::dio_pwrite(0, 512, 1024, 1),
      Op::mwrite(1, 4000, 200, 255),
  };
  ops[3].id = 41;
  for (const Op& op : ops) {
    absl::StatusOr<Op> back = Op::from_json(op.to_json());
    ASSERT_TRUE(back.ok()) << back.status() << " " << op.to_json().dump();
    EXPECT_EQ(*back, op) << op.to_json().dump();
    // Parsed from text too, as a replay file gives it.
    back = Op::from_json(nlohmann::ordered_json::parse(op.to_json().dump()));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, op);
  }
}

TEST(Op, TwoFileOpsNameTheirSource) {
  // "cmd" is the op as its command line (harness/command.h), which
  // from_json reads first; the fields before it are there to be read.
  EXPECT_EQ(Op::clone(1, 4096, 2, 0, 8192).to_json().dump(),
            R"({"op":"ficlonerange","file":2,"off":0,"src":1,"src_off":4096,"len":8192,)"
            R"("cmd":"reflink f1 4096 0 8192"})");
  EXPECT_EQ(Op::mwrite(0, 10, 20, 3).to_json().dump(),
            R"({"op":"mwrite","file":0,"off":10,"len":20,"fill":3,"cmd":"mstore -S 0x3 10 20"})");
  EXPECT_TRUE(Op::copy_range(0, 0, 1, 0, 1).two_files());
  EXPECT_FALSE(Op::dio_pwrite(0, 0, 512, 1).two_files());
}

TEST(Op, FromJsonSaysWhatIsWrong) {
  using J = nlohmann::ordered_json;
  EXPECT_EQ(Op::from_json(J::parse(R"({"op":"frobnicate","file":0})")).status().message(),
            "unknown op \"frobnicate\"");
  EXPECT_FALSE(Op::from_json(J::parse(R"({"op":"pwrite","file":0,"off":0,"len":1})")).ok());
  EXPECT_FALSE(Op::from_json(J::parse(R"({"op":"pwrite","file":0,"off":0,"len":1,"fill":256})")).ok());
  EXPECT_FALSE(Op::from_json(J::parse(R"({"op":"ficlonerange","file":0,"off":0,"len":1})")).ok());
  EXPECT_FALSE(Op::from_json(J::parse(R"([1, 2])")).ok());
}

TEST(OpResult, PrintsStatusAndSignalWhenSet) {
  OpResult r;
  r.ret = 4096;
  r.status = kFILE_DEDUPE_RANGE_DIFFERS;
  r.size_after = 8192;
  EXPECT_EQ(r.to_json().dump(), R"({"ret":4096,"size":8192,"status":1})");
  OpResult s;
  s.ret = 100;
  s.signal = 7;
  s.err = Errno::kEIO;
  EXPECT_EQ(s.to_json().dump(), R"({"errno":"EIO","size":0,"signal":7,"ret":100})");
}

}  // namespace
}  // namespace vfssim
