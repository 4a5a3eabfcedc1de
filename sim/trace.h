// Trace: the structured event log of one simulation.
//
// Every device command, every fault fired and (from the VFS up) every syscall
// is recorded as one JSON object, serialised as a JSON Lines record. The
// records carry a sequence number and the simulated time, never host state, so
// the same seed and inputs give the same bytes, and the same hash(), on every
// run and machine. Failure reports quote the hash and replay the records.
//
//   trace.record("blockdev", {{"dev", "sda"}, {"op", "write"}, {"sector", 8}});
//   std::cout << trace.hash();

#ifndef VFSSIM_SIM_TRACE_H_
#define VFSSIM_SIM_TRACE_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/clock.h"
#include "sim/hash.h"

namespace vfssim {

class Trace {
 public:
  // Fields keep their insertion order in the record, for readability.
  using Fields = nlohmann::ordered_json;

  // A trace stamps records with `clock`'s time; with no clock, t is omitted.
  // keep_records=false keeps only the count and hash (long campaigns).
  explicit Trace(const Clock* clock = nullptr, bool keep_records = true)
      : clock_(clock), keep_records_(keep_records) {}

  // record appends one event of `kind` with `fields` (a JSON object; other
  // JSON values are stored under "value").
  void record(std::string_view kind, Fields fields = Fields::object());

  // set_enabled(false) turns recording off (benchmarks, long campaigns that
  // replay from their op lists): record() does nothing, and callers that
  // test enabled() skip building the fields. Determinism is unaffected —
  // an untraced run records nothing rather than something different.
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }

  // size is the number of events recorded so far.
  uint64_t size() const { return seq_; }

  // hash is the FNV-1a hash of every record line, newline-terminated, in
  // order: equal traces have equal hashes.
  uint64_t hash() const { return hash_.digest(); }

  // records returns the serialised lines (empty if keep_records was false).
  const std::vector<std::string>& records() const { return records_; }

  // write_jsonl writes every kept record, one per line.
  void write_jsonl(std::ostream& out) const;

 private:
  const Clock* clock_;
  bool keep_records_;
  bool enabled_ = true;
  uint64_t seq_ = 0;
  Fnv1a hash_;
  std::vector<std::string> records_;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_TRACE_H_
