// Relays end to end in the simulated world, with the real server core (its
// built-in relay) and real NAT models: a pair that cannot punch talks through the
// relay; a pair that can starts on the relay and moves to the direct path without
// losing or repeating a packet.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

#include "nat-models/nat_profiles.h"
#include "tests/sim/nat_translator.h"
#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

// Client n on the LAN 10.0.n.0/24 behind `nat` (or anything wrapping it).
std::size_t add_natted(FakeNetwork& net, const char* name, std::uint8_t n, AddressTranslator& nat, Ipv4 public_ip) {
  return add_translated_client(net, name, Endpoint{Ipv4::from_octets(10, 0, n, 2), 40001}, nat, public_ip);
}
std::size_t add_natted(FakeNetwork& net, const char* name, std::uint8_t n, NatChainTranslator& nat) {
  return add_natted(net, name, n, nat, nat.public_ip());
}

// Counts the datagrams a client sends, before its NAT sees them.
class CountingTranslator final : public AddressTranslator {
 public:
  explicit CountingTranslator(NatChainTranslator& inner) : inner_(inner) {}
  std::optional<Endpoint> outbound(Time now, Endpoint local, Endpoint remote) override {
    ++sent;
    return inner_.outbound(now, local, remote);
  }
  std::optional<Endpoint> inbound(Time now, Endpoint to, Endpoint remote) override {
    return inner_.inbound(now, to, remote);
  }
  std::uint64_t sent = 0;

 private:
  NatChainTranslator& inner_;
};

// A public client whose datagrams to and from `peer_ip` can be cut (a firewall
// rule, a broken path), everything else passing unchanged.
class CuttableLink final : public AddressTranslator {
 public:
  explicit CuttableLink(Ipv4 peer_ip) : peer_ip_(peer_ip) {}
  std::optional<Endpoint> outbound(Time, Endpoint local, Endpoint remote) override {
    if (cut && remote.ip == peer_ip_) return std::nullopt;
    return local;
  }
  std::optional<Endpoint> inbound(Time, Endpoint to, Endpoint remote) override {
    if (cut && remote.ip == peer_ip_) return std::nullopt;
    return to;
  }
  bool cut = false;

 private:
  Ipv4 peer_ip_;
};

Bytes numbered(std::uint32_t seq) {
  // An IPv4-looking header is not needed: the sim clients are not in ip_mode.
  return Bytes{static_cast<std::uint8_t>(seq >> 24), static_cast<std::uint8_t>(seq >> 16),
               static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq)};
}

std::uint32_t number_of(const Bytes& b) {
  return b.size() == 4 ? (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) | b[3]
                       : 0xffffffff;
}

// What `receiver` got of the numbers 0..sent-1.
struct Tally {
  std::vector<std::uint32_t> missing;  // in order
  std::uint32_t repeated = 0;          // numbers that arrived more than once
  std::size_t distinct = 0;            // distinct numbers that arrived, sent or not
};

Tally tally(FakeNetwork& net, std::size_t receiver, std::uint32_t sent) {
  std::map<std::uint32_t, int> seen;
  for (const PacketReceived& p : net.events_of<PacketReceived>(receiver)) ++seen[number_of(p.packet)];
  Tally t;
  t.distinct = seen.size();
  for (std::uint32_t i = 0; i < sent; ++i) {
    auto it = seen.find(i);
    if (it == seen.end()) {
      t.missing.push_back(i);
    } else if (it->second > 1) {
      ++t.repeated;
    }
  }
  return t;
}

// Alice at 203.0.113.1 with a link to bob (203.0.113.2) that can be cut.
std::size_t add_alice_with_cuttable_link(FakeNetwork& net, CuttableLink& link, ClientConfig config = {}) {
  const Ipv4 ip = Ipv4::from_octets(203, 0, 113, 1);
  return add_translated_client(net, "alice", Endpoint{ip, 40001}, link, ip, std::move(config));
}
const Ipv4 kBobIp = Ipv4::from_octets(203, 0, 113, 2);

