// remap_probe: records how the host kernel checks FICLONE, FICLONERANGE and
// FIDEDUPERANGE (ioctl_file_clone, vfs_clone_file_range, remap_verify_area,
// do_clone_file_range, generic_remap_file_range_prep / generic_remap_checks /
// generic_remap_check_len, vfs_dedupe_file_range, vfs_dedupe_file_range_one),
// on one filesystem and across to a second one.
//
//   remap_probe DIR FSNAME
//
// prints one JSON object per case on stdout:
//
//   {"fs":FSNAME,"case":NAME,"ret":R,"errno":"ENAME"|"","size_out":S,
//    "data_ok":true|false|null,"infos":[...]}
//
// ret      the ioctl's return; -1 on error. errno: symbolic when ret < 0, else
//          "" (ENOTSUP prints as EOPNOTSUPP).
// size_out FICLONE/FICLONERANGE: fstat(ioctl fd).st_size after the call when
//          that fd is a regular file, else -1. FIDEDUPERANGE: st_size of the
//          first info's destination when it is a regular file, else -1.
// data_ok  clone cases: null when the destination is not a regular file;
//          else, with L = the clone length (src_length, or for 0 / FICLONE
//          the source size minus src_offset, 0 if negative) taken before the
//          call: when ret == 0 the destination's size is max(old size,
//          dest_offset+L) and its content the old content, zero-filled up to
//          dest_offset, with source bytes src_offset..+L laid at dest_offset;
//          when ret < 0 it is unchanged (checked over the first 64 KiB and
//          over the L bytes). Dedupe cases: the source and every regular
//          destination named in the infos are unchanged (size and first 64
//          KiB; dedupe never changes data).
// infos    dedupe cases only: for each info record (when dest_count <= 8,
//          else []), {"status":S,"bytes_deduped":B} as read back after the
//          call. Before the call every record's status is preset to 23130
//          (0x5a5a) and bytes_deduped to 57005 (0xdead), so presets seen
//          afterwards mean the kernel did not copy the records back.
//          status: 0 FILE_DEDUPE_RANGE_SAME, 1 FILE_DEDUPE_RANGE_DIFFERS,
//          negative = -errno (-9 EBADF, -18 EXDEV, -21 EISDIR, -22 EINVAL,
//          -1 EPERM).
// shared_bytes  dedupe cases whose first info names a regular file, with
//          dest_offset >= 0 and 0 < src_length <= 65536: how many bytes of
//          that destination's [dest_offset, dest_offset+src_length) FIEMAP
//          (FIEMAP_FLAG_SYNC) reports in FIEMAP_EXTENT_SHARED extents after
//          the call, i.e. what was really deduplicated (or was shared
//          before); null where there is no FIEMAP (tmpfs). Absent otherwise.
//
// M is DIR's filesystem's s_maxbytes (case find_maxbytes, extra maxbytes; its
// other fields are zero/null), found as the largest length ftruncate accepts.
// LLMAX = LLONG_MAX. "2^63-4096" etc. are exact offsets.
//
// Setup, fresh for every case: src = "DIR/src", 16384 bytes, byte i =
// 'A' + i % 26; dst = "DIR/dst", 16384 bytes, byte i = 'a' + i % 26 (differs
// from src everywhere); same = "DIR/same", a byte-for-byte copy of src. All
// three written, fsynced, and opened O_RDWR. OTHER is a tmpfs (size=16m) the
// probe mounts once on a mkdtemp directory /tmp/remap-other.XXXXXX and
// unmounts (lazily if busy) and removes on exit or a fatal signal; "OTHER/o"
// is made per case, a copy of src. Descriptor 1000 is never open. fifo =
// mkfifo("DIR/p") opened O_RDWR|O_NONBLOCK; pipe = pipe2(O_NONBLOCK); dir =
// open(DIR, O_RDONLY|O_DIRECTORY). After each case every descriptor is closed
// and the files unlinked.
//
// FICLONE cases: ioctl(D, FICLONE, S), D = dst and S = src unless said.
//  find_maxbytes
//  ficlone_basic
//  ficlone_src_wronly             S = open(src, O_WRONLY)
//  ficlone_dst_rdonly             D = open(dst, O_RDONLY)
//  ficlone_dst_append             D = open(dst, O_WRONLY|O_APPEND)
//  ficlone_src_dir                S = dir
//  ficlone_dst_dir                D = dir
//  ficlone_src_wronly_dst_dir     S = open(src, O_WRONLY), D = dir
//  ficlone_src_fifo               S = fifo
//  ficlone_src_pipe               S = pipe read end
//  ficlone_dst_fifo               D = fifo
//  ficlone_src_other              S = OTHER/o (O_RDWR)
//  ficlone_dst_other              D = OTHER/o (O_RDWR)
//  ficlone_src_other_wronly       S = OTHER/o opened O_WRONLY
//  ficlone_src_other_dir          S = open(OTHER, O_RDONLY|O_DIRECTORY)
//  ficlone_same_file              D = S = src
//  ficlone_badfd                  S = 1000
//  ficlone_src_opath              S = open(src, O_PATH)
//  ficlone_dst_opath              D = open(dst, O_PATH)
//  ficlone_src_empty              ftruncate(src, 0)
//  ficlone_unaligned_into_bigger  ftruncate(src, 10000)         (dst 16384)
//  ficlone_unaligned_into_smaller ftruncate(src, 10000), ftruncate(dst, 4096)
//  ficlone_unaligned_into_equal   ftruncate(src, 10000), ftruncate(dst, 10000)
// FICLONERANGE cases: ioctl(D, FICLONERANGE, {src_fd, src_offset, src_length,
// dest_offset}) written (S, so, len, do); D = dst, S = src unless said.
//  fcr_basic                (4096, 4096, 8192)
//  fcr_len0_to_eof          (4096, 0, 0)
//  fcr_len0_at_eof          (16384, 0, 0)
//  fcr_len0_past_eof        (20480, 0, 0)
//  fcr_off_past_eof         (20480, 4096, 0)
//  fcr_unaligned_src_off    (100, 4096, 0)
//  fcr_unaligned_dst_off    (0, 4096, 100)
//  fcr_unaligned_len_mid    (0, 5000, 0)
//  fcr_unaligned_len_to_eof ftruncate(src, 10000); (8192, 1808, 16384)
//  fcr_len_past_eof         (8192, 16384, 0)
//  fcr_neg_src_off          (-4096, 4096, 0)         (as u64)
//  fcr_neg_dst_off          (0, 4096, -4096)
//  fcr_len_2pow63           (0, 1<<63, 0)
//  fcr_src_overflow         (2^63-4096, 8192, 0)
//  fcr_dst_overflow         (0, 8192, 2^63-4096)
//  fcr_dst_16tib            (0, 4096, 1<<44)
//  fcr_dst_near_llmax       (0, 4096, 2^63-8192)     (ends at 2^63-4096)
//  fcr_same_overlap         D = S = src: (0, 8192, 4096)
//  fcr_same_nonoverlap      D = S = src: (0, 4096, 8192)
//  fcr_same_to_eof_append   D = S = src: (0, 0, 16384)
//  fcr_src_wronly_neg_off   S = open(src, O_WRONLY): (-4096, 4096, 0)
//  fcr_src_other_neg_off    S = OTHER/o: (-4096, 4096, 0)
//  fcr_src_other_unaligned  S = OTHER/o: (100, 4096, 0)
//  fcr_src_dir_unaligned    S = dir: (100, 4096, 0)
//  fcr_src_dir_neg_off      S = dir: (-4096, 4096, 0)
//  fcr_badfd_neg_off        S = 1000: (-4096, 4096, 0)
//  fcr_src_fd_high_bits     src_fd = (1<<32) + src's descriptor: (0, 4096, 0)
// FIDEDUPERANGE cases: ioctl(S, FIDEDUPERANGE, {src_offset, src_length,
// dest_count, reserved1, reserved2, info[] = {dest_fd, dest_offset, reserved}})
// written (so, len, [dest@off, ...]); S = src unless said.
//  dd_same                  (0, 8192, [same@0])
//  dd_differs               (0, 8192, [dst@0])
//  dd_count0                (0, 8192, [])
//  dd_count128              dest_count 128 (the kernel's buffer would exceed
//                           a page), records all [same@0]
//  dd_reserved1             (0, 8192, [same@0]), reserved1 = 1
//  dd_reserved2             the same with reserved2 = 1
//  dd_src_wronly            S = open(src, O_WRONLY): (0, 8192, [same@0])
//  dd_src_dir               S = dir: (0, 8192, [same@0])
//  dd_src_dir_reserved1     S = dir, reserved1 = 1
//  dd_src_fifo              S = fifo
//  dd_src_other             S = OTHER/o: (0, 8192, [same@0])
//  dd_src_len_past_eof      (8192, 16384, [same@0])
//  dd_src_neg_off           (-4096, 4096, [same@0])
//  dd_len0                  (0, 0, [same@0])
//  dd_unaligned_len_mid     (0, 5000, [same@0])
//  dd_unaligned_len_eof     ftruncate(src, 10000), ftruncate(same, 10000);
//                           (8192, 1808, [same@8192])
//  dd_eof_src_not_dst       ftruncate(src, 10000) (same stays 16384, equal
//                           over 0..9999); (8192, 1808, [same@8192])
//  dd_info_badfd            (0, 8192, [1000@0])
//  dd_info_reserved         (0, 8192, [same@0 with reserved = 1])
//  dd_info_badfd_reserved   (0, 8192, [1000@0 with reserved = 1])
//  dd_info_other            (0, 8192, [OTHER/o@0])   (same content)
//  dd_info_dir              (0, 8192, [dir@0])
//  dd_info_other_dir        (0, 8192, [open(OTHER, O_RDONLY|O_DIRECTORY)@0])
//  dd_info_fifo             (0, 8192, [fifo@0])
//  dd_info_pipe             (0, 8192, [pipe write end@0])
//  dd_info_opath            (0, 8192, [open(same, O_PATH)@0])
//  dd_info_rdonly           (0, 8192, [open(same, O_RDONLY)@0])
//  dd_info_rdonly_unpriv    the same, but the ioctl is made by a forked
//                           child that dropped to uid/gid 65534 (no groups,
//                           no capabilities); same is root's, mode 0644
//  dd_info_rdonly_unpriv_owner  the same after chown(same, 65534, 65534)
//  dd_info_other_rdonly_unpriv  unprivileged as above: (0, 8192,
//                           [open(OTHER/o, O_RDONLY)@0]), OTHER/o root's 0644
//  dd_info_dest_at_eof      (0, 8192, [same@16384])
//  dd_info_dest_unaligned   (0, 8192, [same@100])
//  dd_info_dest_neg         (0, 8192, [same@-4096])
//  dd_info_same_file_overlap  (0, 8192, [src@4096])
//  dd_info_same_file_nonoverlap  src rewritten so bytes 8192..16383 equal
//                           bytes 0..8191 (both 'A'+i%26 for i < 8192);
//                           (0, 8192, [src@8192])
//  dd_multi                 (0, 8192, [same@0, dst@0, 1000@0, OTHER/o@0])
//
// Build: gcc -O1 -Wall -o remap_probe remap_probe.c

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/fiemap.h>
#include <linux/fs.h>

