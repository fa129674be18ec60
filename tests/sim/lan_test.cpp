// The IP layer end to end (docs/architecture.md section 3, "Data plane" and "LAN emulation"):
// three clients in IP mode, set up by the real server core. Alice shares "lan" with
// Bob and Carol and also "games" with Bob. The test plays each daemon's TUN adapter:
// it hands IPv4 packets to send_ip_packet and reads PacketReceived.
#include <gtest/gtest.h>

#include "client/core/ip_packet.h"
#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

const Ipv4 kMdns = Ipv4::from_octets(224, 0, 0, 251);
const Ipv4 kSsdp = Ipv4::from_octets(239, 255, 255, 250);

std::size_t add_ip_client(FakeNetwork& net, const std::string& name, std::uint8_t n, ClientConfig config) {
  ClientOptions options;
  options.name = name;
  options.address = Endpoint{Ipv4::from_octets(203, 0, 113, n), static_cast<std::uint16_t>(40000 + n)};
  options.config = std::move(config);
  options.config.ip_mode = true;
  return net.add_client(std::move(options));
}

bool request_ok(FakeNetwork& net, std::size_t i, Result<std::uint32_t, SendError> sent) {
  return sent && await_request(net, i, sent.value()) == ReplyCode::kOk;
}

class SimLan : public ::testing::Test {
 protected:
  // `alice_config` lets a test change Alice's tunables (the fan-out cap).
  void build(ClientConfig alice_config = {}) {
    add_sim_server(net);
    alice = add_ip_client(net, "alice", 1, alice_config);
    bob = add_ip_client(net, "bob", 2, {});
    carol = add_ip_client(net, "carol", 3, {});
    for (std::size_t i : {alice, bob, carol}) net.start_client(i);
    ASSERT_TRUE(net.run_until([&] { return is_online(net, alice) && is_online(net, bob) && is_online(net, carol); }, 10s));
    ASSERT_TRUE(request_ok(net, alice, net.with_client(alice, [](ClientCore& c, Time now) {
      return c.create_network(now, "lan", "pw");
    })));
    ASSERT_TRUE(request_ok(net, alice, net.with_client(alice, [](ClientCore& c, Time now) {
      return c.create_network(now, "games", "pw");
    })));
    for (const char* network : {"lan", "games"}) {
      ASSERT_TRUE(request_ok(net, bob, net.with_client(bob, [&](ClientCore& c, Time now) {
        return c.join_network(now, network, "pw");
      })));
    }
    ASSERT_TRUE(request_ok(net, carol, net.with_client(carol, [](ClientCore& c, Time now) {
      return c.join_network(now, "lan", "pw");
    })));
    ka = net.client(alice).public_key();
    kb = net.client(bob).public_key();
    kc = net.client(carol).public_key();
    ASSERT_TRUE(net.run_until(
        [&] {
          return has_direct_tunnel(net, alice, kb) && has_direct_tunnel(net, alice, kc) &&
                 has_direct_tunnel(net, bob, ka) && has_direct_tunnel(net, bob, kc) &&
                 has_direct_tunnel(net, carol, ka) && has_direct_tunnel(net, carol, kb);
        },
        15s));
    net.run_for(1s);  // the first pings are answered
    va = *net.client(alice).virtual_ip();
    vb = *net.client(bob).virtual_ip();
    vc = *net.client(carol).virtual_ip();
    auto logged_in = net.events_of<LoggedIn>(alice);
    ASSERT_FALSE(logged_in.empty());
    Ipv4Prefix prefix{va, logged_in.back().prefix_length};
    prefix.base.value &= prefix.mask();
    directed = prefix.broadcast();
  }

  Result<SendReport, IpRouteError> send_ip(std::size_t i, ByteView packet) {
    return net.with_client(i, [&](ClientCore& c, Time now) { return c.send_ip_packet(now, packet); });
  }
  std::vector<Bytes> packets_at(std::size_t i) const {
    std::vector<Bytes> out;
    for (const PacketReceived& p : net.events_of<PacketReceived>(i)) out.push_back(p.packet);
    return out;
  }
  static Bytes udp(Ipv4 src, Ipv4 dst, std::uint8_t tag) {
    return make_ipv4_packet(src, dst, kIpProtocolUdp, Bytes{0x14, 0xe9, 0x14, 0xe9, tag});
  }

  FakeNetwork net;
  std::size_t alice = 0, bob = 0, carol = 0;
  PublicKey ka{}, kb{}, kc{};
  Ipv4 va, vb, vc, directed;
};

