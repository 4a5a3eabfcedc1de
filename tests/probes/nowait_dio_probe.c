/* RWF_NOWAIT with O_DIRECT: which direct writes and reads may go ahead
 * without blocking. Usage: nowait_dio_probe DIR FSNAME; prints one JSON line
 * per case. The file is 1 MiB of holes (ftruncate) opened O_DIRECT; the
 * buffer is 4096 page-aligned '.' bytes. Cases, in order:
 *   dio_nowait_write_hole       pwritev2(4096 @ 8192, RWF_NOWAIT): needs allocation
 *   dio_fill                    pwrite(4096 @ 8192): allocates
 *   dio_nowait_write_overwrite  pwritev2(4096 @ 8192, RWF_NOWAIT): over written blocks
 *   dio_nowait_read_mapped      preadv2(4096 @ 8192, RWF_NOWAIT)
 *   dio_nowait_read_hole        preadv2(4096 @ 65536, RWF_NOWAIT)
 * Build: gcc -O1 -Wall -o /tmp/nowait_dio_probe tests/probes/nowait_dio_probe.c */
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
  char path[4096];
  snprintf(path, sizeof(path), "%s/nowait_dio", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);
  void *buf;
  if (fd < 0 || posix_memalign(&buf, 4096, 4096) != 0 || ftruncate(fd, 1 << 20) != 0) return 1;
  memset(buf, '.', 4096);
  struct iovec io = {buf, 4096};
  errno = 0;
  emit(argv[2], "dio_nowait_write_hole", pwritev2(fd, &io, 1, 8192, RWF_NOWAIT));
  errno = 0;
  emit(argv[2], "dio_fill", pwrite(fd, buf, 4096, 8192));
  errno = 0;
  emit(argv[2], "dio_nowait_write_overwrite", pwritev2(fd, &io, 1, 8192, RWF_NOWAIT));
  errno = 0;
  emit(argv[2], "dio_nowait_read_mapped", preadv2(fd, &io, 1, 8192, RWF_NOWAIT));
  errno = 0;
  emit(argv[2], "dio_nowait_read_hole", preadv2(fd, &io, 1, 65536, RWF_NOWAIT));
  close(fd);
  unlink(path);
  return 0;
}
