// rw_checks_probe: records how the host kernel checks the arguments of the
// plain read/write paths (rw_verify_area, MAX_RW_COUNT, s_maxbytes, O_APPEND,
// fifos, directories, O_PATH, lseek and ftruncate limits).
//
//   rw_checks_probe DIR FSNAME
//
// prints one JSON object per case on stdout:
//
//   {"fs":FSNAME,"case":NAME,"ret":R,"errno":"ENAME"|"","pos":P,"size":S,...}
//
// ret   the call's return value (-1 on error); errno its symbolic errno when
//       ret < 0, else "" (ENOTSUP prints as EOPNOTSUPP, EWOULDBLOCK as EAGAIN).
// pos   lseek(FD, 0, SEEK_CUR) right after the call, on the descriptor the
//       call used ("FD" below); -1 when that fails (fifo, O_PATH, bad fd).
// size  fstat(f).st_size of the setup file f right after the call (always f,
//       whatever descriptor the call used).
// extras per case, listed below, after size.
//
// M is the filesystem's s_maxbytes, found once before the cases (case
// find_maxbytes) as the largest length ftruncate accepts. LLMAX = LLONG_MAX,
// LLMIN = LLONG_MIN, MRW = MAX_RW_COUNT = 0x7ffff000 = 2147479552,
// TIB16 = 1<<44 (16 TiB), SSMAX1 = (size_t)1<<63 (SSIZE_MAX+1).
//
// Setup, fresh for every case: fd = open("DIR/f", O_RDWR|O_CREAT|O_TRUNC,
// 0644); write 16384 bytes, byte i = 'A' + i % 26 ("orig"); fsync; lseek 0.
// B is a 65536-byte malloc buffer filled with '.'. Descriptor 1000 (BADFD) is
// never open. Where a case names them: wfd = open(f, O_WRONLY), rfd =
// open(f, O_RDONLY), afd = open(f, O_WRONLY|O_APPEND), pfd = open(f, O_PATH),
// dfd = open(DIR, O_RDONLY|O_DIRECTORY), fifo = mkfifo("DIR/p", 0644) then
// ffd = open(p, O_RDWR|O_NONBLOCK) (nothing written: empty, and this fd is
// both reader and writer). After the case every descriptor is closed and f
// and p are unlinked. FD is fd unless the call names another.
//
// Cases (FD in brackets when not fd):
//  find_maxbytes            ftruncate binary search on a scratch file
//                           "DIR/maxbytes" (LLMAX tried first; then the
//                           largest L in [0, LLMAX) with ftruncate(L) == 0);
//                           ret 0, extra maxbytes = M. pos/size are of fd/f.
//  -- reads: offsets and counts
//  read_basic               read(fd, B, 100)                      -> sanity
//  pread_neg1               pread(fd, B, 10, -1)
//  pread_llmin              pread(fd, B, 10, LLMIN)
//  pread_neg1_count0        pread(fd, B, 0, -1)
//  pread_overflow           pread(fd, B, 100, LLMAX-10)   (pos+count wraps)
//  pread_end_at_llmax       pread(fd, B, 10, LLMAX-10)    (pos+count = LLMAX)
//  pread_past_eof           pread(fd, B, 100, 1<<40)
//  pread_count_3g           pread(fd, B, 3 GiB, 0)  (count > MRW; B holds the
//                           16384 bytes the file has)
//  pread_count_ssmax1       pread(fd, B, SSMAX1, 0)
//  readv_len_ssmax1         readv(fd, {{B, SSMAX1}}, 1)
//  pread_tail_of_max_file   ftruncate(fd, M); pread(fd, B, 10, M-10)
//  pread_straddle_max_file  ftruncate(fd, M); pread(fd, B, 100, M-10)
//  read_fpos_near_max       lseek(fd, M-10, SEEK_SET); read(fd, B, 100)
//                           extra seek = that lseek's return
//  read_dio_3g_clamped      ftruncate(fd, 4 GiB) (a hole after the data);
//                           xfd = open(f, O_RDONLY|O_DIRECT); read(xfd, G,
//                           3 GiB) [xfd]. G: a 3 GiB page-aligned region made
//                           of 3072 MAP_SHARED mappings of one 1 MiB memfd
//                           (so the 2 GiB the kernel writes cost 1 MiB;
//                           the data cannot be checked, every chunk aliases)
//  readv_dio_3g_clamped     the same with readv(xfd, {{G, 1.5 GiB},
//                           {G+1.5 GiB, 1.5 GiB}}, 2) [xfd]
//  -- preadv2 / offset -1
//  preadv2_neg1_uses_fpos   lseek(fd, 100); preadv2(fd, {{B,10}}, 1, -1, 0)
//  preadv2_neg2             preadv2(fd, {{B,10}}, 1, -2, 0)
//  preadv2_overflow         preadv2(fd, {{B,100}}, 1, LLMAX-10, 0)
//  preadv2_len0_neg2        preadv2(fd, {{B,0}}, 1, -2, 0)
//  preadv2_len0_badflag     preadv2(fd, {{B,0}}, 1, 0, 0x100000)
//  preadv2_badflag          preadv2(fd, {{B,10}}, 1, 0, 0x100000)
//  -- bad descriptors and wrong modes: which error wins
//  read_badfd               read(1000, B, 10)                          [1000]
//  pread_badfd_neg1         pread(1000, B, 10, -1)                     [1000]
//  pread_wronly             pread(wfd, B, 10, 0)                       [wfd]
//  pread_wronly_neg1        pread(wfd, B, 10, -1)                      [wfd]
//  pread_wronly_overflow    pread(wfd, B, 100, LLMAX-10)               [wfd]
//  pwrite_rdonly            pwrite(rfd, B, 10, 0)                      [rfd]
//  pwrite_rdonly_neg1       pwrite(rfd, B, 10, -1)                     [rfd]
//  readv_wronly_len_ssmax1  readv(wfd, {{B, SSMAX1}}, 1)               [wfd]
//  read_opath               read(pfd, B, 10)                           [pfd]
//  pread_opath_neg1         pread(pfd, B, 10, -1)                      [pfd]
//  write_opath              write(pfd, B, 10)                          [pfd]
//  -- directories
//  read_dir                 read(dfd, B, 10)                           [dfd]
//  read_dir_count0          read(dfd, B, 0)                            [dfd]
//  readv_dir_len0           readv(dfd, {{B,0}}, 1)                     [dfd]
//  pread_dir_neg1           pread(dfd, B, 10, -1)                      [dfd]
//  pread_dir_overflow       pread(dfd, B, 100, LLMAX-10)               [dfd]
//  write_dir                write(dfd, B, 10)                          [dfd]
//  -- fifos
//  fifo_read_empty          read(ffd, B, 10)                           [ffd]
//  fifo_read_count0         read(ffd, B, 0)                            [ffd]
//  fifo_read_no_writer      rd = open(p, O_RDONLY|O_NONBLOCK) (no ffd);
//                           read(rd, B, 10)                            [rd]
//  fifo_pread               pread(ffd, B, 10, 0)                       [ffd]
//  fifo_pread_neg1          pread(ffd, B, 10, -1)                      [ffd]
//  fifo_pread_overflow      pread(ffd, B, 100, LLMAX-10)               [ffd]
//  fifo_preadv2_neg1        preadv2(ffd, {{B,10}}, 1, -1, 0)           [ffd]
//  fifo_pwrite              pwrite(ffd, B, 10, 0)                      [ffd]
//  fifo_write               write(ffd, B, 10); extra read_back = the
//                           return of read(ffd, buf, 100) afterwards   [ffd]
//  fifo_lseek               lseek(ffd, 0, SEEK_SET)                    [ffd]
//  -- O_APPEND
//  pwrite_append            pwrite(afd, B, 10, 0)                      [afd]
//  write_append             write(afd, B, 10)                          [afd]
//  pwrite_append_overflow   pwrite(afd, B, 100, LLMAX-10)              [afd]
//  pwrite_append_high_pos   pwrite(afd, B, 10, LLMAX-10)               [afd]
//  pwritev2_append_noappend pwritev2(afd, {{B,10}}, 1, 0, RWF_NOAPPEND)[afd]
//    extra file_ok for these five: f's size is max(16384, at+n) and its
//    content is orig with n = max(ret,0) '.' bytes at `at`, where at = 16384
//    (EOF) for the first four and 0 for the last.
//  -- s_maxbytes (extra data_ok: the max(ret,0) bytes at the write's offset
//     read back as what was written: '.' from B, 0 from Z)
//  pwrite_fits_max          pwrite(fd, B, 10, M-10)
//  pwrite_straddle_max      pwrite(fd, B, 100, M-10)
//  pwrite_at_max            pwrite(fd, B, 100, M)
//  pwrite_at_max_count0     pwrite(fd, B, 0, M)
//  pwritev_straddle_max     pwritev(fd, {{B,5},{B+5,95}}, 2, M-10)
//  write_fpos_straddle_max  lseek(fd, M-10); write(fd, B, 100)
//  write_fpos_at_max        lseek(fd, M); write(fd, B, 10)
//  pwrite_16tib             pwrite(fd, B, 10, TIB16)
//  pwrite_llmax_minus10     pwrite(fd, B, 10, LLMAX-10)
//  pwrite_3g_straddle_max   pwrite(fd, Z, 3 GiB, M-10); Z = an untouched
//                           3 GiB anonymous PROT_READ mapping (reads as
//                           the zero page: nothing is allocated)
//  pwrite_count_ssmax1      pwrite(fd, B, SSMAX1, 0)
//  -- lseek (ret is the lseek's return)
//  lseek_neg                lseek(fd, -1, SEEK_SET)
//  lseek_to_max             lseek(fd, M, SEEK_SET)
//  lseek_llmax              lseek(fd, LLMAX, SEEK_SET)
//  lseek_16tib              lseek(fd, TIB16, SEEK_SET)
//  lseek_cur_overflow       lseek(fd, M, SEEK_SET); lseek(fd, M, SEEK_CUR)
//  lseek_end_past_max       lseek(fd, M, SEEK_END)   (16384 + M)
//  -- ftruncate / truncate
//  ftruncate_neg            ftruncate(fd, -1)
//  ftruncate_badfd          ftruncate(1000, 0)                         [1000]
//  ftruncate_badfd_neg      ftruncate(1000, -1)                        [1000]
//  ftruncate_rdonly         ftruncate(rfd, 0)                          [rfd]
//  ftruncate_rdonly_llmax   ftruncate(rfd, LLMAX)                      [rfd]
//  ftruncate_dir            ftruncate(dfd, 0)                          [dfd]
//  ftruncate_fifo           ftruncate(ffd, 0)                          [ffd]
//  ftruncate_opath          ftruncate(pfd, 0)                          [pfd]
//  ftruncate_append         ftruncate(afd, 100)                        [afd]
//  ftruncate_max            ftruncate(fd, M)
//  ftruncate_max_plus1      ftruncate(fd, M+1) (M+1 computed with two's
//                           complement wrap: LLMIN when M == LLMAX)
//  ftruncate_16tib          ftruncate(fd, TIB16)
//  ftruncate_llmax          ftruncate(fd, LLMAX)
//  truncate_neg_missing     truncate("DIR/missing", -1)   (no such file)
//  truncate_missing         truncate("DIR/missing", 0)
//  truncate_dir             truncate(DIR, 0)
//  truncate_fifo            truncate("DIR/p", 0) (fifo made, not opened)
//  truncate_max_plus1       truncate("DIR/f", M+1) (wrapping as above)
//  (for the truncate_* cases pos is fd's)
//
// RLIMIT_FSIZE must be unlimited (the probe refuses to run otherwise: a limit
// would turn EFBIG into SIGXFSZ).
//
// Build: gcc -O1 -Wall -o rw_checks_probe rw_checks_probe.c

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x00000020
#endif

