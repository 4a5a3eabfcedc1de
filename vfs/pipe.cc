// pipe2 (Linux's fs/pipe.c: do_pipe2, create_pipe_files).

#include <memory>
#include <utility>

#include "vfs/process.h"

namespace vfssim {

Result<std::pair<int, int>> Process::pipe2(int flags) {
  std::pair<int, int> fds{-1, -1};
  Errno e = [&] {
    if (flags & ~kO_NONBLOCK) return Errno::kEINVAL;
    Result<Superblock*> sb = vfs_.kern_mount("shmfs");
    if (!sb) return Errno::kENOSYS;
    InodeRef ip = (*sb)->alloc_inode(VType::kFifo, 0600, creds_);
    ip->data = std::make_unique<FifoData>();
    auto end = [&](bool write) {
      auto fp = std::make_shared<File>();
      fp->inode = ip;
      fp->oflags = (write ? kO_WRONLY : kO_RDONLY) | flags;
      fp->read = !write;
      fp->write = write;
      fp->ops = &FifoFileOps::instance();
      FifoFileOps::open(*fp);
      return fp;
    };
    auto rd = end(false);  // The reader first, so the writer finds it.
    auto wr = end(true);
    fds = {install(std::move(rd)), install(std::move(wr))};
    return Errno::kOk;
  }();
  if (tracing()) trace("pipe2", {{"flags", flags}}, e, fds.first);
  if (e != Errno::kOk) return Fail(e);
  return fds;
}

}  // namespace vfssim
