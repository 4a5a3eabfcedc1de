/* The append-only and immutable inode flags (chattr +a / +i) against
 * descriptors and mappings made BEFORE the flag was set, and against fresh
 * opens after it. Usage: chattr_probe DIR FSNAME; one JSON line per case:
 *
 *   {"fs":FS,"case":FLAG_OP,"ret":R,"errno":"E..."|"","size":S,"unchanged":U[,extras]}
 *
 * FLAG is "none" (no flag: the baseline), "imm" (FS_IMMUTABLE_FL) or "app"
 * (FS_APPEND_FL); every OP below is run once for each, in that order (all
 * none_* cases, then imm_*, then app_*).
 *
 * Fresh setup for every case:
 *   1. DIR/f: open(O_RDWR|O_CREAT|O_TRUNC, 0644), 8192 bytes 'A' written
 *      with pwrite at 0; this descriptor "fd" (offset 0) stays open for
 *      the case. DIR/src: 8192 bytes 'S', open O_RDWR as "src".
 *   2. Only the map_* ops: M = mmap(NULL, 8192, PROT_READ|PROT_WRITE,
 *      MAP_SHARED, fd, 0) made now (before the flag); see the op.
 *   3. The flag: ioctl(fd, FS_IOC_GETFLAGS, &v); v |= FLAG;
 *      ioctl(fd, FS_IOC_SETFLAGS, &v). (For "none" nothing is done.) If that
 *      fails the line's "note" says so (it never did here).
 *   4. The op. Then: "size" = fstat(fd).st_size; "unchanged" = DIR/f is
 *      still exactly 8192 'A' bytes (read with pread on fd).
 *   5. Cleanup: the flags are cleared again (GETFLAGS, &= ~(APPEND|IMMUTABLE),
 *      SETFLAGS on fd), mappings unmapped, descriptors closed, DIR/f, DIR/src,
 *      DIR/g, DIR/f2 unlinked.
 * ret is the op's return value (-1 on error; mmap: 0 when it succeeded);
 * errno its strerrorname_np name when ret < 0. Opens that succeed record
 * ret 0 (descriptor numbers never appear). X = a 10-byte buffer of 'x'.
 *
 * Ops on the descriptor opened before the flag:
 *   write           write(fd, X, 10) (file offset 0)
 *   write0          write(fd, X, 0)
 *   pwrite          pwrite(fd, X, 10, 100)
 *   write_eof       lseek(fd, 0, SEEK_END); write(fd, X, 10)
 *   pwrite_eof      pwrite(fd, X, 10, 8192)
 *   pwritev2_append pwritev2(fd, {X,10}, 1, 0, RWF_APPEND)
 *   ftruncate_same  ftruncate(fd, 8192)
 *   ftruncate_small ftruncate(fd, 4096)
 *   ftruncate_big   ftruncate(fd, 16384)
 *   falloc          fallocate(fd, 0, 0, 4096)           (inside the file)
 *   falloc_extend   fallocate(fd, 0, 8192, 4096)
 *   falloc_keep     fallocate(fd, KEEP_SIZE, 8192, 4096) (past EOF)
 *   falloc_punch    fallocate(fd, PUNCH_HOLE|KEEP_SIZE, 0, 4096)
 *   falloc_zero     fallocate(fd, ZERO_RANGE, 0, 4096)
 *   falloc_collapse fallocate(fd, COLLAPSE_RANGE, 0, 4096)
 *   falloc_insert   fallocate(fd, INSERT_RANGE, 0, 4096)
 *   falloc_len0     fallocate(fd, 0, 0, 0)   (EINVAL or EPERM first?)
 *   mmap_shared_rw  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0)
 *   mmap_shared_ro  mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0)
 *   mmap_private_rw mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE, fd, 0)
 *   mmap_shared_ro_rdonly_fd  the same as mmap_shared_ro, but on a descriptor
 *                   opened O_RDONLY after the flag (closed again)
 *   map_store_clean M made in step 2 and only read (M[0] loaded, so the page
 *                   is mapped but clean); after the flag: M[0] = 'Z' (under a
 *                   SIGBUS/SIGSEGV handler), then msync(M, 8192, MS_SYNC).
 *                   ret/errno are msync's; extras "signal" ("", "SIGBUS" or
 *                   "SIGSEGV": the store faulted and was skipped; msync still
 *                   runs), "b0" = file byte 0 after (pread), as a 1-char string
 *   map_store_dirty M made in step 2 and M[0] = 'Y' stored before the flag
 *                   (the page is dirty and writable); after the flag: M[1] =
 *                   'Z', msync. extras "signal", "b0", "b1"
 *   copy_into       copy_file_range(src, &0, fd, &0, 10, 0)
 *   copy_into_eof   copy_file_range(src, &0, fd, &8192, 10, 0)
 *   ficlone_into    ioctl(fd, FICLONE, src)  (whole src onto f)
 *   fchmod          fchmod(fd, 0600)
 *   fchown          fchown(fd, 0, 0)  (same owner)
 *   fsync           fsync(fd)
 *   fdatasync       fdatasync(fd)
 *   futimens_now    futimens(fd, NULL)
 *   futimens_set    futimens(fd, {{1000000000,0},{1000000000,0}})
 *   futimens_omit   futimens(fd, {UTIME_OMIT, UTIME_OMIT})
 *   fsetxattr       fsetxattr(fd, "user.x", "v", 1, 0)
 *   fgetxattr       fgetxattr(fd, "user.none", buf, 16) (no such xattr)
 *   setfl_append    fcntl(fd, F_SETFL, O_APPEND)   (turn O_APPEND on)
 * Path operations on the file:
 *   unlink          unlink("DIR/f")
 *   rename_from     rename("DIR/f", "DIR/g")
 *   rename_onto     rename("DIR/src", "DIR/f")  (f is the victim)
 *   link            link("DIR/f", "DIR/f2")
 *   truncate_path   truncate("DIR/f", 4096)
 *   utimensat_now   utimensat(AT_FDCWD, "DIR/f", NULL, 0)
 *   chmod_path      chmod("DIR/f", 0600)
 * Fresh opens after the flag (the new descriptor, if any, is closed):
 *   open_rdonly     open(f, O_RDONLY)
 *   open_rdwr       open(f, O_RDWR)
 *   open_wronly     open(f, O_WRONLY)
 *   open_append     open(f, O_WRONLY|O_APPEND)
 *   open_rdwr_append open(f, O_RDWR|O_APPEND)
 *   open_trunc      open(f, O_RDONLY|O_TRUNC)
 *   open_append_trunc open(f, O_WRONLY|O_APPEND|O_TRUNC)
 * Through a descriptor opened O_WRONLY|O_APPEND after the flag (the op is
 * skipped, with ret -1 and the open's errno and note "open failed", where
 * that open fails):
 *   afd_write       write(afd, X, 10)
 *   afd_pwrite0     pwrite(afd, X, 10, 0)
 *   afd_setfl_clear fcntl(afd, F_SETFL, 0)   (turn O_APPEND off)
 *   afd_ftruncate   ftruncate(afd, 8192)
 *
 * Build: gcc -O1 -Wall -o /tmp/chattr_probe tests/probes/chattr_probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#define SZ 8192

static const char *dir;
static char fpath[4096], spath[4096], gpath[4096], f2path[4096];
static int fd = -1, src = -1, xfd = -1;
static char *M;
static const char X[10] = "xxxxxxxxxx";

static long long r_ret;
static int r_err;
static char r_extra[512], r_note[128];

static void die(const char *what) {
  perror(what);
  exit(1);
}
static void rec(long long ret) {
  r_err = ret < 0 ? errno : 0;
  r_ret = ret;
}
static void extra(const char *fmt, ...) {
  size_t n = strlen(r_extra);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r_extra + n, sizeof r_extra - n, fmt, ap);
  va_end(ap);
}

static sigjmp_buf jb;
static volatile int got_sig;
static void on_sig(int s) {
  got_sig = s;
  siglongjmp(jb, 1);
}
static void store(volatile char *p, char v) {
  got_sig = 0;
  if (sigsetjmp(jb, 1) == 0) *p = v;
}
static void x_signal(void) {
  extra(",\"signal\":\"%s\"", got_sig == SIGBUS ? "SIGBUS" : got_sig == SIGSEGV ? "SIGSEGV" : "");
}
static void x_byte(const char *key, off_t off) {
  char c = 0;
  if (pread(fd, &c, 1, off) != 1) c = '?';
  extra(",\"%s\":\"%c\"", key, c);
}

static int make(const char *path, char c) {
  char buf[SZ];
  memset(buf, c, SZ);
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (f < 0 || pwrite(f, buf, SZ, 0) != SZ) die(path);
  return f;
}

static void flags_set(unsigned add) {
  int v = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &v) != 0) {
    snprintf(r_note, sizeof r_note, "GETFLAGS failed: %s", strerrorname_np(errno));
    return;
  }
  v |= add;
  if (ioctl(fd, FS_IOC_SETFLAGS, &v) != 0)
    snprintf(r_note, sizeof r_note, "SETFLAGS failed: %s", strerrorname_np(errno));
}
static void flags_clear(void) {
  int v = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &v) != 0) die("GETFLAGS cleanup");
  v &= ~(FS_APPEND_FL | FS_IMMUTABLE_FL);
  if (ioctl(fd, FS_IOC_SETFLAGS, &v) != 0) die("SETFLAGS cleanup");
}

static bool unchanged(void) {
  struct stat st;
  char buf[SZ + 1];
  if (fstat(fd, &st) != 0 || st.st_size != SZ) return false;
  if (pread(fd, buf, SZ + 1, 0) != SZ) return false;
  for (int i = 0; i < SZ; i++)
    if (buf[i] != 'A') return false;
  return true;
}

/* ---- ops ---- */
static void op_write(void) { rec(write(fd, X, 10)); }
static void op_write0(void) { rec(write(fd, X, 0)); }
static void op_pwrite(void) { rec(pwrite(fd, X, 10, 100)); }
static void op_write_eof(void) {
  lseek(fd, 0, SEEK_END);
  rec(write(fd, X, 10));
}
static void op_pwrite_eof(void) { rec(pwrite(fd, X, 10, SZ)); }
static void op_pwritev2_append(void) {
  struct iovec v = {(void *)X, 10};
  rec(pwritev2(fd, &v, 1, 0, RWF_APPEND));
}
static void op_ftruncate_same(void) { rec(ftruncate(fd, SZ)); }
static void op_ftruncate_small(void) { rec(ftruncate(fd, 4096)); }
static void op_ftruncate_big(void) { rec(ftruncate(fd, 16384)); }
static void op_falloc(void) { rec(fallocate(fd, 0, 0, 4096)); }
static void op_falloc_extend(void) { rec(fallocate(fd, 0, SZ, 4096)); }
static void op_falloc_keep(void) { rec(fallocate(fd, FALLOC_FL_KEEP_SIZE, SZ, 4096)); }
static void op_falloc_punch(void) { rec(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096)); }
static void op_falloc_zero(void) { rec(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096)); }
static void op_falloc_collapse(void) { rec(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096)); }
static void op_falloc_insert(void) { rec(fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 4096)); }
static void op_falloc_len0(void) { rec(fallocate(fd, 0, 0, 0)); }
static void do_mmap(int prot, int flags) {
  void *m = mmap(NULL, SZ, prot, flags, fd, 0);
  rec(m == MAP_FAILED ? -1 : 0);
  if (m != MAP_FAILED) munmap(m, SZ);
}
static void op_mmap_shared_rw(void) { do_mmap(PROT_READ | PROT_WRITE, MAP_SHARED); }
static void op_mmap_shared_ro(void) { do_mmap(PROT_READ, MAP_SHARED); }
static void op_mmap_private_rw(void) { do_mmap(PROT_READ | PROT_WRITE, MAP_PRIVATE); }
static void op_mmap_shared_ro_rdonly_fd(void) {
  int r = open(fpath, O_RDONLY);
  if (r < 0) die("open O_RDONLY");
  void *m = mmap(NULL, SZ, PROT_READ, MAP_SHARED, r, 0);
  rec(m == MAP_FAILED ? -1 : 0);
  if (m != MAP_FAILED) munmap(m, SZ);
  close(r);
}
static void op_map_store_clean(void) {
  store(M, 'Z');
  x_signal();
  rec(msync(M, SZ, MS_SYNC));
  x_byte("b0", 0);
}
static void op_map_store_dirty(void) {
  store(M + 1, 'Z');
  x_signal();
  rec(msync(M, SZ, MS_SYNC));
  x_byte("b0", 0);
  x_byte("b1", 1);
}
static void op_copy_into(void) {
  loff_t i = 0, o = 0;
  rec(copy_file_range(src, &i, fd, &o, 10, 0));
}
static void op_copy_into_eof(void) {
  loff_t i = 0, o = SZ;
  rec(copy_file_range(src, &i, fd, &o, 10, 0));
}
static void op_ficlone_into(void) { rec(ioctl(fd, FICLONE, src)); }
static void op_fchmod(void) { rec(fchmod(fd, 0600)); }
static void op_fchown(void) { rec(fchown(fd, 0, 0)); }
static void op_fsync(void) { rec(fsync(fd)); }
static void op_fdatasync(void) { rec(fdatasync(fd)); }
static void op_futimens_now(void) { rec(futimens(fd, NULL)); }
static void op_futimens_set(void) {
  struct timespec t[2] = {{1000000000, 0}, {1000000000, 0}};
  rec(futimens(fd, t));
}
static void op_futimens_omit(void) {
  struct timespec t[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  rec(futimens(fd, t));
}
static void op_fsetxattr(void) { rec(fsetxattr(fd, "user.x", "v", 1, 0)); }
static void op_fgetxattr(void) {
  char b[16];
  rec(fgetxattr(fd, "user.none", b, sizeof b));
}
static void op_setfl_append(void) { rec(fcntl(fd, F_SETFL, O_APPEND)); }
static void op_unlink(void) { rec(unlink(fpath)); }
static void op_rename_from(void) { rec(rename(fpath, gpath)); }
static void op_rename_onto(void) { rec(rename(spath, fpath)); }
static void op_link(void) { rec(link(fpath, f2path)); }
static void op_truncate_path(void) { rec(truncate(fpath, 4096)); }
static void op_utimensat_now(void) { rec(utimensat(AT_FDCWD, fpath, NULL, 0)); }
static void op_chmod_path(void) { rec(chmod(fpath, 0600)); }
static void fresh_open(int flags) {
  int f = open(fpath, flags);
  rec(f < 0 ? -1 : 0);
  if (f >= 0) close(f);
}
static void op_open_rdonly(void) { fresh_open(O_RDONLY); }
static void op_open_rdwr(void) { fresh_open(O_RDWR); }
static void op_open_wronly(void) { fresh_open(O_WRONLY); }
static void op_open_append(void) { fresh_open(O_WRONLY | O_APPEND); }
static void op_open_rdwr_append(void) { fresh_open(O_RDWR | O_APPEND); }
static void op_open_trunc(void) { fresh_open(O_RDONLY | O_TRUNC); }
static void op_open_append_trunc(void) { fresh_open(O_WRONLY | O_APPEND | O_TRUNC); }
static bool afd_open(void) {
  xfd = open(fpath, O_WRONLY | O_APPEND);
  if (xfd < 0) {
    rec(-1);
    snprintf(r_note, sizeof r_note, "open failed");
    return false;
  }
  return true;
}
static void op_afd_write(void) { if (afd_open()) rec(write(xfd, X, 10)); }
static void op_afd_pwrite0(void) { if (afd_open()) rec(pwrite(xfd, X, 10, 0)); }
static void op_afd_setfl_clear(void) { if (afd_open()) rec(fcntl(xfd, F_SETFL, 0)); }
static void op_afd_ftruncate(void) { if (afd_open()) rec(ftruncate(xfd, SZ)); }

enum { NOMAP, MAP_CLEAN, MAP_DIRTY };
#define OP(x) {#x, op_##x, NOMAP}
static const struct {
  const char *name;
  void (*fn)(void);
  int premap;
} ops[] = {
    OP(write), OP(write0), OP(pwrite), OP(write_eof), OP(pwrite_eof), OP(pwritev2_append),
    OP(ftruncate_same), OP(ftruncate_small), OP(ftruncate_big), OP(falloc), OP(falloc_extend),
    OP(falloc_keep), OP(falloc_punch), OP(falloc_zero), OP(falloc_collapse), OP(falloc_insert),
    OP(falloc_len0), OP(mmap_shared_rw), OP(mmap_shared_ro), OP(mmap_private_rw),
    OP(mmap_shared_ro_rdonly_fd),
    {"map_store_clean", op_map_store_clean, MAP_CLEAN},
    {"map_store_dirty", op_map_store_dirty, MAP_DIRTY},
    OP(copy_into), OP(copy_into_eof), OP(ficlone_into), OP(fchmod), OP(fchown), OP(fsync),
    OP(fdatasync), OP(futimens_now), OP(futimens_set), OP(futimens_omit), OP(fsetxattr),
    OP(fgetxattr), OP(setfl_append), OP(unlink), OP(rename_from), OP(rename_onto), OP(link),
    OP(truncate_path), OP(utimensat_now), OP(chmod_path), OP(open_rdonly), OP(open_rdwr),
    OP(open_wronly), OP(open_append), OP(open_rdwr_append), OP(open_trunc),
    OP(open_append_trunc), OP(afd_write), OP(afd_pwrite0), OP(afd_setfl_clear),
    OP(afd_ftruncate),
};

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  dir = argv[1];
  const char *fs = argv[2];
  snprintf(fpath, sizeof fpath, "%s/f", dir);
  snprintf(spath, sizeof spath, "%s/src", dir);
  snprintf(gpath, sizeof gpath, "%s/g", dir);
  snprintf(f2path, sizeof f2path, "%s/f2", dir);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGSEGV, &sa, NULL);
  const struct { const char *name; unsigned flag; } flags[] = {
      {"none", 0}, {"imm", FS_IMMUTABLE_FL}, {"app", FS_APPEND_FL}};
  for (int fi = 0; fi < 3; fi++) {
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
      r_extra[0] = r_note[0] = 0;
      fd = make(fpath, 'A');
      src = make(spath, 'S');
      M = NULL;
      if (ops[i].premap != NOMAP) {
        M = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (M == MAP_FAILED) die("premap");
        if (ops[i].premap == MAP_CLEAN) {
          if (*(volatile char *)M != 'A') die("premap read");
        } else {
          M[0] = 'Y';
        }
      }
      if (flags[fi].flag) flags_set(flags[fi].flag);
      errno = 0;
      ops[i].fn();
      struct stat st;
      long long size = fstat(fd, &st) == 0 ? (long long)st.st_size : -1;
      bool same = unchanged();
      printf("{\"fs\":\"%s\",\"case\":\"%s_%s\",\"ret\":%lld,\"errno\":\"%s\",\"size\":%lld,"
             "\"unchanged\":%s%s",
             fs, flags[fi].name, ops[i].name, r_ret, r_err ? strerrorname_np(r_err) : "", size,
             same ? "true" : "false", r_extra);
      if (r_note[0]) printf(",\"note\":\"%s\"", r_note);
      printf("}\n");
      fflush(stdout);
      flags_clear();
      if (M) munmap(M, SZ);
      if (xfd >= 0) close(xfd);
      xfd = -1;
      close(fd);
      close(src);
      unlink(fpath);
      unlink(spath);
      unlink(gpath);
      unlink(f2path);
    }
  }
  return 0;
}
