// How a filesystem spends blocks, step by step against the host kernel:
// every case of tests/probes/xfs_space_probe.c (speculative EOF
// preallocation, delayed allocation, O_DIRECT, fallocate in every mode,
// unwritten extents and SEEK_DATA/SEEK_HOLE, reflink and CoW, truncation,
// ENOSPC) is re-enacted on the simulator, and every field the probe
// recorded in tests/probes/fixtures/xfs_space.jsonl is compared: each
// step's parameters, ret, errno and extras (calls, data, statfs, fsx,
// status, bytes_deduped, filled), and for every file of the case its size,
// st_blocks, FIEMAP, and the FIEMAP_FLAG_SYNC map and st_blocks of the
// separate replay; and each case's note.
//
// Columns: "xfs" runs on the XFS-like filesystem made by xfs_mkfs with
// default options on a 512 MiB device (as the host's `mkfs.xfs -f -q`
// image), "xfs_noreflink" the same made with "-m reflink=0", "tmpfs" on
// shmfs mounted size=256m (the probe's tmpfs). The "ext4" column is not
// compared: there is no ext4-like filesystem yet.
//
// The probe's script table is copied below verbatim (script_cases()), and
// each step runs through the simulator's syscalls as the probe makes them.
// Every case's main run and every replay (steps 1..k again on fresh files,
// then FIEMAP_FLAG_SYNC and fstat on every file) runs on a fresh machine.
// The probe's "settle" (syncfs and statfs until f_bfree and f_ffree stay
// put across 10 ms) is syncfs here, with the simulated clock moved 10 ms:
// the simulator frees unlinked inodes synchronously, with no background
// inodegc to wait for. Each run is a child process of its own: a crash of
// the simulator is one failure naming the run and step and quoting the end
// of its stderr; the steps before it and the other runs and cases are
// still compared. The recorded run ends with the probe's cleanup and the
// filesystem's fsck, whose complaints are failures too.
//
// Each mismatching field is one failure, naming the column, case, step
// (1-based, with its op), field, the simulator's value and the host's. A
// field left out is left out only where known_differences() lists it with
// its reason; the table starts empty.
//
// XFS_SPACE_ONLY=CASE (environment) runs one case, for debugging.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/blockdev.h"
#include "fs/ext4/ext4_mount.h"
#include "fs/shmfs/shmfs.h"
#include "fs/xfs/xfs_mount.h"
#include "nlohmann/json.hpp"
#include "tests/testing/host_fixture.h"
#include "vfs/host_io.h"
#include "vfs/process.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

constexpr char kFixture[] = "xfs_space.jsonl";
constexpr uint32_t kNextents = 4096;  // The probe's FIEMAP buffer (NEXTENTS).
constexpr uint64_t kFiemapMaxOffset = ~uint64_t{0};
constexpr uint64_t kSettleNs = 10'000'000;  // The probe's 10 ms between statfs calls.
constexpr int kSettleTries = 500;

// known_differences lists, per column, what is not compared, each with
// its reason: a whole case ("CASE", not run) or one field of one step
// ("CASE/STEP/FIELD", STEP 1-based, FIELD as the failures name it:
// "ret", "statfs.bfree", "f.blocks_sync", "note" for the case's note with
// STEP 0). Every entry names the one field of one step it excuses; a
// field that starts to agree makes its entry stale (reported).
// Why each known difference is one (tests/probes/README.md has the findings).
constexpr const char* kWhyHasattr =
    "the host labels every new file with an LSM security xattr (FS_XFLAG_HASATTR); vfssim has no LSM";
constexpr const char* kWhyBmbt =
    "past the extents an inode holds (fewer with the host's LSM xattr in the attribute fork) the host allocates a bmbt block; vfssim keeps every fork in the inode";
constexpr const char* kWhyFolio =
    "large folios: the host's ext4 writes back whole multi-page folios; vfssim makes large folios for "
    "XFS mappings only, ext4's page cache has 4 KiB folios";
constexpr const char* kWhyPlacement =
    "physical placement only (FIEMAP's adjacency column): an extent the host allocated after a "
    "writeback (the one a fallocate forces, a copy's) lands apart from the one before, next to it in "
    "vfssim (not traced)";
constexpr const char* kWhyBusy =
    "physical placement: the host's fallocate next to a just-freed (busy) range lands apart from the previous extent; vfssim places it adjacent";
constexpr const char* kWhyAgfl =
    "two blocks: the AGFL refill an allocation keeps back (xfs_alloc_min_freelist) is not modelled";
constexpr const char* kWhyInodegc =
    "XFS frees an unlinked inode in the background (inodegc) and FIEMAP shows SHARED until then; vfssim frees it at once";
constexpr const char* kWhyTmpfs =
    "tmpfs sizes f_files (nr_inodes) from the host's memory; shmfs keeps no inode limit and reports 0";
const std::map<std::string, std::string>* const kXfsKnown =
    new std::map<std::string, std::string>{
        {"falloc_default/2/fsx.xflags", kWhyHasattr},
        {"falloc_default/2/fsx.xflags_names", kWhyHasattr},
        {"falloc_over_delalloc/2/f.fiemap", kWhyPlacement},
        {"falloc_over_delalloc/2/f.fiemap_sync", kWhyPlacement},
        {"falloc_over_delalloc/3/f.fiemap", kWhyPlacement},
        {"falloc_over_delalloc/3/f.fiemap_sync", kWhyPlacement},
        {"ficlone/5/fsx.xflags", kWhyHasattr},
        {"ficlone/5/fsx.xflags_names", kWhyHasattr},
        {"ficlone/9/fsx.xflags", kWhyHasattr},
        {"ficlone/9/fsx.xflags_names", kWhyHasattr},
        {"ficlone_unlink_src/5/f.fiemap", kWhyInodegc},
        {"ficlone_unlink_src/5/f.fiemap_sync", kWhyInodegc},
        {"fsgetxattr/1/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/1/fsx.xflags_names", kWhyHasattr},
        {"fsgetxattr/4/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/4/fsx.xflags_names", kWhyHasattr},
        {"fsgetxattr/6/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/6/fsx.xflags_names", kWhyHasattr},
        {"fsgetxattr/8/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/8/fsx.xflags_names", kWhyHasattr},
        {"prealloc_64m_1m/1/f.fiemap_sync", kWhyAgfl},
        {"prealloc_64m_1m/2/f.fiemap", kWhyAgfl},
        {"prealloc_64m_1m/2/f.fiemap_sync", kWhyAgfl},
        {"prealloc_64m_64k/1/f.fiemap_sync", kWhyAgfl},
        {"punch_many_dirty/1/f.blocks_sync", kWhyBmbt},
        {"punch_many_dirty/1/f.fiemap_sync", kWhyBmbt},
        {"punch_many_synced/1/f.blocks_sync", kWhyBmbt},
        {"punch_many_synced/1/f.fiemap_sync", kWhyBmbt},
        {"punch_many_synced/2/f.blocks", kWhyBmbt},
        {"punch_many_synced/2/f.blocks_sync", kWhyBmbt},
        {"punch_many_synced/2/f.fiemap", kWhyBmbt},
        {"punch_many_synced/2/f.fiemap_sync", kWhyBmbt},
        {"punch_prealloc_past_eof/3/f.fiemap", kWhyBusy},
        {"punch_prealloc_past_eof/3/f.fiemap_sync", kWhyBusy},
        {"punch_prealloc_past_eof/4/f.fiemap", kWhyBusy},
        {"punch_prealloc_past_eof/4/f.fiemap_sync", kWhyBusy},
    };
const std::map<std::string, std::string>* const kXfsNoreflinkKnown =
    new std::map<std::string, std::string>{
        {"copy_range_unaligned/6/f.fiemap_sync", kWhyPlacement},
        {"falloc_default/2/fsx.xflags", kWhyHasattr},
        {"falloc_default/2/fsx.xflags_names", kWhyHasattr},
        {"falloc_over_delalloc/2/f.fiemap", kWhyPlacement},
        {"falloc_over_delalloc/2/f.fiemap_sync", kWhyPlacement},
        {"falloc_over_delalloc/3/f.fiemap", kWhyPlacement},
        {"falloc_over_delalloc/3/f.fiemap_sync", kWhyPlacement},
        {"ficlone/5/fsx.xflags", kWhyHasattr},
        {"ficlone/5/fsx.xflags_names", kWhyHasattr},
        {"ficlone/9/fsx.xflags", kWhyHasattr},
        {"ficlone/9/fsx.xflags_names", kWhyHasattr},
        {"fsgetxattr/1/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/1/fsx.xflags_names", kWhyHasattr},
        {"fsgetxattr/4/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/4/fsx.xflags_names", kWhyHasattr},
        {"fsgetxattr/6/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/6/fsx.xflags_names", kWhyHasattr},
        {"fsgetxattr/8/fsx.xflags", kWhyHasattr},
        {"fsgetxattr/8/fsx.xflags_names", kWhyHasattr},
        {"prealloc_64m_1m/1/f.fiemap_sync", kWhyAgfl},
        {"prealloc_64m_1m/2/f.fiemap", kWhyAgfl},
        {"prealloc_64m_1m/2/f.fiemap_sync", kWhyAgfl},
        {"prealloc_64m_64k/1/f.fiemap_sync", kWhyAgfl},
        {"punch_many_dirty/1/f.blocks_sync", kWhyBmbt},
        {"punch_many_dirty/1/f.fiemap_sync", kWhyBmbt},
        {"punch_many_synced/1/f.blocks_sync", kWhyBmbt},
        {"punch_many_synced/1/f.fiemap_sync", kWhyBmbt},
        {"punch_many_synced/2/f.blocks", kWhyBmbt},
        {"punch_many_synced/2/f.blocks_sync", kWhyBmbt},
        {"punch_many_synced/2/f.fiemap", kWhyBmbt},
        {"punch_many_synced/2/f.fiemap_sync", kWhyBmbt},
        {"punch_prealloc_past_eof/3/f.fiemap", kWhyBusy},
        {"punch_prealloc_past_eof/3/f.fiemap_sync", kWhyBusy},
        {"punch_prealloc_past_eof/4/f.fiemap", kWhyBusy},
        {"punch_prealloc_past_eof/4/f.fiemap_sync", kWhyBusy},
    };
