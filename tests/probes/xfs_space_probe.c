// xfs_space_probe: how a filesystem spends blocks: speculative EOF
// preallocation, delayed allocation, fallocate in every mode, unwritten
// extents and SEEK_DATA/SEEK_HOLE, reflink and CoW, truncation, ENOSPC.
// Written for XFS; tmpfs and ext4 are recorded beside it.
//
//   xfs_space_probe DIR FSNAME
//
// run_probe.sh: tmpfs size=256m
// run_probe.sh: fs xfs_noreflink 512M mkfs.xfs -f -q -m reflink=0
//
// Each case is a script of steps run on fresh files in DIR; after every step
// the probe records the call's answer and the state of every file of the
// case. One JSON line per case:
//
//   {"fs":FS,"case":NAME,"steps":[STEP,...],"note":""}
//   STEP = {"op":OP, PARAMS..., "ret":R, "errno":"E"|"", EXTRAS...,
//           "files":{NAME:{"size":S,"blocks":B,"fiemap":X,"fiemap_sync":X,
//                          "blocks_sync":B2}, ...}}
//
// PARAMS are the step's parameters exactly as in the script below (numbers as
// byte counts, K/M/G = KiB/MiB/GiB already multiplied out). ret is the call's
// return value (-1 on error), errno its strerrorname_np name when it failed.
// files lists every file of the case that exists after the step, in creation
// order: size = st_size, blocks = st_blocks (512-byte units), both by fstat
// on the case's descriptor; fiemap = FS_IOC_FIEMAP over [0, FIEMAP_MAX_OFFSET)
// with fm_flags 0 (no FIEMAP_FLAG_SYNC: delalloc stays visible), as a list
// of [logical, length, "FLAGS", contig]: FLAGS the FIEMAP_EXTENT_* names
// joined by "|" in bit order (LAST, UNKNOWN, DELALLOC, ENCODED,
// DATA_ENCRYPTED, NOT_ALIGNED, DATA_INLINE, DATA_TAIL, UNWRITTEN, MERGED,
// SHARED; others as 0xHEX). Extents the kernel reports one after the other
// (the next starts where the last ends, logically) with the same flags, LAST
// aside, are merged into one entry whether or not they are adjacent on disk:
// where a filesystem splits those depends on its free space (ext4 runs
// differed there). contig is 1 when this entry starts on the disk right
// after the previous entry ends (fe_physical == the previous entry's last
// piece's fe_physical + fe_length, neither being UNKNOWN), else 0; physical
// addresses are not recorded. When FIEMAP fails the field is its errno name
// (tmpfs: "EOPNOTSUPP"). fiemap_sync and blocks_sync are what FIEMAP with
// FIEMAP_FLAG_SYNC, and st_blocks right after it, show at that point. Since
// FIEMAP_FLAG_SYNC writes the file back, they are taken in a separate replay,
// so that the recorded run is not disturbed: for step k, all files are
// removed, steps 1..k are run again from scratch on fresh files, then every
// file gets FIEMAP_FLAG_SYNC and fstat, and the files are removed again. (The
// replay checks that steps 1..k answered as in the recorded run; any
// difference is listed in note.) Where FIEMAP is not supported there is no
// replay: fiemap_sync is the errno name and blocks_sync null.
//
// Files: every case starts with "f" created (open O_RDWR|O_CREAT|O_TRUNC,
// 0644) and open; "create file=NAME" makes another one the same way. A step
// acts on "f" unless it says file=NAME. Each file has one descriptor, kept
// open until close_reopen or unlink. After the case every descriptor is
// closed and every file unlinked, then syncfs(DIR) and statfs are repeated
// until f_bfree and f_ffree stay the same across 10 ms (freed space settles:
// XFS frees unlinked inodes in the background).
//
// Data: pwrite, pwrite_seq and dio_pwrite write, at file offset o, the byte
// c (c=X in the step) or, without c, 'A' + (o / 4096) % 26 (the "block
// letter" of the 4 KiB block the byte lands in, whatever the write's offset).
//
// Steps (KEY=VALUE parameters; [file=NAME] is allowed on every step that acts
// on a file):
//   create file=NAME         open(DIR/NAME, O_RDWR|O_CREAT|O_TRUNC, 0644)
//   pwrite off len [c]       one pwrite(2) of len bytes at off (buffered)
//   pwrite_seq off len chunk [stride] [c]
//                            pwrite(2) calls of chunk bytes (the last one
//                            shorter if len is not a multiple) at off, off +
//                            stride, off + 2*stride, ... (stride defaults to
//                            chunk) until len bytes in all were written; stops
//                            at the first short or failed call. ret = the
//                            bytes written in all; errno = the failed call's
//                            errno ("" if none failed); extra "calls" = how
//                            many calls were made
//   dio_pwrite off len [c]   fcntl(F_SETFL, flags|O_DIRECT) on the file's
//                            descriptor, one pwrite(2) from a 4096-aligned
//                            buffer, then F_SETFL back (the same open file
//                            description: no extra open/close)
//   pread off len            pread(2) into a buffer; extra "data": the bytes
//                            read as run-length pairs [[byte, count], ...]
//   falloc mode off len      fallocate(2); mode = DEFAULT (0) or names joined
//                            by "|": KEEP_SIZE, PUNCH_HOLE, COLLAPSE_RANGE,
//                            ZERO_RANGE, INSERT_RANGE, UNSHARE_RANGE,
//                            WRITE_ZEROES (0x80)
//   ftruncate len            ftruncate(2)
//   fsync / fdatasync        fsync(2) / fdatasync(2) on the file
//   syncfs                   syncfs(2) on DIR
//   settle                   syncfs(DIR) and statfs until f_bfree and
//                            f_ffree stay put (as between cases)
//   close_reopen             close(2) the file's descriptor (its last
//                            reference: ->release runs), open(O_RDWR) again
//   seek whence off          lseek(2); whence SET, CUR, END, DATA or HOLE
//   fadvise_dontneed         posix_fadvise(0, 0, POSIX_FADV_DONTNEED); ret is
//                            its return value (0 or an errno number)
//   ficlone_from src         ioctl(file, FICLONE, src's descriptor)
//   ficlonerange_from src src_off len dst_off
//                            ioctl(file, FICLONERANGE, {src, src_off, len,
//                            dst_off})
//   dedupe_from src src_off len dst_off
//                            ioctl(src, FIDEDUPERANGE, {src_off, len, 1 dest:
//                            file at dst_off}); extras "status" (0 SAME,
//                            1 DIFFERS, negative -errno) and "bytes_deduped"
//   copy_range_from src src_off len dst_off
//                            copy_file_range(src, &src_off, file, &dst_off,
//                            len, 0) (raw syscall); ret = bytes copied
//   unlink                   close the file's descriptor, unlink(2) it; it
//                            leaves "files"
//   statfs                   statfs(DIR); extra "statfs": {"bsize", "blocks",
//                            "bfree", "bavail", "files", "ffree"}
//   fsgetxattr               ioctl(FS_IOC_FSGETXATTR) on the file (file=.
//                            means DIR itself, opened O_RDONLY for the call);
//                            extra "fsx": {"xflags", "xflags_names",
//                            "extsize", "nextents", "projid", "cowextsize"}
//   fill_fs leave            settle (as after a case), then fill the
//                            filesystem through a hidden file DIR/filler:
//                            fallocate(DEFAULT) 64 MiB pieces at its end
//                            until one fails with ENOSPC, then halve the
//                            piece (after a failure the end is re-read with
//                            fstat: ext4 keeps what a failed fallocate got)
//                            down to f_bsize; then ftruncate the filler
//                            to its size minus leave and settle again, so
//                            that about leave bytes are free (to root). ret
//                            = that ftruncate's; extras "filled" = the
//                            filler's final size, "statfs" after. The filler
//                            is not in "files"; it is removed with the
//                            case's files.
//
// The cases are the table cases[] below; README.md describes them.
//
// Build: gcc -O1 -Wall -o /tmp/xfs_space_probe tests/probes/xfs_space_probe.c
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES 0x80
#endif

