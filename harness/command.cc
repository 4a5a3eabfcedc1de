#include "harness/command.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sim/absl_view.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

constexpr uint32_t kData = kCmdNoMapOk | kCmdForeignOk;

// xfs_io 6.1's table for the commands vfssim has (io/*.c, libxcmd/), then
// vfssim's own; sorted by name.
constexpr std::array kCommands = {
    CommandSpec{"chattr", "", 1, -1, kData, "[-R|-D] [+/-riasAdtPneEfSxC]",
                "change extended inode flags on the currently open file"},
    CommandSpec{"close", "c", 0, 0, kData | kCmdOneshot, "", "close the current open file"},
    CommandSpec{"copy_file_range", "", 1, 8, kData | kCmdVfssim,
                "[-s src_off] [-d dst_off] [-l len] src_file | -f N",
                "one copy_file_range(2) call, as copy_range makes repeatedly (vfssim)"},
    CommandSpec{"copy_range", "", 1, 8, kData, "[-s src_off] [-d dst_off] [-l len] src_file | -f N",
                "Copy a range of data between two files"},
    CommandSpec{"dedupe", "dd", 4, -1, kData | kCmdOneshot, "infile src_off dst_off len",
                "dedupes a number of bytes at a specified offset"},
    CommandSpec{"dedupe_range", "", 4, -1, kData | kCmdOneshot | kCmdVfssim, "infile src_off dst_off len",
                "one FIDEDUPERANGE call, as dedupe makes repeatedly (vfssim)"},
    CommandSpec{"fallocate", "", 2, -1, kData | kCmdVfssim, "[-m mode] off len",
                "fallocate(2) with any mode bits (vfssim)"},
    CommandSpec{"extsize", "", 0, -1, kCmdNoMapOk, "[-D | -R] [extsize]",
                "get/set preferred extent size (in bytes) for the open file"},
    CommandSpec{"fadvise", "", 0, -1, kData, "[-dnrsw] [off len]",
                "advisory commands for sections of a file"},
    CommandSpec{"falloc", "", 2, -1, kData, "[-c] [-k] [-p] [-u] off len",
                "allocates space associated with part of a file via fallocate"},
    CommandSpec{"fault", "", 1, 2, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim,
                "list | arm POINT=PLAN | disarm POINT", "arm and disarm fault points (vfssim)"},
    CommandSpec{"fcollapse", "", 2, 2, kData, "off len",
                "de-allocates space and eliminates the hole by shifting extents"},
    CommandSpec{"fdatasync", "ds", 0, 0, kData, "",
                "calls fdatasync(2) to flush the files in-core data to disk"},
    CommandSpec{"fiemap", "", 0, -1, kData, "[-alv] [-n nx] [offset [len]]",
                "print block mapping for a file"},
    CommandSpec{"file", "f", 0, 1, kData | kCmdOneshot, "[N]", "set the current file"},
    CommandSpec{"finsert", "", 2, 2, kData, "off len",
                "creates new space for writing within file by shifting extents"},
    CommandSpec{"fpunch", "", 2, 2, kData, "off len",
                "de-allocates space associated with part of a file via fallocate"},
    CommandSpec{"fspacectl", "", 3, 3, kData | kCmdVfssim, "dealloc off len",
                "fspacectl(SPACECTL_DEALLOC) and the rmsr it returns (vfssim)"},
    CommandSpec{"fsync", "s", 0, 0, kData, "",
                "calls fsync(2) to flush all in-core file state to disk"},
    CommandSpec{"funshare", "", 2, 2, kData, "off len", "unshares shared blocks within the range"},
    CommandSpec{"fzero", "", 2, 3, kData, "[-k] off len",
                "zeroes space and eliminates holes by preallocating"},
    CommandSpec{"help", "?", 0, 1, kCmdOneshot | kCmdLibrary, "[command]",
                "help for one or all commands"},
    CommandSpec{"link", "", 2, 2, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim, "OLD NEW", "link(2): a new name for OLD (vfssim)"},
    CommandSpec{"lsattr", "", 0, 1, kData, "[-R|-D|-a|-v]",
                "list extended inode flags set on the currently open file"},
    CommandSpec{"madvise", "ma", 0, -1, kCmdNoFileOk | kCmdForeignOk, "[-drsw] [off len]",
                "give advice about use of memory"},
    CommandSpec{"mkdir", "", 1, 1, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim, "PATH", "mkdir(2) with mode 0755 (vfssim)"},
    CommandSpec{"mmap", "mm", 0, -1, kData | kCmdNoFileOk | kCmdOneshot,
                "[N] | [-rwxS] [-s size] [off len]", "mmap a range in the current file, show mappings"},
    CommandSpec{"mread", "mr", 0, -1, kCmdNoFileOk | kCmdForeignOk, "[-r] [off len]",
                "reads data from a region in the current memory mapping"},
    CommandSpec{"mstore", "", 2, -1, kData | kCmdVfssim, "[-S seed] off len",
                "mmap the pages of a range, store into it, msync, munmap (vfssim)"},
    CommandSpec{"msync", "ms", 0, -1, kCmdNoFileOk | kCmdForeignOk, "[-ais] [off len]",
                "flush a region in the current memory mapping"},
    CommandSpec{"munmap", "mu", 0, 0, kCmdNoFileOk | kCmdForeignOk, "",
                "unmaps the current memory mapping"},
    CommandSpec{"mwrite", "mw", 0, -1, kCmdNoFileOk | kCmdForeignOk, "[-r] [-S seed] [off len]",
                "writes data into a region in the current memory mapping"},
    CommandSpec{"open", "o", 0, -1, kData | kCmdNoFileOk | kCmdOneshot,
                "[-acdrstxRTPL] [-m mode] [path]", "open the file specified by path"},
    CommandSpec{"poison", "", 1, 3, kData | kCmdOneshot | kCmdVfssim,
                "inject off len | latent off len | scrub | list",
                "poison the pmem under a file range, scrub, list badblocks (vfssim)"},
    CommandSpec{"pread", "r", 2, -1, kData, "[-b bs] [-qv] [-i N] [-FBR [-Z N]] off len",
                "reads a number of bytes at a specified offset"},
    CommandSpec{"print", "p", 0, 0, kData | kCmdNoFileOk | kCmdOneshot, "",
                "list current open files and memory mappings"},
    CommandSpec{"pwrite", "w", 2, -1, kData,
                "[-i infile [-qdDwNOW] [-s skip]] [-b bs] [-S seed] [-FBR [-Z N]] [-V N] off len",
                "writes a number of bytes at a specified offset"},
    CommandSpec{"pwrite_direct", "", 2, -1, kData | kCmdVfssim, "[-S seed] off len",
                "one pwrite(2) with O_DIRECT set for the call (vfssim)"},
    CommandSpec{"quit", "q", -1, -1, kCmdOneshot | kCmdLibrary, "", "exit the program"},
    CommandSpec{"reflink", "rl", 1, -1, kData | kCmdOneshot, "infile [src_off dst_off len]",
                "reflinks an entire file, or a number of bytes at a specified offset"},
    CommandSpec{"rename", "", 2, 2, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim, "OLD NEW", "rename(2) (vfssim)"},
    CommandSpec{"rmdir", "", 1, 1, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim, "PATH", "rmdir(2) (vfssim)"},
    CommandSpec{"safecopy", "", 0, 0, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim,
                "", "seed 003's CPF_TRY safecopy policy table (vfssim)"},
    CommandSpec{"seek", "", 2, 5, kData, "-a | -d | -h [-r] off", "locate the next data and/or hole"},
    CommandSpec{"stat", "", 0, 1, kData, "[-v|-r]", "statistics on the currently open file"},
    CommandSpec{"statfs", "", 0, -1, kData, "[-c] [-g] [-s]",
                "statistics on the filesystem of the currently open file"},
    CommandSpec{"swapout", "", 2, 2, kData | kCmdVfssim, "off len",
                "swap a shmfs file's pages in a range out (vfssim)"},
    CommandSpec{"symlink", "", 2, 2, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim, "TARGET PATH", "symlink(2) (vfssim)"},
    CommandSpec{"sync", "", 0, 0, kData | kCmdNoFileOk | kCmdOneshot, "",
                "calls sync(2) to flush all in-core filesystem state to disk"},
    CommandSpec{"syncfs", "", 0, 0, kData, "",
                "calls syncfs(2) to flush all in-core filesystem state to disk"},
    CommandSpec{"trace", "", 1, 2, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim,
                "on | off | dump FILE", "the simulator's trace (vfssim)"},
    CommandSpec{"truncate", "t", 1, 1, kData, "off", "truncates the current file at the given offset"},
    CommandSpec{"unlink", "", 1, 1, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim, "PATH", "unlink(2) (vfssim)"},
    CommandSpec{"variant", "", 1, 3, kCmdNoMapOk | kCmdNoFileOk | kCmdForeignOk | kCmdOneshot | kCmdVfssim,
                "list | set NAME VALUE", "list and set API variants (vfssim)"},
    CommandSpec{"zeroinit", "", 2, 2, kData | kCmdVfssim, "off len",
                "fallocate(FALLOC_FL_ZEROINIT_RANGE | KEEP_SIZE), the prototype (vfssim)"},
};

