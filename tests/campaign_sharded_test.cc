// A sharded campaign as a Bazel test: `vfssim campaign` in-process with the
// defaults over seeds 0..399 on every campaign filesystem. Bazel runs
// shard_count copies with TEST_SHARD_INDEX / TEST_TOTAL_SHARDS set, and
// each takes its share of the seeds (seed index mod N); on a cluster,
// Bazel's remote execution spreads the shards over machines. Each shard's
// report goes to TEST_UNDECLARED_OUTPUTS_DIR, where `vfssim report merge`
// combines them into the report one run writes.
//
// The defaults must find nothing: a failure is a new simulator bug or a
// false positive of the oracle, and fails the shard with its script.

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"
#include "tools/campaign_cli.h"

int main() {
  const char* index = std::getenv("TEST_SHARD_INDEX");
  const char* total = std::getenv("TEST_TOTAL_SHARDS");
  const char* outdir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  const std::string dir = outdir != nullptr ? outdir : (std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp");
  vfssim::CampaignCliOptions o;
  o.seeds = "0..399";
  o.jobs = 2;
  o.out = dir + "/campaign-shard-" + (index != nullptr ? index : "0") + ".json";
  std::ostringstream out, err;
  const int status = vfssim::campaign_command(o, out, err);
  std::cout << out.str();
  std::cerr << err.str();
  if (status == 2) return 1;
  std::ifstream f(o.out);
  const nlohmann::ordered_json report = nlohmann::ordered_json::parse(f);
  // The shard ran exactly its share: the seeds whose index is I mod N.
  const uint64_t n = total != nullptr ? std::strtoull(total, nullptr, 10) : 1;
  const uint64_t i = index != nullptr ? std::strtoull(index, nullptr, 10) : 0;
  const uint64_t want = (400 - i + n - 1) / n;
  if (report.at("totals").at("seeds").get<uint64_t>() != want) {
    std::cerr << "shard " << i << "/" << n << " ran " << report["totals"]["seeds"] << " seeds, not " << want << "\n";
    return 1;
  }
  int found = 0;
  for (const auto& failure : report.at("failures")) {
    ++found;
    std::cerr << "FAILURE: seed " << failure["seed"] << " on " << failure["fs"].get<std::string>() << ": "
              << failure["message"].get<std::string>() << "\n"
              << failure["script"].get<std::string>();
  }
  return found == 0 ? 0 : 1;
}
