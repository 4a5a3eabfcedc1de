/* Which calls change which timestamps. Usage: timestamps_probe DIR FSNAME;
 * one JSON line per case:
 *
 *   {"fs":FS,"case":NAME,"ret":R,"errno":"E..."|"","a":A,"m":M,"c":C,"b":B,
 *    "da":DA,"dm":DM,"dc":DC}
 *
 * a/m/c/b: whether the atime/mtime/ctime/btime of the file F changed across
 * the call (b is null where statx does not report STATX_BTIME); da/dm/dc: the
 * same for its parent directory D. ret/errno are the call's (ret 0 for a
 * successful open or mmap; descriptor numbers never appear).
 *
 * Fresh setup for every case:
 *   1. D = DIR/d (mkdir 0755); F = DIR/d/f, 4096 bytes 'A' (the "empty"
 *      cases: 0 bytes); DIR/d/src, 4096 bytes 'S'; DIR/d/sub, an empty
 *      directory; DIR/d2, an empty directory (outside D).
 *   2. fd = open(F, O_RDWR); opf = open(F, O_PATH) (to stat F even after it
 *      is unlinked or renamed: statx(opf, "", AT_EMPTY_PATH, BASIC|BTIME)).
 *   3. utimensat(F, {T0, T0}) and utimensat(D, {T0, T0}) with T0 =
 *      1000000000 s (2001): atime and mtime are far in the past, so relatime
 *      lets the next access update atime (atime older than 24 h).
 *   4. Snapshot F (through opf) and D; usleep(20000), so that a ctime set
 *      now differs from the one utimensat just set (the mounts use the
 *      default relatime; the kernel's multigrain timestamps would also make
 *      it differ, the sleep is belt and braces).
 *   5. The call. 6. Snapshot again and compare (seconds and nanoseconds).
 *   7. Remove DIR/d and DIR/d2 recursively (flags cleared first).
 * The cases run in one process; the values recorded do not depend on timing
 * (a change is a change whatever the delay), only on a clock tick passing,
 * which the 20 ms guarantee.
 *
 * Calls (on fd, F, D unless said):
 *   write           write(fd, X, 10) (at offset 0)
 *   write0          write(fd, X, 0)
 *   pwrite0         pwrite(fd, X, 0, 0)
 *   pwrite_extend   pwrite(fd, X, 10, 4096)
 *   append_write    write(open(F, O_WRONLY|O_APPEND), X, 10)
 *   read            read(fd, buf, 10)
 *   read0           read(fd, buf, 0)
 *   read_eof        lseek(fd, 0, SEEK_END); read(fd, buf, 10) (returns 0)
 *   pread           pread(fd, buf, 10, 0)
 *   read_relatime_recent  before step 4: utimensat(F, {now+3600 s, T0}) (atime
 *                   later than mtime and ctime and not old): read(fd, buf, 10)
 *   read_noatime    read(open(F, O_RDONLY|O_NOATIME), buf, 10)
 *   mmap_read       mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0); one byte
 *                   loaded; munmap
 *   mmap_store_msync  mmap(PROT_READ|PROT_WRITE, MAP_SHARED, fd); M[0] = 'Z';
 *                   msync(M, 4096, MS_SYNC) (ret is msync's); munmap
 *   ftruncate_same  ftruncate(fd, 4096)
 *   ftruncate_smaller ftruncate(fd, 100)
 *   ftruncate_bigger  ftruncate(fd, 8192)
 *   ftruncate0_empty  (F empty) ftruncate(fd, 0)
 *   truncate_same   truncate(F, 4096)
 *   truncate_smaller truncate(F, 100)
 *   falloc_inside   fallocate(fd, 0, 0, 4096)
 *   falloc_extend   fallocate(fd, 0, 4096, 4096)
 *   falloc_keep     fallocate(fd, KEEP_SIZE, 4096, 4096)
 *   falloc_punch    fallocate(fd, PUNCH_HOLE|KEEP_SIZE, 0, 4096)
 *   falloc_zero     fallocate(fd, ZERO_RANGE, 0, 4096)
 *   chmod           chmod(F, 0600)
 *   chmod_same      chmod(F, 0644)  (the mode it has)
 *   chown_same      chown(F, 0, 0)  (the owner it has)
 *   chown_noop      chown(F, -1, -1)
 *   fchmod          fchmod(fd, 0600)
 *   utimensat_now   utimensat(F, NULL)
 *   utimensat_omit  utimensat(F, {UTIME_OMIT, UTIME_OMIT})
 *   utimensat_atime_now utimensat(F, {UTIME_NOW, UTIME_OMIT})
 *   futimens_set    futimens(fd, {{T1,0},{T1,0}}) T1 = 1100000000
 *   link            link(F, DIR/d/h)
 *   unlink          unlink(F)
 *   rename          rename(F, DIR/d/g)
 *   rename_cross_dir rename(F, DIR/d2/f)
 *   rename_onto     rename(DIR/d/src, F)  (F is replaced; a/m/c are the old F's)
 *   rename_noreplace_exists renameat2(F, DIR/d/src, RENAME_NOREPLACE) (EEXIST)
 *   rename_same     rename(F, F)
 *   rename_exchange renameat2(F, DIR/d/src, RENAME_EXCHANGE)
 *   setxattr        setxattr(F, "user.x", "v", 1, 0)
 *   removexattr_missing removexattr(F, "user.none") (ENODATA)
 *   setflags        FS_IOC_GETFLAGS, |= FS_NODUMP_FL, FS_IOC_SETFLAGS on fd
 *   setflags_same   FS_IOC_GETFLAGS, FS_IOC_SETFLAGS with the same value
 *   copy_to         copy_file_range(src, &0, fd, &0, 100, 0)  (F is dest)
 *   copy_from       copy_file_range(fd, &0, src, &0, 100, 0)  (F is source)
 *   ficlone_to      ioctl(fd, FICLONE, src)
 *   sendfile_from   sendfile(src, fd, NULL, 100)  (F is the input)
 *   open_trunc      open(F, O_RDWR|O_TRUNC)
 *   open_trunc_empty  (F empty) open(F, O_RDWR|O_TRUNC)
 *   open_rdonly_trunc open(F, O_RDONLY|O_TRUNC)
 *   open_creat_existing open(F, O_RDWR|O_CREAT, 0644)
 *   open_creat_new  open(DIR/d/new, O_RDWR|O_CREAT, 0644)
 *   mkdir           mkdir(DIR/d/newdir, 0755)
 *   rmdir           rmdir(DIR/d/sub)
 *   symlink         symlink("f", DIR/d/sl)
 *   mkfifo          mkfifo(DIR/d/fifo, 0644)
 *   readdir         getdents64(open(D, O_RDONLY|O_DIRECTORY), buf, 4096)
 *   stat            stat(F)
 *   fsync           fsync(fd)
 *
 * Build: gcc -O1 -Wall -o /tmp/timestamps_probe tests/probes/timestamps_probe.c */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define T0 1000000000
