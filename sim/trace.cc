#include "sim/trace.h"

#include <utility>

namespace vfssim {

void Trace::record(std::string_view kind, Fields fields) {
  if (!enabled_) return;
  Fields event = Fields::object();
  event["seq"] = seq_++;
  if (clock_ != nullptr) event["t"] = clock_->now_ns();
  event["kind"] = kind;
  if (fields.is_object()) {
    for (auto& [key, value] : fields.items()) event[key] = std::move(value);
  } else if (!fields.is_null()) {
    event["value"] = std::move(fields);
  }
  std::string line = event.dump();
  hash_.update(line);
  hash_.update("\n");
  if (keep_records_) records_.push_back(std::move(line));
}

void Trace::write_jsonl(std::ostream& out) const {
  for (const std::string& line : records_) out << line << '\n';
}

}  // namespace vfssim
