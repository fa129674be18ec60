// Every named profile exists and behaves as documented. Behaviour is measured by
// driving packets through a model, the way RFC 5780 discovery would from outside,
// rather than by reading the config fields back.
#include "nat-models/nat_profiles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;
using test::Harness;
using test::ip;
using test::kHostA;
using test::kHostB;
using test::kPublic1;
using test::kRemote1;
using test::kRemote1OtherPort;
using test::kRemote2;
using test::kStranger;

// --- Measuring a NAT from outside -----------------------------------------------------

struct Observed {
  MappingBehavior mapping;
  FilteringBehavior filtering;
  PortAllocation allocation;
  int delta = 0;  // sequential only
  bool hairpin = false;
};

class Prober {
 public:
  Prober(const NatConfig& config, Transport transport) : config_(config), transport_(transport) {}

  Observed measure() {
    Observed o;
    o.mapping = mapping();
    o.filtering = filtering();
    o.allocation = allocation(o.delta);
    o.hairpin = hairpin();
    return o;
  }

 private:
  std::optional<Endpoint> open(Harness& h, Endpoint from, Endpoint to) {
    return transport_ == Transport::kUdp ? h.udp_out(from, to) : h.tcp_out(from, to, kTcpSyn);
  }
  Verdict probe(Harness& h, Endpoint from, Endpoint to) {
    return transport_ == Transport::kUdp ? h.udp_in(from, to) : h.tcp_in(from, to, kTcpSyn);
  }

  MappingBehavior mapping() {
    Harness h(config_);
    const auto a = open(h, kHostA, kRemote1);
    const auto b = open(h, kHostA, kRemote1OtherPort);
    const auto c = open(h, kHostA, kRemote2);
    EXPECT_TRUE(a && b && c);
    if (a != b) return MappingBehavior::kAddressPortDependent;
    return a == c ? MappingBehavior::kEndpointIndependent : MappingBehavior::kAddressDependent;
  }

  FilteringBehavior filtering() {
    Harness h(config_);
    const auto pub = open(h, kHostA, kRemote1);
    EXPECT_TRUE(pub);
    if (!pub) return FilteringBehavior::kAddressPortDependent;
    EXPECT_EQ(probe(h, kRemote1, *pub), Verdict::kForward);
    if (probe(h, kStranger, *pub) == Verdict::kForward) return FilteringBehavior::kEndpointIndependent;
    if (probe(h, kRemote1OtherPort, *pub) == Verdict::kForward) return FilteringBehavior::kAddressDependent;
    return FilteringBehavior::kAddressPortDependent;
  }

  PortAllocation allocation(int& delta) {
    Harness h(config_);
    std::vector<int> internal, external;
    for (std::uint16_t port : {40000, 40010, 40020, 40030, 40040}) {
      const auto pub = open(h, Endpoint{kHostA.ip, port}, kRemote1);
      EXPECT_TRUE(pub);
      if (!pub) return PortAllocation::kRandom;
      internal.push_back(port);
      external.push_back(pub->port);
    }
    if (internal == external) return PortAllocation::kPreserve;
    std::set<int> steps;
    for (std::size_t i = 1; i < external.size(); ++i) steps.insert(external[i] - external[i - 1]);
    if (steps.size() == 1) {
      delta = *steps.begin();
      return PortAllocation::kSequential;
    }
    return PortAllocation::kRandom;
  }

  bool hairpin() {
    Harness h(config_);
    const auto pub_b = open(h, kHostB, kRemote1);
    EXPECT_TRUE(pub_b);
    PacketHeader p =
        transport_ == Transport::kUdp ? udp_packet(kHostA, *pub_b) : tcp_packet(kHostA, *pub_b, kTcpSyn);
    // Filtered counts as support: the packet was turned around and met B's filter.
    return h.out(p).verdict != Verdict::kDropNoHairpin;
  }

  NatConfig config_;
  Transport transport_;
};

