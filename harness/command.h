// command: the op language's text form — xfs_io's command syntax, read into
// the typed Op of harness/op.h. The `vfssim io` shell parses every line
// through here, campaigns print failing op sequences back as scripts, and
// the trace records each op as its command line.
//
//   const CommandSpec* spec = find_command("pwrite");
//   ParsedCommand p = parse_command(*spec, breakline("pwrite -S 0xab 0 4k"), {});
//   if (const Op* op = std::get_if<Op>(&p)) ...   // op->to_command() ==
//                                                 // "pwrite -S 0xab -b 4096 0 4096"
//
// A command is parsed as xfs_io 6.1 parses it (io/*.c): GNU getopt (options
// and operands in any order, `--` ends options, an unknown option prints
// getopt's message), sizes with cvtnum's suffixes (b s k m g t p e), and
// the same messages, on the same stream, for every malformed argument. Where
// xfs_io cannot say something a harness op does, vfssim extends the syntax;
// docs/shell.md lists each extension.

#ifndef VFSSIM_HARNESS_COMMAND_H_
#define VFSSIM_HARNESS_COMMAND_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "harness/op.h"

namespace vfssim {

// What a command needs of the shell's state before it runs (xfs_io's
// CMD_* flags): without kNoFileOk it needs an open file, without kNoMapOk
// a mapping, without kForeignOk an XFS file. kOneshot: a -c command runs
// once, not on every open file. kVfssim: vfssim's own, not xfs_io's.
enum CommandFlags : uint32_t {
  kCmdNoFileOk = 1u << 0,
  kCmdNoMapOk = 1u << 1,
  kCmdForeignOk = 1u << 2,
  kCmdOneshot = 1u << 3,
  kCmdLibrary = 1u << 4,
  kCmdVfssim = 1u << 5,
};

struct CommandSpec {
  std::string_view name;
  std::string_view altname;  // Empty: none.
  int argmin = 0;
  int argmax = -1;  // -1: no upper bound.
  uint32_t flags = 0;
  std::string_view args;     // The usage line's arguments.
  std::string_view oneline;  // What it does, in one line.
};

// The command table, sorted by name (as xfs_io's help lists it).
std::span<const CommandSpec> command_table();
// find_command looks a word up by name or altname; nullptr: unknown.
const CommandSpec* find_command(std::string_view word);

// breakline splits a line on single spaces, dropping empty words, as
// xfs_io does (no quoting).
std::vector<std::string> breakline(std::string_view line);

// cvtnum reads a size with xfs_io's suffixes; -1 when it is not one.
int64_t cvtnum(uint64_t blocksize, uint64_t sectsize, std::string_view s);

struct ParseContext {
  uint64_t blocksize = 4096;  // The current file's filesystem block size
  uint64_t sectsize = 512;    // and sector size (4096/512 with no file).
  int file = 0;               // The current file's index.
  int nfiles = 1;             // How many files are open.
  // raw: the line began with vfssim's `raw`, which lets operands after
  // "--" be negative numbers (xfs_io reads "-5" as an option and "-- -5" as
  // non-numeric, so it cannot pass a negative offset at all).
  bool raw = false;
};

// CommandDiag is what parsing printed instead of producing an op: xfs_io
// prints some complaints on stdout (usage lines, "non-numeric ...") and
// others on stderr (argument counts, getopt's). failed: the command sets
// the exit status to 1 (a few of xfs_io's complaints do not).
struct CommandDiag {
  std::string out;
  std::string err;
  bool failed = true;
  bool stop = false;  // The command returned non-zero: xfs_io stops reading commands.
  // then: the op xfs_io goes on to run after printing this (falloc, fzero
  // and funshare complain about a bad option and carry on).
  std::optional<Op> then;
};
using ParsedCommand = std::variant<Op, CommandDiag>;

// check_argcount is xfs_io's argument count check (argv[0] is the word
// typed); nullopt when the count is fine.
std::optional<CommandDiag> check_argcount(const CommandSpec& spec,
                                          std::span<const std::string> argv, bool raw = false);

// parse_command parses argv (argv[0] the command word) after the argument
// count check. The op runs on ctx.file.
ParsedCommand parse_command(const CommandSpec& spec, std::span<const std::string> argv,
                            const ParseContext& ctx);

// parse_line is breakline + find_command + check_argcount + parse_command,
// for scripts: an unknown command is a diag like xfs_io's. A line starting
// with `raw` is parsed with ctx.raw set.
ParsedCommand parse_line(std::string_view line, const ParseContext& ctx);

// usage_line is command_usage's text: "name args -- oneline\n".
std::string usage_line(const CommandSpec& spec);

// A script is one command per line. format_script prints ops with a
// `file N` line before each op whose file differs from the one before
// (the first file is 0); parse_script reads lines back, turning `file N`
// lines into the file of the ops after them. For ops with no kFileSelect
// among them, parse_script(format_script(ops)) == ops.
std::string format_script(std::span<const Op> ops);
absl::StatusOr<std::vector<Op>> parse_script(std::string_view text);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_COMMAND_H_
