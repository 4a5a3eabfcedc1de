// "No input crashes the simulator": seeded random sequences of syscalls with
// hostile arguments — descriptors that are closed, O_PATH, directories,
// FIFOs, pipes, devices or never were; offsets at 0, at and around
// LLONG_MAX and negative; counts of 0, huge and sign-flipped; user
// addresses that are NULL, unmapped, read-only, in the kernel half or at the
// top of the address space; random flag words; paths with "..", "//",
// nothing, 255- and 256-byte names, through symlinks, mount points and
// removed directories — before and after mounts and umounts (with hostile
// mount options too), on shmfs, the iomap test filesystem (buffered and
// DAX) and devtmpfs, from a process made before the root was mounted, from
// an unprivileged one and from forked ones, under every API variant, with
// device errors and signals switched on and off. Half the steps are sane
// (every argument one a careful caller would pass), so that calls get deep
// into the filesystems; the other half are hostile.
//
// Every call must come back with a value or a Linux errno (never
// kERESTARTSYS, never an unnamed value); a cheap invariant holds after
// calls (a regular file's fstat size agrees with what pread returns at and
// just before it), and each filesystem's fsck (Superblock::check) is clean
// at the end. The sequences are fixed by their seeds, so a failure
// reproduces; CI also runs this under ASan+UBSan, which turns
// out-of-bounds accesses, use-after-free and signed overflow into failures.
// Each defect it found has its own regression test beside the code it was
// in (vfs/mmap_syscalls_test.cc, vfs/mount_test.cc, vfs/open_test.cc,
// vfs/read_write_test.cc, vfs/fadvise_test.cc, vfs/iomap_test.cc,
// fs/shmfs/shmfs_test.cc, sim/address_space_test.cc).

#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "fs/devtmpfs/devtmpfs.h"
#include "fs/shmfs/shmfs.h"
#include "fs/xfs/xfs_mount.h"
#include "sim/rng.h"
#include "sim/variants.h"
#include "vfs/chardev.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"
#include "vfs/testing/iomap_fs.h"

namespace vfssim {
namespace {

constexpr uint64_t kBufLen = 64 * 1024;

class Fuzzer {
 public:
  explicit Fuzzer(uint64_t seed)
      : m_(seed, /*keep_trace=*/false),
        rng_(m_.rng.stream("crash-audit")),
        // The iomap test fs allocates from 512 MiB up (ExtentMapOps::
        // kFirstFree); the devices are sparse, so room costs nothing.
        bdev_(m_, BlockDeviceConfig{.capacity_bytes = 1ull << 30}),
        bdev2_(m_, BlockDeviceConfig{.name = "sdb", .capacity_bytes = 768ull << 20}),
        pmem_(m_, PmemConfig{.size = 768ull << 20}),
        vfs_(m_) {
    m_.trace.set_enabled(false);
    // Every API variant takes a value the seed picks.
    for (const VariantInfo& v : variant_registry()) {
      m_.variants.set(v.name, v.values.begin()[rng_.uniform(v.values.size())]);
    }
    register_shmfs(vfs_);
    register_iomap_testfs(vfs_);
    register_xfs(vfs_);
    register_devtmpfs(vfs_);
    // Every device carries an XFS-like filesystem's superblock too, so
    // either block filesystem can be mounted on it.
    for (BlockDevice* d : std::initializer_list<BlockDevice*>{&bdev_, &bdev2_, &pmem_}) {
      EXPECT_EQ(xfs_mkfs(m_, *d, pick_str({"", "-b size=1024", "-m reflink=0", "-d agcount=5"})),
                Errno::kOk);
    }
    // The recent bug's class: a process made before anything is mounted.
    procs_.push_back(std::make_unique<Process>(vfs_, Creds::root(), 1));
  }

  // run makes `n` calls; the first few happen before the root is mounted.
  void run(int n) {
    for (int i = 0; i < 24; ++i) step();
    mount_root();
    for (int i = 0; i < n; ++i) {
      step();
      if (::testing::Test::HasFatalFailure()) return;
    }
    // Whatever the calls did, the filesystems are consistent.
    for (const char* fs : {"shmfs", "iomaptest", "xfs"}) {
      if (Superblock* sb = vfs_.find_mount(fs)) {
        EXPECT_TRUE(sb->check().empty()) << fs << ": " << sb->check().front();
      }
    }
  }

 private:
  // ---- Hostile argument pools. ----

  uint64_t pick(std::initializer_list<uint64_t> v) {
    return *(v.begin() + rng_.uniform(v.size()));
  }
  bool coin(double p = 0.5) { return rng_.bernoulli(p); }

  Process& proc() { return *procs_[rng_.uniform(procs_.size())]; }

  // In a sane step (half of them) every argument is one a careful caller
  // would pass, so that calls get deep into the filesystems; in a hostile
  // one each argument may be anything.
  int fd() {
    if (sane_ && !fds_.empty()) {
      // One that is open in the process a sane step uses, not O_PATH.
      Process& p = *procs_.front();
      int f = -1;
      for (int tries = 0; tries < 6; ++tries) {
        f = fds_[rng_.uniform(fds_.size())];
        Result<int> fl = p.fcntl_getfl(f);
        if (fl && !(*fl & kO_PATH)) break;
      }
      return f;
    }
    switch (rng_.uniform(8)) {
      case 0:
        return static_cast<int>(pick({static_cast<uint64_t>(-1), 0, 1, 2, 1000, INT_MAX,
                                      static_cast<uint64_t>(INT_MIN),
                                      static_cast<uint64_t>(kAT_FDCWD)}));
      case 1:
        return static_cast<int>(rng_.uniform(24));
      default:
        return fds_.empty() ? -1 : fds_[rng_.uniform(fds_.size())];
    }
  }

