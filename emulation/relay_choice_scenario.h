// The relay-choice scenario: several relays at different distances, and clients
// whose pairs cannot punch (every client behind a NAT that allocates ports at
// random), so every pair is relayed. It shows that the server gives each pair the
// relay with the lowest latency for that pair, from the round trips the clients
// measured (relay stretch 1.0 when they measured right), and that when that relay
// fails mid-run its pairs move to the next best one.
//
// Topology: the usual star (emulation/topology.h). The mediation server (whose
// built-in relay is one of the choices) and every separate relay (a YtRelayApp on
// a public host) sit behind access links of their own delays; each client's NAT
// site has its own access delay. The one-way latency of a pair through relay r is
// then d(a) + 2 d(r) + d(b), the number the stretch is computed from: the chosen
// relay's over the best live relay's. A pair counts as relayed through a relay
// only when probe datagrams crossed it both ways (PathProbes), and the relay it
// used is the one both sides last reported (TunnelRelayed).
//
// The run is an ordinary scenario description (spec_scenario.h):
// relay_choice_scenario() builds it (a site of one client per client delay, the
// relays, one network, a "relay-down @busiest" event triggered once every pair is
// relayed, ended by end_when "all-relayed"), and run_relay_choice runs it and adds
// only what is particular to this star: each pair's latency through a relay and
// the stretch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulation/spec_scenario.h"
#include "protocol/result.h"
#include "protocol/time.h"

namespace yt::emulation {

struct RelayChoiceOptions {
  std::uint64_t seed = 1;
  // One-way access delay of each separate relay (at least one).
  std::vector<Duration> relay_delays = {5ms, 15ms, 30ms};
  // One-way access delay of each client's NAT site (at least two clients).
  std::vector<Duration> client_delays = {10ms, 20ms, 30ms, 40ms};
  // The server's access delay: its built-in relay is the farthest by default, so
  // the separate relays are what the choice is about.
  Duration server_delay = 50ms;
  // A NAT profile under which no pair punches, so every pair needs a relay.
  std::string client_nat = "symmetric-random";
  // Stop the relay that carries the most pairs once every pair is relayed, and
  // watch its pairs move.
  bool fail_relay = true;
  Duration time_limit = 40s;  // per phase, after all clients are online
};

struct RelayChoicePhase {
  bool relayed = false;  // probes crossed a relay both ways in this phase
  std::string relay;     // the relay both sides used ("built-in", "relay-1", ...); empty if they disagree
  double latency_ms = 0;       // one-way through it
  double best_latency_ms = 0;  // one-way through the best relay alive in this phase
  double stretch = 0;          // latency_ms / best_latency_ms
};

struct RelayChoicePair {
  std::string a, b;
  bool direct = false;  // a direct path appeared (not expected under the default NAT)
  RelayChoicePhase before;
  std::optional<RelayChoicePhase> after;  // after the failure, when there was one
};

struct RelayChoiceRelay {
  std::string name;
  double delay_ms = 0;
  std::uint64_t forwarded = 0;  // datagrams it forwarded in the whole run
  bool failed = false;
};

struct RelayChoiceResult {
  std::vector<RelayChoicePair> pairs;
  std::vector<RelayChoiceRelay> relays;  // the built-in relay first
  bool all_online = false;
  double failed_at_s = 0;          // simulated time of the failure; 0: none
  // From the failure until every pair was relayed through a live relay again
  // (probes across it both ways); 0 when it did not happen within the time limit.
  double moved_after_s = 0;
  std::uint64_t repicks = 0;       // pairs the server planned again when the relay went away
  std::vector<std::string> log;    // the time-stamped event log
};

// Why the options are invalid, or nothing when they are fine.
std::optional<std::string> check_relay_choice_options(const RelayChoiceOptions& options);
// The description run_relay_choice runs. Precondition: the options are valid.
ScenarioSpec relay_choice_scenario(const RelayChoiceOptions& options);
Result<RelayChoiceResult, std::string> run_relay_choice(const RelayChoiceOptions& options);
// The relay-choice figures of a run of relay_choice_scenario() (or of a changed
// copy: latencies come from the run's own site and relay delays; each site's
// first host is its client).
RelayChoiceResult relay_choice_result(const SpecResult& run);

}  // namespace yt::emulation
