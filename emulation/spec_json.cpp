// The JSON forms of ScenarioSpec and SpecResult (spec_scenario.h). Parsing is
// strict: an unknown field is an error (a typo must not silently run a different
// scenario), and every error names its place, e.g. "sites[1].nats[0].mapping".
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <set>

#include "emulation/spec_scenario.h"

namespace yt::emulation {
namespace {

using nlohmann::json;

struct ParseError {
  std::string message;
};

class Reader {
 public:
  Reader(const json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) throw ParseError{path_ + " must be an object"};
  }
  template <typename T>
  void get(const char* key, T& out) {
    used_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    out = convert<T>(*it, path_ + "." + key);
  }
  template <typename T>
  void get(const char* key, std::optional<T>& out) {
    used_.insert(key);
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return;
    out = convert<T>(*it, path_ + "." + key);
  }
  const json* child(const char* key) {
    used_.insert(key);
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!used_.count(it.key())) throw ParseError{path_ + ": unknown field '" + it.key() + "'"};
    }
  }

  template <typename T>
  static T convert(const json& v, const std::string& path) {
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) throw ParseError{path + " must be true or false"};
      return v.get<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) throw ParseError{path + " must be a string"};
      return v.get<std::string>();
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
      if (!v.is_number_unsigned()) throw ParseError{path + " must be a non-negative integer"};
      return v.get<std::uint64_t>();
    } else if constexpr (std::is_same_v<T, int>) {
      if (!v.is_number_integer() || v.get<std::int64_t>() < std::numeric_limits<int>::min() ||
          v.get<std::int64_t>() > std::numeric_limits<int>::max()) {
        throw ParseError{path + " must be an integer"};
      }
      return v.get<int>();
    } else if constexpr (std::is_same_v<T, double>) {
      if (!v.is_number()) throw ParseError{path + " must be a number"};
      return v.get<double>();
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      if (!v.is_array()) throw ParseError{path + " must be a list of strings"};
      std::vector<std::string> out;
      for (std::size_t i = 0; i < v.size(); ++i) out.push_back(convert<std::string>(v[i], path + "[" + std::to_string(i) + "]"));
      return out;
    }
  }

 private:
  const json& j_;
  std::string path_;
  std::set<std::string> used_;
};

NatSpec parse_nat(const json& j, const std::string& path) {
  NatSpec n;
  if (j.is_string()) {
    n.profile = j.get<std::string>();
    return n;
  }
  Reader r(j, path);
  r.get("profile", n.profile);
  r.get("mapping", n.mapping);
  r.get("filtering", n.filtering);
  r.get("allocation", n.allocation);
  r.get("mapping_timeout_s", n.mapping_timeout_s);
  r.get("hairpinning", n.hairpinning);
  r.finish();
  return n;
}

