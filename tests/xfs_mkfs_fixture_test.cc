// The XFS-like filesystem's mkfs against mkfs.xfs on the host: the geometry
// it picks for each device size and option (tests/probes/xfs_mkfs.sh,
// fixtures/xfs_mkfs.jsonl: `mkfs.xfs -N -f`), which options it refuses, and
// what statfs reports on the mounted empty filesystem and after one file.

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "drivers/blockdev.h"
#include "fs/shmfs/shmfs.h"
#include "fs/xfs/xfs_mount.h"
#include "nlohmann/json.hpp"
#include "vfs/process.h"

namespace vfssim {
namespace {

using Json = nlohmann::json;

std::vector<Json> rows(std::string* kernel) {
  std::vector<Json> out;
  std::ifstream in("tests/probes/fixtures/xfs_mkfs.jsonl");
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line);
    if (j.contains("kernel")) {
      *kernel = j["xfsprogs"].get<std::string>();
    } else {
      out.push_back(std::move(j));
    }
  }
  return out;
}

TEST(XfsMkfsFixture, GeometryAsMkfsXfsPicksIt) {
  std::string xfsprogs;
  const std::vector<Json> all = rows(&xfsprogs);
  ASSERT_EQ(xfsprogs, "6.1.0");
  ASSERT_EQ(all.size(), 42u) << "fixture changed";
  for (const Json& r : all) {
    const std::string what = r["size"].get<std::string>() + " '" + r["options"].get<std::string>() + "'";
    Result<XfsGeometry> g = xfs_mkfs_geometry(r["size_bytes"].get<uint64_t>(), r["options"].get<std::string>());
    if (r["rc"] != 0) {
      EXPECT_FALSE(g) << what << " host: " << r["error"];
      if (!g) {
        EXPECT_EQ(g.error(), Errno::kEINVAL) << what;
      }
      continue;
    }
    ASSERT_TRUE(g) << what;
    EXPECT_EQ(g->agcount, r["agcount"]) << what;
    EXPECT_EQ(g->agblocks, r["agsize"]) << what;
    EXPECT_EQ(g->blocksize, r["bsize"]) << what;
    EXPECT_EQ(g->dblocks, r["dblocks"]) << what;
    EXPECT_EQ(g->logblocks, r["logblocks"]) << what;
    EXPECT_EQ(g->reflink, r["geometry"]["reflink"] == 1) << what;
  }
}

// The device's logical sector size bounds the block size from below
// (fixtures/xfs_mkfs_sector.jsonl: mkfs.xfs -N on 512- and 4096-byte-sector
// loop devices).
TEST(XfsMkfsFixture, TheBlockSizeIsNoSmallerThanTheSectorSize) {
  std::ifstream in("tests/probes/fixtures/xfs_mkfs_sector.jsonl");
  int compared = 0;
  for (std::string line; std::getline(in, line);) {
    const Json r = Json::parse(line);
    if (r.contains("kernel")) {
      EXPECT_EQ(r["xfsprogs"], "6.1.0");
      continue;
    }
    const std::string what = "sector " + std::to_string(r["sector_size"].get<int>()) + " '" +
                             r["options"].get<std::string>() + "'";
    Machine m(1);
    SimBlockDevice disk(m, BlockDeviceConfig{.capacity_bytes = r["size_bytes"].get<uint64_t>(),
                                             .logical_block_size = r["sector_size"].get<uint32_t>()});
    const Errno e = xfs_mkfs(m, disk, r["options"].get<std::string>());
    EXPECT_EQ(e == Errno::kOk, r["rc"] == 0) << what << " host: " << r["error"];
    if (r["rc"] != 0) {
      EXPECT_EQ(e, Errno::kEINVAL) << what;
    }
    ++compared;
  }
  EXPECT_EQ(compared, 10);
}

TEST(XfsMkfsFixture, StatfsOfTheEmptyFilesystemAndAfterOneFile) {
  std::string xfsprogs;
  int compared = 0;
  for (const Json& r : rows(&xfsprogs)) {
    if (r["statfs"].is_null() || r["statfs"]["mount_rc"] != 0) continue;
    const std::string what = r["size"].get<std::string>() + " '" + r["options"].get<std::string>() + "'";
    Machine m(1);
    SimBlockDevice disk(m, BlockDeviceConfig{.capacity_bytes = r["size_bytes"].get<uint64_t>()});
    Vfs vfs(m);
    register_shmfs(vfs);
    register_xfs(vfs);
    ASSERT_EQ(xfs_mkfs(m, disk, r["options"].get<std::string>()), Errno::kOk) << what;
    ASSERT_EQ(vfs.mount("xfs", &disk, "", "/", Creds::root()), Errno::kOk) << what;
    Process p(vfs, Creds::root());
    auto check = [&](const Json& want, const std::string& when) {
      Kstatfs k;
      ASSERT_EQ(vfs.find_mount("xfs")->statfs(&k), Errno::kOk);
      const Kstatfs* st = &k;
      EXPECT_EQ(st->f_bsize, want["bsize"]) << what << when;
      EXPECT_EQ(st->f_blocks, want["blocks"]) << what << when;
      EXPECT_EQ(st->f_bfree, want["bfree"]) << what << when;
      EXPECT_EQ(st->f_bavail, want["bavail"]) << what << when;
      EXPECT_EQ(st->f_files, want["files"]) << what << when;
      EXPECT_EQ(st->f_ffree, want["ffree"]) << what << when;
      ++compared;
    };
    check(r["statfs"]["empty"], " empty");
    Result<int> fd = p.open("/f", kO_RDWR | kO_CREAT, 0644);
    ASSERT_TRUE(fd);
    check(r["statfs"]["one_file"], " one file");
    ASSERT_EQ(p.fsync(*fd), Errno::kOk);
    check(r["statfs"]["one_file_synced"], " one file, fsync");
  }
  EXPECT_EQ(compared, 36);  // 12 mounted rows, three states each.
}

}  // namespace
}  // namespace vfssim
