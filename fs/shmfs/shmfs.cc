#include "fs/shmfs/shmfs.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "sim/absl_view.h"
#include "vfs/lseek.h"
#include "vfs/mmap.h"
#include "vfs/timestamps.h"

namespace vfssim {
namespace {

ShmSuperblock& shm_sb(const Inode& ip) { return static_cast<ShmSuperblock&>(*ip.sb); }
ShmInodeData& shm_data(const Inode& ip) { return static_cast<ShmInodeData&>(*ip.data); }

// shm_partial_page_invalidate zeroes [base, end) of page `index`; with
// `shm_variant`, the variant shm.dealloc_swapped_page applies (FreeBSD's
// shm path, not tmpfs's).
Errno partial_page_invalidate(Inode& ip, uint64_t index, uint64_t base, uint64_t end,
                              bool shm_variant = true) {
  ShmSuperblock& sb = shm_sb(ip);
  ShmInodeData& d = shm_data(ip);
  auto it = d.pages.find(index);
  if (it == d.pages.end()) return Errno::kOk;  // A hole reads as zeros already.
  if (shm_variant && !it->second.data &&
      sb.machine().variants.get(variant::kShmDeallocSwappedPage) == variant::ShmDeallocSwappedPage::kSkip) {
    // The reviewed bug: the page is grabbed without asking the pager, so a
    // fresh zero page shadows the swapped copy.
    sb.free_page(ip, index);
  }
  Result<ShmPage*> page = sb.get_page(d, index);
  if (!page) return page.error();
  std::memset((*page)->data->data() + base, 0, end - base);
  return Errno::kOk;
}

uint64_t parse_size(const std::string& v, bool* ok) {
  uint64_t mult = 1;
  std::string digits = v;
  if (!v.empty() && (v.back() == 'k' || v.back() == 'm' || v.back() == 'g')) {
    mult = v.back() == 'k' ? 1ull << 10 : v.back() == 'm' ? 1ull << 20 : 1ull << 30;
    digits.pop_back();
  }
  uint64_t n = 0;
  *ok = absl::SimpleAtoi(digits, &n);
  return n * mult;
}

}  // namespace

ShmVnodeOps& shm_vnode_ops() {
  static ShmVnodeOps ops;
  return ops;
}

ShmSuperblock::ShmSuperblock(Machine& machine, MountOptions opts, uint64_t max_pages,
                             double swap_pressure, VnodeOps& ops, std::string fs_type)
    : Superblock(machine, std::move(fs_type), std::move(opts), ops),
      max_pages_(max_pages),
      swap_pressure_(swap_pressure),
      pressure_(machine.rng.stream("shmfs/pressure")) {}

void ShmSuperblock::init_inode(Inode& ip) {
  if (ip.type == VType::kReg) ip.data = std::make_unique<ShmInodeData>(this);
}

uint64_t ShmSuperblock::blocks(const Inode& ip) const {
  if (!ip.is_reg()) return 0;
  return shm_data(ip).pages.size() * (kShmPageSize / 512);
}

Result<ShmPage*> ShmSuperblock::get_page(ShmInodeData& d, uint64_t index, bool can_fail) {
  ShmPage& page = d.pages[index];
  if (page.data) return &page;
  auto drop_if_new = [&] {
    if (page.swap_slot == 0) d.pages.erase(index);
  };
  std::optional<Errno> e = can_fail ? machine().faults.fire("shmfs/page/enospc") : std::nullopt;
  if (e) {
    drop_if_new();
    return Fail(*e);
  }
  if (resident_ + swap_.size() >= max_pages_ && page.swap_slot == 0) {
    drop_if_new();
    return Fail(Errno::kENOSPC);
  }
  // The machine's memory, which every instance shares (shmem_alloc_folio
  // failing: ENOMEM).
  if (page.swap_slot == 0 && !machine().memory.charge(1)) {
    drop_if_new();
    return Fail(Errno::kENOMEM);
  }
  page.data = share_page(alloc_page());
  if (page.swap_slot != 0) {
    auto slot = swap_.find(page.swap_slot);
    *page.data = *slot->second;
    swap_.erase(slot);
    page.swap_slot = 0;
    ++swap_events_;
  } else {
    page.data->fill(std::byte{0});
  }
  ++resident_;
  return &page;
}

ShmInodeData::~ShmInodeData() {
  if (sb != nullptr) sb->release(*this);
}

ShmSuperblock::~ShmSuperblock() {
  for_each_inode([&](Inode& ip) {
    if (ip.type != VType::kReg || ip.data == nullptr) return;
    machine().memory.uncharge(shm_data(ip).pages.size());
    shm_data(ip).sb = nullptr;
  });
}

void ShmSuperblock::release(const ShmInodeData& d) {
  for (const auto& [index, page] : d.pages) {
    if (page.data) --resident_;
    if (page.swap_slot != 0) swap_.erase(page.swap_slot);
  }
  machine().memory.uncharge(d.pages.size());
}

void ShmSuperblock::free_pages(Inode& ip, uint64_t first, uint64_t end) {
  if (end <= first) return;
  ShmInodeData& d = shm_data(ip);
  auto from = d.pages.lower_bound(first);
  auto to = end == UINT64_MAX ? d.pages.end() : d.pages.lower_bound(end);
  if (from == to) return;
  unmap_mapping_range(ip, first, end - 1);
  uint64_t dropped = 0;
  for (auto it = from; it != to; ++it) {
    if (it->second.data) --resident_;
    if (it->second.swap_slot != 0) swap_.erase(it->second.swap_slot);
    ++dropped;
  }
  d.pages.erase(from, to);
  machine().memory.uncharge(dropped);
}

std::shared_ptr<const ShmPageBytes> ShmSuperblock::page_bytes(const ShmInodeData& d,
                                                              uint64_t index) const {
  auto it = d.pages.find(index);
  if (it == d.pages.end()) return nullptr;
  return it->second.data ? it->second.data : swap_.at(it->second.swap_slot);
}

bool ShmSuperblock::swap_out(Inode& ip, uint64_t index) {
  ShmInodeData& d = shm_data(ip);
  auto it = d.pages.find(index);
  if (it == d.pages.end() || !it->second.data) return false;
  unmap_mapping_range(ip, index, index);  // try_to_unmap before swap-out.
  const uint64_t slot = next_slot_++;
  swap_.emplace(slot, std::move(it->second.data));
  it->second.swap_slot = slot;
  --resident_;
  ++swap_events_;
  machine().trace.record("shmfs-swap-out", {{"ino", ip.ino}, {"page", index}});
  return true;
}

std::vector<std::string> ShmSuperblock::check() const {
  std::vector<std::string> bad;
  uint64_t resident = 0;
  absl::btree_map<uint64_t, uint64_t> slot_users;
  for_each_inode([&](Inode& ip) {
    if (ip.type != VType::kReg || ip.data == nullptr) return;
    for (const auto& [index, page] : shm_data(ip).pages) {
      if (page.data != nullptr && page.swap_slot != 0) {
        bad.push_back(absl::StrFormat("ino %d page %d: resident and swapped", ip.ino, index));
      }
      if (page.data == nullptr && page.swap_slot == 0) {
        bad.push_back(absl::StrFormat("ino %d page %d: neither resident nor swapped", ip.ino, index));
      }
      if (page.data != nullptr) ++resident;
      if (page.swap_slot != 0) ++slot_users[page.swap_slot];
    }
  });
  if (resident != resident_) {
    bad.push_back(absl::StrFormat("resident count %d, pages resident %d", resident_, resident));
  }
  for (const auto& [slot, bytes] : swap_) {
    auto it = slot_users.find(slot);
    const uint64_t users = it == slot_users.end() ? 0 : it->second;
    if (users != 1) bad.push_back(absl::StrFormat("swap slot %d used by %d pages", slot, users));
  }
  for (const auto& [slot, users] : slot_users) {
    if (!swap_.contains(slot)) bad.push_back(absl::StrFormat("swap slot %d missing", slot));
  }
  if (resident_ + swap_.size() > max_pages_) bad.push_back("over the size limit");
  return bad;
}

char ShmSuperblock::page_state(const Inode& ip, uint64_t index) const {
  const ShmInodeData& d = shm_data(ip);
  auto it = d.pages.find(index);
  if (it == d.pages.end()) return '-';
  return it->second.data ? 'r' : 's';
}

void ShmSuperblock::maybe_swap(Inode& ip) {
  if (swap_pressure_ <= 0 || !pressure_.bernoulli(swap_pressure_)) return;
  std::vector<uint64_t> resident;
  for (const auto& [index, page] : shm_data(ip).pages) {
    if (page.data) resident.push_back(index);
  }
  if (!resident.empty()) swap_out(ip, resident[pressure_.uniform(resident.size())]);
}

// shmem_file_read_iter: page by page into the iterator; holes read as
// zeros (iov_iter_zero). A short copy (the caller's buffer faulted) ends
// the read with the bytes before it. The page's bytes are held by
// reference across the copy: faulting the caller's buffer in may reach
// this very file (a read into a mapping of it) and reshape the page map.
IoResult ShmVnodeOps::read(Inode& ip, const Kiocb& iocb, IovIter& to) {
  const off_t64 off = iocb.pos;
  const uint64_t n = off >= static_cast<off_t64>(ip.size)
                         ? 0
                         : std::min<uint64_t>(to.count(), ip.size - static_cast<uint64_t>(off));
  ShmSuperblock& sb = shm_sb(ip);
  IoResult r{0, Errno::kOk};
  while (r.done < n) {
    const uint64_t at = static_cast<uint64_t>(off) + r.done;
    const uint64_t in_page = at % kShmPageSize;
    const uint64_t chunk = std::min(kShmPageSize - in_page, n - r.done);
    std::shared_ptr<const ShmPageBytes> bytes = sb.page_bytes(shm_data(ip), at / kShmPageSize);
    const uint64_t copied =
        bytes == nullptr ? to.zero(chunk)
                         : to.copy_to(std::span(*bytes).subspan(in_page, chunk));
    r.done += copied;
    if (copied < chunk) {
      r.err = to.fault_errno();
      break;
    }
  }
  // shmem_file_read_iter ends with file_accessed whatever it read, a read
  // of 0 bytes or at EOF included (unlike filemap_read).
  file_accessed(iocb.filp);
  return r;
}

// shmem_file_write_iter -> generic_perform_write: for each page, fault the
// source in first (so a write from a mapping of this file cannot wait on
// itself), take the page, copy with page faults disabled, and on a short
// copy go round again (ShortCopyRetry); give up when the fault-in itself
// fails (EFAULT). shmem pages are always uptodate, so a short copy keeps
// what it copied.
IoResult ShmVnodeOps::write(Inode& ip, const Kiocb& iocb, IovIter& from) {
  ShmSuperblock& sb = shm_sb(ip);
  ShmInodeData& d = shm_data(ip);
  const off_t64 off = iocb.pos;
  const uint64_t total = from.count();
  uint64_t pos = 0;
  Errno err = Errno::kOk;
  ShortCopyRetry retry;
  while (pos < total) {
    const uint64_t at = static_cast<uint64_t>(off) + pos;
    const uint64_t in_page = at % kShmPageSize;
    const uint64_t chunk = std::min<uint64_t>(kShmPageSize - in_page, total - pos);
    if (from.user_backed() && from.fault_in_readable(chunk) == chunk) {
      err = Errno::kEFAULT;
      break;
    }
    Result<ShmPage*> page = sb.get_page(d, at / kShmPageSize);
    if (!page) {
      err = page.error();
      break;
    }
    std::shared_ptr<ShmPageBytes> bytes = (*page)->data;
    (*page)->falloc = false;
    const uint64_t copied = from.copy_from_atomic(std::span(*bytes).subspan(in_page, chunk));
    pos += copied;
    if (!retry.again(from, copied, &err)) break;
  }
  if (pos > 0) {
    ip.size = std::max<uint64_t>(ip.size, static_cast<uint64_t>(off) + pos);
    sb.touch(ip);
    sb.maybe_swap(ip);
  }
  return {pos, err};
}

Errno ShmVnodeOps::setsize(Inode& ip, off_t64 size, bool times) {
  ShmSuperblock& sb = shm_sb(ip);
  ShmInodeData& d = shm_data(ip);
  const uint64_t new_size = static_cast<uint64_t>(size);
  const bool changed = new_size != ip.size;
  // "if (info->alloced) shmem_truncate_range(inode, newsize, (loff_t)-1)"
  // when the size does not grow: it stamps mtime and ctime.
  const bool truncated = new_size <= ip.size && !d.pages.empty();
  if (truncated) {
    // Zero the tail of the last page, reading it back from swap if needed
    // (which cannot fail here: the page is there, and neither kernel fails
    // the call for it), then drop the whole pages past the new EOF, in
    // shm_dotruncate_locked's order.
    if (new_size % kShmPageSize != 0 && d.pages.contains(new_size / kShmPageSize)) {
      Result<ShmPage*> page = sb.get_page(d, new_size / kShmPageSize, /*can_fail=*/false);
      if (!page) return page.error();
      std::memset((*page)->data->data() + new_size % kShmPageSize, 0,
                  kShmPageSize - new_size % kShmPageSize);
    }
    sb.free_pages(ip, (new_size + kShmPageSize - 1) / kShmPageSize, UINT64_MAX);
  }
  ip.size = new_size;
  // setattr_copy's requested times; "update_mtime" on a size change.
  if (times || changed || truncated) sb.touch(ip);
  return Errno::kOk;
}

Errno ShmVnodeOps::allocate(Inode& ip, int mode, off_t64 off, off_t64 len) {
  ShmSuperblock& sb = shm_sb(ip);
  ShmInodeData& d = shm_data(ip);
  if (mode == (kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE)) {
    // shmem_truncate_range(off, off+len-1): partial pages at the edges are
    // zeroed in the range, whole pages freed — including pages past EOF,
    // as the range is not clipped to i_size (unlike shm_deallocate).
    const uint64_t start = static_cast<uint64_t>(off);
    const uint64_t end = static_cast<uint64_t>(off) + static_cast<uint64_t>(len);
    const uint64_t first_whole = (start + kShmPageSize - 1) / kShmPageSize;
    const uint64_t end_whole = end / kShmPageSize;  // Exclusive.
    if (first_whole > end_whole) {  // Inside one page.
      const Errno e =
          partial_page_invalidate(ip, start / kShmPageSize, start % kShmPageSize,
                                  end % kShmPageSize == 0 ? kShmPageSize : end % kShmPageSize,
                                  false);
      if (e == Errno::kOk) sb.touch(ip);  // "if (!error) file_modified(file)".
      return e;
    }
    if (start % kShmPageSize != 0) {
      if (Errno e = partial_page_invalidate(ip, start / kShmPageSize, start % kShmPageSize,
                                            kShmPageSize, false);
          e != Errno::kOk) {
        return e;
      }
    }
    sb.free_pages(ip, first_whole, end_whole);
    if (end % kShmPageSize != 0) {
      if (Errno e = partial_page_invalidate(ip, end_whole, 0, end % kShmPageSize, false);
          e != Errno::kOk) {
        return e;
      }
    }
    sb.touch(ip);  // "if (!error) file_modified(file)".
    return Errno::kOk;
  }
  if (mode != kFALLOC_FL_ALLOCATE_RANGE && mode != kFALLOC_FL_KEEP_SIZE) return Errno::kEOPNOTSUPP;
  // shmem_fallocate: allocate every page, undoing the new ones on failure;
  // "if (sbinfo->max_blocks && end - start > sbinfo->max_blocks) error =
  // -ENOSPC" first, so a range larger than the filesystem allocates nothing.
  std::vector<uint64_t> added;
  const uint64_t first = static_cast<uint64_t>(off) / kShmPageSize;
  const uint64_t end = (static_cast<uint64_t>(off + len) + kShmPageSize - 1) / kShmPageSize;
  if (end - first > sb.max_pages()) return Errno::kENOSPC;
  for (uint64_t i = first; i < end; ++i) {
    if (auto it = d.pages.find(i); it != d.pages.end()) {
      // shmem_get_folio(SGP_FALLOC) on a folio fallocated by an earlier
      // call initialises it: it becomes uptodate, i.e. data.
      it->second.falloc = false;
      continue;
    }
    Result<ShmPage*> page = sb.get_page(d, i);
    if (!page) {
      for (uint64_t a : added) sb.free_page(ip, a);
      return page.error();
    }
    (*page)->falloc = true;
    added.push_back(i);
  }
  if (!(mode & kFALLOC_FL_KEEP_SIZE) && static_cast<uint64_t>(off + len) > ip.size) {
    ip.size = static_cast<uint64_t>(off + len);
  }
  // shmem_fallocate: "if (!error) file_modified(file)", with or without a
  // size change.
  sb.touch(ip);
  return Errno::kOk;
}

Errno ShmVnodeOps::mmap(Inode& ip, int prot, int flags) {
  // seal_check_write: "F_SEAL_WRITE ... mmap() with PROT_WRITE and
  // MAP_SHARED fails with EPERM".
  const bool shared = (flags & kMAP_TYPE) != kMAP_PRIVATE;
  if ((ip.seals & kF_SEAL_WRITE) && shared && (prot & kProtWrite)) return Errno::kEPERM;
  return Errno::kOk;
}

Result<std::shared_ptr<PhysPage>> ShmVnodeOps::fault(Inode& ip, uint64_t pgoff, bool) {
  if (pgoff * kShmPageSize >= ip.size) return Fail(Errno::kEFAULT);
  ShmSuperblock& sb = shm_sb(ip);
  ShmInodeData& d = shm_data(ip);
  Result<ShmPage*> page = sb.get_page(d, pgoff);
  if (!page) return Fail(page.error());
  (*page)->falloc = false;  // A faulted page is uptodate.
  return std::shared_ptr<PhysPage>(std::make_shared<RamPage>((*page)->data));
}

Result<std::shared_ptr<PhysPage>> ShmVnodeOps::page_mkwrite(Inode& ip, uint64_t pgoff) {
  if (pgoff * kShmPageSize >= ip.size) return Fail(Errno::kEFAULT);
  ip.sb->touch(ip);
  return nullptr;
}

Result<off_t64> ShmVnodeOps::seek_data_hole(Inode& ip, off_t64 off, int whence) {
  if (off >= static_cast<off_t64>(ip.size)) return Fail(Errno::kENXIO);
  const ShmInodeData& d = shm_data(ip);
  const uint64_t index = static_cast<uint64_t>(off) / kShmPageSize;
  const uint64_t last = (ip.size - 1) / kShmPageSize;
  if (whence == kSEEK_DATA) {
    for (auto it = d.pages.lower_bound(index); it != d.pages.end() && it->first <= last; ++it) {
      if (!it->second.falloc) {
        return std::max<off_t64>(off, static_cast<off_t64>(it->first * kShmPageSize));
      }
    }
    return Fail(Errno::kENXIO);
  }
  // The first page at or after `index` that is absent or fallocated.
  uint64_t i = index;
  for (auto it = d.pages.lower_bound(index); it != d.pages.end() && it->first == i; ++it, ++i) {
    if (it->second.falloc) break;
  }
  return std::min<off_t64>(std::max<off_t64>(off, static_cast<off_t64>(i * kShmPageSize)),
                           static_cast<off_t64>(ip.size));
}

Result<off_t64> ShmVnodeOps::llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) {
  if (ip.is_dir()) {
    // offset_dir_llseek.
    switch (whence) {
      case kSEEK_CUR:
        off = static_cast<off_t64>(static_cast<uint64_t>(off) + static_cast<uint64_t>(pos));
        [[fallthrough]];
      case kSEEK_SET:
        if (off >= 0) break;
        [[fallthrough]];
      default:
        return Fail(Errno::kEINVAL);
    }
    return vfs_setpos(off, kOffMax);
  }
  if (whence != kSEEK_DATA && whence != kSEEK_HOLE) {
    return generic_file_llseek_size(pos, off, whence, kOffMax, static_cast<off_t64>(ip.size));
  }
  if (off < 0) return Fail(Errno::kENXIO);
  Result<off_t64> found = seek_data_hole(ip, off, whence);
  if (!found) return found;
  return vfs_setpos(*found, kOffMax);
}

