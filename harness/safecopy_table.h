// The seed-003 argument as a table: what an application observes from
// read(2) and write(2) on a regular file of a filesystem mounted
// ipc=safecopy, for each repeat policy (safecopy.retry), each filesystem
// reply semantics (partial_io), and where the user buffer faults.
//
// Every row runs on a fresh machine: a 12 KiB file, a 12 KiB user buffer
// that is resident except where the row says, and one 12 KiB call at
// offset 0 (one 4 KiB call into the shared mapping). "soft" pages are swapped-out anonymous pages (the VM can
// resolve them); "hard" is an unmapped page. The CPF_TRY rows compare a
// soft fault on an anonymous page with one on a page of a MAP_SHARED
// mapping of the file being read or written — the fault that only the
// busy filesystem could resolve.
//
//   std::vector<SafecopyFs> fs = {shmfs_for_safecopy()};
//   std::cout << render_safecopy_table(run_safecopy_table(fs));

#ifndef VFSSIM_HARNESS_SAFECOPY_TABLE_H_
#define VFSSIM_HARNESS_SAFECOPY_TABLE_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/errno.h"
#include "vfs/mount.h"

namespace vfssim {

// SafecopyFs is one filesystem of the table: a name and how to register
// and mount it at "/" with the given options.
struct SafecopyFs {
  std::string name;
  std::function<Errno(Vfs&, std::string_view options)> mount;
};

// shmfs_for_safecopy is shmfs (the filesystems that land later join the
// list the same way).
SafecopyFs shmfs_for_safecopy();

// BufferFault is where the row's user buffer faults: nowhere; a soft
// (swapped-out anonymous) first or middle page; an unmapped middle page; a
// soft first page followed by an unmapped one; or, one page long, a page of
// a MAP_SHARED mapping of the very file the call reads or writes, never
// touched.
enum class BufferFault {
  kNone,
  kSoftFirst,
  kSoftMiddle,
  kHardMiddle,
  kSoftThenHard,
  kSharedMapSameFile,
};
// buffer_fault_name is the row's wording of `f` in docs/safecopy.md.
std::string_view buffer_fault_name(BufferFault f);

struct SafecopyRow {
  std::string fs;
  std::string policy;   // safecopy.retry.
  std::string partial;  // partial_io.
  bool cpf_try = true;
  BufferFault fault = BufferFault::kNone;
  bool write = false;
  bool cpf_table = false;  // A row of the CPF_TRY table (on-mark, proper).
  // What the application saw: a count or an errno.
  Result<uint64_t> result = 0;
  uint64_t len = 0;      // The call's byte count.
  bool data_ok = false;  // The bytes the count claims moved, moved.
  uint64_t changed = 0;  // Writes: file bytes that differ from before.
  int repeats = 0;       // Requests VFS repeated.
  bool deadlock = false; // The safecopy deadlock was detected.
};

// run_safecopy_table runs every row for every filesystem, in a fixed order.
std::vector<SafecopyRow> run_safecopy_table(const std::vector<SafecopyFs>& filesystems);

// run_safecopy_row runs one row (its inputs set, its outcome filled in).
void run_safecopy_row(const SafecopyFs& fs, SafecopyRow& row);

// render_safecopy_table prints the rows as the Markdown of docs/safecopy.md.
std::string render_safecopy_table(const std::vector<SafecopyRow>& rows);

}  // namespace vfssim

#endif  // VFSSIM_HARNESS_SAFECOPY_TABLE_H_
