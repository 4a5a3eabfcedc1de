// uaccess_probe: records how the host kernel answers syscalls whose user
// memory arguments fault (buffers, iovec arrays, ioctl argument structs), plus
// the O_DIRECT alignment, RWF_* and NOWAIT answers next to them.
//
//   uaccess_probe DIR FSNAME
//
// runs every case of the table at the bottom inside DIR (a mount point) and
// prints one JSON object per case on stdout:
//
//   {"fs":FSNAME,"case":NAME,"ret":R,"errno":"ENAME"|"","pos":P,...,"note":"..."}
//
// Each case starts from the same state (see setup()): a 16 KiB file "f" in
// DIR, open O_RDWR at offset 0, and a 3-page anonymous buffer region R filled
// with '.'. tests/probes/README.md describes every case; the fixture it
// produced is tests/probes/fixtures/uaccess.jsonl.
//
// Build: gcc -O1 -Wall -o uaccess_probe uaccess_probe.c

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/fiemap.h>
#include <linux/fs.h>

#define PAGE 4096
#define REGION (3 * PAGE)
#define FILE_SIZE 16384
#define BADFD 1000         // a descriptor number that is never open
#define UNKNOWN_RWF 0x100000  // an RWF_* bit no kernel defines

// A NULL the compiler cannot see through, so it neither warns nor assumes.
static void *volatile null_ptr;

static unsigned char orig[FILE_SIZE];  // byte i = 'A' + i % 26
static unsigned char dots[REGION];     // the buffer region's fill, '.'

// ---------------------------------------------------------------------------
// One result line.

struct res {
  long long ret;
  int err;
  long long pos;
  char extra[1024];  // ,"key":value pairs in the order they were added
  size_t elen;
  char note[256];
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

static void set_note(struct res *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->note, sizeof r->note, fmt, ap);
  va_end(ap);
}

// Records a syscall's answer. Call it as rec(r, syscall(...), fd): errno is
// read before anything else can touch it; pos is fd's offset afterwards, or
// -1 where fd is -1 or lseek fails (a closed fd, a pipe).
static void rec(struct res *r, long long ret, int fd) {
  int e = errno;
  r->ret = ret;
  r->err = ret < 0 ? e : 0;
  r->pos = fd >= 0 ? (long long)lseek(fd, 0, SEEK_CUR) : -1;
}

static const char *errname(int e) {
  if (e == 0) return "";
  const char *n = strerrorname_np(e);
  static char buf[16];
  if (n != NULL) return n;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
    else putchar(*s);
  }
  putchar('"');
}

// The one place that prints a result line.
static void emit(const char *fs, const char *name, const struct res *r) {
  printf("{\"fs\":");
  json_str(fs);
  printf(",\"case\":");
  json_str(name);
  printf(",\"ret\":%lld,\"errno\":\"%s\",\"pos\":%lld%s,\"note\":", r->ret, errname(r->err), r->pos,
         r->extra);
  json_str(r->note);
  printf("}\n");
  fflush(stdout);
}

// ---------------------------------------------------------------------------
// Per-case state and the resources a case takes (released by teardown()).

struct ctx {
  const char *dir;
  char path[4096];
  int fd;            // "f", O_RDWR, from setup()
  unsigned char *R;  // the 3-page buffer region
  int fds[8];
  int nfds;
  struct {
    void *p;
    size_t len;
  } maps[4];
  int nmaps;
  void *mem[4];
  int nmem;
};

static void die(const char *what) {
  perror(what);
  exit(2);
}

static int open_f(struct ctx *c, int flags) {
  int fd = open(c->path, flags);
  if (fd >= 0 && c->nfds < 8) c->fds[c->nfds++] = fd;
  return fd;
}

static void *map(struct ctx *c, size_t len, int prot, int flags, int fd) {
  void *p = mmap(NULL, len, prot, flags, fd, 0);
  if (p == MAP_FAILED) die("mmap");
  c->maps[c->nmaps].p = p;
  c->maps[c->nmaps++].len = len;
  return p;
}

