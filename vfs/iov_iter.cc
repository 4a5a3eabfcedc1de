#include "vfs/iov_iter.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace vfssim {
namespace {

std::byte* host_ptr(uint64_t base) { return reinterpret_cast<std::byte*>(base); }

const std::array<std::byte, kUserPageSize> kZeros{};

}  // namespace

IovIter IovIter::ubuf(Dir dir, AddressSpace& mm, uint64_t addr, uint64_t len) {
  IovIter it(Kind::kUbuf, dir);
  it.segs_.push_back({addr, len, addr});
  it.count_ = len;
  it.mm_ = &mm;
  return it;
}

IovIter IovIter::iovec(Dir dir, AddressSpace& mm, std::span<const UserIovec> iov) {
  IovIter it(Kind::kIovec, dir);
  for (const UserIovec& v : iov) {
    if (v.iov_len == 0) continue;
    it.segs_.push_back({v.iov_base, v.iov_len, v.iov_base});
    it.count_ += v.iov_len;
  }
  it.mm_ = &mm;
  return it;
}

IovIter IovIter::kvec_dest(std::span<std::byte> dst) {
  IovIter it(Kind::kKvec, Dir::kDest);
  it.segs_.push_back({reinterpret_cast<uint64_t>(dst.data()), dst.size(), 0});
  it.count_ = dst.size();
  return it;
}

IovIter IovIter::kvec_source(std::span<const std::byte> src) {
  IovIter it(Kind::kKvec, Dir::kSource);
  it.segs_.push_back({reinterpret_cast<uint64_t>(src.data()), src.size(), 0});
  it.count_ = src.size();
  return it;
}

IovIter IovIter::grant(Dir dir, GrantTable& grants, std::span<const Seg> segs,
                       const void* server) {
  IovIter it(Kind::kGrant, dir);
  for (const Seg& s : segs) {
    it.segs_.push_back(s);
    it.count_ += s.len;
  }
  it.grants_ = &grants;
  it.server_ = server;
  return it;
}

template <typename Fn>
uint64_t IovIter::move(uint64_t n, Fn fn) {
  n = std::min(n, count_);
  uint64_t done = 0;
  while (done < n) {
    while (off_ == segs_[seg_].len) {
      ++seg_;
      off_ = 0;
    }
    const Seg& s = segs_[seg_];
    const uint64_t want = std::min(n - done, s.len - off_);
    const uint64_t got = fn(s, off_, want, done);
    off_ += got;
    done += got;
    count_ -= got;
    if (got < want) break;
  }
  return done;
}

uint64_t IovIter::copy_to(std::span<const std::byte> src) {
  fault_errno_ = Errno::kEFAULT;
  return move(src.size(), [&](const Seg& s, uint64_t off, uint64_t len, uint64_t at) {
    const std::span<const std::byte> part = src.subspan(at, len);
    switch (kind_) {
      case Kind::kUbuf:
      case Kind::kIovec:
        return mm_->copy_out(s.base + off, part, /*may_fault=*/true);
      case Kind::kKvec:
        std::memmove(host_ptr(s.base) + off, part.data(), len);
        return len;
      case Kind::kGrant: {
        IoResult r = grants_->safecopy_to(s.base, off, part, server_);
        if (!r.ok()) fault_errno_ = r.err;
        return r.done;
      }
    }
    return uint64_t{0};
  });
}

uint64_t IovIter::zero(uint64_t n) {
  uint64_t done = 0;
  while (done < n && count_ > 0) {
    const uint64_t chunk = std::min<uint64_t>(n - done, kZeros.size());
    const uint64_t got = copy_to(std::span(kZeros).first(chunk));
    done += got;
    if (got < chunk) break;
  }
  return done;
}

uint64_t IovIter::copy_from(std::span<std::byte> dst) {
  fault_errno_ = Errno::kEFAULT;
  return move(dst.size(), [&](const Seg& s, uint64_t off, uint64_t len, uint64_t at) {
    const std::span<std::byte> part = dst.subspan(at, len);
    switch (kind_) {
      case Kind::kUbuf:
      case Kind::kIovec:
        return mm_->copy_in(s.base + off, part, /*may_fault=*/true);
      case Kind::kKvec:
        std::memmove(part.data(), host_ptr(s.base) + off, len);
        return len;
      case Kind::kGrant: {
        IoResult r = grants_->safecopy_from(s.base, off, part, server_);
        if (!r.ok()) fault_errno_ = r.err;
        return r.done;
      }
    }
    return uint64_t{0};
  });
}

uint64_t IovIter::copy_from_atomic(std::span<std::byte> dst) {
  if (!user_backed()) return copy_from(dst);  // Nothing to fault: same copy.
  fault_errno_ = Errno::kEFAULT;
  return move(dst.size(), [&](const Seg& s, uint64_t off, uint64_t len, uint64_t at) {
    return mm_->copy_in(s.base + off, dst.subspan(at, len), /*may_fault=*/false);
  });
}

uint64_t IovIter::fault_in(uint64_t n, bool write) {
  if (!user_backed()) return 0;
  n = std::min(n, count_);
  uint64_t done = 0;
  size_t seg = seg_;
  uint64_t off = off_;
  while (done < n && seg < segs_.size()) {
    const Seg& s = segs_[seg];
    const uint64_t want = std::min(n - done, s.len - off);
    const uint64_t got = mm_->fault_in_range(s.base + off, want, write);
    done += got;
    if (got < want) break;
    ++seg;
    off = 0;
  }
  return n - done;
}

uint64_t IovIter::fault_in_readable(uint64_t n) { return fault_in(n, /*write=*/false); }
uint64_t IovIter::fault_in_writeable(uint64_t n) { return fault_in(n, /*write=*/true); }

void IovIter::advance(uint64_t n) {
  move(n, [](const Seg&, uint64_t, uint64_t len, uint64_t) { return len; });
}

void IovIter::revert(uint64_t n) {
  count_ += n;
  while (n > 0) {
    if (off_ == 0) {
      --seg_;
      off_ = segs_[seg_].len;
    }
    const uint64_t back = std::min(n, off_);
    off_ -= back;
    n -= back;
  }
}

uint64_t IovIter::truncate(uint64_t n) {
  if (n >= count_) return 0;
  const uint64_t hidden = count_ - n;
  count_ = n;
  return hidden;
}

void IovIter::reexpand(uint64_t count) {
  uint64_t held = 0;
  for_each_left_unbounded([&](uint64_t len) { held += len; });
  count_ = std::min(count, held);
}

template <typename Fn>
void IovIter::for_each_left_unbounded(Fn fn) const {
  for (size_t i = seg_; i < segs_.size(); ++i) fn(segs_[i].len - (i == seg_ ? off_ : 0));
}

template <typename Fn>
void IovIter::for_each_left(Fn fn) const {
  uint64_t left = count_;
  for (size_t i = seg_; i < segs_.size() && left > 0; ++i) {
    const uint64_t off = i == seg_ ? off_ : 0;
    const uint64_t len = std::min(segs_[i].len - off, left);
    if (len > 0) fn(segs_[i], off, len);
    left -= len;
  }
}

std::vector<IovIter::Seg> IovIter::segments() const {
  std::vector<Seg> out;
  for_each_left([&](const Seg& s, uint64_t off, uint64_t len) {
    out.push_back({s.base + off, len, s.addr + off});
  });
  return out;
}

uint64_t IovIter::alignment() const {
  uint64_t a = 0;
  for_each_left([&](const Seg& s, uint64_t off, uint64_t len) {
    a |= len | (s.addr != 0 ? s.addr + off : 0);
  });
  return a;
}

}  // namespace vfssim
