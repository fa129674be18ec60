// NatModel with unsolicited_inbound_claims_tuple: the Linux conntrack clash. An
// unsolicited UDP packet from R to public endpoint P leaves a tuple R -> P behind;
// a later flow to R through P takes another port, and new flows follow it.
#include <gtest/gtest.h>

#include <optional>

#include "nat-models/nat_model.h"
#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;
using test::Harness;
using test::ip;
using test::kHostA;
using test::kHostB;
using test::kPublic1;
using test::kStranger;

constexpr Transport kUdp = Transport::kUdp;

const Endpoint kServer = test::kRemote1;
const Endpoint kServerOtherPort = test::kRemote1OtherPort;
const Endpoint kPeer = test::kRemote2;
const Endpoint kThird = ep("203.0.113.3:5000");
const Endpoint kFourth = ep("203.0.113.4:5000");
// Host A's preserved public endpoint.
const Endpoint kP{kPublic1, kHostA.port};

// EIM/APDF with preservation and Linux's UDP timers: the NAT the clash was measured on.
NatConfig claiming(bool on = true) {
  NatConfig c;
  c.udp_unreplied_lifetime = 30s;
  c.udp_mapping_lifetime = 120s;
  c.unsolicited_inbound_claims_tuple = on;
  return c;
}

// --- Whether the early packet moves the flow ------------------------------------------

struct EarlyPacketCase {
  const char* name;
  bool knob;
  bool server_first;     // host A holds a mapping on P when the peer's packet comes
  bool peer_keeps_port;  // A's flow to the peer then leaves from P
};

const EarlyPacketCase kEarlyPacketCases[] = {
    {"off_no_mapping", false, false, true},
    {"off_mapping_filters", false, true, true},
    {"on_no_mapping", true, false, false},
    {"on_mapping_filters", true, true, false},
};

class UnsolicitedEarlyPacketTest : public ::testing::TestWithParam<EarlyPacketCase> {};

TEST_P(UnsolicitedEarlyPacketTest, TheFlowToThePeerMovesOnlyWithTheKnob) {
  const EarlyPacketCase& c = GetParam();
  Harness h(claiming(c.knob));
  if (c.server_first) {
    ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  }
  EXPECT_EQ(h.udp_in(kPeer, kP), c.server_first ? Verdict::kDropFiltered : Verdict::kDropNoMapping);
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), c.knob ? 1u : 0u);

  const auto to_peer = h.udp_out(kHostA, kPeer);
  ASSERT_TRUE(to_peer);
  EXPECT_EQ(to_peer->ip, kPublic1);
  EXPECT_EQ(*to_peer == kP, c.peer_keeps_port);
  EXPECT_EQ(h.nat().counters().tuple_clashes, c.peer_keeps_port ? 0u : 1u);
  EXPECT_EQ(h.udp_in(kPeer, *to_peer), Verdict::kForward);
  if (c.server_first) {
    EXPECT_EQ(h.udp_out(kHostA, kServer), kP);  // the old flow stays either way
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, UnsolicitedEarlyPacketTest, ::testing::ValuesIn(kEarlyPacketCases),
                         [](const ::testing::TestParamInfo<EarlyPacketCase>& info) {
                           return info.param.name;
                         });

// --- The measured sequence ---------------------------------------------------------------

