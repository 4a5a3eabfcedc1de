#include "sim/trace.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
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

template <typename T>
void Trace::Log<T>::add_chunk() {
  if (chunks_.empty()) first_chunk_ = end_ / kChunk;
  chunks_.push_back(spare_ ? std::move(spare_) : std::make_unique_for_overwrite<T[]>(kChunk));
  tail_ = chunks_.back().get();
}

template <typename T>
void Trace::Log<T>::append(const T* p, size_t n) {
  while (n > 0) {
    if (end_ % kChunk == 0) add_chunk();
    const size_t at = end_ % kChunk;
    const size_t k = std::min(n, kChunk - at);
    std::memcpy(tail_ + at, p, k * sizeof(T));
    end_ += k;
    p += k;
    n -= k;
  }
}

template <typename T>
template <typename Out>
void Trace::Log<T>::copy_out(uint64_t pos, size_t n, Out* out) const {
  while (n > 0) {
    const T* chunk = chunks_[pos / kChunk - first_chunk_].get();
    const size_t at = pos % kChunk;
    const size_t k = std::min(n, kChunk - at);
    out->insert(out->end(), chunk + at, chunk + at + k);
    pos += k;
    n -= k;
  }
}

template <typename T>
void Trace::Log<T>::drop_to(uint64_t pos) {
  begin_ = pos;
  // Drop the chunks wholly before pos; the tail stays while it holds end_.
  while (!chunks_.empty() && (first_chunk_ + 1) * kChunk <= begin_) {
    spare_ = std::move(chunks_.front());
    chunks_.pop_front();
    ++first_chunk_;
  }
}

template <typename T>
void Trace::Log<T>::reset() {
  chunks_.clear();
  spare_.reset();
  tail_ = nullptr;
  // Start the next position on a fresh chunk.
  end_ = (end_ + kChunk - 1) / kChunk * kChunk;
  begin_ = end_;
}