// A GNU getopt pass over argv: options (clustered or not, with their
// arguments attached or next) in order, operands collected in order, "--"
// ending options. An unknown option or a missing argument is an event with
// opt '?' whose message getopt itself prints on stderr.
struct OptEvent {
  char opt;
  std::string arg;
  std::string message;  // For '?'.
};
struct Getopt {
  std::vector<OptEvent> events;
  std::vector<std::string> operands;
  bool dashdash = false;  // The operands came after "--".
};

Getopt getopt(std::span<const std::string> argv, std::string_view optstring) {
  Getopt g;
  const std::string& prog = argv[0];
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      g.dashdash = true;
      for (size_t j = i + 1; j < argv.size(); ++j) g.operands.push_back(argv[j]);
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      g.operands.push_back(a);
      continue;
    }
    for (size_t k = 1; k < a.size(); ++k) {
      const char c = a[k];
      const size_t at = c == ':' ? std::string_view::npos : optstring.find(c);
      if (at == std::string_view::npos) {
        g.events.push_back({'?', "", absl::StrFormat("%s: invalid option -- '%c'\n", prog, c)});
        continue;
      }
      if (at + 1 < optstring.size() && optstring[at + 1] == ':') {
        if (k + 1 < a.size()) {
          g.events.push_back({c, a.substr(k + 1)});
        } else if (i + 1 < argv.size()) {
          g.events.push_back({c, argv[++i]});
        } else {
          g.events.push_back(
              {'?', "", absl::StrFormat("%s: option requires an argument -- '%c'\n", prog, c)});
        }
        break;
      }
      g.events.push_back({c, ""});
    }
  }
  return g;
}

CommandDiag usage(const CommandSpec& spec, bool failed = true) {
  return {usage_line(spec), "", failed};
}

CommandDiag say(std::string out, bool failed = true) { return {std::move(out), "", failed}; }

// A command's default: case for getopt's '?': getopt's message on stderr,
// command_usage on stdout.
CommandDiag getopt_complaint(const CommandSpec& spec, const OptEvent& e) {
  CommandDiag d = usage(spec);
  d.err = e.message;
  return d;
}

// strtoul(s, &sp, 0) as xfs_io checks it: some digits must be read.
std::optional<uint64_t> read_ulong(std::string_view s) {
  const std::string z(s);
  char* sp = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(z.c_str(), &sp, 0);
  if (sp == z.c_str()) return std::nullopt;
  return v;
}

// An operand as cvtnum reads it; after "--" in a `raw` command, vfssim also
// takes a plain negative number (xfs_io has no way to say one).
int64_t operand(const ParseContext& ctx, const std::string& s, bool dashdash) {
  if (ctx.raw && dashdash && !s.empty() && s[0] == '-') {
    int64_t v = 0;
    if (absl::SimpleAtoi(s, &v)) return v;
  }
  return cvtnum(ctx.blocksize, ctx.sectsize, s);
}

bool negative(int64_t v) { return v < 0; }

// Set by operands() when the command it prints needs `raw`.
thread_local bool g_needs_raw = false;

// Prints numbers for a getopt command: after "--" when one is negative
// (and the command is then a `raw` one).
std::string operands(std::initializer_list<int64_t> nums) {
  bool neg = false;
  for (int64_t n : nums) neg |= negative(n);
  g_needs_raw |= neg;
  std::string s = neg ? " --" : "";
  for (int64_t n : nums) absl::StrAppend(&s, " ", n);
  return s;
}

std::string letters_of(const Op& op, std::string_view order) {
  std::string s;
  for (char c : order) {
    if (op.has(c)) absl::StrAppend(&s, " -", std::string(1, c));
  }
  return s;
}

// The letters as one cluster ("-rv"): stat and lsattr take one argument.
std::string cluster_of(const Op& op, std::string_view order) {
  std::string s;
  for (char c : order) {
    if (op.has(c)) s += c;
  }
  return s.empty() ? s : absl::StrCat(" -", s);
}

Op on_file(OpKind kind, const ParseContext& ctx) {
  Op op;
  op.kind = kind;
  op.file = ctx.file;
  return op;
}

// "f<N>": a harness file's name, the file table's entry N.
int harness_file(std::string_view path) {
  int n = -1;
  if (path.size() >= 2 && path[0] == 'f' && absl::SimpleAtoi(to_absl(path.substr(1)), &n) && n >= 0 &&
      absl::StrCat("f", n) == std::string(path)) {
    return n;
  }
  return -1;
}

std::string source_path(const Op& op) { return op.src >= 0 ? absl::StrCat("f", op.src) : op.path; }

