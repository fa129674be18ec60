// A tunnel that dies while both clients keep their server connections (here: all
// UDP between them lost for longer than the peer timeout) comes back once the path
// does: the clients ask the server to plan it again (RequestTunnel), with backoff.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

std::size_t add_client(FakeNetwork& net, const std::string& name, std::uint8_t n, Duration retry_first) {
  ClientOptions options;
  options.name = name;
  options.address = Endpoint{Ipv4::from_octets(203, 0, 113, n), static_cast<std::uint16_t>(40000 + n)};
  options.config.tunnel_retry_first = retry_first;
  return net.add_client(std::move(options));
}

// Connects alice and bob, cuts every datagram until both tunnels are down, then
// restores the path. Returns whether alice's tunnel is direct again `wait` later.
bool recovers(Duration retry_first, Duration wait, std::uint64_t* requests) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_client(net, "alice", 1, retry_first);
  std::size_t bob = add_client(net, "bob", 2, retry_first);
  EXPECT_TRUE(connect_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const PublicKey kb = net.client(bob).public_key();

  net.set_datagram_loss(1.0);
  EXPECT_TRUE(net.run_until(
      [&] { return !net.events_of<TunnelDown>(alice).empty() && !net.events_of<TunnelDown>(bob).empty(); }, 300s));
  EXPECT_EQ(net.client(alice).state(), ClientState::kOnline);  // the control connections never noticed
  net.set_datagram_loss(0.0);
  bool back = net.run_until([&] { return has_direct_tunnel(net, alice, kb) && has_direct_tunnel(net, bob, ka); },
                            wait);
  *requests = net.client(alice).stats().tunnel_requests + net.client(bob).stats().tunnel_requests;
  return back;
}

TEST(SimTunnelRecovery, ADeadTunnelIsPlannedAgainWhenThePathReturns) {
  std::uint64_t requests = 0;
  EXPECT_TRUE(recovers(30s, 60s, &requests));
  EXPECT_GE(requests, 1u);
}

TEST(SimTunnelRecovery, WithoutARequestTheTunnelStaysDown) {
  // The same run with the first request an hour away: nothing else brings it back,
  // so the recovery above is the request's doing.
  std::uint64_t requests = 0;
  EXPECT_FALSE(recovers(1h, 5min, &requests));
  EXPECT_EQ(requests, 0u);
}

TEST(SimTunnelRecovery, APathThatNeverReturnsIsAskedForEverMoreRarely) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_client(net, "alice", 1, 30s);
  std::size_t bob = add_client(net, "bob", 2, 30s);
  ASSERT_TRUE(connect_pair(net, alice, bob));
  net.set_datagram_loss(1.0);
  net.run_for(1h);
  // Down after the 130 s peer timeout; then 30 s, 60 s, 2, 4, 8 and 15 min: seven
  // requests each within the hour, not one every punch window (about 85).
  for (std::size_t i : {alice, bob}) {
    EXPECT_GE(net.client(i).stats().tunnel_requests, 3u);
    EXPECT_LE(net.client(i).stats().tunnel_requests, 8u);
  }
}

}  // namespace
}  // namespace yt::sim
