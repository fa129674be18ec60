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

const Endpoint kLanA{Ipv4::from_octets(192, 168, 0, 2), 5000};
const Endpoint kLanB{Ipv4::from_octets(192, 168, 0, 3), 5000};

TEST(TunnelPlanner, SmallerKeyInitiatesAndCandidatesAreThePeers) {
  TunnelSide a = side(9, {Ipv4::from_octets(192, 0, 2, 1), 1000}, {kLanA});
  TunnelSide b = side(3, {Ipv4::from_octets(192, 0, 2, 2), 2000}, {kLanB});
  TunnelPlan plan = plan_tunnel(a, b, 77, std::chrono::milliseconds(250));
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
  TunnelPlan plan = plan_tunnel(a, b, 5, std::chrono::milliseconds(0));
  EXPECT_EQ(plan.for_a.candidates, (std::vector<Endpoint>{kLanB, Endpoint{nat, 1001}}));
  EXPECT_EQ(plan.for_b.candidates, (std::vector<Endpoint>{kLanA, Endpoint{nat, 1000}}));
}

TEST(TunnelPlanner, UnknownMappedEndpointGivesNoPublicCandidate) {
  TunnelSide a = side(1, {Ipv4::from_octets(192, 0, 2, 1), 1000}, {kLanA});
  TunnelSide b = side(2, {}, {kLanB});
  b.mapped.reset();
  TunnelPlan plan = plan_tunnel(a, b, 5, std::chrono::milliseconds(100));
  EXPECT_TRUE(plan.for_a.candidates.empty());
  EXPECT_EQ(plan.for_b.candidates, std::vector<Endpoint>{*a.mapped});
}

TEST(TunnelPlanner, CandidateListIsCapped) {
  Ipv4 nat = Ipv4::from_octets(192, 0, 2, 9);
  std::vector<Endpoint> many;
  for (std::uint16_t p = 1; p <= 40; ++p) many.push_back({Ipv4::from_octets(10, 0, 0, 1), p});
  TunnelSide a = side(1, {nat, 1000});
  TunnelSide b = side(2, {nat, 1001}, many);
  EXPECT_EQ(plan_tunnel(a, b, 5, std::chrono::milliseconds(1)).for_a.candidates.size(), kMaxCandidates);
}

}  // namespace
}  // namespace yt
