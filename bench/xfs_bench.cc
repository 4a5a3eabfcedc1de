// The XFS-like filesystem's data path, hole punching and memory, against
// the host kernel's tmpfs doing the same calls and against a 4 KiB memcpy,
// all in one binary so one run gives the ratios.
// Run: bazel run --config=opt //bench:xfs_bench -- --benchmark_repetitions=3
//          --benchmark_report_aggregates_only=true
//
// The targets (docs/xfs.md, "Benchmarks"):
//  - DAX 4 KiB pread and pwrite (BM_XfsDax*4K) at least 2.5x faster than
//    host tmpfs (BM_HostTmpfs*4K);
//  - a 4 KiB punch in a file of 10^6 extents (BM_XfsPunch4K/extents:1000000)
//    at most 2x its cost at 10^3 extents;
//  - a 1 TiB device, mkfs defaults, mounted, 16 MiB written and fsynced:
//    under 64 MiB resident (BM_XfsResident1TiB's rss_MiB).
//
// Tracing: a Machine keeps every record by default (full mode), so the
// data-path benchmarks run with the default (trace:3) and, for comparison,
// untraced (trace:0) and hash-only (trace:1). host_io:1 goes through
// vfs/host_io.h (host buffer staged into the process's memory, the syscall,
// the result copied back); host_io:0 makes the syscall on a buffer that
// already lives in user memory, as the host benchmarks do.
//
// The memcpy to compare with is BM_Memcpy4KWindow over the same window
// (the copy a read of it pays), or BM_Memcpy4KPageAligned for one hot
// page: the shared BM_Memcpy4K's figure depends on where malloc put its two
// vectors (below). window: is in KiB, a multiple of 4 and at most kWindow
// (what the files are pre-written over); only those values are registered.

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "fs/xfs/xfs_mount.h"
#include "sim/machine.h"
#include "vfs/host_io.h"
#include "vfs/mount.h"
#include "vfs/process.h"
#include "vfs/uapi.h"

