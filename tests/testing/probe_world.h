// ProbeWorld: one probe case's simulated machine, for the tests that
// re-enact a host probe (tests/probes/*_probe.c) and compare the fields it
// recorded. A fresh filesystem for a fixture column is mounted at "/"; the
// case records "ret", "errno" and "pos" the way the probes print them, plus
// its own extras, into `rec`.
//
//   ProbeWorld w("xfs");
//   w.result(w.p.pread(w.fd, w.B, 10, -1), w.fd);
//   EXPECT_EQ(w.rec["errno"], "EINVAL");

#ifndef VFSSIM_TESTS_TESTING_PROBE_WORLD_H_
#define VFSSIM_TESTS_TESTING_PROBE_WORLD_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "drivers/blockdev.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {

class ProbeWorld {
 public:
  explicit ProbeWorld(const std::string& fs) : fs_(fs) {
    EXPECT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
  }

  // result records a call's outcome as the probes print it: ret (-1 on
  // error), errno's name, and pos = lseek(on_fd, 0, SEEK_CUR) or -1.
  template <typename T>
  void result(const Result<T>& r, int on_fd) {
    rec["ret"] = r ? static_cast<int64_t>(*r) : -1;
    rec["errno"] = r ? "" : std::string(errno_name(r.error()));
    pos_of(on_fd);
  }
  void result(Errno e, int on_fd) {
    rec["ret"] = e == Errno::kOk ? 0 : -1;
    rec["errno"] = e == Errno::kOk ? "" : std::string(errno_name(e));
    pos_of(on_fd);
  }

  // map_user maps n bytes of anonymous user memory filled with `fill`.
  uint64_t map_user(uint64_t n, std::byte fill) {
    const uint64_t a = *p.mmap(0, n, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    EXPECT_FALSE(p.store(a, std::vector<std::byte>(n, fill)));
    return a;
  }
  std::vector<std::byte> user(uint64_t addr, uint64_t n) {
    std::vector<std::byte> b(n);
    EXPECT_EQ(p.mm().copy_in(addr, b, /*may_fault=*/true), n);
    return b;
  }
  // store_iov writes an iovec array into user memory at addr.
  void store_iov(uint64_t addr, std::vector<UserIovec> iov) {
    EXPECT_FALSE(p.store(addr, std::as_bytes(std::span(iov))));
  }
  // read_file reads n bytes at off through `on_fd` (host staging helper).
  std::vector<std::byte> read_file(int on_fd, uint64_t off, uint64_t n) {
    std::vector<std::byte> b(n);
    Result<uint64_t> r = host::pread(p, on_fd, b, static_cast<off_t64>(off));
    b.resize(r ? *r : 0);
    return b;
  }
  uint64_t size_of(int on_fd) {
    Result<Stat> st = p.fstat(on_fd);
    return st ? st->size : 0;
  }

  const std::string& fs() const { return fs_; }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{.capacity_bytes = 512ull << 20}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  nlohmann::json rec = nlohmann::json::object();

 private:
  void pos_of(int on_fd) {
    Result<off_t64> pos = p.lseek(on_fd, 0, kSEEK_CUR);
    rec["pos"] = pos ? *pos : -1;
  }
  std::string fs_;
};

// compare_fixture_row checks every field of `want` (but "fs" and `skip`ped
// ones) against what the case recorded.
inline void compare_fixture_row(const nlohmann::json& want, const nlohmann::json& got,
                                const std::string& fs,
                                const std::vector<std::string>& skip = {}) {
  const std::string name = want["case"];
  for (const auto& [key, value] : want.items()) {
    if (key == "fs" || key == "case" ||
        std::find(skip.begin(), skip.end(), key) != skip.end()) {
      continue;
    }
    if (!got.contains(key)) {
      ADD_FAILURE() << fs << " " << name << ": the case does not record " << key;
      continue;
    }
    if (got[key] != value) {
      ADD_FAILURE() << fs << " " << name << " " << key << ": simulator " << got[key].dump()
                    << ", host " << value.dump();
    }
  }
}

// FixtureRun is how the re-enactment of one fixture column went.
struct FixtureRun {
  int ran = 0;      // Rows run and compared.
  int fields = 0;   // Fields compared.
  int skipped = 0;  // Rows and fields left out as known differences.
  std::set<std::string> names;  // Every case the fixture has.
};

// FixtureSkips names the known differences of a column: rows not run at all
// (row) and fields of a run row not compared (field). Empty: none.
struct FixtureSkips {
  std::function<bool(const std::string& name)> row;
  std::function<bool(const std::string& name, const std::string& key)> field;
};

// run_fixture re-enacts every row of tests/probes/fixtures/`file` for column
// `fs`: play(name, &got) runs the case named `name` and fills `got` with
// what it recorded (false: the simulator has no such case, a failure). Every
// field the host recorded is compared, but the known differences; with
// `exact`, a field the case records and the host did not is a failure too.
// The fixture must come from a 6.18 kernel.
inline FixtureRun run_fixture(const std::string& file, const std::string& fs,
                              const std::function<bool(const std::string&, nlohmann::json*)>& play,
                              const FixtureSkips& skips = {}, bool exact = false) {
  FixtureRun run;
  const HostFixture fx = load_host_fixture(file, fs);
  EXPECT_FALSE(fx.rows.empty()) << file << ": fixture missing";
  EXPECT_EQ(fx.kernel.rfind("6.18", 0), 0u) << fx.kernel;
  for (const nlohmann::json& want : fx.rows) {
    const std::string name = want["case"];
    run.names.insert(name);
    if (skips.row && skips.row(name)) {
      ++run.skipped;
      continue;
    }
    nlohmann::json got = nlohmann::json::object();
    if (!play(name, &got)) {
      ADD_FAILURE() << "no simulator case for " << name;
      continue;
    }
    ++run.ran;
    std::vector<std::string> left_out;
    for (const auto& [key, value] : want.items()) {
      if (key == "fs" || key == "case") continue;
      if (skips.field && skips.field(name, key)) {
        left_out.push_back(key);
        ++run.skipped;
      } else {
        ++run.fields;
      }
    }
    compare_fixture_row(want, got, fs, left_out);
    if (exact) {
      for (const auto& [key, value] : got.items()) {
        if (!want.contains(key)) ADD_FAILURE() << fs << " " << name << ": extra field " << key;
      }
    }
  }
  std::cout << file << " " << fs << ": " << run.ran << " cases, " << run.fields
            << " fields compared, " << run.skipped << " skipped as known differences\n";
  return run;
}

// play_cases adapts a map from case names to functions of a World made for
// the column, as most fixture tests keep their cases.
template <typename World>
std::function<bool(const std::string&, nlohmann::json*)> play_cases(
    const std::map<std::string, std::function<void(World&)>>& cases, const std::string& fs) {
  return [&cases, fs](const std::string& name, nlohmann::json* got) {
    auto it = cases.find(name);
    if (it == cases.end()) return false;
    World w(fs);
    it->second(w);
    *got = w.rec;
    return true;
  };
}

}  // namespace vfssim

#endif  // VFSSIM_TESTS_TESTING_PROBE_WORLD_H_
