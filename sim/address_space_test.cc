#include "sim/address_space.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/testing/bytes.h"

namespace vfssim {
namespace {

// An object of `pages` pages; pages at or past `eof` fault with SIGBUS.
class FakeObject : public VmOps {
 public:
  explicit FakeObject(uint64_t eof) : eof_(eof) {
    for (uint64_t i = 0; i < 8; ++i) {
      pages_.push_back(std::make_shared<RamPage::Bytes>());
      pages_.back()->fill(std::byte(0x10 + i));
    }
  }
  FaultResult fault(Vma&, uint64_t pgoff, bool) override {
    ++faults;
    if (pgoff >= eof_) return {nullptr, kSIGBUS, kBUS_ADRERR};
    return {std::make_shared<RamPage>(pages_[pgoff]), 0, 0};
  }
  FaultResult page_mkwrite(Vma&, uint64_t) override {
    ++mkwrites;
    return {};
  }
  void open(Vma&) override { ++opens; }
  void close(Vma&) override { ++closes; }

  std::vector<std::shared_ptr<RamPage::Bytes>> pages_;
  uint64_t eof_;
  int faults = 0, mkwrites = 0, opens = 0, closes = 0;
};

TEST(AddressSpace, SharedStoreReachesTheObjectAfterMkwrite) {
  FakeObject obj(4);
  AddressSpace as;
  uint64_t a = *as.map(0, 4 * 4096, kProtRead | kProtWrite, true, &obj, 0, nullptr);
  std::vector<std::byte> b(2);
  EXPECT_EQ(as.load(a + 4096, b), std::nullopt);
  EXPECT_EQ(b, fill(2, 0x11));
  EXPECT_EQ(obj.mkwrites, 0);
  EXPECT_EQ(as.store(a + 4096, fill(2, 0xee)), std::nullopt);
  EXPECT_EQ(obj.mkwrites, 1);
  EXPECT_EQ((*obj.pages_[1])[0], std::byte{0xee});
  EXPECT_EQ(as.store(a + 4097, fill(1, 0xef)), std::nullopt);
  EXPECT_EQ(obj.mkwrites, 1);  // Already writable.
  EXPECT_EQ(obj.faults, 1);
}

TEST(AddressSpace, PrivateMappingCopiesOnWriteAndSwaps) {
  FakeObject obj(4);
  AddressSpace as;
  uint64_t a = *as.map(0, 4096, kProtRead | kProtWrite, false, &obj, 2, nullptr);
  EXPECT_EQ(as.store(a, fill(1, 0xaa)), std::nullopt);
  EXPECT_EQ((*obj.pages_[2])[0], std::byte{0x12});  // The object is untouched.
  EXPECT_EQ(obj.mkwrites, 0);
  ASSERT_TRUE(as.swap_out(a));
  EXPECT_EQ(as.page_state(a), 's');
  std::vector<std::byte> b(2);
  EXPECT_EQ(as.load(a, b), std::nullopt);
  EXPECT_EQ(b, (std::vector<std::byte>{std::byte{0xaa}, std::byte{0x12}}));
  EXPECT_EQ(as.page_state(a), 'r');
}

TEST(AddressSpace, SignalsCarryTheAddress) {
  FakeObject obj(1);
  AddressSpace as;
  uint64_t a = *as.map(0, 2 * 4096, kProtRead, true, &obj, 0, nullptr);
  std::vector<std::byte> b(10);
  EXPECT_EQ(as.load(a + 4096 - 5, b), (Siginfo{kSIGBUS, kBUS_ADRERR, a + 4096}));  // Past EOF.
  EXPECT_EQ(as.store(a, fill(1, 1)), (Siginfo{kSIGSEGV, kSEGV_ACCERR, a}));       // Read-only.
  EXPECT_EQ(as.load(a + 3 * 4096, b), (Siginfo{kSIGSEGV, kSEGV_MAPERR, a + 3 * 4096}));
}

// Ranges that run past the top of user memory (tests/crash_audit_test.cc):
// an unmap whose end wrapped below its start erased a page-table range
// backwards; protect walked a huge range page by page.
TEST(AddressSpace, RangesPastTaskSizeAreRefused) {
  AddressSpace as;
  const uint64_t at = *as.map(0, 8192, kProtRead | kProtWrite, false, nullptr, 0, nullptr);
  EXPECT_EQ(as.unmap(at, UINT64_MAX - 8191), Errno::kEINVAL);
  EXPECT_EQ(as.unmap(at, kTaskSize), Errno::kEINVAL);
  EXPECT_EQ(as.protect(at, 1ull << 62, kProtRead), Errno::kENOMEM);
  EXPECT_EQ(as.protect(at, UINT64_MAX - 8191, kProtRead), Errno::kENOMEM);
  EXPECT_EQ(as.map(kTaskSize, 4096, kProtRead, false, nullptr, 0, nullptr).error(), Errno::kENOMEM);
  EXPECT_EQ(as.map(0, kTaskSize + 4096, kProtRead, false, nullptr, 0, nullptr).error(),
            Errno::kENOMEM);
  EXPECT_EQ(as.protect(at, 8192, kProtRead), Errno::kOk);
  EXPECT_EQ(as.unmap(at, 8192), Errno::kOk);
}

TEST(AddressSpace, MunmapSplitsAndOpensAndCloses) {
  FakeObject obj(8);
  AddressSpace as;
  uint64_t a = *as.map(0, 8 * 4096, kProtRead, true, &obj, 0, nullptr);
  ASSERT_EQ(as.unmap(a + 2 * 4096, 2 * 4096), Errno::kOk);
  EXPECT_EQ(as.vmas().size(), 2u);
  EXPECT_EQ(obj.opens, 2);   // Two splits, each opening the new piece.
  EXPECT_EQ(obj.closes, 1);  // The removed middle.
  const Vma& tail = as.vmas().rbegin()->second;
  EXPECT_EQ(tail.start, a + 4 * 4096);
  EXPECT_EQ(tail.pgoff, 4u);
  std::vector<std::byte> b(1);
  EXPECT_EQ(as.load(a + 4 * 4096, b), std::nullopt);
  EXPECT_EQ(b[0], std::byte{0x14});
  EXPECT_EQ(as.load(a + 2 * 4096, b)->signo, kSIGSEGV);
  EXPECT_EQ(as.unmap(a + 1, 4096), Errno::kEINVAL);
}

TEST(AddressSpace, ZapDropsFilePagesButKeepsPrivateCopies) {
  FakeObject obj(4);
  auto object = std::make_shared<int>(0);
  AddressSpace as;
  uint64_t a = *as.map(0, 2 * 4096, kProtRead | kProtWrite, false, &obj, 0, object);
  std::vector<std::byte> b(1);
  ASSERT_EQ(as.load(a, b), std::nullopt);
  ASSERT_EQ(as.store(a + 4096, fill(1, 0x99)), std::nullopt);
  as.zap(object.get(), 0, 3);
  EXPECT_EQ(as.page_state(a), '-');
  EXPECT_EQ(as.page_state(a + 4096), 'r');
}

// The last page translated is cached (a one-entry TLB): every change of
// mapping, protection or residency after it is still seen by the next
// access to that page.
TEST(AddressSpace, TheCachedTranslationFollowsEveryChangeToThePage) {
  FakeObject obj(4);
  auto object = std::make_shared<int>(0);
  AddressSpace as;
  const uint64_t a = *as.map(0, 4096, kProtRead | kProtWrite, true, &obj, 0, object);
  std::vector<std::byte> b(1);
  ASSERT_EQ(as.load(a, b), std::nullopt);
  ASSERT_EQ(as.load(a, b), std::nullopt);  // Through the cached entry.
  // Write protection: the cached entry is read-only, a store faults in
  // page_mkwrite, then takes it.
  ASSERT_EQ(as.store(a, fill(1, 0x55)), std::nullopt);
  EXPECT_EQ(obj.mkwrites, 1);
  ASSERT_EQ(as.protect(a, 4096, kProtRead), Errno::kOk);
  EXPECT_EQ(as.store(a, fill(1, 0x66)), (Siginfo{kSIGSEGV, kSEGV_ACCERR, a}));
  ASSERT_EQ(as.protect(a, 4096, kProtRead | kProtWrite), Errno::kOk);
  ASSERT_EQ(as.store(a, fill(1, 0x77)), std::nullopt);
  EXPECT_EQ(obj.mkwrites, 2);  // protect dropped the PTE's write bit.
  EXPECT_EQ((*obj.pages_[0])[0], std::byte{0x77});
  // Zapped: the next access faults the object's page in again.
  const int faults = obj.faults;
  as.zap(object.get(), 0, 0);
  ASSERT_EQ(as.load(a, b), std::nullopt);
  EXPECT_EQ(obj.faults, faults + 1);
  // Unmapped, then the address reused for anonymous memory.
  ASSERT_EQ(as.unmap(a, 4096), Errno::kOk);
  EXPECT_EQ(as.load(a, b), (Siginfo{kSIGSEGV, kSEGV_MAPERR, a}));
  ASSERT_EQ(*as.map(a, 4096, kProtRead | kProtWrite, false, nullptr, 0, nullptr), a);
  ASSERT_EQ(as.load(a, b), std::nullopt);
  EXPECT_EQ(b[0], std::byte{0});
  // Swapped out and back: the bytes survive.
  ASSERT_EQ(as.store(a, fill(1, 0x42)), std::nullopt);
  ASSERT_TRUE(as.swap_out(a));
  ASSERT_EQ(as.load(a, b), std::nullopt);
  EXPECT_EQ(b[0], std::byte{0x42});
  ASSERT_TRUE(as.evict(a));
  EXPECT_EQ(as.page_state(a), 's');
}

// The kernel's copies of user memory: a prefix up to the first page they
// cannot use; with faults disabled only resident entries count.
TEST(AddressSpace, CopiesProbesAndFaultInForTheCopyLayer) {
  FakeObject obj(4);
  auto object = std::make_shared<int>(0);
  AddressSpace as;
  const uint64_t f = *as.map(0, 2 * 4096, kProtRead | kProtWrite, true, &obj, 0, object);
  EXPECT_EQ(as.probe(f, false), PageAccess::kSoft);  // File page not faulted in.
  std::vector<std::byte> b(6000);
  EXPECT_EQ(as.copy_in(f, b, /*may_fault=*/false), 0u);
  EXPECT_EQ(obj.faults, 0);
  EXPECT_EQ(as.copy_in(f, b, /*may_fault=*/true), 6000u);
  EXPECT_EQ(obj.faults, 2);
  EXPECT_EQ(as.probe(f, false), PageAccess::kResident);
  EXPECT_EQ(as.probe(f, true), PageAccess::kSoft);  // Read-only until page_mkwrite.
  EXPECT_EQ(as.fault_in_range(f, 100, /*write=*/true), 100u);
  EXPECT_EQ(obj.mkwrites, 1);
  EXPECT_EQ(as.probe(f, true), PageAccess::kResident);
  // evict drops the file page's entry; the next access faults it again.
  EXPECT_TRUE(as.evict(f));
  EXPECT_EQ(as.probe(f, false), PageAccess::kSoft);
  // Hard: no VMA, or the protection is missing.
  EXPECT_EQ(as.probe(f + 3 * 4096, false), PageAccess::kHard);
  const uint64_t a = *as.map(0, 2 * 4096, kProtRead | kProtWrite, false, nullptr, 0, nullptr);
  ASSERT_EQ(as.store(a, fill(8192, 1)), std::nullopt);
  ASSERT_EQ(as.protect(a + 4096, 4096, kProtRead), Errno::kOk);
  EXPECT_EQ(as.probe(a + 4096, true), PageAccess::kHard);
  EXPECT_EQ(as.copy_out(a + 4000, fill(200, 2), true), 96u);
  EXPECT_EQ(as.fault_in_range(a, 8192, /*write=*/true), 4096u);
  EXPECT_EQ(as.protect(a + 4096, 3 * 4096, kProtRead), Errno::kENOMEM);
  EXPECT_TRUE(as.evict(a));  // Anonymous: to swap.
  EXPECT_EQ(as.page_state(a), 's');
  EXPECT_EQ(as.copy_in(a, std::span(b).first(10), true), 10u);
  EXPECT_EQ(as.page_state(a), 'r');
  EXPECT_TRUE(access_ok(kTaskSize - 10, 10));
  EXPECT_FALSE(access_ok(kTaskSize - 10, 11));
  EXPECT_FALSE(access_ok(~0ull, 2));
  as.unmap(f, 2 * 4096);
}

}  // namespace
}  // namespace vfssim
