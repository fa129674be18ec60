#include "emulation/population_scenario.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "emulation/matrix_scenario.h"

namespace yt::emulation {
namespace {

constexpr int kMaxClients = 30000;
constexpr int kMaxNetworkSize = 256;
constexpr int kMaxRelays = 8;

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
  if (o.processes < 1 || o.processes > 2) return "the run takes 1 or 2 processes";
  if (o.clients_per_control_node < 1 || o.clients_per_control_node > kMaxClients) {
    return "the clients per server control node must be 1 to " + std::to_string(kMaxClients);
  }
  return std::nullopt;
}

ScenarioSpec population_spec(const PopulationOptions& o) {
  ScenarioSpec spec;
  spec.seed = o.seed;
  spec.duration_s = seconds(o.duration);
  spec.topology = "regions";
  spec.clients_per_control_node = o.clients_per_control_node;
  // The evidence is the cores' reports (SpecPair::reported_*): probes to every
  // pair would be traffic the population does not offer.
  spec.path_probes = false;
  spec.drain_s = 0;  // the crowd's traffic runs to the end; nothing is counted after
  for (int i = 0; i < o.relays; ++i) spec.relays.push_back({"relay-" + std::to_string(i + 1), 10});
  CrowdSpec crowd;
  crowd.clients = o.clients;
  crowd.nat_mix = o.nat_mix;
  crowd.network_size = o.network_size;
  crowd.delay_min_ms = static_cast<double>(o.delay_min.count()) / 1000;
  crowd.delay_max_ms = static_cast<double>(o.delay_max.count()) / 1000;
  crowd.join_window_s = seconds(o.join_window);
  crowd.traffic_interval_s = seconds(o.traffic_interval);
  spec.crowd = crowd;
  if (o.churn_per_minute > 0) {
    EventSpec churn;
    churn.action = "churn";
    churn.at_s = seconds(o.join_window) + 1;
    churn.rate_per_minute = o.churn_per_minute;
    churn.duration_s = seconds(o.churn_away);
    spec.events.push_back(churn);
  }
  return spec;
}

Result<PopulationResult, std::string> run_population(const PopulationOptions& options) {
  if (auto error = check_population_options(options)) return Err{*error};
  RunOptions run_options;
  run_options.log = false;
  run_options.progress = options.progress;
  run_options.windows = options.delay_min >= 1ms;
  run_options.processes = run_options.windows ? options.processes : 1;
  auto ran = run_spec(population_spec(options), run_options);
  if (!ran) return Err{ran.error()};
  const SpecResult& run = *ran;
  PopulationResult result;
  result.options = options;
  const std::size_t n = static_cast<std::size_t>(options.clients);
  const std::size_t size = static_cast<std::size_t>(options.network_size);
  result.networks = (n + size - 1) / size;
  // Every pair of a network is a SpecPair (they share it from the start).
  result.pairs = run.pairs.size();
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < run.clients.size(); ++i) index_of[run.clients[i].name] = i;
  std::map<std::string, std::size_t> mix_index;
  result.by_nat.resize(options.nat_mix.size());
  for (std::size_t k = 0; k < options.nat_mix.size(); ++k) {
    result.by_nat[k].nat = options.nat_mix[k].first;
    mix_index.emplace(options.nat_mix[k].first, k);  // a profile named twice counts under its first entry
  }
  std::vector<std::size_t> nat_of(n);
  for (std::size_t i = 0; i < n; ++i) {
    nat_of[i] = mix_index.at(run.clients[i].site_nat);
    ++result.by_nat[nat_of[i]].clients;
  }
  const double end = seconds(options.duration);
  const double window = seconds(options.direct_within);
  for (const SpecPair& p : run.pairs) {
    const std::size_t a = index_of.at(p.a), b = index_of.at(p.b);
    const double first_a = run.clients[a].online_at_s, first_b = run.clients[b].online_at_s;
    const double start = std::max(first_a, first_b);
    if (first_a < 0 || first_b < 0 || start + window > end) continue;
    ++result.tried;
    const bool direct = p.reported_up_at_s >= 0 && p.reported_up_at_s <= start + window;
    result.direct += direct ? 1 : 0;
    result.connected += p.reported_tunnel ? 1 : 0;
    for (std::size_t k : {nat_of[a], nat_of[b]}) {
      ++result.by_nat[k].pairs_tried;
      result.by_nat[k].pairs_direct += direct ? 1 : 0;
      if (nat_of[a] == nat_of[b]) break;  // counted once for a same-NAT-type pair
    }
  }
  result.p2p_rate = result.tried ? static_cast<double>(result.direct) / static_cast<double>(result.tried) : 0;
  result.connectivity = result.tried ? static_cast<double>(result.connected) / static_cast<double>(result.tried) : 0;
  result.time_to_direct_s = run.reported_time_to_direct_s;
  std::sort(result.time_to_direct_s.begin(), result.time_to_direct_s.end());
  result.ttd_p50_s = quantile(result.time_to_direct_s, 0.5);
  result.ttd_p90_s = quantile(result.time_to_direct_s, 0.9);
  result.ttd_p99_s = quantile(result.time_to_direct_s, 0.99);
  result.traffic_sent = run.crowd_sent;
  result.traffic_delivered = run.crowd_delivered;
  result.churned = run.churned;
  auto server = [&](const char* name) -> std::uint64_t {
    auto it = run.server.find(name);
    return it == run.server.end() ? 0 : it->second;
  };
  result.logins = server("logins");
  result.tunnel_instructions = server("tunnel_instructions");
  result.relay_offers = server("relay_offers");
  result.peak_logins_per_s = run.peak_logins_per_s;
  result.peak_online = run.peak_present;
  result.control_nodes = run.server_control_nodes;
  result.simulator_events = run.simulator_events;
  result.build_s = run.build_s;
  result.wall_s = run.wall_s;
  result.events_per_s = result.wall_s > 0 ? static_cast<double>(result.simulator_events) / result.wall_s : 0;
  result.processes = run.processes;
  result.peak_rss_bytes = peak_rss_bytes() + run.second_process_peak_rss_bytes;
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
                     {"clients_per_control_node", o.clients_per_control_node},
                     {"processes", o.processes}};
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
                  {"processes", r.processes},
                  {"wall_s", r.wall_s},
                  {"build_s", r.build_s},
                  {"events_per_s", r.events_per_s},
                  {"peak_rss_bytes", r.peak_rss_bytes}};
  return root.dump(2) + "\n";
}

}  // namespace yt::emulation