TEST(NatModelUnsolicitedTest, NewFlowsFollowTheNewestMappingWhileOldFlowsStay) {
  Harness h(claiming());
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  ASSERT_EQ(h.udp_in(kServer, kP), Verdict::kForward);
  EXPECT_EQ(h.udp_in(kPeer, kP), Verdict::kDropFiltered);  // before A ever sent to the peer
  // A flow to the peer would take a port not chosen yet; others would start on P.
  EXPECT_FALSE(h.nat().find_public_endpoint(kUdp, kHostA, kPeer, h.now));
  EXPECT_EQ(h.nat().find_public_endpoint(kUdp, kHostA, kThird, h.now), kP);

  const auto p2 = h.udp_out(kHostA, kPeer);
  ASSERT_TRUE(p2);
  EXPECT_NE(*p2, kP);
  EXPECT_EQ(p2->ip, kPublic1);
  EXPECT_EQ(h.nat().mapping_count(h.now), 2u);

  // The server's flow keeps P both ways.
  EXPECT_EQ(h.udp_out(kHostA, kServer), kP);
  const auto reply = h.in(udp_packet(kServer, kP));
  EXPECT_EQ(reply.verdict, Verdict::kForward);
  EXPECT_EQ(reply.packet.dst, kHostA);
  // The peer gets in on the new port; its tuple on P still holds nothing open.
  EXPECT_EQ(h.udp_in(kPeer, *p2), Verdict::kForward);
  EXPECT_EQ(h.udp_in(kPeer, kP), Verdict::kDropFiltered);
  // Every new destination starts on the newest mapping.
  EXPECT_EQ(h.udp_out(kHostA, kThird), p2);
  EXPECT_EQ(h.nat().find_public_endpoint(kUdp, kHostA, kServer, h.now), kP);
  EXPECT_EQ(h.nat().find_public_endpoint(kUdp, kHostA, kPeer, h.now), p2);
  EXPECT_EQ(h.nat().find_public_endpoint(kUdp, kHostA, kThird, h.now), p2);
  EXPECT_EQ(h.nat().find_public_endpoint(kUdp, kHostA, kFourth, h.now), p2);

  const auto all = h.nat().mappings(h.now);
  ASSERT_EQ(all.size(), 2u);
  for (const MappingInfo& m : all) {
    EXPECT_EQ(m.internal, kHostA);
    EXPECT_EQ(m.superseded, m.public_endpoint == kP);
  }
  EXPECT_EQ(h.nat().counters().tuple_clashes, 1u);
}

TEST(NatModelUnsolicitedTest, ANewestMappingThatClashesTooGivesWayToAnother) {
  Harness h(claiming());
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  h.udp_in(kPeer, kP);
  const auto p2 = h.udp_out(kHostA, kPeer);
  ASSERT_TRUE(p2);
  EXPECT_EQ(h.udp_in(kThird, *p2), Verdict::kDropFiltered);
  EXPECT_EQ(h.udp_in(kThird, kP), Verdict::kDropFiltered);  // a tuple on an older port moves nothing

  const auto p3 = h.udp_out(kHostA, kThird);
  ASSERT_TRUE(p3);
  EXPECT_NE(*p3, kP);
  EXPECT_NE(*p3, *p2);
  EXPECT_EQ(h.udp_out(kHostA, kFourth), p3);
  EXPECT_EQ(h.udp_out(kHostA, kPeer), p2);
  EXPECT_EQ(h.udp_out(kHostA, kServer), kP);
  EXPECT_EQ(h.nat().mapping_count(h.now), 3u);
  EXPECT_EQ(h.nat().counters().tuple_clashes, 2u);
}

// A key gains mappings only per behaviour; ADM keys on the remote IP, so the clash
// shows towards another port of an IP the host talks to. APDM gives every remote a
// mapping of its own, so there is nothing to move.
struct BehaviourCase {
  const char* name;
  MappingBehavior mapping;
  bool knob;
  bool same_port;  // A's flow to the other port of the server's IP leaves from P
  std::uint64_t clashes;
};

const BehaviourCase kBehaviourCases[] = {
    {"eim_off", MappingBehavior::kEndpointIndependent, false, true, 0},
    {"eim_on", MappingBehavior::kEndpointIndependent, true, false, 1},
    {"adm_off", MappingBehavior::kAddressDependent, false, true, 0},
    {"adm_on", MappingBehavior::kAddressDependent, true, false, 1},
    {"apdm_off", MappingBehavior::kAddressPortDependent, false, false, 0},
    {"apdm_on", MappingBehavior::kAddressPortDependent, true, false, 0},
};