#define T1 1100000000

static const char *dir;
static int fd = -1, opf = -1, src = -1;
static bool empty_case;
static bool recent_atime;
static const char X[10] = "xxxxxxxxxx";
static char buf[4096];

static long long r_ret;
static int r_err;

static void die(const char *what) {
  perror(what);
  exit(1);
}
static char *P(const char *name) {
  static char bufs[4][4608];
  static int i;
  char *b = bufs[i++ % 4];
  snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
  return b;
}
static void rec(long long ret) {
  r_err = ret < 0 ? errno : 0;
  r_ret = ret;
}
static void rec_fd(int f) {
  r_err = f < 0 ? errno : 0;
  r_ret = f < 0 ? -1 : 0;
  if (f >= 0) close(f);
}

static void fill(const char *path, char c, size_t n) {
  char b[4096];
  memset(b, c, sizeof b);
  int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (f < 0 || (n && write(f, b, n) != (ssize_t)n)) die(path);
  close(f);
}

static void rm_rf(const char *path) {
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  if (dfd < 0) return;
  DIR *d = fdopendir(dfd);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (unlinkat(dirfd(d), e->d_name, 0) == 0) continue;
    char sub[4608];
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    rm_rf(sub);
  }
  closedir(d);
  if (rmdir(path) != 0) die("rmdir");
}