#define FSIZE 16384
#define WINDOW 65536
#define BADFD 1000
#define LLMAX LLONG_MAX
#define NOBODY 65534
#define MAX_INFOS 128
#define PRESET_STATUS 0x5a5a
#define PRESET_BYTES 0xdead

static long long M;
static unsigned char src_bytes[FSIZE], dst_bytes[FSIZE];
static const char *g_dir;
static char g_other[64];
static bool g_mounted;

// ---------------------------------------------------------------------------
// The second filesystem.

static void unmount_other(void) {
  if (g_mounted) {
    if (umount(g_other) != 0) umount2(g_other, MNT_DETACH);
    g_mounted = false;
  }
  if (g_other[0]) rmdir(g_other);
}

static void on_signal(int sig) {
  if (g_mounted) umount2(g_other, MNT_DETACH);
  rmdir(g_other);
  signal(sig, SIG_DFL);
  raise(sig);
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void mount_other(void) {
  snprintf(g_other, sizeof g_other, "/tmp/remap-other.XXXXXX");
  if (mkdtemp(g_other) == NULL) die("mkdtemp");
  atexit(unmount_other);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], on_signal);
  if (mount("tmpfs", g_other, "tmpfs", 0, "size=16m") != 0) die("mount other tmpfs");
  g_mounted = true;
}

