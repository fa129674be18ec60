// A NAT mix: which share of a population sits behind which matrix profile, read
// from a JSON file (scenarios/mixes/*.json) so the shares travel with the
// sources they were taken from:
//
//   {"name": "residential-broadband",
//    "description": "...",
//    "sources": [{"title": "...", "url": "...", "what was taken": "..."}],
//    "profiles": {"linux-masquerade": 0.36, "port-restricted-cone": 0.2, ...}}
//
// Shares must be numbers >= 0 naming matrix profiles (matrix_profile_names());
// they are normalized to sum to 1, so weights such as 36, 20, ... work too.
// Parsing is strict like spec_json.cpp: an unknown field is an error, because a
// typo must not silently run a different population. There is deliberately no
// port-mapping share: PCP/NAT-PMP/UPnP are not implemented (issue 12 item 3), so
// a file asking for one is refused rather than measured without it.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "protocol/result.h"

namespace yt::emulation {

struct NatMixSource {
  std::string title;
  std::string url;
  std::string what_was_taken;
};

struct NatMix {
  std::string name;
  std::string description;
  std::vector<NatMixSource> sources;
  // In the file's order, normalized to sum to 1; profiles with share 0 are kept
  // (a researcher may zero one out to compare).
  std::vector<std::pair<std::string, double>> shares;
};

// Parses the JSON text of a mix; errors name the offending field.
Result<NatMix, std::string> nat_mix_from_json(const std::string& text);
// Reads and parses a mix file; errors start with the path.
Result<NatMix, std::string> load_nat_mix(const std::string& path);
// The mix as JSON (normalized shares), for results files.
std::string nat_mix_to_json(const NatMix& mix);

}  // namespace yt::emulation
