// NamespaceModel's bookkeeping where names sort between a directory and
// its children ("/d0.x" between "/d0" and "/d0/a"); its errno rules are
// held to the host kernel by tests/namespace_fixture_test.

#include "harness/namespace_model.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

Op mk(OpKind kind, std::string path, std::string arg = "") {
  Op op;
  op.kind = kind;
  op.path = std::move(path);
  op.arg = std::move(arg);
  return op;
}

TEST(NamespaceModel, SiblingsThatSortBetweenADirectoryAndItsChildren) {
  NamespaceModel ns(NamespaceModel::kTmpfs);
  ASSERT_EQ(ns.apply(mk(OpKind::kMkdir, "/d0")), Errno::kOk);
  ASSERT_EQ(ns.apply(mk(OpKind::kMkdir, "/d0.x")), Errno::kOk);
  ASSERT_EQ(ns.apply(mk(OpKind::kMkdir, "/d0/a")), Errno::kOk);
  EXPECT_EQ(ns.expect(mk(OpKind::kRmdir, "/d0")), Errno::kENOTEMPTY);
  EXPECT_EQ(ns.state("/d0").nlink, 3u);
  ASSERT_EQ(ns.apply(mk(OpKind::kRename, "/d0", "/e")), Errno::kOk);
  EXPECT_EQ(ns.state("/e/a").type, 'd');
  EXPECT_EQ(ns.state("/d0.x").type, 'd');
  EXPECT_EQ(ns.state("/d0/a").err, Errno::kENOENT);
  ASSERT_EQ(ns.apply(mk(OpKind::kRmdir, "/e/a")), Errno::kOk);
  ASSERT_EQ(ns.apply(mk(OpKind::kRename, "/d0.x", "/e")), Errno::kOk);  // Over an empty directory.
  EXPECT_EQ(ns.paths(), (std::vector<std::string>{"/e"}));
}

}  // namespace
}  // namespace vfssim