Errno ShmVnodeOps::getattr(Inode& ip, Stat* st) {
  constexpr uint64_t kBogoDirentSize = 20;
  const Errno e = VopDefaults::getattr(ip, st);
  if (ip.is_dir()) st->size = kBogoDirentSize * (2 + ip.entries.size());
  return e;
}

const ShmFileOps& ShmFileOps::instance() {
  static const ShmFileOps ops;
  return ops;
}

IoResult ShmFileOps::fo_write(File& fp, const Kiocb& iocb, IovIter& from) const {
  if (fp.inode->seals & kF_SEAL_WRITE) return {0, Errno::kEPERM};
  if ((fp.inode->seals & kF_SEAL_GROW) &&
      static_cast<uint64_t>(iocb.pos) + from.count() > fp.inode->size) {
    return {0, Errno::kEPERM};
  }
  return VnFileOps::fo_write(fp, iocb, from);
}

Errno ShmFileOps::fo_fspacectl(File& fp, int cmd, off_t64* off, off_t64* len, int flags) const {
  if (cmd != kSPACECTL_DEALLOC || *off < 0 || *len <= 0 || *len > kOffMax - *off || flags != 0) {
    return Errno::kEINVAL;
  }
  if (fp.inode->seals & kF_SEAL_WRITE) return Errno::kEPERM;
  return shm_deallocate(*fp.inode, off, len);
}

