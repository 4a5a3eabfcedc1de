// vfssim's own shell commands, beside xfs_io's: poison, fault, variant,
// trace, fspacectl, swapout, safecopy, pwrite_direct, mstore (zeroinit runs
// with the fallocate family in io_shell.cc).
//
// What each prints is vfssim's own format: results on stdout; every error
// is one line on stderr and sets the exit status to 1.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "fs/shmfs/shmfs.h"
#include "harness/file_poison.h"
#include "harness/safecopy_table.h"
#include "sim/absl_view.h"
#include "sim/fault.h"
#include "sim/variants.h"
#include "tools/io_shell.h"
#include "vfs/host_io.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

// The largest buffer pwrite_direct and mstore fill (xfs_io's memalign of a
// larger one would be the host's to refuse; the shell refuses it itself).
constexpr int64_t kMaxBuffer = int64_t{256} << 20;

// Said is what a command printed: out on stdout, err on stderr (a line per
// error; non-empty: the command failed).
struct Said {
  std::string out;
  std::string err;
};

Said failed(std::string line) { return {"", absl::StrCat(line, "\n")}; }

std::string signal_name(int signo) {
  if (signo == kSIGBUS) return "SIGBUS";
  if (signo == kSIGSEGV) return "SIGSEGV";
  return absl::StrCat("signal ", signo);
}

std::string values_of(const VariantInfo& v) {
  std::vector<std::string> values(v.values.begin(), v.values.end());
  return absl::StrJoin(values, "|");
}

// poison inject|latent OFF LEN, poison scrub, poison list.
Said poison_command(Process& p, PmemDevice* pmem, int fd, const std::string& name, const Op& op) {
  const std::string word = op.kind == OpKind::kPoison ? "inject" : op.path;
  if (pmem == nullptr) return failed("poison: the device is not pmem (vfssim io --dev=pmem)");
  if (word == "scrub") {
    const uint64_t found = pmem->scrub();
    return {absl::StrFormat("scrub found %d latent poisoned granules (%d bytes each) on %s\n", found,
                            pmem->config().poison_granularity, pmem->name()),
            ""};
  }
  if (word == "list") return {pmem->badblocks_text(), ""};
  Result<InodeRef> ip = p.file_inode(fd);
  if (!ip) return failed(absl::StrCat("poison: ", strerror_text(ip.error())));
  if (((*ip)->flags & kInodeDax) == 0) {
    return failed(absl::StrCat("poison: ", name, " is not a DAX file (mount with -o dax=always)"));
  }
  const PoisonKind kind = word == "latent" ? PoisonKind::kLatent : PoisonKind::kKnown;
  Result<std::vector<PoisonedRange>> got = poison_file_range(p, fd, *pmem, op.off, op.len, kind);
  if (!got) return failed(absl::StrCat("poison: ", strerror_text(got.error())));
  Said s;
  if (got->empty()) {
    s.out = absl::StrFormat("poisoned nothing: no written, unshared blocks in %d..%d\n", op.off,
                            op.off + op.len - 1);
  }
  for (const PoisonedRange& r : *got) {
    absl::StrAppendFormat(&s.out, "poisoned %d..%d (%s sectors %d..%d, %s)\n", r.file_off,
                          r.file_off + r.len - 1, pmem->name(), r.dev_off / kSectorSize,
                          (r.dev_off + r.len - 1) / kSectorSize, word == "latent" ? "latent" : "known");
  }
  return s;
}

