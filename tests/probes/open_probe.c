/* open(2) flag combinations, and what every call does on an O_PATH
 * descriptor. Usage: open_probe DIR FSNAME; one JSON line per case:
 *
 *   {"fs":FS,"case":NAME,"ret":R,"errno":"E..."|""[,extras]}
 *
 * ret is the call's return value (-1 on error); errno its strerrorname_np
 * name when ret < 0. Calls that return a descriptor (open, openat, dup,
 * dup3, fcntl F_DUPFD) record ret 0 when they succeed, and the extra
 * "newfd":">=0"; descriptor numbers never appear.
 *
 * Fresh tree for every case (made before, removed entirely after):
 *   DIR/f        regular file, 0644, content "0123456789" (10 bytes), with
 *                the xattr user.p = "v" (set with setxattr; if that fails the
 *                xattr cases show it)
 *   DIR/d        empty directory, 0755
 *   DIR/l        symlink -> "f"
 *   DIR/dl       symlink -> "d"
 *   DIR/dangling symlink -> "nope" (DIR/nope does not exist)
 *   DIR/p        fifo, 0644
 * "open(X, F)" below means open("DIR/X", F, 0644). Extras: "size" =
 * stat("DIR/f").st_size after the call (10 unless truncated);
 * "exists" = whether a named path exists after the call (lstat).
 *
 * Open flags on a directory (d):
 *   dir_rdonly            open(d, O_RDONLY)
 *   dir_wronly            open(d, O_WRONLY)
 *   dir_rdwr              open(d, O_RDWR)
 *   dir_accmode3          open(d, 3)  (O_ACCMODE: both bits)
 *   dir_rdonly_trunc      open(d, O_RDONLY|O_TRUNC)
 *   dir_creat             open(d, O_RDONLY|O_CREAT)
 *   dir_creat_excl        open(d, O_RDONLY|O_CREAT|O_EXCL)
 *   dir_directory         open(d, O_RDONLY|O_DIRECTORY)
 *   dir_directory_creat   open(d, O_RDONLY|O_DIRECTORY|O_CREAT)
 *   dir_directory_creat_excl  open(d, O_RDONLY|O_DIRECTORY|O_CREAT|O_EXCL)
 *   dir_directory_wronly  open(d, O_WRONLY|O_DIRECTORY)
 *   dir_trailing_slash    open("d/", O_RDONLY)
 *   dir_trailing_slash_creat  open("d/", O_RDONLY|O_CREAT)
 *   dir_path              open(d, O_PATH)
 *   dir_path_wronly       open(d, O_PATH|O_WRONLY)
 *   dir_nofollow          open(d, O_RDONLY|O_NOFOLLOW)
 *   newdir_directory_creat  open("newname", O_RDONLY|O_DIRECTORY|O_CREAT)
 *                         extras: exists(newname)
 * O_TMPFILE (mode 0600):
 *   tmpfile_rdwr          open(d, O_TMPFILE|O_RDWR)
 *   tmpfile_wronly        open(d, O_TMPFILE|O_WRONLY)
 *   tmpfile_rdonly        open(d, O_TMPFILE|O_RDONLY)
 *   tmpfile_excl          open(d, O_TMPFILE|O_RDWR|O_EXCL)
 *   tmpfile_creat         open(d, O_TMPFILE|O_RDWR|O_CREAT)
 *   tmpfile_path          open(d, O_TMPFILE|O_RDWR|O_PATH)
 *   tmpfile_on_file       open(f, O_TMPFILE|O_RDWR)
 *   tmpfile_nonexistent   open("nope", O_TMPFILE|O_RDWR)
 *   tmpfile_link          tmpfile_rdwr, write "abc", then
 *                         linkat(fd, "", AT_FDCWD, "DIR/t", AT_EMPTY_PATH);
 *                         ret/errno of linkat; extras: exists(t), "tsize"
 *                         (its size, -1 when absent)
 *   tmpfile_excl_link     tmpfile_excl, then the same linkat
 *   tmpfile_fstat_nlink   tmpfile_rdwr, then fstat: ret of fstat, extra "nlink"
 * Open flags on a regular file (f):
 *   file_rdonly           open(f, O_RDONLY)                 extras: size
 *   file_accmode3         open(f, 3); then read(fd, buf, 1) extras: "read_ret",
 *                         "read_errno"
 *   file_directory        open(f, O_RDONLY|O_DIRECTORY)
 *   file_directory_creat  open(f, O_RDONLY|O_DIRECTORY|O_CREAT)
 *   file_rdonly_trunc     open(f, O_RDONLY|O_TRUNC)        extras: size
 *   file_path_trunc       open(f, O_PATH|O_TRUNC)          extras: size
 *   file_path_rdwr        open(f, O_PATH|O_RDWR)
 *   file_path_creat_new   open("newname", O_PATH|O_CREAT)   extras: exists(newname)
 *   file_trailing_slash   open("f/", O_RDONLY)
 *   file_trailing_slash_creat  open("f/", O_RDWR|O_CREAT)
 *   file_trailing_slash_path   open("f/", O_PATH)
 *   new_trailing_slash_creat   open("newname/", O_RDWR|O_CREAT) extras: exists(newname)
 *   new_trailing_slash    open("newname/", O_RDONLY)
 *   new_nocreat           open("newname", O_RDONLY)
 *   new_creat             open("newname", O_RDWR|O_CREAT)   extras: exists(newname)
 *   new_in_missing_dir    open("nodir/x", O_RDWR|O_CREAT)
 *   through_file          open("f/x", O_RDONLY)
 *   through_file_creat    open("f/x", O_RDWR|O_CREAT)
 *   file_creat            open(f, O_RDWR|O_CREAT)           extras: size
 *   file_creat_excl       open(f, O_RDWR|O_CREAT|O_EXCL)
 *   file_excl_only        open(f, O_RDWR|O_EXCL)  (O_EXCL without O_CREAT)
 *   file_unknown_bit      open(f, O_RDONLY|040000000) (an unassigned bit)
 *   empty_path            open("", O_RDONLY)   (the path itself is "")
 *   empty_path_creat      open("", O_RDWR|O_CREAT)
 *   name_255_creat        open(255 x 'a', O_RDWR|O_CREAT)
 *   name_256_creat        open(256 x 'a', O_RDWR|O_CREAT)
 *   name_256_nocreat      open(256 x 'a', O_RDONLY)
 * Symlinks:
 *   symlink_follow        open(l, O_RDONLY)
 *   symlink_nofollow      open(l, O_RDONLY|O_NOFOLLOW)
 *   symlink_nofollow_path open(l, O_PATH|O_NOFOLLOW); then fstat: extra "fmt"
 *                         ("reg", "dir", "lnk", "fifo", "chr", "other")
 *   symlink_path          open(l, O_PATH); fmt as above
 *   symlink_nofollow_creat   open(l, O_RDWR|O_CREAT|O_NOFOLLOW)
 *   symlink_creat_excl    open(l, O_RDWR|O_CREAT|O_EXCL)
 *   dangling_creat        open(dangling, O_RDWR|O_CREAT)    extras: exists(nope)
 *   dangling_creat_excl   open(dangling, O_RDWR|O_CREAT|O_EXCL) extras: exists(nope)
 *   dangling_nocreat      open(dangling, O_RDONLY)
 *   dangling_nofollow_path open(dangling, O_PATH|O_NOFOLLOW)
 *   dirlink_directory_nofollow  open(dl, O_RDONLY|O_DIRECTORY|O_NOFOLLOW)
 *   dirlink_path_directory_nofollow open(dl, O_PATH|O_DIRECTORY|O_NOFOLLOW)
 *   dirlink_trailing_slash_nofollow open("dl/", O_RDONLY|O_NOFOLLOW)
 *   filelink_trailing_slash open("l/", O_RDONLY)
 * Fifos:
 *   fifo_rdonly_nonblock  open(p, O_RDONLY|O_NONBLOCK)
 *   fifo_wronly_nonblock  open(p, O_WRONLY|O_NONBLOCK) (no reader)
 *   fifo_path             open(p, O_PATH)   (does not block)
 *   fifo_rdwr_trunc       open(p, O_RDWR|O_TRUNC)
 *
 * O_PATH descriptors. P = open(f, O_PATH); PD = open(d, O_PATH|O_DIRECTORY);
 * N = open(f, O_RDWR) where a second, ordinary descriptor is needed;
 * buf is a 16-byte buffer.
 *   opath_read            read(P, buf, 4)
 *   opath_write           write(P, "x", 1)                  extras: size
 *   opath_pread           pread(P, buf, 4, 0)
 *   opath_pwrite          pwrite(P, "x", 1, 0)
 *   opath_readv           readv(P, {buf,4}, 1)
 *   opath_writev          writev(P, {"x",1}, 1)
 *   opath_lseek           lseek(P, 0, SEEK_SET)
 *   opath_fstat           fstat(P)                          extras: fmt, "st_size"
 *   opath_fstatat_empty   fstatat(P, "", &st, AT_EMPTY_PATH) extras: st_size
 *   opath_fstatfs         fstatfs(P)
 *   opath_ftruncate       ftruncate(P, 0)                   extras: size
 *   opath_fsync           fsync(P)
 *   opath_fdatasync       fdatasync(P)
 *   opath_syncfs          syncfs(P)
 *   opath_fallocate       fallocate(P, 0, 0, 4096)
 *   opath_fadvise         posix_fadvise(P, 0, 0, POSIX_FADV_DONTNEED): ret is
 *                         its return value, errno the name of that value
 *   opath_getflags        ioctl(P, FS_IOC_GETFLAGS, &int)
 *   opath_fiemap          ioctl(P, FS_IOC_FIEMAP, &fiemap{0, ~0, 0, count 0})
 *   opath_fioclex         ioctl(P, FIOCLEX)
 *   opath_mmap            mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, P, 0): ret 0
 *                         on success
 *   opath_fchmod          fchmod(P, 0600)
 *   opath_fchown          fchown(P, 0, 0)
 *   opath_fchmodat_empty  fchmodat2(P, "", 0600, AT_EMPTY_PATH) (syscall 452)
 *   opath_fchownat_empty  fchownat(P, "", 0, 0, AT_EMPTY_PATH)
 *   opath_futimens        futimens(P, NULL)
 *   opath_utimensat_empty utimensat(P, "", NULL, AT_EMPTY_PATH)
 *   opath_getfl           fcntl(P, F_GETFL)  (ret is the flags)
 *   normal_getfl          fcntl(open(f, O_RDONLY), F_GETFL), for comparison
 *   opath_setfl           fcntl(P, F_SETFL, O_NONBLOCK)
 *   opath_getfd           fcntl(P, F_GETFD)
 *   opath_setfd           fcntl(P, F_SETFD, FD_CLOEXEC)
 *   opath_dupfd           fcntl(P, F_DUPFD, 0)
 *   opath_setlk           fcntl(P, F_SETLK, {F_RDLCK, SEEK_SET, 0, 0})
 *   opath_ofd_getlk       fcntl(P, F_OFD_GETLK, {F_RDLCK, SEEK_SET, 0, 0, pid 0})
 *   opath_getlease        fcntl(P, F_GETLEASE)
 *   opath_copy_in         copy_file_range(P, NULL, N, NULL, 4, 0)
 *   opath_copy_out        copy_file_range(N, NULL, P, NULL, 4, 0)
 *   opath_sendfile_in     sendfile(N, P, NULL, 4)
 *   opath_splice_in       splice(P, NULL, pipe write end, NULL, 4, 0)
 *   opath_dup             dup(P)
 *   opath_dup3            dup3(P, 900, O_CLOEXEC) (900 is closed again)
 *   opath_close           close(P)
 *   opath_flock           flock(P, LOCK_SH)
 *   opath_fgetxattr       fgetxattr(P, "user.p", buf, 16)
 *   normal_fgetxattr      fgetxattr(N, "user.p", buf, 16), for comparison
 *   opath_fsetxattr       fsetxattr(P, "user.q", "w", 1, 0)
 *   opath_flistxattr      flistxattr(P, buf, 16)
 *   opath_getxattrat_empty getxattrat(P, "", AT_EMPTY_PATH, "user.p",
 *                         {buf, 16, 0}, 16) (syscall 464, Linux 6.13)
 *   normal_getxattrat_empty the same on N, for comparison (ret 1)
 *   opath_linkat_empty    linkat(P, "", AT_FDCWD, "DIR/lnk", AT_EMPTY_PATH)
 *                         extras: exists(lnk)
 *   opath_openat_empty    openat(P, "", O_RDONLY)
 *   opath_openat_child    openat(P, "x", O_RDONLY)  (P is not a directory)
 *   opath_reopen_proc     open("/proc/self/fd/<P>", O_RDONLY)
 *   opath_reopen_proc_rdwr open("/proc/self/fd/<P>", O_RDWR)
 *   opath_fchdir_file     fchdir(P)
 *   opathdir_fchdir       fchdir(PD) (the cwd is restored afterwards)
 *   opathdir_openat       openat(PD, "x", O_RDWR|O_CREAT, 0644) extras: exists(d/x)
 *   opathdir_fstatat      fstatat(PD, ".", &st, 0)          extras: fmt
 *   opathdir_mkdirat      mkdirat(PD, "sub", 0755)          extras: exists(d/sub)
 *   opathdir_getdents     getdents64(PD, buf64k, 65536)
 *   opathdir_read         read(PD, buf, 4)
 *   opathlink_fstat       fstat(open(l, O_PATH|O_NOFOLLOW))  extras: fmt
 *   opathlink_readlinkat  readlinkat(that fd, "", buf, 16): ret is the length
 *   opathfifo_read        read(open(p, O_PATH), buf, 4)
 *
 * Build: gcc -O1 -Wall -o /tmp/open_probe tests/probes/open_probe.c */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NR_fchmodat2 452
