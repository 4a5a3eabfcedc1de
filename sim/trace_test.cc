#include "sim/trace.h"

#include <cstdlib>
#include <limits>
#include <new>
#include <sstream>

#include <gtest/gtest.h>

#include "sim/machine.h"

// Every allocation in the test binary is counted, so a test can check that
// recording allocates nothing.
namespace {
size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

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
// with every kind of field and of varying sizes, enough of them that
// records and their strings cross chunk boundaries and the ring recycles
// its chunks.
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

// record_every_type records three events: one with a value of every type
// (nested objects, arrays of mixed values and of objects, string arrays,
// empty and long strings, negative numbers, errnos, TraceKey strings), and
// two small ones.
void record_every_type(Trace& t) {
  const std::string long_str = std::string(300, 'q') + "end";
  const std::vector<std::string> strings = {"", "a\"b", long_str};
  const std::vector<std::string> no_strings;
  const TraceValue pair[] = {int64_t{-7}, uint64_t{7}};
  const TraceField point[] = {{"x", 1}, {"call", TraceKey("pread64")}};
  const TraceField deep[] = {{"deep", TraceValue::array(pair)}, {"s", ""}};
  const TraceValue mixed[] = {uint64_t{1}, int64_t{-1}, true, Errno::kENOENT, "str",
                              TraceKey("static"), TraceValue::object(point),
                              TraceValue::array(pair), strings, TraceValue::array({}),
                              TraceValue::object({})};
  const TraceValue objects[] = {TraceValue::object(point), TraceValue::object(deep)};
  t.record("every", {{"u", ~uint64_t{0}},
                     {"i", std::numeric_limits<int64_t>::min()},
                     {"neg", -1},
                     {"zero", 0},
                     {"b", true},
                     {"f", false},
                     {"err", Errno::kEIO},
                     {"ok", Errno::kOk},
                     {"odd_errno", static_cast<Errno>(-3)},
                     {"empty", ""},
                     {"long", long_str},
                     {"esc", "q\"b\\n\n\t\x01"},
                     {"key", TraceKey("pwrite")},
                     {"nested", {{"a", {{"b", {{"c", 3}}}}}, {"e", TraceValue::object({})}}},
                     {"mixed", TraceValue::array(mixed)},
                     {"objects", TraceValue::array(objects)},
                     {"strings", strings},
                     {"no_strings", no_strings}});
  t.record("second", {{"n", 2}});
  t.record("third");
}

// Records with a value of every type render to exactly this JSON and hash
// to exactly this value (both as the trace kept them when records were a
// head and fixed-size items: the compact encoding changed neither).
std::vector<std::string> every_type_lines(bool clock) {
  const std::string q = std::string(300, 'q') + "end";
  const std::string t = clock ? R"("t":1704067200000000000,)" : "";
  return {
      R"({"seq":0,)" + t +
          R"("kind":"every","u":18446744073709551615,"i":-9223372036854775808,"neg":-1,)"
          R"("zero":0,"b":true,"f":false,"err":"EIO","ok":"OK","odd_errno":"E?-3","empty":"",)"
          R"("long":")" + q + R"(","esc":"q\"b\\n\n\t\u0001","key":"pwrite",)"
          R"("nested":{"a":{"b":{"c":3}},"e":{}},)"
          R"("mixed":[1,-1,true,"ENOENT","str","static",{"x":1,"call":"pread64"},[-7,7],)"
          R"(["","a\"b",")" + q + R"("],[],{}],)"
          R"("objects":[{"x":1,"call":"pread64"},{"deep":[-7,7],"s":""}],)"
          R"("strings":["","a\"b",")" + q + R"("],"no_strings":[]})",
      R"({"seq":1,)" + t + R"("kind":"second","n":2})",
      R"({"seq":2,)" + t + R"("kind":"third"})",
  };
}

