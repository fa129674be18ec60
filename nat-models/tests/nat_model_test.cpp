// NatModel over UDP: RFC 4787 mapping and filtering, hairpinning, timers, ICMP,
// limits, pooling and the fault events.
#include "nat-models/nat_model.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>

#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;
using test::Harness;
using test::ip;
using test::kHostA;
using test::kHostB;
using test::kPublic1;
using test::kPublic2;
using test::kRemote1;
using test::kRemote1OtherPort;
using test::kRemote2;
using test::kStranger;

// --- Every mapping x filtering combination against the RFC 4787 definitions --------

using Combination = std::tuple<MappingBehavior, FilteringBehavior, Transport>;

class MappingFilteringTest : public ::testing::TestWithParam<Combination> {
 protected:
  MappingBehavior mapping() const { return std::get<0>(GetParam()); }
  FilteringBehavior filtering() const { return std::get<1>(GetParam()); }
  Transport transport() const { return std::get<2>(GetParam()); }

  NatConfig config() const {
    NatConfig c;
    c.mapping = mapping();
    c.filtering = filtering();
    c.allocation = PortAllocation::kRandom;  // preservation would hide nothing, but be explicit
    return c;
  }
  // Opens a flow from `from` to `to` (UDP datagram or TCP SYN).
  std::optional<Endpoint> open(Harness& h, Endpoint from, Endpoint to) const {
    return transport() == Transport::kUdp ? h.udp_out(from, to) : h.tcp_out(from, to, kTcpSyn);
  }
  // An unsolicited packet from `from` (UDP datagram or TCP SYN, i.e. a simultaneous
  // open attempt): returns the verdict and, when forwarded, where it went.
  Harness::Result probe(Harness& h, Endpoint from, Endpoint to) const {
    return h.in(transport() == Transport::kUdp ? udp_packet(from, to) : tcp_packet(from, to, kTcpSyn));
  }
};

TEST_P(MappingFilteringTest, MappingReuseFollowsTheDefinition) {
  Harness h(config());
  const auto to_r1 = open(h, kHostA, kRemote1);
  const auto to_r1_other_port = open(h, kHostA, kRemote1OtherPort);
  const auto to_r2 = open(h, kHostA, kRemote2);
  ASSERT_TRUE(to_r1 && to_r1_other_port && to_r2);
  EXPECT_EQ(to_r1->ip, kPublic1);
  switch (mapping()) {
    case MappingBehavior::kEndpointIndependent:
      EXPECT_EQ(*to_r1, *to_r1_other_port);
      EXPECT_EQ(*to_r1, *to_r2);
      EXPECT_EQ(h.nat().mapping_count(h.now), 1u);
      break;
    case MappingBehavior::kAddressDependent:
      EXPECT_EQ(*to_r1, *to_r1_other_port);
      EXPECT_NE(*to_r1, *to_r2);
      EXPECT_EQ(h.nat().mapping_count(h.now), 2u);
      break;
    case MappingBehavior::kAddressPortDependent:
      EXPECT_NE(*to_r1, *to_r1_other_port);
      EXPECT_NE(*to_r1, *to_r2);
      EXPECT_NE(*to_r1_other_port, *to_r2);
      EXPECT_EQ(h.nat().mapping_count(h.now), 3u);
      break;
  }
  // The same flow again reuses its mapping whatever the behaviour.
  EXPECT_EQ(open(h, kHostA, kRemote1), to_r1);
}

TEST_P(MappingFilteringTest, FilteringFollowsTheDefinition) {
  Harness h(config());
  const auto pub = open(h, kHostA, kRemote1);
  ASSERT_TRUE(pub);

  const auto from_contacted = probe(h, kRemote1, *pub);
  EXPECT_EQ(from_contacted.verdict, Verdict::kForward);
  EXPECT_EQ(from_contacted.packet.dst, kHostA);
  EXPECT_EQ(from_contacted.packet.src, kRemote1);

  const auto from_same_ip = probe(h, kRemote1OtherPort, *pub);
  EXPECT_EQ(from_same_ip.verdict, filtering() == FilteringBehavior::kAddressPortDependent
                                      ? Verdict::kDropFiltered
                                      : Verdict::kForward);

  const auto from_other_ip = probe(h, kStranger, *pub);
  EXPECT_EQ(from_other_ip.verdict, filtering() == FilteringBehavior::kEndpointIndependent
                                       ? Verdict::kForward
                                       : Verdict::kDropFiltered);
  if (from_other_ip.verdict == Verdict::kDropFiltered) {
    EXPECT_EQ(from_other_ip.packet.dst, *pub);  // drops leave the packet alone
  }

  // Nothing maps the neighbouring public port.
  Endpoint unmapped = *pub;
  unmapped.port = static_cast<std::uint16_t>(pub->port == 65535 ? 1024 : pub->port + 1);
  EXPECT_EQ(probe(h, kRemote1, unmapped).verdict, Verdict::kDropNoMapping);
}

