// The TCP listener (tcp_listener.h): it listens and maps its port (PCP protocol 6,
// NAT-PMP's TCP opcode) beside the UDP mapper, each mapper taking only its own
// protocol's answers; a listener the driver cannot open withdraws the mapping, and
// a gateway that speaks neither closes the listener.
#include "client/core/tcp_listener.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Ipv4 kGateway = Ipv4::from_octets(192, 168, 1, 1);
const Endpoint kGatewayPort{kGateway, kPortMappingServerPort};
const Endpoint kLan{Ipv4::from_octets(192, 168, 1, 10), 4000};
const Endpoint kExternalUdp{Ipv4::from_octets(203, 0, 113, 5), 61000};
const Endpoint kExternalTcp{Ipv4::from_octets(203, 0, 113, 5), 61001};

ClientConfig config_with_lan() {
  ClientConfig c;
  c.lan_endpoints = {kLan};
  return c;
}

struct TcpListenerTest : ::testing::Test {
  SeededRandom rng{1, 1};
  ClientContext ctx{config_with_lan(), Identity::generate(rng), rng};
  GatewayPortMapper udp{ctx};
  TcpListener listener{ctx};
  Time now = kT0;

  template <typename T>
  std::vector<T> take() {
    std::vector<T> out;
    for (auto& o : ctx.outputs) {
      if (auto* v = std::get_if<T>(&o)) out.push_back(*v);
    }
    return out;
  }
  std::vector<PcpMapRequest> pcp_requests() {
    std::vector<PcpMapRequest> out;
    for (const SendDatagram& d : take<SendDatagram>()) {
      if (auto r = decode_pcp_map_request(d.payload)) out.push_back(*r);
    }
    return out;
  }
  Bytes pcp_success(const PcpMapRequest& request, Endpoint external) {
    PcpMapResponse r;
    r.nonce = request.nonce;
    r.protocol = request.protocol;
    r.internal_port = request.client.port;
    r.lifetime_s = 3600;
    r.external = external;
    return encode_pcp_map_response(r);
  }
  // Both mappers read every answer, as the client core hands them over.
  std::pair<bool, bool> deliver(const Bytes& answer) {
    const bool udp_changed = udp.on_datagram(now, kGatewayPort, answer);
    const bool tcp_changed = listener.on_datagram(now, kGatewayPort, answer);
    return {udp_changed, tcp_changed};
  }
};

TEST_F(TcpListenerTest, ListensAndMapsItsTcpPortBesideTheUdpMapping) {
  udp.start(now, kGateway, kLan.port, 7200);
  listener.start(now, kGateway, kLan.port, 7200);
  const std::vector<ListenStream> listens = take<ListenStream>();
  ASSERT_EQ(listens.size(), 1u);
  EXPECT_EQ(listens[0].listener, TcpListener::kListenerConn);
  EXPECT_EQ(listens[0].port, kLan.port);
  std::vector<PcpMapRequest> requests = pcp_requests();
  ctx.outputs.clear();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].protocol, kPcpProtocolUdp);
  EXPECT_EQ(requests[1].protocol, kPcpProtocolTcp);
  EXPECT_NE(requests[0].nonce, requests[1].nonce);  // started at the same instant

  // Each answer changes only its own mapper.
  EXPECT_EQ(deliver(pcp_success(requests[1], kExternalTcp)), std::make_pair(false, true));
  EXPECT_EQ(deliver(pcp_success(requests[0], kExternalUdp)), std::make_pair(true, false));
  EXPECT_EQ(udp.current().external, kExternalUdp);
  EXPECT_EQ(listener.current().external, kExternalTcp);
  EXPECT_EQ(listener.current().protocol, PortMappingProtocol::kPcp);
  EXPECT_EQ(ctx.stats.port_mapping_malformed, 0u);

  // Stop: the TCP mapping is deleted and the listener closed.
  listener.stop(now);
  requests = pcp_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].protocol, kPcpProtocolTcp);
  EXPECT_EQ(requests[0].lifetime_s, 0u);
  const std::vector<CloseStream> closes = take<CloseStream>();
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].conn, TcpListener::kListenerConn);
  EXPECT_EQ(listener.current().protocol, PortMappingProtocol::kNone);
}

