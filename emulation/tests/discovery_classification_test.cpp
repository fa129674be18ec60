// NAT discovery under ns-3: the real client and server apps, the client behind a
// NAT site (emulation/nat_router.h) built from each named profile, the server with
// discovery endpoints on 2 IPs x 2 ports. The client must classify its NAT as
// tests/sim/discovery_classification_test.cpp does with the bare models (same
// table, same reasons); here the packets cross real ns-3 links, NAT routers and
// sockets.
#include <gtest/gtest.h>
#include <ns3/core-module.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "emulation/event_log.h"
#include "emulation/ns3_conversions.h"
#include "emulation/scenario_nodes.h"
#include "emulation/topology.h"
#include "nat-models/nat_profiles.h"
#include "server/core/memory_storage.h"

namespace yt::emulation {
namespace {

using M = MappingBehavior;
using F = FilteringBehavior;
using A = PortAllocation;

// The control connection uses TCP 443 (scenario_nodes.h): the tcp-443-only firewall
// lets nothing else out.
constexpr std::uint16_t kClientUdpPort = 4500;  // YtClientApp's default "UdpPort"

struct Expected {
  const char* name;
  bool udp_blocked;
  M mapping;
  F filtering;
  A allocation;
  std::int32_t delta;
  bool hairpin;
};

// Why each row holds: see tests/sim/discovery_classification_test.cpp.
const std::vector<Expected> kExpected = {
    {"full-cone", false, M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve, 0, true},
    {"restricted-cone", false, M::kEndpointIndependent, F::kAddressDependent, A::kPreserve, 0, false},
    {"port-restricted-cone", false, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, true},
    {"symmetric-sequential", false, M::kAddressPortDependent, F::kAddressPortDependent, A::kSequential, 1, false},
    {"symmetric-random", false, M::kAddressPortDependent, F::kAddressPortDependent, A::kRandom, 0, false},
    {"linux-masquerade", false, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false},
    {"cgnat", false, M::kEndpointIndependent, F::kEndpointIndependent, A::kRandom, 0, true},
    {"udp-blocked", true, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false},
    {"tcp-443-only", true, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false},
    {"one-to-one", false, M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve, 0, true},
    {"home-behind-cgnat", false, M::kEndpointIndependent, F::kAddressPortDependent, A::kRandom, 0, true},
    // The client asks its router for a mapping before it logs in (client/core/port_mapping.h):
    // an endpoint-independent NAT's mapping then lets everyone in (EIF).
    {"home-router-pcp", false, M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve, 0, false},
};

class DiscoveryClassificationTest : public ::testing::TestWithParam<Expected> {};

TEST_P(DiscoveryClassificationTest, ClientClassifiesItsNat) {
  const Expected& e = GetParam();
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(7);
  EventLog log;
  Topology topology;
  LinkSpec link;
  link.delay = 15ms;
  ns3::Ptr<ns3::Node> server_node = topology.AddServer(link, 2);
  ASSERT_TRUE(server_node);
  NatSite site = topology.AddNatSite(*nat::profile_chain(e.name), 1, link);
  ASSERT_TRUE(site.Valid());
  int64_t stream = topology.AssignStreams(0);

  Ns3RandomSource key_rng;
  stream += key_rng.assign_streams(stream);
  const Identity server_identity = Identity::generate(key_rng);
  const std::vector<Ipv4> server_ips = topology.AddressesOf(server_node);
  ASSERT_EQ(server_ips.size(), 2u);

  MemoryStorage storage;
  ServerConfig server_config;
  server_config.discovery_endpoints = discovery_endpoints(server_ips);
  server_config.password_strength = PwhashStrength::minimum();
  ns3::Ptr<YtServerApp> server = install_server(server_node, server_config, server_identity, &storage, &log, stream);
  ns3::Ptr<YtClientApp> client =
      install_client(site.hosts[0], "alice", server_ips[0], server_identity.public_key, std::nullopt, 0.5, &log, stream);

  std::optional<Time> logged_in_at;
  std::optional<Time> done_at;
  std::optional<DiscoveryDone> done;
  std::optional<NatProfile> at_server;
  client->SetEventCallback([&](const ClientEvent& event) {
    if (std::holds_alternative<LoggedIn>(event)) {
      logged_in_at = core_now();
    } else if (auto* d = std::get_if<DiscoveryDone>(&event)) {
      done = *d;
      done_at = core_now();
      // The report is on its way; read what the server keeps once it has arrived.
      ns3::Simulator::Schedule(ns3::MilliSeconds(200),
                               [&] { at_server = server->Core()->nat_profile(client->Key()); });
    }
  });

  ns3::Simulator::Stop(ns3::Seconds(6));
  ns3::Simulator::Run();

  ASSERT_TRUE(logged_in_at.has_value()) << "the control connection never logged in";
  ASSERT_TRUE(done.has_value());
  const NatProfile& p = done->profile;
  EXPECT_EQ(p.udp_blocked, e.udp_blocked);
  if (e.udp_blocked) {
    EXPECT_LE(*done_at - *logged_in_at, 3s + 100ms);
  } else {
    EXPECT_TRUE(p.behind_nat);
    EXPECT_EQ(done->mapped_endpoint.ip, site.public_ips.at(0));
    EXPECT_EQ(p.public_ips, std::vector<Ipv4>{site.public_ips.at(0)});
    EXPECT_EQ(p.mapping, e.mapping);
    EXPECT_TRUE(p.mapping_known);
    EXPECT_EQ(p.filtering, e.filtering);
    EXPECT_TRUE(p.filtering_known);
    EXPECT_EQ(p.allocation, e.allocation);
    EXPECT_EQ(p.port_delta, e.delta);
    EXPECT_EQ(p.hairpinning, e.hairpin);
    EXPECT_EQ(p.allocation == A::kPreserve, done->mapped_endpoint.port == kClientUdpPort);
    // Round trips of ~31 ms: at most two, plus two absence waits, after the login.
    EXPECT_LE(*done_at - *logged_in_at, 400ms);
  }
  ASSERT_TRUE(at_server.has_value());
  EXPECT_EQ(at_server->summary(), p.summary());
  ns3::Simulator::Destroy();
}

std::string test_name(const ::testing::TestParamInfo<Expected>& info) {
  std::string name = info.param.name;
  for (char& ch : name) {
    if (ch == '-') ch = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Profiles, DiscoveryClassificationTest, ::testing::ValuesIn(kExpected), test_name);

TEST(DiscoveryClassificationCoverage, EveryNamedProfileHasARow) {
  std::vector<std::string> names = nat::profile_names();
  for (const std::string& stacked : nat::stacked_profile_names()) names.push_back(stacked);
  // symmetric-random-natpmp has no row: in this test's run (seed 1, run 7) the router's
  // random allocator draws 38144, 36606, 19548, 4500 (symmetric-random's four discovery
  // mappings); the NAT-PMP mapping takes the first draw, so the primary endpoint's mapping
  // gets 4500, the client's own port, and the classifier reads port preservation. A
  // coincidence of this run's stream (the matrix's runs classify it as random, which
  // birthday probing with --disable portmap needs), not of the model.
  const std::vector<std::string> not_here = {"symmetric-random-natpmp"};
  ASSERT_EQ(names.size(), kExpected.size() + not_here.size());
  for (const Expected& e : kExpected) EXPECT_NE(std::find(names.begin(), names.end(), e.name), names.end()) << e.name;
}

}  // namespace
}  // namespace yt::emulation
