#include "sim/grant.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "nlohmann/json.hpp"
#include "sim/address_space.h"
#include "sim/machine.h"

namespace vfssim {
namespace {

// A mapped object whose faults a named server resolves.
class ServedObject : public VmOps {
 public:
  explicit ServedObject(const void* server) : server_(server) {
    page_->fill(std::byte{0x5a});
  }
  FaultResult fault(Vma&, uint64_t, bool) override {
    ++faults;
    return {std::make_shared<RamPage>(page_), 0, 0};
  }
  FaultResult page_mkwrite(Vma&, uint64_t) override { return {}; }
  const void* server(const Vma&) const override { return server_; }
  int faults = 0;

 private:
  const void* server_;
  std::shared_ptr<RamPage::Bytes> page_ = std::make_shared<RamPage::Bytes>();
};

// traced: some trace record is of `kind`.
bool traced(const Machine& m, std::string_view kind) {
  const auto& r = m.trace.records();
  return std::any_of(r.begin(), r.end(), [&](const std::string& line) {
    return nlohmann::json::parse(line)["kind"] == kind;
  });
}

class GrantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    buf = *mm.map(0, 2 * kUserPageSize, kProtRead | kProtWrite, false, nullptr, 0, nullptr);
    const std::vector<std::byte> init(2 * kUserPageSize, std::byte{7});
    ASSERT_FALSE(mm.store(buf, init));  // Both pages resident.
  }
  Machine m{1};
  AddressSpace mm;
  GrantTable grants{m};
  uint64_t buf = 0;
  std::vector<std::byte> out = std::vector<std::byte>(64);
};

TEST_F(GrantTest, CopiesBothWaysWithinAccessAndRange) {
  GrantId g = *grants.grant_direct(mm, buf, 8192, kCPF_READ | kCPF_WRITE);
  const std::vector<std::byte> in(64, std::byte{9});
  EXPECT_EQ(grants.safecopy_to(g, 100, in, nullptr), (IoResult{64, Errno::kOk}));
  EXPECT_EQ(grants.safecopy_from(g, 100, out, nullptr), (IoResult{64, Errno::kOk}));
  EXPECT_EQ(out, in);
  // Outside the grant, or past it: EINVAL, nothing copied.
  EXPECT_EQ(grants.safecopy_from(g, 8192 - 10, out, nullptr).err, Errno::kEINVAL);
  GrantId ro = *grants.grant_magic(mm, buf, 8192, kCPF_READ);
  EXPECT_EQ(grants.safecopy_to(ro, 0, in, nullptr), (IoResult{0, Errno::kEPERM}));
  EXPECT_EQ(grants.grant_direct(mm, buf, 1, 0).error(), Errno::kEINVAL);
}

TEST_F(GrantTest, RevokedSlotsAreReusedUnderANewGeneration) {
  GrantId a = *grants.grant_magic(mm, buf, 4096, kCPF_READ);
  ASSERT_TRUE(grants.revoke(a).has_value());
  GrantId b = *grants.grant_magic(mm, buf, 4096, kCPF_READ);
  EXPECT_NE(a, b);
  EXPECT_EQ(static_cast<uint32_t>(a), static_cast<uint32_t>(b));  // Same slot.
  EXPECT_EQ(grants.slots(), 1u);
  // The old identifier is dead: no copy, no revoke.
  EXPECT_EQ(grants.safecopy_from(a, 0, out, nullptr).err, Errno::kEPERM);
  EXPECT_EQ(grants.revoke(a).error(), Errno::kEPERM);
}

TEST_F(GrantTest, TrySoftFaultFailsWithEfaultAndMarksTheGrant) {
  ASSERT_TRUE(mm.swap_out(buf + kUserPageSize));  // Page 1: soft.
  GrantId g = *grants.grant_magic(mm, buf, 8192, kCPF_READ | kCPF_TRY);
  std::vector<std::byte> big(8192);
  EXPECT_EQ(grants.safecopy_from(g, 0, big, nullptr), (IoResult{4096, Errno::kEFAULT}));
  EXPECT_EQ(mm.page_state(buf + kUserPageSize), 's');  // The kernel did not resolve it.
  EXPECT_TRUE(grants.marked(g));
  EXPECT_TRUE(traced(m, "safecopy-softfault"));
  EXPECT_EQ(grants.marks(), 1u);
  EXPECT_EQ(grants.revoke(g), true);
}

TEST_F(GrantTest, WithoutTryTheKernelResolvesASoftFaultInline) {
  ASSERT_TRUE(mm.swap_out(buf + kUserPageSize));
  GrantId g = *grants.grant_magic(mm, buf, 8192, kCPF_READ);
  std::vector<std::byte> big(8192);
  EXPECT_EQ(grants.safecopy_from(g, 0, big, nullptr), (IoResult{8192, Errno::kOk}));
  EXPECT_EQ(big, std::vector<std::byte>(8192, std::byte{7}));
  EXPECT_EQ(grants.revoke(g), false);
}

