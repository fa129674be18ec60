// A tunnel that dies while both clients keep their server connections (here: all
// UDP between them lost for longer than the peer timeout) comes back once the path
// does: the clients ask the server to plan it again (RequestTunnel), with backoff.
// The server's built-in relay is off: with it, such a tunnel does not die at all
// (it falls back to the relay over the control connections, tests/sim/relay_test.cpp).
#include <gtest/gtest.h>

#include "nat-models/nat_profiles.h"
#include "tests/sim/nat_translator.h"
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
  add_sim_server_without_relay(net);
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
  add_sim_server_without_relay(net);
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

// Bob's home router reboots: every mapping is gone, and bob's next datagram leaves
// from a new random port. Alice's port-dependent filter drops it and bob's old port
// leads nowhere, so both leave the direct path (for the relay). The re-plan only
// works if the server plans with bob's new endpoint: the refresh probe before each
// request shows it.
bool recovers_after_reboot(bool refresh) {
  nat::NatConfig random_ports = *nat::profile("port-restricted-cone");  // EIM, APDF
  random_ports.allocation = PortAllocation::kRandom;
  NatChainTranslator alice_nat({random_ports}, {Ipv4::from_octets(203, 0, 113, 50)}, 1);
  NatChainTranslator bob_nat({random_ports}, {Ipv4::from_octets(203, 0, 113, 60)}, 2);
  FakeNetwork net;
  add_sim_server(net);
  ClientConfig config;
  config.tunnel_request_refresh = refresh;
  auto add = [&](const char* name, std::uint8_t n, NatChainTranslator& nat) {
    return add_translated_client(net, name, Endpoint{Ipv4::from_octets(10, 0, n, 2), 40001}, nat, nat.public_ip(),
                                 config);
  };
  std::size_t alice = add("alice", 1, alice_nat);
  std::size_t bob = add("bob", 2, bob_nat);
  EXPECT_TRUE(connect_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const PublicKey kb = net.client(bob).public_key();

  bob_nat.device(0).flush();
  // The direct path is gone: each side falls back to the server's relay (which
  // bob reaches from his new mapping), so the pair stays connected meanwhile.
  EXPECT_TRUE(net.run_until(
      [&] { return !has_direct_tunnel(net, alice, kb) && !has_direct_tunnel(net, bob, ka); }, 300s));
  EXPECT_TRUE(net.events_of<TunnelDown>(alice).empty());
  EXPECT_FALSE(net.events_of<TunnelRelayed>(alice).empty());
  return net.run_until([&] { return has_direct_tunnel(net, alice, kb) && has_direct_tunnel(net, bob, ka); }, 10min);
}

TEST(SimTunnelRecovery, AfterANatRebootThePairIsPlannedWithTheNewMapping) {
  EXPECT_TRUE(recovers_after_reboot(true));
}

// Documents what the refresh probe is for: with it off, nothing else tells the
// server bob's new mapping, so every re-plan aims at the old one.
TEST(SimTunnelRecovery, WithoutTheRefreshProbeTheOldMappingIsPlannedAgainAndAgain) {
  EXPECT_FALSE(recovers_after_reboot(false));
}

}  // namespace
}  // namespace yt::sim
