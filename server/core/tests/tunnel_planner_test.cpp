#include "server/core/tunnel_planner.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TunnelSide side(std::uint8_t first_key_byte, Endpoint mapped, std::vector<Endpoint> lan = {}) {
  TunnelSide s;
  s.key.fill(0x11);
  s.key[0] = first_key_byte;
  s.virtual_ip = Ipv4::from_octets(25, 0, 0, first_key_byte);
  s.mapped = mapped;
  s.lan_endpoints = std::move(lan);
  return s;
}

PlanOptions lead(int ms) {
  PlanOptions o;
  o.lead = std::chrono::milliseconds(ms);
  return o;
}

NatProfile symmetric_sequential(std::int32_t delta) {
  NatProfile p;
  p.mapping = MappingBehavior::kAddressPortDependent;
  p.mapping_known = true;
  p.allocation = PortAllocation::kSequential;
  p.port_delta = delta;
  return p;
}

const Endpoint kLanA{Ipv4::from_octets(192, 168, 0, 2), 5000};
const Endpoint kLanB{Ipv4::from_octets(192, 168, 0, 3), 5000};

TEST(TunnelPlanner, SmallerKeyInitiatesAndCandidatesAreThePeers) {
  TunnelSide a = side(9, {Ipv4::from_octets(192, 0, 2, 1), 1000}, {kLanA});
  TunnelSide b = side(3, {Ipv4::from_octets(192, 0, 2, 2), 2000}, {kLanB});
  TunnelPlan plan = plan_tunnel(a, b, 77, lead(250));
  EXPECT_EQ(plan.for_a.tunnel_id, 77u);
  EXPECT_EQ(plan.for_b.tunnel_id, 77u);
  EXPECT_EQ(plan.for_a.role, TunnelRole::kResponder);
  EXPECT_EQ(plan.for_b.role, TunnelRole::kInitiator);
  EXPECT_EQ(plan.for_a.peer, b.key);
  EXPECT_EQ(plan.for_a.peer_virtual_ip, b.virtual_ip);
  EXPECT_EQ(plan.for_a.candidates, std::vector<Endpoint>{*b.mapped});  // different public IPs: no LAN
  EXPECT_EQ(plan.for_b.candidates, std::vector<Endpoint>{*a.mapped});
  EXPECT_EQ(plan.for_a.start_delay_ms, 250u);
}

TEST(TunnelPlanner, SamePublicIpOffersLanEndpointsFirstWithoutDuplicates) {
  Ipv4 nat = Ipv4::from_octets(192, 0, 2, 9);
  TunnelSide a = side(1, {nat, 1000}, {kLanA, kLanA});
  TunnelSide b = side(2, {nat, 1001}, {kLanB, Endpoint{}});
  TunnelPlan plan = plan_tunnel(a, b, 5, lead(0));
  EXPECT_EQ(plan.for_a.candidates, (std::vector<Endpoint>{kLanB, Endpoint{nat, 1001}}));
  EXPECT_EQ(plan.for_b.candidates, (std::vector<Endpoint>{kLanA, Endpoint{nat, 1000}}));
}

TEST(TunnelPlanner, UnknownMappedEndpointGivesNoPublicCandidate) {
  TunnelSide a = side(1, {Ipv4::from_octets(192, 0, 2, 1), 1000}, {kLanA});
  TunnelSide b = side(2, {}, {kLanB});
  b.mapped.reset();
  TunnelPlan plan = plan_tunnel(a, b, 5, lead(100));
  EXPECT_TRUE(plan.for_a.candidates.empty());
  EXPECT_EQ(plan.for_b.candidates, std::vector<Endpoint>{*a.mapped});
}

TEST(TunnelPlanner, CandidateListIsCapped) {
  Ipv4 nat = Ipv4::from_octets(192, 0, 2, 9);
  std::vector<Endpoint> many;
  for (std::uint16_t p = 1; p <= 40; ++p) many.push_back({Ipv4::from_octets(10, 0, 0, 1), p});
  TunnelSide a = side(1, {nat, 1000});
  TunnelSide b = side(2, {nat, 1001}, many);
  EXPECT_EQ(plan_tunnel(a, b, 5, lead(1)).for_a.candidates.size(), kMaxCandidates);
}

