// copy_range_probe: records how the host kernel answers copy_file_range(2)
// (the syscall's own checks, generic_file_rw_checks, generic_copy_file_checks,
// rw_verify_area, the remap/splice choice), on one filesystem and across to a
// second one.
//
//   copy_range_probe DIR FSNAME
//
// prints one JSON object per case on stdout:
//
//   {"fs":FSNAME,"case":NAME,"ret":R,"errno":"ENAME"|"","pos_in":PI,
//    "pos_out":PO,"off_in":OI|null,"off_out":OO|null,"size_out":S,
//    "data_ok":true|false|null}
//
// ret      copy_file_range's return (raw syscall, SYS_copy_file_range); -1 on
//          error. errno: symbolic when ret < 0, else "" (ENOTSUP prints as
//          EOPNOTSUPP, EWOULDBLOCK as EAGAIN).
// pos_in, pos_out  lseek(fd_in / fd_out, 0, SEEK_CUR) after the call; -1 when
//          that fails (pipe, fifo, O_PATH, bad fd).
// off_in, off_out  the loff_t the call was given a pointer to, read back after
//          the call; null when the call was passed NULL (or, for off_in in the
//          efault_* cases, a bad pointer).
// size_out fstat(fd_out).st_size after the call when fd_out is a regular
//          file, else -1.
// data_ok  null when fd_out is not a regular file. Otherwise, with n =
//          max(ret, 0), in_start / out_start = the offsets the copy started
//          at (*off_in / *off_out, or the file positions before the call), and
//          the source and destination as they were just before the call:
//          the destination's size is max(old size, out_start+n) if n > 0 (else
//          the old size), and its content is the old content, zero-filled up
//          to out_start, with the n source bytes from in_start laid at
//          out_start (checked over the first 64 KiB and over the n bytes
//          themselves). So "true" with ret < 0 means nothing changed.
// shared   only when data_ok is not null and ret > 0: whether FS_IOC_FIEMAP
//          (FIEMAP_FLAG_SYNC, 32 extents) on the destination reports an
//          extent flagged FIEMAP_EXTENT_SHARED overlapping the bytes just
//          copied, i.e. whether the copy was done as a reflink; null where
//          the filesystem has no FIEMAP (tmpfs).
//
// M is the destination filesystem's s_maxbytes, found once before the cases
// (case find_maxbytes, extra maxbytes; its other fields are zero/null) as the
// largest length ftruncate accepts on a scratch file. LLMAX = LLONG_MAX,
// LLMIN = LLONG_MIN, TIB16 = 1<<44.
//
// Setup, fresh for every case: src = "DIR/src", 16384 bytes, byte i =
// 'A' + i % 26; dst = "DIR/dst", 8192 bytes, byte i = 'a' + i % 26; both
// opened O_RDWR (fd_in = src, fd_out = dst unless said), written, fsynced, at
// offset 0. OTHER is a tmpfs (size=16m) the probe mounts itself, once, on a
// mkdtemp directory /tmp/copy_range-other.XXXXXX, and unmounts (lazily if
// busy) and removes on exit or on a fatal signal. "other dst" = OTHER/o made
// like dst; "other src" = OTHER/o made like src. Descriptor 1000 is never
// open. After each case every descriptor is closed and the files unlinked.
// "(i -> o, len)" below means off_in = &i, off_out = &o; "NULL" a null
// pointer (file position used and, on success, advanced).
//
// Cases:
//  find_maxbytes
//  -- ordinary copies
//  basic                 (0 -> 0, 4096)
//  null_offsets          lseek(src,100), lseek(dst,50); (NULL -> NULL, 1000)
//  null_in_off_out       lseek(src,100); (NULL -> 100, 1000)
//  len0                  (0 -> 0, 0)
//  in_at_eof             (16384 -> 0, 100)
//  in_past_eof           (1<<20 -> 0, 100)
//  shorten_at_eof        (16000 -> 0, 1000)
//  extend_dest_hole      (0 -> 12288, 100)     (dst is 8192 long)
//  len_size_max          (0 -> 0, SIZE_MAX)
//  len_size_max_off_in1  (1 -> 0, SIZE_MAX)
//  len_3g                (0 -> 0, 3 GiB)
//  -- offsets
//  off_in_neg1           (-1 -> 0, 10)
//  off_in_neg4096        (-4096 -> 0, 10)
//  off_in_llmin          (LLMIN -> 0, 10)
//  off_in_neg4096_len0   (-4096 -> 0, 0)
//  off_out_neg1          (0 -> -1, 10)
//  off_out_neg4096       (0 -> -4096, 10)
//  off_in_llmax_minus10  (LLMAX-10 -> 0, 100)
//  off_out_llmax_minus10 (0 -> LLMAX-10, 100)
//  off_out_llmax_len0    (0 -> LLMAX, 0)
//  off_out_max_minus10   (0 -> M-10, 100)
//  off_out_at_max        (0 -> M, 100)
//  off_out_at_max_in_eof (16384 -> M, 100)    (nothing to copy)
//  off_in_neg4096_out_at_max (-4096 -> M, 10)
//  off_out_16tib         (0 -> TIB16, 100)
//  -- the same file
//  same_overlap          src -> src (0 -> 100, 1000)
//  same_adjacent         src -> src (0 -> 4096, 4096)
//  same_extend           src -> src (0 -> 16384, 4096)
//  same_overlap_before_shortening  src -> src (12288 -> 16384, 8192)
//  same_in_at_eof        src -> src (16384 -> 16384, 100)
//  same_fd_null_offsets  src -> src (NULL -> NULL, 100), one descriptor
//  same_file_two_fds     fd2 = open(src, O_RDWR), lseek(fd2, 16384);
//                        src -> fd2 (NULL -> NULL, 4096)
//  -- flags, descriptors, pointers
//  flags1                (0 -> 0, 100), flags 1
//  badfd_in              fd_in 1000, (0 -> 0, 100)
//  badfd_out             fd_out 1000, (0 -> 0, 100)
//  badfd_in_flags1       fd_in 1000, flags 1
//  efault_off_in         off_in = (loff_t *)8, off_out = &0, 100
//  efault_off_in_flags1  the same with flags 1
//  efault_off_in_badfd_out  off_in = (loff_t *)8, fd_out 1000
//  in_wronly             fd_in = open(src, O_WRONLY), (0 -> 0, 100)
//  out_rdonly            fd_out = open(dst, O_RDONLY)
//  out_append            fd_out = open(dst, O_WRONLY|O_APPEND)
//  out_append_in_past_eof  the same with (1<<20 -> 0, 100)
//  in_opath              fd_in = open(src, O_PATH)
//  -- file types
//  in_dir                fd_in = open(DIR, O_RDONLY|O_DIRECTORY)
//  out_dir               fd_out = the same
//  in_dir_out_rdonly     fd_in dir, fd_out = open(dst, O_RDONLY)
//  in_dir_flags1         fd_in dir, flags 1
//  in_fifo               fd_in = mkfifo DIR/p, open O_RDWR|O_NONBLOCK,
//                        (NULL -> 0, 100)
//  out_fifo              fd_out = that fifo, (0 -> NULL, 100)
//  in_pipe               fd_in = pipe2(O_NONBLOCK) read end, (NULL -> 0, 100)
//  out_pipe              fd_out = write end, (0 -> NULL, 100)
//  in_fifo_out_rdonly    fifo in, fd_out = open(dst, O_RDONLY), (NULL -> 0)
//  -- across filesystems (the probed one and OTHER)
//  cross_to_other        src -> other dst (0 -> 0, 4096)
//  cross_from_other      other src -> dst (0 -> 0, 4096)
//  cross_in_wronly       open(src, O_WRONLY) -> other dst
//  cross_neg_off         src -> other dst (-4096 -> 0, 100)
//  cross_out_dir         src -> open(OTHER, O_RDONLY|O_DIRECTORY)
//  cross_flags1          src -> other dst, flags 1
//  cross_len0            src -> other dst (0 -> 0, 0)
//  -- block alignment (XFS tries a reflink first)
//  unaligned_len         (0 -> 0, 5000)
//  unaligned_off         (100 -> 0, 5000)
//  aligned_8192          (0 -> 0, 8192)
//  eof_tail_into_middle  ftruncate(src, 10000); (8192 -> 0, 4096)
//  whole_unaligned_file  ftruncate(src, 10000); (0 -> 0, 10000)
//
// Build: gcc -O1 -Wall -o copy_range_probe copy_range_probe.c

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/fiemap.h>
#include <linux/fs.h>

