#include "tools/demo.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "fs/shmfs/shmfs.h"
#include "harness/safecopy_table.h"
#include "sim/fault.h"
#include "sim/variants.h"
#include "tools/io_shell.h"
#include "vfs/mmap.h"
#include "vfs/process.h"

namespace vfssim {

// --- settings from the command line ---------------------------------------

Errno DemoSettings::add_variant(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) return Errno::kEINVAL;
  // A scratch machine checks the name and value exactly as the sessions'
  // machines will take them.
  Machine probe(0, /*keep_trace=*/false);
  if (Errno e = probe.variants.set(arg.substr(0, eq), arg.substr(eq + 1)); e != Errno::kOk) return e;
  variants_.emplace_back(arg.substr(0, eq), arg.substr(eq + 1));
  return Errno::kOk;
}

Errno DemoSettings::add_fault(std::string_view arg) {
  const size_t eq = arg.find('=');
  if (eq == std::string_view::npos) return Errno::kEINVAL;
  const std::string point(arg.substr(0, eq));
  Result<FaultPlan> plan = FaultPlan::parse(arg.substr(eq + 1));
  if (find_fault_point(point) == nullptr || !plan) return Errno::kEINVAL;
  Machine probe(0, /*keep_trace=*/false);
  if (Errno e = probe.faults.arm(point, *plan); e != Errno::kOk) return e;
  faults_.emplace_back(point, arg.substr(eq + 1));
  return Errno::kOk;
}

void DemoSettings::apply(Machine& machine) const {
  for (const auto& [name, value] : variants_) machine.variants.set(name, value);
  for (const auto& [point, plan] : faults_) machine.faults.arm(point, *FaultPlan::parse(plan));
}

std::vector<std::string> DemoSettings::shell_lines() const {
  std::vector<std::string> lines;
  for (const auto& [name, value] : variants_) lines.push_back(absl::StrCat("variant set ", name, " ", value));
  for (const auto& [point, plan] : faults_) lines.push_back(absl::StrCat("fault arm ", point, "=", plan));
  return lines;
}

