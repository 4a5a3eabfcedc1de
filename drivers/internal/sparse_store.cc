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
    pages_.emplace(index, std::make_unique<Page>(*page));
  }
  return *this;
}

void SparseStore::read(uint64_t off, std::span<std::byte> dst) const {
  uint64_t pos = 0;
  auto it = pages_.lower_bound(off / kPageSize);
  while (pos < dst.size()) {
    const uint64_t index = (off + pos) / kPageSize;
    const uint64_t in_page = (off + pos) % kPageSize;
    const uint64_t n = std::min<uint64_t>(kPageSize - in_page, dst.size() - pos);
    while (it != pages_.end() && it->first < index) ++it;
    if (it != pages_.end() && it->first == index) {
      std::memcpy(dst.data() + pos, it->second->data() + in_page, n);
    } else {
      std::memset(dst.data() + pos, 0, n);
    }
    pos += n;
  }
}

void SparseStore::write(uint64_t off, std::span<const std::byte> src) {
  uint64_t pos = 0;
  while (pos < src.size()) {
    const uint64_t index = (off + pos) / kPageSize;
    const uint64_t in_page = (off + pos) % kPageSize;
    const uint64_t n = std::min<uint64_t>(kPageSize - in_page, src.size() - pos);
    std::unique_ptr<Page>& page = pages_[index];
    if (!page) {
      page = std::make_unique<Page>();
      if (n != kPageSize) page->fill(std::byte{0});
    }
    std::memcpy(page->data() + in_page, src.data() + pos, n);
    pos += n;
  }
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
  auto ia = a.pages_.begin();
  auto ib = b.pages_.begin();
  while (ia != a.pages_.end() || ib != b.pages_.end()) {
    if (ib == b.pages_.end() || (ia != a.pages_.end() && ia->first < ib->first)) {
      if (!all_zero(ia->second->data(), SparseStore::kPageSize)) return false;
      ++ia;
    } else if (ia == a.pages_.end() || ib->first < ia->first) {
      if (!all_zero(ib->second->data(), SparseStore::kPageSize)) return false;
      ++ib;
    } else {
      if (*ia->second != *ib->second) return false;
      ++ia;
      ++ib;
    }
  }
  return true;
}

}  // namespace vfssim
