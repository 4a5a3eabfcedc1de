// getdents64(2) (Linux's fs/readdir.c over dcache_readdir's order): "."
// and "..", then the entries by name. The file position counts entries.

#include "vfs/process.h"

#include <cstring>
#include <vector>

#include "vfs/timestamps.h"

namespace vfssim {

namespace {

// d_type values (DT_*).
uint8_t dtype(VType t) {
  switch (t) {
    case VType::kFifo: return 1;
    case VType::kChr: return 2;
    case VType::kDir: return 4;
    case VType::kBlk: return 6;
    case VType::kReg: return 8;
    case VType::kLnk: return 10;
  }
  return 0;
}

// The header of struct linux_dirent64: d_ino, d_off, d_reclen, d_type.
constexpr uint64_t kDirentHeader = 8 + 8 + 2 + 1;

}  // namespace

Result<uint64_t> Process::getdents64(int fd, uint64_t buf, uint64_t count) {
  uint64_t used = 0;
  Errno e = [&] {
    // fdget_pos: an O_PATH descriptor is EBADF.
    Result<std::shared_ptr<File>> got = get(fd);
    if (!got) return got.error();
    File& fp = **got;
    const Inode& dir = *fp.inode;
    // iterate_dir: "if (!file->f_op->iterate_shared) goto out" (-ENOTDIR).
    if (!dir.is_dir()) return Errno::kENOTDIR;
    // iterate_dir: ->iterate_shared, then "file_accessed(file)" whatever
    // the listing managed.
    const Errno listed = [&] {
      struct Entry {
        uint64_t ino;
        uint8_t type;
        std::string name;
      };
      std::vector<Entry> all;
      all.push_back({dir.ino, dtype(VType::kDir), "."});
      const Inode& parent = dir.parent != nullptr ? *dir.parent : dir;
      all.push_back({parent.ino, dtype(VType::kDir), ".."});
      for (const auto& [name, ip] : dir.entries) all.push_back({ip->ino, dtype(ip->type), name});
      std::vector<std::byte> out;
      uint64_t pos = static_cast<uint64_t>(std::max<off_t64>(fp.pos, 0));
      for (; pos < all.size(); ++pos) {
        const Entry& d = all[pos];
        // Records are 8-byte aligned and hold the name's NUL.
        const uint64_t reclen = (kDirentHeader + d.name.size() + 1 + 7) & ~uint64_t{7};
        if (used + reclen > count) {
          // filldir64: "if (reclen > buf->count) return -EINVAL" when nothing
          // fit yet.
          if (used == 0) return Errno::kEINVAL;
          break;
        }
        std::vector<std::byte> rec(reclen);
        const int64_t next = static_cast<int64_t>(pos + 1);
        const uint16_t len16 = static_cast<uint16_t>(reclen);
        std::memcpy(rec.data(), &d.ino, 8);
        std::memcpy(rec.data() + 8, &next, 8);
        std::memcpy(rec.data() + 16, &len16, 2);
        rec[18] = std::byte{d.type};
        std::memcpy(rec.data() + kDirentHeader, d.name.data(), d.name.size());
        out.insert(out.end(), rec.begin(), rec.end());
        used += reclen;
      }
      if (Errno err = copy_to_user_bytes(buf, out); err != Errno::kOk) {
        used = 0;
        return err;
      }
      fp.pos = static_cast<off_t64>(pos);
      return Errno::kOk;
    }();
    file_accessed(&fp);
    return listed;
  }();
  trace("getdents64", {{"fd", fd}, {"count", count}}, e, static_cast<int64_t>(used));
  if (e != Errno::kOk) return Fail(e);
  return used;
}

}  // namespace vfssim
