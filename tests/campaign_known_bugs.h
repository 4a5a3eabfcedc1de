// The simulator bugs the default campaign finds (docs/campaign.md), each as
// the failure it makes: kind, masked check, the fault point that fired and
// the op it shows after. A default campaign must find nothing else; each
// one's minimized case is pinned in campaign_known_bad_test until it is
// fixed (then its row goes, and the campaign must no longer find it).

#ifndef VFSSIM_TESTS_CAMPAIGN_KNOWN_BUGS_H_
#define VFSSIM_TESTS_CAMPAIGN_KNOWN_BUGS_H_

#include <string>
#include <string_view>

#include "nlohmann/json.hpp"

namespace vfssim {

struct KnownCampaignBug {
  std::string_view name;
  std::string_view kind;
  std::string_view check_prefix;
  std::string_view point;    // A decision for it fired in the minimized case.
  std::string_view command;  // The failing op's command starts so.
  std::string_view why;
};

inline constexpr KnownCampaignBug kKnownCampaignBugs[] = {
    {"xfs-falloc-enospc-loses-dirty-data", "content", "content differs from the model at byte # (file # bytes, model #)",
     "xfs/alloc/enospc", "",
     "after a fallocate whose allocation fails with ENOSPC, the next writeback loses the file's "
     "dirty (delalloc) bytes: FIEMAP shows a hole where the earlier pwrite's data was"},
};

// known_campaign_bug names the row a report's failure matches ("" none).
inline std::string known_campaign_bug(const nlohmann::ordered_json& failure) {
  const std::string kind = failure.at("kind").get<std::string>();
  const std::string check = failure.at("check").get<std::string>();
  const std::string command = failure.at("first_divergence").at("command").get<std::string>();
  for (const KnownCampaignBug& b : kKnownCampaignBugs) {
    if (kind != b.kind || !check.starts_with(b.check_prefix) || !command.starts_with(b.command)) continue;
    for (const auto& d : failure.at("trace").at("faults")) {
      if (d.at("point").get<std::string>() == b.point) return std::string(b.name);
    }
  }
  return "";
}

}  // namespace vfssim

#endif  // VFSSIM_TESTS_CAMPAIGN_KNOWN_BUGS_H_
