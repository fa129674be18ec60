// The outage scenario: a population of established tunnels with steady traffic
// on every one, then one named fault, and what the tunnels made of it.
//
// Clients sit behind NATs of the listed profiles (round robin), all in one
// network, so some pairs are direct and some relayed (through a separate relay
// when there is one, or the server's built-in relay). Every client sends every
// peer a numbered datagram each `interval` (emulation/tunnel_traffic.h). Once
// every pair carries traffic both ways (or the warm-up limit passes) and
// `settle` more seconds have gone by, the fault strikes:
//   server-down     the server process dies; after `duration` a fresh process
//                   starts on the same database (storage)
//   nat-reboot      the `side` client's NAT loses every mapping (with `new_ip`,
//                   it also gets a new public address); instantaneous
//   link-outage     the `side` client's access link drops everything for `duration`
//   loss-burst      the `side` client's access link loses `burst_loss` of its
//                   packets for `duration`
//   mapping-expiry  every client NAT forgets an idle UDP mapping after
//                   `nat_timeout` (from the start); traffic stops for
//                   max(`duration`, 2 x nat_timeout) so only keepalives hold the
//                   mappings, then resumes
//   relay-down      the separate relay carrying the most pairs dies for good
//   roam            the `side` client's host moves to a network of its own behind
//                   a `roam_nat` NAT (Wi-Fi to LTE): new LAN address, new NAT,
//                   same process and socket; with `roam_notice` its OS tells the
//                   client (as netlink tells yellowtaild); instantaneous
// The run ends `observe` seconds after the fault ends.
//
// Metrics (docs/architecture.md section 5), per established tunnel (one that
// carried traffic both ways in the second before the fault):
//   survived      no datagram lost outside the fault's own cut of that tunnel's
//                 path (a link outage or loss burst on one of its sides: those
//                 losses are the link's); every other fault has no such cut
//   lost          datagrams offered from the fault on and never delivered, both
//                 ways (of which `lost_in_cut` fell in the cut)
//   longest gap   the longest time without an arrival, either way, from the
//                 fault (for mapping-expiry: from the traffic's return) to the end
//   recovered     from the end of the fault until delivery was whole again: the
//                 datagram after the last lost one (0 when nothing was lost
//                 after the fault ended; < 0 when the tunnel never recovered)
// and per client, for server-down: the time from the server's return to the
// client's next sync (for roam: the roaming client's, from the move); and the
// server's logins per second after its return.
//
// The run is an ordinary scenario description (spec_scenario.h):
// outage_scenario() builds it (a site of one client each, the relays, one
// network, "traffic" on it once every client is online, the fault as an event
// triggered `settle` after every tunnel carries traffic ("all-carrying", by_s the
// warm-up limit), no path probes, checks every 100 ms, end_after_s `observe`),
// and run_outage runs it; outage_result() computes the figures above from the
// run's datagram-by-datagram traffic record, client syncs and server logins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulation/spec_scenario.h"
#include "protocol/result.h"
#include "protocol/time.h"

namespace yt::emulation {

std::vector<std::string> outage_fault_names();

struct OutageOptions {
  std::uint64_t seed = 1;
  std::string fault = "server-down";
  // Clients' NAT profiles, round robin over `clients` clients. The default mix
  // gives direct pairs and relayed ones: symmetric-random against itself
  // (against the cones, birthday probing takes it direct).
  std::vector<std::string> nats = {"port-restricted-cone", "linux-masquerade", "full-cone", "symmetric-random",
                                   "symmetric-random", "symmetric-random"};
  int clients = 6;
  int relays = 1;             // separate relays (0: only the server's built-in one)
  Duration access_delay = 20ms;  // one-way, every access link
  Duration interval = 100ms;  // between two datagrams of one direction of one pair
  Duration duration = 60s;    // how long the fault lasts (where it has a length)
  int side = 1;               // the client a one-sided fault hits (1-based)
  bool new_ip = false;        // nat-reboot: the NAT also gets a new public address
  std::string roam_nat = "cgnat";  // roam: the NAT of the network the client moves to
  bool roam_notice = true;    // roam: the client is told its network changed
  double burst_loss = 0.3;    // loss-burst: loss rate during the burst
  Duration nat_timeout = 30s;  // mapping-expiry: the NATs' idle UDP mapping lifetime
  Duration warmup_limit = 60s;  // fault strikes by then even if not every pair carries
  Duration settle = 10s;        // steady traffic before the fault
  Duration observe = 30s;       // after the fault ends
};

struct OutagePair {
  std::string a, b;
  bool established = false;  // carried traffic both ways in the second before the fault
  std::string path;          // at the fault: "direct", "relayed" or "" (not established)
  bool survived = false;
  std::uint64_t offered = 0, lost = 0, lost_in_cut = 0;
  double longest_gap_s = 0;
  double recovered_s = 0;    // < 0: never recovered
  std::string path_after;    // at the end of the run
};

struct OutageClient {
  std::string name;
  std::string nat;
  double resync_s = -1;  // server-down: server's return to this client's next sync; < 0: none
  // Its NAT's idle mapping lifetime as the client measured it (longest wait
  // answered / shortest not; < 0: none), and its keepalive interval at the end.
  double lifetime_lower_s = -1, lifetime_upper_s = -1;
  double keepalive_s = 0;
  // Tunnel datagrams it sent (keepalives and pings) while the traffic paused
  // (mapping-expiry only).
  std::uint64_t sent_while_idle = 0;
};

struct OutageSample {
  double t = 0;                // simulated seconds, start of a 1 s bucket
  std::uint64_t offered = 0;   // datagrams offered in it, all tunnels
  std::uint64_t delivered = 0; // of those, delivered (whenever they arrived)
};

struct OutageResult {
  OutageOptions options;
  std::vector<OutageClient> clients;
  std::vector<OutagePair> pairs;
  std::vector<OutageSample> timeline;
  double fault_at_s = 0;
  double fault_end_s = 0;
  std::size_t established = 0, survived = 0;
  double survival = 0;             // survived / established
  double worst_recovery_s = 0;     // over established pairs; < 0: one never recovered
  double longest_gap_s = 0;        // over established pairs
  std::uint64_t lost = 0;          // over established pairs
  // server-down: when the last client synced again after the return (< 0: not all
  // did), and the highest login count in one second after the return.
  double all_resynced_s = -1;
  std::uint64_t peak_logins_per_s = 0;
  std::uint64_t simulator_events = 0;
  std::vector<std::string> log;
};

// Why the options are invalid, or nothing when they are fine.
std::optional<std::string> check_outage_options(const OutageOptions& options);
Result<OutageResult, std::string> run_outage(const OutageOptions& options);
// The description run_outage runs. Precondition: the options are valid.
ScenarioSpec outage_scenario(const OutageOptions& options);
// The outage figures of a run of outage_scenario(options).
OutageResult outage_result(const OutageOptions& options, const SpecResult& run);

// The result as JSON (options, totals, per-pair, per-client, timeline).
std::string outage_to_json(const OutageResult& result);

}  // namespace yt::emulation
