#include "drivers/internal/sparse_store.h"

#include <algorithm>
#include <cstring>

namespace vfssim {
namespace {

bool all_zero(const std::byte* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != std::byte{0}) return false;
  }
  return true;
}

}  // namespace

SparseStore::SparseStore(const SparseStore& other) { *this = other; }

SparseStore& SparseStore::operator=(const SparseStore& other) {
  if (this == &other) return *this;
  pages_.clear();
  for (const auto& [index, page] : other.pages_) {
    pages_.emplace(index, alloc_page_copy(*page));
  }
  return *this;
}

uint64_t SparseStore::ToBuffer::operator()(std::span<const std::byte> piece) const {
  std::memmove(out, piece.data(), piece.size());
  out += piece.size();
  return piece.size();
}

uint64_t SparseStore::FromBuffer::operator()(std::span<std::byte> piece) const {
  std::memmove(piece.data(), in, piece.size());
  in += piece.size();
  return piece.size();
}

void SparseStore::read(uint64_t off, std::span<std::byte> dst) const {
  ToBuffer to{dst.data()};
  read_into(off, dst.size(), to);
}

void SparseStore::write(uint64_t off, std::span<const std::byte> src) {
  FromBuffer from{src.data()};
  write_from(off, src.size(), from);
}

uint64_t SparseStore::read_into(uint64_t off, uint64_t len, Sink sink) const {
  static constexpr Page kZeros{};  // What an absent page reads as.
  uint64_t pos = 0;
  while (pos < len) {
    const uint64_t index = (off + pos) / kPageSize;
    const uint64_t in_page = (off + pos) % kPageSize;
    const uint64_t n = std::min<uint64_t>(kPageSize - in_page, len - pos);
    auto it = pages_.find(index);
    const Page& page = it != pages_.end() ? *it->second : kZeros;
    const uint64_t took = sink(std::span(page).subspan(in_page, n));
    pos += took;
    if (took < n) break;
  }
  return pos;
}

uint64_t SparseStore::write_from(uint64_t off, uint64_t len, Source source) {
  uint64_t pos = 0;
  while (pos < len) {
    const uint64_t index = (off + pos) / kPageSize;
    const uint64_t in_page = (off + pos) % kPageSize;
    const uint64_t n = std::min<uint64_t>(kPageSize - in_page, len - pos);
    UniquePage& slot = pages_[index];
    const bool fresh = !slot;
    if (fresh) slot = alloc_page_for_overwrite();
    // The page itself, not the map's slot: the source may fault in a
    // mapping of this very device, and an insertion moves the slots.
    Page* page = slot.get();
    const uint64_t filled = source(std::span(*page).subspan(in_page, n));
    if (fresh && filled == 0) {
      pages_.erase(index);  // Nothing written: the page stays absent.
      break;
    }
    if (fresh && filled < kPageSize) {
      // Whatever the source left unfilled in a page it was given fresh.
      std::memset(page->data(), 0, in_page);
      std::memset(page->data() + in_page + filled, 0, kPageSize - in_page - filled);
    }
    pos += filled;
    if (filled < n) break;
  }
  return pos;
}

void SparseStore::zero(uint64_t off, uint64_t len) {
  uint64_t pos = 0;
  while (pos < len) {
    const uint64_t index = (off + pos) / kPageSize;
    const uint64_t in_page = (off + pos) % kPageSize;
    const uint64_t n = std::min<uint64_t>(kPageSize - in_page, len - pos);
    if (n == kPageSize) {
      pages_.erase(index);
    } else if (auto it = pages_.find(index); it != pages_.end()) {
      std::memset(it->second->data() + in_page, 0, n);
    }
    pos += n;
  }
}

bool operator==(const SparseStore& a, const SparseStore& b) {
  // By lookups, so the answer does not depend on either map's order.
  for (const auto& [index, page] : a.pages_) {
    auto it = b.pages_.find(index);
    if (it == b.pages_.end() ? !all_zero(page->data(), SparseStore::kPageSize) : *page != *it->second) {
      return false;
    }
  }
  for (const auto& [index, page] : b.pages_) {
    if (!a.pages_.contains(index) && !all_zero(page->data(), SparseStore::kPageSize)) return false;
  }
  return true;
}

}  // namespace vfssim
