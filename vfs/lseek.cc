// lseek (Linux's fs/read_write.c: ksys_lseek, vfs_setpos and the generic
// llseek helpers).

#include "vfs/lseek.h"

#include "vfs/file.h"
#include "vfs/mount.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

// add_wrapping is loff_t addition in a kernel built with
// -fno-strict-overflow: two's complement wraparound.
off_t64 add_wrapping(off_t64 a, off_t64 b) {
  return static_cast<off_t64>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

}  // namespace

Result<off_t64> vfs_setpos(off_t64 offset, off_t64 maxsize) {
  if (offset < 0 || offset > maxsize) return Fail(Errno::kEINVAL);
  return offset;
}

Result<off_t64> generic_file_llseek_size(off_t64 pos, off_t64 offset, int whence,
                                         off_t64 maxsize, off_t64 eof) {
  switch (whence) {
    case kSEEK_SET:
      break;
    case kSEEK_END:
      offset = add_wrapping(offset, eof);
      break;
    case kSEEK_CUR:
      // "Here we special-case the lseek(fd, 0, SEEK_CUR) position-querying
      // operation."
      if (offset == 0) return pos;
      offset = add_wrapping(pos, offset);
      break;
    case kSEEK_DATA:
      // "In the generic case the entire file is data, so as long as offset
      // isn't at the end of the file then the offset is data."
      if (static_cast<uint64_t>(offset) >= static_cast<uint64_t>(eof)) return Fail(Errno::kENXIO);
      break;
    case kSEEK_HOLE:
      // "There is a virtual hole at the end of the file, so as long as
      // offset isn't i_size or larger, return i_size."
      if (static_cast<uint64_t>(offset) >= static_cast<uint64_t>(eof)) return Fail(Errno::kENXIO);
      offset = eof;
      break;
    default:
      return Fail(Errno::kEINVAL);
  }
  return vfs_setpos(offset, maxsize);
}

Result<off_t64> VopDefaults::llseek(Inode& ip, off_t64 pos, off_t64 off, int whence) {
  return generic_file_llseek_size(pos, off, whence, ip.sb->maxbytes,
                                  static_cast<off_t64>(ip.size));
}

// ksys_lseek: the descriptor (fdget_pos: EBADF, also for O_PATH), then
// "if (whence <= SEEK_MAX)" (an unsigned comparison: negative whence is
// EINVAL), then vfs_llseek's "if (!(file->f_mode & FMODE_LSEEK)) return
// -ESPIPE", then the file's ->llseek (host probe lseek.jsonl: this order,
// whence 5 EINVAL even on a fifo).
Result<off_t64> Process::lseek(int fd, off_t64 off, int whence) {
  auto done = [&](Result<off_t64> r) {
    trace("lseek", {{"fd", fd}, {"off", off}, {"whence", whence}},
          r ? Errno::kOk : r.error(), r ? *r : 0);
    return r;
  };
  Result<std::shared_ptr<File>> got = get(fd);
  if (!got) return done(Fail(got.error()));
  File& fp = **got;
  if (static_cast<unsigned>(whence) > static_cast<unsigned>(kSEEK_MAX)) {
    return done(Fail(Errno::kEINVAL));
  }
  if (!fp.ops->seekable()) return done(Fail(Errno::kESPIPE));
  return done(fp.ops->fo_llseek(fp, off, whence));
}

}  // namespace vfssim
