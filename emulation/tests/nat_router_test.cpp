// The ns-3 NAT router runs the nat-models translators on real simulated traffic:
// every named profile (and the stacked one) maps, filters, hairpins, passes TCP
// and ICMP errors the way its config says, with correct checksums, reproducibly.
#include "emulation/nat_router.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ns3/boolean.h>
#include <ns3/core-module.h>

#include <memory>
#include <optional>

#include "emulation/ns3_conversions.h"
#include "emulation/tests/nat_router_test_util.h"
#include "emulation/topology.h"
#include "nat-models/nat_profiles.h"

namespace yt::emulation {
namespace {

using testing::all_profile_names;
using testing::TcpSender;
using testing::TcpSink;
using testing::test_name;
using testing::UdpPeer;

constexpr std::uint16_t kHostPort = 5000;
constexpr std::uint16_t kEchoPort = 3478;
constexpr std::uint16_t kOtherPort = 3479;

enum class Unsolicited { kOtherIp, kOtherPort };

// Whether one device lets in a packet from a remote the inside has not sent to.
bool device_admits(const nat::NatConfig& c, Unsolicited kind) {
  if (c.mode == nat::NatMode::kOneToOne) return true;
  switch (c.filtering) {
    case FilteringBehavior::kEndpointIndependent: return true;
    case FilteringBehavior::kAddressDependent: return kind == Unsolicited::kOtherPort;
    case FilteringBehavior::kAddressPortDependent: return false;
  }
  return false;
}

bool chain_admits(const std::vector<nat::NatConfig>& chain, Unsolicited kind) {
  for (const nat::NatConfig& c : chain) {
    if (!device_admits(c, kind)) return false;
  }
  return true;
}

bool chain_is_eim(const std::vector<nat::NatConfig>& chain) {
  for (const nat::NatConfig& c : chain) {
    if (c.mode == nat::NatMode::kNapt && c.mapping != MappingBehavior::kEndpointIndependent) return false;
  }
  return true;
}

// The public endpoint the chain gives `internal` towards `remote`, per the models.
std::optional<Endpoint> chain_lookup(const NatSite& site, nat::Transport transport, Endpoint internal,
                                     Endpoint remote) {
  for (const auto& nat : site.nats) {
    auto next = nat->GetModel()->find_public_endpoint(transport, internal, remote, core_now());
    if (!next) return std::nullopt;
    internal = *next;
  }
  return internal;
}

std::uint64_t drops(const NatSite& site, nat::Verdict v) {
  std::uint64_t n = 0;
  for (const auto& nat : site.nats) {
    const nat::NatCounters& c = nat->GetModel()->counters();
    const auto i = static_cast<std::size_t>(v);
    n += c.outbound[i] + c.inbound[i] + c.icmp[i];
  }
  return n;
}

class SimulationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ns3::RngSeedManager::SetSeed(1);
    ns3::RngSeedManager::SetRun(1);
  }
  void TearDown() override { ns3::Simulator::Destroy(); }
  static void RunFor(double seconds) {
    ns3::Simulator::Stop(ns3::Seconds(seconds));
    ns3::Simulator::Run();
  }
};

class NatProfileTest : public SimulationTest, public ::testing::WithParamInterface<std::string> {};