static void *alloc(struct ctx *c, size_t align, size_t len) {
  void *p;
  if (posix_memalign(&p, align, len) != 0) die("posix_memalign");
  c->mem[c->nmem++] = p;
  return p;
}

static void setup(struct ctx *c, const char *dir) {
  memset(c, 0, sizeof *c);
  c->dir = dir;
  snprintf(c->path, sizeof c->path, "%s/f", dir);
  c->fd = open(c->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (c->fd < 0) die(c->path);
  if (write(c->fd, orig, FILE_SIZE) != FILE_SIZE) die("write f");
  if (fsync(c->fd) != 0) die("fsync f");
  if (lseek(c->fd, 0, SEEK_SET) != 0) die("lseek f");
  c->R = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (c->R == MAP_FAILED) die("mmap R");
  memset(c->R, '.', REGION);
}

static void teardown(struct ctx *c) {
  for (int i = 0; i < c->nfds; i++) close(c->fds[i]);
  for (int i = 0; i < c->nmaps; i++) munmap(c->maps[i].p, c->maps[i].len);
  for (int i = 0; i < c->nmem; i++) free(c->mem[i]);
  munmap(c->R, REGION);
  close(c->fd);
  unlink(c->path);
}

// ---------------------------------------------------------------------------
// Helpers the cases share.

static void unmap_page1(struct ctx *c) {
  if (munmap(c->R + PAGE, PAGE) != 0) die("munmap page1");
}

static void protect_page1(struct ctx *c, int prot) {
  if (mprotect(c->R + PAGE, PAGE, prot) != 0) die("mprotect page1");
}

static bool all_dots(const unsigned char *p, size_t n) { return memcmp(p, dots, n) == 0; }

static long long file_size(struct ctx *c) {
  struct stat st;
  return fstat(c->fd, &st) == 0 ? (long long)st.st_size : -1;
}

static void put_size(struct ctx *c, struct res *r) { put_int(r, "size", file_size(c)); }

// Whether file bytes [off, off+n) read back (pread on the setup fd) equal src.
static bool range_is(struct ctx *c, off_t off, const void *src, size_t n) {
  unsigned char *buf = malloc(n ? n : 1);
  bool ok = pread(c->fd, buf, n, off) == (ssize_t)n && memcmp(buf, src, n) == 0;
  free(buf);
  return ok;
}

// Whether the whole file is the original 16 KiB with n bytes of src written
// at off and nothing else changed, including its size (max(16384, off+n)).
static bool file_is(struct ctx *c, off_t off, const void *src, size_t n) {
  size_t len = (size_t)off + n > FILE_SIZE ? (size_t)off + n : FILE_SIZE;
  unsigned char *want = calloc(1, len);
  unsigned char *got = calloc(1, len + 1);
  memcpy(want, orig, FILE_SIZE);
  memcpy(want + off, src, n);
  bool ok = file_size(c) == (long long)len && pread(c->fd, got, len + 1, 0) == (ssize_t)len &&
            memcmp(want, got, len) == 0;
  free(want);
  free(got);
  return ok;
}

static bool file_unchanged(struct ctx *c) { return file_is(c, 0, orig, 0); }

// ---------------------------------------------------------------------------
// Read family: the buffer receives data.

static void read_tail_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, read(c->fd, c->R + PAGE - 100, 200), c->fd);
  put_bool(r, "copied_ok", memcmp(c->R + PAGE - 100, orig, 100) == 0);
}

static void read_head_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, read(c->fd, c->R + PAGE, 200), c->fd);
}

static void read_tail_protected(struct ctx *c, struct res *r, int prot) {
  protect_page1(c, prot);
  rec(r, read(c->fd, c->R + PAGE - 100, 200), c->fd);
  put_bool(r, "copied_ok", memcmp(c->R + PAGE - 100, orig, 100) == 0);
  protect_page1(c, PROT_READ);
  put_bool(r, "page1_unchanged", all_dots(c->R + PAGE, PAGE));
}

static void read_tail_readonly(struct ctx *c, struct res *r) { read_tail_protected(c, r, PROT_READ); }

static void read_tail_protnone(struct ctx *c, struct res *r) { read_tail_protected(c, r, PROT_NONE); }