// A NAT-PMP-only gateway answers each of the two PCP requests "unsupported
// version"; the first moves both mappers to NAT-PMP, the second is stale for both
// (it once made the UDP mapper give up: symmetric-random-natpmp went relayed).
TEST_F(TcpListenerTest, ANatPmpGatewaysTwoUnsupportedVersionAnswersMoveBothToNatPmp) {
  udp.start(now, kGateway, kLan.port, 7200);
  listener.start(now, kGateway, kLan.port, 7200);
  ctx.outputs.clear();
  const Bytes unsupported = encode_nat_pmp_response(NatPmpErrorResponse{0x81, NatPmpResult::kUnsuppVersion, 1});
  deliver(unsupported);
  deliver(unsupported);
  EXPECT_FALSE(udp.gave_up());
  EXPECT_TRUE(listener.listening());
  deliver(encode_nat_pmp_response(NatPmpAddressResponse{NatPmpResult::kSuccess, 1, kExternalUdp.ip}));
  EXPECT_EQ(deliver(encode_nat_pmp_response(
                NatPmpMapResponse{NatPmpResult::kSuccess, 1, kLan.port, kExternalUdp.port, 600})),
            std::make_pair(true, false));
  EXPECT_EQ(deliver(encode_nat_pmp_response(
                NatPmpMapResponse{NatPmpResult::kSuccess, 1, kLan.port, kExternalTcp.port, 600, true})),
            std::make_pair(false, true));
  EXPECT_EQ(udp.current().protocol, PortMappingProtocol::kNatPmp);
  EXPECT_EQ(listener.current().protocol, PortMappingProtocol::kNatPmp);
}

TEST_F(TcpListenerTest, NatPmpAnswersGoToTheMapperOfTheirOpcode) {
  ctx.config.lan_endpoints.clear();  // no LAN address: NAT-PMP only
  udp.start(now, kGateway, kLan.port, 7200);
  listener.start(now, kGateway, kLan.port, 7200);
  ctx.outputs.clear();
  const Bytes address =
      encode_nat_pmp_response(NatPmpAddressResponse{NatPmpResult::kSuccess, 1, kExternalTcp.ip});
  deliver(address);
  // The UDP mapping is refused: the TCP mapper does not take the error as its own.
  const Bytes udp_refused = encode_nat_pmp_response(NatPmpErrorResponse{0x81, NatPmpResult::kNotAuthorized, 1});
  EXPECT_EQ(deliver(udp_refused), std::make_pair(false, false));
  EXPECT_TRUE(udp.gave_up());
  EXPECT_TRUE(listener.listening());
  const Bytes tcp_granted =
      encode_nat_pmp_response(NatPmpMapResponse{NatPmpResult::kSuccess, 1, kLan.port, kExternalTcp.port, 600, true});
  EXPECT_EQ(deliver(tcp_granted), std::make_pair(false, true));
  EXPECT_EQ(listener.current().protocol, PortMappingProtocol::kNatPmp);
  EXPECT_EQ(listener.current().external, kExternalTcp);
}

TEST_F(TcpListenerTest, AListenerTheDriverCannotOpenWithdrawsTheMapping) {
  listener.start(now, kGateway, kLan.port, 7200);
  std::vector<PcpMapRequest> requests = pcp_requests();
  ctx.outputs.clear();
  ASSERT_EQ(requests.size(), 1u);
  listener.on_datagram(now, kGatewayPort, pcp_success(requests[0], kExternalTcp));
  ASSERT_EQ(listener.current().external, kExternalTcp);
  EXPECT_TRUE(listener.on_listener_closed(now));  // the port is taken
  EXPECT_EQ(listener.current().protocol, PortMappingProtocol::kNone);
  EXPECT_EQ(ctx.stats.tcp_listen_failures, 1u);
  requests = pcp_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].lifetime_s, 0u);        // deleted at the gateway
  EXPECT_TRUE(take<CloseStream>().empty());     // the driver's listener is gone already
  EXPECT_FALSE(listener.owns_datagram(kGatewayPort));
}

TEST_F(TcpListenerTest, AGatewayThatSpeaksNeitherClosesTheListener) {
  listener.start(now, kGateway, kLan.port, 7200);
  ctx.outputs.clear();
  for (int i = 0; i < 20 && listener.listening(); ++i) {
    const std::optional<Time> t = listener.next_deadline();
    ASSERT_TRUE(t);
    now = *t;
    listener.on_timer(now);
  }
  EXPECT_FALSE(listener.listening());
  const std::vector<CloseStream> closes = take<CloseStream>();
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].conn, TcpListener::kListenerConn);
  EXPECT_EQ(listener.current().protocol, PortMappingProtocol::kNone);
}

}  // namespace
}  // namespace yt
