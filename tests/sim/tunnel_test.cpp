// Tunnels between two clients, set up by the real server core: punching, the peer
// handshake, data and chat both ways, teardown when membership ends.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

class SimTunnel : public ::testing::Test {
 protected:
  void SetUp() override {
    add_sim_server(net);
    alice = add_public_client(net, "alice", 1);
    bob = add_public_client(net, "bob", 2);
    ASSERT_TRUE(connect_pair(net, alice, bob));
    ka = net.client(alice).public_key();
    kb = net.client(bob).public_key();
  }

  FakeNetwork net;
  std::size_t alice = 0, bob = 0;
  PublicKey ka{}, kb{};
};

TEST_F(SimTunnel, BothSidesReportTunnelUpOverTheDirectPath) {
  auto up_a = net.events_of<TunnelUp>(alice);
  auto up_b = net.events_of<TunnelUp>(bob);
  ASSERT_EQ(up_a.size(), 1u);
  ASSERT_EQ(up_b.size(), 1u);
  EXPECT_EQ(up_a[0].peer, kb);
  EXPECT_EQ(up_a[0].path, net.client_address(bob));
  EXPECT_EQ(up_b[0].peer, ka);
  EXPECT_EQ(up_b[0].path, net.client_address(alice));
  // Punching starts after the server's 250 ms lead; a few one-way delays later the
  // handshake is done.
  for (const TunnelUp& up : {up_a[0], up_b[0]}) {
    EXPECT_GE(up.time_to_direct, 250ms);
    EXPECT_LT(up.time_to_direct, 400ms);
  }
}

TEST_F(SimTunnel, PacketsFlowBothWays) {
  Bytes to_bob = {0x45, 0x00, 0x00, 0x1c, 1, 2, 3};
  Bytes to_alice = {0x45, 0x00, 0x00, 0x1c, 9, 8, 7, 6};
  ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, to_bob); }));
  ASSERT_TRUE(net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ka, to_alice); }));
  net.run_for(100ms);
  auto at_bob = net.events_of<PacketReceived>(bob);
  auto at_alice = net.events_of<PacketReceived>(alice);
  ASSERT_EQ(at_bob.size(), 1u);
  ASSERT_EQ(at_alice.size(), 1u);
  EXPECT_EQ(at_bob[0].peer, ka);
  EXPECT_EQ(at_bob[0].packet, to_bob);
  EXPECT_EQ(at_alice[0].peer, kb);
  EXPECT_EQ(at_alice[0].packet, to_alice);
}

TEST_F(SimTunnel, ChatArrives) {
  std::string text = "gg, rematch?";
  ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) {
    return c.send_to_peer(now, kb, as_bytes(text), PeerPayloadType::kChat);
  }));
  net.run_for(100ms);
  auto chats = net.events_of<ChatReceived>(bob);
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0].peer, ka);
  EXPECT_EQ(chats[0].text, text);
  EXPECT_TRUE(net.events_of<PacketReceived>(bob).empty());
}

TEST_F(SimTunnel, IdleTunnelStaysUpOnKeepalives) {
  net.run_for(10min);
  EXPECT_TRUE(has_direct_tunnel(net, alice, kb));
  EXPECT_TRUE(has_direct_tunnel(net, bob, ka));
  EXPECT_TRUE(net.events_of<TunnelDown>(alice).empty());
  EXPECT_GT(net.client(alice).stats().packets_sent, 10u);
}

TEST_F(SimTunnel, LeavingTheOnlySharedNetworkTearsTheTunnelDown) {
  auto left = net.with_client(bob, [](ClientCore& c, Time now) { return c.leave_network(now, "lan"); });
  ASSERT_TRUE(left);
  EXPECT_EQ(await_request(net, bob, left.value()), ReplyCode::kOk);
  ASSERT_TRUE(net.run_until([&] { return !net.events_of<TunnelDown>(alice).empty(); }, 2s));
  EXPECT_EQ(net.events_of<TunnelDown>(alice)[0].peer, kb);
  ASSERT_TRUE(net.run_until([&] { return !net.events_of<TunnelDown>(bob).empty(); }, 2s));
  EXPECT_TRUE(net.client(alice).peers().empty());
  auto sent = net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, Bytes{1}); });
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), SendError::kNoTunnel);
}

TEST(SimTunnelLossy, TunnelComesUpThroughTwentyPercentLoss) {
  NetworkOptions options;
  options.seed = 11;
  options.datagram_loss = 0.2;
  FakeNetwork net(options);
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(connect_pair(net, alice, bob));
  EXPECT_GT(net.counters().datagrams_lost, 0u);
}

}  // namespace
}  // namespace yt::sim

namespace yt::sim {
namespace {

// A peer that restarts loses its tunnel state while the other side still holds a
// "direct" tunnel. The server's new instruction makes them handshake again under the
// new id, whichever side initiates; restarting each side in turn covers both roles.
TEST_F(SimTunnel, PeerRestartReestablishesTheTunnel) {
  for (std::size_t restarted : {bob, alice}) {
    std::size_t other = restarted == bob ? alice : bob;
    const PublicKey& k_other = net.client(other).public_key();
    const PublicKey& k_restarted = net.client(restarted).public_key();
    std::size_t ups_before = net.events_of<TunnelUp>(restarted).size();
    std::size_t downs_before = net.events_of<TunnelDown>(other).size();
    net.stop_client(restarted);
    ASSERT_TRUE(net.run_for(2s));
    net.start_client(restarted);
    ASSERT_TRUE(net.run_until([&] { return net.events_of<TunnelUp>(restarted).size() > ups_before; }, 15s));
    ASSERT_TRUE(net.run_for(1s));

    Bytes ping = {1, 2, 3};
    Bytes pong = {4, 5, 6};
    std::size_t at_other = net.events_of<PacketReceived>(other).size();
    std::size_t at_restarted = net.events_of<PacketReceived>(restarted).size();
    ASSERT_TRUE(net.with_client(restarted, [&](ClientCore& c, Time now) { return c.send_to_peer(now, k_other, ping); }));
    ASSERT_TRUE(net.with_client(other, [&](ClientCore& c, Time now) { return c.send_to_peer(now, k_restarted, pong); }));
    ASSERT_TRUE(net.run_for(100ms));
    ASSERT_EQ(net.events_of<PacketReceived>(other).size(), at_other + 1);
    EXPECT_EQ(net.events_of<PacketReceived>(other).back().packet, ping);
    ASSERT_EQ(net.events_of<PacketReceived>(restarted).size(), at_restarted + 1);
    EXPECT_EQ(net.events_of<PacketReceived>(restarted).back().packet, pong);
    // The side that kept its tunnel never saw it go down.
    EXPECT_EQ(net.events_of<TunnelDown>(other).size(), downs_before);
  }
}

}  // namespace
}  // namespace yt::sim
