#include "harness/op.h"

namespace vfssim {

std::string_view op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::kPwrite:
      return "pwrite";
    case OpKind::kPread:
      return "pread";
    case OpKind::kTruncate:
      return "ftruncate";
    case OpKind::kFallocate:
      return "fallocate";
    case OpKind::kFspacectl:
      return "fspacectl";
    case OpKind::kFsync:
      return "fsync";
    case OpKind::kSeekData:
      return "seek_data";
    case OpKind::kSeekHole:
      return "seek_hole";
    case OpKind::kFiemap:
      return "fiemap";
    case OpKind::kPoison:
      return "poison";
  }
  return "?";
}

nlohmann::ordered_json Op::to_json() const {
  nlohmann::ordered_json j = {{"op", op_kind_name(kind)}, {"file", file}};
  if (id >= 0) j["id"] = id;
  switch (kind) {
    case OpKind::kPwrite:
      j["off"] = off;
      j["len"] = len;
      j["fill"] = fill;
      break;
    case OpKind::kFallocate:
      j["mode"] = mode;
      [[fallthrough]];
    case OpKind::kPread:
    case OpKind::kFspacectl:
    case OpKind::kFiemap:
    case OpKind::kPoison:
      j["off"] = off;
      j["len"] = len;
      break;
    case OpKind::kTruncate:
      j["size"] = len;
      break;
    case OpKind::kSeekData:
    case OpKind::kSeekHole:
      j["off"] = off;
      break;
    case OpKind::kFsync:
      break;
  }
  return j;
}

void showValue(const Op& op, std::ostream& os) { os << op.to_json().dump(); }

std::vector<LogicalExtent> logical_extents(const std::vector<FiemapExtent>& extents) {
  constexpr uint32_t kKept =
      kFIEMAP_EXTENT_UNWRITTEN | kFIEMAP_EXTENT_SHARED | kFIEMAP_EXTENT_DELALLOC;
  std::vector<LogicalExtent> out;
  for (const FiemapExtent& e : extents) {
    const uint32_t flags = e.fe_flags & kKept;
    if (!out.empty() && out.back().offset + out.back().length == e.fe_logical &&
        out.back().flags == flags) {
      out.back().length += e.fe_length;
    } else {
      out.push_back({e.fe_logical, e.fe_length, flags});
    }
  }
  return out;
}

nlohmann::ordered_json OpResult::to_json() const {
  nlohmann::ordered_json j;
  if (err != Errno::kOk) {
    j["errno"] = errno_name(err);
  } else {
    j["ret"] = ret;
  }
  j["size"] = size_after;
  if (rmsr.r_offset != 0 || rmsr.r_len != 0) j["rmsr"] = {rmsr.r_offset, rmsr.r_len};
  if (!extents.empty()) {
    nlohmann::ordered_json ex = nlohmann::ordered_json::array();
    for (const LogicalExtent& e : extents) ex.push_back({e.offset, e.length, e.flags});
    j["extents"] = ex;
  }
  return j;
}

}  // namespace vfssim
