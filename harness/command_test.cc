// command_test: the op language's text form. Properties: every op a parse
// can produce prints as a command line that parses back to it (alone, in a
// script, and inside its JSON); no command line, however mangled, makes the
// parser crash, throw or stay silent. Unit tests pin xfs_io 6.1's exact
// messages for a handful of malformed lines.
//
// CI pins RapidCheck's seed below; for longer local runs set e.g.
//   RC_PARAMS="seed=7 max_success=20000" bazel test //harness:command_test
// (.bazelrc passes RC_PARAMS through).

#include "harness/command.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "harness/op.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

// Deterministic unless the caller says otherwise: RapidCheck reads
// RC_PARAMS lazily, at the first property.
const bool kPinnedSeed = [] {
  setenv("RC_PARAMS", "seed=20260301 max_success=2000", /*overwrite=*/0);
  return true;
}();

constexpr std::array kEveryKind = {
    OpKind::kPwrite,     OpKind::kPread,     OpKind::kTruncate,   OpKind::kFallocate,
    OpKind::kFspacectl,  OpKind::kFsync,     OpKind::kSeekData,   OpKind::kSeekHole,
    OpKind::kFiemap,     OpKind::kPoison,    OpKind::kClone,      OpKind::kDedupe,
    OpKind::kCopyRange,  OpKind::kDioPwrite, OpKind::kMwrite,     OpKind::kSeek,
    OpKind::kFdatasync,  OpKind::kOpen,      OpKind::kClose,      OpKind::kFileSelect,
    OpKind::kStat,       OpKind::kStatfs,    OpKind::kMmap,       OpKind::kMread,
    OpKind::kMwriteMap,  OpKind::kMsync,     OpKind::kMunmap,     OpKind::kChattr,
    OpKind::kLsattr,     OpKind::kHelp,      OpKind::kQuit,       OpKind::kPrint,
    OpKind::kPoisonCmd,  OpKind::kFaultCmd,  OpKind::kVariantCmd, OpKind::kTraceCmd,
    OpKind::kZeroinit,   OpKind::kSwapout,   OpKind::kSafecopy,   OpKind::kSync,
    OpKind::kSyncfs,     OpKind::kFadvise,   OpKind::kMadvise,    OpKind::kExtsize,
    OpKind::kMkdir,      OpKind::kRmdir,     OpKind::kUnlink,     OpKind::kRename,
    OpKind::kLink,       OpKind::kSymlink,   OpKind::kCopyRangeLoop, OpKind::kDedupeLoop,
};

// ---------------------------------------------------------------------------
// Generators. Each draws with operator* and so runs inside a property or
// rc::gen::exec.

// A 64-bit number: small, page-sized, negative (printed as `raw CMD ...
// -- -5`, or plain for pread), or an extreme.
int64_t any_number() {
  switch (*rc::gen::inRange(0, 6)) {
    case 0:
      return *rc::gen::inRange<int64_t>(0, 70000);
    case 1:
      return *rc::gen::inRange<int64_t>(0, 64) * 4096;
    case 2:
      return *rc::gen::inRange<int64_t>(-70000, 0);
    case 3:
      return *rc::gen::elementOf(std::vector<int64_t>{
          0, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
          int64_t{1} << 40, -(int64_t{1} << 40)});
    default:
      return *rc::gen::arbitrary<int64_t>();
  }
}

int64_t nonnegative_number() {
  const int64_t v = any_number();
  return v == std::numeric_limits<int64_t>::min() ? 0 : (v < 0 ? -v : v);
}

// An int operand (file N, mmap N, fiemap -n): xfs_io reads those with atoi.
int any_int() {
  return *rc::gen::oneOf(rc::gen::inRange(-100, 100), rc::gen::arbitrary<int>());
}

// A subset of the option letters in `from`.
uint64_t letters_from(std::string_view from) {
  uint64_t bits = 0;
  for (char c : from) {
    if (*rc::gen::arbitrary<bool>()) bits |= Op::letter(c);
  }
  return bits;
}

// One word as breakline gives it: no space (the separator) and no newline
// (the line's end); anything else, a leading '-' included.
std::string any_word() {
  const std::string chars =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+=:,#@%~!?*";
  return *rc::gen::oneOf(
      rc::gen::elementOf(std::vector<std::string>{"file", "f1", "f01", "f-1", "-", "--", "-x",
                                                  "dir/sub", "0", "-1", "4k"}),
      rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(chars))));
}

// True when parse_remap's set_source reads `w` as the harness's file N:
// "f" and N exactly as absl::StrCat prints it.
bool names_harness_file(const std::string& w) {
  int n = -1;
  return w.size() >= 2 && w[0] == 'f' && absl::SimpleAtoi(w.substr(1), &n) && n >= 0 &&
         absl::StrCat("f", n) == w;
}

