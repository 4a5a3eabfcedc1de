#include "sim/trace.h"

#include <algorithm>
#include <array>
#include <bit>
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
void Trace::Log<T>::read(uint64_t pos, size_t n, T* out) const {
  while (n > 0) {
    const T* chunk = chunks_[pos / kChunk - first_chunk_].get();
    const size_t at = pos % kChunk;
    const size_t k = std::min(n, kChunk - at);
    std::memcpy(out, chunk + at, k * sizeof(T));
    out += k;
    pos += k;
    n -= k;
  }
}

template <typename T>
void Trace::Log<T>::drop_chunks() {
  // Drop the chunks wholly before begin_; the tail stays while it holds end_.
  // Only the ring drops chunks, and it holds few, so moving the rest down
  // costs little; unlike a deque's, a vector's storage is not freed and
  // allocated again as chunks come and go.
  size_t n = 0;
  while (n < chunks_.size() && (first_chunk_ + n + 1) * kChunk <= begin_) ++n;
  spare_ = std::move(chunks_[n - 1]);
  chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<ptrdiff_t>(n));
  first_chunk_ += n;
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

namespace {

// Signed values and time differences are zigzag-coded, so small negative
// numbers are short varints too.
uint64_t zigzag(uint64_t bits) {
  return (bits << 1) ^ static_cast<uint64_t>(static_cast<int64_t>(bits) >> 63);
}
uint64_t unzigzag(uint64_t z) { return (z >> 1) ^ (~(z & 1) + 1); }

// Varints are prefix varints: the trailing one bits of the first byte count
// the bytes after it, so a value of up to 7n bits takes n bytes (n <= 8),
// as in LEB128, but is written with one store and read with one load, no
// loop; a value wider than 56 bits is 0xff and its 8 bytes. Writing stores
// 8 bytes whatever the length (room: 9 bytes); reading loads 8.
static_assert(std::endian::native == std::endian::little);

// kVarintSize[bit_width(v | 1)] is the size of v's varint.
constexpr auto kVarintSize = [] {
  std::array<uint8_t, 65> size{};
  for (size_t bits = 0; bits <= 64; ++bits) {
    size[bits] = bits > 56 ? 9 : static_cast<uint8_t>((bits + 6) / 7);
  }
  return size;
}();

size_t varint_size(uint64_t v) { return kVarintSize[std::bit_width(v | 1)]; }

// write_varint writes v's varint of n = varint_size(v) bytes.
char* write_varint(char* p, uint64_t v, size_t n) {
  if (n == 1) {
    *p = static_cast<char>(v << 1);
    return p + 1;
  }
  if (n == 9) [[unlikely]] {
    *p = static_cast<char>(0xff);
    std::memcpy(p + 1, &v, sizeof v);
    return p + 9;
  }
  const uint64_t x = (v << n) | ((uint64_t{1} << (n - 1)) - 1);
  std::memcpy(p, &x, sizeof x);
  return p + n;
}

char* write_varint(char* p, uint64_t v) {
  // Most values are small: a byte, without looking up the size.
  if (v < 0x80) {
    *p = static_cast<char>(v << 1);
    return p + 1;
  }
  return write_varint(p, v, varint_size(v));
}

// Reader decodes a kept record's bytes, which have 8 readable bytes after
// them (a varint is read with an 8-byte load).
class Reader {
 public:
  explicit Reader(const char* p) : p_(p) {}
  const char* pos() const { return p_; }
  uint64_t varint() {
    uint64_t x;
    if (static_cast<uint8_t>(*p_) == 0xff) {
      std::memcpy(&x, p_ + 1, sizeof x);
      p_ += 9;
      return x;
    }
    std::memcpy(&x, p_, sizeof x);
    const int n = std::countr_one(static_cast<uint8_t>(*p_)) + 1;
    p_ += n;
    return (x >> n) & ((uint64_t{1} << (7 * n)) - 1);
  }
  uint8_t byte() { return static_cast<uint8_t>(*p_++); }
  const char* address() {
    uintptr_t a;
    std::memcpy(&a, p_, sizeof a);
    p_ += sizeof a;
    return reinterpret_cast<const char*>(a);
  }
  std::string_view bytes(size_t n) {
    const std::string_view s(p_, n);
    p_ += n;
    return s;
  }