#define NR_getxattrat 464
#define O_UNASSIGNED 040000000

struct xattr_args_k {
  uint64_t value;
  uint32_t size;
  uint32_t flags;
};

static const char *dir, *fsname;
static int cwdfd;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static char *P(const char *name) {
  static char bufs[8][4608];
  static int i;
  char *b = bufs[i++ % 8];
  snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
  return b;
}

/* ---- result line ---- */
static long long r_ret;
static int r_err;
static char r_extra[1024];

static void rec(long long ret) {
  r_err = ret < 0 ? errno : 0;
  r_ret = ret;
}
/* rec_fd: a call that returns a descriptor; the descriptor is closed. */
static void rec_fd(int fd) {
  r_err = fd < 0 ? errno : 0;
  r_ret = fd < 0 ? -1 : 0;
  if (fd >= 0) {
    strcat(r_extra, ",\"newfd\":\">=0\"");
    close(fd);
  }
}
static void extra(const char *fmt, ...) {
  size_t n = strlen(r_extra);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r_extra + n, sizeof r_extra - n, fmt, ap);
  va_end(ap);
}
static void x_size(void) {
  struct stat st;
  extra(",\"size\":%lld", stat(P("f"), &st) == 0 ? (long long)st.st_size : -1LL);
}
static void x_exists(const char *name) {
  struct stat st;
  extra(",\"exists\":%s", lstat(P(name), &st) == 0 ? "true" : "false");
}
static const char *fmt_of(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return "reg";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "lnk";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr";
  }
  return "other";
}
static void x_fmt(int fd) {
  struct stat st;
  extra(",\"fmt\":\"%s\"", fstat(fd, &st) == 0 ? fmt_of(st.st_mode) : "error");
}

