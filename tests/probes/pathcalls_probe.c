/* truncate(2)/ftruncate(2) by every kind of target, fsync/fdatasync/syncfs
 * on every kind of descriptor, and the deterministic statfs/fstatfs fields.
 * Usage: pathcalls_probe DIR FSNAME; one JSON line per case:
 *
 *   {"fs":FS,"case":NAME,"ret":R,"errno":"E..."|""[,extras]}
 *
 * Fresh tree for every case (made before, removed entirely after):
 *   DIR/f        regular file, 0644, 1000 bytes 'f'
 *   DIR/d        empty directory
 *   DIR/l        symlink -> "f";   DIR/dangling  symlink -> "nope"
 *   DIR/p        fifo
 *   DIR/c        char device node 1:3 (mknod)
 * "path X" below is "DIR/X". Extras: "size" = stat("DIR/f").st_size after the
 * call (truncate cases). E4MAX = (2^32-1)*1024 = 4398046510080 (ext4's
 * s_maxbytes with 1 KiB blocks), LLMAX = 0x7fffffffffffffff.
 *
 * truncate(path, len):
 *   trunc_smaller f 100            trunc_same f 1000          trunc_bigger f 100000
 *   trunc_zero f 0                 trunc_neg f -1
 *   trunc_neg_nonexistent nope -1  (EINVAL or ENOENT first?)
 *   trunc_neg_dir d -1
 *   trunc_e4max f E4MAX            trunc_e4max_plus1 f E4MAX+1
 *   trunc_llmax f LLMAX            trunc_t1 f 2^40
 *   trunc_dir d 0                  trunc_nonexistent nope 0
 *   trunc_fifo p 0                 trunc_chardev c 0
 *   trunc_symlink l 10 (follows: f becomes 10 bytes)
 *   trunc_dangling dangling 0      trunc_trailing_slash "f/" 0
 *   trunc_dir_trailing_slash "d/" 0
 *   trunc_through_file "f/x" 0     trunc_empty "" 0 (the path itself is "")
 *   trunc_name256 (256 x 'a') 0
 *   trunc_readonly_mode f 10 after chmod(f, 0444) (as root)
 *   trunc_null_path truncate(NULL, 0)
 * ftruncate(fd, len):
 *   ftrunc_rdwr      O_RDWR fd, 100
 *   ftrunc_rdonly    O_RDONLY fd, 100
 *   ftrunc_wronly    O_WRONLY fd, 100
 *   ftrunc_append    O_WRONLY|O_APPEND fd, 100
 *   ftrunc_neg       O_RDWR fd, -1
 *   ftrunc_rdonly_neg O_RDONLY fd, -1
 *   ftrunc_badfd     fd 1000, 0
 *   ftrunc_badfd_neg fd 1000, -1
 *   ftrunc_opath     O_PATH fd, 0
 *   ftrunc_dir       O_RDONLY|O_DIRECTORY fd of d, 0
 *   ftrunc_fifo      fifo opened O_RDWR, 0
 *   ftrunc_pipe      pipe(2) write end, 0
 *   ftrunc_chardev   c opened O_RDWR, 0
 *   ftrunc_e4max_plus1 O_RDWR fd, E4MAX+1
 *   ftrunc_llmax     O_RDWR fd, LLMAX
 * fsync / fdatasync / syncfs on (fd kinds as above; "reg" = f O_RDWR,
 * "rdonly" = f O_RDONLY, "dir", "opath", "badfd", "pipe", "fifo", "chardev"):
 *   fsync_reg fsync_rdonly fsync_dir fsync_opath fsync_badfd fsync_pipe
 *   fsync_fifo fsync_chardev
 *   fdatasync_reg fdatasync_dir fdatasync_pipe fdatasync_opath
 *   syncfs_reg syncfs_rdonly syncfs_dir syncfs_opath syncfs_badfd syncfs_pipe
 *   syncfs_fifo syncfs_chardev
 * statfs(path) / fstatfs(fd); on success extras "f_type" (hex string),
 * "f_bsize", "f_frsize", "f_namelen", "f_flags" (hex string: ST_* mount
 * flags, ST_VALID 0x20 included). f_blocks/f_bfree/f_files/f_fsid are not
 * recorded (they depend on the image).
 *   statfs_root        statfs(DIR)
 *   statfs_file        statfs(f)
 *   statfs_dir         statfs(d)
 *   statfs_symlink     statfs(l)
 *   statfs_fifo        statfs(p)   (the fifo's filesystem, not pipefs)
 *   statfs_nonexistent statfs(nope)
 *   statfs_dangling    statfs(dangling)
 *   statfs_trailing_slash statfs("f/")
 *   statfs_empty       statfs("")
 *   statfs_nullbuf     statfs(DIR, NULL)
 *   fstatfs_reg fstatfs_rdonly fstatfs_dir fstatfs_opath fstatfs_badfd
 *   fstatfs_pipe fstatfs_fifo fstatfs_chardev
 *   fstatfs_nullbuf    fstatfs(f O_RDWR, NULL)
 *   fstatfs_badfd_nullbuf fstatfs(1000, NULL)
 *
 * Build: gcc -O1 -Wall -o /tmp/pathcalls_probe tests/probes/pathcalls_probe.c */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define E4MAX (((1LL << 32) - 1) * 1024)