struct Expectation {
  const char* name;
  Transport measured_over;
  MappingBehavior mapping;
  FilteringBehavior filtering;
  PortAllocation allocation;
  int delta;
  bool hairpin;
};

using M = MappingBehavior;
using F = FilteringBehavior;
using A = PortAllocation;
constexpr Transport kUdp = Transport::kUdp;
constexpr Transport kTcp = Transport::kTcp;

// The README's profile table, checked. tcp-443-only cannot be probed this way (it
// lets nothing but port 443 out); its own tests are in firewall_test.cpp and below.
const Expectation kExpected[] = {
    {"full-cone", kUdp, M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve, 0, true},
    {"restricted-cone", kUdp, M::kEndpointIndependent, F::kAddressDependent, A::kPreserve, 0, false},
    {"port-restricted-cone", kUdp, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, true},
    {"symmetric-sequential", kUdp, M::kAddressPortDependent, F::kAddressPortDependent, A::kSequential, 1,
     false},
    {"symmetric-random", kUdp, M::kAddressPortDependent, F::kAddressPortDependent, A::kRandom, 0, false},
    {"linux-masquerade", kUdp, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false},
    {"cgnat", kUdp, M::kEndpointIndependent, F::kEndpointIndependent, A::kRandom, 0, true},
    {"udp-blocked", kTcp, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false},
    {"one-to-one", kUdp, M::kEndpointIndependent, F::kEndpointIndependent, A::kPreserve, 0, true},
    {"home-router-pcp", kUdp, M::kEndpointIndependent, F::kAddressPortDependent, A::kPreserve, 0, false},
    {"symmetric-random-natpmp", kUdp, M::kAddressPortDependent, F::kAddressPortDependent, A::kRandom, 0, false},
};

TEST(NatProfilesTest, PortMappingProfilesAnswerWhatTheirNamesSay) {
  EXPECT_TRUE(profile("home-router-pcp")->answers_pcp);
  EXPECT_TRUE(profile("home-router-pcp")->answers_nat_pmp);
  EXPECT_FALSE(profile("symmetric-random-natpmp")->answers_pcp);
  EXPECT_TRUE(profile("symmetric-random-natpmp")->answers_nat_pmp);
  for (const std::string& name : profile_names()) {
    if (name == "home-router-pcp" || name == "symmetric-random-natpmp") continue;
    EXPECT_FALSE(profile(name)->answers_pcp || profile(name)->answers_nat_pmp) << name;
  }
}

class ProfileBehaviourTest : public ::testing::TestWithParam<Expectation> {};

TEST_P(ProfileBehaviourTest, MeasuresAsDocumented) {
  const Expectation& e = GetParam();
  const auto config = profile(e.name);
  ASSERT_TRUE(config);
  const Observed o = Prober(*config, e.measured_over).measure();
  EXPECT_EQ(o.mapping, e.mapping) << to_string(o.mapping);
  EXPECT_EQ(o.filtering, e.filtering) << to_string(o.filtering);
  EXPECT_EQ(o.allocation, e.allocation) << to_string(o.allocation);
  EXPECT_EQ(o.delta, e.delta);
  EXPECT_EQ(o.hairpin, e.hairpin);
}

