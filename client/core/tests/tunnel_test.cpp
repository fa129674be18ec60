// Tunnels (tunnel.h, tunnel_table.h) between two ClientCores wired by hand: punching,
// the peer handshake, sessions, keepalives, timeouts and send errors.
#include "client/core/tunnel.h"

#include <gtest/gtest.h>

#include <set>

#include "client/core/tests/test_support.h"

namespace yt::test {
namespace {

const Endpoint kA{Ipv4::from_octets(203, 0, 113, 1), 40001};
const Endpoint kB{Ipv4::from_octets(203, 0, 113, 2), 40002};
const Ipv4 kVipA = Ipv4::from_octets(25, 0, 0, 1);
const Ipv4 kVipB = Ipv4::from_octets(25, 0, 0, 2);
constexpr std::uint64_t kTunnelId = 0x1122334455667788;

// The control connection stays quiet in these tests: no pings to answer. Tunnels
// ping each other only once, as they come up, so that the keepalive and liveness
// tests can count datagrams; TunnelPingTest has the default ping interval.
ClientConfig quiet_config() {
  ClientConfig config;
  config.control_ping_interval = 24h;
  config.server_timeout = 48h;
  config.ping_interval = 24h;
  return config;
}

struct TunnelTest : ::testing::Test {
  explicit TunnelTest(const ClientConfig& config = quiet_config())
      : a{1, kA, server_id.public_key, config}, b{2, kB, server_id.public_key, config} {}

  void SetUp() override {
    ca = bring_online(a, sa, kT0, kA, kVipA);
    cb = bring_online(b, sb, kT0, kB, kVipB);
    NetworkInfo lan{"lan", {{a.identity.public_key, "a", kVipA, true}, {b.identity.public_key, "b", kVipB, true}}};
    a.data(kT0, ca, sa.seal(NetworkSnapshot{{lan}}));
    b.data(kT0, cb, sb.seal(NetworkSnapshot{{lan}}));
  }

  TunnelInstruction instruction_for_a(std::uint64_t id = kTunnelId) const {
    return TunnelInstruction{b.identity.public_key, kVipB, id, TunnelRole::kInitiator, 100, {kB}};
  }
  TunnelInstruction instruction_for_b(std::uint64_t id = kTunnelId) const {
    return TunnelInstruction{a.identity.public_key, kVipA, id, TunnelRole::kResponder, 100, {kA}};
  }
  void instruct(const TunnelInstruction& for_a, const TunnelInstruction& for_b) {
    a.data(wire.now, ca, sa.seal(for_a));
    b.data(wire.now, cb, sb.seal(for_b));
  }
  void instruct() { instruct(instruction_for_a(), instruction_for_b()); }
  void bring_up() {
    instruct();
    wire.run_for(1s);
    ASSERT_EQ(a.events_of<TunnelUp>().size(), 1u);
    ASSERT_EQ(b.events_of<TunnelUp>().size(), 1u);
  }
  static std::optional<PeerStatus> status(const Driven& d, const PublicKey& peer) {
    for (const PeerStatus& p : d.core->peers()) {
      if (p.key == peer) return p;
    }
    return std::nullopt;
  }
  static bool is(const SendDatagram& d, DatagramType type) {
    return d.payload.size() > 1 && d.payload[1] == static_cast<std::uint8_t>(type);
  }

  Identity server_id = make_server_identity();
  ScriptedServer sa{server_id, 1};
  ScriptedServer sb{server_id, 2};
  Driven a;
  Driven b;
  ConnId ca = 0, cb = 0;
  Wire wire{a, b};
  const PublicKey& ka = a.identity.public_key;
  const PublicKey& kb = b.identity.public_key;
};

TEST_F(TunnelTest, WaitsForTheStartThenPunchesHandshakesAndComesUp) {
  instruct();
  EXPECT_EQ(status(a, kb)->tunnel, TunnelState::kWaiting);
  wire.run_until(kT0 + 99ms);
  EXPECT_TRUE(a.sent<PunchProbe>().empty());
  EXPECT_TRUE(b.sent<PunchProbe>().empty());

  wire.run_until(kT0 + 100ms);
  auto probes = a.sent<PunchProbe>();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].first, kB);
  EXPECT_EQ(probes[0].second.tunnel_id, kTunnelId);
  EXPECT_EQ(status(a, kb)->tunnel, TunnelState::kPunching);

  // Probes cross at 110 ms; the initiator's handshake reaches the responder at 120 ms
  // and its answer comes back at 130 ms.
  wire.run_until(kT0 + 110ms);
  EXPECT_EQ(status(a, kb)->tunnel, TunnelState::kHandshaking);
  auto inits = a.sent<PeerHandshakeInit>();
  ASSERT_EQ(inits.size(), 1u);
  EXPECT_EQ(inits[0].first, kB);
  EXPECT_EQ(inits[0].second.tunnel_id, kTunnelId);
  EXPECT_NE(inits[0].second.sender_index, 0u);
  EXPECT_FALSE(b.sent<PeerHandshakeInit>().size());  // the responder never initiates

  wire.run_until(kT0 + 130ms);
  auto up_a = a.events_of<TunnelUp>();
  auto up_b = b.events_of<TunnelUp>();
  ASSERT_EQ(up_a.size(), 1u);
  ASSERT_EQ(up_b.size(), 1u);
  EXPECT_EQ(up_a[0].peer, kb);
  EXPECT_EQ(up_a[0].path, kB);
  EXPECT_EQ(up_a[0].time_to_direct, 130ms);
  EXPECT_EQ(up_b[0].peer, ka);
  EXPECT_EQ(up_b[0].path, kA);
  EXPECT_EQ(up_b[0].time_to_direct, 120ms);
  EXPECT_EQ(status(a, kb)->tunnel, TunnelState::kDirect);
  EXPECT_EQ(status(a, kb)->path, kB);
  EXPECT_EQ(status(b, ka)->last_received, kT0 + 120ms);

