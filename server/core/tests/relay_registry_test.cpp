// Separate relays at the server core: who may register, the keys they get, the list
// clients measure, the relay each pair is given, and what happens when one leaves.
#include <gtest/gtest.h>

#include <map>

#include "server/core/memory_storage.h"
#include "server/core/tests/server_harness.h"
#include "server/relay/relay_core.h"

namespace yt::test {
namespace {

const Endpoint kRelayNear{Ipv4::from_octets(192, 0, 2, 10), 3478};
const Endpoint kRelayFar{Ipv4::from_octets(192, 0, 2, 11), 3478};
const Endpoint kRelayOdd{Ipv4::from_octets(192, 0, 2, 12), 3478};

Identity relay_identity(std::uint64_t seed) {
  SeededRandom rng(seed, 3);
  return Identity::generate(rng);
}

// A server that allows three relay keys, with helpers to register relays and to
// bring clients online with measured round trips.
struct RelayWorld {
  MemoryStorage storage;
  Identity near = relay_identity(1), far = relay_identity(2), odd = relay_identity(3);
  Harness h;

  explicit RelayWorld(bool builtin = true) : h(storage, config(builtin)) {}
  ServerConfig config(bool builtin) {
    ServerConfig c = test_config();
    c.builtin_relay = builtin;
    c.relay_keys = {near.public_key, far.public_key, odd.public_key};
    return c;
  }

  // Registers; returns the connection and the keys it was given.
  FakeClient& register_relay(const Identity& id, const std::string& name, Endpoint udp) {
    FakeClient& r = h.connect(id);
    h.handshake(r);
    h.send(r, RelayRegister{name, udp, Endpoint{udp.ip, 443}});
    return r;
  }

  // Logs in, reports round trips (relay id -> ms), discovers: online.
  FakeClient& online_client(const std::string& nick, const std::map<std::uint32_t, int>& rtt_ms) {
    FakeClient& c = h.connect();
    h.login(c, nick);
    RelayRtts rtts;
    for (auto [id, ms] : rtt_ms) rtts.rtts.push_back(RelayRtt{id, static_cast<std::uint32_t>(ms * 1000)});
    h.send(c, rtts);
    h.discover(c, Endpoint{c.remote().ip, static_cast<std::uint16_t>(50000 + c.conn())});
    return c;
  }