TEST(TraceTest, EveryValueTypeRendersAndHashesAsPinned) {
  Clock clock;
  Trace timed(&clock), untimed;
  record_every_type(timed);
  record_every_type(untimed);
  EXPECT_EQ(timed.records(), every_type_lines(true));
  EXPECT_EQ(untimed.records(), every_type_lines(false));
  EXPECT_EQ(timed.hash(), 0xb8804e845e53819cull);
  EXPECT_EQ(untimed.hash(), 0x336c9d12fc20a875ull);
  std::ostringstream out;
  timed.write_jsonl(out);
  const std::vector<std::string> lines = every_type_lines(true);
  EXPECT_EQ(out.str(), lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
}

// The ring and every mode switch keep those records byte for byte: a ring
// of 2 from the start, full turned into a ring of 1 (evicting the big
// record) and back, hash mode forgetting, and a ring started afterwards.
TEST(TraceTest, EveryValueTypeSurvivesRingsAndModeSwitches) {
  const std::vector<std::string> lines = every_type_lines(false);
  Trace ring;
  ring.set_mode(TraceMode::kRing, 2);
  record_every_type(ring);
  EXPECT_EQ(ring.records(), std::vector<std::string>(lines.begin() + 1, lines.end()));
  EXPECT_EQ(ring.hash(), 0x336c9d12fc20a875ull);

  Trace t;
  record_every_type(t);
  t.set_mode(TraceMode::kRing, 1);
  EXPECT_EQ(t.records(), std::vector<std::string>{lines[2]});
  t.set_mode(TraceMode::kFull);
  t.record("more", {{"v", TraceValue::array(std::vector<TraceValue>{-1, "x"})}});
  EXPECT_EQ(t.records(),
            (std::vector<std::string>{lines[2], R"({"seq":3,"kind":"more","v":[-1,"x"]})"}));
  t.set_mode(TraceMode::kHash);
  EXPECT_TRUE(t.records().empty());
  EXPECT_EQ(t.records_kept(), 0u);
  t.set_mode(TraceMode::kRing, 3);
  record_every_type(t);
  const std::vector<std::string> r = t.records();
  ASSERT_EQ(r.size(), 3u);
  // The same records, numbered on from seq 4.
  EXPECT_EQ(r[0].substr(0, 9), R"({"seq":4,)");
  EXPECT_EQ(r[0].substr(9), lines[0].substr(9));
  EXPECT_EQ(r[2], R"({"seq":6,"kind":"third"})");
  EXPECT_EQ(t.size(), 7u);
}

// Hash mode re-entered through set_enabled keeps the records from before
// it, so the kept records' seqs skip the ones it counted.
TEST(TraceTest, RecordsKeptAcrossHashModeSkipItsSeqs) {
  Clock clock;
  Trace t(&clock);
  t.set_mode(TraceMode::kHash);
  t.set_enabled(false);
  t.set_mode(TraceMode::kFull);
  t.record("a", {{"i", 0}});
  t.set_mode(TraceMode::kOff);
  t.set_enabled(true);  // Hash mode again, the record kept.
  ASSERT_EQ(t.mode(), TraceMode::kHash);
  clock.advance(7);
  t.record("b", {{"i", 1}});
  t.record("b", {{"i", 2}});
  t.set_mode(TraceMode::kRing, 2);
  clock.advance(5);
  t.record("c", {{"i", 3}});
  EXPECT_EQ(t.records(), (std::vector<std::string>{
                             R"({"seq":0,"t":1704067200000000000,"kind":"a","i":0})",
                             R"({"seq":3,"t":1704067200000000012,"kind":"c","i":3})"}));
  t.record("d", {{"i", 4}});  // Evicts "a": "c" keeps its seq and time.
  EXPECT_EQ(t.records(), (std::vector<std::string>{
                             R"({"seq":3,"t":1704067200000000012,"kind":"c","i":3})",
                             R"({"seq":4,"t":1704067200000000012,"kind":"d","i":4})"}));
}

// Keys and TraceKey strings are kept by address, so the same names at two
// addresses are two shapes of the same hash: both render as recorded.
TEST(TraceTest, ShapesOfTheSameHashAreToldApart) {
  static constexpr char kKey1[] = "k";
  static constexpr char kKey2[] = "k";
  static constexpr char kVal1[] = "v";
  static constexpr char kVal2[] = "v";
  Trace t;
  for (int i = 0; i < 3; ++i) {
    t.record("x", {{TraceKey::from_static(kKey1), TraceKey::from_static(kVal1)}});
    t.record("x", {{TraceKey::from_static(kKey2), TraceKey::from_static(kVal2)}});
    t.record("x", {{TraceKey::from_static(kKey1), TraceKey::from_static(kVal2)}});
  }
  const std::vector<std::string> r = t.records();
  ASSERT_EQ(r.size(), 9u);
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i], R"({"seq":)" + std::to_string(i) + R"(,"kind":"x","k":"v"})");
  }
}

