#include "fs/xfs/xfs_trans.h"

#include <algorithm>
#include <iterator>
#include <span>
#include <string_view>

namespace vfssim {
namespace {

constexpr const char* kKindNames[] = {"alloc",    "free",  "map",   "unmap", "convert",
                                      "refcount", "shift", "inode", "ichange"};

// A log item's serialised form is one table: for each kind, its JSON keys
// and the item field each holds, and how. to_json and from_json both walk
// it, so the two cannot disagree.
enum class How : uint8_t {
  kNumber,  // The field as an unsigned number.
  kFork,    // `fork`: "data" (0) or "cow" (1).
  kBool,    // The field != 0.
  kDelta,   // A refcount change: the field less 1 (0 = -1, 2 = +1).
  kSigned,  // A shift: the field's magnitude, negative when `c` is set.
};

struct Field {
  const char* key;
  uint64_t XfsLogItem::*slot;  // Unused by kFork.
  How how = How::kNumber;
};

constexpr Field kExtent[] = {{"start", &XfsLogItem::a}, {"len", &XfsLogItem::b}};
constexpr Field kMapFields[] = {{"ino", &XfsLogItem::ino},  {"fork", nullptr, How::kFork},
                                {"off", &XfsLogItem::a},    {"block", &XfsLogItem::b},
                                {"len", &XfsLogItem::c},    {"unwritten", &XfsLogItem::d, How::kBool}};
constexpr Field kUnmapFields[] = {{"ino", &XfsLogItem::ino},
                                  {"fork", nullptr, How::kFork},
                                  {"off", &XfsLogItem::a},
                                  {"len", &XfsLogItem::c}};
constexpr Field kConvertFields[] = {{"ino", &XfsLogItem::ino},
                                    {"off", &XfsLogItem::a},
                                    {"len", &XfsLogItem::c},
                                    {"unwritten", &XfsLogItem::d, How::kBool}};
constexpr Field kRefcountFields[] = {
    {"start", &XfsLogItem::a}, {"len", &XfsLogItem::b}, {"delta", &XfsLogItem::d, How::kDelta}};
constexpr Field kShiftFields[] = {
    {"ino", &XfsLogItem::ino}, {"from", &XfsLogItem::a}, {"by", &XfsLogItem::b, How::kSigned}};
constexpr Field kInodeFields[] = {{"ino", &XfsLogItem::ino},
                                  {"size", &XfsLogItem::a},
                                  {"nblocks", &XfsLogItem::b},
                                  {"diflags", &XfsLogItem::c}};
constexpr Field kIchangeFields[] = {{"ino", &XfsLogItem::ino},
                                    {"xflags", &XfsLogItem::a},
                                    {"extsize", &XfsLogItem::b},
                                    {"cowextsize", &XfsLogItem::c}};

// fields_of is the table's row for `kind`, in XfsLogItem::Kind's order.
std::span<const Field> fields_of(XfsLogItem::Kind kind) {
  static const std::span<const Field> kRows[] = {kExtent,         kExtent,      kMapFields,
                                                 kUnmapFields,    kConvertFields, kRefcountFields,
                                                 kShiftFields,    kInodeFields, kIchangeFields};
  return kRows[kind];
}

// read_field stores `f`'s value from `j` into `it`; false when the key is
// missing or its value is not of the kind `f` holds.
bool read_field(const nlohmann::json& j, const Field& f, XfsLogItem& it) {
  auto v = j.find(f.key);
  if (v == j.end()) return false;
  switch (f.how) {
    case How::kNumber:
      if (!v->is_number_unsigned()) return false;
      it.*f.slot = v->get<uint64_t>();
      return true;
    case How::kFork:
      if (*v != "data" && *v != "cow") return false;
      it.fork = *v == "cow" ? 1 : 0;
      return true;
    case How::kBool:
      if (!v->is_boolean()) return false;
      it.*f.slot = v->get<bool>() ? 1 : 0;
      return true;
    case How::kDelta: {
      if (!v->is_number_integer()) return false;
      const int64_t delta = v->get<int64_t>();
      if (delta != -1 && delta != 1) return false;
      it.*f.slot = static_cast<uint64_t>(delta + 1);
      return true;
    }
    case How::kSigned: {
      if (!v->is_number_integer()) return false;
      const int64_t by = v->get<int64_t>();
      it.*f.slot = by < 0 ? static_cast<uint64_t>(-by) : static_cast<uint64_t>(by);
      it.c = by < 0 ? 1 : 0;
      return true;
    }
  }
  return false;
}

}  // namespace

nlohmann::json XfsLogItem::to_json() const {
  nlohmann::json j = {{"item", kKindNames[kind]}};
  for (const Field& f : fields_of(kind)) {
    switch (f.how) {
      case How::kNumber:
        j[f.key] = this->*f.slot;
        break;
      case How::kFork:
        j[f.key] = fork == 0 ? "data" : "cow";
        break;
      case How::kBool:
        j[f.key] = this->*f.slot != 0;
        break;
      case How::kDelta:
        j[f.key] = static_cast<int>(this->*f.slot) - 1;
        break;
      case How::kSigned:
        j[f.key] = c != 0 ? -static_cast<int64_t>(this->*f.slot) : static_cast<int64_t>(this->*f.slot);
        break;
    }
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
  for (const Field& f : fields_of(it.kind)) {
    if (!read_field(j, f, it)) return Fail(Errno::kEINVAL);
  }
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
  auto res = j.find("blk_res");
  auto used = j.find("blk_used");
  if (name == j.end() || !name->is_string() || items == j.end() || !items->is_array() || res == j.end() ||
      !res->is_number_unsigned() || used == j.end() || !used->is_number_unsigned()) {
    return Fail(Errno::kEINVAL);
  }
  XfsTrans tp(name->get<std::string_view>(), res->get<uint64_t>());
  tp.use(used->get<uint64_t>());
  for (const nlohmann::json& i : *items) {
    Result<XfsLogItem> item = XfsLogItem::from_json(i);
    if (!item) return Fail(item.error());
    tp.log(*item);
  }
  return tp;
}

}  // namespace vfssim
