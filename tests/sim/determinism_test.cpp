// The same seed gives the same run: the event log of a whole scenario, byte for byte.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

std::string run_scenario(std::uint64_t seed) {
  NetworkOptions options;
  options.seed = seed;
  options.datagram_loss = 0.05;  // exercises the loss draws too
  FakeNetwork net(options);
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  std::size_t carol = add_public_client(net, "carol", 3);
  if (!connect_pair(net, alice, bob)) return "connect failed";
  net.start_client(carol);
  net.run_for(3s);
  (void)net.with_client(carol, [](ClientCore& c, Time now) { return c.join_network(now, "lan", "hunter2"); });
  net.run_for(3s);
  const PublicKey kb = net.client(bob).public_key();
  for (int k = 0; k < 20; ++k) {
    (void)net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, Bytes{std::uint8_t(k)}); });
    net.run_for(250ms);
  }
  (void)net.with_client(bob, [&](ClientCore& c, Time now) {
    return c.send_to_peer(now, net.client(alice).public_key(), as_bytes("hi"), PeerPayloadType::kChat);
  });
  net.stop_server();
  net.run_for(20s);
  net.start_server();
  net.run_for(60s);
  return net.event_log();
}

TEST(SimDeterminism, SameSeedSameEventLog) {
  std::string first = run_scenario(7);
  std::string second = run_scenario(7);
  EXPECT_GT(first.size(), 500u);
  EXPECT_EQ(first, second);
  EXPECT_NE(first, run_scenario(8));
}

}  // namespace
}  // namespace yt::sim