static void set_times(const char *path, time_t a, time_t m) {
  struct timespec t[2] = {{a, 0}, {m, 0}};
  if (utimensat(AT_FDCWD, path, t, 0) != 0) die("utimensat T0");
}

/* ---- calls ---- */
static void c_write(void) { rec(write(fd, X, 10)); }
static void c_write0(void) { rec(write(fd, X, 0)); }
static void c_pwrite0(void) { rec(pwrite(fd, X, 0, 0)); }
static void c_pwrite_extend(void) { rec(pwrite(fd, X, 10, 4096)); }
static void c_append_write(void) {
  int a = open(P("d/f"), O_WRONLY | O_APPEND);
  rec(a < 0 ? -1 : write(a, X, 10));
  if (a >= 0) close(a);
}
static void c_read(void) { rec(read(fd, buf, 10)); }
static void c_read0(void) { rec(read(fd, buf, 0)); }
static void c_read_eof(void) {
  lseek(fd, 0, SEEK_END);
  rec(read(fd, buf, 10));
}
static void c_pread(void) { rec(pread(fd, buf, 10, 0)); }
static void c_read_relatime_recent(void) { rec(read(fd, buf, 10)); }
static void c_read_noatime(void) {
  int n = open(P("d/f"), O_RDONLY | O_NOATIME);
  rec(n < 0 ? -1 : read(n, buf, 10));
  if (n >= 0) close(n);
}
static void c_mmap_read(void) {
  volatile char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  rec(m == MAP_FAILED ? -1 : 0);
  if (m != MAP_FAILED) {
    (void)m[0];
    munmap((void *)m, 4096);
  }
}
static void c_mmap_store_msync(void) {
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) {
    rec(-1);
    return;
  }
  m[0] = 'Z';
  rec(msync(m, 4096, MS_SYNC));
  munmap(m, 4096);
}
static void c_ftruncate_same(void) { rec(ftruncate(fd, 4096)); }
static void c_ftruncate_smaller(void) { rec(ftruncate(fd, 100)); }
static void c_ftruncate_bigger(void) { rec(ftruncate(fd, 8192)); }
static void c_ftruncate0_empty(void) { rec(ftruncate(fd, 0)); }
static void c_truncate_same(void) { rec(truncate(P("d/f"), 4096)); }
static void c_truncate_smaller(void) { rec(truncate(P("d/f"), 100)); }
static void c_falloc_inside(void) { rec(fallocate(fd, 0, 0, 4096)); }
static void c_falloc_extend(void) { rec(fallocate(fd, 0, 4096, 4096)); }
static void c_falloc_keep(void) { rec(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4096, 4096)); }
static void c_falloc_punch(void) {
  rec(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
}
static void c_falloc_zero(void) { rec(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096)); }
static void c_chmod(void) { rec(chmod(P("d/f"), 0600)); }
static void c_chmod_same(void) { rec(chmod(P("d/f"), 0644)); }
static void c_chown_same(void) { rec(chown(P("d/f"), 0, 0)); }
static void c_chown_noop(void) { rec(chown(P("d/f"), -1, -1)); }
static void c_fchmod(void) { rec(fchmod(fd, 0600)); }
static void c_utimensat_now(void) { rec(utimensat(AT_FDCWD, P("d/f"), NULL, 0)); }
static void c_utimensat_omit(void) {
  struct timespec t[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
  rec(utimensat(AT_FDCWD, P("d/f"), t, 0));
}
static void c_utimensat_atime_now(void) {
  struct timespec t[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}};
  rec(utimensat(AT_FDCWD, P("d/f"), t, 0));
}
static void c_futimens_set(void) {
  struct timespec t[2] = {{T1, 0}, {T1, 0}};
  rec(futimens(fd, t));
}
static void c_link(void) { rec(link(P("d/f"), P("d/h"))); }
static void c_unlink(void) { rec(unlink(P("d/f"))); }
static void c_rename(void) { rec(rename(P("d/f"), P("d/g"))); }
static void c_rename_cross_dir(void) { rec(rename(P("d/f"), P("d2/f"))); }
static void c_rename_onto(void) { rec(rename(P("d/src"), P("d/f"))); }
static void c_rename_noreplace_exists(void) {
  rec(renameat2(AT_FDCWD, P("d/f"), AT_FDCWD, P("d/src"), RENAME_NOREPLACE));
}
static void c_rename_same(void) { rec(rename(P("d/f"), P("d/f"))); }
static void c_rename_exchange(void) {
  rec(renameat2(AT_FDCWD, P("d/f"), AT_FDCWD, P("d/src"), RENAME_EXCHANGE));
}
static void c_setxattr(void) { rec(setxattr(P("d/f"), "user.x", "v", 1, 0)); }
static void c_removexattr_missing(void) { rec(removexattr(P("d/f"), "user.none")); }
static void c_setflags(void) {
  int v = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &v) != 0) {
    rec(-1);
    return;
  }
  v |= FS_NODUMP_FL;
  rec(ioctl(fd, FS_IOC_SETFLAGS, &v));
}
static void c_setflags_same(void) {
  int v = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &v) != 0) {
    rec(-1);
    return;
  }
  rec(ioctl(fd, FS_IOC_SETFLAGS, &v));
}
static void c_copy_to(void) {
  loff_t i = 0, o = 0;
  rec(copy_file_range(src, &i, fd, &o, 100, 0));
}
static void c_copy_from(void) {
  loff_t i = 0, o = 0;
  rec(copy_file_range(fd, &i, src, &o, 100, 0));
}
static void c_ficlone_to(void) { rec(ioctl(fd, FICLONE, src)); }
static void c_sendfile_from(void) { rec(sendfile(src, fd, NULL, 100)); }
static void c_open_trunc(void) { rec_fd(open(P("d/f"), O_RDWR | O_TRUNC)); }
static void c_open_trunc_empty(void) { rec_fd(open(P("d/f"), O_RDWR | O_TRUNC)); }
static void c_open_rdonly_trunc(void) { rec_fd(open(P("d/f"), O_RDONLY | O_TRUNC)); }
static void c_open_creat_existing(void) { rec_fd(open(P("d/f"), O_RDWR | O_CREAT, 0644)); }
static void c_open_creat_new(void) { rec_fd(open(P("d/new"), O_RDWR | O_CREAT, 0644)); }
static void c_mkdir(void) { rec(mkdir(P("d/newdir"), 0755)); }
static void c_rmdir(void) { rec(rmdir(P("d/sub"))); }
static void c_symlink(void) { rec(symlink("f", P("d/sl"))); }
static void c_mkfifo(void) { rec(mkfifo(P("d/fifo"), 0644)); }
static void c_readdir(void) {
  int d = open(P("d"), O_RDONLY | O_DIRECTORY);
  rec(d < 0 ? -1 : syscall(SYS_getdents64, d, buf, sizeof buf));
  if (r_ret > 0) r_ret = 0; /* the byte count depends on the fs's dirent layout */
  if (d >= 0) close(d);
}
static void c_stat(void) {
  struct stat st;
  rec(stat(P("d/f"), &st));
}
static void c_fsync(void) { rec(fsync(fd)); }