// A direct grant (the granter's own memory) carries CPF_TRY the same way.
TEST_F(GrantTest, DirectGrantsTakeTryToo) {
  ASSERT_TRUE(mm.swap_out(buf));
  GrantId g = *grants.grant_direct(mm, buf, 4096, kCPF_WRITE | kCPF_TRY);
  EXPECT_EQ(grants.safecopy_to(g, 0, out, nullptr), (IoResult{0, Errno::kEFAULT}));
  EXPECT_EQ(grants.revoke(g), true);
  GrantId plain = *grants.grant_direct(mm, buf, 4096, kCPF_WRITE);
  EXPECT_EQ(grants.safecopy_to(plain, 0, out, nullptr), (IoResult{64, Errno::kOk}));
}

TEST_F(GrantTest, HardFaultStopsTheCopyWithoutAMark) {
  ASSERT_EQ(mm.unmap(buf + kUserPageSize, kUserPageSize), Errno::kOk);
  GrantId g = *grants.grant_magic(mm, buf, 8192, kCPF_WRITE | kCPF_TRY);
  const std::vector<std::byte> in(8192, std::byte{1});
  EXPECT_EQ(grants.safecopy_to(g, 4000, std::span(in).first(200), nullptr),
            (IoResult{96, Errno::kEFAULT}));
  EXPECT_EQ(grants.revoke(g), false);
}

TEST_F(GrantTest, IndirectChainsMarkTheOriginalGrant) {
  ASSERT_TRUE(mm.swap_out(buf));
  GrantId orig = *grants.grant_magic(mm, buf, 8192, kCPF_READ | kCPF_TRY);
  // "Indirect grants should not have CPF_TRY set."
  EXPECT_EQ(grants.grant_indirect(orig, 0, 4096, kCPF_READ | kCPF_TRY).error(), Errno::kEINVAL);
  EXPECT_EQ(grants.grant_indirect(orig, 0, 4096, kCPF_WRITE).error(), Errno::kEPERM);
  GrantId mid = *grants.grant_indirect(orig, 0, 8192, kCPF_READ);
  GrantId leaf = *grants.grant_indirect(mid, 100, 1000, kCPF_READ);
  EXPECT_EQ(grants.safecopy_from(leaf, 0, out, nullptr), (IoResult{0, Errno::kEFAULT}));
  EXPECT_TRUE(grants.marked(orig));
  EXPECT_FALSE(grants.marked(mid));
  EXPECT_FALSE(grants.marked(leaf));
  EXPECT_EQ(grants.revoke(leaf), false);
  EXPECT_EQ(grants.revoke(orig), true);
}

TEST_F(GrantTest, AStaleMarkFromAReusedSlotIsDiscarded) {
  GrantId old = *grants.grant_magic(mm, buf, 4096, kCPF_READ | kCPF_TRY);
  ASSERT_EQ(grants.revoke(old), false);
  GrantId now = *grants.grant_magic(mm, buf, 4096, kCPF_READ | kCPF_TRY);
  ASSERT_EQ(static_cast<uint32_t>(now), static_cast<uint32_t>(old));
  grants.late_mark(old);  // The kernel's store for the old use lands late.
  EXPECT_FALSE(grants.marked(now));
  EXPECT_EQ(grants.revoke(now), false);
}

TEST_F(GrantTest, ResolvingAFaultThatNeedsTheCopyingServerIsADetectedDeadlock) {
  int fs = 0, other = 0;
  ServedObject obj(&fs);
  const uint64_t map = *mm.map(0, 4096, kProtRead | kProtWrite, true, &obj, 0, nullptr);
  GrantId g = *grants.grant_magic(mm, map, 4096, kCPF_READ);
  EXPECT_EQ(grants.safecopy_from(g, 0, out, &fs), (IoResult{0, Errno::kEDEADLK}));
  EXPECT_EQ(obj.faults, 0);
  EXPECT_TRUE(traced(m, "safecopy-deadlock"));
  EXPECT_EQ(grants.deadlocks(), 1u);
  // Another server's copy can have the fault resolved through the VM.
  EXPECT_EQ(grants.safecopy_from(g, 0, out, &other), (IoResult{64, Errno::kOk}));
  EXPECT_EQ(obj.faults, 1);
  EXPECT_EQ(out, std::vector<std::byte>(64, std::byte{0x5a}));
  mm.unmap(map, 4096);  // Before obj goes.
}

TEST_F(GrantTest, TheSoftfaultPointEvictsThePageAboutToBeCopied) {
  ASSERT_EQ(m.faults.arm("safecopy/softfault", FaultPlan::nth(2)), Errno::kOk);
  GrantId g = *grants.grant_magic(mm, buf, 8192, kCPF_READ | kCPF_TRY);
  std::vector<std::byte> big(8192);
  EXPECT_EQ(grants.safecopy_from(g, 0, big, nullptr), (IoResult{4096, Errno::kEFAULT}));
  EXPECT_EQ(mm.page_state(buf + kUserPageSize), 's');
  EXPECT_TRUE(grants.marked(g));
}

}  // namespace
}  // namespace vfssim
