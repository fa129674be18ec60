// The nat-matrix scenario: for every ordered pair of NAT profiles, every seed and
// every traversal strategy, one isolated ns-3 run with a mediation server and two
// clients, each behind its own modeled NAT (or NAT chain). Both clients are
// members of one network from the start, so each run measures exactly one
// server-driven tunnel attempt. An attempt is `direct` only when a test datagram
// crossed the direct tunnel in each direction within the time limit.
//
// An attempt is a ScenarioSpec (spec_scenario.h) like any a researcher writes:
// two sites "a" and "b" of one host each, one network, run with a time limit.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "emulation/matrix_results.h"
#include "emulation/spec_scenario.h"
#include "nat-models/nat_config.h"
#include "protocol/time.h"

namespace yt::emulation {

// Traversal strategies, chosen on the server (which drives the punch):
//   "naive"   both sides probe the other's observed endpoint at once: no LAN
//             candidates, no scheduled start, no prediction
//   "current" the project's strategy: LAN candidates, a scheduled common start,
//             and whatever the planner currently adds (prediction, ...)
std::vector<std::string> strategy_names();

// Every profile the matrix knows: the named NAT profiles and the stacked ones.
std::vector<std::string> matrix_profile_names();
// The NAT chain of one of them, innermost first (a named profile is a chain of
// one); empty for an unknown name.
std::vector<nat::NatConfig> matrix_profile_chain(const std::string& name);

struct AttemptSpec {
  std::string profile_a;
  std::string profile_b;
  std::string strategy;
  std::uint64_t seed = 1;
  Duration access_delay = 20ms;  // one-way, each access link
  double loss_rate = 0;          // per packet, each access link
  Duration time_limit = 15s;     // after both clients are online
  // Fault injection: "" (none) or "block-peer-udp" (both clients drop every UDP
  // datagram not addressed to the server, so no UDP punch path can work).
  std::string fault;
  // "first": clients bind the relay at the instruction (the default); "last":
  // only once the punch window failed (ClientConfig::relay_first).
  std::string relay_mode = "first";
  // Punch techniques left out (server/core/punch_techniques.h).
  std::vector<std::string> disable;
  // Another host behind each NAT opens this many new flows a second (SiteSpec).
  double background_flows_per_s = 0;
  double jitter_ms = 0;  // each NAT site's (SiteSpec)
  // Both NATs forget an idle UDP mapping after this (NatSpec::mapping_timeout_s); 0: the profile's own.
  double mapping_timeout_s = 0;
};

std::vector<std::string> fault_names();
std::vector<std::string> relay_mode_names();

// The scenario one attempt runs.
ScenarioSpec attempt_scenario(const AttemptSpec& spec);

// Runs one attempt in its own simulation. Profiles and strategies must be valid
// names (validate with matrix_profile_names() / strategy_names()).
AttemptRecord run_attempt(const AttemptSpec& spec);

struct MatrixRun {
  MatrixParameters parameters;
  std::vector<AttemptRecord> attempts;
  std::vector<PairSummary> summaries;
  std::uint64_t simulator_events = 0;  // ns-3 events executed, all attempts
};

// Runs the whole matrix; `progress(done, total)` is called after each attempt.
MatrixRun run_matrix(const MatrixParameters& parameters, const std::function<void(int, int)>& progress);

}  // namespace yt::emulation