std::string combination_name(const ::testing::TestParamInfo<Combination>& info) {
  return std::string(to_string(std::get<0>(info.param))) + "_" + to_string(std::get<1>(info.param)) + "_" +
         to_string(std::get<2>(info.param));
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, MappingFilteringTest,
                         ::testing::Combine(::testing::Values(MappingBehavior::kEndpointIndependent,
                                                              MappingBehavior::kAddressDependent,
                                                              MappingBehavior::kAddressPortDependent),
                                            ::testing::Values(FilteringBehavior::kEndpointIndependent,
                                                              FilteringBehavior::kAddressDependent,
                                                              FilteringBehavior::kAddressPortDependent),
                                            ::testing::Values(Transport::kUdp, Transport::kTcp)),
                         combination_name);

TEST(NatModelTest, InboundToAnAddressTheNatDoesNotOwnIsNotForIt) {
  Harness h(NatConfig{});
  EXPECT_EQ(h.udp_in(kRemote1, ep("198.51.100.77:40000")), Verdict::kDropNotForNat);
}

TEST(NatModelTest, UdpAndTcpHaveSeparateMappings) {
  Harness h(NatConfig{});
  const auto udp = h.udp_out(kHostA, kRemote1);
  const auto tcp = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_TRUE(udp && tcp);
  EXPECT_EQ(*udp, *tcp);  // both preserved: port spaces are independent
  EXPECT_EQ(h.nat().mapping_count(h.now), 2u);
  EXPECT_EQ(h.tcp_in(kRemote1, *udp, kTcpSynAck), Verdict::kForward);
}

// --- Hairpinning ------------------------------------------------------------------

TEST(NatModelTest, HairpinTranslatesBothEndsWithEndpointIndependentFiltering) {
  NatConfig c;
  c.filtering = FilteringBehavior::kEndpointIndependent;
  c.hairpinning = true;
  Harness h(c);
  const auto pub_b = h.udp_out(kHostB, kRemote1);
  const auto pub_a = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub_a && pub_b);

  const auto r = h.out(udp_packet(kHostA, *pub_b));
  EXPECT_EQ(r.verdict, Verdict::kHairpin);
  EXPECT_EQ(r.packet.src, *pub_a);  // the sender's public mapping, not its LAN address
  EXPECT_EQ(r.packet.dst, kHostB);
  EXPECT_EQ(h.nat().counters().outbound[static_cast<size_t>(Verdict::kHairpin)], 1u);
}

TEST(NatModelTest, HairpinRespectsTheTargetsFilterLikeAnInboundPacket) {
  NatConfig c;  // EIM/APDF
  c.hairpinning = true;
  Harness h(c);
  const auto pub_a = h.udp_out(kHostA, kRemote1);
  const auto pub_b = h.udp_out(kHostB, kRemote1);
  ASSERT_TRUE(pub_a && pub_b);

  // B never sent to A's public endpoint, so A's first packet is filtered at B's
  // mapping, but it opens A's side, so B's answer gets through: a punch inside one NAT.
  EXPECT_EQ(h.out(udp_packet(kHostA, *pub_b)).verdict, Verdict::kDropFiltered);
  const auto r = h.out(udp_packet(kHostB, *pub_a));
  EXPECT_EQ(r.verdict, Verdict::kHairpin);
  EXPECT_EQ(r.packet.src, *pub_b);
  EXPECT_EQ(r.packet.dst, kHostA);
  EXPECT_EQ(h.out(udp_packet(kHostA, *pub_b)).verdict, Verdict::kHairpin);
}

TEST(NatModelTest, HairpinToAnUnmappedPublicPortFindsNoMapping) {
  NatConfig c;
  c.hairpinning = true;
  Harness h(c);
  EXPECT_EQ(h.out(udp_packet(kHostA, Endpoint{kPublic1, 5555})).verdict, Verdict::kDropNoMapping);
}