 private:
  const char* p_;
};

// next_stamp decodes a record's seq and time differences (as keep writes
// them), moving seq and t from the record kept before it to this one.
void next_stamp(Reader& r, uint64_t& seq, uint64_t& t) {
  seq += r.varint() + 1;
  t += unzigzag(r.varint());
}

using Json = nlohmann::ordered_json;
using Type = TraceValue::Type;

// value decodes a value of `type` that is not in a schema: a scalar, a
// string that is not static, or an array's contents.
Json value(Type type, Reader& r);

// element decodes an array element: its tag, then its value.
Json element(Reader& r) {
  const uint8_t tag = r.byte();
  const auto type = static_cast<Type>(tag & 7);
  if (tag & 8) {
    const char* s = r.address();
    return std::string(s, r.varint());
  }
  if (type != Type::kObject) return value(type, r);
  Json obj = Json::object();
  for (uint64_t n = r.varint(); n > 0; --n) {
    const char* key = r.address();
    const std::string name(key, r.varint());
    obj[name] = element(r);
  }
  return obj;
}

Json value(Type type, Reader& r) {
  switch (type) {
    case Type::kU64:
      return r.varint();
    case Type::kI64:
      return static_cast<int64_t>(unzigzag(r.varint()));
    case Type::kBool:
      return r.varint() != 0;
    case Type::kErrno:
      return errno_name(static_cast<Errno>(r.varint()));
    case Type::kStr:
      return std::string(r.bytes(r.varint()));
    case Type::kArray: {
      Json arr = Json::array();
      for (uint64_t n = r.varint(); n > 0; --n) arr.push_back(element(r));
      return arr;
    }
    case Type::kStrings: {
      Json arr = Json::array();
      for (uint64_t n = r.varint(); n > 0; --n) arr.push_back(std::string(r.bytes(r.varint())));
      return arr;
    }
    case Type::kObject:
      break;  // Objects outside arrays are in the schema; in arrays, element().
  }
  std::abort();
}

// place decodes the field whose node is at *s (advancing past it and, for
// an object, its fields) into `parent`, its values from r.
void place(Json& parent, const uint64_t*& s, Reader& r) {
  const char* key = reinterpret_cast<const char*>(*s++);
  const uint64_t node = *s++;
  const std::string name(key, node & 0xffff);
  const auto type = static_cast<Type>((node >> 16) & 0xff);
  const auto count = static_cast<uint32_t>(node >> 32);
  if ((node >> 24) & 1) {
    parent[name] = std::string(reinterpret_cast<const char*>(*s++), count);
  } else if (type == Type::kObject) {
    Json& obj = parent[name] = Json::object();
    for (uint32_t i = 0; i < count; ++i) place(obj, s, r);
  } else {
    parent[name] = value(type, r);
  }
}

}  // namespace

