#include "emulation/population_scenario.h"

#include <ns3/core-module.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "emulation/event_scheduler.h"
#include "emulation/matrix_scenario.h"
#include "emulation/ns3_conversions.h"
#include "emulation/ns3_random_source.h"
#include "emulation/scenario_nodes.h"
#include "emulation/topology.h"
#include "emulation/yt_relay_app.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

constexpr int kMaxClients = 30000;
constexpr int kMaxNetworkSize = 256;
constexpr int kMaxRelays = 8;
constexpr double kReturnSlackS = 5;  // a churned client's return must leave this long for its login
// The traffic's own marker, so nothing else a peer sends is counted.
const Bytes kTrafficPayload = {'y', 't', '-', 'p', 'o', 'p'};

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }
bool within(Duration d, Duration lo, Duration hi) { return d >= lo && d <= hi; }

double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(rank, sorted.size() - 1)];
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

// One pair of one network: what it did.
struct PairRecord {
  double direct_at = -1;  // first TunnelUp on either side, simulated seconds
  bool connected = false;
};

}  // namespace

std::vector<std::string> population_profile_names() {
  std::vector<std::string> names = matrix_profile_names();
  return names;
}

std::optional<std::string> check_population_options(const PopulationOptions& o) {
  if (o.clients < 2 || o.clients > kMaxClients) return "give 2 to " + std::to_string(kMaxClients) + " clients";
  if (o.network_size < 2 || o.network_size > kMaxNetworkSize) {
    return "the network size must be 2 to " + std::to_string(kMaxNetworkSize) + " (the server's cap)";
  }
  if (o.nat_mix.empty()) return "name at least one NAT profile";
  const std::vector<std::string> known = population_profile_names();
  double total = 0;
  for (const auto& [nat, weight] : o.nat_mix) {
    if (std::find(known.begin(), known.end(), nat) == known.end()) return "unknown NAT profile '" + nat + "'";
    if (!(weight >= 0)) return "the weight of " + nat + " must be 0 or more";
    if (nat == "home-behind-cgnat" && weight > 0 && o.clients > 254) {
      return "home-behind-cgnat (a chain of two NATs) fits runs of up to 254 clients";
    }
    total += weight;
  }
  if (!(total > 0)) return "the NAT mix's weights must not all be 0";
  if (o.relays < 0 || o.relays > kMaxRelays) return "give 0 to " + std::to_string(kMaxRelays) + " relays";
  if (!within(o.delay_min, Duration(0), 5s) || !within(o.delay_max, o.delay_min, 5s)) {
    return "the access delays must satisfy 0 <= min <= max <= 5 s";
  }
  if (!within(o.duration, 1s, 24h)) return "the duration must be between 1 s and 24 h";
  if (!within(o.join_window, Duration(0), o.duration)) return "the join window must be between 0 and the duration";
  if (!within(o.traffic_interval, Duration(0), 1h)) return "the traffic interval must be between 0 and 1 h";
  if (o.traffic_interval > Duration(0) && o.traffic_interval < 100ms) return "the traffic interval must be 0 or >= 100 ms";
  if (!(o.churn_per_minute >= 0 && o.churn_per_minute <= 1)) return "the churn must be between 0 and 1 per minute";
  if (!within(o.churn_away, Duration(0), 1h)) return "the churn absence must be between 0 and 1 h";
  if (!within(o.direct_within, 1s, 1h)) return "the P2P window must be between 1 s and 1 h";
  if (o.clients_per_control_node < 1 || o.clients_per_control_node > kMaxClients) {
    return "the clients per server control node must be 1 to " + std::to_string(kMaxClients);
  }
  return std::nullopt;
}

