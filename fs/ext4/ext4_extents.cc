#include "fs/ext4/ext4_extents.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace vfssim {

std::optional<Ext4Extent> Ext4ExtentTree::lookup(uint64_t lblk) const {
  auto it = map_.upper_bound(lblk);
  if (it == map_.begin()) return std::nullopt;
  --it;
  if (it->second.end() <= lblk) return std::nullopt;
  return it->second;
}

std::optional<Ext4Extent> Ext4ExtentTree::next_after(uint64_t lblk) const {
  auto it = map_.upper_bound(lblk);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

std::optional<Ext4Extent> Ext4ExtentTree::prev_before(uint64_t lblk) const {
  auto it = map_.lower_bound(lblk);
  if (it == map_.begin()) return std::nullopt;
  return std::prev(it)->second;
}

std::optional<Ext4Extent> Ext4ExtentTree::last() const {
  if (map_.empty()) return std::nullopt;
  return map_.rbegin()->second;
}

bool Ext4ExtentTree::can_merge(const Ext4Extent& a, const Ext4Extent& b) {
  if (a.end() != b.lblk || a.delayed != b.delayed) return false;
  if (a.delayed) return true;
  if (a.unwritten != b.unwritten || a.pblk + a.len != b.pblk) return false;
  return a.len + b.len <= (a.unwritten ? kUnwrittenMaxLen : kInitMaxLen);
}

void Ext4ExtentTree::add(const Ext4Extent& e) {
  map_.emplace(e.lblk, e);
  if (e.delayed) {
    delayed_ += e.len;
  } else {
    real_ += e.len;
    ++extents_;
  }
}

void Ext4ExtentTree::drop(Map::iterator it) {
  if (it->second.delayed) {
    delayed_ -= it->second.len;
  } else {
    real_ -= it->second.len;
    --extents_;
  }
  map_.erase(it);
}

void Ext4ExtentTree::insert(Ext4Extent e) {
  if (e.len == 0) return;
  // Merge with the record before, then with the one after.
  auto next = map_.lower_bound(e.lblk);
  if (next != map_.begin()) {
    auto prev = std::prev(next);
    if (can_merge(prev->second, e)) {
      e.lblk = prev->second.lblk;
      e.pblk = prev->second.pblk;
      e.len += prev->second.len;
      drop(prev);
    }
  }
  next = map_.lower_bound(e.lblk + 1);
  if (next != map_.end() && can_merge(e, next->second)) {
    e.len += next->second.len;
    drop(next);
  }
  // A real record longer than an extent may be is stored as several.
  const uint64_t max = e.unwritten ? kUnwrittenMaxLen : kInitMaxLen;
  while (!e.delayed && e.len > max) {
    Ext4Extent head = e;
    head.len = max;
    add(head);
    e.lblk += max;
    e.pblk += max;
    e.len -= max;
  }
  add(e);
}

std::vector<Ext4Extent> Ext4ExtentTree::remove(uint64_t lblk, uint64_t len) {
  std::vector<Ext4Extent> out;
  if (len == 0) return out;
  const uint64_t stop = lblk + len;
  // Erasing and inserting invalidate btree iterators: each step looks the
  // next record up again.
  for (uint64_t at = lblk; at < stop;) {
    auto it = map_.upper_bound(at);
    if (it != map_.begin() && std::prev(it)->second.end() > at) --it;
    if (it == map_.end() || it->second.lblk >= stop) break;
    const Ext4Extent r = it->second;
    drop(it);
    const uint64_t from = std::max(r.lblk, lblk);
    const uint64_t to = std::min(r.end(), stop);
    if (r.lblk < from) {
      Ext4Extent head = r;
      head.len = from - r.lblk;
      add(head);
    }
    if (r.end() > to) {
      Ext4Extent tail = r;
      tail.lblk = to;
      if (!r.delayed) tail.pblk = r.pblk + (to - r.lblk);
      tail.len = r.end() - to;
      add(tail);
    }
    Ext4Extent mid = r;
    mid.lblk = from;
    if (!r.delayed) mid.pblk = r.pblk + (from - r.lblk);
    mid.len = to - from;
    out.push_back(mid);
    at = to;
  }
  return out;
}

void Ext4ExtentTree::set_unwritten(uint64_t lblk, uint64_t len, bool unwritten) {
  for (Ext4Extent r : remove(lblk, len)) {
    if (!r.delayed) r.unwritten = unwritten;
    insert(r);
  }
}

void Ext4ExtentTree::split(uint64_t lblk) {
  auto it = map_.upper_bound(lblk);
  if (it == map_.begin()) return;
  --it;
  const Ext4Extent r = it->second;
  if (r.lblk == lblk || r.end() <= lblk) return;
  drop(it);
  Ext4Extent head = r, tail = r;
  head.len = lblk - r.lblk;
  tail.lblk = lblk;
  if (!r.delayed) tail.pblk = r.pblk + head.len;
  tail.len = r.end() - lblk;
  add(head);
  add(tail);
}

void Ext4ExtentTree::shift(uint64_t from, int64_t delta) {
  std::vector<Ext4Extent> moved;
  for (auto it = map_.lower_bound(from); it != map_.end(); ++it) moved.push_back(it->second);
  for (const Ext4Extent& e : moved) drop(map_.find(e.lblk));
  for (Ext4Extent e : moved) {
    e.lblk = static_cast<uint64_t>(static_cast<int64_t>(e.lblk) + delta);
    insert(e);
  }
}

std::vector<std::string> Ext4ExtentTree::check(const std::string& who) const {
  std::vector<std::string> errs;
  uint64_t prev_end = 0, extents = 0, real = 0, delayed = 0;
  bool first = true;
  for (const auto& [key, e] : map_) {
    if (key != e.lblk) errs.push_back(absl::StrFormat("%s: record at %d keyed %d", who, e.lblk, key));
    if (e.len == 0) errs.push_back(absl::StrFormat("%s: empty record at %d", who, e.lblk));
    if (!first && e.lblk < prev_end) {
      errs.push_back(absl::StrFormat("%s: record at %d overlaps the one before", who, e.lblk));
    }
    if (!e.delayed && e.len > (e.unwritten ? kUnwrittenMaxLen : kInitMaxLen)) {
      errs.push_back(absl::StrFormat("%s: extent at %d longer than an extent may be", who, e.lblk));
    }
    first = false;
    prev_end = e.end();
    if (e.delayed) {
      delayed += e.len;
    } else {
      real += e.len;
      ++extents;
    }
  }
  if (extents != extents_ || real != real_ || delayed != delayed_) {
    errs.push_back(absl::StrFormat("%s: counts %d/%d/%d, records say %d/%d/%d", who, extents_, real_,
                                   delayed_, extents, real, delayed));
  }
  return errs;
}

}  // namespace vfssim
