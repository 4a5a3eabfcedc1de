#include "fs/xfs/xfs_trans.h"

#include <algorithm>
#include <iterator>
#include <string_view>

namespace vfssim {
namespace {

constexpr const char* kKindNames[] = {"alloc",    "free",  "map",   "unmap", "convert",
                                      "refcount", "shift", "inode", "ichange"};

// Field reads for from_json: a missing key or a value of the wrong type
// leaves `ok` false instead of throwing.
struct Reader {
  const nlohmann::json& j;
  bool ok = true;

  template <typename T>
  T get(const char* key, bool (nlohmann::json::*is)() const noexcept) {
    auto it = j.find(key);
    if (it == j.end() || !((*it).*is)()) {
      ok = false;
      return T{};
    }
    return it->get<T>();
  }
  uint64_t u(const char* key) { return get<uint64_t>(key, &nlohmann::json::is_number_unsigned); }
  int64_t i(const char* key) { return get<int64_t>(key, &nlohmann::json::is_number_integer); }
  bool b(const char* key) { return get<bool>(key, &nlohmann::json::is_boolean); }
  uint8_t fork() {
    auto it = j.find("fork");
    if (it != j.end() && *it == "data") return 0;
    if (it != j.end() && *it == "cow") return 1;
    ok = false;
    return 0;
  }
};

}  // namespace

nlohmann::json XfsLogItem::to_json() const {
  nlohmann::json j = {{"item", kKindNames[kind]}};
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
    case kIchange:
      j["ino"] = ino;
      j["xflags"] = a;
      j["extsize"] = b;
      j["cowextsize"] = c;
      break;
  }
  return j;
}

Result<XfsLogItem> XfsLogItem::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Fail(Errno::kEINVAL);
  auto name = j.find("item");
  if (name == j.end() || !name->is_string()) return Fail(Errno::kEINVAL);
  const auto* kind = std::find(std::begin(kKindNames), std::end(kKindNames), name->get<std::string_view>());
  if (kind == std::end(kKindNames)) return Fail(Errno::kEINVAL);
  XfsLogItem it{static_cast<Kind>(kind - std::begin(kKindNames))};
  Reader r{j};
  switch (it.kind) {
    case kAlloc:
    case kFree:
      it.a = r.u("start");
      it.b = r.u("len");
      break;
    case kMap:
      it.ino = r.u("ino");
      it.fork = r.fork();
      it.a = r.u("off");
      it.b = r.u("block");
      it.c = r.u("len");
      it.d = r.b("unwritten") ? 1 : 0;
      break;
    case kUnmap:
      it.ino = r.u("ino");
      it.fork = r.fork();
      it.a = r.u("off");
      it.c = r.u("len");
      break;
    case kConvert:
      it.ino = r.u("ino");
      it.a = r.u("off");
      it.c = r.u("len");
      it.d = r.b("unwritten") ? 1 : 0;
      break;
    case kRefcount: {
      it.a = r.u("start");
      it.b = r.u("len");
      const int64_t delta = r.i("delta");
      if (delta != -1 && delta != 1) return Fail(Errno::kEINVAL);
      it.d = static_cast<uint64_t>(delta + 1);
      break;
    }
    case kShift: {
      it.ino = r.u("ino");
      it.a = r.u("from");
      const int64_t by = r.i("by");
      it.b = by < 0 ? static_cast<uint64_t>(-by) : static_cast<uint64_t>(by);
      it.c = by < 0 ? 1 : 0;
      break;
    }
    case kInode:
      it.ino = r.u("ino");
      it.a = r.u("size");
      it.b = r.u("nblocks");
      it.c = r.u("diflags");
      break;
    case kIchange:
      it.ino = r.u("ino");
      it.a = r.u("xflags");
      it.b = r.u("extsize");
      it.c = r.u("cowextsize");
      break;
  }
  if (!r.ok) return Fail(Errno::kEINVAL);
  return it;
}

nlohmann::json XfsTrans::to_json() const {
  nlohmann::json items = nlohmann::json::array();
  for (const XfsLogItem& i : items_) items.push_back(i.to_json());
  return {{"trans", name_}, {"blk_res", blk_res_}, {"blk_used", blk_used_}, {"items", items}};
}

Result<XfsTrans> XfsTrans::from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Fail(Errno::kEINVAL);
  auto name = j.find("trans");
  auto items = j.find("items");
  if (name == j.end() || !name->is_string() || items == j.end() || !items->is_array()) {
    return Fail(Errno::kEINVAL);
  }
  Reader r{j};
  XfsTrans tp(name->get<std::string_view>(), r.u("blk_res"));
  tp.use(r.u("blk_used"));
  if (!r.ok) return Fail(Errno::kEINVAL);
  for (const nlohmann::json& i : *items) {
    Result<XfsLogItem> item = XfsLogItem::from_json(i);
    if (!item) return Fail(item.error());
    tp.log(*item);
  }
  return tp;
}

}  // namespace vfssim
