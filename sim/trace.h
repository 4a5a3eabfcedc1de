// Trace: the event log of one simulation, kept as compact binary records.
//
// Every device command, fault decision, swap and syscall is one record: a
// kind, a sequence number, the simulated time, and typed fields (integers,
// errnos, booleans, strings, nested objects and arrays). As in Linux's
// tracepoints, a record is stored as fixed binary fields and formatted only
// when someone reads it: records() and write_jsonl() render JSON Lines, and
// nothing builds JSON while the simulation runs. Each record is hashed as it
// is made (hash() is over the binary fields, never the JSON), so the same
// seed and inputs give the same hash in every mode, on every run and machine.
//
// Modes: off (nothing recorded, not even counted), hash (count and hash
// only: long campaigns), ring (the last N records kept, plus count and
// hash: a failure shows what led to it), full (every record).
//
// A kept record is a few bytes in a log of fixed-size chunks: its length,
// its seq and time as differences from the record kept before it, a schema
// id, and its values only (varints; the bytes of strings that are not
// TraceKeys). The schema is the record's shape: its kind and, per field,
// the key, the type, an object's field count, a TraceKey string's value.
// Like the format a tracepoint describes once in tracefs while its ring
// buffer holds only the entries' fields, a shape is stored once, in the
// schema table, and found again by a hash of it computed in the walk that
// hashes the record. Arrays vary in length, so they are not in a schema:
// their contents are in the values, each element with its type (and an
// object element with its keys). Keys and TraceKey strings are static,
// kept by address, never copied. Recording allocates nothing per event
// (a chunk now and then, a schema the first time a shape is seen, the
// scratch buffers when a record is larger than any before); the ring
// reuses its chunks, so in steady state it allocates nothing at all.
//
//   trace.record("blockdev", {{"dev", "sda"}, {"op", "write"}, {"sector", 8}});
//   std::cout << absl::StrFormat("%016x", trace.hash());
//
// Field names and kinds are TraceKeys: string literals whose hash is computed
// at compile time, so recording costs no string hashing for them.

#ifndef VFSSIM_SIM_TRACE_H_
#define VFSSIM_SIM_TRACE_H_

#include <algorithm>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/types/span.h"
#include "sim/clock.h"
#include "sim/errno.h"
#include "sim/hash.h"

namespace vfssim {

// TraceKey names a record kind or field: a string with static storage and its
// FNV-1a hash. Built from a literal at compile time; from_static() for names
// that live in static tables (syscall names). A name is at most kMaxName
// bytes, so a kept record stores its length in two bytes.
class TraceKey {
 public:
  static constexpr size_t kMaxName = 0xffff;

  template <size_t N>
  consteval TraceKey(const char (&s)[N])  // NOLINT: literals convert implicitly.
      : name_(s), hash_(fnv1a64(std::string_view(s, N - 1))) {
    static_assert(N - 1 <= kMaxName, "a trace key is at most kMaxName bytes");
  }

  // from_static names a string that outlives every trace (a literal or a
  // static table's entry); longer than kMaxName aborts.
  static constexpr TraceKey from_static(std::string_view s) {
    if (s.size() > kMaxName) std::abort();
    return TraceKey(s);
  }

  constexpr std::string_view name() const { return name_; }
  constexpr uint64_t hash() const { return hash_; }

 private:
  constexpr explicit TraceKey(std::string_view s) : name_(s), hash_(fnv1a64(s)) {}
  std::string_view name_;
  uint64_t hash_;
};

struct TraceField;

// TraceValue is one field's value, borrowed for the duration of record():
// 24 bytes, so building a record costs a few register moves.
class TraceValue {
 public:
  enum class Type : uint8_t { kU64, kI64, kBool, kStr, kErrno, kObject, kArray, kStrings };