#define LLMAX 0x7fffffffffffffffLL
#define BADFD 1000

static const char *dir;
static void *volatile null_ptr;
static int fds[4], nfds, pipefd[2];

static long long r_ret;
static int r_err;
static char r_extra[512];

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
static void x_statfs(const struct statfs *s) {
  extra(",\"f_type\":\"%#lx\",\"f_bsize\":%ld,\"f_frsize\":%ld,\"f_namelen\":%ld,\"f_flags\":\"%#lx\"",
        (unsigned long)s->f_type, (long)s->f_bsize, (long)s->f_frsize, (long)s->f_namelen,
        (unsigned long)s->f_flags);
}

static void setup(void) {
  char b[1000];
  memset(b, 'f', sizeof b);
  int fd = open(P("f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, b, sizeof b) != (ssize_t)sizeof b) die("f");
  close(fd);
  if (mkdir(P("d"), 0755) != 0) die("d");
  if (symlink("f", P("l")) != 0 || symlink("nope", P("dangling")) != 0) die("symlink");
  if (mkfifo(P("p"), 0644) != 0) die("fifo");
  if (mknod(P("c"), S_IFCHR | 0666, makedev(1, 3)) != 0) die("mknod");
}
static void teardown(void) {
  for (int i = 0; i < nfds; i++) close(fds[i]);
  nfds = 0;
  DIR *d = opendir(dir);
  struct dirent *e;
  if (!d) die("opendir");
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "lost+found"))
      continue;
    if (unlinkat(dirfd(d), e->d_name, 0) != 0 && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0)
      die(e->d_name);
  }
  closedir(d);
}

/* Descriptor kinds. */
enum kind { REG, RDONLY, WRONLY, APPEND, DIRFD, OPATH, BAD, PIPE, FIFO, CHARDEV };
static int get(enum kind k) {
  int fd;
  switch (k) {
    case REG: fd = open(P("f"), O_RDWR); break;
    case RDONLY: fd = open(P("f"), O_RDONLY); break;
    case WRONLY: fd = open(P("f"), O_WRONLY); break;
    case APPEND: fd = open(P("f"), O_WRONLY | O_APPEND); break;
    case DIRFD: fd = open(P("d"), O_RDONLY | O_DIRECTORY); break;
    case OPATH: fd = open(P("f"), O_PATH); break;
    case BAD: return BADFD;
    case PIPE:
      if (pipe(pipefd) != 0) die("pipe");
      fds[nfds++] = pipefd[0];
      fds[nfds++] = pipefd[1];
      return pipefd[1];
    case FIFO: fd = open(P("p"), O_RDWR); break;
    case CHARDEV: fd = open(P("c"), O_RDWR); break;
    default: fd = -1;
  }
  if (fd < 0) die("open kind");
  fds[nfds++] = fd;
  return fd;
}

/* truncate */
#define TRUNC(cname, path, len) \
  static void cname(void) { rec(truncate(P(path), (len))); x_size(); }