  // `a` creates "lan", `b` joins: the instruction each gets.
  std::pair<TunnelInstruction, TunnelInstruction> pair_up(FakeClient& a, FakeClient& b) {
    EXPECT_EQ(h.request(a, CreateNetwork{1, "lan", "secret"}).code, ReplyCode::kOk);
    EXPECT_EQ(h.request(b, JoinNetwork{2, "lan", "secret"}).code, ReplyCode::kOk);
    auto ta = a.take<TunnelInstruction>();
    auto tb = b.take<TunnelInstruction>();
    EXPECT_EQ(ta.size(), 1u);
    EXPECT_EQ(tb.size(), 1u);
    if (ta.empty() || tb.empty()) return {};
    return {ta.back(), tb.back()};
  }
};

TEST(ServerCoreRelayRegistry, AnAllowedRelayGetsKeysThatVerifyTheTicketsClientsAreGiven) {
  RelayWorld w;
  FakeClient& relay = w.register_relay(w.near, "near", kRelayNear);
  auto keys = relay.take<RelayKeys>();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_NE(keys[0].current.id, 0u);
  EXPECT_FALSE(relay.closed());
  EXPECT_EQ(w.h.server().stats().relays_registered, 1u);

  // Clients hear of it at login: the built-in relay (id 0) and this one.
  FakeClient& a = w.online_client("alice", {{0, 80}, {1, 10}});
  FakeClient& b = w.online_client("bob", {{0, 80}, {1, 10}});
  auto lists = a.take<RelayList>();
  ASSERT_EQ(lists.size(), 1u);
  ASSERT_EQ(lists[0].relays.size(), 2u);
  EXPECT_EQ(lists[0].relays[0].id, 0u);
  EXPECT_TRUE(lists[0].relays[0].udp.is_unset());
  EXPECT_EQ(lists[0].relays[1].id, 1u);
  EXPECT_EQ(lists[0].relays[1].name, "near");
  EXPECT_EQ(lists[0].relays[1].udp, kRelayNear);

  auto [ta, tb] = w.pair_up(a, b);
  ASSERT_TRUE(ta.relay && tb.relay);
  EXPECT_EQ(ta.relay->endpoint, kRelayNear);
  EXPECT_EQ(tb.relay->endpoint, kRelayNear);
  EXPECT_EQ(w.h.server().stats().relay_offers_separate, 1u);

  // The relay, holding only what the server sent it, admits both sides.
  RelayCore core;
  core.set_ticket_keys(keys[0].current, keys[0].previous);
  RelayTicket t = ta.relay->ticket;
  core.on_datagram(w.h.now(), Endpoint{Ipv4::from_octets(203, 0, 113, 50), 1},
                   encode_datagram(RelayBind{t.key_id, t.pair_id, t.side, 1,
                                             bind_mac(t.bind_secret, t.pair_id, t.side, 1)}));
  EXPECT_EQ(core.stats().binds_accepted, 1u);
}

TEST(ServerCoreRelayRegistry, AKeyTheOperatorDidNotAllowIsToldWhyAndClosed) {
  RelayWorld w;
  FakeClient& stranger = w.register_relay(relay_identity(99), "rogue", kRelayOdd);
  EXPECT_TRUE(stranger.closed());
  EXPECT_TRUE(stranger.take<RelayKeys>().empty());
  auto replies = stranger.take<Reply>();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_NE(replies[0].message.find("not allowed"), std::string::npos);
  EXPECT_EQ(w.h.server().stats().relay_registrations_refused, 1u);
  // Clients are not told about it.
  FakeClient& a = w.online_client("alice", {});
  EXPECT_TRUE(a.take<RelayList>().empty());
}

TEST(ServerCoreRelayRegistry, ARelayOnlyRegistersAndPings) {
  RelayWorld w;
  FakeClient& relay = w.register_relay(w.near, "near", kRelayNear);
  w.h.send(relay, Ping{7});
  EXPECT_EQ(relay.take<Pong>().size(), 1u);
  w.h.send(relay, LoginRequest{"sneaky", {}});
  EXPECT_TRUE(relay.closed());
  EXPECT_TRUE(relay.take<LoginReply>().empty());
}

TEST(ServerCoreRelayRegistry, EachPairGetsTheRelayWithTheSmallestSumOfRoundTrips) {
  RelayWorld w;
  w.register_relay(w.near, "near", kRelayNear);  // id 1
  w.register_relay(w.far, "far", kRelayFar);     // id 2
  w.register_relay(w.odd, "odd", kRelayOdd);     // id 3
  // Alice is closest to 1, Bob to 3, but 2 has the smallest sum (30+30 < 10+90,
  // 90+10); the built-in relay is slow for both.
  FakeClient& a = w.online_client("alice", {{0, 100}, {1, 10}, {2, 30}, {3, 90}});
  FakeClient& b = w.online_client("bob", {{0, 100}, {1, 90}, {2, 30}, {3, 10}});
  auto [ta, tb] = w.pair_up(a, b);
  ASSERT_TRUE(ta.relay && tb.relay);
  EXPECT_EQ(ta.relay->endpoint, kRelayFar);
  EXPECT_EQ(tb.relay->endpoint, kRelayFar);
}

TEST(ServerCoreRelayRegistry, ATieGoesToTheSeparateRelayAndOnlyAClearlyNearerBuiltInOneWins) {
  // Same distance: the separate relay, whose pairs outlive a server outage.
  {
    RelayWorld w;
    w.register_relay(w.near, "near", kRelayNear);
    FakeClient& a = w.online_client("alice", {{0, 40}, {1, 40}});
    FakeClient& b = w.online_client("bob", {{0, 40}, {1, 41}});  // 1 ms of noise: still a tie
    auto [ta, tb] = w.pair_up(a, b);
    ASSERT_TRUE(ta.relay);
    EXPECT_EQ(ta.relay->endpoint, kRelayNear);
  }
  // The built-in relay nearer by more than the handicap (2 ms): the built-in one.
  {
    RelayWorld w;
    w.register_relay(w.near, "near", kRelayNear);
    FakeClient& a = w.online_client("alice", {{0, 40}, {1, 42}});
    FakeClient& b = w.online_client("bob", {{0, 40}, {1, 41}});
    auto [ta, tb] = w.pair_up(a, b);
    ASSERT_TRUE(ta.relay);
    EXPECT_TRUE(ta.relay->endpoint.is_unset());
  }
}

TEST(ServerCoreRelayRegistry, ARelayOneSideCannotReachIsNotPicked) {
  RelayWorld w;
  w.register_relay(w.near, "near", kRelayNear);
  FakeClient& a = w.online_client("alice", {{0, 100}, {1, 10}});
  FakeClient& b = w.online_client("bob", {{0, 100}});  // relay 1 never answered bob
  auto [ta, tb] = w.pair_up(a, b);
  ASSERT_TRUE(ta.relay);
  EXPECT_TRUE(ta.relay->endpoint.is_unset());  // the built-in one
}

TEST(ServerCoreRelayRegistry, AUdpBlockedSideGetsTheBuiltInRelayItReachesOverTcp) {
  RelayWorld w;
  w.register_relay(w.near, "near", kRelayNear);
  FakeClient& a = w.online_client("alice", {{0, 100}, {1, 10}});
  // Erin: no discovery probe ever reaches the server (her UDP is blocked).
  FakeClient& erin = w.h.connect();
  w.h.login(erin, "erin");
  DiscoveryReport report;
  report.profile.udp_blocked = true;
  w.h.send(erin, report);
  auto [ta, te] = w.pair_up(a, erin);
  ASSERT_TRUE(ta.relay && te.relay);
  EXPECT_TRUE(ta.relay->endpoint.is_unset());
  EXPECT_TRUE(te.relay->endpoint.is_unset());
}

TEST(ServerCoreRelayRegistry, AUdpBlockedSideMeasuredOverTcpGetsASeparateRelaysListener) {
  RelayWorld w;
  FakeClient& relay = w.h.connect(w.near);
  w.h.handshake(relay);
  w.h.send(relay, RelayRegister{"near", kRelayNear, Endpoint{kRelayNear.ip, 443}});  // id 1, with a listener
  FakeClient& bare = w.h.connect(w.far);
  w.h.handshake(bare);
  w.h.send(bare, RelayRegister{"far", kRelayFar, Endpoint{}});  // id 2, UDP only
  FakeClient& a = w.online_client("alice", {{0, 100}, {1, 30}, {2, 5}});
  // Erin's UDP is blocked: she measured the built-in relay over her control
  // connection, relay 1 over its listener, and could not reach relay 2.
  FakeClient& erin = w.h.connect();
  w.h.login(erin, "erin");
  w.h.send(erin, RelayRtts{{RelayRtt{0, 100000}, RelayRtt{1, 10000}, RelayRtt{2, 1000}}});  // 2: a false claim
  DiscoveryReport report;
  report.profile.udp_blocked = true;
  w.h.send(erin, report);
  auto [ta, te] = w.pair_up(a, erin);
  ASSERT_TRUE(ta.relay && te.relay);
  EXPECT_EQ(te.relay->endpoint, kRelayNear);
  EXPECT_EQ(te.relay->stream, (Endpoint{kRelayNear.ip, 443}));  // where erin binds, over TCP
  EXPECT_EQ(ta.relay->endpoint, kRelayNear);
}

TEST(ServerCoreRelayRegistry, WithoutTheBuiltInRelayASeparateOneCarriesEveryPair) {
  RelayWorld w(/*builtin=*/false);
  w.register_relay(w.near, "near", kRelayNear);
  FakeClient& a = w.online_client("alice", {});
  FakeClient& b = w.online_client("bob", {});
  auto lists = a.take<RelayList>();
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].relays.size(), 1u);  // no built-in entry
  auto [ta, tb] = w.pair_up(a, b);
  ASSERT_TRUE(ta.relay);
  EXPECT_EQ(ta.relay->endpoint, kRelayNear);
}

