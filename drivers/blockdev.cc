#include "drivers/blockdev.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace vfssim {
namespace {

std::string flags_text(uint32_t flags) {
  std::string s;
  if (flags & kReqFua) s += "FUA";
  if (flags & kReqNoUnmap) s += s.empty() ? "NOUNMAP" : "|NOUNMAP";
  return s;
}

}  // namespace

std::string_view req_op_name(ReqOp op) {
  switch (op) {
    case ReqOp::kRead:
      return "read";
    case ReqOp::kWrite:
      return "write";
    case ReqOp::kFlush:
      return "flush";
    case ReqOp::kWriteZeroes:
      return "write_zeroes";
    case ReqOp::kDiscard:
      return "discard";
  }
  return "?";
}

Errno blkdev_issue_zeroout(BlockDevice& bdev, uint64_t sector, uint64_t nr_sects,
                           uint32_t flags) {
  const uint64_t bs_mask = (bdev.logical_block_size() >> kSectorShift) - 1;
  if ((sector | nr_sects) & bs_mask) return Errno::kEINVAL;
  Errno err = bdev.write_zeroes(sector, nr_sects, (flags & kZeroNoUnmap) ? uint32_t{kReqNoUnmap} : 0u);
  if (err != Errno::kEOPNOTSUPP || (flags & kZeroNoFallback)) return err;

  // No accelerated command: write pages of zeros, at most 64 KiB at a time.
  static const std::vector<std::byte> kZeros(64 * 1024);
  const uint64_t chunk = kZeros.size() >> kSectorShift;
  for (uint64_t done = 0; done < nr_sects;) {
    const uint64_t n = std::min(chunk, nr_sects - done);
    IoResult r = bdev.write(sector + done,
                            std::span<const std::byte>(kZeros.data(), n << kSectorShift));
    if (!r.ok()) return r.err;
    done += n;
  }
  return Errno::kOk;
}

SimBlockDevice::SimBlockDevice(Machine& machine, BlockDeviceConfig config)
    : machine_(machine), config_(std::move(config)) {
  const uint32_t lbs = config_.logical_block_size;
  if ((lbs != 512 && lbs != 4096) || config_.capacity_bytes % lbs != 0 ||
      (config_.thin_pool && config_.thin_pool->block_size() % lbs != 0)) {
    absl::FPrintF(stderr, "vfssim: bad block device geometry for %s\n", config_.name);
    std::abort();
  }
}

SimBlockDevice::~SimBlockDevice() {
  if (config_.thin_pool) config_.thin_pool->give(provisioned_.size());
}

bool SimBlockDevice::misaligned(uint64_t sector, uint64_t nr_sects) const {
  const uint64_t bs_mask = (config_.logical_block_size >> kSectorShift) - 1;
  return ((sector | nr_sects) & bs_mask) != 0;
}

Errno SimBlockDevice::check_range(uint64_t sector, uint64_t nr_sects) const {
  if (misaligned(sector, nr_sects)) return Errno::kEINVAL;
  // Linux's bio_check_eod: "attempt to access beyond end of device" is EIO.
  if (sector > nr_sectors() || nr_sects > nr_sectors() - sector) return Errno::kEIO;
  return Errno::kOk;
}

Errno SimBlockDevice::submit(const BlockRequest& req, FaultPoint fault_point) {
  // The command takes its time whether or not it then fails.
  const bool data = req.op == ReqOp::kRead || req.op == ReqOp::kWrite;
  machine_.clock.advance(CostModel::block_command(data ? req.nr_sectors << kSectorShift : 0));
  if (std::optional<Errno> e = machine_.faults.fire(fault_point)) return *e;
  if (hook_) return hook_(req);
  return Errno::kOk;
}

void SimBlockDevice::trace(const BlockRequest& req, Errno err, uint64_t done_bytes) {
  if (!machine_.trace.enabled()) return;
  TraceFields f = {{"dev", config_.name}, {"op", req_op_name(req.op)}};
  if (req.op != ReqOp::kFlush) {
    f.add("sector", req.sector);
    f.add("nr", req.nr_sectors);
  }
  const std::string flags = req.flags != 0 ? flags_text(req.flags) : std::string();
  if (req.flags != 0) f.add("flags", flags);
  if (req.op == ReqOp::kRead || req.op == ReqOp::kWrite) f.add("done", done_bytes);
  f.add("err", err);
  machine_.trace.record("blockdev", f);
}

