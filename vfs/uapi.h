// The user-visible ABI of the simulated kernel: open flags, whence values,
// fallocate modes, fspacectl's command and range, ioctl numbers and inode
// flags. Values are Linux's (FreeBSD's for fspacectl, which only FreeBSD has),
// so a trace or a shell session reads like the real thing.

#ifndef VFSSIM_VFS_UAPI_H_
#define VFSSIM_VFS_UAPI_H_

#include <cstdint>
#include <vector>
#include <limits>

namespace vfssim {

using off_t64 = int64_t;
inline constexpr off_t64 kOffMax = std::numeric_limits<int64_t>::max();

// open(2) flags.
inline constexpr int kO_RDONLY = 0;
inline constexpr int kO_WRONLY = 1;
inline constexpr int kO_RDWR = 2;
inline constexpr int kO_ACCMODE = 3;
inline constexpr int kO_CREAT = 0100;
inline constexpr int kO_EXCL = 0200;
inline constexpr int kO_NOCTTY = 0400;
inline constexpr int kO_TRUNC = 01000;
inline constexpr int kO_APPEND = 02000;
inline constexpr int kO_NONBLOCK = 04000;
inline constexpr int kO_DSYNC = 010000;
inline constexpr int k__O_SYNC = 04000000;
inline constexpr int kO_SYNC = k__O_SYNC | kO_DSYNC;
inline constexpr int kO_DIRECT = 040000;
inline constexpr int kO_DIRECTORY = 0200000;
inline constexpr int kO_NOATIME = 01000000;
inline constexpr int kFASYNC = 020000;
inline constexpr int kO_LARGEFILE = 0100000;  // Forced on by open(2) on 64-bit.
inline constexpr int kO_NOFOLLOW = 0400000;
inline constexpr int kO_CLOEXEC = 02000000;
inline constexpr int kO_PATH = 010000000;      // A location only: no data access.
inline constexpr int k__O_TMPFILE = 020000000;
inline constexpr int kO_TMPFILE = k__O_TMPFILE | kO_DIRECTORY;
// VALID_OPEN_FLAGS: the bits open(2) knows; it drops any other silently.
inline constexpr int kVALID_OPEN_FLAGS =
    kO_ACCMODE | kO_CREAT | kO_EXCL | kO_NOCTTY | kO_TRUNC | kO_APPEND | kO_NONBLOCK |
    k__O_SYNC | kO_DSYNC | kFASYNC | kO_DIRECT | kO_LARGEFILE | kO_DIRECTORY | kO_NOFOLLOW |
    kO_NOATIME | kO_CLOEXEC | kO_PATH | k__O_TMPFILE;
// O_PATH_FLAGS: the only flags open(2) keeps next to O_PATH.
inline constexpr int kO_PATH_FLAGS = kO_DIRECTORY | kO_NOFOLLOW | kO_PATH | kO_CLOEXEC;

// *at(2) directory descriptor and flags.
inline constexpr int kAT_FDCWD = -100;
inline constexpr int kAT_SYMLINK_NOFOLLOW = 0x100;
inline constexpr int kAT_REMOVEDIR = 0x200;
inline constexpr int kAT_SYMLINK_FOLLOW = 0x400;
inline constexpr int kAT_EMPTY_PATH = 0x1000;
// PATH_MAX: the longest path (with its NUL) a syscall copies in.
inline constexpr uint64_t kPathMax = 4096;

// fcntl(2) commands and descriptor flags.
inline constexpr int kF_DUPFD = 0;
inline constexpr int kF_GETFD = 1;
inline constexpr int kF_SETFD = 2;
inline constexpr int kF_GETFL = 3;
inline constexpr int kF_SETFL = 4;
inline constexpr int kF_GETLK = 5;
inline constexpr int kF_SETLK = 6;
inline constexpr int kF_SETLKW = 7;
inline constexpr int kF_OFD_GETLK = 36;
inline constexpr int kF_OFD_SETLK = 37;
inline constexpr int kF_OFD_SETLKW = 38;
inline constexpr int kF_SETLEASE = 1024;
inline constexpr int kF_GETLEASE = 1025;
inline constexpr int kF_DUPFD_CLOEXEC = 1030;
inline constexpr int kF_ADD_SEALS = 1033;
inline constexpr int kF_GET_SEALS = 1034;
inline constexpr int kFD_CLOEXEC = 1;

// flock(2) operations.
inline constexpr int kLOCK_SH = 1;
inline constexpr int kLOCK_EX = 2;
inline constexpr int kLOCK_NB = 4;
inline constexpr int kLOCK_UN = 8;

// renameat2(2) flags (include/uapi/linux/fs.h).
inline constexpr unsigned kRENAME_NOREPLACE = 1u << 0;  // Don't overwrite the target.
inline constexpr unsigned kRENAME_EXCHANGE = 1u << 1;   // Exchange source and target.
inline constexpr unsigned kRENAME_WHITEOUT = 1u << 2;   // Leave a whiteout at the source.

// struct timespec as utimensat(2) reads it, and its two special nsec values.
struct UserTimespec {
  int64_t tv_sec;
  int64_t tv_nsec;
};
static_assert(sizeof(UserTimespec) == 16);
inline constexpr int64_t kUTIME_NOW = (int64_t{1} << 30) - 1;
inline constexpr int64_t kUTIME_OMIT = (int64_t{1} << 30) - 2;

// Extended attributes (include/uapi/linux/xattr.h, limits.h).
inline constexpr int kXATTR_CREATE = 1;
inline constexpr int kXATTR_REPLACE = 2;
inline constexpr uint64_t kXATTR_NAME_MAX = 255;
inline constexpr uint64_t kXATTR_SIZE_MAX = 65536;
inline constexpr uint64_t kXATTR_LIST_MAX = 65536;
// struct xattr_args (getxattrat/setxattrat, Linux 6.13).
struct XattrArgs {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};
static_assert(sizeof(XattrArgs) == 16);

// struct statfs (x86-64) and its f_flags (ST_*), with the magic numbers of
// the filesystems this project models or stands in for.
struct UserStatfs {
  int64_t f_type;
  int64_t f_bsize;
  uint64_t f_blocks;
  uint64_t f_bfree;
  uint64_t f_bavail;
  uint64_t f_files;
  uint64_t f_ffree;
  int32_t f_fsid[2];
  int64_t f_namelen;
  int64_t f_frsize;
  int64_t f_flags;
  int64_t f_spare[4];
};
static_assert(sizeof(UserStatfs) == 120);
inline constexpr int64_t kST_RDONLY = 0x0001;
inline constexpr int64_t kST_VALID = 0x0020;  // f_flags is filled in at all.
inline constexpr int64_t kST_RELATIME = 0x1000;
inline constexpr int64_t kTMPFS_MAGIC = 0x01021994;
inline constexpr int64_t kXFS_SUPER_MAGIC = 0x58465342;
inline constexpr int64_t kPIPEFS_MAGIC = 0x50495045;
// F_SETFL may change these (SETFL_MASK).
inline constexpr int kSETFL_MASK = kO_APPEND | kO_NONBLOCK | kO_DIRECT | kO_NOATIME;

// posix_fadvise(2) advice.
inline constexpr int kPOSIX_FADV_NORMAL = 0;
inline constexpr int kPOSIX_FADV_RANDOM = 1;
inline constexpr int kPOSIX_FADV_SEQUENTIAL = 2;
inline constexpr int kPOSIX_FADV_WILLNEED = 3;
inline constexpr int kPOSIX_FADV_DONTNEED = 4;
inline constexpr int kPOSIX_FADV_NOREUSE = 5;

// splice(2) flags (SPLICE_F_ALL).
inline constexpr unsigned kSPLICE_F_MOVE = 0x01;
inline constexpr unsigned kSPLICE_F_NONBLOCK = 0x02;
inline constexpr unsigned kSPLICE_F_MORE = 0x04;
inline constexpr unsigned kSPLICE_F_GIFT = 0x08;
inline constexpr unsigned kSPLICE_F_ALL = kSPLICE_F_MOVE | kSPLICE_F_NONBLOCK | kSPLICE_F_MORE |
                                          kSPLICE_F_GIFT;

// lseek(2) whence.
inline constexpr int kSEEK_SET = 0;
inline constexpr int kSEEK_CUR = 1;
inline constexpr int kSEEK_END = 2;
inline constexpr int kSEEK_DATA = 3;
inline constexpr int kSEEK_HOLE = 4;

// preadv2/pwritev2 flags (Linux 6.18's RWF_SUPPORTED). kiocb_set_rw_flags
// turns them into IOCB flags; nothing below the VFS sees these ints.
inline constexpr int kRWF_HIPRI = 0x01;
inline constexpr int kRWF_DSYNC = 0x02;
inline constexpr int kRWF_SYNC = 0x04;
inline constexpr int kRWF_NOWAIT = 0x08;
inline constexpr int kRWF_APPEND = 0x10;
inline constexpr int kRWF_NOAPPEND = 0x20;
inline constexpr int kRWF_ATOMIC = 0x40;
inline constexpr int kRWF_DONTCACHE = 0x80;
inline constexpr int kRWF_NOSIGNAL = 0x100;  // Pipes and sockets only; accepted elsewhere.
inline constexpr int kRWF_SUPPORTED = kRWF_HIPRI | kRWF_DSYNC | kRWF_SYNC | kRWF_NOWAIT |
                                      kRWF_APPEND | kRWF_NOAPPEND | kRWF_ATOMIC |
                                      kRWF_DONTCACHE | kRWF_NOSIGNAL;

// MAX_RW_COUNT: one read or write moves at most INT_MAX rounded down to a
// page; larger counts are clipped, not refused.
inline constexpr uint64_t kMaxRwCount = 0x7ffff000;
// UIO_MAXIOV: the most iovec entries one readv/writev takes.
inline constexpr int kUioMaxIov = 1024;

// struct iovec as it lies in user memory (x86-64): base, then length.
struct UserIovec {
  uint64_t iov_base;
  uint64_t iov_len;
};
static_assert(sizeof(UserIovec) == 16);

// fallocate(2) modes (include/uapi/linux/falloc.h). Allocation is "no bit".
inline constexpr int kFALLOC_FL_ALLOCATE_RANGE = 0x00;
inline constexpr int kFALLOC_FL_KEEP_SIZE = 0x01;
inline constexpr int kFALLOC_FL_PUNCH_HOLE = 0x02;
inline constexpr int kFALLOC_FL_NO_HIDE_STALE = 0x04;  // Never valid: EOPNOTSUPP.
inline constexpr int kFALLOC_FL_COLLAPSE_RANGE = 0x08;
inline constexpr int kFALLOC_FL_ZERO_RANGE = 0x10;
inline constexpr int kFALLOC_FL_INSERT_RANGE = 0x20;
inline constexpr int kFALLOC_FL_UNSHARE_RANGE = 0x40;
// Linux 6.17: allocate written, zeroed extents (the device's WRITE_ZEROES).
inline constexpr int kFALLOC_FL_WRITE_ZEROES = 0x80;
inline constexpr int kFALLOC_FL_MODE_MASK =
    kFALLOC_FL_PUNCH_HOLE | kFALLOC_FL_COLLAPSE_RANGE | kFALLOC_FL_ZERO_RANGE |
    kFALLOC_FL_INSERT_RANGE | kFALLOC_FL_UNSHARE_RANGE | kFALLOC_FL_WRITE_ZEROES;
// Prototype from seed 004 (patch 3/5), which gave it 0x80 before upstream
// gave 0x80 to WRITE_ZEROES. Here it has its own bit outside the upstream
// mask, and the seed's rule: EINVAL unless exactly ZEROINIT|KEEP_SIZE.
inline constexpr int kFALLOC_FL_ZEROINIT_RANGE = 0x100;

// fspacectl(2) (FreeBSD sys/fcntl.h).
inline constexpr int kSPACECTL_DEALLOC = 1;
inline constexpr int kSPACECTL_F_SUPPORTED = 0;

// struct spacectl_range: two off_t. Its layout is the same on 32- and 64-bit
// ABIs, so a compat32 syscall can share it (seed 000's review asks for the
// assertion to say exactly that).
struct SpacectlRange {
  off_t64 r_offset;
  off_t64 r_len;
  friend bool operator==(const SpacectlRange&, const SpacectlRange&) = default;
};
static_assert(sizeof(SpacectlRange) == 16 && alignof(SpacectlRange) == 8,
              "spacectl_range must have one layout on every ABI (compat32)");

// Mode bits beyond rwx (include/uapi/linux/stat.h).
inline constexpr uint32_t kS_ISVTX = 01000;  // Sticky: restricted deletion.
// File types in a mode (S_IFMT), as mknod(2) takes them.
inline constexpr uint32_t kS_IFMT = 0170000;
inline constexpr uint32_t kS_IFSOCK = 0140000;
inline constexpr uint32_t kS_IFREG = 0100000;
inline constexpr uint32_t kS_IFBLK = 0060000;
inline constexpr uint32_t kS_IFDIR = 0040000;
inline constexpr uint32_t kS_IFCHR = 0020000;
inline constexpr uint32_t kS_IFIFO = 0010000;

// ioctl numbers (Linux x86-64).
inline constexpr unsigned long kFS_IOC_GETFLAGS = 0x80086601;
inline constexpr unsigned long kFS_IOC_SETFLAGS = 0x40086602;
inline constexpr unsigned long kFS_IOC_FSGETXATTR = 0x801c581f;
inline constexpr unsigned long kFS_IOC_FSSETXATTR = 0x401c5820;
inline constexpr unsigned long kFS_IOC_FIEMAP = 0xc020660b;
inline constexpr unsigned long kFICLONE = 0x40049409;
inline constexpr unsigned long kFICLONERANGE = 0x4020940d;
inline constexpr unsigned long kFIDEDUPERANGE = 0xc0189436;
inline constexpr unsigned long kFIONCLEX = 0x5450;
inline constexpr unsigned long kFIOCLEX = 0x5451;
inline constexpr unsigned long kFIGETBSZ = 2;  // _IO(0x00, 2): the block size, an int.

// Inode flags (FS_IOC_GETFLAGS; include/uapi/linux/fs.h).
inline constexpr uint32_t kFS_IMMUTABLE_FL = 0x00000010;
inline constexpr uint32_t kFS_APPEND_FL = 0x00000020;
inline constexpr uint32_t kFS_NODUMP_FL = 0x00000040;
inline constexpr uint32_t kFS_NOATIME_FL = 0x00000080;
// fsxattr.fsx_xflags.
inline constexpr uint32_t kFS_XFLAG_REALTIME = 0x00000001;
inline constexpr uint32_t kFS_XFLAG_PREALLOC = 0x00000002;
inline constexpr uint32_t kFS_XFLAG_IMMUTABLE = 0x00000008;
inline constexpr uint32_t kFS_XFLAG_APPEND = 0x00000010;
inline constexpr uint32_t kFS_XFLAG_SYNC = 0x00000020;
inline constexpr uint32_t kFS_XFLAG_NOATIME = 0x00000040;
inline constexpr uint32_t kFS_XFLAG_NODUMP = 0x00000080;
inline constexpr uint32_t kFS_XFLAG_RTINHERIT = 0x00000100;
inline constexpr uint32_t kFS_XFLAG_PROJINHERIT = 0x00000200;
inline constexpr uint32_t kFS_XFLAG_NOSYMLINKS = 0x00000400;
inline constexpr uint32_t kFS_XFLAG_EXTSIZE = 0x00000800;
inline constexpr uint32_t kFS_XFLAG_EXTSZINHERIT = 0x00001000;
inline constexpr uint32_t kFS_XFLAG_NODEFRAG = 0x00002000;
inline constexpr uint32_t kFS_XFLAG_FILESTREAM = 0x00004000;
inline constexpr uint32_t kFS_XFLAG_DAX = 0x00008000;
inline constexpr uint32_t kFS_XFLAG_COWEXTSIZE = 0x00010000;
inline constexpr uint32_t kFS_XFLAG_HASATTR = 0x80000000;
// The flags every filesystem with fileattr takes (FS_XFLAG_COMMON).
inline constexpr uint32_t kFS_XFLAG_COMMON = kFS_XFLAG_SYNC | 0x00000008 | 0x00000010 |
                                             0x00000040 | 0x00000080 | kFS_XFLAG_DAX;

// struct fsxattr.
struct FsXattr {
  uint32_t fsx_xflags = 0;
  uint32_t fsx_extsize = 0;
  uint32_t fsx_nextents = 0;
  uint32_t fsx_projid = 0;
  uint32_t fsx_cowextsize = 0;
  unsigned char fsx_pad[8] = {};
};
static_assert(sizeof(FsXattr) == 28);

// struct file_clone_range (FICLONERANGE).
struct FileCloneRange {
  int64_t src_fd;
  uint64_t src_offset;
  uint64_t src_length;
  uint64_t dest_offset;
};
static_assert(sizeof(FileCloneRange) == 32);

// struct file_dedupe_range (FIDEDUPERANGE): this header, followed in memory
// by dest_count FileDedupeRangeInfo records, as in the uapi.
struct FileDedupeRange {
  uint64_t src_offset;
  uint64_t src_length;
  uint16_t dest_count;
  uint16_t reserved1;
  uint32_t reserved2;
};
// struct file_dedupe_range_info: one destination and its outcome.
struct FileDedupeRangeInfo {
  int64_t dest_fd;
  uint64_t dest_offset;
  uint64_t bytes_deduped;
  int32_t status;  // kFILE_DEDUPE_RANGE_SAME/DIFFERS, or -errno.
  uint32_t reserved;
};
static_assert(sizeof(FileDedupeRange) == 24 && sizeof(FileDedupeRangeInfo) == 32);
inline constexpr int32_t kFILE_DEDUPE_RANGE_SAME = 0;
inline constexpr int32_t kFILE_DEDUPE_RANGE_DIFFERS = 1;

// FS_IOC_FIEMAP (include/uapi/linux/fiemap.h). Fiemap is struct fiemap with
// its trailing fm_extents[] array held in a vector: the caller sets
// fm_extent_count, and fm_extents receives at most that many.
inline constexpr uint32_t kFIEMAP_FLAG_SYNC = 0x1;   // Write back dirty data first.
inline constexpr uint32_t kFIEMAP_FLAG_XATTR = 0x2;  // Map the xattr tree.
inline constexpr uint32_t kFIEMAP_FLAG_CACHE = 0x4;  // Request caching (ext4).
inline constexpr uint32_t kFIEMAP_EXTENT_LAST = 0x1;
inline constexpr uint32_t kFIEMAP_EXTENT_UNKNOWN = 0x2;
inline constexpr uint32_t kFIEMAP_EXTENT_DELALLOC = 0x4;
inline constexpr uint32_t kFIEMAP_EXTENT_NOT_ALIGNED = 0x100;
inline constexpr uint32_t kFIEMAP_EXTENT_DATA_INLINE = 0x200;
inline constexpr uint32_t kFIEMAP_EXTENT_UNWRITTEN = 0x800;
inline constexpr uint32_t kFIEMAP_EXTENT_MERGED = 0x1000;
inline constexpr uint32_t kFIEMAP_EXTENT_SHARED = 0x2000;

struct FiemapExtent {
  uint64_t fe_logical = 0;
  uint64_t fe_physical = 0;
  uint64_t fe_length = 0;
  uint32_t fe_flags = 0;
  bool operator==(const FiemapExtent&) const = default;
};

struct Fiemap {
  uint64_t fm_start = 0;
  uint64_t fm_length = 0;
  uint32_t fm_flags = 0;
  uint32_t fm_mapped_extents = 0;  // Out: extents found (or counted).
  uint32_t fm_extent_count = 0;    // In: room in fm_extents; 0 only counts.
  std::vector<FiemapExtent> fm_extents;
};

// struct fiemap and struct fiemap_extent as they lie in user memory: the
// header, then fm_extent_count extents. The VFS copies between these and
// the kernel's Fiemap.
struct UserFiemap {
  uint64_t fm_start = 0;
  uint64_t fm_length = 0;
  uint32_t fm_flags = 0;
  uint32_t fm_mapped_extents = 0;
  uint32_t fm_extent_count = 0;
  uint32_t fm_reserved = 0;
};
struct UserFiemapExtent {
  uint64_t fe_logical = 0;
  uint64_t fe_physical = 0;
  uint64_t fe_length = 0;
  uint64_t fe_reserved64[2] = {};
  uint32_t fe_flags = 0;
  uint32_t fe_reserved[3] = {};
};
static_assert(sizeof(UserFiemap) == 32 && sizeof(UserFiemapExtent) == 56);
// FIEMAP_MAX_EXTENTS: UINT_MAX / sizeof(struct fiemap_extent).
inline constexpr uint32_t kFiemapMaxExtents = 0xffffffffu / sizeof(UserFiemapExtent);

// memfd/shm seals (F_ADD_SEALS).
inline constexpr uint32_t kF_SEAL_SEAL = 0x0001;
inline constexpr uint32_t kF_SEAL_SHRINK = 0x0002;
inline constexpr uint32_t kF_SEAL_GROW = 0x0004;
inline constexpr uint32_t kF_SEAL_WRITE = 0x0008;

}  // namespace vfssim

#endif  // VFSSIM_VFS_UAPI_H_