enum { PLAIN, EMPTY, RECENT };
#define C(x) {#x, c_##x, PLAIN}
static const struct {
  const char *name;
  void (*fn)(void);
  int variant;
} cases[] = {
    C(write), C(write0), C(pwrite0), C(pwrite_extend), C(append_write), C(read), C(read0),
    C(read_eof), C(pread), {"read_relatime_recent", c_read_relatime_recent, RECENT},
    C(read_noatime), C(mmap_read), C(mmap_store_msync), C(ftruncate_same), C(ftruncate_smaller),
    C(ftruncate_bigger), {"ftruncate0_empty", c_ftruncate0_empty, EMPTY}, C(truncate_same),
    C(truncate_smaller), C(falloc_inside), C(falloc_extend), C(falloc_keep), C(falloc_punch),
    C(falloc_zero), C(chmod), C(chmod_same), C(chown_same), C(chown_noop), C(fchmod),
    C(utimensat_now), C(utimensat_omit), C(utimensat_atime_now), C(futimens_set), C(link),
    C(unlink), C(rename), C(rename_cross_dir), C(rename_onto), C(rename_noreplace_exists),
    C(rename_same), C(rename_exchange), C(setxattr), C(removexattr_missing), C(setflags),
    C(setflags_same), C(copy_to), C(copy_from), C(ficlone_to), C(sendfile_from),
    C(open_trunc), {"open_trunc_empty", c_open_trunc_empty, EMPTY}, C(open_rdonly_trunc),
    C(open_creat_existing), C(open_creat_new), C(mkdir), C(rmdir), C(symlink), C(mkfifo),
    C(readdir), C(stat), C(fsync),
};

