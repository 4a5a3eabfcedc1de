#include "sim/trace.h"

#include <sstream>

#include <gtest/gtest.h>

#include "sim/machine.h"

namespace vfssim {
namespace {

TEST(TraceTest, RecordsAreJsonLinesWithSeqAndTime) {
  Clock clock;
  Trace trace(&clock);
  trace.record("blockdev", {{"op", "write"}, {"sector", 8}});
  clock.advance(5);
  trace.record_value("note", "hello");
  ASSERT_EQ(trace.size(), 2u);
  EXPECT_EQ(trace.records()[0],
            R"({"seq":0,"t":1704067200000000000,"kind":"blockdev","op":"write","sector":8})");
  EXPECT_EQ(trace.records()[1],
            R"({"seq":1,"t":1704067200000000005,"kind":"note","value":"hello"})");
  std::ostringstream out;
  trace.write_jsonl(out);
  EXPECT_EQ(out.str(), trace.records()[0] + "\n" + trace.records()[1] + "\n");
}

// The hash is over the binary fields, word by word, as documented: seq, t
// (all ones without a clock) in one step, the kind's FNV-1a, then per field
// one step over its key's FNV-1a xor its type and its value (a string's
// FNV-1a); an end word.
TEST(TraceTest, HashIsOverBinaryFields) {
  Trace trace;
  trace.record("x", {{"n", 7}, {"s", "ab"}});
  WordHash h;
  h.update2(0, ~uint64_t{0});
  h.update_u64(fnv1a64("x"));
  h.update2(fnv1a64("n") ^ static_cast<uint64_t>(TraceValue::Type::kI64), 7);
  h.update2(fnv1a64("s") ^ static_cast<uint64_t>(TraceValue::Type::kStr), fnv1a64("ab"));
  h.update_u64(0xe4d0e4d0e4d0e4d0ull);
  EXPECT_EQ(trace.hash(), h.digest());
}

TEST(TraceTest, RendersNestedObjectsArraysErrnosAndStrings) {
  Trace trace;
  const std::vector<std::string> names = {"a=1", "b=2"};
  const TraceValue pair[] = {uint64_t{4096}, uint64_t{0}};
  TraceFields args = {{"fd", 3}};
  args.add("rmsr", TraceValue::array(pair));
  trace.record("syscall", {{"call", "pwrite"}, {"args", TraceValue::object(args)},
                           {"err", Errno::kEBADF}, {"ok", false}, {"v", names}});
  EXPECT_EQ(trace.records()[0],
            R"({"seq":0,"kind":"syscall","call":"pwrite","args":{"fd":3,"rmsr":[4096,0]},)"
            R"("err":"EBADF","ok":false,"v":["a=1","b=2"]})");
}

// Every mode but off hashes the same records to the same value; ring keeps
// the newest N in order.
TEST(TraceTest, ModesAgreeOnTheHashAndRingKeepsTheLastN) {
  Trace full, hash(nullptr, false), ring;
  ring.set_mode(TraceMode::kRing, 3);
  for (Trace* t : {&full, &hash, &ring}) {
    for (int i = 0; i < 5; ++i) t->record("op", {{"i", i}, {"name", std::string(i, 'x')}});
  }
  EXPECT_EQ(full.hash(), hash.hash());
  EXPECT_EQ(full.hash(), ring.hash());
  EXPECT_EQ(hash.size(), 5u);
  EXPECT_TRUE(hash.records().empty());
  ASSERT_EQ(ring.records().size(), 3u);
  EXPECT_EQ(ring.records()[0], full.records()[2]);
  EXPECT_EQ(ring.records()[2], full.records()[4]);
  ring.set_mode(TraceMode::kFull);
  ring.record("op", {{"i", 5}, {"name", "xxxxx"}});
  ASSERT_EQ(ring.records().size(), 4u);
  EXPECT_EQ(ring.records()[0], full.records()[2]);
}

// WordHash's output is fixed: these values must never change.
TEST(TraceTest, WordHashVectors) {
  WordHash h;
  EXPECT_EQ(h.digest(), 0x9e3779b97f4a7c15ull);
  h.update_u64(0);
  EXPECT_EQ(h.digest(), 0x9e3779b97f4a7c15ull * 0xff51afd7ed558ccdull ^
                            ((0x9e3779b97f4a7c15ull * 0xff51afd7ed558ccdull) >> 29));
  WordHash g;
  g.update2(1, 2);
  EXPECT_EQ(g.digest(), 0xff51afd7ed558ccfull);
}

TEST(TraceTest, HashWithoutKeepingRecords) {
  Trace kept, thin(nullptr, false);
  for (Trace* t : {&kept, &thin}) t->record("op", {{"n", 1}});
  EXPECT_EQ(kept.hash(), thin.hash());
  EXPECT_TRUE(thin.records().empty());
  EXPECT_EQ(thin.size(), 1u);
}

// Drives a machine through a seeded sequence of fault decisions; the trace
// must come out byte-identical for the same seed and differ for another.
uint64_t run(uint64_t seed) {
  Machine m(seed);
  m.faults.arm("blockdev/write/eio", FaultPlan::probability(0.3, "w"));
  Rng work = m.rng.stream("workload");
  for (int i = 0; i < 200; ++i) {
    m.clock.advance(work.range(1, 1000));
    std::optional<Errno> e = m.faults.fire("blockdev/write/eio");
    m.trace.record("op", {{"i", i}, {"failed", e.has_value()}});
  }
  return m.trace.hash();
}

TEST(TraceTest, SameSeedSameHash) {
  EXPECT_EQ(run(1), run(1));
  EXPECT_EQ(run(12345), run(12345));
  EXPECT_NE(run(1), run(2));
}

TEST(TraceTest, DisabledRecordsNothing) {
  Trace t;
  t.record("a");
  t.set_enabled(false);
  t.record("b", {{"x", 1}});
  EXPECT_FALSE(t.enabled());
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.records().size(), 1u);
  t.set_enabled(true);
  t.record("c");
  EXPECT_EQ(t.size(), 2u);
}

}  // namespace
}  // namespace vfssim