TEST_F(SimLan, UnicastIsRoutedByVirtualIp) {
  build();
  Bytes to_bob = udp(va, vb, 1);
  Bytes to_carol = udp(va, vc, 2);
  auto sent = send_ip(alice, to_bob);
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->sent, 1u);
  ASSERT_TRUE(send_ip(alice, to_carol));
  ASSERT_TRUE(send_ip(carol, udp(vc, va, 3)));
  net.run_for(100ms);
  EXPECT_EQ(packets_at(bob), std::vector<Bytes>{to_bob});
  EXPECT_EQ(packets_at(carol), std::vector<Bytes>{to_carol});
  ASSERT_EQ(net.events_of<PacketReceived>(alice).size(), 1u);
  EXPECT_EQ(net.events_of<PacketReceived>(alice)[0].peer, kc);
  EXPECT_EQ(net.client(alice).stats().ip_sent, 2u);
  EXPECT_EQ(net.client(bob).stats().ip_delivered, 1u);

  auto nowhere = send_ip(alice, udp(va, Ipv4::from_octets(25, 1, 2, 3), 4));
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error(), IpRouteError::kNoRoute);
  EXPECT_EQ(net.client(alice).stats().ip_no_route, 1u);
}

TEST_F(SimLan, BroadcastsAndMulticastReachEveryPeerExactlyOnce) {
  build();
  // Bob shares two networks with Alice, Carol one; each gets every packet once, and
  // Alice never gets her own.
  std::vector<Bytes> sent;
  std::uint8_t tag = 0;
  for (Ipv4 dst : {kLimitedBroadcast, directed, kMdns, kSsdp}) {
    Bytes packet = udp(va, dst, ++tag);
    auto report = send_ip(alice, packet);
    ASSERT_TRUE(report) << dst.to_string();
    EXPECT_EQ(report->sent, 2u) << dst.to_string();
    EXPECT_EQ(report->no_tunnel, 0u);
    EXPECT_EQ(report->over_fanout, 0u);
    sent.push_back(packet);
  }
  EXPECT_EQ(directed, Ipv4::from_octets(25, 255, 255, 255));
  net.run_for(200ms);
  EXPECT_EQ(packets_at(bob), sent);
  EXPECT_EQ(packets_at(carol), sent);
  EXPECT_TRUE(packets_at(alice).empty());
  for (const PacketReceived& p : net.events_of<PacketReceived>(bob)) EXPECT_EQ(p.peer, ka);
  EXPECT_EQ(net.client(alice).stats().ip_sent, 8u);
}

TEST_F(SimLan, OfflineInANetworkMutesItsOnlyMembersAndTellsThem) {
  build();
  // Alice goes offline in lan: Carol (lan only) is muted, Bob (also games) is not.
  ASSERT_TRUE(net.with_client(alice, [](ClientCore& c, Time now) { return c.set_network_online(now, "lan", false); }));
  net.run_for(100ms);
  auto to_carol = send_ip(alice, udp(va, vc, 1));
  ASSERT_FALSE(to_carol);
  EXPECT_EQ(to_carol.error(), IpRouteError::kPeerMuted);
  EXPECT_EQ(net.client(alice).stats().ip_peer_muted, 1u);
  auto broadcast = send_ip(alice, udp(va, kMdns, 2));
  ASSERT_TRUE(broadcast);
  EXPECT_EQ(broadcast->sent, 1u);  // Bob only
  EXPECT_EQ(broadcast->no_tunnel, 0u);
  net.run_for(100ms);
  EXPECT_EQ(packets_at(bob).size(), 1u);
  EXPECT_TRUE(packets_at(carol).empty());
  // The server told lan's members: Carol sees Alice offline, Bob still online.
  auto alice_seen_by = [&](std::size_t i) {
    for (const PeerStatus& p : net.client(i).peers()) {
      if (p.key == ka) return p.online;
    }
    return false;
  };
  EXPECT_FALSE(alice_seen_by(carol));
  EXPECT_TRUE(alice_seen_by(bob));
  // What Carol still sends over the old tunnel is not delivered to Alice: the core
  // drops it (the daemon used to, so the simulator did not).
  ASSERT_TRUE(send_ip(carol, udp(vc, va, 4)));
  ASSERT_TRUE(net.with_client(carol, [&](ClientCore& c, Time now) { return c.send_chat(now, ka, "psst"); }));
  net.run_for(100ms);
  EXPECT_TRUE(packets_at(alice).empty());
  EXPECT_TRUE(net.events_of<ChatReceived>(alice).empty());
  EXPECT_EQ(net.client(alice).stats().received_muted, 2u);
  auto to_carol_chat = net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_chat(now, kc, "hi"); });
  ASSERT_FALSE(to_carol_chat);
  EXPECT_EQ(to_carol_chat.error(), SendError::kPeerMuted);

  ASSERT_TRUE(net.with_client(alice, [](ClientCore& c, Time now) { return c.set_network_online(now, "lan", true); }));
  net.run_for(100ms);
  EXPECT_TRUE(alice_seen_by(carol));
  ASSERT_TRUE(send_ip(alice, udp(va, vc, 3)));
}