const std::map<std::string, std::string>* const kTmpfsKnown =
    new std::map<std::string, std::string>{
        {"enospc_buffered_chunks/1/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_chunks/1/statfs.files", kWhyTmpfs},
        {"enospc_buffered_chunks/3/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_chunks/3/statfs.files", kWhyTmpfs},
        {"enospc_buffered_chunks/6/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_chunks/6/statfs.files", kWhyTmpfs},
        {"enospc_buffered_seq/1/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_seq/1/statfs.files", kWhyTmpfs},
        {"enospc_buffered_seq/3/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_seq/3/statfs.files", kWhyTmpfs},
        {"enospc_buffered_seq/5/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_seq/5/statfs.files", kWhyTmpfs},
        {"enospc_buffered_write/1/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_write/1/statfs.files", kWhyTmpfs},
        {"enospc_buffered_write/3/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_write/3/statfs.files", kWhyTmpfs},
        {"enospc_buffered_write/6/statfs.ffree", kWhyTmpfs},
        {"enospc_buffered_write/6/statfs.files", kWhyTmpfs},
        {"enospc_dio/1/statfs.ffree", kWhyTmpfs},
        {"enospc_dio/1/statfs.files", kWhyTmpfs},
        {"enospc_dio/3/statfs.ffree", kWhyTmpfs},
        {"enospc_dio/3/statfs.files", kWhyTmpfs},
        {"enospc_dio_chunks/1/statfs.ffree", kWhyTmpfs},
        {"enospc_dio_chunks/1/statfs.files", kWhyTmpfs},
        {"enospc_dio_chunks/3/statfs.ffree", kWhyTmpfs},
        {"enospc_dio_chunks/3/statfs.files", kWhyTmpfs},
        {"enospc_dio_chunks/5/statfs.ffree", kWhyTmpfs},
        {"enospc_dio_chunks/5/statfs.files", kWhyTmpfs},
        {"enospc_falloc/1/statfs.ffree", kWhyTmpfs},
        {"enospc_falloc/1/statfs.files", kWhyTmpfs},
        {"enospc_falloc/2/statfs.ffree", kWhyTmpfs},
        {"enospc_falloc/2/statfs.files", kWhyTmpfs},
        {"enospc_falloc/4/statfs.ffree", kWhyTmpfs},
        {"enospc_falloc/4/statfs.files", kWhyTmpfs},
        {"enospc_falloc/6/statfs.ffree", kWhyTmpfs},
        {"enospc_falloc/6/statfs.files", kWhyTmpfs},
        {"enospc_falloc/8/statfs.ffree", kWhyTmpfs},
        {"enospc_falloc/8/statfs.files", kWhyTmpfs},
        {"enospc_falloc/10/statfs.ffree", kWhyTmpfs},
        {"enospc_falloc/10/statfs.files", kWhyTmpfs},
        {"enospc_falloc/12/statfs.ffree", kWhyTmpfs},
        {"enospc_falloc/12/statfs.files", kWhyTmpfs},
        {"enospc_lowspace_prealloc/1/statfs.ffree", kWhyTmpfs},
        {"enospc_lowspace_prealloc/1/statfs.files", kWhyTmpfs},
        {"enospc_lowspace_prealloc/3/statfs.ffree", kWhyTmpfs},
        {"enospc_lowspace_prealloc/3/statfs.files", kWhyTmpfs},
    };

// The ext4 column's known differences, each with its reason (large
// folios: kWhyFolio).
constexpr const char* kWhyExt4Replay =
    "the host's own replay of the case answered differently (its background writeback and "
    "placement depend on timing), which the probe records in the note";
constexpr const char* kWhyExt4LowSpace =
    "near ENOSPC: buffered writes — ext4 switches to non-delalloc and pushes background writeback "
    "(ext4_nonda_switch, whose watermark depends on the CPU count), where the model keeps delayed "
    "allocation; fallocate and direct I/O — mballoc's placement in the fragmented free space decides "
    "how many extents, hence extent-tree blocks taken from the data, the last allocation needs (the "
    "host's fallocate ends a block short of the model's)";
constexpr const char* kWhyExt4Placement =
    "where mballoc places blocks (buddy-aligned chunks, inode and group preallocation, the "
    "largest-free-order lists) decides which extents are physically adjacent and how many extents, "
    "hence extent-tree blocks, a large file needs; the model places first-fit near the goal";
constexpr const char* kWhyExt4Uptodate =
    "ext4's buffer heads leave the blocks of a page that a small write did not touch not uptodate "
    "(block_write_begin), so SEEK_DATA/SEEK_HOLE answer per block; the model's page is uptodate whole "
    "as iomap's __iomap_write_begin makes it";
const std::map<std::string, std::string>* const kExt4Known = new std::map<std::string, std::string>{
        {"collapse_delalloc/2/f.fiemap", kWhyFolio},
        {"collapse_delalloc/3/f.fiemap", kWhyFolio},
        {"dio_over_delalloc/2/f.fiemap", kWhyFolio},
        {"dio_over_delalloc/3/f.fiemap", kWhyFolio},
        {"enospc_buffered_chunks/0/note", kWhyExt4Replay},
        {"enospc_buffered_chunks/2/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/2/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/2/f.fiemap", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/3/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/3/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/3/f.fiemap", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/3/statfs.bfree", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/4/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/4/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/4/f.fiemap", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/5/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/5/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/6/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/6/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_chunks/6/statfs.bfree", kWhyExt4LowSpace},
        {"enospc_buffered_seq/2/calls", kWhyExt4LowSpace},
        {"enospc_buffered_seq/2/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_seq/2/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/2/f.fiemap", kWhyExt4LowSpace},
        {"enospc_buffered_seq/2/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/2/f.size", kWhyExt4LowSpace},
        {"enospc_buffered_seq/2/ret", kWhyExt4LowSpace},
        {"enospc_buffered_seq/3/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_seq/3/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/3/f.fiemap", kWhyExt4LowSpace},
        {"enospc_buffered_seq/3/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/3/f.size", kWhyExt4LowSpace},
        {"enospc_buffered_seq/3/statfs.bfree", kWhyExt4LowSpace},
        {"enospc_buffered_seq/4/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_seq/4/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/4/f.fiemap", kWhyExt4LowSpace},
        {"enospc_buffered_seq/4/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/4/f.size", kWhyExt4LowSpace},
        {"enospc_buffered_seq/5/f.blocks", kWhyExt4LowSpace},
        {"enospc_buffered_seq/5/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/5/f.fiemap", kWhyExt4LowSpace},
        {"enospc_buffered_seq/5/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_buffered_seq/5/f.size", kWhyExt4LowSpace},
        {"enospc_buffered_seq/5/statfs.bfree", kWhyExt4LowSpace},
        {"enospc_dio/2/f.blocks", kWhyExt4LowSpace},
        {"enospc_dio/2/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_dio/2/f.fiemap", kWhyExt4LowSpace},
        {"enospc_dio/2/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_dio/3/f.blocks", kWhyExt4LowSpace},
        {"enospc_dio/3/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_dio/3/f.fiemap", kWhyExt4LowSpace},
        {"enospc_dio/3/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_dio/3/statfs.bfree", kWhyExt4LowSpace},
        {"enospc_dio_chunks/2/f.blocks", kWhyExt4LowSpace},
        {"enospc_dio_chunks/2/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/2/f.fiemap", kWhyExt4LowSpace},
        {"enospc_dio_chunks/2/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/3/f.blocks", kWhyExt4LowSpace},
        {"enospc_dio_chunks/3/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/3/f.fiemap", kWhyExt4LowSpace},
        {"enospc_dio_chunks/3/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/3/statfs.bfree", kWhyExt4LowSpace},
        {"enospc_dio_chunks/4/f.blocks", kWhyExt4LowSpace},
        {"enospc_dio_chunks/4/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/4/f.fiemap", kWhyExt4LowSpace},
        {"enospc_dio_chunks/4/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/5/f.blocks", kWhyExt4LowSpace},
        {"enospc_dio_chunks/5/f.blocks_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/5/f.fiemap", kWhyExt4LowSpace},
        {"enospc_dio_chunks/5/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_dio_chunks/5/statfs.bfree", kWhyExt4LowSpace},
        {"enospc_falloc/10/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/10/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/10/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/11/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/11/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/11/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/12/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/12/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/12/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/3/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/3/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/3/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/4/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/4/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/4/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/5/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/5/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/5/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/6/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/6/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/6/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/7/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/7/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/7/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/8/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/8/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/8/f.size", kWhyExt4LowSpace},
        {"enospc_falloc/9/f.fiemap", kWhyExt4LowSpace},
        {"enospc_falloc/9/f.fiemap_sync", kWhyExt4LowSpace},
        {"enospc_falloc/9/f.size", kWhyExt4LowSpace},
        {"fsgetxattr/0/note", kWhyExt4Replay},
        {"fsgetxattr/7/f.fiemap", kWhyExt4Placement},
        {"fsgetxattr/8/f.fiemap", kWhyExt4Placement},
        {"prealloc_64m_1m/0/note", kWhyExt4Replay},
        {"prealloc_64m_1m/1/f.blocks_sync", kWhyExt4Placement},
        {"prealloc_64m_1m/2/f.blocks", kWhyExt4Placement},
        {"prealloc_64m_1m/2/f.blocks_sync", kWhyExt4Placement},
        {"prealloc_64m_1m/3/f.blocks", kWhyExt4Placement},
        {"prealloc_64m_1m/4/f.blocks", kWhyExt4Placement},
        {"prealloc_64m_64k/2/f.blocks_sync", kWhyExt4Placement},
        {"prealloc_64m_64k/3/f.blocks", kWhyExt4Placement},
        {"prealloc_64m_64k/3/f.blocks_sync", kWhyExt4Placement},
        {"seek_keepsize/3/ret", kWhyExt4Uptodate},
        {"seek_keepsize/5/ret", kWhyExt4Uptodate},
        {"seek_keepsize/8/ret", kWhyExt4Uptodate},
        {"seek_keepsize/9/ret", kWhyExt4Uptodate},
        {"seek_unwritten/10/ret", kWhyExt4Uptodate},
        {"seek_unwritten/11/ret", kWhyExt4Uptodate},
        {"seek_unwritten/5/ret", kWhyExt4Uptodate},
        {"seek_unwritten/6/ret", kWhyExt4Uptodate},
        {"zero_delalloc/2/f.fiemap_sync", kWhyExt4Placement},
        {"zero_delalloc/3/f.fiemap", kWhyExt4Placement},
        {"zero_delalloc/3/f.fiemap_sync", kWhyExt4Placement},
        {"zero_hole/3/f.fiemap", kWhyExt4Placement},
        {"zero_hole/3/f.fiemap_sync", kWhyExt4Placement},
};

const std::map<std::string, std::string>& known_differences(const std::string& column) {
  if (column == "ext4") return *kExt4Known;
  if (column == "xfs") return *kXfsKnown;
  if (column == "xfs_noreflink") return *kXfsNoreflinkKnown;
  return *kTmpfsKnown;
}

// ScriptCase is one row of the probe's cases[]: a name and its script of
// steps separated by ";".
struct ScriptCase {
  std::string name;
  std::string script;
};

