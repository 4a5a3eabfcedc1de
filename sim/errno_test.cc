#include "sim/errno.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

TEST(ErrnoTest, LinuxValues) {
  EXPECT_EQ(static_cast<int>(Errno::kEINVAL), 22);
  EXPECT_EQ(static_cast<int>(Errno::kEOPNOTSUPP), 95);
  EXPECT_EQ(static_cast<int>(Errno::kECANCELED), 125);
  EXPECT_EQ(static_cast<int>(Errno::kETXTBSY), 26);
  EXPECT_EQ(static_cast<int>(Errno::kEHWPOISON), 133);
}

TEST(ErrnoTest, NamesRoundTrip) {
  EXPECT_EQ(errno_name(Errno::kENOSPC), "ENOSPC");
  EXPECT_EQ(errno_name(Errno::kOk), "OK");
  EXPECT_EQ(errno_name(static_cast<Errno>(300)), "E?300");
  Errno e;
  ASSERT_TRUE(errno_from_name("EFBIG", &e));
  EXPECT_EQ(e, Errno::kEFBIG);
  ASSERT_TRUE(errno_from_name("kEIO", &e));
  EXPECT_EQ(e, Errno::kEIO);
  ASSERT_TRUE(errno_from_name("EWOULDBLOCK", &e));
  EXPECT_EQ(e, Errno::kEAGAIN);
  EXPECT_FALSE(errno_from_name("EBOGUS", &e));
}

TEST(ErrnoTest, ResultAndIoResult) {
  Result<int> ok = 5;
  Result<int> bad = Fail(Errno::kEIO);
  EXPECT_EQ(*ok, 5);
  EXPECT_EQ(bad.error(), Errno::kEIO);
  IoResult partial{4096, Errno::kENOSPC};
  EXPECT_FALSE(partial.ok());
  EXPECT_EQ((IoResult{4096, Errno::kENOSPC}), partial);
  EXPECT_TRUE(IoResult{}.ok());
}

}  // namespace
}  // namespace vfssim
