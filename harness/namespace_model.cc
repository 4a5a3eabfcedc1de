#include "harness/namespace_model.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sim/absl_view.h"

namespace vfssim {
namespace {

// MAXSYMLINKS: the follows a path walk allows before ELOOP.
constexpr int kMaxSymlinks = 40;

std::string join(const std::string& dir, std::string_view name) {
  return dir == "/" ? absl::StrCat("/", to_absl(name)) : absl::StrCat(dir, "/", to_absl(name));
}

std::string parent_of(const std::string& full) {
  const size_t slash = full.rfind('/');
  return slash == 0 ? "/" : full.substr(0, slash);
}

// within: `path` is `dir` or below it.
bool within(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

std::vector<std::string_view> components(std::string_view path) {
  std::vector<std::string_view> out;
  for (absl::string_view c : absl::StrSplit(to_absl(path), '/', absl::SkipEmpty())) {
    out.emplace_back(c.data(), c.size());
  }
  return out;
}

}  // namespace

std::string to_string(const NameState& s) {
  if (s.err != Errno::kOk) return std::string(errno_name(s.err));
  std::string out = absl::StrFormat("%c nlink %d", s.type, s.nlink);
  if (s.type == 'f') absl::StrAppendFormat(&out, " file %d", s.file);
  if (s.type == 'l') absl::StrAppendFormat(&out, " -> \"%s\"", s.target);
  return out;
}

void NamespaceModel::add_file(const std::string& path, int file) {
  nodes_[path] = Node{.type = 'f', .id = file};
}

bool NamespaceModel::is_namespace_op(const Op& op) {
  switch (op.kind) {
    case OpKind::kMkdir:
    case OpKind::kRmdir:
    case OpKind::kUnlink:
    case OpKind::kRename:
    case OpKind::kLink:
    case OpKind::kSymlink:
      return true;
    default:
      return false;
  }
}

const NamespaceModel::Node* NamespaceModel::find(const std::string& full) const {
  auto it = nodes_.find(full);
  return it == nodes_.end() ? nullptr : &it->second;
}

Result<std::string> NamespaceModel::resolve_dir(std::string_view path, const std::string& from,
                                                int depth) const {
  if (depth > kMaxSymlinks) return Fail(Errno::kELOOP);
  std::string cur = path.starts_with('/') ? "/" : from;
  for (std::string_view c : components(path)) {
    if (c == ".") continue;
    if (c == "..") {
      cur = cur == "/" ? "/" : parent_of(cur);
      continue;
    }
    const std::string next = join(cur, c);
    const Node* n = find(next);
    if (n == nullptr) return Fail(Errno::kENOENT);
    if (n->type == 'f') return Fail(Errno::kENOTDIR);
    if (n->type == 'l') {
      Result<std::string> to = resolve_dir(n->target, cur, depth + 1);
      if (!to) return to;
      cur = *to;
      continue;
    }
    cur = next;
  }
  return cur;
}

Result<NamespaceModel::Where> NamespaceModel::locate(std::string_view path, int depth) const {
  std::vector<std::string_view> parts = components(path);
  if (parts.empty()) return Fail(Errno::kEBUSY);  // The root itself: never drawn.
  const std::string_view last = parts.back();
  parts.pop_back();
  std::string dir;
  for (std::string_view c : parts) absl::StrAppend(&dir, "/", to_absl(c));
  Result<std::string> parent = resolve_dir(dir.empty() ? "/" : dir, "/", depth);
  if (!parent) return Fail(parent.error());
  return Where{*parent, std::string(last)};
}

// A directory's descendants are the keys from full + "/" on that start
// with it ("/d0.x" sorts between "/d0" and "/d0/a", so not from full).
std::map<std::string, NamespaceModel::Node>::const_iterator NamespaceModel::first_below(
    const std::string& full) const {
  return nodes_.lower_bound(full + "/");
}

bool NamespaceModel::empty_dir(const std::string& full) const {
  auto it = first_below(full);
  return it == nodes_.end() || !within(it->first, full);
}

void NamespaceModel::erase_tree(const std::string& full) {
  nodes_.erase(full);
  for (auto it = nodes_.lower_bound(full + "/"); it != nodes_.end() && within(it->first, full);) {
    it = nodes_.erase(it);
  }
}

void NamespaceModel::move_tree(const std::string& from, const std::string& to) {
  std::vector<std::pair<std::string, Node>> moved;
  if (auto it = nodes_.find(from); it != nodes_.end()) {
    moved.emplace_back(to, it->second);
    nodes_.erase(it);
  }
  for (auto it = nodes_.lower_bound(from + "/"); it != nodes_.end() && within(it->first, from);) {
    moved.emplace_back(to + it->first.substr(from.size()), it->second);
    it = nodes_.erase(it);
  }
  for (auto& [path, node] : moved) nodes_[path] = std::move(node);
}

Errno NamespaceModel::expect(const Op& op) const {
  NamespaceModel copy = *this;
  return copy.apply(op);
}

Errno NamespaceModel::apply(const Op& op) {
  switch (op.kind) {
    case OpKind::kMkdir:
    case OpKind::kSymlink: {
      // filename_create: the parents, then EEXIST for any last component
      // there (a dangling symlink too).
      Result<Where> w = locate(op.kind == OpKind::kMkdir ? op.path : op.arg);
      if (!w) return w.error();
      if (find(w->full()) != nullptr) return Errno::kEEXIST;
      if (op.kind == OpKind::kMkdir) {
        nodes_[w->full()] = Node{.type = 'd', .id = next_id_++};
      } else {
        nodes_[w->full()] = Node{.type = 'l', .id = next_id_++, .target = op.path};
      }
      return Errno::kOk;
    }
    case OpKind::kRmdir:
    case OpKind::kUnlink: {
      Result<Where> w = locate(op.path);
      if (!w) return w.error();
      const Node* n = find(w->full());
      if (n == nullptr) return Errno::kENOENT;
      if (op.kind == OpKind::kRmdir) {
        if (n->type != 'd') return Errno::kENOTDIR;
        if (!empty_dir(w->full())) return Errno::kENOTEMPTY;
      } else if (n->type == 'd') {
        return Errno::kEISDIR;
      }
      nodes_.erase(w->full());
      return Errno::kOk;
    }
    case OpKind::kRename: {
      Result<Where> wo = locate(op.path);
      if (!wo) return wo.error();
      Result<Where> wn = locate(op.arg);
      if (!wn) return wn.error();
      const std::string from = wo->full(), to = wn->full();
      const Node* o = find(from);
      if (o == nullptr) return Errno::kENOENT;
      // lock_rename's trap: a directory into its own subtree, or over one
      // of the source's ancestors.
      if (o->type == 'd' && from != to && within(wn->parent, from)) return Errno::kEINVAL;
      if (from != to && within(from, to)) return Errno::kENOTEMPTY;
      const Node* n = find(to);
      if (n != nullptr) {
        if (n->id == o->id) return Errno::kOk;  // vfs_rename: source == target.
        if (o->type == 'd' && n->type != 'd') return Errno::kENOTDIR;
        if (o->type != 'd' && n->type == 'd') return Errno::kEISDIR;
        if (n->type == 'd' && !empty_dir(to)) return flavor_ == kXfs ? Errno::kEEXIST : Errno::kENOTEMPTY;
        erase_tree(to);
      }
      move_tree(from, to);
      return Errno::kOk;
    }
    case OpKind::kLink: {
      // do_linkat: the old path (its last component not followed), then
      // filename_create for the new one, then vfs_link's EPERM.
      Result<Where> wo = locate(op.path);
      if (!wo) return wo.error();
      const Node* o = find(wo->full());
      if (o == nullptr) return Errno::kENOENT;
      Result<Where> wn = locate(op.arg);
      if (!wn) return wn.error();
      if (find(wn->full()) != nullptr) return Errno::kEEXIST;
      if (o->type == 'd') return Errno::kEPERM;
      const Node copy = *o;
      nodes_[wn->full()] = copy;
      return Errno::kOk;
    }
    default:
      return Errno::kEINVAL;
  }
}

NameState NamespaceModel::state(std::string_view path) const {
  Result<Where> w = locate(path);
  if (!w) return {.err = w.error()};
  const Node* n = find(w->full());
  if (n == nullptr) return {.err = Errno::kENOENT};
  NameState s{.type = n->type};
  if (n->type == 'd') {
    // "." and the parent's entry, and each subdirectory's "..".
    s.nlink = 2;
    const std::string full = w->full();
    for (auto it = first_below(full); it != nodes_.end() && within(it->first, full); ++it) {
      if (it->second.type == 'd' && parent_of(it->first) == full) ++s.nlink;
    }
    return s;
  }
  for (const auto& [p, m] : nodes_) s.nlink += m.id == n->id ? 1 : 0;
  if (n->type == 'f') s.file = n->id;
  if (n->type == 'l') s.target = n->target;
  return s;
}

uint64_t NamespaceModel::nlink(int file) const {
  uint64_t k = 0;
  for (const auto& [p, m] : nodes_) k += m.type == 'f' && m.id == file ? 1 : 0;
  return k;
}

std::vector<std::string> NamespaceModel::paths() const {
  std::vector<std::string> out;
  for (const auto& [p, m] : nodes_) out.push_back(p);
  return out;
}

}  // namespace vfssim
