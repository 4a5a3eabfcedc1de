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
// A kept record is a fixed-size head and one 24-byte item per field, in
// logs of fixed-size chunks: recording allocates nothing per event and
// copies no key or TraceKey string (they are static, kept by address); only
// other strings' bytes are copied. The ring reuses its chunks, so in steady
// state it allocates nothing at all.
//
//   trace.record("blockdev", {{"dev", "sda"}, {"op", "write"}, {"sector", 8}});
//   std::cout << absl::StrFormat("%016x", trace.hash());
//
// Field names and kinds are TraceKeys: string literals whose hash is computed
// at compile time, so recording costs no string hashing for them.

#ifndef VFSSIM_SIM_TRACE_H_
#define VFSSIM_SIM_TRACE_H_

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
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

  // record appends one event of `kind` with `fields`.
  void record(TraceKey kind, absl::Span<const TraceField> fields = {});
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
    const T& operator[](uint64_t pos) const {
      return chunks_[pos / kChunk - first_chunk_][pos % kChunk];
    }

    void push_back(const T& v) {
      if (end_ % kChunk == 0) add_chunk();
      tail_[end_ % kChunk] = v;
      ++end_;
    }
    // append pushes the n elements at p.
    void append(const T* p, size_t n);
    // copy_out appends the n elements from `pos` to *out.
    template <typename Out>
    void copy_out(uint64_t pos, size_t n, Out* out) const;
    // drop_to forgets every position before `pos` (begin() <= pos <= end()).
    void drop_to(uint64_t pos);
    // reset forgets everything and frees the chunks; positions go on.
    void reset();

   private:
    // add_chunk makes the chunk that holds position end_ the tail.
    void add_chunk();

    std::deque<std::unique_ptr<T[]>> chunks_;  // Chunk i holds first_chunk_ + i.
    std::unique_ptr<T[]> spare_;               // A dropped chunk, for reuse.
    uint64_t first_chunk_ = 0;
    T* tail_ = nullptr;                        // The chunk holding end_, if any.
    uint64_t begin_ = 0;
    uint64_t end_ = 0;
  };

  // Item is one field, flattened: a scalar, a string, or the head of an
  // object or array whose `len` children follow it. 24 bytes, no pointers
  // to own: keys and TraceKey strings are static, other strings are copied
  // into bytes_.
  struct Item {
    const char* key;       // Static; unused for array elements.
    uint64_t bits;         // Scalar value; a string's position in bytes_,
                           // or its address if static.
    uint32_t len;          // String length, or number of children.
    uint16_t key_len;
    TraceValue::Type type;
    bool static_str;       // bits is the address of a static string.
  };
  static_assert(sizeof(Item) == 24);
  // Record is one event's head: its items are items_[first_item, the next
  // record's first_item) and its strings start at bytes_[first_byte].
  struct Record {
    uint64_t seq;
    uint64_t t;            // ~0 without a clock.
    const char* kind;
    uint64_t kind_len;
    uint64_t first_item;
    uint64_t first_byte;
  };
  static_assert(sizeof(Record) == 48);

  // add_fields and add_value hash fields into `h` and return it; with
  // kKeep they also append the fields' items.
  template <bool kKeep>
  WordHash add_fields(WordHash h, absl::Span<const TraceField> fields);
  template <bool kKeep>
  WordHash add_value(WordHash h, uint64_t key_type, std::string_view key, const TraceValue& v);
  // evict_oldest drops the oldest kept record (ring mode).
  void evict_oldest();
  std::string render(uint64_t pos) const;

  static constexpr uint64_t kBeginWord = 0xb3e1b3e1b3e1b3e1ull;
  static constexpr uint64_t kEndWord = 0xe4d0e4d0e4d0e4d0ull;

  const Clock* clock_;
  TraceMode mode_;
  TraceMode mode_before_off_ = TraceMode::kFull;
  uint64_t seq_ = 0;
  WordHash hash_;
  // The kept records (full: every one; ring: the last ring_capacity_),
  // their items and their copied string bytes, oldest first.
  Log<Record> records_;
  Log<Item> items_;
  Log<char> bytes_;
  size_t ring_capacity_ = 256;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_TRACE_H_