TEST(TunnelPlanner, NaiveOffersOnlyTheMappedEndpointAndStartsAtOnce) {
  Ipv4 nat = Ipv4::from_octets(192, 0, 2, 9);
  TunnelSide a = side(1, {nat, 1000}, {kLanA});
  TunnelSide b = side(2, {nat, 1001}, {kLanB});
  b.profile = symmetric_sequential(1);
  b.newest_mapping = Endpoint{nat, 1003};
  PlanOptions naive = lead(250);
  naive.strategy = PunchStrategy::kNaive;
  TunnelPlan plan = plan_tunnel(a, b, 5, naive);
  EXPECT_EQ(plan.for_a.candidates, (std::vector<Endpoint>{Endpoint{nat, 1001}}));
  EXPECT_EQ(plan.for_b.candidates, (std::vector<Endpoint>{Endpoint{nat, 1000}}));
  EXPECT_EQ(plan.for_a.start_delay_ms, 0u);
  EXPECT_EQ(plan.for_b.start_delay_ms, 0u);
}

TEST(TunnelPlanner, SequentialSymmetricPeerGetsPredictedPortsAfterItsNewestMapping) {
  Ipv4 ip_a = Ipv4::from_octets(192, 0, 2, 1);
  Ipv4 ip_b = Ipv4::from_octets(198, 51, 100, 2);
  TunnelSide a = side(1, {ip_a, 1000});
  TunnelSide b = side(2, {ip_b, 40000});
  b.profile = symmetric_sequential(2);
  b.profile.hairpinning = true;
  b.newest_mapping = Endpoint{ip_b, 40004};  // three discovery mappings: 40000, 40002, 40004
  PlanOptions options = lead(100);
  options.prediction_window = 3;
  TunnelPlan plan = plan_tunnel(a, b, 5, options);
  // 40006 went to the hairpin probe; the mapping toward a comes next.
  EXPECT_EQ(plan.for_a.candidates,
            (std::vector<Endpoint>{{ip_b, 40008}, {ip_b, 40010}, {ip_b, 40012}}));
  // A NAT without hairpinning dropped that probe before allocating: 40006 is next.
  b.profile.hairpinning = false;
  EXPECT_EQ(plan_tunnel(a, b, 5, options).for_a.candidates.front(), (Endpoint{ip_b, 40006}));
  EXPECT_EQ(plan.for_b.candidates, (std::vector<Endpoint>{Endpoint{ip_a, 1000}}));  // a is a cone
  EXPECT_EQ(plan.for_a.start_delay_ms, 100u);
}

TEST(TunnelPlanner, PredictionKeepsTheMappedEndpointWhenMappingWasGuessedAndStaysInPortRange) {
  Ipv4 ip_b = Ipv4::from_octets(198, 51, 100, 2);
  TunnelSide a = side(1, {Ipv4::from_octets(192, 0, 2, 1), 1000});
  TunnelSide b = side(2, {ip_b, 65530});
  b.profile = symmetric_sequential(2);
  b.profile.mapping_known = false;
  PlanOptions options = lead(0);
  options.prediction_window = 8;
  // Base falls back to the mapped endpoint; 65532 and 65534 fit, 65536 would not.
  EXPECT_EQ(plan_tunnel(a, b, 5, options).for_a.candidates,
            (std::vector<Endpoint>{{ip_b, 65532}, {ip_b, 65534}, {ip_b, 65530}}));
}

TEST(TunnelPlanner, NothingIsPredictedForConesRandomAllocationOrNoNat) {
  Ipv4 ip_b = Ipv4::from_octets(198, 51, 100, 2);
  TunnelSide b = side(2, {ip_b, 40000});
  b.newest_mapping = Endpoint{ip_b, 40004};
  NatProfile random = symmetric_sequential(0);
  random.allocation = PortAllocation::kRandom;
  NatProfile cone = symmetric_sequential(1);
  cone.mapping = MappingBehavior::kEndpointIndependent;
  NatProfile open = symmetric_sequential(1);
  open.behind_nat = false;
  for (const NatProfile& p : {random, cone, open}) {
    b.profile = p;
    EXPECT_TRUE(predicted_endpoints(b, 8).empty()) << p.summary();
  }
}

