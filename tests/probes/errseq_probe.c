/* Writeback errors per open file description (errseq_t): which descriptor's
 * fsync, fdatasync, syncfs, msync or O_SYNC write reports a real writeback
 * error, and how often.
 *
 * A real error needs a device that fails writes. This host has no
 * device-mapper (no dm-error, no dm-flakey) and no fault injection, so the
 * probe brings its own failing device: a FUSE filesystem served by this
 * program, holding one file "img" in memory, made a loop device with
 * losetup. While armed, a FUSE_WRITE to the image that overlaps one of the
 * armed byte ranges is answered -EIO; loop completes that request with
 * BLK_STS_IOERR, and the filesystem on the loop device sees an ordinary
 * writeback I/O error on exactly those blocks (the data region of one file,
 * found with FIEMAP), as it would with dm-error over that region. Metadata
 * and the log live elsewhere and keep working.
 *
 * Usage (tests/probes/run_errseq_probe.sh does all of this, and cleans up):
 *   errseq_probe serve FUSEDIR SIZE CTL   mount the FUSE fs at FUSEDIR, serve
 *                                         img (SIZE bytes) until unmounted;
 *                                         CTL is the shared control file
 *   errseq_probe run LOOPDEV MNT FSNAME CTL
 *                                         run every case on a fresh mount of
 *                                         LOOPDEV (type FSNAME) at MNT
 *
 * Every case is a script of steps, run on its own mount (so the superblock's
 * errseq starts at zero) and printed with what each step returned:
 *
 *   {"fs":"xfs","case":"fsync_twice","steps":[["open a f rw","0"],...],"note":""}
 *
 * A result is "0" (or a byte count) on success, else the errno's name. The
 * steps, shared with the simulator's re-enactment (tests/errseq_test.cc),
 * which runs the same strings:
 *   setup F        create file F (16384 bytes 'A'), fsync it, close it: its
 *                  blocks are allocated and written
 *   open X F MODE  open F as descriptor X; MODE rw (O_RDWR), ro (O_RDONLY),
 *                  wsync (O_WRONLY|O_SYNC)
 *   dup Y X        Y = dup(X)
 *   dirty X        pwrite(X, 16384 bytes 'B', 0): the result is the count
 *   pwrite X       pwrite(X, 4096 bytes 'C', 0)
 *   arm F          writes to F's blocks fail with EIO from now on (host: the
 *                  FUSE device fails the byte ranges FIEMAP gives for F)
 *   disarm         writes succeed again
 *   fsync X, fdatasync X, syncfs X, close X
 *   sync           sync(2) (returns nothing: "0"): writeback that nobody
 *                  reports
 *   mmap X         mmap(16384, PROT_READ|PROT_WRITE, MAP_SHARED, X, 0)
 *   store X        memset the first 4096 bytes of X's mapping to 'D'
 *   msync X        msync(X's mapping, 16384, MS_SYNC)
 *   munmap X
 *   check          the filesystem still works: create "h", write 4096 bytes,
 *                  fsync (the result), close, unlink
 *
 * Build: gcc -O1 -Wall -o /tmp/errseq_probe tests/probes/errseq_probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/fuse.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_RANGES 16

/* The control file, mapped shared by the server and the runner. */
struct ctl {
  volatile uint32_t armed;
  uint32_t nranges;
  uint64_t lo[MAX_RANGES], hi[MAX_RANGES]; /* Byte ranges of img: [lo, hi). */
  volatile uint64_t writes, failed;
};