// script_cases is the probe's table, verbatim (its SRC64, W64K16 and W1M8
// macros as strings).
const std::vector<ScriptCase>& script_cases() {
  static const auto* all = [] {
    const std::string src64 = "create file=s; pwrite file=s off=0 len=64K; fsync file=s; ";
    const std::string w64k16 =
        "pwrite off=0 len=64K; pwrite off=64K len=64K; pwrite off=128K len=64K; "
        "pwrite off=192K len=64K; pwrite off=256K len=64K; pwrite off=320K len=64K; "
        "pwrite off=384K len=64K; pwrite off=448K len=64K; pwrite off=512K len=64K; "
        "pwrite off=576K len=64K; pwrite off=640K len=64K; pwrite off=704K len=64K; "
        "pwrite off=768K len=64K; pwrite off=832K len=64K; pwrite off=896K len=64K; "
        "pwrite off=960K len=64K; ";
    const std::string w1m8 =
        "pwrite off=0 len=1M; pwrite off=1M len=1M; pwrite off=2M len=1M; pwrite off=3M len=1M; "
        "pwrite off=4M len=1M; pwrite off=5M len=1M; pwrite off=6M len=1M; pwrite off=7M len=1M; ";
    return new std::vector<ScriptCase>{
      // speculative EOF preallocation
      {"prealloc_4k", "pwrite off=0 len=4K; fsync; close_reopen; ftruncate len=4K"},
      {"prealloc_64k", "pwrite off=0 len=64K; fsync; close_reopen; ftruncate len=64K"},
      {"prealloc_1m_64k", w64k16 + "fsync; close_reopen; ftruncate len=1M"},
      {"prealloc_8m_1m", w1m8 + "fsync; close_reopen; ftruncate len=8M"},
      {"prealloc_8m_64k", "pwrite_seq off=0 len=8M chunk=64K; fsync; close_reopen; ftruncate len=4M; close_reopen"},
      {"prealloc_64m_1m", "pwrite_seq off=0 len=64M chunk=1M; fsync; close_reopen; ftruncate len=64M"},
      {"prealloc_64m_64k", "pwrite_seq off=0 len=64M chunk=64K; close_reopen; fsync"},
      {"prealloc_single_8m", "pwrite off=0 len=8M; pwrite off=8M len=8M; fsync; close_reopen"},
      {"prealloc_4k_chunks",
       "pwrite_seq off=0 len=64K chunk=4K; pwrite_seq off=64K len=64K chunk=4K; "
       "pwrite_seq off=128K len=128K chunk=4K; pwrite_seq off=256K len=768K chunk=4K; fsync; close_reopen"},
      {"prealloc_close_unsynced", "pwrite_seq off=0 len=1M chunk=64K; close_reopen; fsync; close_reopen"},
      {"prealloc_append_cycles",
       "pwrite off=0 len=1M; close_reopen; pwrite off=1M len=1M; close_reopen; pwrite off=2M len=1M; "
       "close_reopen; fsync; close_reopen"},
      {"prealloc_nonextending",
       "pwrite_seq off=0 len=1M chunk=64K; fsync; close_reopen; pwrite off=4K len=4K; fsync; close_reopen; "
       "pwrite off=1020K len=4K; close_reopen"},
      {"prealloc_hole_inside", "ftruncate len=1M; pwrite off=512K len=64K; fsync; close_reopen"},
      {"prealloc_far_past_eof", "pwrite off=0 len=64K; pwrite off=256M len=64K; fsync; close_reopen"},
      {"prealloc_far_after_seq",
       "pwrite_seq off=0 len=1M chunk=64K; pwrite off=100M len=64K; pwrite off=1M len=64K; fsync; close_reopen"},
      {"prealloc_trunc_up_extend", "ftruncate len=1M; pwrite off=1M len=64K; pwrite off=1088K len=64K; fsync; close_reopen"},
      {"prealloc_fdatasync", "pwrite_seq off=0 len=1M chunk=64K; fdatasync; close_reopen"},
      {"prealloc_trunc_down_unsynced", "pwrite_seq off=0 len=1M chunk=64K; ftruncate len=512K; close_reopen; fsync"},
      {"prealloc_trunc_same_unsynced", "pwrite_seq off=0 len=1M chunk=64K; ftruncate len=1M; fsync; close_reopen"},
      {"prealloc_unaligned_eof", "pwrite_seq off=0 len=1000000 chunk=100000; fsync; close_reopen"},
      {"prealloc_dio_seq", "dio_pwrite off=0 len=64K; dio_pwrite off=64K len=64K; dio_pwrite off=128K len=1M; close_reopen"},
      // delayed allocation, O_DIRECT
      {"delalloc_4k", "pwrite off=0 len=4K; fsync"},
      {"delalloc_100b", "pwrite off=0 len=100; fsync; pread off=0 len=4K"},
      {"delalloc_sparse", "pwrite off=0 len=4K; pwrite off=64K len=4K; fsync"},
      {"delalloc_overwrite_synced", "pwrite off=0 len=64K; fsync; pwrite off=0 len=4K; fsync"},
      {"delalloc_syncfs", "pwrite off=0 len=64K; syncfs"},
      {"dio_empty", "dio_pwrite off=0 len=4K; dio_pwrite off=8K len=4K; fsync"},
      {"dio_512",
       "dio_pwrite off=512 len=512; pread off=0 len=4K; dio_pwrite off=0 len=512; dio_pwrite off=2048 len=512; "
       "pread off=0 len=4K; fsync"},
      {"dio_into_falloc",
       "falloc mode=DEFAULT off=0 len=64K; dio_pwrite off=4K len=4K; dio_pwrite off=8704 len=512; pread off=8K len=4K; fsync"},
      {"dio_into_keepsize", "falloc mode=KEEP_SIZE off=0 len=64K; dio_pwrite off=0 len=4K; dio_pwrite off=8K len=4K; close_reopen"},
      {"dio_over_delalloc", "pwrite off=0 len=8K; dio_pwrite off=4K len=4K c=d; pread off=0 len=8K; fsync"},
      {"dio_far_past_eof", "dio_pwrite off=1M len=4K; close_reopen"},
      {"dio_misaligned", "dio_pwrite off=100 len=4K; dio_pwrite off=0 len=100; dio_pwrite off=256 len=512"},
      // fallocate
      {"falloc_default", "falloc mode=DEFAULT off=0 len=64K; fsgetxattr; close_reopen; fsync"},
      {"falloc_default_unaligned", "falloc mode=DEFAULT off=1000 len=5000; pread off=0 len=8K"},
      {"falloc_keepsize", "falloc mode=KEEP_SIZE off=0 len=64K; close_reopen; ftruncate len=8K; ftruncate len=4K; close_reopen"},
      {"falloc_keepsize_unaligned", "falloc mode=KEEP_SIZE off=1000 len=5000; ftruncate len=5000"},
      {"falloc_keepsize_past_eof",
       "pwrite off=0 len=4K; fsync; falloc mode=KEEP_SIZE off=1M len=64K; close_reopen; ftruncate len=4K"},
      {"falloc_default_past_eof", "pwrite off=0 len=4K; fsync; falloc mode=DEFAULT off=1M len=64K"},
      {"falloc_len0",
       "falloc mode=DEFAULT off=0 len=0; falloc mode=KEEP_SIZE off=0 len=0; falloc mode=PUNCH_HOLE|KEEP_SIZE off=0 len=0; "
       "falloc mode=ZERO_RANGE off=0 len=0; falloc mode=COLLAPSE_RANGE off=0 len=0; falloc mode=INSERT_RANGE off=0 len=0; "
       "falloc mode=UNSHARE_RANGE off=0 len=0"},
      {"falloc_bad_modes",
       "pwrite off=0 len=64K; fsync; falloc mode=PUNCH_HOLE off=0 len=4K; "
       "falloc mode=ZERO_RANGE|PUNCH_HOLE|KEEP_SIZE off=0 len=4K; falloc mode=COLLAPSE_RANGE|KEEP_SIZE off=0 len=4K; "
       "falloc mode=INSERT_RANGE|KEEP_SIZE off=0 len=4K; falloc mode=UNSHARE_RANGE|PUNCH_HOLE|KEEP_SIZE off=0 len=4K; "
       "falloc mode=DEFAULT off=-1 len=4K; falloc mode=DEFAULT off=0 len=-1"},
      {"falloc_straddle_eof",
       "pwrite off=0 len=10000; fsync; falloc mode=KEEP_SIZE off=8K len=8K; falloc mode=DEFAULT off=8K len=8K; "
       "pread off=8K len=8K"},
      {"falloc_over_data", "pwrite off=0 len=64K; fsync; falloc mode=DEFAULT off=0 len=128K"},
      {"falloc_over_delalloc", "pwrite off=0 len=16K; falloc mode=DEFAULT off=0 len=64K; fsync"},
      {"falloc_keepsize_then_extend",
       "falloc mode=KEEP_SIZE off=0 len=1M; pwrite_seq off=0 len=256K chunk=64K; close_reopen; fsync; ftruncate len=256K"},
      {"falloc_unwritten_read", "falloc mode=DEFAULT off=0 len=64K; pread off=0 len=100; pread off=60K len=8K"},
      {"falloc_write_unwritten_partial", "falloc mode=DEFAULT off=0 len=64K; pwrite off=1000 len=100; fsync; pread off=0 len=8K"},
      {"falloc_write_unwritten_full", "falloc mode=DEFAULT off=0 len=64K; pwrite off=16K len=16K; fsync"},
      {"falloc_write_unwritten_extend", "falloc mode=KEEP_SIZE off=0 len=64K; pwrite off=0 len=100; pwrite off=60K len=8K; fsync"},
      {"punch_aligned", "pwrite off=0 len=64K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=16K len=16K; pread off=12K len=24K"},
      {"punch_unaligned",
       "pwrite off=0 len=64K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=1000 len=5000; pread off=0 len=8K; "
       "falloc mode=PUNCH_HOLE|KEEP_SIZE off=1000 len=10000; pread off=0 len=12K"},
      {"punch_delalloc", "pwrite off=0 len=64K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=16K len=16K; fsync"},
      {"punch_straddle_eof", "pwrite off=0 len=10000; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=4K len=1M; pread off=0 len=12K"},
      {"punch_past_eof", "pwrite off=0 len=8K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=64K len=64K"},
      {"punch_prealloc_past_eof",
       "pwrite off=0 len=8K; fsync; falloc mode=KEEP_SIZE off=8K len=56K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=32K len=32K"},
      {"punch_many_synced",
       "pwrite_seq off=0 len=512K chunk=4K stride=8K; fsync; falloc mode=PUNCH_HOLE|KEEP_SIZE off=0 len=1M"},
      {"punch_many_dirty",
       "pwrite_seq off=0 len=512K chunk=4K stride=8K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=0 len=1M; fsync"},
      {"punch_unwritten",
       "falloc mode=DEFAULT off=0 len=64K; falloc mode=PUNCH_HOLE|KEEP_SIZE off=16K len=16K; "
       "falloc mode=PUNCH_HOLE|KEEP_SIZE off=1000 len=2000"},
      {"zero_aligned", "pwrite off=0 len=64K; fsync; falloc mode=ZERO_RANGE off=16K len=16K; pread off=12K len=24K; fsync"},
      {"zero_unaligned", "pwrite off=0 len=64K; fsync; falloc mode=ZERO_RANGE off=1000 len=5000; pread off=0 len=8K; fsync"},
      {"zero_past_eof", "pwrite off=0 len=8K; fsync; falloc mode=ZERO_RANGE off=4K len=16K; pread off=0 len=20K"},
      {"zero_keepsize_past_eof", "pwrite off=0 len=8K; fsync; falloc mode=ZERO_RANGE|KEEP_SIZE off=4K len=16K; close_reopen"},
      {"zero_unaligned_past_eof", "pwrite off=0 len=5000; fsync; falloc mode=ZERO_RANGE off=3000 len=5000; pread off=0 len=8K"},
      {"zero_hole", "ftruncate len=64K; falloc mode=ZERO_RANGE off=0 len=64K; falloc mode=ZERO_RANGE off=100K len=1000"},
      {"zero_delalloc", "pwrite off=0 len=64K; falloc mode=ZERO_RANGE off=16K len=16K; fsync"},
      {"collapse", "pwrite off=0 len=64K; fsync; falloc mode=COLLAPSE_RANGE off=16K len=16K; pread off=0 len=48K"},
      {"collapse_bad",
       "pwrite off=0 len=64K; fsync; falloc mode=COLLAPSE_RANGE off=1000 len=4K; falloc mode=COLLAPSE_RANGE off=4K len=5000; "
       "falloc mode=COLLAPSE_RANGE off=48K len=16K; falloc mode=COLLAPSE_RANGE off=56K len=16K; "
       "falloc mode=COLLAPSE_RANGE off=64K len=4K"},
      {"collapse_delalloc", "pwrite off=0 len=64K; falloc mode=COLLAPSE_RANGE off=16K len=16K; pread off=0 len=48K"},
      {"collapse_unaligned_eof", "pwrite off=0 len=10000; fsync; falloc mode=COLLAPSE_RANGE off=0 len=4K; pread off=0 len=8K"},
      {"insert", "pwrite off=0 len=64K; fsync; falloc mode=INSERT_RANGE off=16K len=16K; pread off=0 len=80K"},
      {"insert_bad",
       "pwrite off=0 len=64K; fsync; falloc mode=INSERT_RANGE off=1000 len=4K; falloc mode=INSERT_RANGE off=4K len=5000; "
       "falloc mode=INSERT_RANGE off=64K len=4K; falloc mode=INSERT_RANGE off=128K len=4K"},
      {"insert_delalloc", "pwrite off=0 len=64K; falloc mode=INSERT_RANGE off=0 len=4K; pread off=0 len=8K"},
      {"insert_prealloc_past_eof",
       "pwrite off=0 len=64K; fsync; falloc mode=KEEP_SIZE off=64K len=64K; falloc mode=INSERT_RANGE off=0 len=4K"},
      {"unshare_unshared", "pwrite off=0 len=64K; fsync; falloc mode=UNSHARE_RANGE off=0 len=64K"},
      {"unshare_hole",
       "ftruncate len=64K; falloc mode=UNSHARE_RANGE off=0 len=64K; falloc mode=UNSHARE_RANGE|KEEP_SIZE off=64K len=64K; "
       "falloc mode=UNSHARE_RANGE off=128K len=64K"},
      {"write_zeroes", "pwrite off=0 len=64K; fsync; falloc mode=WRITE_ZEROES off=16K len=16K; falloc mode=WRITE_ZEROES off=64K len=16K"},
      // SEEK_DATA / SEEK_HOLE
      {"seek_unwritten",
       "falloc mode=DEFAULT off=0 len=64K; seek whence=DATA off=0; seek whence=HOLE off=0; pwrite off=30000 len=100; "
       "seek whence=DATA off=0; seek whence=HOLE off=28K; seek whence=HOLE off=0; seek whence=DATA off=32K; fsync; "
       "seek whence=DATA off=0; seek whence=HOLE off=28K; seek whence=DATA off=32K"},
      {"seek_keepsize",
       "falloc mode=KEEP_SIZE off=0 len=64K; pwrite off=30000 len=100; seek whence=DATA off=0; seek whence=HOLE off=0; "
       "seek whence=HOLE off=28K; seek whence=DATA off=30100; fsync; seek whence=DATA off=0; seek whence=HOLE off=28K"},
      {"seek_unwritten_dontneed",
       "falloc mode=DEFAULT off=0 len=64K; pwrite off=30000 len=100; fsync; fadvise_dontneed; seek whence=DATA off=0; "
       "seek whence=HOLE off=28K; seek whence=DATA off=32K"},
      {"seek_prealloc",
       "pwrite_seq off=0 len=1M chunk=64K; seek whence=HOLE off=0; seek whence=DATA off=1M; seek whence=END off=0; fsync; "
       "seek whence=HOLE off=0"},
      {"seek_delalloc_sparse",
       "pwrite off=0 len=4K; pwrite off=1M len=4K; seek whence=DATA off=4K; seek whence=HOLE off=0; fsync; "
       "seek whence=DATA off=4K; seek whence=HOLE off=0"},
      // reflink, CoW, dedupe, copy_file_range
      {"ficlone",
       src64 + "ficlone_from src=s; fsgetxattr; pwrite off=16K len=4K c=z; fsync; close_reopen; fsgetxattr; pread off=12K len=12K"},
      {"ficlone_unsynced_src", "create file=s; pwrite file=s off=0 len=64K; ficlone_from src=s; fsync"},
      {"ficlone_cow_dio", src64 + "ficlone_from src=s; dio_pwrite off=16K len=4K c=z; close_reopen"},
      {"ficlone_write_src", src64 + "ficlone_from src=s; pwrite file=s off=0 len=4K c=z; fsync file=s; pread off=0 len=4K"},
      {"ficlone_cow_overwrite_all", src64 + "ficlone_from src=s; pwrite_seq off=0 len=64K chunk=4K c=z; fsync; close_reopen"},
      {"ficlone_punch_src", src64 + "ficlone_from src=s; falloc file=s mode=PUNCH_HOLE|KEEP_SIZE off=0 len=32K"},
      {"ficlone_unlink_src", src64 + "ficlone_from src=s; unlink file=s; settle"},
      {"ficlone_unaligned_size",
       "create file=s; pwrite file=s off=0 len=10000; fsync file=s; ficlone_from src=s; pwrite off=10000 len=100; pread off=8K len=4K"},
      {"ficlone_into_bigger", src64 + "pwrite off=0 len=128K c=z; fsync; ficlone_from src=s; pread off=60K len=8K"},
      {"ficlonerange",
       src64 + "pwrite off=0 len=64K c=z; fsync; ficlonerange_from src=s src_off=16K len=16K dst_off=0; "
       "ficlonerange_from src=s src_off=0 len=4K dst_off=128K; ficlonerange_from src=s src_off=1000 len=4K dst_off=0"},
      {"dedupe_equal", src64 + "pwrite off=0 len=64K; fsync; dedupe_from src=s src_off=0 len=64K dst_off=0"},
      {"dedupe_unsynced", "create file=s; pwrite file=s off=0 len=64K; pwrite off=0 len=64K; dedupe_from src=s src_off=0 len=64K dst_off=0"},
      {"dedupe_different", src64 + "pwrite off=0 len=64K c=z; fsync; dedupe_from src=s src_off=0 len=64K dst_off=0"},
      {"dedupe_partly_different",
       src64 + "pwrite off=0 len=64K; pwrite off=40000 len=1 c=z; fsync; dedupe_from src=s src_off=0 len=64K dst_off=0; "
       "dedupe_from src=s src_off=0 len=32K dst_off=0; dedupe_from src=s src_off=32K len=5000 dst_off=32K"},
      {"unshare_clone", src64 + "ficlone_from src=s; falloc mode=UNSHARE_RANGE off=0 len=64K; fsync"},
      {"unshare_clone_partial",
       src64 + "ficlone_from src=s; falloc mode=UNSHARE_RANGE off=4K len=8K; falloc mode=UNSHARE_RANGE off=1000 len=100; fsync"},
      {"unshare_clone_past_eof", src64 + "ficlone_from src=s; falloc mode=UNSHARE_RANGE|KEEP_SIZE off=32K len=64K; fsync"},
      {"copy_range", src64 + "copy_range_from src=s src_off=0 len=64K dst_off=0; fsync"},
      {"copy_range_unaligned",
       src64 + "copy_range_from src=s src_off=1000 len=5000 dst_off=0; copy_range_from src=s src_off=4K len=8K dst_off=64K; "
       "copy_range_from src=s src_off=60K len=8K dst_off=128K"},
      {"copy_range_unsynced_src", "create file=s; pwrite file=s off=0 len=64K; copy_range_from src=s src_off=0 len=64K dst_off=0"},
      {"fsgetxattr",
       "fsgetxattr; fsgetxattr file=.; pwrite off=0 len=64K; fsgetxattr; falloc mode=KEEP_SIZE off=64K len=64K; fsgetxattr; "
       "fsync; fsgetxattr"},
      {"trunc_clone", src64 + "ficlone_from src=s; ftruncate len=5000; ftruncate len=64K; pread off=4K len=4K; fsync"},
      // truncation
      {"trunc_down_up_synced", "pwrite off=0 len=8K; fsync; ftruncate len=5000; ftruncate len=8K; pread off=0 len=8K; fsync"},
      {"trunc_down_up_dirty", "pwrite off=0 len=8K; ftruncate len=5000; ftruncate len=8K; pread off=0 len=8K"},
      {"trunc_down_up_unwritten", "falloc mode=DEFAULT off=0 len=64K; ftruncate len=5000; ftruncate len=64K; pread off=4K len=4K"},
      {"trunc_up_empty", "ftruncate len=1M; fsync; pread off=0 len=100"},
      {"trunc_down_blocks", "pwrite off=0 len=64K; fsync; ftruncate len=16K; ftruncate len=15000; ftruncate len=0"},
      // ENOSPC (fill_fs leaves about `leave` bytes free)
      {"enospc_falloc",
       "statfs; fill_fs leave=16M; falloc mode=DEFAULT off=0 len=64M; statfs; falloc mode=KEEP_SIZE off=0 len=64M; statfs; "
       "falloc mode=DEFAULT off=0 len=17M; statfs; falloc mode=DEFAULT off=0 len=8M; statfs; "
       "falloc mode=DEFAULT off=8M len=16M; statfs"},
      {"enospc_buffered_write", "fill_fs leave=4M; pwrite off=0 len=8M; statfs; pwrite off=8M len=4K; fsync; statfs"},
      {"enospc_buffered_chunks", "fill_fs leave=6M; pwrite off=0 len=16M; statfs; pwrite off=0 len=16M; fsync; statfs"},
      {"enospc_buffered_seq", "fill_fs leave=8M; pwrite_seq off=0 len=16M chunk=1M; statfs; fsync; statfs"},
      {"enospc_dio", "fill_fs leave=4M; dio_pwrite off=0 len=8M; statfs"},
      {"enospc_dio_chunks", "fill_fs leave=6M; dio_pwrite off=0 len=8M; statfs; close_reopen; statfs"},
      {"enospc_lowspace_prealloc", "fill_fs leave=24M; pwrite_seq off=0 len=4M chunk=64K; statfs; fsync; close_reopen"},
    };
  }();
  return *all;
}

