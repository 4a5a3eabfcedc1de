#include "sim/variants.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace vfssim {
namespace {

// Keep sorted by name; variants_test checks it.
const std::array<VariantInfo, variant::kCount> kRegistry = {{
    {"dax.direct_access",
     {"partial", "whole"},
     "seed 004 (the DAX poison discussion; dax_direct_access over a poisoned range): "
     "5.19 and later map the pages before the first poisoned one and answer EHWPOISON "
     "only when the request starts on poison outside recovery mode (partial); 5.15 fails "
     "the whole request with EIO when any page in it is poisoned (whole)"},
    {"safecopy.retry",
     {"on-mark", "on-efault"},
     "seed 003 (MINIX CPF_TRY): after a request on a file system mounted ipc=safecopy, VFS "
     "repeats it when the kernel marked the grant with its identifier on a soft fault, "
     "whatever the file system replied (on-mark), or only when the reply was EFAULT, the old "
     "behaviour that lets a partial count through as a short read(2) (on-efault)"},
    {"shm.dealloc_page_head",
     {"zero", "skip"},
     "seed 000's shm_deallocate excerpt: a range that starts on a page boundary and ends "
     "inside that page is zeroed (zero), or left untouched with r_len still set after a "
     "successful call, as the excerpt's `pistart != piend` condition does (skip)"},
    {"shm.dealloc_swapped_page",
     {"read", "skip"},
     "seed 000 (kib's review of shm_deallocate): a partially deallocated page that is "
     "swapped out is read back from swap before its range is zeroed (read), or a fresh "
     "page shadows it and its bytes outside the range are lost (skip)"},
    {"zeroinit",
     {"off", "on"},
     "seed 004's FALLOC_FL_ZEROINIT_RANGE prototype (patches 3-5/5): off, its mode bit is "
     "unknown and fallocate answers EOPNOTSUPP as Linux 6.18 does; on, the mode exists, "
     "EINVAL unless exactly ZEROINIT|KEEP_SIZE, and filesystems that implement it run it"},
    {"zeroinit.holes",
     {"reject", "ignore"},
     "seed 004 (riteshh's review of FALLOC_FL_ZEROINIT_RANGE): holes in the range fail the "
     "call with ECANCELED, surfacing as EOPNOTSUPP, as the v2 patches were posted (reject), "
     "or are left untouched as the uapi comment said and v3 agreed (ignore)"},
    {"zeroinit.nounmap",
     {"on", "off"},
     "seed 004 (Dave Chinner's review of patch 2/5, Darrick agreeing): iomap_zeroout_range "
     "asks the device for BLKDEV_ZERO_NOUNMAP so zeroed blocks stay provisioned (on, the "
     "agreed fix), or passes zeroout flags 0 as posted, letting a thin device unmap them "
     "and fail a later write with ENOSPC (off)"},
}};

}  // namespace

absl::Span<const VariantInfo> variant_registry() { return kRegistry; }

const VariantInfo* find_variant(std::string_view name) {
  for (const VariantInfo& v : kRegistry) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

Errno Variants::set(std::string_view name, std::string_view value) {
  const VariantInfo* info = find_variant(name);
  if (info == nullptr) return Errno::kEINVAL;
  auto it = std::find(info->values.begin(), info->values.end(), value);
  if (it == info->values.end()) return Errno::kEINVAL;
  const size_t index = static_cast<size_t>(info - kRegistry.data());
  chosen_[index] = static_cast<uint8_t>(it - info->values.begin());
  trace_set(index);
  return Errno::kOk;
}

void Variants::trace_set(size_t index) {
  const VariantInfo& info = kRegistry[index];
  if (trace_ != nullptr) {
    trace_->record("variant", {{"name", info.name}, {"value", info.values.begin()[chosen_[index]]}});
  }
}

Result<std::string_view> Variants::get(std::string_view name) const {
  const VariantInfo* info = find_variant(name);
  if (info == nullptr) return Fail(Errno::kEINVAL);
  return info->values.begin()[chosen_[static_cast<size_t>(info - kRegistry.data())]];
}

std::vector<std::string> Variants::in_force() const {
  std::vector<std::string> out;
  for (const VariantInfo& v : kRegistry) {
    out.push_back(absl::StrFormat("%s=%s", v.name, *get(v.name)));
  }
  return out;
}

}  // namespace vfssim