void Trace::set_mode(TraceMode mode, size_t ring_capacity) {
  if (mode == TraceMode::kRing) {
    ring_capacity_ = std::max<size_t>(ring_capacity, 1);
    while (records_.size() > ring_capacity_) evict_oldest();
  }
  if (mode == TraceMode::kHash) {
    records_.reset();
    items_.reset();
    bytes_.reset();
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
// nesting is part of the hash. With kKeep the same walk also appends the
// field's items; the hash is passed by value so it stays in a register.
template <bool kKeep>
WordHash Trace::add_value(WordHash h, uint64_t key_type, std::string_view key,
                          const TraceValue& v) {
  Item item{.key = key.data(), .bits = v.bits(), .len = 0,
            .key_len = static_cast<uint16_t>(key.size()), .type = v.type(), .static_str = false};
  switch (v.type()) {
    case TraceValue::Type::kStr:
      h.update2(key_type, v.str_hash());
      if constexpr (kKeep) {
        const std::string_view str = v.str();
        item.len = static_cast<uint32_t>(str.size());
        if (v.static_str()) {
          item.bits = reinterpret_cast<uintptr_t>(str.data());
          item.static_str = true;
        } else {
          item.bits = bytes_.end();
          bytes_.append(str.data(), str.size());
        }
        items_.push_back(item);
      }
      break;
    case TraceValue::Type::kObject:
      h.update2(key_type, kBeginWord);
      if constexpr (kKeep) {
        item.len = static_cast<uint32_t>(v.fields().size());
        items_.push_back(item);
      }
      h = add_fields<kKeep>(h, v.fields());
      h.update_u64(kEndWord);
      break;
    case TraceValue::Type::kArray:
      h.update2(key_type, kBeginWord);
      if constexpr (kKeep) {
        item.len = static_cast<uint32_t>(v.values().size());
        items_.push_back(item);
      }
      for (const TraceValue& e : v.values()) {
        h = add_value<kKeep>(h, static_cast<uint64_t>(e.type()), {}, e);
      }
      h.update_u64(kEndWord);
      break;
    case TraceValue::Type::kStrings:
      // Hashed and kept as an array of strings.
      h.update2(key_type, kBeginWord);
      if constexpr (kKeep) {
        item.type = TraceValue::Type::kArray;
        item.len = static_cast<uint32_t>(v.strings().size());
        items_.push_back(item);
      }
      for (const std::string& s : v.strings()) {
        h = add_value<kKeep>(h, static_cast<uint64_t>(TraceValue::Type::kStr), {}, TraceValue(s));
      }
      h.update_u64(kEndWord);
      break;
    default:
      h.update2(key_type, v.bits());
      if constexpr (kKeep) items_.push_back(item);
  }
  return h;
}

template <bool kKeep>
WordHash Trace::add_fields(WordHash h, absl::Span<const TraceField> fields) {
  for (const TraceField& f : fields) {
    const TraceValue::Type type = f.value.type();
    const uint64_t key_type = f.key.hash() ^ static_cast<uint64_t>(type);
    if (type != TraceValue::Type::kU64 && type != TraceValue::Type::kI64 &&
        type != TraceValue::Type::kBool && type != TraceValue::Type::kErrno) {
      h = add_value<kKeep>(h, key_type, f.key.name(), f.value);
      continue;
    }
    // A scalar, the common field, without the call.
    h.update2(key_type, f.value.bits());
    if constexpr (kKeep) {
      items_.push_back(Item{.key = f.key.name().data(), .bits = f.value.bits(), .len = 0,
                            .key_len = static_cast<uint16_t>(f.key.name().size()), .type = type,
                            .static_str = false});
    }
  }
  return h;
}

void Trace::evict_oldest() {
  records_.drop_to(records_.begin() + 1);
  if (records_.size() == 0) {
    items_.drop_to(items_.end());
    bytes_.drop_to(bytes_.end());
  } else {
    const Record& oldest = records_[records_.begin()];
    items_.drop_to(oldest.first_item);
    bytes_.drop_to(oldest.first_byte);
  }
}

void Trace::record(TraceKey kind, absl::Span<const TraceField> fields) {
  if (mode_ == TraceMode::kOff) return;
  const uint64_t seq = seq_++;
  const uint64_t t = clock_ != nullptr ? clock_->now_ns() : ~uint64_t{0};
  WordHash h = hash_;
  h.update2(seq, t);
  h.update_u64(kind.hash());
  if (mode_ == TraceMode::kHash) {
    h = add_fields<false>(h, fields);
  } else {
    if (mode_ == TraceMode::kRing && records_.size() == ring_capacity_) evict_oldest();
    records_.push_back(Record{.seq = seq,
                              .t = t,
                              .kind = kind.name().data(),
                              .kind_len = kind.name().size(),
                              .first_item = items_.end(),
                              .first_byte = bytes_.end()});
    h = add_fields<true>(h, fields);
  }
  h.update_u64(kEndWord);
  hash_ = h;
}

std::string Trace::render(uint64_t pos) const {
  using Json = nlohmann::ordered_json;
  const Record& r = records_[pos];
  const uint64_t end = pos + 1 < records_.end() ? records_[pos + 1].first_item : items_.end();
  Json root = Json::object();
  root["seq"] = r.seq;
  if (r.t != ~uint64_t{0}) root["t"] = r.t;
  root["kind"] = std::string_view(r.kind, r.kind_len);
  // The open objects and arrays, innermost last, with how many children
  // each still has to come.
  struct Open {
    Json* json;
    uint32_t left;
  };
  std::vector<Open> open;
  for (uint64_t i = r.first_item; i < end; ++i) {
    const Item& it = items_[i];
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
        if (it.static_str) {
          value = std::string(reinterpret_cast<const char*>(it.bits), it.len);
        } else {
          std::string str;
          str.reserve(it.len);
          bytes_.copy_out(it.bits, it.len, &str);
          value = std::move(str);
        }
        break;
      case TraceValue::Type::kObject:
        value = Json::object();
        break;
      case TraceValue::Type::kArray:
      case TraceValue::Type::kStrings:
        value = Json::array();
        break;
    }
    Json& parent = open.empty() ? root : *open.back().json;
    if (!open.empty()) --open.back().left;
    Json* placed;
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      placed = &parent.back();
    } else {
      placed = &(parent[std::string(it.key, it.key_len)] = std::move(value));
    }
    if (it.type == TraceValue::Type::kObject || it.type == TraceValue::Type::kArray) {
      open.push_back(Open{placed, it.len});
    }
    while (!open.empty() && open.back().left == 0) open.pop_back();
  }
  return root.dump();
}

std::vector<std::string> Trace::records() const {
  std::vector<std::string> out;
  out.reserve(records_.size());
  for (uint64_t pos = records_.begin(); pos < records_.end(); ++pos) out.push_back(render(pos));
  return out;
}

void Trace::write_jsonl(std::ostream& out) const {
  for (const std::string& line : records()) out << line << '\n';
}

}  // namespace vfssim
