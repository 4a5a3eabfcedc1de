// Errno values, Result<T> and IoResult: how every kernel-side layer reports
// failure.
//
// The exact errno is the API being prototyped (EINVAL vs EOPNOTSUPP vs
// ECANCELED is what the seed reviews argue about), so kernel-side code returns
// one of these values and never a boolean, an exception or -1. Values are the
// Linux x86-64 numbers, fixed here rather than taken from the host's <errno.h>,
// so a trace means the same thing on every machine.
//
//   Result<Extent> r = lookup(off);
//   if (!r) return r.error();               // Errno::kEIO, ...
//
//   IoResult io = dev.read(sector, buf);    // partial progress + error
//   if (io.err != Errno::kOk) report(io.done, io.err);
//
// These types live in sim/ rather than vfs/ because the device drivers, which
// sit below the VFS, already report errno values.

#ifndef VFSSIM_SIM_ERRNO_H_
#define VFSSIM_SIM_ERRNO_H_

#include <cstdint>
#include <expected>
#include <ostream>
#include <string_view>

namespace vfssim {

// Errno is a Linux errno value. kOk (0) means success where a plain Errno is
// returned. Names keep the kernel's spelling behind a `k` so they do not
// collide with the <errno.h> macros.
enum class Errno : int {
  kOk = 0,
  kEPERM = 1,
  kENOENT = 2,
  kESRCH = 3,
  kEINTR = 4,
  kEIO = 5,
  kENXIO = 6,
  kE2BIG = 7,
  kEBADF = 9,
  kEAGAIN = 11,
  kENOMEM = 12,
  kEACCES = 13,
  kEFAULT = 14,
  kEBUSY = 16,
  kEEXIST = 17,
  kEXDEV = 18,
  kENODEV = 19,
  kENOTDIR = 20,
  kEISDIR = 21,
  kEINVAL = 22,
  kENFILE = 23,
  kEMFILE = 24,
  kENOTTY = 25,
  kETXTBSY = 26,
  kEFBIG = 27,
  kENOSPC = 28,
  kESPIPE = 29,
  kEROFS = 30,
  kEMLINK = 31,
  kEPIPE = 32,
  kERANGE = 34,
  kEDEADLK = 35,
  kENAMETOOLONG = 36,
  kENOSYS = 38,
  kENOTEMPTY = 39,
  kELOOP = 40,
  kEBADE = 52,
  kEBADR = 53,  // FIEMAP: flags this filesystem does not support.  // Dedupe: the ranges differ (kernel-internal).
  kENODATA = 61,
  kEOVERFLOW = 75,
  kEOPNOTSUPP = 95,
  kEUCLEAN = 117,  // EFSCORRUPTED: the filesystem found its metadata corrupt.
  kECANCELED = 125,
  kEHWPOISON = 133,
  // Kernel-internal: a sleeping operation was interrupted and may be
  // restarted. Never reaches userspace; the syscall layer turns it into EINTR
  // or, after partial progress, into success (FreeBSD's ERESTART plays the
  // same role in kern_fspacectl).
  kERESTARTSYS = 512,
};

// errno_name returns the kernel's name for `e` ("EINVAL"), or "E?<n>" for a
// value this table does not know.
std::string_view errno_name(Errno e);

// Errno prints as its name, so test failures read "EISDIR", not bytes.
inline std::ostream& operator<<(std::ostream& os, Errno e) { return os << errno_name(e); }

// errno_from_name parses "EINVAL" (or "kEINVAL"); kOk for "0"/"OK". Returns
// false for an unknown name.
bool errno_from_name(std::string_view name, Errno* out);

// Result<T> is a value or the errno that prevented it.
template <typename T>
using Result = std::expected<T, Errno>;

// Fail is shorthand for the error arm: `return Fail(Errno::kEINVAL);`.
inline std::unexpected<Errno> Fail(Errno e) { return std::unexpected<Errno>(e); }

// IoResult reports an operation that can make partial progress: `done` units
// (bytes unless the call says otherwise) were completed before `err` stopped
// it. err == kOk means everything asked for was done. "Error return is only
// acceptable if the file content was not changed at all" (seed 000), so any
// caller that changed state before failing reports done > 0.
struct IoResult {
  uint64_t done = 0;
  Errno err = Errno::kOk;

  bool ok() const { return err == Errno::kOk; }
  friend bool operator==(const IoResult&, const IoResult&) = default;
};

}  // namespace vfssim

#endif  // VFSSIM_SIM_ERRNO_H_
