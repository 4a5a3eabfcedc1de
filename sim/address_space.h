// AddressSpace: a simulated process's user memory — VMAs, and page-table
// entries pointing at physical pages (Linux's mm_struct, vm_area_struct and
// the page tables, reduced to what file mappings need).
//
// Loads and stores go through the page table; a missing or read-only entry
// faults into the VMA's VmOps (fault, page_mkwrite), exactly once per page
// and access. A fault that cannot be satisfied becomes a simulated signal
// (SIGBUS with the address, or SIGSEGV) returned to the caller; the
// simulator itself never crashes on a bad access.
//
//   AddressSpace as(machine_trace);
//   uint64_t addr = *as.map(0, 8192, kProtRead | kProtWrite, kMapShared, ops, pgoff);
//   std::optional<Siginfo> sig = as.store(addr + 10, bytes);
//
// Private mappings copy on write: the first store to a page copies it into
// an anonymous page owned by this address space, which can then be swapped
// out and back (swap_out) without the file seeing it.

#ifndef VFSSIM_SIM_ADDRESS_SPACE_H_
#define VFSSIM_SIM_ADDRESS_SPACE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "absl/container/btree_map.h"
#include "sim/errno.h"
#include "sim/page_memory.h"

namespace vfssim {

inline constexpr uint64_t kUserPageSize = 4096;
static_assert(kUserPageSize == kMemPageSize);

// TASK_SIZE_MAX on x86-64: user addresses lie below it. access_ok() is the
// kernel's cheap range check before any copy: [addr, addr+len) must not
// wrap and must end at or below it.
inline constexpr uint64_t kTaskSize = 0x00007ffffffff000ull;
inline bool access_ok(uint64_t addr, uint64_t len) {
  return len <= kTaskSize && addr <= kTaskSize - len;
}

// Protections and mapping kinds (PROT_*, MAP_SHARED/MAP_PRIVATE).
inline constexpr int kProtNone = 0x0;
inline constexpr int kProtRead = 0x1;
inline constexpr int kProtWrite = 0x2;
inline constexpr int kProtExec = 0x4;

// Signals the simulator delivers (x86-64 numbers), with si_code values.
inline constexpr int kSIGBUS = 7;
inline constexpr int kSIGKILL = 9;
inline constexpr int kSI_KERNEL = 0x80;  // si_code of a signal the kernel sent.
inline constexpr int kSIGSEGV = 11;
inline constexpr int kBUS_ADRERR = 2;     // Nonexistent physical address (past EOF).
inline constexpr int kBUS_MCEERR_AR = 4;  // Hardware memory error consumed.
inline constexpr int kSEGV_MAPERR = 1;    // Address not mapped.
inline constexpr int kSEGV_ACCERR = 2;    // Access not permitted.

// Siginfo is a delivered signal: number, code and faulting address.
struct Siginfo {
  int signo = 0;
  int code = 0;
  uint64_t addr = 0;
  bool operator==(const Siginfo&) const = default;
};

// PhysPage is what a page-table entry points at: memory (a page-cache or
// anonymous page) or device memory (a DAX pmem page).
class PhysPage {
 public:
  virtual ~PhysPage() = default;
  // load copies dst.size() bytes at `off` in the page; returns the bytes
  // NOT copied (a machine check stopped it; 0 = all copied).
  virtual uint64_t load(uint64_t off, std::span<std::byte> dst) = 0;
  virtual void store(uint64_t off, std::span<const std::byte> src) = 0;
};

// RamPage is ordinary memory, shared with its owner (the page cache keeps
// the same bytes; a mapping holding a reference keeps them alive).
class RamPage : public PhysPage {
 public:
  using Bytes = PageBytes;
  explicit RamPage(std::shared_ptr<Bytes> bytes) : bytes_(std::move(bytes)) {}
  uint64_t load(uint64_t off, std::span<std::byte> dst) override;
  void store(uint64_t off, std::span<const std::byte> src) override;
  const std::shared_ptr<Bytes>& bytes() const { return bytes_; }