template <typename T, typename Parse>
std::vector<T> parse_list(const json* j, const std::string& path, Parse parse) {
  std::vector<T> out;
  if (!j) return out;
  if (!j->is_array()) throw ParseError{path + " must be a list"};
  for (std::size_t i = 0; i < j->size(); ++i) out.push_back(parse((*j)[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

CrowdSpec parse_crowd(const json& j) {
  CrowdSpec c;
  Reader r(j, "crowd");
  r.get("clients", c.clients);
  r.get("network_size", c.network_size);
  r.get("delay_min_ms", c.delay_min_ms);
  r.get("delay_max_ms", c.delay_max_ms);
  r.get("join_window_s", c.join_window_s);
  r.get("traffic_interval_s", c.traffic_interval_s);
  c.nat_mix = parse_list<std::pair<std::string, double>>(
      r.child("nat_mix"), "crowd.nat_mix", [](const json& x, const std::string& path) {
        Reader rm(x, path);
        std::pair<std::string, double> entry{"", 0};
        rm.get("nat", entry.first);
        rm.get("weight", entry.second);
        rm.finish();
        return entry;
      });
  r.finish();
  return c;
}

json crowd_json(const CrowdSpec& c) {
  json mix = json::array();
  for (const auto& [nat, weight] : c.nat_mix) mix.push_back({{"nat", nat}, {"weight", weight}});
  return {{"clients", c.clients},           {"nat_mix", mix},
          {"network_size", c.network_size}, {"delay_min_ms", c.delay_min_ms},
          {"delay_max_ms", c.delay_max_ms}, {"join_window_s", c.join_window_s},
          {"traffic_interval_s", c.traffic_interval_s}};
}

ScenarioSpec parse_spec(const json& j) {
  ScenarioSpec s;
  Reader r(j, "scenario");
  r.get("seed", s.seed);
  r.get("duration_s", s.duration_s);
  r.get("start_s", s.start_s);
  r.get("server_delay_ms", s.server_delay_ms);
  r.get("serialize_sequential_plans", s.serialize_sequential_plans);
  r.get("strategy", s.strategy);
  r.get("disable", s.disable);
  r.get("relay_first", s.relay_first);
  r.get("server_loss", s.server_loss);
  r.get("punch_follower_delay_ms", s.punch_follower_delay_ms);
  r.get("time_limit_s", s.time_limit_s);
  r.get("end_when", s.end_when);
  r.get("end_after_s", s.end_after_s);
  r.get("check_interval_s", s.check_interval_s);
  r.get("path_probes", s.path_probes);
  r.get("topology", s.topology);
  r.get("clients_per_control_node", s.clients_per_control_node);
  r.get("drain_s", s.drain_s);
  if (const json* crowd = r.child("crowd")) s.crowd = parse_crowd(*crowd);
  s.relays = parse_list<RelaySpec>(r.child("relays"), "relays", [](const json& x, const std::string& path) {
    RelaySpec relay;
    Reader rr(x, path);
    rr.get("name", relay.name);
    rr.get("delay_ms", relay.delay_ms);
    rr.finish();
    return relay;
  });
  s.sites = parse_list<SiteSpec>(r.child("sites"), "sites", [](const json& x, const std::string& path) {
    SiteSpec site;
    Reader rs(x, path);
    rs.get("name", site.name);
    rs.get("hosts", site.hosts);
    rs.get("delay_ms", site.delay_ms);
    rs.get("loss", site.loss);
    rs.get("lan_delay_ms", site.lan_delay_ms);
    rs.get("background_flows_per_s", site.background_flows_per_s);
    rs.get("jitter_ms", site.jitter_ms);
    site.nats = parse_list<NatSpec>(rs.child("nats"), path + ".nats", parse_nat);
    rs.finish();
    return site;
  });
  if (const json* networks = r.child("networks")) {
    if (!networks->is_object()) throw ParseError{"networks must map names to lists of members"};
    for (auto it = networks->begin(); it != networks->end(); ++it) {
      s.networks[it.key()] = Reader::convert<std::vector<std::string>>(it.value(), "networks." + it.key());
    }
  }
  s.events = parse_list<EventSpec>(r.child("events"), "events", [](const json& x, const std::string& path) {
    EventSpec e;
    Reader re(x, path);
    re.get("at_s", e.at_s);
    re.get("action", e.action);
    re.get("client", e.client);
    re.get("to", e.to);
    re.get("network", e.network);
    re.get("site", e.site);
    re.get("relay", e.relay);
    re.get("duration_s", e.duration_s);
    re.get("interval_ms", e.interval_ms);
    re.get("loss", e.loss);
    re.get("new_ip", e.new_ip);
    re.get("after", e.after);
    re.get("by_s", e.by_s);
    re.get("silent", e.silent);
    re.get("rate_per_minute", e.rate_per_minute);
    re.finish();
    return e;
  });
  r.finish();
  return s;
}

json nat_json(const NatSpec& n) {
  json j = json::object();
  if (!n.profile.empty()) j["profile"] = n.profile;
  if (n.mapping) j["mapping"] = *n.mapping;
  if (n.filtering) j["filtering"] = *n.filtering;
  if (n.allocation) j["allocation"] = *n.allocation;
  if (n.mapping_timeout_s) j["mapping_timeout_s"] = *n.mapping_timeout_s;
  if (n.hairpinning) j["hairpinning"] = *n.hairpinning;
  return j;
}

json spec_json(const ScenarioSpec& s) {
  json j;
  j["seed"] = s.seed;
  j["duration_s"] = s.duration_s;
  j["start_s"] = s.start_s;
  j["server_delay_ms"] = s.server_delay_ms;
  j["serialize_sequential_plans"] = s.serialize_sequential_plans;
  j["strategy"] = s.strategy;
  j["disable"] = s.disable;
  j["relay_first"] = s.relay_first;
  j["server_loss"] = s.server_loss;
  if (s.punch_follower_delay_ms) j["punch_follower_delay_ms"] = *s.punch_follower_delay_ms;
  if (s.time_limit_s) j["time_limit_s"] = *s.time_limit_s;
  if (!s.end_when.empty()) j["end_when"] = s.end_when;
  if (s.end_after_s) j["end_after_s"] = *s.end_after_s;
  // Only when not the default, so older descriptions read back the same.
  if (s.check_interval_s != ScenarioSpec{}.check_interval_s) j["check_interval_s"] = s.check_interval_s;
  if (!s.path_probes) j["path_probes"] = false;
  if (s.topology != ScenarioSpec{}.topology) j["topology"] = s.topology;
  if (s.clients_per_control_node != 0) j["clients_per_control_node"] = s.clients_per_control_node;
  if (s.drain_s != ScenarioSpec{}.drain_s) j["drain_s"] = s.drain_s;
  if (s.crowd) j["crowd"] = crowd_json(*s.crowd);
  j["relays"] = json::array();
  for (const RelaySpec& r : s.relays) j["relays"].push_back({{"name", r.name}, {"delay_ms", r.delay_ms}});
  j["sites"] = json::array();
  for (const SiteSpec& site : s.sites) {
    json nats = json::array();
    for (const NatSpec& n : site.nats) nats.push_back(nat_json(n));
    j["sites"].push_back({{"name", site.name}, {"nats", nats}, {"hosts", site.hosts}, {"delay_ms", site.delay_ms},
                          {"loss", site.loss}, {"lan_delay_ms", site.lan_delay_ms},
                          {"background_flows_per_s", site.background_flows_per_s},
                          {"jitter_ms", site.jitter_ms}});
  }
  j["networks"] = json::object();
  for (const auto& [name, members] : s.networks) j["networks"][name] = members;
  j["events"] = json::array();
  for (const EventSpec& e : s.events) {
    json ev = {{"at_s", e.at_s}, {"action", e.action}};
    if (!e.client.empty()) ev["client"] = e.client;
    if (!e.to.empty()) ev["to"] = e.to;
    if (!e.network.empty()) ev["network"] = e.network;
    if (!e.site.empty()) ev["site"] = e.site;
    if (!e.relay.empty()) ev["relay"] = e.relay;
    if (e.action == "send" || e.action == "traffic") ev["interval_ms"] = e.interval_ms;
    if (e.action == "send" || e.action == "server-down" || e.action == "link-down" || e.action == "traffic" ||
        e.action == "pause-traffic" || e.action == "churn") {
      ev["duration_s"] = e.duration_s;
    }
    if (e.action == "churn") ev["rate_per_minute"] = e.rate_per_minute;
    if (e.action == "roam") ev["silent"] = e.silent;
    if (e.by_s) ev["by_s"] = *e.by_s;
    if (e.action == "link-down") ev["loss"] = e.loss;
    if (e.action == "nat-reboot") ev["new_ip"] = e.new_ip;
    if (!e.after.empty()) ev["after"] = e.after;
    j["events"].push_back(ev);
  }
  return j;
}

json number_or_null(double v) { return v < 0 ? json(nullptr) : json(v); }

json relay_changes_json(const std::vector<std::pair<double, std::string>>& changes) {
  json out = json::array();
  for (const auto& [at, relay] : changes) out.push_back({{"at_s", at}, {"relay", relay}});
  return out;
}

// "-" for a time that never came.
std::string shown(double v, const char* format) {
  if (v < 0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

}  // namespace

Result<ScenarioSpec, std::string> spec_from_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Err{std::string("the scenario is not valid JSON")};
  try {
    return parse_spec(j);
  } catch (const ParseError& e) {
    return Err{e.message};
  }
}

std::string scenario_to_json(const ScenarioSpec& spec) { return spec_json(spec).dump(1); }

std::string spec_result_to_json(const SpecResult& r) {
  json j;
  j["scenario"] = spec_json(r.spec);
  j["pairs"] = json::array();
  for (const SpecPair& p : r.pairs) {
    j["pairs"].push_back({{"a", p.a},
                          {"b", p.b},
                          {"outcome", p.outcome},
                          {"direct_at_s", number_or_null(p.direct_at_s)},
                          {"time_to_direct_ms", number_or_null(p.time_to_direct_ms)},
                          {"relayed_at_s", number_or_null(p.relayed_at_s)},
                          {"time_to_first_path_ms", number_or_null(p.time_to_first_path_ms)},
                          {"direct_at_end", p.direct_at_end},
                          {"failure", p.failure},
                          {"relay", p.relay},
                          {"relay_changes", relay_changes_json(p.relay_changes)},
                          {"relayed_since_s", number_or_null(p.relayed_since_s)},
                          {"reported_up_at_s", number_or_null(p.reported_up_at_s)},
                          {"reported_tunnel", p.reported_tunnel}});
  }
  j["flows"] = json::array();
  for (const SpecFlow& f : r.flows) {
    j["flows"].push_back({{"from", f.from},
                          {"to", f.to},
                          {"start_s", f.start_s},
                          {"sent", f.sent},
                          {"delivered", f.delivered},
                          {"delivered_relayed", f.delivered_relayed},
                          {"lost", f.lost()},
                          {"first_arrival_s", number_or_null(f.first_arrival_s)},
                          {"longest_gap_s", f.longest_gap_s}});
  }
  j["clients"] = json::array();
  for (const SpecClient& c : r.clients) {
    j["clients"].push_back({{"name", c.name},
                            {"site", c.site},
                            {"site_nat", c.site_nat},
                            {"nat", c.nat},
                            {"online_at_s", number_or_null(c.online_at_s)},
                            {"online_at_end", c.online_at_end},
                            {"logins", c.logins},
                            {"failure", c.failure},
                            {"syncs_at_s", c.syncs_at_s},
                            {"lifetime_lower_s", number_or_null(c.lifetime_lower_s)},
                            {"lifetime_upper_s", number_or_null(c.lifetime_upper_s)},
                            {"keepalive_s", c.keepalive_s},
                            {"sent_while_paused", c.sent_while_paused}});
  }
  j["sites"] = json::array();
  for (const SpecSite& s : r.sites) {
    j["sites"].push_back(
        {{"name", s.name}, {"tuple_clashes", s.tuple_clashes}, {"mappings_created", s.mappings_created},
         {"background_flows", s.background_flows}});
  }
  j["relays"] = json::array();
  for (const SpecRelay& relay : r.relays) {
    j["relays"].push_back({{"name", relay.name},
                           {"delay_ms", relay.delay_ms},
                           {"forwarded", relay.forwarded},
                           {"down_at_s", number_or_null(relay.down_at_s)}});
  }
  // Traffic per direction, summed (the datagram-by-datagram record is the C++
  // result's; a run's JSON stays small).
  j["traffic"] = json::array();
  for (const SpecTraffic& t : r.traffic) {
    const auto relayed = std::count(t.relayed.begin(), t.relayed.end(), true);
    j["traffic"].push_back({{"from", t.from},
                            {"to", t.to},
                            {"offered", t.offered_at.size()},
                            {"delivered", t.offered_at.size() - t.lost()},
                            {"delivered_relayed", relayed},
                            {"lost", t.lost()}});
  }
  j["timeline"] = json::array();
  for (const SpecSecond& second : r.timeline) {
    j["timeline"].push_back({{"t", second.t}, {"offered", second.offered}, {"delivered", second.delivered}});
  }
  j["server_logins"] = json::array();
  for (const auto& [at, count] : r.server_logins) j["server_logins"].push_back({{"at_s", at}, {"logins", count}});
  j["event_times_s"] = json::array();
  for (double t : r.event_times_s) j["event_times_s"].push_back(number_or_null(t));
  j["event_ends_s"] = json::array();
  for (double t : r.event_ends_s) j["event_ends_s"].push_back(number_or_null(t));
  j["settled_at_s"] = number_or_null(r.settled_at_s);
  j["log"] = r.log;
  j["server"] = r.server;
  j["ended_at_s"] = r.ended_at_s;
  j["reported_time_to_direct_s"] = r.reported_time_to_direct_s;
  j["peak_present"] = r.peak_present;
  j["peak_logins_per_s"] = r.peak_logins_per_s;
  j["churned"] = r.churned;
  j["crowd_traffic"] = {{"sent", r.crowd_sent}, {"delivered", r.crowd_delivered}};
  j["server_control_nodes"] = r.server_control_nodes;
  j["simulator_events"] = r.simulator_events;
  j["wall_s"] = r.wall_s;
  return j.dump(1);
}

std::string spec_result_table(const SpecResult& r) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-14s %-14s %-8s %10s %10s %10s %7s\n", "a", "b", "outcome", "direct at",
                "to direct", "relayed at", "at end");
  out += line;
  for (const SpecPair& p : r.pairs) {
    std::snprintf(line, sizeof line, "%-14s %-14s %-8s %10s %10s %10s %7s\n", p.a.c_str(), p.b.c_str(),
                  p.outcome.c_str(), shown(p.direct_at_s, "%.2f s").c_str(), shown(p.time_to_direct_ms, "%.0f ms").c_str(),
                  shown(p.relayed_at_s, "%.2f s").c_str(), p.direct_at_end ? "direct" : "-");
    out += line;
  }
  if (!r.flows.empty()) {
    std::snprintf(line, sizeof line, "\n%-14s %-14s %8s %10s %8s %12s\n", "from", "to", "sent", "delivered", "relayed",
                  "longest gap");
    out += line;
    for (const SpecFlow& f : r.flows) {
      std::snprintf(line, sizeof line, "%-14s %-14s %8d %10d %8d %10.2f s\n", f.from.c_str(), f.to.c_str(), f.sent,
                    f.delivered, f.delivered_relayed, f.longest_gap_s);
      out += line;
    }
  }
  if (!r.traffic.empty()) {
    std::snprintf(line, sizeof line, "\n%-14s %-14s %8s %10s %8s %8s  (traffic)\n", "from", "to", "offered",
                  "delivered", "relayed", "lost");
    out += line;
    for (const SpecTraffic& t : r.traffic) {
      const auto relayed = std::count(t.relayed.begin(), t.relayed.end(), true);
      std::snprintf(line, sizeof line, "%-14s %-14s %8zu %10zu %8ld %8llu\n", t.from.c_str(), t.to.c_str(),
                    t.offered_at.size(), t.offered_at.size() - static_cast<std::size_t>(t.lost()),
                    static_cast<long>(relayed), static_cast<unsigned long long>(t.lost()));
      out += line;
    }
  }
  return out;
}

}  // namespace yt::emulation