  // Punching stops once up.
  std::size_t probes_at_up = a.sent<PunchProbe>().size();
  wire.run_for(1s);
  EXPECT_EQ(a.sent<PunchProbe>().size(), probes_at_up);
}

// Each side reports the negotiation's outcome to the server once, when settled.
TEST_F(TunnelTest, EachSideReportsTheDirectOutcomeOnceWithItsTimeToDirect) {
  bring_up();
  wire.run_for(60s);  // past the punch window and the relay's: nothing more to report
  for (auto [d, s, c, peer] : {std::tuple{&a, &sa, ca, kb}, std::tuple{&b, &sb, cb, ka}}) {
    std::vector<TunnelOutcome> reports;
    for (const ControlMessage& m : s->messages(d->take_stream(c))) {
      if (auto* o = std::get_if<TunnelOutcome>(&m)) reports.push_back(*o);
    }
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].tunnel_id, kTunnelId);
    EXPECT_EQ(reports[0].peer, peer);
    EXPECT_EQ(reports[0].outcome, NegotiationOutcome::kDirect);
    EXPECT_EQ(reports[0].time_to_direct_ms, to_ms(d->events_of<TunnelUp>().at(0).time_to_direct));
  }
}

TEST_F(TunnelTest, AFailedNegotiationIsReportedOnceAndALaterPlanOfTheLiveTunnelAsKept) {
  wire.filter = [](SendDatagram&, Endpoint&) { return false; };  // no path at all
  instruct();
  wire.run_for(30s);
  ASSERT_EQ(a.events_of<TunnelFailed>().size(), 1u);
  auto outcomes = [](Driven& d, ScriptedServer& s, ConnId c) {
    std::vector<TunnelOutcome> out;
    for (const ControlMessage& m : s.messages(d.take_stream(c))) {
      if (auto* o = std::get_if<TunnelOutcome>(&m)) out.push_back(*o);
    }
    return out;
  };
  auto failed = outcomes(a, sa, ca);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].outcome, NegotiationOutcome::kFailed);
  EXPECT_EQ(failed[0].time_to_direct_ms, 0u);
  // A new plan gets the tunnel up; a plan after that renews it: kept.
  wire.filter = nullptr;
  instruct(instruction_for_a(kTunnelId + 1), instruction_for_b(kTunnelId + 1));
  wire.run_for(1s);
  ASSERT_EQ(a.events_of<TunnelUp>().size(), 1u);
  instruct(instruction_for_a(kTunnelId + 2), instruction_for_b(kTunnelId + 2));
  wire.run_for(30s);
  auto later = outcomes(a, sa, ca);
  ASSERT_EQ(later.size(), 2u);
  EXPECT_EQ(later[0].tunnel_id, kTunnelId + 1);
  EXPECT_EQ(later[0].outcome, NegotiationOutcome::kDirect);
  EXPECT_EQ(later[1].tunnel_id, kTunnelId + 2);
  EXPECT_EQ(later[1].outcome, NegotiationOutcome::kKept);
  EXPECT_EQ(later[1].time_to_direct_ms, 0u);
}

TEST_F(TunnelTest, ProbesGoToEveryCandidateEveryPunchInterval) {
  TunnelInstruction ia = instruction_for_a();
  Endpoint dead{Ipv4::from_octets(10, 9, 9, 9), 9};
  ia.candidates = {dead, kB};
  instruct(ia, instruction_for_b());
  wire.filter = [](SendDatagram&, Endpoint&) { return false; };  // nothing arrives
  wire.run_until(kT0 + 100ms + 4 * 50ms);
  auto probes = a.sent<PunchProbe>();
  ASSERT_EQ(probes.size(), 10u);  // 5 rounds x 2 candidates
  for (std::size_t i = 0; i < probes.size(); ++i) {
    EXPECT_EQ(probes[i].first, i % 2 == 0 ? dead : kB);
    EXPECT_EQ(probes[i].second.sequence, i / 2);
  }
}

TEST_F(TunnelTest, ProbesBackOffAfterTheFastPhase) {
  instruct();
  wire.filter = [](SendDatagram&, Endpoint&) { return false; };  // nothing arrives
  const Time start = kT0 + 100ms;
  std::vector<Duration> rounds;
  std::size_t seen = 0;
  for (Time t = start; t <= start + 10s; t += 10ms) {
    wire.run_until(t);
    const std::size_t probes = a.sent<PunchProbe>().size();
    if (probes != seen) rounds.push_back(t - start);
    seen = probes;
  }
  std::vector<Duration> expected;
  for (Duration t = 0ms; t < 2s; t += 50ms) expected.push_back(t);  // the fast phase
  // Then the gap is the time since the fast phase ended, up to 1 s.
  for (Duration t : {2000ms, 2050ms, 2100ms, 2200ms, 2400ms, 2800ms, 3600ms, 4600ms, 5600ms, 6600ms, 7600ms,
                     8600ms, 9600ms}) {
    expected.push_back(t);
  }
  EXPECT_EQ(rounds, expected);
}

TEST_F(TunnelTest, PrepunchTtlAppliesToTheFirstRoundOnly) {
  TunnelInstruction ia = instruction_for_a();
  ia.prepunch_ttl = 2;
  TunnelInstruction ib = instruction_for_b();
  ib.prepunch_ttl = 2;
  instruct(ia, ib);
  // Packets with a small TTL die on the way, as a real router would drop them.
  wire.filter = [](SendDatagram& d, Endpoint&) { return d.ttl == 0 || d.ttl > 3; };
  wire.run_for(1s);
  std::vector<std::uint8_t> ttls;
  for (const SendDatagram& d : a.datagrams) {
    if (is(d, DatagramType::kPunchProbe)) ttls.push_back(d.ttl);
  }
  ASSERT_GE(ttls.size(), 2u);
  EXPECT_EQ(ttls[0], 2);
  for (std::size_t i = 1; i < ttls.size(); ++i) EXPECT_EQ(ttls[i], 0) << "probe " << i;
  // The later rounds still bring the tunnel up.
  EXPECT_EQ(a.events_of<TunnelUp>().size(), 1u);
  EXPECT_EQ(b.events_of<TunnelUp>().size(), 1u);
}