static void pread_tail_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, pread(c->fd, c->R + PAGE - 100, 200, 1000), c->fd);
  put_bool(r, "copied_ok", memcmp(c->R + PAGE - 100, orig + 1000, 100) == 0);
}

static void read_null_len10(struct ctx *c, struct res *r) { rec(r, read(c->fd, null_ptr, 10), c->fd); }

static void read_null_len0(struct ctx *c, struct res *r) { rec(r, read(c->fd, null_ptr, 0), c->fd); }

static void read_at_eof_badbuf(struct ctx *c, struct res *r) {
  lseek(c->fd, 0, SEEK_END);
  rec(r, read(c->fd, null_ptr, 10), c->fd);
}

static void read_badfd_badbuf(struct ctx *c, struct res *r) { rec(r, read(BADFD, null_ptr, 10), -1); }

static void read_wronly_badbuf(struct ctx *c, struct res *r) {
  int fd = open_f(c, O_WRONLY);
  rec(r, read(fd, null_ptr, 10), fd);
}

static void read_dir_badbuf(struct ctx *c, struct res *r) {
  int fd = open(c->dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) c->fds[c->nfds++] = fd;
  rec(r, read(fd, null_ptr, 10), fd);
}

static void read_cross_3pages_mid_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, read(c->fd, c->R + 100, REGION - 200), c->fd);
  put_bool(r, "copied_ok", memcmp(c->R + 100, orig, PAGE - 100) == 0);
  put_bool(r, "page2_unchanged", all_dots(c->R + 2 * PAGE, PAGE));
}

// ---------------------------------------------------------------------------
// Write family: the buffer supplies data (all '.').

static void write_tail_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, write(c->fd, c->R + PAGE - 100, 200), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_is(c, 0, dots, 100));
}

static void write_head_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, write(c->fd, c->R + PAGE, 200), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_unchanged(c));
}

static void write_tail_protnone(struct ctx *c, struct res *r) {
  protect_page1(c, PROT_NONE);
  rec(r, write(c->fd, c->R + PAGE - 100, 200), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_is(c, 0, dots, 100));
}

static void pwrite_tail_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, pwrite(c->fd, c->R + PAGE - 100, 200, 1000), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_is(c, 1000, dots, 100));
}

static void write_extend_tail_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, pwrite(c->fd, c->R + PAGE - 100, 200, FILE_SIZE), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_is(c, FILE_SIZE, dots, 100));
}

static void write_null_len10(struct ctx *c, struct res *r) {
  rec(r, write(c->fd, null_ptr, 10), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_unchanged(c));
}

static void write_null_len0(struct ctx *c, struct res *r) {
  rec(r, write(c->fd, null_ptr, 0), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_unchanged(c));
}

static void write_rdonly_badbuf(struct ctx *c, struct res *r) {
  int fd = open_f(c, O_RDONLY);
  rec(r, write(fd, null_ptr, 10), fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_unchanged(c));
}

// ---------------------------------------------------------------------------
// Vector family.

static void readv_second_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  struct iovec iov[2] = {{c->R, 100}, {c->R + PAGE, 100}};
  rec(r, readv(c->fd, iov, 2), c->fd);
  put_bool(r, "copied_ok", memcmp(c->R, orig, 100) == 0);
}

static void readv_first_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  struct iovec iov[2] = {{c->R + PAGE, 100}, {c->R, 100}};
  rec(r, readv(c->fd, iov, 2), c->fd);
  put_bool(r, "second_unchanged", all_dots(c->R, 100));
}

static void readv_second_partial(struct ctx *c, struct res *r) {
  unmap_page1(c);
  struct iovec iov[2] = {{c->R, 100}, {c->R + PAGE - 50, 100}};
  rec(r, readv(c->fd, iov, 2), c->fd);
  put_bool(r, "copied_ok",
           memcmp(c->R, orig, 100) == 0 && memcmp(c->R + PAGE - 50, orig + 100, 50) == 0);
}

static void readv_iovarray_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, readv(c->fd, (struct iovec *)(c->R + PAGE), 1), c->fd);
}

