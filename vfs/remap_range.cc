// FIDEDUPERANGE's per-destination loop (Linux's fs/remap_range.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

#include "vfs/internal/syscall.h"

namespace vfssim {

using internal::is_ro;
using internal::kMayWrite;

// ioctl_file_dedupe_range -> vfs_dedupe_file_range (Linux 6.18), checked on
// the host: the argument is at most a page; reserved fields are EINVAL; the
// source must be a regular file; a filesystem without a remap op says
// EOPNOTSUPP before the range is looked at. Each destination then gets its
// own status; the call itself succeeds.
Errno Process::dedupe_range(File& src, FileDedupeRange* same) {
  constexpr size_t kPageSize = 4096;
  if (sizeof(FileDedupeRange) + same->dest_count * sizeof(FileDedupeRangeInfo) > kPageSize) {
    return Errno::kENOMEM;
  }
  std::span<FileDedupeRangeInfo> info(reinterpret_cast<FileDedupeRangeInfo*>(same + 1),
                                      same->dest_count);
  Inode& sip = *src.inode;
  // A source not open for reading is EINVAL here, not EBADF (host probe
  // dd_src_wronly), ahead of the reserved fields and the file type.
  if (!src.read) return Errno::kEINVAL;
  if (same->reserved1 != 0 || same->reserved2 != 0) return Errno::kEINVAL;
  if (sip.is_dir()) return Errno::kEISDIR;
  if (!sip.is_reg()) return Errno::kEINVAL;
  if (!sip.ops().can_remap()) return Errno::kEOPNOTSUPP;
  const off_t64 off = static_cast<off_t64>(same->src_offset);
  if (off < 0 || same->src_length > static_cast<uint64_t>(kOffMax - off)) return Errno::kEINVAL;
  if (same->src_offset + same->src_length > sip.size) return Errno::kEINVAL;
  // "Arbitrary 1G limit on a single dedupe request."
  const uint64_t len = std::min<uint64_t>(same->src_length, uint64_t{1} << 30);
  for (FileDedupeRangeInfo& d : info) {
    d.bytes_deduped = 0;
    d.status = kFILE_DEDUPE_RANGE_SAME;
  }
  for (FileDedupeRangeInfo& d : info) {
    Result<std::shared_ptr<File>> dst = get(static_cast<int>(d.dest_fd));
    if (!dst) {
      d.status = -static_cast<int32_t>(Errno::kEBADF);
      continue;
    }
    if (d.reserved != 0) {
      d.status = -static_cast<int32_t>(Errno::kEINVAL);
      continue;
    }
    File& dfp = **dst;
    Inode& dip = *dfp.inode;
    // vfs_dedupe_file_range_one, in its order.
    const Errno e = [&] {
      if (is_ro(dip)) return Errno::kEROFS;
      const off_t64 doff = static_cast<off_t64>(d.dest_offset);
      if (doff < 0 || len > static_cast<uint64_t>(kOffMax - doff)) return Errno::kEINVAL;
      // allow_file_dedupe: CAP_SYS_ADMIN, a writable open, the owner, or
      // write permission.
      const bool allowed = creds_.capable(Cap::kSysAdmin) || dfp.write || creds_.uid == dip.uid ||
                           permission(dip, kMayWrite) == Errno::kOk;
      if (!allowed) return Errno::kEPERM;
      if (dip.sb != sip.sb) return Errno::kEXDEV;
      if (dip.is_dir()) return Errno::kEISDIR;
      if (!dip.ops().can_remap()) return Errno::kEINVAL;
      return Errno::kOk;
    }();
    if (e != Errno::kOk) {
      d.status = -static_cast<int32_t>(e);
      continue;
    }
    if (len == 0) continue;
    Result<uint64_t> done =
        dip.ops().remap_range(sip, off, dip, static_cast<off_t64>(d.dest_offset), len,
                             kRemapFileDedup | kRemapFileCanShorten);
    if (!done && done.error() == Errno::kEBADE) {
      d.status = kFILE_DEDUPE_RANGE_DIFFERS;
    } else if (!done) {
      d.status = -static_cast<int32_t>(done.error());
    } else {
      // vfs_dedupe_file_range: "info->bytes_deduped = len" — the request,
      // whatever the filesystem shortened it to (host probes
      // dd_unaligned_len_mid, dd_eof_src_not_dst).
      d.bytes_deduped = len;
    }
  }
  return Errno::kOk;
}

}  // namespace vfssim