// The source of a two-file op: harness file N (printed "f<N>") or a path
// that does not name one (a path that did would parse as src N).
void set_any_source(Op& op) {
  if (*rc::gen::arbitrary<bool>()) {
    op.src = *rc::gen::inRange(0, 1000);
    return;
  }
  op.src = -1;
  op.path = *rc::gen::suchThat(rc::gen::exec(any_word), [](const std::string& w) {
    return !names_harness_file(w);
  });
}

// any_op draws an op of `kind` on `file` with only the fields a parse of
// its command sets, each as the parser leaves it (ParseContext blocksize
// 4096, id -1).
Op any_op(OpKind kind, int file) {
  Op op;
  op.kind = kind;
  op.file = file;
  switch (kind) {
    case OpKind::kPwrite:
      op.letters = letters_from("qwWDN");
      op.fill = *rc::gen::arbitrary<uint8_t>();
      op.bsize = nonnegative_number();  // A negative -b is "non-numeric bsize".
      op.vectors = *rc::gen::inRange(-3, 65);
      op.off = any_number();
      op.len = any_number();
      break;
    case OpKind::kPread:
      op.letters = letters_from("qv");
      op.bsize = nonnegative_number();
      op.vectors = *rc::gen::inRange(-3, 65);
      op.off = any_number();
      op.len = any_number();
      // A negative offset or length (after "--", or a non-number's -1) reads
      // from or to EOF: pread.c's "offset < 0 && (direction & (IO_RANDOM|
      // IO_BACKWARD))" holds going forward too, IO_BACKWARD being -1.
      if (op.off < 0 || op.len < 0) op.letters |= Op::letter('E');
      break;
    case OpKind::kTruncate:
      op.len = any_number();
      break;
    case OpKind::kFallocate:
      op.mode = *rc::gen::oneOf(
          rc::gen::elementOf(std::vector<int>{
              0, kFALLOC_FL_KEEP_SIZE, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE,
              kFALLOC_FL_ZERO_RANGE, kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE,
              kFALLOC_FL_COLLAPSE_RANGE, kFALLOC_FL_INSERT_RANGE, kFALLOC_FL_UNSHARE_RANGE,
              kFALLOC_FL_PUNCH_HOLE}),
          rc::gen::arbitrary<int>());
      op.off = any_number();
      op.len = any_number();
      break;
    case OpKind::kFspacectl:
    case OpKind::kPoison:
    case OpKind::kDioPwrite:
    case OpKind::kMwrite:
    case OpKind::kZeroinit:
    case OpKind::kSwapout:
      if (kind == OpKind::kDioPwrite || kind == OpKind::kMwrite) op.fill = *rc::gen::arbitrary<uint8_t>();
      op.off = any_number();
      op.len = any_number();
      break;
    case OpKind::kSeekData:
    case OpKind::kSeekHole:
      op.off = any_number();
      break;
    case OpKind::kSeek: {
      // A lone -d or -h parses as seek_data or seek_hole instead.
      op.letters = *rc::gen::suchThat(rc::gen::exec([] { return letters_from("dhrs"); }), [](uint64_t l) {
        const uint64_t dh = Op::letter('d') | Op::letter('h');
        return (l & dh) != 0 && l != Op::letter('d') && l != Op::letter('h');
      });
      op.off = any_number();
      break;
    }
    case OpKind::kFiemap:
      op.letters = letters_from("alvU");
      op.src_off = -1;  // No -n.
      if (*rc::gen::arbitrary<bool>()) {
        op.letters |= Op::letter('n');
        op.src_off = any_int();
      }
      op.nargs = *rc::gen::inRange(0, 3);
      op.len = -1;
      if (op.nargs >= 1) op.off = any_number();
      if (op.nargs == 2) op.len = any_number();
      break;
    case OpKind::kClone:
    case OpKind::kDedupe:
    case OpKind::kDedupeLoop:
      op.letters = letters_from("Cq");
      set_any_source(op);
      if (kind == OpKind::kClone && *rc::gen::inRange(0, 4) == 0) {
        op.letters |= Op::letter('A');  // reflink SRC: the whole file.
        break;
      }
      op.src_off = any_number();
      op.off = any_number();
      op.len = any_number();
      break;
    case OpKind::kCopyRange:
    case OpKind::kCopyRangeLoop:
      op.letters = letters_from("sdl");
      if (op.has('s')) op.src_off = any_number();
      if (op.has('d')) op.off = any_number();
      if (op.has('l')) op.len = any_number();
      if (*rc::gen::inRange(0, 4) == 0) {
        // -f N: xfs_io 6.1 reads N with atoi(argv[1]) (copy_file_range.c),
        // and argv[1] is always an option word there, so a parse only ever
        // gives file 0.
        op.letters |= Op::letter('f');
        op.src = 0;
      } else {
        set_any_source(op);
      }
      break;
    case OpKind::kOpen:
      op.mode = 0600;
      if (*rc::gen::inRange(0, 5) == 0) break;  // Bare "open": no path, no options.
      op.path = any_word();
      if (*rc::gen::inRange(0, 4) == 0) {
        // -P and -L go with no other option (open.c).
        op.letters = *rc::gen::suchThat(rc::gen::exec([] { return letters_from("PL"); }),
                                        [](uint64_t l) { return l != 0; });
      } else {
        op.letters = letters_from("adfnrstTR");
        if (op.has('r') && op.has('T')) op.letters &= ~Op::letter('T');  // Incompatible.
      }
      op.mode = *rc::gen::oneOf(rc::gen::just(0600), rc::gen::inRange(0, 07777), rc::gen::arbitrary<int>());
      break;
    case OpKind::kFileSelect:
      op.nargs = *rc::gen::inRange(0, 2);
      if (op.nargs == 1) op.off = any_int();
      break;
    case OpKind::kStat:
      op.letters = letters_from("rv");
      break;
    case OpKind::kStatfs:
      op.letters = letters_from("cgs");
      break;
    case OpKind::kLsattr:
      op.letters = letters_from("DRav");
      break;
    case OpKind::kMmap:
      op.nargs = *rc::gen::inRange(0, 3);
      if (op.nargs == 1) op.off = any_int();
      if (op.nargs == 2) {
        op.letters = letters_from("rwxS");
        if (*rc::gen::arbitrary<bool>()) {
          op.letters |= Op::letter('s');
          op.src_off = any_number();
        }
        op.off = any_number();
        op.len = any_number();
      }
      break;
    case OpKind::kMread:
    case OpKind::kMwriteMap:
    case OpKind::kMsync:
      op.letters = letters_from(kind == OpKind::kMread ? "frv" : kind == OpKind::kMsync ? "ais" : "r");
      if (kind == OpKind::kMwriteMap) op.fill = *rc::gen::arbitrary<uint8_t>();
      if (*rc::gen::arbitrary<bool>()) {
        op.nargs = 2;
        op.off = any_number();
        op.len = any_number();
      }
      break;
    case OpKind::kChattr: {
      // The words as given, one space apart (breakline drops the rest).
      std::vector<std::string> words = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(
          rc::gen::oneOf(rc::gen::elementOf(std::vector<std::string>{"+x", "-x", "+a", "-R", "-D", "+iS"}),
                         rc::gen::exec(any_word))));
      op.path = absl::StrJoin(words, " ");
      break;
    }
    case OpKind::kHelp:
      if (*rc::gen::arbitrary<bool>()) op.path = any_word();
      break;
    case OpKind::kPoisonCmd:
      op.path = *rc::gen::elementOf(std::vector<std::string>{"latent", "scrub", "list"});
      if (op.path == "latent") {
        op.off = any_number();
        op.len = any_number();
      }
      break;
    case OpKind::kFaultCmd:
      op.path = *rc::gen::elementOf(std::vector<std::string>{"list", "arm", "disarm"});
      if (op.path != "list") op.arg = any_word();
      break;
    case OpKind::kVariantCmd:
      op.path = *rc::gen::elementOf(std::vector<std::string>{"list", "set"});
      if (op.path == "set") {
        op.arg = any_word();
        op.value = any_word();
      }
      break;
    case OpKind::kTraceCmd:
      op.path = *rc::gen::elementOf(std::vector<std::string>{"on", "off", "dump"});
      if (op.path == "dump") op.arg = any_word();
      break;
    case OpKind::kFadvise: {
      // The last option decides (fadvise.c); -d -n -w take a range, -r -s
      // and none take nothing.
      const char advice = *rc::gen::elementOf(std::string(" dnrsw"));
      if (advice != ' ') op.letters = Op::letter(advice);
      if (advice == 'd' || advice == 'n' || advice == 'w') {
        op.nargs = 2;
        op.off = any_number();
        op.len = any_number();
      }
      break;
    }
    case OpKind::kMadvise: {
      const char advice = *rc::gen::elementOf(std::string(" drsw"));
      if (advice != ' ') op.letters = Op::letter(advice);
      if (*rc::gen::arbitrary<bool>()) {
        op.nargs = 2;
        op.off = any_number();
        op.len = any_number();
      }
      break;
    }
    case OpKind::kExtsize:
      // -D and -R exclude each other; the size is cvtnum's, never negative
      // (a negative one is "non-numeric extsize argument").
      op.letters = *rc::gen::elementOf(std::vector<uint64_t>{0, Op::letter('D'), Op::letter('R')});
      if (*rc::gen::arbitrary<bool>()) {
        op.nargs = 1;
        op.len = nonnegative_number();
      }
      break;
    case OpKind::kMkdir:
    case OpKind::kRmdir:
    case OpKind::kUnlink:
      op.path = any_word();
      break;
    case OpKind::kRename:
    case OpKind::kLink:
    case OpKind::kSymlink:
      op.path = any_word();
      op.arg = any_word();
      break;
    case OpKind::kFsync:
    case OpKind::kFdatasync:
    case OpKind::kClose:
    case OpKind::kMunmap:
    case OpKind::kQuit:
    case OpKind::kPrint:
    case OpKind::kSafecopy:
    case OpKind::kSync:
    case OpKind::kSyncfs:
      break;
  }
  return op;
}