// ---- runs in a child process ----

// Every recorded run and every replay runs in a child process of its own
// (isolated_run below), so that a simulator crash is one failure of its
// case and the other cases still run. g_report_fd is the child's pipe to
// the test; -1 in the test's own process.
int g_report_fd = -1;

// report_line writes one JSON line to the test.
void report_line(const Json& j) {
  const std::string line = j.dump() + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(g_report_fd, line.data() + done, line.size() - done);
    if (n <= 0) _exit(3);
    done += static_cast<size_t>(n);
  }
}

// sim_error reports what would stop the probe (a setup call that fails, a
// broken script): a failure of the case, which goes on.
void sim_error(const std::string& msg) {
  if (g_report_fd >= 0) {
    report_line(Json{{"error", msg}});
  } else {
    ADD_FAILURE() << msg;
  }
}

// ---- the script, parsed as the probe parses it ----

// Arg is one KEY=VALUE of a step: a number (K/M/G multiplied out) unless
// the key is c, file or src or the value does not parse as one.
struct Arg {
  std::string key;
  std::string val;
  int64_t num = 0;
  bool isnum = false;
};

// parse_num is the probe's: strtoll, then an optional K, M or G, then the
// end of the value.
bool parse_num(const std::string& s, int64_t* out) {
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (end == s.c_str() || errno != 0) return false;
  if (*end == 'K') {
    v <<= 10, ++end;
  } else if (*end == 'M') {
    v <<= 20, ++end;
  } else if (*end == 'G') {
    v <<= 30, ++end;
  }
  if (*end != '\0') return false;
  *out = v;
  return true;
}