Errno shm_deallocate(Inode& ip, off_t64* offset, off_t64* length) {
  uint64_t off = static_cast<uint64_t>(*offset);
  int64_t len = *length;
  if (off + static_cast<uint64_t>(len) > ip.size) len = static_cast<int64_t>(ip.size) - static_cast<int64_t>(off);
  // The range starts on or beyond the size: nothing to do, r_offset stays.
  if (len <= 0) {
    *length = 0;
    return Errno::kOk;
  }
  ShmSuperblock& sb = shm_sb(ip);
  const uint64_t startofs = off % kShmPageSize;
  const uint64_t endofs = (off + static_cast<uint64_t>(len)) % kShmPageSize;
  const uint64_t pistart = off / kShmPageSize;
  const uint64_t piend = (off + static_cast<uint64_t>(len)) / kShmPageSize;
  const uint64_t pi = (off + kShmPageSize - 1) / kShmPageSize;
  Errno error = Errno::kOk;
  const uint64_t start_off = off;

  [&] {
    if (startofs != 0) {
      const uint64_t end = pistart != piend ? kShmPageSize : endofs;
      if ((error = partial_page_invalidate(ip, pistart, startofs, end)) != Errno::kOk) return;
      off += end - startofs;
      len -= static_cast<int64_t>(end - startofs);
    }
    if (pi < piend) {
      sb.free_pages(ip, pi, piend);
      off += (piend - pi) * kShmPageSize;
      len -= static_cast<int64_t>((piend - pi) * kShmPageSize);
    }
    // The excerpt's condition is `pistart != piend`: a range that starts on
    // a page boundary and ends inside that same page then zeroes nothing
    // and leaves r_len > 0 on success. The differential run against tmpfs
    // found it; variant shm.dealloc_page_head keeps the excerpt's answer.
    const bool head_only = startofs == 0 && pistart == piend;
    const bool zero_head = head_only && sb.machine().variants.get(variant::kShmDeallocPageHead) == variant::ShmDeallocPageHead::kZero;
    if (endofs != 0 && (pistart != piend || zero_head)) {
      if ((error = partial_page_invalidate(ip, piend, 0, endofs)) != Errno::kOk) return;
      off += endofs;
      len -= static_cast<int64_t>(endofs);
    }
  }();
  if (off != start_off) sb.touch(ip);
  *offset = static_cast<off_t64>(off);
  *length = len;
  return error;
}

