// The punch techniques of the server-driven strategy, by name, so that each can be
// switched off (ServerConfig::disabled_techniques; `--disable` on yellowtail-server
// and yellowtail-sim) and a researcher can measure what each one adds:
//   lan             LAN endpoints for peers behind one public IP
//   prediction      port prediction for sequential symmetric NATs
//   serialize       one prediction plan at a time per sequential NAT, from a fresh probe
//   prepunch        the first probe round with a short TTL (two filtering sides)
//   follower-delay  a receptive side starts after a filtering one
//   birthday        birthday probing (random-port NAT against a filtering EIM one)
//   tcp             TCP hole punching where a side's UDP is blocked
//   portmap         a gateway's port mapping (PCP, NAT-PMP, UPnP) offered first and trusted
// "naive" (PunchStrategy::kNaive) is none of them, and stays what it was.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"
#include "server/core/tunnel_planner.h"

namespace yt {

struct ServerConfig;

const std::vector<std::string>& technique_names();

// "a,b,c" (spaces ignored, empty: none) into a set, or which name is unknown.
Result<std::set<std::string>, std::string> parse_techniques(std::string_view list);
// The same from names one by one (a scenario's `disable`, Python's disable=[...]).
Result<std::set<std::string>, std::string> parse_techniques(const std::vector<std::string>& names);

// The planner's options from the config, with the disabled techniques left out.
PlanOptions plan_options(const ServerConfig& config);

bool technique_enabled(const ServerConfig& config, std::string_view name);

}  // namespace yt