TEST_F(TunnelTest, PacketsAndChatBothWays) {
  bring_up();
  std::uint64_t received_before = b.stats().packets_received;  // the first ping and pong
  Bytes packet = {0x45, 0, 0, 20, 1, 2, 3, 4};
  ASSERT_TRUE(a.core->send_to_peer(wire.now, kb, packet));
  ASSERT_TRUE(b.core->send_to_peer(wire.now, ka, as_bytes("hello"), PeerPayloadType::kChat));
  a.drain();
  b.drain();
  wire.run_for(20ms);
  auto packets = b.events_of<PacketReceived>();
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0].peer, ka);
  EXPECT_EQ(packets[0].packet, packet);
  auto chats = a.events_of<ChatReceived>();
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0].text, "hello");
  EXPECT_EQ(b.stats().packets_received, received_before + 1);
}

TEST_F(TunnelTest, PrivateAndNetworkChat) {
  bring_up();
  ASSERT_TRUE(a.core->send_chat(wire.now, kb, "hey b"));
  a.drain();
  wire.run_for(20ms);
  auto at_b = b.events_of<ChatReceived>();
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].peer, ka);
  EXPECT_EQ(at_b[0].text, "hey b");
  EXPECT_EQ(at_b[0].network, "");
  EXPECT_EQ(at_b[0].nickname, "a");

  auto sent = b.core->send_network_chat(wire.now, "lan", "hi all");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->sent, 1u);
  EXPECT_EQ(sent->no_tunnel, 0u);
  b.drain();
  wire.run_for(20ms);
  auto at_a = a.events_of<ChatReceived>();
  ASSERT_EQ(at_a.size(), 1u);
  EXPECT_EQ(at_a[0].network, "lan");
  EXPECT_EQ(at_a[0].nickname, "b");
  EXPECT_EQ(at_a[0].text, "hi all");
}

TEST_F(TunnelTest, NetworkChatNamingANetworkWeDoNotShareIsDropped) {
  bring_up();
  // b's view says a is in "secret" too; a's own view has only "lan". A peer must not
  // make text appear in a network chat it has no part in.
  NetworkInfo lan{"lan", {{ka, "a", kVipA, true}, {kb, "b", kVipB, true}}};
  NetworkInfo secret{"secret", {{ka, "a", kVipA, true}, {kb, "b", kVipB, true}}};
  b.data(wire.now, cb, sb.seal(NetworkSnapshot{{lan, secret}}));
  auto sent = b.core->send_network_chat(wire.now, "secret", "psst");
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->sent, 1u);
  b.drain();
  wire.run_for(20ms);
  EXPECT_TRUE(a.events_of<ChatReceived>().empty());
  EXPECT_EQ(a.stats().chat_bad_network, 1u);
}

TEST_F(TunnelTest, ChatSendErrors) {
  SeededRandom other_rng(77, 0);
  PublicKey stranger = Identity::generate(other_rng).public_key;
  EXPECT_EQ(a.core->send_chat(wire.now, stranger, "x").error(), SendError::kNoTunnel);
  bring_up();
  EXPECT_EQ(a.core->send_chat(wire.now, kb, "").error(), SendError::kInvalidArgument);
  EXPECT_EQ(a.core->send_chat(wire.now, kb, std::string(kMaxChatLength + 1, 'x')).error(), SendError::kTooLarge);
  EXPECT_TRUE(a.core->send_chat(wire.now, kb, std::string(kMaxChatLength, 'x')));
  EXPECT_EQ(a.core->send_network_chat(wire.now, "nope", "x").error(), SendError::kInvalidArgument);
  EXPECT_EQ(a.core->send_network_chat(wire.now, "lan", "").error(), SendError::kInvalidArgument);
  EXPECT_EQ(a.core->send_network_chat(wire.now, "lan", std::string(kMaxChatLength + 1, 'x')).error(),
            SendError::kTooLarge);
  // The tunnel machinery's own payloads are not for callers.
  EXPECT_EQ(a.core->send_to_peer(wire.now, kb, Bytes(8, 0), PeerPayloadType::kPing).error(),
            SendError::kInvalidArgument);
}

TEST_F(TunnelTest, PeerStatusSaysWhyThereIsNoPathYet) {
  EXPECT_EQ(status(a, kb)->no_path_reason, "waiting for the server to plan a tunnel");
  wire.filter = [](SendDatagram&, Endpoint&) { return false; };
  instruct();
  EXPECT_EQ(status(a, kb)->no_path_reason, "punching scheduled");
  wire.run_until(kT0 + 100ms);
  EXPECT_EQ(status(a, kb)->no_path_reason, "punching");
  wire.run_until(kT0 + 100ms + 10s);
  EXPECT_EQ(status(a, kb)->no_path_reason,
            "no direct path after 10 s of punching, and the server offered no relay; asking again later");
  MemberInfo offline{kb, "b", kVipB, false};
  a.data(wire.now, ca, sa.seal(MemberUpdate{"lan", offline}));
  EXPECT_EQ(status(a, kb)->no_path_reason, "peer offline");
}