TEST(NatModelTest, WithoutHairpinningPacketsToOwnAddressAreDropped) {
  NatConfig c;
  c.filtering = FilteringBehavior::kEndpointIndependent;
  c.hairpinning = false;
  Harness h(c);
  const auto pub_b = h.udp_out(kHostB, kRemote1);
  ASSERT_TRUE(pub_b);
  const auto r = h.out(udp_packet(kHostA, *pub_b));
  EXPECT_EQ(r.verdict, Verdict::kDropNoHairpin);
  EXPECT_EQ(r.packet.src, kHostA);
  EXPECT_EQ(r.packet.dst, *pub_b);
}

// --- Timers -------------------------------------------------------------------------

TEST(NatModelTest, UdpMappingExpiresAfterItsLifetime) {
  NatConfig c;
  c.udp_mapping_lifetime = 120s;
  c.udp_unreplied_lifetime = 120s;
  Harness h(c);
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub);
  EXPECT_EQ(h.nat().next_expiry(), Time{} + 120s);
  EXPECT_EQ(h.nat().mapping_count(h.now + 119s), 1u);
  EXPECT_EQ(h.nat().mapping_count(h.now + 120s), 0u);

  h.advance(121s);
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kDropExpired);
  EXPECT_EQ(h.nat().counters().mappings_expired, 1u);
  EXPECT_FALSE(h.nat().next_expiry());
  // A new packet makes a new mapping (here the same port again: it is preserved).
  EXPECT_EQ(h.udp_out(kHostA, kRemote1), pub);
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kForward);
}

TEST(NatModelTest, OutboundTrafficAlwaysRefreshes) {
  NatConfig c;
  c.inbound_refresh = false;
  Harness h(c);
  const auto pub = h.udp_out(kHostA, kRemote1);
  h.advance(100s);
  ASSERT_TRUE(h.udp_out(kHostA, kRemote2));  // another destination: same EIM mapping
  h.advance(119s);
  EXPECT_EQ(h.udp_in(kRemote2, *pub), Verdict::kForward);
  EXPECT_EQ(h.nat().mapping_count(h.now + 1s), 0u);
}

class InboundRefreshTest : public ::testing::TestWithParam<bool> {};

TEST_P(InboundRefreshTest, InboundRefreshesOnlyWhenConfigured) {
  const bool refresh = GetParam();
  NatConfig c;
  c.inbound_refresh = refresh;
  Harness h(c);
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub);
  h.advance(100s);
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kForward);
  h.advance(30s);  // 130 s after the only outbound packet
  EXPECT_EQ(h.udp_in(kRemote1, *pub), refresh ? Verdict::kForward : Verdict::kDropExpired);
}

TEST_P(InboundRefreshTest, FilteredPacketsNeverRefresh) {
  NatConfig c;
  c.inbound_refresh = GetParam();
  Harness h(c);
  const auto pub = h.udp_out(kHostA, kRemote1);
  h.advance(100s);
  EXPECT_EQ(h.udp_in(kStranger, *pub), Verdict::kDropFiltered);
  h.advance(30s);
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kDropExpired);
}

INSTANTIATE_TEST_SUITE_P(OnOff, InboundRefreshTest, ::testing::Bool());

TEST(NatModelTest, UnrepliedLifetimeAppliesUntilTheFirstReply) {
  NatConfig c;
  c.udp_unreplied_lifetime = 30s;
  c.udp_mapping_lifetime = 120s;
  Harness h(c);
  ASSERT_TRUE(h.udp_out(kHostA, kRemote1));
  EXPECT_EQ(h.only_expiry(), h.now + 30s);
  h.advance(31s);
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);

  const auto pub = h.udp_out(kHostA, kRemote1);
  h.advance(10s);
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kForward);
  EXPECT_EQ(h.only_expiry(), h.now + 120s);
  h.advance(10s);
  ASSERT_TRUE(h.udp_out(kHostA, kRemote1));
  EXPECT_EQ(h.only_expiry(), h.now + 120s);
}

