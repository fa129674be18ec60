#include "emulation/outage_scenario.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "emulation/matrix_scenario.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "outage";
constexpr char kRoamSite[] = "roam";
constexpr int kMaxClients = 32;
constexpr int kMaxRelays = 4;
constexpr double kCarryWindowS = 1.0;  // "carrying": an arrival each way within this
constexpr double kDrainS = 2.0;        // after the last datagram, for it to arrive
constexpr double kWatchS = 0.1;

enum class Fault { kServerDown, kNatReboot, kLinkOutage, kLossBurst, kMappingExpiry, kRelayDown, kRoam };

std::optional<Fault> fault_of(const std::string& name) {
  const std::vector<std::string> names = outage_fault_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<Fault>(i);
  }
  return std::nullopt;
}

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

bool has_length(Fault f) {
  return f == Fault::kServerDown || f == Fault::kLinkOutage || f == Fault::kLossBurst || f == Fault::kMappingExpiry;
}

bool within(Duration d, Duration lo, Duration hi) { return d >= lo && d <= hi; }

std::string client_name(int i) { return "client-" + std::to_string(i + 1); }

// mapping-expiry: how long the traffic pauses, so that only keepalives run.
double idle_s(const OutageOptions& o) { return std::max(seconds(o.duration), 2 * seconds(o.nat_timeout)); }

// Long enough for the latest fault (at the warm-up limit), its length, the
// observation and the drain.
double run_length_s(const OutageOptions& o) {
  return seconds(o.warmup_limit) + std::max(seconds(o.duration), idle_s(o)) + seconds(o.observe) + 5;
}

// One direction's share of a pair's figures.
struct FlowFigures {
  std::uint64_t offered = 0, lost = 0, lost_in_cut = 0;
  std::optional<double> last_lost;      // offered time of the last datagram lost outside the cut
  std::optional<double> first_after;    // offered time of the first delivered one after that
  double longest_gap = 0;
};

FlowFigures figures_of(const SpecTraffic& f, double from, double until, double gap_from, double cut_from,
                       double cut_until) {
  FlowFigures out;
  std::vector<double> arrivals;
  for (std::size_t k = 0; k < f.offered_at.size(); ++k) {
    const double at = f.offered_at[k];
    const double arrived = f.arrived_at[k];
    if (arrived >= gap_from && arrived <= until + kDrainS) arrivals.push_back(arrived);
    if (at < from || at >= until) continue;
    ++out.offered;
    if (arrived >= 0) continue;
    ++out.lost;
    if (at >= cut_from && at < cut_until) {
      ++out.lost_in_cut;
    } else {
      out.last_lost = at;
    }
  }
  if (out.last_lost) {
    for (std::size_t k = 0; k < f.offered_at.size(); ++k) {
      if (f.offered_at[k] > *out.last_lost && f.offered_at[k] < until && f.arrived_at[k] >= 0) {
        out.first_after = f.offered_at[k];
        break;
      }
    }
  }
  std::sort(arrivals.begin(), arrivals.end());
  double previous = gap_from;
  for (double a : arrivals) {
    out.longest_gap = std::max(out.longest_gap, a - previous);
    previous = a;
  }
  out.longest_gap = std::max(out.longest_gap, until - previous);
  return out;
}

}  // namespace

std::vector<std::string> outage_fault_names() {
  return {"server-down", "nat-reboot", "link-outage", "loss-burst", "mapping-expiry", "relay-down", "roam"};
}

std::optional<std::string> check_outage_options(const OutageOptions& o) {
  const std::optional<Fault> fault = fault_of(o.fault);
  if (!fault) {
    std::string list;
    for (const std::string& name : outage_fault_names()) list += " " + name;
    return "unknown fault '" + o.fault + "'; known:" + list;
  }
  if (o.nats.empty()) return "name at least one NAT profile";
  std::vector<std::string> known = matrix_profile_names();
  for (const std::string& nat : o.nats) {
    if (std::find(known.begin(), known.end(), nat) == known.end()) return "unknown NAT profile '" + nat + "'";
  }
  if (std::find(known.begin(), known.end(), o.roam_nat) == known.end()) {
    return "unknown NAT profile '" + o.roam_nat + "' to roam to";
  }
  if (o.clients < 2 || o.clients > kMaxClients) return "give 2 to " + std::to_string(kMaxClients) + " clients";
  if (o.relays < 0 || o.relays > kMaxRelays) return "give 0 to " + std::to_string(kMaxRelays) + " relays";
  if (*fault == Fault::kRelayDown && o.relays < 1) return "relay-down needs at least one separate relay (--relays)";
  if (o.side < 1 || o.side > o.clients) return "the side must name a client, 1 to " + std::to_string(o.clients);
  if (!within(o.access_delay, Duration(0), 10s)) return "the access delay must be between 0 and 10 s";
  if (!within(o.interval, 10ms, 10s)) return "the traffic interval must be between 10 ms and 10 s";
  if (!within(o.duration, Duration(0), 1h)) return "the duration must be between 0 and 1 h";
  if (has_length(*fault) && *fault != Fault::kMappingExpiry && o.duration <= Duration(0)) {
    return o.fault + " needs a duration above 0";
  }
  if (!(o.burst_loss >= 0 && o.burst_loss <= 1)) return "the burst loss must be between 0 and 1";
  if (!within(o.nat_timeout, 1s, 1h)) return "the NAT timeout must be between 1 s and 1 h";
  if (!within(o.warmup_limit, 1s, 1h)) return "the warm-up limit must be between 1 s and 1 h";
  if (!within(o.settle, Duration(0), 1h)) return "the settle time must be between 0 and 1 h";
  if (!within(o.observe, 1s, 1h)) return "the observation time must be between 1 s and 1 h";
  if (run_length_s(o) > 7200) return "warm-up limit, fault and observation together must fit in 2 h";
  return std::nullopt;
}