TEST_F(TunnelTest, ResponderRejectsAnInitiatorWithTheWrongKey) {
  // The server told b to expect some third key; a's handshake is authentic but a is
  // not that peer.
  SeededRandom other_rng(77, 0);
  TunnelInstruction ib = instruction_for_b();
  ib.peer = Identity::generate(other_rng).public_key;
  instruct(instruction_for_a(), ib);
  wire.run_for(2s);
  EXPECT_GE(b.stats().handshake_failures, 1u);
  EXPECT_TRUE(b.sent<PeerHandshakeResp>().empty());
  EXPECT_TRUE(a.events_of<TunnelUp>().empty());
  EXPECT_TRUE(b.events_of<TunnelUp>().empty());
  wire.run_for(10s);
  EXPECT_EQ(a.events_of<TunnelFailed>().size(), 1u);
}

TEST_F(TunnelTest, InitiatorWithTheWrongPeerKeyGetsNoTunnel) {
  SeededRandom other_rng(77, 0);
  TunnelInstruction ia = instruction_for_a();
  ia.peer = Identity::generate(other_rng).public_key;  // a encrypts to a key b does not hold
  instruct(ia, instruction_for_b());
  wire.run_for(2s);
  EXPECT_GE(b.stats().handshake_failures, 1u);
  EXPECT_TRUE(a.events_of<TunnelUp>().empty());
  EXPECT_TRUE(b.events_of<TunnelUp>().empty());
}

TEST_F(TunnelTest, LostResponseIsRecoveredByTheRetransmittedInit) {
  int responses = 0;
  wire.filter = [&](SendDatagram& d, Endpoint&) {
    return !(is(d, DatagramType::kPeerHandshakeResp) && responses++ == 0);
  };
  instruct();
  wire.run_for(1s);
  EXPECT_TRUE(a.events_of<TunnelUp>().empty());
  EXPECT_EQ(b.events_of<TunnelUp>().size(), 1u);
  wire.run_for(200ms);  // handshake_retry is 1 s after the first init at 110 ms
  auto up = a.events_of<TunnelUp>();
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].time_to_direct, 1130ms);
  auto inits = a.sent<PeerHandshakeInit>();
  ASSERT_EQ(inits.size(), 2u);
  EXPECT_EQ(inits[0].second.noise, inits[1].second.noise);  // the same msg1, resent
  EXPECT_EQ(b.stats().handshake_failures, 0u);
  EXPECT_EQ(b.events_of<TunnelUp>().size(), 1u);
  ASSERT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes{42}));
  a.drain();
  wire.run_for(20ms);
  EXPECT_EQ(b.events_of<PacketReceived>().size(), 1u);
}

TEST_F(TunnelTest, TamperedDataIsCountedAsAuthFailure) {
  bring_up();
  wire.filter = [](SendDatagram& d, Endpoint&) {
    if (is(d, DatagramType::kPeerData)) d.payload.back() ^= 0x01;
    return true;
  };
  ASSERT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes{1, 2, 3}));
  a.drain();
  wire.run_for(20ms);
  EXPECT_EQ(b.stats().auth_failures, 1u);
  EXPECT_TRUE(b.events_of<PacketReceived>().empty());
}

TEST_F(TunnelTest, ReplayedDataIsCountedAndDropped) {
  bring_up();
  std::optional<SendDatagram> copy;
  wire.filter = [&](SendDatagram& d, Endpoint&) {
    if (is(d, DatagramType::kPeerData) && !copy) copy = d;
    return true;
  };
  ASSERT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes{9}));
  a.drain();
  wire.run_for(20ms);
  ASSERT_TRUE(copy);
  b.datagram(wire.now, kA, copy->payload);
  EXPECT_EQ(b.stats().replayed, 1u);
  EXPECT_EQ(b.events_of<PacketReceived>().size(), 1u);
}

TEST_F(TunnelTest, DataFromANewEndpointMovesThePath) {
  bring_up();
  Endpoint rebound{kA.ip, 50505};
  a.aliases.push_back(rebound);
  wire.filter = [&](SendDatagram&, Endpoint& from) {
    if (from == kA) from = rebound;  // a's NAT picked a new port
    return true;
  };
  ASSERT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes{1}));
  a.drain();
  wire.run_for(20ms);
  EXPECT_EQ(status(b, ka)->path, rebound);
  ASSERT_TRUE(b.core->send_to_peer(wire.now, ka, Bytes{2}));
  b.drain();
  EXPECT_EQ(b.datagrams.back().to, rebound);
  wire.run_for(20ms);
  EXPECT_EQ(a.events_of<PacketReceived>().size(), 1u);
}

TEST_F(TunnelTest, KeepaliveAfterTwentyFiveIdleSeconds) {
  bring_up();
  Time up_at = kT0 + 130ms;  // a's tunnel came up here and pinged b, and answered b's ping
  auto data_sent = [&] {
    std::size_t n = 0;
    for (const SendDatagram& d : a.datagrams) n += is(d, DatagramType::kPeerData);
    return n;
  };
  ASSERT_EQ(data_sent(), 2u);
  wire.run_until(up_at + 25s - 1us);
  EXPECT_EQ(data_sent(), 2u);
  wire.run_until(up_at + 25s);
  EXPECT_EQ(data_sent(), 3u);
  // Traffic postpones the next one.
  wire.run_until(up_at + 40s);
  ASSERT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes{1}));
  a.drain();
  wire.run_until(up_at + 65s - 1us);
  EXPECT_EQ(data_sent(), 4u);
  wire.run_until(up_at + 65s);
  EXPECT_EQ(data_sent(), 5u);
  EXPECT_TRUE(b.events_of<PacketReceived>().size() == 1u);  // keepalives are not packets
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
}