// Symmetric with random ports against a port-restricted filter: no punch can work
// (the theory check of the nat-matrix says so), and the relay carries the pair.
TEST(SimRelay, APairThatCannotPunchTalksThroughTheServersRelay) {
  NatChainTranslator alice_nat({*nat::profile("symmetric-random")}, {Ipv4::from_octets(203, 0, 113, 50)}, 1);
  NatChainTranslator bob_nat({*nat::profile("port-restricted-cone")}, {Ipv4::from_octets(203, 0, 113, 60)}, 2);
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_natted(net, "alice", 1, alice_nat);
  std::size_t bob = add_natted(net, "bob", 2, bob_nat);
  ASSERT_TRUE(join_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const PublicKey kb = net.client(bob).public_key();

  ASSERT_TRUE(net.run_until([&] { return tunnel_state_is(net, alice, kb, TunnelState::kRelayed) &&
                                         tunnel_state_is(net, bob, ka, TunnelState::kRelayed); },
                            2s));
  auto relayed = net.events_of<TunnelRelayed>(alice);
  ASSERT_EQ(relayed.size(), 1u);
  EXPECT_EQ(relayed[0].relay, kDiscoveryPrimary);
  // Bind, then the handshake through the relay: a few 10 ms hops, not a punch window.
  EXPECT_LT(relayed[0].time_to_relay, 200ms);

  // The whole punch window and more: it never goes direct, and never fails.
  net.run_for(30s);
  EXPECT_TRUE(net.events_of<TunnelUp>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelFailed>(alice).empty());
  EXPECT_TRUE(net.events_of<TunnelFailed>(bob).empty());
  EXPECT_TRUE(tunnel_state_is(net, alice, kb, TunnelState::kRelayed));

  for (std::uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(i)); }));
    ASSERT_TRUE(net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ka, numbered(100 + i)); }));
  }
  net.run_for(1s);
  EXPECT_EQ(net.events_of<PacketReceived>(bob).size(), 10u);
  EXPECT_EQ(net.events_of<PacketReceived>(alice).size(), 10u);
  const RelayStats& relay = net.server()->relay_stats();
  EXPECT_GE(relay.forwarded_packets, 20u);
  EXPECT_EQ(relay.binds_accepted, 2u);
  EXPECT_EQ(net.server()->relay_pairs(), 1u);
  // What status shows: relayed, via the relay, with an RTT through it.
  for (const PeerStatus& p : net.client(alice).peers()) {
    EXPECT_EQ(p.path, kDiscoveryPrimary);
    EXPECT_TRUE(p.no_path_reason.empty());
    ASSERT_TRUE(p.rtt.has_value());
    EXPECT_GE(*p.rtt, 40ms);  // four hops of 10 ms: to the relay and on, and back
  }
}

// Two public clients: the relay answers first, punching a moment later. Alice
// sends a numbered packet every 5 ms from before the tunnel exists until well after
// it went direct; bob must get every number exactly once (the relay's path is
// twice as long, so direct packets overtake relayed ones at the switch).
TEST(SimRelay, ARelayedPairMovesToTheDirectPathWithoutLosingOrRepeatingAPacket) {
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_public_client(net, "alice", 1);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(join_pair(net, alice, bob));
  const PublicKey kb = net.client(bob).public_key();

  std::uint32_t sent = 0;
  std::uint32_t sent_before_direct = 0;
  bool was_relayed = false;
  const Time stop = net.now() + 2s;
  while (net.now() < stop) {
    auto ok = net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(sent)); });
    if (ok) {
      ++sent;
      was_relayed |= tunnel_state_is(net, alice, kb, TunnelState::kRelayed);
      if (!tunnel_state_is(net, alice, kb, TunnelState::kDirect)) sent_before_direct = sent;
    }
    net.run_for(5ms);
  }
  net.run_for(500ms);

  EXPECT_TRUE(was_relayed);
  EXPECT_TRUE(tunnel_state_is(net, alice, kb, TunnelState::kDirect));
  ASSERT_EQ(net.events_of<TunnelRelayed>(alice).size(), 1u);
  ASSERT_EQ(net.events_of<TunnelUp>(alice).size(), 1u);
  // Traffic went both ways round: some through the relay, the rest direct.
  EXPECT_GE(sent_before_direct, 10u);
  EXPECT_GE(sent - sent_before_direct, 100u);
  EXPECT_GE(net.server()->relay_stats().forwarded_packets, sent_before_direct);

  const Tally got = tally(net, bob, sent);
  EXPECT_EQ(got.missing.size(), 0u) << "of " << sent;
  EXPECT_EQ(got.repeated, 0u);
  EXPECT_EQ(got.distinct, sent);  // nothing that was not sent
}

