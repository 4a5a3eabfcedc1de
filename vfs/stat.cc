// fstat and stat (Linux's fs/stat.c).

#include "vfs/process.h"

#include <algorithm>
#include <utility>

namespace vfssim {

Result<Stat> Process::fstat(int fd) {
  Result<std::shared_ptr<File>> got = get(fd);
  Stat st;
  Errno e = got ? (*got)->ops->fo_stat(**got, &st) : got.error();
  if (tracing()) trace("fstat", {{"fd", fd}}, e);
  if (e != Errno::kOk) return Fail(e);
  return st;
}

Result<Stat> Process::stat(std::string_view path) {
  Result<InodeRef> ip = vfs_.resolve(path, cwd());
  Stat st;
  Errno e = ip ? (*ip)->ops().getattr(**ip, &st) : ip.error();
  if (e == Errno::kOk && (*ip)->type == VType::kFifo) st.size = 0;
  if (tracing()) trace("stat", {{"path", path}}, e);
  if (e != Errno::kOk) return Fail(e);
  return st;
}

}  // namespace vfssim