#define FILE_SIZE 16384
#define BUF_SIZE 65536
#define BADFD 1000
#define GIB (1LL << 30)
#define TIB16 (1LL << 44)
#define SSMAX1 ((size_t)1 << 63)
// Counts the compiler must not reason about (it warns, and may assume, that
// a count beyond the buffer is never passed).
static volatile size_t v_ssmax1 = SSMAX1, v_3g = 3 * (1ULL << 30);
#define LLMAX LLONG_MAX
#define LLMIN LLONG_MIN
#define UNKNOWN_RWF 0x100000
#define CHUNK (1 << 20)

static long long M;  // s_maxbytes, from find_maxbytes()
static unsigned char orig[FILE_SIZE];
static const char *g_dir;

// ---------------------------------------------------------------------------
// Result lines.

struct res {
  long long ret;
  int err;
  long long pos;
  long long size;
  char extra[1024];
  size_t elen;
};

static void put_raw(struct res *r, const char *key, const char *val) {
  int n = snprintf(r->extra + r->elen, sizeof r->extra - r->elen, ",\"%s\":%s", key, val);
  if (n > 0 && r->elen + (size_t)n < sizeof r->extra) r->elen += (size_t)n;
}

static void put_int(struct res *r, const char *key, long long v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", v);
  put_raw(r, key, buf);
}