/* ---- tree ---- */
static void setup(void) {
  int fd = open(P("f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "0123456789", 10) != 10) die("f");
  fsetxattr(fd, "user.p", "v", 1, 0);
  close(fd);
  if (mkdir(P("d"), 0755) != 0) die("d");
  if (symlink("f", P("l")) != 0 || symlink("d", P("dl")) != 0 || symlink("nope", P("dangling")) != 0)
    die("symlink");
  if (mkfifo(P("p"), 0644) != 0) die("fifo");
}

static void rm_rf_at(int dfd) {
  DIR *d = fdopendir(dfd);
  struct dirent *e;
  if (!d) die("fdopendir");
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "lost+found"))
      continue;
    if (unlinkat(dirfd(d), e->d_name, 0) == 0) continue;
    int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (sub >= 0) {
      rm_rf_at(sub);
      if (unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0) die("rmdir");
    }
  }
  closedir(d);
}

static void teardown(void) {
  if (fchdir(cwdfd) != 0) die("fchdir back");
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) die(dir);
  rm_rf_at(fd);
}

/* ---- open cases ---- */
#define OPEN_CASE(cname, path, flags, post)           \
  static void cname(void) {                            \
    rec_fd(open(P(path), (flags), 0644));              \
    post;                                              \
  }