TEST_F(TunnelTest, SilentPeerTimesOut) {
  bring_up();
  wire.filter = [&](SendDatagram& d, Endpoint& from) { return from != kB; };  // b -> a all lost
  Time last_from_b = kT0 + 150ms;  // b's answer to a's first ping
  wire.run_until(last_from_b + 130s - 1us);
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
  wire.run_until(last_from_b + 130s);
  auto down = a.events_of<TunnelDown>();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].peer, kb);
  EXPECT_FALSE(status(a, kb)->has_tunnel);
  auto sent = a.core->send_to_peer(wire.now, kb, Bytes{1});
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error(), SendError::kNoTunnel);
}

TEST_F(TunnelTest, PunchingWithoutAnswerFailsAfterPunchDuration) {
  wire.filter = [](SendDatagram&, Endpoint&) { return false; };
  instruct();
  wire.run_until(kT0 + 100ms + 10s - 1us);
  EXPECT_TRUE(a.events_of<TunnelFailed>().empty());
  wire.run_until(kT0 + 100ms + 10s);
  auto failed = a.events_of<TunnelFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].peer, kb);
  EXPECT_FALSE(failed[0].reason.empty());
  EXPECT_EQ(b.events_of<TunnelFailed>().size(), 1u);
  EXPECT_EQ(status(a, kb)->tunnel, TunnelState::kFailed);
  EXPECT_EQ(a.sent<PunchProbe>().size(), 53u);  // 40 fast rounds, 13 backing off
  std::size_t before = a.datagrams.size();
  std::size_t refreshes_before = a.sent<DiscoveryProbe>().size();
  wire.run_for(1min);
  // Quiet once failed: only the refresh probe that precedes the tunnel request, 30 s
  // on (the server's answer would bring a new plan; this scripted one sends none).
  EXPECT_EQ(a.sent<PunchProbe>().size(), 53u);
  EXPECT_EQ(a.datagrams.size(), before + 1);
  EXPECT_EQ(a.sent<DiscoveryProbe>().size(), refreshes_before + 1);
  EXPECT_EQ(a.stats().tunnel_requests, 1u);
}

// Birthday probing's extra sockets go when the punch window fails: a failed tunnel
// waits for its next plan (30 s and more) and must not hold 256 descriptors, nor
// the client's socket budget for other peers, meanwhile.
TEST_F(TunnelTest, BirthdaySocketsCloseWhenTheTunnelFails) {
  wire.filter = [](SendDatagram&, Endpoint&) { return false; };
  TunnelInstruction for_a = instruction_for_a();
  for_a.birthday = BirthdayPlan{BirthdayRole::kOpenPorts, 16, 200, 0, 2, kB};
  instruct(for_a, instruction_for_b());
  wire.run_until(kT0 + 100ms + 1s);
  std::set<SocketId> opened;
  for (const SendDatagram& d : a.datagrams) {
    if (d.socket != 0) {
      opened.insert(d.socket);
      EXPECT_EQ(d.ttl, 2);
      EXPECT_EQ(d.to, kB);
    }
  }
  EXPECT_EQ(opened.size(), 16u);
  EXPECT_TRUE(a.closed_sockets.empty());  // still punching
  wire.run_until(kT0 + 100ms + 10s);
  ASSERT_EQ(a.events_of<TunnelFailed>().size(), 1u);
  EXPECT_EQ(std::set<SocketId>(a.closed_sockets.begin(), a.closed_sockets.end()), opened);
  EXPECT_EQ(a.stats().birthday_datagrams, 16u);
}

TEST_F(TunnelTest, SendErrors) {
  SeededRandom other_rng(77, 0);
  PublicKey stranger = Identity::generate(other_rng).public_key;
  auto no_tunnel = a.core->send_to_peer(wire.now, stranger, Bytes{1});
  ASSERT_FALSE(no_tunnel);
  EXPECT_EQ(no_tunnel.error(), SendError::kNoTunnel);

  instruct();  // a tunnel that is not up yet
  auto not_up = a.core->send_to_peer(wire.now, kb, Bytes{1});
  ASSERT_FALSE(not_up);
  EXPECT_EQ(not_up.error(), SendError::kNoTunnel);
  wire.run_for(1s);

  auto too_large = a.core->send_to_peer(wire.now, kb, Bytes(1401, 0));
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error(), SendError::kTooLarge);
  EXPECT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes(1400, 0)));
  auto long_chat = a.core->send_to_peer(wire.now, kb, Bytes(1001, 'x'), PeerPayloadType::kChat);
  ASSERT_FALSE(long_chat);
  EXPECT_EQ(long_chat.error(), SendError::kTooLarge);
  auto keepalive_body = a.core->send_to_peer(wire.now, kb, Bytes{1}, PeerPayloadType::kKeepalive);
  ASSERT_FALSE(keepalive_body);
  EXPECT_EQ(keepalive_body.error(), SendError::kInvalidArgument);
  EXPECT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes{}, PeerPayloadType::kKeepalive));
}

TEST_F(TunnelTest, ALaterInstructionKeepsTheLiveTunnel) {
  bring_up();
  instruct(instruction_for_a(kTunnelId + 1), instruction_for_b(kTunnelId + 1));
  wire.run_for(15s);
  EXPECT_EQ(a.events_of<TunnelUp>().size(), 1u);
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
  EXPECT_TRUE(a.events_of<TunnelFailed>().empty());
  EXPECT_EQ(a.sent<PeerHandshakeInit>().size(), 1u);  // no new handshake needed
  ASSERT_TRUE(a.core->send_to_peer(wire.now, kb, Bytes{5}));
  a.drain();
  wire.run_for(20ms);
  EXPECT_EQ(b.events_of<PacketReceived>().size(), 1u);
  // The new id is the tunnel's now: probes under it are answered, the old id is gone.
  std::size_t unknown = b.stats().unknown_tunnel;
  b.datagram(wire.now, kA, encode_datagram(PunchProbe{kTunnelId, 0}));
  EXPECT_EQ(b.stats().unknown_tunnel, unknown + 1);
  b.datagram(wire.now, kA, encode_datagram(PunchProbe{kTunnelId + 1, 0}));
  EXPECT_EQ(b.sent<PunchAck>().back().second.tunnel_id, kTunnelId + 1);
}