Result<PopulationResult, std::string> run_population(const PopulationOptions& options) {
  if (auto error = check_population_options(options)) return Err{*error};
  const auto wall_start = std::chrono::steady_clock::now();
  PopulationResult result;
  result.options = options;
  use_fast_event_scheduler();
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(options.seed);
  const std::size_t n = static_cast<std::size_t>(options.clients);
  const std::size_t size = static_cast<std::size_t>(options.network_size);

  // Draws for the population itself (NAT, delay, login time, churn), from a
  // stream of its own so the topology's streams do not shift with them.
  auto draw = ns3::CreateObject<ns3::UniformRandomVariable>();
  draw->SetStream(1'000'000);
  double total_weight = 0;
  for (const auto& [nat, weight] : options.nat_mix) total_weight += weight;
  auto pick_nat = [&]() -> std::size_t {
    double x = draw->GetValue(0, total_weight);
    for (std::size_t k = 0; k < options.nat_mix.size(); ++k) {
      if (x < options.nat_mix[k].second) return k;
      x -= options.nat_mix[k].second;
    }
    return options.nat_mix.size() - 1;
  };

  TopologyOptions topology_options;
  topology_options.regions_only = true;
  topology_options.queue_discs = false;
  topology_options.region_routers = false;
  Topology topology(topology_options);
  LinkSpec server_link;
  server_link.delay = 10ms;
  server_link.data_rate = "10Gbps";
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(server_link, 2);
  std::vector<ns3::Ptr<ns3::Node>> relay_nodes;
  for (int i = 0; i < options.relays; ++i) relay_nodes.push_back(topology.AddPublicHost(server_link));
  // The server's control nodes: on links like its own, so a control connection
  // has the same delay whichever node it reaches. Up to clients_per_control_node
  // clients the server's own node takes them all.
  std::vector<ns3::Ptr<ns3::Node>> control_nodes;
  const auto per_node = static_cast<std::size_t>(options.clients_per_control_node);
  for (std::size_t k = 0; n > per_node && k < (n + per_node - 1) / per_node; ++k) {
    control_nodes.push_back(topology.AddPublicHost(server_link));
  }
  std::vector<std::size_t> nat_of(n);
  std::vector<NatSite> sites;
  sites.reserve(n);
  std::map<std::string, std::vector<nat::NatConfig>> chains;
  // One host per site: its LAN is a point-to-point link (same rate and delay as
  // the CSMA default), which costs ns-3 fewer events per packet than a CSMA
  // channel and needs no ARP.
  NatSiteOptions site_options;
  site_options.lan.point_to_point = true;
  for (std::size_t i = 0; i < n; ++i) {
    nat_of[i] = pick_nat();
    const std::string& name = options.nat_mix[nat_of[i]].first;
    if (!chains.count(name)) chains[name] = matrix_profile_chain(name);
    LinkSpec access;
    access.delay = std::chrono::duration_cast<Duration>(
        std::chrono::duration<double>(draw->GetValue(seconds(options.delay_min), seconds(options.delay_max))));
    sites.push_back(topology.AddNatSite(chains[name], 1, access, site_options));
    if (!sites.back().Valid()) {
      ns3::Simulator::Destroy();  // the next run in this process starts clean
      return Err{"the topology has no room for client " + std::to_string(i + 1)};
    }
  }
  int64_t stream = topology.AssignStreams(0);

  ScenarioIdentities ids = draw_identities(stream, relay_nodes.size(), n);
  const Identity& server_identity = ids.server;
  const std::vector<Identity>& relay_ids = ids.relays;
  const std::vector<Identity>& client_ids = ids.clients;
  std::map<PublicKey, std::size_t> index_of;
  for (std::size_t i = 0; i < n; ++i) index_of[client_ids[i].public_key] = i;

  ServerConfig server_config;
  MemoryStorage storage;
  result.networks = (n + size - 1) / size;
  for (std::size_t g = 0; g < result.networks; ++g) {
    std::vector<PublicKey> keys;
    for (std::size_t i = g * size; i < std::min(n, (g + 1) * size); ++i) keys.push_back(client_ids[i].public_key);
    add_members(storage, server_config, "pop-" + std::to_string(g), keys);
  }
  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  server_config.discovery_endpoints = discovery_endpoints(server_ips);
  server_config.password_strength = PwhashStrength::minimum();
  for (const Identity& id : relay_ids) server_config.relay_keys.push_back(id.public_key);
  ns3::Ptr<YtServerApp> server = install_server(server_node, server_config, server_identity, &storage, nullptr, stream);
  for (const ns3::Ptr<ns3::Node>& node : control_nodes) server->AddControlNode(node);
  result.control_nodes = std::max<std::size_t>(1, control_nodes.size());
  auto control_ip = [&](std::size_t i) {
    return control_nodes.empty() ? server_ips.at(0) : topology.AddressOf(control_nodes[i % control_nodes.size()]);
  };
  std::vector<ns3::Ptr<YtRelayApp>> relays;
  for (std::size_t i = 0; i < relay_nodes.size(); ++i) {
    relays.push_back(install_relay(relay_nodes[i], topology.AddressOf(relay_nodes[i]), "relay-" + std::to_string(i + 1),
                                   server_ips.at(0), server_identity.public_key, relay_ids[i], nullptr, stream));
  }

  // Pairs of network g: members g*size + i < g*size + j, at g*per + rank(i, j).
  const std::size_t per = size * (size - 1) / 2;
  auto pair_slot = [&](std::size_t a, std::size_t b) -> std::optional<std::size_t> {
    if (a > b) std::swap(a, b);
    if (a == b || a / size != b / size) return std::nullopt;
    const std::size_t i = a % size, j = b % size;
    return (a / size) * per + i * size - i * (i + 1) / 2 + (j - i - 1);
  };
  std::vector<PairRecord> pairs(result.networks * per);
  std::vector<double> first_sync(n, -1);
  std::vector<bool> online(n, false);

  std::vector<ns3::Ptr<YtClientApp>> apps(n);
  std::vector<std::function<void()>> rounds(n);  // each client's traffic, rescheduling itself
  for (std::size_t i = 0; i < n; ++i) {
    const double start = 0.5 + draw->GetValue(0, seconds(options.join_window));
    apps[i] = install_client(sites[i].hosts.at(0), "c" + std::to_string(i + 1), control_ip(i),
                             server_identity.public_key, client_ids[i], start, nullptr, stream);
    apps[i]->SetEventCallback([&, i](const ClientEvent& event) {
      const double now = ns3::Simulator::Now().GetSeconds();
      if (std::holds_alternative<Synced>(event)) {
        if (first_sync[i] < 0) first_sync[i] = now;
        online[i] = true;
      } else if (const auto* up = std::get_if<TunnelUp>(&event)) {
        result.time_to_direct_s.push_back(seconds(up->time_to_direct));
        auto peer = index_of.find(up->peer);
        if (peer == index_of.end()) return;
        if (auto slot = pair_slot(i, peer->second)) {
          PairRecord& p = pairs[*slot];
          if (p.direct_at < 0) p.direct_at = now;
          p.connected = true;
        }
      } else if (const auto* relayed = std::get_if<TunnelRelayed>(&event)) {
        auto peer = index_of.find(relayed->peer);
        if (peer == index_of.end()) return;
        if (auto slot = pair_slot(i, peer->second)) pairs[*slot].connected = true;
      } else if (const auto* packet = std::get_if<PacketReceived>(&event)) {
        if (packet->packet == kTrafficPayload) ++result.traffic_delivered;
      }
    });
    if (options.traffic_interval > Duration(0)) {
      // Each client's rounds, offset so they do not all fall on one instant.
      const double offset = start + 1 + draw->GetValue(0, seconds(options.traffic_interval));
      rounds[i] = [&, i] {
        if (online[i]) {
          const Time now = core_now();
          for (const PeerStatus& p : apps[i]->Core().peers()) {
            if (!p.has_tunnel || (p.tunnel != TunnelState::kDirect && p.tunnel != TunnelState::kRelayed)) continue;
            if (apps[i]->Core().send_to_peer(now, p.key, kTrafficPayload).ok()) ++result.traffic_sent;
          }
          apps[i]->Pump();
        }
        ns3::Simulator::Schedule(to_ns3(options.traffic_interval), rounds[i]);
      };
      ns3::Simulator::Schedule(ns3::Seconds(offset), rounds[i]);
    }
  }
  result.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  // Churn, once a second after the join window: departures at the given rate,
  // each back `churn_away` later.
  double churn_debt = 0;
  std::function<void()> churn = [&] {
    const double now = ns3::Simulator::Now().GetSeconds();
    std::vector<std::size_t> up;
    for (std::size_t i = 0; i < n; ++i) {
      if (online[i]) up.push_back(i);
    }
    churn_debt += options.churn_per_minute / 60.0 * static_cast<double>(up.size());
    // Only departures whose return (and its login) still falls inside the run.
    const bool back_in_time = now + seconds(options.churn_away) + kReturnSlackS <= seconds(options.duration);
    while (back_in_time && churn_debt >= 1 && !up.empty()) {
      churn_debt -= 1;
      const auto pick = static_cast<std::size_t>(draw->GetInteger(0, static_cast<uint32_t>(up.size() - 1)));
      const std::size_t i = up[pick];
      up.erase(up.begin() + static_cast<std::ptrdiff_t>(pick));
      online[i] = false;
      ++result.churned;
      apps[i]->Core().stop(core_now());
      apps[i]->Pump();
      ns3::Simulator::Schedule(to_ns3(options.churn_away), [&, i] {
        apps[i]->Core().start(core_now());
        apps[i]->Pump();
      });
    }
    if (now + 1 < seconds(options.duration)) ns3::Simulator::Schedule(ns3::Seconds(1), churn);
  };
  if (options.churn_per_minute > 0) ns3::Simulator::Schedule(to_ns3(options.join_window) + ns3::Seconds(1), churn);

  // Once a second: the server's logins per second, the online peak, progress.
  std::uint64_t logins_seen = 0;
  std::function<void()> watch = [&] {
    const double now = ns3::Simulator::Now().GetSeconds();
    if (server->Core()) {
      const std::uint64_t logins = server->Core()->stats().logins;
      result.peak_logins_per_s = std::max(result.peak_logins_per_s, logins - logins_seen);
      logins_seen = logins;
    }
    const auto up = static_cast<std::size_t>(std::count(online.begin(), online.end(), true));
    result.peak_online = std::max(result.peak_online, up);
    if (options.progress && static_cast<long>(now) % 10 == 0) {
      std::size_t direct = 0;
      for (const PairRecord& p : pairs) direct += p.direct_at >= 0 ? 1 : 0;
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      std::fprintf(stderr, "  t=%3.0f s: %zu online, %zu pairs direct, %llu events, %.0f s wall, RSS %.0f MiB\n", now,
                   up, direct, static_cast<unsigned long long>(ns3::Simulator::GetEventCount()), wall,
                   static_cast<double>(peak_rss_bytes()) / 1048576.0);
    }
    if (now + 1 <= seconds(options.duration)) ns3::Simulator::Schedule(ns3::Seconds(1), watch);
  };
  ns3::Simulator::Schedule(ns3::Seconds(1), watch);
  ns3::Simulator::Stop(to_ns3(options.duration));
  ns3::Simulator::Run();

  // Figures, from what crossed the network.
  const double end = seconds(options.duration);
  const double window = seconds(options.direct_within);
  result.by_nat.resize(options.nat_mix.size());
  for (std::size_t k = 0; k < options.nat_mix.size(); ++k) result.by_nat[k].nat = options.nat_mix[k].first;
  for (std::size_t i = 0; i < n; ++i) ++result.by_nat[nat_of[i]].clients;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a + 1; b < n && b / size == a / size; ++b) {
      ++result.pairs;
      const PairRecord& p = pairs[*pair_slot(a, b)];
      const double start = std::max(first_sync[a], first_sync[b]);
      if (first_sync[a] < 0 || first_sync[b] < 0 || start + window > end) continue;
      ++result.tried;
      const bool direct = p.direct_at >= 0 && p.direct_at <= start + window;
      result.direct += direct ? 1 : 0;
      result.connected += p.connected ? 1 : 0;
      for (std::size_t k : {nat_of[a], nat_of[b]}) {
        ++result.by_nat[k].pairs_tried;
        result.by_nat[k].pairs_direct += direct ? 1 : 0;
        if (nat_of[a] == nat_of[b]) break;  // counted once for a same-NAT-type pair
      }
    }
  }
  result.p2p_rate = result.tried ? static_cast<double>(result.direct) / static_cast<double>(result.tried) : 0;
  result.connectivity = result.tried ? static_cast<double>(result.connected) / static_cast<double>(result.tried) : 0;
  std::sort(result.time_to_direct_s.begin(), result.time_to_direct_s.end());
  result.ttd_p50_s = quantile(result.time_to_direct_s, 0.5);
  result.ttd_p90_s = quantile(result.time_to_direct_s, 0.9);
  result.ttd_p99_s = quantile(result.time_to_direct_s, 0.99);
  if (server->Core()) {
    const ServerStats& stats = server->Core()->stats();
    result.logins = stats.logins;
    result.tunnel_instructions = stats.tunnel_instructions;
    result.relay_offers = stats.relay_offers;
  }
  result.simulator_events = ns3::Simulator::GetEventCount();
  ns3::Simulator::Destroy();
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  result.events_per_s = result.wall_s > 0 ? static_cast<double>(result.simulator_events) / result.wall_s : 0;
  result.peak_rss_bytes = peak_rss_bytes();
  return result;
}

