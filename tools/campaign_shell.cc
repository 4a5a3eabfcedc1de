#include "tools/campaign_shell.h"

#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sim/absl_view.h"
#include "tools/io_shell.h"
#include "vfs/host_io.h"

namespace vfssim {
namespace {

// Block is what one 4 KiB pread of a file gave: its bytes, or an errno.
struct Block {
  Errno err = Errno::kOk;
  std::vector<std::byte> bytes;
  bool operator==(const Block&) const = default;
};

std::vector<Block> blocks_of(Process& p, int fd) {
  std::vector<Block> out;
  Result<Stat> st = p.fstat(fd);
  const uint64_t size = st ? st->size : 0;
  for (uint64_t off = 0; off < size; off += 4096) {
    Block b;
    b.bytes.resize(std::min<uint64_t>(4096, size - off));
    Result<uint64_t> n = host::pread(p, fd, b.bytes, static_cast<off_t64>(off));
    if (n) {
      b.bytes.resize(*n);
    } else {
      b.err = n.error();
      b.bytes.clear();
    }
    out.push_back(std::move(b));
  }
  return out;
}

// first_difference describes where two files' blocks differ ("" equal).
std::string first_difference(const std::vector<Block>& a, const std::vector<Block>& b) {
  if (a == b) return "";
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (!(a[i] == b[i])) {
      return absl::StrFormat("block %d (%s vs %s)", i, a[i].err == Errno::kOk ? "data" : errno_name(a[i].err),
                             b[i].err == Errno::kOk ? "data" : errno_name(b[i].err));
    }
  }
  return absl::StrFormat("%d blocks vs %d", a.size(), b.size());
}

}  // namespace

std::string verify_in_shell(const Scenario& s, const Failure& f) {
  const absl::StatusOr<CampaignFs> fs = campaign_fs(s.fs, s.fs_overrides);
  if (!fs.ok() || fs->shell_fs.empty()) {
    return absl::StrCat("not replayable: vfssim io cannot build ", s.fs, " (",
                        fs.ok() ? to_absl(fs->meaning) : fs.status().message(), ")");
  }
  ShellConfig cfg{.fs = fs->shell_fs,
                  .dev = fs->shell_dev,
                  .mkfs_opts = fs->spec.mkfs_opts,
                  .mount_opts = fs->spec.mount_opts,
                  .seed = s.seed};
  std::ostringstream out, err;
  absl::StatusOr<std::unique_ptr<IoShell>> created = IoShell::create(cfg, out, err);
  if (!created.ok()) return absl::StrCat("differs: the shell could not start: ", created.status().message());
  IoShell& sh = **created;
  // The script's lines: the header (variants, faults, opens, "file 0")
  // runs first, then each op's line(s) right after the simulator ran it.
  std::vector<std::string> lines;
  for (absl::string_view l : absl::StrSplit(io_script(s), '\n', absl::SkipEmpty())) lines.emplace_back(l);
  size_t body = 0;  // format_script's lines: the ops and their "file N" lines.
  for (int file = 0; const Op& op : s.ops) {
    body += op.file != file ? 2 : 1;
    file = op.file;
  }
  const size_t header = lines.size() - body;
  for (size_t i = 0; i < header; ++i) sh.run_line(lines[i], false);
  std::vector<int> fds;
  for (int i = 0; i < s.nfiles; ++i) {
    Result<int> fd = sh.process().open(absl::StrCat("f", i), kO_RDONLY);
    if (!fd) return absl::StrCat("differs: the shell has no file f", i);
    fds.push_back(*fd);
  }
  size_t next_line = header;
  int file = 0;
  std::string differs;
  RunConfig rc;
  rc.after_op = [&](size_t index, const OpResult&, SimBackend& sim) {
    if (!differs.empty()) return;
    const Op& op = s.ops[index];
    if (op.file != file) {
      sh.run_line(lines[next_line++], false);
      file = op.file;
    }
    sh.run_line(lines[next_line++], false);
    // The comparison's reads are no op: no decision keyed to one fires.
    sh.machine().faults.begin_op(SimBackend::kNoOp);
    for (int i = 0; i < s.nfiles && differs.empty(); ++i) {
      const std::vector<Block> a = blocks_of(sim.process(), sim.fd(i));
      const std::vector<Block> b = blocks_of(sh.process(), fds[static_cast<size_t>(i)]);
      if (std::string d = first_difference(a, b); !d.empty()) {
        differs = absl::StrFormat("differs: after op %d (%s) file f%d: %s", index, op.to_command(), i, d);
      }
    }
  };
  RunResult r = run_scenario(s, rc);
  if (!differs.empty()) return differs;
  if (!r.failure || !r.failure->same_way(f)) return "differs: the simulator no longer fails this way";
  if (f.kind == "fsck") {
    const std::vector<std::string> bad = sh.fsck();
    if (bad.empty()) return "differs: the shell's files match, but its fsck finds nothing";
    return absl::StrCat("reproduces: the shell's fsck finds ", bad.front());
  }
  return absl::StrFormat("reproduces: the shell left every file as the simulator did after each of the %d ops",
                         s.ops.size());
}

}  // namespace vfssim