// ---------------------------------------------------------------------------
// Results.

struct res {
  long long ret;
  int err;
  long long size_out;
  int data_ok;  // -1 null
  bool dedupe;
  int ninfos;   // printed records
  struct {
    int status;
    unsigned long long bytes;
  } info[8];
  char extra[128];
};

static const char *errname(int e) {
  static char buf[16];
  if (e == 0) return "";
  if (e == EOPNOTSUPP) return "EOPNOTSUPP";
  if (e == EAGAIN) return "EAGAIN";
  const char *n = strerrorname_np(e);
  if (n != NULL) return n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

static void emit(const char *fs, const char *name, const struct res *r) {
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\",\"size_out\":%lld,\"data_ok\":%s", fs, name,
         r->ret, errname(r->err), r->size_out, r->data_ok < 0 ? "null" : r->data_ok ? "true" : "false");
  if (r->dedupe) {
    printf(",\"infos\":[");
    for (int i = 0; i < r->ninfos; i++)
      printf("%s{\"status\":%d,\"bytes_deduped\":%llu}", i ? "," : "", r->info[i].status, r->info[i].bytes);
    printf("]");
  }
  printf("%s}\n", r->extra);
  fflush(stdout);
}

// ---------------------------------------------------------------------------
// Per-case state.

struct ctx {
  char src[4096], dst[4096], same[4096], fifo[4096], other[4096];
  int s, d, sm;  // src, dst, same: O_RDWR
  int fds[12];
  int nfds;
};

static int keep(struct ctx *c, int fd) {
  if (fd >= 0 && c->nfds < 12) c->fds[c->nfds++] = fd;
  return fd;
}

static int must_open(struct ctx *c, const char *p, int flags) {
  int fd = keep(c, open(p, flags));
  if (fd < 0) die(p);
  return fd;
}

static void make_file(const char *p, const unsigned char *data, size_t n) {
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, data, n) != (ssize_t)n || fsync(fd) != 0) die(p);
  close(fd);
}

static int open_fifo(struct ctx *c) {
  if (mkfifo(c->fifo, 0644) != 0) die("mkfifo");
  return must_open(c, c->fifo, O_RDWR | O_NONBLOCK);
}

static int open_dir(struct ctx *c, const char *d) { return must_open(c, d, O_RDONLY | O_DIRECTORY); }

static int pipe_end(struct ctx *c, int which) {
  int pp[2];
  if (pipe2(pp, O_NONBLOCK) != 0) die("pipe2");
  keep(c, pp[0]);
  keep(c, pp[1]);
  return pp[which];
}

static int open_other(struct ctx *c, int flags) {
  make_file(c->other, src_bytes, FSIZE);
  return must_open(c, c->other, flags);
}

static void setup(struct ctx *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->src, sizeof c->src, "%s/src", g_dir);
  snprintf(c->dst, sizeof c->dst, "%s/dst", g_dir);
  snprintf(c->same, sizeof c->same, "%s/same", g_dir);
  snprintf(c->fifo, sizeof c->fifo, "%s/p", g_dir);
  snprintf(c->other, sizeof c->other, "%s/o", g_other);
  make_file(c->src, src_bytes, FSIZE);
  make_file(c->dst, dst_bytes, FSIZE);
  make_file(c->same, src_bytes, FSIZE);
  c->s = must_open(c, c->src, O_RDWR);
  c->d = must_open(c, c->dst, O_RDWR);
  c->sm = must_open(c, c->same, O_RDWR);
}

static void teardown(struct ctx *c) {
  for (int i = 0; i < c->nfds; i++) close(c->fds[i]);
  unlink(c->src);
  unlink(c->dst);
  unlink(c->same);
  unlink(c->fifo);
  unlink(c->other);
}