class UnsolicitedBehaviourTest : public ::testing::TestWithParam<BehaviourCase> {};

TEST_P(UnsolicitedBehaviourTest, TheClashFollowsTheMappingBehaviour) {
  const BehaviourCase& c = GetParam();
  NatConfig config = claiming(c.knob);
  config.mapping = c.mapping;
  Harness h(config);
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  EXPECT_EQ(h.udp_in(kServerOtherPort, kP), Verdict::kDropFiltered);  // APDF
  const auto other = h.udp_out(kHostA, kServerOtherPort);
  ASSERT_TRUE(other);
  EXPECT_EQ(*other == kP, c.same_port);
  EXPECT_EQ(h.nat().counters().tuple_clashes, c.clashes);
  EXPECT_EQ(h.udp_out(kHostA, kServer), kP);
}

INSTANTIATE_TEST_SUITE_P(Behaviours, UnsolicitedBehaviourTest, ::testing::ValuesIn(kBehaviourCases),
                         [](const ::testing::TestParamInfo<BehaviourCase>& info) { return info.param.name; });

// --- Which packets leave a tuple ---------------------------------------------------------

struct InboundCase {
  const char* name;
  FilteringBehavior filtering;
  bool server_first;  // host A sends to kServer (and gets P) before the packet
  Duration wait;      // between A's packet and the inbound one
  PacketHeader packet;
  Verdict verdict;
  std::size_t tuples;
};

using F = FilteringBehavior;

const InboundCase kInboundCases[] = {
    {"reply_passes", F::kAddressPortDependent, true, 0s, udp_packet(kServer, kP), Verdict::kForward, 0},
    {"apdf_filters_stranger", F::kAddressPortDependent, true, 0s, udp_packet(kStranger, kP),
     Verdict::kDropFiltered, 1},
    {"adf_lets_other_port_of_ip", F::kAddressDependent, true, 0s, udp_packet(kServerOtherPort, kP),
     Verdict::kForward, 0},
    {"eif_lets_stranger", F::kEndpointIndependent, true, 0s, udp_packet(kStranger, kP), Verdict::kForward, 0},
    {"no_mapping", F::kAddressPortDependent, false, 0s, udp_packet(kStranger, kP), Verdict::kDropNoMapping,
     1},
    {"expired_mapping", F::kAddressPortDependent, true, 31s, udp_packet(kStranger, kP), Verdict::kDropExpired,
     1},
    {"tcp_is_not_modelled", F::kAddressPortDependent, false, 0s, tcp_packet(kStranger, kP, kTcpSyn),
     Verdict::kDropNoMapping, 0},
    {"not_our_address", F::kAddressPortDependent, true, 0s, udp_packet(kStranger, ep("198.51.100.77:40000")),
     Verdict::kDropNotForNat, 0},
};

class UnsolicitedInboundTest : public ::testing::TestWithParam<InboundCase> {};

TEST_P(UnsolicitedInboundTest, OnlyUdpThatMatchesNothingLeavesATuple) {
  const InboundCase& c = GetParam();
  NatConfig config = claiming();
  config.filtering = c.filtering;
  Harness h(config);
  if (c.server_first) {
    ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  }
  h.advance(c.wait);
  EXPECT_EQ(h.in(c.packet).verdict, c.verdict);
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), c.tuples);
  // A's flow to the sender leaves from P exactly when nothing was left behind.
  const auto to_sender = h.udp_out(kHostA, c.packet.src);
  ASSERT_TRUE(to_sender);
  EXPECT_EQ(*to_sender == kP, c.tuples == 0);
}

INSTANTIATE_TEST_SUITE_P(Cases, UnsolicitedInboundTest, ::testing::ValuesIn(kInboundCases),
                         [](const ::testing::TestParamInfo<InboundCase>& info) { return info.param.name; });

