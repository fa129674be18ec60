#include "emulation/relay_choice_scenario.h"

#include <ns3/core-module.h>

#include <algorithm>
#include <map>

#include "emulation/event_log.h"
#include "emulation/matrix_scenario.h"
#include "emulation/ns3_conversions.h"
#include "emulation/path_probes.h"
#include "emulation/scenario_nodes.h"
#include "emulation/topology.h"
#include "emulation/yt_relay_app.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "relays";
constexpr std::size_t kMaxRelays = 16;
constexpr std::size_t kMaxClients = 16;

double ms(Duration d) { return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()) / 1000.0; }

}  // namespace

std::optional<std::string> check_relay_choice_options(const RelayChoiceOptions& options) {
  std::vector<std::string> known = matrix_profile_names();
  if (std::find(known.begin(), known.end(), options.client_nat) == known.end()) {
    return "unknown NAT profile '" + options.client_nat + "'";
  }
  if (options.relay_delays.empty() || options.relay_delays.size() > kMaxRelays) {
    return "give 1 to " + std::to_string(kMaxRelays) + " relay delays";
  }
  if (options.client_delays.size() < 2 || options.client_delays.size() > kMaxClients) {
    return "give 2 to " + std::to_string(kMaxClients) + " client delays";
  }
  for (const auto* list : {&options.relay_delays, &options.client_delays}) {
    for (Duration d : *list) {
      if (d < Duration(0) || d > std::chrono::seconds(10)) return "delays must be between 0 and 10 s";
    }
  }
  return std::nullopt;
}

