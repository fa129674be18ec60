// classify_nat() (nat_classifier.h): observations -> NatProfile, table-driven.
#include "client/core/nat_classifier.h"

#include <gtest/gtest.h>

namespace yt::test {
namespace {

using M = MappingBehavior;
using F = FilteringBehavior;
using A = PortAllocation;

// The client's socket and the server's 2 IPs x 2 ports.
const Endpoint kLocal{Ipv4::from_octets(192, 168, 1, 10), 40001};
const Endpoint kP{Ipv4::from_octets(198, 51, 100, 1), 3478};    // primary
const Endpoint kAP{Ipv4::from_octets(198, 51, 100, 1), 3479};   // other port
const Endpoint kAI{Ipv4::from_octets(198, 51, 100, 2), 3478};   // other IP
const Endpoint kAB{Ipv4::from_octets(198, 51, 100, 2), 3479};   // other IP and port
const Ipv4 kPub = Ipv4::from_octets(203, 0, 113, 9);
const Ipv4 kPub2 = Ipv4::from_octets(203, 0, 113, 10);

Endpoint pub(std::uint16_t port, Ipv4 ip = kPub) { return Endpoint{ip, port}; }

// Mapped endpoints seen at P, AP, AI, AB (in that send order; nullopt: no answer).
DiscoveryObservations four(std::optional<Endpoint> p, std::optional<Endpoint> ap, std::optional<Endpoint> ai,
                           std::optional<Endpoint> ab) {
  DiscoveryObservations o;
  o.lan_endpoints = {kLocal};
  o.mappings = {{kP, p, false}, {kAP, ap, true}, {kAI, ai, true}, {kAB, ab, true}};
  return o;
}

DiscoveryObservations with_filter(DiscoveryObservations o, std::optional<bool> other_ip,
                                  std::optional<bool> other_port, std::optional<bool> hairpin) {
  o.reply_from_other_ip = other_ip;
  o.reply_from_other_port = other_port;
  o.hairpin = hairpin;
  return o;
}

struct Case {
  const char* name;
  DiscoveryObservations seen;
  M mapping;
  bool mapping_known;
  F filtering;
  bool filtering_known;
  A allocation;
  std::int32_t delta;
  bool hairpin;
  std::vector<Ipv4> public_ips;
};

std::vector<Case> cases() {
  const Endpoint m = pub(40001);  // port preserved
  return {
      {"full cone", with_filter(four(m, m, m, m), true, true, true),  //
       M::kEndpointIndependent, true, F::kEndpointIndependent, true, A::kPreserve, 0, true, {kPub}},
      {"restricted cone", with_filter(four(m, m, m, m), false, true, false),  //
       M::kEndpointIndependent, true, F::kAddressDependent, true, A::kPreserve, 0, false, {kPub}},
      {"port-restricted cone", with_filter(four(m, m, m, m), false, false, true),
       M::kEndpointIndependent, true, F::kAddressPortDependent, true, A::kPreserve, 0, true, {kPub}},
      {"EIM with a random port", with_filter(four(pub(1500), pub(1500), pub(1500), pub(1500)), true, true, true),
       M::kEndpointIndependent, true, F::kEndpointIndependent, true, A::kRandom, 0, true, {kPub}},
      {"symmetric sequential +1",
       with_filter(four(pub(5000), pub(5001), pub(5002), pub(5003)), false, false, false),
       M::kAddressPortDependent, true, F::kAddressPortDependent, true, A::kSequential, 1, false, {kPub}},
      {"symmetric sequential -2, other hosts allocated between the rounds",
       with_filter(four(pub(9000), pub(8950), pub(8948), pub(8946)), false, false, false),
       M::kAddressPortDependent, true, F::kAddressPortDependent, true, A::kSequential, -2, false, {kPub}},
      {"symmetric random",
       with_filter(four(pub(31000), pub(1207), pub(52234), pub(20001)), false, false, false),
       M::kAddressPortDependent, true, F::kAddressPortDependent, true, A::kRandom, 0, false, {kPub}},
      {"symmetric, first port preserved then random",
       with_filter(four(m, pub(1207), pub(52234), pub(20001)), false, false, false),
       M::kAddressPortDependent, true, F::kAddressPortDependent, true, A::kPreserve, 0, false, {kPub}},
      {"address-dependent mapping, sequential",
       with_filter(four(pub(7000), pub(7000), pub(7001), pub(7001)), false, true, false),
       M::kAddressDependent, true, F::kAddressDependent, true, A::kSequential, 1, false, {kPub}},
      {"address-dependent mapping, one large step is random",
       with_filter(four(pub(7000), pub(7000), pub(17001), pub(17001)), false, true, false),
       M::kAddressDependent, true, F::kAddressDependent, true, A::kRandom, 0, false, {kPub}},
      {"pooling: the other IP's mapping on another address",
       with_filter(four(pub(40001), pub(40001), pub(40001, kPub2), pub(40001, kPub2)), false, false, false),
       M::kAddressDependent, true, F::kAddressPortDependent, true, A::kPreserve, 0, false, {kPub, kPub2}},
      {"the other-IP reply alone proves EIF", with_filter(four(m, m, m, m), true, false, false),
       M::kEndpointIndependent, true, F::kEndpointIndependent, true, A::kPreserve, 0, false, {kPub}},
  };
}

TEST(NatClassifier, FullObservationsClassifyEveryBehaviour) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    NatProfile p = classify_nat(c.seen);
    EXPECT_FALSE(p.udp_blocked);
    EXPECT_TRUE(p.behind_nat);
    EXPECT_EQ(p.mapping, c.mapping);
    EXPECT_EQ(p.mapping_known, c.mapping_known);
    EXPECT_EQ(p.filtering, c.filtering);
    EXPECT_EQ(p.filtering_known, c.filtering_known);
    EXPECT_EQ(p.allocation, c.allocation);
    EXPECT_EQ(p.port_delta, c.delta);
    EXPECT_EQ(p.hairpinning, c.hairpin);
    EXPECT_EQ(p.public_ips, c.public_ips);
    EXPECT_EQ(p.mapping_lifetime, Duration{0});  // not measured
  }
}

