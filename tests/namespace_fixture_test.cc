// mkdir, rmdir, unlink, rename, link and symlink, case by case against the
// host kernel: every case of tests/probes/namespace_probe.c is re-enacted
// on the simulator (shmfs for the "tmpfs" column, the XFS-like filesystem
// for "xfs") and on the oracle's NamespaceModel, and each must answer the
// errno Linux 6.18 recorded in tests/probes/fixtures/namespace.jsonl and
// leave the same tree (every name, its type, link count and symlink
// text). The ext4 column is not compared: there is no ext4-like
// filesystem (its answers equal tmpfs's on every case).

#include <gtest/gtest.h>

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "drivers/blockdev.h"
#include "harness/backend.h"
#include "harness/namespace_model.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

std::string errno_text(Errno e) { return e == Errno::kOk ? "" : std::string(errno_name(e)); }

Op call_op(const Json& row) {
  const std::string call = row["call"], a = row["a"], b = row["b"];
  Op op;
  op.kind = call == "mkdir"    ? OpKind::kMkdir
            : call == "rmdir"  ? OpKind::kRmdir
            : call == "unlink" ? OpKind::kUnlink
            : call == "rename" ? OpKind::kRename
            : call == "link"   ? OpKind::kLink
                               : OpKind::kSymlink;
  // The probe's paths are relative to its directory; here it is the root.
  op.path = op.kind == OpKind::kSymlink ? a : "/" + a;
  if (!b.empty()) op.arg = "/" + b;
  return op;
}

// The probe's tree: f0, f1, d0, d1/x, d2/sub, s0 -> nowhere, s1 -> d0,
// s2 -> f0, s3 -> s3, h0 a hard link to f0.
const std::vector<Op>& setup_ops() {
  static const std::vector<Op> ops = [] {
    std::vector<Op> v;
    for (const char* d : {"/d0", "/d1", "/d2", "/d2/sub"}) v.push_back(Op{.kind = OpKind::kMkdir, .path = d});
    for (auto [text, at] : {std::pair{"nowhere", "/s0"}, {"d0", "/s1"}, {"f0", "/s2"}, {"s3", "/s3"}}) {
      v.push_back(Op{.kind = OpKind::kSymlink, .path = text, .arg = at});
    }
    v.push_back(Op{.kind = OpKind::kLink, .path = "/f0", .arg = "/h0"});
    return v;
  }();
  return ops;
}

std::string model_tree(const NamespaceModel& ns) {
  std::vector<std::string> out;
  for (const std::string& path : ns.paths()) {
    const NameState s = ns.state(path);
    std::string e = absl::StrCat(path.substr(1), ":", std::string(1, s.type), ":", s.nlink);
    if (s.type == 'l') absl::StrAppend(&e, "=", s.target);
    out.push_back(e);
  }
  return absl::StrJoin(out, " ");
}

// sim_names lists every name under `dir` ("" the root), depth first, from
// each directory's entries.
void sim_names(Process& p, const std::string& dir, std::vector<std::string>* out) {
  Result<int> fd = p.open(dir.empty() ? "/" : "/" + dir, kO_RDONLY | kO_DIRECTORY);
  if (!fd) return;
  std::vector<std::string> here;
  if (Result<InodeRef> ip = p.file_inode(*fd)) {
    for (const auto& [n, child] : (*ip)->entries) here.push_back(n);
  }
  p.close(*fd);
  for (const std::string& n : here) {
    const std::string rel = dir.empty() ? n : dir + "/" + n;
    out->push_back(rel);
    Result<Stat> st = p.lstat("/" + rel);
    if (st && st->type == VType::kDir) sim_names(p, rel, out);
  }
}

// sim_tree prints the names as the probe does: sorted, "path:type:nlink",
// a symlink's text after "=".
std::string sim_tree(Process& p, std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  for (const std::string& n : names) {
    Result<Stat> st = p.lstat("/" + n);
    if (!st) continue;
    const char type = st->type == VType::kDir ? 'd' : st->type == VType::kLnk ? 'l' : 'f';
    std::string e = absl::StrCat(n, ":", std::string(1, type), ":", st->nlink);
    if (type == 'l') absl::StrAppend(&e, "=", host::readlink(p, "/" + n).value_or(""));
    out.push_back(e);
  }
  return absl::StrJoin(out, " ");
}

class NamespaceFixture : public ::testing::TestWithParam<const char*> {};

TEST_P(NamespaceFixture, EveryCaseAnswersAndLeavesTheTreeAsTheKernel) {
  const std::string fs = GetParam();
  const HostFixture fx = load_host_fixture("namespace.jsonl", fs);
  ASSERT_FALSE(fx.rows.empty()) << "no " << fs << " rows in namespace.jsonl";
  SCOPED_TRACE("kernel " + fx.kernel);
  // mkfs.ext4 makes lost+found, and the probe's clean-up after its first
  // case removes it with the rest of the tree: only that case sees it.
  bool first = true;
  for (const Json& row : fx.rows) {
    const std::string name = row["case"];
    SCOPED_TRACE(name);
    const Op op = call_op(row);
    const bool lost_found = fs == "ext4" && first;
    first = false;

    // The model: ext4 answers as the VFS's generic rename does.
    NamespaceModel ns(fs == "xfs" ? NamespaceModel::kXfs : NamespaceModel::kTmpfs);
    if (lost_found) {
      ASSERT_EQ(ns.apply(call_op({{"call", "mkdir"}, {"a", "lost+found"}, {"b", ""}})), Errno::kOk);
    }
    ns.add_file("/f0", 0);
    ns.add_file("/f1", 1);
    for (const Op& s : setup_ops()) ASSERT_EQ(ns.apply(s), Errno::kOk) << s.to_command();
    ns.add_file("/d1/x", 2);
    EXPECT_EQ(errno_text(ns.apply(op)), row["errno"].get<std::string>()) << "model: " << op.to_command();
    EXPECT_EQ(model_tree(ns), row["tree"].get<std::string>()) << "model: " << op.to_command();

    // The simulator.
    Machine m(1);
    SimBlockDevice bdev(m, BlockDeviceConfig{.capacity_bytes = 512ull << 20});
    Vfs vfs(m);
    ASSERT_EQ(mount_host_column(vfs, fs, &bdev), Errno::kOk);
    Process p(vfs, Creds::root());
    if (fs == "ext4" && !lost_found) {
      ASSERT_EQ(p.rmdir("/lost+found"), Errno::kOk);
    }
    for (const char* f : {"/f0", "/f1"}) ASSERT_EQ(p.close(*p.open(f, kO_RDWR | kO_CREAT, 0644)), Errno::kOk);
    for (const Op& s : setup_ops()) ASSERT_EQ(run_name_call(p, s), Errno::kOk) << s.to_command();
    ASSERT_EQ(p.close(*p.open("/d1/x", kO_RDWR | kO_CREAT, 0644)), Errno::kOk);
    EXPECT_EQ(errno_text(run_name_call(p, op)), row["errno"].get<std::string>()) << "simulator: " << op.to_command();
    std::vector<std::string> names;
    sim_names(p, "", &names);
    EXPECT_EQ(sim_tree(p, names), row["tree"].get<std::string>()) << "simulator: " << op.to_command();
  }
}

INSTANTIATE_TEST_SUITE_P(Columns, NamespaceFixture, ::testing::Values("tmpfs", "xfs", "ext4"));

}  // namespace
}  // namespace vfssim