 private:
  std::shared_ptr<Bytes> bytes_;
};

struct Vma;
class AddressSpace;

// FaultResult: a page to map, or the signal the fault ends in.
struct FaultResult {
  std::shared_ptr<PhysPage> page;  // Set on success.
  int signo = 0;                   // kSIGBUS or kSIGSEGV on failure.
  int code = 0;
};

// VmOps is what a mapped object does on faults and VMA lifetime events
// (struct vm_operations_struct). All get the VMA; pgoff is the page offset
// in the object.
class VmOps {
 public:
  virtual ~VmOps() = default;
  // fault returns the page backing `pgoff` for a load (write=false) or, for
  // a shared mapping, a store (write=true, after page_mkwrite succeeded).
  virtual FaultResult fault(Vma& vma, uint64_t pgoff, bool write) = 0;
  // page_mkwrite is told a clean shared page is about to be written: the
  // object reserves space and dirties it. Returns a signal on failure; a
  // page in the result replaces the mapped one (a DAX zero page becomes a
  // real pmem page).
  virtual FaultResult page_mkwrite(Vma& vma, uint64_t pgoff) = 0;
  // open runs when a VMA comes into being by split or copy; close when one
  // goes away (munmap, or the address space ends).
  virtual void open(Vma&) {}
  virtual void close(Vma&) {}
  // server is whoever resolves faults on this VMA (a filesystem), or
  // nullptr when the VM resolves them alone (anonymous memory). MINIX
  // safecopy without CPF_TRY asks it to detect the seed-003 deadlock: the
  // fault would need a server that is itself blocked in the copy.
  virtual const void* server(const Vma&) const { return nullptr; }
  // writeback asks the object to make [pgoff, pgoff+npages) durable (msync
  // MS_SYNC). Errors: EIO.
  virtual Errno writeback(Vma&, uint64_t, uint64_t) { return Errno::kOk; }
};

// PageAccess is what a copy of user memory meets at one page.
enum class PageAccess : uint8_t {
  // Mapped with the needed permission: a copy goes straight through, even
  // with page faults disabled.
  kResident,
  // Resolvable by the VM: a swapped-out anonymous page, an anonymous page
  // never touched, a file page not yet faulted in, or a store to a
  // read-only entry of a writable VMA (copy on write, page_mkwrite).
  kSoft,
  // No VMA, or one without the needed protection: the copy stops here.
  kHard,
};

// Vma is one mapping [start, end) of an object at page offset pgoff.
struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;
  int prot = 0;
  bool shared = false;
  uint64_t pgoff = 0;
  VmOps* ops = nullptr;
  std::shared_ptr<void> object;  // The mapped object (an inode), kept alive.
  AddressSpace* mm = nullptr;    // The address space this VMA is in.
  // The open file the mapping was made through (vm_file), kept alive for
  // the ops (msync syncs through it); the address space never looks at it.
  std::shared_ptr<void> file;
};

class AddressSpace {
 public:
  AddressSpace() = default;
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  // map creates a VMA of `len` bytes (rounded up to pages) at `addr`, or
  // anywhere free when addr is 0 (a fixed address replaces what was there).
  // Returns the start. Errors: EINVAL addr or len bad; ENOMEM no room, or
  // the range would not end at or below kTaskSize.
  Result<uint64_t> map(uint64_t addr, uint64_t len, int prot, bool shared, VmOps* ops,
                       uint64_t pgoff, std::shared_ptr<void> object);

  // unmap removes [addr, addr+len) (pages), splitting VMAs at its edges
  // (the new piece gets ops->open) and closing the removed parts.
  // Errors: EINVAL addr not page-aligned, len == 0, or the range not below
  // kTaskSize (a length that would wrap).
  Errno unmap(uint64_t addr, uint64_t len);

  // protect sets the protection of [addr, addr+len) (pages), splitting
  // VMAs at its edges (mprotect's effect); entries lose write permission
  // when PROT_WRITE goes. Errors: EINVAL addr not page-aligned; ENOMEM part
  // of the range is not mapped (a range past kTaskSize never is).
  Errno protect(uint64_t addr, uint64_t len, int prot);

  // load/store move bytes through the page tables, faulting as needed.
  // Returns the signal that stopped the access, or nullopt when it all
  // completed. Bytes before the faulting page were moved.
  std::optional<Siginfo> load(uint64_t addr, std::span<std::byte> dst);
  std::optional<Siginfo> store(uint64_t addr, std::span<const std::byte> src);