namespace {

// --- the tour's script ----------------------------------------------------

constexpr uint64_t kBlock = 4096;       // The filesystem's block and the page.
constexpr uint64_t kBlockSectors = 8;   // FIEMAP's and badblocks' 512-byte units.

// Want is one machine-checkable expectation about what a command printed
// (stdout and stderr as one stream): a substring present or absent, a
// whole line present, or nothing printed at all.
struct Want {
  enum Kind { kHas, kLacks, kLine, kQuiet } kind;
  std::string text;
};
Want has(std::string s) { return {Want::kHas, std::move(s)}; }
Want lacks(std::string s) { return {Want::kLacks, std::move(s)}; }
Want line(std::string s) { return {Want::kLine, std::move(s)}; }
Want quiet() { return {Want::kQuiet, ""}; }

struct Cmd {
  std::string line;
  std::vector<Want> wants;
};

// Verdict is a step's own judgement over its commands' outputs: a note for
// the reader, and what differed from the seeds' account ("" = nothing).
struct Verdict {
  std::string note;
  std::string surprise;
};

struct Step {
  std::string says;  // One line: what the step shows, and its seed.
  std::vector<Cmd> cmds;
  std::function<Verdict(const std::vector<std::string>& outputs)> check;
};

// TourPlan is what the seed chooses: the file's size, the fill bytes and
// where in the file each step works. The file is four quarters of q blocks,
// one per recovery or deallocation step, so no step's blocks touch
// another's.
struct TourPlan {
  uint64_t q = 0;
  int fill = 0, refill = 0;
  uint64_t punch_block = 0;     // Quarter 0: poison, then punch+write.
  uint64_t zeroinit_block = 0;  // Quarter 1: poison, then ZEROINIT.
  uint64_t dealloc_block = 0, dealloc_blocks = 0;  // Quarter 2: fspacectl.
  // Quarter 3: an fspacectl that starts head_off bytes into a block, frees
  // `whole` blocks and ends tail_len bytes into the poisoned tail_block.
  uint64_t tail_block = 0, whole = 0, head_off = 0, tail_len = 0;
  // The MINIX session: a buf_pages-page read whose fault_page-th page
  // soft-faults.
  int sc_fill = 0;
  uint64_t buf_pages = 0, fault_page = 0;
};

TourPlan draw_plan(Rng rng) {
  TourPlan p;
  p.q = rng.range(8, 12);
  p.fill = static_cast<int>(rng.range(0x11, 0x7e));
  p.refill = static_cast<int>(rng.range(0x81, 0xfe));
  p.punch_block = rng.range(1, p.q - 2);
  p.zeroinit_block = p.q + rng.range(1, p.q - 2);
  p.dealloc_block = 2 * p.q + rng.range(1, p.q - 4);
  p.dealloc_blocks = rng.range(1, 3);
  p.whole = rng.range(1, 2);
  p.tail_block = 3 * p.q + rng.range(p.whole + 1, p.q - 2);
  p.head_off = 512 * rng.range(1, 7);
  p.tail_len = 512 * rng.range(1, 7);
  p.sc_fill = static_cast<int>(rng.range(0x21, 0x7e));
  p.buf_pages = rng.range(3, 4);
  p.fault_page = rng.range(2, p.buf_pages);
  return p;
}

// arg writes a byte count as the shell reads it: "12k" when whole KiB.
std::string arg(uint64_t n) { return n != 0 && n % 1024 == 0 ? absl::StrCat(n / 1024, "k") : absl::StrCat(n); }

// dump is the start of xfs_io's `pread -v` line for 16 bytes at `off`.
std::string dump(uint64_t off, const std::vector<int>& bytes) {
  std::string s = absl::StrFormat("%08x:  ", off);
  for (int b : bytes) absl::StrAppendFormat(&s, "%02x ", b);
  return s;
}
std::vector<int> repeat(int b, size_t n) { return std::vector<int>(n, b); }

std::string wrote(uint64_t n, uint64_t off) {
  return absl::StrFormat("wrote %d/%d bytes at offset %d", n, n, off);
}
std::string read_of(uint64_t n, uint64_t want, uint64_t off) {
  return absl::StrFormat("read %d/%d bytes at offset %d", n, want, off);
}
// poison_block poisons the pmem under the file block at `off` (known
// poison: in badblocks, as after an ACPI error report).
Cmd poison_block(uint64_t off) {
  return {absl::StrFormat("poison inject %s 4k", arg(off)),
          {has(absl::StrFormat("poisoned %d..%d (pmem0 sectors ", off, off + kBlock - 1))}};
}

std::string extent_of_block(uint64_t block) {
  return absl::StrFormat("[%d..%d]:", block * kBlockSectors, (block + 1) * kBlockSectors - 1);
}

// mapped_sectors is the first mapped extent's pmem sectors in `fiemap -v`
// output (" 0: [16..23]:  128..135  8  0x1"), or nothing.
std::optional<std::pair<int64_t, int64_t>> mapped_sectors(const std::string& fiemap) {
  for (absl::string_view l : absl::StrSplit(fiemap, '\n')) {
    long long lo = 0, hi = 0, plo = 0, phi = 0;
    const std::string s(l);
    if (std::sscanf(s.c_str(), " %*d: [%lld..%lld]: %lld..%lld", &lo, &hi, &plo, &phi) == 4) {
      return std::make_pair(static_cast<int64_t>(plo), static_cast<int64_t>(phi));
    }
  }
  return std::nullopt;
}

std::string sectors(const std::pair<int64_t, int64_t>& s) { return absl::StrFormat("%d..%d", s.first, s.second); }

// badblocks_line is a `poison list` line for one poisoned block.
std::string badblocks_line(const std::pair<int64_t, int64_t>& s) {
  return absl::StrFormat("%d %d", s.first, s.second - s.first + 1);
}

bool has_line(const std::string& out, const std::string& l) {
  for (absl::string_view x : absl::StrSplit(out, '\n')) {
    if (x == l) return true;
  }
  return false;
}

// restore puts a variant the tour changed back to its value at the start
// (the default, or what --variant chose), when it differs.
void restore(std::vector<Cmd>& cmds, const std::string& name, const std::string& initial,
             const std::string& now) {
  if (initial != now) cmds.push_back({absl::StrCat("variant set ", name, " ", initial), {quiet()}});
}

// The DAX session: XFS-like on pmem, -o dax=always.
std::vector<Step> dax_steps(const TourPlan& p, const Variants& initial) {
  auto start = [&](std::string_view name) { return std::string(*initial.get(name)); };
  const uint64_t size = 4 * p.q * kBlock;
  std::vector<Step> steps;

  steps.push_back(
      {absl::StrFormat("a %d KiB file written through DAX straight onto pmem; FIEMAP names the pmem sectors "
                       "under it, the pmem seed 004's recovery may or may not give back",
                       size / 1024),
       {{absl::StrFormat("pwrite -S 0x%02x 0 %s", p.fill, arg(size)), {has(wrote(size, 0))}},
        {"fiemap -v", {has(" EXT: FILE-OFFSET"), lacks("hole")}}}});

  const uint64_t pb = p.punch_block * kBlock;
  steps.push_back(
      {absl::StrFormat("poison under file block %d, then read it: EIO, \"dax_direct_access is smart enough to "
                       "bail out on poisoned pmem\"; the next block reads fine (seed 004 cover letter)",
                       p.punch_block),
       {poison_block(pb),
        {absl::StrFormat("pread %s 4k", arg(pb)), {line("pread: Input/output error")}},
        {absl::StrFormat("pread %s 4k", arg(pb + kBlock)), {has(read_of(kBlock, kBlock, pb + kBlock))}}}});

  {
    Step s{"a plain overwrite, as 5.15 did it (variant dax.direct_access=whole): EIO too, \"even a regular "
           "overwrite won't clear the poison\" (seed 004 cover letter; 5.19 added a recovery write)",
           {{"variant set dax.direct_access whole", {quiet()}},
            {absl::StrFormat("pwrite -S 0x%02x %s 4k", p.refill, arg(pb)), {line("pwrite: Input/output error")}}}};
    restore(s.cmds, "dax.direct_access", start("dax.direct_access"), "whole");
    steps.push_back(std::move(s));
  }

  steps.push_back(
      {"the advice of the day, punch a hole then pwrite: the block reads again but from other pmem, \"we "
       "might not get the same pmem back\", and the poison stays with the freed pmem (seed 004 cover letter)",
       {{absl::StrFormat("fiemap -v %s 4k", arg(pb)), {has(extent_of_block(p.punch_block))}},
        {absl::StrFormat("fpunch %s 4k", arg(pb)), {quiet()}},
        {absl::StrFormat("pwrite -S 0x%02x %s 4k", p.refill, arg(pb)), {has(wrote(kBlock, pb))}},
        {absl::StrFormat("fiemap -v %s 4k", arg(pb)), {has(extent_of_block(p.punch_block))}},
        {absl::StrFormat("pread -v %s 16", arg(pb)), {has(dump(pb, repeat(p.refill, 16)))}},
        {"poison list", {}}},
       [block = p.punch_block](const std::vector<std::string>& out) -> Verdict {
         const auto before = mapped_sectors(out[0]), after = mapped_sectors(out[3]);
         if (!before || !after) return {"", "FIEMAP showed no mapped extent for the block"};
         Verdict v{absl::StrFormat("file block %d: pmem sectors %s before, %s after", block, sectors(*before),
                                   sectors(*after)),
                   ""};
         if (*before == *after) v.surprise = "the rewrite landed on the same pmem";
         // The pwrite's allocation zeroed the new pmem (blkdev_issue_zeroout),
         // which is why the dance works; nothing cleared the freed pmem.
         if (!has_line(out[5], badblocks_line(*before))) {
           v.surprise = absl::StrCat(v.surprise.empty() ? "" : v.surprise + "; ", "the freed sectors ",
                                     sectors(*before), " are no longer listed as poisoned");
         }
         if (has_line(out[5], badblocks_line(*after))) {
           v.surprise = absl::StrCat(v.surprise.empty() ? "" : v.surprise + "; ", "the new sectors ",
                                     sectors(*after), " are listed as poisoned");
         }
         return v;
       }});

  const uint64_t zb = p.zeroinit_block * kBlock;
  {
    Step s{"FALLOC_FL_ZEROINIT_RANGE as Linux 6.18 has it (variant zeroinit=off): an unknown mode bit, "
           "EOPNOTSUPP, for seed 004's patches 3-5/5 were not merged",
           {poison_block(zb),
            {absl::StrFormat("pread %s 4k", arg(zb)), {line("pread: Input/output error")}},
            {"variant set zeroinit off", {quiet()}},
            {absl::StrFormat("zeroinit %s 4k", arg(zb)), {line("zeroinit: Operation not supported")}}}};
    steps.push_back(std::move(s));
  }
  {
    Step s{"with the prototype (variant zeroinit=on) ZEROINIT resets the pmem in place: the same sectors before "
           "and after, the poison gone, zeroes read back (seed 004 patch 1/5, dax_zeroinit_range)",
           {{"variant set zeroinit on", {quiet()}},
            {absl::StrFormat("fiemap -v %s 4k", arg(zb)), {has(extent_of_block(p.zeroinit_block))}},
            {absl::StrFormat("zeroinit %s 4k", arg(zb)), {quiet()}},
            {absl::StrFormat("fiemap -v %s 4k", arg(zb)), {has(extent_of_block(p.zeroinit_block))}},
            {absl::StrFormat("pread -v %s 16", arg(zb)), {has(dump(zb, repeat(0, 16)))}},
            {"poison list", {}}},
           [block = p.zeroinit_block](const std::vector<std::string>& out) -> Verdict {
             const auto before = mapped_sectors(out[1]), after = mapped_sectors(out[3]);
             if (!before || !after) return {"", "FIEMAP showed no mapped extent for the block"};
             Verdict v{absl::StrFormat("file block %d: pmem sectors %s before, %s after", block,
                                       sectors(*before), sectors(*after)),
                       ""};
             // "ZEROINIT leaves the mappings alone and actually writes/resets
             // the mapped storage" (Darrick Wong, seed 004).
             if (*before != *after) v.surprise = "ZEROINIT moved the block";
             if (has_line(out[5], badblocks_line(*before))) {
               v.surprise = absl::StrCat(v.surprise.empty() ? "" : v.surprise + "; ", "sectors ",
                                         sectors(*before), " are still listed as poisoned");
             }
             return v;
           }};
    steps.push_back(std::move(s));
  }

  const uint64_t db = p.dealloc_block * kBlock, dlen = p.dealloc_blocks * kBlock;
  // FIEMAP from the block before the range to the one after: the hole between
  // two mapped blocks (a range all hole prints no extent, as xfs_io does).
  const Cmd fiemap_around{absl::StrFormat("fiemap -v %s %s", arg(db - kBlock), arg(dlen + 2 * kBlock)),
                          {has(extent_of_block(p.dealloc_block - 1)), has(absl::StrFormat(
                               "[%d..%d]:", db / 512, (db + dlen) / 512 - 1)), has("hole")}};
  steps.push_back(
      {"fspacectl(SPACECTL_DEALLOC) frees whole blocks; rmsr, \"the unprocessed operation range\", comes back "
       "empty at the range's end (seed 000, fspacectl(2))",
       {{absl::StrFormat("fspacectl dealloc %s %s", arg(db), arg(dlen)),
         {line(absl::StrFormat("rmsr: offset %d length 0", db + dlen))}},
        fiemap_around,
        {absl::StrFormat("pread -v %s 16", arg(db)), {has(dump(db, repeat(0, 16)))}}}});

  {
    Step s{"ZEROINIT over that hole: refused as v2 was posted (\"Reject holes\", EOPNOTSUPP), left alone as the "
           "review agreed for v3 (variant zeroinit.holes; seed 004)",
           {{"variant set zeroinit.holes reject", {quiet()}},
            {absl::StrFormat("zeroinit %s %s", arg(db), arg(dlen)), {line("zeroinit: Operation not supported")}},
            {"variant set zeroinit.holes ignore", {quiet()}},
            {absl::StrFormat("zeroinit %s %s", arg(db), arg(dlen)), {quiet()}},
            fiemap_around}};
    restore(s.cmds, "zeroinit.holes", start("zeroinit.holes"), "ignore");
    steps.push_back(std::move(s));
  }

  const uint64_t tb = p.tail_block * kBlock;
  const uint64_t head_block = p.tail_block - p.whole - 1;
  const uint64_t from = head_block * kBlock + p.head_off, to = tb + p.tail_len;
  steps.push_back(
      {absl::StrFormat("fspacectl stopping part way: head zeroed, %d whole block%s freed, then EIO zeroing the "
                       "poisoned tail; rmsr says what is left, \"userspace must know exactly what was done\" "
                       "(seed 000)",
                       p.whole, p.whole == 1 ? "" : "s"),
       {poison_block(tb),
        {absl::StrFormat("fspacectl dealloc %s %s", arg(from), arg(to - from)),
         {line("fspacectl: Input/output error"),
          line(absl::StrFormat("rmsr: offset %d length %d", tb, p.tail_len))}},
        {absl::StrFormat("fiemap -v %s %s", arg(head_block * kBlock), arg((p.whole + 2) * kBlock)),
         {has(extent_of_block(head_block)), has("hole")}},
        {absl::StrFormat("pread -v %d 16", from - 8),
         {has(dump(from - 8, [&] {
            std::vector<int> v = repeat(p.fill, 8);
            v.resize(16, 0);
            return v;
          }()))}}}});
  return steps;
}

// The MINIX session: the same filesystem behind VFS's safecopy boundary.
std::vector<Step> safecopy_steps(const TourPlan& p, const Variants& initial) {
  const uint64_t len = p.buf_pages * kBlock;
  const uint64_t short_len = (p.fault_page - 1) * kBlock;
  std::vector<Step> steps;
  steps.push_back(
      {absl::StrFormat("the same filesystem behind MINIX's VFS: each user buffer is a magic grant with CPF_TRY, "
                       "the filesystem copies through it and replies with partial counts (seed 003)"),
       {{absl::StrFormat("pwrite -S 0x%02x -b %s 0 %s", p.sc_fill, arg(len), arg(len)), {has(wrote(len, 0))}}}});
  steps.push_back(
      {absl::StrFormat("page %d of the read's buffer soft-faults under the old policy (safecopy.retry=on-efault): "
                       "VFS gets a count, not EFAULT, and repeats nothing: a short read(2) on a regular file "
                       "(seed 003)",
                       p.fault_page),
       {{"variant set safecopy.retry on-efault", {quiet()}},
        {absl::StrFormat("fault arm safecopy/softfault=nth:%d", p.fault_page), {quiet()}},
        {absl::StrFormat("pread -b %s 0 %s", arg(len), arg(len)), {has(read_of(short_len, len, 0))}}}});
  {
    Step s{"the patch's policy (safecopy.retry=on-mark): the kernel marked the grant, so VFS repeats the request "
           "whatever the reply, and the read is whole (seed 003)",
           {{"variant set safecopy.retry on-mark", {quiet()}},
            {absl::StrFormat("pread -b %s 0 %s", arg(len), arg(len)), {has(read_of(len, len, 0))}},
            {"fault disarm safecopy/softfault", {quiet()}}}};
    restore(s.cmds, "safecopy.retry", std::string(*initial.get("safecopy.retry")), "on-mark");
    steps.push_back(std::move(s));
  }
  steps.push_back(
      {"seed 003's table: each repeat policy, reply semantics and fault place, for read and write",
       {{"safecopy",
         {has("| pread | on-efault | proper | soft, middle page | **4096 (short)** |"),
          has("| pread | on-mark | proper | soft, middle page | 12288 | ok | 1 |")}}}});
  return steps;
}

// Tour runs the sessions, printing the transcript and counting surprises.
class Tour {
 public:
  Tour(const TourOptions& opt, std::ostream& out) : opt_(opt), out_(out) {}

