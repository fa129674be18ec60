// ClientCore's fallback port mapping (PortMappingFallback, on_driver_port_mapping):
// the driver's mapping (UPnP in the daemon) is wanted only once the core's PCP /
// NAT-PMP mapper gave up, reaches the server in a repeated DiscoveryReport, is
// withdrawn when lost, and never outranks a mapping the core holds.
#include <gtest/gtest.h>

#include "client/core/port_mapping.h"
#include "client/core/tests/test_support.h"
#include "protocol/port_mapping_wire.h"

namespace yt::test {
namespace {

const Endpoint kA{Ipv4::from_octets(192, 168, 1, 10), 40001};
// Discovery sees no NAT (one round trip); the gateway is what maps.
const Endpoint kMapped = kA;
const Ipv4 kGateway = Ipv4::from_octets(192, 168, 1, 1);
const Endpoint kGatewayPort{kGateway, kPortMappingServerPort};
const Endpoint kUpnpExternal{Ipv4::from_octets(203, 0, 113, 1), 40001};
const Ipv4 kVip = Ipv4::from_octets(25, 0, 0, 1);
// Past the core's PCP and NAT-PMP tries at a silent gateway (4 each, 250 ms doubling).
constexpr Duration kMapperGivesUp = std::chrono::seconds(8);

ClientConfig with_gateway() {
  ClientConfig config;
  config.port_mapping_gateway = kGateway;
  return config;
}

PortMappingOffer upnp(Endpoint external, std::uint32_t lease_s = 3600) {
  return PortMappingOffer{PortMappingProtocol::kUpnp, external, lease_s};
}

struct FallbackTest : ::testing::Test {
  Identity server_id = make_server_identity();
  ScriptedServer server{server_id};

