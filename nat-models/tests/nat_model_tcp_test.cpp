// NatModel over TCP: RFC 5382 / RFC 7857 connection tracking and timers,
// simultaneous open, loose pickup, ICMP.
#include <gtest/gtest.h>

#include "nat-models/nat_model.h"
#include "nat-models/nat_profiles.h"
#include "protocol/random.h"
#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::Harness;
using test::kHostA;
using test::kRemote1;
using test::kRemote2;
using test::kStranger;

constexpr Duration kTransitory = 4min;
constexpr Duration kEstablished = 2h + 4min;

NatConfig rfc_config() {
  NatConfig c;  // EIM/APDF
  c.tcp_transitory_timeout = kTransitory;
  c.tcp_established_timeout = kEstablished;
  return c;
}

TEST(NatModelTcpTest, HandshakeMovesFromTransitoryToEstablishedTimer) {
  Harness h(rfc_config());
  const auto pub = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_TRUE(pub);
  EXPECT_EQ(h.only_expiry(), h.now + kTransitory);

  h.advance(1s);
  EXPECT_EQ(h.tcp_in(kRemote1, *pub, kTcpSynAck), Verdict::kForward);
  EXPECT_EQ(h.only_expiry(), h.now + kEstablished);
  h.advance(1s);
  ASSERT_TRUE(h.tcp_out(kHostA, kRemote1, kTcpAck));
  EXPECT_EQ(h.only_expiry(), h.now + kEstablished);

  // Idle for two hours: still there (a NAT with 5-minute TCP timers would not be).
  h.advance(2h);
  EXPECT_EQ(h.tcp_in(kRemote1, *pub, kTcpAck), Verdict::kForward);
}

TEST(NatModelTcpTest, UnansweredSynExpiresAfterTheTransitoryTimeout) {
  Harness h(rfc_config());
  const auto pub = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_TRUE(pub);
  h.advance(kTransitory - 1s);
  EXPECT_EQ(h.nat().mapping_count(h.now), 1u);
  h.advance(1s);
  EXPECT_EQ(h.tcp_in(kRemote1, *pub, kTcpSynAck), Verdict::kDropExpired);
}

TEST(NatModelTcpTest, FinBothWaysOrRstMovesToTheClosingTimer) {
  Harness h(rfc_config());
  const auto pub = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_EQ(h.tcp_in(kRemote1, *pub, kTcpSynAck), Verdict::kForward);
  ASSERT_TRUE(h.tcp_out(kHostA, kRemote1, kTcpAck));

  ASSERT_TRUE(h.tcp_out(kHostA, kRemote1, kTcpFinAck));
  EXPECT_EQ(h.only_expiry(), h.now + kEstablished);  // half close is still established
  h.advance(1s);
  EXPECT_EQ(h.tcp_in(kRemote1, *pub, kTcpFinAck), Verdict::kForward);
  EXPECT_EQ(h.only_expiry(), h.now + kTransitory);  // shortened: the mapping follows its connection
  h.advance(kTransitory);
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);

  Harness r(rfc_config());
  const auto pub2 = r.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_EQ(r.tcp_in(kRemote1, *pub2, kTcpSynAck), Verdict::kForward);
  EXPECT_EQ(r.tcp_in(kRemote1, *pub2, kTcpRst), Verdict::kForward);
  EXPECT_EQ(r.only_expiry(), r.now + kTransitory);
}

TEST(NatModelTcpTest, MappingLivesAsLongAsItsLongestConnection) {
  NatConfig c = rfc_config();
  c.filtering = FilteringBehavior::kEndpointIndependent;
  Harness h(c);
  const auto pub = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_EQ(h.tcp_in(kRemote1, *pub, kTcpSynAck), Verdict::kForward);  // established
  ASSERT_TRUE(h.tcp_out(kHostA, kRemote2, kTcpSyn));                   // transitory
  EXPECT_EQ(h.only_expiry(), h.now + kEstablished);
  EXPECT_EQ(h.tcp_in(kRemote1, *pub, kTcpRst), Verdict::kForward);
  EXPECT_EQ(h.only_expiry(), h.now + kTransitory);
}

TEST(NatModelTcpTest, UnsolicitedInboundSynIsDropped) {
  Harness h(rfc_config());
  EXPECT_EQ(h.tcp_in(kRemote1, Endpoint{test::kPublic1, 40000}, kTcpSyn), Verdict::kDropNoMapping);
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);
}

TEST(NatModelTcpTest, SimultaneousOpenThroughThePortRestrictedMappingTheInsideOpened) {
  Harness h(rfc_config());  // APDF: the strictest filter still lets a crossing SYN in
  const Endpoint peer_public = kRemote1;
  const auto pub = h.tcp_out(kHostA, peer_public, kTcpSyn);  // our SYN, lost or in flight
  ASSERT_TRUE(pub);
  const auto crossing = h.in(tcp_packet(peer_public, *pub, kTcpSyn));
  EXPECT_EQ(crossing.verdict, Verdict::kForward);
  EXPECT_EQ(crossing.packet.dst, kHostA);
  // Both SYNs have been seen: RFC 7857 counts the connection as established.
  EXPECT_EQ(h.only_expiry(), h.now + kEstablished);
  ASSERT_TRUE(h.tcp_out(kHostA, peer_public, kTcpSynAck));
  EXPECT_EQ(h.tcp_in(peer_public, *pub, kTcpSynAck), Verdict::kForward);
  EXPECT_EQ(h.tcp_in(peer_public, *pub, kTcpAck), Verdict::kForward);
  // Another remote's SYN to the same mapping is still filtered.
  EXPECT_EQ(h.tcp_in(kStranger, *pub, kTcpSyn), Verdict::kDropFiltered);
}