OPEN_CASE(dir_rdonly, "d", O_RDONLY, )
OPEN_CASE(dir_wronly, "d", O_WRONLY, )
OPEN_CASE(dir_rdwr, "d", O_RDWR, )
OPEN_CASE(dir_accmode3, "d", 3, )
OPEN_CASE(dir_rdonly_trunc, "d", O_RDONLY | O_TRUNC, )
OPEN_CASE(dir_creat, "d", O_RDONLY | O_CREAT, )
OPEN_CASE(dir_creat_excl, "d", O_RDONLY | O_CREAT | O_EXCL, )
OPEN_CASE(dir_directory, "d", O_RDONLY | O_DIRECTORY, )
OPEN_CASE(dir_directory_creat, "d", O_RDONLY | O_DIRECTORY | O_CREAT, )
OPEN_CASE(dir_directory_creat_excl, "d", O_RDONLY | O_DIRECTORY | O_CREAT | O_EXCL, )
OPEN_CASE(dir_directory_wronly, "d", O_WRONLY | O_DIRECTORY, )
OPEN_CASE(dir_trailing_slash, "d/", O_RDONLY, )
OPEN_CASE(dir_trailing_slash_creat, "d/", O_RDONLY | O_CREAT, )
OPEN_CASE(dir_path, "d", O_PATH, )
OPEN_CASE(dir_path_wronly, "d", O_PATH | O_WRONLY, )
OPEN_CASE(dir_nofollow, "d", O_RDONLY | O_NOFOLLOW, )
OPEN_CASE(newdir_directory_creat, "newname", O_RDONLY | O_DIRECTORY | O_CREAT, x_exists("newname"))

#define TMP_CASE(cname, path, flags) \
  static void cname(void) { rec_fd(open(P(path), (flags), 0600)); }
TMP_CASE(tmpfile_rdwr, "d", O_TMPFILE | O_RDWR)
TMP_CASE(tmpfile_wronly, "d", O_TMPFILE | O_WRONLY)
TMP_CASE(tmpfile_rdonly, "d", O_TMPFILE | O_RDONLY)
TMP_CASE(tmpfile_excl, "d", O_TMPFILE | O_RDWR | O_EXCL)
TMP_CASE(tmpfile_creat, "d", O_TMPFILE | O_RDWR | O_CREAT)
TMP_CASE(tmpfile_path, "d", O_TMPFILE | O_RDWR | O_PATH)
TMP_CASE(tmpfile_on_file, "f", O_TMPFILE | O_RDWR)
TMP_CASE(tmpfile_nonexistent, "nope", O_TMPFILE | O_RDWR)

