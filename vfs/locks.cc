// flock(2) (Linux's fs/locks.c: flock_lock_inode). A lock belongs to the
// open file description, not to the descriptor or the process; the last
// reference to the description drops it (File::~File).

#include "vfs/process.h"

#include <algorithm>

namespace vfssim {

Errno Process::flock(int fd, int op) {
  Errno e = [&] {
    // "Just ignore these requests now, to preserve legacy behavior."
    constexpr int kLockMand = 32;
    if (op & kLockMand) return Errno::kOk;
    // flock_translate_cmd, before the descriptor is looked at.
    const int cmd = op & ~kLOCK_NB;
    if (cmd != kLOCK_SH && cmd != kLOCK_EX && cmd != kLOCK_UN) return Errno::kEINVAL;
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    const File* fp = got->get();
    if (cmd != kLOCK_UN && !fp->read && !fp->write) return Errno::kEBADF;
    std::vector<std::pair<const File*, bool>>& held = fp->inode->flocks;
    auto mine = std::find_if(held.begin(), held.end(), [&](const auto& l) { return l.first == fp; });
    const bool exclusive = cmd == kLOCK_EX;
    if (mine != held.end() && cmd != kLOCK_UN && mine->second == exclusive) return Errno::kOk;
    // A conversion drops the old lock first, as flock_lock_inode does.
    if (mine != held.end()) held.erase(mine);
    if (cmd == kLOCK_UN) return Errno::kOk;
    const bool conflict = std::any_of(held.begin(), held.end(), [&](const auto& l) {
      return exclusive || l.second;
    });
    if (conflict) return (op & kLOCK_NB) ? Errno::kEAGAIN : Errno::kEINTR;
    held.emplace_back(fp, exclusive);
    return Errno::kOk;
  }();
  trace("flock", {{"fd", fd}, {"op", op}}, e);
  return e;
}

}  // namespace vfssim
