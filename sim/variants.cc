#include "sim/variants.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace vfssim {
namespace {

// Keep sorted by name; variants_test checks it.
const std::array<VariantInfo, 5> kRegistry = {{
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
  if (std::find(info->values.begin(), info->values.end(), value) == info->values.end()) {
    return Errno::kEINVAL;
  }
  chosen_[std::string(name)] = std::string(value);
  if (trace_ != nullptr) trace_->record("variant", {{"name", name}, {"value", value}});
  return Errno::kOk;
}

std::string_view Variants::get(std::string_view name) const {
  if (auto it = chosen_.find(name); it != chosen_.end()) return it->second;
  const VariantInfo* info = find_variant(name);
  if (info == nullptr) {
    absl::FPrintF(stderr, "vfssim: variant '%s' is not registered\n", name);
    std::abort();
  }
  return *info->values.begin();
}

std::vector<std::string> Variants::in_force() const {
  std::vector<std::string> out;
  for (const VariantInfo& v : kRegistry) {
    out.push_back(absl::StrFormat("%s=%s", v.name, get(v.name)));
  }
  return out;
}

}  // namespace vfssim
