#include "emulation/outage_scenario.h"

#include <ns3/core-module.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "emulation/event_log.h"
#include "emulation/matrix_scenario.h"
#include "emulation/ns3_conversions.h"
#include "emulation/scenario_nodes.h"
#include "emulation/topology.h"
#include "emulation/tunnel_traffic.h"
#include "emulation/yt_relay_app.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "outage";
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

// One direction's share of a pair's figures.
struct FlowFigures {
  std::uint64_t offered = 0, lost = 0, lost_in_cut = 0;
  std::optional<double> last_lost;      // offered time of the last datagram lost outside the cut
  std::optional<double> first_after;    // offered time of the first delivered one after that
  double longest_gap = 0;
};

FlowFigures figures_of(const TunnelTraffic::Flow& f, double from, double until, double gap_from, double cut_from,
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
  return std::nullopt;
}

Result<OutageResult, std::string> run_outage(const OutageOptions& options) {
  if (auto error = check_outage_options(options)) return Err{*error};
  const Fault fault = *fault_of(options.fault);
  OutageResult result;
  result.options = options;
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(options.seed);

  EventLog log;
  Topology topology;
  LinkSpec link;
  link.delay = options.access_delay;
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(link, 2);
  std::vector<ns3::Ptr<ns3::Node>> relay_nodes;
  for (int i = 0; i < options.relays; ++i) relay_nodes.push_back(topology.AddPublicHost(link));
  const std::size_t n = static_cast<std::size_t>(options.clients);
  std::vector<NatSite> sites;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& nat = options.nats[i % options.nats.size()];
    std::vector<nat::NatConfig> chain = matrix_profile_chain(nat);
    if (fault == Fault::kMappingExpiry) {
      for (nat::NatConfig& c : chain) {
        c.udp_mapping_lifetime = options.nat_timeout;
        c.udp_unreplied_lifetime = options.nat_timeout;
      }
    }
    sites.push_back(topology.AddNatSite(chain, 1, link));
    result.clients.push_back({"client-" + std::to_string(i + 1), nat, -1});
  }
  // Where the roaming client goes: a network of its own, empty until then.
  NatSite roam_site;
  if (fault == Fault::kRoam) roam_site = topology.AddNatSite(matrix_profile_chain(options.roam_nat), 0, link);
  int64_t stream = topology.AssignStreams(0);

  ScenarioIdentities ids = draw_identities(stream, relay_nodes.size(), n);
  const Identity& server_identity = ids.server;
  const std::vector<Identity>& relay_ids = ids.relays;
  const std::vector<Identity>& client_ids = ids.clients;

  ServerConfig server_config;
  MemoryStorage storage;  // the server's database: it outlives a crashed server process
  std::vector<PublicKey> member_keys;
  for (const Identity& id : client_ids) member_keys.push_back(id.public_key);
  add_members(storage, server_config, kNetwork, member_keys);
  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  server_config.discovery_endpoints = discovery_endpoints(server_ips);
  server_config.password_strength = PwhashStrength::minimum();
  for (const Identity& id : relay_ids) server_config.relay_keys.push_back(id.public_key);
  ns3::Ptr<YtServerApp> server = install_server(server_node, server_config, server_identity, &storage, &log, stream);

  std::vector<ns3::Ptr<YtRelayApp>> relays;
  for (std::size_t i = 0; i < relay_nodes.size(); ++i) {
    relays.push_back(install_relay(relay_nodes[i], topology.AddressOf(relay_nodes[i]), "relay-" + std::to_string(i + 1),
                                   server_ips.at(0), server_identity.public_key, relay_ids[i], &log, stream));
  }

  std::vector<ns3::Ptr<YtClientApp>> apps(n);
  std::vector<YtClientApp*> app_pointers;
  for (std::size_t i = 0; i < n; ++i) {
    apps[i] = install_client(sites[i].hosts.at(0), result.clients[i].name, server_ips.at(0),
                             server_identity.public_key, client_ids[i], 2.0 + 0.1 * static_cast<double>(i), &log,
                             stream);
    app_pointers.push_back(PeekPointer(apps[i]));
  }
  TunnelTraffic traffic(app_pointers, options.interval);
  std::vector<bool> online(n, false);
  // Since when the next sync of the clients in `resyncing` counts as their resync:
  // the server's return (every client), or the move (the roaming one).
  std::optional<double> resync_from;
  std::vector<bool> resyncing(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    apps[i]->SetEventCallback([&, i](const ClientEvent& event) {
      traffic.OnEvent(i, event);
      if (!std::holds_alternative<Synced>(event)) return;
      online[i] = true;
      const double now = ns3::Simulator::Now().GetSeconds();
      if (resync_from && resyncing[i] && result.clients[i].resync_s < 0) {
        result.clients[i].resync_s = now - *resync_from;
      }
    });
  }

  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a + 1; b < n; ++b) pairs.push_back({a, b});
  }
  const std::size_t side = static_cast<std::size_t>(options.side - 1);

  // Phases, in simulated seconds.
  bool traffic_started = false;
  std::optional<double> ready_since, fault_at;
  double fault_end = 0, end_at = 0;
  ns3::Ptr<YtServerApp> restarted;
  std::vector<std::uint64_t> logins_per_s;
  std::uint64_t logins_seen = 0;

  auto strike = [&](double now) {
    fault_at = now;
    fault_end = now;
    for (const auto& [a, b] : pairs) {
      OutagePair p;
      p.a = result.clients[a].name;
      p.b = result.clients[b].name;
      p.established = traffic.Carrying(a, b, now, kCarryWindowS);
      if (p.established) {
        p.path = traffic.flow(a, b).last_relayed || traffic.flow(b, a).last_relayed ? "relayed" : "direct";
      }
      result.pairs.push_back(p);
    }
    const ns3::Ptr<ns3::Node> side_router = sites[side].routers.back();
    switch (fault) {
      case Fault::kServerDown:
        fault_end = now + seconds(options.duration);
        server->Crash();
        ns3::Simulator::Schedule(to_ns3(options.duration), [&] {
          resync_from = ns3::Simulator::Now().GetSeconds();
          resyncing.assign(n, true);
          restarted = install_server(server_node, server_config, server_identity, &storage, &log, stream);
          log.add("scenario", "a fresh server process starts on the same database");
        });
        break;
      case Fault::kNatReboot:
        if (options.new_ip) {
          topology.ChangePublicIps(sites[side]);
        } else {
          sites[side].Outermost()->GetModel()->flush();
        }
        log.add("scenario", result.clients[side].name + "'s NAT reboots" + (options.new_ip ? " with a new IP" : ""));
        break;
      case Fault::kLinkOutage:
      case Fault::kLossBurst: {
        const double loss = fault == Fault::kLinkOutage ? 1.0 : options.burst_loss;
        fault_end = now + seconds(options.duration);
        topology.SetAccessLoss(side_router, loss, stream);
        log.add("scenario", result.clients[side].name + "'s access link loses " + std::to_string(loss));
        ns3::Simulator::Schedule(to_ns3(options.duration), [&, side_router] {
          topology.SetAccessLoss(side_router, link.loss_rate, stream);
          log.add("scenario", "the access link is back");
        });
        stream += 2;
        break;
      }
      case Fault::kMappingExpiry: {
        const double idle = std::max(seconds(options.duration), 2 * seconds(options.nat_timeout));
        fault_end = now + idle;
        traffic.Pause(now, fault_end);
        for (std::size_t i = 0; i < n; ++i) {
          result.clients[i].sent_while_idle = apps[i]->Core().stats().packets_sent;
          ns3::Simulator::Schedule(ns3::Seconds(idle), [&, i] {
            result.clients[i].sent_while_idle = apps[i]->Core().stats().packets_sent - result.clients[i].sent_while_idle;
          });
        }
        log.add("scenario", "traffic stops for " + std::to_string(idle) + " s");
        break;
      }
      case Fault::kRoam: {
        const Ipv4 moved = topology.MoveHost(sites[side].hosts.at(0), roam_site);
        resync_from = now;
        resyncing[side] = true;
        log.add("scenario", result.clients[side].name + " roams to a " + options.roam_nat + " network as " +
                                moved.to_string() + (options.roam_notice ? "" : ", and its OS says nothing"));
        if (options.roam_notice) apps[side]->NotifyNetworkChanged({moved});
        break;
      }
      case Fault::kRelayDown: {
        ns3::Ptr<YtRelayApp> busiest = relays.front();
        for (const auto& r : relays) {
          if (r->Forwarded() > busiest->Forwarded()) busiest = r;
        }
        busiest->Fail();
        log.add("scenario", "the busiest relay fails");
        break;
      }
    }
    end_at = fault_end + seconds(options.observe);
  };

  const double warmup_limit = seconds(options.warmup_limit);
  std::function<void()> watch = [&] {
    const double now = ns3::Simulator::Now().GetSeconds();
    if (!traffic_started && std::all_of(online.begin(), online.end(), [](bool b) { return b; })) {
      traffic.Start();
      traffic_started = true;
    }
    if (!fault_at) {
      const bool ready = traffic_started && std::all_of(pairs.begin(), pairs.end(), [&](const auto& p) {
                           return traffic.Carrying(p.first, p.second, now, kCarryWindowS);
                         });
      if (ready && !ready_since) ready_since = now;
      if ((ready_since && now - *ready_since >= seconds(options.settle)) || now >= warmup_limit) strike(now);
    }
    if (restarted && restarted->Core()) {
      const std::uint64_t logins = restarted->Core()->stats().logins;
      const auto second = static_cast<std::size_t>(now - *resync_from);
      if (logins_per_s.size() <= second) logins_per_s.resize(second + 1, 0);
      logins_per_s[second] += logins - logins_seen;
      logins_seen = logins;
    }
    if (fault_at && now >= end_at) {
      traffic.Stop();
      ns3::Simulator::Stop(ns3::Seconds(kDrainS));
      return;
    }
    ns3::Simulator::Schedule(ns3::Seconds(kWatchS), watch);
  };
  ns3::Simulator::Schedule(ns3::Seconds(kWatchS), watch);
  ns3::Simulator::Run();
  result.simulator_events = ns3::Simulator::GetEventCount();
  for (std::size_t i = 0; i < n; ++i) {
    const ClientCore::MappingLifetimeStatus lifetime = apps[i]->Core().mapping_lifetime();
    result.clients[i].lifetime_lower_s = lifetime.lower ? seconds(*lifetime.lower) : -1;
    result.clients[i].lifetime_upper_s = lifetime.upper ? seconds(*lifetime.upper) : -1;
    result.clients[i].keepalive_s = seconds(lifetime.keepalive);
  }

  // Figures, from what crossed the network.
  const double from = *fault_at;
  const double gap_from = fault == Fault::kMappingExpiry ? fault_end : from;
  const bool cut_kind = fault == Fault::kLinkOutage || fault == Fault::kLossBurst;
  result.fault_at_s = from;
  result.fault_end_s = fault_end;
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const auto [a, b] = pairs[k];
    OutagePair& p = result.pairs[k];
    const bool cut = cut_kind && (a == side || b == side);
    const double cut_from = cut ? from : 0, cut_until = cut ? fault_end : 0;
    const FlowFigures ab = figures_of(traffic.flow(a, b), from, end_at, gap_from, cut_from, cut_until);
    const FlowFigures ba = figures_of(traffic.flow(b, a), from, end_at, gap_from, cut_from, cut_until);
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
    const bool carrying_at_end = traffic.Carrying(a, b, end_at + kDrainS, kCarryWindowS + kDrainS);
    if (carrying_at_end) {
      p.path_after = traffic.flow(a, b).last_relayed || traffic.flow(b, a).last_relayed ? "relayed" : "direct";
    }
    if (!p.established) continue;
    ++result.established;
    result.survived += p.survived ? 1 : 0;
    result.lost += p.lost;
    result.longest_gap_s = std::max(result.longest_gap_s, p.longest_gap_s);
    if (result.worst_recovery_s >= 0) {
      result.worst_recovery_s = p.recovered_s < 0 ? -1 : std::max(result.worst_recovery_s, p.recovered_s);
    }
  }
  result.survival = result.established ? static_cast<double>(result.survived) / result.established : 0;

  const auto buckets = static_cast<std::size_t>(std::ceil(end_at));
  result.timeline.resize(buckets);
  for (std::size_t s = 0; s < buckets; ++s) result.timeline[s].t = static_cast<double>(s);
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = 0; b < n; ++b) {
      if (a == b) continue;
      const TunnelTraffic::Flow& f = traffic.flow(a, b);
      for (std::size_t k = 0; k < f.offered_at.size(); ++k) {
        const auto s = static_cast<std::size_t>(f.offered_at[k]);
        if (s >= buckets) continue;
        ++result.timeline[s].offered;
        result.timeline[s].delivered += f.arrived_at[k] >= 0 ? 1 : 0;
      }
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
    for (std::uint64_t count : logins_per_s) result.peak_logins_per_s = std::max(result.peak_logins_per_s, count);
  }
  ns3::Simulator::Destroy();
  result.log = log.lines();
  return result;
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