  // session opens "file" on the shell (made with said() as its output)
  // and runs `steps` there, after the command line's settings.
  void session(const ShellConfig& cfg, IoShell& sh, const std::vector<Step>& steps) {
    out_ << absl::StrFormat("\n$ vfssim io --dev=%s --mount-opt=%s --seed=%d -f file\n", cfg.dev, cfg.mount_opts,
                            cfg.seed);
    said_.str("");
    const bool opened = sh.open_files({"file"}, Op::letter('f'));
    out_ << said_.str();
    if (!opened) surprise("vfssim io could not create the file");
    if (!opt_.settings.empty()) {
      Step s{"the command line's --variant and --fault settings, in force from here on (where they change "
             "what the seeds promise, an UNEXPECTED line says so)",
             {}};
      for (const std::string& l : opt_.settings.shell_lines()) s.cmds.push_back({l, {quiet()}});
      step(sh, s);
    }
    for (const Step& s : steps) step(sh, s);
    out_ << absl::StrFormat("\n# session trace: %d events, hash %016x\n", sh.machine().trace.size(),
                            sh.machine().trace.hash());
    if (opt_.trace != nullptr) sh.machine().trace.write_jsonl(*opt_.trace);
  }

  std::ostringstream& said() { return said_; }
  int surprises() const { return surprises_; }
  void surprise(const std::string& what) {
    out_ << "#   UNEXPECTED: " << what << "\n";
    ++surprises_;
  }