// The kind at full size: small sizes would draw only the first kinds.
OpKind any_kind() {
  return kEveryKind[*rc::gen::resize(100, rc::gen::inRange<size_t>(0, kEveryKind.size()))];
}

rc::Gen<Op> gen_op(bool file_select) {
  return rc::gen::exec([file_select] {
    OpKind kind = any_kind();
    while (!file_select && kind == OpKind::kFileSelect) kind = any_kind();
    return any_op(kind, *rc::gen::inRange(0, 5));
  });
}

std::string describe(const ParsedCommand& p) {
  if (const Op* op = std::get_if<Op>(&p)) return op->to_json().dump();
  const CommandDiag& d = std::get<CommandDiag>(p);
  return absl::StrCat("diag out=\"", d.out, "\" err=\"", d.err, "\"");
}

ParseContext context_for(const Op& op) { return {.file = op.file, .nfiles = 1 << 20}; }

// ---------------------------------------------------------------------------
// parse ∘ print = identity.

RC_GTEST_PROP(CommandProperty, EveryOpParsesBackFromItsCommand, ()) {
  const Op op = *gen_op(/*file_select=*/true);
  const std::string line = op.to_command();
  RC_TAG(std::string(op_kind_name(op.kind)));
  const ParsedCommand p = parse_line(line, context_for(op));
  const Op* back = std::get_if<Op>(&p);
  if (back == nullptr || !(*back == op)) {
    RC_FAIL(absl::StrCat("\"", line, "\" from ", op.to_json().dump(), "\nparses as ", describe(p)));
  }
}