// (a) A host behind the NAT (chain) sends UDP to a public echo node: the echo node
// sees the NAT's public IP with the port the allocation policy gives, the reply
// comes back, and unsolicited packets are admitted exactly as the filtering says.
TEST_P(NatProfileTest, UdpMappingRepliesAndFiltering) {
  const std::vector<nat::NatConfig> chain = *nat::profile_chain(GetParam());
  const nat::NatConfig& outer = chain.back();
  Topology topology;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
  ns3::Ptr<ns3::Node> third_node = topology.AddPublicHost();
  ns3::Ptr<ns3::Node> fourth_node = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(chain, 1);
  ASSERT_TRUE(site.Valid());
  ASSERT_EQ(site.nats.size(), chain.size());
  topology.AssignStreams(0);

  const Endpoint internal{topology.AddressOf(site.hosts[0]), kHostPort};
  const Endpoint echo_ep{topology.AddressOf(echo_node), kEchoPort};
  const Endpoint third_ep{topology.AddressOf(third_node), kEchoPort};
  const Endpoint fourth_ep{topology.AddressOf(fourth_node), kEchoPort};
  UdpPeer host(site.hosts[0], kHostPort);
  UdpPeer echo(echo_node, kEchoPort, /*echo=*/true);
  UdpPeer echo_other_port(echo_node, kOtherPort);
  UdpPeer third(third_node, kEchoPort);
  UdpPeer fourth(fourth_node, kEchoPort);

  host.SendAt(0.1, echo_ep, "hello");
  std::optional<Endpoint> expected;
  ns3::Simulator::Schedule(ns3::Seconds(0.3), [&] {
    expected = chain_lookup(site, nat::Transport::kUdp, internal, echo_ep);
    if (echo.received.empty()) return;
    third.SendTo(echo.received[0].from, "from-other-ip");
    echo_other_port.SendTo(echo.received[0].from, "from-other-port");
  });
  host.SendAt(0.5, third_ep, "to-third");
  host.SendAt(0.6, fourth_ep, "to-fourth");
  RunFor(1.0);

  if (!outer.udp_allowed || !chain.front().udp_allowed) {
    EXPECT_TRUE(echo.received.empty());
    EXPECT_TRUE(third.received.empty());
    EXPECT_TRUE(host.received.empty());
    EXPECT_EQ(drops(site, nat::Verdict::kDropBlocked), 3u);  // every datagram, at the first device
    return;
  }

  const UdpPeer::Datagram* hello = echo.Find("hello");
  ASSERT_NE(hello, nullptr);
  const Endpoint mapped = hello->from;
  ASSERT_TRUE(expected.has_value());
  EXPECT_EQ(mapped, *expected);  // the model's mapping is what the Internet sees
  EXPECT_EQ(mapped.ip, site.public_ips.at(0));
  if (outer.mode == nat::NatMode::kOneToOne || outer.allocation == PortAllocation::kPreserve) {
    if (chain.size() == 1) {
      EXPECT_EQ(mapped.port, kHostPort);
    }
  } else {
    EXPECT_GE(mapped.port, outer.port_min);
    EXPECT_LE(mapped.port, outer.port_max);
  }
  // The reply makes it back through every device.
  const UdpPeer::Datagram* reply = host.Find("echo:hello");
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->from, echo_ep);

  EXPECT_EQ(host.Find("from-other-ip") != nullptr, chain_admits(chain, Unsolicited::kOtherIp));
  EXPECT_EQ(host.Find("from-other-port") != nullptr, chain_admits(chain, Unsolicited::kOtherPort));

  // Mapping behaviour: a second destination reuses the mapping only under EIM, and
  // not on a conntrack NAT whose filter dropped that destination's unsolicited
  // packet: the tuple it left moves our flow to another port (nat_config.h).
  const bool claimed = !chain_admits(chain, Unsolicited::kOtherIp) &&
                       std::any_of(chain.begin(), chain.end(),
                                   [](const nat::NatConfig& c) { return c.unsolicited_inbound_claims_tuple; });
  const UdpPeer::Datagram* to_third = third.Find("to-third");
  ASSERT_NE(to_third, nullptr);
  EXPECT_EQ(to_third->from == mapped, chain_is_eim(chain) && !claimed) << to_third->from.to_string();
  // A later new destination: under EIM it gets the mapping new flows use now,
  // which after such a clash is the moved one.
  const UdpPeer::Datagram* to_fourth = fourth.Find("to-fourth");
  ASSERT_NE(to_fourth, nullptr);
  EXPECT_EQ(to_fourth->from == to_third->from, chain_is_eim(chain)) << to_fourth->from.to_string();
  if (chain.size() == 1 && outer.mode == nat::NatMode::kNapt && outer.allocation == PortAllocation::kSequential) {
    EXPECT_EQ(to_third->from.port, mapped.port + outer.sequential_delta);
  }
}

