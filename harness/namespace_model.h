// NamespaceModel: the names under a mount's root as a sequence of mkdir,
// rmdir, unlink, rename, link and symlink calls leaves them, and what each
// call must answer on Linux 6.18 — the oracle's model of the namespace ops
// a campaign draws. Entries are directories, symlinks (with their target)
// and the harness's files (by index; a hard link is another name for the
// same index). Intermediate components follow symlinks as path walking
// does; the last component never does (none of these calls follows it).
//
// The error rules and their order are fs/namei.c's (filename_parentat,
// then the lookup of the last component, then vfs_*'s checks), checked
// against the host kernel (tests/probes/fixtures/namespace.jsonl: tmpfs,
// XFS and ext4, from tests/probes/namespace_probe.c).
// One answer differs by filesystem: renaming a directory over a non-empty
// one is ENOTEMPTY on tmpfs (simple_rename's simple_empty) and EEXIST on
// XFS (xfs_rename).
//
//   NamespaceModel ns(NamespaceModel::kTmpfs);
//   ns.add_file("/f0", 0);
//   ns.apply(Op{.kind = OpKind::kMkdir, .path = "/d0"});   // -> kOk
//   ns.apply(Op{.kind = OpKind::kRmdir, .path = "/f0"});   // -> ENOTDIR

#ifndef VFSSIM_HARNESS_NAMESPACE_MODEL_H_
#define VFSSIM_HARNESS_NAMESPACE_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/op.h"
#include "sim/errno.h"

namespace vfssim {

// NameState is what lstat(2) (and readlink(2)) say of one path.
struct NameState {
  Errno err = Errno::kOk;  // ENOENT, ENOTDIR, ...: the rest is unset.
  char type = 0;           // 'f' a regular file, 'd' a directory, 'l' a symlink.
  int file = -1;           // 'f': the harness file it is (-1: none of them).
  uint64_t nlink = 0;
  std::string target;      // 'l': the link's text.

  bool operator==(const NameState&) const = default;
};
std::string to_string(const NameState& s);

class NamespaceModel {
 public:
  enum Flavor : uint8_t { kTmpfs, kXfs };
  explicit NamespaceModel(Flavor flavor) : flavor_(flavor) {}

  // add_file names harness file `file` at `path` (the setup's files).
  void add_file(const std::string& path, int file);

  // is_namespace_op: kMkdir, kRmdir, kUnlink, kRename, kLink, kSymlink.
  static bool is_namespace_op(const Op& op);
  // expect is the errno `op` must answer (kOk: it succeeds); apply also
  // makes the change when it succeeds.
  Errno expect(const Op& op) const;
  Errno apply(const Op& op);

  // state is what lstat of `path` must say; nlink of harness file `file`
  // is how many names it has.
  NameState state(std::string_view path) const;
  uint64_t nlink(int file) const;
  // paths lists every name, in order.
  std::vector<std::string> paths() const;

 private:
  // A name: its type, the object it names (a harness file's index, or an
  // id of the model's own; hard links share it) and a symlink's text.
  struct Node {
    char type = 'd';
    int id = -1;
    std::string target;
  };
  // Where a path's last component lives: its parent's canonical path and
  // its name. Errors: ENOENT, ENOTDIR, ELOOP walking the parents.
  struct Where {
    std::string parent;
    std::string name;
    std::string full() const { return parent == "/" ? "/" + name : parent + "/" + name; }
  };
  Result<Where> locate(std::string_view path, int depth = 0) const;
  // resolve_dir follows `path` (absolute or relative to `from`) to a
  // directory, following every component's symlink.
  Result<std::string> resolve_dir(std::string_view path, const std::string& from, int depth) const;
  const Node* find(const std::string& full) const;
  bool empty_dir(const std::string& full) const;
  std::map<std::string, Node>::const_iterator first_below(const std::string& full) const;
  // Move or drop the subtree at `from`.
  void move_tree(const std::string& from, const std::string& to);
  void erase_tree(const std::string& full);

  Flavor flavor_;
  std::map<std::string, Node> nodes_;  // Canonical path -> node; "/" implicit.
  int next_id_ = 1 << 20;              // Above every harness file index.
};

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_NAMESPACE_MODEL_H_