#define MAXFILES 4
#define MAXSTEPS 48
#define MAXARGS 8
#define NEXTENTS 4096

struct arg {
  char key[16];
  char val[64];
  long long num;
  int isnum;
};
struct step {
  char op[24];
  int nargs;
  struct arg a[MAXARGS];
};

struct file {
  char name[16];
  char path[4096];
  int fd;
};
struct ctx {
  struct file f[MAXFILES];
  int nf;
  int filler_fd;
};

struct fst {
  char name[16];
  long long size, blocks, blocks_sync;
  char *fiemap, *fiemap_sync;
};
struct res {
  char *json;  // "ret":..,"errno":..[,extras]
  int nf;
  struct fst f[MAXFILES];
};

static const char *dir;
static const char *fsname;
static int have_fiemap;
static char filler_path[4096];

static void die(const char *what) {
  perror(what);
  exit(1);
}

static const char *ename(int e) {
  if (e == ENOTSUP) return "EOPNOTSUPP";
  if (e == EWOULDBLOCK) return "EAGAIN";
  const char *n = strerrorname_np(e);
  return n ? n : "E?";
}

// ---- script parsing ----

static int parse_num(const char *s, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || errno) return 0;
  if (*end == 'K') v <<= 10, end++;
  else if (*end == 'M') v <<= 20, end++;
  else if (*end == 'G') v <<= 30, end++;
  if (*end) return 0;
  *out = v;
  return 1;
}

static int parse_script(const char *script, struct step *steps) {
  int n = 0;
  char *copy = strdup(script), *save1;
  for (char *part = strtok_r(copy, ";", &save1); part; part = strtok_r(NULL, ";", &save1)) {
    char *save2;
    char *tok = strtok_r(part, " ", &save2);
    if (!tok) continue;
    if (n == MAXSTEPS) {
      fprintf(stderr, "too many steps in %s\n", script);
      exit(1);
    }
    struct step *s = &steps[n++];
    memset(s, 0, sizeof *s);
    snprintf(s->op, sizeof s->op, "%s", tok);
    while ((tok = strtok_r(NULL, " ", &save2))) {
      char *eq = strchr(tok, '=');
      if (!eq || s->nargs == MAXARGS) {
        fprintf(stderr, "bad token %s in %s\n", tok, script);
        exit(1);
      }
      struct arg *a = &s->a[s->nargs++];
      *eq = 0;
      snprintf(a->key, sizeof a->key, "%s", tok);
      snprintf(a->val, sizeof a->val, "%s", eq + 1);
      a->isnum = strcmp(a->key, "c") && strcmp(a->key, "file") && strcmp(a->key, "src") &&
                 parse_num(a->val, &a->num);
    }
  }
  free(copy);
  return n;
}

static const struct arg *find_arg(const struct step *s, const char *key) {
  for (int i = 0; i < s->nargs; i++)
    if (!strcmp(s->a[i].key, key)) return &s->a[i];
  return NULL;
}
static long long num(const struct step *s, const char *key) {
  const struct arg *a = find_arg(s, key);
  if (!a || !a->isnum) {
    fprintf(stderr, "step %s: needs a number %s\n", s->op, key);
    exit(1);
  }
  return a->num;
}
static long long num_or(const struct step *s, const char *key, long long dflt) {
  const struct arg *a = find_arg(s, key);
  return a ? num(s, key) : dflt;
}
static const char *str_or(const struct step *s, const char *key, const char *dflt) {
  const struct arg *a = find_arg(s, key);
  return a ? a->val : dflt;
}

static void step_params_json(FILE *m, const struct step *s) {
  fprintf(m, "\"op\":\"%s\"", s->op);
  for (int i = 0; i < s->nargs; i++) {
    if (s->a[i].isnum) fprintf(m, ",\"%s\":%lld", s->a[i].key, s->a[i].num);
    else fprintf(m, ",\"%s\":\"%s\"", s->a[i].key, s->a[i].val);
  }
}

// ---- files ----

static struct file *get_file(struct ctx *c, const char *name) {
  for (int i = 0; i < c->nf; i++)
    if (!strcmp(c->f[i].name, name)) return &c->f[i];
  fprintf(stderr, "no file %s\n", name);
  exit(1);
}

static void add_file(struct ctx *c, const char *name) {
  if (c->nf == MAXFILES) die("too many files");
  struct file *f = &c->f[c->nf++];
  snprintf(f->name, sizeof f->name, "%s", name);
  snprintf(f->path, sizeof f->path, "%s/%s", dir, name);
  f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (f->fd < 0) die(f->path);
}

static void remove_file(struct ctx *c, int i) {
  close(c->f[i].fd);
  if (unlink(c->f[i].path)) die(c->f[i].path);
  memmove(&c->f[i], &c->f[i + 1], (c->nf - i - 1) * sizeof c->f[0]);
  c->nf--;
}

struct sfs {
  long long bsize, blocks, bfree, bavail, files, ffree;
};
static struct sfs get_statfs(void) {
  struct statfs st;
  if (statfs(dir, &st)) die("statfs");
  struct sfs r = {st.f_bsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files, st.f_ffree};
  return r;
}
static void statfs_json(FILE *m, struct sfs s) {
  fprintf(m, "{\"bsize\":%lld,\"blocks\":%lld,\"bfree\":%lld,\"bavail\":%lld,\"files\":%lld,\"ffree\":%lld}",
          s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree);
}

static void settle(void) {
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dfd < 0) die(dir);
  for (int i = 0; i < 500; i++) {
    syncfs(dfd);
    struct sfs a = get_statfs();
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    syncfs(dfd);
    struct sfs b = get_statfs();
    if (a.bfree == b.bfree && a.ffree == b.ffree) break;
  }
  close(dfd);
}

static void ctx_start(struct ctx *c) {
  memset(c, 0, sizeof *c);
  c->filler_fd = -1;
  add_file(c, "f");
}

static void ctx_end(struct ctx *c) {
  while (c->nf) remove_file(c, 0);
  if (c->filler_fd >= 0) {
    close(c->filler_fd);
    unlink(filler_path);
    c->filler_fd = -1;
  }
  settle();
}

// ---- FIEMAP ----