static void put_bool(struct res *r, const char *key, bool b) { put_raw(r, key, b ? "true" : "false"); }

// rec(r, call(...), fd): errno is read first; pos is fd's offset afterwards.
static void rec(struct res *r, long long ret, int fd) {
  int e = errno;
  r->ret = ret;
  r->err = ret < 0 ? e : 0;
  r->pos = fd >= 0 ? (long long)lseek(fd, 0, SEEK_CUR) : -1;
}

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
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\",\"pos\":%lld,\"size\":%lld%s}\n", fs,
         name, r->ret, errname(r->err), r->pos, r->size, r->extra);
  fflush(stdout);
}

// ---------------------------------------------------------------------------
// Per-case state.

struct ctx {
  char path[4096];  // DIR/f
  char fifo[4096];  // DIR/p
  int fd;
  unsigned char *B;
  int fds[8];
  int nfds;
  struct {
    void *p;
    size_t len;
  } maps[4];
  int nmaps;
};

static void die(const char *what) {
  perror(what);
  exit(2);
}

static int keep(struct ctx *c, int fd) {
  if (fd >= 0 && c->nfds < 8) c->fds[c->nfds++] = fd;
  return fd;
}

static int open_f(struct ctx *c, int flags) {
  int fd = keep(c, open(c->path, flags));
  if (fd < 0) die("open f");
  return fd;
}

static int open_dir(struct ctx *c) {
  int fd = keep(c, open(g_dir, O_RDONLY | O_DIRECTORY));
  if (fd < 0) die("open dir");
  return fd;
}

