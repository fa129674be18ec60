// The topology builder: the documented address plan, NAT sites (single and
// stacked, several hosts, address pools, renumbering), two-address servers, link
// delays, and refusal of bad input without building anything.
#include "emulation/topology.h"

#include <gtest/gtest.h>
#include <ns3/core-module.h>
#include <ns3/node-list.h>

#include "emulation/host_routing.h"
#include "emulation/ns3_conversions.h"
#include "emulation/tests/nat_router_test_util.h"
#include "nat-models/nat_profiles.h"

namespace yt::emulation {
namespace {

using testing::UdpPeer;

constexpr std::uint16_t kPort = 3478;

Ipv4 ip(const char* text) { return *Ipv4::parse(text); }

class TopologyTest : public ::testing::Test {
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

TEST_F(TopologyTest, AddressPlan) {
  Topology topology;
  ns3::Ptr<ns3::Node> server = topology.AddServer();
  ns3::Ptr<ns3::Node> server2 = topology.AddServer(LinkSpec(), 2);
  ns3::Ptr<ns3::Node> public_host = topology.AddPublicHost();
  NatSite home = topology.AddNatSite(*nat::profile_chain("port-restricted-cone"), 3);
  NatSite stacked = topology.AddNatSite(*nat::profile_chain("home-behind-cgnat"), 1);

  EXPECT_EQ(topology.AddressOf(server), ip("198.51.100.1"));
  EXPECT_EQ(topology.AddressesOf(server2), (std::vector<Ipv4>{ip("198.51.100.5"), ip("198.51.100.9")}));
  EXPECT_EQ(topology.AddressOf(public_host), ip("203.0.113.1"));

  ASSERT_TRUE(home.Valid());
  EXPECT_EQ(home.index, 1);
  ASSERT_EQ(home.hosts.size(), 3u);
  EXPECT_EQ(topology.AddressOf(home.hosts[0]), ip("192.168.1.2"));
  EXPECT_EQ(topology.AddressOf(home.hosts[2]), ip("192.168.1.4"));
  EXPECT_EQ(topology.AddressOf(home.routers[0]), ip("203.0.113.5"));
  EXPECT_EQ(home.public_ips, std::vector<Ipv4>{ip("203.0.113.5")});
  EXPECT_EQ(home.nats[0]->GetModel()->public_ips(), home.public_ips);

  ASSERT_TRUE(stacked.Valid());
  ASSERT_EQ(stacked.routers.size(), 2u);
  EXPECT_EQ(topology.AddressOf(stacked.hosts[0]), ip("192.168.2.2"));
  EXPECT_EQ(topology.AddressOf(stacked.routers[0]), ip("100.64.2.2"));  // home NAT's WAN
  EXPECT_EQ(stacked.nats[0]->GetModel()->public_ips(), std::vector<Ipv4>{ip("100.64.2.2")});
  EXPECT_EQ(topology.AddressOf(stacked.routers[1]), ip("203.0.113.9"));  // the CGNAT
  EXPECT_EQ(stacked.public_ips, std::vector<Ipv4>{ip("203.0.113.9")});
  EXPECT_EQ(stacked.Outermost(), stacked.nats[1]);
}

TEST_F(TopologyTest, RefusesBadInputWithoutBuilding) {
  Topology topology;
  EXPECT_FALSE(topology.AddNatSite({}, 1).Valid());
  EXPECT_FALSE(topology.AddNatSite(*nat::profile_chain("full-cone"), -1).Valid());
  EXPECT_FALSE(topology.AddNatSite(*nat::profile_chain("full-cone"), 201).Valid());
  NatSiteOptions slow_csma;
  slow_csma.lan.delay = kMaxCsmaLanDelay + 1us;
  EXPECT_FALSE(topology.AddNatSite(*nat::profile_chain("full-cone"), 1, LinkSpec(), slow_csma).Valid());
  NatSiteOptions point_to_point;
  point_to_point.lan.point_to_point = true;
  EXPECT_FALSE(topology.AddNatSite(*nat::profile_chain("full-cone"), 2, LinkSpec(), point_to_point).Valid());
  EXPECT_EQ(topology.AddServer(LinkSpec(), 0), nullptr);
  EXPECT_EQ(topology.AddServer(LinkSpec(), 5), nullptr);
  // Nothing was allocated by the refusals.
  NatSite site = topology.AddNatSite(*nat::profile_chain("full-cone"), 1);
  EXPECT_EQ(site.index, 1);
  EXPECT_EQ(site.public_ips, std::vector<Ipv4>{ip("203.0.113.1")});
  EXPECT_EQ(topology.AddressOf(topology.AddServer()), ip("198.51.100.1"));
}

// Past the 128 documentation-range slots, sites go to 198.18.0.0/15 behind region
// routers, and NAT sites past 254 get 10.x.y.0/24 LANs: everything still reaches
// everything (direct slot, region 0, region 1, a 10.x site), and a region site's
// new public address is routed back to it.
TEST_F(TopologyTest, LargeRunsGoBehindRegionRoutersAndTenDotLans) {
  Topology topology;
  ns3::Ptr<ns3::Node> first = topology.AddPublicHost();
  for (int i = 1; i < 128; ++i) ASSERT_NE(topology.AddPublicHost(), nullptr);
  ns3::Ptr<ns3::Node> region0 = topology.AddPublicHost();
  EXPECT_EQ(topology.AddressOf(region0), ip("198.18.0.1"));
  for (int i = 1; i < 256; ++i) ASSERT_NE(topology.AddPublicHost(), nullptr);
  ns3::Ptr<ns3::Node> region1 = topology.AddPublicHost();
  EXPECT_EQ(topology.AddressOf(region1), ip("198.18.4.1"));
  std::vector<NatSite> sites;
  for (int s = 1; s <= 256; ++s) sites.push_back(topology.AddNatSite(*nat::profile_chain("full-cone"), 1));
  NatSite& last = sites.back();
  ASSERT_TRUE(last.Valid());
  EXPECT_EQ(last.index, 256);
  EXPECT_EQ(topology.AddressOf(last.hosts[0]), ip("10.1.0.2"));
  EXPECT_FALSE(topology.AddNatSite(*nat::profile_chain("home-behind-cgnat"), 1).Valid());  // chains: 254 sites
  topology.AssignStreams(0);

  const Endpoint echo_ep{topology.AddressOf(first), kPort};
  UdpPeer echo(first, kPort, true);
  UdpPeer r0(region0, 5000, true);
  UdpPeer r1(region1, 5000);
  UdpPeer far(last.hosts[0], 5000);
  r1.SendAt(0.1, echo_ep, "r1");
  r1.SendAt(0.1, Endpoint{ip("198.18.0.1"), 5000}, "r1-to-r0");
  far.SendAt(0.1, echo_ep, "far");
  RunFor(0.5);
  EXPECT_NE(r1.Find("echo:r1"), nullptr);
  EXPECT_NE(r1.Find("echo:r1-to-r0"), nullptr);
  ASSERT_NE(far.Find("echo:far"), nullptr);
  EXPECT_EQ(echo.Find("far")->from.ip, last.public_ips.at(0));

  const std::vector<Ipv4> fresh = topology.ChangePublicIps(last);
  ASSERT_EQ(fresh.size(), 1u);
  far.SendAt(0.1, echo_ep, "renumbered");  // from now
  RunFor(0.5);
  ASSERT_NE(echo.Find("renumbered"), nullptr);
  EXPECT_EQ(echo.Find("renumbered")->from.ip, fresh[0]);
  EXPECT_NE(far.Find("echo:renumbered"), nullptr);
}

// The Internet's routers forward by one host route per site address
// (host_routing.h): the core holds one for every site (region sites through their
// region router), a region router one for each of its own; anything else is the
// inner static routing's, so another site's private LAN address still dies at the
// core, and the region's own link address still answers for itself.
TEST_F(TopologyTest, InternetRoutersForwardSitesByHostRoutes) {
  TopologyOptions options;
  options.regions_only = true;
  Topology topology(options);
  ns3::Ptr<ns3::Node> server = topology.AddServer();
  ns3::Ptr<ns3::Node> public_host = topology.AddPublicHost();
  NatSite a = topology.AddNatSite(*nat::profile_chain("full-cone"), 1);
  NatSite b = topology.AddNatSite(*nat::profile_chain("full-cone"), 1);
  topology.AssignStreams(0);
  ASSERT_NE(host_routing_of(topology.CoreRouter()), nullptr);
  EXPECT_EQ(host_routing_of(topology.CoreRouter())->HostRouteCount(), 4u);  // server, host, two NATs
  ns3::Ptr<ns3::Node> region;  // the one other node with host routes
  for (uint32_t i = 0; i < ns3::NodeList::GetNNodes(); ++i) {
    ns3::Ptr<ns3::Node> node = ns3::NodeList::GetNode(i);
    if (node != topology.CoreRouter() && host_routing_of(node)) region = node;
  }
  ASSERT_NE(region, nullptr);
  EXPECT_EQ(host_routing_of(region)->HostRouteCount(), 3u);  // all but the server

  UdpPeer to_server(server, kPort, true);
  UdpPeer to_host(public_host, kPort, true);
  UdpPeer lan_b(b.hosts[0], kPort, true);
  UdpPeer from_a(a.hosts[0], 5000);
  from_a.SendAt(0.1, Endpoint{topology.AddressOf(server), kPort}, "server");
  from_a.SendAt(0.1, Endpoint{topology.AddressOf(public_host), kPort}, "host");
  from_a.SendAt(0.1, Endpoint{topology.AddressOf(b.hosts[0]), kPort}, "private");
  RunFor(0.5);
  EXPECT_NE(from_a.Find("echo:server"), nullptr);
  EXPECT_NE(from_a.Find("echo:host"), nullptr);
  EXPECT_EQ(lan_b.Find("private"), nullptr);
}

// Without region routers, every site of 198.18.0.0/15 hangs off the core itself:
// the core is the only router with host routes, and sites still reach each other
// and the server across it.
TEST_F(TopologyTest, SitesHangOffTheCoreWithoutRegionRouters) {
  TopologyOptions options;
  options.regions_only = true;
  options.region_routers = false;
  Topology topology(options);
  ns3::Ptr<ns3::Node> server = topology.AddServer();
  std::vector<NatSite> sites;
  for (int s = 0; s < 300; ++s) sites.push_back(topology.AddNatSite(*nat::profile_chain("full-cone"), 1));
  topology.AssignStreams(0);
  EXPECT_EQ(sites.back().public_ips.at(0), ip("198.18.4.173"));  // slot 299: past the first /22
  EXPECT_EQ(host_routing_of(topology.CoreRouter())->HostRouteCount(), 301u);
  for (uint32_t i = 0; i < ns3::NodeList::GetNNodes(); ++i) {
    ns3::Ptr<ns3::Node> node = ns3::NodeList::GetNode(i);
    EXPECT_TRUE(node == topology.CoreRouter() || !host_routing_of(node)) << "node " << i;
  }

  UdpPeer to_server(server, kPort, true);
  UdpPeer first(sites.front().hosts[0], 5000);
  UdpPeer last(sites.back().hosts[0], kPort, true);
  first.SendAt(0.1, Endpoint{topology.AddressOf(server), kPort}, "server");
  RunFor(0.5);
  ASSERT_NE(first.Find("echo:server"), nullptr);
  // The last site's full-cone NAT maps its host's port as it is: reachable now
  // that its host sent something out.
  last.SendAt(0.1, Endpoint{topology.AddressOf(server), kPort}, "open");
  first.SendAt(0.3, Endpoint{sites.back().public_ips.at(0), kPort}, "across");
  RunFor(0.6);
  EXPECT_NE(last.Find("across"), nullptr);
  EXPECT_NE(first.Find("echo:across"), nullptr);
}

// Both addresses of a two-address server answer from themselves: an APDF NAT in
// front of the client would drop a reply from the wrong address.
TEST_F(TopologyTest, TwoAddressServerAnswersFromEachAddress) {
  Topology topology;
  ns3::Ptr<ns3::Node> server = topology.AddServer(LinkSpec(), 2);
  NatSite site = topology.AddNatSite(*nat::profile_chain("port-restricted-cone"), 1);
  topology.AssignStreams(0);
  const std::vector<Ipv4> ips = topology.AddressesOf(server);
  ASSERT_EQ(ips.size(), 2u);
  UdpPeer primary(server, kPort, true, ips[0]);
  UdpPeer secondary(server, kPort, true, ips[1]);
  UdpPeer host(site.hosts[0], 5000);
  host.SendAt(0.1, Endpoint{ips[0], kPort}, "one");
  host.SendAt(0.1, Endpoint{ips[1], kPort}, "two");
  RunFor(0.5);
  ASSERT_NE(host.Find("echo:one"), nullptr);
  ASSERT_NE(host.Find("echo:two"), nullptr);
  EXPECT_EQ(host.Find("echo:one")->from, (Endpoint{ips[0], kPort}));
  EXPECT_EQ(host.Find("echo:two")->from, (Endpoint{ips[1], kPort}));
  // Both came from the same mapping (EIM): the server can compare them (RFC 5780).
  EXPECT_EQ(primary.received.at(0).from, secondary.received.at(0).from);
}

// A NAT with a pool: hosts spread over the addresses (paired pooling puts a new
// host on the least-loaded one) and the core routes each back to the NAT.
TEST_F(TopologyTest, PublicIpPoolIsRoutedBackToTheNat) {
  Topology topology;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
  NatSiteOptions options;
  options.public_ips = 2;
  NatSite site = topology.AddNatSite(*nat::profile_chain("cgnat"), 2, LinkSpec(), options);
  ASSERT_TRUE(site.Valid());
  EXPECT_EQ(site.public_ips, (std::vector<Ipv4>{ip("203.0.113.5"), ip("203.0.113.9")}));
  topology.AssignStreams(0);
  const Endpoint echo_ep{topology.AddressOf(echo_node), kPort};
  UdpPeer echo(echo_node, kPort, true);
  UdpPeer a(site.hosts[0], 5000);
  UdpPeer b(site.hosts[1], 5000);
  a.SendAt(0.1, echo_ep, "a");
  b.SendAt(0.2, echo_ep, "b");
  RunFor(0.6);
  ASSERT_NE(echo.Find("a"), nullptr);
  ASSERT_NE(echo.Find("b"), nullptr);
  EXPECT_NE(echo.Find("a")->from.ip, echo.Find("b")->from.ip);
  EXPECT_NE(a.Find("echo:a"), nullptr);
  EXPECT_NE(b.Find("echo:b"), nullptr);
}

// One-to-one: each host owns a public IP from the start, so it is reachable before
// it ever sends (a cloud elastic IP).
TEST_F(TopologyTest, OneToOneBindsEveryHostToItsOwnAddress) {
  Topology topology;
  ns3::Ptr<ns3::Node> remote = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("one-to-one"), 2);
  ASSERT_EQ(site.public_ips.size(), 2u);
  topology.AssignStreams(0);
  UdpPeer peer(remote, kPort, true);
  UdpPeer a(site.hosts[0], 5000);
  UdpPeer b(site.hosts[1], 5000);
  peer.SendAt(0.1, Endpoint{site.public_ips[1], 5000}, "to b, unsolicited");
  a.SendAt(0.1, Endpoint{topology.AddressOf(remote), kPort}, "from a");
  RunFor(0.5);
  ASSERT_NE(b.Find("to b, unsolicited"), nullptr);
  ASSERT_NE(peer.Find("from a"), nullptr);
  EXPECT_EQ(peer.Find("from a")->from, (Endpoint{site.public_ips[0], 5000}));
}

// Renumbering: new public IP routed to the NAT, old mappings gone, the old address
// dead.
TEST_F(TopologyTest, ChangePublicIps) {
  Topology topology;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost();
  NatSite site = topology.AddNatSite(*nat::profile_chain("full-cone"), 1);
  topology.AssignStreams(0);
  const Ipv4 old_ip = site.public_ips.at(0);
  const Endpoint echo_ep{topology.AddressOf(echo_node), kPort};
  UdpPeer echo(echo_node, kPort, true);
  UdpPeer host(site.hosts[0], 5000);
  host.SendAt(0.1, echo_ep, "before");
  std::vector<Ipv4> fresh;
  ns3::Simulator::Schedule(ns3::Seconds(0.3), [&] { fresh = topology.ChangePublicIps(site); });
  host.SendAt(0.4, echo_ep, "after");
  ns3::Simulator::Schedule(ns3::Seconds(0.6), [&] { echo.SendTo(Endpoint{old_ip, 5000}, "to the old address"); });
  RunFor(1.0);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_NE(fresh[0], old_ip);
  EXPECT_EQ(site.public_ips, fresh);
  EXPECT_EQ(echo.Find("before")->from.ip, old_ip);
  ASSERT_NE(echo.Find("after"), nullptr);
  EXPECT_EQ(echo.Find("after")->from.ip, fresh[0]);
  EXPECT_NE(host.Find("echo:after"), nullptr);
  EXPECT_EQ(host.Find("to the old address"), nullptr);
  const nat::NatCounters& counters = site.nats[0]->GetModel()->counters();
  EXPECT_EQ(counters.inbound[static_cast<std::size_t>(nat::Verdict::kDropNotForNat)], 1u);
  EXPECT_EQ(counters.mappings_flushed, 1u);
}

// Round trip = twice the sum of one-way delays: LAN, NAT access link, echo access.
TEST_F(TopologyTest, LanAndAccessDelaysAddUp) {
  Topology topology;
  LinkSpec echo_link;
  echo_link.delay = 7ms;
  LinkSpec access;
  access.delay = 20ms;
  NatSiteOptions options;
  options.lan.delay = 2ms;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost(echo_link);
  NatSite site = topology.AddNatSite(*nat::profile_chain("home-behind-cgnat"), 1, access, options);
  topology.AssignStreams(0);
  UdpPeer echo(echo_node, kPort, true);
  UdpPeer host(site.hosts[0], 5000);
  host.SendAt(0.1, Endpoint{topology.AddressOf(echo_node), kPort}, "ping");
  RunFor(0.5);
  ASSERT_NE(host.Find("echo:ping"), nullptr);
  const double rtt_ms = (host.Find("echo:ping")->at - ns3::Seconds(0.1)).GetMilliSeconds();
  // Two LAN hops (host-home NAT, home NAT-CGNAT) in a chain of two.
  const double expected_ms = 2 * (2 + 2 + 20 + 7);
  EXPECT_GE(rtt_ms, expected_ms);
  EXPECT_LE(rtt_ms, expected_ms + 1);
}

// A slow point-to-point LAN delays each datagram by its delay but does not queue
// back-to-back datagrams behind each other (ns-3's CSMA would, one per delay).
TEST_F(TopologyTest, PointToPointLanIsSlowButPipelined) {
  Topology topology;
  LinkSpec access;
  access.delay = 10ms;
  NatSiteOptions options;
  options.lan.delay = 30ms;
  options.lan.point_to_point = true;
  ns3::Ptr<ns3::Node> echo_node = topology.AddPublicHost(access);
  NatSite site = topology.AddNatSite(*nat::profile_chain("home-behind-cgnat"), 1, access, options);
  ASSERT_TRUE(site.Valid());
  EXPECT_EQ(topology.AddressOf(site.hosts[0]), ip("192.168.1.2"));
  topology.AssignStreams(0);
  UdpPeer echo(echo_node, kPort, true);
  UdpPeer host(site.hosts[0], 5000);
  for (const char* text : {"one", "two", "three"}) host.SendAt(0.1, Endpoint{topology.AddressOf(echo_node), kPort}, text);
  RunFor(1.0);
  // Two LAN hops of 30 ms each way (host-home NAT, home NAT-CGNAT), two access links.
  const double expected_ms = 2 * (30 + 30 + 10 + 10);
  for (const char* text : {"echo:one", "echo:two", "echo:three"}) {
    const UdpPeer::Datagram* answer = host.Find(text);
    ASSERT_NE(answer, nullptr) << text;
    const double rtt_ms = (answer->at - ns3::Seconds(0.1)).GetMilliSeconds();
    EXPECT_GE(rtt_ms, expected_ms) << text;
    EXPECT_LE(rtt_ms, expected_ms + 1) << text;
  }
}

}  // namespace
}  // namespace yt::emulation