ScenarioSpec outage_scenario(const OutageOptions& options) {
  const Fault fault = *fault_of(options.fault);
  const double access_ms = seconds(options.access_delay) * 1000;
  ScenarioSpec spec;
  spec.seed = options.seed;
  spec.server_delay_ms = access_ms;
  for (int i = 0; i < options.relays; ++i) spec.relays.push_back({"relay-" + std::to_string(i + 1), access_ms});
  std::vector<std::string> clients;
  for (int i = 0; i < options.clients; ++i) {
    clients.push_back(client_name(i));
    NatSpec nat = named_nat(options.nats[static_cast<std::size_t>(i) % options.nats.size()]);
    if (fault == Fault::kMappingExpiry) nat.mapping_timeout_s = seconds(options.nat_timeout);
    spec.sites.push_back(site_of_one(clients.back(), {nat}, access_ms));
    spec.events.push_back(client_event(2.0 + 0.1 * i, "start", clients.back()));
  }
  if (fault == Fault::kRoam) {
    // Where the roaming client goes: a network of its own, empty until then.
    SiteSpec roam;
    roam.name = kRoamSite;
    roam.nats = {named_nat(options.roam_nat)};
    roam.delay_ms = access_ms;
    spec.sites.push_back(roam);
  }
  spec.networks[kNetwork] = clients;
  // Traffic on every tunnel once every client is online.
  EventSpec traffic;
  traffic.action = "traffic";
  traffic.network = kNetwork;
  traffic.interval_ms = seconds(options.interval) * 1000;
  traffic.after = "all-online";
  spec.events.push_back(traffic);

  // The fault: `settle` after every tunnel carries traffic, or at the warm-up limit.
  EventSpec e;
  e.after = "all-carrying";
  e.at_s = seconds(options.settle);
  e.by_s = seconds(options.warmup_limit);
  const std::string side = client_name(options.side - 1);
  switch (fault) {
    case Fault::kServerDown:
      e.action = "server-down";
      e.duration_s = seconds(options.duration);
      break;
    case Fault::kNatReboot:
      e.action = "nat-reboot";
      e.site = side;
      e.new_ip = options.new_ip;
      break;
    case Fault::kLinkOutage:
    case Fault::kLossBurst:
      e.action = "link-down";
      e.site = side;
      e.duration_s = seconds(options.duration);
      e.loss = fault == Fault::kLinkOutage ? 1.0 : options.burst_loss;
      break;
    case Fault::kMappingExpiry:
      e.action = "pause-traffic";
      e.network = kNetwork;
      e.duration_s = idle_s(options);
      break;
    case Fault::kRelayDown:
      e.action = "relay-down";
      e.relay = "@most-forwarded";
      break;
    case Fault::kRoam:
      e.action = "roam";
      e.client = side;
      e.site = kRoamSite;
      e.silent = !options.roam_notice;
      break;
  }
  spec.events.push_back(e);
  spec.path_probes = false;  // the traffic is the evidence; probes would be traffic of their own
  spec.check_interval_s = kWatchS;
  spec.end_after_s = seconds(options.observe);
  spec.duration_s = run_length_s(options);
  return spec;
}

