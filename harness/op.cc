#include "harness/op.h"

#include <array>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "harness/command.h"

namespace vfssim {
namespace {

constexpr std::array kKinds = {
    OpKind::kPwrite,    OpKind::kPread,  OpKind::kTruncate,  OpKind::kFallocate,
    OpKind::kFspacectl, OpKind::kFsync,  OpKind::kSeekData,  OpKind::kSeekHole,
    OpKind::kFiemap,    OpKind::kPoison, OpKind::kClone,     OpKind::kDedupe,
    OpKind::kCopyRange, OpKind::kDioPwrite, OpKind::kMwrite, OpKind::kSeek,
    OpKind::kFdatasync, OpKind::kOpen, OpKind::kClose, OpKind::kFileSelect,
    OpKind::kStat, OpKind::kStatfs, OpKind::kMmap, OpKind::kMread,
    OpKind::kMwriteMap, OpKind::kMsync, OpKind::kMunmap, OpKind::kChattr,
    OpKind::kLsattr, OpKind::kHelp, OpKind::kQuit, OpKind::kPrint,
    OpKind::kPoisonCmd, OpKind::kFaultCmd, OpKind::kVariantCmd, OpKind::kTraceCmd,
    OpKind::kZeroinit, OpKind::kSwapout, OpKind::kSafecopy, OpKind::kSync,
    OpKind::kSyncfs, OpKind::kFadvise, OpKind::kMadvise, OpKind::kExtsize,
    OpKind::kMkdir, OpKind::kRmdir, OpKind::kUnlink, OpKind::kRename, OpKind::kLink,
    OpKind::kSymlink, OpKind::kCopyRangeLoop, OpKind::kDedupeLoop,
};

}  // namespace

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
    case OpKind::kClone:
      return "ficlonerange";
    case OpKind::kDedupe:
      return "fideduperange";
    case OpKind::kCopyRange:
      return "copy_file_range";
    case OpKind::kDioPwrite:
      return "pwrite_direct";
    case OpKind::kMwrite:
      return "mwrite";
    case OpKind::kSeek: return "seek";
    case OpKind::kFdatasync: return "fdatasync";
    case OpKind::kOpen: return "open";
    case OpKind::kClose: return "close";
    case OpKind::kFileSelect: return "file";
    case OpKind::kStat: return "stat";
    case OpKind::kStatfs: return "statfs";
    case OpKind::kMmap: return "mmap";
    case OpKind::kMread: return "mread";
    case OpKind::kMwriteMap: return "mwrite_mapping";
    case OpKind::kMsync: return "msync";
    case OpKind::kMunmap: return "munmap";
    case OpKind::kChattr: return "chattr";
    case OpKind::kLsattr: return "lsattr";
    case OpKind::kHelp: return "help";
    case OpKind::kQuit: return "quit";
    case OpKind::kPrint: return "print";
    case OpKind::kPoisonCmd: return "poison_cmd";  // "poison" is kPoison's.
    case OpKind::kFaultCmd: return "fault";
    case OpKind::kVariantCmd: return "variant";
    case OpKind::kTraceCmd: return "trace";
    case OpKind::kZeroinit: return "zeroinit";
    case OpKind::kSwapout: return "swapout";
    case OpKind::kSafecopy: return "safecopy";
    case OpKind::kSync: return "sync";
    case OpKind::kSyncfs: return "syncfs";
    case OpKind::kFadvise: return "fadvise";
    case OpKind::kMadvise: return "madvise";
    case OpKind::kExtsize: return "extsize";
    case OpKind::kMkdir: return "mkdir";
    case OpKind::kRmdir: return "rmdir";
    case OpKind::kUnlink: return "unlink";
    case OpKind::kRename: return "rename";
    case OpKind::kLink: return "link";
    case OpKind::kSymlink: return "symlink";
    case OpKind::kCopyRangeLoop: return "copy_range";
    case OpKind::kDedupeLoop: return "dedupe";
  }
  return "?";
}

nlohmann::ordered_json Op::to_json() const {
  nlohmann::ordered_json j = {{"op", op_kind_name(kind)}, {"file", file}};
  if (id >= 0) j["id"] = id;
  switch (kind) {
    case OpKind::kPwrite:
    case OpKind::kDioPwrite:
    case OpKind::kMwrite:
      j["off"] = off;
      j["len"] = len;
      j["fill"] = fill;
      break;
    case OpKind::kClone:
    case OpKind::kDedupe:
    case OpKind::kCopyRange:
      j["off"] = off;
      j["src"] = src;
      j["src_off"] = src_off;
      j["len"] = len;
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
    default:
      break;
  }
  j["cmd"] = to_command();
  return j;
}

