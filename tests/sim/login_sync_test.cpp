// Login, discovery and synchronization against the real server core.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

TEST(SimLogin, TwoClientsLogInDiscoverAndSync) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  net.start_client(alice);
  net.start_client(bob);
  ASSERT_TRUE(net.run_until([&] { return is_online(net, alice) && is_online(net, bob); }, 10s));
  // Online once the DiscoveryReport is sent; the snapshot follows one round trip later.
  ASSERT_TRUE(net.run_for(100ms));

  for (std::size_t i : {alice, bob}) {
    auto logged = net.events_of<LoggedIn>(i);
    ASSERT_EQ(logged.size(), 1u);
    const Ipv4Prefix range{Ipv4::from_octets(25, 0, 0, 0), 8};
    EXPECT_TRUE(range.contains(logged[0].virtual_ip));
    auto discovered = net.events_of<DiscoveryDone>(i);
    ASSERT_EQ(discovered.size(), 1u);
    EXPECT_FALSE(discovered[0].udp_blocked);
    // Public addresses: the server sees the socket address itself.
    EXPECT_EQ(discovered[0].mapped_endpoint, net.client_address(i));
    EXPECT_EQ(net.client(i).mapped_endpoint(), net.client_address(i));
    EXPECT_EQ(net.events_of<Synced>(i).size(), 1u);
    EXPECT_TRUE(net.events_of<LoginFailed>(i).empty());
  }
  EXPECT_NE(net.client(alice).virtual_ip(), net.client(bob).virtual_ip());
  EXPECT_EQ(net.server()->online_clients(), 2u);
  EXPECT_FALSE(net.step_limit_hit());
}

TEST(SimLogin, CreateJoinKeepsNetworksCurrentAndPeersListed) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(connect_pair(net, alice, bob));

  for (std::size_t i : {alice, bob}) {
    const auto& networks = net.client(i).networks();
    ASSERT_EQ(networks.size(), 1u);
    EXPECT_EQ(networks[0].name, "lan");
    EXPECT_EQ(networks[0].members.size(), 2u);
    auto peers = net.client(i).peers();
    ASSERT_EQ(peers.size(), 1u);
    EXPECT_TRUE(peers[0].online);
    EXPECT_EQ(peers[0].nickname, i == alice ? "bob" : "alice");
    EXPECT_EQ(peers[0].virtual_ip, *net.client(i == alice ? bob : alice).virtual_ip());
  }
  EXPECT_FALSE(net.events_of<MembershipChanged>(alice).empty());
}

TEST(SimLogin, WrongPasswordIsRefused) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  net.start_client(alice);
  net.start_client(bob);
  ASSERT_TRUE(net.run_until([&] { return is_online(net, alice) && is_online(net, bob); }, 10s));
  auto created = net.with_client(alice, [](ClientCore& c, Time now) { return c.create_network(now, "lan", "right"); });
  ASSERT_TRUE(created);
  ASSERT_EQ(await_request(net, alice, created.value()), ReplyCode::kOk);

  auto joined = net.with_client(bob, [](ClientCore& c, Time now) { return c.join_network(now, "lan", "wrong"); });
  ASSERT_TRUE(joined);
  EXPECT_EQ(await_request(net, bob, joined.value()), ReplyCode::kWrongPassword);
  EXPECT_TRUE(net.client(bob).networks().empty());
  net.run_for(5s);
  EXPECT_TRUE(net.events_of<TunnelUp>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelUp>(bob).empty());
}

TEST(SimLogin, SetNicknameReachesPeers) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(connect_pair(net, alice, bob));
  auto renamed = net.with_client(alice, [](ClientCore& c, Time now) { return c.set_nickname(now, "alicia"); });
  ASSERT_TRUE(renamed);
  EXPECT_EQ(await_request(net, alice, renamed.value()), ReplyCode::kOk);
  ASSERT_TRUE(net.run_until([&] { return net.client(bob).peers().at(0).nickname == "alicia"; }, 2s));
}

}  // namespace
}  // namespace yt::sim