// A string longer than a chunk of the log (64 KiB) is kept across chunks,
// in full mode and through the ring's eviction and reuse of them.
TEST(TraceTest, StringsLongerThanAChunk) {
  Trace full, ring;
  ring.set_mode(TraceMode::kRing, 2);
  std::vector<std::string> expect;
  for (int i = 0; i < 5; ++i) {
    const std::string s(100000 + i, static_cast<char>('a' + i));
    for (Trace* t : {&full, &ring}) t->record("big", {{"s", s}, {"i", i}});
    expect.push_back(R"({"seq":)" + std::to_string(i) + R"(,"kind":"big","s":")" + s + R"(","i":)" +
                     std::to_string(i) + "}");
  }
  EXPECT_EQ(full.records(), expect);
  EXPECT_EQ(ring.records(), std::vector<std::string>(expect.end() - 2, expect.end()));
  EXPECT_EQ(ring.hash(), full.hash());
}

// A syscall's record, a 240-byte head and eight 24-byte items when every
// field had its item, is now its values and a few bytes around them.
TEST(TraceTest, ASyscallRecordKeepsAFewBytes) {
  Clock clock;
  Trace trace(&clock);
  auto syscall = [&](uint64_t i) {
    trace.record("syscall", {{"pid", 1},
                             {"call", TraceKey("pread64")},
                             {"args", {{"fd", 3},
                                       {"buf", uint64_t{0x7f0000000000} + i * 4096},
                                       {"count", uint64_t{4096}},
                                       {"pos", static_cast<int64_t>(i * 4096)}}},
                             {"ret", int64_t{4096}}});
    clock.advance(CostModel::kSyscallNs);
  };
  syscall(0);
  const uint64_t first = trace.bytes_kept();  // With the schema.
  for (uint64_t i = 1; i <= 1000; ++i) syscall(i);
  EXPECT_EQ(trace.records_kept(), 1001u);
  EXPECT_LE(trace.bytes_kept() - first, 24u * 1000);
  EXPECT_EQ(trace.records()[1000],
            R"({"seq":1000,"t":1704067200001000000,"kind":"syscall","pid":1,"call":"pread64",)"
            R"("args":{"fd":3,"buf":139637980823552,"count":4096,"pos":4096000},"ret":4096})");
}

// In steady state the ring allocates nothing: its chunks are recycled,
// every shape is in the schema table, and the scratch keeps its size.
TEST(TraceTest, TheRingAllocatesNothingInSteadyState) {
  Clock clock;
  Trace ring(&clock);
  ring.set_mode(TraceMode::kRing, 64);
  const std::string name(40, 'n');
  auto record = [&](int i) {
    ring.record("op", {{"i", i},
                       {"name", name},
                       {"call", TraceKey("pwrite")},
                       {"args", {{"fd", i % 7}, {"off", uint64_t(i) * 512}}}});
    clock.advance(1000);
  };
  for (int i = 0; i < 10000; ++i) record(i);
  const size_t before = g_allocations;
  for (int i = 10000; i < 400000; ++i) record(i);
  EXPECT_EQ(g_allocations, before);
  EXPECT_EQ(ring.records_kept(), 64u);
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