// " PATH", or " -- PATH" when getopt would read PATH as options.
std::string path_word(const std::string& path) {
  return absl::StrCat(!path.empty() && path[0] == '-' ? " -- " : " ", path);
}

// A two-file command's source and numbers: after one "--" if the source
// begins with '-' (then the numbers need no second one).
std::string source_and(const Op& op, std::initializer_list<int64_t> nums) {
  const std::string path = source_path(op);
  if (path.empty() || path[0] != '-') return absl::StrCat(" ", path, operands(nums));
  std::string s = path_word(path);
  for (int64_t n : nums) {
    g_needs_raw |= negative(n);
    absl::StrAppend(&s, " ", n);
  }
  return s;
}

void set_source(Op& op, const std::string& path) {
  op.src = harness_file(path);
  op.path = op.src >= 0 ? "" : path;
}

// offset_length: the `off len` operands most commands end in (prealloc.c's
// offset_length, and pwrite's, mmap's and mread/mwrite/msync's alike).
ParsedCommand offset_length(Op op, const ParseContext& ctx, const std::string& off,
                            const std::string& len, bool dashdash, bool failed = true) {
  op.off = operand(ctx, off, dashdash);
  if (op.off < 0 && !(ctx.raw && dashdash)) return say(absl::StrCat("non-numeric offset argument -- ", off, "\n"), failed);
  op.len = operand(ctx, len, dashdash);
  if (op.len < 0 && !(ctx.raw && dashdash)) return say(absl::StrCat("non-numeric length argument -- ", len, "\n"), failed);
  return op;
}

// pwrite's and pread's -b and -V: true when `e` is one of them, with a
// complaint in *diag when its argument is not a number.
bool buffer_option(const OptEvent& e, const ParseContext& ctx, Op& op, std::optional<CommandDiag>* diag) {
  if (e.opt == 'b') {
    const int64_t v = cvtnum(ctx.blocksize, ctx.sectsize, e.arg);
    if (v < 0) *diag = say(absl::StrCat("non-numeric bsize -- ", e.arg, "\n"));
    op.bsize = v;
    return true;
  }
  if (e.opt == 'V') {
    std::optional<uint64_t> v = read_ulong(e.arg);
    if (!v) *diag = say(absl::StrCat("non-numeric vector count == ", e.arg, "\n"));
    op.vectors = v ? static_cast<int>(*v) : 0;
    return true;
  }
  return false;
}

ParsedCommand parse_pwrite(const CommandSpec& spec, std::span<const std::string> argv,
                           const ParseContext& ctx) {
  Op op = on_file(OpKind::kPwrite, ctx);
  op.fill = 0xcd;
  op.bsize = static_cast<int64_t>(ctx.blocksize);
  Getopt g = getopt(argv, "b:BCdDf:Fi:NqRs:OS:uV:wWZ:");
  for (const OptEvent& e : g.events) {
    std::optional<CommandDiag> diag;
    if (buffer_option(e, ctx, op, &diag)) {
      if (diag) return *diag;
      continue;
    }
    switch (e.opt) {
      case 'S': {
        std::optional<uint64_t> v = read_ulong(e.arg);
        if (!v) return say(absl::StrCat("non-numeric seed -- ", e.arg, "\n"));
        op.fill = static_cast<uint8_t>(*v);
        break;
      }
      case 'q':
      case 'w':
      case 'W':
      case 'D':
      case 'N':
        op.letters |= Op::letter(e.opt);
        break;
      case 'F':
        break;
      case '?': {
        return getopt_complaint(spec, e);
      }
      default:
        // Reading from an input file, and the backward, random and once
        // directions, are not modelled.
        return say(absl::StrFormat("%s: option -%c is not modelled by vfssim\n", argv[0], e.opt));
    }
  }
  if (g.operands.size() != 2) return usage(spec);
  return offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash);
}

ParsedCommand parse_pread(const CommandSpec& spec, std::span<const std::string> argv,
                          const ParseContext& ctx) {
  Op op = on_file(OpKind::kPread, ctx);
  op.bsize = static_cast<int64_t>(ctx.blocksize);
  Getopt g = getopt(argv, "b:BCFRquvV:Z:");
  for (const OptEvent& e : g.events) {
    std::optional<CommandDiag> diag;
    if (buffer_option(e, ctx, op, &diag)) {
      if (diag) return *diag;
      continue;
    }
    switch (e.opt) {
      case 'q':
      case 'v':
        op.letters |= Op::letter(e.opt);
        break;
      case 'F':
        break;
      case '?': {
        return getopt_complaint(spec, e);
      }
      default:
        return say(absl::StrFormat("%s: option -%c is not modelled by vfssim\n", argv[0], e.opt));
    }
  }
  if (g.operands.size() != 2) return usage(spec);
  // pread_f: in the forward direction a negative offset or length (cvtnum's
  // -1 for a non-number, or a number after "--") is "from/to EOF": the
  // reads go on until one returns 0 or fails, as pread(2) does at a
  // negative offset (EINVAL).
  op.off = cvtnum(ctx.blocksize, ctx.sectsize, g.operands[0]);
  op.len = cvtnum(ctx.blocksize, ctx.sectsize, g.operands[1]);
  if (op.off < 0 || op.len < 0) op.letters |= Op::letter('E');
  return op;
}

// The "--" that `raw` allows before the numbers of a command without
// options, one word over its argmax: `raw truncate -- -5`, `raw fspacectl
// dealloc -- 0 -1`, and poison inject|latent, swapout and zeroinit alike.
bool raw_dashdash(const CommandSpec& spec, std::span<const std::string> argv) {
  const std::string_view name = spec.name;
  const size_t nums = name == "truncate" ? 1 : 2;
  const bool takes_one = name == "truncate" || name == "fspacectl" || name == "poison" ||
                         name == "swapout" || name == "zeroinit";
  return takes_one && static_cast<int>(argv.size()) - 1 == spec.argmax + 1 && argv.size() > nums + 1 &&
         argv[argv.size() - nums - 1] == "--";
}


