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

// The ring keeps exactly the last N records however they are shaped, and
// renders each byte for byte as full mode renders the same record: records
// with every kind of field and of varying sizes, enough of them that items,
// string bytes and record heads all cross chunk boundaries and the ring
// recycles its chunks.
TEST(TraceTest, RingKeepsExactlyTheLastNAndRendersThemAsFull) {
  Clock clock;
  Trace full(&clock), ring(&clock);
  constexpr size_t kN = 37;
  ring.set_mode(TraceMode::kRing, kN);
  for (int i = 0; i < 2500; ++i) {
    const std::string name(static_cast<size_t>(i * 7 % 97), static_cast<char>('a' + i % 26));
    const std::vector<std::string> names(static_cast<size_t>(i % 5), name);
    const TraceValue pair[] = {uint64_t{4096}, name, Errno::kEIO};
    TraceFields args = {{"fd", i}, {"name", name}};
    if (i % 3 == 0) args.add("v", TraceValue::array(pair));
    const int64_t big = int64_t{-i} * (int64_t{1} << 40);
    for (Trace* t : {&full, &ring}) {
      t->record(i % 2 == 0 ? TraceKey("even") : TraceKey("odd"),
                {{"i", i}, {"call", TraceKey("pwrite")}, {"args", TraceValue::object(args)},
                 {"names", names}, {"ok", i % 4 == 0}, {"big", big}});
    }
    clock.advance(3);
    if (i % 250 != 249) continue;
    const std::vector<std::string> all = full.records();
    const std::vector<std::string> last = ring.records();
    ASSERT_EQ(last.size(), kN);
    for (size_t j = 0; j < kN; ++j) EXPECT_EQ(last[j], all[all.size() - kN + j]) << i << " " << j;
    EXPECT_EQ(ring.hash(), full.hash());
  }
  EXPECT_EQ(ring.size(), 2500u);
}

// Switching modes keeps what it should: a smaller ring drops the oldest, a
// ring turned full keeps what it had and goes on appending, hash mode
// forgets every record, and a ring started later holds only newer ones.
TEST(TraceTest, ModeSwitchesKeepTheNewestRecords) {
  Trace full, t;
  auto both = [&](int i) {
    for (Trace* x : {&full, &t}) x->record("op", {{"i", i}, {"s", std::string(i % 13, 'x')}});
  };
  for (int i = 0; i < 10; ++i) both(i);
  t.set_mode(TraceMode::kRing, 4);
  std::vector<std::string> r = t.records();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], full.records()[6]);
  for (int i = 10; i < 30; ++i) both(i);
  t.set_mode(TraceMode::kRing, 2);
  r = t.records();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], full.records()[28]);
  t.set_mode(TraceMode::kFull);
  for (int i = 30; i < 40; ++i) both(i);
  r = t.records();
  ASSERT_EQ(r.size(), 12u);
  EXPECT_EQ(r.front(), full.records()[28]);
  EXPECT_EQ(r.back(), full.records()[39]);
  t.set_mode(TraceMode::kHash);
  both(40);
  EXPECT_TRUE(t.records().empty());
  t.set_mode(TraceMode::kRing, 3);
  for (int i = 41; i < 50; ++i) both(i);
  r = t.records();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r.front(), full.records()[47]);
  EXPECT_EQ(t.hash(), full.hash());
  EXPECT_EQ(t.size(), full.size());
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