static long long fsize_path(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

static long long fsize_fd(int fd) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  return st.st_size;
}

// A snapshot of a regular file: size and first 64 KiB.
struct snap {
  const char *path;
  long long size;
  unsigned char *head;
};

static void take(struct snap *s, const char *path) {
  s->path = path;
  s->size = fsize_path(path);
  s->head = calloc(1, WINDOW);
  int fd = open(path, O_RDONLY);
  if (fd < 0 || pread(fd, s->head, WINDOW, 0) < 0) die("snapshot");
  close(fd);
}

static bool unchanged(struct snap *s) {
  unsigned char *now = calloc(1, WINDOW);
  int fd = open(s->path, O_RDONLY);
  bool ok = fd >= 0 && fsize_path(s->path) == s->size && pread(fd, now, WINDOW, 0) >= 0 &&
            memcmp(now, s->head, WINDOW) == 0;
  close(fd);
  free(now);
  return ok;
}

// ---------------------------------------------------------------------------
// Unprivileged calls: the ioctl made by a child that dropped to NOBODY; the
// argument buffer travels back through a pipe.

static long ioctl_as(bool unpriv, int fd, unsigned long req, void *arg, size_t argsize, int *err) {
  if (!unpriv) {
    errno = 0;
    long r = ioctl(fd, req, arg);
    *err = errno;
    return r;
  }
  int pp[2];
  if (pipe(pp) != 0) die("pipe");
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    close(pp[0]);
    long r = -1;
    int e = EPERM;
    if (setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
        setresuid(NOBODY, NOBODY, NOBODY) == 0) {
      errno = 0;
      r = ioctl(fd, req, arg);
      e = errno;
    } else {
      e = 0;
      r = -1000;  // could not drop privileges
    }
    if (write(pp[1], &r, sizeof r) != sizeof r || write(pp[1], &e, sizeof e) != sizeof e ||
        write(pp[1], arg, argsize) != (ssize_t)argsize)
      _exit(3);
    _exit(0);
  }
  close(pp[1]);
  long r;
  int e;
  if (read(pp[0], &r, sizeof r) != sizeof r || read(pp[0], &e, sizeof e) != sizeof e ||
      read(pp[0], arg, argsize) != (ssize_t)argsize)
    die("unpriv child");
  close(pp[0]);
  int st;
  waitpid(pid, &st, 0);
  if (r == -1000) {
    fprintf(stderr, "remap_probe: could not drop privileges\n");
    exit(2);
  }
  *err = e;
  return r;
}

// ---------------------------------------------------------------------------
// Clones.

struct cl {
  int dfd;              // the ioctl's descriptor (destination)
  long long src_fd;     // FICLONERANGE src_fd (s64), or the FICLONE argument
  bool range;           // FICLONERANGE rather than FICLONE
  unsigned long long so, len, dof;
  const char *src_path; // regular source to take the bytes from, or NULL
  const char *dst_path; // regular destination to check, or NULL
};

static struct cl CL(struct ctx *c) {
  return (struct cl){.dfd = c->d, .src_fd = c->s, .src_path = c->src, .dst_path = c->dst};
}

static struct cl CR(struct ctx *c, unsigned long long so, unsigned long long len, unsigned long long dof) {
  struct cl p = CL(c);
  p.range = true;
  p.so = so;
  p.len = len;
  p.dof = dof;
  return p;
}

static void do_clone(struct res *r, struct cl *p) {
  static unsigned char srcb[WINDOW], exp[WINDOW], got[WINDOW];
  long long so = (long long)p->so, dof = (long long)p->dof;
  long long L = 0;
  if (p->src_path) {
    long long ssize = fsize_path(p->src_path);
    L = p->len ? (long long)p->len : ssize - so;
    if (L < 0 || (p->len && L > WINDOW) || so < 0) L = 0;
    if (L > WINDOW) L = 0;
    memset(srcb, 0, sizeof srcb);
    int fd = open(p->src_path, O_RDONLY);
    if (fd < 0) die("open src");
    if (L > 0 && pread(fd, srcb, L, so) < 0) L = 0;  // e.g. so+L past LLMAX
    close(fd);
  }
  struct snap old = {0};
  if (p->dst_path) take(&old, p->dst_path);

  errno = 0;
  long ret;
  if (p->range) {
    struct file_clone_range a = {.src_fd = p->src_fd, .src_offset = p->so, .src_length = p->len,
                                 .dest_offset = p->dof};
    ret = ioctl(p->dfd, FICLONERANGE, &a);
  } else {
    ret = ioctl(p->dfd, FICLONE, (unsigned long)p->src_fd);
  }
  int e = errno;
  r->ret = ret;
  r->err = ret < 0 ? e : 0;
  r->size_out = fsize_fd(p->dfd);
  r->data_ok = -1;
  if (!p->dst_path) return;
  if (ret < 0 || L == 0) {
    r->data_ok = unchanged(&old);
    free(old.head);
    return;
  }
  long long want = old.size > dof + L ? old.size : dof + L;
  bool ok = fsize_path(p->dst_path) == want;
  long long win = want < WINDOW ? want : WINDOW;
  memcpy(exp, old.head, WINDOW);
  if (old.size < WINDOW) memset(exp + old.size, 0, WINDOW - old.size);
  for (long long i = 0; i < L; i++)
    if (dof + i < win) exp[dof + i] = srcb[i];
  int fd = open(p->dst_path, O_RDONLY);
  ok = ok && fd >= 0 && pread(fd, got, win, 0) == win && memcmp(got, exp, win) == 0;
  if (ok) ok = pread(fd, got, L, dof) == L && memcmp(got, srcb, L) == 0;
  close(fd);
  free(old.head);
  r->data_ok = ok;
}