Result<RelayChoiceResult, std::string> run_relay_choice(const RelayChoiceOptions& options) {
  if (auto error = check_relay_choice_options(options)) return Err{*error};
  RelayChoiceResult result;
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(options.seed);

  EventLog log;
  Topology topology;
  LinkSpec server_link;
  server_link.delay = options.server_delay;
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(server_link, 2);
  std::vector<ns3::Ptr<ns3::Node>> relay_nodes;
  for (Duration d : options.relay_delays) {
    LinkSpec link;
    link.delay = d;
    relay_nodes.push_back(topology.AddPublicHost(link));
  }
  std::vector<NatSite> sites;
  for (Duration d : options.client_delays) {
    LinkSpec link;
    link.delay = d;
    sites.push_back(topology.AddNatSite(matrix_profile_chain(options.client_nat), 1, link));
  }
  int64_t stream = topology.AssignStreams(0);

  ScenarioIdentities ids = draw_identities(stream, relay_nodes.size(), sites.size());
  const Identity& server_identity = ids.server;
  const std::vector<Identity>& relay_ids = ids.relays;
  const std::vector<Identity>& client_ids = ids.clients;

  ServerConfig server_config;
  MemoryStorage storage;
  std::vector<PublicKey> member_keys;
  for (const Identity& id : client_ids) member_keys.push_back(id.public_key);
  add_members(storage, server_config, kNetwork, member_keys);
  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  server_config.discovery_endpoints = discovery_endpoints(server_ips);
  server_config.password_strength = PwhashStrength::minimum();
  for (const Identity& id : relay_ids) server_config.relay_keys.push_back(id.public_key);
  ns3::Ptr<YtServerApp> server = install_server(server_node, server_config, server_identity, &storage, &log, stream);

  // Relays by name, the built-in one first; where clients reach each, and its delay.
  struct RelaySpot {
    std::string name;
    Endpoint udp;
    Duration delay;
    ns3::Ptr<YtRelayApp> app;  // null for the built-in relay
    bool alive = true;
  };
  std::vector<RelaySpot> spots;
  spots.push_back({"built-in", server_config.discovery_endpoints.front(), options.server_delay, nullptr});
  for (std::size_t i = 0; i < relay_nodes.size(); ++i) {
    const std::string name = "relay-" + std::to_string(i + 1);
    const Ipv4 ip = topology.AddressOf(relay_nodes[i]);
    auto app = install_relay(relay_nodes[i], ip, name, server_ips.at(0), server_identity.public_key, relay_ids[i],
                             &log, stream);
    spots.push_back({name, Endpoint{ip, kScenarioRelayPort}, options.relay_delays[i], app});
  }
  auto spot_of = [&](Endpoint udp) -> const RelaySpot* {
    for (const RelaySpot& s : spots) {
      if (s.udp == udp) return &s;
    }
    return nullptr;
  };

  // Clients start once the relays have registered (a few round trips at most).
  const std::size_t n = sites.size();
  PathProbes probes;
  std::vector<bool> online(n, false);
  std::vector<ns3::Ptr<YtClientApp>> apps(n);
  std::vector<std::string> names;
  std::map<std::pair<std::size_t, std::size_t>, Endpoint> relay_used;  // (client, peer) -> relay endpoint
  std::map<PublicKey, std::size_t> index_of;
  for (std::size_t i = 0; i < n; ++i) {
    names.push_back("client-" + std::to_string(i + 1));
    index_of[client_ids[i].public_key] = i;
  }
  for (std::size_t i = 0; i < n; ++i) {
    apps[i] = install_client(sites[i].hosts.at(0), names[i], server_ips.at(0), server_identity.public_key,
                             client_ids[i], 2.0 + 0.1 * static_cast<double>(i), &log, stream);
    apps[i]->SetEventCallback([&, i](const ClientEvent& event) {
      probes.OnEvent(PeekPointer(apps[i]), event);
      if (std::holds_alternative<Synced>(event)) online[i] = true;
      if (auto* r = std::get_if<TunnelRelayed>(&event)) {
        auto peer = index_of.find(r->peer);
        if (peer != index_of.end()) relay_used[{i, peer->second}] = r->relay;
      }
    });
  }

  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t a = 0; a < n; ++a) {
    for (std::size_t b = a + 1; b < n; ++b) pairs.push_back({a, b});
  }
  // The relay both sides of a pair use, when they agree.
  auto agreed_relay = [&](std::size_t a, std::size_t b) -> const RelaySpot* {
    auto ab = relay_used.find({a, b});
    auto ba = relay_used.find({b, a});
    if (ab == relay_used.end() || ba == relay_used.end() || !(ab->second == ba->second)) return nullptr;
    return spot_of(ab->second);
  };
  auto settled = [&] {
    return std::all_of(pairs.begin(), pairs.end(), [&](const auto& p) {
      const RelaySpot* spot = agreed_relay(p.first, p.second);
      return spot && spot->alive &&
             probes.Relayed(client_ids[p.first].public_key, client_ids[p.second].public_key);
    });
  };
  auto phase_of = [&](std::size_t a, std::size_t b) {
    RelayChoicePhase phase;
    phase.relayed = probes.Relayed(client_ids[a].public_key, client_ids[b].public_key);
    const Duration ends = options.client_delays[a] + options.client_delays[b];
    std::optional<Duration> best;
    for (const RelaySpot& s : spots) {
      if (s.alive && (!best || ends + 2 * s.delay < *best)) best = ends + 2 * s.delay;
    }
    phase.best_latency_ms = best ? ms(*best) : 0;
    if (const RelaySpot* spot = agreed_relay(a, b)) {
      phase.relay = spot->name;
      phase.latency_ms = ms(ends + 2 * spot->delay);
      phase.stretch = phase.best_latency_ms > 0 ? phase.latency_ms / phase.best_latency_ms : 0;
    }
    return phase;
  };

  std::optional<ns3::Time> all_online_at, phase_started;
  bool failed = false, done = false;
  const ns3::Time limit = to_ns3(options.time_limit);
  const ns3::Time hard_stop = ns3::Seconds(10) + limit + limit;
  std::function<void()> watch = [&] {
    const ns3::Time now = ns3::Simulator::Now();
    if (!all_online_at && std::all_of(online.begin(), online.end(), [](bool b) { return b; })) {
      all_online_at = now;
      phase_started = now;
    }
    const bool expired = phase_started && now - *phase_started > limit;
    if (phase_started && (settled() || expired)) {
      if (!failed) {
        for (const auto& [a, b] : pairs) result.pairs.push_back({names[a], names[b], false, phase_of(a, b), std::nullopt});
      } else {
        for (std::size_t k = 0; k < pairs.size(); ++k) result.pairs[k].after = phase_of(pairs[k].first, pairs[k].second);
        if (!expired) result.moved_after_s = now.GetSeconds() - result.failed_at_s;
        done = true;
      }
      if (!failed && options.fail_relay && !expired) {
        // The separate relay carrying the most pairs fails.
        std::map<std::string, int> load;
        for (const RelayChoicePair& p : result.pairs) ++load[p.before.relay];
        RelaySpot* victim = nullptr;
        for (RelaySpot& s : spots) {
          if (s.app && load[s.name] > 0 && (!victim || load[s.name] > load[victim->name])) victim = &s;
        }
        if (victim) {
          victim->app->Fail();
          victim->alive = false;
          failed = true;
          result.failed_at_s = now.GetSeconds();
          probes.ForgetRelayCrossings();
          phase_started = now;
        } else {
          done = true;
        }
      } else if (!failed) {
        done = true;
      }
    }
    if (done || now >= hard_stop) {
      ns3::Simulator::Stop();
      return;
    }
    ns3::Simulator::Schedule(ns3::MilliSeconds(50), watch);
  };
  ns3::Simulator::Schedule(ns3::MilliSeconds(50), watch);
  ns3::Simulator::Run();

  if (result.pairs.empty()) {  // never all online: report what there is
    for (const auto& [a, b] : pairs) result.pairs.push_back({names[a], names[b], false, phase_of(a, b), std::nullopt});
  }
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    result.pairs[k].direct = probes.Direct(client_ids[pairs[k].first].public_key, client_ids[pairs[k].second].public_key);
  }
  for (const RelaySpot& s : spots) {
    std::uint64_t forwarded = s.app ? s.app->Forwarded() : server->Core()->relay_stats().forwarded_packets;
    result.relays.push_back({s.name, ms(s.delay), forwarded, !s.alive});
  }
  result.repicks = server->Core()->stats().relay_repicks;
  result.all_online = all_online_at.has_value();
  ns3::Simulator::Destroy();
  result.log = log.lines();
  return result;
}

}  // namespace yt::emulation