TEST(NatModelTest, FilterStateOfARemoteThatRepliedLivesOnTheLongTimer) {
  NatConfig c;  // APDF, so the filter reads per-remote state
  c.udp_unreplied_lifetime = 30s;
  c.udp_mapping_lifetime = 120s;
  c.inbound_refresh = false;  // only outbound moves timers, so the reply's effect shows
  Harness h(c);
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub);
  h.advance(10s);
  ASSERT_EQ(h.udp_in(kRemote1, *pub), Verdict::kForward);
  h.advance(10s);
  ASSERT_TRUE(h.udp_out(kHostA, kRemote1));  // now on the 120 s timer
  ASSERT_TRUE(h.udp_out(kHostA, kRemote2));  // never answered: 120 s mapping, 30 s session
  h.advance(60s);
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kForward);
  EXPECT_EQ(h.udp_in(kRemote2, *pub), Verdict::kDropFiltered);
}

// --- ICMP ---------------------------------------------------------------------------

TEST(NatModelTest, IcmpErrorIsTranslatedAndLeavesTheMappingAlone) {
  Harness h(NatConfig{});
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub);
  const Time expiry_before = h.only_expiry();
  h.advance(10s);

  PacketHeader embedded = udp_packet(*pub, kRemote1);
  EXPECT_EQ(h.nat().inbound_icmp_error(h.now, embedded), Verdict::kForward);
  EXPECT_EQ(embedded.src, kHostA);
  EXPECT_EQ(embedded.dst, kRemote1);
  // Port unreachable many times over: the mapping neither dies nor moves its timer.
  for (int i = 0; i < 5; ++i) {
    PacketHeader again = udp_packet(*pub, kRemote1);
    EXPECT_EQ(h.nat().inbound_icmp_error(h.now, again), Verdict::kForward);
  }
  EXPECT_EQ(h.only_expiry(), expiry_before);
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kForward);
  EXPECT_EQ(h.nat().counters().icmp[static_cast<size_t>(Verdict::kForward)], 6u);
}

TEST(NatModelTest, IcmpErrorsNotMatchingSentTrafficAreRejected) {
  Harness h(NatConfig{});
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub);
  PacketHeader never_sent_there = udp_packet(*pub, kStranger);
  EXPECT_EQ(h.nat().inbound_icmp_error(h.now, never_sent_there), Verdict::kDropFiltered);
  EXPECT_EQ(never_sent_there.src, *pub);
  PacketHeader not_ours = udp_packet(ep("198.51.100.99:40000"), kRemote1);
  EXPECT_EQ(h.nat().inbound_icmp_error(h.now, not_ours), Verdict::kDropNotForNat);
  PacketHeader no_mapping = udp_packet(Endpoint{kPublic1, 1234}, kRemote1);
  EXPECT_EQ(h.nat().inbound_icmp_error(h.now, no_mapping), Verdict::kDropNoMapping);
  EXPECT_EQ(h.nat().mapping_count(h.now), 1u);
}

// --- Limits -------------------------------------------------------------------------

TEST(NatModelTest, MappingCapRefusesNewMappingsWithATypedReason) {
  NatConfig c;
  c.max_mappings = 2;
  Harness h(c);
  ASSERT_TRUE(h.udp_out(kHostA, kRemote1));
  ASSERT_TRUE(h.udp_out(kHostB, kRemote1));
  EXPECT_EQ(h.out(udp_packet(ep("10.0.0.4:40000"), kRemote1)).verdict, Verdict::kDropPortExhausted);
  // Existing mappings keep working; the cap does not evict (RFC 6888: never steal).
  EXPECT_TRUE(h.udp_out(kHostA, kRemote2));
  EXPECT_EQ(h.nat().counters().outbound[static_cast<size_t>(Verdict::kDropPortExhausted)], 1u);

  h.advance(121s);
  EXPECT_TRUE(h.udp_out(ep("10.0.0.4:40000"), kRemote1));
}

TEST(NatModelTest, ExhaustingThePortRangeFailsUntilAPortIsFree) {
  NatConfig c;
  c.mapping = MappingBehavior::kAddressPortDependent;
  c.allocation = PortAllocation::kRandom;
  c.port_min = 50000;
  c.port_max = 50002;
  Harness h(c);
  std::set<std::uint16_t> ports;
  for (std::uint16_t p = 1; p <= 3; ++p) {
    const auto pub = h.udp_out(kHostA, Endpoint{kRemote1.ip, p});
    ASSERT_TRUE(pub);
    ports.insert(pub->port);
  }
  EXPECT_EQ(ports, (std::set<std::uint16_t>{50000, 50001, 50002}));
  EXPECT_EQ(h.out(udp_packet(kHostA, Endpoint{kRemote1.ip, 4})).verdict, Verdict::kDropPortExhausted);
  h.advance(121s);
  EXPECT_TRUE(h.udp_out(kHostA, Endpoint{kRemote1.ip, 4}));
}