RC_GTEST_PROP(CommandProperty, ScriptsParseBackToTheirOps, ()) {
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(/*file_select=*/false));
  const std::string text = format_script(ops);
  absl::StatusOr<std::vector<Op>> back = parse_script(text);
  if (!back.ok()) RC_FAIL(absl::StrCat(back.status().ToString(), "\nscript:\n", text));
  RC_ASSERT(back->size() == ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!((*back)[i] == ops[i])) {
      RC_FAIL(absl::StrCat("op ", i, ": ", ops[i].to_json().dump(), "\nreads back as ",
                           (*back)[i].to_json().dump(), "\nscript:\n", text));
    }
  }
}

// id survives too: it is the one field the command line does not carry.
RC_GTEST_PROP(CommandProperty, EveryOpRoundTripsThroughJson, ()) {
  Op op = *gen_op(/*file_select=*/true);
  op.id = *rc::gen::oneOf(rc::gen::just<int64_t>(-1), rc::gen::inRange<int64_t>(0, 1000000),
                          rc::gen::just(std::numeric_limits<int64_t>::max()));
  const nlohmann::ordered_json j = op.to_json();
  RC_ASSERT(j.at("cmd").get<std::string>() == op.to_command());
  for (const nlohmann::ordered_json& form : {j, nlohmann::ordered_json::parse(j.dump())}) {
    absl::StatusOr<Op> back = Op::from_json(form);
    if (!back.ok()) RC_FAIL(absl::StrCat(form.dump(), ": ", back.status().ToString()));
    if (!(*back == op)) RC_FAIL(absl::StrCat(form.dump(), "\nreads back as ", back->to_json().dump()));
  }
}

// A trace or replay written before "cmd" existed names the harness kinds by
// their fields alone; from_json reads those back as the factories make them.
RC_GTEST_PROP(CommandProperty, HarnessOpsReadBackWithoutCmd, ()) {
  const int file = *rc::gen::inRange(0, 4);
  const int src = *rc::gen::inRange(0, 4);
  const int64_t off = any_number(), len = any_number(), src_off = any_number();
  const uint8_t fill = *rc::gen::arbitrary<uint8_t>();
  const std::vector<Op> ops = {
      Op::pwrite(file, off, len, fill),
      Op::pread(file, off, len),
      Op::truncate(file, len),
      Op::fallocate(file, *rc::gen::arbitrary<int>(), off, len),
      Op::fspacectl(file, off, len),
      Op::fsync(file),
      Op::seek_data(file, off),
      Op::seek_hole(file, off),
      Op::fiemap(file, off, len),
      Op::poison(file, off, len),
      Op::clone(src, src_off, file, off, len),
      Op::dedupe(src, src_off, file, off, len),
      Op::copy_range(src, src_off, file, off, len),
      Op::dio_pwrite(file, off, len, fill),
      Op::mwrite(file, off, len, fill),
  };
  const Op op = ops[*rc::gen::inRange<size_t>(0, ops.size())].with_id(*rc::gen::inRange<int64_t>(-1, 100));
  nlohmann::ordered_json j = op.to_json();
  j.erase("cmd");
  absl::StatusOr<Op> back = Op::from_json(j);
  if (!back.ok()) RC_FAIL(absl::StrCat(j.dump(), ": ", back.status().ToString()));
  if (!(*back == op)) RC_FAIL(absl::StrCat(j.dump(), "\nreads back as ", back->to_json().dump()));
}