TRUNC(trunc_smaller, "f", 100)
TRUNC(trunc_same, "f", 1000)
TRUNC(trunc_bigger, "f", 100000)
TRUNC(trunc_zero, "f", 0)
TRUNC(trunc_neg, "f", -1)
TRUNC(trunc_neg_nonexistent, "nope", -1)
TRUNC(trunc_neg_dir, "d", -1)
TRUNC(trunc_e4max, "f", E4MAX)
TRUNC(trunc_e4max_plus1, "f", E4MAX + 1)
TRUNC(trunc_llmax, "f", LLMAX)
TRUNC(trunc_t1, "f", 1LL << 40)
TRUNC(trunc_dir, "d", 0)
TRUNC(trunc_nonexistent, "nope", 0)
TRUNC(trunc_fifo, "p", 0)
TRUNC(trunc_chardev, "c", 0)
TRUNC(trunc_symlink, "l", 10)
TRUNC(trunc_dangling, "dangling", 0)
TRUNC(trunc_trailing_slash, "f/", 0)
TRUNC(trunc_dir_trailing_slash, "d/", 0)
TRUNC(trunc_through_file, "f/x", 0)
static void trunc_empty(void) { rec(truncate("", 0)); x_size(); }
static char name256[257];
static void trunc_name256(void) { rec(truncate(P(name256), 0)); x_size(); }
static void trunc_readonly_mode(void) {
  if (chmod(P("f"), 0444) != 0) die("chmod");
  rec(truncate(P("f"), 10));
  x_size();
}
static void trunc_null_path(void) { rec(truncate(null_ptr, 0)); x_size(); }

/* ftruncate */
#define FTRUNC(cname, kind, len) \
  static void cname(void) { int fd = get(kind); rec(ftruncate(fd, (len))); x_size(); }
FTRUNC(ftrunc_rdwr, REG, 100)
FTRUNC(ftrunc_rdonly, RDONLY, 100)
FTRUNC(ftrunc_wronly, WRONLY, 100)
FTRUNC(ftrunc_append, APPEND, 100)
FTRUNC(ftrunc_neg, REG, -1)
FTRUNC(ftrunc_rdonly_neg, RDONLY, -1)
FTRUNC(ftrunc_badfd, BAD, 0)
FTRUNC(ftrunc_badfd_neg, BAD, -1)
FTRUNC(ftrunc_opath, OPATH, 0)
FTRUNC(ftrunc_dir, DIRFD, 0)
FTRUNC(ftrunc_fifo, FIFO, 0)
FTRUNC(ftrunc_pipe, PIPE, 0)
FTRUNC(ftrunc_chardev, CHARDEV, 0)
FTRUNC(ftrunc_e4max_plus1, REG, E4MAX + 1)
FTRUNC(ftrunc_llmax, REG, LLMAX)

/* sync family */
#define SYNC(cname, fn, kind) \
  static void cname(void) { rec(fn(get(kind))); }
SYNC(fsync_reg, fsync, REG)
SYNC(fsync_rdonly, fsync, RDONLY)
SYNC(fsync_dir, fsync, DIRFD)
SYNC(fsync_opath, fsync, OPATH)
SYNC(fsync_badfd, fsync, BAD)
SYNC(fsync_pipe, fsync, PIPE)
SYNC(fsync_fifo, fsync, FIFO)
SYNC(fsync_chardev, fsync, CHARDEV)
SYNC(fdatasync_reg, fdatasync, REG)
SYNC(fdatasync_dir, fdatasync, DIRFD)
SYNC(fdatasync_pipe, fdatasync, PIPE)
SYNC(fdatasync_opath, fdatasync, OPATH)
SYNC(syncfs_reg, syncfs, REG)
SYNC(syncfs_rdonly, syncfs, RDONLY)
SYNC(syncfs_dir, syncfs, DIRFD)
SYNC(syncfs_opath, syncfs, OPATH)
SYNC(syncfs_badfd, syncfs, BAD)
SYNC(syncfs_pipe, syncfs, PIPE)
SYNC(syncfs_fifo, syncfs, FIFO)
SYNC(syncfs_chardev, syncfs, CHARDEV)

