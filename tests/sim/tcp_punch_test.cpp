// TCP hole punching end to end in the simulated world, with the real server core
// (it learns each client's TCP mapping and plans the punch) and real NAT models for
// UDP: a client whose UDP is blocked goes direct to its peer over TCP, and its
// packets cross that path both ways, sealed as on any path; with the technique off
// the pair stays on the relay. FakeNetwork models the TCP side (fake_network.h):
// stateful filters that let a SYN through only toward a host that sent one back.
#include <gtest/gtest.h>

#include "client/core/tcp_mapping_probe.h"
#include "nat-models/nat_profiles.h"
#include "tests/sim/nat_translator.h"
#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

Bytes numbered(std::uint8_t seq) { return Bytes{0xee, seq}; }

struct Pair {
  explicit Pair(std::set<std::string> disabled = {}) {
    ServerConfig config = sim_server_config();
    config.disabled_techniques = std::move(disabled);
    net.add_server(kServerControl, {kDiscoveryPrimary, kDiscoverySecondary}, config);
    erin = add_translated_client(net, "erin", Endpoint{Ipv4::from_octets(10, 0, 1, 2), 40001}, erin_nat,
                                 erin_nat.public_ip());
    bob = add_translated_client(net, "bob", Endpoint{Ipv4::from_octets(10, 0, 2, 2), 40001}, bob_nat,
                                bob_nat.public_ip());
  }
  NatChainTranslator erin_nat{{*nat::profile("udp-blocked")}, {Ipv4::from_octets(203, 0, 113, 50)}, 1};
  NatChainTranslator bob_nat{{*nat::profile("port-restricted-cone")}, {Ipv4::from_octets(203, 0, 113, 60)}, 2};
  FakeNetwork net;
  std::size_t erin = 0;
  std::size_t bob = 0;
};

TEST(SimTcpPunch, AUdpBlockedClientGoesDirectOverTcpAndItsPacketsCrossBothWays) {
  Pair p;
  ASSERT_TRUE(join_pair(p.net, p.erin, p.bob));
  EXPECT_TRUE(p.net.events_of<DiscoveryDone>(p.erin)[0].udp_blocked);
  EXPECT_EQ(p.net.server()->stats().tcp_mappings, 2u);  // both sides taught the server theirs
  const PublicKey ke = p.net.client(p.erin).public_key();
  const PublicKey kb = p.net.client(p.bob).public_key();
  ASSERT_TRUE(p.net.run_until([&] { return has_direct_tunnel(p.net, p.erin, kb) && has_direct_tunnel(p.net, p.bob, ke); },
                              5s));
  for (const PeerStatus& s : p.net.client(p.erin).peers()) EXPECT_TRUE(s.direct_over_tcp);
  for (const PeerStatus& s : p.net.client(p.bob).peers()) EXPECT_TRUE(s.direct_over_tcp);
  // The path is the peer's TCP mapping: its public address and punch port.
  ASSERT_EQ(p.net.events_of<TunnelUp>(p.erin).size(), 1u);
  EXPECT_EQ(p.net.events_of<TunnelUp>(p.erin)[0].path.ip, p.bob_nat.public_ip());
  EXPECT_GE(p.net.events_of<TunnelUp>(p.erin)[0].path.port, kFirstTcpPunchPort);
  EXPECT_EQ(p.net.client(p.erin).stats().tcp_punches_connected, 1u);

  for (std::uint8_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(p.net.with_client(p.erin, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(i)); }));
    ASSERT_TRUE(p.net.with_client(p.bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ke, numbered(i)); }));
  }
  p.net.run_for(30s);
  for (std::size_t side : {p.erin, p.bob}) {
    const auto received = p.net.events_of<PacketReceived>(side);
    ASSERT_EQ(received.size(), 10u);
    for (std::size_t i = 0; i < received.size(); ++i) {
      EXPECT_FALSE(received[i].relayed);
      EXPECT_EQ(received[i].packet, numbered(static_cast<std::uint8_t>(i)));  // in order, none twice
    }
  }
  // Still direct over TCP: the path checks are answered on it.
  EXPECT_TRUE(has_direct_tunnel(p.net, p.erin, kb));
  EXPECT_TRUE(p.net.events_of<TunnelDown>(p.erin).empty());
}

TEST(SimTcpPunch, WithTcpDisabledThePairStaysRelayed) {
  Pair p({"tcp"});
  ASSERT_TRUE(join_pair(p.net, p.erin, p.bob));
  const PublicKey kb = p.net.client(p.bob).public_key();
  p.net.run_for(20s);
  EXPECT_TRUE(tunnel_state_is(p.net, p.erin, kb, TunnelState::kRelayed));
  EXPECT_TRUE(p.net.events_of<TunnelUp>(p.erin).empty());
  EXPECT_EQ(p.net.client(p.erin).stats().tcp_punches_opened, 0u);
}

TEST(SimTcpPunch, TheTcpPathClosingMovesTheTunnelToTheRelayAtOnce) {
  Pair p;
  ASSERT_TRUE(join_pair(p.net, p.erin, p.bob));
  const PublicKey ke = p.net.client(p.erin).public_key();
  const PublicKey kb = p.net.client(p.bob).public_key();
  ASSERT_TRUE(p.net.run_until([&] { return has_direct_tunnel(p.net, p.erin, kb) && has_direct_tunnel(p.net, p.bob, ke); },
                              5s));
  p.net.reset_peer_streams(p.bob);
  ASSERT_TRUE(p.net.run_until([&] { return tunnel_state_is(p.net, p.erin, kb, TunnelState::kRelayed); }, 1s));
}

}  // namespace
}  // namespace yt::sim
