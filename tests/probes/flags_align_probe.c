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
 * Build: gcc -O1 -Wall -o /tmp/flags_align_probe tests/probes/flags_align_probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void emit(const char *fs, const char *name, ssize_t r) {
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%zd,\"errno\":\"%s\"}\n", fs, name, r,
         r < 0 ? strerrorname_np(errno) : "");
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
  unlink(path);
  return 0;
}
