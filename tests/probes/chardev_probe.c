/* /dev/null and /dev/zero: every call family on them, both the host's nodes
 * (on devtmpfs) and nodes made with mknod inside the probed filesystem.
 * Usage: chardev_probe DIR FSNAME; one JSON line per case:
 *
 *   {"fs":FS,"case":DEV_OP,"ret":R,"errno":"E..."|""[,extras]}
 *
 * DEV is one of, in this order (all ops for host_null, then host_zero, ...):
 *   host_null  "/dev/null"      host_zero  "/dev/zero"
 *   node_null  "DIR/null", mknod(S_IFCHR|0666, makedev(1, 3))
 *   node_zero  "DIR/zero", mknod(S_IFCHR|0666, makedev(1, 5))
 * The probe sets umask(022) first, so the nodes are 0644. The node is made
 * before each case and unlinked after it. The host columns do not depend on
 * FS (they are on devtmpfs) but are printed for every FS. The filesystems
 * are mounted without nodev (a nodev mount would refuse to open the nodes
 * with EACCES; see the last case).
 *
 * Each case opens D = open(DEV, O_RDWR) unless it says otherwise (if that
 * fails the case line shows the open's error), makes one call, and closes
 * everything. R = DIR/r, a regular file of 8192 bytes 'r', made per case and
 * opened O_RDWR where needed. buf: 256 bytes, filled with 0xff before the
 * call. Extra "zeros" (read family, when ret > 0): the ret bytes received are
 * all 0. ret of mmap is 0 on success; of open, 0 on success (the descriptor
 * is closed; numbers never appear).
 *
 * Ops:
 *   open_rdwr       open(DEV, O_RDWR)
 *   read            read(D, buf, 100)
 *   read0           read(D, buf, 0)
 *   read_nullbuf    read(D, NULL, 100)
 *   write           write(D, buf, 100)
 *   write_nullbuf   write(D, NULL, 100)
 *   pread_0         pread(D, buf, 100, 0)
 *   pread_1000      pread(D, buf, 100, 1000)
 *   pread_neg1      pread(D, buf, 100, -1)
 *   pread_llmax     pread(D, buf, 100, 0x7fffffffffffffff)  (pos+count overflows)
 *   pwrite_0        pwrite(D, buf, 100, 0)
 *   pwrite_neg1     pwrite(D, buf, 100, -1)
 *   pwrite_llmax    pwrite(D, buf, 100, 0x7fffffffffffffff)
 *   readv           readv(D, {{buf,50},{buf+50,50}}, 2)
 *   writev          writev(D, {{buf,50},{buf+50,50}}, 2)
 *   preadv2_nowait  preadv2(D, {buf,100}, 1, 0, RWF_NOWAIT)
 *   pwritev2_nowait pwritev2(D, {buf,100}, 1, 0, RWF_NOWAIT)
 *   preadv2_cur     preadv2(D, {buf,100}, 1, -1, 0)   (-1: current position)
 *   lseek_set       lseek(D, 12345, SEEK_SET)
 *   lseek_data      lseek(D, 0, SEEK_DATA)
 *   lseek_whence5   lseek(D, 0, 5)
 *   ftruncate       ftruncate(D, 0)
 *   ftruncate_neg   ftruncate(D, -1)
 *   truncate_path   truncate(DEV, 0)
 *   fallocate       fallocate(D, 0, 0, 4096)
 *   fallocate_len0  fallocate(D, 0, 0, 0)
 *   fallocate_rdonly fallocate(open(DEV, O_RDONLY), 0, 0, 4096)
 *   fallocate_punch fallocate(D, PUNCH_HOLE|KEEP_SIZE, 0, 4096)
 *   fsync           fsync(D)
 *   fdatasync       fdatasync(D)
 *   syncfs          syncfs(D)
 *   fstat           fstat(D); extras "fmt" ("chr"...), "rdev" ("MAJ:MIN"),
 *                   "perm" (st_mode & 07777, decimal), "size", "blocks",
 *                   "blksize", "nlink"
 *   getflags        ioctl(D, FS_IOC_GETFLAGS, &int); on success extra "flags"
 *   fsgetxattr      ioctl(D, FS_IOC_FSGETXATTR, &struct fsxattr)
 *   fiemap          ioctl(D, FS_IOC_FIEMAP, &fiemap{0, ~0ULL, 0, count 0})
 *   fionread        ioctl(D, FIONREAD, &int)
 *   figetbsz        ioctl(D, FIGETBSZ, &int); extra "bsz"
 *   ficlone_from_reg ioctl(D, FICLONE, R)
 *   copy_from_dev   copy_file_range(D, NULL, R, NULL, 100, 0)
 *   copy_to_dev     copy_file_range(R, NULL, D, NULL, 100, 0)
 *   sendfile_from_dev sendfile(R, D, NULL, 100)  (out R, in D)
 *   sendfile_to_dev sendfile(D, R, NULL, 100)
 *   splice_to_dev   100 bytes written into a pipe; splice(pipe, NULL, D, NULL, 100, 0)
 *   splice_from_dev splice(D, NULL, pipe, NULL, 100, 0)
 *   mmap_private    mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE, D, 0);
 *                   on success: extra "zeros" (the 8192 bytes read 0), then
 *                   a store of 1 byte
 *   mmap_shared     the same with MAP_SHARED
 *   mmap_shared_rdonly_fd  mmap(PROT_READ|PROT_WRITE, MAP_SHARED) on
 *                   open(DEV, O_RDONLY)
 *   mmap_shared_ro_rdonly_fd  mmap(PROT_READ, MAP_SHARED) on open(DEV, O_RDONLY)
 *   fadvise         posix_fadvise(D, 0, 0, POSIX_FADV_DONTNEED) (its return
 *                   value is the error; recorded as ret -1 + errno)
 *   flock           flock(D, LOCK_EX)
 *   fgetxattr       fgetxattr(D, "user.x", buf, 16)
 *   fsetxattr       node_* only (host_*: not run, ret 0, note "skipped"):
 *                   fsetxattr(D, "user.x", "v", 1, 0)
 *   fsetxattr_trusted node_* only: fsetxattr(D, "trusted.x", "v", 1, 0)
 *   getdents        getdents64(D, buf, 256)
 *   fchdir          fchdir(D)
 *   open_trunc      open(DEV, O_RDWR|O_TRUNC)
 *   open_creat      open(DEV, O_RDWR|O_CREAT, 0644)
 *   open_creat_excl open(DEV, O_RDWR|O_CREAT|O_EXCL, 0644)
 *   open_directory  open(DEV, O_RDONLY|O_DIRECTORY)
 *   open_odirect    open(DEV, O_RDWR|O_DIRECT)
 *   open_append_write write(open(DEV, O_WRONLY|O_APPEND), buf, 100)
 *   statfs_path     statfs(DEV); extra "f_type" (hex string)
 *   fstatfs         fstatfs(D); extra "f_type"
 * And once per FS, after the rest:
 *   nodev_open      mount -t tmpfs -o nodev,size=1m on DIR/nodev, mknod
 *                   DIR/nodev/null c 1 3, open(O_RDWR); then unmounted.
 *
 * Build: gcc -O1 -Wall -o /tmp/chardev_probe tests/probes/chardev_probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

static const char *dir, *dev;
static char rpath[4096];
static int D = -1, R = -1, extra_fds[4], nextra;
static unsigned char buf[256];
static void *volatile null_ptr;
static bool is_node;

static long long r_ret;
static int r_err;
static char r_extra[512];

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
static void x_zeros(const unsigned char *p, long long n) {
  if (n <= 0) return;
  bool z = true;
  for (long long i = 0; i < n; i++)
    if (p[i]) z = false;
  extra(",\"zeros\":%s", z ? "true" : "false");
}
static int keep(int fd) {
  if (fd >= 0 && nextra < 4) extra_fds[nextra++] = fd;
  return fd;
}
static int reg(void) {
  if (R < 0) {
    unsigned char b[8192];
    memset(b, 'r', sizeof b);
    R = open(rpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (R < 0 || pwrite(R, b, sizeof b, 0) != (ssize_t)sizeof b) die(rpath);
  }
  return R;
}

/* Calls on D; D < 0 means its open failed and errno holds why. */
#define NEED_D \
  if (D < 0) { rec(-1); return; }

