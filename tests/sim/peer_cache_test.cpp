// Cached peers (client/core/peer_cache.h): a client restarted while the server is
// down gets back to its peers from its cache, the peers take it back because they
// know its key, and the server's view takes over when it returns.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

class SimPeerCache : public ::testing::Test {
 protected:
  void SetUp() override {
    add_sim_server(net);
    alice = add_public_client(net, "alice", 1);
    bob = add_public_client(net, "bob", 2);
    carol = add_public_client(net, "carol", 3);
    ASSERT_TRUE(connect_pair(net, alice, bob));
    net.start_client(carol);
    ASSERT_TRUE(net.run_until([&] { return is_online(net, carol); }, 10s));
    auto joined = net.with_client(carol, [](ClientCore& c, Time now) { return c.join_network(now, "lan", "hunter2"); });
    ASSERT_TRUE(joined && await_request(net, carol, *joined) == ReplyCode::kOk);
    ka = net.client(alice).public_key();
    kb = net.client(bob).public_key();
    kc = net.client(carol).public_key();
    ASSERT_TRUE(net.run_until([&] { return has_direct_tunnel(net, alice, kb) && has_direct_tunnel(net, alice, kc); },
                              15s));
  }

  // Alice's process dies while the server is down and starts again from `cache`.
  void restart_alice_from(const PeerCache& cache) {
    net.restart_client(alice);
    ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.restore_peers(now, cache); }));
    net.start_client(alice);
  }
  bool delivered(std::size_t from, std::size_t to, const PublicKey& to_key, std::uint8_t tag) {
    std::size_t before = net.events_of<PacketReceived>(to).size();
    if (!net.with_client(from, [&](ClientCore& c, Time now) { return c.send_to_peer(now, to_key, Bytes{tag}).ok(); })) {
      return false;
    }
    return net.run_until([&] { return net.events_of<PacketReceived>(to).size() > before; }, 2s);
  }

  FakeNetwork net;
  std::size_t alice = 0, bob = 0, carol = 0;
  PublicKey ka{}, kb{}, kc{};
};

TEST_F(SimPeerCache, ARestartDuringAnOutageGetsBackToThePeersFromTheCache) {
  const PeerCache cache = net.client(alice).peer_cache();
  ASSERT_EQ(cache.direct.size(), 2u);
  net.stop_server();
  ASSERT_TRUE(net.run_for(2s));
  restart_alice_from(cache);
  // No server, yet alice's address, members and tunnels are back: the lower key of
  // each pair starts the handshake under the resume id, the peer accepts it.
  ASSERT_TRUE(net.run_until([&] { return has_direct_tunnel(net, alice, kb) && has_direct_tunnel(net, alice, kc); },
                            10s));
  EXPECT_NE(net.client(alice).state(), ClientState::kOnline);
  EXPECT_TRUE(delivered(alice, bob, kb, 1));
  EXPECT_TRUE(delivered(bob, alice, ka, 2));
  EXPECT_TRUE(delivered(carol, alice, ka, 3));
  EXPECT_GE(net.client(bob).stats().tunnels_resumed + net.client(carol).stats().tunnels_resumed, 1u);
  // The server returns: alice logs in, syncs, and the tunnels carry on.
  net.start_server();
  ASSERT_TRUE(net.run_until([&] { return is_online(net, alice); }, 30s));
  net.run_for(5s);
  EXPECT_TRUE(delivered(alice, bob, kb, 4));
  EXPECT_TRUE(delivered(bob, alice, ka, 5));
}

TEST_F(SimPeerCache, WithoutTheCacheARestartDuringAnOutageReachesNobody) {
  // The same restart with nothing restored: the figure the cache improves.
  net.stop_server();
  ASSERT_TRUE(net.run_for(2s));
  net.restart_client(alice);
  net.start_client(alice);
  net.run_for(10s);
  EXPECT_FALSE(has_direct_tunnel(net, alice, kb));
  EXPECT_FALSE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, Bytes{1}).ok(); }));
}

TEST_F(SimPeerCache, APeerThatNoLongerSharesANetworkRefusesTheResume) {
  const PeerCache cache = net.client(alice).peer_cache();
  // Bob leaves lan while alice is still connected: his view no longer has her.
  auto left = net.with_client(bob, [](ClientCore& c, Time now) { return c.leave_network(now, "lan"); });
  ASSERT_TRUE(left && await_request(net, bob, *left) == ReplyCode::kOk);
  net.stop_server();
  ASSERT_TRUE(net.run_for(2s));
  restart_alice_from(cache);
  ASSERT_TRUE(net.run_until([&] { return has_direct_tunnel(net, alice, kc); }, 10s));
  net.run_for(10s);
  EXPECT_FALSE(has_direct_tunnel(net, alice, kb));
  EXPECT_FALSE(has_direct_tunnel(net, bob, ka));
}

TEST_F(SimPeerCache, ACacheIsRestoredOnlyBeforeTheFirstLogin) {
  const PeerCache cache = net.client(alice).peer_cache();
  EXPECT_FALSE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.restore_peers(now, cache); }));
}

}  // namespace
}  // namespace yt::sim