TEST(NatModelTcpTest, SimultaneousOpenThroughAConeMappingOpenedTowardsTheServer) {
  NatConfig c = rfc_config();
  c.filtering = FilteringBehavior::kEndpointIndependent;
  Harness h(c);
  // The client's socket talked to the server; the peer learned that public endpoint.
  const auto pub = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_TRUE(pub);
  const auto peer_syn = h.in(tcp_packet(kStranger, *pub, kTcpSyn));
  EXPECT_EQ(peer_syn.verdict, Verdict::kForward);
  EXPECT_EQ(peer_syn.packet.dst, kHostA);
  ASSERT_TRUE(h.tcp_out(kHostA, kStranger, kTcpSynAck));
  EXPECT_EQ(h.tcp_in(kStranger, *pub, kTcpAck), Verdict::kForward);
}

TEST(NatModelTcpTest, NonSynWithoutAConnectionIsDroppedUnlessLoosePickupIsOn) {
  Harness strict(rfc_config());
  EXPECT_EQ(strict.out(tcp_packet(kHostA, kRemote1, kTcpAck)).verdict, Verdict::kDropTcpState);
  EXPECT_EQ(strict.out(tcp_packet(kHostA, kRemote1, kTcpRst)).verdict, Verdict::kDropTcpState);
  EXPECT_EQ(strict.nat().mapping_count(strict.now), 0u);
  // Nor may an inbound non-SYN start tracking on an open (EIF) mapping.
  NatConfig eif = rfc_config();
  eif.filtering = FilteringBehavior::kEndpointIndependent;
  Harness cone(eif);
  const auto pub = cone.tcp_out(kHostA, kRemote1, kTcpSyn);
  EXPECT_EQ(cone.tcp_in(kStranger, *pub, kTcpAck), Verdict::kDropTcpState);

  NatConfig c = rfc_config();
  c.tcp_loose_pickup = true;
  Harness loose(c);
  // Picked up mid-stream (e.g. after a NAT reboot): tracked as established.
  ASSERT_TRUE(loose.tcp_out(kHostA, kRemote1, kTcpAck));
  EXPECT_EQ(loose.only_expiry(), loose.now + kEstablished);
  EXPECT_EQ(loose.out(tcp_packet(kHostA, kRemote2, kTcpRst)).verdict, Verdict::kDropTcpState);
}

TEST(NatModelTcpTest, ClosedConnectionCanBeReopenedOnTheSamePorts) {
  Harness h(rfc_config());
  const auto pub = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_EQ(h.tcp_in(kRemote1, *pub, kTcpRst), Verdict::kForward);
  h.advance(10s);
  EXPECT_EQ(h.tcp_out(kHostA, kRemote1, kTcpSyn), pub);
  EXPECT_EQ(h.only_expiry(), h.now + kTransitory);
  EXPECT_EQ(h.tcp_in(kRemote1, *pub, kTcpSynAck), Verdict::kForward);
  EXPECT_EQ(h.only_expiry(), h.now + kEstablished);
}

TEST(NatModelTcpTest, IcmpErrorDoesNotTouchTheConnection) {
  Harness h(rfc_config());
  const auto pub = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_TRUE(pub);
  const Time before = h.only_expiry();
  h.advance(30s);
  PacketHeader embedded = tcp_packet(*pub, kRemote1, kTcpSyn);
  EXPECT_EQ(h.nat().inbound_icmp_error(h.now, embedded), Verdict::kForward);
  EXPECT_EQ(embedded.src, kHostA);
  EXPECT_EQ(h.only_expiry(), before);
  EXPECT_EQ(h.tcp_in(kRemote1, *pub, kTcpSynAck), Verdict::kForward);
}

}  // namespace
}  // namespace yt::nat

namespace yt::nat {
namespace {

// With its own stream for TCP, a random-port NAT's UDP ports do not depend on how
// many TCP connections went out in between (TCP hole punching's mapping
// connections must not move a simulated run's UDP results).
TEST(NatModelTcpStreamTest, TcpDrawsFromItsOwnStreamLeaveTheUdpPortsUnchanged) {
  NatConfig config = *profile("symmetric-random");
  const std::vector<Ipv4> ips{Ipv4::from_octets(203, 0, 113, 9)};
  SeededRandom quiet_rng(42), busy_rng(42), busy_tcp_rng(43);
  NatModel quiet(config, ips, quiet_rng);
  NatModel busy(config, ips, busy_rng, &busy_tcp_rng);
  const Time now = time_from_us(1'000'000);
  for (std::uint16_t i = 0; i < 20; ++i) {
    PacketHeader tcp = tcp_packet(Endpoint{Ipv4::from_octets(10, 0, 0, 2), static_cast<std::uint16_t>(20000 + i)},
                                  Endpoint{Ipv4::from_octets(198, 51, 100, 1), 443}, kTcpSyn);
    ASSERT_EQ(busy.outbound(now, tcp), Verdict::kForward);
    const Endpoint dst{Ipv4::from_octets(198, 51, 100, 7), static_cast<std::uint16_t>(5000 + i)};
    PacketHeader a = udp_packet(Endpoint{Ipv4::from_octets(10, 0, 0, 2), 4000}, dst);
    PacketHeader b = a;
    ASSERT_EQ(quiet.outbound(now, a), Verdict::kForward);
    ASSERT_EQ(busy.outbound(now, b), Verdict::kForward);
    EXPECT_EQ(a.src, b.src) << "udp flow " << i;
  }
}

}  // namespace
}  // namespace yt::nat