OutageResult outage_result(const OutageOptions& options, const SpecResult& run) {
  const Fault fault = *fault_of(options.fault);
  OutageResult result;
  result.options = options;
  result.simulator_events = run.simulator_events;
  result.log = run.log;
  const std::size_t n = static_cast<std::size_t>(options.clients);
  const std::size_t fault_event = run.spec.events.size() - 1;
  const double from = run.event_times_s.at(fault_event);
  if (from < 0) return result;  // never struck: the run was cut short
  const EventSpec& struck = run.spec.events[fault_event];
  const double fault_end =
      from + (struck.action == "server-down" || struck.action == "link-down" || struck.action == "pause-traffic"
                  ? struck.duration_s
                  : 0);
  const double end_at = fault_end + seconds(options.observe);
  const std::size_t side = static_cast<std::size_t>(options.side - 1);

  // Since when a client's next sync counts as its resync: the server's return
  // (every client), or the move (the roaming one).
  std::optional<double> resync_from;
  if (fault == Fault::kServerDown && run.event_ends_s.at(fault_event) >= 0) resync_from = run.event_ends_s[fault_event];
  if (fault == Fault::kRoam) resync_from = from;
  for (std::size_t i = 0; i < n; ++i) {
    const SpecClient& c = run.clients.at(i);
    OutageClient client{c.name, options.nats[i % options.nats.size()], -1};
    if (resync_from && (fault != Fault::kRoam || i == side)) {
      for (double at : c.syncs_at_s) {
        if (at >= *resync_from) {
          client.resync_s = at - *resync_from;
          break;
        }
      }
    }
    client.lifetime_lower_s = c.lifetime_lower_s;
    client.lifetime_upper_s = c.lifetime_upper_s;
    client.keepalive_s = c.keepalive_s;
    client.sent_while_idle = c.sent_while_paused;
    result.clients.push_back(client);
  }

  // Directions by (from, to) index, as the traffic listed them.
  auto direction = [&](std::size_t a, std::size_t b) -> const SpecTraffic& {
    return run.traffic.at(a * (n - 1) + (b < a ? b : b - 1));
  };
  // The last arrival at or before `t`, and whether it came through a relay.
  auto last_arrival = [](const SpecTraffic& f, double t) {
    std::pair<double, bool> last{-1, false};
    for (std::size_t k = 0; k < f.arrived_at.size(); ++k) {
      if (f.arrived_at[k] >= 0 && f.arrived_at[k] <= t && f.arrived_at[k] >= last.first) last = {f.arrived_at[k], f.relayed[k]};
    }
    return last;
  };
  auto path_at = [&](std::size_t a, std::size_t b, double t, double window) -> std::string {
    const auto ab = last_arrival(direction(a, b), t);
    const auto ba = last_arrival(direction(b, a), t);
    if (!(ab.first > t - window && ba.first > t - window)) return "";
    return ab.second || ba.second ? "relayed" : "direct";
  };

  const double gap_from = fault == Fault::kMappingExpiry ? fault_end : from;
  const bool cut_kind = fault == Fault::kLinkOutage || fault == Fault::kLossBurst;
  result.fault_at_s = from;
  result.fault_end_s = fault_end;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a + 1; b < n; ++b) {
      OutagePair p;
      p.a = result.clients[a].name;
      p.b = result.clients[b].name;
      p.path = path_at(a, b, from, kCarryWindowS);
      p.established = !p.path.empty();
      const bool cut = cut_kind && (a == side || b == side);
      const double cut_from = cut ? from : 0, cut_until = cut ? fault_end : 0;
      const FlowFigures ab = figures_of(direction(a, b), from, end_at, gap_from, cut_from, cut_until);
      const FlowFigures ba = figures_of(direction(b, a), from, end_at, gap_from, cut_from, cut_until);
      p.offered = ab.offered + ba.offered;
      p.lost = ab.lost + ba.lost;
      p.lost_in_cut = ab.lost_in_cut + ba.lost_in_cut;
      p.survived = p.established && p.lost == p.lost_in_cut;
      p.longest_gap_s = std::max(ab.longest_gap, ba.longest_gap);
      p.recovered_s = 0;
      for (const FlowFigures* f : {&ab, &ba}) {
        if (!f->last_lost) continue;
        if (!f->first_after) {
          p.recovered_s = -1;
          break;
        }
        p.recovered_s = std::max(p.recovered_s, *f->first_after - fault_end);
      }
      p.path_after = path_at(a, b, end_at + kDrainS, kCarryWindowS + kDrainS);
      result.pairs.push_back(p);
      if (!p.established) continue;
      ++result.established;
      result.survived += p.survived ? 1 : 0;
      result.lost += p.lost;
      result.longest_gap_s = std::max(result.longest_gap_s, p.longest_gap_s);
      if (result.worst_recovery_s >= 0) {
        result.worst_recovery_s = p.recovered_s < 0 ? -1 : std::max(result.worst_recovery_s, p.recovered_s);
      }
    }
  }
  result.survival = result.established ? static_cast<double>(result.survived) / result.established : 0;

  const auto buckets = static_cast<std::size_t>(std::ceil(end_at));
  result.timeline.resize(buckets);
  for (std::size_t s = 0; s < buckets; ++s) result.timeline[s].t = static_cast<double>(s);
  for (const SpecTraffic& f : run.traffic) {
    for (std::size_t k = 0; k < f.offered_at.size(); ++k) {
      const auto s = static_cast<std::size_t>(f.offered_at[k]);
      if (s >= buckets) continue;
      ++result.timeline[s].offered;
      result.timeline[s].delivered += f.arrived_at[k] >= 0 ? 1 : 0;
    }
  }
  if (fault == Fault::kServerDown) {
    bool all = true;
    double last = 0;
    for (const OutageClient& c : result.clients) {
      all = all && c.resync_s >= 0;
      last = std::max(last, c.resync_s);
    }
    result.all_resynced_s = all ? last : -1;
    // The restarted server's logins per second after its return, as checked.
    std::vector<std::uint64_t> per_s;
    std::uint64_t seen = 0;
    for (const auto& [at, logins] : run.server_logins) {
      if (!resync_from || at < *resync_from) continue;
      const auto second = static_cast<std::size_t>(at - *resync_from);
      if (per_s.size() <= second) per_s.resize(second + 1, 0);
      per_s[second] += logins - seen;
      seen = logins;
    }
    for (std::uint64_t count : per_s) result.peak_logins_per_s = std::max(result.peak_logins_per_s, count);
  }
  return result;
}