 private:
  void step(IoShell& sh, const Step& s) {
    out_ << "\n# " << s.says << "\n";
    std::vector<std::string> outputs;
    for (const Cmd& c : s.cmds) {
      out_ << "xfs_io> " << c.line << "\n";
      said_.str("");
      said_.clear();
      const bool quit = sh.run_line(c.line, /*iterate=*/true);
      const std::string got = said_.str();
      out_ << got;
      if (quit) surprise("the shell quit");
      for (const Want& w : c.wants) {
        switch (w.kind) {
          case Want::kHas:
            if (got.find(w.text) == std::string::npos) surprise(absl::StrCat("no \"", w.text, "\""));
            break;
          case Want::kLacks:
            if (got.find(w.text) != std::string::npos) surprise(absl::StrCat("\"", w.text, "\" printed"));
            break;
          case Want::kLine:
            if (!has_line(got, w.text)) surprise(absl::StrCat("no line \"", w.text, "\""));
            break;
          case Want::kQuiet:
            if (!got.empty()) surprise("the command printed something; it should print nothing");
            break;
        }
      }
      outputs.push_back(got);
    }
    if (s.check) {
      const Verdict v = s.check(outputs);
      if (!v.note.empty()) out_ << "#   -> " << v.note << "\n";
      if (!v.surprise.empty()) surprise(v.surprise);
    }
  }