TEST(TunnelPlanner, TwoSequentialSymmetricPeersPredictEachOtherInTheSameOrder) {
  Ipv4 ip_a = Ipv4::from_octets(192, 0, 2, 1);
  Ipv4 ip_b = Ipv4::from_octets(198, 51, 100, 2);
  TunnelSide a = side(1, {ip_a, 1000});
  a.profile = symmetric_sequential(1);
  a.newest_mapping = Endpoint{ip_a, 1003};
  TunnelSide b = side(2, {ip_b, 5000});
  b.profile = symmetric_sequential(1);
  b.newest_mapping = Endpoint{ip_b, 5003};
  PlanOptions options = lead(0);
  options.prediction_window = 4;
  TunnelPlan plan = plan_tunnel(a, b, 5, options);
  // a's k-th new mapping is 1004+k and goes to b's k-th candidate 5004+k; b's k-th
  // mapping is 5004+k and goes to 1004+k: each pair of probes matches the other's.
  ASSERT_EQ(plan.for_a.candidates.size(), 4u);
  ASSERT_EQ(plan.for_b.candidates.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(plan.for_a.candidates[k], (Endpoint{ip_b, static_cast<std::uint16_t>(5004 + k)}));
    EXPECT_EQ(plan.for_b.candidates[k], (Endpoint{ip_a, static_cast<std::uint16_t>(1004 + k)}));
  }
}

NatProfile no_nat() {
  NatProfile p;
  p.behind_nat = false;
  return p;
}

NatProfile measured(MappingBehavior m, FilteringBehavior f) {
  NatProfile p;
  p.mapping = m;
  p.mapping_known = true;
  p.filtering = f;
  p.filtering_known = true;
  return p;
}

PlanOptions timing() {
  PlanOptions o = lead(250);
  o.prepunch_ttl = 2;
  o.follower_delay = std::chrono::milliseconds(100);
  return o;
}

TEST(TunnelPlanner, ReceptiveMeansNoNatOrMeasuredEimEif) {
  using M = MappingBehavior;
  using F = FilteringBehavior;
  EXPECT_TRUE(receptive(no_nat()));
  EXPECT_TRUE(receptive(measured(M::kEndpointIndependent, F::kEndpointIndependent)));
  EXPECT_FALSE(receptive(measured(M::kEndpointIndependent, F::kAddressPortDependent)));
  EXPECT_FALSE(receptive(measured(M::kEndpointIndependent, F::kAddressDependent)));
  EXPECT_FALSE(receptive(measured(M::kAddressPortDependent, F::kEndpointIndependent)));
  NatProfile guessed = measured(M::kEndpointIndependent, F::kEndpointIndependent);
  guessed.filtering_known = false;
  EXPECT_FALSE(receptive(guessed));
  NatProfile host_firewall = no_nat();  // no NAT, but a stateful filter was measured
  host_firewall.filtering_known = true;
  EXPECT_FALSE(receptive(host_firewall));
  NatProfile blocked = no_nat();
  blocked.udp_blocked = true;
  EXPECT_FALSE(receptive(blocked));
}

TEST(TunnelPlanner, AFilteringSideSendsFirstAtFullTtlTowardAReceptiveOne) {
  // The real-kernel case: a public host's early probe reaching a Linux NAT first
  // moved that NAT's client to another port for all its later tunnels.
  TunnelSide natted = side(1, {Ipv4::from_octets(198, 51, 100, 2), 1000});
  TunnelSide open = side(2, {Ipv4::from_octets(203, 0, 113, 18), 2000});
  open.profile = no_nat();
  for (bool swap : {false, true}) {
    TunnelPlan plan = swap ? plan_tunnel(open, natted, 5, timing()) : plan_tunnel(natted, open, 5, timing());
    const TunnelInstruction& to_natted = swap ? plan.for_b : plan.for_a;
    const TunnelInstruction& to_open = swap ? plan.for_a : plan.for_b;
    EXPECT_EQ(to_natted.start_delay_ms, 250u);
    EXPECT_EQ(to_open.start_delay_ms, 350u);
    EXPECT_EQ(to_natted.prepunch_ttl, 0);
    EXPECT_EQ(to_open.prepunch_ttl, 0);
  }
}