TEST_F(SimLan, ReceivedBroadcastsAreNeverForwardedAgain) {
  build();
  Bytes packet = udp(va, kMdns, 7);
  ASSERT_TRUE(send_ip(alice, packet));
  net.run_for(100ms);
  ASSERT_EQ(packets_at(bob).size(), 1u);
  // Bob's kernel (or a bridging app) writes the packet back into the adapter: its
  // source is Alice's, so Bob's core refuses it instead of flooding it on.
  auto looped = send_ip(bob, packets_at(bob)[0]);
  ASSERT_FALSE(looped);
  EXPECT_EQ(looped.error(), IpRouteError::kBadSource);
  EXPECT_EQ(net.client(bob).stats().ip_bad_source, 1u);
  net.run_for(100ms);
  EXPECT_EQ(packets_at(carol).size(), 1u);
  EXPECT_TRUE(packets_at(alice).empty());
}

TEST_F(SimLan, FanoutIsCappedAndTheExcessCounted) {
  ClientConfig config;
  config.max_broadcast_fanout = 1;
  build(config);
  auto report = send_ip(alice, udp(va, kLimitedBroadcast, 1));
  ASSERT_TRUE(report);
  EXPECT_EQ(report->sent, 1u);
  EXPECT_EQ(report->over_fanout, 1u);
  net.run_for(100ms);
  EXPECT_EQ(packets_at(bob).size() + packets_at(carol).size(), 1u);
  EXPECT_EQ(net.client(alice).stats().ip_fanout_excess, 1u);
  // Unicast is not limited by it.
  ASSERT_TRUE(send_ip(alice, udp(va, vc, 2)));
  ASSERT_TRUE(send_ip(alice, udp(va, vb, 3)));
}

TEST_F(SimLan, SpoofedAndStrayPacketsAreDroppedAndCountedAtTheReceiver) {
  build();
  // Bob's own core refuses to send a packet claiming Carol's address...
  Bytes spoofed = udp(vc, va, 1);
  auto refused = send_ip(bob, spoofed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), IpRouteError::kBadSource);
  // ...so a malicious Bob goes around the router. Alice checks for herself.
  auto raw = [&](ByteView payload) {
    return net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ka, payload); });
  };
  ASSERT_TRUE(raw(spoofed));
  ASSERT_TRUE(raw(udp(vc, kMdns, 2)));           // spoofed broadcast
  ASSERT_TRUE(raw(udp(vb, vc, 3)));              // Bob's own address, but to Carol
  ASSERT_TRUE(raw(Bytes{0x45, 0, 0, 40, 1, 2})); // truncated
  Bytes v6(40, 0);
  v6[0] = 0x60;
  ASSERT_TRUE(raw(v6));
  ASSERT_TRUE(raw(udp(vb, va, 4)));  // the one honest packet
  net.run_for(100ms);
  const ClientStats& st = net.client(alice).stats();
  EXPECT_EQ(st.spoofed_source, 2u);
  EXPECT_EQ(st.not_for_us, 1u);
  EXPECT_EQ(st.ip_received_malformed, 1u);
  EXPECT_EQ(st.ip_received_unsupported, 1u);
  EXPECT_EQ(st.ip_delivered, 1u);
  EXPECT_EQ(packets_at(alice), std::vector<Bytes>{udp(vb, va, 4)});
}

TEST_F(SimLan, MalformedPacketsFromTheAdapterAreRefused) {
  build();
  Bytes good = udp(va, vb, 1);
  Bytes truncated(good.begin(), good.end() - 1);
  EXPECT_EQ(send_ip(alice, truncated).error(), IpRouteError::kMalformed);
  EXPECT_EQ(send_ip(alice, Bytes{}).error(), IpRouteError::kMalformed);
  Bytes bad_ihl = good;
  bad_ihl[0] = 0x43;
  EXPECT_EQ(send_ip(alice, bad_ihl).error(), IpRouteError::kMalformed);
  Bytes v6(48, 0);
  v6[0] = 0x60;
  EXPECT_EQ(send_ip(alice, v6).error(), IpRouteError::kUnsupported);
  Bytes huge = make_ipv4_packet(va, vb, kIpProtocolUdp, Bytes(1400, 0));  // 1420 > max_payload
  EXPECT_EQ(send_ip(alice, huge).error(), IpRouteError::kTooLarge);
  const ClientStats& st = net.client(alice).stats();
  EXPECT_EQ(st.ip_malformed, 3u);
  EXPECT_EQ(st.ip_unsupported, 1u);
  EXPECT_EQ(st.ip_too_large, 1u);
  EXPECT_EQ(st.ip_sent, 0u);
  net.run_for(100ms);
  EXPECT_TRUE(packets_at(bob).empty());
}

