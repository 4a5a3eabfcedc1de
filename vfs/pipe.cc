// pipe2 (Linux's fs/pipe.c: do_pipe2, create_pipe_files).

#include <memory>
#include <utility>

#include "vfs/mount.h"

#include "vfs/process.h"

namespace vfssim {

namespace {

// PipefsVnodeOps: a pipe's inode is only ever reached through its FIFO
// file operations; the inode operations pipefs has are the generic ones.
class PipefsVnodeOps : public VopDefaults {
 public:
  IoResult read(Inode&, const Kiocb&, IovIter&) override { return {0, Errno::kEINVAL}; }
  IoResult write(Inode&, const Kiocb&, IovIter&) override { return {0, Errno::kEINVAL}; }
  Errno setsize(Inode&, off_t64, bool) override { return Errno::kEINVAL; }
};

// PipefsSuperblock: pipefs, the kernel's internal mount pipes live on
// (Linux's pipe_mnt). Its statfs is simple_statfs with PIPEFS_MAGIC.
class PipefsSuperblock : public Superblock {
 public:
  explicit PipefsSuperblock(Machine& m) : Superblock(m, "pipefs", MountOptions{}, ops()) {}
  Errno statfs(Kstatfs* st) const override {
    st->f_type = kPIPEFS_MAGIC;
    st->f_bsize = kUserPageSize;
    st->f_namelen = 255;
    return Errno::kOk;
  }

 private:
  static PipefsVnodeOps& ops() {
    static PipefsVnodeOps o;
    return o;
  }
};

}  // namespace

Result<std::pair<int, int>> Process::pipe2(int flags) {
  std::pair<int, int> fds{-1, -1};
  Errno e = [&] {
    if (flags & ~kO_NONBLOCK) return Errno::kEINVAL;
    // init_pipe_fs registers pipefs at boot; here on the first pipe.
    vfs_.register_fs("pipefs", [](Machine& m, BlockDevice*, const MountOptions&)
                                   -> Result<std::unique_ptr<Superblock>> {
      auto sb = std::make_unique<PipefsSuperblock>(m);
      sb->make_root();
      return std::unique_ptr<Superblock>(std::move(sb));
    });
    Result<Superblock*> sb = vfs_.kern_mount("pipefs");
    if (!sb) return sb.error();
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
  trace("pipe2", {{"flags", flags}}, e, fds.first);
  if (e != Errno::kOk) return Fail(e);
  return fds;
}

}  // namespace vfssim
