// The firewall fields of NatConfig, through NatModel and the two firewall profiles.
#include "nat-models/firewall.h"

#include <gtest/gtest.h>

#include "nat-models/nat_profiles.h"
#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;
using test::Harness;
using test::kHostA;
using test::kPublic1;
using test::kRemote1;
using test::kStranger;

const Endpoint kWeb443 = ep("203.0.113.80:443");
const Endpoint kWeb80 = ep("203.0.113.80:80");

TEST(FirewallTest, StatelessRules) {
  NatConfig c;
  EXPECT_TRUE(outbound_allowed(c, udp_packet(kHostA, kRemote1)));
  c.udp_allowed = false;
  EXPECT_FALSE(transport_allowed(c, Transport::kUdp));
  EXPECT_TRUE(transport_allowed(c, Transport::kTcp));
  c.tcp_allowed_dst_ports = {443, 8443};
  EXPECT_TRUE(outbound_allowed(c, tcp_packet(kHostA, kWeb443, kTcpSyn)));
  EXPECT_FALSE(outbound_allowed(c, tcp_packet(kHostA, kWeb80, kTcpSyn)));
  EXPECT_TRUE(inbound_tcp_replies_only(c));
}

TEST(FirewallTest, UdpBlockedDropsUdpBothWaysAndLetsTcpThrough) {
  Harness h(*profile("udp-blocked"));
  const auto r = h.out(udp_packet(kHostA, kRemote1));
  EXPECT_EQ(r.verdict, Verdict::kDropBlocked);
  EXPECT_EQ(r.packet.src, kHostA);
  EXPECT_EQ(h.udp_in(kRemote1, Endpoint{kPublic1, 40000}), Verdict::kDropBlocked);
  PacketHeader icmp_about_udp = udp_packet(Endpoint{kPublic1, 40000}, kRemote1);
  EXPECT_EQ(h.nat().inbound_icmp_error(h.now, icmp_about_udp), Verdict::kDropBlocked);
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);

  const auto pub = h.tcp_out(kHostA, kWeb80, kTcpSyn);
  ASSERT_TRUE(pub);
  EXPECT_EQ(h.tcp_in(kWeb80, *pub, kTcpSynAck), Verdict::kForward);
}

TEST(FirewallTest, Tcp443OnlyAllowsOutbound443AndItsRepliesOnly) {
  Harness h(*profile("tcp-443-only"));
  EXPECT_EQ(h.out(udp_packet(kHostA, kRemote1)).verdict, Verdict::kDropBlocked);
  EXPECT_EQ(h.out(tcp_packet(kHostA, kWeb80, kTcpSyn)).verdict, Verdict::kDropBlocked);

  const auto pub = h.tcp_out(kHostA, kWeb443, kTcpSyn);
  ASSERT_TRUE(pub);
  EXPECT_EQ(h.tcp_in(kWeb443, *pub, kTcpSynAck), Verdict::kForward);
  ASSERT_TRUE(h.tcp_out(kHostA, kWeb443, kTcpAck));
  EXPECT_EQ(h.tcp_in(kWeb443, *pub, kTcpAck), Verdict::kForward);

  // Nobody else gets in through that mapping, not even with a SYN.
  EXPECT_EQ(h.tcp_in(kStranger, *pub, kTcpSyn), Verdict::kDropBlocked);
  EXPECT_EQ(h.tcp_in(ep("203.0.113.80:444"), *pub, kTcpSyn), Verdict::kDropBlocked);
  EXPECT_EQ(h.udp_in(kWeb443, *pub), Verdict::kDropBlocked);
  EXPECT_EQ(h.nat().counters().inbound[static_cast<size_t>(Verdict::kDropBlocked)], 3u);
}

TEST(FirewallTest, Tcp443OnlyStillAllowsSimultaneousOpenToAPeerOn443) {
  Harness h(*profile("tcp-443-only"));
  const Endpoint peer = ep("203.0.113.9:443");
  const auto pub = h.tcp_out(kHostA, peer, kTcpSyn);
  ASSERT_TRUE(pub);
  EXPECT_EQ(h.tcp_in(peer, *pub, kTcpSyn), Verdict::kForward);
}

}  // namespace
}  // namespace yt::nat