// A direct path that stops carrying traffic (both directions cut between the two
// clients, the relay still reachable) falls back to the relay within a few seconds;
// numbered packets sent all along show how many the cut cost.
TEST(SimRelay, ADirectPathThatDiesFallsBackToTheRelayWithinSeconds) {
  CuttableLink alice_link(kBobIp);
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_alice_with_cuttable_link(net, alice_link);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(join_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const PublicKey kb = net.client(bob).public_key();
  ASSERT_TRUE(net.run_until([&] { return tunnel_state_is(net, alice, kb, TunnelState::kDirect) &&
                                         tunnel_state_is(net, bob, ka, TunnelState::kDirect); },
                            5s));
  net.run_for(90s);  // past a relay refresh: the binding must still be good

  std::uint32_t sent = 0;
  Time cut_at{};
  std::optional<Time> alice_fell_back, bob_fell_back;
  const Time stop = net.now() + 20s;
  while (net.now() < stop) {
    if (sent == 100) {
      alice_link.cut = true;
      cut_at = net.now();
    }
    // Both directions carry traffic, so each side notices on its own.
    if (net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(sent)); }) &&
        net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ka, numbered(sent)); })) {
      ++sent;
    }
    if (!alice_fell_back && tunnel_state_is(net, alice, kb, TunnelState::kRelayed)) alice_fell_back = net.now();
    if (!bob_fell_back && tunnel_state_is(net, bob, ka, TunnelState::kRelayed)) bob_fell_back = net.now();
    net.run_for(20ms);
  }
  net.run_for(1s);
  ASSERT_TRUE(alice_fell_back && bob_fell_back);
  EXPECT_LT(*alice_fell_back - cut_at, 6s);
  EXPECT_LT(*bob_fell_back - cut_at, 6s);
  auto fallbacks = net.events_of<TunnelRelayed>(alice);
  ASSERT_FALSE(fallbacks.empty());
  EXPECT_TRUE(fallbacks.back().fallback);
  EXPECT_TRUE(net.events_of<TunnelDown>(alice).empty());  // the tunnel never went down

  // Loss is bounded by the detection time; everything after it arrives.
  for (std::size_t receiver : {alice, bob}) {
    const Tally got = tally(net, receiver, sent);
    const std::uint32_t late = sent - 200;  // the last 4 s: long after both fell back
    const auto missing = static_cast<std::uint32_t>(got.missing.size());
    const auto missing_late = std::count_if(got.missing.begin(), got.missing.end(), [&](std::uint32_t i) { return i >= late; });
    EXPECT_EQ(missing_late, 0);
    EXPECT_LE(missing, 6s / 20ms) << "lost at the cut: " << missing;
    std::printf("    %s lost %u of %u packets at the cut; fell back %.1f s after it\n",
                receiver == alice ? "alice" : "bob", missing, sent,
                to_ms(*(receiver == alice ? alice_fell_back : bob_fell_back) - cut_at) / 1000.0);
    EXPECT_GT(missing, 0u);  // the cut was real
  }
}