TEST(NatModelTest, SessionsPerMappingAreCappedSoMemoryStaysBounded) {
  NatConfig c;
  c.max_sessions_per_mapping = 4;
  Harness h(c);
  std::optional<Endpoint> pub;
  for (std::uint16_t p = 1; p <= 10; ++p) {
    pub = h.udp_out(kHostA, Endpoint{kRemote1.ip, p});
    h.advance(1s);
  }
  ASSERT_TRUE(pub);
  const auto all = h.nat().mappings(h.now);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].sessions, 4u);
  EXPECT_EQ(h.udp_in(Endpoint{kRemote1.ip, 10}, *pub), Verdict::kForward);
  EXPECT_EQ(h.udp_in(Endpoint{kRemote1.ip, 1}, *pub), Verdict::kDropFiltered);  // oldest forgotten
}

// A mapping toward many remotes (a birthday probe's peer sends to 1,024 ports)
// prunes expired sessions only now and then, yet keeps every live one and drops
// the expired ones in time, so its size stays near the live count.
TEST(NatModelTest, ManyRemotesKeepTheLiveSessionsAndPruneTheExpiredOnes) {
  NatConfig c;
  c.filtering = FilteringBehavior::kAddressPortDependent;
  c.udp_mapping_lifetime = c.udp_unreplied_lifetime = 30s;
  Harness h(c);
  std::optional<Endpoint> pub;
  for (std::uint16_t p = 1; p <= 1000; ++p) {  // one new remote a second: about 30 live at a time
    pub = h.udp_out(kHostA, Endpoint{kRemote1.ip, p});
    h.advance(1s);
  }
  ASSERT_TRUE(pub);
  auto all = h.nat().mappings(h.now);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_LE(all[0].sessions, 64u);  // twice the live ones at most, not 1,000
  EXPECT_EQ(h.udp_in(Endpoint{kRemote1.ip, 1000}, *pub), Verdict::kForward);
  EXPECT_EQ(h.udp_in(Endpoint{kRemote1.ip, 975}, *pub), Verdict::kForward);
  EXPECT_EQ(h.udp_in(Endpoint{kRemote1.ip, 960}, *pub), Verdict::kDropFiltered);  // expired

  // 1,000 remotes within a lifetime all stay open.
  for (std::uint16_t p = 2001; p <= 3000; ++p) pub = h.udp_out(kHostA, Endpoint{kRemote2.ip, p});
  for (std::uint16_t p = 2001; p <= 3000; ++p) {
    ASSERT_EQ(h.udp_in(Endpoint{kRemote2.ip, p}, *pub), Verdict::kForward) << p;
  }
}

// --- Pooling ------------------------------------------------------------------------

TEST(NatModelTest, PairedPoolingKeepsEachHostOnOneAddress) {
  NatConfig c;
  c.mapping = MappingBehavior::kAddressPortDependent;
  c.allocation = PortAllocation::kRandom;
  c.pooling = PoolingBehavior::kPaired;
  Harness h(c, {kPublic1, kPublic2});
  std::set<Ipv4> a_ips, b_ips;
  for (std::uint16_t p = 1; p <= 20; ++p) {
    a_ips.insert(h.udp_out(kHostA, Endpoint{kRemote1.ip, p})->ip);
    b_ips.insert(h.udp_out(kHostB, Endpoint{kRemote1.ip, p})->ip);
  }
  ASSERT_EQ(a_ips.size(), 1u);
  ASSERT_EQ(b_ips.size(), 1u);
  EXPECT_NE(*a_ips.begin(), *b_ips.begin());  // new hosts go to the least loaded address
}

TEST(NatModelTest, ArbitraryPoolingSpreadsOneHostOverAddresses) {
  NatConfig c;
  c.mapping = MappingBehavior::kAddressPortDependent;
  c.allocation = PortAllocation::kRandom;
  c.pooling = PoolingBehavior::kArbitrary;
  Harness h(c, {kPublic1, kPublic2});
  std::set<Ipv4> ips;
  for (std::uint16_t p = 1; p <= 20; ++p) ips.insert(h.udp_out(kHostA, Endpoint{kRemote1.ip, p})->ip);
  EXPECT_EQ(ips, (std::set<Ipv4>{kPublic1, kPublic2}));
}