namespace vfssim {
namespace {

constexpr size_t k4K = 4096;
// Overwrites and reads cycle through a window of the file: 4 MiB by
// default (twice this machine's L2, so every call also pays for the data
// and metadata the previous calls pushed out of it), or 4 KiB (the same
// page each time: the cost of the call path itself). window:KiB selects.
constexpr off_t64 kWindow = 4 << 20;
constexpr int64_t kWindowKiB = kWindow >> 10;

void set_trace(Machine& m, int64_t trace) {
  if (trace == 0) m.trace.set_mode(TraceMode::kOff);
  if (trace == 1) m.trace.set_mode(TraceMode::kHash);
  if (trace == 2) m.trace.set_mode(TraceMode::kRing, 1024);
  // 3: full, the default Machine's mode.
}

// ---- The host kernel's tmpfs (/dev/shm), real syscalls. ----

// host_tmpfs_4k: 4 KiB pwrite (write) or pread calls on a /dev/shm file
// pre-written over kWindow, offsets cycling through window:KiB.
void host_tmpfs_4k(benchmark::State& state, bool write) {
  const int fd = ::open("/dev/shm/vfssim-xfs-bench", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    state.SkipWithError("cannot open /dev/shm");
    return;
  }
  const off_t64 window = state.range(0) << 10;
  std::vector<std::byte> buf(kWindow, std::byte{1});
  benchmark::DoNotOptimize(::pwrite(fd, buf.data(), buf.size(), 0));
  off_t64 off = 0;
  for (auto _ : state) {
    if (write) {
      benchmark::DoNotOptimize(::pwrite(fd, buf.data(), k4K, off));
    } else {
      benchmark::DoNotOptimize(::pread(fd, buf.data(), k4K, off));
    }
    off = (off + static_cast<off_t64>(k4K)) % window;
  }
  ::close(fd);
  ::unlink("/dev/shm/vfssim-xfs-bench");
  state.SetBytesProcessed(state.iterations() * k4K);
}

void BM_HostTmpfsPwrite4K(benchmark::State& state) { host_tmpfs_4k(state, /*write=*/true); }
void BM_HostTmpfsPread4K(benchmark::State& state) { host_tmpfs_4k(state, /*write=*/false); }

// ---- A 4 KiB memcpy that does not depend on the heap's layout. ----

// BM_Memcpy4K (memcpy_baseline.cc) copies between two 4 KiB vectors,
// which malloc usually places 4112 bytes apart: the destination is then 16
// bytes past the source modulo 4 KiB, every load waits on the store 4 KiB
// before it (4K aliasing), and the copy takes 170-250 ns instead of ~45 ns,
// depending on where the vectors landed. This one copies between two
// page-aligned buffers 8 KiB apart, so its figure is the same in every run.
void BM_Memcpy4KPageAligned(benchmark::State& state) {
  std::byte* base = static_cast<std::byte*>(std::aligned_alloc(k4K, 4 * k4K));
  std::memset(base, 1, 4 * k4K);
  std::byte* src = base;
  std::byte* dst = base + 2 * k4K;
  for (auto _ : state) {
    std::memcpy(dst, src, k4K);
    benchmark::DoNotOptimize(dst);
    benchmark::ClobberMemory();
  }
  std::free(base);
  state.SetBytesProcessed(state.iterations() * k4K);
}

// The same copy's floor for a window: 4 KiB at a time from a page-aligned
// source cycling through `window` bytes into one page-aligned page, as a
// read's copy out of the page cache or pmem does (the source's lines come
// from wherever the window lives: L1 for 4 KiB, L3 for 4 MiB here).
void BM_Memcpy4KWindow(benchmark::State& state) {
  const size_t window = static_cast<size_t>(state.range(0)) << 10;
  std::byte* src = static_cast<std::byte*>(std::aligned_alloc(k4K, window));
  std::byte* dst = static_cast<std::byte*>(std::aligned_alloc(k4K, k4K));
  std::memset(src, 1, window);
  size_t off = 0;
  for (auto _ : state) {
    std::memcpy(dst, src + off, k4K);
    benchmark::DoNotOptimize(dst);
    benchmark::ClobberMemory();
    off = (off + k4K) % window;
  }
  std::free(src);
  std::free(dst);
  state.SetBytesProcessed(state.iterations() * k4K);
}

// ---- The XFS-like filesystem through the simulator's syscall layer. ----

// XfsWorld: xfs_mkfs defaults on 1 GiB of pmem mounted dax=always, or on a
// 1 GiB SimBlockDevice (buffered I/O through the page cache); one file
// whose first kWindow bytes are written (and, on the block device, fsynced:
// the steady state is cached pages), and a kWindow user buffer.
struct XfsWorld {
  XfsWorld(bool dax, int64_t trace) {
    set_trace(m, 0);  // Setup untraced; the measured mode is set below.
    register_xfs(vfs);
    BlockDevice& dev = dax ? static_cast<BlockDevice&>(pmem) : disk;
    ok = xfs_mkfs(m, dev, "") == Errno::kOk &&
         vfs.mount("xfs", &dev, dax ? "dax=always" : "", "/", Creds::root()) == Errno::kOk;
    if (!ok) return;
    fd = *p.open("/f", kO_RDWR | kO_CREAT);
    buf = *p.mmap(0, kWindow, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    const std::vector<std::byte> ones(kWindow, std::byte{1});
    p.store(buf, ones);
    const Result<uint64_t> r = p.pwrite(fd, buf, kWindow, 0);
    ok = r && *r == static_cast<uint64_t>(kWindow) && p.fsync(fd) == Errno::kOk;
    m.trace.set_mode(TraceMode::kFull);
    set_trace(m, trace);
  }
  Machine m{1};  // The default: full trace.
  PmemDevice pmem{m, PmemConfig{.size = 1ull << 30}};
  SimBlockDevice disk{m, BlockDeviceConfig{.capacity_bytes = 1ull << 30}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  bool ok = false;
  int fd = -1;
  uint64_t buf = 0;  // kWindow bytes of user memory.
  std::vector<std::byte> host_buf = std::vector<std::byte>(k4K, std::byte{2});
};

// xfs_4k: 4 KiB pwrite (write) or pread calls through Process on the
// XfsWorld file, offsets cycling through window:KiB.
void xfs_4k(benchmark::State& state, bool dax, bool write) {
  XfsWorld w(dax, state.range(0));
  if (!w.ok) {
    state.SkipWithError("mkfs, mount or pre-write failed");
    return;
  }
  const bool via_host_io = state.range(1) != 0;
  const off_t64 window = state.range(2) << 10;
  const uint64_t records0 = w.m.trace.size();
  off_t64 off = 0;
  for (auto _ : state) {
    if (via_host_io) {
      benchmark::DoNotOptimize(write ? host::pwrite(w.p, w.fd, w.host_buf, off)
                                     : host::pread(w.p, w.fd, w.host_buf, off));
    } else {
      benchmark::DoNotOptimize(write ? w.p.pwrite(w.fd, w.buf, k4K, off) : w.p.pread(w.fd, w.buf, k4K, off));
    }
    off = (off + static_cast<off_t64>(k4K)) % window;
  }
  state.SetBytesProcessed(state.iterations() * k4K);
  state.counters["records"] = benchmark::Counter(static_cast<double>(w.m.trace.size() - records0),
                                                 benchmark::Counter::kAvgIterations);
}

void BM_XfsDaxPwrite4K(benchmark::State& state) { xfs_4k(state, /*dax=*/true, /*write=*/true); }
void BM_XfsDaxPread4K(benchmark::State& state) { xfs_4k(state, /*dax=*/true, /*write=*/false); }
void BM_XfsBlockPwrite4K(benchmark::State& state) { xfs_4k(state, /*dax=*/false, /*write=*/true); }
void BM_XfsBlockPread4K(benchmark::State& state) { xfs_4k(state, /*dax=*/false, /*write=*/false); }

void data_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"trace", "host_io", "window"});
  b->Args({3, 0, kWindowKiB})->Args({0, 0, kWindowKiB})->Args({1, 0, kWindowKiB});
  b->Args({3, 1, kWindowKiB})->Args({0, 1, kWindowKiB});
  b->Args({3, 0, 4})->Args({0, 0, 4});
}

// ---- Hole punching in a file of N extents. ----

// PunchWorld: a file on a sparse 64 GiB SimBlockDevice holding N
// unwritten extents, one block at every other block (fallocate of single
// blocks, so no data is stored), built once per N and kept for every run
// of the benchmark (the punch below leaves it as it found it).
struct PunchWorld {
  explicit PunchWorld(uint64_t n) : n(n) {
    set_trace(m, 0);
    register_xfs(vfs);
    ok = xfs_mkfs(m, disk, "") == Errno::kOk &&
         vfs.mount("xfs", &disk, "", "/", Creds::root()) == Errno::kOk;
    if (!ok) return;
    fd = *p.open("/f", kO_RDWR | kO_CREAT);
    const auto t0 = std::chrono::steady_clock::now();
    for (uint64_t i = 0; i < n && ok; ++i) {
      ok = p.fallocate(fd, kFALLOC_FL_KEEP_SIZE, static_cast<off_t64>(2 * i * k4K), k4K) == Errno::kOk;
    }
    ok = ok && p.ftruncate(fd, static_cast<off_t64>(2 * n * k4K)) == Errno::kOk &&
         p.fsync(fd) == Errno::kOk && extents() == n;
    build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (ok) free_records = mount().allocator().free_extents().size();
  }
  uint64_t extents() { return XfsMount::xi(**p.file_inode(fd)).data.size(); }
  XfsMount& mount() { return static_cast<XfsMount&>(*vfs.find_mount("xfs")); }