Errno ShmSuperblock::statfs(Kstatfs* st) const {
  st->f_type = kTMPFS_MAGIC;
  st->f_bsize = kShmPageSize;
  st->f_namelen = 255;
  if (max_pages_ != UINT64_MAX) {
    const uint64_t used = resident_ + swap_.size();
    st->f_blocks = max_pages_;
    st->f_bfree = st->f_bavail = max_pages_ > used ? max_pages_ - used : 0;
  }
  if (max_inodes_ != 0) {
    // The inodes alive now count against nr_inodes (shmem_reserve_inode).
    uint64_t live = 0;
    for_each_inode([&](Inode&) { ++live; });
    st->f_files = max_inodes_;
    st->f_ffree = max_inodes_ > live ? max_inodes_ - live : 0;
  }
  return Errno::kOk;
}

void register_shmfs(Vfs& vfs) {
  vfs.register_fs("shmfs", [](Machine& m, BlockDevice*, const MountOptions& opts)
                               -> Result<std::unique_ptr<Superblock>> {
    uint64_t max_pages = kShmDefaultSize / kShmPageSize;
    uint64_t max_inodes = 0;
    double pressure = 0;
    for (const auto& [key, value] : opts.fs) {
      bool ok = false;
      if (key == "size") {
        const uint64_t bytes = parse_size(value, &ok);
        max_pages = bytes == 0 ? UINT64_MAX : bytes / kShmPageSize;  // size=0: no limit.
      } else if (key == "nr_inodes") {
        max_inodes = parse_size(value, &ok);  // 0: no limit.
      } else if (key == "swap_pressure") {
        ok = absl::SimpleAtod(value, &pressure) && pressure >= 0 && pressure <= 1;
      }
      if (!ok) return Fail(Errno::kEINVAL);
    }
    auto sb = std::make_unique<ShmSuperblock>(m, opts, max_pages, pressure);
    sb->set_max_inodes(max_inodes);
    sb->make_root();
    return std::unique_ptr<Superblock>(std::move(sb));
  });
}

}  // namespace vfssim
