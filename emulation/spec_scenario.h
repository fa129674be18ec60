// A scenario described by data rather than code: sites (LANs with several hosts
// behind a NAT or a chain of NATs, or public hosts) with their access links, the
// server and separate relays, networks, and a timeline of events (joins, leaves,
// appearing offline, traffic, faults; at a time, or when the run's state says so).
// It is what a researcher writes in Python (yellowtail.Scenario) or in a JSON file
// (yellowtail-sim scenario FILE), and what the built-in nat-matrix, public-peer,
// relay-choice, outage and population runs are; it runs the same cores as every
// scenario. At scale (thousands of clients) a crowd is drawn rather than listed
// (CrowdSpec), in the "regions" topology, without path probes.
//
// What comes out is measured, never assumed: a pair's outcome is what its clients
// reported (TunnelUp: a probe crossed both NATs both ways; TunnelRelayed), and a
// flow's deliveries are datagrams that crossed the modeled network and arrived.
//
// A NAT is a named profile (yellowtail-sim matrix's names), optionally with RFC 4787
// overrides (mapping, filtering, port allocation, timeouts, hairpinning), or the
// overrides alone over an endpoint-independent, port-preserving default.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nat-models/nat_config.h"
#include "protocol/result.h"

namespace yt::emulation {

struct NatSpec {
  std::string profile;  // "" : a single NAT built from the overrides alone
  std::optional<std::string> mapping;     // endpoint-independent | address-dependent | address-and-port-dependent
  std::optional<std::string> filtering;   // the same three names
  std::optional<std::string> allocation;  // preserve | sequential | random
  std::optional<double> mapping_timeout_s;
  std::optional<bool> hairpinning;
};

struct SiteSpec {
  std::string name;
  // The NATs a packet from the LAN crosses, innermost first; empty: the hosts are
  // public (one host per public site).
  std::vector<NatSpec> nats;
  std::vector<std::string> hosts;  // client names, unique in the scenario
  // Empty only for a site nobody starts in: a network a client can roam to.
  double delay_ms = 10;            // the access link's one-way delay
  double loss = 0;                 // the access link's loss rate, both ways
  // The LAN's one-way delay. Above 5 ms (a slow hop: busy Wi-Fi, a tethered
  // phone) the LAN is a point-to-point link, which needs a site with one host.
  double lan_delay_ms = 0.2;
  // Another host on the LAN opens this many new flows a second on average (to new
  // destination ports; emulation/background_flows.h): on a sequential NAT, each
  // moves the port counter. 0: none. NAT sites with a fast LAN only.
  double background_flows_per_s = 0;
  // Each packet through the site's NAT (outermost) waits a uniform 0..jitter_ms
  // more, so packets may overtake each other. NAT sites only.
  double jitter_ms = 0;
};

// A crowd: clients drawn rather than listed, for runs at scale (thousands of
// clients). Client i (0-based) is named "c<i+1>" and sits alone behind its own
// NAT (a household; its site "crowd-<i+1>"), the NAT drawn from `nat_mix` by
// weight (matrix profile names; weights need not sum to 1), its access link's
// one-way delay uniform over [delay_min_ms, delay_max_ms]. Clients are in
// networks "pop-<g>" of `network_size` (members g*size .. (g+1)*size - 1) and log
// in at 0.5 s plus a uniform draw over `join_window_s`. Every
// `traffic_interval_s` (0: never) each present client sends a datagram to every
// peer it has a tunnel with, direct or relayed (first round 1 s after its login
// plus a uniform draw over the interval). Draws come from the run's own stream
// (seeded by ScenarioSpec::seed), in that order; "churn" draws from it after.
struct CrowdSpec {
  int clients = 0;
  std::vector<std::pair<std::string, double>> nat_mix;
  int network_size = 8;
  double delay_min_ms = 5, delay_max_ms = 40;
  double join_window_s = 30;
  double traffic_interval_s = 5;
};

struct RelaySpec {
  std::string name;
  double delay_ms = 10;
};

// One thing that happens at `at_s` simulated seconds. Which fields matter depends
// on `action`:
//   start         client (its login; by default every client starts at 1 s)
//   join, leave   client, network
//   offline, online  client, network (appear offline in it / back)
//   send          client -> to: a datagram every interval_ms for duration_s
//   server-down   duration_s (then a fresh server process on the same database)
//   link-down     site, duration_s, loss (default 1: cut)
//   nat-reboot    site (its outermost NAT forgets every mapping), new_ip
//   relay-down    relay; or "@busiest": the separate relay that carries the most
//                 pairs then (by the relay both sides last reported; ties to the
//                 first listed), none when no pair uses a separate relay
//   block-peer-udp  client (from now on its host drops every UDP datagram not
//                 to the server, like a firewall that blocks peer-to-peer UDP)
//   traffic       network: every member (from the start) sends every other one a
//                 numbered datagram each interval_ms, from now until the end of
//                 the run (duration_s 0) or for duration_s (emulation/tunnel_traffic.h)
//   pause-traffic network: that traffic skips its rounds for duration_s (idle
//                 tunnels: only keepalives hold the NATs' mappings)
//   roam          client, site: the client's host moves into that site's LAN (a
//                 site of no hosts: Wi-Fi to LTE), same process and socket; its OS
//                 tells the client (ClientCore::on_network_changed) unless `silent`
//   churn         from now until the end, once a second: rate_per_minute of the
//                 present clients (synced, not churned away) leave (the core
//                 stops), each back duration_s later (it starts again);
//                 departures stop when a return would fall within 5 s of the
//                 end. Which client leaves is drawn from the run's stream.
//   relay-down may also name "@most-forwarded": the separate relay that forwarded
//                 the most datagrams so far (ties to the first listed).
// With `after` (any action but start) the event is triggered by the state of the
// run rather than the clock: it happens at_s seconds after the first moment
// (checked every 50 ms) that condition holds, so a fault can strike once the
// tunnels it is about are established, whenever that is:
//   all-online    every client has synced
//   all-relayed   every pair has carried probes through a relay both ways since
//                 the last relay failure, and both sides last reported the same
//                 relay, which is up
//   all-carrying  every pair of every "traffic" network had a datagram arrive
//                 each way within the last second
// The event happens at the first check at least at_s after the condition first
// held (checks every check_interval_s), or at the first check from `by_s` on
// (when set) whether or not it held. Without by_s, an event whose condition never
// holds does not happen.
struct EventSpec {
  double at_s = 0;
  std::string action;
  std::string client, to, network, site, relay;
  double duration_s = 0;
  double interval_ms = 100;
  double loss = 1;
  bool new_ip = false;
  std::string after;  // "": at at_s; else a condition above, and at_s its offset
  std::optional<double> by_s;
  bool silent = false;  // roam: the OS says nothing; the client notices by timeouts
  double rate_per_minute = 0;  // churn: share of present clients leaving per minute
};

struct ScenarioSpec {
  std::uint64_t seed = 1;
  double duration_s = 30;
  double server_delay_ms = 10;
  std::vector<RelaySpec> relays;
  std::vector<SiteSpec> sites;
  // Open networks and their members from the start (at least one each; others
  // may join later).
  std::map<std::string, std::vector<std::string>> networks;
  std::vector<EventSpec> events;
  // Clients that no "start" event names log in at this time.
  double start_s = 1;
  // ServerConfig::serialize_sequential_plans: plans that predict a sequential
  // NAT's ports one at a time per public IP, each after a fresh probe.
  bool serialize_sequential_plans = true;
  // The server's punch strategy (strategy_names(): naive, current).
  std::string strategy = "current";
  // Techniques of "current" left out (server/core/punch_techniques.h: lan,
  // prediction, serialize, prepunch, follower-delay, birthday, tcp).
  std::vector<std::string> disable;
  // ClientConfig::relay_first: clients bind the relay at the instruction, beside
  // punching, or only after the punch window failed.
  bool relay_first = true;
  double server_loss = 0;  // the server's access link
  // ServerConfig::punch_follower_delay, when set.
  std::optional<double> punch_follower_delay_ms;
  // Ends the run early: this long after every client is online, or as soon as
  // every pair is decided (direct, or both sides failed with no path at all).
  // The run still ends at duration_s at the latest.
  std::optional<double> time_limit_s;
  // Ends the run early at the first moment (checked every 50 ms) that every event
  // has happened and this condition (EventSpec::after's names) holds; "" : only
  // time_limit_s's rule. With triggered events, time_limit_s counts from the
  // latest of them too, so each phase of the run gets the limit.
  std::string end_when;
  // Ends the run this long after the last event happened and, where it has a
  // duration, ended (a "traffic" to the end of the run excepted): "watch what
  // the fault left behind for N seconds". Traffic stops then; 2 s more let
  // datagrams in flight land. Counts only once every event has happened.
  std::optional<double> end_after_s;
  // How often triggers and the early ends above are checked (simulated seconds).
  double check_interval_s = 0.05;
  // Probe datagrams prove pairs' paths (SpecPair). Off, nothing is sent but what
  // the timeline says (the cores' own keepalives and pings aside), and a pair's
  // path evidence is its "traffic", "send" and crowd datagrams.
  bool path_probes = true;
  // The network's layout. "flat": sites on the core router (the documentation
  // ranges first). "regions": the scale mode: every site in 198.18.0.0/15
  // straight off the core, which forwards by host routes (host_routing.h), no
  // queue discs on access links, a one-host site's LAN a point-to-point link
  // (fewer events per packet than CSMA, no ARP), and the server, its control
  // nodes and the relays on 10 Gbps links (a data centre's, so thousands of
  // logins do not queue).
  std::string topology = "flat";
  // The server accepts control connections on this many clients' worth per ns-3
  // node (YtServerApp::AddControlNode: with more clients, on nodes of their own
  // beside the server's, each on a link like the server's; client i uses node
  // i mod count). 0: the server's own node takes them all. A cost of the
  // simulator, not the protocol: ns-3 scans every TCP endpoint of a node per
  // segment, so one node's cost per segment grows with the population.
  int clients_per_control_node = 0;
  std::optional<CrowdSpec> crowd;
  // After the end, simulated seconds more for datagrams in flight to land
  // (nothing counts as sent then). 0: the run stops at duration_s.
  double drain_s = 2;
};

// Every pair of clients that shared a network at some point. Its outcome is
// evidence, not the cores' word: once a side's tunnel is up (direct or relayed) it
// sends the peer a probe datagram every 200 ms until probes crossed the direct path
// both ways (emulation/path_probes.h).
struct SpecPair {
  std::string a, b;
  std::string outcome;            // direct | relayed | failed
  double direct_at_s = -1;        // when probes had crossed the direct path both ways
  double time_to_direct_ms = -1;  // the later side's TunnelUp::time_to_direct
  double relayed_at_s = -1;       // when probes had crossed a relay both ways (first time)
  // From its instruction until both sides had a path (direct or relayed), the later side's.
  double time_to_first_path_ms = -1;
  bool direct_at_end = false;     // both sides' latest report is TunnelUp
  // The cores' word, beside the evidence above: the first TunnelUp either side
  // reported (simulated s; -1: none), and whether either side ever reported a
  // tunnel (TunnelUp or TunnelRelayed). Without probes they are what there is.
  double reported_up_at_s = -1;
  bool reported_tunnel = false;
  std::string failure;            // why not direct: a side's reason, or what was missing
  // The relay both sides last reported (TunnelRelayed: "built-in" for the
  // server's, a RelaySpec name, else the endpoint); "" when they differ or a side
  // never reported one. `relay_changes` is its history: (when, relay) each time it
  // changed, "" included.
  std::string relay;
  std::vector<std::pair<double, std::string>> relay_changes;
  // When probes had crossed a relay both ways since the last relay failure
  // (relay-down): the pair's fresh evidence of a relayed path; -1: none since.
  double relayed_since_s = -1;
};

struct SpecFlow {
  std::string from, to;
  double start_s = 0;
  int sent = 0;
  int delivered = 0;
  int lost() const { return sent - delivered; }
  int delivered_relayed = 0;
  double first_arrival_s = -1;
  double longest_gap_s = 0;  // between arrivals, and from the start to the first one
};

struct SpecClient {
  std::string name, site;
  std::vector<double> syncs_at_s;  // every sync (first login, and each after a reconnect or roam)
  // Its NAT's idle mapping lifetime as it measured it (longest wait answered /
  // shortest not; -1: none) and its keepalive interval at the end.
  double lifetime_lower_s = -1, lifetime_upper_s = -1;
  double keepalive_s = 0;
  // Tunnel datagrams (keepalives, pings) it sent while its traffic was paused.
  std::uint64_t sent_while_paused = 0;
  std::string nat;  // what its own discovery reported (NatProfile::summary)
  bool online_at_end = false;
  int logins = 0;
  double online_at_s = -1;  // its first sync
  std::string site_nat;     // its site's NAT profiles, "+"-joined ("" public; "custom": overrides alone)
  std::string failure;      // its first TunnelFailed or LoginFailed reason
};

struct SpecSite {
  std::string name;
  std::uint64_t tuple_clashes = 0;  // over its NATs (NatCounters::tuple_clashes)
  std::uint64_t mappings_created = 0;
  std::uint64_t background_flows = 0;  // opened by its other host (SiteSpec::background_flows_per_s)
};

// One direction of a "traffic" network's pairs, datagram by datagram (by
// sequence number): when offered, when it arrived (-1: never) and whether
// through a relay.
struct SpecTraffic {
  std::string from, to;
  std::vector<double> offered_at, arrived_at;
  std::vector<bool> relayed;
  std::uint64_t lost() const;
};

// Datagrams of every "traffic" offered in one second [t, t + 1), and how many of
// them arrived (whenever).
struct SpecSecond {
  double t = 0;
  std::uint64_t offered = 0, delivered = 0;
};

// Every relay a client could use: the server's built-in one first ("built-in",
// with the server's delay), then the RelaySpecs.
struct SpecRelay {
  std::string name;
  double delay_ms = 0;
  std::uint64_t forwarded = 0;  // datagrams it forwarded (the built-in: the last server process's)
  double down_at_s = -1;        // when a relay-down stopped it
};

struct SpecResult {
  ScenarioSpec spec;
  std::vector<SpecPair> pairs;
  std::vector<SpecFlow> flows;
  std::vector<SpecClient> clients;
  std::vector<SpecSite> sites;
  std::vector<SpecRelay> relays;
  std::vector<SpecTraffic> traffic;   // by network, then (from, to) in client order
  std::vector<SpecSecond> timeline;   // one bucket per second until ended_at_s
  // The server's login counter (of the process running then) at each check where
  // it had changed: (when, count); a restarted process counts from 0 again. Checks
  // run when the description has triggers, end_when, end_after_s or time_limit_s.
  std::vector<std::pair<double, std::uint64_t>> server_logins;
  // When each of spec.events happened (simulated s), by index; -1: never (a
  // trigger that never held, or past the end).
  std::vector<double> event_times_s;
  // When each event's effect ended (the server back, a link restored, a pause or
  // a traffic of set length over); -1: no such end (yet).
  std::vector<double> event_ends_s;
  // When end_when held and ended the run; -1: it did not.
  double settled_at_s = -1;
  std::vector<std::string> log;
  // The server's counters at the end (of the process running then): logins,
  // tunnel_instructions, relay_offers, plans_queued, mapping_refreshes,
  // refreshes_missed, relay_forwarded_packets (its built-in relay), relay_repicks
  // (pairs planned again because their relay went away).
  std::map<std::string, std::uint64_t> server;
  double ended_at_s = 0;  // simulated: duration_s, or earlier under time_limit_s
  // Every TunnelUp any client reported, its time_to_direct (s), in order.
  std::vector<double> reported_time_to_direct_s;
  // Sampled once a second: the most clients present (synced, not churned away)
  // and the most logins the server counted in one second.
  std::size_t peak_present = 0;
  std::uint64_t peak_logins_per_s = 0;
  std::uint64_t churned = 0;  // "churn" departures
  // The crowd's traffic: datagrams its clients offered and received.
  std::uint64_t crowd_sent = 0, crowd_delivered = 0;
  std::size_t server_control_nodes = 1;  // ns-3 nodes accepting the server's control connections
  std::uint64_t simulator_events = 0;  // both processes' (RunOptions::processes)
  double wall_s = 0;
  double build_s = 0;  // wall time to build the network and install the apps
  // The run's processes, and the peak RSS of the second (the first's is the
  // caller's own).
  int processes = 1;
  std::uint64_t second_process_peak_rss_bytes = 0;
};

// Log lines, off by default in bulk runs (the nat-matrix runs thousands).
struct RunOptions {
  bool log = true;
  // A line on stderr every 10 simulated seconds (present clients, pairs a side
  // reported direct, events, wall time, peak RSS).
  bool progress = false;
  // Run the core router's links in windows (link_windows.h), and on how many
  // processes (1 or 2, split_run.h; 2 needs windows). Only for what
  // split_check() allows; one process with windows gives what two give.
  bool windows = false;
  int processes = 1;
};

// Why `spec` cannot run in windows, or split over two processes (nullopt: it
// can): a crowd alone, with no probes, flows, traffic events, triggers or early
// ends, no drain, and churn the only timeline event; the core router's links
// lossless and at least 1 ms long (the lookahead).
std::optional<std::string> split_check(const ScenarioSpec& spec);

// Shorthands for the specs the built-in scenarios build.
inline NatSpec named_nat(std::string profile) {
  NatSpec nat;
  nat.profile = std::move(profile);
  return nat;
}
inline SiteSpec site_of_one(std::string name, std::vector<NatSpec> nats, double delay_ms) {
  SiteSpec site;
  site.hosts = {name};
  site.name = std::move(name);
  site.nats = std::move(nats);
  site.delay_ms = delay_ms;
  return site;
}
inline EventSpec client_event(double at_s, std::string action, std::string client) {
  EventSpec event;
  event.at_s = at_s;
  event.action = std::move(action);
  event.client = std::move(client);
  return event;
}

// nullopt, or why the spec cannot run (unknown profile, name used twice, a client
// in no site, an event naming something that does not exist, bad numbers, ...).
std::optional<std::string> check_spec(const ScenarioSpec& spec);
Result<SpecResult, std::string> run_spec(const ScenarioSpec& spec, const RunOptions& options = {});

// The JSON forms (field names as in the structs above; events' fields only where
// they matter). Parsing reports the first problem with its JSON path.
Result<ScenarioSpec, std::string> spec_from_json(const std::string& text);
std::string scenario_to_json(const ScenarioSpec& spec);
std::string spec_result_to_json(const SpecResult& result);
std::string spec_result_table(const SpecResult& result);

// The NAT chain a NatSpec stands for (innermost first), or why not.
Result<std::vector<nat::NatConfig>, std::string> nat_chain(const NatSpec& nat);

}  // namespace yt::emulation
