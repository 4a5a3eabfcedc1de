// sendfile(2) and splice(2) (Linux's fs/read_write.c do_sendfile and
// fs/splice.c do_splice), moving bytes through a kernel buffer: a file's
// data goes through its fo_read/fo_write, a pipe's through its buffer.

#include <algorithm>
#include <deque>
#include <utility>
#include <vector>

#include "vfs/internal/syscall.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

using internal::kIoChunk;

// The room splice leaves a pipe: PIPE_DEF_BUFFERS pages.
constexpr uint64_t kPipeBufSize = 16 * 4096;

// pipe_of is get_pipe_info: the buffer of a pipe or FIFO, nullptr for any
// other file.
FifoData* pipe_of(const File& fp) {
  if (fp.ops != &FifoFileOps::instance()) return nullptr;
  return static_cast<FifoData*>(fp.inode->data.get());
}

// verify_area is rw_verify_area on an explicit position: a count negative
// as ssize_t, a negative position, or a sum past LLONG_MAX is EINVAL.
Errno verify_area(off_t64 pos, uint64_t count) {
  if (static_cast<int64_t>(count) < 0 || pos < 0) return Errno::kEINVAL;
  if (static_cast<uint64_t>(pos) + count > static_cast<uint64_t>(kOffMax)) return Errno::kEINVAL;
  return Errno::kOk;
}

// empty_pipe is what reading an empty pipe answers: EOF once no writer is
// left, else EAGAIN (where Linux would wait; see FifoFileOps).
IoResult empty_pipe(const FifoData& pipe) {
  return {0, pipe.writers > 0 ? Errno::kEAGAIN : Errno::kOk};
}

// file_to_pipe reads up to `len` bytes of `in` at *pos into the pipe
// (splice_file_to_pipe over ->splice_read), as far as the pipe has room.
IoResult file_to_pipe(File& in, off_t64* pos, FifoData& pipe, uint64_t len, const Creds& cr) {
  if (!in.ops->has_splice_read(in)) return {0, Errno::kEINVAL};
  if (pipe.readers == 0) return {0, Errno::kEPIPE};
  const uint64_t room = kPipeBufSize - std::min<uint64_t>(kPipeBufSize, pipe.buffer.size());
  if (room == 0) return {0, Errno::kEAGAIN};
  std::vector<std::byte> buf(std::min(len, room));
  IovIter to = IovIter::kvec_dest(buf);
  IoResult r = in.ops->fo_read(in, init_sync_kiocb(in, *pos, cr), to);
  pipe.buffer.insert(pipe.buffer.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(r.done));
  if (in.ops->seekable()) *pos += static_cast<off_t64>(r.done);
  return r;
}

// pipe_to_file writes up to `len` bytes from the pipe to `out` at *pos
// (do_splice_from over ->splice_write); what `out` did not take stays in
// the pipe.
IoResult pipe_to_file(FifoData& pipe, File& out, off_t64* pos, uint64_t len, const Creds& cr) {
  if (!out.ops->has_splice_write(out)) return {0, Errno::kEINVAL};
  if (pipe.buffer.empty()) return empty_pipe(pipe);
  const uint64_t n = std::min<uint64_t>(len, pipe.buffer.size());
  std::vector<std::byte> buf(pipe.buffer.begin(), pipe.buffer.begin() + static_cast<ptrdiff_t>(n));
  IovIter from = IovIter::kvec_source(buf);
  IoResult w = out.ops->fo_write(out, init_sync_kiocb(out, *pos, cr), from);
  pipe.buffer.erase(pipe.buffer.begin(), pipe.buffer.begin() + static_cast<ptrdiff_t>(w.done));
  if (out.ops->seekable()) *pos += static_cast<off_t64>(w.done);
  return w;
}

}  // namespace

Result<uint64_t> Process::sendfile(int out_fd, int in_fd, uint64_t offset, uint64_t count) {
  uint64_t sent = 0;
  Errno e = [&]() -> Errno {
    // SYSCALL_DEFINE4(sendfile64): the offset is read before anything else.
    off_t64 pos = 0;
    if (offset != 0) {
      if (Errno err = copy_from_user(&pos, offset); err != Errno::kOk) return err;
    }
    Result<std::shared_ptr<File>> gi = get(in_fd);
    if (!gi || !(*gi)->read) return Errno::kEBADF;
    File& in = **gi;
    if (offset == 0) {
      pos = in.pos;
    } else if (!in.ops->seekable()) {
      return Errno::kESPIPE;
    }
    if (in.ops->seekable()) {
      if (Errno err = verify_area(pos, count); err != Errno::kOk) return err;
    }
    count = std::min(count, kMaxRwCount);
    Result<std::shared_ptr<File>> go = get(out_fd);
    if (!go || !(*go)->write) return Errno::kEBADF;
    File& out = **go;
    const off_t64 max = std::min(in.inode->sb->maxbytes, out.inode->sb->maxbytes);
    if (pos + static_cast<off_t64>(count) > max) {
      if (pos >= max) return Errno::kEOVERFLOW;
      count = static_cast<uint64_t>(max - pos);
    }
    Errno err = Errno::kOk;
    if (FifoData* opipe = pipe_of(out)) {
      IoResult r = file_to_pipe(in, &pos, *opipe, count, creds_);
      sent = r.done;
      err = r.err;
    } else {
      off_t64 out_pos = out.pos;
      if (out.ops->seekable()) {
        if (Errno v = verify_area(out_pos, count); v != Errno::kOk) return v;
      }
      // do_splice_direct: "if (unlikely(out->f_flags & O_APPEND)) return
      // -EINVAL", then splice_direct_to_actor reads (->splice_read) and
      // the actor writes (->splice_write).
      if (out.oflags & kO_APPEND) return Errno::kEINVAL;
      if (!in.ops->has_splice_read(in)) return Errno::kEINVAL;
      std::vector<std::byte> buf(std::min<uint64_t>(count, kIoChunk));
      while (sent < count) {
        const uint64_t n = std::min<uint64_t>(buf.size(), count - sent);
        IovIter to = IovIter::kvec_dest(std::span(buf).first(n));
        IoResult r = in.ops->fo_read(in, init_sync_kiocb(in, pos, creds_), to);
        if (r.done == 0) {
          err = r.err;
          break;
        }
        if (!out.ops->has_splice_write(out)) {
          err = Errno::kEINVAL;
          break;
        }
        IovIter from = IovIter::kvec_source(std::span<const std::byte>(buf).first(r.done));
        IoResult w = out.ops->fo_write(out, init_sync_kiocb(out, out_pos, creds_), from);
        sent += w.done;
        if (in.ops->seekable()) pos += static_cast<off_t64>(w.done);
        if (out.ops->seekable()) out_pos += static_cast<off_t64>(w.done);
        if (!w.ok() || w.done < r.done) {
          err = w.err;
          break;
        }
      }
      out.pos = out_pos;
    }
    if (offset == 0) {
      in.pos = pos;
    } else if (copy_to_user(offset, pos) != Errno::kOk) {
      return Errno::kEFAULT;
    }
    return sent > 0 ? Errno::kOk : err;
  }();
  {
    trace("sendfile", {{"out_fd", out_fd}, {"in_fd", in_fd}, {"offset", offset}, {"count", count}},
          e, static_cast<int64_t>(sent));
  }
  if (e != Errno::kOk) return Fail(e);
  return sent;
}