TEST(TunnelPlanner, TwoFilteringSidesStartTogetherWithAPrepunch) {
  TunnelSide a = side(1, {Ipv4::from_octets(198, 51, 100, 2), 1000});
  TunnelSide b = side(2, {Ipv4::from_octets(198, 51, 100, 18), 2000});
  TunnelPlan plan = plan_tunnel(a, b, 5, timing());
  EXPECT_EQ(plan.for_a.start_delay_ms, 250u);
  EXPECT_EQ(plan.for_b.start_delay_ms, 250u);
  EXPECT_EQ(plan.for_a.prepunch_ttl, 2);
  EXPECT_EQ(plan.for_b.prepunch_ttl, 2);
}

TEST(TunnelPlanner, TwoReceptiveSidesStartTogetherWithoutAPrepunch) {
  TunnelSide a = side(1, {Ipv4::from_octets(203, 0, 113, 10), 1000});
  TunnelSide b = side(2, {Ipv4::from_octets(203, 0, 113, 18), 2000});
  a.profile = no_nat();
  b.profile = measured(MappingBehavior::kEndpointIndependent, FilteringBehavior::kEndpointIndependent);
  TunnelPlan plan = plan_tunnel(a, b, 5, timing());
  EXPECT_EQ(plan.for_a.start_delay_ms, 250u);
  EXPECT_EQ(plan.for_b.start_delay_ms, 250u);
  EXPECT_EQ(plan.for_a.prepunch_ttl, 0);
  EXPECT_EQ(plan.for_b.prepunch_ttl, 0);
}


NatProfile random_symmetric() {
  NatProfile p;
  p.mapping = MappingBehavior::kAddressPortDependent;
  p.mapping_known = true;
  p.filtering = FilteringBehavior::kAddressPortDependent;
  p.filtering_known = true;
  p.allocation = PortAllocation::kRandom;
  return p;
}

NatProfile port_restricted_cone() {
  NatProfile p;
  p.mapping = MappingBehavior::kEndpointIndependent;
  p.mapping_known = true;
  p.filtering = FilteringBehavior::kAddressPortDependent;
  p.filtering_known = true;
  return p;
}

TEST(TunnelPlanner, BirthdayProbingPairsARandomPortNatWithAFilteringEndpointIndependentOne) {
  TunnelSide hard = side(1, {Ipv4::from_octets(192, 0, 2, 1), 1000});
  TunnelSide easy = side(2, {Ipv4::from_octets(198, 51, 100, 2), 2000});
  hard.profile = random_symmetric();
  easy.profile = port_restricted_cone();
  PlanOptions options = lead(250);
  options.prepunch_ttl = 2;
  TunnelPlan plan = plan_tunnel(hard, easy, 5, options);
  const BirthdayPlan& opens = plan.for_a.birthday;
  const BirthdayPlan& probes = plan.for_b.birthday;
  EXPECT_EQ(opens.role, BirthdayRole::kOpenPorts);
  EXPECT_EQ(opens.count, 256);
  EXPECT_EQ(opens.target, *easy.mapped);  // toward the peer's one mapping
  EXPECT_EQ(opens.ttl, 2);                 // only its own NAT sees them
  EXPECT_EQ(probes.role, BirthdayRole::kProbePorts);
  EXPECT_EQ(probes.count, 1024);
  EXPECT_EQ(probes.target.ip, hard.mapped->ip);  // the address the server saw, nobody else's
  EXPECT_EQ(probes.ttl, 0);
  EXPECT_EQ(probes.after_ms, 256 * 1000 / 200 + 250);  // once the mappings are open
  // Either order of the sides.
  TunnelPlan swapped = plan_tunnel(easy, hard, 5, options);
  EXPECT_EQ(swapped.for_a.birthday.role, BirthdayRole::kProbePorts);
  EXPECT_EQ(swapped.for_b.birthday.role, BirthdayRole::kOpenPorts);
}