// Ticket keys rotate every 30 min and a relay takes the current and previous key
// only, so the binding a direct tunnel keeps fresh would be refused after an hour
// at most: the tunnel must get a new ticket in time to still fall back.
TEST(SimRelay, ALongLivedDirectTunnelCanStillFallBackHoursLater) {
  CuttableLink alice_link(kBobIp);
  FakeNetwork net;
  add_sim_server(net);
  std::size_t alice = add_alice_with_cuttable_link(net, alice_link);
  std::size_t bob = add_public_client(net, "bob", 2);
  ASSERT_TRUE(join_pair(net, alice, bob));
  const PublicKey ka = net.client(alice).public_key();
  const PublicKey kb = net.client(bob).public_key();
  ASSERT_TRUE(net.run_until([&] { return tunnel_state_is(net, alice, kb, TunnelState::kDirect); }, 5s));
  net.run_for(3h);
  ASSERT_TRUE(tunnel_state_is(net, alice, kb, TunnelState::kDirect));
  // New tickets came before the old ones expired: no refresh was refused.
  EXPECT_EQ(net.server()->relay_stats().binds_expired, 0u);
  EXPECT_GE(net.client(alice).stats().tunnel_requests + net.client(bob).stats().tunnel_requests, 3u);
  alice_link.cut = true;
  for (int i = 0; i < 500 && !tunnel_state_is(net, alice, kb, TunnelState::kRelayed); ++i) {
    (void)net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(i)); });
    net.run_for(20ms);
  }
  ASSERT_TRUE(tunnel_state_is(net, alice, kb, TunnelState::kRelayed));
  const std::size_t before = net.events_of<PacketReceived>(bob).size();
  ASSERT_TRUE(net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(9999)); }));
  net.run_for(1s);
  EXPECT_EQ(net.events_of<PacketReceived>(bob).size(), before + 1) << "the relay did not carry it";
  EXPECT_TRUE(net.events_of<TunnelDown>(bob).empty());
  EXPECT_TRUE(tunnel_state_is(net, bob, ka, TunnelState::kRelayed));
}

// A pair that was relayed because its direct path was blocked goes direct once the
// block is lifted: after the punch window it asks the server to plan it again (with
// backoff), and the new plan's punch finds the path. Nothing is lost on the way.
TEST(SimRelay, ARelayedPairGoesDirectWhenThePathOpensLater) {
  CuttableLink alice_link(kBobIp);
  alice_link.cut = true;
  FakeNetwork net;
  add_sim_server(net);
  ClientConfig quick_retry;
  quick_retry.tunnel_retry_first = 5s;
  std::size_t alice = add_alice_with_cuttable_link(net, alice_link, quick_retry);
  ClientOptions b;
  b.name = "bob";
  b.address = Endpoint{kBobIp, 40002};
  b.config = quick_retry;
  std::size_t bob = net.add_client(std::move(b));
  ASSERT_TRUE(join_pair(net, alice, bob));
  const PublicKey kb = net.client(bob).public_key();

  std::uint32_t sent = 0;
  std::optional<Time> direct_at;
  const Time lift_at = net.now() + 15s;  // after the first punch window
  const Time stop = net.now() + 40s;
  while (net.now() < stop) {
    if (net.now() >= lift_at) alice_link.cut = false;
    if (net.with_client(alice, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(sent)); })) ++sent;
    if (!direct_at && tunnel_state_is(net, alice, kb, TunnelState::kDirect)) direct_at = net.now();
    net.run_for(20ms);
  }
  net.run_for(1s);
  ASSERT_TRUE(direct_at.has_value());
  EXPECT_GT(*direct_at, lift_at);
  EXPECT_LT(*direct_at - lift_at, 15s);  // the next request (backoff) and a punch
  EXPECT_GE(net.client(alice).stats().tunnel_requests + net.client(bob).stats().tunnel_requests, 1u);
  const Tally got = tally(net, bob, sent);
  std::string which;
  for (std::uint32_t i : got.missing) which += " " + std::to_string(i);
  EXPECT_EQ(got.missing.size(), 0u) << "of " << sent << ":" << which << "\n" << net.event_log();
  EXPECT_EQ(got.distinct, sent);
}