  const TourOptions& opt_;
  std::ostream& out_;
  std::ostringstream said_;  // The shell's stdout and stderr, in the order printed.
  int surprises_ = 0;
};

}  // namespace

int run_tour(const TourOptions& opt, std::ostream& out) {
  Tour tour(opt, out);
  out << absl::StrFormat(
      "vfssim demo, seed %d: a tour in the language of `vfssim io` (docs/shell.md). Each \"#\" line says\n"
      "what the next commands show and which seed (../shared/seeds/) it comes from; each xfs_io> line\n"
      "is a command, followed by exactly what the shell printed.\n",
      opt.seed);
  // The variants in force when a session starts: the defaults, or what the
  // command line chose. Steps that switch one put it back.
  Machine initial(opt.seed, /*keep_trace=*/false);
  opt.settings.apply(initial);

  const ShellConfig dax{.dev = "pmem", .mount_opts = "dax=always", .seed = opt.seed};
  absl::StatusOr<std::unique_ptr<IoShell>> first = IoShell::create(dax, tour.said(), tour.said());
  if (!first.ok()) {
    tour.surprise(absl::StrCat("vfssim io did not start: ", first.status().message()));
    return tour.surprises();
  }
  const TourPlan plan = draw_plan((*first)->machine().rng.stream("demo/tour"));
  tour.session(dax, **first, dax_steps(plan, initial.variants));
  first->reset();

  const ShellConfig minix{
      .dev = "pmem", .mount_opts = "dax=always,ipc=safecopy,partial_io=proper", .seed = opt.seed};
  absl::StatusOr<std::unique_ptr<IoShell>> second = IoShell::create(minix, tour.said(), tour.said());
  if (!second.ok()) {
    tour.surprise(absl::StrCat("vfssim io did not start: ", second.status().message()));
    return tour.surprises();
  }
  tour.session(minix, **second, safecopy_steps(plan, initial.variants));

  out << (tour.surprises() == 0 ? "\n== every step as the seeds say\n"
                                : absl::StrFormat("\n== %d UNEXPECTED results\n", tour.surprises()));
  return tour.surprises();
}