struct snap {
  struct statx f, d;
};
static void snap(struct snap *s) {
  unsigned mask = STATX_BASIC_STATS | STATX_BTIME;
  if (statx(opf, "", AT_EMPTY_PATH, mask, &s->f) != 0) die("statx f");
  if (statx(AT_FDCWD, P("d"), 0, mask, &s->d) != 0) die("statx d");
}
static const char *diff(const struct statx_timestamp *a, const struct statx_timestamp *b) {
  return a->tv_sec != b->tv_sec || a->tv_nsec != b->tv_nsec ? "true" : "false";
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  dir = argv[1];
  const char *fs = argv[2];
  umask(022);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    empty_case = cases[i].variant == EMPTY;
    recent_atime = cases[i].variant == RECENT;
    if (mkdir(P("d"), 0755) != 0 || mkdir(P("d/sub"), 0755) != 0 || mkdir(P("d2"), 0755) != 0)
      die("mkdir setup");
    fill(P("d/f"), 'A', empty_case ? 0 : 4096);
    fill(P("d/src"), 'S', 4096);
    fd = open(P("d/f"), O_RDWR);
    opf = open(P("d/f"), O_PATH);
    src = open(P("d/src"), O_RDWR);
    if (fd < 0 || opf < 0 || src < 0) die("open setup");
    set_times(P("d/f"), T0, T0);
    set_times(P("d"), T0, T0);
    if (recent_atime) set_times(P("d/f"), time(NULL) + 3600, T0);
    struct snap before, after;
    snap(&before);
    usleep(20000);
    errno = 0;
    cases[i].fn();
    snap(&after);
    const char *b = "null";
    if ((before.f.stx_mask & STATX_BTIME) && (after.f.stx_mask & STATX_BTIME))
      b = diff(&before.f.stx_btime, &after.f.stx_btime);
    printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\",\"a\":%s,\"m\":%s,"
           "\"c\":%s,\"b\":%s,\"da\":%s,\"dm\":%s,\"dc\":%s}\n",
           fs, cases[i].name, r_ret, r_err ? strerrorname_np(r_err) : "",
           diff(&before.f.stx_atime, &after.f.stx_atime),
           diff(&before.f.stx_mtime, &after.f.stx_mtime),
           diff(&before.f.stx_ctime, &after.f.stx_ctime), b,
           diff(&before.d.stx_atime, &after.d.stx_atime),
           diff(&before.d.stx_mtime, &after.d.stx_mtime),
           diff(&before.d.stx_ctime, &after.d.stx_ctime));
    fflush(stdout);
    int v = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &v) == 0 && (v & FS_NODUMP_FL)) {
      v &= ~FS_NODUMP_FL;
      ioctl(fd, FS_IOC_SETFLAGS, &v);
    }
    close(fd);
    close(opf);
    close(src);
    rm_rf(P("d"));
    rm_rf(P("d2"));
  }
  return 0;
}