static void tmpfile_link_common(int flags) {
  int fd = open(P("d"), flags, 0600);
  if (fd < 0) {
    rec(-1);
  } else {
    if (write(fd, "abc", 3) != 3) die("write tmpfile");
    rec(linkat(fd, "", AT_FDCWD, P("t"), AT_EMPTY_PATH));
    close(fd);
  }
  x_exists("t");
  struct stat st;
  extra(",\"tsize\":%lld", stat(P("t"), &st) == 0 ? (long long)st.st_size : -1LL);
}
static void tmpfile_link(void) { tmpfile_link_common(O_TMPFILE | O_RDWR); }
static void tmpfile_excl_link(void) { tmpfile_link_common(O_TMPFILE | O_RDWR | O_EXCL); }
static void tmpfile_fstat_nlink(void) {
  int fd = open(P("d"), O_TMPFILE | O_RDWR, 0600);
  struct stat st;
  rec(fd < 0 ? -1 : fstat(fd, &st));
  extra(",\"nlink\":%lld", r_ret == 0 ? (long long)st.st_nlink : -1LL);
  if (fd >= 0) close(fd);
}

OPEN_CASE(file_rdonly, "f", O_RDONLY, x_size())
static void file_accmode3(void) {
  int fd = open(P("f"), 3);
  int e = errno;
  char b[4];
  ssize_t n = fd >= 0 ? read(fd, b, 1) : -1;
  int re = errno;
  r_ret = fd < 0 ? -1 : 0;
  r_err = fd < 0 ? e : 0;
  if (fd >= 0) {
    extra(",\"newfd\":\">=0\"");
    close(fd);
  }
  extra(",\"read_ret\":%zd,\"read_errno\":\"%s\"", n, n < 0 ? strerrorname_np(re) : "");
}
OPEN_CASE(file_directory, "f", O_RDONLY | O_DIRECTORY, )
OPEN_CASE(file_directory_creat, "f", O_RDONLY | O_DIRECTORY | O_CREAT, )
OPEN_CASE(file_rdonly_trunc, "f", O_RDONLY | O_TRUNC, x_size())
OPEN_CASE(file_path_trunc, "f", O_PATH | O_TRUNC, x_size())
OPEN_CASE(file_path_rdwr, "f", O_PATH | O_RDWR, )
OPEN_CASE(file_path_creat_new, "newname", O_PATH | O_CREAT, x_exists("newname"))
OPEN_CASE(file_trailing_slash, "f/", O_RDONLY, )
OPEN_CASE(file_trailing_slash_creat, "f/", O_RDWR | O_CREAT, )
OPEN_CASE(file_trailing_slash_path, "f/", O_PATH, )
OPEN_CASE(new_trailing_slash_creat, "newname/", O_RDWR | O_CREAT, x_exists("newname"))
OPEN_CASE(new_trailing_slash, "newname/", O_RDONLY, )
OPEN_CASE(new_nocreat, "newname", O_RDONLY, )
OPEN_CASE(new_creat, "newname", O_RDWR | O_CREAT, x_exists("newname"))
OPEN_CASE(new_in_missing_dir, "nodir/x", O_RDWR | O_CREAT, )
OPEN_CASE(through_file, "f/x", O_RDONLY, )
OPEN_CASE(through_file_creat, "f/x", O_RDWR | O_CREAT, )
OPEN_CASE(file_creat, "f", O_RDWR | O_CREAT, x_size())
OPEN_CASE(file_creat_excl, "f", O_RDWR | O_CREAT | O_EXCL, )
OPEN_CASE(file_excl_only, "f", O_RDWR | O_EXCL, )
OPEN_CASE(file_unknown_bit, "f", O_RDONLY | O_UNASSIGNED, )
static void empty_path(void) { rec_fd(open("", O_RDONLY)); }
static void empty_path_creat(void) { rec_fd(open("", O_RDWR | O_CREAT, 0644)); }
static char name255[256], name256[257];
static void name_255_creat(void) { rec_fd(open(P(name255), O_RDWR | O_CREAT, 0644)); }
static void name_256_creat(void) { rec_fd(open(P(name256), O_RDWR | O_CREAT, 0644)); }
static void name_256_nocreat(void) { rec_fd(open(P(name256), O_RDONLY)); }

OPEN_CASE(symlink_follow, "l", O_RDONLY, )
OPEN_CASE(symlink_nofollow, "l", O_RDONLY | O_NOFOLLOW, )
static void fmt_open(const char *path, int flags) {
  int fd = open(P(path), flags);
  int e = errno;
  if (fd >= 0) x_fmt(fd);
  errno = e;
  rec_fd(fd);
}
static void symlink_nofollow_path(void) { fmt_open("l", O_PATH | O_NOFOLLOW); }
static void symlink_path(void) { fmt_open("l", O_PATH); }
OPEN_CASE(symlink_nofollow_creat, "l", O_RDWR | O_CREAT | O_NOFOLLOW, )
OPEN_CASE(symlink_creat_excl, "l", O_RDWR | O_CREAT | O_EXCL, )
OPEN_CASE(dangling_creat, "dangling", O_RDWR | O_CREAT, x_exists("nope"))
OPEN_CASE(dangling_creat_excl, "dangling", O_RDWR | O_CREAT | O_EXCL, x_exists("nope"))
OPEN_CASE(dangling_nocreat, "dangling", O_RDONLY, )
OPEN_CASE(dangling_nofollow_path, "dangling", O_PATH | O_NOFOLLOW, )
OPEN_CASE(dirlink_directory_nofollow, "dl", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, )
OPEN_CASE(dirlink_path_directory_nofollow, "dl", O_PATH | O_DIRECTORY | O_NOFOLLOW, )
OPEN_CASE(dirlink_trailing_slash_nofollow, "dl/", O_RDONLY | O_NOFOLLOW, )
OPEN_CASE(filelink_trailing_slash, "l/", O_RDONLY, )