TEST(NatModelUnsolicitedTest, HairpinnedPacketsLeaveNoTuple) {
  NatConfig c = claiming();
  c.hairpinning = true;
  Harness h(c);
  const auto pub_a = h.udp_out(kHostA, kServer);
  const auto pub_b = h.udp_out(kHostB, kServer);
  ASSERT_TRUE(pub_a && pub_b);
  EXPECT_EQ(h.out(udp_packet(kHostA, *pub_b)).verdict, Verdict::kDropFiltered);
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), 0u);
  const auto r = h.out(udp_packet(kHostB, *pub_a));
  EXPECT_EQ(r.verdict, Verdict::kHairpin);
  EXPECT_EQ(r.packet.src, *pub_b);
  EXPECT_EQ(h.nat().counters().tuple_clashes, 0u);
}

TEST(NatModelUnsolicitedTest, OneToOneModeKeepsNoTuples) {
  NatConfig c = claiming();
  c.mode = NatMode::kOneToOne;
  Harness h(c);
  EXPECT_EQ(h.udp_in(kPeer, kP), Verdict::kDropNoMapping);
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), 0u);
  EXPECT_EQ(h.udp_out(kHostA, kPeer), kP);
}

// --- Timers ------------------------------------------------------------------------------

TEST(NatModelUnsolicitedTest, ATupleLivesTheUnrepliedLifetimeRefreshedByItsOwnPackets) {
  Harness h(claiming());
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  ASSERT_EQ(h.udp_in(kServer, kP), Verdict::kForward);  // P lives 120 s
  h.udp_in(kPeer, kP);
  h.advance(20s);
  h.udp_in(kPeer, kP);
  EXPECT_EQ(h.nat().next_expiry(), h.now + 30s);  // the tuple, before the mapping
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now + 29s), 1u);
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now + 30s), 0u);

  h.advance(30s);
  h.nat().expire(h.now);
  EXPECT_EQ(h.nat().next_expiry(), h.only_expiry());
  EXPECT_EQ(h.nat().find_public_endpoint(kUdp, kHostA, kPeer, h.now), kP);
  EXPECT_EQ(h.udp_out(kHostA, kPeer), kP);
  EXPECT_EQ(h.nat().counters().tuple_clashes, 0u);
}

TEST(NatModelUnsolicitedTest, TheNewestMappingOutlivesTheTupleThenTheOlderOneTakesOver) {
  Harness h(claiming());
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  ASSERT_EQ(h.udp_in(kServer, kP), Verdict::kForward);
  h.udp_in(kPeer, kP);
  const auto p2 = h.udp_out(kHostA, kPeer);
  ASSERT_TRUE(p2);
  ASSERT_EQ(h.udp_in(kPeer, *p2), Verdict::kForward);

  // As in the kernel, the mapping a new flow starts on is the newest one alive, not
  // the one the tuple pushed it off.
  h.advance(31s);
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), 0u);
  EXPECT_EQ(h.udp_out(kHostA, kThird), p2);

  // Only the server's flow is kept alive; once P2's mapping times out, new flows are
  // back on P.
  while (h.nat().mapping_count(h.now) > 1) {
    h.advance(25s);
    ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
    ASSERT_EQ(h.udp_in(kServer, kP), Verdict::kForward);
  }
  EXPECT_EQ(h.udp_out(kHostA, kFourth), kP);
  EXPECT_EQ(h.udp_in(kPeer, *p2), Verdict::kDropExpired);
}

// --- Memory and ports --------------------------------------------------------------------

