#include "fs/devtmpfs/devtmpfs.h"

#include <memory>

#include "fs/shmfs/shmfs.h"
#include "vfs/chardev.h"

namespace vfssim {

void register_devtmpfs(Vfs& vfs) {
  vfs.register_fs("devtmpfs", [](Machine& m, BlockDevice*, const MountOptions& opts)
                                  -> Result<std::unique_ptr<Superblock>> {
    if (!opts.fs.empty()) return Fail(Errno::kEINVAL);
    auto sb = std::make_unique<ShmSuperblock>(m, opts, UINT64_MAX, 0, shm_vnode_ops(), "devtmpfs");
    sb->make_root();
    // devtmpfs_create_node for each memory device (devlist: "null" 0666,
    // "zero" 0666).
    for (const auto& [name, dev] : {std::pair{"null", kDevNull}, std::pair{"zero", kDevZero}}) {
      Result<InodeRef> node = sb->ops().create(*sb->root, name, VType::kChr, 0666, Creds::root());
      if (!node) return Fail(node.error());
      (*node)->rdev = dev;
    }
    return std::unique_ptr<Superblock>(std::move(sb));
  });
}

}  // namespace vfssim