// Step is one step of a case's script.
struct Step {
  std::string op;
  std::vector<Arg> args;

  const Arg* find(std::string_view key) const {
    for (const Arg& a : args) {
      if (a.key == key) return &a;
    }
    return nullptr;
  }
  std::string str_or(std::string_view key, std::string dflt) const {
    const Arg* a = find(key);
    return a ? a->val : dflt;
  }
  // num is the number `key` gives; a step without it is a broken script.
  int64_t num(std::string_view key) const {
    const Arg* a = find(key);
    if (a == nullptr || !a->isnum) {
      sim_error("step " + op + ": needs a number " + std::string(key));
      return 0;
    }
    return a->num;
  }
  int64_t num_or(std::string_view key, int64_t dflt) const { return find(key) ? num(key) : dflt; }
  // params is the step's "op" and parameters as the probe prints them.
  Json params() const {
    Json j = Json::object();
    j["op"] = op;
    for (const Arg& a : args) {
      if (a.isnum) {
        j[a.key] = a.num;
      } else {
        j[a.key] = a.val;
      }
    }
    return j;
  }
};

// split is strtok: the non-empty pieces of `s` between `delim`s.
std::vector<std::string> split(const std::string& s, char delim) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == delim) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<Step> parse_script(const std::string& script) {
  std::vector<Step> steps;
  for (const std::string& part : split(script, ';')) {
    std::vector<std::string> toks = split(part, ' ');
    if (toks.empty()) continue;
    Step s;
    s.op = toks[0];
    for (size_t i = 1; i < toks.size(); ++i) {
      const size_t eq = toks[i].find('=');
      if (eq == std::string::npos) {
        ADD_FAILURE() << "bad token " << toks[i] << " in " << script;
        continue;
      }
      Arg a;
      a.key = toks[i].substr(0, eq);
      a.val = toks[i].substr(eq + 1);
      a.isnum = a.key != "c" && a.key != "file" && a.key != "src" && parse_num(a.val, &a.num);
      s.args.push_back(std::move(a));
    }
    steps.push_back(std::move(s));
  }
  return steps;
}

// ---- one machine ----

// World is one fresh simulated machine: the column's filesystem at "/"
// (shmfs size=256m; or the XFS-like filesystem, mkfs'd on the 512 MiB
// device, with reflink=0 for "xfs_noreflink"), a root process, and B, a
// page of user memory for statfs's buffer and copy_file_range's offsets.
class World {
 public:
  explicit World(const std::string& column) : column_(column) {
    register_shmfs(vfs);
    if (column == "tmpfs") {
      mounted = vfs.mount("shmfs", nullptr, "size=256m", "/", Creds::root());
    } else if (column == "ext4") {
      // The probe's ext4: `mkfs.ext4 -q -F` on a 256 MiB image.
      register_ext4(vfs);
      mounted = ext4_mkfs(m, bdev, "256m");
      if (mounted == Errno::kOk) mounted = vfs.mount("ext4", &bdev, "", "/", Creds::root());
    } else {
      register_xfs(vfs);
      mounted = xfs_mkfs(m, bdev, column == "xfs_noreflink" ? "-m reflink=0" : "");
      if (mounted == Errno::kOk) mounted = vfs.mount("xfs", &bdev, "", "/", Creds::root());
    }
    Result<uint64_t> b = p.mmap(0, 4096, kProtRead | kProtWrite, kMAP_PRIVATE | kMAP_ANONYMOUS, -1, 0);
    B = b ? *b : 0;
  }

  // fsck: the filesystem's consistency check.
  std::vector<std::string> fsck() {
    Superblock* sb = vfs.find_mount(column_ == "tmpfs" ? "shmfs" : column_ == "ext4" ? "ext4" : "xfs");
    return sb ? sb->check() : std::vector<std::string>{"no mount"};
  }

  Machine m{1};
  SimBlockDevice bdev{m, BlockDeviceConfig{.capacity_bytes = 512ull << 20}};
  Vfs vfs{m};
  Process p{vfs, Creds::root()};
  Errno mounted = Errno::kOk;
  uint64_t B = 0;

 private:
  std::string column_;
};

// ---- one run of a case's steps (the probe's struct ctx) ----

// FileState is what capture() records of one file after a step.
struct FileState {
  std::string name;
  int64_t size = -1;
  int64_t blocks = -1;
  Json fiemap;
  bool synced = false;  // fiemap_sync and blocks_sync are from a replay.
  Json fiemap_sync;
  int64_t blocks_sync = -1;
};

// StepRecord is one step's answer ("ret", "errno" and extras) and files.
struct StepRecord {
  Json answer;
  std::vector<FileState> files;
};

// The probe's struct sfs.
struct Sfs {
  int64_t bsize = 0;
  uint64_t blocks = 0, bfree = 0, bavail = 0, files = 0, ffree = 0;
};

Json sfs_json(const Sfs& s) {
  return Json{{"bsize", s.bsize}, {"blocks", s.blocks}, {"bfree", s.bfree},
              {"bavail", s.bavail}, {"files", s.files},  {"ffree", s.ffree}};
}

// The FIEMAP_EXTENT_* names by bit, as the probe names them.
std::string fiemap_flag_names(uint32_t fl) {
  static constexpr const char* kNames[] = {"LAST",        "UNKNOWN",        "DELALLOC",    "ENCODED",
                                           nullptr,       nullptr,          nullptr,       "DATA_ENCRYPTED",
                                           "NOT_ALIGNED", "DATA_INLINE",    "DATA_TAIL",   "UNWRITTEN",
                                           "MERGED",      "SHARED"};
  std::string out;
  for (unsigned b = 0; b < 32; ++b) {
    if (!(fl & (1u << b))) continue;
    if (!out.empty()) out += "|";
    if (b < std::size(kNames) && kNames[b] != nullptr) {
      out += kNames[b];
    } else {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%x", 1u << b);
      out += hex;
    }
  }
  return out;
}

// The FS_XFLAG_* names, as the probe names them.
std::string xflags_names(uint32_t x) {
  static constexpr struct {
    uint32_t bit;
    const char* name;
  } kT[] = {{0x1, "REALTIME"},       {0x2, "PREALLOC"},     {0x8, "IMMUTABLE"},
            {0x10, "APPEND"},        {0x20, "SYNC"},        {0x40, "NOATIME"},
            {0x80, "NODUMP"},        {0x100, "RTINHERIT"},  {0x200, "PROJINHERIT"},
            {0x400, "NOSYMLINKS"},   {0x800, "EXTSIZE"},    {0x1000, "EXTSZINHERIT"},
            {0x2000, "NODEFRAG"},    {0x4000, "FILESTREAM"}, {0x8000, "DAX"},
            {0x10000, "COWEXTSIZE"}, {0x80000000u, "HASATTR"}};
  std::string out;
  for (const auto& t : kT) {
    if (x & t.bit) {
      if (!out.empty()) out += "|";
      out += t.name;
      x &= ~t.bit;
    }
  }
  if (x) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", x);
    if (!out.empty()) out += "|";
    out += hex;
  }
  return out;
}

// fill_buf: the byte c, or each byte's block letter 'A' + (o / 4096) % 26.
std::vector<std::byte> fill_buf(int64_t off, int64_t len, const Arg* c) {
  std::vector<std::byte> b(static_cast<size_t>(len));
  for (int64_t i = 0; i < len; ++i) {
    b[static_cast<size_t>(i)] =
        std::byte(static_cast<uint8_t>(c ? c->val[0] : 'A' + ((off + i) / 4096) % 26));
  }
  return b;
}

Json rle_json(std::span<const std::byte> p) {
  Json out = Json::array();
  size_t i = 0;
  while (i < p.size()) {
    size_t j = i;
    while (j < p.size() && p[j] == p[i]) ++j;
    out.push_back(Json::array({static_cast<unsigned>(p[i]), static_cast<int64_t>(j - i)}));
    i = j;
  }
  return out;
}

// CaseRun is one run of a case's steps on a fresh machine, from "f"
// created and open to the end of the case (the probe's ctx_start, run_step,
// capture and ctx_end). Where the probe would die (a setup call that
// fails), the run reports a failure naming `where` and goes on.
class CaseRun {
 public:
  CaseRun(const std::string& column, std::string where)
      : w_(std::make_unique<World>(column)), where_(std::move(where)) {
    if (w_->mounted != Errno::kOk) die("mount", w_->mounted);
    add_file("f");
  }

  Process& p() { return w_->p; }
  World& world() { return *w_; }
  void set_step(int i, const std::string& op) { step_ = " step " + std::to_string(i + 1) + " (" + op + ")"; }

  // step runs s and returns its "ret", "errno" and extras.
  Json step(const Step& s);
  // capture is every open file's size, st_blocks and FIEMAP (no SYNC).
  std::vector<FileState> capture();
  // end closes and unlinks every file and the filler, and settles.
  void end();