TEST(NatModelUnsolicitedTest, AFloodOfUnsolicitedPacketsStaysBounded) {
  NatConfig c = claiming();
  c.max_unsolicited_tuples = 64;
  Harness h(c);
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  ASSERT_EQ(h.udp_in(kServer, kP), Verdict::kForward);
  // 10000 remotes (256 addresses x 40 ports), each knocking on P and on a port
  // below the allocation range, which no mapping can ever hold.
  const auto scanner = [](std::uint32_t i) {
    return Endpoint{Ipv4::from_octets(192, 0, 2, static_cast<std::uint8_t>(i % 256)),
                    static_cast<std::uint16_t>(1000 + i / 256)};
  };
  for (std::uint32_t i = 0; i < 10000; ++i) {
    h.udp_in(scanner(i), kP);
    h.udp_in(scanner(i), Endpoint{kPublic1, static_cast<std::uint16_t>(1 + i % 1000)});
  }
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), 64u);
  EXPECT_EQ(h.nat().mapping_count(h.now), 1u);

  // However many remotes knocked, the host's flows to them cost it one new mapping:
  // the tuples sit on P, and new flows have moved off it.
  EXPECT_EQ(h.nat().find_public_endpoint(kUdp, kHostA, scanner(0), h.now), kP);  // forgotten
  EXPECT_FALSE(h.nat().find_public_endpoint(kUdp, kHostA, scanner(9999), h.now));
  const auto moved = h.udp_out(kHostA, scanner(9999));
  ASSERT_TRUE(moved);
  EXPECT_NE(*moved, kP);
  for (std::uint32_t i = 9000; i < 10000; ++i) ASSERT_EQ(h.udp_out(kHostA, scanner(i)), moved);
  EXPECT_EQ(h.nat().mapping_count(h.now), 2u);

  h.advance(30s);
  h.nat().expire(h.now);
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), 0u);
}

TEST(NatModelUnsolicitedTest, ExpiryReleasesThePortsOfEveryMappingOfAHost) {
  Harness h(claiming());
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  h.udp_in(kPeer, kP);
  const auto p2 = h.udp_out(kHostA, kPeer);
  ASSERT_TRUE(p2);
  h.advance(25s);
  ASSERT_EQ(h.udp_out(kHostA, kPeer), p2);  // P2 lives to 55 s, P to 30 s

  h.advance(6s);
  EXPECT_EQ(h.nat().mapping_count(h.now), 1u);
  EXPECT_EQ(h.udp_out(kHostB, kServer), kP);  // B has A's source port: P is free again
  h.advance(25s);
  EXPECT_EQ(h.nat().mapping_count(h.now), 1u);  // B's
  EXPECT_EQ(h.udp_out(Endpoint{ip("10.0.0.4"), p2->port}, kServer), p2);
  EXPECT_EQ(h.nat().counters().mappings_expired, 2u);
}

TEST(NatModelUnsolicitedTest, APortBlockIsFreedWhenTheHostsLastMappingGoes) {
  NatConfig c = claiming();
  c.allocation = PortAllocation::kRandom;
  c.port_min = 1024;
  c.port_max = 1031;
  c.port_block_size = 8;  // one block: a second host gets one only when A's is back
  Harness h(c);
  const auto p = h.udp_out(kHostA, kServer);
  ASSERT_TRUE(p);
  EXPECT_EQ(h.udp_in(kPeer, *p), Verdict::kDropFiltered);
  const auto p2 = h.udp_out(kHostA, kPeer);
  ASSERT_TRUE(p2);
  EXPECT_NE(*p2, *p);
  h.advance(25s);
  ASSERT_EQ(h.udp_out(kHostA, kPeer), p2);

  h.advance(6s);
  EXPECT_EQ(h.nat().mapping_count(h.now), 1u);
  EXPECT_EQ(h.out(udp_packet(kHostB, kServer)).verdict, Verdict::kDropPortExhausted);
  h.advance(25s);
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);
  EXPECT_TRUE(h.udp_out(kHostB, kServer));
}

TEST(NatModelUnsolicitedTest, FlushForgetsTheTuples) {
  Harness h(claiming());
  ASSERT_EQ(h.udp_out(kHostA, kServer), kP);
  h.udp_in(kPeer, kP);
  h.nat().flush();
  EXPECT_EQ(h.nat().unsolicited_tuple_count(h.now), 0u);
  EXPECT_FALSE(h.nat().next_expiry());
  EXPECT_EQ(h.udp_out(kHostA, kPeer), kP);
}

}  // namespace
}  // namespace yt::nat