OPEN_CASE(fifo_rdonly_nonblock, "p", O_RDONLY | O_NONBLOCK, )
OPEN_CASE(fifo_wronly_nonblock, "p", O_WRONLY | O_NONBLOCK, )
OPEN_CASE(fifo_path, "p", O_PATH, )
OPEN_CASE(fifo_rdwr_trunc, "p", O_RDWR | O_TRUNC, )

/* ---- O_PATH descriptor cases ---- */
static int opath(void) {
  int fd = open(P("f"), O_PATH);
  if (fd < 0) die("O_PATH f");
  return fd;
}
static int normal(void) {
  int fd = open(P("f"), O_RDWR);
  if (fd < 0) die("f O_RDWR");
  return fd;
}
static int opath_dir(void) {
  int fd = open(P("d"), O_PATH | O_DIRECTORY);
  if (fd < 0) die("O_PATH d");
  return fd;
}

#define OP_CASE(cname, call, post)  \
  static void cname(void) {         \
    int p = opath();                \
    char buf[16];                   \
    (void)buf;                      \
    rec(call);                      \
    post;                           \
    close(p);                       \
  }
#define OP2_CASE(cname, call)       \
  static void cname(void) {         \
    int p = opath(), n = normal();  \
    rec(call);                      \
    close(n);                       \
    close(p);                       \
  }

