// The gateway port mapper (port_mapping.h): PCP first, NAT-PMP when the gateway
// says "unsupported version" or stays silent, bounded retries, renewal at half
// the lifetime, deletion at stop, and answers that are not ours ignored.
#include "client/core/port_mapping.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Ipv4 kGateway = Ipv4::from_octets(192, 168, 1, 1);
const Endpoint kGatewayPort{kGateway, kPortMappingServerPort};
const Endpoint kLan{Ipv4::from_octets(192, 168, 1, 10), 4000};
const Endpoint kExternal{Ipv4::from_octets(203, 0, 113, 5), 61000};

ClientConfig config_with_lan() {
  ClientConfig c;
  c.lan_endpoints = {kLan};
  return c;
}

struct PortMapperTest : ::testing::Test {
  SeededRandom rng{1, 1};
  ClientContext ctx{config_with_lan(), Identity::generate(rng), rng};
  GatewayPortMapper mapper{ctx};
  Time now = kT0;

  // The datagrams sent since the last call, all to the gateway's port.
  std::vector<Bytes> sent() {
    std::vector<Bytes> out;
    for (auto& o : ctx.outputs) {
      auto* d = std::get_if<SendDatagram>(&o);
      if (!d) continue;
      EXPECT_EQ(d->to, kGatewayPort);
      EXPECT_EQ(d->socket, 0);
      out.push_back(d->payload);
    }
    ctx.outputs.clear();
    return out;
  }
  bool run_until(Time until) {
    bool changed = false;
    while (auto t = mapper.next_deadline()) {
      if (*t > until) break;
      now = std::max(now, *t);
      changed = mapper.on_timer(now) || changed;
    }
    now = until;
    return changed;
  }
  Bytes pcp_success(const PcpMapRequest& request, std::uint32_t lifetime, Endpoint external = kExternal) {
    PcpMapResponse r;
    r.nonce = request.nonce;
    r.internal_port = request.client.port;
    r.lifetime_s = lifetime;
    r.external = external;
    return encode_pcp_map_response(r);
  }
};

TEST_F(PortMapperTest, PcpMapIsRequestedAndHeld) {
  mapper.start(now, kGateway, kLan.port, 7200);
  auto out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto request = decode_pcp_map_request(out[0]);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->client, kLan);
  EXPECT_EQ(request->lifetime_s, 7200u);
  EXPECT_TRUE(mapper.on_datagram(now, kGatewayPort, pcp_success(*request, 3600)));
  EXPECT_EQ(mapper.current().protocol, PortMappingProtocol::kPcp);
  EXPECT_EQ(mapper.current().external, kExternal);
  EXPECT_EQ(mapper.current().lifetime_s, 3600u);
  // Renewed at half the granted lifetime, with the same nonce and the endpoint suggested.
  run_until(now + std::chrono::seconds(1799));
  EXPECT_TRUE(sent().empty());
  run_until(now + std::chrono::milliseconds(1100));  // before the renewal's first retry
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto renewal = decode_pcp_map_request(out[0]);
  ASSERT_TRUE(renewal.ok());
  EXPECT_EQ(renewal->nonce, request->nonce);
  EXPECT_EQ(renewal->suggested, kExternal);
  EXPECT_FALSE(mapper.on_datagram(now, kGatewayPort, pcp_success(*renewal, 3600)));  // same endpoint: no news
  // Deleted at stop: lifetime 0, sent once.
  mapper.stop(now);
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  auto deletion = decode_pcp_map_request(out[0]);
  ASSERT_TRUE(deletion.ok());
  EXPECT_EQ(deletion->lifetime_s, 0u);
  EXPECT_EQ(deletion->nonce, request->nonce);
  EXPECT_EQ(mapper.current().protocol, PortMappingProtocol::kNone);
  EXPECT_FALSE(mapper.next_deadline());
}

TEST_F(PortMapperTest, AnswersNotOursAreIgnored) {
  mapper.start(now, kGateway, kLan.port, 7200);
  auto request = *decode_pcp_map_request(sent().at(0));
  // From elsewhere: not the gateway's answer at all.
  EXPECT_FALSE(mapper.owns(Endpoint{kGateway, 5350}));
  EXPECT_FALSE(mapper.owns(Endpoint{Ipv4::from_octets(192, 168, 1, 2), kPortMappingServerPort}));
  // Another nonce (an off-path guess), garbage, an empty datagram.
  PcpMapRequest other = request;
  other.nonce[0] ^= 1;
  EXPECT_FALSE(mapper.on_datagram(now, kGatewayPort, pcp_success(other, 3600)));
  EXPECT_FALSE(mapper.on_datagram(now, kGatewayPort, Bytes{2, 0x81, 0}));
  EXPECT_FALSE(mapper.on_datagram(now, kGatewayPort, Bytes{}));
  EXPECT_EQ(mapper.current().protocol, PortMappingProtocol::kNone);
  EXPECT_EQ(ctx.stats.port_mapping_malformed, 2u);
  EXPECT_TRUE(mapper.on_datagram(now, kGatewayPort, pcp_success(request, 3600)));
}