  uint64_t n;
  Machine m{1};
  SimBlockDevice disk{m, BlockDeviceConfig{.capacity_bytes = 64ull << 30}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  bool ok = false;
  int fd = -1;
  double build_s = 0;  // Seconds the n fallocates, ftruncate and fsync took.
  // Free-space records after the build: XFS keeps the file's gaps on disk
  // (xfs_bmap_adjacent), so the free-space index holds about N records too.
  uint64_t free_records = 0;
};

PunchWorld& punch_world(uint64_t n) {
  static std::map<uint64_t, std::unique_ptr<PunchWorld>> worlds;
  std::unique_ptr<PunchWorld>& w = worlds[n];
  if (!w) w = std::make_unique<PunchWorld>(n);
  return *w;
}

// Each iteration punches one allocated block (FALLOC_FL_PUNCH_HOLE |
// KEEP_SIZE) and fallocates it back, so the extent count stays N; the
// blocks cycle through 1000 extents spread evenly over the file. The time
// is the pair plus a log force every 256 pairs (below); punch_ns is the
// punch alone (timed with steady_clock around it, ~20 ns of clock reads
// included). trace: 3 the default Machine's full mode, 0 off.
void BM_XfsPunch4K(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  PunchWorld& w = punch_world(n);
  if (!w.ok) {
    state.SkipWithError("building the file failed");
    return;
  }
  w.m.trace.set_mode(TraceMode::kFull);
  set_trace(w.m, state.range(1));
  constexpr uint64_t kSpots = 1000;
  const uint64_t stride = n / kSpots;
  constexpr uint64_t kLogEvery = 256;
  uint64_t i = 0, since_force = 0;
  double punch_ns = 0;
  bool ok = true;
  for (auto _ : state) {
    const off_t64 off = static_cast<off_t64>(2 * (i * stride + stride / 2) * k4K);
    const auto t0 = std::chrono::steady_clock::now();
    ok &= w.p.fallocate(w.fd, kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_KEEP_SIZE, off, k4K) == Errno::kOk;
    const auto t1 = std::chrono::steady_clock::now();
    ok &= w.p.fallocate(w.fd, kFALLOC_FL_KEEP_SIZE, off, k4K) == Errno::kOk;
    punch_ns += std::chrono::duration<double, std::nano>(t1 - t0).count();
    i = (i + 1) % kSpots;
    // The kernel's log worker commits the CIL in the background, and with
    // it the freed blocks become allocatable again; the model does that on
    // a log force only, so one is made every kLogEvery punches (timed:
    // putting the freed blocks back into the free-space index is part of
    // what a punch costs). Otherwise busy extents would pile up with the
    // iteration count.
    if (++since_force == kLogEvery) {
      w.mount().log_force();
      since_force = 0;
    }
  }
  // The records this run kept are dropped (a ring of one keeps only the
  // last), so runs and repetitions do not accumulate them.
  w.m.trace.set_mode(TraceMode::kRing, 1);
  set_trace(w.m, 0);
  if (!ok) state.SkipWithError("punch or refill failed");
  if (w.extents() != n) state.SkipWithError("extent count changed");
  state.counters["punch_ns"] = benchmark::Counter(punch_ns, benchmark::Counter::kAvgIterations);
  state.counters["build_s"] = w.build_s;
  state.counters["free_records"] = static_cast<double>(w.free_records);
}

// ---- Memory: a 1 TiB device with 16 MiB written. ----

struct Mem {
  double rss = 0;   // Bytes resident (/proc/self/statm).
  double heap = 0;  // Bytes malloc has handed out and not had back.
};

Mem mem_now() {
  Mem r;
  long pages_total = 0, pages_res = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_res) != 2) pages_res = 0;
    std::fclose(f);
  }
  r.rss = static_cast<double>(pages_res) * static_cast<double>(sysconf(_SC_PAGESIZE));
  const struct mallinfo2 mi = mallinfo2();
  r.heap = static_cast<double>(mi.uordblks + mi.hblkhd);
  return r;
}

