// Outage survival (docs/architecture.md section 3): the server goes away for a minute; tunnels
// keep carrying traffic, clients reconnect with backoff and resync when it returns.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

class SimOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    add_sim_server(net);
    alice = add_public_client(net, "alice", 1);
    bob = add_public_client(net, "bob", 2);
    ASSERT_TRUE(connect_pair(net, alice, bob));
    ka = net.client(alice).public_key();
    kb = net.client(bob).public_key();
  }

  std::vector<Time> times_of_login_failures(std::size_t i) const {
    std::vector<Time> out;
    for (const RecordedEvent& r : net.events()) {
      if (r.client == i && std::holds_alternative<LoginFailed>(r.event)) out.push_back(r.at);
    }
    return out;
  }

  FakeNetwork net;
  std::size_t alice = 0, bob = 0;
  PublicKey ka{}, kb{};
};

TEST_F(SimOutage, TunnelCarriesEveryPacketThroughAMinuteWithoutServer) {
  net.stop_server();
  constexpr int kPackets = 120;  // one every 500 ms for 60 s, each way
  for (int k = 0; k < kPackets; ++k) {
    Bytes a_to_b = {0xAB, static_cast<std::uint8_t>(k)};
    Bytes b_to_a = {0xBA, static_cast<std::uint8_t>(k)};
    ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, a_to_b); }));
    ASSERT_TRUE(net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ka, b_to_a); }));
    ASSERT_TRUE(net.run_for(500ms));
  }
  auto at_bob = net.events_of<PacketReceived>(bob);
  auto at_alice = net.events_of<PacketReceived>(alice);
  ASSERT_EQ(at_bob.size(), std::size_t(kPackets));
  ASSERT_EQ(at_alice.size(), std::size_t(kPackets));
  for (int k = 0; k < kPackets; ++k) {
    EXPECT_EQ(at_bob[k].packet, (Bytes{0xAB, static_cast<std::uint8_t>(k)}));
    EXPECT_EQ(at_alice[k].packet, (Bytes{0xBA, static_cast<std::uint8_t>(k)}));
  }
  EXPECT_EQ(net.events_of<ServerLost>(alice).size(), 1u);
  EXPECT_EQ(net.events_of<ServerLost>(bob).size(), 1u);
  EXPECT_TRUE(net.events_of<TunnelDown>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelDown>(bob).empty());
  EXPECT_NE(net.client(alice).state(), ClientState::kOnline);

  // Reconnect attempts back off: each gap at least 1.5x the one before (doubling,
  // minus at most 20% jitter), and not a flood.
  for (std::size_t i : {alice, bob}) {
    auto failures = times_of_login_failures(i);
    ASSERT_GE(failures.size(), 4u);
    EXPECT_LE(failures.size(), 8u);
    for (std::size_t k = 2; k < failures.size(); ++k) {
      Duration before = failures[k - 1] - failures[k - 2];
      Duration after = failures[k] - failures[k - 1];
      EXPECT_GE(after.count() * 2, before.count() * 3) << "attempt " << k;
    }
  }

  net.start_server();
  ASSERT_TRUE(net.run_until([&] { return is_online(net, alice) && is_online(net, bob); }, 70s));
  EXPECT_GE(net.client(alice).stats().reconnects, 4u);
  EXPECT_GE(net.events_of<Synced>(alice).size(), 2u);
  // The restarted server instructs the pair again; the live tunnel is kept.
  net.run_for(2s);
  EXPECT_EQ(net.events_of<TunnelUp>(alice).size(), 1u);
  EXPECT_EQ(net.events_of<TunnelUp>(bob).size(), 1u);
  EXPECT_TRUE(net.events_of<TunnelDown>(alice).empty());
  EXPECT_TRUE(has_direct_tunnel(net, alice, kb));
  ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, Bytes{7}); }));
  net.run_for(100ms);
  EXPECT_EQ(net.events_of<PacketReceived>(bob).back().packet, Bytes{7});
}

TEST_F(SimOutage, IdleTunnelIsProbedWhileTheServerIsLost) {
  std::uint64_t before = net.client(alice).stats().packets_sent;
  net.stop_server();
  ASSERT_TRUE(net.run_for(60s));
  // Liveness probes every 5 s instead of pings every 25 s, each side answering the
  // other's: about 12 probes and 12 answers sent.
  std::uint64_t sent = net.client(alice).stats().packets_sent - before;
  EXPECT_GE(sent, 22u);
  EXPECT_LE(sent, 27u);
  EXPECT_TRUE(has_direct_tunnel(net, alice, kb));
  EXPECT_TRUE(net.events_of<TunnelDown>(bob).empty());
}

TEST_F(SimOutage, TunnelToAVanishedPeerGoesDownAfterPeerTimeout) {
  // Bob's machine dies silently: no goodbye, no more packets. The server eventually
  // notices (idle timeout) and tells Alice, who keeps probing until peer_timeout.
  net.stop_client(bob);
  ASSERT_TRUE(net.run_until([&] { return !net.events_of<TunnelDown>(alice).empty(); }, 3min));
  EXPECT_EQ(net.events_of<TunnelDown>(alice)[0].peer, kb);
  EXPECT_FALSE(has_direct_tunnel(net, alice, kb));
}

// Clients deep in their backoff (a long outage) are back within seconds of the
// server's return, not at their next attempt up to reconnect_max later: they ask
// the server's relay, cheaply, whether it is back.
TEST_F(SimOutage, ClientsAreBackWithinSecondsOfTheServersReturn) {
  net.stop_server();
  ASSERT_TRUE(net.run_for(std::chrono::seconds(100)));  // backoff waits have reached ~32-60 s
  const std::uint64_t attempts_before = net.client(alice).stats().reconnects;
  net.start_server();
  const Time back = net.now();
  ASSERT_TRUE(net.run_until([&] { return is_online(net, alice) && is_online(net, bob); }, 70s));
  EXPECT_LE(net.now() - back, std::chrono::seconds(4));  // a probe interval, the spread, a login
  EXPECT_EQ(net.client(alice).stats().reconnects, attempts_before + 1);  // no extra attempts
  EXPECT_TRUE(has_direct_tunnel(net, alice, kb));
}

// Without the built-in relay nothing answers the probes: the backoff alone brings
// clients back, as before.
TEST(SimOutageWithoutRelay, ClientsStillComeBackByTheirBackoff) {
  FakeNetwork net;
  add_sim_server_without_relay(net);
  const std::size_t alice = add_public_client(net, "alice", 1);
  const std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(connect_pair(net, alice, bob));
  net.stop_server();
  ASSERT_TRUE(net.run_for(std::chrono::seconds(100)));
  net.start_server();
  ASSERT_TRUE(net.run_until([&] { return is_online(net, alice) && is_online(net, bob); }, 70s));
}

}  // namespace
}  // namespace yt::sim