// ---------------------------------------------------------------------------
// Dedupes.

struct dinfo {
  long long fd;
  long long off;
  unsigned reserved;
  const char *path;  // regular file to check unchanged, or NULL
};

struct dd {
  int sfd;
  const char *src_path;
  unsigned long long so, len;
  int count;  // dest_count (may exceed n)
  int n;      // infos filled
  struct dinfo in[8];
  unsigned short reserved1;
  unsigned reserved2;
  bool unpriv;
};

static struct dd DD(struct ctx *c, unsigned long long so, unsigned long long len) {
  return (struct dd){.sfd = c->s, .src_path = c->src, .so = so, .len = len};
}

static void add_info(struct dd *p, long long fd, long long off, const char *path) {
  p->in[p->n] = (struct dinfo){.fd = fd, .off = off, .path = path};
  p->n++;
  p->count = p->n;
}

// shared_bytes: how many bytes of [off, off+n) of path FIEMAP
// (FIEMAP_FLAG_SYNC, 32 extents) reports in extents flagged
// FIEMAP_EXTENT_SHARED; -1 when the filesystem has no FIEMAP.
static long long shared_bytes(const char *path, long long off, long long n) {
  struct {
    struct fiemap fm;
    struct fiemap_extent ext[32];
  } f;
  memset(&f, 0, sizeof f);
  f.fm.fm_start = off;
  f.fm.fm_length = n;
  f.fm.fm_flags = FIEMAP_FLAG_SYNC;
  f.fm.fm_extent_count = 32;
  int fd = open(path, O_RDONLY);
  if (fd < 0) die("open for fiemap");
  int rc = ioctl(fd, FS_IOC_FIEMAP, &f.fm);
  close(fd);
  if (rc != 0) return -1;
  long long total = 0;
  for (unsigned i = 0; i < f.fm.fm_mapped_extents && i < 32; i++) {
    struct fiemap_extent *e = &f.fm.fm_extents[i];
    if (!(e->fe_flags & FIEMAP_EXTENT_SHARED)) continue;
    long long lo = (long long)e->fe_logical > off ? (long long)e->fe_logical : off;
    long long hi = (long long)(e->fe_logical + e->fe_length) < off + n ? (long long)(e->fe_logical + e->fe_length)
                                                                        : off + n;
    if (hi > lo) total += hi - lo;
  }
  return total;
}

static void do_dedupe(struct res *r, struct dd *p) {
  size_t size = sizeof(struct file_dedupe_range) + MAX_INFOS * sizeof(struct file_dedupe_range_info);
  struct file_dedupe_range *a = calloc(1, size);
  a->src_offset = p->so;
  a->src_length = p->len;
  a->dest_count = p->count;
  a->reserved1 = p->reserved1;
  a->reserved2 = p->reserved2;
  for (int i = 0; i < MAX_INFOS; i++) {
    struct dinfo *d = &p->in[i < p->n ? i : 0];
    a->info[i].dest_fd = d->fd;
    a->info[i].dest_offset = d->off;
    a->info[i].reserved = d->reserved;
    a->info[i].status = PRESET_STATUS;
    a->info[i].bytes_deduped = PRESET_BYTES;
  }
  struct snap snaps[9];
  int ns = 0;
  if (p->src_path) take(&snaps[ns++], p->src_path);
  for (int i = 0; i < p->n; i++)
    if (p->in[i].path) take(&snaps[ns++], p->in[i].path);

  int e;
  long ret = ioctl_as(p->unpriv, p->sfd, FIDEDUPERANGE, a, size, &e);
  r->ret = ret;
  r->err = ret < 0 ? e : 0;
  r->dedupe = true;
  r->size_out = p->n > 0 && p->in[0].path ? fsize_path(p->in[0].path) : -1;
  bool ok = true;
  for (int i = 0; i < ns; i++) {
    ok = ok && unchanged(&snaps[i]);
    free(snaps[i].head);
  }
  r->data_ok = ok;
  if (p->n > 0 && p->in[0].path && (long long)p->in[0].off >= 0 && p->len > 0 && p->len <= WINDOW) {
    long long sh = shared_bytes(p->in[0].path, p->in[0].off, (long long)p->len);
    if (sh < 0) snprintf(r->extra, sizeof r->extra, ",\"shared_bytes\":null");
    else snprintf(r->extra, sizeof r->extra, ",\"shared_bytes\":%lld", sh);
  }
  r->ninfos = p->count <= 8 ? p->count : 0;
  for (int i = 0; i < r->ninfos; i++) {
    r->info[i].status = a->info[i].status;
    r->info[i].bytes = a->info[i].bytes_deduped;
  }
  free(a);
}

// ---------------------------------------------------------------------------
// s_maxbytes (of DIR's filesystem).

static long long find_maxbytes(void) {
  char p[4096];
  snprintf(p, sizeof p, "%s/maxbytes", g_dir);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open maxbytes");
  long long found;
  if (ftruncate(fd, LLMAX) == 0) {
    found = LLMAX;
  } else {
    long long lo = 0, hi = LLMAX;
    while (hi - lo > 1) {
      long long mid = lo + (hi - lo) / 2;
      if (ftruncate(fd, mid) == 0) lo = mid;
      else hi = mid;
    }
    found = lo;
  }
  if (ftruncate(fd, 0) != 0) die("ftruncate maxbytes 0");
  close(fd);
  unlink(p);
  return found;
}

