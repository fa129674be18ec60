// The modeled gateway's PCP / NAT-PMP service (port_mapping_service.h) and the
// mapping it makes in the NAT's own table (NatModel::map_port): endpoint-
// independent, open to every remote, used by outbound packets, honouring its
// lifetime and deletion.
#include "nat-models/port_mapping_service.h"

#include "nat-models/nat_profiles.h"
#include "nat-models/tests/nat_test_util.h"
#include "protocol/port_mapping_wire.h"

namespace yt::nat::test {
namespace {

PcpMapRequest pcp_request(Endpoint client, std::uint32_t lifetime) {
  PcpMapRequest r;
  r.nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  r.client = client;
  r.lifetime_s = lifetime;
  return r;
}

NatConfig with(NatConfig c, bool pcp, bool nat_pmp) {
  c.answers_pcp = pcp;
  c.answers_nat_pmp = nat_pmp;
  return c;
}

TEST(PortMappingService, PcpMapOpensASymmetricNatToEveryone) {
  Harness h(with(*profile("symmetric-random"), true, false));
  auto answer = answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_request(pcp_request(kHostA, 600)));
  ASSERT_TRUE(answer);
  auto response = decode_pcp_map_response(*answer);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->result, PcpResult::kSuccess);
  EXPECT_EQ(response->lifetime_s, 600u);
  EXPECT_EQ(response->nonce, pcp_request(kHostA, 0).nonce);
  const Endpoint external = response->external;
  EXPECT_EQ(external.ip, kPublic1);

  // A stranger gets in, with no packet of ours toward it first, and our answer
  // leaves through the mapping.
  auto in = h.in(udp_packet(kStranger, external));
  EXPECT_EQ(in.verdict, Verdict::kForward);
  EXPECT_EQ(in.packet.dst, kHostA);
  EXPECT_EQ(h.out(udp_packet(kHostA, kStranger)).packet.src, external);
  // Toward remotes that did not come in that way the NAT keeps mapping per
  // destination (a DNAT beside the masquerade, as miniupnpd sets up on Linux).
  const Endpoint to_remote1 = h.out(udp_packet(kHostA, kRemote1)).packet.src;
  EXPECT_NE(to_remote1, external);
  EXPECT_NE(h.out(udp_packet(kHostA, kRemote2)).packet.src, to_remote1);

  // Deleted: strangers are filtered again (the mapping is gone).
  auto deleted = answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_request(pcp_request(kHostA, 0)));
  ASSERT_TRUE(deleted);
  EXPECT_EQ(decode_pcp_map_response(*deleted)->result, PcpResult::kSuccess);
  EXPECT_TRUE(is_drop(h.in(udp_packet(kStranger, external)).verdict));
}

TEST(PortMappingService, AnEimMappingKeepsItsPortAndTheLifetimeIsHonoured) {
  Harness h(with(*profile("linux-masquerade"), true, true));
  const Endpoint before = h.out(udp_packet(kHostA, kRemote1)).packet.src;
  auto answer = answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_request(pcp_request(kHostA, 60)));
  ASSERT_TRUE(answer);
  EXPECT_EQ(decode_pcp_map_response(*answer)->external, before);
  h.advance(std::chrono::seconds(59));
  EXPECT_EQ(h.in(udp_packet(kStranger, before)).verdict, Verdict::kForward);
  // Without traffic after the granted lifetime the mapping is gone (the stranger's
  // packet above refreshed it: inbound refresh, 120 s on linux-masquerade).
  h.advance(std::chrono::seconds(121));
  EXPECT_TRUE(is_drop(h.in(udp_packet(kStranger, before)).verdict));
}