  int64_t off() {
    if (sane_) return static_cast<int64_t>(rng_.uniform(5 * 4096));
    switch (rng_.uniform(4)) {
      case 0:
        return static_cast<int64_t>(
            pick({0, 1, 511, 512, 4095, 4096, 4097, 65536, 1ull << 20, 1ull << 32, 1ull << 40,
                  static_cast<uint64_t>(LLONG_MAX), static_cast<uint64_t>(LLONG_MAX - 1),
                  static_cast<uint64_t>(LLONG_MAX - 4095), static_cast<uint64_t>(LLONG_MAX - 4096),
                  static_cast<uint64_t>(LLONG_MIN), static_cast<uint64_t>(-1),
                  static_cast<uint64_t>(-4096), ((1ull << 32) - 1) * 1024}));
      case 1:
        return static_cast<int64_t>(rng_.next_u64());
      default:
        return static_cast<int64_t>(rng_.uniform(3 * 65536));
    }
  }

  uint64_t len() {
    if (sane_) return rng_.uniform(3 * 4096 + 1);
    switch (rng_.uniform(6)) {
      case 0:
        return pick({0, 1, 4095, 4096, 8192, kBufLen, kBufLen + 1, 0x7ffff000, 0x7ffff001,
                     1ull << 31, 1ull << 32, static_cast<uint64_t>(LLONG_MAX),
                     1ull << 63, UINT64_MAX, UINT64_MAX - 4095});
      case 1:
        return rng_.next_u64();
      default:
        return rng_.uniform(2 * 4096 + 1);
    }
  }

  // addr: a user address for a buffer or argument structure.
  uint64_t addr() {
    const uint64_t buf = buf_for(procs_.front().get());
    if (sane_) return buf + rng_.uniform(kBufLen - 4 * 4096);
    switch (rng_.uniform(8)) {
      case 0:
        return pick({0, 1, 4096, 0x7ffffffff000ull, 0x7fffffffffffull, 0x800000000000ull,
                     0xffff800000000000ull, UINT64_MAX, UINT64_MAX - 15, ro_page_,
                     ro_page_ + 4090, buf + kBufLen - 1, buf + kBufLen - 16, buf + kBufLen});
      case 1:
        return rng_.next_u64();
      default:
        return buf + rng_.uniform(kBufLen);
    }
  }

  int flags() {
    if (sane_) return 0;
    switch (rng_.uniform(3)) {
      case 0:
        return static_cast<int>(rng_.next_u64());
      case 1:
        return static_cast<int>(1u << rng_.uniform(32));
      default:
        return static_cast<int>(rng_.uniform(8));
    }
  }

  int open_flags() {
    static constexpr int kBits[] = {kO_CREAT, kO_EXCL, kO_TRUNC, kO_APPEND, kO_NONBLOCK,
                                    kO_DSYNC, kO_SYNC, kO_DIRECT, kO_DIRECTORY, kO_NOFOLLOW,
                                    kO_PATH, kO_TMPFILE, kO_NOATIME, kO_CLOEXEC};
    if (sane_) return static_cast<int>(pick({kO_RDWR, kO_RDONLY, kO_RDWR | kO_CREAT,
                                               kO_WRONLY | kO_CREAT | kO_TRUNC, kO_RDWR | kO_APPEND,
                                               kO_RDONLY | kO_DIRECTORY, kO_PATH}));
    if (coin(0.05)) return static_cast<int>(rng_.next_u64());
    int f = static_cast<int>(rng_.uniform(4));
    for (int b : kBits) {
      if (coin(0.12)) f |= b;
    }
    return f;
  }

  std::string name() {
    static const char* const kNames[] = {"a", "b", "c", "d", "f", "g", "l", "p", "x", "mnt",
                                         "dax", "dev", ".", "..", "null", "zero", "sub"};
    switch (rng_.uniform(12)) {
      case 0:
        return std::string(255, 'n');
      case 1:
        return std::string(256, 'n');
      default:
        return kNames[rng_.uniform(std::size(kNames))];
    }
  }

  std::string path() {
    if (!known_.empty() && (sane_ || coin(0.5))) {
      const std::string& k = known_[rng_.uniform(known_.size())];
      switch (rng_.uniform(10)) {
        case 0:
          return k + "/";
        case 1:
          return k + "/..";
        case 2:
          return k + "/" + name();
        case 3:
          return k.front() == '/' ? k.substr(1) : "/" + k;  // The other side of cwd.
        default:
          return k;
      }
    }
    switch (rng_.uniform(16)) {
      case 0:
        return "";
      case 1:
        return pick_str({"/", "//", "///", ".", "..", "/..", "/../..", "/mnt/..", "/mnt/../..",
                         "/dev/null", "/dev/zero", "/dev/", "/mnt/", "/dax/f", "f/", "/f/.",
                         "/f/..", "/a//b///c", "./././f"});
      case 2:
        return std::string(4096, 'p');
      case 3:
        return "/" + std::string(4094, 'q');
      default: {
        std::string p = coin(0.7) ? "" : "/";
        if (coin(0.5)) p += pick_str({"mnt/", "dax/", "a/", "d/", "mnt/d/", "a/b/"});
        const int n = 1 + static_cast<int>(rng_.uniform(3));
        for (int i = 0; i < n; ++i) {
          if (i > 0) p += coin(0.1) ? "//" : "/";
          p += name();
        }
        if (coin(0.1)) p += "/";
        return p;
      }
    }
  }

  std::string pick_str(std::initializer_list<const char*> v) {
    return *(v.begin() + rng_.uniform(v.size()));
  }

