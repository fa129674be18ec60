// Relays end to end in the simulated world, with the real server core (its
// built-in relay) and real NAT models: a pair that cannot punch talks through the
// relay; a pair that can starts on the relay and moves to the direct path without
// losing or repeating a packet.
#include <gtest/gtest.h>

#include <map>

#include "nat-models/nat_profiles.h"
#include "tests/sim/nat_translator.h"
#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

bool has_tunnel_state(FakeNetwork& net, std::size_t i, const PublicKey& peer, TunnelState state) {
  for (const PeerStatus& p : net.client(i).peers()) {
    if (p.key == peer) return p.has_tunnel && p.tunnel == state;
  }
  return false;
}

// Logs both in, has `a` create a network and `b` join it; no wait for tunnels.
bool join_pair(FakeNetwork& net, std::size_t a, std::size_t b) {
  net.start_client(a);
  net.start_client(b);
  if (!net.run_until([&] { return is_online(net, a) && is_online(net, b); }, 10s)) return false;
  auto created = net.with_client(a, [&](ClientCore& c, Time now) { return c.create_network(now, "lan", "pw"); });
  if (!created || await_request(net, a, created.value()) != ReplyCode::kOk) return false;
  auto joined = net.with_client(b, [&](ClientCore& c, Time now) { return c.join_network(now, "lan", "pw"); });
  return joined && await_request(net, b, joined.value()) == ReplyCode::kOk;
}

std::size_t add_natted(FakeNetwork& net, const char* name, std::uint8_t n, NatChainTranslator& nat) {
  ClientOptions options;
  options.name = name;
  options.address = Endpoint{Ipv4::from_octets(10, 0, n, 2), 40001};
  options.translator = &nat;
  options.public_ip = nat.public_ip();
  return net.add_client(std::move(options));
}

Bytes numbered(std::uint32_t seq) {
  // An IPv4-looking header is not needed: the sim clients are not in ip_mode.
  return Bytes{static_cast<std::uint8_t>(seq >> 24), static_cast<std::uint8_t>(seq >> 16),
               static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq)};
}

std::uint32_t number_of(const Bytes& b) {
  return b.size() == 4 ? (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3]
                       : 0xffffffff;
}

// Symmetric with random ports against a port-restricted filter: no punch can work
// (the theory check of the nat-matrix says so), and the relay carries the pair.
TEST(SimRelay, APairThatCannotPunchTalksThroughTheServersRelay) {
  NatChainTranslator alice_nat({*nat::profile("symmetric-random")}, {Ipv4::from_octets(203, 0, 113, 50)}, 1);
  NatChainTranslator bob_nat({*nat::profile("port-restricted-cone")}, {Ipv4::from_octets(203, 0, 113, 60)}, 2);
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_natted(net, "alice", 1, alice_nat);
  std::size_t bob = add_natted(net, "bob", 2, bob_nat);
  ASSERT_TRUE(join_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const PublicKey kb = net.client(bob).public_key();

  ASSERT_TRUE(net.run_until([&] { return has_tunnel_state(net, alice, kb, TunnelState::kRelayed) &&
                                         has_tunnel_state(net, bob, ka, TunnelState::kRelayed); },
                            2s));
  auto relayed = net.events_of<TunnelRelayed>(alice);
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].relay, kDiscoveryPrimary);
  // Bind, then the handshake through the relay: a few 10 ms hops, not a punch window.
  EXPECT_LT(relayed[0].time_to_relay, 200ms);

  // The whole punch window and more: it never goes direct, and never fails.
  net.run_for(30s);
  EXPECT_TRUE(net.events_of<TunnelUp>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelFailed>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelFailed>(bob).empty());
  EXPECT_TRUE(has_tunnel_state(net, alice, kb, TunnelState::kRelayed));

  for (std::uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(i)); }));
    ASSERT_TRUE(net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ka, numbered(100 + i)); }));
  }
  net.run_for(1s);
  EXPECT_EQ(net.events_of<PacketReceived>(bob).size(), 10u);
  EXPECT_EQ(net.events_of<PacketReceived>(alice).size(), 10u);
  const RelayStats& relay = net.server()->relay_stats();
  EXPECT_GE(relay.forwarded_packets, 20u);
  EXPECT_EQ(relay.binds_accepted, 2u);
  EXPECT_EQ(net.server()->relay_pairs(), 1u);
  // What status shows: relayed, via the relay, with an RTT through it.
  for (const PeerStatus& p : net.client(alice).peers()) {
    EXPECT_EQ(p.path, kDiscoveryPrimary);
    EXPECT_TRUE(p.no_path_reason.empty());
    ASSERT_TRUE(p.rtt.has_value());
    EXPECT_GE(*p.rtt, 40ms);  // four hops of 10 ms: to the relay and on, and back
  }
}