static void make_fifo(struct ctx *c) {
  if (mkfifo(c->fifo, 0644) != 0) die("mkfifo");
}

static int open_fifo(struct ctx *c) {
  make_fifo(c);
  int fd = keep(c, open(c->fifo, O_RDWR | O_NONBLOCK));
  if (fd < 0) die("open fifo");
  return fd;
}

static void add_map(struct ctx *c, void *p, size_t len) {
  c->maps[c->nmaps].p = p;
  c->maps[c->nmaps++].len = len;
}

// A len-byte (multiple of CHUNK) page-aligned writable region backed by one
// CHUNK-byte memfd mapped over and over.
static unsigned char *big_buffer(struct ctx *c, size_t len) {
  int mfd = memfd_create("rw_checks_buf", 0);
  if (mfd < 0 || ftruncate(mfd, CHUNK) != 0) die("memfd");
  unsigned char *base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) die("mmap reserve");
  for (size_t off = 0; off < len; off += CHUNK)
    if (mmap(base + off, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, mfd, 0) == MAP_FAILED)
      die("mmap chunk");
  close(mfd);
  add_map(c, base, len);
  return base;
}

static void setup(struct ctx *c) {
  memset(c, 0, sizeof *c);
  snprintf(c->path, sizeof c->path, "%s/f", g_dir);
  snprintf(c->fifo, sizeof c->fifo, "%s/p", g_dir);
  c->fd = open(c->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (c->fd < 0) die(c->path);
  if (write(c->fd, orig, FILE_SIZE) != FILE_SIZE) die("write f");
  if (fsync(c->fd) != 0) die("fsync f");
  if (lseek(c->fd, 0, SEEK_SET) != 0) die("lseek f");
  c->B = malloc(BUF_SIZE);
  if (c->B == NULL) die("malloc");
  memset(c->B, '.', BUF_SIZE);
}

static void teardown(struct ctx *c) {
  for (int i = 0; i < c->nfds; i++) close(c->fds[i]);
  for (int i = 0; i < c->nmaps; i++) munmap(c->maps[i].p, c->maps[i].len);
  free(c->B);
  close(c->fd);
  unlink(c->path);
  unlink(c->fifo);
}

static long long fsize(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
}

// file_is: f has size max(16384, at+n) and holds orig with n '.' at `at`.
static bool file_is(struct ctx *c, long long at, long long n) {
  long long want = at + n > FILE_SIZE ? at + n : FILE_SIZE;
  if (fsize(c->fd) != want || want > BUF_SIZE) return false;
  unsigned char *got = malloc(want), *exp = malloc(want);
  bool ok = pread(c->fd, got, want, 0) == want;
  memset(exp, 0, want);
  memcpy(exp, orig, FILE_SIZE);
  memset(exp + at, '.', n);
  ok = ok && memcmp(got, exp, want) == 0;
  free(got);
  free(exp);
  return ok;
}

// region_is: the n bytes of f at off all equal ch (true for n <= 0).
static bool region_is(struct ctx *c, long long off, long long n, unsigned char ch) {
  if (n <= 0) return true;
  unsigned char buf[256];
  if (n > (long long)sizeof buf) return false;
  if (pread(c->fd, buf, n, off) != n) return false;
  for (long long i = 0; i < n; i++)
    if (buf[i] != ch) return false;
  return true;
}

static struct iovec iov1(void *b, size_t n) { return (struct iovec){b, n}; }

// ---------------------------------------------------------------------------
// s_maxbytes.

static long long find_maxbytes(void) {
  char p[4096];
  snprintf(p, sizeof p, "%s/maxbytes", g_dir);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die("open maxbytes");
  long long found;
  if (ftruncate(fd, LLMAX) == 0) {
    found = LLMAX;
  } else {
    long long lo = 0, hi = LLMAX;  // ok(lo), !ok(hi)
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

static long long wrap_add(long long a, long long b) { return (long long)((unsigned long long)a + (unsigned long long)b); }

// ---------------------------------------------------------------------------
// Cases.

static void find_maxbytes_case(struct ctx *c, struct res *r) {
  r->ret = 0;
  r->err = 0;
  r->pos = lseek(c->fd, 0, SEEK_CUR);
  put_int(r, "maxbytes", M);
}

static void read_basic(struct ctx *c, struct res *r) { rec(r, read(c->fd, c->B, 100), c->fd); }
static void pread_neg1(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, 10, -1), c->fd); }
static void pread_llmin(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, 10, LLMIN), c->fd); }
static void pread_neg1_count0(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, 0, -1), c->fd); }
static void pread_overflow(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, 100, LLMAX - 10), c->fd); }
static void pread_end_at_llmax(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, 10, LLMAX - 10), c->fd); }
static void pread_past_eof(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, 100, 1LL << 40), c->fd); }
static void pread_count_3g(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, v_3g, 0), c->fd); }
static void pread_count_ssmax1(struct ctx *c, struct res *r) { rec(r, pread(c->fd, c->B, v_ssmax1, 0), c->fd); }