void Trace::set_mode(TraceMode mode, size_t ring_capacity) {
  if (mode == TraceMode::kRing) {
    ring_capacity_ = std::max<size_t>(ring_capacity, 1);
    while (kept_ > ring_capacity_) evict_oldest();
  }
  if (mode == TraceMode::kHash) {
    bytes_.reset();
    kept_ = 0;
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

namespace {

// A scalar is kept as a varint, zigzag-coded if signed.
uint64_t scalar_word(TraceValue::Type type, uint64_t bits) {
  return type == TraceValue::Type::kI64 ? zigzag(bits) : bits;
}

// An array element starts with its type and whether it is a static string.
char tag(TraceValue::Type type, bool static_str) {
  return static_cast<char>(static_cast<uint8_t>(type) | (uint8_t{static_str} << 3));
}

// write_str writes a string's length and bytes (room: 9 + its length).
char* write_str(char* p, std::string_view s) {
  p = write_varint(p, s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// write_static writes a static string's address and length, in an array
// where no schema holds them (room: 17).
char* write_static(char* p, std::string_view s) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(s.data());
  std::memcpy(p, &a, sizeof a);
  return write_varint(p + sizeof a, s.size());
}

// The most a field adds to a schema walk's scratch without a string's
// bytes: three shape words (a static string's node), a scalar's varint.
constexpr size_t kFieldWords = 3;
constexpr size_t kFieldBytes = 9;

}  // namespace

void Trace::grow_values(size_t k) {
  const size_t n = static_cast<size_t>(out_ - values_.data());
  values_.resize(std::max(2 * values_.size(), n + k));
  out_ = values_.data() + n;
}

void Trace::grow_shape(size_t k) {
  const size_t n = static_cast<size_t>(shape_at_ - shape_.data());
  shape_.resize(std::max(2 * shape_.size(), n + k));
  shape_at_ = shape_.data() + n;
}

inline void Trace::reserve(size_t fields) {
  if (static_cast<size_t>(shape_.data() + shape_.size() - shape_at_) < kFieldWords * fields) {
    grow_shape(kFieldWords * fields);
  }
  room(kFieldBytes * fields);
}

// The shape's hash steps over the hash of each node's key and type, which
// the record's hash needs anyway, with an object's field count (a static
// string's hash too): one multiply per node. The hash need only spread the
// shapes over the index, since the shape itself is compared.
inline void Trace::add_node(uint64_t& shape, std::string_view key, uint64_t key_type,
                            TraceValue::Type type, uint32_t count) {
  shape_at_[0] = reinterpret_cast<uintptr_t>(key.data());
  shape_at_[1] = node_word(key, type, false, count);
  shape_at_ += 2;
  shape = (shape ^ key_type ^ (uint64_t{count} << 40)) * WordHash::kMul;
}

inline void Trace::add_static_node(uint64_t& shape, std::string_view key, uint64_t key_type,
                                   const TraceValue& v) {
  const std::string_view str = v.str();
  shape_at_[0] = reinterpret_cast<uintptr_t>(key.data());
  shape_at_[1] = node_word(key, TraceValue::Type::kStr, true, static_cast<uint32_t>(str.size()));
  shape_at_[2] = reinterpret_cast<uintptr_t>(str.data());
  shape_at_ += 3;
  shape = (shape ^ key_type ^ v.str_hash()) * WordHash::kMul;
}

// open_list keeps an array's head: its node in a schema walk, its tag in
// an array's contents; then, in both, its element count.
template <Trace::Keep kKeep>
inline void Trace::open_list(Walk<kKeep>& w, std::string_view key, uint64_t key_type,
                             TraceValue::Type type, size_t count) {
  if constexpr (kKeep != Keep::kNone) {
    if constexpr (kKeep == Keep::kSchema) add_node(w.shape, key, key_type, type, 0);
    char* p = room(10);
    if constexpr (kKeep == Keep::kInline) *p++ = tag(type, false);
    out_ = write_varint(p, count);
  }
}

// Each field is one hash step over two words: its key's FNV-1a xor its
// type, and its value (a string's FNV-1a, precomputed for TraceKey strings).
// Objects and arrays open with a begin word and close with an end word, so
// nesting is part of the hash. The same walk keeps the field as kKeep says;
// the hash is passed by value so it stays in a register.
template <Trace::Keep kKeep>
Trace::Walk<kKeep> Trace::add_value(Walk<kKeep> w, uint64_t key_type, std::string_view key,
                                    const TraceValue& v) {
  // An array's contents are in the values, whatever the walk around it.
  constexpr Keep kInner = kKeep == Keep::kNone ? Keep::kNone : Keep::kInline;
  const TraceValue::Type type = v.type();
  switch (type) {
    case TraceValue::Type::kStr:
      w.h.update2(key_type, v.str_hash());
      if constexpr (kKeep == Keep::kSchema) {
        if (v.static_str()) {
          add_static_node(w.shape, key, key_type, v);
        } else {
          add_node(w.shape, key, key_type, type, 0);
          out_ = write_str(room(9 + v.str().size()), v.str());
        }
      } else if constexpr (kKeep == Keep::kInline) {
        const std::string_view str = v.str();
        char* p = room(1 + 17 + str.size());
        *p++ = tag(type, v.static_str());
        out_ = v.static_str() ? write_static(p, str) : write_str(p, str);
      }
      break;
    case TraceValue::Type::kObject:
      w.h.update2(key_type, kBeginWord);
      if constexpr (kKeep == Keep::kSchema) {
        add_node(w.shape, key, key_type, type, static_cast<uint32_t>(v.fields().size()));
      } else if constexpr (kKeep == Keep::kInline) {
        char* p = room(10);
        *p++ = tag(type, false);
        out_ = write_varint(p, v.fields().size());
      }
      w = add_fields<kKeep>(w, v.fields());
      w.h.update_u64(kEndWord);
      break;
    case TraceValue::Type::kArray: {
      w.h.update2(key_type, kBeginWord);
      open_list<kKeep>(w, key, key_type, type, v.values().size());
      Walk<kInner> e{w.h, {}};
      for (const TraceValue& x : v.values()) {
        e = add_value<kInner>(e, static_cast<uint64_t>(x.type()), {}, x);
      }
      w.h = e.h;
      w.h.update_u64(kEndWord);
      break;
    }
    case TraceValue::Type::kStrings:
      // Hashed as an array of strings; kept as a count and the strings.
      w.h.update2(key_type, kBeginWord);
      open_list<kKeep>(w, key, key_type, type, v.strings().size());
      for (const std::string& s : v.strings()) {
        w.h.update2(static_cast<uint64_t>(TraceValue::Type::kStr), fnv1a64(s));
        if constexpr (kKeep != Keep::kNone) out_ = write_str(room(9 + s.size()), s);
      }
      w.h.update_u64(kEndWord);
      break;
    default:
      // A scalar in an array (add_fields keeps fields' scalars itself).
      w.h.update2(key_type, v.bits());
      if constexpr (kKeep != Keep::kNone) {
        char* p = room(10);
        *p++ = tag(type, false);
        out_ = write_varint(p, scalar_word(type, v.bits()));
      }
  }
  return w;
}

template <Trace::Keep kKeep>
Trace::Walk<kKeep> Trace::add_fields(Walk<kKeep> w, absl::Span<const TraceField> fields) {
  if constexpr (kKeep == Keep::kSchema) reserve(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const TraceField& f = fields[i];
    const TraceValue::Type type = f.value.type();
    const uint64_t key_type = f.key.hash() ^ static_cast<uint64_t>(type);
    // In an array no schema holds the key: it goes with the value.
    if constexpr (kKeep == Keep::kInline) out_ = write_static(room(17), f.key.name());
    if (type != TraceValue::Type::kU64 && type != TraceValue::Type::kI64 &&
        type != TraceValue::Type::kBool && type != TraceValue::Type::kErrno) {
      w = add_value<kKeep>(w, key_type, f.key.name(), f.value);
      // The value may have used the room kept for the fields after it.
      if constexpr (kKeep == Keep::kSchema) reserve(fields.size() - i - 1);
      continue;
    }
    // A scalar, the common field, without the call.
    w.h.update2(key_type, f.value.bits());
    if constexpr (kKeep == Keep::kSchema) {
      add_node(w.shape, f.key.name(), key_type, type, 0);
      out_ = write_varint(out_, scalar_word(type, f.value.bits()));
    } else if constexpr (kKeep == Keep::kInline) {
      char* p = room(10);
      *p++ = tag(type, false);
      out_ = write_varint(p, scalar_word(type, f.value.bits()));
    }
  }
  return w;
}

uint32_t Trace::schema_id(uint64_t shape_hash, size_t n) {
  // Shapes of the same hash sit in successive slots; the shape itself
  // tells them apart.
  const size_t mask = schema_slots_.size() - 1;
  for (size_t i = (shape_hash ^ (shape_hash >> 32)) & mask;; i = (i + 1) & mask) {
    if (schema_slots_[i] == 0) return add_schema(shape_hash, n, i);
    const uint32_t id = schema_slots_[i] - 1;
    const Schema& s = schemas_[id];
    const uint64_t* const words = schema_words_.data() + s.first;
    if (s.hash == shape_hash && s.size == n && std::equal(words, words + n, shape_.data())) {
      return id;
    }
  }
}

uint32_t Trace::add_schema(uint64_t shape_hash, size_t n, size_t slot) {
  const auto id = static_cast<uint32_t>(schemas_.size());
  schemas_.push_back(Schema{.hash = shape_hash, .first = schema_words_.size(), .size = n});
  schema_words_.insert(schema_words_.end(), shape_.begin(),
                       shape_.begin() + static_cast<ptrdiff_t>(n));
  schema_slots_[slot] = id + 1;
  // Half full, the index doubles.
  if (2 * schemas_.size() > schema_slots_.size()) {
    std::vector<uint32_t> slots(2 * schema_slots_.size());
    const size_t mask = slots.size() - 1;
    for (uint32_t j = 0; j < schemas_.size(); ++j) {
      const uint64_t hash = schemas_[j].hash;
      size_t i = (hash ^ (hash >> 32)) & mask;
      while (slots[i] != 0) i = (i + 1) & mask;
      slots[i] = j + 1;
    }
    schema_slots_ = std::move(slots);
  }
  return id;
}

WordHash Trace::keep(WordHash h, uint64_t seq, uint64_t t, TraceKey kind,
                     absl::Span<const TraceField> fields) {
  if (mode_ == TraceMode::kRing && kept_ == ring_capacity_) evict_oldest();
  // The shape opens with the kind (shape_ always has room for it).
  shape_[0] = reinterpret_cast<uintptr_t>(kind.name().data());
  shape_[1] = kind.name().size();
  shape_at_ = shape_.data() + 2;
  out_ = values_.data() + kHead;
  Walk<Keep::kSchema> w{h, kind.hash()};
  w = add_fields<Keep::kSchema>(w, fields);
  const uint32_t id = schema_id(w.shape, static_cast<size_t>(shape_at_ - shape_.data()));
  // The head goes in the room before the values: the body's length, then
  // the body (seq and time differences, schema id, values). Its last
  // varint's 8-byte store runs into the values, so their first 8 bytes are
  // put back after it.
  const uint64_t dseq = seq - last_.seq - 1;
  const uint64_t dt = zigzag(t - last_.t);
  const size_t n_dseq = varint_size(dseq), n_dt = varint_size(dt), n_id = varint_size(id);
  char* const values = values_.data() + kHead;
  const size_t body = n_dseq + n_dt + n_id + static_cast<size_t>(out_ - values);
  const size_t n_body = varint_size(body);
  char* const head = values - n_body - n_dseq - n_dt - n_id;
  uint64_t first_values;
  std::memcpy(&first_values, values, sizeof first_values);
  char* p = write_varint(head, body, n_body);
  p = write_varint(p, dseq, n_dseq);
  p = write_varint(p, dt, n_dt);
  write_varint(p, id, n_id);
  std::memcpy(values, &first_values, sizeof first_values);
  bytes_.append(head, static_cast<size_t>(out_ - head));
  if (kept_ == 0) before_ = last_;
  last_ = Stamp{.seq = seq, .t = t};
  ++kept_;
  return w.h;
}

void Trace::evict_oldest() {
  // The body's length, seq and time differences: at most 27 bytes, the
  // last one's 8-byte load within them; 40 leaves room to spare.
  char buf[40];
  const char* const head = bytes_.peek(bytes_.begin(), sizeof buf, buf);
  Reader r(head);
  const uint64_t body = r.varint();
  const auto body_start = static_cast<uint64_t>(r.pos() - head);
  next_stamp(r, before_.seq, before_.t);
  bytes_.drop_to(bytes_.begin() + body_start + body);
  --kept_;
}

void Trace::record_event(TraceKey kind, absl::Span<const TraceField> fields) {
  const uint64_t seq = seq_++;
  const uint64_t t = clock_ != nullptr ? clock_->now_ns() : ~uint64_t{0};
  WordHash h = hash_;
  h.update2(seq, t);
  h.update_u64(kind.hash());
  if (mode_ == TraceMode::kHash) {
    h = add_fields<Keep::kNone>({h, {}}, fields).h;
  } else {
    h = keep(h, seq, t, kind, fields);
  }
  h.update_u64(kEndWord);
  hash_ = h;
}

std::vector<std::string> Trace::records() const {
  std::vector<std::string> out;
  out.reserve(kept_);
  std::string body;
  uint64_t pos = bytes_.begin();
  Stamp at = before_;
  for (uint64_t i = 0; i < kept_; ++i) {
    char buf[17];
    const char* const head = bytes_.peek(pos, sizeof buf, buf);
    Reader len(head);
    const uint64_t n = len.varint();
    pos += static_cast<uint64_t>(len.pos() - head);
    body.assign(n + 8, '\0');
    bytes_.read(pos, n, body.data());
    pos += n;
    Reader r(body.data());
    next_stamp(r, at.seq, at.t);
    const Schema& schema = schemas_[r.varint()];
    const uint64_t* s = schema_words_.data() + schema.first;
    const uint64_t* const end = s + schema.size;
    Json root = Json::object();
    root["seq"] = at.seq;
    if (at.t != ~uint64_t{0}) root["t"] = at.t;
    root["kind"] = std::string_view(reinterpret_cast<const char*>(s[0]), s[1]);
    for (s += 2; s < end;) place(root, s, r);
    out.push_back(root.dump());
  }
  return out;
}

void Trace::write_jsonl(std::ostream& out) const {
  for (const std::string& line : records()) out << line << '\n';
}

}  // namespace vfssim