// --- the driver demo ------------------------------------------------------

namespace {

class Narrator {
 public:
  explicit Narrator(std::ostream& out) : out_(out) {}

  void section(const std::string& title) { out_ << "\n== " << title << "\n"; }

  // step prints "what -> got" and flags it when got != want.
  void step(const std::string& what, const std::string& got, const std::string& want) {
    out_ << absl::StrFormat("  %-58s -> %s", what, got);
    if (got != want) {
      out_ << absl::StrFormat("   [UNEXPECTED, model says %s]", want);
      ++surprises_;
    }
    out_ << "\n";
  }

  int surprises() const { return surprises_; }

 private:
  std::ostream& out_;
  int surprises_ = 0;
};

std::string io(IoResult r) {
  return absl::StrFormat("%d bytes, %s", r.done, errno_name(r.err));
}
std::string err(Errno e) { return std::string(errno_name(e)); }
std::string count(const Result<uint64_t>& r) {
  return r ? absl::StrFormat("%d", *r) : err(r.error());
}

// badblocks renders the sysfs list on one line: "24 1; 40 1".
std::string badblocks(const PmemDevice& pmem) {
  std::string text;
  for (const BadBlock& b : pmem.badblocks()) {
    absl::StrAppendFormat(&text, "%s%d %d", text.empty() ? "" : "; ", b.sector, b.count);
  }
  return text;
}

std::vector<std::byte> pattern(size_t n, Rng& rng) {
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng.uniform(256));
  return v;
}

}  // namespace