IoResult SimBlockDevice::read(uint64_t sector, std::span<std::byte> buf) {
  if (buf.size() % config_.logical_block_size != 0) return {0, Errno::kEINVAL};
  const uint64_t nr = buf.size() >> kSectorShift;
  const BlockRequest req{ReqOp::kRead, sector, nr, 0};
  if (Errno e = check_range(sector, nr); e != Errno::kOk) return {0, e};
  ++stats_.reads;
  if (Errno e = submit(req, "blockdev/read/eio"); e != Errno::kOk) {
    trace(req, e, 0);
    return {0, e};
  }
  IoResult result{buf.size(), Errno::kOk};
  if (auto bad = bad_.lower_bound(sector); bad != bad_.end() && *bad < sector + nr) {
    result = {(*bad - sector) << kSectorShift, Errno::kEIO};
  }
  current_.read(sector << kSectorShift, buf.first(result.done));
  stats_.bytes_read += result.done;
  trace(req, result.err, result.done);
  return result;
}

IoResult SimBlockDevice::write(uint64_t sector, std::span<const std::byte> buf, uint32_t flags) {
  if (buf.size() % config_.logical_block_size != 0) return {0, Errno::kEINVAL};
  const uint64_t nr = buf.size() >> kSectorShift;
  const BlockRequest req{ReqOp::kWrite, sector, nr, flags & kReqFua};
  if (Errno e = check_range(sector, nr); e != Errno::kOk) return {0, e};
  ++stats_.writes;
  Errno e = submit(req, "blockdev/write/eio");
  if (e == Errno::kOk) e = provision(sector, nr);
  if (e != Errno::kOk) {
    trace(req, e, 0);
    return {0, e};
  }
  if (flags & kReqFua) ++stats_.fua_writes;
  clear_bad(sector, nr);
  commit(Pending{ReqOp::kWrite, sector, nr, std::vector<std::byte>(buf.begin(), buf.end()),
                 (flags & kReqFua) != 0});
  stats_.bytes_written += buf.size();
  trace(req, Errno::kOk, buf.size());
  return {buf.size(), Errno::kOk};
}

Errno SimBlockDevice::flush() {
  const BlockRequest req{ReqOp::kFlush};
  ++stats_.flushes;
  if (Errno e = submit(req, "blockdev/flush/eio"); e != Errno::kOk) {
    trace(req, e, 0);
    return e;
  }
  for (const Pending& p : pending_) {
    if (!p.durable) apply(durable_, p);
  }
  pending_.clear();
  trace(req, Errno::kOk, 0);
  return Errno::kOk;
}

Errno SimBlockDevice::write_zeroes(uint64_t sector, uint64_t nr_sects, uint32_t flags) {
  const BlockRequest req{ReqOp::kWriteZeroes, sector, nr_sects, flags & kReqNoUnmap};
  if (misaligned(sector, nr_sects)) return Errno::kEINVAL;
  if (!config_.supports_write_zeroes) return Errno::kEOPNOTSUPP;
  if (Errno e = check_range(sector, nr_sects); e != Errno::kOk) return e;
  ++stats_.write_zeroes;
  Errno e = submit(req, "blockdev/zeroout/eio");
  if (e == Errno::kOk && config_.thin_pool) {
    // Without NOUNMAP the device deallocates the pool blocks the command
    // covers whole; the partial blocks at the edges still need backing for
    // their zeros. With NOUNMAP everything stays (or becomes) allocated.
    const bool unmap = !(flags & kReqNoUnmap);
    e = provision(sector, nr_sects, /*skip_whole=*/unmap);
    if (e == Errno::kOk && unmap) unprovision(sector, nr_sects);
  }
  if (e != Errno::kOk) {
    trace(req, e, 0);
    return e;
  }
  clear_bad(sector, nr_sects);
  commit(Pending{ReqOp::kWriteZeroes, sector, nr_sects, {}, false});
  stats_.bytes_zeroed += nr_sects << kSectorShift;
  trace(req, Errno::kOk, 0);
  return Errno::kOk;
}