static void op_open_rdwr(void) { rec(D < 0 ? -1 : 0); }
static void op_read(void) { NEED_D; rec(read(D, buf, 100)); x_zeros(buf, r_ret); }
static void op_read0(void) { NEED_D; rec(read(D, buf, 0)); }
static void op_read_nullbuf(void) { NEED_D; rec(read(D, null_ptr, 100)); }
static void op_write(void) { NEED_D; rec(write(D, buf, 100)); }
static void op_write_nullbuf(void) { NEED_D; rec(write(D, null_ptr, 100)); }
static void op_pread_0(void) { NEED_D; rec(pread(D, buf, 100, 0)); x_zeros(buf, r_ret); }
static void op_pread_1000(void) { NEED_D; rec(pread(D, buf, 100, 1000)); x_zeros(buf, r_ret); }
static void op_pread_neg1(void) { NEED_D; rec(pread(D, buf, 100, -1)); }
static void op_pread_llmax(void) { NEED_D; rec(pread(D, buf, 100, 0x7fffffffffffffffLL)); }
static void op_pwrite_0(void) { NEED_D; rec(pwrite(D, buf, 100, 0)); }
static void op_pwrite_neg1(void) { NEED_D; rec(pwrite(D, buf, 100, -1)); }
static void op_pwrite_llmax(void) { NEED_D; rec(pwrite(D, buf, 100, 0x7fffffffffffffffLL)); }
static void op_readv(void) {
  NEED_D;
  struct iovec v[2] = {{buf, 50}, {buf + 50, 50}};
  rec(readv(D, v, 2));
  x_zeros(buf, r_ret);
}
static void op_writev(void) {
  NEED_D;
  struct iovec v[2] = {{buf, 50}, {buf + 50, 50}};
  rec(writev(D, v, 2));
}
static void op_preadv2_nowait(void) {
  NEED_D;
  struct iovec v = {buf, 100};
  rec(preadv2(D, &v, 1, 0, RWF_NOWAIT));
  x_zeros(buf, r_ret);
}
static void op_pwritev2_nowait(void) {
  NEED_D;
  struct iovec v = {buf, 100};
  rec(pwritev2(D, &v, 1, 0, RWF_NOWAIT));
}
static void op_preadv2_cur(void) {
  NEED_D;
  struct iovec v = {buf, 100};
  rec(preadv2(D, &v, 1, -1, 0));
  x_zeros(buf, r_ret);
}
static void op_lseek_set(void) { NEED_D; rec(lseek(D, 12345, SEEK_SET)); }
static void op_lseek_data(void) { NEED_D; rec(lseek(D, 0, SEEK_DATA)); }
static void op_lseek_whence5(void) { NEED_D; rec(lseek(D, 0, 5)); }
static void op_ftruncate(void) { NEED_D; rec(ftruncate(D, 0)); }
static void op_ftruncate_neg(void) { NEED_D; rec(ftruncate(D, -1)); }
static void op_truncate_path(void) { rec(truncate(dev, 0)); }
static void op_fallocate(void) { NEED_D; rec(fallocate(D, 0, 0, 4096)); }
static void op_fallocate_len0(void) { NEED_D; rec(fallocate(D, 0, 0, 0)); }
static void op_fallocate_rdonly(void) {
  int fd = keep(open(dev, O_RDONLY));
  if (fd < 0) { rec(-1); return; }
  rec(fallocate(fd, 0, 0, 4096));
}
static void op_fallocate_punch(void) {
  NEED_D;
  rec(fallocate(D, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
}
static void op_fsync(void) { NEED_D; rec(fsync(D)); }
static void op_fdatasync(void) { NEED_D; rec(fdatasync(D)); }
static void op_syncfs(void) { NEED_D; rec(syncfs(D)); }
static void op_fstat(void) {
  NEED_D;
  struct stat st;
  rec(fstat(D, &st));
  if (r_ret == 0)
    extra(",\"fmt\":\"%s\",\"rdev\":\"%u:%u\",\"perm\":%o,\"size\":%lld,\"blocks\":%lld,"
          "\"blksize\":%ld,\"nlink\":%lu",
          S_ISCHR(st.st_mode) ? "chr" : "other", major(st.st_rdev), minor(st.st_rdev),
          (unsigned)(st.st_mode & 07777), (long long)st.st_size, (long long)st.st_blocks,
          (long)st.st_blksize, (unsigned long)st.st_nlink);
}
static void op_getflags(void) {
  NEED_D;
  int v = 0;
  rec(ioctl(D, FS_IOC_GETFLAGS, &v));
  if (r_ret == 0) extra(",\"flags\":%d", v);
}
static void op_fsgetxattr(void) {
  NEED_D;
  struct fsxattr fa;
  rec(ioctl(D, FS_IOC_FSGETXATTR, &fa));
}
static void op_fiemap(void) {
  NEED_D;
  struct fiemap fm;
  memset(&fm, 0, sizeof fm);
  fm.fm_length = ~0ULL;
  rec(ioctl(D, FS_IOC_FIEMAP, &fm));
}
static void op_fionread(void) {
  NEED_D;
  int v = 0;
  rec(ioctl(D, FIONREAD, &v));
}
static void op_figetbsz(void) {
  NEED_D;
  int v = 0;
  rec(ioctl(D, FIGETBSZ, &v));
  if (r_ret == 0) extra(",\"bsz\":%d", v);
}
static void op_ficlone_from_reg(void) { NEED_D; rec(ioctl(D, FICLONE, reg())); }
static void op_copy_from_dev(void) { NEED_D; rec(copy_file_range(D, NULL, reg(), NULL, 100, 0)); }
static void op_copy_to_dev(void) { NEED_D; rec(copy_file_range(reg(), NULL, D, NULL, 100, 0)); }
static void op_sendfile_from_dev(void) { NEED_D; rec(sendfile(reg(), D, NULL, 100)); }
static void op_sendfile_to_dev(void) { NEED_D; rec(sendfile(D, reg(), NULL, 100)); }
static void op_splice_to_dev(void) {
  NEED_D;
  int p[2];
  if (pipe(p) != 0) die("pipe");
  keep(p[0]);
  keep(p[1]);
  if (write(p[1], buf, 100) != 100) die("pipe write");
  rec(splice(p[0], NULL, D, NULL, 100, 0));
}
static void op_splice_from_dev(void) {
  NEED_D;
  int p[2];
  if (pipe(p) != 0) die("pipe");
  keep(p[0]);
  keep(p[1]);
  rec(splice(D, NULL, p[1], NULL, 100, 0));
}
static void do_mmap(int fd, int prot, int flags, bool probe) {
  if (fd < 0) { rec(-1); return; }
  unsigned char *m = mmap(NULL, 8192, prot, flags, fd, 0);
  rec(m == MAP_FAILED ? -1 : 0);
  if (m == MAP_FAILED) return;
  if (probe) {
    x_zeros(m, 8192);
    m[0] = 1;
  }
  munmap(m, 8192);
}
static void op_mmap_private(void) { do_mmap(D, PROT_READ | PROT_WRITE, MAP_PRIVATE, true); }
static void op_mmap_shared(void) { do_mmap(D, PROT_READ | PROT_WRITE, MAP_SHARED, true); }
static void op_mmap_shared_rdonly_fd(void) {
  do_mmap(keep(open(dev, O_RDONLY)), PROT_READ | PROT_WRITE, MAP_SHARED, false);
}
static void op_mmap_shared_ro_rdonly_fd(void) {
  do_mmap(keep(open(dev, O_RDONLY)), PROT_READ, MAP_SHARED, false);
}
static void op_fadvise(void) {
  NEED_D;
  int e = posix_fadvise(D, 0, 0, POSIX_FADV_DONTNEED);
  errno = e;
  rec(e ? -1 : 0);
}
static void op_flock(void) { NEED_D; rec(flock(D, LOCK_EX)); }
static void op_fgetxattr(void) { NEED_D; rec(fgetxattr(D, "user.x", buf, 16)); }
static void op_fsetxattr(void) {
  NEED_D;
  if (!is_node) { rec(0); extra(",\"note\":\"skipped\""); return; }
  rec(fsetxattr(D, "user.x", "v", 1, 0));
}
static void op_fsetxattr_trusted(void) {
  NEED_D;
  if (!is_node) { rec(0); extra(",\"note\":\"skipped\""); return; }
  rec(fsetxattr(D, "trusted.x", "v", 1, 0));
}
static void op_getdents(void) { NEED_D; rec(syscall(SYS_getdents64, D, buf, sizeof buf)); }
static void op_fchdir(void) { NEED_D; rec(fchdir(D)); }
static void reopen(int flags) {
  int fd = open(dev, flags, 0644);
  rec(fd < 0 ? -1 : 0);
  keep(fd);
}
static void op_open_trunc(void) { reopen(O_RDWR | O_TRUNC); }
static void op_open_creat(void) { reopen(O_RDWR | O_CREAT); }
static void op_open_creat_excl(void) { reopen(O_RDWR | O_CREAT | O_EXCL); }
static void op_open_directory(void) { reopen(O_RDONLY | O_DIRECTORY); }
static void op_open_odirect(void) { reopen(O_RDWR | O_DIRECT); }
static void op_open_append_write(void) {
  int fd = keep(open(dev, O_WRONLY | O_APPEND));
  if (fd < 0) { rec(-1); return; }
  rec(write(fd, buf, 100));
}
static void op_statfs_path(void) {
  struct statfs s;
  rec(statfs(dev, &s));
  if (r_ret == 0) extra(",\"f_type\":\"%#lx\"", (unsigned long)s.f_type);
}
static void op_fstatfs(void) {
  NEED_D;
  struct statfs s;
  rec(fstatfs(D, &s));
  if (r_ret == 0) extra(",\"f_type\":\"%#lx\"", (unsigned long)s.f_type);
}

#define OP(x) {#x, op_##x}
static const struct {
  const char *name;
  void (*fn)(void);
} ops[] = {
    OP(open_rdwr), OP(read), OP(read0), OP(read_nullbuf), OP(write), OP(write_nullbuf),
    OP(pread_0), OP(pread_1000), OP(pread_neg1), OP(pread_llmax), OP(pwrite_0), OP(pwrite_neg1),
    OP(pwrite_llmax), OP(readv), OP(writev), OP(preadv2_nowait), OP(pwritev2_nowait),
    OP(preadv2_cur), OP(lseek_set), OP(lseek_data), OP(lseek_whence5), OP(ftruncate),
    OP(ftruncate_neg), OP(truncate_path), OP(fallocate), OP(fallocate_len0),
    OP(fallocate_rdonly), OP(fallocate_punch), OP(fsync), OP(fdatasync), OP(syncfs), OP(fstat),
    OP(getflags), OP(fsgetxattr), OP(fiemap), OP(fionread), OP(figetbsz), OP(ficlone_from_reg),
    OP(copy_from_dev), OP(copy_to_dev), OP(sendfile_from_dev), OP(sendfile_to_dev),
    OP(splice_to_dev), OP(splice_from_dev), OP(mmap_private), OP(mmap_shared),
    OP(mmap_shared_rdonly_fd), OP(mmap_shared_ro_rdonly_fd), OP(fadvise), OP(flock),
    OP(fgetxattr), OP(fsetxattr), OP(fsetxattr_trusted), OP(getdents), OP(fchdir),
    OP(open_trunc), OP(open_creat), OP(open_creat_excl), OP(open_directory), OP(open_odirect),
    OP(open_append_write), OP(statfs_path), OP(fstatfs),
};

static void emit(const char *fs, const char *name) {
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\"%s}\n", fs, name, r_ret,
         r_err ? strerrorname_np(r_err) : "", r_extra);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  dir = argv[1];
  const char *fs = argv[2];
  umask(022);
  snprintf(rpath, sizeof rpath, "%s/r", dir);
  char nnull[4096], nzero[4096];
  snprintf(nnull, sizeof nnull, "%s/null", dir);
  snprintf(nzero, sizeof nzero, "%s/zero", dir);
  int cwd = open(".", O_RDONLY | O_DIRECTORY);
  const struct { const char *name, *path; bool node; unsigned minor; } devs[] = {
      {"host_null", "/dev/null", false, 3},
      {"host_zero", "/dev/zero", false, 5},
      {"node_null", nnull, true, 3},
      {"node_zero", nzero, true, 5},
  };
  for (int di = 0; di < 4; di++) {
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
      dev = devs[di].path;
      is_node = devs[di].node;
      if (is_node && mknod(dev, S_IFCHR | 0666, makedev(1, devs[di].minor)) != 0) die(dev);
      r_extra[0] = 0;
      nextra = 0;
      R = -1;
      memset(buf, 0xff, sizeof buf);
      errno = 0;
      D = open(dev, O_RDWR);
      ops[i].fn();
      char name[128];
      snprintf(name, sizeof name, "%s_%s", devs[di].name, ops[i].name);
      emit(fs, name);
      if (D >= 0) close(D);
      if (R >= 0) close(R);
      for (int k = 0; k < nextra; k++) close(extra_fds[k]);
      if (fchdir(cwd) != 0) die("fchdir back");
      unlink(rpath);
      if (is_node) unlink(dev);
    }
  }

  /* nodev_open */
  char nd[4096], ndnull[4200];
  snprintf(nd, sizeof nd, "%s/nodev", dir);
  snprintf(ndnull, sizeof ndnull, "%s/null", nd);
  r_extra[0] = 0;
  if (mkdir(nd, 0755) != 0) die(nd);
  if (mount("tmpfs", nd, "tmpfs", MS_NODEV, "size=1m") != 0) {
    rec(-1);
    extra(",\"note\":\"mount failed\"");
  } else {
    if (mknod(ndnull, S_IFCHR | 0666, makedev(1, 3)) != 0) {
      rec(-1);
      extra(",\"note\":\"mknod failed\"");
    } else {
      int fd = open(ndnull, O_RDWR);
      rec(fd < 0 ? -1 : 0);
      if (fd >= 0) close(fd);
    }
    if (umount(nd) != 0) die("umount nodev");
  }
  rmdir(nd);
  emit(fs, "nodev_open");
  return 0;
}