ParsedCommand parse_fallocate_family(const CommandSpec& spec, std::span<const std::string> argv,
                                     const ParseContext& ctx) {
  Op op = on_file(OpKind::kFallocate, ctx);
  const std::string_view name = spec.name;
  if (name == "fpunch" || name == "fcollapse" || name == "finsert") {
    op.mode = name == "fpunch"      ? kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE
              : name == "fcollapse" ? kFALLOC_FL_COLLAPSE_RANGE
                                    : kFALLOC_FL_INSERT_RANGE;
    return offset_length(op, ctx, argv[1], argv[2], false);
  }
  if (name == "falloc" || name == "fzero" || name == "funshare") {
    // A bad option prints getopt's complaint and the usage, and parsing
    // reads on (falloc also sets the exit status); the command then runs.
    CommandDiag notes{"", "", false};
    op.mode = name == "fzero" ? kFALLOC_FL_ZERO_RANGE : name == "funshare" ? kFALLOC_FL_UNSHARE_RANGE : 0;
    Getopt g = getopt(argv, name == "falloc" ? "cikpu" : name == "fzero" ? "k" : "");
    for (const OptEvent& e : g.events) {
      switch (e.opt) {
        case 'c': op.mode = kFALLOC_FL_COLLAPSE_RANGE; break;
        case 'i': op.mode = kFALLOC_FL_INSERT_RANGE; break;
        case 'k': op.mode = name == "fzero" ? op.mode | kFALLOC_FL_KEEP_SIZE : kFALLOC_FL_KEEP_SIZE; break;
        case 'p': op.mode = kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE; break;
        case 'u': op.mode = kFALLOC_FL_UNSHARE_RANGE; break;
        default:
          notes.err += e.message;
          notes.out += usage_line(spec);
          notes.failed |= name == "falloc";
          break;
      }
    }
    // fzero and funshare leave the exit status alone on a usage error.
    const bool failed = name == "falloc";
    ParsedCommand p = g.operands.size() != 2
                          ? ParsedCommand(usage(spec, failed))
                          : offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash, name != "fzero");
    if (notes.out.empty() && notes.err.empty()) return p;
    if (CommandDiag* d = std::get_if<CommandDiag>(&p)) {
      d->out = notes.out + d->out;
      d->err = notes.err + d->err;
      d->failed |= notes.failed;
      return p;
    }
    notes.then = std::get<Op>(p);
    return notes;
  }
  if (name == "zeroinit") {
    op.kind = OpKind::kZeroinit;
    const size_t n = argv.size();
    return offset_length(op, ctx, argv[n - 2], argv[n - 1], ctx.raw && raw_dashdash(spec, argv));
  }
  // vfssim's fallocate: -m MODE.
  Getopt g = getopt(argv, "m:");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    std::optional<uint64_t> v = read_ulong(e.arg);
    if (!v) return say(absl::StrCat("non-numeric mode -- ", e.arg, "\n"));
    op.mode = static_cast<int>(*v);
  }
  if (g.operands.size() != 2) return usage(spec);
  return offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash);
}

ParsedCommand parse_seek(const CommandSpec& spec, std::span<const std::string> argv,
                         const ParseContext& ctx) {
  Op op = on_file(OpKind::kSeek, ctx);
  Getopt g = getopt(argv, "adhrs");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    op.letters |= e.opt == 'a' ? Op::letter('d') | Op::letter('h') : Op::letter(e.opt);
  }
  if (!(op.has('d') || op.has('h')) || g.operands.size() != 1) return usage(spec);
  op.off = operand(ctx, g.operands[0], g.dashdash);
  if (op.off < 0 && !(ctx.raw && g.dashdash)) return usage(spec);
  if (op.letters == Op::letter('d')) {
    op.kind = OpKind::kSeekData;
    op.letters = 0;
  } else if (op.letters == Op::letter('h')) {
    op.kind = OpKind::kSeekHole;
    op.letters = 0;
  }
  return op;
}

ParsedCommand parse_fiemap(const CommandSpec& spec, std::span<const std::string> argv,
                           const ParseContext& ctx) {
  Op op = on_file(OpKind::kFiemap, ctx);
  op.len = -1;
  op.src_off = -1;  // -n: no limit.
  Getopt g = getopt(argv, "aln:vU");
  for (const OptEvent& e : g.events) {
    switch (e.opt) {
      case 'n':
        op.src_off = std::atoi(e.arg.c_str());
        op.letters |= Op::letter('n');
        break;
      case '?': {
        return getopt_complaint(spec, e);
      }
      default:
        op.letters |= Op::letter(e.opt);
    }
  }
  if (!g.operands.empty()) {
    op.off = operand(ctx, g.operands[0], g.dashdash);
    if (op.off < 0 && !(ctx.raw && g.dashdash)) {
      return say(absl::StrCat("non-numeric offset argument -- ", g.operands[0], "\n"));
    }
    op.nargs = 1;
  }
  if (g.operands.size() >= 2) {
    op.len = operand(ctx, g.operands[1], g.dashdash);
    if (op.len < 0 && !(ctx.raw && g.dashdash)) {
      return say(absl::StrCat("non-numeric len argument -- ", g.operands[1], "\n"));
    }
    op.nargs = 2;
  }
  return op;
}

// The two-file commands: the source by path ("f<N>" is the harness's file N).
ParsedCommand parse_remap(const CommandSpec& spec, std::span<const std::string> argv,
                          const ParseContext& ctx) {
  Op op = on_file(spec.name == "reflink"  ? OpKind::kClone
                  : spec.name == "dedupe" ? OpKind::kDedupeLoop
                                          : OpKind::kDedupe,
                  ctx);
  Getopt g = getopt(argv, "Cq");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    op.letters |= Op::letter(e.opt);
  }
  const bool whole = op.kind == OpKind::kClone && g.operands.size() == 1;
  if (g.operands.size() != 4 && !whole) return usage(spec);
  set_source(op, g.operands[0]);
  if (whole) {
    op.letters |= Op::letter('A');  // All of it: FICLONE.
    return op;
  }
  op.src_off = operand(ctx, g.operands[1], g.dashdash);
  if (op.src_off < 0 && !(ctx.raw && g.dashdash)) {
    return say(absl::StrCat("non-numeric src offset argument -- ", g.operands[1], "\n"));
  }
  op.off = operand(ctx, g.operands[2], g.dashdash);
  if (op.off < 0 && !(ctx.raw && g.dashdash)) {
    return say(absl::StrCat("non-numeric dest offset argument -- ", g.operands[2], "\n"));
  }
  op.len = operand(ctx, g.operands[3], g.dashdash);
  if (op.len < 0 && !(ctx.raw && g.dashdash)) {
    return say(absl::StrCat("non-positive length argument -- ", g.operands[3], "\n"));
  }
  return op;
}

ParsedCommand parse_copy_range(const CommandSpec& spec, std::span<const std::string> argv,
                               const ParseContext& ctx) {
  Op op = on_file(spec.name == "copy_range" ? OpKind::kCopyRangeLoop : OpKind::kCopyRange, ctx);
  bool from_table = false;
  Getopt g = getopt(argv, "s:d:l:f:");
  for (const OptEvent& e : g.events) {
    switch (e.opt) {
      case 's':
        op.src_off = operand(ctx, e.arg, true);
        if (op.src_off < 0 && !ctx.raw) return say(absl::StrCat("invalid source offset -- ", e.arg, "\n"));
        op.letters |= Op::letter('s');
        break;
      case 'd':
        op.off = operand(ctx, e.arg, true);
        if (op.off < 0 && !ctx.raw) return say(absl::StrCat("invalid destination offset -- ", e.arg, "\n"));
        op.letters |= Op::letter('d');
        break;
      case 'l':
        // xfs_io takes any length cvtnum reads but -1 (its error value).
        op.len = ctx.raw ? operand(ctx, e.arg, true) : cvtnum(ctx.blocksize, ctx.sectsize, e.arg);
        if (op.len == -1 && !ctx.raw) return say(absl::StrCat("invalid length -- ", e.arg, "\n"));
        op.letters |= Op::letter('l');
        break;
      case 'f': {
        // xfs_io 6.1 reads the number from argv[1], not from -f's argument.
        const int n = std::atoi(argv[1].c_str());
        if (n < 0 || n >= ctx.nfiles) {
          return say(absl::StrFormat("file value %d is out of range (0-%d)\n", n, ctx.nfiles - 1));
        }
        op.src = n;
        op.letters |= Op::letter('f');
        from_table = true;
        break;
      }
      default: {
        return getopt_complaint(spec, e);
      }
    }
  }
  if (g.operands.size() != (from_table ? 0u : 1u)) return usage(spec);
  if (!from_table) set_source(op, g.operands[0]);
  return op;
}

