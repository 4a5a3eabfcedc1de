#include "sim/trace.h"

#include <cstdlib>
#include <new>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"

namespace vfssim {

TraceValue TraceValue::object(absl::Span<const TraceField> fields) {
  TraceValue v;
  v.type_ = Type::kObject;
  v.ptr_ = fields.data();
  v.count_ = static_cast<uint32_t>(fields.size());
  return v;
}

TraceValue TraceValue::array(absl::Span<const TraceValue> values) {
  TraceValue v;
  v.type_ = Type::kArray;
  v.ptr_ = values.data();
  v.count_ = static_cast<uint32_t>(values.size());
  return v;
}

TraceFields::TraceFields(std::initializer_list<TraceField> init) {
  for (const TraceField& f : init) add(f.key, f.value);
}

void TraceFields::add(TraceKey key, TraceValue value) {
  if (n_ == kMax) {
    absl::FPrintF(stderr, "vfssim: a trace record has more than %d fields\n", kMax);
    std::abort();
  }
  new (buf_ + n_ * sizeof(TraceField)) TraceField(key, value);
  ++n_;
}

void Trace::set_mode(TraceMode mode, size_t ring_capacity) {
  ring_capacity = std::max<size_t>(ring_capacity, 1);
  if (mode == TraceMode::kRing) {
    // Keep the newest records that fit, oldest first, then go round.
    std::vector<Stored> old = std::move(kept_);
    kept_.clear();
    if (mode_ == TraceMode::kRing && old.size() == ring_capacity_) {
      std::rotate(old.begin(), old.begin() + static_cast<ptrdiff_t>(ring_next_), old.end());
    }
    const size_t skip = old.size() > ring_capacity ? old.size() - ring_capacity : 0;
    for (size_t i = skip; i < old.size(); ++i) kept_.push_back(std::move(old[i]));
    ring_capacity_ = ring_capacity;
    ring_next_ = kept_.size() % ring_capacity_;
  } else if (mode_ == TraceMode::kRing && kept_.size() == ring_capacity_) {
    std::rotate(kept_.begin(), kept_.begin() + static_cast<ptrdiff_t>(ring_next_), kept_.end());
  }
  if (mode == TraceMode::kHash || mode == TraceMode::kOff) {
    if (mode == TraceMode::kHash) kept_.clear();
  }
  mode_ = mode;
}

void Trace::set_enabled(bool on) {
  if (!on && mode_ != TraceMode::kOff) {
    mode_before_off_ = mode_;
    mode_ = TraceMode::kOff;
  } else if (on && mode_ == TraceMode::kOff) {
    mode_ = mode_before_off_;
  }
}

// Each field is one hash step over two words: its key's FNV-1a xor its
// type, and its value (a string's FNV-1a, precomputed for TraceKey strings).
// Objects and arrays open with a begin word and close with an end word, so
// nesting is part of the hash.
void Trace::hash_field(uint64_t key_type, const TraceValue& v) {
  switch (v.type()) {
    case TraceValue::Type::kStr:
      hash_.update2(key_type, v.str_hash());
      break;
    case TraceValue::Type::kObject:
      hash_.update2(key_type, kBeginWord);
      hash_fields(v.fields());
      hash_.update_u64(kEndWord);
      break;
    case TraceValue::Type::kArray:
      hash_.update2(key_type, kBeginWord);
      for (const TraceValue& e : v.values()) hash_field(static_cast<uint64_t>(e.type()), e);
      hash_.update_u64(kEndWord);
      break;
    case TraceValue::Type::kStrings:
      hash_.update2(key_type, kBeginWord);
      for (const std::string& s : v.strings()) {
        hash_.update2(static_cast<uint64_t>(TraceValue::Type::kStr), fnv1a64(s));
      }
      hash_.update_u64(kEndWord);
      break;
    default:
      hash_.update2(key_type, v.bits());
  }
}

void Trace::hash_fields(absl::Span<const TraceField> fields) {
  for (const TraceField& f : fields) {
    hash_field(f.key.hash() ^ static_cast<uint64_t>(f.value.type()), f.value);
  }
}

void Trace::flatten_value(Stored* out, std::string_view key, const TraceValue& v) {
  Item item{.key = key, .type = v.type()};
  switch (v.type()) {
    case TraceValue::Type::kStr:
      item.bits = out->arena.size();
      item.len = static_cast<uint32_t>(v.str().size());
      out->arena.append(v.str());
      out->items.push_back(item);
      break;
    case TraceValue::Type::kObject:
      out->items.push_back(item);
      flatten(out, v.fields());
      out->items.push_back(Item{.type = v.type(), .end = true});
      break;
    case TraceValue::Type::kArray:
      out->items.push_back(item);
      for (const TraceValue& e : v.values()) flatten_value(out, {}, e);
      out->items.push_back(Item{.type = v.type(), .end = true});
      break;
    case TraceValue::Type::kStrings:
      out->items.push_back(Item{.key = key, .type = TraceValue::Type::kArray});
      for (const std::string& s : v.strings()) flatten_value(out, {}, TraceValue(s));
      out->items.push_back(Item{.type = TraceValue::Type::kArray, .end = true});
      break;
    default:
      item.bits = v.bits();
      out->items.push_back(item);
  }
}

void Trace::flatten(Stored* out, absl::Span<const TraceField> fields) {
  for (const TraceField& f : fields) flatten_value(out, f.key.name(), f.value);
}

void Trace::record(TraceKey kind, absl::Span<const TraceField> fields) {
  if (mode_ == TraceMode::kOff) return;
  const uint64_t seq = seq_++;
  const uint64_t t = clock_ != nullptr ? clock_->now_ns() : 0;
  hash_.update2(seq, clock_ != nullptr ? t : ~uint64_t{0});
  hash_.update_u64(kind.hash());
  hash_fields(fields);
  hash_.update_u64(kEndWord);
  if (mode_ == TraceMode::kHash) return;

  Stored* s;
  if (mode_ == TraceMode::kRing && kept_.size() == ring_capacity_) {
    s = &kept_[ring_next_];
    s->items.clear();
    s->arena.clear();
  } else {
    s = &kept_.emplace_back();
  }
  if (mode_ == TraceMode::kRing) ring_next_ = (ring_next_ + 1) % ring_capacity_;
  s->seq = seq;
  s->t = clock_ != nullptr ? t : ~uint64_t{0};
  s->kind = kind.name();
  flatten(s, fields);
}

std::string Trace::render(const Stored& s) const {
  using Json = nlohmann::ordered_json;
  Json root = Json::object();
  root["seq"] = s.seq;
  if (s.t != ~uint64_t{0}) root["t"] = s.t;
  root["kind"] = s.kind;
  std::vector<Json*> stack = {&root};
  for (const Item& it : s.items) {
    if (it.end) {
      stack.pop_back();
      continue;
    }
    Json value;
    switch (it.type) {
      case TraceValue::Type::kU64:
        value = it.bits;
        break;
      case TraceValue::Type::kI64:
        value = static_cast<int64_t>(it.bits);
        break;
      case TraceValue::Type::kBool:
        value = it.bits != 0;
        break;
      case TraceValue::Type::kErrno:
        value = errno_name(static_cast<Errno>(it.bits));
        break;
      case TraceValue::Type::kStr:
        value = s.arena.substr(it.bits, it.len);
        break;
      case TraceValue::Type::kObject:
        value = Json::object();
        break;
      case TraceValue::Type::kArray:
      case TraceValue::Type::kStrings:
        value = Json::array();
        break;
    }
    Json& parent = *stack.back();
    Json* placed;
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      placed = &parent.back();
    } else {
      placed = &(parent[std::string(it.key)] = std::move(value));
    }
    if (it.type == TraceValue::Type::kObject || it.type == TraceValue::Type::kArray) {
      stack.push_back(placed);
    }
  }
  return root.dump();
}

std::vector<std::string> Trace::records() const {
  std::vector<std::string> out;
  out.reserve(kept_.size());
  const bool wrapped = mode_ == TraceMode::kRing && kept_.size() == ring_capacity_;
  const size_t start = wrapped ? ring_next_ : 0;
  for (size_t i = 0; i < kept_.size(); ++i) out.push_back(render(kept_[(start + i) % kept_.size()]));
  return out;
}

void Trace::write_jsonl(std::ostream& out) const {
  for (const std::string& line : records()) out << line << '\n';
}

}  // namespace vfssim