static struct ctl *map_ctl(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT, 0600);
  if (fd < 0 || ftruncate(fd, sizeof(struct ctl)) != 0) {
    perror(path);
    exit(1);
  }
  struct ctl *c = mmap(NULL, sizeof(struct ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (c == MAP_FAILED) {
    perror("mmap ctl");
    exit(1);
  }
  close(fd);
  return c;
}

/* ---- The FUSE server: one regular file "img" (node 2) in the root. ---- */

static int fuse_fd;
static unsigned char *img;
static uint64_t img_size;

static void reply(uint64_t unique, int error, const void *data, size_t len) {
  struct fuse_out_header out = {.len = sizeof(out) + len, .error = error, .unique = unique};
  unsigned char buf[sizeof(out) + 4096];
  const void *src = data;
  if (len > 4096) { /* Only READ replies are large: write them with writev. */
    struct iovec iov[2] = {{&out, sizeof(out)}, {(void *)src, len}};
    if (writev(fuse_fd, iov, 2) < 0 && errno != ENOENT) perror("fuse reply");
    return;
  }
  memcpy(buf, &out, sizeof(out));
  if (len) memcpy(buf + sizeof(out), src, len);
  if (write(fuse_fd, buf, sizeof(out) + len) < 0 && errno != ENOENT) perror("fuse reply");
}

static void fill_attr(uint64_t node, struct fuse_attr *a) {
  memset(a, 0, sizeof(*a));
  a->ino = node;
  a->blksize = 4096;
  if (node == FUSE_ROOT_ID) {
    a->mode = S_IFDIR | 0755;
    a->nlink = 2;
  } else {
    a->mode = S_IFREG | 0644;
    a->nlink = 1;
    a->size = img_size;
    a->blocks = img_size / 512;
  }
}

static int serve(const char *dir, uint64_t size, const char *ctl_path) {
  struct ctl *c = map_ctl(ctl_path);
  img_size = size;
  img = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
             0);
  if (img == MAP_FAILED) {
    perror("mmap img");
    return 1;
  }
  fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fuse_fd < 0) {
    perror("/dev/fuse");
    return 1;
  }
  char opts[256];
  snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fuse_fd);
  if (mount("errseqimg", dir, "fuse", MS_NOSUID | MS_NODEV, opts) != 0) {
    perror("mount fuse");
    return 1;
  }
  const size_t bufsize = (1 << 20) + 4096;
  unsigned char *buf = malloc(bufsize);
  for (;;) {
    ssize_t n = read(fuse_fd, buf, bufsize);
    if (n < 0) {
      if (errno == EINTR || errno == ENOENT || errno == EAGAIN) continue;
      if (errno == ENODEV) return 0; /* Unmounted. */
      perror("fuse read");
      return 1;
    }
    struct fuse_in_header *in = (struct fuse_in_header *)buf;
    void *arg = buf + sizeof(*in);
    switch (in->opcode) {
      case FUSE_INIT: {
        struct fuse_init_in *ii = arg;
        struct fuse_init_out io = {.major = FUSE_KERNEL_VERSION,
                                   .minor = FUSE_KERNEL_MINOR_VERSION,
                                   .max_readahead = ii->max_readahead,
                                   .flags = FUSE_MAX_PAGES,
                                   .max_background = 16,
                                   .congestion_threshold = 12,
                                   .max_write = 1 << 20,
                                   .time_gran = 1,
                                   .max_pages = 256};
        reply(in->unique, 0, &io, sizeof(io));
        break;
      }
      case FUSE_LOOKUP: {
        if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, "img") != 0) {
          reply(in->unique, -ENOENT, NULL, 0);
          break;
        }
        struct fuse_entry_out e = {.nodeid = 2, .generation = 1, .entry_valid = 86400,
                                   .attr_valid = 86400};
        fill_attr(2, &e.attr);
        reply(in->unique, 0, &e, sizeof(e));
        break;
      }
      case FUSE_GETATTR:
      case FUSE_SETATTR: { /* Nothing changes: the image keeps its size. */
        struct fuse_attr_out a = {.attr_valid = 86400};
        fill_attr(in->nodeid, &a.attr);
        reply(in->unique, 0, &a, sizeof(a));
        break;
      }
      case FUSE_OPEN:
      case FUSE_OPENDIR: {
        /* FOPEN_DIRECT_IO: every loop request reaches this server. */
        struct fuse_open_out o = {.fh = 1,
                                  .open_flags = in->opcode == FUSE_OPEN ? FOPEN_DIRECT_IO : 0};
        reply(in->unique, 0, &o, sizeof(o));
        break;
      }
      case FUSE_READ: {
        struct fuse_read_in *r = arg;
        uint64_t len = r->size;
        if (r->offset >= img_size) len = 0;
        else if (len > img_size - r->offset) len = img_size - r->offset;
        reply(in->unique, 0, img + r->offset, len);
        break;
      }
      case FUSE_WRITE: {
        struct fuse_write_in *w = arg;
        const unsigned char *data = (const unsigned char *)(w + 1);
        uint64_t end = w->offset + w->size;
        int fail = 0;
        __atomic_add_fetch(&c->writes, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&c->armed, __ATOMIC_SEQ_CST)) {
          for (uint32_t i = 0; i < c->nranges; i++) {
            if (w->offset < c->hi[i] && c->lo[i] < end) fail = 1;
          }
        }
        if (end > img_size) {
          reply(in->unique, -EFBIG, NULL, 0);
        } else if (fail) {
          __atomic_add_fetch(&c->failed, 1, __ATOMIC_SEQ_CST);
          reply(in->unique, -EIO, NULL, 0);
        } else {
          memcpy(img + w->offset, data, w->size);
          struct fuse_write_out wo = {.size = w->size};
          reply(in->unique, 0, &wo, sizeof(wo));
        }
        break;
      }
      case FUSE_STATFS: {
        struct fuse_statfs_out s = {.st = {.blocks = img_size / 4096, .bsize = 4096,
                                           .namelen = 255, .frsize = 4096}};
        reply(in->unique, 0, &s, sizeof(s));
        break;
      }
      case FUSE_READDIR:
        reply(in->unique, 0, NULL, 0);
        break;
      case FUSE_FLUSH:
      case FUSE_RELEASE:
      case FUSE_RELEASEDIR:
      case FUSE_FSYNC:
      case FUSE_FSYNCDIR:
        reply(in->unique, 0, NULL, 0);
        break;
      case FUSE_DESTROY:
        reply(in->unique, 0, NULL, 0);
        return 0;
      case FUSE_FORGET:
      case FUSE_BATCH_FORGET:
      case FUSE_INTERRUPT:
        break; /* No reply. */
      default:
        reply(in->unique, -ENOSYS, NULL, 0);
        break;
    }
  }
}