std::string population_to_json(const PopulationResult& r) {
  const PopulationOptions& o = r.options;
  nlohmann::ordered_json root;
  nlohmann::ordered_json mix = nlohmann::ordered_json::array();
  for (const auto& [nat, weight] : o.nat_mix) mix.push_back({{"nat", nat}, {"weight", weight}});
  root["options"] = {{"seed", o.seed},
                     {"clients", o.clients},
                     {"nat_mix", mix},
                     {"network_size", o.network_size},
                     {"relays", o.relays},
                     {"delay_min_ms", seconds(o.delay_min) * 1000},
                     {"delay_max_ms", seconds(o.delay_max) * 1000},
                     {"join_window_s", seconds(o.join_window)},
                     {"duration_s", seconds(o.duration)},
                     {"traffic_interval_s", seconds(o.traffic_interval)},
                     {"churn_per_minute", o.churn_per_minute},
                     {"churn_away_s", seconds(o.churn_away)},
                     {"direct_within_s", seconds(o.direct_within)},
                     {"clients_per_control_node", o.clients_per_control_node}};
  root["networks"] = r.networks;
  root["pairs"] = r.pairs;
  root["tried"] = r.tried;
  root["direct"] = r.direct;
  root["connected"] = r.connected;
  root["p2p_rate"] = r.p2p_rate;
  root["connectivity"] = r.connectivity;
  root["time_to_direct_s"] = {{"p50", r.ttd_p50_s}, {"p90", r.ttd_p90_s}, {"p99", r.ttd_p99_s},
                              {"count", r.time_to_direct_s.size()}};
  root["traffic"] = {{"sent", r.traffic_sent}, {"delivered", r.traffic_delivered}};
  root["churned"] = r.churned;
  nlohmann::ordered_json by_nat = nlohmann::ordered_json::array();
  for (const PopulationNatRow& row : r.by_nat) {
    by_nat.push_back({{"nat", row.nat}, {"clients", row.clients}, {"pairs_tried", row.pairs_tried},
                      {"pairs_direct", row.pairs_direct}});
  }
  root["by_nat"] = by_nat;
  root["server"] = {{"logins", r.logins},
                    {"tunnel_instructions", r.tunnel_instructions},
                    {"relay_offers", r.relay_offers},
                    {"peak_logins_per_s", r.peak_logins_per_s},
                    {"peak_online", r.peak_online}};
  root["cost"] = {{"simulator_events", r.simulator_events},
                  {"server_control_nodes", r.control_nodes},
                  {"wall_s", r.wall_s},
                  {"build_s", r.build_s},
                  {"events_per_s", r.events_per_s},
                  {"peak_rss_bytes", r.peak_rss_bytes}};
  return root.dump(2) + "\n";
}

}  // namespace yt::emulation