TEST(NatClassifier, NoPrimaryAnswerIsUdpBlocked) {
  EXPECT_TRUE(classify_nat(DiscoveryObservations{}).udp_blocked);
  DiscoveryObservations o = four(std::nullopt, pub(1), pub(1), pub(1));  // others cannot make up for it
  NatProfile p = classify_nat(o);
  EXPECT_TRUE(p.udp_blocked);
  EXPECT_TRUE(p.behind_nat);
  EXPECT_FALSE(p.mapping_known);
  EXPECT_FALSE(p.filtering_known);
  EXPECT_TRUE(p.public_ips.empty());
  EXPECT_EQ(p.summary(), "udp-blocked");
}

TEST(NatClassifier, NoNatIsEimPreserveHairpinWithFilteringStillMeasured) {
  DiscoveryObservations o = with_filter(four(kLocal, kLocal, kLocal, kLocal), false, false, std::nullopt);
  NatProfile p = classify_nat(o);
  EXPECT_FALSE(p.behind_nat);
  EXPECT_EQ(p.mapping, M::kEndpointIndependent);
  EXPECT_TRUE(p.mapping_known);
  EXPECT_EQ(p.filtering, F::kAddressPortDependent);  // a stateful firewall
  EXPECT_TRUE(p.filtering_known);
  EXPECT_EQ(p.allocation, A::kPreserve);
  EXPECT_TRUE(p.hairpinning);
  EXPECT_EQ(p.public_ips, std::vector<Ipv4>{kLocal.ip});

  // With the primary endpoint alone there is still nothing translating.
  DiscoveryObservations alone;
  alone.lan_endpoints = {kLocal};
  alone.mappings = {{kP, kLocal, false}};
  NatProfile q = classify_nat(alone);
  EXPECT_EQ(q.mapping, M::kEndpointIndependent);
  EXPECT_TRUE(q.mapping_known);
  EXPECT_FALSE(q.filtering_known);
}

// Fewer endpoints, or endpoints that never answered: the most restrictive behaviour
// the evidence allows, marked unknown.
struct PartialCase {
  const char* name;
  std::vector<MappingObservation> mappings;
  std::optional<bool> other_ip;
  std::optional<bool> other_port;
  M mapping;
  bool mapping_known;
  F filtering;
  bool filtering_known;
  A allocation;
};