#define SRC_SIZE 16384
#define DST_SIZE 8192
#define WINDOW 65536
#define BADFD 1000
#define GIB (1LL << 30)
#define TIB16 (1LL << 44)
#define LLMAX LLONG_MAX
#define LLMIN LLONG_MIN

static long long M;
static unsigned char src_bytes[SRC_SIZE], dst_bytes[DST_SIZE];
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
  exit(2);  // atexit unmounts
}

static void mount_other(void) {
  snprintf(g_other, sizeof g_other, "/tmp/copy_range-other.XXXXXX");
  if (mkdtemp(g_other) == NULL) die("mkdtemp");
  atexit(unmount_other);
  int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL};
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], on_signal);
  if (mount("tmpfs", g_other, "tmpfs", 0, "size=16m") != 0) die("mount other tmpfs");
  g_mounted = true;
}

// ---------------------------------------------------------------------------
// Result lines.

struct res {
  long long ret;
  int err;
  long long pos_in, pos_out;
  bool has_off_in, has_off_out;
  long long off_in, off_out;
  long long size_out;
  int data_ok;  // -1 null, 0 false, 1 true
  char extra[256];
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
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\",\"pos_in\":%lld,\"pos_out\":%lld", fs, name,
         r->ret, errname(r->err), r->pos_in, r->pos_out);
  if (r->has_off_in) printf(",\"off_in\":%lld", r->off_in);
  else printf(",\"off_in\":null");
  if (r->has_off_out) printf(",\"off_out\":%lld", r->off_out);
  else printf(",\"off_out\":null");
  printf(",\"size_out\":%lld,\"data_ok\":%s%s}\n", r->size_out,
         r->data_ok < 0 ? "null" : r->data_ok ? "true" : "false", r->extra);
  fflush(stdout);
}