TEST(PortMappingService, LifetimesAreCapped) {
  NatConfig c = with(*profile("port-restricted-cone"), true, true);
  c.port_mapping_max_lifetime = std::chrono::seconds(100);
  Harness h(c);
  auto pcp = answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_request(pcp_request(kHostA, 7200)));
  EXPECT_EQ(decode_pcp_map_response(*pcp)->lifetime_s, 100u);
  auto pmp = answer_port_mapping(h.nat(), h.now, kHostB, encode_nat_pmp_request(NatPmpMapRequest{40000, 0, 7200}));
  EXPECT_EQ(std::get<NatPmpMapResponse>(*decode_nat_pmp_response(*pmp)).lifetime_s, 100u);
}

TEST(PortMappingService, NatPmpAnswersAddressAndMapping) {
  Harness h(with(*profile("symmetric-random"), false, true));
  auto address = answer_port_mapping(h.nat(), h.now, kHostA, encode_nat_pmp_request(NatPmpAddressRequest{}));
  ASSERT_TRUE(address);
  EXPECT_EQ(std::get<NatPmpAddressResponse>(*decode_nat_pmp_response(*address)).external, kPublic1);
  auto map = answer_port_mapping(h.nat(), h.now, kHostA, encode_nat_pmp_request(NatPmpMapRequest{40000, 0, 600}));
  ASSERT_TRUE(map);
  auto m = std::get<NatPmpMapResponse>(*decode_nat_pmp_response(*map));
  EXPECT_EQ(m.result, NatPmpResult::kSuccess);
  EXPECT_EQ(m.internal_port, 40000);
  EXPECT_EQ(h.in(udp_packet(kStranger, Endpoint{kPublic1, m.external_port})).verdict, Verdict::kForward);
  // A PCP request to this NAT-PMP-only device: NAT-PMP's "unsupported version".
  auto pcp = answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_request(pcp_request(kHostA, 600)));
  ASSERT_TRUE(pcp);
  auto unsupported = decode_nat_pmp_response(*pcp);
  ASSERT_TRUE(unsupported.ok());
  EXPECT_EQ(std::get<NatPmpErrorResponse>(*unsupported).result, NatPmpResult::kUnsuppVersion);
  // An opcode NAT-PMP does not define.
  Bytes unknown = encode_nat_pmp_request(NatPmpMapRequest{40000, 0, 600});
  unknown[1] = 3;
  auto refused = answer_port_mapping(h.nat(), h.now, kHostA, unknown);
  ASSERT_TRUE(refused);
  EXPECT_EQ(std::get<NatPmpErrorResponse>(*decode_nat_pmp_response(*refused)).result, NatPmpResult::kUnsuppOpcode);
}

// A TCP mapping (NAT-PMP opcode 2, PCP protocol 6) lets a stranger's SYN in to the
// host's listening port, even behind a random-port symmetric NAT, and the accepted
// connection's answers leave through it; a free suggested port is granted.
TEST(PortMappingService, TcpMappingsLetConnectionsInAndHonourAFreeSuggestion) {
  Harness h(with(*profile("symmetric-random"), true, true));
  auto map = answer_port_mapping(h.nat(), h.now, kHostA, encode_nat_pmp_request(NatPmpMapRequest{40000, 50000, 600, true}));
  ASSERT_TRUE(map);
  auto m = std::get<NatPmpMapResponse>(*decode_nat_pmp_response(*map));
  EXPECT_EQ(m.result, NatPmpResult::kSuccess);
  EXPECT_TRUE(m.tcp);
  EXPECT_EQ(m.external_port, 50000);
  const Endpoint external{kPublic1, 50000};
  EXPECT_EQ(h.tcp_in(kStranger, external, kTcpSyn), Verdict::kForward);
  EXPECT_EQ(h.tcp_out(kHostA, kStranger, kTcpSynAck), external);
  // UDP to the same port number is not mapped by it.
  EXPECT_TRUE(is_drop(h.in(udp_packet(kStranger, external)).verdict));

  // A second host asking for the same port gets another one, over PCP.
  PcpMapRequest second = pcp_request(kHostB, 600);
  second.protocol = kPcpProtocolTcp;
  second.suggested = external;
  auto other = decode_pcp_map_response(*answer_port_mapping(h.nat(), h.now, kHostB, encode_pcp_map_request(second)));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->result, PcpResult::kSuccess);
  EXPECT_EQ(other->protocol, kPcpProtocolTcp);
  EXPECT_NE(other->external.port, 50000);
  EXPECT_EQ(h.tcp_in(kStranger, other->external, kTcpSyn), Verdict::kForward);
}

