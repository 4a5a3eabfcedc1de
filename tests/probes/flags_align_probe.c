/* Two families the uaccess probe does not cover. Usage:
 * flags_align_probe DIR FSNAME; one JSON line per case.
 *
 * rwf_<bit>: preadv2(fd, {buf, 8}, 1, 0, bit) on a 5-byte file, for each
 *   RWF bit 0x20..0x400 (NOAPPEND, ATOMIC, DONTCACHE, NOSIGNAL, two
 *   undefined): which are accepted for a buffered read.
 * dio_*: an O_DIRECT descriptor on a file of 8192 written bytes followed by
 *   a hole up to 65536 (ftruncate); buf is page aligned. Misaligned reads
 *   at EOF, past EOF and over the hole, and misaligned writes past EOF:
 *   whether alignment is checked before EOF and holes are looked at.
 * dio_read_tail_100: a 100-byte file read O_DIRECT, 4096 bytes at 0 into an
 *   aligned buffer: the tail of a file whose size is not block-aligned.
 * cache_*: a 16384-byte file written, fsynced and dropped from the cache
 *   (POSIX_FADV_DONTNEED), then:
 *   cache_write_tail_unmapped  write(fd, R+3996, 200) with R's page 1
 *                              unmapped: a short copy into an uncached page;
 *   cache_write_page_tail_unmapped  write(fd, R+100, 4096): a whole-page
 *                              write into an uncached page whose source
 *                              runs into the unmapped page after 3996 bytes;
 *   cache_dontcache_read       preadv2(16384 @ 0, RWF_DONTCACHE); "cached"
 *                              = pages of the file in the cache afterwards
 *                              (mincore);
 *   cache_dontcache_write      pwritev2(16384 @ 0, RWF_DONTCACHE); no page
 *                              count: the pages leave when the writeback the
 *                              call kicked completes, so right after the call
 *                              it is timing (0 and 4 were both seen);
 *   cache_dio_nowait_read_dirty   after a buffered write of page 0 (dirty),
 *                              preadv2(4096 @ 0, RWF_NOWAIT) on an O_DIRECT fd;
 *   cache_dio_nowait_write_cached after a buffered read of page 1 (cached,
 *                              clean), pwritev2(4096 @ 4096, RWF_NOWAIT) on
 *                              the O_DIRECT fd.
 * Build: gcc -O1 -Wall -o /tmp/flags_align_probe tests/probes/flags_align_probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE 0x00000080 /* Linux 6.14; Debian 12's headers predate it. */
#endif

static void emit_x(const char *fs, const char *name, ssize_t r, int cached) {
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%zd,\"errno\":\"%s\"", fs, name, r,
         r < 0 ? strerrorname_np(errno) : "");
  if (cached >= 0) printf(",\"cached\":%d", cached);
  printf("}\n");
}

static void emit(const char *fs, const char *name, ssize_t r) { emit_x(fs, name, r, -1); }

/* cached_pages counts the pages of the first 16384 bytes of fd in the page
 * cache, through a fresh read-only shared mapping that is never touched. */
static int cached_pages(int fd) {
  void *m = mmap(NULL, 16384, PROT_READ, MAP_SHARED, fd, 0);
  unsigned char vec[4];
  int n = 0;
  if (m == MAP_FAILED) return -1;
  if (mincore(m, 16384, vec) == 0)
    for (int i = 0; i < 4; ++i) n += vec[i] & 1;
  munmap(m, 16384);
  return n;
}

/* fresh_uncached makes path a 16384-byte file of 'A' bytes, written,
 * fsynced and dropped from the cache; returns an O_RDWR fd. */