TEST(ServerCoreRelayRegistry, WhenARelayGoesAwayItsPairsMoveToTheNextBest) {
  RelayWorld w;
  FakeClient& near = w.register_relay(w.near, "near", kRelayNear);  // id 1
  w.register_relay(w.far, "far", kRelayFar);                        // id 2
  FakeClient& a = w.online_client("alice", {{0, 100}, {1, 10}, {2, 30}});
  FakeClient& b = w.online_client("bob", {{0, 100}, {1, 10}, {2, 30}});
  auto [ta, tb] = w.pair_up(a, b);
  ASSERT_TRUE(ta.relay);
  EXPECT_EQ(ta.relay->endpoint, kRelayNear);
  a.take<RelayList>();
  b.take<RelayList>();

  w.h.close(near);
  auto lists = a.take<RelayList>();
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].relays.size(), 2u);  // built-in and far
  auto again_a = a.take<TunnelInstruction>();
  auto again_b = b.take<TunnelInstruction>();
  ASSERT_EQ(again_a.size(), 1u);
  ASSERT_EQ(again_b.size(), 1u);
  ASSERT_TRUE(again_a[0].relay && again_b[0].relay);
  EXPECT_EQ(again_a[0].relay->endpoint, kRelayFar);
  EXPECT_EQ(again_a[0].relay->ticket.pair_id, again_b[0].relay->ticket.pair_id);
  EXPECT_EQ(w.h.server().stats().relay_repicks, 1u);
}

TEST(ServerCoreRelayRegistry, RelaysGetTheNewKeysAtEveryRotation) {
  RelayWorld w;
  FakeClient& relay = w.register_relay(w.near, "near", kRelayNear);
  auto first = relay.take<RelayKeys>();
  ASSERT_EQ(first.size(), 1u);
  for (int i = 0; i < 31; ++i) {
    w.h.advance(std::chrono::minutes(1));
    w.h.send(relay, Ping{static_cast<std::uint64_t>(i)});
  }
  auto rotated = relay.take<RelayKeys>();
  ASSERT_EQ(rotated.size(), 1u);
  EXPECT_EQ(rotated[0].current.id, first[0].current.id + 1);
  ASSERT_TRUE(rotated[0].previous);
  EXPECT_EQ(rotated[0].previous->id, first[0].current.id);
  EXPECT_EQ(rotated[0].previous->key, first[0].current.key);
}

}  // namespace
}  // namespace yt::test