Result<uint64_t> Process::splice(int fd_in, uint64_t off_in, int fd_out, uint64_t off_out,
                                 uint64_t len, unsigned flags) {
  uint64_t moved = 0;
  Errno e = [&]() -> Errno {
    if (len == 0) return Errno::kOk;
    if (flags & ~kSPLICE_F_ALL) return Errno::kEINVAL;
    Result<std::shared_ptr<File>> gi = get(fd_in);
    if (!gi) return Errno::kEBADF;
    Result<std::shared_ptr<File>> go = get(fd_out);
    if (!go) return Errno::kEBADF;
    File& in = **gi;
    File& out = **go;
    // __do_splice: an offset for a pipe end is ESPIPE; the others are
    // copied in.
    FifoData* ipipe = pipe_of(in);
    FifoData* opipe = pipe_of(out);
    if ((ipipe != nullptr && off_in != 0) || (opipe != nullptr && off_out != 0)) {
      return Errno::kESPIPE;
    }
    off_t64 in_pos = in.pos, out_pos = out.pos;
    if (off_out != 0) {
      if (Errno err = copy_from_user(&out_pos, off_out); err != Errno::kOk) return err;
    }
    if (off_in != 0) {
      if (Errno err = copy_from_user(&in_pos, off_in); err != Errno::kOk) return err;
    }
    // do_splice.
    if (!in.read || !out.write) return Errno::kEBADF;
    len = std::min(len, kMaxRwCount);
    IoResult r;
    if (ipipe != nullptr && opipe != nullptr) {
      if (ipipe == opipe) return Errno::kEINVAL;  // "Splicing to self would be fun, but..."
      if (opipe->readers == 0) return Errno::kEPIPE;
      if (ipipe->buffer.empty()) {
        r = empty_pipe(*ipipe);
      } else {
        const uint64_t n = std::min<uint64_t>(len, ipipe->buffer.size());
        auto end = ipipe->buffer.begin() + static_cast<ptrdiff_t>(n);
        opipe->buffer.insert(opipe->buffer.end(), ipipe->buffer.begin(), end);
        ipipe->buffer.erase(ipipe->buffer.begin(), end);
        r = {n, Errno::kOk};
      }
    } else if (ipipe != nullptr) {
      if (off_out != 0 && !out.ops->seekable()) return Errno::kEINVAL;
      if (out.oflags & kO_APPEND) return Errno::kEINVAL;
      if (Errno err = verify_area(out_pos, len); err != Errno::kOk) return err;
      r = pipe_to_file(*ipipe, out, &out_pos, len, creds_);
    } else if (opipe != nullptr) {
      if (off_in != 0 && !in.ops->seekable()) return Errno::kEINVAL;
      if (Errno err = verify_area(in_pos, len); err != Errno::kOk) return err;
      r = file_to_pipe(in, &in_pos, *opipe, len, creds_);
    } else {
      return Errno::kEINVAL;  // Neither end is a pipe.
    }
    moved = r.done;
    // The positions move (the file's, or the caller's loff_t copied back).
    if (ipipe == nullptr) {
      if (off_in == 0) {
        in.pos = in_pos;
      } else if (copy_to_user(off_in, in_pos) != Errno::kOk) {
        return Errno::kEFAULT;
      }
    }
    if (opipe == nullptr) {
      if (off_out == 0) {
        out.pos = out_pos;
      } else if (copy_to_user(off_out, out_pos) != Errno::kOk) {
        return Errno::kEFAULT;
      }
    }
    return moved > 0 ? Errno::kOk : r.err;
  }();
  {
    trace("splice", {{"fd_in", fd_in}, {"fd_out", fd_out}, {"len", len}, {"flags", flags}}, e,
          static_cast<int64_t>(moved));
  }
  if (e != Errno::kOk) return Fail(e);
  return moved;
}

}  // namespace vfssim