// A device that blocks UDP refuses UDP mappings, and still grants TCP ones.
TEST(PortMappingService, ABlockedTransportIsNotMapped) {
  Harness h(with(*profile("udp-blocked"), false, true));
  auto udp = answer_port_mapping(h.nat(), h.now, kHostA, encode_nat_pmp_request(NatPmpMapRequest{40000, 0, 600}));
  EXPECT_EQ(std::get<NatPmpMapResponse>(*decode_nat_pmp_response(*udp)).result, NatPmpResult::kOutOfResources);
  auto tcp = answer_port_mapping(h.nat(), h.now, kHostA, encode_nat_pmp_request(NatPmpMapRequest{40000, 0, 600, true}));
  EXPECT_EQ(std::get<NatPmpMapResponse>(*decode_nat_pmp_response(*tcp)).result, NatPmpResult::kSuccess);
}

TEST(PortMappingService, PcpRefusesAMismatchedAddressAndMalformedRequests) {
  Harness h(with(*profile("port-restricted-cone"), true, false));
  auto mismatch = answer_port_mapping(h.nat(), h.now, kHostB, encode_pcp_map_request(pcp_request(kHostA, 600)));
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(decode_pcp_map_response(*mismatch)->result, PcpResult::kAddressMismatch);
  EXPECT_EQ(h.nat().mapping_count(h.now), 0u);
  Bytes truncated = encode_pcp_map_request(pcp_request(kHostA, 600));
  truncated.resize(30);
  auto malformed = answer_port_mapping(h.nat(), h.now, kHostA, truncated);
  ASSERT_TRUE(malformed);
  ASSERT_GE(malformed->size(), 4u);
  EXPECT_EQ((*malformed)[3], static_cast<std::uint8_t>(PcpResult::kMalformedRequest));
  // Responses are never answered; a NAT-PMP request gets PCP's UNSUPP_VERSION.
  PcpMapResponse response;
  response.external = kRemote1;
  EXPECT_FALSE(answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_response(response)));
  auto pmp = answer_port_mapping(h.nat(), h.now, kHostA, encode_nat_pmp_request(NatPmpAddressRequest{}));
  ASSERT_TRUE(pmp);
  EXPECT_EQ((*pmp)[0], kPcpVersion);
  EXPECT_EQ((*pmp)[3], static_cast<std::uint8_t>(PcpResult::kUnsuppVersion));
  EXPECT_FALSE(answer_port_mapping(h.nat(), h.now, kHostA, Bytes{}));
}

TEST(PortMappingService, ADeviceWithoutTheServiceStaysSilent) {
  Harness h(*profile("port-restricted-cone"));
  EXPECT_FALSE(answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_request(pcp_request(kHostA, 600))));
  EXPECT_FALSE(answer_port_mapping(h.nat(), h.now, kHostA, encode_nat_pmp_request(NatPmpAddressRequest{})));
}

TEST(PortMappingService, BlockedUdpGetsNoMapping) {
  Harness h(with(*profile("udp-blocked"), true, true));
  auto answer = answer_port_mapping(h.nat(), h.now, kHostA, encode_pcp_map_request(pcp_request(kHostA, 600)));
  ASSERT_TRUE(answer);
  EXPECT_EQ(decode_pcp_map_response(*answer)->result, PcpResult::kNoResources);
}

}  // namespace
}  // namespace yt::nat::test