// ---------------------------------------------------------------------------
// Robustness: whatever the line, parse_line answers.

// Words a mangled line is made of: the command table's names, the vfssim
// commands' sub-words, options, numbers with and without suffixes, huge and
// negative ones, and "--".
std::string any_token() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> names;
    for (const CommandSpec& c : command_table()) {
      names.emplace_back(c.name);
      if (!c.altname.empty()) names.emplace_back(c.altname);
    }
    return names;
  }();
  static const std::vector<std::string> kWords = {
      "--", "-", "---", "-a", "-d", "-h", "-f", "-m", "-n", "-s", "-S", "-b", "-V", "-Z", "-l", "-rwx",
      "-Sb", "-m0644", "-s-5", "0", "1", "-1", "-0", "4k", "4K", "1b", "1s", "2m", "3g", "1t", "1p",
      "1e", "8e", "16e", "12q", "0x", "0x10", "0xfffffffffffffffff", "077", "08",
      "99999999999999999999999999", "-99999999999999999999999999", "9223372036854775807",
      "-9223372036854775808", "9223372036854775808", "2147483648", "-2147483649", "f0", "f1", "f-1",
      "f99999999999", "dealloc", "inject", "latent", "scrub", "list", "arm", "disarm", "set", "on",
      "off", "dump", "+x", "-x", "eof", "x", "\t", "\r", "#", "%s%n", "\xff\xfe"};
  switch (*rc::gen::inRange(0, 6)) {
    case 0:
      return *rc::gen::elementOf(kNames);
    case 1:
      return absl::StrCat("-", *rc::gen::container<std::string>(rc::gen::inRange('A', 'z')));
    case 2:
      return absl::StrCat(*rc::gen::arbitrary<int64_t>());
    case 3:
      return any_word();
    default:
      return *rc::gen::elementOf(kWords);
  }
}

// Any byte but the newline that ends a line.
std::string random_bytes() {
  return *rc::gen::container<std::string>(
      rc::gen::suchThat(rc::gen::arbitrary<char>(), [](char c) { return c != '\n'; }));
}

// A valid command line, mangled: words dropped, duplicated, swapped,
// replaced, inserted, glued to option letters, and extra spaces.
std::string mutated_line() {
  std::vector<std::string> words = absl::StrSplit((*gen_op(/*file_select=*/true)).to_command(), ' ');
  const int edits = *rc::gen::inRange(1, 5);
  for (int i = 0; i < edits; ++i) {
    const size_t n = words.size();
    const size_t at = n == 0 ? 0 : *rc::gen::inRange<size_t>(0, n);
    switch (*rc::gen::inRange(0, 7)) {
      case 0:
        if (n > 0) words.erase(words.begin() + static_cast<ptrdiff_t>(at));
        break;
      case 1:
        if (n > 0) words.insert(words.begin() + static_cast<ptrdiff_t>(at), words[at]);
        break;
      case 2:
        if (n > 1) std::swap(words[at], words[*rc::gen::inRange<size_t>(0, n)]);
        break;
      case 3:
        if (n > 0) words[at] = any_token();
        break;
      case 4:
        words.insert(words.begin() + static_cast<ptrdiff_t>(at), any_token());
        break;
      case 5:
        if (n > 0) {
          words[at] += *rc::gen::oneOf(rc::gen::just<std::string>("k"), rc::gen::just<std::string>("-"),
                                       rc::gen::exec(any_token));
        }
        break;
      default:
        words.insert(words.begin() + static_cast<ptrdiff_t>(at), "");  // Two spaces.
        break;
    }
  }
  return absl::StrJoin(words, " ");
}

// A valid command line with its numbers respelt: suffixes, hex, octal,
// huge, negative or not numbers at all; most of these still parse.
std::string respelt_line() {
  std::vector<std::string> words = absl::StrSplit((*gen_op(/*file_select=*/true)).to_command(), ' ');
  for (std::string& w : words) {
    int64_t n = 0;
    if (!absl::SimpleAtoi(w, &n) || !*rc::gen::arbitrary<bool>()) continue;
    w = *rc::gen::oneOf(
        rc::gen::elementOf(std::vector<std::string>{"0", "1", "4k", "1m", "2g", "3t", "1p", "1e", "7b", "9s",
                                                    "0x1000", "0X1f", "010", "4K", "-4k", "1q", "k", "0x",
                                                    "9223372036854775807", "9223372036854775808",
                                                    "-9223372036854775808", "99999999999999999999e",
                                                    "2147483648", "-1", "-0"}),
        rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t v) { return absl::StrCat(v); }));
  }
  return absl::StrJoin(words, " ");
}