// --- Events -------------------------------------------------------------------------

TEST(NatModelTest, FlushEmptiesTheTableLikeAReboot) {
  Harness h(NatConfig{});
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(h.udp_out(kHostB, kRemote1));
  h.nat().flush();
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);
  EXPECT_FALSE(h.nat().next_expiry());
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kDropNoMapping);
  EXPECT_EQ(h.nat().counters().mappings_flushed, 2u);
  EXPECT_TRUE(h.nat().owns_public_ip(kPublic1));
  EXPECT_TRUE(h.udp_out(kHostA, kRemote1));
}

TEST(NatModelTest, PublicIpChangeInvalidatesEveryMapping) {
  Harness h(NatConfig{});
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub);
  h.nat().change_public_ips({kPublic2});
  EXPECT_FALSE(h.nat().owns_public_ip(kPublic1));
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kDropNotForNat);
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);
  const auto fresh = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->ip, kPublic2);

  h.nat().change_public_ips({});
  EXPECT_EQ(h.out(udp_packet(kHostA, kRemote1)).verdict, Verdict::kDropNoPublicIp);
}

// --- CGNAT port blocks ----------------------------------------------------------------

TEST(NatModelTest, PortBlocksKeepEachHostInsideItsOwnBlock) {
  NatConfig c;
  c.filtering = FilteringBehavior::kEndpointIndependent;
  c.allocation = PortAllocation::kRandom;
  c.port_min = 1024;
  c.port_max = 1024 + 4 * 8 - 1;  // four blocks of eight
  c.port_block_size = 8;
  Harness h(c);

  auto block_of = [](std::uint16_t port) { return (port - 1024) / 8; };
  std::set<int> a_blocks, b_blocks;
  for (std::uint16_t i = 0; i < 8; ++i) {
    const auto a = h.udp_out(Endpoint{kHostA.ip, std::uint16_t(5000 + i)}, kRemote1);
    const auto b = h.tcp_out(Endpoint{kHostB.ip, std::uint16_t(5000 + i)}, kRemote1, kTcpSyn);
    ASSERT_TRUE(a && b);
    a_blocks.insert(block_of(a->port));
    b_blocks.insert(block_of(b->port));
  }
  ASSERT_EQ(a_blocks.size(), 1u);
  ASSERT_EQ(b_blocks.size(), 1u);
  EXPECT_NE(*a_blocks.begin(), *b_blocks.begin());
  // UDP and TCP of one host share its block (the port spaces are separate).
  const auto a_tcp = h.tcp_out(kHostA, kRemote1, kTcpSyn);
  ASSERT_TRUE(a_tcp);
  EXPECT_EQ(block_of(a_tcp->port), *a_blocks.begin());

  // A's UDP block is full: no borrowing from free blocks.
  EXPECT_EQ(h.out(udp_packet(Endpoint{kHostA.ip, 6000}, kRemote1)).verdict, Verdict::kDropPortExhausted);
  // Two more hosts take the last two blocks; a fifth finds none.
  EXPECT_TRUE(h.udp_out(ep("10.0.0.4:1"), kRemote1));
  EXPECT_TRUE(h.udp_out(ep("10.0.0.5:1"), kRemote1));
  EXPECT_EQ(h.out(udp_packet(ep("10.0.0.6:1"), kRemote1)).verdict, Verdict::kDropPortExhausted);
  // When a host's mappings are all gone its block is free again.
  h.advance(c.tcp_transitory_timeout + 1s);
  EXPECT_TRUE(h.udp_out(ep("10.0.0.6:1"), kRemote1));
}

// --- Determinism --------------------------------------------------------------------

std::vector<Endpoint> random_allocations(std::uint64_t seed) {
  NatConfig c;
  c.mapping = MappingBehavior::kAddressPortDependent;
  c.allocation = PortAllocation::kRandom;
  Harness h(c, {kPublic1, kPublic2}, seed);
  std::vector<Endpoint> out;
  for (std::uint16_t p = 1; p <= 20; ++p) out.push_back(*h.udp_out(kHostA, Endpoint{kRemote1.ip, p}));
  return out;
}

TEST(NatModelTest, SameSeedGivesSameAllocations) {
  EXPECT_EQ(random_allocations(7), random_allocations(7));
  EXPECT_NE(random_allocations(7), random_allocations(8));
}

}  // namespace
}  // namespace yt::nat
