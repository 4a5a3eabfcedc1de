/* mkdir, rmdir, unlink, rename, link and symlink: which errno each call
 * answers, including which wins when several apply, and the tree the call
 * leaves. Usage: namespace_probe DIR FSNAME; one JSON line per case:
 *
 *   {"fs":FS,"case":NAME,"call":CALL,"a":A,"b":B,"errno":"E..."|"","tree":T}
 *
 * Fresh tree for every case (made before, removed entirely after), under
 * DIR (paths below are relative to it):
 *   f0, f1         regular files
 *   d0             empty directory
 *   d1             directory holding the file d1/x
 *   d2             directory holding the empty directory d2/sub
 *   s0 -> "nowhere"   s1 -> "d0"   s2 -> "f0"   s3 -> "s3" (a loop)
 *   h0             a hard link to f0
 * CALL is mkdir(A), rmdir(A), unlink(A), rename(A, B), link(A, B) or
 * symlink(A, B) (A the link's text, B its path). T is the tree after the
 * call: every name, sorted, as "path:type:nlink" with type f, d or l, a
 * symlink's text after "=", space-separated; a file's nlink counts its
 * names, a directory's is 2 plus its subdirectories.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *fsname;
static char names[256][512];
static int nnames;

static void collect(const char *rel) {
  char path[512];
  snprintf(path, sizeof(path), "%s", rel[0] ? rel : ".");
  DIR *d = opendir(path);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[512];
    snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
    snprintf(names[nnames++], 512, "%s", sub);
    struct stat st;
    if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) collect(sub);
  }
  closedir(d);
}

static int cmp(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static void print_tree(void) {
  nnames = 0;
  collect("");
  qsort(names, nnames, sizeof(names[0]), cmp);
  printf("\"");
  for (int i = 0; i < nnames; i++) {
    struct stat st;
    if (lstat(names[i], &st) != 0) continue;
    char type = S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : 'f';
    printf("%s%s:%c:%lu", i ? " " : "", names[i], type, (unsigned long)st.st_nlink);
    if (type == 'l') {
      char t[512];
      ssize_t n = readlink(names[i], t, sizeof(t) - 1);
      t[n < 0 ? 0 : n] = 0;
      printf("=%s", t);
    }
  }
  printf("\"");
}

static void rm_tree(const char *rel) {
  DIR *d = opendir(rel);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char sub[512];
    snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
    struct stat st;
    if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
      rm_tree(sub);
      rmdir(sub);
    } else {
      unlink(sub);
    }
  }
  closedir(d);
}

static void setup(void) {
  close(open("f0", O_CREAT | O_WRONLY, 0644));
  close(open("f1", O_CREAT | O_WRONLY, 0644));
  mkdir("d0", 0755);
  mkdir("d1", 0755);
  close(open("d1/x", O_CREAT | O_WRONLY, 0644));
  mkdir("d2", 0755);
  mkdir("d2/sub", 0755);
  symlink("nowhere", "s0");
  symlink("d0", "s1");
  symlink("f0", "s2");
  symlink("s3", "s3");
  link("f0", "h0");
}

static void run(const char *name, const char *call, const char *a, const char *b) {
  setup();
  int r;
  if (!strcmp(call, "mkdir")) r = mkdir(a, 0755);
  else if (!strcmp(call, "rmdir")) r = rmdir(a);
  else if (!strcmp(call, "unlink")) r = unlink(a);
  else if (!strcmp(call, "rename")) r = rename(a, b);
  else if (!strcmp(call, "link")) r = link(a, b);
  else r = symlink(a, b);
  const int err = r == 0 ? 0 : errno;
  printf("{\"fs\":\"%s\",\"case\":\"%s\",\"call\":\"%s\",\"a\":\"%s\",\"b\":\"%s\",\"errno\":\"%s\",\"tree\":",
         fsname, name, call, a, b ? b : "", err ? strerrorname_np(err) : "");
  print_tree();
  printf("}\n");
  rm_tree(".");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: namespace_probe DIR FSNAME\n");
    return 2;
  }
  fsname = argv[2];
  if (chdir(argv[1]) != 0) return 1;
  run("mkdir_new", "mkdir", "n0", NULL);
  run("mkdir_existing_dir", "mkdir", "d0", NULL);
  run("mkdir_existing_file", "mkdir", "f0", NULL);
  run("mkdir_dangling_symlink", "mkdir", "s0", NULL);
  run("mkdir_under_symlink_to_dir", "mkdir", "s1/n", NULL);
  run("mkdir_under_dangling", "mkdir", "s0/n", NULL);
  run("mkdir_under_file", "mkdir", "f0/n", NULL);
  run("mkdir_under_symlink_to_file", "mkdir", "s2/n", NULL);
  run("mkdir_under_loop", "mkdir", "s3/n", NULL);
  run("mkdir_under_missing", "mkdir", "nodir/n", NULL);
  run("rmdir_empty", "rmdir", "d0", NULL);
  run("rmdir_nonempty", "rmdir", "d1", NULL);
  run("rmdir_nonempty_dirs", "rmdir", "d2", NULL);
  run("rmdir_file", "rmdir", "f0", NULL);
  run("rmdir_symlink_to_dir", "rmdir", "s1", NULL);
  run("rmdir_missing", "rmdir", "n0", NULL);
  run("rmdir_empty_subdir", "rmdir", "d2/sub", NULL);
  run("rmdir_through_symlink", "rmdir", "s1/n0", NULL);
  run("rmdir_missing_under_file", "rmdir", "f0/x", NULL);
  run("unlink_file", "unlink", "f1", NULL);
  run("unlink_hard_link", "unlink", "h0", NULL);
  run("unlink_dir", "unlink", "d0", NULL);
  run("unlink_symlink_to_dir", "unlink", "s1", NULL);
  run("unlink_missing", "unlink", "n0", NULL);
  run("unlink_under_symlink", "unlink", "s1/n0", NULL);
  run("rename_file_new", "rename", "f1", "n0");
  run("rename_file_over_file", "rename", "f1", "f0");
  run("rename_file_over_hard_link", "rename", "f0", "h0");
  run("rename_file_over_empty_dir", "rename", "f1", "d0");
  run("rename_file_over_nonempty_dir", "rename", "f1", "d1");
  run("rename_dir_new", "rename", "d1", "n0");
  run("rename_dir_over_empty_dir", "rename", "d1", "d0");
  run("rename_dir_over_nonempty_dir", "rename", "d0", "d1");
  run("rename_dir_over_dir_with_dirs", "rename", "d0", "d2");
  run("rename_dir_over_file", "rename", "d0", "f0");
  run("rename_dir_into_itself", "rename", "d1", "d1/n");
  run("rename_dir_into_itself_existing", "rename", "d2", "d2/sub");
  run("rename_into_own_symlinked_dir", "rename", "d0", "s1/n");
  run("rename_onto_own_parent", "rename", "d1/x", "d1");
  run("rename_onto_own_grandparent", "rename", "d2/sub", "d2");
  run("rename_self", "rename", "d0", "d0");
  run("rename_missing", "rename", "n0", "n1");
  run("rename_missing_to_missing_parent", "rename", "n0", "nodir/n");
  run("rename_to_missing_parent", "rename", "f0", "nodir/n");
  run("rename_to_under_file", "rename", "f0", "f1/n");
  run("rename_symlink_over_dir", "rename", "s1", "d0");
  run("rename_into_dir", "rename", "f1", "d1/y");
  run("rename_dir_into_other", "rename", "d0", "d2/d0");
  run("rename_dangling_symlink", "rename", "s0", "n0");
  run("link_file_new", "link", "f1", "n0");
  run("link_file_existing", "link", "f1", "f0");
  run("link_dir_new", "link", "d0", "n0");
  run("link_dir_existing", "link", "d0", "f1");
  run("link_missing_existing", "link", "n0", "f1");
  run("link_missing_new", "link", "n0", "n1");
  run("link_symlink", "link", "s0", "n0");
  run("link_into_missing_parent", "link", "f0", "nodir/n");
  run("link_into_symlinked_dir", "link", "f0", "s1/n");
  run("symlink_new", "symlink", "d0", "n0");
  run("symlink_existing", "symlink", "x", "f0");
  run("symlink_over_dangling", "symlink", "x", "s0");
  run("symlink_under_file", "symlink", "x", "f0/n");
  run("symlink_under_loop", "symlink", "x", "s3/n");
  return 0;
}