int run_driver_demo(Machine& machine, std::ostream& out) {
  Narrator n(out);
  Rng data = machine.rng.stream("demo/data");
  out << absl::StrFormat("vfssim driver demo, seed %d\n", machine.seed);

  n.section("sda: 1 TiB disk, 512 B sectors, volatile write cache");
  SimBlockDevice sda(machine, {.name = "sda", .capacity_bytes = 1ull << 40});
  const auto a = pattern(4096, data), b = pattern(4096, data);
  std::vector<std::byte> buf(4096);
  n.step("write 4 KiB at sector 0 with FUA", io(sda.write(0, a, kReqFua)), "4096 bytes, OK");
  n.step("write 4 KiB at sector 8 (cached)", io(sda.write(8, b)), "4096 bytes, OK");
  n.step("write 4 KiB at the last sector of the terabyte",
         io(sda.write(sda.nr_sectors() - 8, b)), "4096 bytes, OK");
  n.step("pending (volatile) requests", std::to_string(sda.pending_writes()), "3");
  sda.power_cut();
  sda.read(0, buf);
  n.step("power cut; sector 0 (FUA) survived", buf == a ? "yes" : "no", "yes");
  sda.read(8, buf);
  n.step("sector 8 (never flushed) survived", buf == b ? "yes" : "no", "no");
  sda.write(8, b);
  n.step("rewrite sector 8 and FLUSH", err(sda.flush()), "OK");
  sda.power_cut();
  sda.read(8, buf);
  n.step("power cut; sector 8 survived", buf == b ? "yes" : "no", "yes");
  sda.inject_bad_sector(20);
  n.step("inject a latent bad sector at 20; read sectors 16..23", io(sda.read(16, buf)),
         "2048 bytes, EIO");
  n.step("write over it (the drive remaps it); read again",
         (sda.write(16, a), io(sda.read(16, buf))), "4096 bytes, OK");
  n.step("memory in use for a 1 TiB device (4 KiB pages)", std::to_string(sda.image().pages()),
         "3");

  n.section("thin pool of 4 blocks shared by thinA and thinB (seed 004, patch 2/5 review)");
  auto pool = std::make_shared<ThinPool>(4);
  SimBlockDevice thin_a(machine, {.name = "thinA", .capacity_bytes = 1 << 20, .thin_pool = pool});
  SimBlockDevice thin_b(machine, {.name = "thinB", .capacity_bytes = 1 << 20, .thin_pool = pool});
  std::vector<std::byte> four(4 * 4096, std::byte{1});
  n.step("thinA writes 16 KiB (pool now full)", io(thin_a.write(0, four)), "16384 bytes, OK");
  n.step("thinA zeroes 8 KiB with WRITE_ZEROES, no NOUNMAP",
         err(blkdev_issue_zeroout(thin_a, 0, 16, 0)), "OK");
  n.step("pool blocks free after the zeroout", std::to_string(pool->free_blocks()), "2");
  n.step("thinB writes 8 KiB, taking the released blocks",
         io(thin_b.write(0, std::span(four).first(8192))), "8192 bytes, OK");
  n.step("thinA rewrites its zeroed range", io(thin_a.write(0, std::span(four).first(4096))),
         "0 bytes, ENOSPC");
  n.step("with BLKDEV_ZERO_NOUNMAP thinA keeps its blocks",
         err(blkdev_issue_zeroout(thin_a, 16, 16, kZeroNoUnmap)), "OK");
  n.step("thinA rewrites that range", io(thin_a.write(16, std::span(four).first(4096))),
         "4096 bytes, OK");

  n.section("pmem0: 64 MiB, 64 B poison granules, clears poison");
  PmemDevice pmem(machine, {.name = "pmem0", .size = 64 << 20});
  pmem.add_memory_failure_notifier([&](const MemoryFailure& mf) {
    out << absl::StrFormat("  ! memory failure on %s at phys 0x%x\n", mf.dev, mf.phys_addr);
  });
  pmem.memcpy_flushcache(0, pattern(8 * 4096, data));
  pmem.inject_poison(3 * 4096 + 256, 64, PoisonKind::kKnown);
  n.step("inject known poison in page 3; badblocks", badblocks(pmem), "24 1");
  auto avail = pmem.dax_direct_access(0, 8);
  n.step("dax_direct_access(0, 8 pages)", avail ? std::to_string(*avail) + " pages" : err(avail.error()),
         "EHWPOISON");
  avail = pmem.dax_direct_access(0, 8, DaxAccessMode::kRecoveryWrite);
  n.step("the same in recovery-write mode",
         avail ? std::to_string(*avail) + " pages" : err(avail.error()), "3 pages");
  avail = pmem.dax_direct_access(0, 3);
  n.step("dax_direct_access(0, 3 pages), before the poison",
         avail ? std::to_string(*avail) + " pages" : err(avail.error()), "3 pages");
  n.step("copy_mc_to_kernel(page 3): bytes not copied",
         std::to_string(pmem.copy_mc_to_kernel(buf, 3 * 4096)), "3840");
  pmem.memcpy_flushcache(3 * 4096, buf);
  n.step("a DAX store over it does not clear it",
         pmem.known_poisoned(3 * 4096, 4096) ? "still poisoned" : "clear", "still poisoned");
  n.step("zero_page_range(3, 1)", err(pmem.zero_page_range(3, 1)), "OK");
  n.step("poison after zero_page_range", pmem.poisoned(3 * 4096, 4096) ? "poisoned" : "clear",
         "clear");
  pmem.inject_poison(5 * 4096, 64, PoisonKind::kLatent);
  avail = pmem.dax_direct_access(5, 1);
  n.step("latent poison in page 5 is invisible to dax_direct_access",
         avail ? std::to_string(*avail) + " pages" : err(avail.error()), "1 pages");
  n.step("a block read consumes it", io(pmem.read(40, std::span(buf).first(512))), "0 bytes, EIO");
  n.step("now known; badblocks", badblocks(pmem), "40 1");
  pmem.inject_poison(6 * 4096, 64, PoisonKind::kLatent);
  n.step("ARS scrub finds latent granules", std::to_string(pmem.scrub()), "1");

  n.section("pmem1: DRAM-emulated (memmap=ss!nn)");
  PmemDevice emu(machine, {.name = "pmem1", .size = 1 << 20, .clear = PoisonClear::kEmulated});
  emu.inject_poison(0, 64, PoisonKind::kKnown);
  n.step("zero_page_range over poison reports", err(emu.zero_page_range(0, 1)), "OK");
  n.step("...but the poison", emu.known_poisoned(0, 64) ? "remains" : "is gone", "remains");

  n.section("fault plan: every 2nd write to sdb fails (blockdev/write/eio=every:2)");
  SimBlockDevice sdb(machine, {.name = "sdb", .capacity_bytes = 1 << 20});
  machine.faults.arm("blockdev/write/eio", FaultPlan::every(2));
  std::string results;
  for (int i = 0; i < 4; ++i) results += (i ? " " : "") + err(sdb.write(i * 8, a).err);
  n.step("four writes", results, "OK EIO OK EIO");
  machine.faults.disarm_all();

  n.section("user memory: read(2) into a buffer whose second page is unmapped");
  {
    Vfs vfs(machine);
    register_shmfs(vfs);
    vfs.mount("shmfs", nullptr, "", "/", Creds::root());
    Process p(vfs, Creds::root());
    const int fd = *p.open("/f", kO_RDWR | kO_CREAT);
    const uint64_t buf =
        *p.mmap(0, 2 * 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    p.store(buf, pattern(8192, data));
    n.step("pwrite 8192 from the buffer", count(p.pwrite(fd, buf, 8192, 0)), "8192");
    p.munmap(buf + 4096, 4096);
    // Linux 6.18 answers with the bytes before the fault (host probe
    // read_tail_unmapped, tests/probes/fixtures/uaccess.jsonl).
    n.step("pread 200 bytes into the last 100 before the hole", count(p.pread(fd, buf + 3996, 200, 0)), "100");
    n.step("pread 200 bytes into the hole", count(p.pread(fd, buf + 4096, 200, 0)), "EFAULT");
  }

  n.section("MINIX safecopy (seed 003): a soft fault mid-buffer, proper partial semantics");
  for (const char* policy : {"on-efault", "on-mark"}) {
    SafecopyRow row{.fs = "shmfs", .policy = policy, .partial = "proper",
                    .fault = BufferFault::kSoftMiddle};
    run_safecopy_row(shmfs_for_safecopy(), row);
    // The seed: the old policy gives "a short read(2) even on regular
    // files"; with the mark VFS "repeats the file system operation".
    n.step(absl::StrFormat("pread 12288, safecopy.retry=%s", policy), count(row.result),
           std::string(policy) == "on-efault" ? "4096" : "12288");
  }

  out << absl::StrFormat("\ntrace: %d events, hash %016x; %s\n", machine.trace.size(),
                         machine.trace.hash(),
                         n.surprises() == 0 ? "every step as the model says"
                                            : absl::StrFormat("%d UNEXPECTED steps", n.surprises()));
  return n.surprises();
}

}  // namespace vfssim