OP_CASE(opath_read, read(p, buf, 4), )
OP_CASE(opath_write, write(p, "x", 1), x_size())
OP_CASE(opath_pread, pread(p, buf, 4, 0), )
OP_CASE(opath_pwrite, pwrite(p, "x", 1, 0), )
static void opath_readv(void) {
  int p = opath();
  char buf[16];
  struct iovec v = {buf, 4};
  rec(readv(p, &v, 1));
  close(p);
}
static void opath_writev(void) {
  int p = opath();
  struct iovec v = {"x", 1};
  rec(writev(p, &v, 1));
  close(p);
}
OP_CASE(opath_lseek, lseek(p, 0, SEEK_SET), )
static void opath_fstat(void) {
  int p = opath();
  struct stat st;
  rec(fstat(p, &st));
  extra(",\"fmt\":\"%s\",\"st_size\":%lld", r_ret == 0 ? fmt_of(st.st_mode) : "error",
        r_ret == 0 ? (long long)st.st_size : -1LL);
  close(p);
}
static void opath_fstatat_empty(void) {
  int p = opath();
  struct stat st;
  rec(fstatat(p, "", &st, AT_EMPTY_PATH));
  extra(",\"st_size\":%lld", r_ret == 0 ? (long long)st.st_size : -1LL);
  close(p);
}
static void opath_fstatfs(void) {
  int p = opath();
  struct statfs sf;
  rec(fstatfs(p, &sf));
  close(p);
}
OP_CASE(opath_ftruncate, ftruncate(p, 0), x_size())
OP_CASE(opath_fsync, fsync(p), )
OP_CASE(opath_fdatasync, fdatasync(p), )
OP_CASE(opath_syncfs, syncfs(p), )
OP_CASE(opath_fallocate, fallocate(p, 0, 0, 4096), )
static void opath_fadvise(void) {
  int p = opath();
  int e = posix_fadvise(p, 0, 0, POSIX_FADV_DONTNEED);
  errno = e;
  rec(e ? -1 : 0);
  close(p);
}
static void opath_getflags(void) {
  int p = opath(), fl = 0;
  rec(ioctl(p, FS_IOC_GETFLAGS, &fl));
  close(p);
}
static void opath_fiemap(void) {
  int p = opath();
  struct fiemap fm;
  memset(&fm, 0, sizeof fm);
  fm.fm_length = ~0ULL;
  rec(ioctl(p, FS_IOC_FIEMAP, &fm));
  close(p);
}
OP_CASE(opath_fioclex, ioctl(p, FIOCLEX), )
static void opath_mmap(void) {
  int p = opath();
  void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, p, 0);
  rec(m == MAP_FAILED ? -1 : 0);
  if (m != MAP_FAILED) munmap(m, 4096);
  close(p);
}
OP_CASE(opath_fchmod, fchmod(p, 0600), )
OP_CASE(opath_fchown, fchown(p, 0, 0), )
OP_CASE(opath_fchmodat_empty, syscall(NR_fchmodat2, p, "", 0600, AT_EMPTY_PATH), )
OP_CASE(opath_fchownat_empty, fchownat(p, "", 0, 0, AT_EMPTY_PATH), )
OP_CASE(opath_futimens, futimens(p, NULL), )
OP_CASE(opath_utimensat_empty, utimensat(p, "", NULL, AT_EMPTY_PATH), )
OP_CASE(opath_getfl, fcntl(p, F_GETFL), )
static void normal_getfl(void) {
  int fd = open(P("f"), O_RDONLY);
  rec(fcntl(fd, F_GETFL));
  close(fd);
}
OP_CASE(opath_setfl, fcntl(p, F_SETFL, O_NONBLOCK), )
OP_CASE(opath_getfd, fcntl(p, F_GETFD), )
OP_CASE(opath_setfd, fcntl(p, F_SETFD, FD_CLOEXEC), )
static void opath_dupfd(void) {
  int p = opath();
  rec_fd(fcntl(p, F_DUPFD, 0));
  close(p);
}
static void opath_setlk(void) {
  int p = opath();
  struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
  rec(fcntl(p, F_SETLK, &fl));
  close(p);
}
static void opath_ofd_getlk(void) {
  int p = opath();
  struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
  rec(fcntl(p, F_OFD_GETLK, &fl));
  close(p);
}
OP_CASE(opath_getlease, fcntl(p, F_GETLEASE), )
OP2_CASE(opath_copy_in, copy_file_range(p, NULL, n, NULL, 4, 0))
OP2_CASE(opath_copy_out, copy_file_range(n, NULL, p, NULL, 4, 0))
OP2_CASE(opath_sendfile_in, sendfile(n, p, NULL, 4))
static void opath_splice_in(void) {
  int p = opath(), pp[2];
  if (pipe(pp) != 0) die("pipe");
  rec(splice(p, NULL, pp[1], NULL, 4, 0));
  close(pp[0]);
  close(pp[1]);
  close(p);
}
static void opath_dup(void) {
  int p = opath();
  rec_fd(dup(p));
  close(p);
}
static void opath_dup3(void) {
  int p = opath();
  rec_fd(dup3(p, 900, O_CLOEXEC));
  close(p);
}
static void opath_close(void) { rec(close(opath())); }
OP_CASE(opath_flock, flock(p, LOCK_SH), )
OP_CASE(opath_fgetxattr, fgetxattr(p, "user.p", buf, 16), )
static void normal_fgetxattr(void) {
  int n = normal();
  char buf[16];
  rec(fgetxattr(n, "user.p", buf, 16));
  close(n);
}
OP_CASE(opath_fsetxattr, fsetxattr(p, "user.q", "w", 1, 0), )
OP_CASE(opath_flistxattr, flistxattr(p, buf, 16), )
static void opath_getxattrat_empty(void) {
  int p = opath();
  char buf[16];
  struct xattr_args_k a = {(uint64_t)(uintptr_t)buf, 16, 0};
  rec(syscall(NR_getxattrat, p, "", AT_EMPTY_PATH, "user.p", &a, sizeof a));
  close(p);
}
static void normal_getxattrat_empty(void) {
  int n = normal();
  char buf[16];
  struct xattr_args_k a = {(uint64_t)(uintptr_t)buf, 16, 0};
  rec(syscall(NR_getxattrat, n, "", AT_EMPTY_PATH, "user.p", &a, sizeof a));
  close(n);
}
OP_CASE(opath_linkat_empty, linkat(p, "", AT_FDCWD, P("lnk"), AT_EMPTY_PATH), x_exists("lnk"))
static void opath_openat_empty(void) {
  int p = opath();
  rec_fd(openat(p, "", O_RDONLY));
  close(p);
}
static void opath_openat_child(void) {
  int p = opath();
  rec_fd(openat(p, "x", O_RDONLY));
  close(p);
}
static void reopen(int flags) {
  int p = opath();
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", p);
  rec_fd(open(path, flags));
  close(p);
}
static void opath_reopen_proc(void) { reopen(O_RDONLY); }
static void opath_reopen_proc_rdwr(void) { reopen(O_RDWR); }
OP_CASE(opath_fchdir_file, fchdir(p), )
static void opathdir_fchdir(void) {
  int pd = opath_dir();
  rec(fchdir(pd));
  close(pd);
}
static void opathdir_openat(void) {
  int pd = opath_dir();
  rec_fd(openat(pd, "x", O_RDWR | O_CREAT, 0644));
  x_exists("d/x");
  close(pd);
}
static void opathdir_fstatat(void) {
  int pd = opath_dir();
  struct stat st;
  rec(fstatat(pd, ".", &st, 0));
  extra(",\"fmt\":\"%s\"", r_ret == 0 ? fmt_of(st.st_mode) : "error");
  close(pd);
}
static void opathdir_mkdirat(void) {
  int pd = opath_dir();
  rec(mkdirat(pd, "sub", 0755));
  x_exists("d/sub");
  close(pd);
}
static void opathdir_getdents(void) {
  int pd = opath_dir();
  static char b[65536];
  rec(syscall(SYS_getdents64, pd, b, sizeof b));
  close(pd);
}
static void opathdir_read(void) {
  int pd = opath_dir();
  char b[4];
  rec(read(pd, b, 4));
  close(pd);
}
static void opathlink_fstat(void) {
  int fd = open(P("l"), O_PATH | O_NOFOLLOW);
  struct stat st;
  rec(fstat(fd, &st));
  extra(",\"fmt\":\"%s\"", r_ret == 0 ? fmt_of(st.st_mode) : "error");
  close(fd);
}
static void opathlink_readlinkat(void) {
  int fd = open(P("l"), O_PATH | O_NOFOLLOW);
  char b[16];
  rec(readlinkat(fd, "", b, sizeof b));
  close(fd);
}
static void opathfifo_read(void) {
  int fd = open(P("p"), O_PATH);
  char b[4];
  rec(read(fd, b, 4));
  close(fd);
}