// ---------------------------------------------------------------------------
// Per-case state.

struct ctx {
  char src[4096], dst[4096], fifo[4096], other[4096];
  int in, out;  // src and dst, O_RDWR
  int fds[8];
  int nfds;
};

static int keep(struct ctx *c, int fd) {
  if (fd >= 0 && c->nfds < 8) c->fds[c->nfds++] = fd;
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

static void setup(struct ctx *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->src, sizeof c->src, "%s/src", g_dir);
  snprintf(c->dst, sizeof c->dst, "%s/dst", g_dir);
  snprintf(c->fifo, sizeof c->fifo, "%s/p", g_dir);
  snprintf(c->other, sizeof c->other, "%s/o", g_other);
  make_file(c->src, src_bytes, SRC_SIZE);
  make_file(c->dst, dst_bytes, DST_SIZE);
  c->in = must_open(c, c->src, O_RDWR);
  c->out = must_open(c, c->dst, O_RDWR);
}

static void teardown(struct ctx *c) {
  for (int i = 0; i < c->nfds; i++) close(c->fds[i]);
  unlink(c->src);
  unlink(c->dst);
  unlink(c->fifo);
  unlink(c->other);
}

// ---------------------------------------------------------------------------
// The call and its checks.

struct cp {
  int in, out;
  bool has_in, has_out;  // pass &off_in / &off_out (else NULL)
  bool bad_in;           // pass (loff_t *)8 as off_in
  long long off_in, off_out;
  size_t len;
  unsigned flags;
  const char *in_path;   // regular source file to snapshot, or NULL
  const char *out_path;  // regular destination file to check, or NULL
};

static struct cp CP(struct ctx *c, long long i, long long o, size_t len) {
  return (struct cp){.in = c->in, .out = c->out, .has_in = true, .has_out = true, .off_in = i, .off_out = o,
                     .len = len, .in_path = c->src, .out_path = c->dst};
}