static void trunc_path(const char *p, long long n) {
  if (truncate(p, n) != 0) die("truncate");
}

// ---------------------------------------------------------------------------
// Cases.

static void find_maxbytes_case(struct ctx *c, struct res *r) {
  (void)c;
  r->ret = 0;
  r->size_out = -1;
  r->data_ok = -1;
  snprintf(r->extra, sizeof r->extra, ",\"maxbytes\":%lld", M);
}

#define CLONE_CASE(name, body)                      \
  static void name(struct ctx *c, struct res *r) {  \
    struct cl p = CL(c);                            \
    body;                                           \
    do_clone(r, &p);                                \
  }

CLONE_CASE(ficlone_basic, )
CLONE_CASE(ficlone_src_wronly, p.src_fd = must_open(c, c->src, O_WRONLY))
CLONE_CASE(ficlone_dst_rdonly, p.dfd = must_open(c, c->dst, O_RDONLY))
CLONE_CASE(ficlone_dst_append, p.dfd = must_open(c, c->dst, O_WRONLY | O_APPEND))
CLONE_CASE(ficlone_src_dir, p.src_fd = open_dir(c, g_dir); p.src_path = NULL)
CLONE_CASE(ficlone_dst_dir, p.dfd = open_dir(c, g_dir); p.dst_path = NULL)
CLONE_CASE(ficlone_src_wronly_dst_dir, p.src_fd = must_open(c, c->src, O_WRONLY); p.dfd = open_dir(c, g_dir);
           p.dst_path = NULL)
CLONE_CASE(ficlone_src_fifo, p.src_fd = open_fifo(c); p.src_path = NULL)
CLONE_CASE(ficlone_src_pipe, p.src_fd = pipe_end(c, 0); p.src_path = NULL)
CLONE_CASE(ficlone_dst_fifo, p.dfd = open_fifo(c); p.dst_path = NULL)
CLONE_CASE(ficlone_src_other, p.src_fd = open_other(c, O_RDWR); p.src_path = c->other)
CLONE_CASE(ficlone_dst_other, p.dfd = open_other(c, O_RDWR); p.dst_path = c->other)
CLONE_CASE(ficlone_src_other_wronly, p.src_fd = open_other(c, O_WRONLY); p.src_path = c->other)
CLONE_CASE(ficlone_src_other_dir, p.src_fd = open_dir(c, g_other); p.src_path = NULL)
CLONE_CASE(ficlone_same_file, p.dfd = c->s; p.dst_path = c->src)
CLONE_CASE(ficlone_badfd, p.src_fd = BADFD; p.src_path = NULL)
CLONE_CASE(ficlone_src_opath, p.src_fd = must_open(c, c->src, O_PATH))
CLONE_CASE(ficlone_dst_opath, p.dfd = must_open(c, c->dst, O_PATH))
CLONE_CASE(ficlone_src_empty, trunc_path(c->src, 0))
CLONE_CASE(ficlone_unaligned_into_bigger, trunc_path(c->src, 10000))
CLONE_CASE(ficlone_unaligned_into_smaller, trunc_path(c->src, 10000); trunc_path(c->dst, 4096))
CLONE_CASE(ficlone_unaligned_into_equal, trunc_path(c->src, 10000); trunc_path(c->dst, 10000))

#define RANGE_CASE(name, so, len, dof, body)        \
  static void name(struct ctx *c, struct res *r) {  \
    struct cl p = CR(c, so, len, dof);              \
    body;                                           \
    do_clone(r, &p);                                \
  }

#define U(x) ((unsigned long long)(long long)(x))
#define P63 (1ULL << 63)

RANGE_CASE(fcr_basic, 4096, 4096, 8192, )
RANGE_CASE(fcr_len0_to_eof, 4096, 0, 0, )
RANGE_CASE(fcr_len0_at_eof, 16384, 0, 0, )
RANGE_CASE(fcr_len0_past_eof, 20480, 0, 0, )
RANGE_CASE(fcr_off_past_eof, 20480, 4096, 0, )
RANGE_CASE(fcr_unaligned_src_off, 100, 4096, 0, )
RANGE_CASE(fcr_unaligned_dst_off, 0, 4096, 100, )
RANGE_CASE(fcr_unaligned_len_mid, 0, 5000, 0, )
RANGE_CASE(fcr_unaligned_len_to_eof, 8192, 1808, 16384, trunc_path(c->src, 10000))
RANGE_CASE(fcr_len_past_eof, 8192, 16384, 0, )
RANGE_CASE(fcr_neg_src_off, U(-4096), 4096, 0, )
RANGE_CASE(fcr_neg_dst_off, 0, 4096, U(-4096), )
RANGE_CASE(fcr_len_2pow63, 0, P63, 0, )
RANGE_CASE(fcr_src_overflow, P63 - 4096, 8192, 0, )
RANGE_CASE(fcr_dst_overflow, 0, 8192, P63 - 4096, )
RANGE_CASE(fcr_dst_16tib, 0, 4096, 1ULL << 44, )
RANGE_CASE(fcr_dst_near_llmax, 0, 4096, P63 - 8192, )
RANGE_CASE(fcr_same_overlap, 0, 8192, 4096, p.dfd = c->s; p.dst_path = c->src)
RANGE_CASE(fcr_same_nonoverlap, 0, 4096, 8192, p.dfd = c->s; p.dst_path = c->src)
RANGE_CASE(fcr_same_to_eof_append, 0, 0, 16384, p.dfd = c->s; p.dst_path = c->src)
RANGE_CASE(fcr_src_wronly_neg_off, U(-4096), 4096, 0, p.src_fd = must_open(c, c->src, O_WRONLY))
RANGE_CASE(fcr_src_other_neg_off, U(-4096), 4096, 0, p.src_fd = open_other(c, O_RDWR); p.src_path = c->other)
RANGE_CASE(fcr_src_other_unaligned, 100, 4096, 0, p.src_fd = open_other(c, O_RDWR); p.src_path = c->other)
RANGE_CASE(fcr_src_dir_unaligned, 100, 4096, 0, p.src_fd = open_dir(c, g_dir); p.src_path = NULL)
RANGE_CASE(fcr_src_dir_neg_off, U(-4096), 4096, 0, p.src_fd = open_dir(c, g_dir); p.src_path = NULL)
RANGE_CASE(fcr_badfd_neg_off, U(-4096), 4096, 0, p.src_fd = BADFD; p.src_path = NULL)
RANGE_CASE(fcr_src_fd_high_bits, 0, 4096, 0, p.src_fd = (1LL << 32) + c->s)