// fault list | arm POINT=PLAN | disarm POINT.
Said fault_command(FaultInjector& faults, const Op& op) {
  if (op.path == "list") {
    const std::vector<std::string> armed = faults.armed();
    Said s;
    for (const FaultPointInfo& pt : fault_point_registry()) {
      absl::StrAppendFormat(&s.out, "%-24s %-8s %s\n", pt.name, errno_name(pt.default_err), pt.meaning);
      std::vector<std::string> plans;
      const std::string prefix = absl::StrCat(to_absl(pt.name), "=");
      for (const std::string& a : armed) {
        if (a.starts_with(prefix)) plans.push_back(a.substr(prefix.size()));
      }
      if (!plans.empty()) {
        absl::StrAppendFormat(&s.out, "    armed: %s (fired %d)\n", absl::StrJoin(plans, ", "),
                              faults.fired(pt.name));
      }
    }
    return s;
  }
  const size_t eq = op.arg.find('=');
  const std::string point = op.arg.substr(0, eq);
  if (find_fault_point(point) == nullptr) {
    return failed(absl::StrFormat("fault: no fault point \"%s\" (see fault list)", point));
  }
  if (op.path == "disarm") {
    if (eq != std::string::npos) return failed("fault: disarm takes a point alone, no plan");
    faults.disarm(point);
    return {};
  }
  if (eq == std::string::npos) return failed(absl::StrFormat("fault: arm %s: no plan (POINT=PLAN)", point));
  const std::string spec = op.arg.substr(eq + 1);
  Result<FaultPlan> plan = FaultPlan::parse(spec);
  if (!plan) {
    return failed(absl::StrFormat(
        "fault: arm %s: bad plan \"%s\" (nth:N, every:K, window:A-B, p:P[@STREAM] or at:OP.N, "
        "then =ERRNO if wanted)",
        point, spec));
  }
  if (Errno e = faults.arm(point, *plan); e != Errno::kOk) {
    return failed(absl::StrCat("fault: arm ", point, ": ", strerror_text(e)));
  }
  return {};
}

// variant list | set NAME VALUE.
Said variant_command(Variants& variants, const Op& op) {
  if (op.path == "list") {
    Said s;
    for (const VariantInfo& v : variant_registry()) {
      Result<std::string_view> now = variants.get(v.name);
      absl::StrAppendFormat(&s.out, "%-28s %-10s (%s)\n", v.name, now ? *now : "?", values_of(v));
    }
    return s;
  }
  const VariantInfo* v = find_variant(op.arg);
  if (v == nullptr) return failed(absl::StrFormat("variant: no variant \"%s\" (see variant list)", op.arg));
  if (variants.set(op.arg, op.value) != Errno::kOk) {
    return failed(absl::StrFormat("variant: %s has no value \"%s\" (%s)", op.arg, op.value, values_of(*v)));
  }
  return {};
}

// trace on | off | dump FILE (a host path).
Said trace_command(Trace& t, const Op& op) {
  if (op.path == "on" || op.path == "off") {
    t.set_mode(op.path == "on" ? TraceMode::kFull : TraceMode::kOff);
    return {};
  }
  std::ofstream f(op.arg, std::ios::out | std::ios::trunc);
  if (!f) return failed(absl::StrCat("trace: cannot write ", op.arg, ": ", std::strerror(errno)));
  const std::vector<std::string> records = t.records();
  for (const std::string& r : records) f << r << '\n';
  f.close();
  if (!f) return failed(absl::StrCat("trace: writing ", op.arg, " failed: ", std::strerror(errno)));
  return {absl::StrFormat("wrote %d trace records to %s\n", records.size(), op.arg), ""};
}

// swapout OFF LEN: the resident pages of a shmfs file that overlap the
// range go to swap.
Said swapout_command(Process& p, int fd, const std::string& name, const Op& op) {
  Result<InodeRef> ip = p.file_inode(fd);
  if (!ip) return failed(absl::StrCat("swapout: ", strerror_text(ip.error())));
  auto* sb = dynamic_cast<ShmSuperblock*>((*ip)->sb);
  if (sb == nullptr) return failed(absl::StrCat("swapout: ", name, " is not on shmfs (vfssim io --fs=shmfs)"));
  if (op.off < 0 || op.len <= 0 || op.off > kOffMax - op.len) {
    return failed(absl::StrCat("swapout: ", strerror_text(Errno::kEINVAL)));
  }
  uint64_t swapped = 0;
  if (auto* d = dynamic_cast<ShmInodeData*>((*ip)->data.get()); d != nullptr) {
    const uint64_t first = static_cast<uint64_t>(op.off) / kShmPageSize;
    const uint64_t last = static_cast<uint64_t>(op.off + op.len - 1) / kShmPageSize;
    std::vector<uint64_t> pages;
    for (auto it = d->pages.lower_bound(first); it != d->pages.end() && it->first <= last; ++it) {
      pages.push_back(it->first);
    }
    for (uint64_t index : pages) swapped += sb->swap_out(**ip, index) ? 1 : 0;
  }
  return {absl::StrFormat("swapped out %d page%s in %d..%d\n", swapped, swapped == 1 ? "" : "s", op.off,
                          op.off + op.len - 1),
          ""};
}

}  // namespace