TEST(TunnelPlanner, NoBirthdayProbingWhereItCannotHelpOrIsOff) {
  TunnelSide hard = side(1, {Ipv4::from_octets(192, 0, 2, 1), 1000});
  TunnelSide other = side(2, {Ipv4::from_octets(198, 51, 100, 2), 2000});
  hard.profile = random_symmetric();
  auto roles = [&](const PlanOptions& options) {
    TunnelPlan plan = plan_tunnel(hard, other, 5, options);
    return std::pair{plan.for_a.birthday.role, plan.for_b.birthday.role};
  };
  const auto none = std::pair{BirthdayRole::kNone, BirthdayRole::kNone};
  other.profile = random_symmetric();  // two random sides: no single mapping to find
  EXPECT_EQ(roles(lead(0)), none);
  other.profile = measured(MappingBehavior::kEndpointIndependent, FilteringBehavior::kEndpointIndependent);
  EXPECT_EQ(roles(lead(0)), none);  // receptive: the ordinary probes get in
  other.profile = symmetric_sequential(1);
  EXPECT_EQ(roles(lead(0)), none);
  other.profile = port_restricted_cone();
  other.profile.mapping_known = false;  // a guess is not enough to send 1,300 datagrams
  EXPECT_EQ(roles(lead(0)), none);
  other.profile = port_restricted_cone();
  PlanOptions off = lead(0);
  off.birthday.enabled = false;
  EXPECT_EQ(roles(off), none);
  PlanOptions naive = lead(0);
  naive.strategy = PunchStrategy::kNaive;
  EXPECT_EQ(roles(naive), none);
  other.mapped = Endpoint{hard.mapped->ip, 2000};  // behind the same NAT: LAN candidates instead
  EXPECT_EQ(roles(lead(0)), none);
}

TunnelSide udp_blocked_side(std::uint8_t first_key_byte, Endpoint tcp_mapped) {
  TunnelSide s = side(first_key_byte, Endpoint{});
  s.mapped.reset();
  s.profile.udp_blocked = true;
  s.tcp_mapped = tcp_mapped;
  return s;
}

TEST(TunnelPlanner, AUdpBlockedSidePunchesOverTcpAfterItsFilteringPeer) {
  TunnelSide blocked = udp_blocked_side(1, {Ipv4::from_octets(192, 0, 2, 1), 21000});
  TunnelSide cone = side(2, {Ipv4::from_octets(198, 51, 100, 2), 2000});
  cone.profile = port_restricted_cone();
  cone.tcp_mapped = Endpoint{Ipv4::from_octets(198, 51, 100, 2), 22000};
  PlanOptions options = lead(250);
  options.tcp.follow = std::chrono::milliseconds(500);
  TunnelPlan plan = plan_tunnel(blocked, cone, 5, options);
  EXPECT_EQ(plan.for_a.tcp, (TcpPunchPlan{*cone.tcp_mapped, 500}));  // the blocked side connects second
  EXPECT_EQ(plan.for_b.tcp, (TcpPunchPlan{*blocked.tcp_mapped, 0}));  // its SYN dies at the blocked side
  // A receptive peer starts later (follower delay): the blocked side waits for it.
  TunnelSide open = cone;
  open.profile.filtering = FilteringBehavior::kEndpointIndependent;
  options.follower_delay = std::chrono::milliseconds(1000);
  plan = plan_tunnel(blocked, open, 7, options);
  EXPECT_EQ(plan.for_b.start_delay_ms, 1250u);
  EXPECT_EQ(plan.for_b.tcp.after_ms, 0u);
  EXPECT_EQ(plan.for_a.start_delay_ms, 250u);
  EXPECT_EQ(plan.for_a.tcp.after_ms, 1500u);  // 250 + 1500 = 1250 + 500
  // Two blocked sides: the initiator (smaller key) first.
  TunnelSide other = udp_blocked_side(3, {Ipv4::from_octets(203, 0, 113, 3), 23000});
  plan = plan_tunnel(blocked, other, 6, options);
  EXPECT_EQ(plan.for_a.tcp.after_ms, 0u);
  EXPECT_EQ(plan.for_b.tcp.after_ms, 500u);
  EXPECT_EQ(plan.for_b.tcp.target, *blocked.tcp_mapped);
}