#define DD_CASE(name, so, len, body)                \
  static void name(struct ctx *c, struct res *r) {  \
    struct dd p = DD(c, so, len);                   \
    body;                                           \
    do_dedupe(r, &p);                               \
  }

#define SAME0 add_info(&p, c->sm, 0, c->same)

DD_CASE(dd_same, 0, 8192, SAME0)
DD_CASE(dd_differs, 0, 8192, add_info(&p, c->d, 0, c->dst))
DD_CASE(dd_count0, 0, 8192, )
DD_CASE(dd_count128, 0, 8192, SAME0; p.count = 128)
DD_CASE(dd_reserved1, 0, 8192, SAME0; p.reserved1 = 1)
DD_CASE(dd_reserved2, 0, 8192, SAME0; p.reserved2 = 1)
DD_CASE(dd_src_wronly, 0, 8192, SAME0; p.sfd = must_open(c, c->src, O_WRONLY))
DD_CASE(dd_src_dir, 0, 8192, SAME0; p.sfd = open_dir(c, g_dir); p.src_path = NULL)
DD_CASE(dd_src_dir_reserved1, 0, 8192, SAME0; p.sfd = open_dir(c, g_dir); p.src_path = NULL; p.reserved1 = 1)
DD_CASE(dd_src_fifo, 0, 8192, SAME0; p.sfd = open_fifo(c); p.src_path = NULL)
DD_CASE(dd_src_other, 0, 8192, SAME0; p.sfd = open_other(c, O_RDWR); p.src_path = c->other)
DD_CASE(dd_src_len_past_eof, 8192, 16384, SAME0)
DD_CASE(dd_src_neg_off, U(-4096), 4096, SAME0)
DD_CASE(dd_len0, 0, 0, SAME0)
DD_CASE(dd_unaligned_len_mid, 0, 5000, SAME0)
DD_CASE(dd_unaligned_len_eof, 8192, 1808,
        trunc_path(c->src, 10000); trunc_path(c->same, 10000); add_info(&p, c->sm, 8192, c->same))
DD_CASE(dd_eof_src_not_dst, 8192, 1808, trunc_path(c->src, 10000); add_info(&p, c->sm, 8192, c->same))
DD_CASE(dd_info_badfd, 0, 8192, add_info(&p, BADFD, 0, NULL))
DD_CASE(dd_info_reserved, 0, 8192, SAME0; p.in[0].reserved = 1)
DD_CASE(dd_info_badfd_reserved, 0, 8192, add_info(&p, BADFD, 0, NULL); p.in[0].reserved = 1)
DD_CASE(dd_info_other, 0, 8192, add_info(&p, open_other(c, O_RDWR), 0, c->other))
DD_CASE(dd_info_dir, 0, 8192, add_info(&p, open_dir(c, g_dir), 0, NULL))
DD_CASE(dd_info_other_dir, 0, 8192, add_info(&p, open_dir(c, g_other), 0, NULL))
DD_CASE(dd_info_fifo, 0, 8192, add_info(&p, open_fifo(c), 0, NULL))
DD_CASE(dd_info_pipe, 0, 8192, add_info(&p, pipe_end(c, 1), 0, NULL))
DD_CASE(dd_info_opath, 0, 8192, add_info(&p, must_open(c, c->same, O_PATH), 0, c->same))
DD_CASE(dd_info_rdonly, 0, 8192, add_info(&p, must_open(c, c->same, O_RDONLY), 0, c->same))
DD_CASE(dd_info_rdonly_unpriv, 0, 8192, add_info(&p, must_open(c, c->same, O_RDONLY), 0, c->same); p.unpriv = true)
DD_CASE(dd_info_rdonly_unpriv_owner, 0, 8192,
        if (chown(c->same, NOBODY, NOBODY) != 0) die("chown");
        add_info(&p, must_open(c, c->same, O_RDONLY), 0, c->same); p.unpriv = true)
DD_CASE(dd_info_other_rdonly_unpriv, 0, 8192,
        open_other(c, O_RDWR); add_info(&p, must_open(c, c->other, O_RDONLY), 0, c->other); p.unpriv = true)