// (b) TCP through the NAT: connections to 443 and 8080 carry their bytes (with
// ns-3's checksum verification on, so rewritten headers must be exact), except
// that tcp-443-only lets only 443 out. udp-blocked still passes TCP.
TEST_P(NatProfileTest, TcpThroughTheNat) {
  // Every node verifies IP and TCP checksums while this test runs.
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));
  struct Restore {
    ~Restore() { ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(false)); }
  } restore;

  const std::vector<nat::NatConfig> chain = *nat::profile_chain(GetParam());
  const bool only_443 = !chain.back().tcp_allowed_dst_ports.empty() || !chain.front().tcp_allowed_dst_ports.empty();
  Topology topology;
  ns3::Ptr<ns3::Node> server = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(chain, 1);
  ASSERT_TRUE(site.Valid());
  topology.AssignStreams(0);
  const Ipv4 server_ip = topology.AddressOf(server);

  constexpr std::uint32_t kBytes = 20000;
  TcpSink https(server, 443);
  TcpSink other(server, 8080);
  TcpSender to_https(site.hosts[0], Endpoint{server_ip, 443}, kBytes, 0.1);
  TcpSender to_other(site.hosts[0], Endpoint{server_ip, 8080}, kBytes, 0.1);
  RunFor(1.5);

  EXPECT_TRUE(to_https.connected);
  EXPECT_EQ(https.bytes, kBytes);
  ASSERT_EQ(https.peers.size(), 1u);
  EXPECT_EQ(https.peers[0].ip, site.public_ips.at(0));
  if (only_443) {
    EXPECT_FALSE(to_other.connected);
    EXPECT_EQ(other.bytes, 0u);
    EXPECT_TRUE(other.peers.empty());
    EXPECT_GE(drops(site, nat::Verdict::kDropBlocked), 1u);
  } else {
    EXPECT_TRUE(to_other.connected);
    EXPECT_EQ(other.bytes, kBytes);
  }
  // The FIN exchange went through the model's TCP tracking without a state drop.
  EXPECT_EQ(drops(site, nat::Verdict::kDropTcpState), 0u);
}

INSTANTIATE_TEST_SUITE_P(Profiles, NatProfileTest, ::testing::ValuesIn(all_profile_names()),
                         [](const auto& info) { return test_name(info.param); });

// The translated UDP checksum is right too: with verification on, echoes survive.
TEST_F(SimulationTest, UdpChecksumsAreCorrectAfterTranslation) {
  ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(true));
  struct Restore {
    ~Restore() { ns3::GlobalValue::Bind("ChecksumEnabled", ns3::BooleanValue(false)); }
  } restore;
  Topology topology;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("home-behind-cgnat"), 1);
  topology.AssignStreams(0);
  UdpPeer host(site.hosts[0], kHostPort);
  UdpPeer echo(echo_node, kEchoPort, true);
  host.SendAt(0.1, Endpoint{topology.AddressOf(echo_node), kEchoPort}, "checksummed");
  RunFor(0.5);
  EXPECT_NE(echo.Find("checksummed"), nullptr);
  EXPECT_NE(host.Find("echo:checksummed"), nullptr);
}

// ICMP port unreachable from the Internet is translated back to the sender, through
// one NAT and through a chain.
TEST_F(SimulationTest, IcmpPortUnreachableReachesTheInternalHost) {
  for (const char* profile : {"port-restricted-cone", "home-behind-cgnat"}) {
    SCOPED_TRACE(profile);
    Topology topology;
    ns3::Ptr<ns3::Node> remote = topology.AddPublicHost();
    NatSite site = topology.AddNatSite(*nat::profile_chain(profile), 1);
    topology.AssignStreams(0);
    const Ipv4 remote_ip = topology.AddressOf(remote);
    UdpPeer host(site.hosts[0], kHostPort);
    host.SendAt(0.1, Endpoint{remote_ip, 9}, "nobody listens");  // closed port
    RunFor(0.5);
    ASSERT_EQ(host.icmp.size(), 1u);
    EXPECT_EQ(host.icmp[0].from, remote_ip);
    EXPECT_EQ(host.icmp[0].type, 3);  // destination unreachable
    EXPECT_EQ(host.icmp[0].code, 3);  // port unreachable
    for (const auto& nat : site.nats) EXPECT_EQ(nat->GetRouterCounters().icmp_forwarded, 1u);
    ns3::Simulator::Destroy();
  }
}

// An ICMP error quoting traffic the mapping never sent is dropped, not forwarded.
TEST_F(SimulationTest, IcmpErrorWithoutMappingIsDropped) {
  Topology topology;
  ns3::Ptr<ns3::Node> remote = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("full-cone"), 1);
  topology.AssignStreams(0);
  UdpPeer host(site.hosts[0], kHostPort);
  host.SendAt(0.1, Endpoint{topology.AddressOf(remote), 9}, "x");
  // Reboot the NAT while the datagram is on the wire: the error finds no mapping.
  ns3::Simulator::Schedule(ns3::Seconds(0.105), [&] { site.nats[0]->GetModel()->flush(); });
  RunFor(0.5);
  EXPECT_TRUE(host.icmp.empty());
  EXPECT_EQ(site.nats[0]->GetModel()->counters().icmp[static_cast<std::size_t>(nat::Verdict::kDropNoMapping)], 1u);
}

