#include "sim/creds.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

TEST(CredsTest, RootHasEveryCapability) {
  Creds root = Creds::root();
  EXPECT_TRUE(root.capable(Cap::kLinuxImmutable));
  EXPECT_TRUE(root.capable(Cap::kSysAdmin));
  EXPECT_TRUE(root.capable(Cap::kSysResource));
}

TEST(CredsTest, UserHasOnlyGranted) {
  Creds u = Creds::user(1000, 100, {Cap::kSysResource});
  EXPECT_TRUE(u.capable(Cap::kSysResource));
  EXPECT_FALSE(u.capable(Cap::kSysAdmin));
  u.drop(Cap::kSysResource);
  EXPECT_FALSE(u.capable(Cap::kSysResource));
  EXPECT_EQ(u.caps, 0u);
  u.grant(Cap::kLinuxImmutable);
  EXPECT_EQ(u.caps, uint64_t{1} << 9);  // CAP_LINUX_IMMUTABLE is bit 9.
}

TEST(CredsTest, Groups) {
  Creds u = Creds::user(1000, 100);
  u.groups = {200, 300};
  EXPECT_TRUE(u.in_group(100));
  EXPECT_TRUE(u.in_group(300));
  EXPECT_FALSE(u.in_group(400));
}

}  // namespace
}  // namespace vfssim