  // The port mappings of the DiscoveryReports sent on `conn` since the last call.
  std::vector<PortMappingOffer> reported(Driven& c, ConnId conn) {
    std::vector<PortMappingOffer> out;
    for (const ControlMessage& m : server.messages(c.take_stream(conn))) {
      if (const auto* report = std::get_if<DiscoveryReport>(&m)) out.push_back(report->port_mapping);
    }
    return out;
  }
  static std::vector<bool> fallbacks(const Driven& c) {
    std::vector<bool> out;
    for (const PortMappingFallback& f : c.events_of<PortMappingFallback>()) out.push_back(f.wanted);
    return out;
  }
};

TEST_F(FallbackTest, WantedOnlyAfterTheGatewayAnsweredNeitherThenOfferedAndWithdrawn) {
  Driven c{1, kA, server_id.public_key, with_gateway()};
  ConnId conn = bring_online(c, server, kT0, kMapped, kVip);
  // While PCP and NAT-PMP are still being asked, a driver's result is not taken.
  EXPECT_TRUE(fallbacks(c).empty());
  c.core->on_driver_port_mapping(kT0, upnp(kUpnpExternal));
  c.drain();
  EXPECT_EQ(c.core->port_mapping().protocol, PortMappingProtocol::kNone);
  EXPECT_TRUE(reported(c, conn).empty());

  c.run_timers(kT0 + kMapperGivesUp);
  EXPECT_EQ(fallbacks(c), std::vector<bool>{true});
  EXPECT_TRUE(reported(c, conn).empty());  // losing nothing is no news

  const Time t = kT0 + kMapperGivesUp;
  c.core->on_driver_port_mapping(t, upnp(kUpnpExternal));
  c.drain();
  EXPECT_EQ(c.core->port_mapping(), upnp(kUpnpExternal));
  EXPECT_EQ(reported(c, conn), std::vector<PortMappingOffer>{upnp(kUpnpExternal)});

  // A renewal with the same endpoint is no news; a new endpoint is.
  c.core->on_driver_port_mapping(t + 1800s, upnp(kUpnpExternal, 7200));
  c.drain();
  EXPECT_TRUE(reported(c, conn).empty());
  const Endpoint moved{kUpnpExternal.ip, 50000};
  c.core->on_driver_port_mapping(t + 1801s, upnp(moved));
  c.drain();
  EXPECT_EQ(reported(c, conn), std::vector<PortMappingOffer>{upnp(moved)});

  c.core->on_driver_port_mapping_lost(t + 1802s);
  c.drain();
  EXPECT_EQ(reported(c, conn), std::vector<PortMappingOffer>{PortMappingOffer{}});
  EXPECT_EQ(c.core->port_mapping().protocol, PortMappingProtocol::kNone);
}

TEST_F(FallbackTest, AnOfferWithoutAnEndpointIsALoss) {
  Driven c{2, kA, server_id.public_key, with_gateway()};
  ConnId conn = bring_online(c, server, kT0, kMapped, kVip);
  c.run_timers(kT0 + kMapperGivesUp);
  const Time t = kT0 + kMapperGivesUp;
  c.core->on_driver_port_mapping(t, upnp(kUpnpExternal));
  c.drain();
  ASSERT_EQ(reported(c, conn).size(), 1u);
  c.core->on_driver_port_mapping(t, upnp(Endpoint{kUpnpExternal.ip, 0}));
  c.drain();
  EXPECT_EQ(reported(c, conn), std::vector<PortMappingOffer>{PortMappingOffer{}});
  c.core->on_driver_port_mapping(t, PortMappingOffer{PortMappingProtocol::kNone, kUpnpExternal, 3600});
  c.drain();
  EXPECT_TRUE(reported(c, conn).empty());
  EXPECT_EQ(c.core->port_mapping().protocol, PortMappingProtocol::kNone);
}

TEST_F(FallbackTest, AGatewayThatAnswersPcpIsNeverAskedByTheDriver) {
  Driven c{3, kA, server_id.public_key, with_gateway()};
  ConnId conn = bring_online(c, server, kT0, kMapped, kVip);
  std::optional<PcpMapRequest> request;
  for (const SendDatagram& d : c.datagrams) {
    if (d.to != kGatewayPort) continue;
    // The UDP port's request (the TCP listening port has its own).
    auto decoded = decode_pcp_map_request(d.payload);
    if (decoded && decoded->protocol == kPcpProtocolUdp) request = *decoded;
  }
  ASSERT_TRUE(request);
  PcpMapResponse answer;
  answer.nonce = request->nonce;
  answer.internal_port = request->client.port;
  answer.lifetime_s = 7200;
  answer.external = Endpoint{kUpnpExternal.ip, 61000};
  c.datagram(kT0, kGatewayPort, encode_pcp_map_response(answer));
  ASSERT_EQ(reported(c, conn).size(), 1u);
  c.run_timers(kT0 + kMapperGivesUp);
  EXPECT_TRUE(fallbacks(c).empty());
  c.core->on_driver_port_mapping(kT0 + kMapperGivesUp, upnp(kUpnpExternal));
  c.drain();
  EXPECT_EQ(c.core->port_mapping().protocol, PortMappingProtocol::kPcp);
  EXPECT_TRUE(reported(c, conn).empty());
}

TEST_F(FallbackTest, StartingOverUnwantsTheDriverAndDropsItsMapping) {
  Driven c{4, kA, server_id.public_key, with_gateway()};
  bring_online(c, server, kT0, kMapped, kVip);
  c.run_timers(kT0 + kMapperGivesUp);
  const Time t = kT0 + kMapperGivesUp;
  c.core->on_driver_port_mapping(t, upnp(kUpnpExternal));
  c.drain();
  ASSERT_EQ(c.core->port_mapping().protocol, PortMappingProtocol::kUpnp);

  // A new network: PCP and NAT-PMP are asked again, the driver's mapping is stale.
  c.core->on_network_changed(t, {kA});
  c.drain();
  EXPECT_EQ(fallbacks(c), (std::vector<bool>{true, false}));
  EXPECT_EQ(c.core->port_mapping().protocol, PortMappingProtocol::kNone);
  c.core->on_driver_port_mapping(t, upnp(kUpnpExternal));  // late, from the old network
  c.drain();
  EXPECT_EQ(c.core->port_mapping().protocol, PortMappingProtocol::kNone);

  // They give up again; stop() unwants it once more.
  c.run_timers(t + kMapperGivesUp);
  c.core->stop(t + kMapperGivesUp);
  c.drain();
  EXPECT_EQ(fallbacks(c), (std::vector<bool>{true, false, true, false}));
}

TEST_F(FallbackTest, WithoutAGatewayTheFallbackIsWantedAtOnceAndNeverWithPortMappingOff) {
  Driven no_gateway{5, kA, server_id.public_key};
  no_gateway.start(kT0);
  EXPECT_EQ(fallbacks(no_gateway), std::vector<bool>{true});
  EXPECT_TRUE(no_gateway.datagrams.empty());  // nothing for PCP to ask

  ClientConfig off = with_gateway();
  off.port_mapping = false;
  Driven disabled{6, kA, server_id.public_key, off};
  disabled.start(kT0);
  disabled.run_timers(kT0 + kMapperGivesUp);
  disabled.core->on_driver_port_mapping(kT0, upnp(kUpnpExternal));
  disabled.drain();
  EXPECT_TRUE(fallbacks(disabled).empty());
  EXPECT_EQ(disabled.core->port_mapping().protocol, PortMappingProtocol::kNone);
}

}  // namespace
}  // namespace yt::test