TEST_F(TunnelTest, AReHandshakeLosesNoDataWhileTheAnswerIsOnTheWay) {
  bring_up();
  // A re-plan under a new id, and b punches under it: a (the initiator) re-handshakes.
  instruct(instruction_for_a(kTunnelId + 1), instruction_for_b(kTunnelId + 1));
  wire.run_for(1s);
  // b's answer is lost the first time (as if it took a slower path than b's data).
  int answers = 0;
  wire.filter = [&](SendDatagram& d, Endpoint&) { return !(is(d, DatagramType::kPeerHandshakeResp) && answers++ == 0); };
  a.datagram(wire.now, kB, encode_datagram(PunchProbe{kTunnelId + 1, 0}));
  wire.run_for(15ms);  // the init reached b, which answered (lost) and holds the new session
  ASSERT_EQ(answers, 1);
  // b sends at once: under the old session, which a still has.
  ASSERT_TRUE(b.core->send_to_peer(wire.now, ka, Bytes{1}));
  b.drain();
  wire.run_for(20ms);
  EXPECT_EQ(a.events_of<PacketReceived>().size(), 1u);
  // a retries the init, gets the answer and says so at once; from then on b uses
  // the new session.
  wire.run_for(5s);
  EXPECT_EQ(answers, 2);
  ASSERT_TRUE(b.core->send_to_peer(wire.now, ka, Bytes{2}));
  b.drain();
  wire.run_for(20ms);
  EXPECT_EQ(a.events_of<PacketReceived>().size(), 2u);
  EXPECT_EQ(a.stats().unknown_session, 0u);
  EXPECT_EQ(b.stats().unknown_session, 0u);
}

TEST_F(TunnelTest, ALaterInstructionWithoutOurPathPunchesToTheNewEndpointForOneWindow) {
  bring_up();
  // b's NAT rebooted: nothing from b arrives any more (its new port is filtered).
  wire.filter = [&](SendDatagram&, Endpoint& from) { return from != kB; };
  wire.run_for(30s);
  const Endpoint moved{Ipv4::from_octets(198, 51, 100, 77), 61000};
  std::size_t probes_before = a.sent<PunchProbe>().size();
  TunnelInstruction again = instruction_for_a(kTunnelId + 1);
  again.candidates = {moved};
  a.data(wire.now, ca, sa.seal(again));
  wire.run_for(5s);
  std::size_t to_moved = 0;
  for (const auto& [to, probe] : a.sent<PunchProbe>()) {
    if (to == moved) {
      ++to_moved;
      EXPECT_EQ(probe.tunnel_id, kTunnelId + 1);
    }
  }
  EXPECT_GE(to_moved, 48u);  // 4.9 s: 40 fast rounds, then 8 backing off
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());  // the session stays meanwhile
  // The window is one punch duration; then it stops.
  wire.run_for(10s);
  std::size_t after_window = a.sent<PunchProbe>().size();
  wire.run_for(10s);
  EXPECT_EQ(a.sent<PunchProbe>().size(), after_window);
  EXPECT_LE(after_window - probes_before, 54u);
}

TEST_F(TunnelTest, APlanWithoutOurPathAfterThePeerWentOfflinePunchesAtOnce) {
  // b restarted (a new process, a new port) within seconds: not quiet long enough
  // to look moved, but the server said it went offline and nothing came since.
  bring_up();
  wire.filter = [&](SendDatagram&, Endpoint& from) { return from != kB; };
  a.data(wire.now, ca, sa.seal(PeerOffline{kb}));
  wire.run_for(3s);
  const Endpoint restarted{kB.ip, 41999};
  std::size_t probes_before = a.sent<PunchProbe>().size();
  TunnelInstruction again = instruction_for_a(kTunnelId + 1);
  again.candidates = {restarted};
  a.data(wire.now, ca, sa.seal(again));
  wire.run_for(1s);
  std::size_t to_restarted = 0;
  for (const auto& [to, probe] : a.sent<PunchProbe>()) to_restarted += to == restarted ? 1 : 0;
  EXPECT_GE(to_restarted, 10u);
  EXPECT_GT(a.sent<PunchProbe>().size(), probes_before);
}

TEST_F(TunnelTest, AHealthyTunnelDoesNotPunchForAPlanWithoutItsPath) {
  // Predicted ports, or a rebinding the server has not seen: the path still works.
  bring_up();
  wire.run_for(5s);
  std::size_t probes_before = a.sent<PunchProbe>().size();
  TunnelInstruction again = instruction_for_a(kTunnelId + 1);
  again.candidates = {Endpoint{Ipv4::from_octets(198, 51, 100, 77), 61000}};
  a.data(wire.now, ca, sa.seal(again));
  wire.run_for(5s);
  EXPECT_EQ(a.sent<PunchProbe>().size(), probes_before);
}

TEST_F(TunnelTest, ARepunchStopsWhenDataArrivesOrAPlanOffersThePathAgain) {
  bring_up();
  wire.filter = [&](SendDatagram&, Endpoint& from) { return from != kB; };
  wire.run_for(30s);
  TunnelInstruction moved = instruction_for_a(kTunnelId + 1);
  moved.candidates = {Endpoint{Ipv4::from_octets(198, 51, 100, 77), 61000}};
  a.data(wire.now, ca, sa.seal(moved));
  wire.run_for(1s);
  // A later plan offering our path again ends the window at once.
  a.data(wire.now, ca, sa.seal(instruction_for_a(kTunnelId + 2)));
  std::size_t probes = a.sent<PunchProbe>().size();
  wire.run_for(2s);
  EXPECT_EQ(a.sent<PunchProbe>().size(), probes);
  // And so does data on the path: punching again under yet another plan...
  TunnelInstruction moved_again = instruction_for_a(kTunnelId + 3);
  moved_again.candidates = moved.candidates;
  a.data(wire.now, ca, sa.seal(moved_again));
  wire.run_for(1s);
  ASSERT_GT(a.sent<PunchProbe>().size(), probes);
  // ...until b's packets get through again.
  wire.filter = nullptr;
  ASSERT_TRUE(b.core->send_to_peer(wire.now, ka, Bytes{7}));
  b.drain();
  wire.run_for(200ms);
  probes = a.sent<PunchProbe>().size();
  wire.run_for(2s);
  EXPECT_EQ(a.sent<PunchProbe>().size(), probes);
}