  std::string xattr_name() {
    return pick_str({"user.a", "user.b", "trusted.t", "security.s", "system.posix_acl_access",
                     "bogus.x", "user.", "", "user.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) +
           (coin(0.05) ? std::string(300, 'z') : "");
  }

  // buf_for returns process p's scratch buffer, mapping it on first use.
  uint64_t buf_for(Process* p) {
    for (auto& [who, at] : bufs_) {
      if (who == p) return at;
    }
    const Result<uint64_t> at =
        p->mmap(0, kBufLen, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    EXPECT_TRUE(at.has_value());
    bufs_.push_back({p, at.value_or(0)});
    if (p == procs_.front().get() && ro_page_ == 0) {
      ro_page_ = p->mmap(0, 4096, kProtRead, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0).value_or(0);
    }
    return at.value_or(0);
  }

  // ---- Checks. ----

  void check(Errno e, const char* call) {
    auto& [ok, failed] = stats_[call];
    ++(e == Errno::kOk ? ok : failed);
    ++errnos_[std::string(call) + " " + std::string(errno_name(e))];
    const std::string_view n = errno_name(e);
    EXPECT_FALSE(n.starts_with("E?")) << call << " returned an unknown errno " << n;
    EXPECT_NE(e, Errno::kERESTARTSYS) << call << " leaked ERESTARTSYS";
  }
  template <typename T>
  void check(const Result<T>& r, const char* call) {
    if (!r) {
      EXPECT_NE(r.error(), Errno::kOk) << call << " failed with kOk";
      check(r.error(), call);
    } else {
      check(Errno::kOk, call);
    }
  }
  void keep(const Result<int>& r) {
    if (!r) return;
    if (fds_.size() < 48) {
      fds_.push_back(*r);
    } else {
      fds_[rng_.uniform(fds_.size())] = *r;
    }
  }
  // made remembers a path a call created, for later calls to find.
  void made(Errno e, const std::string& path) {
    if (e != Errno::kOk) return;
    if (known_.size() < 96) {
      known_.push_back(path);
    } else {
      known_[rng_.uniform(known_.size())] = path;
    }
  }

  // invariants: a regular file open for reading reads 0 bytes at its size
  // and 1 byte just before it.
  void invariants() {
    if (!m_.faults.armed().empty() || fds_.empty()) return;
    Process& p = *procs_.front();
    const int f = fds_[rng_.uniform(fds_.size())];
    Result<Stat> st = p.fstat(f);
    Result<int> fl = p.fcntl_getfl(f);
    if (!st || !fl || st->type != VType::kReg || (*fl & kO_DIRECT) || (*fl & kO_PATH) ||
        (*fl & kO_ACCMODE) == kO_WRONLY || (*fl & kO_ACCMODE) == 3) {
      return;
    }
    if (st->size > static_cast<uint64_t>(LLONG_MAX)) {
      ADD_FAILURE() << "fstat size " << st->size << " past LLONG_MAX";
      return;
    }
    std::vector<std::byte> one(1);
    const off_t64 size = static_cast<off_t64>(st->size);
    Result<uint64_t> at_eof = host::pread(p, f, one, size);
    EXPECT_TRUE(!at_eof || *at_eof == 0) << "pread at EOF " << size << " read " << *at_eof;
    if (size > 0) {
      Result<uint64_t> last = host::pread(p, f, one, size - 1);
      EXPECT_TRUE(last.has_value() && *last == 1)
          << "pread before EOF " << size << " of fd " << f << " on "
          << (p.file_inode(f) ? (*p.file_inode(f))->sb->fs_type() : "?") << ": "
          << (last ? std::to_string(*last) : std::string(errno_name(last.error())));
    }
  }

  // ---- The calls. ----

  // mount_options: the options every filesystem takes, hostile or not.
  std::string mount_options() {
    std::string o = pick_str({"", "", "size=1m", "size=64m,swap_pressure=0.5", "ipc=safecopy",
                              "ipc=safecopy,cpf_try=0,partial_io=whole", "ro", "nodev",
                              "bs=512", "bs=65536", "cache_pressure=1", "size=0", "bs=3",
                              "dax=inode", "swap_pressure=2", ",", "size=99999999999999g"});
    return o;
  }

  void mount_root() {
    check(vfs_.mount(pick_str({"shmfs", "iomaptest", "xfs"}), coin() ? nullptr : &bdev2_, mount_options(),
                     "/", Creds::root()),
          "mount /");
    if (vfs_.root() == nullptr) check(vfs_.mount("shmfs", nullptr, "", "/", Creds::root()), "mount /");
    Process& p = *procs_.front();
    for (const char* d : {"/mnt", "/dax", "/dev", "/a", "/a/b", "/d"}) p.mkdir(d, 0755);
    // An unprivileged process and one whose working directory moves.
    procs_.push_back(std::make_unique<Process>(vfs_, Creds::user(1000, 1000), 2));
    procs_.push_back(p.fork(Creds::root(), 3));
    for (const char* f : {"/f", "/a/f", "/d/f"}) keep(p.open(f, kO_RDWR | kO_CREAT, 0666));
    p.mkfifo("/p", 0666);
    p.symlink("f", "/l");
    p.symlink("/a/b/../../l", "/a/l");
    p.symlink("loop", "/loop");
  }

  void step() {
    sane_ = coin();
    Process& p = sane_ ? *procs_.front() : proc();
    const uint64_t b = buf_for(&p);
    // Now and then the user buffer fills with interesting words, so that
    // argument structures (iovecs, ranges, timespecs, fiemap) are hostile.
    if (coin(0.05)) scribble(p, b);
    switch (rng_.uniform(60)) {
      case 0:
      case 1:
      case 2: {
        const std::string at = path();
        const int of = open_flags();
        Result<int> r = coin(0.7) ? p.open(at, of, coin(0.8) ? 0644 : static_cast<uint32_t>(flags()))
                                  : p.openat(fd(), at, of, 0644);
        check(r, "open");
        keep(r);
        if (of & kO_CREAT) made(r ? Errno::kOk : r.error(), at);
        break;
      }
      case 3:
        check(p.close(fd()), "close");
        break;
      case 4:
        keep(p.dup(fd()));
        check(p.dup3(fd(), static_cast<int>(rng_.uniform(40)) - 4, coin() ? kO_CLOEXEC : flags()),
              "dup3");
        break;
      case 5:
        check(p.fcntl(fd(), static_cast<int>(pick({0, 1, 2, 3, 4, 5, 6, 7, 36, 1024, 1025, 1030,
                                                   1033, 1034, 99999})),
                      coin() ? rng_.uniform(64) : rng_.next_u64()),
              "fcntl");
        break;
      case 6:
      case 7:
        check(p.read(fd(), addr(), len()), "read");
        break;
      case 8:
      case 9:
        check(p.write(fd(), addr(), len()), "write");
        break;
      case 10:
        check(p.pread(fd(), addr(), len(), off()), "pread");
        break;
      case 11:
      case 12:
        check(p.pwrite(fd(), addr(), coin() ? rng_.uniform(20000) : len(), off()), "pwrite");
        break;
      case 13:
        check(p.readv(fd(), addr(), static_cast<int>(pick({0, 1, 2, 3, 1024, 1025,
                                                           static_cast<uint64_t>(-1)}))),
              "readv");
        break;
      case 14:
        check(p.writev(fd(), addr(), static_cast<int>(pick({0, 1, 2, 3, 1024, 1025,
                                                            static_cast<uint64_t>(-1)}))),
              "writev");
        break;
      case 15:
        check(p.preadv2(fd(), addr(), static_cast<int>(rng_.uniform(4)), coin() ? -1 : off(),
                        coin() ? flags() : kRWF_NOWAIT),
              "preadv2");
        break;
      case 16:
        check(p.pwritev2(fd(), addr(), static_cast<int>(rng_.uniform(4)), coin() ? -1 : off(),
                         coin() ? flags() : static_cast<int>(pick({0x02, 0x04, 0x10, 0x30, 0x80}))),
              "pwritev2");
        break;
      case 17:
        check(p.lseek(fd(), off(), static_cast<int>(coin(0.9) ? rng_.uniform(5) : rng_.next_u64())),
              "lseek");
        break;
      case 18:
        check(p.ftruncate(fd(), coin() ? static_cast<int64_t>(rng_.uniform(200000)) : off()),
              "ftruncate");
        break;
      case 19:
        check(coin() ? p.truncate(path(), off()) : p.truncate(addr(), off()), "truncate");
        break;
      case 20:
        check(coin() ? p.fsync(fd()) : p.fdatasync(fd()), "fsync");
        if (coin(0.1)) p.sync();
        break;
      case 21:
        check(p.syncfs(fd()), "syncfs");
        break;
      case 22:
        check(coin() ? p.statfs(path(), addr()) : p.fstatfs(fd(), addr()), "statfs");
        break;
      case 23:
      case 24: {
        static constexpr int kModes[] = {0, 1, 2, 3, 8, 0x10, 0x11, 0x20, 0x40, 0x80, 0x100, 0x101, 4};
        const int mode = coin(0.9) ? kModes[rng_.uniform(std::size(kModes))] : flags();
        check(p.fallocate(fd(), mode, coin() ? static_cast<int64_t>(rng_.uniform(100000)) : off(),
                          coin() ? static_cast<int64_t>(rng_.uniform(100000)) : off()),
              "fallocate");
        break;
      }
      case 25:
        check(p.fspacectl(fd(), coin(0.8) ? kSPACECTL_DEALLOC : flags(), addr(),
                          coin(0.9) ? 0 : flags(), coin() ? 0 : addr()),
              "fspacectl");
        break;
      case 26:
      case 27: {
        static constexpr unsigned long kCmds[] = {
            kFS_IOC_GETFLAGS, kFS_IOC_SETFLAGS, kFS_IOC_FSGETXATTR, kFS_IOC_FSSETXATTR,
            kFS_IOC_FIEMAP, kFICLONE, kFICLONERANGE, kFIDEDUPERANGE, kFIONCLEX, kFIOCLEX,
            kFIGETBSZ, 0, 0xdeadbeef};
        const unsigned long cmd = kCmds[rng_.uniform(std::size(kCmds))];
        const uint64_t arg = cmd == kFICLONE && coin() ? static_cast<uint64_t>(fd()) : addr();
        check(p.ioctl(fd(), cmd, arg), "ioctl");
        break;
      }
      case 28:
        check(p.fstat(fd()), "fstat");
        check(coin() ? p.stat(path()) : p.lstat(path()), "stat");
        check(p.fstatat(fd(), path(), coin() ? kAT_EMPTY_PATH : flags()), "fstatat");
        break;
      case 29:
        check(coin() ? p.chmod(path(), static_cast<uint32_t>(flags())) : p.fchmod(fd(), 0777),
              "chmod");
        check(p.fchmodat(fd(), path(), 0644, coin() ? 0 : flags()), "fchmodat");
        break;
      case 30:
        check(p.fchown(fd(), coin() ? 1000 : 0xffffffff, coin() ? 0 : 1000), "fchown");
        check(p.fchownat(fd(), path(), 0, 0, coin() ? kAT_EMPTY_PATH : flags()), "fchownat");
        break;
      case 31:
        check(p.utimensat(fd(), path(), coin() ? 0 : addr(), coin() ? 0 : flags()), "utimensat");
        check(p.futimens(fd(), coin() ? 0 : addr()), "futimens");
        break;
      case 32:
        check(coin() ? p.setxattr(path(), xattr_name(), addr(), len(), flags() & 3)
                     : p.fsetxattr(fd(), xattr_name(), addr(), coin() ? rng_.uniform(100) : len(),
                                   flags() & 7),
              "setxattr");
        break;
      case 33:
        check(coin() ? p.getxattr(path(), xattr_name(), addr(), len())
                     : p.fgetxattr(fd(), xattr_name(), addr(), len()),
              "getxattr");
        check(p.getxattrat(fd(), path(), coin() ? kAT_EMPTY_PATH : flags(), xattr_name(), addr(),
                           pick({0, 8, 16, 24, 4096, 4097})),
              "getxattrat");
        check(p.flistxattr(fd(), addr(), len()), "flistxattr");
        break;
      case 34:
        check(p.flock(fd(), coin(0.8) ? static_cast<int>(rng_.uniform(16)) : flags()), "flock");
        break;
      case 35:
        check(p.getdents64(fd(), addr(), coin() ? rng_.uniform(600) : len()), "getdents64");
        break;
      case 36:
        check(p.copy_file_range(fd(), coin() ? 0 : addr(), fd(), coin() ? 0 : addr(), len(),
                                coin(0.9) ? 0u : static_cast<unsigned>(flags())),
              "copy_file_range");
        break;
      case 37: {
        const std::string at = path();
        const Errno e = coin() ? p.mkdir(at, 0755) : p.mkdirat(fd(), at, 0700);
        check(e, "mkdir");
        made(e, at);
        break;
      }
      case 38:
        check(p.rmdir(path()), "rmdir");
        break;
      case 39:
        check(p.unlink(path()), "unlink");
        break;
      case 40:
      case 41: {
        const std::string to = path();
        const Errno e =
            coin() ? p.rename(path(), to)
                   : p.renameat2(fd(), path(), fd(), to,
                                 coin(0.8) ? static_cast<unsigned>(rng_.uniform(8))
                                           : static_cast<unsigned>(flags()));
        check(e, "rename");
        made(e, to);
        if (coin(0.3)) {
          check(coin() ? p.removexattr(path(), xattr_name()) : p.fremovexattr(fd(), xattr_name()),
                "removexattr");
        }
        break;
      }
      case 42:
        check(p.mkfifo(path(), 0644), "mkfifo");
        check(p.mknod(path(), static_cast<uint32_t>(pick({kS_IFCHR, kS_IFBLK, kS_IFIFO, kS_IFREG,
                                                           kS_IFDIR, kS_IFSOCK, 0, 0170000})) |
                                  0644,
                      static_cast<uint32_t>(pick({0, mkdev(1, 3), mkdev(1, 5), mkdev(1, 7),
                                                  mkdev(4095, 0xfffff), UINT32_MAX}))),
              "mknod");
        break;
      case 43:
        check(p.symlink(coin() ? path() : "", path()), "symlink");
        check(p.readlinkat(fd(), path(), addr(), len()), "readlinkat");
        break;
      case 44:
        check(coin() ? p.link(path(), path())
                     : p.linkat(fd(), path(), fd(), path(),
                                coin() ? static_cast<int>(pick({0, kAT_EMPTY_PATH,
                                                                kAT_SYMLINK_FOLLOW}))
                                       : flags()),
              "link");
        break;
      case 45:
        check(coin() ? p.chdir(path()) : p.fchdir(fd()), "chdir");
        break;
      case 46:
        check(p.sendfile(fd(), fd(), coin() ? 0 : addr(), len()), "sendfile");
        break;
      case 47:
        check(p.splice(fd(), coin() ? 0 : addr(), fd(), coin() ? 0 : addr(), len(),
                       coin(0.8) ? static_cast<unsigned>(rng_.uniform(16))
                                 : static_cast<unsigned>(flags())),
              "splice");
        break;
      case 48:
        check(p.fadvise(fd(), off(), off(), static_cast<int>(coin(0.9) ? rng_.uniform(7) : flags())),
              "fadvise");
        break;
      case 49: {
        Result<std::pair<int, int>> r = p.pipe2(coin(0.8) ? (coin() ? kO_NONBLOCK : 0) : flags());
        check(r, "pipe2");
        if (r) {
          keep(r->first);
          keep(r->second);
        }
        Result<int> mfd = p.memfd_create(coin() ? "m" : std::string(300, 'm'));
        check(mfd, "memfd_create");
        keep(mfd);
        break;
      }
      case 50:
        check(p.fcntl_setfl(fd(), flags()), "fcntl_setfl");
        check(p.add_seals(fd(), static_cast<uint32_t>(flags())), "add_seals");
        check(p.get_seals(fd()), "get_seals");
        break;
      case 51: {
        const int mflags =
            coin(0.8) ? static_cast<int>(pick({kMAP_SHARED, kMAP_PRIVATE, 0x03, kMAP_SHARED | kMAP_SYNC,
                                               0x03 | kMAP_SYNC, kMAP_SHARED | kMAP_ANONYMOUS,
                                               kMAP_PRIVATE | kMAP_FIXED, 0}))
                      : flags();
        Result<uint64_t> at = p.mmap(coin(0.9) ? 0 : addr(), coin() ? 4096 * (1 + rng_.uniform(8)) : len(),
                                     static_cast<int>(rng_.uniform(8)), mflags, fd(),
                                     coin() ? 4096 * static_cast<int64_t>(rng_.uniform(8)) : off());
        check(at, "mmap");
        if (at && maps_.size() < 32) maps_.push_back({&p, *at});
        break;
      }
      case 52:
        if (!maps_.empty()) {
          auto [who, at] = maps_[rng_.uniform(maps_.size())];
          std::vector<std::byte> bytes(1 + rng_.uniform(8192), std::byte{0x5a});
          if (coin()) {
            who->load(at + rng_.uniform(8192), bytes);
          } else {
            who->store(at + rng_.uniform(8192), bytes);
          }
          check(who->msync(at, coin() ? 4096 : len(), static_cast<int>(coin(0.8) ? 4 : flags())),
                "msync");
        }
        break;
      case 53:
        if (!maps_.empty() && coin()) {
          auto [who, at] = maps_[rng_.uniform(maps_.size())];
          check(who->munmap(at, coin() ? 4096 : len()), "munmap");
        } else {
          check(p.munmap(addr(), len()), "munmap");
        }
        break;
      case 54:
        mount_or_umount();
        break;
      case 55:
        // The device fails writes for a while (writeback, direct I/O, DAX).
        if (m_.faults.armed().empty()) {
          m_.faults.arm(pick_str({"blockdev/write/eio", "blockdev/read/eio", "sched/signal/eintr"}),
                        FaultPlan::window(1, 1 + rng_.uniform(6)));
        } else {
          m_.faults.disarm_all();
        }
        break;
      case 56:
        // A new process: from the current working directory's point of
        // view, or one made before or after umounts.
        if (procs_.size() < 6) {
          procs_.push_back(coin() ? p.fork(coin() ? Creds::root() : Creds::user(1000, 1000), 10)
                                  : std::make_unique<Process>(vfs_, Creds::root(), 11));
        }
        break;
      case 57:
        check(p.stat("."), "stat .");
        check(p.open("..", kO_RDONLY | kO_DIRECTORY), "open ..");
        break;
      default:
        invariants();
        break;
    }
    if (coin(0.2)) invariants();
  }

  void mount_or_umount() {
    Process& p = *procs_.front();
    switch (rng_.uniform(6)) {
      case 0:
        check(vfs_.mount(coin() ? "xfs" : "iomaptest", &bdev_, coin() ? "" : mount_options(), "/mnt",
                         Creds::root()),
              "mount /mnt");
        break;
      case 1:
        check(vfs_.mount(coin() ? "xfs" : "iomaptest", &pmem_, coin() ? "dax" : "dax=always", "/dax",
                         Creds::root()),
              "mount /dax");
        break;
      case 2:
        check(vfs_.mount(coin() ? "devtmpfs" : "shmfs", nullptr, coin() ? "" : mount_options(),
                         coin() ? "/dev" : path(),
                         coin() ? Creds::root() : Creds::user(1000, 1000)),
              "mount");
        break;
      default: {
        const std::string at = pick_str({"/mnt", "/dax", "/dev", "/", "/mnt/d", "/a"});
        const std::string where = coin(0.8) ? at : path();
        const Errno e = vfs_.umount(where, Creds::root());
        check(e, "umount");
        (void)p;
        break;
      }
    }
  }

  void scribble(Process& p, uint64_t b) {
    std::vector<std::byte> bytes(kBufLen);
    for (size_t i = 0; i + 8 <= bytes.size(); i += 8) {
      uint64_t v;
      switch (rng_.uniform(6)) {
        case 0:
          v = rng_.next_u64();
          break;
        case 1:
          v = b + rng_.uniform(kBufLen);  // A pointer into the buffer.
          break;
        case 2:
          v = pick({0, 1, 4096, static_cast<uint64_t>(LLONG_MAX), UINT64_MAX, 1ull << 63,
                    0x7ffff000});
          break;
        default:
          v = rng_.uniform(4097);
          break;
      }
      std::memcpy(bytes.data() + i, &v, 8);
    }
    p.store(b, bytes);
  }

  Machine m_;
  Rng rng_;
  SimBlockDevice bdev_;
  SimBlockDevice bdev2_;
  PmemDevice pmem_;
  Vfs vfs_;
  std::vector<std::unique_ptr<Process>> procs_;
  std::vector<std::pair<Process*, uint64_t>> bufs_;
  std::vector<std::pair<Process*, uint64_t>> maps_;
  std::vector<int> fds_;
  std::vector<std::string> known_ = {"/f", "/a", "/a/b", "/a/f", "/d", "/d/f", "/mnt", "/dax",
                                     "/dev", "/p", "/l", "/a/l", "/loop", "f", "a/b"};
  uint64_t ro_page_ = 0;
  bool sane_ = false;

 public:
  // stats: per call, how many succeeded and how many failed.
  std::map<std::string, std::pair<uint64_t, uint64_t>> stats_;
  std::map<std::string, uint64_t> errnos_;
};

class CrashAuditTest : public ::testing::TestWithParam<uint64_t> {};

// The environment may scale a run up for a longer search (the test's
// seeds and length are what CI runs): CRASH_AUDIT_OPS calls per seed,
// CRASH_AUDIT_SEED_BASE added to every seed; CRASH_AUDIT_STATS=1 prints how
// often each call succeeded and with which errnos it failed.
uint64_t env_or(const char* name, uint64_t dflt) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 0) : dflt;
}

TEST_P(CrashAuditTest, EveryCallReturnsAnErrnoOrAValue) {
  Fuzzer f(GetParam() + env_or("CRASH_AUDIT_SEED_BASE", 0));
  f.run(static_cast<int>(env_or("CRASH_AUDIT_OPS", 5000)));
  if (std::getenv("CRASH_AUDIT_STATS") != nullptr) {
    for (const auto& [call, n] : f.stats_) {
      std::fprintf(stderr, "%-16s ok %6llu  failed %6llu\n", call.c_str(),
                   static_cast<unsigned long long>(n.first),
                   static_cast<unsigned long long>(n.second));
    }
    for (const auto& [what, n] : f.errnos_) {
      std::fprintf(stderr, "  %-40s %6llu\n", what.c_str(), static_cast<unsigned long long>(n));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, CrashAuditTest, ::testing::Range<uint64_t>(1, 21));

// Every data call at every edge of loff_t, on every kind of regular file
// (shmfs, the iomap test fs buffered and O_DIRECT, DAX, a memfd):
// exhaustive over small sets of offsets and lengths, where the random
// sequences above rarely land, with the fstat/pread invariant after each.
TEST(CrashAuditEdgesTest, EveryDataCallAtEveryEdgeOfLoffT) {
  Machine m(7, /*keep_trace=*/false);
  m.trace.set_enabled(false);
  SimBlockDevice disk(m, BlockDeviceConfig{.capacity_bytes = 1ull << 30});
  PmemDevice pmem(m, PmemConfig{.size = 768ull << 20});
  Vfs vfs(m);
  register_shmfs(vfs);
  register_iomap_testfs(vfs);
  ASSERT_EQ(vfs.mount("shmfs", nullptr, "size=64m", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  ASSERT_EQ(p.mkdir("/mnt", 0755), Errno::kOk);
  ASSERT_EQ(p.mkdir("/dax", 0755), Errno::kOk);
  ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/mnt", Creds::root()), Errno::kOk);
  ASSERT_EQ(vfs.mount("iomaptest", &pmem, "dax", "/dax", Creds::root()), Errno::kOk);
  const uint64_t buf = *p.mmap(0, 1 << 20, kProtRead | kProtWrite,
                               kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  ASSERT_EQ(p.store(buf, std::vector<std::byte>(1 << 20, std::byte{0x42})), std::nullopt);
  const std::vector<std::pair<std::string, int>> files = {
      {"/f", kO_RDWR}, {"/mnt/f", kO_RDWR}, {"/mnt/d", kO_RDWR | kO_DIRECT}, {"/dax/f", kO_RDWR}};
  const int64_t kMax = LLONG_MAX;
  const int64_t offs[] = {0, 4095, 4096, kMax - 8192, kMax - 4096, kMax - 4095, kMax - 1, kMax,
                          -1, LLONG_MIN};
  const uint64_t lens[] = {0, 1, 4096, 8192, static_cast<uint64_t>(kMax), UINT64_MAX};
  static constexpr int kModes[] = {0, 1, 3, 0x10, 0x11, 8, 0x20, 0x40, 0x80};
  uint64_t calls = 0;
  auto ok = [&](Errno e) {
    ++calls;
    EXPECT_FALSE(errno_name(e).starts_with("E?"));
    EXPECT_NE(e, Errno::kERESTARTSYS);
  };
  auto okr = [&](const auto& r) { ok(r ? Errno::kOk : r.error()); };
  for (const auto& [path, oflags] : files) {
    std::vector<int> fds;
    fds.push_back(*p.open(path, oflags | kO_CREAT, 0644));
    Result<int> mfd = p.memfd_create("edge");
    ASSERT_TRUE(mfd.has_value());
    fds.push_back(*mfd);
    for (const int fd : fds) {
      for (const int64_t off : offs) {
        for (const uint64_t len : lens) {
          const uint64_t n = std::min<uint64_t>(len, 1 << 20);
          okr(p.pwrite(fd, buf, n, off));
          okr(p.pread(fd, buf, n, off));
          const UserIovec iov{buf, n};
          ASSERT_EQ(p.store(buf + (1 << 20) - 16, std::as_bytes(std::span(&iov, 1))), std::nullopt);
          for (const int rwf : {0, kRWF_DSYNC, kRWF_APPEND, kRWF_NOWAIT}) {
            okr(p.pwritev2(fd, buf + (1 << 20) - 16, 1, off, rwf));
            okr(p.preadv2(fd, buf + (1 << 20) - 16, 1, off, rwf));
          }
          for (const int mode : kModes) {
            ok(p.fallocate(fd, mode, off, static_cast<int64_t>(len)));
          }
          ok(p.ftruncate(fd, off));
          for (int whence = 0; whence <= 4; ++whence) okr(p.lseek(fd, off, whence));
          ok(p.fadvise(fd, off, static_cast<int64_t>(len), kPOSIX_FADV_DONTNEED));
          const SpacectlRange rq{off, static_cast<int64_t>(len)};
          ASSERT_EQ(p.store(buf, std::as_bytes(std::span(&rq, 1))), std::nullopt);
          ok(p.fspacectl(fd, kSPACECTL_DEALLOC, buf, 0, buf + 16));
          const UserFiemap fm{.fm_start = static_cast<uint64_t>(off), .fm_length = len,
                              .fm_extent_count = 4};
          ASSERT_EQ(p.store(buf, std::as_bytes(std::span(&fm, 1))), std::nullopt);
          ok(p.ioctl(fd, kFS_IOC_FIEMAP, buf));
          const off_t64 two[2] = {off, off};
          ASSERT_EQ(p.store(buf, std::as_bytes(std::span(two))), std::nullopt);
          okr(p.copy_file_range(fds.front(), buf, fds.back(), buf + 8, len, 0));
          okr(p.sendfile(fds.back(), fds.front(), buf, n));
          if (off >= 0 && off % 4096 == 0) {
            Result<uint64_t> at = p.mmap(0, 8192, kProtRead | kProtWrite, kMAP_SHARED, fd, off);
            okr(at);
            if (at) {
              std::vector<std::byte> b(8192, std::byte{1});
              p.store(*at, b);
              p.load(*at, b);
              ok(p.msync(*at, 8192, kMS_SYNC));
              ok(p.munmap(*at, 8192));
            }
          }
          // The invariant: fstat's size is where reads end.
          Result<Stat> st = p.fstat(fd);
          ASSERT_TRUE(st.has_value());
          ASSERT_LE(st->size, static_cast<uint64_t>(kMax));
          if (!(oflags & kO_DIRECT)) {
            std::vector<std::byte> one(1);
            Result<uint64_t> eof = host::pread(p, fd, one, static_cast<off_t64>(st->size));
            EXPECT_TRUE(!eof || *eof == 0) << path << " size " << st->size;
            if (st->size > 0) {
              Result<uint64_t> last =
                  host::pread(p, fd, one, static_cast<off_t64>(st->size) - 1);
              EXPECT_TRUE(last.has_value() && *last == 1)
                  << path << " size " << st->size << " off " << off << " len " << len << ": "
                  << (last ? std::to_string(*last) : std::string(errno_name(last.error())));
            }
          }
        }
      }
      ok(p.close(fd));
    }
  }
  EXPECT_GT(calls, 10000u);
}

// Every call on every kind of descriptor (and pairs of them for the calls
// that take two): regular files on each filesystem, a directory, O_PATH
// files, directories and symlinks, both ends of a pipe and of a FIFO,
// /dev/null and /dev/zero, a memfd, a closed descriptor.
TEST(CrashAuditEdgesTest, EveryCallOnEveryKindOfDescriptor) {
  Machine m(9, /*keep_trace=*/false);
  m.trace.set_enabled(false);
  SimBlockDevice disk(m, BlockDeviceConfig{.capacity_bytes = 1ull << 30});
  Vfs vfs(m);
  register_shmfs(vfs);
  register_iomap_testfs(vfs);
  ASSERT_EQ(vfs.mount("shmfs", nullptr, "size=64m", "/", Creds::root()), Errno::kOk);
  Process p(vfs, Creds::root());
  ASSERT_EQ(p.mkdir("/mnt", 0755), Errno::kOk);
  ASSERT_EQ(vfs.mount("iomaptest", &disk, "", "/mnt", Creds::root()), Errno::kOk);
  const uint64_t buf = *p.mmap(0, 65536, kProtRead | kProtWrite,
                               kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
  for (const char* f : {"/f", "/mnt/f"}) {
    const int fd = *p.open(f, kO_RDWR | kO_CREAT, 0644);
    ASSERT_TRUE(host::pwrite(p, fd, std::vector<std::byte>(10000, std::byte{3}), 0));
    ASSERT_EQ(p.close(fd), Errno::kOk);
  }
  ASSERT_EQ(p.mkdir("/d", 0755), Errno::kOk);
  ASSERT_EQ(p.mkfifo("/p", 0644), Errno::kOk);
  ASSERT_EQ(p.mkfifo("/mnt/p", 0644), Errno::kOk);
  ASSERT_EQ(p.symlink("f", "/l"), Errno::kOk);
  ASSERT_EQ(p.mknod("/null", kS_IFCHR | 0666, kDevNull), Errno::kOk);
  ASSERT_EQ(p.mknod("/mnt/zero", kS_IFCHR | 0666, kDevZero), Errno::kOk);
  std::vector<int> fds;
  for (const auto& [path, flags] : std::vector<std::pair<const char*, int>>{
           {"/f", kO_RDWR}, {"/f", kO_RDONLY | kO_APPEND}, {"/mnt/f", kO_RDWR},
           {"/mnt/f", kO_RDWR | kO_DIRECT}, {"/d", kO_RDONLY | kO_DIRECTORY}, {"/f", kO_PATH},
           {"/d", kO_PATH}, {"/l", kO_PATH | kO_NOFOLLOW}, {"/p", kO_RDWR},
           {"/mnt/p", kO_RDONLY | kO_NONBLOCK}, {"/null", kO_RDWR}, {"/mnt/zero", kO_RDWR},
           {"/mnt", kO_RDONLY | kO_DIRECTORY}}) {
    Result<int> fd = p.open(path, flags, 0644);
    ASSERT_TRUE(fd.has_value()) << path << ": " << errno_name(fd.error());
    fds.push_back(*fd);
  }
  Result<std::pair<int, int>> pipe = p.pipe2(kO_NONBLOCK);
  ASSERT_TRUE(pipe.has_value());
  fds.push_back(pipe->first);
  fds.push_back(pipe->second);
  fds.push_back(*p.memfd_create("m"));
  fds.push_back(999);  // Never open.
  uint64_t calls = 0;
  auto ok = [&](Errno e) {
    ++calls;
    EXPECT_FALSE(errno_name(e).starts_with("E?"));
    EXPECT_NE(e, Errno::kERESTARTSYS);
  };
  auto okr = [&](const auto& r) { ok(r ? Errno::kOk : r.error()); };
  static constexpr unsigned long kCmds[] = {kFS_IOC_GETFLAGS, kFS_IOC_SETFLAGS, kFS_IOC_FSGETXATTR,
                                            kFS_IOC_FSSETXATTR, kFS_IOC_FIEMAP, kFICLONERANGE,
                                            kFIDEDUPERANGE, kFIGETBSZ, kFIOCLEX, 0x1234};
  for (const int fd : fds) {
    p.store(buf, std::vector<std::byte>(4096));  // Zeroed argument structures.
    okr(p.read(fd, buf, 4096));
    okr(p.write(fd, buf, 100));
    okr(p.pread(fd, buf, 100, 0));
    okr(p.pwrite(fd, buf, 100, 5000));
    okr(p.lseek(fd, 0, kSEEK_END));
    okr(p.lseek(fd, 1, kSEEK_DATA));
    ok(p.ftruncate(fd, 100));
    ok(p.fsync(fd));
    ok(p.fdatasync(fd));
    ok(p.syncfs(fd));
    ok(p.fstatfs(fd, buf));
    for (int mode : {0, 1, 3, 0x10, 8, 0x20}) ok(p.fallocate(fd, mode, 0, 4096));
    okr(p.fstat(fd));
    okr(p.fstatat(fd, "", kAT_EMPTY_PATH));
    okr(p.fstatat(fd, "f", 0));
    Result<int> sub = p.openat(fd, "f", kO_RDONLY);
    okr(sub);
    if (sub) ok(p.close(*sub));
    ok(p.mkdirat(fd, "sub", 0755));
    okr(p.readlinkat(fd, "", buf, 100));
    ok(p.fchmod(fd, 0644));
    ok(p.fchown(fd, 0, 0));
    ok(p.futimens(fd, 0));
    ok(p.fsetxattr(fd, "user.k", buf, 4, 0));
    okr(p.fgetxattr(fd, "user.k", buf, 100));
    okr(p.flistxattr(fd, buf, 100));
    ok(p.fremovexattr(fd, "user.k"));
    ok(p.flock(fd, kLOCK_EX | kLOCK_NB));
    ok(p.flock(fd, kLOCK_UN));
    okr(p.getdents64(fd, buf, 4096));
    ok(p.fadvise(fd, 0, 0, kPOSIX_FADV_DONTNEED));
    for (const unsigned long cmd : kCmds) ok(p.ioctl(fd, cmd, buf));
    for (int cmd : {0, 1, 2, 3, 4, 1030, 1033, 1034}) {
      Result<int64_t> r = p.fcntl(fd, cmd, 0);
      okr(r);
      if (r && (cmd == kF_DUPFD || cmd == kF_DUPFD_CLOEXEC)) ok(p.close(static_cast<int>(*r)));
    }
    okr(p.fcntl_getfl(fd));
    ok(p.fcntl_setfl(fd, kO_APPEND | kO_DIRECT));
    ok(p.fcntl_setfl(fd, 0));
    const SpacectlRange rq{0, 4096};
    p.store(buf, std::as_bytes(std::span(&rq, 1)));
    ok(p.fspacectl(fd, kSPACECTL_DEALLOC, buf, 0, buf + 16));
    for (int flags : {kMAP_SHARED, kMAP_PRIVATE}) {
      Result<uint64_t> at = p.mmap(0, 8192, kProtRead | kProtWrite, flags, fd, 0);
      okr(at);
      if (at) {
        std::vector<std::byte> b(16);
        p.load(*at, b);
        p.store(*at, b);
        ok(p.msync(*at, 8192, kMS_SYNC));
        ok(p.munmap(*at, 8192));
      }
    }
    for (const int other : fds) {
      okr(p.copy_file_range(fd, 0, other, 0, 4096, 0));
      okr(p.sendfile(other, fd, 0, 4096));
      okr(p.splice(fd, 0, other, 0, 4096, kSPLICE_F_NONBLOCK));
      ok(p.ioctl(other, kFICLONE, static_cast<uint64_t>(fd)));
    }
    Result<int> dup = p.dup(fd);
    okr(dup);
    if (dup) ok(p.close(*dup));
    ok(p.fchdir(fd));
    ok(p.chdir("/"));
  }
  for (const int fd : fds) ok(p.close(fd));
  EXPECT_GT(calls, 2000u);
  EXPECT_EQ(vfs.umount("/mnt", Creds::root()), Errno::kOk);
}

}  // namespace
}  // namespace vfssim