TEST(TunnelPlanner, NoTcpPunchWhereUdpWorksOrAMappingIsUnknownOrItIsOff) {
  TunnelSide blocked = udp_blocked_side(1, {Ipv4::from_octets(192, 0, 2, 1), 21000});
  TunnelSide cone = side(2, {Ipv4::from_octets(198, 51, 100, 2), 2000});
  cone.profile = port_restricted_cone();
  cone.tcp_mapped = Endpoint{Ipv4::from_octets(198, 51, 100, 2), 22000};
  auto planned = [&](const TunnelSide& a, const TunnelSide& b, const PlanOptions& options) {
    TunnelPlan plan = plan_tunnel(a, b, 5, options);
    return plan.for_a.tcp.enabled() || plan.for_b.tcp.enabled();
  };
  EXPECT_TRUE(planned(blocked, cone, lead(0)));
  TunnelSide cone2 = cone;
  cone2.key[0] = 3;
  cone2.tcp_mapped = Endpoint{Ipv4::from_octets(203, 0, 113, 3), 22000};
  EXPECT_FALSE(planned(cone, cone2, lead(0)));  // UDP first
  TunnelSide unknown = cone;
  unknown.tcp_mapped.reset();
  EXPECT_FALSE(planned(blocked, unknown, lead(0)));
  PlanOptions off = lead(0);
  off.tcp.enabled = false;
  EXPECT_FALSE(planned(blocked, cone, off));
  PlanOptions naive = lead(0);
  naive.strategy = PunchStrategy::kNaive;
  EXPECT_FALSE(planned(blocked, cone, naive));
  TunnelSide neighbour = cone;
  neighbour.tcp_mapped = Endpoint{blocked.tcp_mapped->ip, 22000};  // behind the same NAT
  EXPECT_FALSE(planned(blocked, neighbour, lead(0)));
}

// TCP where UDP fails: two endpoint-independent NATs whose last UDP plan still
// ended relayed (a firewall on UDP, loss) get a TCP punch beside the next one;
// pairs whose UDP theory says no (a per-destination side) do not: its TCP mapping
// is per destination too.
TEST(TunnelPlanner, APairWhoseUdpFailedGetsATcpPunchWhereItsNatsAllowOne) {
  TunnelSide a = side(1, {Ipv4::from_octets(192, 0, 2, 1), 1000});
  TunnelSide b = side(2, {Ipv4::from_octets(198, 51, 100, 2), 2000});
  a.profile = port_restricted_cone();
  b.profile = port_restricted_cone();
  a.tcp_mapped = Endpoint{a.mapped->ip, 21000};
  b.tcp_mapped = Endpoint{b.mapped->ip, 22000};
  PlanOptions options = lead(0);
  options.tcp.follow = std::chrono::milliseconds(500);
  EXPECT_FALSE(plan_tunnel(a, b, 5, options).for_a.tcp.enabled());  // UDP first
  options.tcp.udp_failed = true;
  TunnelPlan plan = plan_tunnel(a, b, 5, options);
  EXPECT_EQ(plan.for_a.tcp, (TcpPunchPlan{*b.tcp_mapped, 0}));    // the initiator first
  EXPECT_EQ(plan.for_b.tcp, (TcpPunchPlan{*a.tcp_mapped, 500}));
  EXPECT_FALSE(plan.for_a.candidates.empty());                    // UDP is tried again too
  TunnelSide symmetric = b;
  symmetric.profile = symmetric_sequential(1);
  plan = plan_tunnel(a, symmetric, 6, options);
  EXPECT_FALSE(plan.for_a.tcp.enabled() || plan.for_b.tcp.enabled());
  options.tcp.enabled = false;
  EXPECT_FALSE(plan_tunnel(a, b, 5, options).for_a.tcp.enabled());
}