// (c) Two hosts behind one NAT reach each other through their public mappings when
// the NAT hairpins, and the packet shows the sender's public endpoint.
TEST_F(SimulationTest, HairpinningBetweenHostsOfOneNat) {
  struct Case {
    const char* profile;
    bool hairpin;
  };
  for (Case c : {Case{"full-cone", true}, Case{"restricted-cone", false}}) {
    SCOPED_TRACE(c.profile);
    Topology topology;
    ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
    NatSite site = topology.AddNatSite(*nat::profile_chain(c.profile), 2);
    ASSERT_EQ(site.hosts.size(), 2u);
    topology.AssignStreams(0);
    const Endpoint echo_ep{topology.AddressOf(echo_node), kEchoPort};
    UdpPeer echo(echo_node, kEchoPort, true);
    UdpPeer a(site.hosts[0], kHostPort);
    UdpPeer b(site.hosts[1], kHostPort);  // same port: the second one may lose preservation
    a.SendAt(0.1, echo_ep, "a");
    b.SendAt(0.15, echo_ep, "b");
    ns3::Simulator::Schedule(ns3::Seconds(0.4), [&] {
      if (const auto* seen = echo.Find("b")) a.SendTo(seen->from, "a->b via public");
    });
    RunFor(0.8);
    ASSERT_NE(echo.Find("a"), nullptr);
    ASSERT_NE(echo.Find("b"), nullptr);
    const Endpoint a_public = echo.Find("a")->from;
    const UdpPeer::Datagram* got = b.Find("a->b via public");
    nat::NatModel& model = *site.nats[0]->GetModel();
    if (c.hairpin) {
      ASSERT_NE(got, nullptr);
      EXPECT_EQ(got->from, a_public);
      EXPECT_EQ(site.nats[0]->GetRouterCounters().hairpinned, 1u);
    } else {
      EXPECT_EQ(got, nullptr);
      EXPECT_EQ(model.counters().outbound[static_cast<std::size_t>(nat::Verdict::kDropNoHairpin)], 1u);
    }
    ns3::Simulator::Destroy();
  }
}

// Hairpinning through an APDF NAT behaves like a punch: the first packet is
// filtered, the answer opens both sides.
TEST_F(SimulationTest, HairpinPunchThroughPortRestrictedCone) {
  Topology topology;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("port-restricted-cone"), 2);
  topology.AssignStreams(0);
  const Endpoint echo_ep{topology.AddressOf(echo_node), kEchoPort};
  UdpPeer echo(echo_node, kEchoPort, true);
  UdpPeer a(site.hosts[0], kHostPort);
  UdpPeer b(site.hosts[1], kHostPort + 1);
  a.SendAt(0.1, echo_ep, "a");
  b.SendAt(0.1, echo_ep, "b");
  auto public_of = [&](const char* text) { return echo.Find(text)->from; };
  ns3::Simulator::Schedule(ns3::Seconds(0.3), [&] { a.SendTo(public_of("b"), "a1"); });  // filtered at b's mapping
  ns3::Simulator::Schedule(ns3::Seconds(0.4), [&] { b.SendTo(public_of("a"), "b1"); });  // a has sent to b: in
  ns3::Simulator::Schedule(ns3::Seconds(0.5), [&] { a.SendTo(public_of("b"), "a2"); });  // b has sent to a: in
  RunFor(0.8);
  EXPECT_EQ(b.Find("a1"), nullptr);
  EXPECT_NE(a.Find("b1"), nullptr);
  EXPECT_NE(b.Find("a2"), nullptr);
  EXPECT_EQ(site.nats[0]->GetModel()->counters().outbound[static_cast<std::size_t>(nat::Verdict::kDropFiltered)], 1u);
}

// A NAT reboot (flush) forgets the mapping: the echo's later packet is dropped.
TEST_F(SimulationTest, NatRebootForgetsMappings) {
  Topology topology;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("full-cone"), 1);
  topology.AssignStreams(0);
  const Endpoint echo_ep{topology.AddressOf(echo_node), kEchoPort};
  UdpPeer host(site.hosts[0], kHostPort);
  UdpPeer echo(echo_node, kEchoPort);
  host.SendAt(0.1, echo_ep, "before");
  ns3::Simulator::Schedule(ns3::Seconds(0.3), [&] { site.nats[0]->GetModel()->flush(); });
  ns3::Simulator::Schedule(ns3::Seconds(0.4), [&] { echo.SendTo(echo.received.at(0).from, "after reboot"); });
  RunFor(0.8);
  EXPECT_EQ(host.Find("after reboot"), nullptr);
  EXPECT_EQ(site.nats[0]->GetModel()->counters().inbound[static_cast<std::size_t>(nat::Verdict::kDropNoMapping)], 1u);
}