// Two public clients: the relay answers first, punching a moment later. Alice
// sends a numbered packet every 5 ms from before the tunnel exists until well after
// it went direct; bob must get every number exactly once (the relay's path is
// twice as long, so direct packets overtake relayed ones at the switch).
TEST(SimRelay, ARelayedPairMovesToTheDirectPathWithoutLosingOrRepeatingAPacket) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(join_pair(net, alice, bob));
  const PublicKey kb = net.client(bob).public_key();

  std::uint32_t sent = 0;
  std::uint32_t sent_before_direct = 0;
  bool was_relayed = false;
  const Time stop = net.now() + 2s;
  while (net.now() < stop) {
    auto ok = net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(sent)); });
    if (ok) {
      ++sent;
      was_relayed |= has_tunnel_state(net, alice, kb, TunnelState::kRelayed);
      if (!has_tunnel_state(net, alice, kb, TunnelState::kDirect)) sent_before_direct = sent;
    }
    net.run_for(5ms);
  }
  net.run_for(500ms);

  EXPECT_TRUE(was_relayed);
  EXPECT_TRUE(has_tunnel_state(net, alice, kb, TunnelState::kDirect));
  ASSERT_EQ(net.events_of<TunnelRelayed>(alice).size(), 1u);
  ASSERT_EQ(net.events_of<TunnelUp>(alice).size(), 1u);
  // Traffic went both ways round: some through the relay, the rest direct.
  EXPECT_GE(sent_before_direct, 10u);
  EXPECT_GE(sent - sent_before_direct, 100u);
  EXPECT_GE(net.server()->relay_stats().forwarded_packets, sent_before_direct);

  std::map<std::uint32_t, int> seen;
  for (const PacketReceived& p : net.events_of<PacketReceived>(bob)) ++seen[number_of(p.packet)];
  std::uint32_t missing = 0, repeated = 0;
  for (std::uint32_t i = 0; i < sent; ++i) {
    auto it = seen.find(i);
    if (it == seen.end()) {
      ++missing;
    } else if (it->second > 1) {
      ++repeated;
    }
  }
  EXPECT_EQ(missing, 0u) << "of " << sent;
  EXPECT_EQ(repeated, 0u);
  EXPECT_EQ(seen.size(), sent);  // nothing that was not sent
}

// Without the built-in relay (off in the server's config) a pair that cannot punch
// fails after the punch window and says why.
TEST(SimRelay, WithoutARelayAPairThatCannotPunchFailsAndSaysWhy) {
  NatChainTranslator alice_nat({*nat::profile("symmetric-random")}, {Ipv4::from_octets(203, 0, 113, 50)}, 1);
  NatChainTranslator bob_nat({*nat::profile("port-restricted-cone")}, {Ipv4::from_octets(203, 0, 113, 60)}, 2);
  FakeNetwork net;
  ServerConfig config = sim_server_config();
  config.builtin_relay = false;
  net.add_server(kServerControl, {kDiscoveryPrimary, kDiscoverySecondary}, config);
  std::size_t alice = add_natted(net, "alice", 1, alice_nat);
  std::size_t bob = add_natted(net, "bob", 2, bob_nat);
  ASSERT_TRUE(join_pair(net, alice, bob));
  ASSERT_TRUE(net.run_until([&] { return !net.events_of<TunnelFailed>(alice).empty(); }, 30s));
  EXPECT_NE(net.events_of<TunnelFailed>(alice)[0].reason.find("the server offered no relay"), std::string::npos);
  EXPECT_TRUE(net.events_of<TunnelRelayed>(alice).empty());
}

}  // namespace
}  // namespace yt::sim
