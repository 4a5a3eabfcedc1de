#include "vfs/kiocb.h"

#include <gtest/gtest.h>

namespace vfssim {
namespace {

// Linux open flags, RWF_* and FreeBSD's ioflag are different types: an
// O_WRONLY descriptor (O_WRONLY == RWF_HIPRI == 1) asks nothing of a VOP.
TEST(KiocbTest, OpenFlagsNeverBecomeRwfOrIoflagBits) {
  EXPECT_TRUE(iocb_flags(kO_WRONLY).empty());
  EXPECT_TRUE(iocb_flags(kO_RDWR | kO_CREAT | kO_TRUNC).empty());
  EXPECT_TRUE(get_write_ioflag(kO_WRONLY).empty());
  // include/linux/fs.h iocb_flags().
  EXPECT_EQ(iocb_flags(kO_SYNC), IocbFlags(IocbFlag::kDsync) | IocbFlag::kSync);
  EXPECT_EQ(iocb_flags(kO_DSYNC), IocbFlags(IocbFlag::kDsync));
  EXPECT_EQ(iocb_flags(kO_APPEND | kO_DIRECT), IocbFlags(IocbFlag::kAppend) | IocbFlag::kDirect);
  // FreeBSD get_write_ioflag(): O_DSYNC sets IO_SYNC and IO_DATASYNC.
  EXPECT_EQ(get_write_ioflag(kO_SYNC), IoFlags(IoFlag::kSync));
  EXPECT_EQ(get_write_ioflag(kO_DSYNC), IoFlags(IoFlag::kSync) | IoFlag::kDataSync);
  EXPECT_EQ(get_write_ioflag(kO_DIRECT), IoFlags(IoFlag::kDirect));
  const Kiocb k = kiocb_from_ioflag(7, IoFlags(IoFlag::kSync) | IoFlag::kDataSync);
  EXPECT_EQ(k.pos, 7);
  EXPECT_EQ(k.flags, IocbFlags(IocbFlag::kDsync));
  EXPECT_EQ(kiocb_from_ioflag(0, IoFlag::kSync).flags,
            IocbFlags(IocbFlag::kDsync) | IocbFlag::kSync);
  EXPECT_TRUE(kiocb_from_ioflag(0, IoFlag::kDirect).flags.empty());  // A hint only.
}

// kiocb_set_rw_flags in Linux 6.18's order (include/linux/fs.h).
TEST(KiocbTest, RwfFlagsCheckedInLinuxOrder) {
  Kiocb k;
  EXPECT_EQ(kiocb_set_rw_flags(k, 0x200 | kRWF_APPEND | kRWF_NOAPPEND, {.nowait = true}),
            Errno::kEOPNOTSUPP);  // An unknown bit first.
  EXPECT_EQ(kiocb_set_rw_flags(k, kRWF_APPEND | kRWF_NOAPPEND | kRWF_NOWAIT, {}),
            Errno::kEINVAL);  // Then APPEND with NOAPPEND, before NOWAIT.
  EXPECT_EQ(kiocb_set_rw_flags(k, kRWF_NOWAIT, {}), Errno::kEOPNOTSUPP);
  EXPECT_EQ(kiocb_set_rw_flags(k, kRWF_ATOMIC, {.nowait = true, .dontcache = true}),
            Errno::kEOPNOTSUPP);
  EXPECT_EQ(kiocb_set_rw_flags(k, kRWF_DONTCACHE, {}), Errno::kEOPNOTSUPP);
  ASSERT_EQ(kiocb_set_rw_flags(k, kRWF_DONTCACHE | kRWF_NOSIGNAL, {.dontcache = true}),
            Errno::kOk);
  EXPECT_EQ(k.flags, IocbFlags(IocbFlag::kDontcache));
  Kiocb app{.flags = IocbFlag::kAppend};
  EXPECT_EQ(kiocb_set_rw_flags(app, kRWF_NOAPPEND, {.append_only = true}), Errno::kEPERM);
  EXPECT_EQ(kiocb_set_rw_flags(app, kRWF_NOAPPEND, {}), Errno::kOk);
  EXPECT_FALSE(app.flags.has(IocbFlag::kAppend));
  Kiocb s;
  ASSERT_EQ(kiocb_set_rw_flags(s, kRWF_SYNC | kRWF_HIPRI, {}), Errno::kOk);
  EXPECT_EQ(s.flags, IocbFlags(IocbFlag::kSync) | IocbFlag::kDsync | IocbFlag::kHipri);
}

}  // namespace
}  // namespace vfssim