struct ResidentWorld {
  Machine m{1};
  SimBlockDevice disk{m, BlockDeviceConfig{.capacity_bytes = 1ull << 40}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
};

// rss_MiB: what the process's resident set grew by from before the
// Machine was made to after the fsync, with everything still alive
// (malloc_trim first, so freed memory reused does not hide growth);
// heap_MiB: the bytes malloc handed out over the same span; trace_records:
// what the full-mode trace kept meanwhile.
void BM_XfsResident1TiB(benchmark::State& state) {
  constexpr uint64_t kWritten = 16 << 20;
  // Heap growth by step: the world (machine, device, VFS, process), mkfs,
  // mount, the writes (page cache), the fsync (writeback to the device).
  Mem before, world, mkfs, mount, written, after;
  uint64_t records = 0, device_bytes = 0;
  bool ok = true;
  for (auto _ : state) {
    malloc_trim(0);
    before = mem_now();
    {
      auto w = std::make_unique<ResidentWorld>();
      register_xfs(w->vfs);
      world = mem_now();
      ok = xfs_mkfs(w->m, w->disk, "") == Errno::kOk;
      mkfs = mem_now();
      ok = ok && w->vfs.mount("xfs", &w->disk, "", "/", Creds::root()) == Errno::kOk;
      mount = mem_now();
      written = mount;
      if (ok) {
        const int fd = *w->p.open("/f", kO_RDWR | kO_CREAT);
        const uint64_t buf =
            *w->p.mmap(0, 1 << 20, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
        const std::vector<std::byte> ones(1 << 20, std::byte{1});
        w->p.store(buf, ones);
        for (uint64_t off = 0; off < kWritten && ok; off += 1 << 20) {
          const Result<uint64_t> r = w->p.pwrite(fd, buf, 1 << 20, static_cast<off_t64>(off));
          ok = r && *r == 1 << 20;
        }
        written = mem_now();
        ok = ok && w->p.fsync(fd) == Errno::kOk;
      }
      after = mem_now();
      records = w->m.trace.size();
      device_bytes = w->disk.stats().bytes_written;
      state.PauseTiming();
      w.reset();
      state.ResumeTiming();
    }
  }
  if (!ok) state.SkipWithError("mkfs, mount, write or fsync failed");
  constexpr double kMiB = 1 << 20;
  state.counters["rss_MiB"] = (after.rss - before.rss) / kMiB;
  state.counters["heap_MiB"] = (after.heap - before.heap) / kMiB;
  state.counters["heap_world_MiB"] = (world.heap - before.heap) / kMiB;
  state.counters["heap_mkfs_MiB"] = (mkfs.heap - world.heap) / kMiB;
  state.counters["heap_mount_MiB"] = (mount.heap - mkfs.heap) / kMiB;
  state.counters["heap_write_MiB"] = (written.heap - mount.heap) / kMiB;
  state.counters["heap_fsync_MiB"] = (after.heap - written.heap) / kMiB;
  state.counters["trace_records"] = static_cast<double>(records);
  state.counters["device_written_MiB"] = static_cast<double>(device_bytes) / kMiB;
}

// Registered first, so the memory figure is taken before the other
// benchmarks have grown (and left behind) the heap.
BENCHMARK(BM_XfsResident1TiB)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Memcpy4KPageAligned);
BENCHMARK(BM_Memcpy4KWindow)->ArgName("window")->Arg(kWindowKiB)->Arg(4);
BENCHMARK(BM_HostTmpfsPwrite4K)->ArgName("window")->Arg(kWindowKiB)->Arg(4);
BENCHMARK(BM_HostTmpfsPread4K)->ArgName("window")->Arg(kWindowKiB)->Arg(4);
BENCHMARK(BM_XfsDaxPwrite4K)->Apply(data_args);
BENCHMARK(BM_XfsDaxPread4K)->Apply(data_args);
BENCHMARK(BM_XfsBlockPwrite4K)->Apply(data_args);
BENCHMARK(BM_XfsBlockPread4K)->Apply(data_args);
BENCHMARK(BM_XfsPunch4K)
    ->ArgNames({"extents", "trace"})
    ->Args({1000, 3})
    ->Args({1000000, 3})
    ->Args({1000, 0})
    ->Args({1000000, 0});

}  // namespace
}  // namespace vfssim