static void readv_len_ssmax1(struct ctx *c, struct res *r) {
  struct iovec v = iov1(c->B, SSMAX1);
  rec(r, readv(c->fd, &v, 1), c->fd);
}

static void pread_tail_of_max_file(struct ctx *c, struct res *r) {
  if (ftruncate(c->fd, M) != 0) die("ftruncate M");
  rec(r, pread(c->fd, c->B, 10, M - 10), c->fd);
}

static void pread_straddle_max_file(struct ctx *c, struct res *r) {
  if (ftruncate(c->fd, M) != 0) die("ftruncate M");
  rec(r, pread(c->fd, c->B, 100, M - 10), c->fd);
}

static void read_fpos_near_max(struct ctx *c, struct res *r) {
  long long s = lseek(c->fd, M - 10, SEEK_SET);
  rec(r, read(c->fd, c->B, 100), c->fd);
  put_int(r, "seek", s);
}

static void dio_clamped(struct ctx *c, struct res *r, bool vec) {
  if (ftruncate(c->fd, 4 * GIB) != 0) die("ftruncate 4G");
  int xfd = open_f(c, O_RDONLY | O_DIRECT);
  unsigned char *G = big_buffer(c, 3 * GIB);
  if (vec) {
    struct iovec v[2] = {{G, 3 * GIB / 2}, {G + 3 * GIB / 2, 3 * GIB / 2}};
    rec(r, readv(xfd, v, 2), xfd);
  } else {
    rec(r, read(xfd, G, 3 * GIB), xfd);
  }
}

static void read_dio_3g_clamped(struct ctx *c, struct res *r) { dio_clamped(c, r, false); }
static void readv_dio_3g_clamped(struct ctx *c, struct res *r) { dio_clamped(c, r, true); }

static void preadv2_neg1_uses_fpos(struct ctx *c, struct res *r) {
  struct iovec v = iov1(c->B, 10);
  lseek(c->fd, 100, SEEK_SET);
  rec(r, preadv2(c->fd, &v, 1, -1, 0), c->fd);
}

static void preadv2_neg2(struct ctx *c, struct res *r) {
  struct iovec v = iov1(c->B, 10);
  rec(r, preadv2(c->fd, &v, 1, -2, 0), c->fd);
}

static void preadv2_overflow(struct ctx *c, struct res *r) {
  struct iovec v = iov1(c->B, 100);
  rec(r, preadv2(c->fd, &v, 1, LLMAX - 10, 0), c->fd);
}

static void preadv2_len0_neg2(struct ctx *c, struct res *r) {
  struct iovec v = iov1(c->B, 0);
  rec(r, preadv2(c->fd, &v, 1, -2, 0), c->fd);
}

static void preadv2_len0_badflag(struct ctx *c, struct res *r) {
  struct iovec v = iov1(c->B, 0);
  rec(r, preadv2(c->fd, &v, 1, 0, UNKNOWN_RWF), c->fd);
}

static void preadv2_badflag(struct ctx *c, struct res *r) {
  struct iovec v = iov1(c->B, 10);
  rec(r, preadv2(c->fd, &v, 1, 0, UNKNOWN_RWF), c->fd);
}

static void read_badfd(struct ctx *c, struct res *r) { rec(r, read(BADFD, c->B, 10), BADFD); }
static void pread_badfd_neg1(struct ctx *c, struct res *r) { rec(r, pread(BADFD, c->B, 10, -1), BADFD); }

static void pread_wronly(struct ctx *c, struct res *r) {
  int w = open_f(c, O_WRONLY);
  rec(r, pread(w, c->B, 10, 0), w);
}

static void pread_wronly_neg1(struct ctx *c, struct res *r) {
  int w = open_f(c, O_WRONLY);
  rec(r, pread(w, c->B, 10, -1), w);
}

static void pread_wronly_overflow(struct ctx *c, struct res *r) {
  int w = open_f(c, O_WRONLY);
  rec(r, pread(w, c->B, 100, LLMAX - 10), w);
}

static void pwrite_rdonly(struct ctx *c, struct res *r) {
  int rd = open_f(c, O_RDONLY);
  rec(r, pwrite(rd, c->B, 10, 0), rd);
}

static void pwrite_rdonly_neg1(struct ctx *c, struct res *r) {
  int rd = open_f(c, O_RDONLY);
  rec(r, pwrite(rd, c->B, 10, -1), rd);
}

static void readv_wronly_len_ssmax1(struct ctx *c, struct res *r) {
  int w = open_f(c, O_WRONLY);
  struct iovec v = iov1(c->B, SSMAX1);
  rec(r, readv(w, &v, 1), w);
}

static void read_opath(struct ctx *c, struct res *r) {
  int p = open_f(c, O_PATH);
  rec(r, read(p, c->B, 10), p);
}