TEST(NatClassifier, PartialObservationsAreConservativeAndSaySo) {
  const Endpoint m = pub(40001);
  const std::vector<PartialCase> partial = {
      {"primary only", {{kP, m, false}}, std::nullopt, std::nullopt,  //
       M::kAddressPortDependent, false, F::kAddressPortDependent, false, A::kPreserve},
      {"primary only, port changed", {{kP, pub(2000), false}}, std::nullopt, std::nullopt,
       M::kAddressPortDependent, false, F::kAddressPortDependent, false, A::kRandom},
      {"two IPs, one mapping: EIM; EIF test filtered: ADF or APDF",
       {{kP, m, false}, {kAI, m, true}}, false, std::nullopt,
       M::kEndpointIndependent, true, F::kAddressPortDependent, false, A::kPreserve},
      {"two IPs, two mappings: ADM or APDM; a lone step of 1 is sequential",
       {{kP, pub(5000), false}, {kAI, pub(5001), true}}, true, std::nullopt,
       M::kAddressPortDependent, false, F::kEndpointIndependent, true, A::kSequential},
      {"two ports, one mapping: EIM or ADM; other-port reply: EIF or ADF",
       {{kP, m, false}, {kAP, m, true}}, std::nullopt, true,
       M::kAddressDependent, false, F::kAddressDependent, false, A::kPreserve},
      {"two ports, two mappings: APDM; other-port reply filtered: APDF",
       {{kP, pub(5000), false}, {kAP, pub(6100), true}}, std::nullopt, false,
       M::kAddressPortDependent, true, F::kAddressPortDependent, true, A::kRandom},
      {"four endpoints, only the primary answered",
       {{kP, m, false}, {kAP, std::nullopt, true}, {kAI, std::nullopt, true}, {kAB, std::nullopt, true}},
       false, false,  //
       M::kAddressPortDependent, false, F::kAddressPortDependent, true, A::kPreserve},
      {"four endpoints, the other IP unreachable: port-independent, IP unknown",
       {{kP, m, false}, {kAP, m, true}, {kAI, std::nullopt, true}, {kAB, std::nullopt, true}},
       std::nullopt, true,  //
       M::kAddressDependent, false, F::kAddressDependent, false, A::kPreserve},
  };
  for (const PartialCase& c : partial) {
    SCOPED_TRACE(c.name);
    DiscoveryObservations o;
    o.lan_endpoints = {kLocal};
    o.mappings = c.mappings;
    o.reply_from_other_ip = c.other_ip;
    o.reply_from_other_port = c.other_port;
    NatProfile p = classify_nat(o);
    EXPECT_FALSE(p.udp_blocked);
    EXPECT_EQ(p.mapping, c.mapping);
    EXPECT_EQ(p.mapping_known, c.mapping_known);
    EXPECT_EQ(p.filtering, c.filtering);
    EXPECT_EQ(p.filtering_known, c.filtering_known);
    EXPECT_EQ(p.allocation, c.allocation);
    EXPECT_FALSE(p.hairpinning);  // not tested
  }
}

TEST(NatClassifier, PositiveFilteringEvidenceWinsOverAMissingReply) {
  // The other-IP reply came, the other-port one was lost: EIF (proof beats absence).
  NatProfile p = classify_nat(with_filter(four(pub(40001), pub(40001), pub(40001), pub(40001)), true, false, false));
  EXPECT_EQ(p.filtering, F::kEndpointIndependent);
  EXPECT_TRUE(p.filtering_known);
}

TEST(NatClassifier, AllocationNeedsEqualStepsInsideTheBatchOrSmallStepsOfOneSign) {
  // Steps 1, 1 and 2: another host behind the same NAT took 5003 between two of
  // ours. A sequential NAT under contention, stepping by 1.
  NatProfile p = classify_nat(with_filter(four(pub(5000), pub(5001), pub(5002), pub(5004)), false, false, false));
  EXPECT_EQ(p.allocation, A::kSequential);
  EXPECT_EQ(p.port_delta, 1);
  // Eight hosts discovering at once: steps of 5, 9 and 3, so the NAT steps by 1.
  p = classify_nat(with_filter(four(pub(5000), pub(5005), pub(5014), pub(5017)), false, false, false));
  EXPECT_EQ(p.allocation, A::kSequential);
  EXPECT_EQ(p.port_delta, 1);
  // Steps of 4, 2 and 6: a NAT stepping by 2, or by 1 with luck; stepping by 1
  // covers both inside the prediction window.
  p = classify_nat(with_filter(four(pub(5000), pub(5004), pub(5006), pub(5012)), false, false, false));
  EXPECT_EQ(p.port_delta, 1);
  // Counting down under contention.
  p = classify_nat(with_filter(four(pub(5000), pub(4998), pub(4995), pub(4994)), false, false, false));
  EXPECT_EQ(p.allocation, A::kSequential);
  EXPECT_EQ(p.port_delta, -1);
  // Steps of both signs, or one too large: random.
  p = classify_nat(with_filter(four(pub(5000), pub(5003), pub(4999), pub(5001)), false, false, false));
  EXPECT_EQ(p.allocation, A::kRandom);
  EXPECT_EQ(p.port_delta, 0);
  p = classify_nat(with_filter(four(pub(5000), pub(5003), pub(5040), pub(5041)), false, false, false));
  EXPECT_EQ(p.allocation, A::kRandom);
  // Large equal steps inside the batch are believed (a NAT stepping by 1000).
  p = classify_nat(with_filter(four(pub(2000), pub(3000), pub(4000), pub(5000)), false, false, false));
  EXPECT_EQ(p.allocation, A::kSequential);
  EXPECT_EQ(p.port_delta, 1000);
  // Mappings on a second pooled address are left out of the sequence.
  p = classify_nat(
      with_filter(four(pub(5000), pub(5001), pub(9999, kPub2), pub(5002)), false, false, false));
  EXPECT_EQ(p.allocation, A::kSequential);
  EXPECT_EQ(p.port_delta, 1);
  EXPECT_EQ(p.public_ips, (std::vector<Ipv4>{kPub, kPub2}));
}

}  // namespace
}  // namespace yt::test