ParsedCommand parse_open(const CommandSpec& spec, std::span<const std::string> argv,
                         const ParseContext& ctx) {
  Op op = on_file(OpKind::kOpen, ctx);
  op.mode = 0600;
  if (argv.size() == 1) return op;  // stat, or "no files are open".
  Getopt g = getopt(argv, "FLPRTacdfm:nrstx");
  for (const OptEvent& e : g.events) {
    switch (e.opt) {
      case 'F':
        break;
      case 'c':
        op.letters |= Op::letter('f');
        break;
      case 'x':
        op.letters |= Op::letter('R');
        break;
      case 'm': {
        std::optional<uint64_t> v = read_ulong(e.arg);
        if (!v) return say(absl::StrCat("non-numeric mode -- ", e.arg, "\n"));
        op.mode = static_cast<int>(*v);
        break;
      }
      case '?': {
        return getopt_complaint(spec, e);
      }
      default:
        op.letters |= Op::letter(e.opt);
    }
  }
  if (g.operands.size() != 1) return usage(spec);
  if (op.has('r') && op.has('T')) {
    return CommandDiag{"", "-T and -r options are incompatible\n", true, true};
  }
  const uint64_t path_flags = Op::letter('P') | Op::letter('L');
  if ((op.letters & path_flags) && (op.letters & ~path_flags)) {
    return CommandDiag{"", "-P and -L are incompatible with the other options\n", true, true};
  }
  op.path = g.operands[0];
  return op;
}

// mread, mwrite and msync: options, then nothing (the whole mapping) or
// off len.
ParsedCommand parse_mapping_range(Op op, const CommandSpec& spec, std::span<const std::string> argv,
                                  const ParseContext& ctx, std::string_view optstring) {
  Getopt g = getopt(argv, optstring);
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    if (e.opt == 'S') {
      const std::string z(e.arg);
      char* sp = nullptr;
      const long v = std::strtol(z.c_str(), &sp, 0);
      if (sp == z.c_str()) return say(absl::StrCat("non-numeric seed -- ", e.arg, "\n"), false);
      op.fill = static_cast<uint8_t>(v);
      continue;
    }
    op.letters |= Op::letter(e.opt);
  }
  if (g.operands.empty()) return op;
  if (g.operands.size() != 2) return usage(spec, op.kind != OpKind::kMread);
  op.nargs = 2;
  return offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash);
}

ParsedCommand parse_mmap(const CommandSpec& spec, std::span<const std::string> argv,
                         const ParseContext& ctx) {
  Op op = on_file(OpKind::kMmap, ctx);
  if (argv.size() <= 2) {
    op.nargs = static_cast<int>(argv.size()) - 1;
    if (op.nargs == 1) op.off = std::atoi(argv[1].c_str());
    return op;
  }
  Getopt g = getopt(argv, "rwxSs:");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    if (e.opt == 's') {
      op.src_off = cvtnum(ctx.blocksize, ctx.sectsize, e.arg);
      op.letters |= Op::letter('s');
      continue;
    }
    op.letters |= Op::letter(e.opt);
  }
  if (g.operands.size() != 2) return usage(spec);
  op.nargs = 2;
  return offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash);
}

// Commands whose options are letters only (stat, statfs, lsattr).
ParsedCommand parse_letters(Op op, const CommandSpec& spec, std::span<const std::string> argv,
                            std::string_view optstring) {
  Getopt g = getopt(argv, optstring);
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    op.letters |= Op::letter(e.opt);
  }
  return op;
}

// fadvise: -d -n -w take a range, -r -s none (the last option decides).
ParsedCommand parse_fadvise(const CommandSpec& spec, std::span<const std::string> argv,
                            const ParseContext& ctx) {
  Op op = on_file(OpKind::kFadvise, ctx);
  bool range = false;
  Getopt g = getopt(argv, "dnrsw");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    op.letters = Op::letter(e.opt);
    range = e.opt == 'd' || e.opt == 'n' || e.opt == 'w';
  }
  if (!range) {
    if (!g.operands.empty()) return usage(spec);
    return op;
  }
  if (g.operands.size() != 2) return usage(spec);
  op.nargs = 2;
  return offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash);
}

ParsedCommand parse_madvise(const CommandSpec& spec, std::span<const std::string> argv,
                            const ParseContext& ctx) {
  Op op = on_file(OpKind::kMadvise, ctx);
  Getopt g = getopt(argv, "drsw");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    op.letters = Op::letter(e.opt);
  }
  if (g.operands.empty()) return op;
  if (g.operands.size() != 2) return usage(spec);
  op.nargs = 2;
  return offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash);
}

ParsedCommand parse_extsize(const CommandSpec& spec, std::span<const std::string> argv,
                            const ParseContext& ctx) {
  Op op = on_file(OpKind::kExtsize, ctx);
  Getopt g = getopt(argv, "DR");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    op.letters |= Op::letter(e.opt);
  }
  if (!g.operands.empty()) {
    op.len = cvtnum(ctx.blocksize, ctx.sectsize, g.operands[0]);
    if (op.len < 0) return say(absl::StrCat("non-numeric extsize argument -- ", g.operands[0], "\n"));
    op.nargs = 1;
  }
  if (op.has('D') && op.has('R')) {
    return CommandDiag{"", "xfs_io: -R and -D options are mutually exclusive\n"};
  }
  return op;
}