void IoShell::cmd_vfssim(const Op& op) {
  Said said;
  switch (op.kind) {
    case OpKind::kFspacectl: {
      // rmsr is written back whatever the outcome (seed 000): it says what
      // is left of the request, on error too.
      SpacectlRange rq{op.off, op.len}, rm{};
      if (Errno e = host::fspacectl(process_, cur().fd, kSPACECTL_DEALLOC, &rq, 0, &rm); e != Errno::kOk) {
        perror("fspacectl", e);
        fail();
      }
      out_ << absl::StrFormat("rmsr: offset %d length %d\n", rm.r_offset, rm.r_len);
      return;
    }
    case OpKind::kPoison:
    case OpKind::kPoisonCmd:
      said = poison_command(process_, pmem_, cur().fd, cur().name, op);
      break;
    case OpKind::kFaultCmd:
      said = fault_command(machine_.faults, op);
      break;
    case OpKind::kVariantCmd:
      said = variant_command(machine_.variants, op);
      break;
    case OpKind::kTraceCmd:
      said = trace_command(machine_.trace, op);
      break;
    case OpKind::kSwapout:
      said = swapout_command(process_, cur().fd, cur().name, op);
      break;
    case OpKind::kSafecopy:
      said.out = render_safecopy_table(run_safecopy_table({shmfs_for_safecopy()}));
      break;
    case OpKind::kDioPwrite: {
      // pwrite(2)'s count is a size_t that must fit ssize_t (EINVAL).
      const Errno bad = op.len < 0 ? Errno::kEINVAL : op.len > kMaxBuffer ? Errno::kENOMEM : Errno::kOk;
      if (bad != Errno::kOk) {
        perror(bad == Errno::kENOMEM ? "memalign" : "pwrite", bad);
        fail();
        return;
      }
      const std::vector<std::byte> buf(static_cast<size_t>(op.len), std::byte{op.fill});
      const uint64_t t1 = machine_.clock.now_ns();
      Result<uint64_t> n = host::pwrite_direct(process_, cur().fd, buf, op.off);
      if (!n) {
        perror("pwrite", n.error());
        fail();
        return;
      }
      report_io_times("wrote", machine_.clock.now_ns() - t1, op.off, op.len, static_cast<int64_t>(*n),
                      *n > 0 ? 1 : 0);
      return;
    }
    case OpKind::kMwrite: {
      if (op.len > kMaxBuffer) {
        perror("memalign", Errno::kENOMEM);
        fail();
        return;
      }
      const std::vector<std::byte> buf(static_cast<size_t>(std::max<int64_t>(op.len, 0)), std::byte{op.fill});
      const host::MstoreResult m = host::mstore(process_, cur().fd, op.off, buf);
      if (m.signal != 0) {
        said.err = absl::StrFormat("mstore: %s after %d bytes\n", signal_name(m.signal), m.stored);
      }
      if (m.err != Errno::kOk) absl::StrAppend(&said.err, to_absl(m.call), ": ", strerror_text(m.err), "\n");
      if (said.err.empty()) said.out = absl::StrFormat("wrote %d/%d bytes at offset %d\n", m.stored, op.len, op.off);
      break;
    }
    default:
      err_ << op_kind_name(op.kind) << ": not a vfssim command\n";
      fail();
      return;
  }
  out_ << said.out;
  err_ << said.err;
  if (!said.err.empty()) fail();
}

}  // namespace vfssim