static void pread_opath_neg1(struct ctx *c, struct res *r) {
  int p = open_f(c, O_PATH);
  rec(r, pread(p, c->B, 10, -1), p);
}

static void write_opath(struct ctx *c, struct res *r) {
  int p = open_f(c, O_PATH);
  rec(r, write(p, c->B, 10), p);
}

static void read_dir(struct ctx *c, struct res *r) {
  int d = open_dir(c);
  rec(r, read(d, c->B, 10), d);
}

static void read_dir_count0(struct ctx *c, struct res *r) {
  int d = open_dir(c);
  rec(r, read(d, c->B, 0), d);
}

static void readv_dir_len0(struct ctx *c, struct res *r) {
  int d = open_dir(c);
  struct iovec v = iov1(c->B, 0);
  rec(r, readv(d, &v, 1), d);
}

static void pread_dir_neg1(struct ctx *c, struct res *r) {
  int d = open_dir(c);
  rec(r, pread(d, c->B, 10, -1), d);
}

static void pread_dir_overflow(struct ctx *c, struct res *r) {
  int d = open_dir(c);
  rec(r, pread(d, c->B, 100, LLMAX - 10), d);
}

static void write_dir(struct ctx *c, struct res *r) {
  int d = open_dir(c);
  rec(r, write(d, c->B, 10), d);
}

static void fifo_read_empty(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, read(f, c->B, 10), f);
}

static void fifo_read_count0(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, read(f, c->B, 0), f);
}

static void fifo_read_no_writer(struct ctx *c, struct res *r) {
  make_fifo(c);
  int f = keep(c, open(c->fifo, O_RDONLY | O_NONBLOCK));
  if (f < 0) die("open fifo rdonly");
  rec(r, read(f, c->B, 10), f);
}

static void fifo_pread(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, pread(f, c->B, 10, 0), f);
}

static void fifo_pread_neg1(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, pread(f, c->B, 10, -1), f);
}

static void fifo_pread_overflow(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, pread(f, c->B, 100, LLMAX - 10), f);
}

static void fifo_preadv2_neg1(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  struct iovec v = iov1(c->B, 10);
  rec(r, preadv2(f, &v, 1, -1, 0), f);
}

static void fifo_pwrite(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, pwrite(f, c->B, 10, 0), f);
}

static void fifo_write(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, write(f, c->B, 10), f);
  char buf[100];
  put_int(r, "read_back", read(f, buf, sizeof buf));
}

static void fifo_lseek(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, lseek(f, 0, SEEK_SET), f);
}

static void append_case(struct ctx *c, struct res *r, int kind) {
  int a = open_f(c, O_WRONLY | O_APPEND);
  struct iovec v = iov1(c->B, 10);
  long long at = FILE_SIZE;
  switch (kind) {
    case 0: rec(r, pwrite(a, c->B, 10, 0), a); break;
    case 1: rec(r, write(a, c->B, 10), a); break;
    case 2: rec(r, pwrite(a, c->B, 100, LLMAX - 10), a); break;
    case 3: rec(r, pwrite(a, c->B, 10, LLMAX - 10), a); break;
    case 4:
      rec(r, pwritev2(a, &v, 1, 0, RWF_NOAPPEND), a);
      at = 0;
      break;
  }
  put_bool(r, "file_ok", file_is(c, at, r->ret > 0 ? r->ret : 0));
}

static void pwrite_append(struct ctx *c, struct res *r) { append_case(c, r, 0); }
static void write_append(struct ctx *c, struct res *r) { append_case(c, r, 1); }
static void pwrite_append_overflow(struct ctx *c, struct res *r) { append_case(c, r, 2); }
static void pwrite_append_high_pos(struct ctx *c, struct res *r) { append_case(c, r, 3); }
static void pwritev2_append_noappend(struct ctx *c, struct res *r) { append_case(c, r, 4); }

static void written_at(struct ctx *c, struct res *r, long long off, unsigned char ch) {
  put_bool(r, "data_ok", region_is(c, off, r->ret > 0 ? r->ret : 0, ch));
}

static void pwrite_fits_max(struct ctx *c, struct res *r) {
  rec(r, pwrite(c->fd, c->B, 10, M - 10), c->fd);
  written_at(c, r, M - 10, '.');
}

static void pwrite_straddle_max(struct ctx *c, struct res *r) {
  rec(r, pwrite(c->fd, c->B, 100, M - 10), c->fd);
  written_at(c, r, M - 10, '.');
}

static void pwrite_at_max(struct ctx *c, struct res *r) {
  rec(r, pwrite(c->fd, c->B, 100, M), c->fd);
  written_at(c, r, M, '.');
}

static void pwrite_at_max_count0(struct ctx *c, struct res *r) {
  rec(r, pwrite(c->fd, c->B, 0, M), c->fd);
  written_at(c, r, M, '.');
}