Result<OutageResult, std::string> run_outage(const OutageOptions& options) {
  if (auto error = check_outage_options(options)) return Err{*error};
  RunOptions run_options;
  auto ran = run_spec(outage_scenario(options), run_options);
  if (!ran) return Err{ran.error()};
  return outage_result(options, *ran);
}

std::string outage_to_json(const OutageResult& r) {
  const OutageOptions& o = r.options;
  nlohmann::ordered_json root;
  root["options"] = {{"seed", o.seed},
                     {"fault", o.fault},
                     {"nats", o.nats},
                     {"clients", o.clients},
                     {"relays", o.relays},
                     {"access_delay_ms", seconds(o.access_delay) * 1000},
                     {"interval_ms", seconds(o.interval) * 1000},
                     {"duration_s", seconds(o.duration)},
                     {"side", o.side},
                     {"new_ip", o.new_ip},
                     {"roam_nat", o.roam_nat},
                     {"roam_notice", o.roam_notice},
                     {"burst_loss", o.burst_loss},
                     {"nat_timeout_s", seconds(o.nat_timeout)},
                     {"settle_s", seconds(o.settle)},
                     {"observe_s", seconds(o.observe)}};
  root["fault_at_s"] = r.fault_at_s;
  root["fault_end_s"] = r.fault_end_s;
  root["established"] = r.established;
  root["survived"] = r.survived;
  root["survival"] = r.survival;
  root["lost"] = r.lost;
  root["longest_gap_s"] = r.longest_gap_s;
  root["worst_recovery_s"] = r.worst_recovery_s;
  root["all_resynced_s"] = r.all_resynced_s;
  root["peak_logins_per_s"] = r.peak_logins_per_s;
  nlohmann::ordered_json pairs = nlohmann::ordered_json::array();
  for (const OutagePair& p : r.pairs) {
    pairs.push_back({{"a", p.a},
                     {"b", p.b},
                     {"established", p.established},
                     {"path", p.path},
                     {"survived", p.survived},
                     {"offered", p.offered},
                     {"lost", p.lost},
                     {"lost_in_cut", p.lost_in_cut},
                     {"longest_gap_s", p.longest_gap_s},
                     {"recovered_s", p.recovered_s},
                     {"path_after", p.path_after}});
  }
  root["pairs"] = pairs;
  nlohmann::ordered_json clients = nlohmann::ordered_json::array();
  for (const OutageClient& c : r.clients) {
    clients.push_back({{"name", c.name},
                       {"nat", c.nat},
                       {"resync_s", c.resync_s},
                       {"lifetime_lower_s", c.lifetime_lower_s},
                       {"lifetime_upper_s", c.lifetime_upper_s},
                       {"keepalive_s", c.keepalive_s},
                       {"sent_while_idle", c.sent_while_idle}});
  }
  root["clients"] = clients;
  nlohmann::ordered_json timeline = nlohmann::ordered_json::array();
  for (const OutageSample& s : r.timeline) {
    timeline.push_back({{"t", s.t}, {"offered", s.offered}, {"delivered", s.delivered}});
  }
  root["timeline"] = timeline;
  return root.dump(2) + "\n";
}

}  // namespace yt::emulation