ParsedCommand parse_vfssim(const CommandSpec& spec, std::span<const std::string> argv,
                           const ParseContext& ctx) {
  const std::string_view name = spec.name;
  const std::string& word = argv[1];
  auto want = [&](size_t n) { return argv.size() == n + 1; };
  // fspacectl, poison and swapout end in "[--] off len".
  const bool dashdash = ctx.raw && raw_dashdash(spec, argv);
  const std::string& off = argv[argv.size() - 2];
  const std::string& len = argv.back();
  if (name == "fspacectl") {
    if (word != "dealloc") return usage(spec);
    Op op = on_file(OpKind::kFspacectl, ctx);
    return offset_length(op, ctx, off, len, dashdash);
  }
  if (name == "poison") {
    if ((word == "inject" || word == "latent") && (want(3) || dashdash)) {
      Op op = on_file(word == "inject" ? OpKind::kPoison : OpKind::kPoisonCmd, ctx);
      if (word == "latent") op.path = word;
      return offset_length(op, ctx, off, len, dashdash);
    }
    if ((word == "scrub" || word == "list") && want(1)) {
      Op op = on_file(OpKind::kPoisonCmd, ctx);
      op.path = word;
      return op;
    }
    return usage(spec);
  }
  if (name == "fault") {
    Op op = on_file(OpKind::kFaultCmd, ctx);
    op.path = word;
    if (word == "list" && want(1)) return op;
    if ((word == "arm" || word == "disarm") && want(2)) {
      op.arg = argv[2];
      return op;
    }
    return usage(spec);
  }
  if (name == "variant") {
    Op op = on_file(OpKind::kVariantCmd, ctx);
    op.path = word;
    if (word == "list" && want(1)) return op;
    if (word == "set" && want(3)) {
      op.arg = argv[2];
      op.value = argv[3];
      return op;
    }
    return usage(spec);
  }
  if (name == "trace") {
    Op op = on_file(OpKind::kTraceCmd, ctx);
    op.path = word;
    if ((word == "on" || word == "off") && want(1)) return op;
    if (word == "dump" && want(2)) {
      op.arg = argv[2];
      return op;
    }
    return usage(spec);
  }
  if (name == "swapout") return offset_length(on_file(OpKind::kSwapout, ctx), ctx, off, len, dashdash);
  // pwrite_direct and mstore: [-S seed] off len.
  Op op = on_file(name == "mstore" ? OpKind::kMwrite : OpKind::kDioPwrite, ctx);
  op.fill = 0xcd;
  Getopt g = getopt(argv, "S:");
  for (const OptEvent& e : g.events) {
    if (e.opt == '?') {
      return getopt_complaint(spec, e);
    }
    std::optional<uint64_t> v = read_ulong(e.arg);
    if (!v) return say(absl::StrCat("non-numeric seed -- ", e.arg, "\n"));
    op.fill = static_cast<uint8_t>(*v);
  }
  if (g.operands.size() != 2) return usage(spec);
  return offset_length(op, ctx, g.operands[0], g.operands[1], g.dashdash);
}

std::string fallocate_command(const Op& op) {
  const bool neg = op.off < 0 || op.len < 0;
  const std::string nums = operands({op.off, op.len});
  if (!neg) {
    switch (op.mode) {
      case 0:
        return absl::StrCat("falloc", nums);
      case kFALLOC_FL_KEEP_SIZE:
        return absl::StrCat("falloc -k", nums);
      case kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE:
        return absl::StrCat("fpunch", nums);
      case kFALLOC_FL_ZERO_RANGE:
        return absl::StrCat("fzero", nums);
      case kFALLOC_FL_ZERO_RANGE | kFALLOC_FL_KEEP_SIZE:
        return absl::StrCat("fzero -k", nums);
      case kFALLOC_FL_COLLAPSE_RANGE:
        return absl::StrCat("fcollapse", nums);
      case kFALLOC_FL_INSERT_RANGE:
        return absl::StrCat("finsert", nums);
      case kFALLOC_FL_UNSHARE_RANGE:
        return absl::StrCat("funshare", nums);
      default:
        break;
    }
  }
  return absl::StrFormat("fallocate -m 0x%x%s", op.mode, nums);
}

}  // namespace

std::span<const CommandSpec> command_table() { return kCommands; }

const CommandSpec* find_command(std::string_view word) {
  for (const CommandSpec& c : kCommands) {
    if (c.name == word || (!c.altname.empty() && c.altname == word)) return &c;
  }
  return nullptr;
}

std::vector<std::string> breakline(std::string_view line) {
  std::vector<std::string> words;
  for (absl::string_view w : absl::StrSplit(to_absl(line), ' ', absl::SkipEmpty())) {
    words.emplace_back(w.data(), w.size());
  }
  return words;
}

int64_t cvtnum(uint64_t blocksize, uint64_t sectsize, std::string_view s) {
  const std::string z(s);
  char* sp = nullptr;
  errno = 0;
  const long long i = std::strtoll(z.c_str(), &sp, 0);
  if (i == 0 && sp == z.c_str()) return -1;
  if (*sp == '\0') return i;
  if (sp[1] != '\0') return -1;
  // The multiplications wrap as xfs_io's long long ones do on x86-64.
  auto times = [&](uint64_t m) { return static_cast<int64_t>(static_cast<uint64_t>(i) * m); };
  switch (std::tolower(static_cast<unsigned char>(*sp))) {
    case 'b':
      return blocksize == 0 ? -1 : times(blocksize);
    case 's':
      return sectsize == 0 ? -1 : times(sectsize);
    case 'k':
      return times(uint64_t{1} << 10);
    case 'm':
      return times(uint64_t{1} << 20);
    case 'g':
      return times(uint64_t{1} << 30);
    case 't':
      return times(uint64_t{1} << 40);
    case 'p':
      return times(uint64_t{1} << 50);
    case 'e':
      return times(uint64_t{1} << 60);
    default:
      return -1;
  }
}

std::string usage_line(const CommandSpec& spec) {
  return absl::StrCat(to_absl(spec.name), " ", to_absl(spec.args), " -- ", to_absl(spec.oneline), "\n");
}

std::optional<CommandDiag> check_argcount(const CommandSpec& spec, std::span<const std::string> argv,
                                          bool raw) {
  const int n = static_cast<int>(argv.size()) - 1;
  if (n >= spec.argmin && (spec.argmax == -1 || n <= spec.argmax)) return std::nullopt;
  if (raw && raw_dashdash(spec, argv)) return std::nullopt;
  std::string msg;
  if (spec.argmax == -1) {
    msg = absl::StrFormat("bad argument count %d to %s, expected at least %d arguments\n", n,
                          argv[0], spec.argmin);
  } else if (spec.argmin == spec.argmax) {
    msg = absl::StrFormat("bad argument count %d to %s, expected %d arguments\n", n, argv[0],
                          spec.argmin);
  } else {
    msg = absl::StrFormat("bad argument count %d to %s, expected between %d and %d arguments\n", n,
                          argv[0], spec.argmin, spec.argmax);
  }
  // xfs_io leaves the exit status alone here.
  return CommandDiag{"", msg, false};
}