  // fiemap_json is FS_IOC_FIEMAP over [0, FIEMAP_MAX_OFFSET) rendered as
  // the probe renders it, or the errno's name.
  Json fiemap_json(int fd, uint32_t flags);

  struct OpenFile {
    std::string name;
    std::string path;
    int fd = -1;
  };
  const std::vector<OpenFile>& files() const { return files_; }

 private:
  void die(std::string_view what, Errno e) {
    sim_error(where_ + step_ + ": the simulator failed " + std::string(what) + ": " +
              std::string(errno_name(e)) + " (the probe exits here)");
  }
  void add_file(const std::string& name) {
    OpenFile f{name, "/" + name, -1};
    Result<int> fd = p().open(f.path, kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
    if (!fd) die("open " + f.path, fd.error());
    f.fd = fd ? *fd : -1;
    files_.push_back(std::move(f));
  }
  OpenFile* get_file(const std::string& name) {
    for (OpenFile& f : files_) {
      if (f.name == name) return &f;
    }
    sim_error(where_ + step_ + ": no file " + name + " (broken script)");
    return nullptr;
  }
  void remove_file(size_t i) {
    p().close(files_[i].fd);
    if (Errno e = p().unlink(files_[i].path); e != Errno::kOk) die("unlink " + files_[i].path, e);
    files_.erase(files_.begin() + static_cast<ptrdiff_t>(i));
  }
  Sfs get_statfs() {
    Sfs r;
    if (Errno e = p().statfs("/", w_->B); e != Errno::kOk) {
      die("statfs", e);
      return r;
    }
    UserStatfs st{};
    if (p().load(w_->B, std::as_writable_bytes(std::span(&st, 1)))) {
      sim_error(where_ + step_ + ": statfs buffer");
    }
    r = {st.f_bsize, st.f_blocks, st.f_bfree, st.f_bavail, st.f_files, st.f_ffree};
    return r;
  }
  int open_dir() {
    Result<int> d = p().open("/", kO_RDONLY | kO_DIRECTORY);
    if (!d) die("open /", d.error());
    return d ? *d : -1;
  }
  // settle: syncfs and statfs until f_bfree and f_ffree stay put across
  // 10 ms of simulated time.
  void settle() {
    const int dfd = open_dir();
    for (int i = 0; i < kSettleTries; ++i) {
      p().syncfs(dfd);
      const Sfs a = get_statfs();
      w_->m.clock.advance(kSettleNs);
      p().syncfs(dfd);
      const Sfs b = get_statfs();
      if (a.bfree == b.bfree && a.ffree == b.ffree) break;
    }
    p().close(dfd);
  }
  Json fsx_json(const FsXattr& fa) {
    return Json{{"xflags", fa.fsx_xflags},     {"xflags_names", xflags_names(fa.fsx_xflags)},
                {"extsize", fa.fsx_extsize},   {"nextents", fa.fsx_nextents},
                {"projid", fa.fsx_projid},     {"cowextsize", fa.fsx_cowextsize}};
  }
  int parse_mode(const std::string& s);
  int parse_whence(const std::string& s);
  void fill_fs(const Step& s, int64_t* ret, Errno* err, Json* x);

  std::unique_ptr<World> w_;
  std::string where_;
  std::string step_;
  std::vector<OpenFile> files_;
  int filler_fd_ = -1;
};

int CaseRun::parse_mode(const std::string& s) {
  if (s == "DEFAULT") return 0;
  int mode = 0;
  for (const std::string& t : split(s, '|')) {
    if (t == "KEEP_SIZE") {
      mode |= kFALLOC_FL_KEEP_SIZE;
    } else if (t == "PUNCH_HOLE") {
      mode |= kFALLOC_FL_PUNCH_HOLE;
    } else if (t == "COLLAPSE_RANGE") {
      mode |= kFALLOC_FL_COLLAPSE_RANGE;
    } else if (t == "ZERO_RANGE") {
      mode |= kFALLOC_FL_ZERO_RANGE;
    } else if (t == "INSERT_RANGE") {
      mode |= kFALLOC_FL_INSERT_RANGE;
    } else if (t == "UNSHARE_RANGE") {
      mode |= kFALLOC_FL_UNSHARE_RANGE;
    } else if (t == "WRITE_ZEROES") {
      mode |= kFALLOC_FL_WRITE_ZEROES;
    } else {
      sim_error(where_ + step_ + ": bad mode " + t);
    }
  }
  return mode;
}

int CaseRun::parse_whence(const std::string& s) {
  if (s == "SET") return kSEEK_SET;
  if (s == "CUR") return kSEEK_CUR;
  if (s == "END") return kSEEK_END;
  if (s == "DATA") return kSEEK_DATA;
  if (s == "HOLE") return kSEEK_HOLE;
  sim_error(where_ + step_ + ": bad whence " + s);
  return -1;
}

Json CaseRun::fiemap_json(int fd, uint32_t flags) {
  Fiemap fm{.fm_start = 0, .fm_length = kFiemapMaxOffset, .fm_flags = flags, .fm_extent_count = kNextents};
  if (Errno e = host::fiemap(p(), fd, &fm); e != Errno::kOk) return std::string(errno_name(e));
  // Raw extents that follow each other logically with the same flags (LAST
  // aside) merge into one entry; contig from the physical addresses.
  Json out = Json::array();
  uint64_t lo = 0, len = 0, pend = 0, prev_pend = 0;
  uint32_t fl = 0, prev_fl = 0;
  bool have = false;
  int contig = 0;
  const size_t n = std::min<size_t>(fm.fm_mapped_extents, fm.fm_extents.size());
  for (size_t i = 0; i <= n; ++i) {
    const FiemapExtent* e = i < n ? &fm.fm_extents[i] : nullptr;
    if (have && e && e->fe_logical == lo + len &&
        (e->fe_flags & ~kFIEMAP_EXTENT_LAST) == (fl & ~kFIEMAP_EXTENT_LAST)) {
      len += e->fe_length;
      pend = e->fe_physical + e->fe_length;
      fl |= e->fe_flags;
      continue;
    }
    if (have) {
      out.push_back(Json::array({lo, len, fiemap_flag_names(fl), contig}));
      prev_fl = fl;
      prev_pend = pend;
    }
    if (!e) break;
    contig = have && !(prev_fl & kFIEMAP_EXTENT_UNKNOWN) && !(e->fe_flags & kFIEMAP_EXTENT_UNKNOWN) &&
             prev_pend == e->fe_physical;
    have = true;
    lo = e->fe_logical;
    len = e->fe_length;
    pend = e->fe_physical + e->fe_length;
    fl = e->fe_flags;
  }
  if (fm.fm_mapped_extents == kNextents) out.push_back("TRUNCATED");
  return out;
}

std::vector<FileState> CaseRun::capture() {
  std::vector<FileState> out;
  for (const OpenFile& f : files_) {
    FileState q;
    q.name = f.name;
    Result<Stat> st = p().fstat(f.fd);
    if (!st) {
      die("fstat " + f.path, st.error());
    } else {
      q.size = static_cast<int64_t>(st->size);
      q.blocks = static_cast<int64_t>(st->blocks);
    }
    q.fiemap = fiemap_json(f.fd, 0);
    out.push_back(std::move(q));
  }
  return out;
}

void CaseRun::end() {
  while (!files_.empty()) remove_file(0);
  if (filler_fd_ >= 0) {
    p().close(filler_fd_);
    p().unlink("/filler");
    filler_fd_ = -1;
  }
  settle();
}

void CaseRun::fill_fs(const Step& s, int64_t* ret, Errno* err, Json* x) {
  const int64_t leave = s.num("leave");
  settle();
  const Sfs before = get_statfs();
  Result<int> fd = p().open("/filler", kO_RDWR | kO_CREAT | kO_TRUNC, 0644);
  if (!fd) {
    die("open /filler", fd.error());
    return;
  }
  filler_fd_ = *fd;
  int64_t off = 0, chunk = int64_t{64} << 20;
  while (chunk >= before.bsize && before.bsize > 0) {
    const Errno e = p().fallocate(filler_fd_, 0, off, chunk);
    if (e == Errno::kOk) {
      off += chunk;
      continue;
    }
    if (e != Errno::kENOSPC) {
      die("fill_fs fallocate", e);
      break;
    }
    Result<Stat> st = p().fstat(filler_fd_);  // ext4 keeps what a failed fallocate allocated.
    if (!st) {
      die("fstat /filler", st.error());
      break;
    }
    off = static_cast<int64_t>(st->size);
    chunk >>= 1;
  }
  const int64_t filled = off > leave ? off - leave : 0;
  *err = p().ftruncate(filler_fd_, filled);
  *ret = *err == Errno::kOk ? 0 : -1;
  settle();
  (*x)["filled"] = filled;
  (*x)["statfs"] = sfs_json(get_statfs());
}

Json CaseRun::step(const Step& s) {
  const std::string& op = s.op;
  int64_t ret = 0;
  Errno err = Errno::kOk;
  Json x = Json::object();
  auto from = [&](Errno e) {
    err = e;
    ret = e == Errno::kOk ? 0 : -1;
  };
  auto from_result = [&](const auto& r) {
    if (r) {
      ret = static_cast<int64_t>(*r);
    } else {
      ret = -1;
      err = r.error();
    }
  };
  const std::string file = s.str_or("file", "f");

  if (op == "create") {
    add_file(file);
  } else if (op == "statfs") {
    x["statfs"] = sfs_json(get_statfs());
  } else if (op == "settle") {
    settle();
  } else if (op == "syncfs") {
    const int dfd = open_dir();
    from(p().syncfs(dfd));
    p().close(dfd);
  } else if (op == "fill_fs") {
    fill_fs(s, &ret, &err, &x);
  } else if (op == "fsgetxattr" && file == ".") {
    FsXattr fa;
    const int dfd = open_dir();
    from(host::ioctl(p(), dfd, kFS_IOC_FSGETXATTR, &fa));
    p().close(dfd);
    if (ret == 0) x["fsx"] = fsx_json(fa);
  } else {
    OpenFile* f = get_file(file);
    if (f == nullptr) return Json{{"ret", -1}, {"errno", "no such file in the script"}};
    const int fd = f->fd;
    if (op == "pwrite") {
      const int64_t off = s.num("off"), len = s.num("len");
      from_result(host::pwrite(p(), fd, fill_buf(off, len, s.find("c")), off));
    } else if (op == "pwrite_seq") {
      const int64_t off = s.num("off"), len = s.num("len"), chunk = s.num("chunk");
      const int64_t stride = s.num_or("stride", chunk);
      int64_t done = 0, calls = 0, pos = off;
      while (done < len) {
        const int64_t n = std::min(len - done, chunk);
        Result<uint64_t> r = host::pwrite(p(), fd, fill_buf(pos, n, s.find("c")), pos);
        ++calls;
        if (!r) {
          err = r.error();
          break;
        }
        done += static_cast<int64_t>(*r);
        if (static_cast<int64_t>(*r) < n) break;
        pos += stride;
      }
      ret = done;
      x["calls"] = calls;
    } else if (op == "dio_pwrite") {
      // One pwrite from a 4096-aligned buffer (host::pwrite stages at a
      // page boundary) between F_SETFL O_DIRECT and back.
      const int64_t off = s.num("off"), len = s.num("len");
      Result<int> fl = p().fcntl_getfl(fd);
      if (!fl) die("F_GETFL", fl.error());
      const int flags = fl ? *fl : 0;
      if (Errno e = p().fcntl_setfl(fd, flags | kO_DIRECT); e != Errno::kOk) {
        from(e);
        x["note"] = "F_SETFL O_DIRECT failed";
      } else {
        from_result(host::pwrite(p(), fd, fill_buf(off, len, s.find("c")), off));
        if (Errno e2 = p().fcntl_setfl(fd, flags); e2 != Errno::kOk) die("F_SETFL", e2);
      }
    } else if (op == "pread") {
      const int64_t off = s.num("off"), len = s.num("len");
      std::vector<std::byte> buf(static_cast<size_t>(len));
      Result<uint64_t> r = host::pread(p(), fd, buf, off);
      from_result(r);
      buf.resize(r ? *r : 0);
      x["data"] = rle_json(buf);
    } else if (op == "falloc") {
      from(p().fallocate(fd, parse_mode(s.str_or("mode", "DEFAULT")), s.num("off"), s.num("len")));
    } else if (op == "ftruncate") {
      from(p().ftruncate(fd, s.num("len")));
    } else if (op == "fsync") {
      from(p().fsync(fd));
    } else if (op == "fdatasync") {
      from(p().fdatasync(fd));
    } else if (op == "close_reopen") {
      from(p().close(fd));
      Result<int> again = p().open(f->path, kO_RDWR);
      if (!again) die("reopen " + f->path, again.error());
      f->fd = again ? *again : -1;
    } else if (op == "seek") {
      from_result(p().lseek(fd, s.num("off"), parse_whence(s.str_or("whence", "?"))));
    } else if (op == "fadvise_dontneed") {
      ret = static_cast<int>(p().fadvise(fd, 0, 0, kPOSIX_FADV_DONTNEED));  // The errno number.
    } else if (op == "ficlone_from") {
      OpenFile* src = get_file(s.str_or("src", "?"));
      from(host::ficlone(p(), fd, src ? src->fd : -1));
    } else if (op == "ficlonerange_from") {
      OpenFile* src = get_file(s.str_or("src", "?"));
      FileCloneRange r{.src_fd = src ? src->fd : -1,
                       .src_offset = static_cast<uint64_t>(s.num("src_off")),
                       .src_length = static_cast<uint64_t>(s.num("len")),
                       .dest_offset = static_cast<uint64_t>(s.num("dst_off"))};
      from(host::ioctl(p(), fd, kFICLONERANGE, &r));
    } else if (op == "dedupe_from") {
      OpenFile* src = get_file(s.str_or("src", "?"));
      struct {
        FileDedupeRange r;
        FileDedupeRangeInfo info[1];
      } a{};
      a.r.src_offset = static_cast<uint64_t>(s.num("src_off"));
      a.r.src_length = static_cast<uint64_t>(s.num("len"));
      a.r.dest_count = 1;
      a.info[0].dest_fd = fd;
      a.info[0].dest_offset = static_cast<uint64_t>(s.num("dst_off"));
      a.info[0].status = 0x5a5a;
      a.info[0].bytes_deduped = 0xdead;
      from(host::dedupe(p(), src ? src->fd : -1, &a.r));
      x["status"] = a.info[0].status;
      x["bytes_deduped"] = a.info[0].bytes_deduped;
    } else if (op == "copy_range_from") {
      OpenFile* src = get_file(s.str_or("src", "?"));
      const int64_t offs[2] = {s.num("src_off"), s.num("dst_off")};
      const uint64_t at = w_->B + 256;
      if (p().store(at, std::as_bytes(std::span(offs)))) sim_error(where_ + step_ + ": copy_range offsets");
      from_result(p().copy_file_range(src ? src->fd : -1, at, fd, at + 8,
                                      static_cast<uint64_t>(s.num("len")), 0));
    } else if (op == "unlink") {
      remove_file(static_cast<size_t>(f - files_.data()));
    } else if (op == "fsgetxattr") {
      FsXattr fa;
      from(host::ioctl(p(), fd, kFS_IOC_FSGETXATTR, &fa));
      if (ret == 0) x["fsx"] = fsx_json(fa);
    } else {
      sim_error(where_ + step_ + ": unknown op " + op);
    }
  }
  Json answer = Json::object();
  answer["ret"] = ret;
  answer["errno"] = ret < 0 ? std::string(errno_name(err)) : "";
  for (auto& [k, v] : x.items()) answer[k] = v;
  return answer;
}

// ---- a case, as the probe's run_case records it ----

bool same_res(const StepRecord& a, const StepRecord& b) {
  if (a.answer != b.answer || a.files.size() != b.files.size()) return false;
  for (size_t i = 0; i < a.files.size(); ++i) {
    const FileState &x = a.files[i], &y = b.files[i];
    if (x.name != y.name || x.size != y.size || x.blocks != y.blocks || x.fiemap != y.fiemap) return false;
  }
  return true;
}

Json files_json(const std::vector<FileState>& files) {
  Json out = Json::array();
  for (const FileState& q : files) {
    out.push_back(Json{{"name", q.name}, {"size", q.size}, {"blocks", q.blocks}, {"fiemap", q.fiemap}});
  }
  return out;
}

std::vector<FileState> files_from(const Json& j) {
  std::vector<FileState> out;
  for (const Json& f : j) {
    FileState q;
    q.name = f["name"];
    q.size = f["size"];
    q.blocks = f["blocks"];
    q.fiemap = f["fiemap"];
    out.push_back(std::move(q));
  }
  return out;
}

// What a child process runs: the recorded run (then the probe's cleanup
// and fsck), a replay (then FIEMAP_FLAG_SYNC and fstat on every file), or
// the probe's check whether FIEMAP works at all.
enum class RunKind { kRecorded, kReplay, kFiemapCheck };

// RunOutput is what one isolated run reported.
struct RunOutput {
  std::vector<StepRecord> recs;  // The steps that completed, in order.
  std::map<std::string, std::pair<Json, int64_t>> sync;  // Per file: FIEMAP_FLAG_SYNC, st_blocks.
  std::vector<std::string> errors;
  bool fiemap = false;  // kFiemapCheck: FIEMAP answered.
  std::string crash;    // How the child died ("" if it finished), and where.
};

// child_run is the child's side of isolated_run; it never returns.
[[noreturn]] void child_run(const std::string& column, const std::string& where,
                            const std::vector<Step>& steps, size_t upto, RunKind kind) {
  // Left allocated: the child exits without tearing the machine down.
  auto* c = new CaseRun(column, where);
  if (kind == RunKind::kFiemapCheck) {
    report_line(Json{{"fiemap", c->fiemap_json(c->files().front().fd, 0).is_array()}});
  }
  for (size_t i = 0; i < upto; ++i) {
    c->set_step(static_cast<int>(i), steps[i].op);
    Json answer = c->step(steps[i]);
    report_line(Json{{"answer", std::move(answer)}, {"files", files_json(c->capture())}});
  }
  if (kind == RunKind::kRecorded) {
    c->set_step(static_cast<int>(upto), "cleanup");
    c->end();
    for (const std::string& e : c->world().fsck()) report_line(Json{{"error", where + " fsck: " + e}});
  } else if (kind == RunKind::kReplay) {
    for (const CaseRun::OpenFile& f : c->files()) {
      Json fm = c->fiemap_json(f.fd, kFIEMAP_FLAG_SYNC);
      Result<Stat> st = c->p().fstat(f.fd);
      report_line(Json{{"sync", f.name}, {"fiemap", std::move(fm)},
                       {"blocks", st ? static_cast<int64_t>(st->blocks) : -1}});
    }
  }
  report_line(Json{{"done", true}});
  _exit(0);
}

// last_lines is the end of what the child wrote to stderr (an assertion's
// message), on one line.
std::string last_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  std::string out;
  for (size_t i = lines.size() > 2 ? lines.size() - 2 : 0; i < lines.size(); ++i) {
    out += (out.empty() ? "" : " | ") + lines[i].substr(0, 600);
  }
  return out;
}