Errno SimBlockDevice::discard(uint64_t sector, uint64_t nr_sects) {
  const BlockRequest req{ReqOp::kDiscard, sector, nr_sects, 0};
  if (misaligned(sector, nr_sects)) return Errno::kEINVAL;
  if (!config_.supports_discard) return Errno::kEOPNOTSUPP;
  if (Errno e = check_range(sector, nr_sects); e != Errno::kOk) return e;
  ++stats_.discards;
  if (Errno e = submit(req, "blockdev/discard/eio"); e != Errno::kOk) {
    trace(req, e, 0);
    return e;
  }
  if (config_.thin_pool) unprovision(sector, nr_sects);
  commit(Pending{ReqOp::kDiscard, sector, nr_sects, {}, false});
  trace(req, Errno::kOk, 0);
  return Errno::kOk;
}

Errno SimBlockDevice::provision(uint64_t sector, uint64_t nr_sects, bool skip_whole) {
  if (!config_.thin_pool || nr_sects == 0) return Errno::kOk;
  const uint64_t per_block = config_.thin_pool->block_size() >> kSectorShift;
  const uint64_t end = sector + nr_sects;
  auto needed = [&](uint64_t b) {
    const bool whole = b * per_block >= sector && (b + 1) * per_block <= end;
    return !(skip_whole && whole) && !provisioned_.contains(b);
  };
  uint64_t missing = 0;
  for (uint64_t b = sector / per_block; b * per_block < end; ++b) missing += needed(b);
  if (!config_.thin_pool->take(missing)) return Errno::kENOSPC;
  for (uint64_t b = sector / per_block; b * per_block < end; ++b) {
    if (needed(b)) provisioned_.insert(b);
  }
  return Errno::kOk;
}

void SimBlockDevice::unprovision(uint64_t sector, uint64_t nr_sects) {
  const uint64_t per_block = config_.thin_pool->block_size() >> kSectorShift;
  const uint64_t first = (sector + per_block - 1) / per_block;
  const uint64_t end = (sector + nr_sects) / per_block;
  for (uint64_t b = first; b < end; ++b) {
    if (provisioned_.erase(b)) config_.thin_pool->give(1);
  }
}

void SimBlockDevice::clear_bad(uint64_t sector, uint64_t nr_sects) {
  auto it = bad_.lower_bound(sector);
  while (it != bad_.end() && *it < sector + nr_sects) {
    it = bad_.erase(it);
    ++stats_.remapped_blocks;
  }
}

void SimBlockDevice::inject_bad_sector(uint64_t sector) {
  const uint64_t per_block = config_.logical_block_size >> kSectorShift;
  bad_.insert(sector - sector % per_block);
  machine_.trace.record("blockdev-inject", {{"dev", config_.name}, {"bad_sector", sector}});
}

bool SimBlockDevice::is_bad(uint64_t sector) const {
  const uint64_t per_block = config_.logical_block_size >> kSectorShift;
  return bad_.contains(sector - sector % per_block);
}

void SimBlockDevice::apply(SparseStore& store, const Pending& p) {
  if (p.op == ReqOp::kWrite) {
    store.write(p.sector << kSectorShift, p.data);
  } else {
    store.zero(p.sector << kSectorShift, p.nr_sectors << kSectorShift);
  }
}

void SimBlockDevice::commit(Pending p) {
  apply(current_, p);
  if (!config_.volatile_cache) {
    apply(durable_, p);
    return;
  }
  if (p.durable) apply(durable_, p);
  pending_.push_back(std::move(p));
}

SparseStore SimBlockDevice::durable_image_with(std::span<const size_t> subset) const {
  std::vector<size_t> chosen(subset.begin(), subset.end());
  std::sort(chosen.begin(), chosen.end());
  SparseStore image = durable_;
  // Replay in submission order; FUA requests are on the media regardless and
  // are replayed in their place so that later pending data still wins.
  size_t next = 0;
  for (size_t i = 0; i < pending_.size(); ++i) {
    while (next < chosen.size() && chosen[next] < i) ++next;
    const bool picked = next < chosen.size() && chosen[next] == i;
    if (picked || pending_[i].durable) apply(image, pending_[i]);
  }
  return image;
}

void SimBlockDevice::power_cut() {
  machine_.trace.record("blockdev-power-cut",
                        {{"dev", config_.name}, {"dropped", pending_.size()}});
  current_ = durable_;
  pending_.clear();
}

}  // namespace vfssim
