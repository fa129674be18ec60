// A CrowdSpec made concrete: the draws that give each crowd client its NAT, access
// delay, login time and first traffic round, as sites, networks and times the
// scenario engine builds like any listed ones. Internal to the engine
// (spec_scenario.cpp); the population scenario is a crowd.
#pragma once

#include <ns3/random-variable-stream.h>

#include <string>
#include <vector>

#include "emulation/spec_scenario.h"

namespace yt::emulation {

// The stream the engine's own draws (the crowd, churn) come from, apart from the
// topology's and the apps' streams so those do not shift with them.
constexpr int64_t kScenarioDrawStream = 1'000'000;

struct CrowdLayout {
  std::size_t first_client = 0;       // index of "c1" among the scenario's clients
  std::vector<std::string> networks;  // "pop-0", "pop-1", ... in order
  std::vector<double> start_s;        // by crowd client
  std::vector<double> traffic_first_s;  // by crowd client; empty without traffic
};

// Appends the crowd's sites (one host each) and networks to `spec` (whose sites
// and networks are the listed ones), drawing from `draw`: every client's NAT and
// delay, then every client's login time and first traffic round.
CrowdLayout expand_crowd(ScenarioSpec& spec, ns3::UniformRandomVariable& draw);

// The crowd's client and site names.
std::string crowd_client_name(std::size_t i);
std::string crowd_site_name(std::size_t i);

}  // namespace yt::emulation