static int fresh_uncached(const char *path) {
  char data[16384];
  memset(data, 'A', sizeof(data));
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || pwrite(fd, data, sizeof(data), 0) != (ssize_t)sizeof(data) || fsync(fd) != 0)
    return -1;
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  return fd;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  const char *fs = argv[2];
  char path[4096], name[64];
  snprintf(path, sizeof(path), "%s/flags_align", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "hello", 5) != 5) return 1;
  char small[8];
  struct iovec sv = {small, 8};
  for (int bit = 0x20; bit <= 0x400; bit <<= 1) {
    snprintf(name, sizeof(name), "rwf_%#x", bit);
    errno = 0;
    emit(fs, name, preadv2(fd, &sv, 1, 0, bit));
  }
  close(fd);

  void *buf;
  if (posix_memalign(&buf, 4096, 3 * 4096) != 0) return 1;
  memset(buf, '.', 3 * 4096);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || pwrite(fd, buf, 8192, 0) != 8192 || ftruncate(fd, 65536) != 0 || fsync(fd) != 0)
    return 1;
  close(fd);
  int dfd = open(path, O_RDWR | O_DIRECT);
  if (dfd < 0) {
    emit(fs, "dio_open", -1);
    return 0;
  }
  struct { const char *name; int write; long off; size_t len; size_t bufoff; } cases[] = {
      {"dio_read_off100_mapped", 0, 100, 4096, 0},
      {"dio_read_off100_hole", 0, 16384 + 100, 4096, 0},
      {"dio_read_buf1_hole", 0, 16384, 4096, 1},
      {"dio_read_len100_hole", 0, 16384, 100, 0},
      {"dio_read_off100_at_eof", 0, 65536, 4096, 0},
      {"dio_read_off100_past_eof", 0, 65536 + 100, 4096, 0},
      {"dio_read_buf1_past_eof", 0, 131072, 4096, 1},
      {"dio_write_off100_past_eof", 1, 131072 + 100, 4096, 0},
      {"dio_write_buf1_past_eof", 1, 131072, 4096, 1},
      {"dio_write_len100_hole", 1, 16384, 100, 0},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
    errno = 0;
    char *b = (char *)buf + cases[i].bufoff;
    ssize_t r = cases[i].write ? pwrite(dfd, b, cases[i].len, cases[i].off)
                               : pread(dfd, b, cases[i].len, cases[i].off);
    emit(fs, cases[i].name, r);
  }
  close(dfd);

  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || pwrite(fd, buf, 100, 0) != 100 || fsync(fd) != 0) return 1;
  close(fd);
  dfd = open(path, O_RDWR | O_DIRECT);
  errno = 0;
  emit(fs, "dio_read_tail_100", pread(dfd, buf, 4096, 0));
  close(dfd);

  /* cache_* cases. */
  char *r = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(r, '.', 3 * 4096);
  munmap(r + 4096, 4096);
  fd = fresh_uncached(path);
  errno = 0;
  emit(fs, "cache_write_tail_unmapped", write(fd, r + 3996, 200));
  close(fd);
  fd = fresh_uncached(path);
  errno = 0;
  emit(fs, "cache_write_page_tail_unmapped", write(fd, r + 100, 4096));
  close(fd);
  char *b16;
  if (posix_memalign((void **)&b16, 4096, 16384) != 0) return 1;
  struct iovec all = {b16, 16384};
  fd = fresh_uncached(path);
  errno = 0;
  ssize_t n = preadv2(fd, &all, 1, 0, RWF_DONTCACHE);
  emit_x(fs, "cache_dontcache_read", n, cached_pages(fd));
  close(fd);
  fd = fresh_uncached(path);
  memset(b16, 'w', 16384);
  errno = 0;
  n = pwritev2(fd, &all, 1, 0, RWF_DONTCACHE);
  emit(fs, "cache_dontcache_write", n);
  close(fd);
  fd = fresh_uncached(path);
  dfd = open(path, O_RDWR | O_DIRECT);
  struct iovec one = {buf, 4096};
  if (dfd >= 0 && pwrite(fd, b16, 4096, 0) == 4096) {
    errno = 0;
    emit(fs, "cache_dio_nowait_read_dirty", preadv2(dfd, &one, 1, 0, RWF_NOWAIT));
    fsync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (pread(fd, b16, 4096, 4096) == 4096) {
      errno = 0;
      emit(fs, "cache_dio_nowait_write_cached", pwritev2(dfd, &one, 1, 4096, RWF_NOWAIT));
    }
  }
  close(dfd);
  close(fd);
  unlink(path);
  return 0;
}