static void readv_iovarray_straddles(struct ctx *c, struct res *r) {
  unmap_page1(c);
  struct iovec *iov = (struct iovec *)(c->R + PAGE - sizeof(struct iovec));
  iov[0].iov_base = c->R;
  iov[0].iov_len = 100;
  rec(r, readv(c->fd, iov, 2), c->fd);
  put_bool(r, "buffer_unchanged", all_dots(c->R, 100));
}

static void readv_iovcnt_neg(struct ctx *c, struct res *r) {
  struct iovec iov[1] = {{c->R, 100}};
  volatile int count = -1;  // volatile: gcc would warn about a literal -1
  rec(r, readv(c->fd, iov, count), c->fd);
}

static void readv_iovcnt_1025(struct ctx *c, struct res *r) {
  struct iovec *iov = alloc(c, 16, 1025 * sizeof *iov);
  for (int i = 0; i < 1025; i++) iov[i] = (struct iovec){c->R + i, 1};
  rec(r, readv(c->fd, iov, 1025), c->fd);
}

static void writev_second_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  struct iovec iov[2] = {{c->R, 100}, {c->R + PAGE, 100}};
  rec(r, writev(c->fd, iov, 2), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_is(c, 0, dots, 100));
}

static void writev_first_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  struct iovec iov[2] = {{c->R + PAGE, 100}, {c->R, 100}};
  rec(r, writev(c->fd, iov, 2), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_unchanged(c));
}

static void writev_iovarray_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  rec(r, writev(c->fd, (struct iovec *)(c->R + PAGE), 1), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_unchanged(c));
}

// Number of the file's 4 pages in the page cache (mincore on a fresh,
// untouched shared mapping), or -1.
static int cached_pages(struct ctx *c) {
  void *m = mmap(NULL, FILE_SIZE, PROT_READ, MAP_SHARED, c->fd, 0);
  unsigned char vec[FILE_SIZE / PAGE];
  int n = -1;
  if (m != MAP_FAILED && mincore(m, FILE_SIZE, vec) == 0) {
    n = 0;
    for (int i = 0; i < FILE_SIZE / PAGE; i++) n += vec[i] & 1;
  }
  if (m != MAP_FAILED) munmap(m, FILE_SIZE);
  return n;
}

static void preadv2_nowait_cached(struct ctx *c, struct res *r) {
  struct iovec iov = {c->R, PAGE};
  put_int(r, "cached_pages", cached_pages(c));
  rec(r, preadv2(c->fd, &iov, 1, 0, RWF_NOWAIT), c->fd);
  put_bool(r, "data_ok", memcmp(c->R, orig, PAGE) == 0);
}

static void preadv2_nowait_uncached(struct ctx *c, struct res *r) {
  struct iovec iov = {c->R, PAGE};
  fsync(c->fd);
  int fa = posix_fadvise(c->fd, 0, 0, POSIX_FADV_DONTNEED);
  int cached = cached_pages(c);
  put_int(r, "fadvise_ret", fa);
  put_int(r, "cached_after_fadvise", cached);
  if (cached != 0) {
    int dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
    bool dropped = dc >= 0 && write(dc, "1", 1) == 1;
    if (dc >= 0) close(dc);
    put_bool(r, "drop_caches_ok", dropped);
    cached = cached_pages(c);
  }
  put_int(r, "cached_before_read", cached);
  rec(r, preadv2(c->fd, &iov, 1, 0, RWF_NOWAIT), c->fd);
  put_bool(r, "data_ok", memcmp(c->R, orig, PAGE) == 0);
}

static void pwritev2_nowait_hole(struct ctx *c, struct res *r) {
  struct iovec iov = {c->R, PAGE};
  if (ftruncate(c->fd, 1 << 20) != 0) die("ftruncate");
  rec(r, pwritev2(c->fd, &iov, 1, 512 << 10, RWF_NOWAIT), c->fd);
  put_size(c, r);
  put_bool(r, "written_ok", range_is(c, 512 << 10, dots, PAGE));
}

static void pwritev2_nowait_overwrite(struct ctx *c, struct res *r) {
  struct iovec iov = {c->R, PAGE};
  rec(r, pwritev2(c->fd, &iov, 1, 0, RWF_NOWAIT), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_is(c, 0, dots, PAGE));
}