// The model runs on simulation time: linux-masquerade forgets an unanswered UDP
// mapping after 30 s, so the remote's late answer is dropped as expired.
TEST_F(SimulationTest, UnrepliedMappingExpiresOnSimulationTime) {
  Topology topology;
  ns3::Ptr<ns3::Node> remote = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("linux-masquerade"), 1);
  topology.AssignStreams(0);
  UdpPeer host(site.hosts[0], kHostPort);
  UdpPeer peer(remote, kEchoPort);
  host.SendAt(0.1, Endpoint{topology.AddressOf(remote), kEchoPort}, "hello");
  ns3::Simulator::Schedule(ns3::Seconds(29.0), [&] { peer.SendTo(peer.received.at(0).from, "in time"); });
  // The answer at 29 s refreshed the mapping to the 120 s "replied" lifetime.
  ns3::Simulator::Schedule(ns3::Seconds(140.0), [&] { peer.SendTo(peer.received.at(0).from, "still in time"); });
  ns3::Simulator::Schedule(ns3::Seconds(261.0), [&] { peer.SendTo(peer.received.at(0).from, "too late"); });
  RunFor(262.0);
  EXPECT_NE(host.Find("in time"), nullptr);
  EXPECT_NE(host.Find("still in time"), nullptr);
  EXPECT_EQ(host.Find("too late"), nullptr);
  EXPECT_EQ(site.nats[0]->GetModel()->counters().inbound[static_cast<std::size_t>(nat::Verdict::kDropExpired)], 1u);
}

// ICMP errors from the LAN are not translated (the model has no outbound ICMP):
// a one-to-one host's port unreachable stays inside and is counted.
TEST_F(SimulationTest, OutboundIcmpIsNotTranslated) {
  Topology topology;
  ns3::Ptr<ns3::Node> remote = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("one-to-one"), 1);
  topology.AssignStreams(0);
  UdpPeer peer(remote, kEchoPort);
  peer.SendAt(0.1, Endpoint{site.public_ips.at(0), 9}, "to a closed port");  // the host answers ICMP
  RunFor(0.5);
  EXPECT_TRUE(peer.icmp.empty());
  EXPECT_EQ(site.nats[0]->GetRouterCounters().inbound_forwarded, 1u);
  EXPECT_EQ(site.nats[0]->GetRouterCounters().untranslatable, 1u);
}

// (e) Same seed, same mapped ports for random allocation; another seed, others.
std::vector<std::uint16_t> random_ports(std::uint64_t run, const char* profile) {
  ns3::RngSeedManager::SetSeed(1);
  ns3::RngSeedManager::SetRun(run);
  Topology topology;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain(profile), 1);
  topology.AssignStreams(0);
  UdpPeer echo(echo_node, kEchoPort);
  std::vector<std::unique_ptr<UdpPeer>> sockets;
  for (int i = 0; i < 4; ++i) {
    sockets.push_back(std::make_unique<UdpPeer>(site.hosts[0], static_cast<std::uint16_t>(kHostPort + i)));
    sockets.back()->SendAt(0.1 + 0.01 * i, Endpoint{topology.AddressOf(echo_node), kEchoPort}, std::to_string(i));
  }
  ns3::Simulator::Stop(ns3::Seconds(0.5));
  ns3::Simulator::Run();
  std::vector<std::uint16_t> ports;
  for (const auto& d : echo.received) ports.push_back(d.from.port);
  ns3::Simulator::Destroy();
  return ports;
}

TEST_F(SimulationTest, SameSeedSameRandomPorts) {
  for (const char* profile : {"symmetric-random", "cgnat"}) {
    SCOPED_TRACE(profile);
    const std::vector<std::uint16_t> first = random_ports(7, profile);
    ASSERT_EQ(first.size(), 4u);
    EXPECT_EQ(random_ports(7, profile), first);
    EXPECT_NE(random_ports(8, profile), first);
  }
  // cgnat: all of one subscriber's ports come from its one 512-port block.
  const nat::NatConfig cgnat = *nat::profile("cgnat");
  const std::vector<std::uint16_t> ports = random_ports(9, "cgnat");
  ASSERT_EQ(ports.size(), 4u);
  for (std::uint16_t port : ports) {
    EXPECT_EQ((port - cgnat.port_min) / cgnat.port_block_size, (ports[0] - cgnat.port_min) / cgnat.port_block_size);
  }
}

}  // namespace
}  // namespace yt::emulation
