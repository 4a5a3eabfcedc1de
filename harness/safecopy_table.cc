#include "harness/safecopy_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "fs/shmfs/shmfs.h"
#include "sim/machine.h"
#include "vfs/host_io.h"
#include "vfs/mmap.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kLen = 3 * kPage;

std::byte file_byte(uint64_t i) { return std::byte(static_cast<uint8_t>('a' + i % 23)); }

std::string outcome(const SafecopyRow& r) {
  if (!r.result) return std::string(errno_name(r.result.error()));
  if (*r.result < r.len) return absl::StrCat("**", *r.result, " (short)**");
  return absl::StrCat(*r.result);
}

// data says whether the claimed bytes moved — and, for a write that failed,
// whether the file changed anyway (what an error return must not hide).
std::string data(const SafecopyRow& r) {
  if (!r.result) {
    return r.changed > 0 ? absl::StrCat("**file changed: ", r.changed, " bytes**") : "-";
  }
  if (*r.result == 0) return "-";
  return r.data_ok ? "ok" : "WRONG";
}

}  // namespace

SafecopyFs shmfs_for_safecopy() {
  return {"shmfs", [](Vfs& vfs, std::string_view options) {
            register_shmfs(vfs);
            return vfs.mount("shmfs", nullptr, options, "/", Creds::root());
          }};
}

std::string_view buffer_fault_name(BufferFault f) {
  switch (f) {
    case BufferFault::kNone:
      return "none";
    case BufferFault::kSoftFirst:
      return "soft, first page";
    case BufferFault::kSoftMiddle:
      return "soft, middle page";
    case BufferFault::kHardMiddle:
      return "hard, middle page";
    case BufferFault::kSoftThenHard:
      return "soft first page, hard middle page";
    case BufferFault::kSharedMapSameFile:
      return "soft, a MAP_SHARED page of the same file";
  }
  return "?";
}

