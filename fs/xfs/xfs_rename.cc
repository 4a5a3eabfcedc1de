// The XFS-like filesystem's rename: the VFS's (VopDefaults), but for the
// errno of a directory renamed over a non-empty one.

#include "fs/xfs/xfs_file.h"

namespace vfssim {

Errno XfsVnodeOps::rename(Inode& from_dir, std::string_view from_name, Inode& to_dir,
                          std::string_view to_name, unsigned flags) {
  if ((flags & kRENAME_EXCHANGE) == 0) {
    auto from = from_dir.entries.find(from_name);
    auto to = to_dir.entries.find(to_name);
    if (from != from_dir.entries.end() && to != to_dir.entries.end() && from->second != to->second &&
        from->second->is_dir() && to->second->is_dir() && !to->second->entries.empty()) {
      return Errno::kEEXIST;
    }
  }
  return VopDefaults::rename(from_dir, from_name, to_dir, to_name, flags);
}

}  // namespace vfssim
