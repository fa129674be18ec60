// Hostile or broken datagrams to a client: each is counted under one reason, none
// crashes the core or disturbs a working tunnel.
#include <gtest/gtest.h>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

std::uint64_t dropped(const ClientStats& s) {
  return s.malformed_datagrams + s.unknown_tunnel + s.unknown_session + s.auth_failures + s.replayed +
         s.handshake_failures;
}

TEST(SimGarbage, RandomAndForgedDatagramsAreCountedAndDropped) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(connect_pair(net, alice, bob));
  const PublicKey kb = net.client(bob).public_key();
  const Endpoint target = net.client_address(alice);
  const Endpoint attacker{Ipv4::from_octets(192, 0, 2, 66), 6666};
  std::uint64_t before = dropped(net.client(alice).stats());

  SeededRandom rng(99, 0);
  int injected = 0;
  for (int k = 0; k < 500; ++k) {
    Bytes junk = rng.bytes(rng.uniform(80));
    if (k % 2 == 0 && !junk.empty()) junk[0] = kProtocolVersion;  // get past the version byte
    if (k % 4 == 0 && junk.size() > 1) junk[1] = static_cast<std::uint8_t>(1 + rng.uniform(7));
    net.inject_datagram(attacker, target, std::move(junk));
    ++injected;
  }
  // Well-formed but unknown or forged.
  net.inject_datagram(attacker, target, encode_datagram(PunchProbe{12345, 1}));
  net.inject_datagram(attacker, target, encode_datagram(PeerData{0xDEADBEEF, rng.bytes(40)}));
  net.inject_datagram(attacker, target, encode_datagram(PeerHandshakeResp{1, 0xDEADBEEF, rng.bytes(60)}));
  net.inject_datagram(attacker, target, encode_datagram(PeerHandshakeInit{1, 777, rng.bytes(120)}));
  net.inject_datagram(attacker, target, encode_datagram(DiscoveryProbe{1, 2, false, false}));
  injected += 5;
  ASSERT_TRUE(net.run_for(1s));

  EXPECT_EQ(dropped(net.client(alice).stats()) - before, std::uint64_t(injected));
  EXPECT_TRUE(net.events_of<PacketReceived>(alice).empty());
  ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, Bytes{1, 2}); }));
  net.run_for(100ms);
  ASSERT_EQ(net.events_of<PacketReceived>(bob).size(), 1u);
  EXPECT_TRUE(has_direct_tunnel(net, alice, kb));
}

}  // namespace
}  // namespace yt::sim