static void pwritev_straddle_max(struct ctx *c, struct res *r) {
  struct iovec v[2] = {{c->B, 5}, {c->B + 5, 95}};
  rec(r, pwritev(c->fd, v, 2, M - 10), c->fd);
  written_at(c, r, M - 10, '.');
}

static void write_fpos_straddle_max(struct ctx *c, struct res *r) {
  lseek(c->fd, M - 10, SEEK_SET);
  rec(r, write(c->fd, c->B, 100), c->fd);
  written_at(c, r, M - 10, '.');
}

static void write_fpos_at_max(struct ctx *c, struct res *r) {
  lseek(c->fd, M, SEEK_SET);
  rec(r, write(c->fd, c->B, 10), c->fd);
  written_at(c, r, M, '.');
}

static void pwrite_16tib(struct ctx *c, struct res *r) {
  rec(r, pwrite(c->fd, c->B, 10, TIB16), c->fd);
  written_at(c, r, TIB16, '.');
}

static void pwrite_llmax_minus10(struct ctx *c, struct res *r) {
  rec(r, pwrite(c->fd, c->B, 10, LLMAX - 10), c->fd);
  written_at(c, r, LLMAX - 10, '.');
}

static void pwrite_3g_straddle_max(struct ctx *c, struct res *r) {
  void *Z = mmap(NULL, 3 * GIB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (Z == MAP_FAILED) die("mmap Z");
  add_map(c, Z, 3 * GIB);
  rec(r, pwrite(c->fd, Z, 3 * GIB, M - 10), c->fd);
  written_at(c, r, M - 10, 0);
}

static void pwrite_count_ssmax1(struct ctx *c, struct res *r) { rec(r, pwrite(c->fd, c->B, v_ssmax1, 0), c->fd); }

static void lseek_neg(struct ctx *c, struct res *r) { rec(r, lseek(c->fd, -1, SEEK_SET), c->fd); }
static void lseek_to_max(struct ctx *c, struct res *r) { rec(r, lseek(c->fd, M, SEEK_SET), c->fd); }
static void lseek_llmax(struct ctx *c, struct res *r) { rec(r, lseek(c->fd, LLMAX, SEEK_SET), c->fd); }
static void lseek_16tib(struct ctx *c, struct res *r) { rec(r, lseek(c->fd, TIB16, SEEK_SET), c->fd); }

static void lseek_cur_overflow(struct ctx *c, struct res *r) {
  lseek(c->fd, M, SEEK_SET);
  rec(r, lseek(c->fd, M, SEEK_CUR), c->fd);
}

static void lseek_end_past_max(struct ctx *c, struct res *r) { rec(r, lseek(c->fd, M, SEEK_END), c->fd); }

static void ftruncate_neg(struct ctx *c, struct res *r) { rec(r, ftruncate(c->fd, -1), c->fd); }
static void ftruncate_badfd(struct ctx *c, struct res *r) { rec(r, ftruncate(BADFD, 0), BADFD); }
static void ftruncate_badfd_neg(struct ctx *c, struct res *r) { rec(r, ftruncate(BADFD, -1), BADFD); }

static void ftruncate_rdonly(struct ctx *c, struct res *r) {
  int rd = open_f(c, O_RDONLY);
  rec(r, ftruncate(rd, 0), rd);
}

static void ftruncate_rdonly_llmax(struct ctx *c, struct res *r) {
  int rd = open_f(c, O_RDONLY);
  rec(r, ftruncate(rd, LLMAX), rd);
}

static void ftruncate_dir(struct ctx *c, struct res *r) {
  int d = open_dir(c);
  rec(r, ftruncate(d, 0), d);
}

static void ftruncate_fifo(struct ctx *c, struct res *r) {
  int f = open_fifo(c);
  rec(r, ftruncate(f, 0), f);
}

static void ftruncate_opath(struct ctx *c, struct res *r) {
  int p = open_f(c, O_PATH);
  rec(r, ftruncate(p, 0), p);
}

static void ftruncate_append(struct ctx *c, struct res *r) {
  int a = open_f(c, O_WRONLY | O_APPEND);
  rec(r, ftruncate(a, 100), a);
}

static void ftruncate_max(struct ctx *c, struct res *r) { rec(r, ftruncate(c->fd, M), c->fd); }
static void ftruncate_max_plus1(struct ctx *c, struct res *r) { rec(r, ftruncate(c->fd, wrap_add(M, 1)), c->fd); }
static void ftruncate_16tib(struct ctx *c, struct res *r) { rec(r, ftruncate(c->fd, TIB16), c->fd); }
static void ftruncate_llmax(struct ctx *c, struct res *r) { rec(r, ftruncate(c->fd, LLMAX), c->fd); }

static void truncate_path(struct ctx *c, struct res *r, const char *name, long long len) {
  char p[4096];
  if (name == NULL) snprintf(p, sizeof p, "%s", g_dir);
  else snprintf(p, sizeof p, "%s/%s", g_dir, name);
  rec(r, truncate(p, len), c->fd);
}

static void truncate_neg_missing(struct ctx *c, struct res *r) { truncate_path(c, r, "missing", -1); }
static void truncate_missing(struct ctx *c, struct res *r) { truncate_path(c, r, "missing", 0); }
static void truncate_dir(struct ctx *c, struct res *r) { truncate_path(c, r, NULL, 0); }

static void truncate_fifo(struct ctx *c, struct res *r) {
  make_fifo(c);
  truncate_path(c, r, "p", 0);
}

static void truncate_max_plus1(struct ctx *c, struct res *r) { truncate_path(c, r, "f", wrap_add(M, 1)); }

// ---------------------------------------------------------------------------

struct probe_case {
  const char *name;
  void (*fn)(struct ctx *, struct res *);
};

#define CASE(fn) {#fn, fn}

static const struct probe_case cases[] = {
    {"find_maxbytes", find_maxbytes_case},
    CASE(read_basic),
    CASE(pread_neg1),
    CASE(pread_llmin),
    CASE(pread_neg1_count0),
    CASE(pread_overflow),
    CASE(pread_end_at_llmax),
    CASE(pread_past_eof),
    CASE(pread_count_3g),
    CASE(pread_count_ssmax1),
    CASE(readv_len_ssmax1),
    CASE(pread_tail_of_max_file),
    CASE(pread_straddle_max_file),
    CASE(read_fpos_near_max),
    CASE(read_dio_3g_clamped),
    CASE(readv_dio_3g_clamped),

    CASE(preadv2_neg1_uses_fpos),
    CASE(preadv2_neg2),
    CASE(preadv2_overflow),
    CASE(preadv2_len0_neg2),
    CASE(preadv2_len0_badflag),
    CASE(preadv2_badflag),

    CASE(read_badfd),
    CASE(pread_badfd_neg1),
    CASE(pread_wronly),
    CASE(pread_wronly_neg1),
    CASE(pread_wronly_overflow),
    CASE(pwrite_rdonly),
    CASE(pwrite_rdonly_neg1),
    CASE(readv_wronly_len_ssmax1),
    CASE(read_opath),
    CASE(pread_opath_neg1),
    CASE(write_opath),

    CASE(read_dir),
    CASE(read_dir_count0),
    CASE(readv_dir_len0),
    CASE(pread_dir_neg1),
    CASE(pread_dir_overflow),
    CASE(write_dir),

    CASE(fifo_read_empty),
    CASE(fifo_read_count0),
    CASE(fifo_read_no_writer),
    CASE(fifo_pread),
    CASE(fifo_pread_neg1),
    CASE(fifo_pread_overflow),
    CASE(fifo_preadv2_neg1),
    CASE(fifo_pwrite),
    CASE(fifo_write),
    CASE(fifo_lseek),

    CASE(pwrite_append),
    CASE(write_append),
    CASE(pwrite_append_overflow),
    CASE(pwrite_append_high_pos),
    CASE(pwritev2_append_noappend),

    CASE(pwrite_fits_max),
    CASE(pwrite_straddle_max),
    CASE(pwrite_at_max),
    CASE(pwrite_at_max_count0),
    CASE(pwritev_straddle_max),
    CASE(write_fpos_straddle_max),
    CASE(write_fpos_at_max),
    CASE(pwrite_16tib),
    CASE(pwrite_llmax_minus10),
    CASE(pwrite_3g_straddle_max),
    CASE(pwrite_count_ssmax1),

    CASE(lseek_neg),
    CASE(lseek_to_max),
    CASE(lseek_llmax),
    CASE(lseek_16tib),
    CASE(lseek_cur_overflow),
    CASE(lseek_end_past_max),

    CASE(ftruncate_neg),
    CASE(ftruncate_badfd),
    CASE(ftruncate_badfd_neg),
    CASE(ftruncate_rdonly),
    CASE(ftruncate_rdonly_llmax),
    CASE(ftruncate_dir),
    CASE(ftruncate_fifo),
    CASE(ftruncate_opath),
    CASE(ftruncate_append),
    CASE(ftruncate_max),
    CASE(ftruncate_max_plus1),
    CASE(ftruncate_16tib),
    CASE(ftruncate_llmax),
    CASE(truncate_neg_missing),
    CASE(truncate_missing),
    CASE(truncate_dir),
    CASE(truncate_fifo),
    CASE(truncate_max_plus1),
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
    fprintf(stderr, "rw_checks_probe: RLIMIT_FSIZE must be unlimited\n");
    return 2;
  }
  for (int i = 0; i < FILE_SIZE; i++) orig[i] = (unsigned char)('A' + i % 26);
  close(BADFD);
  M = find_maxbytes();

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct res r = {.ret = -1, .pos = -1};
    struct ctx c;
    setup(&c);
    cases[i].fn(&c, &r);
    r.size = fsize(c.fd);
    teardown(&c);
    emit(fs, cases[i].name, &r);
  }
  return 0;
}