static void preadv2_badflag(struct ctx *c, struct res *r) {
  struct iovec iov = {c->R, PAGE};
  rec(r, preadv2(c->fd, &iov, 1, 0, UNKNOWN_RWF), c->fd);
}

// ---------------------------------------------------------------------------
// The buffer is a shared mapping of the file being read or written.

static unsigned char *map_file(struct ctx *c) {
  return map(c, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd);
}

static void put_map_checks(struct ctx *c, struct res *r) {
  put_bool(r, "file_ok", range_is(c, 8192, orig, PAGE));
  put_bool(r, "rest_unchanged", range_is(c, 0, orig, 8192) && range_is(c, 12288, orig + 12288, PAGE));
}

static void read_into_shared_map_same_file(struct ctx *c, struct res *r) {
  unsigned char *m = map_file(c);
  rec(r, pread(c->fd, m + 8192, PAGE, 0), c->fd);
  put_map_checks(c, r);
}

static void write_from_shared_map_same_file(struct ctx *c, struct res *r) {
  unsigned char *m = map_file(c);
  rec(r, pwrite(c->fd, m, PAGE, 8192), c->fd);
  put_map_checks(c, r);
}

static void write_from_shared_map_same_page(struct ctx *c, struct res *r) {
  unsigned char *m = map_file(c);
  rec(r, pwrite(c->fd, m, 8192, 0), c->fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_unchanged(c));
}

// ---------------------------------------------------------------------------
// O_DIRECT: a second descriptor on "f" opened O_RDWR|O_DIRECT, and a
// 4096-aligned 3-page buffer from posix_memalign filled with '.'.

static int odirect_errno = -1;  // errno of the odirect_open case; 0 = it opened

static void odirect_open(struct ctx *c, struct res *r) {
  int fd = open_f(c, O_RDWR | O_DIRECT);
  rec(r, fd, fd);
  odirect_errno = r->err;
}

static unsigned char *dio_buf(struct ctx *c) {
  unsigned char *b = alloc(c, PAGE, REGION);
  memset(b, '.', REGION);
  return b;
}

static void dio_pread(struct ctx *c, struct res *r, size_t bufoff, size_t len, off_t off) {
  int fd = open_f(c, O_RDWR | O_DIRECT);
  unsigned char *b = dio_buf(c);
  rec(r, pread(fd, b + bufoff, len, off), fd);
  // The bytes the return value claims arrived are the file's bytes there.
  bool ok = r->ret >= 0 && (r->ret == 0 || memcmp(b + bufoff, orig + off, r->ret) == 0);
  put_bool(r, "data_ok", ok);
}

static void dio_pwrite(struct ctx *c, struct res *r, size_t bufoff, size_t len, off_t off) {
  int fd = open_f(c, O_RDWR | O_DIRECT);
  unsigned char *b = dio_buf(c);
  rec(r, pwrite(fd, b + bufoff, len, off), fd);
  put_size(c, r);
  // Exactly the bytes the return value claims were written changed.
  put_bool(r, "file_ok", file_is(c, off, dots, r->ret > 0 ? r->ret : 0));
}