absl::StatusOr<Op> Op::from_json(const nlohmann::ordered_json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("an op is a JSON object");
  Op op;
  auto field = [&](const char* name, auto* out) -> absl::Status {
    auto it = j.find(name);
    if (it == j.end() || !it->is_number_integer()) {
      return absl::InvalidArgumentError(absl::StrCat("op ", j.dump(), ": no integer \"", name, "\""));
    }
    *out = it->get<std::remove_pointer_t<decltype(out)>>();
    return absl::OkStatus();
  };
  auto it = j.find("op");
  if (it == j.end() || !it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("op ", j.dump(), ": no \"op\" name"));
  }
  const std::string name = it->get<std::string>();
  bool known = false;
  for (OpKind k : kKinds) {
    if (op_kind_name(k) == name) {
      op.kind = k;
      known = true;
    }
  }
  if (!known) return absl::InvalidArgumentError(absl::StrCat("unknown op \"", name, "\""));
  if (absl::Status s = field("file", &op.file); !s.ok()) return s;
  if (j.contains("id")) {
    if (absl::Status s = field("id", &op.id); !s.ok()) return s;
  }
  // The command line is the op; the other fields are there to be read.
  if (auto cmd = j.find("cmd"); cmd != j.end()) {
    if (!cmd->is_string()) return absl::InvalidArgumentError("\"cmd\" is a command line");
    ParseContext ctx{.file = op.file, .nfiles = 1 << 20};
    ParsedCommand p = parse_line(cmd->get<std::string>(), ctx);
    if (const CommandDiag* d = std::get_if<CommandDiag>(&p)) {
      return absl::InvalidArgumentError(
          absl::StrCat("op ", j.dump(), ": ", absl::StripTrailingAsciiWhitespace(d->out + d->err)));
    }
    Op parsed = std::get<Op>(p);
    if (parsed.kind != op.kind) {
      return absl::InvalidArgumentError(absl::StrCat("op ", j.dump(), ": \"cmd\" is another op"));
    }
    parsed.id = op.id;
    return parsed;
  }
  std::vector<std::pair<const char*, int64_t*>> wide;
  switch (op.kind) {
    case OpKind::kPwrite:
    case OpKind::kDioPwrite:
    case OpKind::kMwrite: {
      wide = {{"off", &op.off}, {"len", &op.len}};
      int fill = 0;
      if (absl::Status s = field("fill", &fill); !s.ok()) return s;
      if (fill < 0 || fill > 255) return absl::InvalidArgumentError("fill is a byte");
      op.fill = static_cast<uint8_t>(fill);
      break;
    }
    case OpKind::kClone:
    case OpKind::kDedupe:
    case OpKind::kCopyRange:
      if (absl::Status s = field("src", &op.src); !s.ok()) return s;
      wide = {{"off", &op.off}, {"src_off", &op.src_off}, {"len", &op.len}};
      break;
    case OpKind::kFallocate:
      if (absl::Status s = field("mode", &op.mode); !s.ok()) return s;
      [[fallthrough]];
    case OpKind::kPread:
    case OpKind::kFspacectl:
    case OpKind::kFiemap:
    case OpKind::kPoison:
      wide = {{"off", &op.off}, {"len", &op.len}};
      break;
    case OpKind::kTruncate:
      wide = {{"size", &op.len}};
      break;
    case OpKind::kSeekData:
    case OpKind::kSeekHole:
      wide = {{"off", &op.off}};
      break;
    case OpKind::kFsync:
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("op ", j.dump(), ": no \"cmd\""));
  }
  for (auto [key, out] : wide) {
    if (absl::Status s = field(key, out); !s.ok()) return s;
  }
  // The factories' defaults for what the old form leaves out.
  switch (op.kind) {
    case OpKind::kPwrite:
      op.bsize = op.len > 0 ? op.len : 0;
      break;
    case OpKind::kPread:
      op = Op::pread(op.file, op.off, op.len).with_id(op.id);
      break;
    case OpKind::kFiemap:
      op = Op::fiemap(op.file, op.off, op.len).with_id(op.id);
      break;
    case OpKind::kCopyRange:
      op.letters = Op::letter('s') | Op::letter('d') | Op::letter('l');
      break;
    default:
      break;
  }
  return op;
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
  if (status != 0) j["status"] = status;
  if (signal != 0) {
    j["signal"] = signal;
    if (err != Errno::kOk) j["ret"] = ret;  // The bytes stored before it.
  }
  if (!extents.empty()) {
    nlohmann::ordered_json ex = nlohmann::ordered_json::array();
    for (const LogicalExtent& e : extents) ex.push_back({e.offset, e.length, e.flags});
    j["extents"] = ex;
  }
  return j;
}

}  // namespace vfssim