/* statfs */
static void do_statfs(const char *path) {
  struct statfs s;
  rec(statfs(path, &s));
  if (r_ret == 0) x_statfs(&s);
}
static void statfs_root(void) { do_statfs(dir); }
static void statfs_file(void) { do_statfs(P("f")); }
static void statfs_dir(void) { do_statfs(P("d")); }
static void statfs_symlink(void) { do_statfs(P("l")); }
static void statfs_fifo(void) { do_statfs(P("p")); }
static void statfs_nonexistent(void) { do_statfs(P("nope")); }
static void statfs_dangling(void) { do_statfs(P("dangling")); }
static void statfs_trailing_slash(void) { do_statfs(P("f/")); }
static void statfs_empty(void) { do_statfs(""); }
static void statfs_nullbuf(void) { rec(statfs(dir, null_ptr)); }
#define FSTATFS(cname, kind)                          \
  static void cname(void) {                           \
    struct statfs s;                                  \
    rec(fstatfs(get(kind), &s));                      \
    if (r_ret == 0) x_statfs(&s);                     \
  }
FSTATFS(fstatfs_reg, REG)
FSTATFS(fstatfs_rdonly, RDONLY)
FSTATFS(fstatfs_dir, DIRFD)
FSTATFS(fstatfs_opath, OPATH)
FSTATFS(fstatfs_badfd, BAD)
FSTATFS(fstatfs_pipe, PIPE)
FSTATFS(fstatfs_fifo, FIFO)
FSTATFS(fstatfs_chardev, CHARDEV)
static void fstatfs_nullbuf(void) { rec(fstatfs(get(REG), null_ptr)); }
static void fstatfs_badfd_nullbuf(void) { rec(fstatfs(BADFD, null_ptr)); }

#define C(x) {#x, x}
static const struct {
  const char *name;
  void (*fn)(void);
} cases[] = {
    C(trunc_smaller), C(trunc_same), C(trunc_bigger), C(trunc_zero), C(trunc_neg),
    C(trunc_neg_nonexistent), C(trunc_neg_dir), C(trunc_e4max), C(trunc_e4max_plus1),
    C(trunc_llmax), C(trunc_t1), C(trunc_dir), C(trunc_nonexistent), C(trunc_fifo),
    C(trunc_chardev), C(trunc_symlink), C(trunc_dangling), C(trunc_trailing_slash),
    C(trunc_dir_trailing_slash), C(trunc_through_file), C(trunc_empty), C(trunc_name256),
    C(trunc_readonly_mode), C(trunc_null_path),
    C(ftrunc_rdwr), C(ftrunc_rdonly), C(ftrunc_wronly), C(ftrunc_append), C(ftrunc_neg),
    C(ftrunc_rdonly_neg), C(ftrunc_badfd), C(ftrunc_badfd_neg), C(ftrunc_opath), C(ftrunc_dir),
    C(ftrunc_fifo), C(ftrunc_pipe), C(ftrunc_chardev), C(ftrunc_e4max_plus1), C(ftrunc_llmax),
    C(fsync_reg), C(fsync_rdonly), C(fsync_dir), C(fsync_opath), C(fsync_badfd), C(fsync_pipe),
    C(fsync_fifo), C(fsync_chardev), C(fdatasync_reg), C(fdatasync_dir), C(fdatasync_pipe),
    C(fdatasync_opath), C(syncfs_reg), C(syncfs_rdonly), C(syncfs_dir), C(syncfs_opath),
    C(syncfs_badfd), C(syncfs_pipe), C(syncfs_fifo), C(syncfs_chardev),
    C(statfs_root), C(statfs_file), C(statfs_dir), C(statfs_symlink), C(statfs_fifo),
    C(statfs_nonexistent), C(statfs_dangling), C(statfs_trailing_slash), C(statfs_empty),
    C(statfs_nullbuf), C(fstatfs_reg), C(fstatfs_rdonly), C(fstatfs_dir), C(fstatfs_opath),
    C(fstatfs_badfd), C(fstatfs_pipe), C(fstatfs_fifo), C(fstatfs_chardev), C(fstatfs_nullbuf),
    C(fstatfs_badfd_nullbuf),
};

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  dir = argv[1];
  const char *fs = argv[2];
  umask(022);
  memset(name256, 'a', 256);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    setup();
    r_extra[0] = 0;
    errno = 0;
    cases[i].fn();
    printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\"%s}\n", fs, cases[i].name,
           r_ret, r_err ? strerrorname_np(r_err) : "", r_extra);
    fflush(stdout);
    teardown();
  }
  return 0;
}
