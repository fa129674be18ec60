#include "emulation/spec_scenario.h"

#include <ns3/core-module.h>
#include <ns3/node-list.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>

#include "emulation/background_flows.h"
#include "emulation/crowd.h"
#include "emulation/crowd_activity.h"
#include "emulation/event_log.h"
#include "emulation/event_scheduler.h"
#include "emulation/link_windows.h"
#include "emulation/matrix_scenario.h"
#include "emulation/ns3_conversions.h"
#include "emulation/ns3_random_source.h"
#include "emulation/path_probes.h"
#include "emulation/point_to_point_link.h"
#include "emulation/spec_common.h"
#include "emulation/spec_partition.h"
#include "emulation/split_run.h"
#include "emulation/scenario_nodes.h"
#include "emulation/topology.h"
#include "emulation/tunnel_traffic.h"
#include "emulation/window_loop.h"
#include "emulation/yt_relay_app.h"
#include "protocol/wire.h"
#include "server/core/memory_storage.h"
#include "server/core/punch_techniques.h"

namespace yt::emulation {
namespace {

using spec_detail::from_s;
using spec_detail::kBuiltInRelay;
using spec_detail::kBusiestRelay;
using spec_detail::kMostForwardedRelay;
using spec_detail::Side;
using spec_detail::slow_lan;

constexpr double kDrainS = 2.0;  // after the end, for datagrams in flight to land
// A flow's datagrams start with this, then the flow index and a sequence number.
constexpr std::uint32_t kFlowMagic = 0x79747366;  // "ytsf"
constexpr double kCarryWindowS = 1.0;  // all-carrying: an arrival each way within this

// An event's end: its time, plus its length where it has one.
bool has_length(const EventSpec& e) {
  return e.action == "send" || e.action == "server-down" || e.action == "link-down" || e.action == "pause-traffic" ||
         e.action == "traffic";
}

std::size_t site_index(const ScenarioSpec& spec, const std::string& name) {
  return static_cast<std::size_t>(
      std::find_if(spec.sites.begin(), spec.sites.end(), [&](const SiteSpec& x) { return x.name == name; }) -
      spec.sites.begin());
}

std::uint64_t peak_rss_bytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

// A site's NAT profiles as SpecClient::site_nat names them.
std::string site_nat(const SiteSpec& site) {
  std::string joined;
  for (const NatSpec& nat : site.nats) {
    joined += (joined.empty() ? "" : "+") + (nat.profile.empty() ? "custom" : nat.profile);
  }
  return joined;
}

}  // namespace

Result<SpecResult, std::string> run_spec(const ScenarioSpec& described, const RunOptions& options) {
  if (auto error = check_spec(described)) return Err{*error};
  const auto wall_start = std::chrono::steady_clock::now();
  SpecResult result;
  result.spec = described;
  use_fast_event_scheduler();
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(described.seed);
  // The engine's own draws (crowd, churn), made before the topology exists as the
  // population scenario always made them; only when asked for, so no other
  // scenario's automatic streams move.
  ScenarioSpec spec = described;
  const bool churns =
      std::any_of(spec.events.begin(), spec.events.end(), [](const EventSpec& e) { return e.action == "churn"; });
  ns3::Ptr<ns3::UniformRandomVariable> draw;
  if (spec.crowd || churns) {
    draw = ns3::CreateObject<ns3::UniformRandomVariable>();
    draw->SetStream(kScenarioDrawStream);
  }
  std::optional<CrowdLayout> crowd;
  if (spec.crowd) crowd = expand_crowd(spec, *draw);
  const bool regions = spec.topology == "regions";
  // A network that does not fit the address plan: what was built goes, so the
  // next run in this process starts clean.
  auto unbuilt = [](std::string why) {
    ns3::Simulator::Destroy();
    return Err{std::move(why)};
  };

  EventLog event_log;
  EventLog* log = options.log ? &event_log : nullptr;
  auto note = [&](const std::string& line) {
    if (log) log->add("scenario", line);
  };
  TopologyOptions topology_options;
  topology_options.regions_only = regions;
  topology_options.region_routers = !regions;  // host routes on the core instead (topology.h)
  topology_options.queue_discs = !regions;
  Topology topology(topology_options);
  LinkSpec server_link;
  server_link.delay = from_s(spec.server_delay_ms / 1000);
  server_link.loss_rate = spec.server_loss;
  if (regions) server_link.data_rate = "10Gbps";
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(server_link, 2);
  std::vector<ns3::Ptr<ns3::Node>> relay_nodes;
  for (const RelaySpec& r : spec.relays) {
    LinkSpec link;
    link.delay = from_s(r.delay_ms / 1000);
    if (regions) link.data_rate = "10Gbps";
    relay_nodes.push_back(topology.AddPublicHost(link));
  }
  std::size_t n = 0;
  for (const SiteSpec& site : spec.sites) n += site.hosts.size();
  // The server's control nodes, on links like its own so a control connection
  // has the same delay whichever node it reaches.
  std::vector<ns3::Ptr<ns3::Node>> control_nodes;
  const auto per_node = static_cast<std::size_t>(spec.clients_per_control_node);
  for (std::size_t k = 0; per_node > 0 && n > per_node && k < (n + per_node - 1) / per_node; ++k) {
    control_nodes.push_back(topology.AddPublicHost(server_link));
    if (!control_nodes.back()) return unbuilt("too many server control nodes for the address plan");
  }
  // Clients in site order, hosts in order: client index i.
  std::vector<NatSite> sites;
  std::vector<ns3::Ptr<ns3::Node>> public_nodes;  // by site, for public sites
  std::vector<ns3::Ptr<ns3::Node>> client_nodes;
  std::vector<std::size_t> site_of;
  std::vector<LinkSpec> links;
  std::vector<std::pair<std::size_t, ns3::Ptr<ns3::Node>>> background_hosts;  // (site, host)
  for (std::size_t s = 0; s < spec.sites.size(); ++s) {
    const SiteSpec& site = spec.sites[s];
    LinkSpec link;
    link.delay = from_s(site.delay_ms / 1000);
    link.loss_rate = site.loss;
    links.push_back(link);
    if (site.nats.empty()) {
      ns3::Ptr<ns3::Node> node = topology.AddPublicHost(link);
      if (!node) return unbuilt("too many sites for the address plan");
      sites.emplace_back();
      public_nodes.push_back(node);
      client_nodes.push_back(node);
      site_of.push_back(s);
      continue;
    }
    std::vector<nat::NatConfig> chain;
    for (const NatSpec& n : site.nats) {
      auto part = nat_chain(n);
      chain.insert(chain.end(), part->begin(), part->end());
    }
    NatSiteOptions site_options;
    site_options.lan.delay = from_s(site.lan_delay_ms / 1000);
    // Background flows come from one more host on the LAN, after the clients.
    const bool background = site.background_flows_per_s > 0;
    site_options.lan.point_to_point = slow_lan(site) || (regions && site.hosts.size() == 1 && !background);
    NatSite built =
        topology.AddNatSite(chain, static_cast<int>(site.hosts.size()) + (background ? 1 : 0), link, site_options);
    if (!built.Valid()) return unbuilt("site " + site.name + " could not be built (too many sites or hosts)");
    for (std::size_t h = 0; h < site.hosts.size(); ++h) {
      client_nodes.push_back(built.hosts[h]);
      site_of.push_back(s);
    }
    if (background) background_hosts.push_back({s, built.hosts.back()});
    public_nodes.push_back(nullptr);
    if (site.jitter_ms > 0) built.Outermost()->SetJitter(from_s(site.jitter_ms / 1000));
    sites.push_back(std::move(built));
  }
  int64_t stream = topology.AssignStreams(0);

  ScenarioIdentities ids = draw_identities(stream, relay_nodes.size(), client_nodes.size());
  const Identity& server_identity = ids.server;
  const std::vector<Identity>& relay_ids = ids.relays;
  const std::vector<Identity>& client_ids = ids.clients;

  std::vector<std::string> names;
  for (const SiteSpec& site : spec.sites) names.insert(names.end(), site.hosts.begin(), site.hosts.end());
  std::unordered_map<std::string, std::size_t> index_by_name;
  for (std::size_t i = 0; i < n; ++i) index_by_name[names[i]] = i;
  auto index_of = [&](const std::string& name) { return index_by_name.at(name); };

  ServerConfig server_config;
  MemoryStorage storage;  // outlives a crashed server process, like a database
  // The listed networks, then the crowd's in their order.
  std::vector<std::string> network_order;
  for (const auto& [network, members] : spec.networks) {
    if (!crowd || std::find(crowd->networks.begin(), crowd->networks.end(), network) == crowd->networks.end()) {
      network_order.push_back(network);
    }
  }
  if (crowd) network_order.insert(network_order.end(), crowd->networks.begin(), crowd->networks.end());
  for (const std::string& network : network_order) {
    std::vector<PublicKey> keys;
    for (const std::string& m : spec.networks.at(network)) keys.push_back(client_ids[index_of(m)].public_key);
    add_members(storage, server_config, network, keys);
  }
  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  server_config.discovery_endpoints = discovery_endpoints(server_ips);
  server_config.password_strength = PwhashStrength::minimum();
  server_config.serialize_sequential_plans = spec.serialize_sequential_plans;
  server_config.punch_strategy = spec.strategy == "naive" ? PunchStrategy::kNaive : PunchStrategy::kServerDriven;
  server_config.disabled_techniques.insert(spec.disable.begin(), spec.disable.end());
  if (spec.punch_follower_delay_ms) server_config.punch_follower_delay = from_s(*spec.punch_follower_delay_ms / 1000);
  for (const Identity& id : relay_ids) server_config.relay_keys.push_back(id.public_key);
  ns3::Ptr<YtServerApp> server = install_server(server_node, server_config, server_identity, &storage, log, stream);
  for (const ns3::Ptr<ns3::Node>& node : control_nodes) server->AddControlNode(node);
  result.server_control_nodes = std::max<std::size_t>(1, control_nodes.size());
  auto control_ip = [&](std::size_t i) {
    return control_nodes.empty() ? server_ips.at(0) : topology.AddressOf(control_nodes[i % control_nodes.size()]);
  };
  std::vector<ns3::Ptr<YtRelayApp>> relays;
  for (std::size_t i = 0; i < relay_nodes.size(); ++i) {
    relays.push_back(install_relay(relay_nodes[i], topology.AddressOf(relay_nodes[i]), spec.relays[i].name,
                                   server_ips.at(0), server_identity.public_key, relay_ids[i], log, stream));
  }
  std::vector<ns3::Ptr<BackgroundFlows>> background;  // by background_hosts
  for (const auto& [site, host] : background_hosts) {
    ns3::Ptr<BackgroundFlows> flows = ns3::CreateObject<BackgroundFlows>();
    flows->Setup(spec.sites[site].background_flows_per_s, server_ips.at(0));
    host->AddApplication(flows);
    flows->SetStartTime(ns3::Seconds(0));
    stream += flows->AssignStreams(stream);
    background.push_back(flows);
  }
  // Relays by the endpoint clients report (TunnelRelayed::relay), the built-in one
  // first; whether each is up.
  std::vector<Endpoint> relay_endpoints{server_config.discovery_endpoints.front()};
  for (ns3::Ptr<ns3::Node> node : relay_nodes) {
    relay_endpoints.push_back(Endpoint{topology.AddressOf(node), kScenarioRelayPort});
  }
  std::vector<double> relay_down_at(relay_endpoints.size(), -1);
  bool server_up = true;
  auto relay_name = [&](const Endpoint& udp) -> std::string {
    for (std::size_t k = 0; k < relay_endpoints.size(); ++k) {
      if (relay_endpoints[k] == udp) return k == 0 ? kBuiltInRelay : spec.relays[k - 1].name;
    }
    return udp.to_string();
  };
  auto relay_up = [&](const std::string& name) {
    if (name == kBuiltInRelay) return server_up;
    for (std::size_t k = 0; k < spec.relays.size(); ++k) {
      if (spec.relays[k].name == name) return relay_down_at[k + 1] < 0;
    }
    return true;  // an endpoint we do not know: not ours to judge
  };

  // When each client logs in: its "start" event, else spec.start_s.
  std::vector<double> start_at(n, spec.start_s);
  for (const EventSpec& e : spec.events) {
    if (e.action == "start") start_at[index_of(e.client)] = e.at_s;
  }
  if (crowd) {
    for (std::size_t i = 0; i < crowd->start_s.size(); ++i) start_at[crowd->first_client + i] = crowd->start_s[i];
  }
  ClientConfig client_config;
  client_config.relay_first = spec.relay_first;
  std::vector<ns3::Ptr<YtClientApp>> apps(n);
  for (std::size_t i = 0; i < n; ++i) {
    apps[i] = install_client(client_nodes[i], names[i], control_ip(i), server_identity.public_key, client_ids[i],
                             start_at[i], log, stream, client_config);
    apps[i]->SetLogPackets(false);  // flows are counted, not logged
    SpecClient client;
    client.name = names[i];
    client.site = spec.sites[site_of[i]].name;
    client.site_nat = site_nat(spec.sites[site_of[i]]);
    result.clients.push_back(client);
  }

  // Pairs: every two clients that share a network now or may later (joins).
  std::map<std::string, std::set<std::size_t>> ever_in;
  for (const auto& [network, members] : spec.networks) {
    for (const std::string& m : members) ever_in[network].insert(index_of(m));
  }
  for (const EventSpec& e : spec.events) {
    if (e.action == "join") ever_in[e.network].insert(index_of(e.client));
  }
  std::set<std::pair<std::size_t, std::size_t>> pair_set;
  for (const auto& [network, members] : ever_in) {
    for (std::size_t a : members) {
      for (std::size_t b : members) {
        if (a < b) pair_set.insert({a, b});
      }
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> pairs(pair_set.begin(), pair_set.end());
  // Per side: what it reported about the peer.
  std::map<std::pair<std::size_t, std::size_t>, Side> sides;  // (reporter, peer)
  std::map<std::pair<std::size_t, std::size_t>, std::string> relay_reported;  // (reporter, peer) -> relay name
  std::map<std::pair<std::size_t, std::size_t>, std::vector<std::pair<double, std::string>>> relay_changes;  // (a < b)
  auto agreed_relay = [&](std::size_t a, std::size_t b) -> std::string {
    auto ab = relay_reported.find({a, b});
    auto ba = relay_reported.find({b, a});
    if (ab == relay_reported.end() || ba == relay_reported.end() || ab->second != ba->second) return "";
    return ab->second;
  };
  std::map<PublicKey, std::size_t> by_key;
  for (std::size_t i = 0; i < n; ++i) by_key[client_ids[i].public_key] = i;
  PathProbes probes;

  // Flows.
  std::vector<const EventSpec*> flow_events;
  for (const EventSpec& e : spec.events) {
    if (e.action == "send") flow_events.push_back(&e);
  }
  result.flows.resize(flow_events.size());
  std::vector<double> last_arrival(flow_events.size(), -1);
  for (std::size_t f = 0; f < flow_events.size(); ++f) {
    const EventSpec& e = *flow_events[f];
    result.flows[f] = SpecFlow{e.client, e.to, e.at_s, 0, 0, 0, -1, 0};
    last_arrival[f] = e.at_s;
  }
  std::vector<std::set<std::uint32_t>> seen(flow_events.size());

  // Traffic: per "traffic" event, its network's members (from the start, in
  // client order) and where each client is among them.
  struct NetworkTraffic {
    std::size_t event = 0;
    std::vector<std::size_t> members;
    std::map<std::size_t, std::size_t> position;
    std::unique_ptr<TunnelTraffic> traffic;
  };
  std::vector<NetworkTraffic> traffics;
  for (std::size_t k = 0; k < spec.events.size(); ++k) {
    const EventSpec& e = spec.events[k];
    if (e.action != "traffic") continue;
    NetworkTraffic t;
    t.event = k;
    for (const std::string& m : spec.networks.at(e.network)) t.members.push_back(index_of(m));
    std::sort(t.members.begin(), t.members.end());
    std::vector<YtClientApp*> member_apps;
    for (std::size_t j = 0; j < t.members.size(); ++j) {
      t.position[t.members[j]] = j;
      member_apps.push_back(PeekPointer(apps[t.members[j]]));
    }
    t.traffic = std::make_unique<TunnelTraffic>(member_apps, from_s(e.interval_ms / 1000));
    traffics.push_back(std::move(t));
  }
  auto traffic_of = [&](const std::string& network) -> NetworkTraffic& {
    return *std::find_if(traffics.begin(), traffics.end(),
                         [&](const NetworkTraffic& t) { return spec.events[t.event].network == network; });
  };
  std::vector<std::optional<std::uint64_t>> sent_before_pause(n);
  // Synced and not churned away: who churn picks from, and who sends crowd traffic.
  std::vector<bool> present(n, false);
  std::vector<std::uint32_t> synced_in_window;  // for the other process of a split run
  std::vector<bool> local_client(n, true);      // run by this process
  std::optional<CrowdTraffic> crowd_traffic;

  for (std::size_t i = 0; i < n; ++i) {
    apps[i]->SetEventCallback([&, i](const ClientEvent& event) {
      if (spec.path_probes) probes.OnEvent(PeekPointer(apps[i]), event);
      for (NetworkTraffic& t : traffics) {
        auto at = t.position.find(i);
        if (at != t.position.end()) t.traffic->OnEvent(at->second, event);
      }
      // Without probes, what the timeline sends is the evidence of a pair's path.
      if (auto* packet = std::get_if<PacketReceived>(&event); packet && !spec.path_probes) {
        WireReader r(packet->packet);
        if (TunnelTraffic::IsTraffic(packet->packet) || CrowdTraffic::IsCrowdTraffic(packet->packet) ||
            r.u32() == kFlowMagic) {
          probes.Crossing(packet->peer, apps[i]->Key(), packet->relayed);
        }
      }
      const double now = ns3::Simulator::Now().GetSeconds();
      SpecClient& client = result.clients[i];
      if (std::holds_alternative<LoggedIn>(event)) ++client.logins;
      if (std::holds_alternative<Synced>(event) && client.online_at_s < 0) client.online_at_s = now;
      if (std::holds_alternative<Synced>(event)) {
        client.syncs_at_s.push_back(now);
        present[i] = true;
        synced_in_window.push_back(static_cast<std::uint32_t>(i));
      }
      if (auto* d = std::get_if<DiscoveryDone>(&event)) {
        client.nat = d->udp_blocked ? "udp-blocked" : d->profile.summary();
      }
      if (auto* failed = std::get_if<LoginFailed>(&event); failed && client.failure.empty()) {
        client.failure = "login failed: " + failed->reason;
      }
      auto peer_of = [&](const PublicKey& key) -> std::optional<std::size_t> {
        auto it = by_key.find(key);
        return it == by_key.end() ? std::nullopt : std::optional<std::size_t>(it->second);
      };
      auto ms = [](Duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
      if (auto* up = std::get_if<TunnelUp>(&event)) {
        result.reported_time_to_direct_s.push_back(std::chrono::duration<double>(up->time_to_direct).count());
        if (auto p = peer_of(up->peer)) {
          Side& s = sides[{i, *p}];
          if (s.first_up_at_s < 0) s.first_up_at_s = now;
          s.reported_tunnel = true;
          if (s.time_to_direct_ms < 0) s.time_to_direct_ms = ms(up->time_to_direct);
          if (s.time_to_first_path_ms < 0) s.time_to_first_path_ms = ms(up->time_to_direct);
          s.direct_now = true;
        }
      } else if (auto* relayed = std::get_if<TunnelRelayed>(&event)) {
        if (auto p = peer_of(relayed->peer)) {
          Side& s = sides[{i, *p}];
          s.reported_tunnel = true;
          if (s.time_to_first_path_ms < 0) s.time_to_first_path_ms = ms(relayed->time_to_relay);
          s.direct_now = false;
          relay_reported[{i, *p}] = relay_name(relayed->relay);
          const std::string agreed = agreed_relay(i, *p);
          auto& changes = relay_changes[{std::min(i, *p), std::max(i, *p)}];
          if (changes.empty() ? !agreed.empty() : changes.back().second != agreed) changes.push_back({now, agreed});
        }
      } else if (auto* down = std::get_if<TunnelDown>(&event)) {
        if (auto p = peer_of(down->peer)) sides[{i, *p}].direct_now = false;
      } else if (auto* failed = std::get_if<TunnelFailed>(&event)) {
        if (auto p = peer_of(failed->peer)) {
          Side& s = sides[{i, *p}];
          if (s.failure.empty()) s.failure = failed->reason;
          if (client.failure.empty()) client.failure = failed->reason;
        }
      } else if (auto* packet = std::get_if<PacketReceived>(&event)) {
        if (crowd_traffic && crowd_traffic->OnPacket(packet->packet)) return;
        WireReader r(packet->packet);
        if (r.u32() != kFlowMagic) return;
        const std::uint32_t flow = r.u32();
        const std::uint32_t seq = r.u32();
        if (r.failed() || flow >= flow_events.size() || index_of(flow_events[flow]->to) != i) return;
        if (!seen[flow].insert(seq).second) return;
        SpecFlow& f = result.flows[flow];
        ++f.delivered;
        if (packet->relayed) ++f.delivered_relayed;
        if (f.first_arrival_s < 0) f.first_arrival_s = now;
        f.longest_gap_s = std::max(f.longest_gap_s, now - last_arrival[flow]);
        last_arrival[flow] = now;
      }
    });
  }

  // The crowd's traffic, each client's rounds from its drawn first one.
  if (crowd && !crowd->traffic_first_s.empty()) {
    crowd_traffic.emplace(apps, present, from_s(spec.crowd->traffic_interval_s));
    for (std::size_t c = 0; c < crowd->traffic_first_s.size(); ++c) {
      crowd_traffic->Schedule(crowd->first_client + c, crowd->traffic_first_s[c]);
    }
  }
  result.build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::map<std::size_t, Churn> churns_by_event;

  // The separate relay (index in spec.relays) that carries the most pairs now, by
  // the relay both sides last reported; spec.relays.size() when none carries one.
  auto busiest_relay = [&] {
    std::vector<int> load(spec.relays.size(), 0);
    for (const auto& [a, b] : pairs) {
      const std::string relay = agreed_relay(a, b);
      for (std::size_t k = 0; k < spec.relays.size(); ++k) load[k] += spec.relays[k].name == relay ? 1 : 0;
    }
    std::size_t best = spec.relays.size();
    for (std::size_t k = 0; k < spec.relays.size(); ++k) {
      if (load[k] > 0 && relay_down_at[k + 1] < 0 && (best == spec.relays.size() || load[k] > load[best])) best = k;
    }
    return best;
  };

  // The timeline: events at their time; triggered ones (`after`) by the watch below.
  ns3::Ptr<YtServerApp> restarted;
  result.event_times_s.assign(spec.events.size(), -1);
  result.event_ends_s.assign(spec.events.size(), -1);
  auto ends = [&](std::size_t which) { result.event_ends_s[which] = ns3::Simulator::Now().GetSeconds(); };
  std::function<void(std::size_t)> happen = [&](std::size_t which) {
    const EventSpec* ev = &spec.events[which];
    const EventSpec& e = *ev;
    result.event_times_s[which] = ns3::Simulator::Now().GetSeconds();
    const Time now = core_now();
    if (e.action == "join" || e.action == "leave" || e.action == "offline" || e.action == "online") {
      YtClientApp& app = *apps[index_of(e.client)];
      bool ok = false;
      // Before the client's start there is no core to ask: nothing is sent.
      if (e.action == "join" && app.Started()) ok = app.Core().join_network(now, e.network, "").ok();
      if (e.action == "leave" && app.Started()) ok = app.Core().leave_network(now, e.network).ok();
      if ((e.action == "offline" || e.action == "online") && app.Started()) {
        ok = app.Core().set_network_online(now, e.network, e.action == "online").ok();
      }
      app.Pump();
      note(e.client + " " + e.action + " " + e.network + (ok ? "" : " (not logged in: nothing sent)"));
    } else if (e.action == "send") {
      const std::size_t index =
          static_cast<std::size_t>(std::find(flow_events.begin(), flow_events.end(), ev) - flow_events.begin());
      const std::size_t from = index_of(e.client);
      const std::size_t to = index_of(e.to);
      const int count = std::max(1, static_cast<int>(std::floor(e.duration_s * 1000 / e.interval_ms)));
      for (int k = 0; k < count; ++k) {
        ns3::Simulator::Schedule(ns3::MilliSeconds(e.interval_ms * k), [&, from, to, index, k] {
          WireWriter w;
          w.u32(kFlowMagic);
          w.u32(static_cast<std::uint32_t>(index));
          w.u32(static_cast<std::uint32_t>(k));
          // Offered whether or not the core has a path (or the client has started):
          // a refused send is a loss.
          if (apps[from]->Started()) {
            (void)apps[from]->Core().send_to_peer(core_now(), client_ids[to].public_key, w.bytes());
          }
          apps[from]->Pump();
          ++result.flows[index].sent;
        });
      }
    } else if (e.action == "server-down") {
      server->Crash();
      server_up = false;
      note("the server goes down");
      ns3::Simulator::Schedule(ns3::Seconds(e.duration_s), [&, which] {
        restarted = install_server(server_node, server_config, server_identity, &storage, log, stream);
        server_up = true;
        ends(which);
        note("a fresh server process starts on the same database");
      });
    } else if (e.action == "link-down") {
      const std::size_t s = site_index(spec, e.site);
      ns3::Ptr<ns3::Node> node = public_nodes[s] ? public_nodes[s] : sites[s].routers.back();
      topology.SetAccessLoss(node, e.loss, stream);
      stream += 2;
      note(e.site + "'s access link loses " + std::to_string(e.loss));
      ns3::Simulator::Schedule(ns3::Seconds(e.duration_s), [&, node, s, which] {
        topology.SetAccessLoss(node, links[s].loss_rate, stream);
        ends(which);
        note(spec.sites[s].name + "'s access link is back");
      });
    } else if (e.action == "nat-reboot") {
      const std::size_t s = site_index(spec, e.site);
      if (e.new_ip) {
        topology.ChangePublicIps(sites[s]);
      } else {
        sites[s].Outermost()->GetModel()->flush();
      }
      note(e.site + "'s NAT reboots" + (e.new_ip ? " with a new IP" : ""));
    } else if (e.action == "relay-down") {
      std::size_t r = static_cast<std::size_t>(
          std::find_if(spec.relays.begin(), spec.relays.end(), [&](const RelaySpec& x) { return x.name == e.relay; }) -
          spec.relays.begin());
      if (e.relay == kBusiestRelay) r = busiest_relay();
      if (e.relay == kMostForwardedRelay) {
        r = spec.relays.size();
        for (std::size_t k = 0; k < spec.relays.size(); ++k) {
          if (relay_down_at[k + 1] >= 0) continue;
          if (r == spec.relays.size() || relays[k]->Forwarded() > relays[r]->Forwarded()) r = k;
        }
      }
      if (r < spec.relays.size()) {
        relays[r]->Fail();
        relay_down_at[r + 1] = ns3::Simulator::Now().GetSeconds();
        // What a pair proves from now on is proven through whichever relay is next.
        probes.ForgetRelayCrossings();
        note("relay " + spec.relays[r].name + " fails");
      } else {
        note("no separate relay carries a pair: none fails");
      }
    } else if (e.action == "traffic") {
      NetworkTraffic& t = traffic_of(e.network);
      t.traffic->Start();
      if (e.duration_s > 0) {
        ns3::Simulator::Schedule(ns3::Seconds(e.duration_s), [&, which] {
          traffic_of(spec.events[which].network).traffic->Stop();
          ends(which);
        });
      }
      note("traffic on every tunnel of " + e.network);
    } else if (e.action == "pause-traffic") {
      NetworkTraffic& t = traffic_of(e.network);
      const double from = ns3::Simulator::Now().GetSeconds();
      t.traffic->Pause(from, from + e.duration_s);
      auto packets_sent = [&](std::size_t member) -> std::uint64_t {
        return apps[member]->Started() ? apps[member]->Core().stats().packets_sent : 0;
      };
      for (std::size_t member : t.members) {
        sent_before_pause[member] = packets_sent(member);
        ns3::Simulator::Schedule(ns3::Seconds(e.duration_s), [&, member, packets_sent] {
          result.clients[member].sent_while_paused += packets_sent(member) - *sent_before_pause[member];
        });
      }
      ns3::Simulator::Schedule(ns3::Seconds(e.duration_s), [&, which] { ends(which); });
      note("traffic on " + e.network + " pauses for " + std::to_string(e.duration_s) + " s");
    } else if (e.action == "roam") {
      const std::size_t c = index_of(e.client);
      const Ipv4 moved = topology.MoveHost(client_nodes[c], sites[site_index(spec, e.site)]);
      note(e.client + " roams to " + e.site + " as " + moved.to_string() +
           (e.silent ? ", and its OS says nothing" : ""));
      if (!e.silent) apps[c]->NotifyNetworkChanged({moved});
    } else if (e.action == "churn") {
      Churn& churn = churns_by_event.try_emplace(which, apps, present, local_client, *draw, spec.duration_s).first->second;
      churn.Start(e.rate_per_minute, e.duration_s);
      note("churn: " + std::to_string(e.rate_per_minute) + " of present clients leave per minute");
    } else if (e.action == "block-peer-udp") {
      apps[index_of(e.client)]->BlockPeerUdp(server_ips);
      note(e.client + "'s host starts dropping peer-to-peer UDP");
    }
  };
  for (std::size_t k = 0; k < spec.events.size(); ++k) {
    // A start is the client app's own start time (installed above).
    if (spec.events[k].action == "start") {
      result.event_times_s[k] = spec.events[k].at_s;
    } else if (spec.events[k].after.empty()) {
      ns3::Simulator::Schedule(ns3::Seconds(spec.events[k].at_s), [&, k] { happen(k); });
    }
  }

  // Once a second: the present peak, the server's logins per second, progress.
  std::uint64_t logins_seen = 0;
  bool print_progress = options.progress;  // the first process's, in a split run
  // The run in windows and its second process (set up below, before the run).
  std::unique_ptr<LinkWindows> windows;
  std::optional<SplitRun> split;
  int me = 0;  // this process's partition
  ns3::Ptr<YtServerApp> counted;  // the server process whose logins were counted last
  std::function<void()> sample = [&] {
    const double now = ns3::Simulator::Now().GetSeconds();
    if (ns3::Ptr<YtServerApp> current = restarted ? restarted : server; current && current->Core()) {
      const std::uint64_t logins = current->Core()->stats().logins;
      if (current != counted) logins_seen = 0;  // a fresh process counts from 0
      result.peak_logins_per_s = std::max(result.peak_logins_per_s, logins - logins_seen);
      logins_seen = logins;
      counted = current;
    }
    const auto up = static_cast<std::size_t>(std::count(present.begin(), present.end(), true));
    result.peak_present = std::max(result.peak_present, up);
    if (print_progress && static_cast<long>(now) % 10 == 0) {
      std::size_t direct = 0;
      for (const auto& [a, b] : pairs) {
        auto ab = sides.find({a, b});
        auto ba = sides.find({b, a});
        direct += (ab != sides.end() && ab->second.first_up_at_s >= 0) ||
                  (ba != sides.end() && ba->second.first_up_at_s >= 0);
      }
      const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      // Split in two, this is the first process's view: its clients' reports,
      // its events and RSS.
      std::fprintf(stderr, "  t=%3.0f s: %zu online, %zu pairs direct, %llu events, %.0f s wall, RSS %.0f MiB%s\n",
                   now, up, direct, static_cast<unsigned long long>(ns3::Simulator::GetEventCount()), wall,
                   static_cast<double>(peak_rss_bytes()) / 1048576.0, split ? " (first of 2 processes)" : "");
    }
    if (now + 1 <= spec.duration_s) ns3::Simulator::Schedule(ns3::Seconds(1), sample);
  };
  ns3::Simulator::Schedule(ns3::Seconds(1), sample);

  // The conditions of EventSpec::after and ScenarioSpec::end_when.
  auto all_online = [&] {
    return std::all_of(result.clients.begin(), result.clients.end(), [](const SpecClient& c) { return c.online_at_s >= 0; });
  };
  auto all_relayed = [&] {
    return std::all_of(pairs.begin(), pairs.end(), [&](const auto& p) {
      const std::string relay = agreed_relay(p.first, p.second);
      return !relay.empty() && relay_up(relay) &&
             probes.Relayed(client_ids[p.first].public_key, client_ids[p.second].public_key);
    });
  };
  auto all_carrying = [&] {
    if (traffics.empty()) return false;
    const double now = ns3::Simulator::Now().GetSeconds();
    return std::all_of(traffics.begin(), traffics.end(), [&](const NetworkTraffic& t) {
      for (std::size_t a = 0; a < t.members.size(); ++a) {
        for (std::size_t b = a + 1; b < t.members.size(); ++b) {
          if (!t.traffic->Carrying(a, b, now, kCarryWindowS)) return false;
        }
      }
      return true;
    });
  };
  auto holds = [&](const std::string& condition) {
    if (condition == "all-online") return all_online();
    if (condition == "all-relayed") return all_relayed();
    if (condition == "all-carrying") return all_carrying();
    return false;
  };
  std::vector<std::size_t> triggered;  // events with `after` that have not happened
  for (std::size_t k = 0; k < spec.events.size(); ++k) {
    if (!spec.events[k].after.empty()) triggered.push_back(k);
  }
  std::vector<std::optional<double>> held_since(spec.events.size());  // when each trigger's condition first held
  // The latest end of every event, once all have happened (end_after_s).
  auto last_end = [&]() -> std::optional<double> {
    double last = 0;
    for (std::size_t k = 0; k < spec.events.size(); ++k) {
      const double at = result.event_times_s[k];
      if (at < 0) return std::nullopt;
      last = std::max(last, at + (has_length(spec.events[k]) ? spec.events[k].duration_s : 0));
    }
    return last;
  };
  ns3::Ptr<YtServerApp> sampled;  // the server process whose logins were sampled last
  bool ended = false;

  // Early end (time_limit_s): once every pair is decided, or the limit after every
  // client came online. A relayed pair is not decided: punching may still succeed.
  auto decided = [&](std::size_t a, std::size_t b) {
    if (probes.Direct(client_ids[a].public_key, client_ids[b].public_key)) return true;
    auto failed = [&](std::size_t x, std::size_t y) {
      const Side& s = sides[{x, y}];
      return s.time_to_first_path_ms < 0 && (!s.failure.empty() || !result.clients[x].failure.empty());
    };
    return failed(a, b) && failed(b, a);
  };
  std::optional<double> all_online_at;
  const ns3::Time check_interval = ns3::MicroSeconds(std::llround(spec.check_interval_s * 1e6));
  std::function<void()> watch = [&] {
    const double now = ns3::Simulator::Now().GetSeconds();
    if (!all_online_at && all_online()) all_online_at = now;
    // Triggers strike within a check: at the first one at_s after the condition
    // first held, or from by_s on.
    for (auto it = triggered.begin(); it != triggered.end();) {
      const std::size_t k = *it;
      const EventSpec& e = spec.events[k];
      if (!held_since[k] && holds(e.after)) held_since[k] = now;
      if ((held_since[k] && now - *held_since[k] >= e.at_s) || (e.by_s && now >= *e.by_s)) {
        it = triggered.erase(it);
        happen(k);
      } else {
        ++it;
      }
    }
    if (ns3::Ptr<YtServerApp> current = restarted ? restarted : server; current && current->Core()) {
      const std::uint64_t logins = current->Core()->stats().logins;
      if (current != sampled || result.server_logins.empty() || result.server_logins.back().second != logins) {
        result.server_logins.push_back({now, logins});
      }
      sampled = current;
    }
    // The time limit runs from every client being online, and from each triggered event.
    std::optional<double> phase_from = all_online_at;
    for (std::size_t k = 0; k < spec.events.size(); ++k) {
      if (!spec.events[k].after.empty() && result.event_times_s[k] >= 0 && phase_from) {
        phase_from = std::max(*phase_from, result.event_times_s[k]);
      }
    }
    const bool expired = spec.time_limit_s && phase_from && now - *phase_from > *spec.time_limit_s;
    bool end = expired;
    if (spec.end_when.empty()) {
      end = end || (spec.time_limit_s && std::all_of(pairs.begin(), pairs.end(), [&](const auto& p) {
                      return decided(p.first, p.second);
                    }));
    } else if (!end && std::all_of(result.event_times_s.begin(), result.event_times_s.end(),
                                   [](double t) { return t >= 0; }) &&
               holds(spec.end_when)) {
      result.settled_at_s = now;
      end = true;
    }
    if (end) {
      result.ended_at_s = now;
      ended = true;
      ns3::Simulator::Stop();
      return;
    }
    if (auto last = last_end(); spec.end_after_s && last && now >= *last + *spec.end_after_s) {
      // Watched long enough: traffic stops, and what is in flight lands.
      result.ended_at_s = now;
      ended = true;
      for (NetworkTraffic& t : traffics) t.traffic->Stop();
      ns3::Simulator::Stop(ns3::Seconds(kDrainS));
      return;
    }
    ns3::Simulator::Schedule(check_interval, watch);
  };
  if (spec.time_limit_s || !spec.end_when.empty() || !triggered.empty() || spec.end_after_s) {
    ns3::Simulator::Schedule(check_interval, watch);
  }
  if (spec.drain_s > 0) {
    ns3::Simulator::Schedule(ns3::Seconds(spec.duration_s), [&] {
      if (!ended) result.ended_at_s = spec.duration_s;
    });
  }
  // Windows on the core's links, and the second process (link_windows.h,
  // split_run.h). The first runs the server and its control nodes (which call
  // into the server's core); the second the relays (which reach it over the
  // network) and whole crowd networks (a network's peer traffic stays in one
  // process), kSecondShare of them, spread evenly. The share evens the two at
  // 10,000 clients: with 55 % the first was busy 283-287 s and the second
  // 272 s (the server's events cost more than the households': logins, TCP).
  constexpr double kSecondShare = 0.56;
  if (options.windows || options.processes > 1) {
    if (auto why = split_check(described)) return unbuilt(*why);
    if (options.processes < 1 || options.processes > 2) return unbuilt("a run takes 1 or 2 processes");
    std::vector<int> partition_of(ns3::NodeList::GetNNodes(), 0);
    if (options.processes == 2) {
      const auto size = static_cast<std::size_t>(spec.crowd->network_size);
      for (std::size_t c = 0; c < crowd->start_s.size(); ++c) {
        const auto g = static_cast<double>(c / size);
        if (std::floor((g + 1) * kSecondShare) == std::floor(g * kSecondShare)) continue;
        const std::size_t i = crowd->first_client + c;
        partition_of[client_nodes[i]->GetId()] = 1;
        for (const ns3::Ptr<ns3::Node>& router : sites[site_of[i]].routers) partition_of[router->GetId()] = 1;
      }
      for (const ns3::Ptr<ns3::Node>& relay : relay_nodes) partition_of[relay->GetId()] = 1;
    }
    windows = std::make_unique<LinkWindows>();
    ns3::Ptr<ns3::Node> core = topology.CoreRouter();
    for (uint32_t d = 0; d < core->GetNDevices(); ++d) {
      auto device = ns3::DynamicCast<OnePassPointToPointDevice>(core->GetDevice(d));
      if (!device) continue;
      if (device->HasReceiveErrorModel()) return unbuilt("the core router's links must be lossless in windows");
      windows->Add(ns3::PeekPointer(device), partition_of[device->PeerNode()->GetId()]);
    }
    if (windows->Lookahead() < ns3::MilliSeconds(1)) return unbuilt("windows need links of at least 1 ms");
    if (options.processes == 2) {
      auto forked = SplitRun::Fork();
      if (!forked) return unbuilt(forked.error());
      split.emplace(std::move(*forked));
      me = split->partition();
      std::vector<bool> local(partition_of.size());
      for (std::size_t id = 0; id < local.size(); ++id) local[id] = partition_of[id] == me;
      local[core->GetId()] = true;  // each process has a replica of the core
      keep_only_local_events(local);
      for (std::size_t i = 0; i < n; ++i) local_client[i] = local[client_nodes[i]->GetId()];
      print_progress = options.progress && me == 0;
      result.processes = 2;
    }
  }
  // A failure of the second process or of what it sent: the first reports it,
  // the second ends.
  auto split_failed = [&](const std::string& why) -> Result<SpecResult, std::string> {
    if (me == 1) SplitRun::EndChild(false);
    split.reset();
    return unbuilt(why);
  };

  const ns3::Time end = ns3::Seconds(spec.duration_s + spec.drain_s);
  ns3::Simulator::Stop(end);
  if (!windows) {
    ns3::Simulator::Run();
  } else if (auto error = run_in_windows(end, *windows, split ? &*split : nullptr, me, synced_in_window, present)) {
    return split_failed(*error);
  }
  if (spec.drain_s <= 0 && !ended) result.ended_at_s = spec.duration_s;
  result.simulator_events = ns3::Simulator::GetEventCount();
  if (crowd_traffic) {
    result.crowd_sent = crowd_traffic->sent();
    result.crowd_delivered = crowd_traffic->delivered();
  }
  for (const auto& [event, churn] : churns_by_event) result.churned += churn.departures();
  if (ns3::Ptr<YtServerApp> last = restarted ? restarted : server; last && last->Core()) {
    const ServerStats& st = last->Core()->stats();
    result.server = {{"logins", st.logins},
                     {"tunnel_instructions", st.tunnel_instructions},
                     {"relay_offers", st.relay_offers},
                     {"plans_queued", st.plans_queued},
                     {"mapping_refreshes", st.mapping_refreshes},
                     {"refreshes_missed", st.refreshes_missed},
                     {"relay_forwarded_packets", last->Core()->relay_stats().forwarded_packets},
                     {"relay_repicks", st.relay_repicks}};
  }
  const auto built_in_forwarded = result.server.find("relay_forwarded_packets");
  result.relays.push_back({kBuiltInRelay, spec.server_delay_ms,
                           built_in_forwarded == result.server.end() ? 0 : built_in_forwarded->second, -1});
  for (std::size_t k = 0; k < spec.relays.size(); ++k) {
    result.relays.push_back({spec.relays[k].name, spec.relays[k].delay_ms, relays[k]->Forwarded(), relay_down_at[k + 1]});
  }
  for (std::size_t s = 0; s < spec.sites.size(); ++s) {
    SpecSite site;
    site.name = spec.sites[s].name;
    for (const auto& nat : sites[s].nats) {
      site.tuple_clashes += nat->GetModel()->counters().tuple_clashes;
      site.mappings_created += nat->GetModel()->counters().mappings_created;
    }
    for (std::size_t b = 0; b < background_hosts.size(); ++b) {
      if (background_hosts[b].first == s) site.background_flows = background[b]->Flows();
    }
    result.sites.push_back(site);
  }

  for (std::size_t i = 0; i < n; ++i) {
    if (!local_client[i]) continue;  // the other process's (below)
    if (!apps[i]->Started()) continue;  // its login time was after the end
    result.clients[i].online_at_end = apps[i]->Core().state() == ClientState::kOnline;
    const ClientCore::MappingLifetimeStatus lifetime = apps[i]->Core().mapping_lifetime();
    auto seconds = [](Duration d) { return std::chrono::duration<double>(d).count(); };
    result.clients[i].lifetime_lower_s = lifetime.lower ? seconds(*lifetime.lower) : -1;
    result.clients[i].lifetime_upper_s = lifetime.upper ? seconds(*lifetime.upper) : -1;
    result.clients[i].keepalive_s = seconds(lifetime.keepalive);
  }
  if (split) {
    // The second process's part, to the first, which builds the result.
    if (me == 1) {
      spec_detail::PartitionReport report =
          spec_detail::partition_report(result, sides, relay_reported, local_client, site_of);
      report.peak_rss_bytes = peak_rss_bytes();
      SplitRun::EndChild(split->Post(spec_detail::encode(report)));
    }
    auto theirs = split->Take();
    if (!theirs) return split_failed(theirs.error());
    auto report = spec_detail::decode_partition_report(*theirs);
    if (!report) return split_failed("the second process's report is malformed");
    if (auto error = spec_detail::merge_partition_report(std::move(*report), result, sides, relay_reported)) {
      return split_failed(*error);
    }
    split.reset();  // waits for the second process's end
  }
  // Traffic, datagram by datagram, and per second of offering.
  const auto buckets = static_cast<std::size_t>(std::ceil(result.ended_at_s));
  if (!traffics.empty()) {
    result.timeline.resize(buckets);
    for (std::size_t b = 0; b < buckets; ++b) result.timeline[b].t = static_cast<double>(b);
  }
  for (const NetworkTraffic& t : traffics) {
    for (std::size_t a = 0; a < t.members.size(); ++a) {
      for (std::size_t b = 0; b < t.members.size(); ++b) {
        if (a == b) continue;
        const TunnelTraffic::Flow& f = t.traffic->flow(a, b);
        result.traffic.push_back({names[t.members[a]], names[t.members[b]], f.offered_at, f.arrived_at, f.relayed});
        for (std::size_t k = 0; k < f.offered_at.size(); ++k) {
          const auto second = static_cast<std::size_t>(f.offered_at[k]);
          if (second >= buckets) continue;
          ++result.timeline[second].offered;
          result.timeline[second].delivered += f.arrived_at[k] >= 0 ? 1 : 0;
        }
      }
    }
  }
  for (const auto& [a, b] : pairs) {
    const Side sa = sides[{a, b}];
    const Side sb = sides[{b, a}];
    const SpecClient& ca = result.clients[a];
    const SpecClient& cb = result.clients[b];
    SpecPair p;
    p.a = names[a];
    p.b = names[b];
    const PublicKey& ka = client_ids[a].public_key;
    const PublicKey& kb = client_ids[b].public_key;
    if (auto at = probes.DirectSince(ka, kb)) {
      p.direct_at_s = *at;
      p.time_to_direct_ms = std::max(sa.time_to_direct_ms, sb.time_to_direct_ms);
    }
    if (auto at = probes.FirstRelayedSince(ka, kb)) p.relayed_at_s = *at;
    if (auto at = probes.RelayedSince(ka, kb)) p.relayed_since_s = *at;
    p.relay = agreed_relay(a, b);
    p.relay_changes = relay_changes[{a, b}];
    if (sa.time_to_first_path_ms >= 0 && sb.time_to_first_path_ms >= 0 && (p.direct_at_s >= 0 || p.relayed_at_s >= 0)) {
      p.time_to_first_path_ms = std::max(sa.time_to_first_path_ms, sb.time_to_first_path_ms);
    }
    p.direct_at_end = sa.direct_now && sb.direct_now;
    if (sa.first_up_at_s >= 0 || sb.first_up_at_s >= 0) {
      p.reported_up_at_s = sa.first_up_at_s < 0   ? sb.first_up_at_s
                           : sb.first_up_at_s < 0 ? sa.first_up_at_s
                                                  : std::min(sa.first_up_at_s, sb.first_up_at_s);
    }
    p.reported_tunnel = sa.reported_tunnel || sb.reported_tunnel;
    p.outcome = p.direct_at_s >= 0 ? "direct" : p.relayed_at_s >= 0 ? "relayed" : "failed";
    if (p.outcome != "direct") {
      if (ca.online_at_s < 0 || cb.online_at_s < 0) {
        const SpecClient& offline = ca.online_at_s < 0 ? ca : cb;
        p.failure = offline.name + " never came online";
        if (!offline.failure.empty()) p.failure += " (" + offline.failure + ")";
      } else if (!sa.failure.empty() || !sb.failure.empty()) {
        p.failure = !sa.failure.empty() ? sa.failure : sb.failure;
      } else if (sa.time_to_first_path_ms >= 0 || sb.time_to_first_path_ms >= 0) {
        p.failure = "tunnel up but data did not cross both ways directly";
      } else {
        p.failure = "no direct path within the time limit";
      }
    }
    result.pairs.push_back(p);
  }
  for (std::size_t f = 0; f < flow_events.size(); ++f) {
    SpecFlow& flow = result.flows[f];
    const double end = std::min(result.ended_at_s, flow.start_s + flow_events[f]->duration_s);
    flow.longest_gap_s = std::max(flow.longest_gap_s, end - last_arrival[f]);
  }
  result.log = event_log.lines();
  ns3::Simulator::Destroy();
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return result;
}

}  // namespace yt::emulation

namespace yt::emulation {

std::uint64_t SpecTraffic::lost() const {
  return static_cast<std::uint64_t>(std::count_if(arrived_at.begin(), arrived_at.end(), [](double t) { return t < 0; }));
}

}  // namespace yt::emulation
