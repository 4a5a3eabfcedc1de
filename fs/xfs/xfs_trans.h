// XfsTrans: one metadata transaction of the XFS-like filesystem (Linux's
// struct xfs_trans with its log items). Every operation that changes
// metadata opens one, reserving the blocks it may need up front
// (xfs_trans_alloc's t_blk_res): when free space cannot cover the
// reservation the operation fails with ENOSPC before anything has changed.
// Each change is appended as a log item with a serialisable form, so a
// later layer can write transactions to the device and replay them for
// crash-consistency testing; commit hands the items to the mount's log.
//
//   XfsTrans tp = mount.trans_alloc("write", /*blocks=*/8);   // or ENOSPC
//   tp.log(XfsLogItem::alloc(123, 8));
//   mount.trans_commit(std::move(tp));

#ifndef VFSSIM_FS_XFS_XFS_TRANS_H_
#define VFSSIM_FS_XFS_XFS_TRANS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"
#include "sim/errno.h"

namespace vfssim {

// XfsLogItem is one logged metadata change.
struct XfsLogItem {
  enum Kind : uint8_t {
    kAlloc,     // Blocks [a, a + b) left free space (an EFI's inverse).
    kFree,      // Blocks [a, a + b) returned to free space (EFI/EFD).
    kMap,       // Inode `ino` fork `fork`: file blocks [a, a + c) -> block b (BUI map).
    kUnmap,     // Inode `ino` fork `fork`: file blocks [a, a + c) unmapped (BUI unmap).
    kConvert,   // Inode `ino`: [a, a + c) changed state to d (0 norm, 1 unwritten).
    kRefcount,  // Blocks [a, a + b) gained d - 1 (d: 0 = -1, 2 = +1) owners (CUI).
    kShift,     // Inode `ino`: records from block a moved by b (signed, as c = sign).
    kInode,     // Inode core: size a, nblocks b, diflags c.
    kIchange,   // Inode attributes (FSSETXATTR): xflags a, extent size b, CoW extent size c (blocks).
  };
  Kind kind;
  uint64_t ino = 0;
  uint8_t fork = 0;  // 0 data, 1 CoW.
  uint64_t a = 0, b = 0, c = 0, d = 0;

  static XfsLogItem alloc(uint64_t start, uint64_t len) { return {kAlloc, 0, 0, start, len}; }
  static XfsLogItem free(uint64_t start, uint64_t len) { return {kFree, 0, 0, start, len}; }
  nlohmann::json to_json() const;
  // from_json reads what to_json wrote back; EINVAL for anything else.
  static Result<XfsLogItem> from_json(const nlohmann::json& j);
  friend bool operator==(const XfsLogItem&, const XfsLogItem&) = default;
};

class XfsTrans {
 public:
  XfsTrans(std::string_view name, uint64_t blk_res) : name_(name), blk_res_(blk_res) {}

  void log(const XfsLogItem& item) { items_.push_back(item); }

  // use takes `n` blocks from the reservation (an allocation made inside
  // the transaction). More than is left is an overrun, a bug in the
  // caller's reservation arithmetic: the blocks are still counted, and
  // the mount's check() reports the transaction once it commits.
  void use(uint64_t n) { blk_used_ += n; }
  bool overrun() const { return blk_used_ > blk_res_; }

  const std::string& name() const { return name_; }
  uint64_t blk_res() const { return blk_res_; }
  uint64_t blk_used() const { return blk_used_; }
  const std::vector<XfsLogItem>& items() const { return items_; }

  // to_json is the serialised transaction: its name, reservation and items.
  nlohmann::json to_json() const;
  // from_json reads a serialised transaction back (EINVAL if malformed),
  // so a log written to a device can be replayed.
  static Result<XfsTrans> from_json(const nlohmann::json& j);
  friend bool operator==(const XfsTrans&, const XfsTrans&) = default;

 private:
  std::string name_;
  uint64_t blk_res_;
  uint64_t blk_used_ = 0;
  std::vector<XfsLogItem> items_;
};

}  // namespace vfssim

#endif  // VFSSIM_FS_XFS_XFS_TRANS_H_
