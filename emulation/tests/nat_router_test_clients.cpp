// (d) The yellowtail client and server apps behind modeled NATs: clients behind a
// full-cone NAT and behind port-restricted-cone NATs (two of them behind one NAT)
// log in, discovery reports the NAT's public endpoint, and the server-driven
// punches give direct tunnels between every pair.
#include <gtest/gtest.h>
#include <ns3/core-module.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulation/event_log.h"
#include "emulation/ns3_conversions.h"
#include "emulation/topology.h"
#include "emulation/yt_client_app.h"
#include "emulation/yt_server_app.h"
#include "nat-models/nat_profiles.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

constexpr std::uint16_t kControlPort = 12975;
constexpr std::uint16_t kDiscoveryPort = 12975;
constexpr std::uint16_t kAltDiscoveryPort = 12976;
constexpr std::uint16_t kClientUdpPort = 4500;  // YtClientApp's default "UdpPort"
constexpr char kNetwork[] = "nat-party";
constexpr char kPassword[] = "behind the router";

struct Client {
  std::string name;
  const NatSite* site = nullptr;
  int host = 0;
  ns3::Ptr<YtClientApp> app;
  bool logged_in = false;
  bool synced = false;
  bool join_sent = false;
  std::optional<Endpoint> mapped;
  std::optional<Endpoint> expected_mapped;  // per the NAT model, read at DiscoveryDone
  std::set<std::string> tunnels;            // peers with a direct tunnel up
};

TEST(NatClientsTest, ClientsBehindConeNatsLogInDiscoverAndTunnel) {
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(3);
  EventLog log;
  Topology topology;
  LinkSpec link;
  link.delay = 15ms;
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(link, 2);
  ASSERT_TRUE(server_node);
  NatSite full_cone = topology.AddNatSite(*nat::profile_chain("full-cone"), 1, link);
  NatSite shared = topology.AddNatSite(*nat::profile_chain("port-restricted-cone"), 2, link);
  NatSite port_restricted = topology.AddNatSite(*nat::profile_chain("port-restricted-cone"), 1, link);
  int64_t stream = topology.AssignStreams(0);

  Ns3RandomSource key_rng;
  stream += key_rng.assign_streams(stream);
  const Identity server_identity = Identity::generate(key_rng);
  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  ASSERT_EQ(server_ips.size(), 2u);

  MemoryStorage storage;
  ServerConfig server_config;
  // RFC 5780 layout: primary, then the other-port / other-IP endpoints.
  server_config.discovery_endpoints = {Endpoint{server_ips[0], kDiscoveryPort},
                                       Endpoint{server_ips[0], kAltDiscoveryPort},
                                       Endpoint{server_ips[1], kDiscoveryPort},
                                       Endpoint{server_ips[1], kAltDiscoveryPort}};
  server_config.password_strength = PwhashStrength::minimum();
  auto server = ns3::CreateObject<YtServerApp>();
  server->Setup("server", server_config, server_identity, &storage, kControlPort, &log);
  stream += server->AssignStreams(stream);
  server_node->AddApplication(server);
  server->SetStartTime(ns3::Seconds(0));

  std::vector<Client> clients(4);
  auto place = [](Client& c, const char* name, const NatSite& site, int host) {
    c.name = name;
    c.site = &site;
    c.host = host;
  };
  place(clients[0], "alice", full_cone, 0);
  place(clients[1], "bob", shared, 0);
  place(clients[2], "carol", shared, 1);  // same NAT and UDP port as bob: loses preservation
  place(clients[3], "dave", port_restricted, 0);
  bool network_created = false;
  std::uint32_t create_request = 0;

  auto name_of = [&](const PublicKey& key) -> std::string {
    for (const Client& c : clients) {
      if (c.app->Key() == key) return c.name;
    }
    return "?";
  };
  auto maybe_join = [&](Client& c) {
    if (c.join_sent || !network_created || !c.synced) return;
    c.join_sent = true;
    ns3::Simulator::ScheduleNow([&c] {
      (void)c.app->Core().join_network(core_now(), kNetwork, kPassword);
      c.app->Pump();
    });
  };

  double start = 0.5;
  for (Client& c : clients) {
    ClientConfig config;
    config.server = Endpoint{server_ips[0], kControlPort};
    config.server_key = server_identity.public_key;
    config.nickname = c.name;
    c.app = ns3::CreateObject<YtClientApp>();
    c.app->Setup(c.name, config, std::nullopt, &log);
    stream += c.app->AssignStreams(stream);
    c.site->hosts[c.host]->AddApplication(c.app);
    c.app->SetStartTime(ns3::Seconds(start));
    start += 0.3;
    const bool creator = &c == &clients[0];
    c.join_sent = creator;  // the creator is a member already
    c.app->SetEventCallback([&, creator, client = &c](const ClientEvent& event) {
      Client& me = *client;
      if (std::holds_alternative<LoggedIn>(event)) {
        me.logged_in = true;
      } else if (auto* done = std::get_if<DiscoveryDone>(&event)) {
        me.mapped = done->mapped_endpoint;
        const Endpoint internal{topology.AddressOf(me.site->hosts[me.host]), kClientUdpPort};
        me.expected_mapped = me.site->nats[0]->GetModel()->find_public_endpoint(
            nat::Transport::kUdp, internal, Endpoint{server_ips[0], kDiscoveryPort}, core_now());
      } else if (std::holds_alternative<Synced>(event)) {
        me.synced = true;
        if (creator && create_request == 0) {
          if (auto id = me.app->Core().create_network(core_now(), kNetwork, kPassword)) create_request = *id;
          me.app->Pump();
        }
        maybe_join(me);
      } else if (auto* request = std::get_if<RequestDone>(&event);
                 creator && request && request->request_id == create_request) {
        network_created = request->code == ReplyCode::kOk;
        for (Client& other : clients) maybe_join(other);
      } else if (auto* up = std::get_if<TunnelUp>(&event)) {
        me.tunnels.insert(name_of(up->peer));
      }
    });
  }

  ns3::Simulator::Stop(ns3::Seconds(12));
  ns3::Simulator::Run();

  EXPECT_TRUE(network_created);
  for (const Client& c : clients) {
    SCOPED_TRACE(c.name);
    EXPECT_TRUE(c.logged_in);
    ASSERT_TRUE(c.mapped.has_value());
    ASSERT_TRUE(c.expected_mapped.has_value());
    EXPECT_EQ(*c.mapped, *c.expected_mapped);  // the NAT's translation, as the server saw it
    EXPECT_EQ(c.mapped->ip, c.site->public_ips.at(0));
    if (c.name != "carol") {
      EXPECT_EQ(c.mapped->port, kClientUdpPort);  // preserved
    }
    for (const Client& peer : clients) {
      if (&peer != &c) {
        EXPECT_EQ(c.tunnels.count(peer.name), 1u) << "no tunnel to " << peer.name;
      }
    }
  }
  EXPECT_NE(clients[2].mapped->port, kClientUdpPort);  // bob holds 4500 on the shared NAT

  ns3::Simulator::Destroy();
}

}  // namespace
}  // namespace yt::emulation