void run_safecopy_row(const SafecopyFs& fs, SafecopyRow& row) {
  Machine m(1);
  Vfs vfs(m);
  std::string options = absl::StrCat("ipc=safecopy,partial_io=", row.partial);
  if (!row.cpf_try) absl::StrAppend(&options, ",cpf_try=0");
  if (Errno e = fs.mount(vfs, options); e != Errno::kOk) {
    row.result = Fail(e);
    return;
  }
  m.variants.set("safecopy.retry", row.policy);
  Process p(vfs, Creds::root());
  const int fd = *p.open("/f", kO_RDWR | kO_CREAT, 0644);
  std::vector<std::byte> content(kLen);
  for (uint64_t i = 0; i < kLen; ++i) content[i] = file_byte(i);
  host::pwrite(p, fd, content, 0);
  // Page 0 of the source (or target) buffer in the shared-map row is the
  // file's first page mapped MAP_SHARED and never touched; the call then
  // reads page 1 of the file into it (or writes it to page 1).
  const bool shared = row.fault == BufferFault::kSharedMapSameFile;
  const uint64_t len = row.len = shared ? kPage : kLen;
  const off_t64 off = shared ? static_cast<off_t64>(kPage) : 0;
  uint64_t buf = 0;
  if (shared) {
    buf = *p.mmap(0, kLen, kProtRead | kProtWrite, kMAP_SHARED, fd, 0);
  } else {
    buf = *p.mmap(0, kLen, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    p.store(buf, std::vector<std::byte>(kLen, std::byte{'.'}));
  }
  switch (row.fault) {
    case BufferFault::kSoftFirst:
      p.mm().swap_out(buf);
      break;
    case BufferFault::kSoftMiddle:
      p.mm().swap_out(buf + kPage);
      break;
    case BufferFault::kHardMiddle:
      p.munmap(buf + kPage, kPage);
      break;
    case BufferFault::kSoftThenHard:
      p.mm().swap_out(buf);
      p.munmap(buf + kPage, kPage);
      break;
    default:
      break;
  }
  const uint64_t repeats_before = vfs.safecopy_stats().repeats;
  const uint64_t deadlocks_before = vfs.grants().deadlocks();
  row.result = row.write ? p.pwrite(fd, buf, len, off) : p.pread(fd, buf, len, off);
  row.repeats = static_cast<int>(vfs.safecopy_stats().repeats - repeats_before);
  row.deadlock = vfs.grants().deadlocks() > deadlocks_before;
  // data_ok: the claimed bytes are where they should be, in the buffer
  // (reads) or the file (writes).
  if (row.write) {
    std::vector<std::byte> now(kLen);
    host::pread(p, fd, now, 0);
    for (uint64_t i = 0; i < kLen; ++i) row.changed += now[i] != content[i];
  }
  const uint64_t n = row.result ? *row.result : 0;
  std::vector<std::byte> user(n);
  if (p.mm().copy_in(buf, user, /*may_fault=*/true) != n) return;
  if (row.write) {
    std::vector<std::byte> now(n);
    host::pread(p, fd, now, off);
    row.data_ok = now == user;
  } else {
    row.data_ok = std::equal(user.begin(), user.end(),
                             content.begin() + off);
  }
}

std::vector<SafecopyRow> run_safecopy_table(const std::vector<SafecopyFs>& filesystems) {
  std::vector<SafecopyRow> rows;
  for (const SafecopyFs& fs : filesystems) {
    for (bool write : {false, true}) {
      for (const char* policy : {"on-efault", "on-mark"}) {
        for (const char* partial : {"proper", "whole"}) {
          for (BufferFault f : {BufferFault::kNone, BufferFault::kSoftFirst,
                                BufferFault::kSoftMiddle, BufferFault::kHardMiddle,
                                BufferFault::kSoftThenHard}) {
            rows.push_back({.fs = fs.name, .policy = policy, .partial = partial, .fault = f,
                            .write = write});
          }
        }
      }
      for (bool cpf_try : {false, true}) {
        for (BufferFault f : {BufferFault::kSoftMiddle, BufferFault::kSharedMapSameFile}) {
          rows.push_back({.fs = fs.name, .policy = "on-mark", .partial = "proper",
                          .cpf_try = cpf_try, .fault = f, .write = write, .cpf_table = true});
        }
      }
    }
    for (SafecopyRow& r : rows) {
      if (r.fs == fs.name) run_safecopy_row(fs, r);
    }
  }
  return rows;
}

std::string render_safecopy_table(const std::vector<SafecopyRow>& rows) {
  std::string out =
      "# MINIX safecopy: what the application sees (seed 003)\n\n"
      "Generated by `vfssim safecopy-table`; `//harness:safecopy_table_test` checks that this "
      "file matches the code. Each row is one 12 KiB `pread(2)` or `pwrite(2)` at offset 0 on a "
      "regular file of a filesystem mounted `ipc=safecopy`: VFS grants the user buffer to the "
      "filesystem (a magic grant, with CPF_TRY unless the row says otherwise), the filesystem "
      "copies through it, and VFS applies the repeat policy `safecopy.retry` when the reply "
      "comes. `partial_io=proper` filesystems reply with the partial count when a copy fails "
      "part way; `whole` ones reply with the error. A soft page is a swapped-out anonymous "
      "page; a hard page is unmapped. The shared-mapping rows move one page between page 1 of the "
      "file and its page 0, mapped `MAP_SHARED` and never touched.\n\n"
      "The old policy (`on-efault`) with proper partial-failure semantics turns a soft fault "
      "into a short read or write on a regular file; the mark (`on-mark`) never does. Without "
      "CPF_TRY a soft fault on a page of the very file being accessed needs the busy "
      "filesystem to resolve it: the deadlock is detected and reported as EDEADLK. A `whole` "
      "filesystem whose write failed after storing part of it replies EFAULT although the file "
      "changed — the case seed 000 warns about.\n";
  std::vector<std::string> names;
  for (const SafecopyRow& r : rows) {
    if (std::find(names.begin(), names.end(), r.fs) == names.end()) names.push_back(r.fs);
  }
  for (const std::string& fs : names) {
    absl::StrAppend(&out, "\n## ", fs, "\n\n### Repeat policy x reply semantics\n\n",
                    "| call | safecopy.retry | partial_io | buffer fault | result | data | "
                    "repeats |\n|---|---|---|---|---|---|---|\n");
    for (const SafecopyRow& r : rows) {
      if (r.fs != fs || r.cpf_table) continue;
      absl::StrAppend(&out, absl::StrFormat("| %s | %s | %s | %s | %s | %s | %d |\n",
                                            r.write ? "pwrite" : "pread", r.policy, r.partial,
                                            buffer_fault_name(r.fault), outcome(r), data(r),
                                            r.repeats));
    }
    absl::StrAppend(&out, "\n### CPF_TRY and the deadlock (on-mark, proper)\n\n",
                    "| call | CPF_TRY | buffer fault | result | data | repeats | deadlock "
                    "detected |\n|---|---|---|---|---|---|---|\n");
    for (const SafecopyRow& r : rows) {
      if (r.fs != fs || !r.cpf_table) continue;
      absl::StrAppend(&out, absl::StrFormat("| %s | %s | %s | %s | %s | %d | %s |\n",
                                            r.write ? "pwrite" : "pread",
                                            r.cpf_try ? "yes" : "no", buffer_fault_name(r.fault),
                                            outcome(r), data(r), r.repeats,
                                            r.deadlock ? "yes" : "no"));
    }
  }
  return out;
}

}  // namespace vfssim