// Erin's network blocks UDP: she reaches the relay over her control connection
// (TCP), sends no punch probes at all, and still talks to a peer on UDP.
TEST(SimRelay, AUdpBlockedClientIsRelayedOverItsControlConnectionWithoutPunching) {
  NatChainTranslator erin_nat({*nat::profile("udp-blocked")}, {Ipv4::from_octets(203, 0, 113, 50)}, 1);
  CountingTranslator erin_counter(erin_nat);
  NatChainTranslator bob_nat({*nat::profile("port-restricted-cone")}, {Ipv4::from_octets(203, 0, 113, 60)}, 2);
  FakeNetwork net;
  // Without TCP hole punching, which would take this pair direct (tcp_punch_test.cpp).
  ServerConfig config = sim_server_config();
  config.disabled_techniques = {"tcp"};
  net.add_server(kServerControl, {kDiscoveryPrimary, kDiscoverySecondary}, config);
  std::size_t erin = add_natted(net, "erin", 1, erin_counter, erin_nat.public_ip());
  std::size_t bob = add_natted(net, "bob", 2, bob_nat);
  ASSERT_TRUE(join_pair(net, erin, bob));
  ASSERT_EQ(net.events_of<DiscoveryDone>(erin).size(), 1u);
  EXPECT_TRUE(net.events_of<DiscoveryDone>(erin)[0].udp_blocked);
  const PublicKey ke = net.client(erin).public_key();
  const PublicKey kb = net.client(bob).public_key();

  const std::uint64_t udp_before = erin_counter.sent;  // discovery's probes
  ASSERT_TRUE(net.run_until([&] { return tunnel_state_is(net, erin, kb, TunnelState::kRelayed) &&
                                         tunnel_state_is(net, bob, ke, TunnelState::kRelayed); },
                            2s));
  // At once, not after a useless punch window.
  EXPECT_LT(net.events_of<TunnelRelayed>(erin)[0].time_to_relay, 500ms);
  for (const PeerStatus& p : net.client(erin).peers()) EXPECT_TRUE(p.relay_over_tcp);
  for (const PeerStatus& p : net.client(bob).peers()) EXPECT_FALSE(p.relay_over_tcp);  // bob is on UDP

  for (std::uint32_t i = 0; i < 10; ++i) {
    ASSERT_TRUE(net.with_client(erin, [&](ClientCore& c, Time now) { return c.send_to_peer(now, kb, numbered(i)); }));
    ASSERT_TRUE(net.with_client(bob, [&](ClientCore& c, Time now) { return c.send_to_peer(now, ke, numbered(i)); }));
  }
  net.run_for(60s);  // past the first re-plan request's time: erin sends none
  EXPECT_EQ(net.events_of<PacketReceived>(bob).size(), 10u);
  EXPECT_EQ(net.events_of<PacketReceived>(erin).size(), 10u);
  for (const PacketReceived& p : net.events_of<PacketReceived>(erin)) EXPECT_TRUE(p.relayed);
  EXPECT_TRUE(net.events_of<TunnelFailed>(erin).empty());
  EXPECT_TRUE(tunnel_state_is(net, erin, kb, TunnelState::kRelayed));
  // Erin sent no UDP at all once discovery was over: no probes, no binds, no data.
  EXPECT_EQ(erin_counter.sent, udp_before);
}

// Without the built-in relay (off in the server's config) a pair that cannot punch
// fails after the punch window and says why.
TEST(SimRelay, WithoutARelayAPairThatCannotPunchFailsAndSaysWhy) {
  NatChainTranslator alice_nat({*nat::profile("symmetric-random")}, {Ipv4::from_octets(203, 0, 113, 50)}, 1);
  NatChainTranslator bob_nat({*nat::profile("port-restricted-cone")}, {Ipv4::from_octets(203, 0, 113, 60)}, 2);
  FakeNetwork net;
  add_sim_server_without_relay(net);
  std::size_t alice = add_natted(net, "alice", 1, alice_nat);
  std::size_t bob = add_natted(net, "bob", 2, bob_nat);
  ASSERT_TRUE(join_pair(net, alice, bob));
  ASSERT_TRUE(net.run_until([&] { return !net.events_of<TunnelFailed>(alice).empty(); }, 30s));
  EXPECT_NE(net.events_of<TunnelFailed>(alice)[0].reason.find("the server offered no relay"), std::string::npos);
  EXPECT_TRUE(net.events_of<TunnelRelayed>(alice).empty());
}

}  // namespace
}  // namespace yt::sim