ParsedCommand parse_command(const CommandSpec& spec, std::span<const std::string> argv,
                            const ParseContext& ctx) {
  const std::string_view name = spec.name;
  if (name == "pwrite") return parse_pwrite(spec, argv, ctx);
  if (name == "pread") return parse_pread(spec, argv, ctx);
  if (name == "truncate") {
    Op op = on_file(OpKind::kTruncate, ctx);
    if (ctx.raw && argv.size() == 3 && argv[1] == "--") {
      op.len = operand(ctx, argv[2], true);
      return op;
    }
    op.len = cvtnum(ctx.blocksize, ctx.sectsize, argv[1]);
    if (op.len < 0) return say(absl::StrCat("non-numeric truncate argument -- ", argv[1], "\n"));
    return op;
  }
  if (name == "fsync") return on_file(OpKind::kFsync, ctx);
  if (name == "fdatasync") return on_file(OpKind::kFdatasync, ctx);
  if (name == "falloc" || name == "fpunch" || name == "fcollapse" || name == "finsert" ||
      name == "fzero" || name == "funshare" || name == "fallocate" || name == "zeroinit") {
    return parse_fallocate_family(spec, argv, ctx);
  }
  if (name == "seek") return parse_seek(spec, argv, ctx);
  if (name == "fiemap") return parse_fiemap(spec, argv, ctx);
  if (name == "reflink" || name == "dedupe" || name == "dedupe_range") return parse_remap(spec, argv, ctx);
  if (name == "copy_range" || name == "copy_file_range") return parse_copy_range(spec, argv, ctx);
  if (name == "open") return parse_open(spec, argv, ctx);
  if (name == "close") return on_file(OpKind::kClose, ctx);
  if (name == "file") {
    Op op = on_file(OpKind::kFileSelect, ctx);
    if (argv.size() == 2) {
      op.nargs = 1;
      op.off = std::atoi(argv[1].c_str());
    }
    return op;
  }
  if (name == "stat") return parse_letters(on_file(OpKind::kStat, ctx), spec, argv, "rv");
  if (name == "statfs") return parse_letters(on_file(OpKind::kStatfs, ctx), spec, argv, "cgs");
  if (name == "lsattr") return parse_letters(on_file(OpKind::kLsattr, ctx), spec, argv, "DRav");
  if (name == "chattr") {
    Op op = on_file(OpKind::kChattr, ctx);
    op.path = absl::StrJoin(argv.subspan(1), " ");
    return op;
  }
  if (name == "mmap") return parse_mmap(spec, argv, ctx);
  if (name == "mread") return parse_mapping_range(on_file(OpKind::kMread, ctx), spec, argv, ctx, "frv");
  if (name == "mwrite") {
    Op op = on_file(OpKind::kMwriteMap, ctx);
    op.fill = 'X';
    return parse_mapping_range(op, spec, argv, ctx, "rS:");
  }
  if (name == "msync") return parse_mapping_range(on_file(OpKind::kMsync, ctx), spec, argv, ctx, "ais");
  if (name == "munmap") return on_file(OpKind::kMunmap, ctx);
  if (name == "help") {
    Op op = on_file(OpKind::kHelp, ctx);
    if (argv.size() == 2) op.path = argv[1];
    return op;
  }
  if (name == "quit") return on_file(OpKind::kQuit, ctx);
  if (name == "print") return on_file(OpKind::kPrint, ctx);
  if (name == "safecopy") return on_file(OpKind::kSafecopy, ctx);
  if (name == "sync") return on_file(OpKind::kSync, ctx);
  if (name == "syncfs") return on_file(OpKind::kSyncfs, ctx);
  if (name == "fadvise") return parse_fadvise(spec, argv, ctx);
  if (name == "madvise") return parse_madvise(spec, argv, ctx);
  if (name == "extsize") return parse_extsize(spec, argv, ctx);
  if (name == "mkdir" || name == "rmdir" || name == "unlink" || name == "rename" || name == "link" ||
      name == "symlink") {
    Op op = on_file(name == "mkdir"    ? OpKind::kMkdir
                    : name == "rmdir"  ? OpKind::kRmdir
                    : name == "unlink" ? OpKind::kUnlink
                    : name == "rename" ? OpKind::kRename
                    : name == "link"   ? OpKind::kLink
                                       : OpKind::kSymlink,
                    ctx);
    op.path = argv[1];
    if (argv.size() > 2) op.arg = argv[2];
    return op;
  }
  return parse_vfssim(spec, argv, ctx);
}

ParsedCommand parse_line(std::string_view line, const ParseContext& ctx_in) {
  std::vector<std::string> argv = breakline(line);
  if (argv.empty()) return CommandDiag{"", "", false};
  ParseContext ctx = ctx_in;
  if (argv[0] == "raw") {
    argv.erase(argv.begin());
    ctx.raw = true;
    if (argv.empty()) return CommandDiag{"", "raw: which command?\n"};
  }
  const CommandSpec* spec = find_command(argv[0]);
  if (spec == nullptr) return CommandDiag{"", absl::StrCat("command \"", argv[0], "\" not found\n"), false};
  if (std::optional<CommandDiag> d = check_argcount(*spec, argv, ctx.raw)) return *d;
  return parse_command(*spec, argv, ctx);
}

namespace {
std::string command_body(const Op& op);
}  // namespace

std::string Op::to_command() const {
  g_needs_raw = false;
  std::string s = command_body(*this);
  // A copy_range offset prints attached to its option.
  const bool neg_opt = (kind == OpKind::kCopyRange || kind == OpKind::kCopyRangeLoop) &&
                       ((has('s') && src_off < 0) || (has('d') && off < 0) || (has('l') && len == -1));
  return g_needs_raw || neg_opt ? absl::StrCat("raw ", s) : s;
}