std::string any_line() {
  switch (*rc::gen::inRange(0, 5)) {
    case 0:
      return random_bytes();
    case 1: {
      const auto words = *rc::gen::container<std::vector<std::string>>(rc::gen::exec(any_token));
      return absl::StrJoin(words, *rc::gen::elementOf(std::vector<std::string>{" ", "  "}));
    }
    case 2:
      return absl::StrCat(
          *rc::gen::elementOf(std::vector<std::string>{"", "raw ", "pwrite ", "seek ", "copy_range "}),
          random_bytes());
    case 3:
      return respelt_line();
    default:
      return mutated_line();
  }
}

// One line of text: ends in its only newline.
bool one_line(const std::string& s) {
  return !s.empty() && s.back() == '\n' && std::count(s.begin(), s.end(), '\n') == 1;
}

void check_parses(const std::string& line) {
  const ParseContext ctx{.file = 1, .nfiles = 3};
  ParsedCommand p;
  try {
    p = parse_line(line, ctx);
  } catch (...) {
    RC_FAIL(absl::StrCat("\"", line, "\" threw"));
  }
  std::vector<std::string> argv = breakline(line);
  if (!argv.empty() && argv[0] == "raw") argv.erase(argv.begin());  // Then parsed as the rest.
  RC_TAG(std::holds_alternative<Op>(p) ? "an op" : breakline(line).empty() ? "blank" : "a diag");
  if (const Op* op = std::get_if<Op>(&p)) {
    // What a parse gives is canonical: it prints as a line that reads back
    // as itself.
    const ParsedCommand again = parse_line(op->to_command(), ctx);
    const Op* back = std::get_if<Op>(&again);
    if (back == nullptr || !(*back == *op)) {
      RC_FAIL(absl::StrCat("\"", line, "\" parses as ", op->to_json().dump(), ", which prints as \"",
                           op->to_command(), "\", which parses as ", describe(again)));
    }
    return;
  }
  const CommandDiag& d = std::get<CommandDiag>(p);
  if (breakline(line).empty()) {
    // A blank line: xfs_io's process_input prints nothing and leaves the
    // exit status alone.
    RC_ASSERT(d.out.empty());
    RC_ASSERT(d.err.empty());
    RC_ASSERT(!d.failed);
    RC_ASSERT(!d.stop);
    return;
  }
  if (d.out.empty() && d.err.empty()) RC_FAIL(absl::StrCat("\"", line, "\": nothing said"));
  // One line each, except where xfs_io reads on after a bad option (falloc,
  // fzero, funshare): a getopt complaint and a usage line per bad option,
  // and perhaps a last complaint, every one a whole line.
  const bool reads_on = !argv.empty() && (argv[0] == "falloc" || argv[0] == "fzero" || argv[0] == "funshare");
  auto lines_ok = [&](const std::string& t) { return reads_on ? t.ends_with("\n") : one_line(t); };
  if (!d.out.empty() && !lines_ok(d.out)) RC_FAIL(absl::StrCat("\"", line, "\": out \"", d.out, "\""));
  if (!d.err.empty() && !lines_ok(d.err)) RC_FAIL(absl::StrCat("\"", line, "\": err \"", d.err, "\""));
  if (reads_on) return;
  // getopt's own complaints come with the command's usage line (each
  // command's default: case calls command_usage).
  if (d.err.find("invalid option -- '") != std::string::npos ||
      d.err.find("option requires an argument -- '") != std::string::npos) {
    const CommandSpec* spec = find_command(argv[0]);
    RC_ASSERT(spec != nullptr);
    RC_ASSERT(d.err.starts_with(argv[0] + ": "));
    RC_ASSERT(d.out == usage_line(*spec));
  }
}

RC_GTEST_PROP(CommandProperty, EveryLineParsesOrSaysWhy, ()) {
  const std::string line = any_line();
  check_parses(line);
}

TEST(Command, BlankLinesSayNothing) {
  for (const char* line : {"", " ", "     "}) {
    const ParsedCommand p = parse_line(line, {});
    ASSERT_TRUE(std::holds_alternative<CommandDiag>(p)) << line;
    const CommandDiag& d = std::get<CommandDiag>(p);
    EXPECT_EQ(d.out, "");
    EXPECT_EQ(d.err, "");
    EXPECT_FALSE(d.failed);
    EXPECT_FALSE(d.stop);
  }
}

// ---------------------------------------------------------------------------
// Exact messages, as xfs_io 6.1 prints them.

