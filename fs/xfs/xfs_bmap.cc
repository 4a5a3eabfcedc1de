#include "fs/xfs/xfs_bmap.h"

#include <iterator>

#include "absl/strings/str_format.h"

namespace vfssim {

std::optional<XfsIrec> XfsFork::lookup(uint64_t off) const {
  auto it = map_.upper_bound(off);
  if (it == map_.begin()) return std::nullopt;
  --it;
  if (it->second.end() > off) return it->second;
  return std::nullopt;
}

std::optional<XfsIrec> XfsFork::next_after(uint64_t off) const {
  auto it = map_.upper_bound(off);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

std::optional<XfsIrec> XfsFork::prev_before(uint64_t off) const {
  auto it = map_.upper_bound(off);
  while (it != map_.begin()) {
    --it;
    if (it->second.end() <= off) return it->second;
  }
  return std::nullopt;
}

bool XfsFork::mergeable(const XfsIrec& a, const XfsIrec& b) {
  if (a.end() != b.startoff || a.state != b.state) return false;
  // XFS_MAX_BMBT_EXTLEN: a record holds at most 2^21 - 1 blocks.
  if (a.blockcount + b.blockcount > (uint64_t{1} << 21) - 1) return false;
  if (a.delalloc() || b.delalloc()) return a.delalloc() && b.delalloc();
  return a.startblock + a.blockcount == b.startblock;
}

void XfsFork::account(const XfsIrec& r, int sign) {
  uint64_t& c = r.delalloc() ? delalloc_ : real_;
  c = sign > 0 ? c + r.blockcount : c - r.blockcount;
}

void XfsFork::split(uint64_t at) {
  auto it = map_.upper_bound(at);
  if (it == map_.begin()) return;
  --it;
  XfsIrec& r = it->second;
  if (r.startoff >= at || r.end() <= at) return;
  XfsIrec tail = r;
  const uint64_t head = at - r.startoff;
  tail.startoff = at;
  tail.blockcount = r.blockcount - head;
  if (!tail.delalloc()) tail.startblock += head;
  r.blockcount = head;
  map_[at] = tail;
}

void XfsFork::merge_around(uint64_t off) {
  if (auto it = map_.find(off); it != map_.end()) merge_at(it);
}

void XfsFork::merge_at(Map::iterator it) {
  // btree_map's erase invalidates every iterator but the one it returns,
  // so the walk goes on from that one, never down from the root again.
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (mergeable(prev->second, it->second)) {
      prev->second.blockcount += it->second.blockcount;
      it = std::prev(map_.erase(it));  // The merged record.
    }
  }
  auto next = std::next(it);
  if (next != map_.end() && mergeable(it->second, next->second)) {
    it->second.blockcount += next->second.blockcount;
    map_.erase(next);
  }
}

void XfsFork::insert(XfsIrec r) {
  // A record holds at most XFS_MAX_BMBT_EXTLEN blocks: longer ones split.
  constexpr uint64_t kMaxExtlen = (uint64_t{1} << 21) - 1;
  while (r.blockcount > 0) {
    XfsIrec piece = r;
    piece.blockcount = std::min(r.blockcount, kMaxExtlen);
    account(piece, +1);
    merge_at(map_.insert_or_assign(piece.startoff, piece).first);
    r.startoff += piece.blockcount;
    if (!r.delalloc()) r.startblock += piece.blockcount;
    r.blockcount -= piece.blockcount;
  }
}

std::vector<XfsIrec> XfsFork::remove(uint64_t off, uint64_t len) {
  std::vector<XfsIrec> out;
  if (len == 0) return out;
  const uint64_t end = off + len < off ? UINT64_MAX : off + len;
  // One walk down the tree, then along it: a record straddling `off`
  // keeps its head where it sits, one straddling `end` leaves its tail
  // (inserted at the hint), and what lies between is handed back.
  auto it = map_.upper_bound(off);
  if (it != map_.begin() && std::prev(it)->second.end() > off) --it;
  while (it != map_.end() && it->first < end) {
    const XfsIrec r = it->second;
    XfsIrec piece = r;
    piece.startoff = std::max(r.startoff, off);
    piece.blockcount = std::min(r.end(), end) - piece.startoff;
    if (!r.delalloc()) piece.startblock += piece.startoff - r.startoff;
    out.push_back(piece);
    account(piece, -1);
    if (r.startoff < off) {
      it->second.blockcount = off - r.startoff;
      ++it;
    } else {
      it = map_.erase(it);
    }
    if (r.end() > end) {
      XfsIrec tail = r;
      tail.startoff = end;
      tail.blockcount = r.end() - end;
      if (!r.delalloc()) tail.startblock += end - r.startoff;
      map_.emplace_hint(it, end, tail);
      break;
    }
  }
  return out;
}

void XfsFork::set_state(uint64_t off, uint64_t len, XfsExtState state) {
  const uint64_t end = off + len;
  split(off);
  split(end);
  std::vector<uint64_t> touched;
  for (auto it = map_.lower_bound(off); it != map_.end() && it->first < end; ++it) {
    if (!it->second.delalloc() && it->second.state != state) {
      it->second.state = state;
      touched.push_back(it->first);
    }
  }
  // Merge the changed records with their neighbours (which may now match).
  for (uint64_t at : touched) {
    auto it = map_.upper_bound(at);
    if (it == map_.begin()) continue;
    merge_around(std::prev(it)->first);
  }
  // Also merge across the edges of the range.
  if (auto r = lookup(off)) merge_around(r->startoff);
  if (end > 0) {
    if (auto r = lookup(end - 1)) merge_around(r->startoff);
  }
}

void XfsFork::shift(uint64_t from, int64_t delta) {
  split(from);
  std::vector<XfsIrec> moved;
  for (auto it = map_.lower_bound(from); it != map_.end();) {
    moved.push_back(it->second);
    it = map_.erase(it);
  }
  for (XfsIrec r : moved) {
    r.startoff = static_cast<uint64_t>(static_cast<int64_t>(r.startoff) + delta);
    map_[r.startoff] = r;
  }
  if (!moved.empty()) {
    merge_around(moved.front().startoff);
    if (auto r = lookup(moved.front().startoff)) merge_around(r->startoff);
  }
}

std::vector<std::string> XfsFork::check(const std::string& what) const {
  std::vector<std::string> errs;
  uint64_t real = 0, delalloc = 0, prev_end = 0;
  bool first = true;
  for (const auto& [off, r] : map_) {
    if (off != r.startoff) errs.push_back(absl::StrFormat("%s: record keyed %d starts at %d", what, off, r.startoff));
    if (r.blockcount == 0) errs.push_back(absl::StrFormat("%s: empty record at %d", what, off));
    if (r.blockcount > (uint64_t{1} << 21) - 1) {
      errs.push_back(absl::StrFormat("%s: record at %d longer than XFS_MAX_BMBT_EXTLEN", what, off));
    }
    if (!first && r.startoff < prev_end) {
      errs.push_back(absl::StrFormat("%s: records overlap at file block %d", what, r.startoff));
    }
    if (r.delalloc() && r.state != XfsExtState::kNorm) {
      errs.push_back(absl::StrFormat("%s: unwritten delalloc record at %d", what, off));
    }
    (r.delalloc() ? delalloc : real) += r.blockcount;
    prev_end = r.end();
    first = false;
  }
  if (real != real_ || delalloc != delalloc_) {
    errs.push_back(absl::StrFormat("%s: counters say %d real + %d delalloc, records %d + %d", what,
                                   real_, delalloc_, real, delalloc));
  }
  return errs;
}

}  // namespace vfssim