namespace {

std::string command_body(const Op& op) {
  const auto& [kind, file, off, len, mode, fill, id, src, src_off, bsize, vectors, letters, nargs, path,
               arg, value] = op;
  (void)file;
  (void)id;
  (void)letters;
  auto has = [&](char c) { return op.has(c); };
  switch (kind) {
    case OpKind::kPwrite:
      return absl::StrFormat("pwrite%s -S 0x%x -b %d%s%s", letters_of(op, "qwWDN"), fill, bsize,
                             vectors != 0 ? absl::StrCat(" -V ", vectors) : "", operands({off, len}));
    case OpKind::kPread:
      // pread takes negative operands after "--" as they are (no `raw`).
      return absl::StrFormat("pread%s -b %d%s%s %d %d", letters_of(op, "qv"), bsize,
                             vectors != 0 ? absl::StrCat(" -V ", vectors) : "",
                             off < 0 || len < 0 ? " --" : "", off, len);
    case OpKind::kTruncate:
      return absl::StrCat("truncate", operands({len}));
    case OpKind::kFallocate:
      return fallocate_command(op);
    case OpKind::kZeroinit:
      return absl::StrCat("zeroinit", operands({off, len}));
    case OpKind::kFspacectl:
      return absl::StrCat("fspacectl dealloc", operands({off, len}));
    case OpKind::kFsync:
      return "fsync";
    case OpKind::kFdatasync:
      return "fdatasync";
    case OpKind::kSeekData:
      return absl::StrCat("seek -d", operands({off}));
    case OpKind::kSeekHole:
      return absl::StrCat("seek -h", operands({off}));
    case OpKind::kSeek: {
      std::string s = "seek";
      if (has('d') && has('h')) {
        s += " -a";
      } else {
        s += letters_of(op, "dh");
      }
      return absl::StrCat(s, letters_of(op, "rs"), operands({off}));
    }
    case OpKind::kFiemap: {
      std::string s = absl::StrCat("fiemap", letters_of(op, "alvU"));
      if (has('n')) absl::StrAppend(&s, " -n ", src_off);
      if (nargs == 1) absl::StrAppend(&s, operands({off}));
      if (nargs == 2) absl::StrAppend(&s, operands({off, len}));
      return s;
    }
    case OpKind::kPoison:
      return absl::StrCat("poison inject", operands({off, len}));
    case OpKind::kPoisonCmd:
      return path == "latent" ? absl::StrCat("poison latent", operands({off, len}))
                              : absl::StrCat("poison ", path);
    case OpKind::kClone:
      if (has('A')) return absl::StrCat("reflink", letters_of(op, "Cq"), source_and(op, {}));
      return absl::StrCat("reflink", letters_of(op, "Cq"), source_and(op, {src_off, off, len}));
    case OpKind::kDedupe:
    case OpKind::kDedupeLoop:
      return absl::StrCat(kind == OpKind::kDedupe ? "dedupe_range" : "dedupe", letters_of(op, "Cq"),
                          source_and(op, {src_off, off, len}));
    case OpKind::kCopyRange:
    case OpKind::kCopyRangeLoop: {
      // Every option with its argument attached, so that a negative one
      // reads back as a number.
      std::string s = kind == OpKind::kCopyRange ? "copy_file_range" : "copy_range";
      if (has('s')) absl::StrAppend(&s, " -s", src_off);
      if (has('d')) absl::StrAppend(&s, " -d", off);
      if (has('l')) absl::StrAppend(&s, " -l", len);
      if (has('f')) return absl::StrCat(s, " -f ", src);
      return absl::StrCat(s, path_word(source_path(op)));
    }
    case OpKind::kDioPwrite:
      return absl::StrFormat("pwrite_direct -S 0x%x%s", fill, operands({off, len}));
    case OpKind::kMwrite:
      return absl::StrFormat("mstore -S 0x%x%s", fill, operands({off, len}));
    case OpKind::kOpen: {
      if (path.empty()) return "open";
      std::string s = absl::StrCat("open", letters_of(op, "adfnrstTRPL"));
      if (mode != 0600) absl::StrAppend(&s, absl::StrFormat(" -m 0%o", mode));
      return absl::StrCat(s, path_word(path));
    }
    case OpKind::kClose:
      return "close";
    case OpKind::kFileSelect:
      return nargs == 0 ? "file" : absl::StrCat("file ", off);
    case OpKind::kStat:
      return absl::StrCat("stat", cluster_of(op, "rv"));
    case OpKind::kStatfs:
      return absl::StrCat("statfs", letters_of(op, "cgs"));
    case OpKind::kLsattr:
      return absl::StrCat("lsattr", cluster_of(op, "DRav"));
    case OpKind::kChattr:
      return absl::StrCat("chattr ", path);
    case OpKind::kMmap: {
      if (nargs == 0) return "mmap";
      if (nargs == 1) return absl::StrCat("mmap ", off);
      std::string s = absl::StrCat("mmap", letters_of(op, "rwxS"));
      if (has('s')) absl::StrAppend(&s, " -s ", src_off);
      return absl::StrCat(s, operands({off, len}));
    }
    case OpKind::kMread:
      return absl::StrCat("mread", letters_of(op, "frv"), nargs == 2 ? operands({off, len}) : "");
    case OpKind::kMwriteMap:
      return absl::StrFormat("mwrite%s -S 0x%x%s", letters_of(op, "r"), fill,
                             nargs == 2 ? operands({off, len}) : "");
    case OpKind::kMsync:
      return absl::StrCat("msync", letters_of(op, "ais"), nargs == 2 ? operands({off, len}) : "");
    case OpKind::kMunmap:
      return "munmap";
    case OpKind::kHelp:
      return path.empty() ? "help" : absl::StrCat("help ", path);
    case OpKind::kQuit:
      return "quit";
    case OpKind::kPrint:
      return "print";
    case OpKind::kFaultCmd:
      return arg.empty() ? absl::StrCat("fault ", path) : absl::StrCat("fault ", path, " ", arg);
    case OpKind::kVariantCmd:
      return path == "set" ? absl::StrCat("variant set ", arg, " ", value) : "variant list";
    case OpKind::kTraceCmd:
      return arg.empty() ? absl::StrCat("trace ", path) : absl::StrCat("trace ", path, " ", arg);
    case OpKind::kSwapout:
      return absl::StrCat("swapout", operands({off, len}));
    case OpKind::kSafecopy:
      return "safecopy";
    case OpKind::kSync:
      return "sync";
    case OpKind::kSyncfs:
      return "syncfs";
    case OpKind::kFadvise:
      return absl::StrCat("fadvise", letters_of(op, "dnrsw"), op.nargs == 2 ? operands({off, len}) : "");
    case OpKind::kMadvise:
      return absl::StrCat("madvise", letters_of(op, "drsw"), op.nargs == 2 ? operands({off, len}) : "");
    case OpKind::kMkdir:
    case OpKind::kRmdir:
    case OpKind::kUnlink:
      return absl::StrCat(to_absl(op_kind_name(kind)), " ", path);
    case OpKind::kRename:
    case OpKind::kLink:
    case OpKind::kSymlink:
      return absl::StrCat(to_absl(op_kind_name(kind)), " ", path, " ", arg);
    case OpKind::kExtsize:
      return absl::StrCat("extsize", letters_of(op, "DR"), op.nargs == 1 ? absl::StrCat(" ", len) : "");
  }
  return "?";
}

}  // namespace

std::string format_script(std::span<const Op> ops) {
  std::string s;
  int file = 0;
  for (const Op& op : ops) {
    if (op.file != file && op.kind != OpKind::kFileSelect) {
      absl::StrAppend(&s, "file ", op.file, "\n");
    }
    file = op.kind == OpKind::kFileSelect && op.nargs == 1 ? static_cast<int>(op.off) : op.file;
    absl::StrAppend(&s, op.to_command(), "\n");
  }
  return s;
}

absl::StatusOr<std::vector<Op>> parse_script(std::string_view text) {
  std::vector<Op> ops;
  ParseContext ctx;
  ctx.nfiles = 1 << 20;
  int lineno = 0;
  for (absl::string_view aline : absl::StrSplit(to_absl(text), '\n')) {
    const std::string_view line(aline.data(), aline.size());
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    ParsedCommand p = parse_line(line, ctx);
    if (const CommandDiag* d = std::get_if<CommandDiag>(&p)) {
      std::string why = d->out + d->err;
      if (!why.empty() && why.back() == '\n') why.pop_back();
      return absl::InvalidArgumentError(absl::StrCat("line ", lineno, ": ", to_absl(line), ": ", why));
    }
    Op op = std::get<Op>(p);
    if (op.kind == OpKind::kFileSelect && op.nargs == 1) {
      ctx.file = static_cast<int>(op.off);
      continue;
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace vfssim
