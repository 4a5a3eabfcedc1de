// Large folios and writeback, seen through FIEMAP (no FIEMAP_FLAG_SYNC):
// each case fallocates its file first, so the blocks a writeback wrote show
// as written and the rest stay unwritten. Cases:
//   write_64k_msync_page     one 64 KiB pwrite (one folio), msync [20480, 24576)
//   write_4k_x16_msync_page  the same in 4 KiB pwrites, msync [20480, 24576)
//   write_12286_at_0         12286 bytes at 0, msync [0, 4096)
//   write_12286_at_4096      12286 bytes at 4096, msync [8192, 12288)
//   truncate_20000 / _40000  one 64 KiB pwrite, ftruncate, msync [0, 4096)
//   insert_8k / insert_12k   four 4 KiB pwrites (no fallocate), INSERT_RANGE
//                            of 4 KiB at 8 KiB / 12 KiB
// Usage: xfs_folio_probe MOUNTPOINT FSNAME; one JSON line per case.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static char data[1 << 16];
static const char* dir;
static const char* fsname;

static int open_case(const char* name) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  return open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
}

static void report(const char* name, int fd) {
  char buf[sizeof(struct fiemap) + 64 * sizeof(struct fiemap_extent)];
  struct fiemap* f = (struct fiemap*)buf;
  memset(buf, 0, sizeof buf);
  f->fm_length = ~0ULL;
  f->fm_extent_count = 64;
  printf("{\"fs\":\"%s\",\"case\":\"%s\"", fsname, name);
  if (ioctl(fd, FS_IOC_FIEMAP, f) < 0) {
    printf(",\"fiemap_errno\":\"%s\"}\n", strerrorname_np(errno));
    return;
  }
  printf(",\"fiemap\":[");
  for (unsigned i = 0; i < f->fm_mapped_extents; i++) {
    printf("%s[%llu,%llu,%u]", i ? "," : "", (unsigned long long)f->fm_extents[i].fe_logical,
           (unsigned long long)f->fm_extents[i].fe_length, f->fm_extents[i].fe_flags & ~FIEMAP_EXTENT_LAST);
  }
  struct fsxattr fa;
  if (ioctl(fd, FS_IOC_FSGETXATTR, &fa) == 0) printf("],\"nextents\":%u}\n", fa.fsx_nextents);
  else printf("]}\n");
}

static void msync_page(int fd, size_t map_len, size_t off) {
  char* m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return;
  msync(m + off, 4096, MS_SYNC);
  munmap(m, map_len);
}

static void written_back(const char* name, size_t size, size_t off, size_t len, size_t chunk,
                         size_t page_off) {
  int fd = open_case(name);
  fallocate(fd, 0, 0, (off_t)size);
  for (size_t o = 0; o < len; o += chunk) pwrite(fd, data, len - o < chunk ? len - o : chunk, (off_t)(off + o));
  msync_page(fd, size, page_off);
  report(name, fd);
  close(fd);
}

static void truncated(const char* name, off_t size) {
  int fd = open_case(name);
  fallocate(fd, 0, 0, 65536);
  pwrite(fd, data, 65536, 0);
  ftruncate(fd, size);
  msync_page(fd, (size_t)size, 0);
  report(name, fd);
  close(fd);
}

static void inserted(const char* name, off_t at) {
  int fd = open_case(name);
  for (int i = 0; i < 4; i++) pwrite(fd, data, 4096, i * 4096);
  if (fallocate(fd, FALLOC_FL_INSERT_RANGE, at, 4096) != 0) {
    printf("{\"fs\":\"%s\",\"case\":\"%s\",\"errno\":\"%s\"}\n", fsname, name, strerrorname_np(errno));
  } else {
    report(name, fd);
  }
  close(fd);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  dir = argv[1];
  fsname = argv[2];
  memset(data, 'a', sizeof data);
  written_back("write_64k_msync_page", 65536, 0, 65536, 65536, 20480);
  written_back("write_4k_x16_msync_page", 65536, 0, 65536, 4096, 20480);
  written_back("write_12286_at_0", 16384, 0, 12286, 65536, 0);
  written_back("write_12286_at_4096", 32768, 4096, 12286, 65536, 8192);
  truncated("truncate_20000", 20000);
  truncated("truncate_40000", 40000);
  inserted("insert_8k", 8192);
  inserted("insert_12k", 12288);
  return 0;
}