static void odirect_pread_aligned(struct ctx *c, struct res *r) { dio_pread(c, r, 0, 4096, 0); }
static void odirect_pread_off512(struct ctx *c, struct res *r) { dio_pread(c, r, 0, 4096, 512); }
static void odirect_pread_off100(struct ctx *c, struct res *r) { dio_pread(c, r, 0, 4096, 100); }
static void odirect_pread_len100(struct ctx *c, struct res *r) { dio_pread(c, r, 0, 100, 0); }
static void odirect_pread_len4196(struct ctx *c, struct res *r) { dio_pread(c, r, 0, 4196, 0); }
static void odirect_pread_buf1(struct ctx *c, struct res *r) { dio_pread(c, r, 1, 4096, 0); }
static void odirect_pread_buf512(struct ctx *c, struct res *r) { dio_pread(c, r, 512, 4096, 0); }
static void odirect_pread_eof(struct ctx *c, struct res *r) { dio_pread(c, r, 0, 8192, 12288); }
static void odirect_pread_past_eof(struct ctx *c, struct res *r) { dio_pread(c, r, 0, 4096, 65536); }
static void odirect_pwrite_aligned(struct ctx *c, struct res *r) { dio_pwrite(c, r, 0, 4096, 0); }
static void odirect_pwrite_off100(struct ctx *c, struct res *r) { dio_pwrite(c, r, 0, 4096, 100); }
static void odirect_pwrite_len100(struct ctx *c, struct res *r) { dio_pwrite(c, r, 0, 100, 0); }
static void odirect_pwrite_buf1(struct ctx *c, struct res *r) { dio_pwrite(c, r, 1, 4096, 0); }
static void odirect_pwrite_extend(struct ctx *c, struct res *r) { dio_pwrite(c, r, 0, 4096, FILE_SIZE); }

