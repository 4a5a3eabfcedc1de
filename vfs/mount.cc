#include "vfs/mount.h"

#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "sim/absl_view.h"

namespace vfssim {

Result<MountOptions> MountOptions::parse(std::string_view text) {
  MountOptions o;
  if (text.empty()) return o;
  for (absl::string_view item : absl::StrSplit(to_absl(text), ',')) {
    if (item.empty()) return Fail(Errno::kEINVAL);
    std::string key(item.substr(0, item.find('=')));
    std::string value =
        item.find('=') == absl::string_view::npos ? "" : std::string(item.substr(item.find('=') + 1));
    if (key == "ro") {
      o.ro = true;
    } else if (key == "rw") {
      o.ro = false;
    } else if (key == "nodev" || key == "dev") {
      o.nodev = key == "nodev";
    } else if (key == "dax") {
      if (value == "always" || value.empty()) {
        o.dax = DaxMode::kAlways;
      } else if (value == "never") {
        o.dax = DaxMode::kNever;
      } else if (value == "inode") {
        o.dax = DaxMode::kInode;
      } else {
        return Fail(Errno::kEINVAL);
      }
    } else if (key == "bs") {
      uint32_t bs = 0;
      if (!absl::SimpleAtoi(value, &bs) || bs < 512 || bs > 65536 || (bs & (bs - 1)) != 0) {
        return Fail(Errno::kEINVAL);
      }
      o.block_size = bs;
    } else if (key == "cache_pressure") {
      if (!absl::SimpleAtod(value, &o.cache_pressure) || o.cache_pressure < 0 ||
          o.cache_pressure > 1) {
        return Fail(Errno::kEINVAL);
      }
    } else if (key == "ipc") {
      if (value == "direct") {
        o.ipc = IpcMode::kDirect;
      } else if (value == "safecopy") {
        o.ipc = IpcMode::kSafecopy;
      } else {
        return Fail(Errno::kEINVAL);
      }
    } else if (key == "cpf_try") {
      if (value != "0" && value != "1") return Fail(Errno::kEINVAL);
      o.cpf_try = value == "1";
    } else if (key == "partial_io") {
      if (value == "proper") {
        o.partial_io = PartialIo::kProper;
      } else if (value == "whole") {
        o.partial_io = PartialIo::kWhole;
      } else {
        return Fail(Errno::kEINVAL);
      }
    } else {
      o.fs[key] = value;
    }
  }
  return o;
}

Superblock::Superblock(Machine& machine, std::string fs_type, MountOptions opts, VnodeOps& ops)
    : cache_pressure(opts.cache_pressure),
      cache_rng(machine.rng.stream("pagecache/pressure")),
      machine_(machine),
      fs_type_(std::move(fs_type)),
      opts_(std::move(opts)),
      ops_(ops) {}

InodeRef Superblock::alloc_inode(VType type, uint32_t mode, const Creds& cr) {
  auto ip = std::make_shared<Inode>();
  ip->sb = this;
  ip->ino = next_ino_++;
  ip->type = type;
  ip->mode = mode & 07777;
  ip->uid = cr.uid;
  ip->gid = cr.gid;
  ip->atime = ip->mtime = ip->ctime = ip->btime = machine_.clock.now();
  init_inode(*ip);
  // Forget inodes that have died, once the table has doubled since the last
  // sweep: amortised O(1) per allocation, memory bounded by the live ones.
  if (inodes_.size() >= sweep_at_) {
    absl::erase_if(inodes_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max<size_t>(64, 2 * inodes_.size());
  }
  inodes_[ip->ino] = ip;
  return ip;
}

void Superblock::make_root() {
  root = alloc_inode(VType::kDir, 0755, Creds::root());
  root->nlink = 2;
}

void Superblock::for_each_inode(const std::function<void(Inode&)>& fn) const {
  for (const auto& [ino, weak] : inodes_) {
    if (InodeRef ip = weak.lock()) fn(*ip);
  }
}

void Superblock::touch(Inode& ip, bool mtime) {
  const Timespec now = machine_.clock.now();
  if (mtime) ip.mtime = now;
  ip.ctime = now;
}

bool Vfs::register_fs(std::string name, FsFactory factory) {
  return types_.emplace(std::move(name), std::move(factory)).second;
}

Errno Vfs::mount(std::string_view fs_type, BlockDevice* dev, std::string_view options,
                 std::string_view path, const Creds& cr) {
  if (!cr.capable(Cap::kSysAdmin)) return Errno::kEPERM;
  auto type = types_.find(fs_type);
  if (type == types_.end()) return Errno::kENODEV;
  Inode* covered = nullptr;
  if (!mounts_.empty()) {
    Result<InodeRef> at = resolve(path, root());
    if (!at) return at.error();
    if (!(*at)->is_dir()) return Errno::kENOTDIR;
    // resolve() crossed any mount already here, so a second mount stacks on
    // top of the first, as Linux and FreeBSD allow.
    covered = at->get();
  } else if (path != "/") {
    return Errno::kENOENT;
  }
  Result<MountOptions> opts = MountOptions::parse(options);
  if (!opts) return opts.error();
  Result<std::unique_ptr<Superblock>> sb = type->second(machine_, dev, *opts);
  if (!sb) return sb.error();
  (*sb)->mnt_relatime = true;  // path_mount: "Default to relatime".
  if (covered != nullptr) {
    covered->mounted = sb->get();
    (*sb)->root->parent = covered->parent;
    (*sb)->covered = covered;
  }
  machine_.trace.record("mount", {{"fs", fs_type}, {"path", path}, {"options", options}});
  mounts_.push_back(std::move(*sb));
  return Errno::kOk;
}

Result<Superblock*> Vfs::kern_mount(std::string_view fs_type) {
  if (auto it = kern_mounts_.find(fs_type); it != kern_mounts_.end()) return it->second.get();
  auto type = types_.find(fs_type);
  if (type == types_.end()) return Fail(Errno::kENODEV);
  Result<std::unique_ptr<Superblock>> sb = type->second(machine_, nullptr, MountOptions{});
  if (!sb) return Fail(sb.error());
  machine_.trace.record("kern-mount", {{"fs", fs_type}});
  return kern_mounts_.emplace(std::string(fs_type), std::move(*sb)).first->second.get();
}

Errno Superblock::sync_fs() {
  // writeback_inodes_sb / sync_inodes_sb: failures go to the errseqs.
  for_each_inode([&](Inode& ip) {
    if (!ip.is_reg()) return;
    ops_.fsync(ip, 0, kOffMax, false);
    // writeback_single_inode clears I_DIRTY_PAGES once nothing is dirty.
    if (ip.cache.nr_dirty() == 0) ip.cache.dirtied_since_sync = false;
  });
  return Errno::kOk;
}

void Vfs::sync() {
  for (const auto& sb : mounts_) sb->sync_fs();
  for (const auto& [name, sb] : kern_mounts_) sb->sync_fs();
}

Errno Vfs::umount(std::string_view path, const Creds& cr) {
  Errno e = [&] {
    if (!cr.capable(Cap::kSysAdmin)) return Errno::kEPERM;
    Result<InodeRef> at = resolve(path, root());
    if (!at) return at.error();
    Superblock* sb = (*at)->sb;
    if (sb->root.get() != at->get()) return Errno::kEINVAL;
    if (sb->covered == nullptr) return Errno::kEBUSY;  // The root filesystem.
    bool mapped = false;
    sb->for_each_inode([&](Inode& ip) { mapped |= !ip.mappers.empty(); });
    // A working directory or a mount below holds it as an open file does
    // (propagate_mount_busy); freeing it would leave them dangling.
    const bool covers = std::any_of(mounts_.begin(), mounts_.end(), [&](const auto& m) {
      return m->covered != nullptr && m->covered->sb == sb;
    });
    if (sb->open_files > 0 || sb->pins > 0 || mapped || covers) return Errno::kEBUSY;
    sb->sync_fs();
    sb->put_super();
    sb->covered->mounted = nullptr;
    auto it = std::find_if(mounts_.begin(), mounts_.end(),
                           [&](const std::unique_ptr<Superblock>& m) { return m.get() == sb; });
    mounts_.erase(it);
    return Errno::kOk;
  }();
  machine_.trace.record("umount", {{"path", path}, {"errno", e}});
  return e;
}

namespace {

constexpr size_t kNameMax = 255;

// step moves from directory `dir` to its entry `name`, crossing mount
// points; "." and ".." included ("/.." is "/").
Result<InodeRef> step(const InodeRef& dir, std::string_view name) {
  if (name.size() > kNameMax) return Fail(Errno::kENAMETOOLONG);
  if (!dir->is_dir()) return Fail(Errno::kENOTDIR);
  if (name == ".") return dir;
  if (name == "..") return dir->parent == nullptr ? dir : dir->parent->shared_from_this();
  Result<InodeRef> next = dir->ops().lookup(*dir, name);
  if (!next) return next;
  InodeRef ip = *next;
  while (ip->mounted != nullptr) ip = ip->mounted->root;
  return ip;
}

}  // namespace

Result<std::pair<InodeRef, std::string>> Vfs::resolve_parent(std::string_view path,
                                                             const InodeRef& cwd) const {
  if (path.empty()) return Fail(Errno::kENOENT);
  InodeRef dir = path.front() == '/' ? root() : cwd;
  // Nothing mounted (or no working directory): nothing can be found.
  if (dir == nullptr) return Fail(Errno::kENOENT);
  std::vector<absl::string_view> parts = absl::StrSplit(to_absl(path), '/', absl::SkipEmpty());
  if (parts.empty()) return std::make_pair(dir, std::string("."));
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Result<InodeRef> next = step(dir, std::string_view(parts[i].data(), parts[i].size()));
    if (!next) return Fail(next.error());
    dir = *next;
  }
  if (!dir->is_dir()) return Fail(Errno::kENOTDIR);
  if (parts.back().size() > kNameMax) return Fail(Errno::kENAMETOOLONG);
  return std::make_pair(dir, std::string(parts.back()));
}

Result<InodeRef> Vfs::resolve(std::string_view path, const InodeRef& cwd) const {
  Result<std::pair<InodeRef, std::string>> parent = resolve_parent(path, cwd);
  if (!parent) return Fail(parent.error());
  return step(parent->first, parent->second);
}

}  // namespace vfssim