static long long fsize_path(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

// shared_state: 1 if FIEMAP (FIEMAP_FLAG_SYNC) reports an extent flagged
// FIEMAP_EXTENT_SHARED overlapping [off, off+n) of path, 0 if not, -1 if
// the filesystem has no FIEMAP.
static int shared_state(const char *path, long long off, long long n) {
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
  for (unsigned i = 0; i < f.fm.fm_mapped_extents && i < 32; i++)
    if ((f.fm.fm_extents[i].fe_flags & FIEMAP_EXTENT_SHARED) &&
        (long long)(f.fm.fm_extents[i].fe_logical) < off + n &&
        (long long)(f.fm.fm_extents[i].fe_logical + f.fm.fm_extents[i].fe_length) > off)
      return 1;
  return 0;
}

static void do_copy(struct res *r, struct cp *p) {
  long long in_start = p->has_in ? p->off_in : lseek(p->in, 0, SEEK_CUR);
  long long out_start = p->has_out ? p->off_out : lseek(p->out, 0, SEEK_CUR);
  static unsigned char snap_in[WINDOW], old_out[WINDOW], exp[WINDOW], got[WINDOW];
  ssize_t snap_n = 0;
  long long old_size = -1;
  memset(snap_in, 0, sizeof snap_in);
  memset(old_out, 0, sizeof old_out);
  if (p->in_path && in_start >= 0) {
    int fd = open(p->in_path, O_RDONLY);
    snap_n = fd >= 0 ? pread(fd, snap_in, WINDOW, in_start) : -1;
    if (snap_n < 0) snap_n = 0;
    close(fd);
  }
  if (p->out_path) {
    int fd = open(p->out_path, O_RDONLY);
    old_size = fsize_path(p->out_path);
    if (fd < 0 || pread(fd, old_out, WINDOW, 0) < 0) die("snapshot out");
    close(fd);
  }

  loff_t oi = p->off_in, oo = p->off_out;
  loff_t *pi = p->bad_in ? (loff_t *)8 : p->has_in ? &oi : NULL;
  loff_t *po = p->has_out ? &oo : NULL;
  errno = 0;
  long ret = syscall(SYS_copy_file_range, p->in, pi, p->out, po, p->len, p->flags);
  int e = errno;
  r->ret = ret;
  r->err = ret < 0 ? e : 0;
  r->pos_in = p->in >= 0 ? (long long)lseek(p->in, 0, SEEK_CUR) : -1;
  r->pos_out = p->out >= 0 ? (long long)lseek(p->out, 0, SEEK_CUR) : -1;
  r->has_off_in = p->has_in && !p->bad_in;
  r->off_in = oi;
  r->has_off_out = p->has_out;
  r->off_out = oo;
  r->size_out = -1;
  r->data_ok = -1;
  if (!p->out_path) return;

  r->size_out = fsize_path(p->out_path);
  long long n = ret > 0 ? ret : 0;
  if (n > snap_n) {  // claimed more than the source had
    r->data_ok = 0;
    return;
  }
  long long want = old_size;
  if (n > 0 && out_start + n > want) want = out_start + n;
  bool ok = r->size_out == want;
  long long win = want < WINDOW ? want : WINDOW;
  memcpy(exp, old_out, WINDOW);
  if (old_size < WINDOW) memset(exp + old_size, 0, WINDOW - old_size);
  for (long long i = 0; i < n; i++)
    if (out_start + i < win) exp[out_start + i] = snap_in[i];
  int fd = open(p->out_path, O_RDONLY);
  ok = ok && fd >= 0 && pread(fd, got, win, 0) == win && memcmp(got, exp, win) == 0;
  if (ok && n > 0) ok = pread(fd, got, n, out_start) == n && memcmp(got, snap_in, n) == 0;
  close(fd);
  r->data_ok = ok;
  if (n > 0) {
    int sh = shared_state(p->out_path, out_start, n);
    snprintf(r->extra, sizeof r->extra, ",\"shared\":%s", sh < 0 ? "null" : sh ? "true" : "false");
  }
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

// ---------------------------------------------------------------------------
// Cases.

static void find_maxbytes_case(struct ctx *c, struct res *r) {
  (void)c;
  r->ret = 0;
  r->pos_in = r->pos_out = 0;
  r->size_out = -1;
  r->data_ok = -1;
  snprintf(r->extra, sizeof r->extra, ",\"maxbytes\":%lld", M);
}

#define SIMPLE(name, i, o, len)                           \
  static void name(struct ctx *c, struct res *r) {        \
    struct cp p = CP(c, i, o, len);                       \
    do_copy(r, &p);                                       \
  }

SIMPLE(basic, 0, 0, 4096)
SIMPLE(len0, 0, 0, 0)
SIMPLE(in_at_eof, 16384, 0, 100)
SIMPLE(in_past_eof, 1LL << 20, 0, 100)
SIMPLE(shorten_at_eof, 16000, 0, 1000)
SIMPLE(extend_dest_hole, 0, 12288, 100)
SIMPLE(len_size_max, 0, 0, SIZE_MAX)
SIMPLE(len_size_max_off_in1, 1, 0, SIZE_MAX)
SIMPLE(len_3g, 0, 0, 3 * GIB)
SIMPLE(off_in_neg1, -1, 0, 10)
SIMPLE(off_in_neg4096, -4096, 0, 10)
SIMPLE(off_in_llmin, LLMIN, 0, 10)
SIMPLE(off_in_neg4096_len0, -4096, 0, 0)
SIMPLE(off_out_neg1, 0, -1, 10)
SIMPLE(off_out_neg4096, 0, -4096, 10)
SIMPLE(off_in_llmax_minus10, LLMAX - 10, 0, 100)
SIMPLE(off_out_llmax_minus10, 0, LLMAX - 10, 100)
SIMPLE(off_out_llmax_len0, 0, LLMAX, 0)
SIMPLE(off_out_max_minus10, 0, M - 10, 100)
SIMPLE(off_out_at_max, 0, M, 100)
SIMPLE(off_out_at_max_in_eof, 16384, M, 100)
SIMPLE(off_in_neg4096_out_at_max, -4096, M, 10)
SIMPLE(off_out_16tib, 0, TIB16, 100)
SIMPLE(unaligned_len, 0, 0, 5000)
SIMPLE(unaligned_off, 100, 0, 5000)
SIMPLE(aligned_8192, 0, 0, 8192)

static void null_offsets(struct ctx *c, struct res *r) {
  lseek(c->in, 100, SEEK_SET);
  lseek(c->out, 50, SEEK_SET);
  struct cp p = CP(c, 0, 0, 1000);
  p.has_in = p.has_out = false;
  do_copy(r, &p);
}

static void null_in_off_out(struct ctx *c, struct res *r) {
  lseek(c->in, 100, SEEK_SET);
  struct cp p = CP(c, 0, 100, 1000);
  p.has_in = false;
  do_copy(r, &p);
}

static struct cp same(struct ctx *c, long long i, long long o, size_t len) {
  struct cp p = CP(c, i, o, len);
  p.out = c->in;
  p.out_path = c->src;
  return p;
}

#define SAME(name, i, o, len)                       \
  static void name(struct ctx *c, struct res *r) {  \
    struct cp p = same(c, i, o, len);               \
    do_copy(r, &p);                                 \
  }

SAME(same_overlap, 0, 100, 1000)
SAME(same_adjacent, 0, 4096, 4096)
SAME(same_extend, 0, 16384, 4096)
SAME(same_overlap_before_shortening, 12288, 16384, 8192)
SAME(same_in_at_eof, 16384, 16384, 100)

static void same_fd_null_offsets(struct ctx *c, struct res *r) {
  struct cp p = same(c, 0, 0, 100);
  p.has_in = p.has_out = false;
  do_copy(r, &p);
}

static void same_file_two_fds(struct ctx *c, struct res *r) {
  int fd2 = must_open(c, c->src, O_RDWR);
  lseek(fd2, 16384, SEEK_SET);
  struct cp p = same(c, 0, 0, 4096);
  p.out = fd2;
  p.has_in = p.has_out = false;
  do_copy(r, &p);
}

static void flags1(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.flags = 1;
  do_copy(r, &p);
}

static void badfd_in(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = BADFD;
  p.in_path = NULL;
  do_copy(r, &p);
}

static void badfd_out(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.out = BADFD;
  p.out_path = NULL;
  do_copy(r, &p);
}

static void badfd_in_flags1(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = BADFD;
  p.in_path = NULL;
  p.flags = 1;
  do_copy(r, &p);
}

static void efault_off_in(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.bad_in = true;
  do_copy(r, &p);
}

static void efault_off_in_flags1(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.bad_in = true;
  p.flags = 1;
  do_copy(r, &p);
}

static void efault_off_in_badfd_out(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.bad_in = true;
  p.out = BADFD;
  p.out_path = NULL;
  do_copy(r, &p);
}

static void in_wronly(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = must_open(c, c->src, O_WRONLY);
  do_copy(r, &p);
}

static void out_rdonly(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.out = must_open(c, c->dst, O_RDONLY);
  do_copy(r, &p);
}

static void out_append(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.out = must_open(c, c->dst, O_WRONLY | O_APPEND);
  do_copy(r, &p);
}

static void out_append_in_past_eof(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 1LL << 20, 0, 100);
  p.out = must_open(c, c->dst, O_WRONLY | O_APPEND);
  do_copy(r, &p);
}

static void in_opath(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = must_open(c, c->src, O_PATH);
  do_copy(r, &p);
}

static void in_dir(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = open_dir(c, g_dir);
  p.in_path = NULL;
  do_copy(r, &p);
}

static void out_dir(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.out = open_dir(c, g_dir);
  p.out_path = NULL;
  do_copy(r, &p);
}

static void in_dir_out_rdonly(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = open_dir(c, g_dir);
  p.in_path = NULL;
  p.out = must_open(c, c->dst, O_RDONLY);
  do_copy(r, &p);
}

static void in_dir_flags1(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = open_dir(c, g_dir);
  p.in_path = NULL;
  p.flags = 1;
  do_copy(r, &p);
}

static void in_fifo(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = open_fifo(c);
  p.in_path = NULL;
  p.has_in = false;
  do_copy(r, &p);
}

static void out_fifo(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.out = open_fifo(c);
  p.out_path = NULL;
  p.has_out = false;
  do_copy(r, &p);
}

static void in_pipe(struct ctx *c, struct res *r) {
  int pp[2];
  if (pipe2(pp, O_NONBLOCK) != 0) die("pipe2");
  keep(c, pp[0]);
  keep(c, pp[1]);
  struct cp p = CP(c, 0, 0, 100);
  p.in = pp[0];
  p.in_path = NULL;
  p.has_in = false;
  do_copy(r, &p);
}

static void out_pipe(struct ctx *c, struct res *r) {
  int pp[2];
  if (pipe2(pp, O_NONBLOCK) != 0) die("pipe2");
  keep(c, pp[0]);
  keep(c, pp[1]);
  struct cp p = CP(c, 0, 0, 100);
  p.out = pp[1];
  p.out_path = NULL;
  p.has_out = false;
  do_copy(r, &p);
}

static void in_fifo_out_rdonly(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.in = open_fifo(c);
  p.in_path = NULL;
  p.has_in = false;
  p.out = must_open(c, c->dst, O_RDONLY);
  do_copy(r, &p);
}

static struct cp to_other(struct ctx *c, long long i, long long o, size_t len) {
  make_file(c->other, dst_bytes, DST_SIZE);
  struct cp p = CP(c, i, o, len);
  p.out = must_open(c, c->other, O_RDWR);
  p.out_path = c->other;
  return p;
}

static void cross_to_other(struct ctx *c, struct res *r) {
  struct cp p = to_other(c, 0, 0, 4096);
  do_copy(r, &p);
}

static void cross_from_other(struct ctx *c, struct res *r) {
  make_file(c->other, src_bytes, SRC_SIZE);
  struct cp p = CP(c, 0, 0, 4096);
  p.in = must_open(c, c->other, O_RDWR);
  p.in_path = c->other;
  do_copy(r, &p);
}

static void cross_in_wronly(struct ctx *c, struct res *r) {
  struct cp p = to_other(c, 0, 0, 4096);
  p.in = must_open(c, c->src, O_WRONLY);
  do_copy(r, &p);
}

static void cross_neg_off(struct ctx *c, struct res *r) {
  struct cp p = to_other(c, -4096, 0, 100);
  do_copy(r, &p);
}

static void cross_out_dir(struct ctx *c, struct res *r) {
  struct cp p = CP(c, 0, 0, 100);
  p.out = open_dir(c, g_other);
  p.out_path = NULL;
  do_copy(r, &p);
}

static void cross_flags1(struct ctx *c, struct res *r) {
  struct cp p = to_other(c, 0, 0, 100);
  p.flags = 1;
  do_copy(r, &p);
}

static void cross_len0(struct ctx *c, struct res *r) {
  struct cp p = to_other(c, 0, 0, 0);
  do_copy(r, &p);
}

static void eof_tail_into_middle(struct ctx *c, struct res *r) {
  if (ftruncate(c->in, 10000) != 0) die("ftruncate src");
  struct cp p = CP(c, 8192, 0, 4096);
  do_copy(r, &p);
}

static void whole_unaligned_file(struct ctx *c, struct res *r) {
  if (ftruncate(c->in, 10000) != 0) die("ftruncate src");
  struct cp p = CP(c, 0, 0, 10000);
  do_copy(r, &p);
}

// ---------------------------------------------------------------------------

struct probe_case {
  const char *name;
  void (*fn)(struct ctx *, struct res *);
};

#define CASE(fn) {#fn, fn}

static const struct probe_case cases[] = {
    {"find_maxbytes", find_maxbytes_case},
    CASE(basic),
    CASE(null_offsets),
    CASE(null_in_off_out),
    CASE(len0),
    CASE(in_at_eof),
    CASE(in_past_eof),
    CASE(shorten_at_eof),
    CASE(extend_dest_hole),
    CASE(len_size_max),
    CASE(len_size_max_off_in1),
    CASE(len_3g),

    CASE(off_in_neg1),
    CASE(off_in_neg4096),
    CASE(off_in_llmin),
    CASE(off_in_neg4096_len0),
    CASE(off_out_neg1),
    CASE(off_out_neg4096),
    CASE(off_in_llmax_minus10),
    CASE(off_out_llmax_minus10),
    CASE(off_out_llmax_len0),
    CASE(off_out_max_minus10),
    CASE(off_out_at_max),
    CASE(off_out_at_max_in_eof),
    CASE(off_in_neg4096_out_at_max),
    CASE(off_out_16tib),

    CASE(same_overlap),
    CASE(same_adjacent),
    CASE(same_extend),
    CASE(same_overlap_before_shortening),
    CASE(same_in_at_eof),
    CASE(same_fd_null_offsets),
    CASE(same_file_two_fds),

    CASE(flags1),
    CASE(badfd_in),
    CASE(badfd_out),
    CASE(badfd_in_flags1),
    CASE(efault_off_in),
    CASE(efault_off_in_flags1),
    CASE(efault_off_in_badfd_out),
    CASE(in_wronly),
    CASE(out_rdonly),
    CASE(out_append),
    CASE(out_append_in_past_eof),
    CASE(in_opath),

    CASE(in_dir),
    CASE(out_dir),
    CASE(in_dir_out_rdonly),
    CASE(in_dir_flags1),
    CASE(in_fifo),
    CASE(out_fifo),
    CASE(in_pipe),
    CASE(out_pipe),
    CASE(in_fifo_out_rdonly),

    CASE(cross_to_other),
    CASE(cross_from_other),
    CASE(cross_in_wronly),
    CASE(cross_neg_off),
    CASE(cross_out_dir),
    CASE(cross_flags1),
    CASE(cross_len0),

    CASE(unaligned_len),
    CASE(unaligned_off),
    CASE(aligned_8192),
    CASE(eof_tail_into_middle),
    CASE(whole_unaligned_file),
};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s DIR FSNAME\n", argv[0]);
    return 2;
  }
  g_dir = argv[1];
  const char *fs = argv[2];
  struct rlimit rl;
  if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY) {
    fprintf(stderr, "copy_range_probe: RLIMIT_FSIZE must be unlimited\n");
    return 2;
  }
  for (int i = 0; i < SRC_SIZE; i++) src_bytes[i] = (unsigned char)('A' + i % 26);
  for (int i = 0; i < DST_SIZE; i++) dst_bytes[i] = (unsigned char)('a' + i % 26);
  close(BADFD);
  M = find_maxbytes();
  mount_other();

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct res r = {.ret = -1, .pos_in = -1, .pos_out = -1, .size_out = -1, .data_ok = -1};
    struct ctx c;
    setup(&c);
    cases[i].fn(&c, &r);
    teardown(&c);
    emit(fs, cases[i].name, &r);
  }
  return 0;  // atexit unmounts OTHER
}
