// SparseStore: byte-addressable storage whose memory is proportional to the
// data written, for device models up to and beyond 1 TiB.
//
// Storage is kept in 4 KiB pages (sim/page_memory.h) in a hash map (one
// probe per page a copy touches; nothing depends on its order); a page never written (or
// zeroed whole) is absent and reads as zeros. Used by the block device (its
// volatile and durable images) and by pmem.
//
//   SparseStore s;
//   s.write(1 << 40, bytes);    // One page allocated, not a terabyte.
//   s.read(0, buf);             // Zeros.

#ifndef VFSSIM_DRIVERS_INTERNAL_SPARSE_STORE_H_
#define VFSSIM_DRIVERS_INTERNAL_SPARSE_STORE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "sim/page_memory.h"

namespace vfssim {

class SparseStore {
 public:
  static constexpr uint64_t kPageSize = 4096;

  SparseStore() = default;
  SparseStore(const SparseStore& other);
  SparseStore& operator=(const SparseStore& other);
  SparseStore(SparseStore&&) = default;
  SparseStore& operator=(SparseStore&&) = default;

  // read copies dst.size() bytes at `off` into dst; absent pages read as 0.
  void read(uint64_t off, std::span<std::byte> dst) const;

  // write stores src at `off`, allocating pages as needed.
  void write(uint64_t off, std::span<const std::byte> src);

  // read_into hands the len bytes at `off` to `sink` a page piece at a
  // time, straight from storage (an absent page as a piece of zeros), until
  // the sink takes fewer bytes than it is given. Returns the bytes taken.
  // A device copies into its reader's memory this way, with no buffer of
  // its own in between.
  using Sink = absl::FunctionRef<uint64_t(std::span<const std::byte>)>;
  uint64_t read_into(uint64_t off, uint64_t len, Sink sink) const;

  // write_from lets `source` fill the storage for [off, off+len) in place,
  // a page piece at a time (allocating pages), until it fills fewer bytes
  // than it is given. Returns the bytes filled; the rest of a page it
  // allocated reads as zeros.
  using Source = absl::FunctionRef<uint64_t(std::span<std::byte>)>;
  uint64_t write_from(uint64_t off, uint64_t len, Source source);

  // ToBuffer is a Sink that fills a plain buffer from its start, and
  // FromBuffer a Source that drains one, each taking every byte offered.
  // Pieces move as memmove does: a device's buffer may be a mapping of
  // the device's own bytes. (absl::FunctionRef calls through a const
  // reference, hence the mutable cursors.)
  struct ToBuffer {
    mutable std::byte* out;
    uint64_t operator()(std::span<const std::byte> piece) const;
  };
  struct FromBuffer {
    mutable const std::byte* in;
    uint64_t operator()(std::span<std::byte> piece) const;
  };

  // zero makes [off, off+len) read as zeros, freeing every whole page in it.
  void zero(uint64_t off, uint64_t len);

  // pages is the number of allocated pages (memory use is pages * 4 KiB).
  uint64_t pages() const { return pages_.size(); }

  // Content equality: an absent page equals a page of zeros.
  friend bool operator==(const SparseStore& a, const SparseStore& b);

 private:
  using Page = PageBytes;  // Page-aligned: a copy to or from one runs at memcpy speed.
  static_assert(sizeof(Page) == kPageSize);
  absl::flat_hash_map<uint64_t, UniquePage> pages_;
};

}  // namespace vfssim

#endif  // VFSSIM_DRIVERS_INTERNAL_SPARSE_STORE_H_
