#include "fs/xfs/xfs_trans.h"

namespace vfssim {

nlohmann::json XfsLogItem::to_json() const {
  static constexpr const char* kNames[] = {"alloc", "free",     "map",   "unmap",
                                           "convert", "refcount", "shift", "inode"};
  nlohmann::json j = {{"item", kNames[kind]}};
  switch (kind) {
    case kAlloc:
    case kFree:
      j["start"] = a;
      j["len"] = b;
      break;
    case kMap:
      j["ino"] = ino;
      j["fork"] = fork == 0 ? "data" : "cow";
      j["off"] = a;
      j["block"] = b;
      j["len"] = c;
      j["unwritten"] = d != 0;
      break;
    case kUnmap:
      j["ino"] = ino;
      j["fork"] = fork == 0 ? "data" : "cow";
      j["off"] = a;
      j["len"] = c;
      break;
    case kConvert:
      j["ino"] = ino;
      j["off"] = a;
      j["len"] = c;
      j["unwritten"] = d != 0;
      break;
    case kRefcount:
      j["start"] = a;
      j["len"] = b;
      j["delta"] = static_cast<int>(d) - 1;
      break;
    case kShift:
      j["ino"] = ino;
      j["from"] = a;
      j["by"] = c != 0 ? -static_cast<int64_t>(b) : static_cast<int64_t>(b);
      break;
    case kInode:
      j["ino"] = ino;
      j["size"] = a;
      j["nblocks"] = b;
      j["diflags"] = c;
      break;
  }
  return j;
}

nlohmann::json XfsTrans::to_json() const {
  nlohmann::json items = nlohmann::json::array();
  for (const XfsLogItem& i : items_) items.push_back(i.to_json());
  return {{"trans", name_}, {"blk_res", blk_res_}, {"blk_used", blk_used_}, {"items", items}};
}

}  // namespace vfssim
