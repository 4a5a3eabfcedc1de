#include "vfs/timestamps.h"

#include "vfs/file.h"
#include "vfs/mount.h"

namespace vfssim {

bool relatime_need_update(const Inode& ip, Timespec now) {
  if (!ip.sb->mnt_relatime) return true;
  // "Is mtime younger than or equal to atime? If yes, update atime", and
  // the same for ctime.
  if (ip.mtime >= ip.atime || ip.ctime >= ip.atime) return true;
  // "Is the previous atime value older than a day? If yes, update atime."
  return now.sec - ip.atime.sec >= kRelatimeMaxAgeSec;
}

bool atime_needs_update(const Inode& ip, Timespec now) {
  if (ip.flags & kInodeNoatime) return false;
  if (ip.sb->options().ro) return false;
  if (!relatime_need_update(ip, now)) return false;
  return ip.atime != now;
}

void touch_atime(Inode& ip) {
  const Timespec now = ip.sb->machine().clock.now();
  if (atime_needs_update(ip, now)) ip.atime = now;
}

void file_accessed(const File* fp) {
  if (fp == nullptr || (fp->oflags & kO_NOATIME)) return;
  touch_atime(*fp->inode);
}

}  // namespace vfssim
