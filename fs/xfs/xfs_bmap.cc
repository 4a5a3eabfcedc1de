#include "fs/xfs/xfs_bmap.h"

#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "absl/strings/str_format.h"

namespace vfssim {

uint64_t XfsFork::pack(const XfsIrec& r) {
  // insert splits at XFS_MAX_BMBT_EXTLEN and merges stop there; mkfs
  // keeps dblocks under kMaxStartblock. A record past either would be
  // silently cut by the packing: a model bug, stopped here in every build.
  if (r.blockcount > kBlockcountMask || (!r.delalloc() && r.startblock >= kPackedDelay)) {
    std::fprintf(stderr, "XfsFork: record at %llu (block %llu, %llu blocks) does not fit a packed record\n",
                 static_cast<unsigned long long>(r.startoff), static_cast<unsigned long long>(r.startblock),
                 static_cast<unsigned long long>(r.blockcount));
    std::abort();
  }
  const uint64_t sb = r.delalloc() ? kPackedDelay : r.startblock;
  return sb | (r.blockcount << kBlockcountShift) | (r.state == XfsExtState::kUnwritten ? kUnwrittenBit : 0);
}

std::optional<XfsIrec> XfsFork::next_after(uint64_t off) const { return around(off).next; }

std::optional<XfsIrec> XfsFork::prev_before(uint64_t off) const {
  auto it = map_.upper_bound(off);
  while (it != map_.begin()) {
    --it;
    const XfsIrec r = unpack(*it);
    if (r.end() <= off) return r;
  }
  return std::nullopt;
}

XfsFork::Around XfsFork::around(uint64_t off) const {
  Around a;
  auto it = map_.upper_bound(off);
  if (it != map_.end()) a.next = unpack(*it);
  if (it != map_.begin()) {
    const XfsIrec r = unpack(*std::prev(it));
    (r.end() > off ? a.at : a.prev) = r;
  }
  return a;
}

std::optional<XfsIrec> XfsFork::last() const {
  if (map_.empty()) return std::nullopt;
  return unpack(*map_.rbegin());
}

bool XfsFork::mergeable(const XfsIrec& a, const XfsIrec& b) {
  if (a.end() != b.startoff || a.state != b.state) return false;
  // XFS_MAX_BMBT_EXTLEN: a record holds at most 2^21 - 1 blocks.
  if (a.blockcount + b.blockcount > kMaxExtlen) return false;
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
  XfsIrec r = unpack(*it);
  if (r.startoff >= at || r.end() <= at) return;
  XfsIrec tail = r;
  const uint64_t head = at - r.startoff;
  tail.startoff = at;
  tail.blockcount = r.blockcount - head;
  if (!tail.delalloc()) tail.startblock += head;
  r.blockcount = head;
  it->second = pack(r);
  map_.emplace_hint(std::next(it), at, pack(tail));
}

void XfsFork::merge_around(uint64_t off) {
  if (auto it = map_.find(off); it != map_.end()) merge_at(it);
}

void XfsFork::merge_at(Map::iterator it) {
  // btree_map's erase invalidates every iterator but the one it returns,
  // so the walk goes on from that one, never down from the root again.
  XfsIrec r = unpack(*it);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    XfsIrec p = unpack(*prev);
    if (mergeable(p, r)) {
      p.blockcount += r.blockcount;
      prev->second = pack(p);
      it = std::prev(map_.erase(it));  // The merged record.
      r = p;
    }
  }
  auto next = std::next(it);
  if (next == map_.end()) return;
  if (const XfsIrec n = unpack(*next); mergeable(r, n)) {
    r.blockcount += n.blockcount;
    it->second = pack(r);
    map_.erase(next);
  }
}

void XfsFork::insert(XfsIrec r) {
  // A record holds at most XFS_MAX_BMBT_EXTLEN blocks: longer ones split.
  while (r.blockcount > 0) {
    XfsIrec piece = r;
    piece.blockcount = std::min(r.blockcount, kMaxExtlen);
    account(piece, +1);
    merge_at(map_.insert_or_assign(piece.startoff, pack(piece)).first);
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
  if (it != map_.begin() && unpack(*std::prev(it)).end() > off) --it;
  while (it != map_.end() && it->first < end) {
    const XfsIrec r = unpack(*it);
    XfsIrec piece = r;
    piece.startoff = std::max(r.startoff, off);
    piece.blockcount = std::min(r.end(), end) - piece.startoff;
    if (!r.delalloc()) piece.startblock += piece.startoff - r.startoff;
    out.push_back(piece);
    account(piece, -1);
    if (r.startoff < off) {
      XfsIrec head = r;
      head.blockcount = off - r.startoff;
      it->second = pack(head);
      ++it;
    } else {
      it = map_.erase(it);
    }
    if (r.end() > end) {
      XfsIrec tail = r;
      tail.startoff = end;
      tail.blockcount = r.end() - end;
      if (!r.delalloc()) tail.startblock += end - r.startoff;
      map_.emplace_hint(it, end, pack(tail));
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
    XfsIrec r = unpack(*it);
    if (!r.delalloc() && r.state != state) {
      r.state = state;
      it->second = pack(r);
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
    moved.push_back(unpack(*it));
    it = map_.erase(it);
  }
  for (XfsIrec r : moved) {
    r.startoff = static_cast<uint64_t>(static_cast<int64_t>(r.startoff) + delta);
    map_[r.startoff] = pack(r);
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
  for (const XfsIrec r : *this) {
    const uint64_t off = r.startoff;
    if (r.blockcount == 0) errs.push_back(absl::StrFormat("%s: empty record at %d", what, off));
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

XfsRange extsize_align(const XfsFork& fork, uint64_t off, uint64_t len, uint64_t extsz, bool delay) {
  if (extsz <= 1 || len == 0) return {off, len};
  const uint64_t orig_end = off + len;
  const XfsFork::Around a = fork.around(off);
  // A request inside an existing record is left alone (a real allocation
  // over delalloc).
  if (!delay && a.at && off >= a.at->startoff && orig_end <= a.at->end()) return {off, len};
  const std::optional<XfsIrec> prev = a.at ? fork.prev_before(a.at->startoff) : a.prev;
  const std::optional<XfsIrec> got = a.at ? a.at : a.next;
  uint64_t aoff = off / extsz * extsz;
  uint64_t alen = len + (off - aoff);
  if (alen % extsz != 0) alen += extsz - alen % extsz;
  while (alen > XfsFork::kMaxExtlen) alen -= extsz;
  const uint64_t prevo = prev ? prev->end() : 0;
  if (aoff != off && aoff < prevo) aoff = prevo;
  constexpr uint64_t kNone = UINT64_MAX;
  const bool eof = !got;
  uint64_t nexto = kNone;
  // (The kernel lets a real allocation's run end past a delalloc record
  // after it, nexto being that record's end; the model stops at the
  // record, so no two records overlap.)
  if (got) nexto = got->startoff;
  if (!eof && aoff + alen != orig_end && aoff + alen > nexto) aoff = nexto > alen ? nexto - alen : 0;
  if (aoff != off && aoff < prevo) aoff = prevo;
  if (aoff + alen != orig_end && nexto != kNone && aoff + alen > nexto) alen = nexto - aoff;
  return {aoff, alen};
}

}  // namespace vfssim