/* ---- The cases. ---- */

static const char *const cases[][24] = {
    /* One descriptor: it sees the error once. */
    {"fsync_twice", "setup f", "open a f rw", "dirty a", "arm f", "fsync a", "fsync a",
     "disarm", "check"},
    {"fdatasync_twice", "setup f", "open a f rw", "dirty a", "arm f", "fdatasync a",
     "fdatasync a", "fsync a", "disarm", "check"},
    /* Two descriptions opened before the error: each sees it once. */
    {"two_fds", "setup f", "open a f rw", "open b f rw", "dirty a", "arm f", "fsync a",
     "fsync b", "fsync b", "fsync a", "disarm", "check"},
    /* dup shares the description, and with it the cursor. */
    {"dup_shares", "setup f", "open a f rw", "dup d a", "dirty a", "arm f", "fsync a",
     "fsync d", "disarm", "check"},
    {"rdonly_fd", "setup f", "open a f rw", "open r f ro", "dirty a", "arm f", "fsync r",
     "fsync r", "fsync a", "disarm", "check"},
    /* Opened after the error was seen: nothing to report. */
    {"open_after_seen", "setup f", "open a f rw", "dirty a", "arm f", "fsync a", "open c f rw",
     "fsync c", "disarm", "check"},
    /* Opened after an error nobody has seen yet: the new opener sees it. */
    {"open_after_unseen", "setup f", "open a f rw", "dirty a", "arm f", "sync", "open c f rw",
     "fsync c", "fsync c", "fsync a", "open e f rw", "fsync e", "disarm", "check"},
    /* close reports nothing (no ->flush); the error waits for an fsync. */
    {"close_no_report", "setup f", "open a f rw", "dirty a", "arm f", "close a", "open b f rw",
     "fsync b", "fsync b", "disarm", "check"},
    {"close_after_error", "setup f", "open a f rw", "open b f rw", "dirty a", "arm f",
     "fsync b", "close a", "disarm", "check"},
    /* A second error after the first was seen is new to everyone; two
     * errors before anyone looked are reported once. */
    {"second_error", "setup f", "open a f rw", "open b f rw", "dirty a", "arm f", "fsync a",
     "dirty a", "fsync a", "fsync b", "fsync b", "disarm", "check"},
    {"unseen_twice", "setup f", "open a f rw", "dirty a", "arm f", "sync", "dirty a", "sync",
     "fsync a", "fsync a", "disarm", "check"},
    {"recovered", "setup f", "open a f rw", "dirty a", "arm f", "fsync a", "disarm", "dirty a",
     "fsync a", "check"},
    /* Another file's mapping has its own errseq. */
    {"other_file_clean", "setup f", "setup g", "open a f rw", "open h g rw", "dirty a", "arm f",
     "fsync h", "fsync a", "disarm", "check"},
    /* An O_SYNC write's own sync reports through its description. */
    {"osync_write", "setup f", "open a f rw", "open s f wsync", "arm f", "pwrite s",
     "fsync s", "fsync a", "disarm", "check"},
    /* msync syncs through the mapping's file (vma->vm_file): the
     * description the mapping was made through, not the others. */
    {"msync_file", "setup f", "open a f rw", "open b f rw", "mmap a", "store a", "arm f",
     "msync a", "msync a", "fsync a", "fsync b", "munmap a", "disarm", "check"},
    {"msync_after_close", "setup f", "open a f rw", "open b f rw", "mmap a", "close a",
     "store a", "arm f", "msync a", "msync a", "fsync b", "munmap a", "disarm", "check"},
    /* syncfs reports the superblock's errseq, sampled per description at
     * open; fsync and syncfs keep separate cursors. */
    {"syncfs_basic", "setup f", "setup g", "open a f rw", "open h g rw", "dirty a", "arm f",
     "syncfs h", "syncfs h", "syncfs a", "fsync a", "open c g rw", "syncfs c", "disarm",
     "check"},
    {"syncfs_unseen_new_open", "setup f", "setup g", "open a f rw", "dirty a", "arm f", "sync",
     "open c g rw", "syncfs c", "syncfs c", "fsync a", "disarm", "check"},
    {"fsync_then_syncfs", "setup f", "open a f rw", "dirty a", "arm f", "fsync a", "syncfs a",
     "syncfs a", "fsync a", "disarm", "check"},
    /* syncfs does not mark the file's own errseq seen. */
    {"syncfs_then_new_fsync", "setup f", "open a f rw", "dirty a", "arm f", "syncfs a",
     "open c f rw", "fsync c", "fsync a", "disarm", "check"},
};

