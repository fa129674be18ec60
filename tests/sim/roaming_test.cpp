// Roaming: a client's address changes under a running process (Wi-Fi to LTE). Its
// tunnels move to the new path without a new handshake (the session survives; the
// peer learns the new endpoint from an authenticated packet), and its broken control
// connection brings a new login with a fresh discovery, so the server plans with the
// new endpoint.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

TEST(SimRoaming, TheTunnelFollowsTheNewAddressWithoutANewHandshake) {
  FakeNetwork net;
  add_sim_server(net);
  const std::size_t alice = add_public_client(net, "alice", 1);
  const std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(connect_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const PublicKey kb = net.client(bob).public_key();
  const std::size_t discoveries = net.events_of<DiscoveryDone>(alice).size();

  const Endpoint roamed{Ipv4::from_octets(198, 51, 100, 77), 40001};
  net.move_client(alice, roamed);
  // Alice keeps talking; bob's answers follow her to the new address.
  std::size_t at_bob = net.events_of<PacketReceived>(bob).size();
  std::size_t at_alice = net.events_of<PacketReceived>(alice).size();
  for (int k = 0; k < 20; ++k) {
    ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, Bytes{1}).ok(); }));
    net.run_for(100ms);
    ASSERT_TRUE(net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ka, Bytes{2}).ok(); }));
    net.run_for(100ms);
  }
  EXPECT_EQ(net.events_of<PacketReceived>(bob).size(), at_bob + 20);
  EXPECT_GE(net.events_of<PacketReceived>(alice).size(), at_alice + 19);  // the first answer may go to the old address
  EXPECT_TRUE(has_direct_tunnel(net, bob, ka));
  for (const PeerStatus& p : net.client(bob).peers()) {
    if (p.key == ka) {
      EXPECT_EQ(p.path, roamed);
    }
  }
  // One session all along: no tunnel went down or came up again.
  EXPECT_TRUE(net.events_of<TunnelDown>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelDown>(bob).empty());
  // The control connection broke with the old address: alice logs in again and
  // discovers anew, so the server knows her new endpoint.
  ASSERT_TRUE(net.run_until([&] { return net.events_of<DiscoveryDone>(alice).size() > discoveries; }, 30s));
  EXPECT_EQ(net.events_of<DiscoveryDone>(alice).back().mapped_endpoint, roamed);
}

// A real kernel does not reset a TCP connection whose address went away: the
// control connection just falls silent, and without a notice the client would
// notice only after server_timeout (75 s). The driver's network-change notice
// brings the new login and discovery at once, and every tunnel pings its peer
// from the new address, so the peer follows before any data is sent.
TEST(SimRoaming, ANetworkChangeNoticeBringsTheNewEndpointToServerAndPeersAtOnce) {
  FakeNetwork net;
  add_sim_server(net);
  const std::size_t alice = add_public_client(net, "alice", 1);
  const std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(connect_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const std::size_t discoveries = net.events_of<DiscoveryDone>(alice).size();

  const Endpoint roamed{Ipv4::from_octets(198, 51, 100, 78), 40001};
  net.move_client(alice, roamed, /*tell_client=*/false);
  const Time moved = net.now();
  net.with_client(alice, [&](ClientCore& c, Time now) {
    c.on_network_changed(now, {roamed});
    return true;
  });
  auto bob_follows = [&] {
    for (const PeerStatus& p : net.client(bob).peers()) {
      if (p.key == ka) return p.path == roamed;
    }
    return false;
  };
  ASSERT_TRUE(net.run_until(bob_follows, 1s));
  ASSERT_TRUE(net.run_until([&] { return net.events_of<DiscoveryDone>(alice).size() > discoveries; }, 5s));
  EXPECT_EQ(net.events_of<DiscoveryDone>(alice).back().mapped_endpoint, roamed);
  EXPECT_LT(net.now() - moved, 5s);
  EXPECT_TRUE(net.events_of<TunnelDown>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelDown>(bob).empty());
  EXPECT_EQ(net.client(alice).stats().network_changes, 1u);
}

}  // namespace
}  // namespace yt::sim
