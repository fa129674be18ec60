// Checking a ScenarioSpec before it runs (check_spec) and the NAT chain a NatSpec
// stands for: every mistake is named with its place, nothing runs half-checked.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "emulation/crowd.h"
#include "emulation/matrix_scenario.h"
#include "emulation/spec_common.h"
#include "emulation/spec_scenario.h"
#include "server/core/punch_techniques.h"

namespace yt::emulation {
namespace {

using spec_detail::from_s;
using spec_detail::kBuiltInRelay;
using spec_detail::kBusiestRelay;
using spec_detail::kMostForwardedRelay;
using spec_detail::slow_lan;

constexpr int kMaxSites = 200;
constexpr int kMaxHostsPerSite = 50;
constexpr int kMaxRelays = 16;
constexpr double kMaxDurationS = 7200;
constexpr int kMaxCrowd = 30000;
constexpr int kMaxNetworkSize = 256;  // the server's cap on a network's members

std::optional<MappingBehavior> mapping_of(const std::string& s) {
  if (s == "endpoint-independent") return MappingBehavior::kEndpointIndependent;
  if (s == "address-dependent") return MappingBehavior::kAddressDependent;
  if (s == "address-and-port-dependent") return MappingBehavior::kAddressPortDependent;
  return std::nullopt;
}
std::optional<FilteringBehavior> filtering_of(const std::string& s) {
  if (s == "endpoint-independent") return FilteringBehavior::kEndpointIndependent;
  if (s == "address-dependent") return FilteringBehavior::kAddressDependent;
  if (s == "address-and-port-dependent") return FilteringBehavior::kAddressPortDependent;
  return std::nullopt;
}
std::optional<PortAllocation> allocation_of(const std::string& s) {
  if (s == "preserve") return PortAllocation::kPreserve;
  if (s == "sequential") return PortAllocation::kSequential;
  if (s == "random") return PortAllocation::kRandom;
  return std::nullopt;
}

bool has_overrides(const NatSpec& n) {
  return n.mapping || n.filtering || n.allocation || n.mapping_timeout_s || n.hairpinning;
}

const std::set<std::string>& actions() {
  static const std::set<std::string> known = {"start",      "join",      "leave",      "offline",
                                              "online",     "send",      "server-down", "link-down",
                                              "nat-reboot", "relay-down", "block-peer-udp", "traffic",
                                              "pause-traffic", "roam", "churn"};
  return known;
}

// What EventSpec::after and ScenarioSpec::end_when may name.
const std::set<std::string>& conditions() {
  static const std::set<std::string> known = {"all-online", "all-relayed", "all-carrying"};
  return known;
}

bool finite_in(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

std::optional<std::string> check_crowd(const CrowdSpec& c, double duration_s) {
  if (c.clients < 2 || c.clients > kMaxCrowd) return "crowd: give 2 to " + std::to_string(kMaxCrowd) + " clients";
  if (c.network_size < 2 || c.network_size > kMaxNetworkSize) {
    return "crowd: the network size must be 2 to " + std::to_string(kMaxNetworkSize) + " (the server's cap)";
  }
  if (c.nat_mix.empty()) return "crowd: name at least one NAT profile";
  const std::vector<std::string> known = matrix_profile_names();
  double total = 0;
  for (const auto& [nat, weight] : c.nat_mix) {
    if (std::find(known.begin(), known.end(), nat) == known.end()) return "crowd: unknown NAT profile '" + nat + "'";
    if (!finite_in(weight, 0, 1e9)) return "crowd: the weight of " + nat + " must be 0 or more";
    // Its inner NATs take addresses from a range of 254.
    if (nat == "home-behind-cgnat" && weight > 0 && c.clients > 254) {
      return "crowd: home-behind-cgnat (a chain of two NATs) fits runs of up to 254 clients";
    }
    total += weight;
  }
  if (!(total > 0)) return "crowd: the NAT mix's weights must not all be 0";
  if (!finite_in(c.delay_min_ms, 0, 5000) || !finite_in(c.delay_max_ms, c.delay_min_ms, 5000)) {
    return "crowd: the access delays must satisfy 0 <= min <= max <= 5000 ms";
  }
  if (!finite_in(c.join_window_s, 0, duration_s)) return "crowd: the join window must be between 0 and the duration";
  if (!finite_in(c.traffic_interval_s, 0, 3600) || (c.traffic_interval_s > 0 && c.traffic_interval_s < 0.1)) {
    return "crowd: the traffic interval must be 0 or 0.1..3600 s";
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<nat::NatConfig>, std::string> nat_chain(const NatSpec& n) {
  std::vector<nat::NatConfig> chain;
  if (n.profile.empty()) {
    if (!has_overrides(n)) return Err{std::string("a NAT needs a profile or RFC 4787 parameters")};
    chain.push_back(nat::NatConfig{});
  } else {
    const auto names = matrix_profile_names();
    if (std::find(names.begin(), names.end(), n.profile) == names.end()) {
      return Err{"unknown NAT profile '" + n.profile + "'"};
    }
    chain = matrix_profile_chain(n.profile);
  }
  if (!has_overrides(n)) return chain;
  // A chain's idle timeout is every device's; its other parameters are per device.
  const bool timeout_only = !n.mapping && !n.filtering && !n.allocation && !n.hairpinning;
  if (chain.size() != 1 && timeout_only && finite_in(*n.mapping_timeout_s, 1, 86400)) {
    for (nat::NatConfig& c : chain) {
      c.udp_mapping_lifetime = from_s(*n.mapping_timeout_s);
      c.udp_unreplied_lifetime = from_s(*n.mapping_timeout_s);
    }
    return chain;
  }
  if (chain.size() != 1) {
    return Err{"profile '" + n.profile + "' is a chain of NATs; give its NATs one by one to override parameters"};
  }
  nat::NatConfig& c = chain.front();
  if (n.mapping) {
    auto m = mapping_of(*n.mapping);
    if (!m) return Err{"unknown mapping '" + *n.mapping + "' (endpoint-independent, address-dependent, address-and-port-dependent)"};
    c.mapping = *m;
  }
  if (n.filtering) {
    auto f = filtering_of(*n.filtering);
    if (!f) return Err{"unknown filtering '" + *n.filtering + "' (endpoint-independent, address-dependent, address-and-port-dependent)"};
    c.filtering = *f;
  }
  if (n.allocation) {
    auto a = allocation_of(*n.allocation);
    if (!a) return Err{"unknown port allocation '" + *n.allocation + "' (preserve, sequential, random)"};
    c.allocation = *a;
  }
  if (n.mapping_timeout_s) {
    if (!finite_in(*n.mapping_timeout_s, 1, 86400)) return Err{std::string("mapping_timeout_s must be 1..86400")};
    c.udp_mapping_lifetime = from_s(*n.mapping_timeout_s);
    c.udp_unreplied_lifetime = from_s(*n.mapping_timeout_s);
  }
  if (n.hairpinning) c.hairpinning = *n.hairpinning;
  return chain;
}

std::optional<std::string> check_spec(const ScenarioSpec& s) {
  if (!finite_in(s.duration_s, 1, kMaxDurationS)) return "duration_s must be 1..7200";
  if (!finite_in(s.start_s, 0, s.duration_s)) return "start_s must be within the run";
  if (!finite_in(s.server_delay_ms, 0, 10000)) return "server_delay_ms must be 0..10000";
  if (!finite_in(s.server_loss, 0, 1)) return "server_loss must be 0..1";
  const auto strategies = strategy_names();
  if (std::find(strategies.begin(), strategies.end(), s.strategy) == strategies.end()) {
    return "unknown strategy '" + s.strategy + "' (naive, current)";
  }
  if (auto parsed = parse_techniques(s.disable); !parsed) return parsed.error();
  if (s.punch_follower_delay_ms && !finite_in(*s.punch_follower_delay_ms, 0, 10000)) {
    return "punch_follower_delay_ms must be 0..10000";
  }
  if (s.time_limit_s && !finite_in(*s.time_limit_s, 0.1, kMaxDurationS)) return "time_limit_s must be 0.1..7200";
  if (s.relays.size() > static_cast<std::size_t>(kMaxRelays)) return "at most 16 relays";
  if (s.sites.empty() && !s.crowd) return "a scenario needs at least one site or a crowd";
  if (s.topology != "flat" && s.topology != "regions") return "unknown topology '" + s.topology + "' (flat, regions)";
  if (s.clients_per_control_node < 0 || s.clients_per_control_node > kMaxCrowd) {
    return "clients_per_control_node must be 0..30000";
  }
  if (!finite_in(s.drain_s, 0, 60)) return "drain_s must be 0..60";
  if (s.crowd) {
    if (auto error = check_crowd(*s.crowd, s.duration_s)) return error;
  }
  if (s.sites.size() > static_cast<std::size_t>(kMaxSites)) return "at most 200 sites";
  // Sites, clients and relays are named in separate spaces (a public host's site
  // usually has its name).
  std::set<std::string> site_names, clients, relays;
  for (const RelaySpec& r : s.relays) {
    if (r.name.empty() || relays.count(r.name)) return "relay name '" + r.name + "' is empty or used twice";
    if (r.name == kBuiltInRelay || r.name.front() == '@') {
      return "relay name '" + r.name + "' is reserved (the server's relay, or a selector)";
    }
    if (!finite_in(r.delay_ms, 0, 10000)) return "relay " + r.name + ": delay_ms must be 0..10000";
    relays.insert(r.name);
  }
  for (const SiteSpec& site : s.sites) {
    if (site.name.empty() || !site_names.insert(site.name).second) {
      return "site name '" + site.name + "' is empty or used twice";
    }
    // A NAT site may have no hosts: a network to roam to.
    if (site.hosts.size() > static_cast<std::size_t>(kMaxHostsPerSite)) return "site " + site.name + ": at most 50 hosts";
    if (site.nats.empty() && site.hosts.size() != 1) return "public site " + site.name + " has one host only";
    if (!finite_in(site.delay_ms, 0, 10000)) return "site " + site.name + ": delay_ms must be 0..10000";
    if (!finite_in(site.loss, 0, 1)) return "site " + site.name + ": loss must be 0..1";
    if (!finite_in(site.lan_delay_ms, 0, 10000)) return "site " + site.name + ": lan_delay_ms must be 0..10000";
    if (!finite_in(site.background_flows_per_s, 0, 1000)) {
      return "site " + site.name + ": background_flows_per_s must be 0..1000";
    }
    if (site.background_flows_per_s > 0 && (site.nats.empty() || slow_lan(site))) {
      return "site " + site.name + ": background flows need a NAT site with a fast LAN (another host on it)";
    }
    if (!finite_in(site.jitter_ms, 0, 1000)) return "site " + site.name + ": jitter_ms must be 0..1000";
    if (site.jitter_ms > 0 && site.nats.empty()) return "site " + site.name + ": jitter needs a NAT site";
    if (slow_lan(site) && site.hosts.size() != 1) {
      return "site " + site.name + ": a LAN slower than 5 ms is a point-to-point hop, for one host only";
    }
    for (const NatSpec& nat : site.nats) {
      auto chain = nat_chain(nat);
      if (!chain) return "site " + site.name + ": " + chain.error();
    }
    for (const std::string& host : site.hosts) {
      if (host.empty() || !clients.insert(host).second) return "client name '" + host + "' is empty or used twice";
    }
  }
  if (s.crowd) {
    // The crowd's clients and networks may be named by events; listed names must not clash with them.
    for (int i = 0; i < s.crowd->clients; ++i) {
      if (!clients.insert(crowd_client_name(static_cast<std::size_t>(i))).second) {
        return "client name '" + crowd_client_name(static_cast<std::size_t>(i)) + "' is the crowd's";
      }
      if (site_names.count(crowd_site_name(static_cast<std::size_t>(i)))) {
        return "site name '" + crowd_site_name(static_cast<std::size_t>(i)) + "' is the crowd's";
      }
    }
  }
  std::map<std::string, std::vector<std::string>> networks = s.networks;
  if (s.crowd) {
    const auto size = static_cast<std::size_t>(s.crowd->network_size);
    for (std::size_t g = 0; g * size < static_cast<std::size_t>(s.crowd->clients); ++g) {
      const std::string name = "pop-" + std::to_string(g);
      if (networks.count(name)) return "network name '" + name + "' is the crowd's";
      networks[name] = {crowd_client_name(g * size)};
    }
  }
  for (const auto& [network, members] : s.networks) {
    if (network.empty() || network.size() > 64) return "network names are 1..64 bytes";
    if (members.empty()) return "network " + network + " needs at least one member from the start";
    for (const std::string& m : members) {
      if (!clients.count(m)) return "network " + network + ": no client '" + m + "'";
    }
  }
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    const EventSpec& e = s.events[i];
    const std::string where = "event " + std::to_string(i + 1) + " (" + e.action + ")";
    if (!actions().count(e.action)) return where + ": unknown action";
    if (!finite_in(e.at_s, 0, s.duration_s)) return where + ": at_s must be within the run";
    if (!e.after.empty()) {
      if (!conditions().count(e.after)) {
        return where + ": unknown condition '" + e.after + "' (all-online, all-relayed, all-carrying)";
      }
      if (e.action == "start") return where + ": a start happens at a time, not after a condition";
      if (e.by_s && !finite_in(*e.by_s, 0, s.duration_s)) return where + ": by_s must be within the run";
    } else if (e.by_s) {
      return where + ": by_s is for an event with a condition (after)";
    }
    const bool needs_client = e.action == "start" || e.action == "join" || e.action == "leave" ||
                              e.action == "offline" || e.action == "online" || e.action == "send" ||
                              e.action == "block-peer-udp" || e.action == "roam";
    if (needs_client && !clients.count(e.client)) return where + ": no client '" + e.client + "'";
    if ((e.action == "join" || e.action == "leave" || e.action == "offline" || e.action == "online") &&
        !networks.count(e.network)) {
      return where + ": no network '" + e.network + "' (declare it under networks)";
    }
    if (e.action == "send") {
      if (!clients.count(e.to) || e.to == e.client) return where + ": no other client '" + e.to + "' to send to";
      if (!finite_in(e.interval_ms, 1, 60000)) return where + ": interval_ms must be 1..60000";
      if (!finite_in(e.duration_s, 0.001, s.duration_s)) return where + ": duration_s must be within the run";
    }
    if ((e.action == "server-down" || e.action == "link-down") && !finite_in(e.duration_s, 0.001, s.duration_s)) {
      return where + ": duration_s must be within the run";
    }
    if (e.action == "link-down" || e.action == "nat-reboot") {
      auto site = std::find_if(s.sites.begin(), s.sites.end(), [&](const SiteSpec& x) { return x.name == e.site; });
      if (site == s.sites.end()) return where + ": no site '" + e.site + "'";
      if (e.action == "nat-reboot" && site->nats.empty()) return where + ": site " + e.site + " has no NAT";
      if (!finite_in(e.loss, 0, 1)) return where + ": loss must be 0..1";
    }
    if (e.action == "relay-down" && !relays.count(e.relay) && e.relay != kBusiestRelay &&
        e.relay != kMostForwardedRelay) {
      return where + ": no relay '" + e.relay + "'";
    }
    if (e.action == "traffic" || e.action == "pause-traffic") {
      if (!networks.count(e.network)) return where + ": no network '" + e.network + "' (declare it under networks)";
      const bool has_traffic = std::any_of(s.events.begin(), s.events.end(), [&](const EventSpec& x) {
        return x.action == "traffic" && x.network == e.network && &x != &e;
      });
      if (e.action == "traffic" && has_traffic) return where + ": network " + e.network + " has traffic already";
      if (e.action == "pause-traffic" && !has_traffic) return where + ": network " + e.network + " has no traffic";
      if (e.action == "traffic" && !finite_in(e.interval_ms, 1, 60000)) return where + ": interval_ms must be 1..60000";
      const double least = e.action == "traffic" ? 0 : 0.001;
      if (!finite_in(e.duration_s, least, s.duration_s)) return where + ": duration_s must be within the run";
    }
    if (e.action == "churn") {
      if (!finite_in(e.rate_per_minute, 0, 1)) return where + ": rate_per_minute must be 0..1";
      if (!finite_in(e.duration_s, 0, 3600)) return where + ": duration_s (the absence) must be 0..3600";
    }
    if (e.action == "roam") {
      auto site = std::find_if(s.sites.begin(), s.sites.end(), [&](const SiteSpec& x) { return x.name == e.site; });
      if (site == s.sites.end() || site->nats.empty()) return where + ": no NAT site '" + e.site + "' to roam to";
    }
  }
  if (!s.end_when.empty() && !conditions().count(s.end_when)) {
    return "unknown end_when '" + s.end_when + "' (all-online, all-relayed, all-carrying)";
  }
  if (s.end_after_s && !finite_in(*s.end_after_s, 0, kMaxDurationS)) return "end_after_s must be 0..7200";
  if (!finite_in(s.check_interval_s, 0.01, 10)) return "check_interval_s must be 0.01..10";
  return std::nullopt;
}

}  // namespace yt::emulation