  template <std::integral T>
    requires(!std::same_as<T, bool>)
  TraceValue(T v)  // NOLINT: values convert implicitly, as in JSON.
      : type_(std::is_signed_v<T> ? Type::kI64 : Type::kU64), bits_(static_cast<uint64_t>(v)) {}
  TraceValue(bool v) : type_(Type::kBool), bits_(v) {}  // NOLINT
  TraceValue(Errno e) : type_(Type::kErrno), bits_(static_cast<uint64_t>(e)) {}  // NOLINT
  TraceValue(const char* s) : TraceValue(std::string_view(s)) {}  // NOLINT
  TraceValue(std::string_view s)  // NOLINT
      : type_(Type::kStr), count_(static_cast<uint32_t>(s.size())), ptr_(s.data()) {}
  TraceValue(const std::string& s) : TraceValue(std::string_view(s)) {}  // NOLINT
  // A static name as a string value, its hash already known.
  TraceValue(TraceKey k)  // NOLINT
      : type_(Type::kStr), hashed_(true), count_(static_cast<uint32_t>(k.name().size())),
        bits_(k.hash()), ptr_(k.name().data()) {}
  // A nested object.
  TraceValue(std::initializer_list<TraceField> fields);  // NOLINT
  static TraceValue object(absl::Span<const TraceField> fields);
  // An array of values.
  static TraceValue array(absl::Span<const TraceValue> values);
  // An array of strings.
  TraceValue(const std::vector<std::string>& strings)  // NOLINT
      : type_(Type::kStrings), ptr_(&strings) {}

  Type type() const { return type_; }
  uint64_t bits() const { return bits_; }
  std::string_view str() const { return {static_cast<const char*>(ptr_), count_}; }
  uint64_t str_hash() const { return hashed_ ? bits_ : fnv1a64(str()); }
  // static_str: the string is a TraceKey's, so it outlives the trace and
  // is kept by address, not copied.
  bool static_str() const { return hashed_; }
  absl::Span<const TraceField> fields() const;
  absl::Span<const TraceValue> values() const {
    return absl::MakeConstSpan(static_cast<const TraceValue*>(ptr_), count_);
  }
  const std::vector<std::string>& strings() const {
    return *static_cast<const std::vector<std::string>*>(ptr_);
  }

 private:
  TraceValue() = default;
  Type type_ = Type::kU64;
  bool hashed_ = false;
  uint32_t count_ = 0;      // String length, or number of fields or values.
  uint64_t bits_ = 0;       // Scalar value, or a TraceKey string's hash.
  const void* ptr_ = nullptr;  // String bytes, fields, values or strings.
};

struct TraceField {
  TraceField(TraceKey k, TraceValue v) : key(k), value(v) {}
  TraceKey key;
  TraceValue value;
};

// The list lives until the end of the full expression that records it, which
// is all a TraceValue is used for.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
inline TraceValue::TraceValue(std::initializer_list<TraceField> fields)
    : type_(Type::kObject), count_(static_cast<uint32_t>(fields.size())), ptr_(fields.begin()) {}
#pragma GCC diagnostic pop

inline absl::Span<const TraceField> TraceValue::fields() const {
  return absl::MakeConstSpan(static_cast<const TraceField*>(ptr_), count_);
}

// TraceFields collects the fields of a record whose shape depends on the
// call (optional fields); at most kMax, checked.
class TraceFields {
 public:
  static constexpr size_t kMax = 16;
  TraceFields(std::initializer_list<TraceField> init);
  void add(TraceKey key, TraceValue value);
  absl::Span<const TraceField> span() const { return {reinterpret_cast<const TraceField*>(buf_), n_}; }
  operator absl::Span<const TraceField>() const { return span(); }  // NOLINT

 private:
  alignas(TraceField) unsigned char buf_[kMax * sizeof(TraceField)];
  size_t n_ = 0;
};

enum class TraceMode : uint8_t { kOff, kHash, kRing, kFull };

class Trace {
 public:
  // A trace stamps records with `clock`'s time; with no clock, t is omitted.
  // keep_records=false is hash mode (count and hash only).
  explicit Trace(const Clock* clock = nullptr, bool keep_records = true)
      : clock_(clock), mode_(keep_records ? TraceMode::kFull : TraceMode::kHash) {}

  // record appends one event of `kind` with `fields`. Off mode costs only
  // the test here, no call.
  void record(TraceKey kind, absl::Span<const TraceField> fields = {}) {
    if (mode_ != TraceMode::kOff) record_event(kind, fields);
  }
  void record(TraceKey kind, std::initializer_list<TraceField> fields) {
    record(kind, absl::Span<const TraceField>(fields.begin(), fields.size()));
  }
  // record(kind, value) stores a single value under "value".
  void record_value(TraceKey kind, TraceValue value) { record(kind, {{"value", value}}); }

  // set_mode switches modes; records already kept stay (ring: the last N of
  // them). ring_capacity is the N of ring mode (default 256, at least 1).
  void set_mode(TraceMode mode, size_t ring_capacity = 256);
  TraceMode mode() const { return mode_; }
  // set_enabled(false) is mode off; set_enabled(true) returns to the mode
  // before. Callers that test enabled() skip gathering fields when off.
  void set_enabled(bool on);
  bool enabled() const { return mode_ != TraceMode::kOff; }

