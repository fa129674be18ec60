// The population scenario: many clients drawn from a NAT mix, in networks of a
// given size, logging in over a join window, with traffic on their tunnels and
// churn (clients leaving and coming back), on one server and its relays. What a
// researcher asks of a deployment: how many pairs go direct, how many can talk at
// all, how long direct takes, and what the server carries. It is a scenario
// description (population_spec: a crowd, churn) that the scenario engine runs
// (spec_scenario.h).
//
// Every client sits alone behind its own NAT (a household, its LAN a
// point-to-point link), drawn from `nat_mix` by weight; access links have a one-way delay drawn uniformly from
// [delay_min, delay_max]. Networks are made in storage up front (members
// g*network_size .. (g+1)*network_size - 1); a client's login is its arrival. Its
// login time is uniform over `join_window`. After the window, `churn_per_minute`
// of the online clients leave per minute (stop), each coming back `churn_away`
// later (departures stop when a return would fall within 5 s of the end). Every `traffic_interval` each client sends a datagram to every peer it
// has a tunnel with (direct or relayed).
//
// Metrics (docs/architecture.md section 5), over the pairs of each network:
//   tried          both members were online together for at least `direct_within`
//                  before the end (the later first sync is their start)
//   P2P rate       tried pairs with a direct tunnel within `direct_within` of their
//                  start, over tried pairs
//   connectivity   tried pairs that exchanged authenticated traffic (direct or
//                  relayed) at any point, over tried pairs
//   time to direct distribution of TunnelUp::time_to_direct (from the server's
//                  instruction), every direct tunnel, both sides
//   delivery       traffic datagrams delivered over those sent
// and the server's logins, tunnel instructions and relay offers, and the run's own
// cost (events, events per second of wall time, wall time, peak RSS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulation/spec_scenario.h"
#include "protocol/result.h"
#include "protocol/time.h"

namespace yt::emulation {

struct PopulationOptions {
  std::uint64_t seed = 1;
  int clients = 1000;
  // A residential mix (weights need not sum to 1): Linux-based home routers
  // (conntrack), classic cones, symmetric NATs, carrier-grade NAT, blocked UDP.
  // scenarios/mixes/residential-broadband.json refines it with its sources, for
  // the nat-mix scenario (nat_mix_scenario.h).
  std::vector<std::pair<std::string, double>> nat_mix = {
      {"linux-masquerade", 30}, {"port-restricted-cone", 25}, {"restricted-cone", 10}, {"full-cone", 5},
      {"symmetric-sequential", 5}, {"symmetric-random", 10}, {"cgnat", 10}, {"udp-blocked", 5}};
  int network_size = 8;
  int relays = 2;
  Duration delay_min = 5ms, delay_max = 40ms;
  Duration join_window = 30s;
  Duration duration = 60s;          // simulated, from the start
  Duration traffic_interval = 5s;   // 0: no traffic
  double churn_per_minute = 0.05;   // share of online clients leaving per minute
  Duration churn_away = 10s;
  Duration direct_within = 10s;     // the P2P rate's T
  // The server accepts control connections on this many clients' worth per ns-3
  // node (YtServerApp::AddControlNode; with more clients, on nodes of its own
  // beside the server's, each on a link like the server's). A cost of the
  // simulator, not of the protocol: ns-3 scans every TCP endpoint of a node per
  // segment, so on one node the server's cost per segment grew with the
  // population (a third of the run's time at 10,000 clients); a few hundred per
  // node kept the scan below the rest of a segment's cost, and 25 per node cut
  // another fifth of a 2,000-client run (the same pairs, counts and traffic;
  // times to direct move by microseconds, the control links being others).
  int clients_per_control_node = 25;
  // Processes the run is split over (1 or 2; split_run.h): the same results
  // either way, since the core router's links run in windows in both
  // (link_windows.h). Windows need access delays of at least 1 ms (the
  // lookahead); with a shorter delay_min the run takes one process, unwindowed.
  int processes = 2;
  bool progress = false;            // a line every 10 simulated seconds (stderr)
};

struct PopulationNatRow {
  std::string nat;
  std::size_t clients = 0;
  std::size_t pairs_tried = 0, pairs_direct = 0;  // pairs with at least one side behind it
};

struct PopulationResult {
  PopulationOptions options;
  std::size_t networks = 0;
  std::size_t pairs = 0, tried = 0, direct = 0, connected = 0;
  double p2p_rate = 0, connectivity = 0;
  std::vector<double> time_to_direct_s;  // sorted
  double ttd_p50_s = 0, ttd_p90_s = 0, ttd_p99_s = 0;
  std::uint64_t traffic_sent = 0, traffic_delivered = 0;
  std::uint64_t churned = 0;  // departures
  std::vector<PopulationNatRow> by_nat;
  // The server, over the run.
  std::uint64_t logins = 0, tunnel_instructions = 0, relay_offers = 0;
  std::uint64_t peak_logins_per_s = 0;
  std::size_t peak_online = 0;
  // The run's cost.
  std::size_t control_nodes = 1;  // ns-3 nodes accepting the server's control connections
  int processes = 1;
  std::uint64_t simulator_events = 0;
  double wall_s = 0, events_per_s = 0, build_s = 0;
  std::uint64_t peak_rss_bytes = 0;  // summed over the processes (pages they share count twice)
};

std::vector<std::string> population_profile_names();
std::optional<std::string> check_population_options(const PopulationOptions& options);
// The description run_population runs on the scenario engine: a crowd
// (CrowdSpec) in the "regions" topology, a "churn" event after the join window,
// no path probes (the figures are the cores' reports), no drain after the end.
ScenarioSpec population_spec(const PopulationOptions& options);
Result<PopulationResult, std::string> run_population(const PopulationOptions& options);
std::string population_to_json(const PopulationResult& result);

}  // namespace yt::emulation