TEST_F(TunnelTest, ALaterInstructionOfferingOurPathDoesNotPunch) {
  bring_up();
  std::size_t probes_before = a.sent<PunchProbe>().size();
  instruct(instruction_for_a(kTunnelId + 1), instruction_for_b(kTunnelId + 1));  // same endpoints
  wire.run_for(5s);
  EXPECT_EQ(a.sent<PunchProbe>().size(), probes_before);
}

TEST_F(TunnelTest, LeavingTheSharedNetworkTearsTheTunnelDown) {
  bring_up();
  a.data(wire.now, ca, sa.seal(MemberLeft{"lan", kb}));
  auto down = a.events_of<TunnelDown>();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].peer, kb);
  EXPECT_EQ(a.events_of<MembershipChanged>().back().member, kb);
  EXPECT_TRUE(a.core->peers().empty());
}

TEST_F(TunnelTest, OurOwnLeaveTearsTheTunnelDownButASnapshotAloneDoesNot) {
  bring_up();
  // A snapshot may be continued by MemberUpdates: it does not prune on its own.
  a.data(wire.now, ca, sa.seal(NetworkSnapshot{}));
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
  NetworkInfo lan{"lan", {{ka, "a", kVipA, true}, {kb, "b", kVipB, true}}};
  a.data(wire.now, ca, sa.seal(NetworkSnapshot{{lan}}));
  auto left = a.core->leave_network(wire.now, "lan");
  ASSERT_TRUE(left);
  a.drain();
  a.data(wire.now, ca, sa.seal(Reply{left.value(), ReplyCode::kOk, ""}));
  ASSERT_EQ(a.events_of<TunnelDown>().size(), 1u);
  EXPECT_EQ(a.events_of<TunnelDown>()[0].peer, kb);
  EXPECT_TRUE(a.core->networks().empty());
}

TEST_F(TunnelTest, PeerOfflineStartsLivenessProbes) {
  bring_up();
  Time up_at = kT0 + 130ms;
  auto data_sent = [&] {
    std::size_t n = 0;
    for (const SendDatagram& d : a.datagrams) n += is(d, DatagramType::kPeerData);
    return n;
  };
  std::size_t at_up = data_sent();  // the first ping and the answer to b's
  a.data(wire.now, ca, sa.seal(PeerOffline{kb}));
  wire.run_until(up_at + 5s);
  EXPECT_EQ(data_sent(), at_up + 1);
  wire.run_until(up_at + 20s);
  EXPECT_EQ(data_sent(), at_up + 4);
  // The peer answers every probe, so the tunnel stays.
  wire.run_for(3min);
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
  EXPECT_EQ(status(a, kb)->rtt, 20ms);
}

TEST_F(TunnelTest, UnansweredLivenessProbesEndTheTunnelLongBeforePeerTimeout) {
  bring_up();
  Time first_ping = kT0 + 130ms;  // answered
  a.data(wire.now, ca, sa.seal(PeerOffline{kb}));
  wire.filter = [&](SendDatagram&, Endpoint& from) { return from != kB; };  // b is gone
  // Probes at +5, +10, +15 s go unanswered; at +20 s, three misses end the tunnel.
  wire.run_until(first_ping + 20s - 1us);
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
  wire.run_until(first_ping + 20s);
  auto down = a.events_of<TunnelDown>();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].peer, kb);
  EXPECT_EQ(down[0].reason, "no answer to 3 liveness probes");
  EXPECT_FALSE(status(a, kb)->has_tunnel);
}

// Tunnels with the default ping interval.
ClientConfig ping_config() {
  ClientConfig config = quiet_config();
  config.ping_interval = ClientConfig{}.ping_interval;
  return config;
}

struct TunnelPingTest : TunnelTest {
  TunnelPingTest() : TunnelTest(ping_config()) {}
};

TEST_F(TunnelPingTest, RttIsMeasuredAsSoonAsTheTunnelIsUp) {
  EXPECT_FALSE(status(a, kb).has_value() && status(a, kb)->rtt.has_value());
  bring_up();
  // One-way delay 10 ms: each side's first ping is answered 20 ms later.
  EXPECT_EQ(status(a, kb)->rtt, 20ms);
  EXPECT_EQ(status(b, ka)->rtt, 20ms);
}

TEST_F(TunnelPingTest, IdleTunnelPingsEveryPingIntervalWithoutExtraKeepalives) {
  bring_up();
  Time up_at = kT0 + 130ms;
  auto data_sent = [&] {
    std::size_t n = 0;
    for (const SendDatagram& d : a.datagrams) n += is(d, DatagramType::kPeerData);
    return n;
  };
  EXPECT_EQ(data_sent(), 2u);  // first ping, answer to b's first ping
  wire.run_until(up_at + 25s - 1us);
  EXPECT_EQ(data_sent(), 2u);
  // a's ping, and its answer to b's ping (sent 10 ms before, at b's 25 s mark).
  wire.run_until(up_at + 25s);
  EXPECT_EQ(data_sent(), 4u);
  wire.run_until(up_at + 100s);
  EXPECT_EQ(data_sent(), 10u);  // 2 per 25 s: pings count as traffic, no keepalive
  EXPECT_EQ(status(a, kb)->rtt, 20ms);
  EXPECT_EQ(status(b, ka)->rtt, 20ms);
  EXPECT_TRUE(a.events_of<PacketReceived>().empty());  // pings are not packets
  EXPECT_TRUE(b.events_of<PacketReceived>().empty());
}