static char *fiemap_json(int fd, unsigned flags) {
  static struct fiemap *fm;
  if (!fm) fm = calloc(1, sizeof *fm + NEXTENTS * sizeof(struct fiemap_extent));
  memset(fm, 0, sizeof *fm);
  fm->fm_start = 0;
  fm->fm_length = FIEMAP_MAX_OFFSET;
  fm->fm_flags = flags;
  fm->fm_extent_count = NEXTENTS;
  char *buf;
  size_t mlen;
  FILE *m = open_memstream(&buf, &mlen);
  if (ioctl(fd, FS_IOC_FIEMAP, fm)) {
    fprintf(m, "\"%s\"", ename(errno));
    fclose(m);
    return buf;
  }
  static const char *names[] = {"LAST", "UNKNOWN", "DELALLOC", "ENCODED", NULL, NULL, NULL,
                                "DATA_ENCRYPTED", "NOT_ALIGNED", "DATA_INLINE", "DATA_TAIL",
                                "UNWRITTEN", "MERGED", "SHARED"};
  // Merge raw extents that follow each other logically with the same flags
  // (LAST aside): where the filesystem splits them depends on its free space.
  fputc('[', m);
  int out = 0;
  unsigned long long lo = 0, len = 0, pend = 0;
  unsigned fl = 0, prev_fl = 0;
  int have = 0, contig = 0;
  unsigned long long prev_pend = 0;
  for (unsigned i = 0; i <= fm->fm_mapped_extents; i++) {
    struct fiemap_extent *e = i < fm->fm_mapped_extents ? &fm->fm_extents[i] : NULL;
    if (have && e && e->fe_logical == lo + len &&
        (e->fe_flags & ~FIEMAP_EXTENT_LAST) == (fl & ~FIEMAP_EXTENT_LAST)) {
      len += e->fe_length;
      pend = e->fe_physical + e->fe_length;
      fl |= e->fe_flags;
      continue;
    }
    if (have) {
      fprintf(m, "%s[%llu,%llu,\"", out++ ? "," : "", lo, len);
      int first = 1;
      for (unsigned b = 0; b < 32; b++) {
        if (!(fl & (1u << b))) continue;
        if (b < sizeof names / sizeof names[0] && names[b]) fprintf(m, "%s%s", first ? "" : "|", names[b]);
        else fprintf(m, "%s0x%x", first ? "" : "|", 1u << b);
        first = 0;
      }
      fprintf(m, "\",%d]", contig);
      prev_fl = fl;
      prev_pend = pend;
    }
    if (!e) break;
    contig = have && !(prev_fl & FIEMAP_EXTENT_UNKNOWN) && !(e->fe_flags & FIEMAP_EXTENT_UNKNOWN) &&
             prev_pend == e->fe_physical;
    have = 1;
    lo = e->fe_logical;
    len = e->fe_length;
    pend = e->fe_physical + e->fe_length;
    fl = e->fe_flags;
  }
  if (fm->fm_mapped_extents == NEXTENTS) fprintf(m, ",\"TRUNCATED\"");
  fputc(']', m);
  fclose(m);
  return buf;
}

// ---- data ----

static void fill_buf(char *buf, long long off, long long len, const char *c) {
  if (c) {
    memset(buf, c[0], len);
    return;
  }
  for (long long i = 0; i < len; i++) buf[i] = 'A' + ((off + i) / 4096) % 26;
}

static void rle_json(FILE *m, const unsigned char *p, long long n) {
  fputc('[', m);
  long long i = 0;
  int first = 1;
  while (i < n) {
    long long j = i;
    while (j < n && p[j] == p[i]) j++;
    fprintf(m, "%s[%u,%lld]", first ? "" : ",", p[i], j - i);
    first = 0;
    i = j;
  }
  fputc(']', m);
}

static int parse_mode(const char *s) {
  if (!strcmp(s, "DEFAULT")) return 0;
  int mode = 0;
  char *copy = strdup(s), *save;
  for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
    if (!strcmp(t, "KEEP_SIZE")) mode |= FALLOC_FL_KEEP_SIZE;
    else if (!strcmp(t, "PUNCH_HOLE")) mode |= FALLOC_FL_PUNCH_HOLE;
    else if (!strcmp(t, "COLLAPSE_RANGE")) mode |= FALLOC_FL_COLLAPSE_RANGE;
    else if (!strcmp(t, "ZERO_RANGE")) mode |= FALLOC_FL_ZERO_RANGE;
    else if (!strcmp(t, "INSERT_RANGE")) mode |= FALLOC_FL_INSERT_RANGE;
    else if (!strcmp(t, "UNSHARE_RANGE")) mode |= FALLOC_FL_UNSHARE_RANGE;
    else if (!strcmp(t, "WRITE_ZEROES")) mode |= FALLOC_FL_WRITE_ZEROES;
    else {
      fprintf(stderr, "bad mode %s\n", t);
      exit(1);
    }
  }
  free(copy);
  return mode;
}

static int parse_whence(const char *s) {
  if (!strcmp(s, "SET")) return SEEK_SET;
  if (!strcmp(s, "CUR")) return SEEK_CUR;
  if (!strcmp(s, "END")) return SEEK_END;
  if (!strcmp(s, "DATA")) return SEEK_DATA;
  if (!strcmp(s, "HOLE")) return SEEK_HOLE;
  fprintf(stderr, "bad whence %s\n", s);
  exit(1);
}

static void xflags_names(FILE *m, unsigned x) {
  static const struct {
    unsigned bit;
    const char *name;
  } t[] = {{FS_XFLAG_REALTIME, "REALTIME"},     {FS_XFLAG_PREALLOC, "PREALLOC"},
           {FS_XFLAG_IMMUTABLE, "IMMUTABLE"},   {FS_XFLAG_APPEND, "APPEND"},
           {FS_XFLAG_SYNC, "SYNC"},             {FS_XFLAG_NOATIME, "NOATIME"},
           {FS_XFLAG_NODUMP, "NODUMP"},         {FS_XFLAG_RTINHERIT, "RTINHERIT"},
           {FS_XFLAG_PROJINHERIT, "PROJINHERIT"}, {FS_XFLAG_NOSYMLINKS, "NOSYMLINKS"},
           {FS_XFLAG_EXTSIZE, "EXTSIZE"},       {FS_XFLAG_EXTSZINHERIT, "EXTSZINHERIT"},
           {FS_XFLAG_NODEFRAG, "NODEFRAG"},     {FS_XFLAG_FILESTREAM, "FILESTREAM"},
           {FS_XFLAG_DAX, "DAX"},               {FS_XFLAG_COWEXTSIZE, "COWEXTSIZE"},
           {FS_XFLAG_HASATTR, "HASATTR"}};
  int first = 1;
  fputc('"', m);
  for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++)
    if (x & t[i].bit) {
      fprintf(m, "%s%s", first ? "" : "|", t[i].name);
      first = 0;
      x &= ~t[i].bit;
    }
  if (x) fprintf(m, "%s0x%x", first ? "" : "|", x);
  fputc('"', m);
}

// ---- one step ----