#define C(x) {#x, x}
static const struct {
  const char *name;
  void (*fn)(void);
} cases[] = {
    C(dir_rdonly), C(dir_wronly), C(dir_rdwr), C(dir_accmode3), C(dir_rdonly_trunc), C(dir_creat),
    C(dir_creat_excl), C(dir_directory), C(dir_directory_creat), C(dir_directory_creat_excl),
    C(dir_directory_wronly), C(dir_trailing_slash), C(dir_trailing_slash_creat), C(dir_path),
    C(dir_path_wronly), C(dir_nofollow), C(newdir_directory_creat),
    C(tmpfile_rdwr), C(tmpfile_wronly), C(tmpfile_rdonly), C(tmpfile_excl), C(tmpfile_creat),
    C(tmpfile_path), C(tmpfile_on_file), C(tmpfile_nonexistent), C(tmpfile_link),
    C(tmpfile_excl_link), C(tmpfile_fstat_nlink),
    C(file_rdonly), C(file_accmode3), C(file_directory), C(file_directory_creat),
    C(file_rdonly_trunc), C(file_path_trunc), C(file_path_rdwr), C(file_path_creat_new),
    C(file_trailing_slash), C(file_trailing_slash_creat), C(file_trailing_slash_path),
    C(new_trailing_slash_creat), C(new_trailing_slash), C(new_nocreat), C(new_creat),
    C(new_in_missing_dir), C(through_file), C(through_file_creat), C(file_creat),
    C(file_creat_excl), C(file_excl_only), C(file_unknown_bit), C(empty_path),
    C(empty_path_creat), C(name_255_creat), C(name_256_creat), C(name_256_nocreat),
    C(symlink_follow), C(symlink_nofollow), C(symlink_nofollow_path), C(symlink_path),
    C(symlink_nofollow_creat), C(symlink_creat_excl), C(dangling_creat), C(dangling_creat_excl),
    C(dangling_nocreat), C(dangling_nofollow_path), C(dirlink_directory_nofollow),
    C(dirlink_path_directory_nofollow), C(dirlink_trailing_slash_nofollow),
    C(filelink_trailing_slash),
    C(fifo_rdonly_nonblock), C(fifo_wronly_nonblock), C(fifo_path), C(fifo_rdwr_trunc),
    C(opath_read), C(opath_write), C(opath_pread), C(opath_pwrite), C(opath_readv),
    C(opath_writev), C(opath_lseek), C(opath_fstat), C(opath_fstatat_empty), C(opath_fstatfs),
    C(opath_ftruncate), C(opath_fsync), C(opath_fdatasync), C(opath_syncfs), C(opath_fallocate),
    C(opath_fadvise), C(opath_getflags), C(opath_fiemap), C(opath_fioclex), C(opath_mmap),
    C(opath_fchmod), C(opath_fchown), C(opath_fchmodat_empty), C(opath_fchownat_empty),
    C(opath_futimens), C(opath_utimensat_empty), C(opath_getfl), C(normal_getfl),
    C(opath_setfl), C(opath_getfd), C(opath_setfd), C(opath_dupfd), C(opath_setlk),
    C(opath_ofd_getlk), C(opath_getlease), C(opath_copy_in), C(opath_copy_out),
    C(opath_sendfile_in), C(opath_splice_in), C(opath_dup), C(opath_dup3), C(opath_close),
    C(opath_flock), C(opath_fgetxattr), C(normal_fgetxattr), C(opath_fsetxattr),
    C(opath_flistxattr), C(opath_getxattrat_empty), C(normal_getxattrat_empty),
    C(opath_linkat_empty), C(opath_openat_empty),
    C(opath_openat_child), C(opath_reopen_proc), C(opath_reopen_proc_rdwr), C(opath_fchdir_file),
    C(opathdir_fchdir), C(opathdir_openat), C(opathdir_fstatat), C(opathdir_mkdirat),
    C(opathdir_getdents), C(opathdir_read), C(opathlink_fstat), C(opathlink_readlinkat),
    C(opathfifo_read),
};

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  dir = argv[1];
  fsname = argv[2];
  memset(name255, 'a', 255);
  memset(name256, 'a', 256);
  cwdfd = open(".", O_RDONLY | O_DIRECTORY);
  if (cwdfd < 0) die("cwd");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setup();
    r_extra[0] = 0;
    errno = 0;
    cases[i].fn();
    printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\"%s}\n", fsname, cases[i].name,
           r_ret, r_err ? strerrorname_np(r_err) : "", r_extra);
    fflush(stdout);
    teardown();
  }
  return 0;
}