// isolated_run runs steps[0..upto) of a case on a fresh machine in a child
// process, and what follows them for `kind`; a crash of the simulator ends
// only the child.
RunOutput isolated_run(const std::string& column, const std::string& where,
                       const std::vector<Step>& steps, size_t upto, RunKind kind) {
  RunOutput out;
  int fds[2];
  if (::pipe(fds) != 0) {
    out.crash = "pipe failed";
    return out;
  }
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string err_path = std::string(tmp ? tmp : "/tmp") + "/xfs_space_stderr_XXXXXX";
  const int err_fd = ::mkstemp(err_path.data());
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    if (err_fd >= 0) ::dup2(err_fd, 2);
    g_report_fd = fds[1];
    child_run(column, where, steps, upto, kind);
  }
  ::close(fds[1]);
  if (err_fd >= 0) ::close(err_fd);
  if (pid < 0) {
    ::close(fds[0]);
    out.crash = "fork failed";
    return out;
  }
  std::string buf;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n > 0) {
      buf.append(chunk, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  bool done = false;
  size_t start = 0;
  while (start < buf.size()) {
    size_t nl = buf.find('\n', start);
    if (nl == std::string::npos) break;  // A line cut short by a crash.
    const Json j = Json::parse(buf.substr(start, nl - start), nullptr, /*allow_exceptions=*/false);
    start = nl + 1;
    if (j.is_discarded()) continue;
    if (j.contains("answer")) {
      out.recs.push_back(StepRecord{j["answer"], files_from(j["files"])});
    } else if (j.contains("error")) {
      out.errors.push_back(j["error"]);
    } else if (j.contains("sync")) {
      out.sync[j["sync"]] = {j["fiemap"], j["blocks"].get<int64_t>()};
    } else if (j.contains("fiemap")) {
      out.fiemap = j["fiemap"];
    } else if (j.contains("done")) {
      done = true;
    }
  }
  std::string how;
  if (WIFSIGNALED(status)) {
    how = "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  } else if (WEXITSTATUS(status) != 0) {
    how = "exit status " + std::to_string(WEXITSTATUS(status));
  } else if (!done) {
    how = "ended early";
  }
  if (!how.empty()) {
    std::string at;
    if (out.recs.size() < upto) {
      at = "at step " + std::to_string(out.recs.size() + 1) + " (" + steps[out.recs.size()].op + ")";
    } else {
      at = kind == RunKind::kRecorded ? "in the cleanup after the last step"
                                      : "in FIEMAP_FLAG_SYNC/fstat after step " + std::to_string(upto);
    }
    out.crash = how + " " + at;
    const std::string tail = last_lines(err_path);
    if (!tail.empty()) out.crash += "; stderr: " + tail;
  }
  if (err_fd >= 0) ::unlink(err_path.c_str());
  return out;
}

// have_fiemap: whether the column's filesystem answers FIEMAP at all (the
// probe's fiemap_check file). Without it there are no replays.
bool have_fiemap(const std::string& column) {
  RunOutput r = isolated_run(column, column + " fiemap_check", {}, 0, RunKind::kFiemapCheck);
  EXPECT_EQ(r.crash, "") << column << " fiemap_check";
  return r.fiemap;
}

// play_case runs `sc` as the probe does: the recorded run, then (with
// FIEMAP) for every step k a replay of steps 1..k on a fresh machine ended
// by FIEMAP_FLAG_SYNC and fstat on every file. Returns the case's line
// without "fs" and "case" — {"steps": [...], "note": "..."} — and what the
// comparison needs besides: "_errors" (the simulator's failures and
// crashes, one message each) and "_sync_lost" (steps whose replay
// crashed). Steps past a crash of the recorded run are missing.
Json play_case(const std::string& column, const ScriptCase& sc, bool fiemap) {
  const std::vector<Step> steps = parse_script(sc.script);
  const std::string where = column + " " + sc.name;
  std::vector<std::string> errors;
  auto add_error = [&errors](const std::string& e) {
    if (std::find(errors.begin(), errors.end(), e) == errors.end()) errors.push_back(e);
  };
  RunOutput rec = isolated_run(column, where, steps, steps.size(), RunKind::kRecorded);
  for (const std::string& e : rec.errors) add_error(e);
  if (!rec.crash.empty()) {
    add_error(where + ": the simulator crashed in the recorded run, " + rec.crash +
              " (rerun with XFS_SPACE_ONLY=" + sc.name + ")");
  }
  std::vector<StepRecord>& main_res = rec.recs;
  std::string note;
  Json sync_lost = Json::array();
  if (fiemap) {
    for (size_t k = 0; k < main_res.size(); ++k) {
      RunOutput r = isolated_run(column, where, steps, k + 1, RunKind::kReplay);
      for (const std::string& e : r.errors) add_error(e);
      for (size_t i = 0; i < r.recs.size(); ++i) {
        if (!same_res(r.recs[i], main_res[i])) {
          note += (note.empty() ? "" : "; ") + std::string("replay ") + std::to_string(k + 1) + ": step " +
                  std::to_string(i + 1) + " answered differently";
        }
      }
      if (!r.crash.empty()) {
        add_error(where + ": the simulator crashed in replay " + std::to_string(k + 1) + ", " + r.crash +
                  " (rerun with XFS_SPACE_ONLY=" + sc.name + ")");
        sync_lost.push_back(k + 1);
        continue;
      }
      for (FileState& q : main_res[k].files) {
        auto it = r.sync.find(q.name);
        if (it == r.sync.end()) continue;
        q.fiemap_sync = it->second.first;
        q.blocks_sync = it->second.second;
        q.synced = true;
      }
    }
  }
  Json out = Json::object();
  out["steps"] = Json::array();
  for (size_t i = 0; i < main_res.size(); ++i) {
    Json st = steps[i].params();
    for (auto& [k, v] : main_res[i].answer.items()) st[k] = v;
    Json files = Json::object();
    for (const FileState& q : main_res[i].files) {
      files[q.name] = Json{{"size", q.size},
                           {"blocks", q.blocks},
                           {"fiemap", q.fiemap},
                           {"fiemap_sync", q.synced ? q.fiemap_sync : q.fiemap},
                           {"blocks_sync", q.synced ? Json(q.blocks_sync) : Json(nullptr)}};
    }
    st["files"] = std::move(files);
    out["steps"].push_back(std::move(st));
  }
  out["note"] = note;
  out["_errors"] = errors;
  out["_sync_lost"] = sync_lost;
  out["_crashed"] = !rec.crash.empty();
  return out;
}

// ---- comparing ----

struct Tally {
  int cases = 0;
  int steps = 0;
  int fields = 0;
  int skipped = 0;
  int uncompared = 0;  // Fields a simulator crash left without a value.
};

// Comparer reports every field of one case where the simulator and the
// host differ, one failure each, but the known differences.
class Comparer {
 public:
  Comparer(const std::string& column, const std::string& name,
           const std::map<std::string, std::string>& known, Tally* t)
      : column_(column), name_(name), known_(known), t_(t) {}

  void field(int step, const std::string& op, const std::string& key, const Json* got, const Json& want) {
    if (known_.contains(name_ + "/" + std::to_string(step) + "/" + key)) {
      ++t_->skipped;
      if (got != nullptr && *got == want) {
        ADD_FAILURE() << column_ << " " << name_ << " step " << step << " " << key
                      << ": a known difference that now agrees (drop its entry)";
      }
      return;
    }
    ++t_->fields;
    if (got != nullptr && *got == want) return;
    ADD_FAILURE() << column_ << " " << name_ << " step " << step << " (" << op << ") " << key
                  << ": simulator " << (got ? got->dump() : "(none)") << ", host " << want.dump();
  }
  // extra reports what the simulator recorded and the host did not.
  void extra(int step, const std::string& op, const std::string& key, const Json& got) {
    ADD_FAILURE() << column_ << " " << name_ << " step " << step << " (" << op << ") " << key
                  << ": simulator " << got.dump() << ", host (none)";
  }

  // row compares a case's line; `got` is play_case's.
  void row(const Json& want, const Json& got) {
    for (const Json& e : got["_errors"]) ADD_FAILURE() << e.get<std::string>();
    for (const Json& k : got["_sync_lost"]) sync_lost_.insert(k.get<int>());
    field(0, "case", "note", got.contains("note") ? &got["note"] : nullptr, want["note"]);
    const Json& ws = want["steps"];
    const Json& gs = got["steps"];
    if (ws.size() != gs.size() && !got["_crashed"].get<bool>()) {
      ADD_FAILURE() << column_ << " " << name_ << ": simulator " << gs.size() << " steps, host " << ws.size();
    }
    for (size_t i = 0; i < ws.size(); ++i) {
      if (i < gs.size()) {
        step(static_cast<int>(i + 1), ws[i], gs[i]);
      } else {
        t_->uncompared += leaves(ws[i]);
      }
    }
  }

 private:
  static const Json* child(const Json& j, const std::string& key) {
    return j.is_object() && j.contains(key) ? &j[key] : nullptr;
  }
  // leaves: how many fields step() compares in a host step.
  static int leaves(const Json& w) {
    int n = 0;
    for (const auto& [key, value] : w.items()) {
      if (key == "files") {
        for (const auto& [fname, fwant] : value.items()) n += static_cast<int>(fwant.size());
      } else {
        n += value.is_object() ? static_cast<int>(value.size()) : 1;
      }
    }
    return n;
  }

  void step(int n, const Json& w, const Json& g) {
    ++t_->steps;
    const std::string op = w.value("op", "?");
    for (const auto& [key, value] : w.items()) {
      const Json* gv = child(g, key);
      if (key == "files") {
        for (const auto& [fname, fwant] : value.items()) {
          const Json* gf = gv ? child(*gv, fname) : nullptr;
          for (const auto& [fk, fv] : fwant.items()) {
            if ((fk == "fiemap_sync" || fk == "blocks_sync") && sync_lost_.contains(n)) {
              ++t_->uncompared;  // Its replay crashed.
              continue;
            }
            field(n, op, fname + "." + fk, gf ? child(*gf, fk) : nullptr, fv);
          }
        }
        if (gv != nullptr) {
          for (const auto& [fname, fgot] : gv->items()) {
            if (!value.contains(fname)) extra(n, op, "files." + fname, fgot);
          }
        }
      } else if (value.is_object()) {  // statfs, fsx: field by field.
        for (const auto& [sk, sv] : value.items()) {
          field(n, op, key + "." + sk, gv ? child(*gv, sk) : nullptr, sv);
        }
      } else {
        field(n, op, key, gv, value);
      }
    }
    for (const auto& [key, value] : g.items()) {
      if (!w.contains(key)) extra(n, op, key, value);
    }
  }

  const std::string& column_;
  const std::string& name_;
  const std::map<std::string, std::string>& known_;
  Tally* t_;
  std::set<int> sync_lost_;
};

class XfsSpaceFixtureTest : public ::testing::TestWithParam<std::string> {};

TEST_P(XfsSpaceFixtureTest, EveryStepSpendsBlocksAsTheHostKernel) {
  const std::string column = GetParam();
  const std::map<std::string, std::string>& known = known_differences(column);
  const HostFixture fx = load_host_fixture(kFixture, column);
  ASSERT_FALSE(fx.rows.empty()) << kFixture << ": fixture missing";
  EXPECT_EQ(fx.kernel.rfind("6.18", 0), 0u) << fx.kernel;

  std::map<std::string, const ScriptCase*> scripts;
  for (const ScriptCase& sc : script_cases()) scripts[sc.name] = &sc;
  std::set<std::string> names;
  for (const Json& row : fx.rows) names.insert(row["case"].get<std::string>());
  EXPECT_EQ(names.size(), 115u) << "fixture changed";
  for (const auto& [name, sc] : scripts) {
    EXPECT_TRUE(names.contains(name)) << "the probe's case " << name << " is not in the fixture";
  }
  for (const auto& [key, reason] : known) {
    EXPECT_TRUE(names.contains(key.substr(0, key.find('/'))))
        << "known difference for a case not in the fixture: " << key;
  }

  const bool fiemap = have_fiemap(column);
  const char* only = std::getenv("XFS_SPACE_ONLY");
  Tally t;
  for (const Json& want : fx.rows) {
    const std::string name = want["case"];
    if (only != nullptr && name != only) continue;
    if (known.contains(name)) {
      ++t.skipped;
      continue;
    }
    auto it = scripts.find(name);
    if (it == scripts.end()) {
      ADD_FAILURE() << "no script for the fixture's case " << name;
      continue;
    }
    ++t.cases;
    const Json got = play_case(column, *it->second, fiemap);
    Comparer(column, name, known, &t).row(want, got);
  }
  std::cout << kFixture << " " << column << ": " << t.cases << " cases, " << t.steps << " steps, "
            << t.fields << " fields compared, " << t.skipped << " skipped\n";
  if (t.uncompared > 0) {
    std::cout << kFixture << " " << column << ": " << t.uncompared
              << " more fields not compared: the simulator crashed before it had them\n";
  }
}

INSTANTIATE_TEST_SUITE_P(HostKernel, XfsSpaceFixtureTest,
                         ::testing::Values("xfs", "xfs_noreflink", "tmpfs", "ext4"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace vfssim
