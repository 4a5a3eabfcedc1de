// lseek (Linux's fs/read_write.c: ksys_lseek, vfs_setpos and the generic
// llseek helpers).

#include "vfs/process.h"

#include "vfs/internal/syscall.h"

namespace vfssim {

Result<off_t64> Process::lseek(int fd, off_t64 off, int whence) {
  auto done = [&](Result<off_t64> r) {
    if (tracing()) trace("lseek", {{"fd", fd}, {"off", off}, {"whence", whence}},
          r ? Errno::kOk : r.error(), r ? *r : 0);
    return r;
  };
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return done(Fail(got.error()));
  File& fp = **got;
  if (!fp.ops->seekable()) return done(Fail(Errno::kESPIPE));
  const Inode& ip = *fp.inode;
  off_t64 base = 0;
  switch (whence) {
    case kSEEK_SET:
      break;
    case kSEEK_CUR:
      base = fp.pos;
      break;
    case kSEEK_END:
      base = static_cast<off_t64>(ip.size);
      break;
    case kSEEK_DATA:
    case kSEEK_HOLE: {
      if (off < 0) return done(Fail(Errno::kENXIO));
      Result<off_t64> r = fp.ops->fo_seek_data_hole(fp, off, whence);
      if (r) fp.pos = *r;
      return done(r);
    }
    default:
      return done(Fail(Errno::kEINVAL));
  }
  if ((off > 0 && base > kOffMax - off)) return done(Fail(Errno::kEINVAL));
  const off_t64 target = base + off;
  if (target < 0 || target > ip.sb->maxbytes) return done(Fail(Errno::kEINVAL));
  fp.pos = target;
  return done(target);
}

}  // namespace vfssim
