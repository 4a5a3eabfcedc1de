/* lseek(2) on every kind of descriptor. Usage: lseek_probe DIR FSNAME; one
 * JSON line per case, in the order below:
 *
 *   {"fs":FS,"case":NAME,"ret":R,"errno":"E..."|"","pos":P}
 *
 * ret is lseek's return value (-1 on error), errno its strerrorname_np name
 * when ret < 0, pos = lseek(fd, 0, SEEK_CUR) right after the call (-1 when
 * that fails: fifo, pipe, O_PATH, bad fd). Directory cases add "size" (the
 * directory's st_size; it is what SEEK_END/SEEK_DATA are relative to).
 *
 * Every case builds its object afresh (DIR/f, DIR/d, DIR/p, DIR/null, ...),
 * opens it, does lseek(fd, 100, SEEK_SET) (the "start position" 100; on a
 * fifo/pipe/device its result is ignored), then makes the one call
 *   lseek(fd, OFFSET, WHENCE)
 * and removes everything. WHENCE: SET=0 CUR=1 END=2 DATA=3 HOLE=4, or the raw
 * values 5 and -1. Big offsets: LLMAX = 0x7fffffffffffffff (9223372036854775807,
 * MAX_LFS_FILESIZE), E4MAX = (2^32-1) * 1024 = 4398046510080 (ext4's
 * s_maxbytes for extent files with 1 KiB blocks, which mkfs.ext4 picks for a
 * 256 MiB image), E4MAX4K = (2^32-1) * 4096 = 17592186040320 (the same with
 * 4 KiB blocks), T1 = 2^40.
 *
 * Objects ("setup"), all regular files opened O_RDWR:
 *   data10000   10000 bytes of 'x' written at 0 (no fsync)
 *   empty       a new empty file
 *   sparse      pwrite 4096 'x' at 0, pwrite 4096 'x' at 1048576 (1 MiB);
 *               size 1052672; hole 4096..1048575 (no fsync: dirty cache)
 *   sparse_synced   the same, then fsync and posix_fadvise(DONTNEED) (data
 *               on disk, not in the page cache)
 *   partial     ftruncate(65536), pwrite 100 'x' at 10000 (inside page 2,
 *               8192..12287), fsync, fadvise DONTNEED
 *   falloc      fallocate(fd, 0, 0, 65536) on an empty file (size 65536,
 *               unwritten extents on xfs/ext4)
 *   falloc_read     falloc, then posix_fadvise(RANDOM) (no readahead),
 *               pread 4096 at 8192 (page 2 now in the cache, clean zeros)
 *   falloc_write    falloc, then pwrite 4096 'x' at 8192 (dirty)
 *   falloc_write_synced  falloc_write, then fsync, fadvise DONTNEED
 *   keepsize    pwrite 4096 'x' at 0, fallocate(KEEP_SIZE, 0, 65536):
 *               size 4096, preallocation past EOF
 *   keepsize_trunc  keepsize, then ftruncate(65536)
 *   trunc_up    pwrite 4096 'x' at 0, ftruncate(65536) (hole to EOF)
 *   trunc_up_empty  ftruncate(65536) on an empty file
 *   append      data10000 reopened O_WRONLY|O_APPEND
 * Other objects:
 *   dir         mkdir DIR/d containing files a, b, c; open(O_RDONLY|O_DIRECTORY)
 *   fifo        mkfifo DIR/p; open(O_RDWR|O_NONBLOCK)
 *   pipe        pipe(2), the read end
 *   devnull     the host's /dev/null, O_RDWR;  devzero  /dev/zero, O_RDWR
 *   mknull      mknod DIR/null c 1 3, O_RDWR
 *   opath       DIR/f (data10000) opened O_PATH
 *   badfd       descriptor 1000, never open
 *
 * Cases (setup: whence offset):
 *   set_0 data10000 SET 0          set_12345 data10000 SET 12345
 *   set_neg1 data10000 SET -1      set_t1 data10000 SET T1
 *   set_e4max data10000 SET E4MAX  set_e4max_plus1 data10000 SET E4MAX+1
 *   set_e4max4k data10000 SET E4MAX4K
 *   set_llmax data10000 SET LLMAX
 *   cur_0 data10000 CUR 0          cur_5 data10000 CUR 5
 *   cur_neg100 data10000 CUR -100  cur_neg101 data10000 CUR -101
 *   cur_llmax data10000 CUR LLMAX (100+LLMAX wraps negative)
 *   end_0 data10000 END 0          end_5 data10000 END 5
 *   end_neg10000 data10000 END -10000   end_neg10001 data10000 END -10001
 *   end_llmax data10000 END LLMAX (wraps)
 *   end_e4max data10000 END E4MAX-10000 (lands on E4MAX exactly)
 *   whence5 data10000 5 0          whence_neg1 data10000 -1 0
 *   whence5_badoff data10000 5 -1
 *   data_0 data10000 DATA 0        hole_0 data10000 HOLE 0
 *   data_9999 data10000 DATA 9999  hole_5000 data10000 HOLE 5000
 *   data_eof data10000 DATA 10000  hole_eof data10000 HOLE 10000
 *   data_past data10000 DATA 20000 hole_past data10000 HOLE 20000
 *   data_neg1 data10000 DATA -1    hole_neg1 data10000 HOLE -1
 *   data_llmax data10000 DATA LLMAX
 *   empty_data_0 empty DATA 0      empty_hole_0 empty HOLE 0
 *   empty_end_0 empty END 0        empty_data_neg1 empty DATA -1
 *   sparse_data_0 / sparse_hole_0 / sparse_data_1 / sparse_hole_1 /
 *   sparse_data_4095 / sparse_hole_4095 / sparse_data_4096 / sparse_hole_4096 /
 *   sparse_data_4097 / sparse_hole_4097 / sparse_data_12345 / sparse_hole_12345 /
 *   sparse_data_1048575 / sparse_hole_1048575 / sparse_data_1048576 /
 *   sparse_hole_1048576 / sparse_data_1048577 / sparse_hole_1048577 /
 *   sparse_data_eof / sparse_hole_eof (1052672) / sparse_data_past /
 *   sparse_hole_past (2000000): sparse, DATA/HOLE at that offset
 *   synced_data_0 / synced_hole_0 / synced_data_4097 / synced_hole_4097 /
 *   synced_hole_1048577 / synced_data_12345: sparse_synced, likewise
 *   partial_data_0 / partial_hole_0 / partial_data_10050 / partial_hole_10050:
 *               partial, DATA/HOLE at 0 and 10050
 *   falloc_data_0 / falloc_hole_0 / falloc_hole_100: falloc
 *   falloc_read_data_0 / falloc_read_hole_8192 / falloc_read_hole_0: falloc_read
 *   falloc_write_data_0 / falloc_write_hole_8192 / falloc_write_hole_0 /
 *   falloc_write_data_12288: falloc_write
 *   falloc_synced_data_0 / falloc_synced_hole_8192: falloc_write_synced
 *   keepsize_data_0 / keepsize_hole_0 / keepsize_data_4096 / keepsize_end_0
 *   keepsize_trunc_data_4096 / keepsize_trunc_hole_0 / keepsize_trunc_hole_4096
 *   trunc_up_hole_0 / trunc_up_data_4096 / trunc_up_hole_4096 / trunc_up_data_0
 *   trunc_up_empty_data_0 / trunc_up_empty_hole_0 / trunc_up_empty_hole_65535
 *   append_set_5 append SET 5      append_end_0 append END 0
 *   dir_set_12345 dir SET 12345    dir_set_neg1 dir SET -1
 *   dir_set_llmax dir SET LLMAX    dir_cur_5 dir CUR 5
 *   dir_cur_neg101 dir CUR -101    dir_end_0 dir END 0
 *   dir_end_5 dir END 5            dir_end_neg1 dir END -1
 *   dir_data_0 dir DATA 0
 *   dir_hole_0 dir HOLE 0          dir_data_1000000 dir DATA 1000000
 *   dir_whence5 dir 5 0
 *   fifo_set_0 fifo SET 0          fifo_cur_0 fifo CUR 0
 *   fifo_data_0 fifo DATA 0        fifo_whence5 fifo 5 0
 *   pipe_cur_0 pipe CUR 0
 *   devnull_set_12345 / devnull_set_neg1 / devnull_cur_neg5 / devnull_end_0 /
 *   devnull_end_neg5 / devnull_data_0 / devnull_hole_100 / devnull_whence5:
 *               devnull SET 12345, SET -1, CUR -5, END 0, END -5, DATA 0,
 *               HOLE 100, 5 0
 *   devzero_set_12345 / devzero_set_neg1 / devzero_data_0 / devzero_whence5
 *   mknull_set_12345 / mknull_set_neg1 / mknull_whence5
 *   opath_set_0 opath SET 0        opath_whence5 opath 5 0
 *   badfd_set_0 badfd SET 0        badfd_whence5 badfd 5 0
 *
 * Build: gcc -O1 -Wall -o /tmp/lseek_probe tests/probes/lseek_probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LLMAX 0x7fffffffffffffffLL
#define E4MAX (((1LL << 32) - 1) * 1024)
#define E4MAX4K (((1LL << 32) - 1) * 4096)
#define T1 (1LL << 40)
#define BADFD 1000

enum setup {
  DATA10000, EMPTY, SPARSE, SPARSE_SYNCED, PARTIAL, FALLOC, FALLOC_READ, FALLOC_WRITE,
  FALLOC_WRITE_SYNCED, KEEPSIZE, KEEPSIZE_TRUNC, TRUNC_UP, TRUNC_UP_EMPTY, APPEND,
  DIRECTORY, FIFO, PIPE, DEVNULL, DEVZERO, MKNULL, OPATH, BAD
};

static const char *dir;
static char fpath[4096], dpath[4096], ppath[4096], npath[4096];
static int pipefd[2] = {-1, -1};

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void fill(int fd, long long off, size_t n) {
  char buf[4096];
  memset(buf, 'x', sizeof buf);
  while (n > 0) {
    size_t k = n < sizeof buf ? n : sizeof buf;
    if (pwrite(fd, buf, k, off) != (ssize_t)k) die("pwrite");
    n -= k;
    off += k;
  }
}

static void drop(int fd) {
  if (fsync(fd) != 0) die("fsync");
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static int make_file(void) {
  int fd = open(fpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) die(fpath);
  return fd;
}

static int open_setup(enum setup s, long long *dsize) {
  int fd;
  char buf[4096];
  switch (s) {
    case DATA10000: fd = make_file(); fill(fd, 0, 10000); return fd;
    case EMPTY: return make_file();
    case SPARSE:
    case SPARSE_SYNCED:
      fd = make_file();
      fill(fd, 0, 4096);
      fill(fd, 1048576, 4096);
      if (s == SPARSE_SYNCED) drop(fd);
      return fd;
    case PARTIAL:
      fd = make_file();
      if (ftruncate(fd, 65536) != 0) die("ftruncate");
      fill(fd, 10000, 100);
      drop(fd);
      return fd;
    case FALLOC: case FALLOC_READ: case FALLOC_WRITE: case FALLOC_WRITE_SYNCED:
      fd = make_file();
      if (fallocate(fd, 0, 0, 65536) != 0) die("fallocate");
      if (s == FALLOC_READ) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM);
        if (pread(fd, buf, 4096, 8192) != 4096) die("pread");
      }
      if (s == FALLOC_WRITE || s == FALLOC_WRITE_SYNCED) fill(fd, 8192, 4096);
      if (s == FALLOC_WRITE_SYNCED) drop(fd);
      return fd;
    case KEEPSIZE: case KEEPSIZE_TRUNC:
      fd = make_file();
      fill(fd, 0, 4096);
      if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 65536) != 0) die("fallocate keep");
      if (s == KEEPSIZE_TRUNC && ftruncate(fd, 65536) != 0) die("ftruncate");
      return fd;
    case TRUNC_UP: case TRUNC_UP_EMPTY:
      fd = make_file();
      if (s == TRUNC_UP) fill(fd, 0, 4096);
      if (ftruncate(fd, 65536) != 0) die("ftruncate");
      return fd;
    case APPEND:
      fd = make_file();
      fill(fd, 0, 10000);
      close(fd);
      fd = open(fpath, O_WRONLY | O_APPEND);
      if (fd < 0) die("open append");
      return fd;
    case DIRECTORY: {
      if (mkdir(dpath, 0755) != 0) die(dpath);
      const char *names[] = {"a", "b", "c"};
      for (int i = 0; i < 3; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", dpath, names[i]);
        int f = open(p, O_WRONLY | O_CREAT, 0644);
        if (f < 0) die(p);
        close(f);
      }
      fd = open(dpath, O_RDONLY | O_DIRECTORY);
      if (fd < 0) die("open dir");
      struct stat st;
      fstat(fd, &st);
      *dsize = st.st_size;
      return fd;
    }
    case FIFO:
      if (mkfifo(ppath, 0644) != 0) die(ppath);
      fd = open(ppath, O_RDWR | O_NONBLOCK);
      if (fd < 0) die("open fifo");
      return fd;
    case PIPE:
      if (pipe(pipefd) != 0) die("pipe");
      return pipefd[0];
    case DEVNULL: fd = open("/dev/null", O_RDWR); if (fd < 0) die("/dev/null"); return fd;
    case DEVZERO: fd = open("/dev/zero", O_RDWR); if (fd < 0) die("/dev/zero"); return fd;
    case MKNULL:
      if (mknod(npath, S_IFCHR | 0666, makedev(1, 3)) != 0) die(npath);
      fd = open(npath, O_RDWR);
      if (fd < 0) die("open mknod null");
      return fd;
    case OPATH:
      fd = make_file();
      fill(fd, 0, 10000);
      close(fd);
      fd = open(fpath, O_PATH);
      if (fd < 0) die("open O_PATH");
      return fd;
    case BAD: return BADFD;
  }
  return -1;
}

static void cleanup(enum setup s, int fd) {
  if (fd != BADFD) close(fd);
  if (s == PIPE) close(pipefd[1]);
  if (s == DIRECTORY) {
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
      char p[4200];
      snprintf(p, sizeof p, "%s/%s", dpath, names[i]);
      unlink(p);
    }
    rmdir(dpath);
  }
  unlink(fpath);
  unlink(ppath);
  unlink(npath);
}

struct probe_case {
  const char *name;
  enum setup setup;
  int whence;
  long long off;
};

static const struct probe_case cases[] = {
    {"set_0", DATA10000, SEEK_SET, 0},
    {"set_12345", DATA10000, SEEK_SET, 12345},
    {"set_neg1", DATA10000, SEEK_SET, -1},
    {"set_t1", DATA10000, SEEK_SET, T1},
    {"set_e4max", DATA10000, SEEK_SET, E4MAX},
    {"set_e4max_plus1", DATA10000, SEEK_SET, E4MAX + 1},
    {"set_e4max4k", DATA10000, SEEK_SET, E4MAX4K},
    {"set_llmax", DATA10000, SEEK_SET, LLMAX},
    {"cur_0", DATA10000, SEEK_CUR, 0},
    {"cur_5", DATA10000, SEEK_CUR, 5},
    {"cur_neg100", DATA10000, SEEK_CUR, -100},
    {"cur_neg101", DATA10000, SEEK_CUR, -101},
    {"cur_llmax", DATA10000, SEEK_CUR, LLMAX},
    {"end_0", DATA10000, SEEK_END, 0},
    {"end_5", DATA10000, SEEK_END, 5},
    {"end_neg10000", DATA10000, SEEK_END, -10000},
    {"end_neg10001", DATA10000, SEEK_END, -10001},
    {"end_llmax", DATA10000, SEEK_END, LLMAX},
    {"end_e4max", DATA10000, SEEK_END, E4MAX - 10000},
    {"whence5", DATA10000, 5, 0},
    {"whence_neg1", DATA10000, -1, 0},
    {"whence5_badoff", DATA10000, 5, -1},
    {"data_0", DATA10000, SEEK_DATA, 0},
    {"hole_0", DATA10000, SEEK_HOLE, 0},
    {"data_9999", DATA10000, SEEK_DATA, 9999},
    {"hole_5000", DATA10000, SEEK_HOLE, 5000},
    {"data_eof", DATA10000, SEEK_DATA, 10000},
    {"hole_eof", DATA10000, SEEK_HOLE, 10000},
    {"data_past", DATA10000, SEEK_DATA, 20000},
    {"hole_past", DATA10000, SEEK_HOLE, 20000},
    {"data_neg1", DATA10000, SEEK_DATA, -1},
    {"hole_neg1", DATA10000, SEEK_HOLE, -1},
    {"data_llmax", DATA10000, SEEK_DATA, LLMAX},
    {"empty_data_0", EMPTY, SEEK_DATA, 0},
    {"empty_hole_0", EMPTY, SEEK_HOLE, 0},
    {"empty_end_0", EMPTY, SEEK_END, 0},
    {"empty_data_neg1", EMPTY, SEEK_DATA, -1},
    {"sparse_data_0", SPARSE, SEEK_DATA, 0},
    {"sparse_hole_0", SPARSE, SEEK_HOLE, 0},
    {"sparse_data_1", SPARSE, SEEK_DATA, 1},
    {"sparse_hole_1", SPARSE, SEEK_HOLE, 1},
    {"sparse_data_4095", SPARSE, SEEK_DATA, 4095},
    {"sparse_hole_4095", SPARSE, SEEK_HOLE, 4095},
    {"sparse_data_4096", SPARSE, SEEK_DATA, 4096},
    {"sparse_hole_4096", SPARSE, SEEK_HOLE, 4096},
    {"sparse_data_4097", SPARSE, SEEK_DATA, 4097},
    {"sparse_hole_4097", SPARSE, SEEK_HOLE, 4097},
    {"sparse_data_12345", SPARSE, SEEK_DATA, 12345},
    {"sparse_hole_12345", SPARSE, SEEK_HOLE, 12345},
    {"sparse_data_1048575", SPARSE, SEEK_DATA, 1048575},
    {"sparse_hole_1048575", SPARSE, SEEK_HOLE, 1048575},
    {"sparse_data_1048576", SPARSE, SEEK_DATA, 1048576},
    {"sparse_hole_1048576", SPARSE, SEEK_HOLE, 1048576},
    {"sparse_data_1048577", SPARSE, SEEK_DATA, 1048577},
    {"sparse_hole_1048577", SPARSE, SEEK_HOLE, 1048577},
    {"sparse_data_eof", SPARSE, SEEK_DATA, 1052672},
    {"sparse_hole_eof", SPARSE, SEEK_HOLE, 1052672},
    {"sparse_data_past", SPARSE, SEEK_DATA, 2000000},
    {"sparse_hole_past", SPARSE, SEEK_HOLE, 2000000},
    {"synced_data_0", SPARSE_SYNCED, SEEK_DATA, 0},
    {"synced_hole_0", SPARSE_SYNCED, SEEK_HOLE, 0},
    {"synced_data_4097", SPARSE_SYNCED, SEEK_DATA, 4097},
    {"synced_hole_4097", SPARSE_SYNCED, SEEK_HOLE, 4097},
    {"synced_hole_1048577", SPARSE_SYNCED, SEEK_HOLE, 1048577},
    {"synced_data_12345", SPARSE_SYNCED, SEEK_DATA, 12345},
    {"partial_data_0", PARTIAL, SEEK_DATA, 0},
    {"partial_hole_0", PARTIAL, SEEK_HOLE, 0},
    {"partial_data_10050", PARTIAL, SEEK_DATA, 10050},
    {"partial_hole_10050", PARTIAL, SEEK_HOLE, 10050},
    {"falloc_data_0", FALLOC, SEEK_DATA, 0},
    {"falloc_hole_0", FALLOC, SEEK_HOLE, 0},
    {"falloc_hole_100", FALLOC, SEEK_HOLE, 100},
    {"falloc_read_data_0", FALLOC_READ, SEEK_DATA, 0},
    {"falloc_read_hole_8192", FALLOC_READ, SEEK_HOLE, 8192},
    {"falloc_read_hole_0", FALLOC_READ, SEEK_HOLE, 0},
    {"falloc_write_data_0", FALLOC_WRITE, SEEK_DATA, 0},
    {"falloc_write_hole_8192", FALLOC_WRITE, SEEK_HOLE, 8192},
    {"falloc_write_hole_0", FALLOC_WRITE, SEEK_HOLE, 0},
    {"falloc_write_data_12288", FALLOC_WRITE, SEEK_DATA, 12288},
    {"falloc_synced_data_0", FALLOC_WRITE_SYNCED, SEEK_DATA, 0},
    {"falloc_synced_hole_8192", FALLOC_WRITE_SYNCED, SEEK_HOLE, 8192},
    {"keepsize_data_0", KEEPSIZE, SEEK_DATA, 0},
    {"keepsize_hole_0", KEEPSIZE, SEEK_HOLE, 0},
    {"keepsize_data_4096", KEEPSIZE, SEEK_DATA, 4096},
    {"keepsize_end_0", KEEPSIZE, SEEK_END, 0},
    {"keepsize_trunc_data_4096", KEEPSIZE_TRUNC, SEEK_DATA, 4096},
    {"keepsize_trunc_hole_0", KEEPSIZE_TRUNC, SEEK_HOLE, 0},
    {"keepsize_trunc_hole_4096", KEEPSIZE_TRUNC, SEEK_HOLE, 4096},
    {"trunc_up_hole_0", TRUNC_UP, SEEK_HOLE, 0},
    {"trunc_up_data_4096", TRUNC_UP, SEEK_DATA, 4096},
    {"trunc_up_hole_4096", TRUNC_UP, SEEK_HOLE, 4096},
    {"trunc_up_data_0", TRUNC_UP, SEEK_DATA, 0},
    {"trunc_up_empty_data_0", TRUNC_UP_EMPTY, SEEK_DATA, 0},
    {"trunc_up_empty_hole_0", TRUNC_UP_EMPTY, SEEK_HOLE, 0},
    {"trunc_up_empty_hole_65535", TRUNC_UP_EMPTY, SEEK_HOLE, 65535},
    {"append_set_5", APPEND, SEEK_SET, 5},
    {"append_end_0", APPEND, SEEK_END, 0},
    {"dir_set_12345", DIRECTORY, SEEK_SET, 12345},
    {"dir_set_neg1", DIRECTORY, SEEK_SET, -1},
    {"dir_set_llmax", DIRECTORY, SEEK_SET, LLMAX},
    {"dir_cur_5", DIRECTORY, SEEK_CUR, 5},
    {"dir_cur_neg101", DIRECTORY, SEEK_CUR, -101},
    {"dir_end_0", DIRECTORY, SEEK_END, 0},
    {"dir_end_5", DIRECTORY, SEEK_END, 5},
    {"dir_end_neg1", DIRECTORY, SEEK_END, -1},
    {"dir_data_0", DIRECTORY, SEEK_DATA, 0},
    {"dir_hole_0", DIRECTORY, SEEK_HOLE, 0},
    {"dir_data_1000000", DIRECTORY, SEEK_DATA, 1000000},
    {"dir_whence5", DIRECTORY, 5, 0},
    {"fifo_set_0", FIFO, SEEK_SET, 0},
    {"fifo_cur_0", FIFO, SEEK_CUR, 0},
    {"fifo_data_0", FIFO, SEEK_DATA, 0},
    {"fifo_whence5", FIFO, 5, 0},
    {"pipe_cur_0", PIPE, SEEK_CUR, 0},
    {"devnull_set_12345", DEVNULL, SEEK_SET, 12345},
    {"devnull_set_neg1", DEVNULL, SEEK_SET, -1},
    {"devnull_cur_neg5", DEVNULL, SEEK_CUR, -5},
    {"devnull_end_0", DEVNULL, SEEK_END, 0},
    {"devnull_end_neg5", DEVNULL, SEEK_END, -5},
    {"devnull_data_0", DEVNULL, SEEK_DATA, 0},
    {"devnull_hole_100", DEVNULL, SEEK_HOLE, 100},
    {"devnull_whence5", DEVNULL, 5, 0},
    {"devzero_set_12345", DEVZERO, SEEK_SET, 12345},
    {"devzero_set_neg1", DEVZERO, SEEK_SET, -1},
    {"devzero_data_0", DEVZERO, SEEK_DATA, 0},
    {"devzero_whence5", DEVZERO, 5, 0},
    {"mknull_set_12345", MKNULL, SEEK_SET, 12345},
    {"mknull_set_neg1", MKNULL, SEEK_SET, -1},
    {"mknull_whence5", MKNULL, 5, 0},
    {"opath_set_0", OPATH, SEEK_SET, 0},
    {"opath_whence5", OPATH, 5, 0},
    {"badfd_set_0", BAD, SEEK_SET, 0},
    {"badfd_whence5", BAD, 5, 0},
};

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  dir = argv[1];
  const char *fs = argv[2];
  snprintf(fpath, sizeof fpath, "%s/f", dir);
  snprintf(dpath, sizeof dpath, "%s/d", dir);
  snprintf(ppath, sizeof ppath, "%s/p", dir);
  snprintf(npath, sizeof npath, "%s/null", dir);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct probe_case *c = &cases[i];
    long long dsize = -1;
    int fd = open_setup(c->setup, &dsize);
    lseek(fd, 100, SEEK_SET);
    errno = 0;
    long long r = lseek(fd, c->off, c->whence);
    int e = errno;
    long long pos = lseek(fd, 0, SEEK_CUR);
    printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%lld,\"errno\":\"%s\",\"pos\":%lld", fs, c->name,
           r, r < 0 ? strerrorname_np(e) : "", pos);
    if (c->setup == DIRECTORY) printf(",\"size\":%lld", dsize);
    printf("}\n");
    fflush(stdout);
    cleanup(c->setup, fd);
  }
  return 0;
}