#define NFD 26
static int fds[NFD];
static char *maps[NFD];
static const char *mnt;
static struct ctl *ctl;
static char out[16384];
static size_t outlen;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  outlen += vsnprintf(out + outlen, sizeof(out) - outlen, fmt, ap);
  va_end(ap);
}

static const char *res(long r, int err) {
  static char buf[32];
  if (r < 0) return err != 0 && strerrorname_np(err) ? strerrorname_np(err) : "E?";
  snprintf(buf, sizeof(buf), "%ld", r);
  return buf;
}

/* RES evaluates a call before it reads errno (argument order is unspecified). */
#define RES(call)       \
  ({                    \
    long r_ = (call);   \
    res(r_, errno);     \
  })

static int slot(const char *name) { return name[0] - 'a'; }

static void path_of(char *buf, size_t n, const char *file) {
  snprintf(buf, n, "%s/%s", mnt, file);
}

static long write_pattern(int fd, char c, size_t len) {
  static char data[16384];
  memset(data, c, len);
  return pwrite(fd, data, len, 0);
}

/* arm_file fails the device byte ranges holding `file`'s first 16384 bytes. */
static int arm_file(const char *file) {
  char p[512];
  path_of(p, sizeof(p), file);
  int fd = open(p, O_RDONLY);
  if (fd < 0) return -1;
  struct {
    struct fiemap fm;
    struct fiemap_extent ext[MAX_RANGES];
  } f;
  memset(&f, 0, sizeof(f));
  f.fm.fm_length = ~0ULL;
  /* No FIEMAP_FLAG_SYNC: that would write the dirty data back before the
   * device is armed. The blocks were allocated and written by setup. */
  f.fm.fm_extent_count = MAX_RANGES;
  int r = ioctl(fd, FS_IOC_FIEMAP, &f);
  int err = errno;
  close(fd);
  if (r != 0) {
    errno = err;
    return -1;
  }
  uint32_t n = ctl->nranges;
  for (uint32_t i = 0; i < f.fm.fm_mapped_extents && n < MAX_RANGES; i++) {
    const struct fiemap_extent *e = &f.ext[i];
    if (e->fe_logical >= 16384) continue;
    ctl->lo[n] = e->fe_physical;
    ctl->hi[n] = e->fe_physical + e->fe_length;
    n++;
  }
  if (n == ctl->nranges) {
    errno = ENODATA;
    return -1;
  }
  ctl->nranges = n;
  __atomic_store_n(&ctl->armed, 1, __ATOMIC_SEQ_CST);
  return 0;
}

static void disarm(void) {
  __atomic_store_n(&ctl->armed, 0, __ATOMIC_SEQ_CST);
  ctl->nranges = 0;
}

