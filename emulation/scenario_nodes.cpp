#include "emulation/scenario_nodes.h"

#include <ns3/nstime.h>

#include "emulation/ns3_random_source.h"
#include "emulation/point_to_point_link.h"
#include "server/core/address_allocator.h"

namespace yt::emulation {

std::vector<Endpoint> discovery_endpoints(const std::vector<Ipv4>& server_ips) {
  std::vector<Endpoint> out;
  for (Ipv4 ip : server_ips) {
    out.push_back(Endpoint{ip, kScenarioDiscoveryPort});
    out.push_back(Endpoint{ip, kScenarioAlternatePort});
  }
  return out;
}

ScenarioIdentities draw_identities(int64_t& stream, std::size_t relays, std::size_t clients) {
  Ns3RandomSource key_rng;
  stream += key_rng.assign_streams(stream);
  ScenarioIdentities ids{Identity::generate(key_rng), {}, {}};
  for (std::size_t i = 0; i < relays; ++i) ids.relays.push_back(Identity::generate(key_rng));
  for (std::size_t i = 0; i < clients; ++i) ids.clients.push_back(Identity::generate(key_rng));
  return ids;
}

ns3::Ptr<YtServerApp> install_server(ns3::Ptr<ns3::Node> node, const ServerConfig& config, const Identity& identity,
                                     Storage* storage, EventLog* log, int64_t& stream) {
  auto server = ns3::CreateObject<YtServerApp>();
  ServerConfig with_refresh = config;
  if (with_refresh.refresh_endpoints.empty() && !with_refresh.discovery_endpoints.empty()) {
    for (std::uint16_t i = 0; i < kScenarioRefreshPorts; ++i) {
      with_refresh.refresh_endpoints.push_back(
          Endpoint{with_refresh.discovery_endpoints.front().ip, static_cast<std::uint16_t>(kScenarioRefreshPort + i)});
    }
  }
  server->Setup("server", with_refresh, identity, storage, kScenarioControlPort, log);
  stream += server->AssignStreams(stream);
  node->AddApplication(server);
  server->SetStartTime(ns3::Seconds(0));
  return server;
}

ns3::Ptr<YtClientApp> install_client(ns3::Ptr<ns3::Node> node, const std::string& name, Ipv4 server_ip,
                                     const PublicKey& server_key, std::optional<Identity> identity, double start_s,
                                     EventLog* log, int64_t& stream, const ClientConfig& base) {
  ClientConfig config = base;
  config.server = Endpoint{server_ip, kScenarioControlPort};
  config.server_key = server_key;
  config.nickname = name;
  auto client = ns3::CreateObject<YtClientApp>();
  client->Setup(name, config, std::move(identity), log);
  stream += client->AssignStreams(stream);
  node->AddApplication(client);
  client->SetStartTime(ns3::Seconds(start_s));
  // The client's sockets take no ICMP errors (as a Linux UDP socket without
  // IP_RECVERR is told of none); dropped at the host's link, they cost nothing.
  discard_icmp_errors(node);
  return client;
}

ns3::Ptr<YtRelayApp> install_relay(ns3::Ptr<ns3::Node> node, Ipv4 node_ip, const std::string& name, Ipv4 server_ip,
                                   const PublicKey& server_key, const Identity& identity, EventLog* log,
                                   int64_t& stream) {
  RelayNodeConfig config;
  config.server = Endpoint{server_ip, kScenarioControlPort};
  config.server_key = server_key;
  config.name = name;
  config.udp = Endpoint{node_ip, kScenarioRelayPort};
  auto app = ns3::CreateObject<YtRelayApp>();
  app->Setup(config, identity, log);
  stream += app->AssignStreams(stream);
  node->AddApplication(app);
  app->SetStartTime(ns3::MilliSeconds(100));
  return app;
}

void add_members(Storage& storage, const ServerConfig& config, const std::string& network,
                 const std::vector<PublicKey>& keys) {
  // In-memory storage at setup: nothing here can fail that a scenario could handle.
  for (const PublicKey& key : keys) (void)find_or_create_client(storage, config.address_range, key, "");
  (void)storage.create_network(NetworkRecord{network, "", keys.front()});
  for (std::size_t i = 1; i < keys.size(); ++i) (void)storage.add_member(network, keys[i]);
}

}  // namespace yt::emulation