TEST_F(PortMapperTest, NatPmpUnsupportedVersionFallsBack) {
  mapper.start(now, kGateway, kLan.port, 7200);
  sent();
  // What a NAT-PMP-only gateway answers a PCP request (RFC 6887 section 9).
  EXPECT_FALSE(mapper.on_datagram(
      now, kGatewayPort, encode_nat_pmp_response(NatPmpErrorResponse{0x81, NatPmpResult::kUnsuppVersion, 1})));
  auto out = sent();
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(decode_nat_pmp_request(out[0]).ok());
  EXPECT_TRUE(std::holds_alternative<NatPmpAddressRequest>(*decode_nat_pmp_request(out[0])));
  auto map = std::get<NatPmpMapRequest>(*decode_nat_pmp_request(out[1]));
  EXPECT_EQ(map.internal_port, kLan.port);
  EXPECT_EQ(map.lifetime_s, 7200u);
  EXPECT_FALSE(mapper.on_datagram(now, kGatewayPort,
                                  encode_nat_pmp_response(NatPmpMapResponse{NatPmpResult::kSuccess, 1, 4000, 61000, 7200})));
  EXPECT_TRUE(mapper.on_datagram(now, kGatewayPort,
                                 encode_nat_pmp_response(NatPmpAddressResponse{NatPmpResult::kSuccess, 1, kExternal.ip})));
  EXPECT_EQ(mapper.current().protocol, PortMappingProtocol::kNatPmp);
  EXPECT_EQ(mapper.current().external, kExternal);
  mapper.stop(now);
  out = sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<NatPmpMapRequest>(*decode_nat_pmp_request(out[0])).lifetime_s, 0u);
}

TEST_F(PortMapperTest, PcpUnsupportedVersionHeaderFallsBack) {
  mapper.start(now, kGateway, kLan.port, 7200);
  sent();
  EXPECT_FALSE(mapper.on_datagram(now, kGatewayPort, encode_pcp_error(kPcpOpcodeMap, PcpResult::kUnsuppVersion, 1)));
  EXPECT_EQ(sent().size(), 2u);  // NAT-PMP's two requests
}

TEST_F(PortMapperTest, ASilentGatewayCostsBoundedRetriesThenNothing) {
  mapper.start(now, kGateway, kLan.port, 7200);
  std::size_t pcp = 0, nat_pmp = 0;
  for (const Bytes& b : sent()) (b[0] == kPcpVersion ? pcp : nat_pmp)++;
  EXPECT_FALSE(run_until(now + std::chrono::minutes(10)));
  for (const Bytes& b : sent()) (b[0] == kPcpVersion ? pcp : nat_pmp)++;
  EXPECT_EQ(pcp, static_cast<std::size_t>(GatewayPortMapper::kAttempts));
  EXPECT_EQ(nat_pmp, 2u * GatewayPortMapper::kAttempts);  // address and map each time
  EXPECT_FALSE(mapper.next_deadline());
  EXPECT_EQ(mapper.current().protocol, PortMappingProtocol::kNone);
}

TEST_F(PortMapperTest, AnErrorResultIsFinalAndAnUnansweredRenewalLosesTheMapping) {
  mapper.start(now, kGateway, kLan.port, 7200);
  auto request = *decode_pcp_map_request(sent().at(0));
  PcpMapResponse refused;
  refused.result = PcpResult::kNotAuthorized;
  refused.nonce = request.nonce;
  refused.internal_port = kLan.port;
  EXPECT_FALSE(mapper.on_datagram(now, kGatewayPort, encode_pcp_map_response(refused)));
  EXPECT_FALSE(mapper.next_deadline());

  mapper.start(now, kGateway, kLan.port, 100);
  request = *decode_pcp_map_request(sent().at(0));
  EXPECT_TRUE(mapper.on_datagram(now, kGatewayPort, pcp_success(request, 100)));
  // Renewals at 50 s go unanswered; at 100 s the mapping is gone (changed) and
  // asked for anew.
  EXPECT_FALSE(run_until(now + std::chrono::seconds(99)));
  EXPECT_EQ(sent().size(), static_cast<std::size_t>(GatewayPortMapper::kAttempts));
  EXPECT_TRUE(run_until(now + std::chrono::milliseconds(1100)));
  EXPECT_EQ(mapper.current().protocol, PortMappingProtocol::kNone);
  EXPECT_EQ(sent().size(), 1u);
}

TEST_F(PortMapperTest, WithoutALanAddressOnlyNatPmpAsks) {
  ctx.config.lan_endpoints.clear();
  mapper.start(now, kGateway, 4000, 7200);
  auto out = sent();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0][0], kNatPmpVersion);
}

}  // namespace
}  // namespace yt

namespace yt {
namespace {

TEST_F(PortMapperTest, NoncesDifferPerStartAndDrawNothingFromTheRandomSource) {
  SeededRandom reference{1, 1};
  (void)Identity::generate(reference);  // as the fixture's identity drew
  mapper.start(now, kGateway, kLan.port, 7200);
  const PcpNonce first = decode_pcp_map_request(sent().at(0))->nonce;
  mapper.start(now, kGateway, kLan.port, 7200);
  const PcpNonce second = decode_pcp_map_request(sent().at(0))->nonce;
  EXPECT_NE(first, second);
  EXPECT_NE(first, PcpNonce{});
  EXPECT_EQ(rng.uniform(1000000), reference.uniform(1000000));
}

}  // namespace
}  // namespace yt