  // size is the number of events recorded so far (in every mode but off).
  uint64_t size() const { return seq_; }

  // hash is the incremental hash of every record's binary fields, in order:
  // equal traces have equal hashes, whatever the mode they were kept in.
  uint64_t hash() const { return hash_.digest(); }

  // records renders the kept records as JSON lines, oldest first (full:
  // all; ring: the last N; hash and off: none).
  std::vector<std::string> records() const;

  // write_jsonl writes every kept record, one per line.
  void write_jsonl(std::ostream& out) const;

  // records_kept is how many records records() would render.
  uint64_t records_kept() const { return kept_; }
  // bytes_kept is what keeping them costs: their encodings plus the schema
  // table (which keeps every shape seen, kept records or not).
  uint64_t bytes_kept() const {
    return bytes_.size() + schema_words_.size() * sizeof(uint64_t) +
           schemas_.size() * sizeof(Schema) + schema_slots_.size() * sizeof(uint32_t);
  }

 private:
  // Log is a sequence of POD T addressed by absolute position (0, 1, 2, ...
  // since the trace began keeping), kept in fixed-size chunks: appending
  // never moves what is already kept (full mode's cost is one chunk per
  // kChunk elements, no copying), and ring mode recycles the chunk it drops
  // for the next one it needs, so in steady state it never allocates.
  template <typename T>
  class Log {
   public:
    // Elements per chunk: a power of two, about 64 KiB of them.
    static constexpr size_t kChunk = std::bit_floor(size_t{65536} / sizeof(T));

    uint64_t begin() const { return begin_; }
    uint64_t end() const { return end_; }
    uint64_t size() const { return end_ - begin_; }

    // append pushes the n elements at p.
    void append(const T* p, size_t n);
    // read copies the n elements from `pos` to out.
    void read(uint64_t pos, size_t n, T* out) const;
    // peek returns the n elements from `pos`: in place if one chunk holds
    // them all, else copied to buf (zeros past end()).
    const T* peek(uint64_t pos, size_t n, T* buf) const {
      const size_t at = pos % kChunk;
      if (at + n <= kChunk && pos + n <= end_) {
        return chunks_[pos / kChunk - first_chunk_].get() + at;
      }
      const auto k = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos));
      read(pos, k, buf);
      std::fill(buf + k, buf + n, T{});
      return buf;
    }
    // drop_to forgets every position before `pos` (begin() <= pos <= end()).
    void drop_to(uint64_t pos) {
      begin_ = pos;
      if (!chunks_.empty() && (first_chunk_ + 1) * kChunk <= begin_) drop_chunks();
    }
    // reset forgets everything and frees the chunks; positions go on.
    void reset();

   private:
    // add_chunk makes the chunk that holds position end_ the tail.
    void add_chunk();
    // drop_chunks drops the chunks wholly before begin_.
    void drop_chunks();

