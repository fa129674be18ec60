#include "emulation/public_peer_scenario.h"

#include <ns3/core-module.h>

#include <algorithm>
#include <array>

#include "emulation/event_log.h"
#include "emulation/matrix_scenario.h"
#include "emulation/ns3_conversions.h"
#include "emulation/path_probes.h"
#include "emulation/scenario_nodes.h"
#include "emulation/topology.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

constexpr char kNetwork[] = "office";

}  // namespace

std::optional<std::string> check_public_peer_options(const PublicPeerOptions& options) {
  std::vector<std::string> known = matrix_profile_names();
  for (const std::string* name : {&options.alice_nat, &options.bob_nat}) {
    if (std::find(known.begin(), known.end(), *name) == known.end()) return "unknown NAT profile '" + *name + "'";
  }
  return std::nullopt;
}

Result<PublicPeerResult, std::string> run_public_peer(const PublicPeerOptions& options) {
  if (auto error = check_public_peer_options(options)) return Err{*error};
  PublicPeerResult result;
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(options.seed);

  EventLog log;
  Topology topology;
  LinkSpec access;
  access.delay = options.access_delay;
  LinkSpec near_core;
  near_core.delay = options.public_delay;
  NatSiteOptions slow_lan;
  slow_lan.lan.delay = options.alice_lan_delay;
  slow_lan.lan.point_to_point = true;  // a slow hop, not a long wire (LanSpec)
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(access, 2);
  NatSite alice_site = topology.AddNatSite(matrix_profile_chain(options.alice_nat), 1, access, slow_lan);
  ns3::Ptr<ns3::Node> frank_node = topology.AddPublicHost(near_core);
  NatSite bob_site = topology.AddNatSite(matrix_profile_chain(options.bob_nat), 1, access);
  int64_t stream = topology.AssignStreams(0);

  Ns3RandomSource key_rng;
  stream += key_rng.assign_streams(stream);
  Identity server_identity = Identity::generate(key_rng);
  std::array<Identity, 3> ids{Identity::generate(key_rng), Identity::generate(key_rng), Identity::generate(key_rng)};
  enum { kAlice, kFrank, kBob };

  // All three are members from the start: the run is about the tunnels.
  ServerConfig server_config;
  MemoryStorage storage;
  add_members(storage, server_config, kNetwork, {ids[kAlice].public_key, ids[kFrank].public_key, ids[kBob].public_key});

  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  server_config.discovery_endpoints = discovery_endpoints(server_ips);
  server_config.password_strength = PwhashStrength::minimum();
  if (options.follower_delay) server_config.punch_follower_delay = *options.follower_delay;
  install_server(server_node, server_config, server_identity, &storage, &log, stream);

  PathProbes probes;
  std::array<bool, 3> online{};
  std::array<ns3::Ptr<YtClientApp>, 3> apps;
  const std::array<ns3::Ptr<ns3::Node>, 3> nodes{alice_site.hosts.at(0), frank_node, bob_site.hosts.at(0)};
  const std::array<const char*, 3> names{"alice", "frank", "bob"};
  for (int i = 0; i < 3; ++i) {
    apps[i] = install_client(nodes[i], names[i], server_ips.at(0), server_identity.public_key, ids[i], 0.5 + 0.1 * i,
                             &log, stream);
    apps[i]->SetEventCallback([&, i](const ClientEvent& event) {
      probes.OnEvent(PeekPointer(apps[i]), event);
      if (std::holds_alternative<Synced>(event)) online[i] = true;
    });
  }

  const std::array<std::pair<int, int>, 3> pairs{{{kAlice, kFrank}, {kAlice, kBob}, {kBob, kFrank}}};
  auto all_direct = [&] {
    return std::all_of(pairs.begin(), pairs.end(), [&](const std::pair<int, int>& p) {
      return probes.Direct(ids[p.first].public_key, ids[p.second].public_key);
    });
  };
  // Stops once every pair is direct, or the time limit after all three are online.
  std::optional<ns3::Time> all_online_at;
  const ns3::Time hard_stop = ns3::Seconds(30) + to_ns3(options.time_limit);
  std::function<void()> watch = [&] {
    if (!all_online_at && online[kAlice] && online[kFrank] && online[kBob]) all_online_at = ns3::Simulator::Now();
    bool expired = all_online_at && ns3::Simulator::Now() - *all_online_at > to_ns3(options.time_limit);
    if (all_direct() || expired || ns3::Simulator::Now() >= hard_stop) {
      ns3::Simulator::Stop();
      return;
    }
    ns3::Simulator::Schedule(ns3::MilliSeconds(50), watch);
  };
  ns3::Simulator::Schedule(ns3::MilliSeconds(50), watch);
  ns3::Simulator::Run();

  for (const auto& [x, y] : pairs) {
    result.pairs.push_back({names[x], names[y], probes.Direct(ids[x].public_key, ids[y].public_key)});
  }
  for (const ns3::Ptr<NatRouting>& nat : alice_site.nats) result.alice_nat_clashes += nat->GetModel()->counters().tuple_clashes;
  result.all_online = all_online_at.has_value();
  ns3::Simulator::Destroy();
  result.log = log.lines();
  return result;
}

}  // namespace yt::emulation
