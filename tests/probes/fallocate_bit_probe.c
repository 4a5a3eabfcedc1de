/* fallocate(2) with bit 0x100 — the bit the simulator gives the
 * FALLOC_FL_ZEROINIT_RANGE prototype — combined with every mode, on a
 * kernel that has no such mode: what Linux answers with the prototype
 * switched off. Usage: fallocate_bit_probe DIR FSNAME; one JSON line per
 * case "bit_<mode>" (mode in hex, without the bit), on a 16384-byte file
 * opened O_RDWR, offset 0, length 4096; plus "bit_negoff" (offset -1) and
 * "bit_len0" (length 0): do the range checks come first?
 * Build: gcc -O1 -Wall -o /tmp/fallocate_bit_probe tests/probes/fallocate_bit_probe.c */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void emit(const char *fs, const char *name, int r) {
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"ret\":%d,\"errno\":\"%s\"}\n", fs, name, r,
         r < 0 ? strerrorname_np(errno) : "");
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  char path[4096], name[64], data[16384];
  snprintf(path, sizeof(path), "%s/fallocate_bit", argv[1]);
  memset(data, 'x', sizeof(data));
  const int modes[] = {0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0x10, 0x11, 0x20, 0x21,
                       0x40, 0x41, 0x80, 0x81, 0x12, 0x13};
  for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); ++i) {
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, sizeof(data)) != (ssize_t)sizeof(data)) return 1;
    snprintf(name, sizeof(name), "bit_%#x", modes[i]);
    errno = 0;
    emit(argv[2], name, fallocate(fd, modes[i] | 0x100, 0, 4096));
    close(fd);
  }
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  errno = 0;
  emit(argv[2], "bit_negoff", fallocate(fd, 0x101, -1, 4096));
  errno = 0;
  emit(argv[2], "bit_len0", fallocate(fd, 0x101, 0, 0));
  close(fd);
  unlink(path);
  return 0;
}