// A side whose gateway maps its TCP listening port is connected to, not punched:
// no TCP mapping of its own is needed (its NAT may give each destination a new port).
TEST(TunnelPlanner, AUdpBlockedSideConnectsToItsPeersTcpPortMapping) {
  TunnelSide blocked = udp_blocked_side(1, {Ipv4::from_octets(192, 0, 2, 1), 21000});
  TunnelSide listening = side(2, {Ipv4::from_octets(198, 51, 100, 2), 2000});
  listening.profile = symmetric_sequential(1);
  listening.profile.allocation = PortAllocation::kRandom;
  listening.tcp_mapped = Endpoint{Ipv4::from_octets(198, 51, 100, 2), 40123};  // per destination: useless
  listening.tcp_port_mapping = PortMappingOffer{PortMappingProtocol::kNatPmp, {listening.mapped->ip, 4500}, 7200};
  PlanOptions options = lead(250);
  options.tcp.follow = std::chrono::milliseconds(500);
  TunnelPlan plan = plan_tunnel(blocked, listening, 5, options);
  EXPECT_EQ(plan.for_a.tcp, (TcpPunchPlan{listening.tcp_port_mapping.external, 500}));
  EXPECT_EQ(plan.for_b.tcp, (TcpPunchPlan{*blocked.tcp_mapped, 0, true}));
  // The same from the other side's point of view.
  plan = plan_tunnel(listening, blocked, 5, options);
  EXPECT_EQ(plan.for_a.tcp, (TcpPunchPlan{*blocked.tcp_mapped, 0, true}));
  EXPECT_EQ(plan.for_b.tcp, (TcpPunchPlan{listening.tcp_port_mapping.external, 500}));
  // Two listening sides (both udp-blocked here): the initiator connects.
  TunnelSide other = udp_blocked_side(3, {Ipv4::from_octets(203, 0, 113, 3), 23000});
  other.tcp_port_mapping = PortMappingOffer{PortMappingProtocol::kPcp, {other.tcp_mapped->ip, 4600}, 7200};
  blocked.tcp_port_mapping = PortMappingOffer{PortMappingProtocol::kPcp, {blocked.tcp_mapped->ip, 4500}, 7200};
  plan = plan_tunnel(blocked, other, 6, options);
  EXPECT_EQ(plan.for_a.tcp, (TcpPunchPlan{other.tcp_port_mapping.external, 500}));
  EXPECT_TRUE(plan.for_b.tcp.accept);
}

TEST(TunnelPlanner, AnUntrustedOrDisabledTcpPortMappingIsPunchedAsBefore) {
  TunnelSide blocked = udp_blocked_side(1, {Ipv4::from_octets(192, 0, 2, 1), 21000});
  TunnelSide listening = side(2, {Ipv4::from_octets(198, 51, 100, 2), 2000});
  listening.profile = port_restricted_cone();
  listening.tcp_mapped = Endpoint{Ipv4::from_octets(198, 51, 100, 2), 22000};
  // Behind a carrier-grade NAT: the mapping holds on the inner NAT only.
  listening.tcp_port_mapping = PortMappingOffer{PortMappingProtocol::kPcp, {Ipv4::from_octets(100, 64, 0, 7), 4500}, 60};
  EXPECT_FALSE(tcp_port_mapping_trusted(listening));
  TunnelPlan plan = plan_tunnel(blocked, listening, 5, lead(0));
  EXPECT_FALSE(plan.for_a.tcp.accept || plan.for_b.tcp.accept);
  EXPECT_EQ(plan.for_a.tcp.target, *listening.tcp_mapped);
  // Trusted, but port mapping switched off.
  listening.tcp_port_mapping.external = Endpoint{listening.mapped->ip, 4500};
  EXPECT_TRUE(tcp_port_mapping_trusted(listening));
  PlanOptions off = lead(0);
  off.port_mapping = false;
  plan = plan_tunnel(blocked, listening, 5, off);
  EXPECT_EQ(plan.for_a.tcp.target, *listening.tcp_mapped);
  // A blocked side that taught the server no TCP mapping cannot connect anywhere.
  blocked.tcp_mapped.reset();
  plan = plan_tunnel(blocked, listening, 5, lead(0));
  EXPECT_FALSE(plan.for_a.tcp.enabled() || plan.for_b.tcp.enabled());
  // A udp-blocked side's own mapping is trusted on the address its TCP came from.
  TunnelSide blocked_listening = udp_blocked_side(3, {Ipv4::from_octets(203, 0, 113, 3), 23000});
  blocked_listening.tcp_port_mapping = PortMappingOffer{PortMappingProtocol::kPcp, {Ipv4::from_octets(203, 0, 113, 3), 4500}, 60};
  EXPECT_TRUE(tcp_port_mapping_trusted(blocked_listening));
}

}  // namespace
}  // namespace yt