    std::vector<std::unique_ptr<T[]>> chunks_;  // Chunk i holds first_chunk_ + i.
    std::unique_ptr<T[]> spare_;                // A dropped chunk, for reuse.
    uint64_t first_chunk_ = 0;
    T* tail_ = nullptr;                         // The chunk holding end_, if any.
    uint64_t begin_ = 0;
    uint64_t end_ = 0;
  };

  // Keep is what a walk over fields does besides hashing them.
  enum class Keep : uint8_t {
    kNone,    // Nothing: hash mode.
    kSchema,  // A kept record's fields: the shape to shape_, the values to values_.
    kInline,  // An array's contents: shape and values both to values_.
  };
  struct NoShape {};
  // Walk is what a walk passes along by value, small enough to stay in
  // registers: the record's hash and, in a schema walk, the shape's. Where
  // the shape and the values go is shape_at_ and out_.
  template <Keep kKeep>
  struct Walk {
    WordHash h;
    [[no_unique_address]] std::conditional_t<kKeep == Keep::kSchema, uint64_t, NoShape> shape;
  };

  // A schema's shape is a sequence of words: the kind's address and length,
  // then per field (depth first) its key's address and a node word (below),
  // and for a TraceKey string the string's address. schema_words_[first,
  // first + size) holds it.
  struct Schema {
    uint64_t hash;
    uint64_t first;
    uint64_t size;
  };
  // A node word: the key's length, the value's type, whether its string is
  // static, and an object's field count or a static string's length.
  static constexpr uint64_t node_word(std::string_view key, TraceValue::Type type,
                                      bool static_str, uint32_t count) {
    return key.size() | (static_cast<uint64_t>(type) << 16) | (uint64_t{static_str} << 24) |
           (uint64_t{count} << 32);
  }

  // add_fields and add_value hash fields into `w.h`; as kKeep says, they
  // also keep the fields' shape and values.
  template <Keep kKeep>
  Walk<kKeep> add_fields(Walk<kKeep> w, absl::Span<const TraceField> fields);
  template <Keep kKeep>
  Walk<kKeep> add_value(Walk<kKeep> w, uint64_t key_type, std::string_view key,
                        const TraceValue& v);
  // open_list keeps the head of an array or a string list of `count` elements.
  template <Keep kKeep>
  void open_list(Walk<kKeep>& w, std::string_view key, uint64_t key_type, TraceValue::Type type,
                 size_t count);
  // record_event counts, hashes and (as the mode says) keeps one event.
  void record_event(TraceKey kind, absl::Span<const TraceField> fields);
  // keep hashes a record's fields into h as add_fields does, and appends
  // the record to bytes_.
  WordHash keep(WordHash h, uint64_t seq, uint64_t t, TraceKey kind,
                absl::Span<const TraceField> fields);
  // add_node appends a field's node to the shape; add_static_node, a
  // static string's (its node and its address).
  void add_node(uint64_t& shape, std::string_view key, uint64_t key_type, TraceValue::Type type,
                uint32_t count);
  void add_static_node(uint64_t& shape, std::string_view key, uint64_t key_type,
                       const TraceValue& v);
  // room makes room for k more bytes of values at out_ and returns out_.
  char* room(size_t k) {
    if (static_cast<size_t>(values_.data() + values_.size() - out_) < k) grow_values(k);
    return out_;
  }
  void grow_values(size_t k);
  void grow_shape(size_t k);
  // reserve makes room for `fields` more fields in a schema walk, but for
  // their strings' bytes (which add_value makes room for).
  void reserve(size_t fields);
  // schema_id finds the shape shape_[0, n) in the schema table, adding it
  // if it is new (add_schema, at its free index slot).
  uint32_t schema_id(uint64_t shape_hash, size_t n);
  uint32_t add_schema(uint64_t shape_hash, size_t n, size_t slot);

  // evict_oldest drops the oldest kept record (ring mode).
  void evict_oldest();

  static constexpr uint64_t kBeginWord = 0xb3e1b3e1b3e1b3e1ull;
  static constexpr uint64_t kEndWord = 0xe4d0e4d0e4d0e4d0ull;
  // A record's head (length, seq and time differences, schema id) is at
  // most kHead bytes; values_ keeps that much room before the values for it.
  static constexpr size_t kHead = 36;

  const Clock* clock_;
  TraceMode mode_;
  TraceMode mode_before_off_ = TraceMode::kFull;
  uint64_t seq_ = 0;
  WordHash hash_;
  // The kept records' encodings, oldest first (full: every one; ring: the
  // last ring_capacity_). A record's seq and time are differences from the
  // record kept before it: its seq less one, nearly always 0 (not where
  // hash mode counted records between kept ones: after set_mode(kHash) and
  // back, or hash mode re-entered through set_enabled), and its time,
  // zigzag-coded.
  struct Stamp {
    uint64_t seq;
    uint64_t t;
  };
  Log<char> bytes_;
  uint64_t kept_ = 0;
  Stamp before_{};                     // What the oldest kept record's differences are from.
  Stamp last_{.seq = ~uint64_t{0}};    // The newest kept record's: the next one's base.
  size_t ring_capacity_ = 256;
  // The schema table: schema i is schemas_[i], found through
  // schema_slots_, an open-addressing index on the shape's hash whose slots
  // hold an id + 1 (0: free), at most half of them used. A hash table of
  // our own: one probe is a few instructions, and it is deterministic.
  std::vector<uint64_t> schema_words_;
  std::vector<Schema> schemas_;
  std::vector<uint32_t> schema_slots_ = std::vector<uint32_t>(64);
  // Scratch for the record being kept: its shape, and its values after
  // kHead bytes of room for its head; shape_at_ and out_ are where the
  // next shape word and value byte go. Both keep their size (which is their
  // capacity) from record to record.
  std::vector<uint64_t> shape_ = std::vector<uint64_t>(64);
  std::vector<char> values_ = std::vector<char>(kHead + 256);
  uint64_t* shape_at_ = nullptr;
  char* out_ = nullptr;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_TRACE_H_
