// fsync, fdatasync and syncfs (Linux's fs/sync.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {

Errno Process::fsync(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  Errno e = got ? (*got)->ops->fo_fsync(**got, 0, kOffMax, false) : got.error();
  trace("fsync", {{"fd", fd}}, e);
  return e;
}

Errno Process::fdatasync(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  Errno e = got ? (*got)->ops->fo_fsync(**got, 0, kOffMax, true) : got.error();
  trace("fdatasync", {{"fd", fd}}, e);
  return e;
}

Errno Process::syncfs(int fd) {
  Errno e = [&] {
    // fdget: an O_PATH descriptor is EBADF; any other file will do, its
    // filesystem is written back (sync_filesystem).
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    Superblock& sb = *fp.inode->sb;
    const Errno ret = sb.sync_fs();
    // "ret2 = errseq_check_and_advance(&sb->s_wb_err, &f.file->f_sb_err)":
    // this description hears once of what the filesystem's writeback
    // failed since it last looked (host probe errseq.jsonl).
    const Errno ret2 = sb.s_wb_err.check_and_advance(&fp.f_sb_err);
    return ret != Errno::kOk ? ret : ret2;
  }();
  trace("syncfs", {{"fd", fd}}, e);
  return e;
}

void Process::sync() {
  vfs_.sync();
  trace("sync", {}, Errno::kOk);
}

}  // namespace vfssim
