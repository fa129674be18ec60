#include "emulation/spec_partition.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <nlohmann/json.hpp>

namespace yt::emulation {

std::optional<std::string> split_check(const ScenarioSpec& spec) {
  if (!spec.crowd) return "only a crowd runs in windows";
  if (!spec.sites.empty() || !spec.networks.empty()) return "listed sites and networks do not run in windows";
  if (spec.path_probes) return "path probes do not run in windows";
  if (spec.drain_s > 0 || spec.time_limit_s || !spec.end_when.empty() || spec.end_after_s) {
    return "a run in windows ends at its duration, without a drain";
  }
  for (const EventSpec& e : spec.events) {
    if (e.action != "churn" || !e.after.empty() || e.by_s) return "churn is the only event a run in windows takes";
  }
  if (spec.server_loss > 0) return "the server's link must be lossless in windows";
  double shortest = std::min(spec.crowd->delay_min_ms, spec.server_delay_ms);
  for (const RelaySpec& r : spec.relays) shortest = std::min(shortest, r.delay_ms);
  if (shortest < 1) return "windows need every access delay to be at least 1 ms (the lookahead)";
  return std::nullopt;
}

// nlohmann/json finds these by argument-dependent lookup, in their types' namespaces.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SpecClient, name, site, syncs_at_s, lifetime_lower_s, lifetime_upper_s,
                                   keepalive_s, sent_while_paused, nat, online_at_end, logins, online_at_s,
                                   site_nat, failure)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SpecSite, name, tuple_clashes, mappings_created, background_flows)

namespace spec_detail {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Side, time_to_direct_ms, time_to_first_path_ms, direct_now, failure,
                                   first_up_at_s, reported_tunnel)

std::string encode(const WindowNews& news) {
  const auto count = static_cast<std::uint32_t>(news.synced.size());
  std::string out(reinterpret_cast<const char*>(&count), sizeof count);
  for (std::uint32_t i : news.synced) out.append(reinterpret_cast<const char*>(&i), sizeof i);
  out += news.packets;
  return out;
}

std::optional<WindowNews> decode_window_news(const std::string& bytes) {
  std::uint32_t count = 0;
  if (bytes.size() < sizeof count) return std::nullopt;
  std::memcpy(&count, bytes.data(), sizeof count);
  if ((bytes.size() - sizeof count) / sizeof(std::uint32_t) < count) return std::nullopt;
  WindowNews news;
  news.synced.resize(count);
  // An empty vector's data() may be null, which memcpy must not be given even for 0 bytes.
  if (count > 0) std::memcpy(news.synced.data(), bytes.data() + sizeof count, count * sizeof(std::uint32_t));
  news.packets = bytes.substr(sizeof count + count * sizeof(std::uint32_t));
  return news;
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PartitionReport, clients, sides, relays_reported, sites, time_to_direct_s,
                                   relays_forwarded, crowd_sent, crowd_delivered, simulator_events, peak_rss_bytes)

// JSON: a few megabytes once per run; doubles round-trip exactly.
std::string encode(const PartitionReport& report) { return nlohmann::json(report).dump(); }

std::optional<PartitionReport> decode_partition_report(const std::string& bytes) {
  try {
    return nlohmann::json::parse(bytes).get<PartitionReport>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

PartitionReport partition_report(const SpecResult& result, const SideMap& sides, const RelayMap& relays_reported,
                                 const std::vector<bool>& local, const std::vector<std::size_t>& site_of) {
  PartitionReport report;
  std::set<std::size_t> sites;
  for (std::size_t i = 0; i < local.size(); ++i) {
    if (!local[i]) continue;
    report.clients.push_back({i, result.clients[i]});
    sites.insert(site_of[i]);
  }
  for (std::size_t s : sites) report.sites.push_back({s, result.sites[s]});
  for (const auto& [key, side] : sides) {
    if (local[key.first]) report.sides.push_back({key, side});
  }
  for (const auto& [key, relay] : relays_reported) {
    if (local[key.first]) report.relays_reported.push_back({key, relay});
  }
  report.time_to_direct_s = result.reported_time_to_direct_s;
  // result.relays: the built-in relay, then the listed ones.
  for (std::size_t k = 1; k < result.relays.size(); ++k) report.relays_forwarded.push_back(result.relays[k].forwarded);
  report.crowd_sent = result.crowd_sent;
  report.crowd_delivered = result.crowd_delivered;
  report.simulator_events = result.simulator_events;
  return report;
}

std::optional<std::string> merge_partition_report(PartitionReport report, SpecResult& result, SideMap& sides,
                                                  RelayMap& relays_reported) {
  const std::size_t n = result.clients.size();
  for (const auto& [i, client] : report.clients) {
    if (i >= n) return "the second process's report names an unknown client";
  }
  for (const auto& [s, site] : report.sites) {
    if (s >= result.sites.size()) return "the second process's report names an unknown site";
  }
  for (const auto& [key, side] : report.sides) {
    if (key.first >= n || key.second >= n) return "the second process's report names an unknown client";
  }
  for (const auto& [key, relay] : report.relays_reported) {
    if (key.first >= n || key.second >= n) return "the second process's report names an unknown client";
  }
  if (report.relays_forwarded.size() + 1 != result.relays.size()) {
    return "the second process's report has the wrong number of relays";
  }
  for (auto& [i, client] : report.clients) {
    // Name, site and site_nat are the build's, the same in both.
    client.name = result.clients[i].name;
    client.site = result.clients[i].site;
    client.site_nat = result.clients[i].site_nat;
    result.clients[i] = std::move(client);
  }
  for (auto& [s, site] : report.sites) {
    site.name = result.sites[s].name;
    result.sites[s] = std::move(site);
  }
  for (auto& [key, side] : report.sides) sides[key] = std::move(side);
  for (auto& [key, relay] : report.relays_reported) relays_reported[key] = std::move(relay);
  for (std::size_t k = 0; k < report.relays_forwarded.size(); ++k) {
    result.relays[k + 1].forwarded = report.relays_forwarded[k];
  }
  result.reported_time_to_direct_s.insert(result.reported_time_to_direct_s.end(), report.time_to_direct_s.begin(),
                                          report.time_to_direct_s.end());
  result.crowd_sent += report.crowd_sent;
  result.crowd_delivered += report.crowd_delivered;
  result.simulator_events += report.simulator_events;
  result.second_process_peak_rss_bytes = report.peak_rss_bytes;
  return std::nullopt;
}

}  // namespace spec_detail
}  // namespace yt::emulation
