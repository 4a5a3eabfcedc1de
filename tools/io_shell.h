// IoShell: `vfssim io`, an xfs_io-compatible shell over a fresh simulated
// filesystem. Each line is parsed into the op language (harness/command.h)
// and run as xfs_io 6.1 runs it, printing what xfs_io prints, on the same
// stream, and setting the same exit status.
//
//   ShellConfig cfg;                        // XFS on a 1 GiB block device
//   std::ostringstream out, err;
//   absl::StatusOr<std::unique_ptr<IoShell>> sh = IoShell::create(cfg, out, err);
//   (*sh)->open_files({"file"}, Op::letter('f'));
//   (*sh)->run_line("pwrite -S 0xab 0 64k", /*iterate=*/true);
//   (*sh)->exitcode();                      // 0
//
// The filesystem is mounted at /mnt in the simulated namespace, which is the
// shell's working directory: file names are relative to it, as a script run
// from a real mount point's directory names them. What differs from xfs_io
// on purpose is listed in docs/shell.md.

#ifndef VFSSIM_TOOLS_IO_SHELL_H_
#define VFSSIM_TOOLS_IO_SHELL_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "drivers/blockdev.h"
#include "drivers/pmem.h"
#include "harness/command.h"
#include "harness/op.h"
#include "sim/machine.h"
#include "vfs/mount.h"
#include "vfs/process.h"

namespace vfssim {

struct ShellConfig {
  std::string fs = "xfs";    // xfs, or shmfs (tmpfs is a name for it).
  std::string dev = "blk";   // blk or pmem (xfs only).
  uint64_t size = 1ull << 30;
  std::string mkfs_opts;     // mkfs.xfs's syntax: "-b size=1024 -m reflink=0".
  std::string mount_opts;    // mount(8)'s -o: "dax=always".
  uint64_t seed = 1;
  // API variants set before mkfs and mount (NAME, VALUE), as `variant set`
  // would set them later.
  std::vector<std::pair<std::string, std::string>> variants;
};

class IoShell {
 public:
  // create makes the device, mkfs, mounts at /mnt and enters it. Errors:
  // InvalidArgument for a filesystem, device, size or option the model does
  // not have (the message says which).
  static absl::StatusOr<std::unique_ptr<IoShell>> create(const ShellConfig& cfg, std::ostream& out,
                                                         std::ostream& err);

  // open_files opens xfs_io's FILE arguments with its command-line flags
  // (letters as open's: f r a d s t n ...). false: one failed (xfs_io has
  // printed why and exits 1).
  bool open_files(const std::vector<std::string>& paths, uint64_t flags, int mode = 0600);

  // run_line runs one command line; iterate: a -c command, which runs on
  // every open file unless the command is one-shot. Returns true when the
  // shell is done (quit).
  bool run_line(std::string_view line, bool iterate);

  // run runs a parsed op on the current file (file index op.file is not
  // consulted: the shell's current file is). Returns true on quit.
  bool run(const Op& op);

  int exitcode() const { return exitcode_; }
  // fsck: what the mounted filesystem's check() finds wrong (empty: clean).
  std::vector<std::string> fsck() const;
  Machine& machine() { return machine_; }
  Process& process() { return process_; }

 private:
  struct OpenFile {
    int fd = -1;
    std::string name;
    uint64_t flags = 0;  // open's letters; 'F' foreign (not XFS).
    uint64_t blocksize = 4096;
    uint64_t sectsize = 512;
  };
  struct Mapping {
    uint64_t addr = 0;
    int64_t length = 0;
    int64_t offset = 0;
    std::string name;
    int prot = 0;
    int flags = 0;
  };

  IoShell(const ShellConfig& cfg, std::ostream& out, std::ostream& err);
  absl::Status setup();

  ParseContext context() const;
  bool check(const CommandSpec& spec);
  void perror(std::string_view what, Errno e);
  void fail() { exitcode_ = 1; }
  OpenFile& cur() { return files_[cur_]; }
  bool is_foreign() const { return has_file() && (files_[cur_].flags & Op::letter('F')) != 0; }
  bool has_file() const { return cur_ >= 0 && cur_ < static_cast<int>(files_.size()); }

  // The commands.
  int openfile(const std::string& path, uint64_t flags, int mode);
  void addfile(const std::string& path, int fd, uint64_t flags);
  void cmd_open(const Op& op);
  void cmd_close();
  void cmd_file(const Op& op);
  void filelist();
  void maplist();
  void cmd_pwrite(const Op& op);
  void cmd_pread(const Op& op);
  void cmd_fallocate(const Op& op, std::string_view what);
  void cmd_stat(const Op& op);
  void cmd_statfs(const Op& op);
  void cmd_fiemap(const Op& op);
  void cmd_seek(const Op& op);
  void cmd_remap(const Op& op);
  void cmd_copy_range(const Op& op);
  void cmd_chattr(const Op& op);
  void cmd_lsattr(const Op& op);
  void cmd_mmap(const Op& op);
  void cmd_mread(const Op& op);
  void cmd_mwrite(const Op& op);
  void cmd_msync(const Op& op);
  void cmd_munmap();
  void cmd_madvise(const Op& op);
  // mapping_range: the range of the current mapping an mread, mwrite,
  // msync or madvise names (all of it without operands); false (and
  // xfs_io's message printed) when it lies outside the mapping.
  bool mapping_range(const Op& op, int64_t* offset, int64_t* length);
  void cmd_extsize(const Op& op);
  void cmd_help(const Op& op);
  void cmd_vfssim(const Op& op);
  void dump_buffer(std::span<const std::byte> buf, int64_t offset);
  bool buffer_fits(uint64_t bsize, uint64_t total);
  void report_io_times(std::string_view verb, uint64_t ns, int64_t offset, int64_t count,
                       int64_t total, int ops);

  ShellConfig cfg_;
  std::ostream& out_;
  std::ostream& err_;
  Machine machine_;
  Vfs vfs_;
  Process process_;
  std::unique_ptr<BlockDevice> dev_;
  PmemDevice* pmem_ = nullptr;
  Superblock* mounted_ = nullptr;  // The filesystem at /mnt.
  std::vector<OpenFile> files_;
  int cur_ = -1;
  std::vector<Mapping> maps_;
  int curmap_ = -1;
  int exitcode_ = 0;
  int vectors_ = 0;  // pwrite/pread -V: kept for later commands, as xfs_io keeps it.
  int max_extents_ = -1;  // fiemap -n: kept too.
  bool killed_ = false;   // A signal ended the process (exitcode_ = 128 + signo).
  bool stop_ = false;     // A command's non-zero return ended the command loop.
  uint64_t next_op_ = 0;  // The fault injector's op number of the next command.
};

// strerror_text is glibc's strerror for a Linux errno (perror's text).
std::string strerror_text(Errno e);

// cvtstr and timestr format sizes and durations as xfs_io's report does.
std::string cvtstr(double value);
std::string timestr(uint64_t ns);

}  // namespace vfssim

#endif  // VFSSIM_TOOLS_IO_SHELL_H_
