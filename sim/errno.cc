#include "sim/errno.h"

#include <array>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace vfssim {
namespace {

constexpr auto kNames = std::to_array<std::pair<Errno, std::string_view>>({
    {Errno::kOk, "OK"},
    {Errno::kEPERM, "EPERM"},
    {Errno::kENOENT, "ENOENT"},
    {Errno::kESRCH, "ESRCH"},
    {Errno::kEINTR, "EINTR"},
    {Errno::kEIO, "EIO"},
    {Errno::kENXIO, "ENXIO"},
    {Errno::kE2BIG, "E2BIG"},
    {Errno::kEBADF, "EBADF"},
    {Errno::kEAGAIN, "EAGAIN"},
    {Errno::kENOMEM, "ENOMEM"},
    {Errno::kEACCES, "EACCES"},
    {Errno::kEFAULT, "EFAULT"},
    {Errno::kEBUSY, "EBUSY"},
    {Errno::kEEXIST, "EEXIST"},
    {Errno::kEXDEV, "EXDEV"},
    {Errno::kENODEV, "ENODEV"},
    {Errno::kENOTDIR, "ENOTDIR"},
    {Errno::kEISDIR, "EISDIR"},
    {Errno::kEINVAL, "EINVAL"},
    {Errno::kENFILE, "ENFILE"},
    {Errno::kEMFILE, "EMFILE"},
    {Errno::kENOTTY, "ENOTTY"},
    {Errno::kETXTBSY, "ETXTBSY"},
    {Errno::kEFBIG, "EFBIG"},
    {Errno::kENOSPC, "ENOSPC"},
    {Errno::kESPIPE, "ESPIPE"},
    {Errno::kEROFS, "EROFS"},
    {Errno::kEMLINK, "EMLINK"},
    {Errno::kEPIPE, "EPIPE"},
    {Errno::kERANGE, "ERANGE"},
    {Errno::kEDEADLK, "EDEADLK"},
    {Errno::kENAMETOOLONG, "ENAMETOOLONG"},
    {Errno::kENOSYS, "ENOSYS"},
    {Errno::kENOTEMPTY, "ENOTEMPTY"},
    {Errno::kELOOP, "ELOOP"},
    {Errno::kENODATA, "ENODATA"},
    {Errno::kEOVERFLOW, "EOVERFLOW"},
    {Errno::kEOPNOTSUPP, "EOPNOTSUPP"},
    {Errno::kEUCLEAN, "EUCLEAN"},
    {Errno::kECANCELED, "ECANCELED"},
    {Errno::kEHWPOISON, "EHWPOISON"},
    {Errno::kEBADE, "EBADE"},
    {Errno::kEBADR, "EBADR"},
    {Errno::kERESTARTSYS, "ERESTARTSYS"},
    {Errno::kEAGAIN, "EWOULDBLOCK"},  // Alias, parsed but never printed.
});

}  // namespace

std::string_view errno_name(Errno e) {
  for (const auto& [value, name] : kNames) {
    if (value == e) return name;
  }
  // Unknown values are rare (a plan naming a raw number); keep one buffer per
  // thread so the view stays valid until the next unknown value.
  thread_local std::string unknown;
  unknown = absl::StrCat("E?", static_cast<int>(e));
  return unknown;
}

bool errno_from_name(std::string_view name, Errno* out) {
  if (name.size() > 1 && name[0] == 'k' && name[1] == 'E') name.remove_prefix(1);
  if (name == "0") name = "OK";
  for (const auto& [value, n] : kNames) {
    if (n == name) {
      *out = value;
      return true;
    }
  }
  return false;
}

}  // namespace vfssim