DD_CASE(dd_info_dest_at_eof, 0, 8192, add_info(&p, c->sm, 16384, c->same))
DD_CASE(dd_info_dest_unaligned, 0, 8192, add_info(&p, c->sm, 100, c->same))
DD_CASE(dd_info_dest_neg, 0, 8192, add_info(&p, c->sm, -4096, c->same))
DD_CASE(dd_info_same_file_overlap, 0, 8192, add_info(&p, c->s, 4096, c->src))
DD_CASE(dd_info_same_file_nonoverlap, 0, 8192,
        if (pwrite(c->s, src_bytes, 8192, 8192) != 8192 || fsync(c->s) != 0) die("rewrite src");
        add_info(&p, c->s, 8192, c->src))
DD_CASE(dd_multi, 0, 8192,
        SAME0; add_info(&p, c->d, 0, c->dst); add_info(&p, BADFD, 0, NULL);
        add_info(&p, open_other(c, O_RDWR), 0, c->other))

// ---------------------------------------------------------------------------

struct probe_case {
  const char *name;
  void (*fn)(struct ctx *, struct res *);
};

#define CASE(fn) {#fn, fn}

static const struct probe_case cases[] = {
    {"find_maxbytes", find_maxbytes_case},
    CASE(ficlone_basic),
    CASE(ficlone_src_wronly),
    CASE(ficlone_dst_rdonly),
    CASE(ficlone_dst_append),
    CASE(ficlone_src_dir),
    CASE(ficlone_dst_dir),
    CASE(ficlone_src_wronly_dst_dir),
    CASE(ficlone_src_fifo),
    CASE(ficlone_src_pipe),
    CASE(ficlone_dst_fifo),
    CASE(ficlone_src_other),
    CASE(ficlone_dst_other),
    CASE(ficlone_src_other_wronly),
    CASE(ficlone_src_other_dir),
    CASE(ficlone_same_file),
    CASE(ficlone_badfd),
    CASE(ficlone_src_opath),
    CASE(ficlone_dst_opath),
    CASE(ficlone_src_empty),
    CASE(ficlone_unaligned_into_bigger),
    CASE(ficlone_unaligned_into_smaller),
    CASE(ficlone_unaligned_into_equal),

    CASE(fcr_basic),
    CASE(fcr_len0_to_eof),
    CASE(fcr_len0_at_eof),
    CASE(fcr_len0_past_eof),
    CASE(fcr_off_past_eof),
    CASE(fcr_unaligned_src_off),
    CASE(fcr_unaligned_dst_off),
    CASE(fcr_unaligned_len_mid),
    CASE(fcr_unaligned_len_to_eof),
    CASE(fcr_len_past_eof),
    CASE(fcr_neg_src_off),
    CASE(fcr_neg_dst_off),
    CASE(fcr_len_2pow63),
    CASE(fcr_src_overflow),
    CASE(fcr_dst_overflow),
    CASE(fcr_dst_16tib),
    CASE(fcr_dst_near_llmax),
    CASE(fcr_same_overlap),
    CASE(fcr_same_nonoverlap),
    CASE(fcr_same_to_eof_append),
    CASE(fcr_src_wronly_neg_off),
    CASE(fcr_src_other_neg_off),
    CASE(fcr_src_other_unaligned),
    CASE(fcr_src_dir_unaligned),
    CASE(fcr_src_dir_neg_off),
    CASE(fcr_badfd_neg_off),
    CASE(fcr_src_fd_high_bits),

    CASE(dd_same),
    CASE(dd_differs),
    CASE(dd_count0),
    CASE(dd_count128),
    CASE(dd_reserved1),
    CASE(dd_reserved2),
    CASE(dd_src_wronly),
    CASE(dd_src_dir),
    CASE(dd_src_dir_reserved1),
    CASE(dd_src_fifo),
    CASE(dd_src_other),
    CASE(dd_src_len_past_eof),
    CASE(dd_src_neg_off),
    CASE(dd_len0),
    CASE(dd_unaligned_len_mid),
    CASE(dd_unaligned_len_eof),
    CASE(dd_eof_src_not_dst),
    CASE(dd_info_badfd),
    CASE(dd_info_reserved),
    CASE(dd_info_badfd_reserved),
    CASE(dd_info_other),
    CASE(dd_info_dir),
    CASE(dd_info_other_dir),
    CASE(dd_info_fifo),
    CASE(dd_info_pipe),
    CASE(dd_info_opath),
    CASE(dd_info_rdonly),
    CASE(dd_info_rdonly_unpriv),
    CASE(dd_info_rdonly_unpriv_owner),
    CASE(dd_info_other_rdonly_unpriv),
    CASE(dd_info_dest_at_eof),
    CASE(dd_info_dest_unaligned),
    CASE(dd_info_dest_neg),
    CASE(dd_info_same_file_overlap),
    CASE(dd_info_same_file_nonoverlap),
    CASE(dd_multi),
};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s DIR FSNAME\n", argv[0]);
    return 2;
  }
  g_dir = argv[1];
  const char *fs = argv[2];
  for (int i = 0; i < FSIZE; i++) src_bytes[i] = (unsigned char)('A' + i % 26);
  for (int i = 0; i < FSIZE; i++) dst_bytes[i] = (unsigned char)('a' + i % 26);
  close(BADFD);
  M = find_maxbytes();
  mount_other();

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct res r = {.ret = -1, .size_out = -1, .data_ok = -1};
    struct ctx c;
    setup(&c);
    cases[i].fn(&c, &r);
    teardown(&c);
    emit(fs, cases[i].name, &r);
  }
  return 0;
}