namespace yt {
namespace {

TunnelSide mapped_side(std::uint8_t key, Endpoint seen, Endpoint external) {
  TunnelSide s;
  s.key.fill(0x11);
  s.key[0] = key;
  s.virtual_ip = Ipv4::from_octets(25, 0, 0, key);
  s.mapped = seen;
  s.profile = random_symmetric();
  s.port_mapping = PortMappingOffer{PortMappingProtocol::kPcp, external, 7200};
  return s;
}

PlanOptions current() {
  PlanOptions o;
  o.lead = std::chrono::milliseconds(250);
  o.prepunch_ttl = 2;
  o.follower_delay = std::chrono::seconds(1);
  return o;
}

TEST(TunnelPlannerPortMapping, ATrustedMappingIsFirstAndMakesItsSideReceptive) {
  const Ipv4 ip_a = Ipv4::from_octets(198, 51, 100, 2);
  TunnelSide a = mapped_side(1, {ip_a, 40001}, {ip_a, 5000});
  TunnelSide b;
  b.key.fill(0x22);
  b.mapped = Endpoint{Ipv4::from_octets(203, 0, 113, 7), 1000};
  b.profile = port_restricted_cone();
  ASSERT_TRUE(port_mapping_trusted(a));
  TunnelPlan plan = plan_tunnel(a, b, 1, current());
  EXPECT_EQ(plan.for_b.candidates, (std::vector<Endpoint>{{ip_a, 5000}, {ip_a, 40001}}));
  // a is receptive now: b (filtering) starts first, a a follower delay later, no
  // prepunch, no birthday probing although a's NAT is random-port symmetric.
  EXPECT_EQ(plan.for_b.start_delay_ms, 250u);
  EXPECT_EQ(plan.for_a.start_delay_ms, 1250u);
  EXPECT_EQ(plan.for_a.prepunch_ttl, 0);
  EXPECT_EQ(plan.for_b.prepunch_ttl, 0);
  EXPECT_EQ(plan.for_a.birthday.role, BirthdayRole::kNone);
  EXPECT_EQ(plan.for_b.birthday.role, BirthdayRole::kNone);

  // Switched off (`--disable portmap`): the plan is what it was without a mapping.
  PlanOptions off = current();
  off.port_mapping = false;
  TunnelPlan without = plan_tunnel(a, b, 1, off);
  EXPECT_EQ(without.for_b.candidates, (std::vector<Endpoint>{{ip_a, 40001}}));
  EXPECT_EQ(without.for_a.birthday.role, BirthdayRole::kOpenPorts);
  EXPECT_EQ(without.for_a.prepunch_ttl, 2);
}

TEST(TunnelPlannerPortMapping, AMappingBehindACarrierGradeNatIsNotTrusted) {
  const Ipv4 seen = Ipv4::from_octets(198, 51, 100, 2);
  // External address in 100.64.0.0/10: the gateway's WAN is a CGN's inside.
  TunnelSide cgn = mapped_side(1, {seen, 40001}, {Ipv4::from_octets(100, 64, 3, 4), 5000});
  // External address other than the one the server saw: a NAT in between.
  TunnelSide other = mapped_side(1, {seen, 40001}, {Ipv4::from_octets(203, 0, 113, 99), 5000});
  EXPECT_TRUE(in_shared_address_space(Ipv4::from_octets(100, 127, 255, 255)));
  EXPECT_FALSE(in_shared_address_space(Ipv4::from_octets(100, 128, 0, 0)));
  EXPECT_FALSE(port_mapping_trusted(cgn));
  EXPECT_FALSE(port_mapping_trusted(other));
  TunnelSide b;
  b.key.fill(0x22);
  b.mapped = Endpoint{Ipv4::from_octets(203, 0, 113, 7), 1000};
  b.profile = port_restricted_cone();
  for (const TunnelSide& a : {cgn, other}) {
    TunnelPlan plan = plan_tunnel(a, b, 1, current());
    // Not offered from elsewhere (it could be anybody's address), not receptive.
    EXPECT_EQ(plan.for_b.candidates, (std::vector<Endpoint>{{seen, 40001}}));
    EXPECT_EQ(plan.for_a.birthday.role, BirthdayRole::kOpenPorts);
  }
  // A peer behind the same public IP (the same CGN) is offered it.
  TunnelSide neighbour = b;
  neighbour.mapped = Endpoint{seen, 40500};
  TunnelPlan plan = plan_tunnel(cgn, neighbour, 1, current());
  EXPECT_EQ(plan.for_b.candidates.front(), (Endpoint{Ipv4::from_octets(100, 64, 3, 4), 5000}));
}

}  // namespace
}  // namespace yt