CommandDiag diag_of(std::string_view line) {
  const ParsedCommand p = parse_line(line, {});
  if (const CommandDiag* d = std::get_if<CommandDiag>(&p)) return *d;
  ADD_FAILURE() << "\"" << line << "\" parsed as " << describe(p);
  return {};
}

// io/pwrite.c: printf(_("non-numeric length argument -- %s\n"), argv[optind]);
// (stdout, exitcode = 1).
TEST(CommandMessages, PwriteNonNumericLength) {
  const CommandDiag d = diag_of("pwrite 0 12q");
  EXPECT_EQ(d.out, "non-numeric length argument -- 12q\n");
  EXPECT_EQ(d.err, "");
  EXPECT_TRUE(d.failed);
  EXPECT_EQ(diag_of("pwrite x 1").out, "non-numeric offset argument -- x\n");
  // printf(_("non-numeric bsize -- %s\n"), optarg); and the seed's and
  // vector count's (the latter with "==").
  EXPECT_EQ(diag_of("pwrite -b 4x 0 1").out, "non-numeric bsize -- 4x\n");
  EXPECT_EQ(diag_of("pwrite -S zz 0 1").out, "non-numeric seed -- zz\n");
  EXPECT_EQ(diag_of("pwrite -V q 0 1").out, "non-numeric vector count == q\n");
}

// libxcmd/command.c's command(): fprintf(stderr, _("bad argument count %d
// to %s, expected at least %d arguments\n"), argc-1, cmd, ct->argmin); and
// it returns 0, leaving the exit status alone. cmd is the word typed.
TEST(CommandMessages, BadArgumentCount) {
  CommandDiag d = diag_of("pwrite 0");
  EXPECT_EQ(d.out, "");
  EXPECT_EQ(d.err, "bad argument count 1 to pwrite, expected at least 2 arguments\n");
  EXPECT_FALSE(d.failed);
  EXPECT_EQ(diag_of("w 0").err, "bad argument count 1 to w, expected at least 2 arguments\n");
  // "expected %d arguments" when argmin == argmax, "between %d and %d" else.
  EXPECT_EQ(diag_of("fsync now").err, "bad argument count 1 to fsync, expected 0 arguments\n");
  EXPECT_EQ(diag_of("seek -d 0 1 2 3 4").err,
            "bad argument count 6 to seek, expected between 2 and 5 arguments\n");
}

// glibc getopt prints "%s: option requires an argument -- '%c'\n" (and
// "%s: invalid option -- '%c'\n") on stderr with argv[0], the command; then
// pwrite_f's default: case calls command_usage (libxcmd/command.c:
// printf("%s %s -- %s\n", ci->name, ci->args, ci->oneline)) on stdout.
// "pwrite -Z" alone would fail the argument count first (argmin 2).
TEST(CommandMessages, GetoptComplaintsComeWithTheUsage) {
  const std::string usage =
      "pwrite [-i infile [-qdDwNOW] [-s skip]] [-b bs] [-S seed] [-FBR [-Z N]] [-V N] off len -- "
      "writes a number of bytes at a specified offset\n";
  CommandDiag d = diag_of("pwrite 0 4096 -Z");
  EXPECT_EQ(d.err, "pwrite: option requires an argument -- 'Z'\n");
  EXPECT_EQ(d.out, usage);
  EXPECT_TRUE(d.failed);
  d = diag_of("pwrite -y 0 4096");
  EXPECT_EQ(d.err, "pwrite: invalid option -- 'y'\n");
  EXPECT_EQ(d.out, usage);
  EXPECT_EQ(diag_of("w -y 0 4096").err, "w: invalid option -- 'y'\n");
}

// io/seek.c: without -a, -d or -h, "return command_usage(&seek_cmd);" with
// seek_cmd.args = _("-a | -d | -h [-r] off") and oneline _("locate the next
// data and/or hole"); exitcode = 1.
TEST(CommandMessages, SeekWithoutDirectionIsUsage) {
  const CommandDiag d = diag_of("seek 0 0");
  EXPECT_EQ(d.out, "seek -a | -d | -h [-r] off -- locate the next data and/or hole\n");
  EXPECT_EQ(d.err, "");
  EXPECT_TRUE(d.failed);
  // A non-numeric offset is the usage too (seek.c: "if (offset < 0) ...
  // return command_usage(&seek_cmd);").
  EXPECT_EQ(diag_of("seek -d x").out, d.out);
}

// io/truncate.c: printf(_("non-numeric truncate argument -- %s\n"), argv[1]);
TEST(CommandMessages, TruncateNonNumeric) {
  const CommandDiag d = diag_of("truncate x");
  EXPECT_EQ(d.out, "non-numeric truncate argument -- x\n");
  EXPECT_EQ(d.err, "");
  EXPECT_TRUE(d.failed);
}