INSTANTIATE_TEST_SUITE_P(Profiles, ProfileBehaviourTest, ::testing::ValuesIn(kExpected),
                         [](const ::testing::TestParamInfo<Expectation>& info) {
                           std::string n = info.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// --- The list itself ------------------------------------------------------------------

TEST(NatProfilesTest, EveryListedNameResolvesAndNamesAreUnique) {
  const auto names = profile_names();
  EXPECT_EQ(names.size(), 12u);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());
  for (const auto& n : names) {
    EXPECT_TRUE(profile(n)) << n;
    const auto chain = profile_chain(n);
    ASSERT_TRUE(chain) << n;
    EXPECT_EQ(chain->size(), 1u);
  }
  for (const char* expected :
       {"full-cone", "restricted-cone", "port-restricted-cone", "symmetric-sequential", "symmetric-random",
        "linux-masquerade", "cgnat", "udp-blocked", "tcp-443-only", "one-to-one", "home-router-pcp",
        "symmetric-random-natpmp"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

TEST(NatProfilesTest, UnknownNamesAreNullopt) {
  EXPECT_FALSE(profile("carrier-pigeon"));
  EXPECT_FALSE(profile(""));
  EXPECT_FALSE(profile("Full-Cone"));
  EXPECT_FALSE(profile_chain("carrier-pigeon"));
  EXPECT_FALSE(profile("home-behind-cgnat"));  // stacked: profile_chain only
}

TEST(NatProfilesTest, HomeBehindCgnatIsHomeRouterThenCgnat) {
  EXPECT_EQ(stacked_profile_names(), std::vector<std::string>{"home-behind-cgnat"});
  const auto chain = profile_chain("home-behind-cgnat");
  ASSERT_TRUE(chain);
  ASSERT_EQ(chain->size(), 2u);
  EXPECT_EQ((*chain)[0].port_block_size, 0);  // inner: the home router
  EXPECT_EQ((*chain)[0].filtering, F::kAddressPortDependent);
  EXPECT_GT((*chain)[1].port_block_size, 0);  // outer: the CGN
}

// --- Profile specifics the prober does not see ------------------------------------------

TEST(NatProfilesTest, LinuxMasqueradeTimersAndPickup) {
  Harness h(*profile("linux-masquerade"));
  const auto pub = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(pub);
  EXPECT_EQ(h.only_expiry(), h.now + 30s);  // unreplied
  EXPECT_EQ(h.udp_in(kRemote1, *pub), Verdict::kForward);
  EXPECT_EQ(h.only_expiry(), h.now + 120s);                                            // stream
  EXPECT_EQ(h.tcp_out(kHostB, kRemote1, kTcpAck), (Endpoint{kPublic1, kHostB.port}));  // loose pickup
  // The port of a second host using the same source port is not preserved.
  const auto clash = h.udp_out(Endpoint{kHostB.ip, kHostA.port}, kRemote2);
  ASSERT_TRUE(clash);
  EXPECT_NE(clash->port, kHostA.port);
}

struct EarlyPacketExpectation {
  const char* name;
  bool moves;  // an unsolicited packet from a peer moves the host's later flows
};

// The EIM profiles that let UDP through; with APDM every flow gets a port of its own
// anyway, so the move cannot be seen from outside.
const EarlyPacketExpectation kEarlyPacket[] = {
    {"full-cone", false},       {"restricted-cone", false}, {"port-restricted-cone", false},
    {"linux-masquerade", true}, {"cgnat", false},
};

class ProfileEarlyPacketTest : public ::testing::TestWithParam<EarlyPacketExpectation> {};

TEST_P(ProfileEarlyPacketTest, OnlyConntrackMovesLaterFlowsAfterAnUnsolicitedPacket) {
  const EarlyPacketExpectation& e = GetParam();
  Harness h(*profile(e.name));
  const auto to_server = h.udp_out(kHostA, kRemote1);
  ASSERT_TRUE(to_server);
  h.udp_in(kRemote2, *to_server);  // the peer's packet arrives before the host sends to it
  const auto to_peer = h.udp_out(kHostA, kRemote2);
  const auto later = h.udp_out(kHostA, kStranger);
  ASSERT_TRUE(to_peer && later);
  EXPECT_EQ(*to_peer != *to_server, e.moves);
  EXPECT_EQ(later, to_peer);                          // new flows follow the newest port
  EXPECT_EQ(h.udp_out(kHostA, kRemote1), to_server);  // the server's flow stays
}

INSTANTIATE_TEST_SUITE_P(Profiles, ProfileEarlyPacketTest, ::testing::ValuesIn(kEarlyPacket),
                         [](const ::testing::TestParamInfo<EarlyPacketExpectation>& info) {
                           std::string n = info.param.name;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(NatProfilesTest, CgnatGivesEachSubscriberABlockOf512) {
  Harness h(*profile("cgnat"));
  std::set<int> blocks_a, blocks_b;
  for (std::uint16_t i = 0; i < 20; ++i) {
    blocks_a.insert((h.udp_out(Endpoint{kHostA.ip, std::uint16_t(5000 + i)}, kRemote1)->port - 1024) / 512);
    blocks_b.insert((h.udp_out(Endpoint{kHostB.ip, std::uint16_t(5000 + i)}, kRemote1)->port - 1024) / 512);
  }
  EXPECT_EQ(blocks_a.size(), 1u);
  EXPECT_EQ(blocks_b.size(), 1u);
  EXPECT_NE(*blocks_a.begin(), *blocks_b.begin());
}

TEST(NatProfilesTest, OneToOneIsABasicNat) { EXPECT_EQ(profile("one-to-one")->mode, NatMode::kOneToOne); }

// --- Home NAT behind CGNAT, end to end --------------------------------------------------

class StackedTest : public ::testing::Test {
 protected:
  StackedTest()
      : chain_(*profile_chain("home-behind-cgnat")),
        home1_(chain_[0], {kHome1Wan}, rng_home1_),
        home2_(chain_[0], {kHome2Wan}, rng_home2_),
        cgnat_(chain_[1], {kPublic1}, rng_cgnat_) {}

  // LAN -> home router -> CGN -> Internet.
  Verdict up(NatModel& home, PacketHeader& p) {
    const Verdict v = home.outbound(now_, p);
    if (v != Verdict::kForward) return v;
    return cgnat_.outbound(now_, p);
  }
  // Internet -> CGN -> home router -> LAN; the CGN's LAN side routes by address.
  Verdict down(PacketHeader& p) {
    const Verdict v = cgnat_.inbound(now_, p);
    if (v != Verdict::kForward) return v;
    return home_for(p.dst.ip).inbound(now_, p);
  }
  NatModel& home_for(Ipv4 wan) { return wan == kHome1Wan ? home1_ : home2_; }

  const Ipv4 kHome1Wan = ip("100.64.0.2");
  const Ipv4 kHome2Wan = ip("100.64.0.3");
  const Endpoint kLanHost = ep("192.168.1.2:40000");  // the same private address in both homes
  const Endpoint kServer = ep("203.0.113.10:3478");

  std::vector<NatConfig> chain_;
  SeededRandom rng_home1_{1, 1}, rng_home2_{1, 2}, rng_cgnat_{1, 3};
  NatModel home1_, home2_, cgnat_;
  Time now_{};
};

TEST_F(StackedTest, OutboundThroughBothAndTheReplyBackThroughBoth) {
  PacketHeader p = udp_packet(kLanHost, kServer);
  ASSERT_EQ(up(home1_, p), Verdict::kForward);
  EXPECT_EQ(p.src.ip, kPublic1);
  EXPECT_EQ(p.dst, kServer);
  const Endpoint public_endpoint = p.src;
  EXPECT_EQ(cgnat_.find_public_endpoint(Transport::kUdp, Endpoint{kHome1Wan, kLanHost.port}, kServer, now_),
            public_endpoint);  // the home router preserved the port

  PacketHeader reply = udp_packet(kServer, public_endpoint);
  ASSERT_EQ(down(reply), Verdict::kForward);
  EXPECT_EQ(reply.dst, kLanHost);
  EXPECT_EQ(reply.src, kServer);

  // The CGN lets a stranger in (EIF); the home router's conntrack does not.
  PacketHeader stranger = udp_packet(kStranger, public_endpoint);
  EXPECT_EQ(down(stranger), Verdict::kDropFiltered);
  EXPECT_EQ(home1_.counters().inbound[static_cast<size_t>(Verdict::kDropFiltered)], 1u);
}

TEST_F(StackedTest, TwoHomesBehindOneCgnatPunchThroughItsHairpin) {
  PacketHeader a = udp_packet(kLanHost, kServer);
  PacketHeader b = udp_packet(kLanHost, kServer);
  ASSERT_EQ(up(home1_, a), Verdict::kForward);
  ASSERT_EQ(up(home2_, b), Verdict::kForward);
  const Endpoint pub1 = a.src, pub2 = b.src;
  ASSERT_NE(pub1, pub2);

  // Home 1 sends first, a low-TTL probe that dies on the way: home 1's router now
  // expects pub2, and home 2's router never saw anything (see the next test for
  // why that matters).
  PacketHeader first = udp_packet(kLanHost, pub2);
  ASSERT_EQ(home1_.outbound(now_, first), Verdict::kForward);

  // Home 2's packet makes it all the way to home 1's host, and then both ways work.
  PacketHeader second = udp_packet(kLanHost, pub1);
  ASSERT_EQ(home2_.outbound(now_, second), Verdict::kForward);
  ASSERT_EQ(cgnat_.outbound(now_, second), Verdict::kHairpin);
  EXPECT_EQ(second.src, pub2);
  ASSERT_EQ(home1_.inbound(now_, second), Verdict::kForward);
  EXPECT_EQ(second.dst, kLanHost);

  PacketHeader third = udp_packet(kLanHost, pub2);
  ASSERT_EQ(home1_.outbound(now_, third), Verdict::kForward);
  ASSERT_EQ(cgnat_.outbound(now_, third), Verdict::kHairpin);
  EXPECT_EQ(third.dst.ip, kHome2Wan);
  ASSERT_EQ(home2_.inbound(now_, third), Verdict::kForward);
  EXPECT_EQ(third.src, pub1);
}

TEST_F(StackedTest, AFirstPacketReachingTheOtherHomeMovesItsAnswerToAnotherPort) {
  PacketHeader a = udp_packet(kLanHost, kServer);
  PacketHeader b = udp_packet(kLanHost, kServer);
  ASSERT_EQ(up(home1_, a), Verdict::kForward);
  ASSERT_EQ(up(home2_, b), Verdict::kForward);
  const Endpoint pub1 = a.src, pub2 = b.src;

  // Home 1's first packet goes all the way: the CGN turns it around and home 2's
  // conntrack drops it, but keeps its tuple.
  PacketHeader first = udp_packet(kLanHost, pub2);
  ASSERT_EQ(home1_.outbound(now_, first), Verdict::kForward);
  ASSERT_EQ(cgnat_.outbound(now_, first), Verdict::kHairpin);
  EXPECT_EQ(home2_.inbound(now_, first), Verdict::kDropFiltered);

  // So home 2's answer leaves its router from another port, the CGN maps that to
  // another public port, and home 1's conntrack, expecting pub2, drops it.
  PacketHeader second = udp_packet(kLanHost, pub1);
  ASSERT_EQ(home2_.outbound(now_, second), Verdict::kForward);
  ASSERT_EQ(cgnat_.outbound(now_, second), Verdict::kHairpin);
  EXPECT_NE(second.src, pub2);
  EXPECT_EQ(home1_.inbound(now_, second), Verdict::kDropFiltered);
  EXPECT_EQ(home2_.counters().tuple_clashes, 1u);
  // The server still sees home 2 on pub2.
  PacketHeader keepalive = udp_packet(kLanHost, kServer);
  ASSERT_EQ(up(home2_, keepalive), Verdict::kForward);
  EXPECT_EQ(keepalive.src, pub2);
}

TEST_F(StackedTest, CgnatRebootBreaksTheOuterMappingOnly) {
  PacketHeader p = udp_packet(kLanHost, kServer);
  ASSERT_EQ(up(home1_, p), Verdict::kForward);
  cgnat_.flush();
  PacketHeader reply = udp_packet(kServer, p.src);
  EXPECT_EQ(down(reply), Verdict::kDropNoMapping);
  EXPECT_EQ(home1_.mapping_count(now_), 1u);
}

}  // namespace
}  // namespace yt::nat