  // copy_in copies user bytes [addr, addr+dst.size()) into dst (the
  // kernel's copy_from_user); copy_out copies src to user memory at addr
  // (copy_to_user). With may_fault, soft pages are faulted in on the way, as
  // a copy with page faults enabled; without (pagefault_disable, the
  // "atomic" copy), the copy stops at the first page that is not resident.
  // Either stops at a hard page or a fault the object cannot satisfy.
  // Returns the bytes copied, always a prefix; nothing past it is touched.
  // No signal is delivered: the caller turns a short copy into EFAULT.
  uint64_t copy_in(uint64_t addr, std::span<std::byte> dst, bool may_fault);
  uint64_t copy_out(uint64_t addr, std::span<const std::byte> src, bool may_fault);

  // probe says what an access to the page holding addr would meet.
  PageAccess probe(uint64_t addr, bool write);

  // fault_in_range resolves the soft faults of [addr, addr+len) for a load
  // (write=false) or a store, as fault_in_readable/fault_in_writeable do.
  // Returns the bytes from addr that are now resident, stopping at the
  // first hard page or failed fault (Linux returns the complement).
  uint64_t fault_in_range(uint64_t addr, uint64_t len, bool write);

  // fault_server is the VmOps::server of the VMA holding addr (nullptr for
  // anonymous memory or no VMA).
  const void* fault_server(uint64_t addr);

  // evict makes the page holding addr non-resident, as reclaim would: an
  // anonymous page goes to swap, a file page loses its page-table entry
  // (the next access faults it in again). Returns false if none was
  // resident.
  bool evict(uint64_t addr);

  // zap drops the page-table entries of object page range [first, last] in
  // every VMA mapping `ops`'s object `object` (unmap_mapping_range's effect
  // on one address space).
  void zap(const void* object, uint64_t first, uint64_t last);

  // swap_out moves the anonymous (copied-on-write) page at addr to swap.
  // Returns false if there is none resident there.
  bool swap_out(uint64_t addr);

  // page_state: 'r' resident, 's' swapped (anonymous), '-' unmapped.
  char page_state(uint64_t addr) const;

  // owner is for the layer above: the VFS keeps its per-process page
  // mapper here so VmOps can find it from a VMA.
  void* owner = nullptr;

  // vmas lists the VMAs, by start address.
  const absl::btree_map<uint64_t, Vma>& vmas() const { return vmas_; }
  Vma* find_vma(uint64_t addr);

 private:
  struct Pte {
    std::shared_ptr<PhysPage> page;  // Null when swapped.
    bool writable = false;
    bool anon = false;  // A private copy owned here.
    UniquePage swapped;
  };

  // access moves bytes page by page (faulting soft pages in only with
  // may_fault); *done receives the bytes moved before the signal (or the
  // non-resident page) that stopped it.
  std::optional<Siginfo> access(uint64_t addr, size_t len, bool write, std::span<std::byte> dst,
                                std::span<const std::byte> src, bool may_fault, uint64_t* done);
  // resident_pte returns the entry for page_addr if an access can use it
  // without faulting, else nullptr.
  Pte* resident_pte(uint64_t page_addr, bool write);
  // fault_in makes the PTE for page `page_addr` usable for the access and
  // points *out at it.
  std::optional<Siginfo> fault_in(Vma& vma, uint64_t page_addr, bool write, uint64_t addr,
                                  Pte** out);
  void split(uint64_t at);

  // The last page `access` went through without a fault, with its VMA and
  // PTE: a one-entry TLB. What may change in place (the VMA's prot, the
  // PTE's page and writable bit) is checked on every use; the pointers
  // stay good until either map gains or loses an entry (a btree moves its
  // elements then), and every such change flushes the entry, as the
  // kernel flushes the TLB when it unmaps.
  struct TlbEntry {
    uint64_t page = UINT64_MAX;  // No page: UINT64_MAX is never page-aligned.
    Vma* vma = nullptr;
    Pte* pte = nullptr;
  };
  void flush_tlb() { tlb_ = {}; }

  absl::btree_map<uint64_t, Vma> vmas_;
  absl::btree_map<uint64_t, Pte> ptes_;
  TlbEntry tlb_;
  uint64_t next_addr_ = 0x7f0000000000ull;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_ADDRESS_SPACE_H_