TEST_F(SimLan, PrivateAndNetworkChat) {
  build();
  ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_chat(now, kc, "hi carol"); }));
  auto lan = net.with_client(alice, [](ClientCore& c, Time now) { return c.send_network_chat(now, "lan", "hi lan"); });
  ASSERT_TRUE(lan);
  EXPECT_EQ(lan->sent, 2u);
  auto games = net.with_client(bob, [](ClientCore& c, Time now) { return c.send_network_chat(now, "games", "gg"); });
  ASSERT_TRUE(games);
  EXPECT_EQ(games->sent, 1u);  // only Alice: Carol is not in "games"
  auto not_member =
      net.with_client(carol, [](ClientCore& c, Time now) { return c.send_network_chat(now, "games", "let me in"); });
  ASSERT_FALSE(not_member);
  EXPECT_EQ(not_member.error(), SendError::kInvalidArgument);
  net.run_for(100ms);

  auto at_carol = net.events_of<ChatReceived>(carol);
  ASSERT_EQ(at_carol.size(), 2u);
  EXPECT_EQ(at_carol[0].text, "hi carol");
  EXPECT_EQ(at_carol[0].network, "");
  EXPECT_EQ(at_carol[0].nickname, "alice");
  EXPECT_EQ(at_carol[1].text, "hi lan");
  EXPECT_EQ(at_carol[1].network, "lan");
  auto at_bob = net.events_of<ChatReceived>(bob);
  ASSERT_EQ(at_bob.size(), 1u);
  EXPECT_EQ(at_bob[0].text, "hi lan");
  EXPECT_EQ(at_bob[0].peer, ka);
  auto at_alice = net.events_of<ChatReceived>(alice);
  ASSERT_EQ(at_alice.size(), 1u);
  EXPECT_EQ(at_alice[0].network, "games");
  EXPECT_EQ(at_alice[0].nickname, "bob");
  EXPECT_TRUE(packets_at(carol).empty());  // chat is not IP traffic
}

TEST_F(SimLan, PeerStatusShowsRttAndWhyAPeerHasNoPath) {
  build();
  for (const PeerStatus& p : net.client(alice).peers()) {
    EXPECT_EQ(p.tunnel, TunnelState::kDirect);
    ASSERT_TRUE(p.rtt.has_value());
    EXPECT_EQ(*p.rtt, 20ms);  // two one-way delays of the fake network
    EXPECT_EQ(p.no_path_reason, "");
  }
  net.set_one_way_delay(30ms);
  net.run_for(30s);  // a ping interval
  for (const PeerStatus& p : net.client(alice).peers()) EXPECT_EQ(p.rtt, 60ms);

  net.stop_client(carol);
  ASSERT_TRUE(net.run_until([&] { return !net.events_of<TunnelDown>(alice).empty(); }, 30s));
  for (const PeerStatus& p : net.client(alice).peers()) {
    if (p.key != kc) continue;
    EXPECT_FALSE(p.online);
    EXPECT_FALSE(p.has_tunnel);
    EXPECT_EQ(p.no_path_reason, "peer offline");
  }
}

TEST_F(SimLan, DeadPeerIsDetectedQuicklyDuringAServerOutage) {
  build();
  net.stop_server();
  ASSERT_TRUE(net.run_for(2s));  // both survivors notice the server is gone
  // Carol's machine dies silently: no goodbye, and no server to tell anyone.
  Time died = net.now();
  net.stop_client(carol);
  ASSERT_TRUE(net.run_until(
      [&] { return !net.events_of<TunnelDown>(alice).empty() && !net.events_of<TunnelDown>(bob).empty(); }, 60s));
  // Three unanswered probes 5 s apart: about 15-20 s, where peer_timeout took 130 s.
  EXPECT_LE(net.now() - died, 21s);
  for (std::size_t i : {alice, bob}) {
    auto down = net.events_of<TunnelDown>(i);
    ASSERT_EQ(down.size(), 1u);
    EXPECT_EQ(down[0].peer, kc);
    EXPECT_EQ(down[0].reason, "no answer to 3 liveness probes");
  }
  // The live pair answers its probes and keeps its tunnel through the outage.
  ASSERT_TRUE(net.run_for(60s));
  EXPECT_TRUE(has_direct_tunnel(net, alice, kb));
  EXPECT_TRUE(has_direct_tunnel(net, bob, ka));
  ASSERT_TRUE(send_ip(alice, udp(va, vb, 9)));
  net.run_for(100ms);
  EXPECT_EQ(packets_at(bob).back(), udp(va, vb, 9));
}

}  // namespace
}  // namespace yt::sim