// libxcmd/command.c's process_input: fprintf(stderr, _("command \"%s\" not
// found\n"), v[0]); and the status is left alone.
TEST(CommandMessages, UnknownCommand) {
  const CommandDiag d = diag_of("frob 1 2");
  EXPECT_EQ(d.out, "");
  EXPECT_EQ(d.err, "command \"frob\" not found\n");
  EXPECT_FALSE(d.failed);
}

// io/reflink.c: printf(_("non-positive length argument -- %s\n"), ...) and
// io/copy_file_range.c: printf(_("invalid source offset -- %s\n"), optarg).
TEST(CommandMessages, TwoFileCommands) {
  EXPECT_EQ(diag_of("reflink f1 0 0 x").out, "non-positive length argument -- x\n");
  EXPECT_EQ(diag_of("dedupe f1 y 0 1").out, "non-numeric src offset argument -- y\n");
  EXPECT_EQ(diag_of("copy_range -s x f1").out, "invalid source offset -- x\n");
}

// ---------------------------------------------------------------------------
// The printed forms the properties rely on.

// xfs_io cannot say a negative number ("-5" is an option, "-- -5" is
// non-numeric); vfssim's `raw` prefix lets one follow "--".
TEST(Command, NegativeNumbersPrintAsRawCommands) {
  const std::vector<std::pair<Op, std::string>> cases = {
      {Op::pwrite(0, -1, 10, 0xab), "raw pwrite -S 0xab -b 10 -- -1 10"},
      {Op::truncate(0, -5), "raw truncate -- -5"},
      {Op::fallocate(0, 0, 0, -1), "raw fallocate -m 0x0 -- 0 -1"},
      {Op::fspacectl(0, 4096, -1), "raw fspacectl dealloc -- 4096 -1"},
      {Op::poison(0, -4096, 1), "raw poison inject -- -4096 1"},
      {Op::copy_range(1, -1, 0, 2, 3), "raw copy_file_range -s-1 -d2 -l3 f1"},
      // pread reads a negative operand as "from/to EOF" without `raw`.
      {Op::pread(0, 4096, -1), "pread -b 0 -- 4096 -1"},
  };
  for (const auto& [op, line] : cases) {
    EXPECT_EQ(op.to_command(), line);
    const ParsedCommand p = parse_line(line, {});
    ASSERT_TRUE(std::holds_alternative<Op>(p)) << line << ": " << describe(p);
    EXPECT_EQ(std::get<Op>(p), op) << line;
  }
}

// A path that begins with '-' follows "--", or getopt would take it for
// options.
TEST(Command, DashPathsFollowDashDash) {
  Op open;
  open.kind = OpKind::kOpen;
  open.mode = 0600;
  open.path = "-x";
  EXPECT_EQ(open.to_command(), "open -- -x");
  Op clone = Op::clone(-1, 0, 0, 4096, 8192);
  clone.path = "-src";
  EXPECT_EQ(clone.to_command(), "reflink -- -src 0 4096 8192");
  for (const Op& op : {open, clone}) {
    const ParsedCommand p = parse_line(op.to_command(), {});
    ASSERT_TRUE(std::holds_alternative<Op>(p)) << describe(p);
    EXPECT_EQ(std::get<Op>(p), op);
  }
}

// Every kind has its own JSON name (from_json finds the kind by it), and
// kEveryKind above lists every kind there is.
TEST(Command, EveryKindHasItsOwnName) {
  std::set<std::string_view> names;
  for (OpKind k : kEveryKind) EXPECT_TRUE(names.insert(op_kind_name(k)).second) << op_kind_name(k);
  int kinds = 0;
  for (int k = 0; k < 256; ++k) kinds += op_kind_name(static_cast<OpKind>(k)) != "?" ? 1 : 0;
  EXPECT_EQ(kinds, static_cast<int>(kEveryKind.size()));
}

}  // namespace
}  // namespace vfssim

namespace vfssim {
namespace {

// prealloc.c's fallocate_f: a bad option's default: case sets exitcode and
// calls command_usage, and the loop reads on; the command then runs.
TEST(CommandMessages, FallocReadsOnAfterABadOption) {
  ParsedCommand p = parse_line("falloc -x 0 4k", ParseContext{});
  const CommandDiag* d = std::get_if<CommandDiag>(&p);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->err, "falloc: invalid option -- 'x'\n");
  EXPECT_EQ(d->out, "falloc [-c] [-k] [-p] [-u] off len -- allocates space associated with part of a file via fallocate\n");
  EXPECT_TRUE(d->failed);
  ASSERT_TRUE(d->then.has_value());
  EXPECT_EQ(d->then->to_command(), "falloc 0 4096");
  // fzero's default: case leaves the exit status alone.
  p = parse_line("fzero -x 0 4k", ParseContext{});
  d = std::get_if<CommandDiag>(&p);
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->failed);
  ASSERT_TRUE(d->then.has_value());
  EXPECT_EQ(d->then->to_command(), "fzero 0 4096");
}

}  // namespace
}  // namespace vfssim