// A 2-page anonymous region (page aligned) whose second page is unmapped.
static unsigned char *half_mapped(struct ctx *c) {
  unsigned char *m = map(c, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  memset(m, '.', 2 * PAGE);
  if (munmap(m + PAGE, PAGE) != 0) die("munmap");
  return m;
}

static void odirect_pread_tail_unmapped(struct ctx *c, struct res *r) {
  int fd = open_f(c, O_RDWR | O_DIRECT);
  unsigned char *m = half_mapped(c);
  rec(r, pread(fd, m, 2 * PAGE, 0), fd);
  bool copied = memcmp(m, orig, PAGE) == 0;
  put_bool(r, "copied_ok", copied);
  if (r->ret < 0 && copied) set_note(r, "failed, yet the mapped first page received the data");
}

static void odirect_pwrite_tail_unmapped(struct ctx *c, struct res *r) {
  int fd = open_f(c, O_RDWR | O_DIRECT);
  unsigned char *m = half_mapped(c);
  rec(r, pwrite(fd, m, 2 * PAGE, 0), fd);
  put_size(c, r);
  bool changed = !range_is(c, 0, orig, PAGE);
  put_bool(r, "changed_0_4095", changed);
  put_bool(r, "rest_unchanged", range_is(c, PAGE, orig + PAGE, FILE_SIZE - PAGE));
  if (r->ret < 0 && changed) set_note(r, "failed, yet file bytes 0..4095 were written");
}

static void fcntl_setfl_odirect(struct ctx *c, struct res *r) {
  int fd = open_f(c, O_RDWR);
  rec(r, fcntl(fd, F_SETFL, O_DIRECT), fd);
  put_bool(r, "odirect_set", (fcntl(fd, F_GETFL) & O_DIRECT) != 0);
}

// ---------------------------------------------------------------------------
// Synchronous-write flags: 4096 bytes of '.' at offset 0.

static void sync_open_pwrite(struct ctx *c, struct res *r, int flag) {
  int fd = open_f(c, O_RDWR | flag);
  rec(r, pwrite(fd, c->R, PAGE, 0), fd);
  put_size(c, r);
  put_bool(r, "file_ok", file_is(c, 0, dots, PAGE));
}

static void osync_pwrite(struct ctx *c, struct res *r) { sync_open_pwrite(c, r, O_SYNC); }
static void odsync_pwrite(struct ctx *c, struct res *r) { sync_open_pwrite(c, r, O_DSYNC); }

static void rwf_pwritev2(struct ctx *c, struct res *r, int flags) {
  struct iovec iov = {c->R, PAGE};
  rec(r, pwritev2(c->fd, &iov, 1, 0, flags), c->fd);
  put_size(c, r);
}

static void rwf_sync_pwritev2(struct ctx *c, struct res *r) {
  rwf_pwritev2(c, r, RWF_SYNC);
  put_bool(r, "file_ok", file_is(c, 0, dots, PAGE));
}

static void rwf_dsync_pwritev2(struct ctx *c, struct res *r) {
  rwf_pwritev2(c, r, RWF_DSYNC);
  put_bool(r, "file_ok", file_is(c, 0, dots, PAGE));
}

static void rwf_append_pwritev2(struct ctx *c, struct res *r) {
  rwf_pwritev2(c, r, RWF_APPEND);
  put_bool(r, "landed_at_eof", file_is(c, FILE_SIZE, dots, PAGE));
}

// ---------------------------------------------------------------------------
// ioctl arguments.

static void getflags_null(struct ctx *c, struct res *r) {
  rec(r, ioctl(c->fd, FS_IOC_GETFLAGS, null_ptr), c->fd);
}
static void setflags_null(struct ctx *c, struct res *r) {
  rec(r, ioctl(c->fd, FS_IOC_SETFLAGS, null_ptr), c->fd);
}
static void fsgetxattr_null(struct ctx *c, struct res *r) {
  rec(r, ioctl(c->fd, FS_IOC_FSGETXATTR, null_ptr), c->fd);
}
static void fssetxattr_null(struct ctx *c, struct res *r) {
  rec(r, ioctl(c->fd, FS_IOC_FSSETXATTR, null_ptr), c->fd);
}
static void fiemap_null(struct ctx *c, struct res *r) { rec(r, ioctl(c->fd, FS_IOC_FIEMAP, null_ptr), c->fd); }

// struct fiemap (32 bytes) in the last 32 bytes of page0, so its extent
// array starts at R+4096 in the unmapped page1.
static void fiemap_at_page_end(struct ctx *c, struct res *r, unsigned count) {
  unmap_page1(c);
  struct fiemap *fm = (struct fiemap *)(c->R + PAGE - sizeof(struct fiemap));
  memset(fm, 0, sizeof *fm);
  fm->fm_start = 0;
  fm->fm_length = ~0ULL;
  fm->fm_flags = FIEMAP_FLAG_SYNC;
  fm->fm_extent_count = count;
  fm->fm_mapped_extents = 0xdead;  // shows whether the kernel wrote the header back
  rec(r, ioctl(c->fd, FS_IOC_FIEMAP, fm), c->fd);
  put_int(r, "mapped_extents", fm->fm_mapped_extents);
  put_int(r, "fm_flags", fm->fm_flags);
}

static void fiemap_extents_unmapped(struct ctx *c, struct res *r) { fiemap_at_page_end(c, r, 4); }
static void fiemap_count_only_extents_unmapped(struct ctx *c, struct res *r) { fiemap_at_page_end(c, r, 0); }

static void ficlonerange_null(struct ctx *c, struct res *r) {
  rec(r, ioctl(c->fd, FICLONERANGE, null_ptr), c->fd);
}
static void ficlone_badfd(struct ctx *c, struct res *r) { rec(r, ioctl(c->fd, FICLONE, BADFD), c->fd); }
static void fideduperange_null(struct ctx *c, struct res *r) {
  rec(r, ioctl(c->fd, FIDEDUPERANGE, null_ptr), c->fd);
}

// struct file_dedupe_range header (24 bytes) in the last 24 bytes of page0,
// dest_count 1, so its one info record would be at R+4096 (unmapped).
static void fideduperange_info_unmapped(struct ctx *c, struct res *r) {
  unmap_page1(c);
  struct file_dedupe_range *d = (struct file_dedupe_range *)(c->R + PAGE - sizeof(struct file_dedupe_range));
  memset(d, 0, sizeof *d);
  d->src_offset = 0;
  d->src_length = PAGE;
  d->dest_count = 1;
  rec(r, ioctl(c->fd, FIDEDUPERANGE, d), c->fd);
}

static void getflags_badfd_null(struct ctx *c, struct res *r) {
  rec(r, ioctl(BADFD, FS_IOC_GETFLAGS, null_ptr), -1);
}

// ---------------------------------------------------------------------------
// The table. NEEDS_ODIRECT cases are skipped (with a note) where the
// odirect_open case failed.

enum { NEEDS_ODIRECT = 1 };

struct probe_case {
  const char *name;
  void (*fn)(struct ctx *, struct res *);
  int flags;
};

#define CASE(fn) {#fn, fn, 0}
#define DIO_CASE(fn) {#fn, fn, NEEDS_ODIRECT}

static const struct probe_case cases[] = {
    CASE(read_tail_unmapped),
    CASE(read_head_unmapped),
    CASE(read_tail_readonly),
    CASE(read_tail_protnone),
    CASE(pread_tail_unmapped),
    CASE(read_null_len10),
    CASE(read_null_len0),
    CASE(read_at_eof_badbuf),
    CASE(read_badfd_badbuf),
    CASE(read_wronly_badbuf),
    CASE(read_dir_badbuf),
    CASE(read_cross_3pages_mid_unmapped),

    CASE(write_tail_unmapped),
    CASE(write_head_unmapped),
    CASE(write_tail_protnone),
    CASE(pwrite_tail_unmapped),
    CASE(write_extend_tail_unmapped),
    CASE(write_null_len10),
    CASE(write_null_len0),
    CASE(write_rdonly_badbuf),

    CASE(readv_second_unmapped),
    CASE(readv_first_unmapped),
    CASE(readv_second_partial),
    CASE(readv_iovarray_unmapped),
    CASE(readv_iovarray_straddles),
    CASE(readv_iovcnt_neg),
    CASE(readv_iovcnt_1025),
    CASE(writev_second_unmapped),
    CASE(writev_first_unmapped),
    CASE(writev_iovarray_unmapped),
    CASE(preadv2_nowait_cached),
    CASE(preadv2_nowait_uncached),
    CASE(pwritev2_nowait_hole),
    CASE(pwritev2_nowait_overwrite),
    CASE(preadv2_badflag),

    CASE(read_into_shared_map_same_file),
    CASE(write_from_shared_map_same_file),
    CASE(write_from_shared_map_same_page),

    CASE(odirect_open),
    DIO_CASE(odirect_pread_aligned),
    DIO_CASE(odirect_pread_off512),
    DIO_CASE(odirect_pread_off100),
    DIO_CASE(odirect_pread_len100),
    DIO_CASE(odirect_pread_len4196),
    DIO_CASE(odirect_pread_buf1),
    DIO_CASE(odirect_pread_buf512),
    DIO_CASE(odirect_pread_eof),
    DIO_CASE(odirect_pread_past_eof),
    DIO_CASE(odirect_pwrite_aligned),
    DIO_CASE(odirect_pwrite_off100),
    DIO_CASE(odirect_pwrite_len100),
    DIO_CASE(odirect_pwrite_buf1),
    DIO_CASE(odirect_pwrite_extend),
    DIO_CASE(odirect_pread_tail_unmapped),
    DIO_CASE(odirect_pwrite_tail_unmapped),
    CASE(fcntl_setfl_odirect),

    CASE(osync_pwrite),
    CASE(odsync_pwrite),
    CASE(rwf_sync_pwritev2),
    CASE(rwf_dsync_pwritev2),
    CASE(rwf_append_pwritev2),

    CASE(getflags_null),
    CASE(setflags_null),
    CASE(fsgetxattr_null),
    CASE(fssetxattr_null),
    CASE(fiemap_null),
    CASE(fiemap_extents_unmapped),
    CASE(fiemap_count_only_extents_unmapped),
    CASE(ficlonerange_null),
    CASE(ficlone_badfd),
    CASE(fideduperange_null),
    CASE(fideduperange_info_unmapped),
    CASE(getflags_badfd_null),
};

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s DIR FSNAME\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1], *fs = argv[2];
  for (int i = 0; i < FILE_SIZE; i++) orig[i] = (unsigned char)('A' + i % 26);
  memset(dots, '.', sizeof dots);
  close(BADFD);

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct probe_case *pc = &cases[i];
    struct res r = {.ret = -1, .pos = -1};
    if ((pc->flags & NEEDS_ODIRECT) && odirect_errno != 0) {
      r.err = odirect_errno;
      put_bool(&r, "skipped", true);
      set_note(&r, "skipped: opening with O_DIRECT failed with %s", errname(odirect_errno));
      emit(fs, pc->name, &r);
      continue;
    }
    struct ctx c;
    setup(&c, dir);
    pc->fn(&c, &r);
    teardown(&c);
    emit(fs, pc->name, &r);
  }
  return 0;
}