static const char *step(const char *s) {
  char op[32] = "", x[32] = "", y[32] = "", m[32] = "";
  char p[512];
  sscanf(s, "%31s %31s %31s %31s", op, x, y, m);
  long r = 0;
  errno = 0;
  if (strcmp(op, "setup") == 0) {
    path_of(p, sizeof(p), x);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return RES(-1);
    r = write_pattern(fd, 'A', 16384);
    if (r >= 0) r = fsync(fd);
    int err = errno;
    close(fd);
    return res(r < 0 ? -1 : 0, err);
  }
  if (strcmp(op, "open") == 0) {
    path_of(p, sizeof(p), y);
    int flags = strcmp(m, "ro") == 0 ? O_RDONLY : strcmp(m, "wsync") == 0 ? O_WRONLY | O_SYNC
                                                                          : O_RDWR;
    int fd = open(p, flags);
    if (fd < 0) return RES(-1);
    fds[slot(x)] = fd;
    return "0";
  }
  if (strcmp(op, "dup") == 0) {
    int fd = dup(fds[slot(y)]);
    if (fd < 0) return RES(-1);
    fds[slot(x)] = fd;
    return "0";
  }
  if (strcmp(op, "dirty") == 0) return RES(write_pattern(fds[slot(x)], 'B', 16384));
  if (strcmp(op, "pwrite") == 0) return RES(write_pattern(fds[slot(x)], 'C', 4096));
  if (strcmp(op, "arm") == 0) return RES(arm_file(x));
  if (strcmp(op, "disarm") == 0) {
    disarm();
    return "0";
  }
  if (strcmp(op, "fsync") == 0) return RES(fsync(fds[slot(x)]));
  if (strcmp(op, "fdatasync") == 0) return RES(fdatasync(fds[slot(x)]));
  if (strcmp(op, "syncfs") == 0) return RES(syncfs(fds[slot(x)]));
  if (strcmp(op, "close") == 0) {
    r = close(fds[slot(x)]);
    int err = errno;
    fds[slot(x)] = -1;
    return res(r, err);
  }
  if (strcmp(op, "sync") == 0) {
    sync();
    return "0";
  }
  if (strcmp(op, "mmap") == 0) {
    void *a = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fds[slot(x)], 0);
    if (a == MAP_FAILED) return RES(-1);
    maps[slot(x)] = a;
    return "0";
  }
  if (strcmp(op, "store") == 0) {
    memset(maps[slot(x)], 'D', 4096);
    return "0";
  }
  if (strcmp(op, "msync") == 0) return RES(msync(maps[slot(x)], 16384, MS_SYNC));
  if (strcmp(op, "munmap") == 0) {
    r = munmap(maps[slot(x)], 16384);
    maps[slot(x)] = NULL;
    return RES(r);
  }
  if (strcmp(op, "check") == 0) {
    path_of(p, sizeof(p), "h");
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return RES(-1);
    r = write_pattern(fd, 'E', 4096);
    if (r >= 0) r = fsync(fd);
    int err = errno;
    close(fd);
    unlink(p);
    return res(r < 0 ? -1 : 0, err);
  }
  fprintf(stderr, "errseq_probe: unknown step '%s'\n", s);
  exit(2);
}

static int run(const char *dev, const char *dir, const char *fs, const char *ctl_path) {
  mnt = dir;
  ctl = map_ctl(ctl_path);
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    disarm();
    if (mount(dev, dir, fs, 0, NULL) != 0) {
      perror("mount");
      return 1;
    }
    for (int i = 0; i < NFD; i++) fds[i] = -1, maps[i] = NULL;
    outlen = 0;
    const uint64_t failed_before = ctl->failed;
    emit("{\"fs\":\"%s\",\"case\":\"%s\",\"steps\":[", fs, cases[c][0]);
    for (int i = 1; i < 24 && cases[c][i]; i++) {
      const char *r = step(cases[c][i]);
      emit("%s[\"%s\",\"%s\"]", i > 1 ? "," : "", cases[c][i], r);
    }
    disarm();
    for (int i = 0; i < NFD; i++) {
      if (maps[i]) munmap(maps[i], 16384);
      if (fds[i] >= 0) close(fds[i]);
    }
    char note[64] = "";
    if (ctl->failed == failed_before) snprintf(note, sizeof(note), "no write failed");
    emit("],\"failed_writes\":%llu,\"note\":\"%s\"}\n",
         (unsigned long long)(ctl->failed - failed_before), note);
    if (umount2(dir, 0) != 0) {
      perror("umount");
      return 1;
    }
    fputs(out, stdout);
    fflush(stdout);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "serve") == 0) {
    return serve(argv[2], strtoull(argv[3], NULL, 0), argv[4]);
  }
  if (argc == 6 && strcmp(argv[1], "run") == 0) return run(argv[2], argv[3], argv[4], argv[5]);
  fprintf(stderr,
          "usage: errseq_probe serve FUSEDIR SIZE CTL\n"
          "       errseq_probe run LOOPDEV MNT FSNAME CTL\n");
  return 2;
}