// Runs s, writes "ret":..,"errno":..[,extras] to m.
static void run_step(struct ctx *c, const struct step *s, FILE *m) {
  const char *op = s->op;
  long long ret = 0;
  int err = 0;
  char *extra = NULL;
  size_t extralen = 0;
  FILE *x = open_memstream(&extra, &extralen);

  if (!strcmp(op, "create")) {
    add_file(c, str_or(s, "file", "f"));
  } else if (!strcmp(op, "statfs")) {
    fputs(",\"statfs\":", x);
    statfs_json(x, get_statfs());
  } else if (!strcmp(op, "settle")) {
    settle();
  } else if (!strcmp(op, "syncfs")) {
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    ret = syncfs(dfd);
    err = errno;
    close(dfd);
  } else if (!strcmp(op, "fill_fs")) {
    long long leave = num(s, "leave");
    settle();
    struct sfs before = get_statfs();
    c->filler_fd = open(filler_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (c->filler_fd < 0) die(filler_path);
    long long off = 0, chunk = 64LL << 20;
    while (chunk >= before.bsize) {
      if (fallocate(c->filler_fd, 0, off, chunk) == 0) {
        off += chunk;
        continue;
      }
      if (errno != ENOSPC) die("fill_fs fallocate");
      struct stat st;
      if (fstat(c->filler_fd, &st)) die("fstat");
      off = st.st_size;  // ext4 keeps what a failed fallocate allocated
      chunk >>= 1;
    }
    ret = ftruncate(c->filler_fd, off > leave ? off - leave : 0);
    err = errno;
    settle();
    fprintf(x, ",\"filled\":%lld,\"statfs\":", off > leave ? off - leave : 0);
    statfs_json(x, get_statfs());
  } else if (!strcmp(op, "fsgetxattr") && !strcmp(str_or(s, "file", "f"), ".")) {
    struct fsxattr fa;
    memset(&fa, 0, sizeof fa);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    ret = ioctl(dfd, FS_IOC_FSGETXATTR, &fa);
    err = errno;
    close(dfd);
    if (ret == 0) {
      fprintf(x, ",\"fsx\":{\"xflags\":%u,\"xflags_names\":", fa.fsx_xflags);
      xflags_names(x, fa.fsx_xflags);
      fprintf(x, ",\"extsize\":%u,\"nextents\":%u,\"projid\":%u,\"cowextsize\":%u}", fa.fsx_extsize,
              fa.fsx_nextents, fa.fsx_projid, fa.fsx_cowextsize);
    }
  } else {
    struct file *f = get_file(c, str_or(s, "file", "f"));
    int fd = f->fd;
    if (!strcmp(op, "pwrite")) {
      long long off = num(s, "off"), len = num(s, "len");
      char *buf = malloc(len ? len : 1);
      fill_buf(buf, off, len, find_arg(s, "c") ? str_or(s, "c", NULL) : NULL);
      ret = pwrite(fd, buf, len, off);
      err = errno;
      free(buf);
    } else if (!strcmp(op, "pwrite_seq")) {
      long long off = num(s, "off"), len = num(s, "len"), chunk = num(s, "chunk");
      long long stride = num_or(s, "stride", chunk);
      const char *cc = find_arg(s, "c") ? str_or(s, "c", NULL) : NULL;
      char *buf = malloc(chunk);
      long long done = 0, calls = 0, pos = off;
      while (done < len) {
        long long n = len - done < chunk ? len - done : chunk;
        fill_buf(buf, pos, n, cc);
        ssize_t r = pwrite(fd, buf, n, pos);
        calls++;
        if (r < 0) {
          err = errno;
          break;
        }
        done += r;
        if (r < n) break;
        pos += stride;
      }
      ret = done;
      free(buf);
      fprintf(x, ",\"calls\":%lld", calls);
    } else if (!strcmp(op, "dio_pwrite")) {
      long long off = num(s, "off"), len = num(s, "len");
      void *buf;
      if (posix_memalign(&buf, 4096, len ? len : 4096)) die("posix_memalign");
      fill_buf(buf, off, len, find_arg(s, "c") ? str_or(s, "c", NULL) : NULL);
      int fl = fcntl(fd, F_GETFL);
      if (fcntl(fd, F_SETFL, fl | O_DIRECT)) {
        ret = -1;
        err = errno;
        fprintf(x, ",\"note\":\"F_SETFL O_DIRECT failed\"");
      } else {
        ret = pwrite(fd, buf, len, off);
        err = errno;
        if (fcntl(fd, F_SETFL, fl)) die("F_SETFL");
      }
      free(buf);
    } else if (!strcmp(op, "pread")) {
      long long off = num(s, "off"), len = num(s, "len");
      unsigned char *buf = malloc(len ? len : 1);
      ret = pread(fd, buf, len, off);
      err = errno;
      fputs(",\"data\":", x);
      rle_json(x, buf, ret > 0 ? ret : 0);
      free(buf);
    } else if (!strcmp(op, "falloc")) {
      ret = fallocate(fd, parse_mode(str_or(s, "mode", "DEFAULT")), num(s, "off"), num(s, "len"));
      err = errno;
    } else if (!strcmp(op, "ftruncate")) {
      ret = ftruncate(fd, num(s, "len"));
      err = errno;
    } else if (!strcmp(op, "fsync")) {
      ret = fsync(fd);
      err = errno;
    } else if (!strcmp(op, "fdatasync")) {
      ret = fdatasync(fd);
      err = errno;
    } else if (!strcmp(op, "close_reopen")) {
      ret = close(fd);
      err = errno;
      f->fd = open(f->path, O_RDWR);
      if (f->fd < 0) die(f->path);
    } else if (!strcmp(op, "seek")) {
      ret = lseek(fd, num(s, "off"), parse_whence(str_or(s, "whence", "?")));
      err = errno;
    } else if (!strcmp(op, "fadvise_dontneed")) {
      ret = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    } else if (!strcmp(op, "ficlone_from")) {
      ret = ioctl(fd, FICLONE, get_file(c, str_or(s, "src", "?"))->fd);
      err = errno;
    } else if (!strcmp(op, "ficlonerange_from")) {
      struct file_clone_range r = {.src_fd = get_file(c, str_or(s, "src", "?"))->fd,
                                   .src_offset = num(s, "src_off"),
                                   .src_length = num(s, "len"),
                                   .dest_offset = num(s, "dst_off")};
      ret = ioctl(fd, FICLONERANGE, &r);
      err = errno;
    } else if (!strcmp(op, "dedupe_from")) {
      struct file_dedupe_range *r = calloc(1, sizeof *r + sizeof(struct file_dedupe_range_info));
      r->src_offset = num(s, "src_off");
      r->src_length = num(s, "len");
      r->dest_count = 1;
      r->info[0].dest_fd = fd;
      r->info[0].dest_offset = num(s, "dst_off");
      r->info[0].status = 0x5a5a;
      r->info[0].bytes_deduped = 0xdead;
      ret = ioctl(get_file(c, str_or(s, "src", "?"))->fd, FIDEDUPERANGE, r);
      err = errno;
      fprintf(x, ",\"status\":%d,\"bytes_deduped\":%llu", r->info[0].status,
              (unsigned long long)r->info[0].bytes_deduped);
      free(r);
    } else if (!strcmp(op, "copy_range_from")) {
      loff_t in = num(s, "src_off"), out = num(s, "dst_off");
      ret = syscall(SYS_copy_file_range, get_file(c, str_or(s, "src", "?"))->fd, &in, fd, &out,
                    (size_t)num(s, "len"), 0);
      err = errno;
    } else if (!strcmp(op, "unlink")) {
      remove_file(c, f - c->f);
    } else if (!strcmp(op, "fsgetxattr")) {
      struct fsxattr fa;
      memset(&fa, 0, sizeof fa);
      ret = ioctl(fd, FS_IOC_FSGETXATTR, &fa);
      err = errno;
      if (ret == 0) {
        fprintf(x, ",\"fsx\":{\"xflags\":%u,\"xflags_names\":", fa.fsx_xflags);
        xflags_names(x, fa.fsx_xflags);
        fprintf(x, ",\"extsize\":%u,\"nextents\":%u,\"projid\":%u,\"cowextsize\":%u}", fa.fsx_extsize,
                fa.fsx_nextents, fa.fsx_projid, fa.fsx_cowextsize);
      }
    } else {
      fprintf(stderr, "unknown op %s\n", op);
      exit(1);
    }
  }
  fclose(x);
  fprintf(m, "\"ret\":%lld,\"errno\":\"%s\"%s", ret, ret < 0 ? ename(err) : "", extra);
  free(extra);
}

static void capture(struct ctx *c, struct res *r) {
  r->nf = c->nf;
  for (int i = 0; i < c->nf; i++) {
    struct stat st;
    if (fstat(c->f[i].fd, &st)) die("fstat");
    struct fst *q = &r->f[i];
    snprintf(q->name, sizeof q->name, "%s", c->f[i].name);
    q->size = st.st_size;
    q->blocks = st.st_blocks;
    q->fiemap = fiemap_json(c->f[i].fd, 0);
    q->fiemap_sync = NULL;
    q->blocks_sync = -1;
  }
}

// ---- cases ----

#define SRC64 "create file=s; pwrite file=s off=0 len=64K; fsync file=s; "
#define W64K16                                                                          \
  "pwrite off=0 len=64K; pwrite off=64K len=64K; pwrite off=128K len=64K; "             \
  "pwrite off=192K len=64K; pwrite off=256K len=64K; pwrite off=320K len=64K; "         \
  "pwrite off=384K len=64K; pwrite off=448K len=64K; pwrite off=512K len=64K; "         \
  "pwrite off=576K len=64K; pwrite off=640K len=64K; pwrite off=704K len=64K; "         \
  "pwrite off=768K len=64K; pwrite off=832K len=64K; pwrite off=896K len=64K; "         \
  "pwrite off=960K len=64K; "
#define W1M8                                                                            \
  "pwrite off=0 len=1M; pwrite off=1M len=1M; pwrite off=2M len=1M; pwrite off=3M len=1M; " \
  "pwrite off=4M len=1M; pwrite off=5M len=1M; pwrite off=6M len=1M; pwrite off=7M len=1M; "

static const struct {
  const char *name, *script;
} cases[] = {
    // speculative EOF preallocation
    {"prealloc_4k", "pwrite off=0 len=4K; fsync; close_reopen; ftruncate len=4K"},
    {"prealloc_64k", "pwrite off=0 len=64K; fsync; close_reopen; ftruncate len=64K"},
    {"prealloc_1m_64k", W64K16 "fsync; close_reopen; ftruncate len=1M"},
    {"prealloc_8m_1m", W1M8 "fsync; close_reopen; ftruncate len=8M"},
    {"prealloc_8m_64k", "pwrite_seq off=0 len=8M chunk=64K; fsync; close_reopen; ftruncate len=4M; close_reopen"},
    {"prealloc_64m_1m", "pwrite_seq off=0 len=64M chunk=1M; fsync; close_reopen; ftruncate len=64M"},
    {"prealloc_64m_64k", "pwrite_seq off=0 len=64M chunk=64K; close_reopen; fsync"},
    {"prealloc_single_8m", "pwrite off=0 len=8M; pwrite off=8M len=8M; fsync; close_reopen"},
    {"prealloc_4k_chunks",
     "pwrite_seq off=0 len=64K chunk=4K; pwrite_seq off=64K len=64K chunk=4K; "
     "pwrite_seq off=128K len=128K chunk=4K; pwrite_seq off=256K len=768K chunk=4K; fsync; close_reopen"},
    {"prealloc_close_unsynced", "pwrite_seq off=0 len=1M chunk=64K; close_reopen; fsync; close_reopen"},
    {"prealloc_append_cycles",
     "pwrite off=0 len=1M; close_reopen; pwrite off=1M len=1M; close_reopen; pwrite off=2M len=1M; "
     "close_reopen; fsync; close_reopen"},
    {"prealloc_nonextending",
     "pwrite_seq off=0 len=1M chunk=64K; fsync; close_reopen; pwrite off=4K len=4K; fsync; close_reopen; "
     "pwrite off=1020K len=4K; close_reopen"},
    {"prealloc_hole_inside", "ftruncate len=1M; pwrite off=512K len=64K; fsync; close_reopen"},
    {"prealloc_far_past_eof", "pwrite off=0 len=64K; pwrite off=256M len=64K; fsync; close_reopen"},
    {"prealloc_far_after_seq",
     "pwrite_seq off=0 len=1M chunk=64K; pwrite off=100M len=64K; pwrite off=1M len=64K; fsync; close_reopen"},
    {"prealloc_trunc_up_extend", "ftruncate len=1M; pwrite off=1M len=64K; pwrite off=1088K len=64K; fsync; close_reopen"},
    {"prealloc_fdatasync", "pwrite_seq off=0 len=1M chunk=64K; fdatasync; close_reopen"},
    {"prealloc_trunc_down_unsynced", "pwrite_seq off=0 len=1M chunk=64K; ftruncate len=512K; close_reopen; fsync"},
    {"prealloc_trunc_same_unsynced", "pwrite_seq off=0 len=1M chunk=64K; ftruncate len=1M; fsync; close_reopen"},
    {"prealloc_unaligned_eof", "pwrite_seq off=0 len=1000000 chunk=100000; fsync; close_reopen"},
    {"prealloc_dio_seq", "dio_pwrite off=0 len=64K; dio_pwrite off=64K len=64K; dio_pwrite off=128K len=1M; close_reopen"},
    // delayed allocation, O_DIRECT
    {"delalloc_4k", "pwrite off=0 len=4K; fsync"},
    {"delalloc_100b", "pwrite off=0 len=100; fsync; pread off=0 len=4K"},
    {"delalloc_sparse", "pwrite off=0 len=4K; pwrite off=64K len=4K; fsync"},
    {"delalloc_overwrite_synced", "pwrite off=0 len=64K; fsync; pwrite off=0 len=4K; fsync"},
    {"delalloc_syncfs", "pwrite off=0 len=64K; syncfs"},
    {"dio_empty", "dio_pwrite off=0 len=4K; dio_pwrite off=8K len=4K; fsync"},
    {"dio_512",
     "dio_pwrite off=512 len=512; pread off=0 len=4K; dio_pwrite off=0 len=512; dio_pwrite off=2048 len=512; "
     "pread off=0 len=4K; fsync"},
    {"dio_into_falloc",
     "falloc mode=DEFAULT off=0 len=64K; dio_pwrite off=4K len=4K; dio_pwrite off=8704 len=512; pread off=8K len=4K; fsync"},
    {"dio_into_keepsize", "falloc mode=KEEP_SIZE off=0 len=64K; dio_pwrite off=0 len=4K; dio_pwrite off=8K len=4K; close_reopen"},
    {"dio_over_delalloc", "pwrite off=0 len=8K; dio_pwrite off=4K len=4K c=d; pread off=0 len=8K; fsync"},
    {"dio_far_past_eof", "dio_pwrite off=1M len=4K; close_reopen"},
    {"dio_misaligned", "dio_pwrite off=100 len=4K; dio_pwrite off=0 len=100; dio_pwrite off=256 len=512"},
    // fallocate
    {"falloc_default", "falloc mode=DEFAULT off=0 len=64K; fsgetxattr; close_reopen; fsync"},
    {"falloc_default_unaligned", "falloc mode=DEFAULT off=1000 len=5000; pread off=0 len=8K"},
    {"falloc_keepsize", "falloc mode=KEEP_SIZE off=0 len=64K; close_reopen; ftruncate len=8K; ftruncate len=4K; close_reopen"},
    {"falloc_keepsize_unaligned", "falloc mode=KEEP_SIZE off=1000 len=5000; ftruncate len=5000"},
    {"falloc_keepsize_past_eof",
     "pwrite off=0 len=4K; fsync; falloc mode=KEEP_SIZE off=1M len=64K; close_reopen; ftruncate len=4K"},
    {"falloc_default_past_eof", "pwrite off=0 len=4K; fsync; falloc mode=DEFAULT off=1M len=64K"},
    {"falloc_len0",
     "falloc mode=DEFAULT off=0 len=0; falloc mode=KEEP_SIZE off=0 len=0; falloc mode=PUNCH_HOLE|KEEP_SIZE off=0 len=0; "
     "falloc mode=ZERO_RANGE off=0 len=0; falloc mode=COLLAPSE_RANGE off=0 len=0; falloc mode=INSERT_RANGE off=0 len=0; "
     "falloc mode=UNSHARE_RANGE off=0 len=0"},
    {"falloc_bad_modes",
     "pwrite off=0 len=64K; fsync; falloc mode=PUNCH_HOLE off=0 len=4K; "
     "falloc mode=ZERO_RANGE|PUNCH_HOLE|KEEP_SIZE off=0 len=4K; falloc mode=COLLAPSE_RANGE|KEEP_SIZE off=0 len=4K; "
     "falloc mode=INSERT_RANGE|KEEP_SIZE off=0 len=4K; falloc mode=UNSHARE_RANGE|PUNCH_HOLE|KEEP_SIZE off=0 len=4K; "
     "falloc mode=DEFAULT off=-1 len=4K; falloc mode=DEFAULT off=0 len=-1"},
    {"falloc_straddle_eof",
     "pwrite off=0 len=10000; fsync; falloc mode=KEEP_SIZE off=8K len=8K; falloc mode=DEFAULT off=8K len=8K; "
     "pread off=8K len=8K"},
    {"falloc_over_data", "pwrite off=0 len=64K; fsync; falloc mode=DEFAULT off=0 len=128K"},
    {"falloc_over_delalloc", "pwrite off=0 len=16K; falloc mode=DEFAULT off=0 len=64K; fsync"},
    {"falloc_keepsize_then_extend",
     "falloc mode=KEEP_SIZE off=0 len=1M; pwrite_seq off=0 len=256K chunk=64K; close_reopen; fsync; ftruncate len=256K"},
    {"falloc_unwritten_read", "falloc mode=DEFAULT off=0 len=64K; pread off=0 len=100; pread off=60K len=8K"},
    {"falloc_write_unwritten_partial", "falloc mode=DEFAULT off=0 len=64K; pwrite off=1000 len=100; fsync; pread off=0 len=8K"},
    {"falloc_write_unwritten_full", "falloc mode=DEFAULT off=0 len=64K; pwrite off=16K len=16K; fsync"},
    {"falloc_write_unwritten_extend", "falloc mode=KEEP_SIZE off=0 len=64K; pwrite off=0 len=100; pwrite off=60K len=8K; fsync"},
    {"punch_aligned", "pwrite off=0 len=64K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=16K len=16K; pread off=12K len=24K"},
    {"punch_unaligned",
     "pwrite off=0 len=64K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=1000 len=5000; pread off=0 len=8K; "
     "falloc mode=PUNCH_HOLE|KEEP_SIZE off=1000 len=10000; pread off=0 len=12K"},
    {"punch_delalloc", "pwrite off=0 len=64K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=16K len=16K; fsync"},
    {"punch_straddle_eof", "pwrite off=0 len=10000; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=4K len=1M; pread off=0 len=12K"},
    {"punch_past_eof", "pwrite off=0 len=8K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=64K len=64K"},
    {"punch_prealloc_past_eof",
     "pwrite off=0 len=8K; fsync; falloc mode=KEEP_SIZE off=8K len=56K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=32K len=32K"},
    {"punch_many_synced",
     "pwrite_seq off=0 len=512K chunk=4K stride=8K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=0 len=1M"},
    {"punch_many_dirty",
     "pwrite_seq off=0 len=512K chunk=4K stride=8K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=0 len=1M; fsync"},
    {"punch_unwritten",
     "falloc mode=DEFAULT off=0 len=64K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=16K len=16K; "
     "falloc mode=PUNCH_HOLE|KEEP_SIZE off=1000 len=2000"},
    {"zero_aligned", "pwrite off=0 len=64K; fsync; falloc mode=ZERO_RANGE off=16K len=16K; pread off=12K len=24K; fsync"},
    {"zero_unaligned", "pwrite off=0 len=64K; fsync; falloc mode=ZERO_RANGE off=1000 len=5000; pread off=0 len=8K; fsync"},
    {"zero_past_eof", "pwrite off=0 len=8K; fsync; falloc mode=ZERO_RANGE off=4K len=16K; pread off=0 len=20K"},
    {"zero_keepsize_past_eof", "pwrite off=0 len=8K; fsync; falloc mode=ZERO_RANGE|KEEP_SIZE off=4K len=16K; close_reopen"},
    {"zero_unaligned_past_eof", "pwrite off=0 len=5000; fsync; falloc mode=ZERO_RANGE off=3000 len=5000; pread off=0 len=8K"},
    {"zero_hole", "ftruncate len=64K; falloc mode=ZERO_RANGE off=0 len=64K; falloc mode=ZERO_RANGE off=100K len=1000"},
    {"zero_delalloc", "pwrite off=0 len=64K; falloc mode=ZERO_RANGE off=16K len=16K; fsync"},
    {"collapse", "pwrite off=0 len=64K; fsync; falloc mode=COLLAPSE_RANGE off=16K len=16K; pread off=0 len=48K"},
    {"collapse_bad",
     "pwrite off=0 len=64K; fsync; falloc mode=COLLAPSE_RANGE off=1000 len=4K; falloc mode=COLLAPSE_RANGE off=4K len=5000; "
     "falloc mode=COLLAPSE_RANGE off=48K len=16K; falloc mode=COLLAPSE_RANGE off=56K len=16K; "
     "falloc mode=COLLAPSE_RANGE off=64K len=4K"},
    {"collapse_delalloc", "pwrite off=0 len=64K; falloc mode=COLLAPSE_RANGE off=16K len=16K; pread off=0 len=48K"},
    {"collapse_unaligned_eof", "pwrite off=0 len=10000; fsync; falloc mode=COLLAPSE_RANGE off=0 len=4K; pread off=0 len=8K"},
    {"insert", "pwrite off=0 len=64K; fsync; falloc mode=INSERT_RANGE off=16K len=16K; pread off=0 len=80K"},
    {"insert_bad",
     "pwrite off=0 len=64K; fsync; falloc mode=INSERT_RANGE off=1000 len=4K; falloc mode=INSERT_RANGE off=4K len=5000; "
     "falloc mode=INSERT_RANGE off=64K len=4K; falloc mode=INSERT_RANGE off=128K len=4K"},
    {"insert_delalloc", "pwrite off=0 len=64K; falloc mode=INSERT_RANGE off=0 len=4K; pread off=0 len=8K"},
    {"insert_prealloc_past_eof",
     "pwrite off=0 len=64K; fsync; falloc mode=KEEP_SIZE off=64K len=64K; falloc mode=INSERT_RANGE off=0 len=4K"},
    {"unshare_unshared", "pwrite off=0 len=64K; fsync; falloc mode=UNSHARE_RANGE off=0 len=64K"},
    {"unshare_hole",
     "ftruncate len=64K; falloc mode=UNSHARE_RANGE off=0 len=64K; falloc mode=UNSHARE_RANGE|KEEP_SIZE off=64K len=64K; "
     "falloc mode=UNSHARE_RANGE off=128K len=64K"},
    {"write_zeroes", "pwrite off=0 len=64K; fsync; falloc mode=WRITE_ZEROES off=16K len=16K; falloc mode=WRITE_ZEROES off=64K len=16K"},
    // SEEK_DATA / SEEK_HOLE
    {"seek_unwritten",
     "falloc mode=DEFAULT off=0 len=64K; seek whence=DATA off=0; seek whence=HOLE off=0; pwrite off=30000 len=100; "
     "seek whence=DATA off=0; seek whence=HOLE off=28K; seek whence=HOLE off=0; seek whence=DATA off=32K; fsync; "
     "seek whence=DATA off=0; seek whence=HOLE off=28K; seek whence=DATA off=32K"},
    {"seek_keepsize",
     "falloc mode=KEEP_SIZE off=0 len=64K; pwrite off=30000 len=100; seek whence=DATA off=0; seek whence=HOLE off=0; "
     "seek whence=HOLE off=28K; seek whence=DATA off=30100; fsync; seek whence=DATA off=0; seek whence=HOLE off=28K"},
    {"seek_unwritten_dontneed",
     "falloc mode=DEFAULT off=0 len=64K; pwrite off=30000 len=100; fsync; fadvise_dontneed; seek whence=DATA off=0; "
     "seek whence=HOLE off=28K; seek whence=DATA off=32K"},
    {"seek_prealloc",
     "pwrite_seq off=0 len=1M chunk=64K; seek whence=HOLE off=0; seek whence=DATA off=1M; seek whence=END off=0; fsync; "
     "seek whence=HOLE off=0"},
    {"seek_delalloc_sparse",
     "pwrite off=0 len=4K; pwrite off=1M len=4K; seek whence=DATA off=4K; seek whence=HOLE off=0; fsync; "
     "seek whence=DATA off=4K; seek whence=HOLE off=0"},
    // reflink, CoW, dedupe, copy_file_range
    {"ficlone",
     SRC64 "ficlone_from src=s; fsgetxattr; pwrite off=16K len=4K c=z; fsync; close_reopen; fsgetxattr; pread off=12K len=12K"},
    {"ficlone_unsynced_src", "create file=s; pwrite file=s off=0 len=64K; ficlone_from src=s; fsync"},
    {"ficlone_cow_dio", SRC64 "ficlone_from src=s; dio_pwrite off=16K len=4K c=z; close_reopen"},
    {"ficlone_write_src", SRC64 "ficlone_from src=s; pwrite file=s off=0 len=4K c=z; fsync file=s; pread off=0 len=4K"},
    {"ficlone_cow_overwrite_all", SRC64 "ficlone_from src=s; pwrite_seq off=0 len=64K chunk=4K c=z; fsync; close_reopen"},
    {"ficlone_punch_src", SRC64 "ficlone_from src=s; falloc file=s mode=PUNCH_HOLE|KEEP_SIZE off=0 len=32K"},
    {"ficlone_unlink_src", SRC64 "ficlone_from src=s; unlink file=s; settle"},
    {"ficlone_unaligned_size",
     "create file=s; pwrite file=s off=0 len=10000; fsync file=s; ficlone_from src=s; pwrite off=10000 len=100; pread off=8K len=4K"},
    {"ficlone_into_bigger", SRC64 "pwrite off=0 len=128K c=z; fsync; ficlone_from src=s; pread off=60K len=8K"},
    {"ficlonerange",
     SRC64 "pwrite off=0 len=64K c=z; fsync; ficlonerange_from src=s src_off=16K len=16K dst_off=0; "
     "ficlonerange_from src=s src_off=0 len=4K dst_off=128K; ficlonerange_from src=s src_off=1000 len=4K dst_off=0"},
    {"dedupe_equal", SRC64 "pwrite off=0 len=64K; fsync; dedupe_from src=s src_off=0 len=64K dst_off=0"},
    {"dedupe_unsynced", "create file=s; pwrite file=s off=0 len=64K; pwrite off=0 len=64K; dedupe_from src=s src_off=0 len=64K dst_off=0"},
    {"dedupe_different", SRC64 "pwrite off=0 len=64K c=z; fsync; dedupe_from src=s src_off=0 len=64K dst_off=0"},
    {"dedupe_partly_different",
     SRC64 "pwrite off=0 len=64K; pwrite off=40000 len=1 c=z; fsync; dedupe_from src=s src_off=0 len=64K dst_off=0; "
     "dedupe_from src=s src_off=0 len=32K dst_off=0; dedupe_from src=s src_off=32K len=5000 dst_off=32K"},
    {"unshare_clone", SRC64 "ficlone_from src=s; falloc mode=UNSHARE_RANGE off=0 len=64K; fsync"},
    {"unshare_clone_partial",
     SRC64 "ficlone_from src=s; falloc mode=UNSHARE_RANGE off=4K len=8K; falloc mode=UNSHARE_RANGE off=1000 len=100; fsync"},
    {"unshare_clone_past_eof", SRC64 "ficlone_from src=s; falloc mode=UNSHARE_RANGE|KEEP_SIZE off=32K len=64K; fsync"},
    {"copy_range", SRC64 "copy_range_from src=s src_off=0 len=64K dst_off=0; fsync"},
    {"copy_range_unaligned",
     SRC64 "copy_range_from src=s src_off=1000 len=5000 dst_off=0; copy_range_from src=s src_off=4K len=8K dst_off=64K; "
     "copy_range_from src=s src_off=60K len=8K dst_off=128K"},
    {"copy_range_unsynced_src", "create file=s; pwrite file=s off=0 len=64K; copy_range_from src=s src_off=0 len=64K dst_off=0"},
    {"fsgetxattr",
     "fsgetxattr; fsgetxattr file=.; pwrite off=0 len=64K; fsgetxattr; falloc mode=KEEP_SIZE off=64K len=64K; fsgetxattr; "
     "fsync; fsgetxattr"},
    {"trunc_clone", SRC64 "ficlone_from src=s; ftruncate len=5000; ftruncate len=64K; pread off=4K len=4K; fsync"},
    // truncation
    {"trunc_down_up_synced", "pwrite off=0 len=8K; fsync; ftruncate len=5000; ftruncate len=8K; pread off=0 len=8K; fsync"},
    {"trunc_down_up_dirty", "pwrite off=0 len=8K; ftruncate len=5000; ftruncate len=8K; pread off=0 len=8K"},
    {"trunc_down_up_unwritten", "falloc mode=DEFAULT off=0 len=64K; ftruncate len=5000; ftruncate len=64K; pread off=4K len=4K"},
    {"trunc_up_empty", "ftruncate len=1M; fsync; pread off=0 len=100"},
    {"trunc_down_blocks", "pwrite off=0 len=64K; fsync; ftruncate len=16K; ftruncate len=15000; ftruncate len=0"},
    // ENOSPC (fill_fs leaves about `leave` bytes free)
    {"enospc_falloc",
     "statfs; fill_fs leave=16M; falloc mode=DEFAULT off=0 len=64M; statfs; falloc mode=KEEP_SIZE off=0 len=64M; statfs; "
     "falloc mode=DEFAULT off=0 len=17M; statfs; falloc mode=DEFAULT off=0 len=8M; statfs; "
     "falloc mode=DEFAULT off=8M len=16M; statfs"},
    {"enospc_buffered_write", "fill_fs leave=4M; pwrite off=0 len=8M; statfs; pwrite off=8M len=4K; fsync; statfs"},
    {"enospc_buffered_chunks", "fill_fs leave=6M; pwrite off=0 len=16M; statfs; pwrite off=0 len=16M; fsync; statfs"},
    {"enospc_buffered_seq", "fill_fs leave=8M; pwrite_seq off=0 len=16M chunk=1M; statfs; fsync; statfs"},
    {"enospc_dio", "fill_fs leave=4M; dio_pwrite off=0 len=8M; statfs"},
    {"enospc_dio_chunks", "fill_fs leave=6M; dio_pwrite off=0 len=8M; statfs; close_reopen; statfs"},
    {"enospc_lowspace_prealloc", "fill_fs leave=24M; pwrite_seq off=0 len=4M chunk=64K; statfs; fsync; close_reopen"},
};

static int same_res(const struct res *a, const struct res *b) {
  if (strcmp(a->json, b->json) || a->nf != b->nf) return 0;
  for (int i = 0; i < a->nf; i++)
    if (strcmp(a->f[i].name, b->f[i].name) || a->f[i].size != b->f[i].size ||
        a->f[i].blocks != b->f[i].blocks || strcmp(a->f[i].fiemap, b->f[i].fiemap))
      return 0;
  return 1;
}

static void free_res(struct res *r) {
  free(r->json);
  for (int i = 0; i < r->nf; i++) {
    free(r->f[i].fiemap);
    free(r->f[i].fiemap_sync);
  }
  memset(r, 0, sizeof *r);
}

static char *run_one(struct ctx *c, const struct step *s) {
  char *buf;
  size_t len;
  FILE *m = open_memstream(&buf, &len);
  run_step(c, s, m);
  fclose(m);
  return buf;
}

static void run_case(const char *name, const char *script) {
  static struct step steps[MAXSTEPS];
  static struct res main_res[MAXSTEPS];
  int n = parse_script(script, steps);
  char *note;
  size_t notelen;
  FILE *nm = open_memstream(&note, &notelen);
  struct ctx c;

  ctx_start(&c);
  for (int i = 0; i < n; i++) {
    main_res[i].json = run_one(&c, &steps[i]);
    capture(&c, &main_res[i]);
  }
  ctx_end(&c);

  if (have_fiemap) {
    for (int k = 0; k < n; k++) {
      ctx_start(&c);
      for (int i = 0; i <= k; i++) {
        struct res r;
        memset(&r, 0, sizeof r);
        r.json = run_one(&c, &steps[i]);
        capture(&c, &r);
        if (!same_res(&r, &main_res[i])) {
          fprintf(nm, "%sreplay %d: step %d answered differently", notelen ? "; " : "", k + 1, i + 1);
          if (getenv("XFS_SPACE_DEBUG"))
            for (int j = 0; j < r.nf && j < main_res[i].nf; j++)
              fprintf(stderr, "%s replay %d step %d: %s %lld %s\n   vs %s %lld %s\n", name, k + 1, i + 1, r.json,
                      r.f[j].blocks, r.f[j].fiemap, main_res[i].json, main_res[i].f[j].blocks,
                      main_res[i].f[j].fiemap);
        }
        fflush(nm);
        free_res(&r);
      }
      for (int j = 0; j < c.nf; j++) {
        struct fst *q = NULL;
        for (int t = 0; t < main_res[k].nf; t++)
          if (!strcmp(main_res[k].f[t].name, c.f[j].name)) q = &main_res[k].f[t];
        if (!q) continue;
        q->fiemap_sync = fiemap_json(c.f[j].fd, FIEMAP_FLAG_SYNC);
        struct stat st;
        if (fstat(c.f[j].fd, &st)) die("fstat");
        q->blocks_sync = st.st_blocks;
      }
      ctx_end(&c);
    }
  }
  fclose(nm);

  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"steps\":[", fsname, name);
  for (int i = 0; i < n; i++) {
    printf("%s{", i ? "," : "");
    step_params_json(stdout, &steps[i]);
    printf(",%s,\"files\":{", main_res[i].json);
    for (int j = 0; j < main_res[i].nf; j++) {
      struct fst *q = &main_res[i].f[j];
      printf("%s\"%s\":{\"size\":%lld,\"blocks\":%lld,\"fiemap\":%s,", j ? "," : "", q->name, q->size,
             q->blocks, q->fiemap);
      if (q->fiemap_sync) printf("\"fiemap_sync\":%s,\"blocks_sync\":%lld}", q->fiemap_sync, q->blocks_sync);
      else printf("\"fiemap_sync\":%s,\"blocks_sync\":null}", q->fiemap);
    }
    printf("}}");
  }
  printf("],\"note\":\"%s\"}\n", note);
  fflush(stdout);
  free(note);
  for (int i = 0; i < n; i++) free_res(&main_res[i]);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s DIR FSNAME\n", argv[0]);
    return 2;
  }
  dir = argv[1];
  fsname = argv[2];
  snprintf(filler_path, sizeof filler_path, "%s/filler", dir);

  // Does this filesystem have FIEMAP at all?
  char path[4096];
  snprintf(path, sizeof path, "%s/fiemap_check", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(path);
  char *j = fiemap_json(fd, 0);
  have_fiemap = j[0] == '[';
  free(j);
  close(fd);
  unlink(path);
  settle();

  const char *only = getenv("XFS_SPACE_ONLY");  // debugging: run one case
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (!only || !strcmp(only, cases[i].name)) run_case(cases[i].name, cases[i].script);
  return 0;
}