TEST_F(TunnelPingTest, WithoutLivenessChecksUnansweredPingsWaitForPeerTimeout) {
  bring_up();
  wire.filter = [&](SendDatagram&, Endpoint& from) { return from != kB; };  // b is gone
  // Five pings go unanswered, but the server still vouches for b: peer_timeout rules.
  Time last_from_b = kT0 + 150ms;
  wire.run_until(last_from_b + 130s - 1us);
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
  wire.run_until(last_from_b + 130s);
  ASSERT_EQ(a.events_of<TunnelDown>().size(), 1u);
  EXPECT_NE(a.events_of<TunnelDown>()[0].reason.find("no authenticated packet"), std::string::npos);
}

TEST_F(TunnelPingTest, PingsAlreadyUnansweredCountWhenLivenessChecksStart) {
  bring_up();
  Time up_at = kT0 + 130ms;
  wire.filter = [&](SendDatagram&, Endpoint& from) { return from != kB; };
  wire.run_until(up_at + 80s);  // pings at 25, 50 and 75 s unanswered
  EXPECT_TRUE(a.events_of<TunnelDown>().empty());
  a.closed(wire.now, ca);  // the server is lost: liveness checks start
  wire.run_for(1ms);       // the next probe is due at once (75 s + 5 s) and finds 3 misses
  auto down = a.events_of<TunnelDown>();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].reason, "no answer to 3 liveness probes");
}

TEST(PeerPrologue, IsThePeerPrologueFollowedByTheTunnelIdBigEndian) {
  Bytes p = peer_prologue(0x0102030405060708);
  std::string text(kPeerPrologue);
  ASSERT_EQ(p.size(), text.size() + 8);
  EXPECT_EQ(std::string(p.begin(), p.begin() + text.size()), text);
  EXPECT_EQ(to_hex(ByteView(p.data() + text.size(), 8)), "0102030405060708");
}

// Relay-first with a relay both sides reach: the outcome is reported once, when
// it is settled: direct when the punch gets through, relayed when the punch
// window ends on the relay.
struct TunnelOutcomeRelayTest : TunnelTest {
  static constexpr std::uint64_t kPair = 0x0102030405060708;
  const Endpoint kRelay{Ipv4::from_octets(198, 51, 100, 9), 3478};
  void SetUp() override {
    TunnelTest::SetUp();
    wire.relay = kRelay;
  }
  void instruct_with_relay(std::uint64_t id = kTunnelId) {
    TunnelInstruction for_a = instruction_for_a(id), for_b = instruction_for_b(id);
    for_a.relay = RelayOffer{kRelay, RelayTicket{1, kPair + id, 0, {}}, 3600, Endpoint{}};
    for_b.relay = RelayOffer{kRelay, RelayTicket{1, kPair + id, 1, {}}, 3600, Endpoint{}};
    instruct(for_a, for_b);
  }
  static std::vector<TunnelOutcome> outcomes(Driven& d, ScriptedServer& s, ConnId c) {
    std::vector<TunnelOutcome> out;
    for (const ControlMessage& m : s.messages(d.take_stream(c))) {
      if (auto* o = std::get_if<TunnelOutcome>(&m)) out.push_back(*o);
    }
    return out;
  }
};

TEST_F(TunnelOutcomeRelayTest, RelayedFirstThenDirectIsReportedDirectOnce) {
  instruct_with_relay();
  wire.run_for(60s);
  ASSERT_EQ(a.events_of<TunnelUp>().size(), 1u);
  EXPECT_GE(wire.relayed, 1u);  // the handshake went through the relay too
  for (auto [d, s, c] : {std::tuple{&a, &sa, ca}, std::tuple{&b, &sb, cb}}) {
    auto reports = outcomes(*d, *s, c);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].outcome, NegotiationOutcome::kDirect);
    EXPECT_EQ(reports[0].tunnel_id, kTunnelId);
  }
}

TEST_F(TunnelOutcomeRelayTest, APairThatCannotPunchIsReportedRelayedWhenThePunchWindowEnds) {
  wire.filter = [](SendDatagram&, Endpoint&) { return false; };  // only the relay gets through
  instruct_with_relay();
  wire.run_for(5s);
  ASSERT_EQ(a.events_of<TunnelRelayed>().size(), 1u);
  EXPECT_TRUE(outcomes(a, sa, ca).empty());  // relayed, but still punching: not settled
  wire.run_for(60s);
  for (auto [d, s, c, peer] : {std::tuple{&a, &sa, ca, kb}, std::tuple{&b, &sb, cb, ka}}) {
    auto reports = outcomes(*d, *s, c);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].outcome, NegotiationOutcome::kRelayed);
    EXPECT_EQ(reports[0].tunnel_id, kTunnelId);
    EXPECT_EQ(reports[0].peer, peer);
    EXPECT_EQ(reports[0].time_to_direct_ms, 0u);
  }
  EXPECT_TRUE(a.events_of<TunnelUp>().empty());
  // A re-plan of the relayed pair is a negotiation of its own: the punch now
  // gets through, and that one is reported direct.
  wire.filter = nullptr;
  instruct_with_relay(kTunnelId + 1);
  wire.run_for(30s);
  auto reports = outcomes(a, sa, ca);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].tunnel_id, kTunnelId + 1);
  EXPECT_EQ(reports[0].outcome, NegotiationOutcome::kDirect);
}

}  // namespace
}  // namespace yt::test
