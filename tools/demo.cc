#include "tools/demo.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "fs/shmfs/shmfs.h"
#include "harness/safecopy_table.h"
#include "vfs/mmap.h"
#include "vfs/process.h"

namespace vfssim {
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
