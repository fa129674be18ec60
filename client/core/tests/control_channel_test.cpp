// The control connection's state machine (control_channel.h), driven through
// ClientCore against a scripted server that runs the real handshake.
#include "client/core/control_channel.h"

#include <gtest/gtest.h>

#include "client/core/tests/test_support.h"

namespace yt::test {
namespace {

const Endpoint kAlice{Ipv4::from_octets(203, 0, 113, 1), 40001};
const Ipv4 kVip = Ipv4::from_octets(25, 1, 2, 3);

struct ControlTest : ::testing::Test {
  Identity server_id = make_server_identity();
  ScriptedServer server{server_id};
  Driven c{1, kAlice, server_id.public_key};
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(ControlTest, StartOpensTheControlStreamToTheServer) {
  EXPECT_EQ(c.core->state(), ClientState::kStopped);
  c.start(kT0);
  ASSERT_EQ(c.opens.size(), 1u);
  EXPECT_EQ(c.opens[0].to, kServer);
  EXPECT_EQ(c.core->state(), ClientState::kConnecting);
  EXPECT_EQ(c.core->next_deadline(), kT0 + 10s);  // login_timeout
}

TEST_F(ControlTest, HandshakeThenSealedLoginThenLoggedIn) {
  c.start(kT0);
  ConnId conn = c.opens[0].conn;
  c.connected(kT0, conn);
  EXPECT_EQ(c.core->state(), ClientState::kLoggingIn);
  auto frames = server.frames(c.take_stream(conn));
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].type, ControlFrameType::kHandshakeInit);

  c.data(kT0, conn, server.accept(frames[0], kT0));
  EXPECT_EQ(server.client_key, c.identity.public_key);  // the server authenticated us
  auto login = server.messages(c.take_stream(conn));
  ASSERT_EQ(login.size(), 1u);
  const auto& request = std::get<LoginRequest>(login[0]);
  EXPECT_EQ(request.nickname, "node1");
  EXPECT_EQ(request.lan_endpoints, std::vector<Endpoint>{kAlice});

  c.data(kT0 + 5ms, conn, server.seal(ok_login(kVip)));

  answer_tcp_mapping(c, kT0 + 5ms);
  auto logged = c.events_of<LoggedIn>();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].virtual_ip, kVip);
  EXPECT_EQ(c.core->virtual_ip(), kVip);
  EXPECT_EQ(c.core->state(), ClientState::kDiscovering);
  EXPECT_EQ(c.sent<DiscoveryProbe>().size(), 1u);
}

TEST_F(ControlTest, WrongPinnedServerKeyIsRejectedAndRetried) {
  Identity impostor_pin = make_server_identity(6);
  Driven wrong{2, kAlice, impostor_pin.public_key};
  wrong.start(kT0);
  ConnId conn = wrong.opens[0].conn;
  wrong.connected(kT0, conn);
  auto frames = server.frames(wrong.take_stream(conn));
  ASSERT_EQ(frames.size(), 1u);
  std::optional<HandshakeError> error;
  EXPECT_TRUE(server.accept(frames[0], kT0, &error).empty());
  EXPECT_EQ(error, HandshakeError::kWrongResponderKey);

  wrong.data(kT0, conn, ScriptedServer::reject(HandshakeRejectReason::kBadHandshake, "cannot decrypt"));
  auto failed = wrong.events_of<LoginFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_TRUE(contains(failed[0].reason, "server key mismatch")) << failed[0].reason;
  EXPECT_TRUE(contains(failed[0].reason, "cannot decrypt")) << failed[0].reason;
  ASSERT_EQ(wrong.closes.size(), 1u);
  EXPECT_EQ(wrong.closes[0].conn, conn);
  EXPECT_EQ(wrong.core->state(), ClientState::kConnecting);
  EXPECT_TRUE(wrong.events_of<LoggedIn>().empty());
}

TEST_F(ControlTest, ServerThatCannotProveThePinnedKeyFailsLogin) {
  // A man in the middle holds another key: it cannot read msg1, and its own msg2
  // (from a handshake it ran with the wrong key) does not authenticate.
  Identity mitm = make_server_identity(6);
  c.start(kT0);
  ConnId conn = c.opens[0].conn;
  c.connected(kT0, conn);
  server.frames(c.take_stream(conn));
  Driven victim{3, kAlice, mitm.public_key};
  ScriptedServer fake{mitm};
  victim.start(kT0);
  victim.connected(kT0, victim.opens[0].conn);
  Bytes forged = fake.accept(fake.frames(victim.take_stream(victim.opens[0].conn))[0], kT0);

  c.data(kT0, conn, forged);
  auto failed = c.events_of<LoginFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].reason, "server failed authentication: not the pinned key");
  EXPECT_EQ(c.stats().control_failures, 1u);
  EXPECT_EQ(c.closes.size(), 1u);
}

// Frames only a client sends (the handshake's first message, the TCP mapping
// probe's) are counted as failures when they come back, and change nothing.
TEST_F(ControlTest, AClientsOwnFrameTypesFromTheServerAreFailures) {
  c.start(kT0);
  ConnId conn = c.opens[0].conn;
  c.connected(kT0, conn);
  server.frames(c.take_stream(conn));
  for (ControlFrameType type : {ControlFrameType::kTcpMapping, ControlFrameType::kHandshakeInit}) {
    ControlFrame frame;
    frame.type = type;
    if (type == ControlFrameType::kHandshakeInit) frame.body = Bytes(32, 1);
    c.data(kT0, conn, *frame_for_stream(encode_control_frame(frame)));
  }
  EXPECT_EQ(c.stats().control_failures, 2u);
  EXPECT_EQ(c.core->state(), ClientState::kLoggingIn);
  EXPECT_TRUE(c.events_of<LoginFailed>().empty());
}

TEST_F(ControlTest, RejectsBackOffExponentiallyWithJitterUpToTheMaximum) {
  c.start(kT0);
  Time now = kT0;
  std::vector<Duration> waits;
  for (int attempt = 0; attempt < 9; ++attempt) {
    ASSERT_EQ(c.opens.size(), std::size_t(attempt + 1));
    ConnId conn = c.opens.back().conn;
    c.connected(now, conn);
    c.take_stream(conn);
    c.data(now, conn, ScriptedServer::reject(HandshakeRejectReason::kServerBusy, ""));
    ASSERT_EQ(c.events_of<LoginFailed>().size(), std::size_t(attempt + 1));
    Time failed_at = now;
    auto retry = c.core->next_deadline();
    ASSERT_TRUE(retry);
    now = *retry;
    c.timer(now);
    waits.push_back(now - failed_at);
  }
  // base 1, 2, 4, ... capped at 60 s; each wait in (0.8 * base, base].
  Duration base = 1s;
  for (Duration wait : waits) {
    EXPECT_LE(wait, base);
    EXPECT_GT(wait, base * 4 / 5);
    base = std::min<Duration>(base * 2, 60s);
  }
  // Every attempt used a new connection id.
  for (std::size_t i = 1; i < c.opens.size(); ++i) EXPECT_GT(c.opens[i].conn, c.opens[i - 1].conn);
  EXPECT_EQ(c.stats().reconnects, 9u);
  EXPECT_EQ(c.events_of<LoginFailed>()[0].reason, "server busy");
}

// A server under a login storm names when to come back: the client waits that long
// (spread by up to a second), but never longer than its own longest backoff.
TEST_F(ControlTest, ABusyServersRetryTimeIsHeededAndCapped) {
  c.start(kT0);
  ConnId conn = c.opens.back().conn;
  c.connected(kT0, conn);
  c.take_stream(conn);
  c.data(kT0, conn, ScriptedServer::reject(HandshakeRejectReason::kServerBusy, "too many logins right now", 30));
  auto retry = c.core->next_deadline();
  ASSERT_TRUE(retry);
  EXPECT_GE(*retry - kT0, 30s);
  EXPECT_LT(*retry - kT0, 31s);
  EXPECT_NE(c.events_of<LoginFailed>()[0].reason.find("too many logins right now"), std::string::npos);

  c.timer(*retry);
  Time now = *retry;
  conn = c.opens.back().conn;
  c.connected(now, conn);
  c.take_stream(conn);
  c.data(now, conn, ScriptedServer::reject(HandshakeRejectReason::kServerBusy, "", 65535));
  retry = c.core->next_deadline();
  ASSERT_TRUE(retry);
  EXPECT_LT(*retry - now, 61s);  // reconnect_max, plus the spread
}

// Anyone on the path can write a reject: its text reaches logs and terminals escaped.
TEST_F(ControlTest, AnInjectedRejectTextCannotDrawOnTheTerminal) {
  c.start(kT0);
  ConnId conn = c.opens.back().conn;
  c.connected(kT0, conn);
  c.take_stream(conn);
  c.data(kT0, conn, ScriptedServer::reject(HandshakeRejectReason::kServerBusy, "x\x1b[2J\nroot# "));
  auto failed = c.events_of<LoginFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].reason.find('\x1b'), std::string::npos) << failed[0].reason;
  EXPECT_EQ(failed[0].reason.find('\n'), std::string::npos) << failed[0].reason;
  EXPECT_TRUE(contains(failed[0].reason, "x\\x1b[2J\\nroot# ")) << failed[0].reason;
}

TEST_F(ControlTest, RefusedLoginFailsWithTheServersReason) {
  c.start(kT0);
  ConnId conn = handshake(c, server, kT0);
  LoginReply refused;
  refused.code = ReplyCode::kServerError;
  refused.message = "disk on fire";
  c.data(kT0, conn, server.seal(refused));
  auto failed = c.events_of<LoginFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_TRUE(contains(failed[0].reason, "disk on fire")) << failed[0].reason;
  EXPECT_EQ(c.closes.size(), 1u);
}

TEST_F(ControlTest, LoginTimesOut) {
  c.start(kT0);
  ConnId conn = c.opens[0].conn;
  c.connected(kT0 + 1s, conn);
  c.run_timers(kT0 + 10s - 1us);
  EXPECT_TRUE(c.events_of<LoginFailed>().empty());
  c.run_timers(kT0 + 10s);
  auto failed = c.events_of<LoginFailed>();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].reason, "login timed out after 10 s");
  EXPECT_EQ(c.closes.size(), 1u);
}

TEST_F(ControlTest, RefusedConnectionRetries) {
  c.start(kT0);
  c.closed(kT0 + 20ms, c.opens[0].conn);
  ASSERT_EQ(c.events_of<LoginFailed>().size(), 1u);
  EXPECT_EQ(c.events_of<LoginFailed>()[0].reason, "could not connect to the server");
  EXPECT_TRUE(c.closes.empty());  // the driver reported it closed; nothing to close
  c.run_timers(kT0 + 2s);
  EXPECT_EQ(c.opens.size(), 2u);
}

// Several servers of one user base: an unreachable one sends the client to the
// next within failover_spread; only when all failed in a row does backoff grow.
TEST_F(ControlTest, AnUnreachableServerFailsOverToTheNextAndBackoffWaitsForAFullRound) {
  const Endpoint second{Ipv4::from_octets(198, 51, 100, 2), 12975};
  ClientConfig config;
  config.fallback_servers = {second};
  config.reconnect_min = 4s;
  Driven d{3, kAlice, server_id.public_key, config};
  d.start(kT0);
  ASSERT_EQ(d.opens.size(), 1u);
  EXPECT_EQ(d.opens[0].to, kServer);

  d.closed(kT0 + 10ms, d.opens[0].conn);  // refused: this server is down
  ASSERT_TRUE(d.core->next_deadline().has_value());
  EXPECT_LE(*d.core->next_deadline(), kT0 + 10ms + 1s);
  d.run_timers(kT0 + 1100ms);
  ASSERT_EQ(d.opens.size(), 2u);
  EXPECT_EQ(d.opens[1].to, second);

  d.closed(kT0 + 1200ms, d.opens[1].conn);  // the second is down too: a round failed
  ASSERT_TRUE(d.core->next_deadline().has_value());
  const Time retry = *d.core->next_deadline();
  EXPECT_GE(retry, kT0 + 1200ms + 2s);  // the backoff (jittered from 4 s)
  d.run_timers(retry);
  ASSERT_EQ(d.opens.size(), 3u);
  EXPECT_EQ(d.opens[2].to, kServer);  // round robin

  // Logged in on the first; when it is lost, the second is tried at once.
  ConnId conn = d.opens[2].conn;
  d.connected(retry, conn);
  d.data(retry, conn, server.accept(server.frames(d.take_stream(conn))[0], retry));
  d.take_stream(conn);
  d.data(retry, conn, server.seal(ok_login(kVip)));
  answer_tcp_mapping(d, retry);
  ASSERT_EQ(d.events_of<LoggedIn>().size(), 1u);
  d.closed(retry + 5s, conn);
  d.run_timers(retry + 6s + 10ms);
  ASSERT_EQ(d.opens.size(), 4u);
  EXPECT_EQ(d.opens[3].to, second);
}

// RefreshMapping: one probe to the named server port, so the server sees our NAT's
// newest mapping; never to an address that is not the server's.
TEST_F(ControlTest, ARefreshMappingSendsOneProbeToTheServerOnly) {
  ConnId conn = bring_online(c, server, kT0, kAlice, kVip);
  const std::size_t before = c.sent<DiscoveryProbe>().size();
  const Endpoint fresh{kDiscovery.ip, 3490};
  c.data(kT0 + 1s, conn, server.seal(RefreshMapping{fresh}));
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_EQ(probes.size(), before + 1);
  EXPECT_EQ(probes.back().first, fresh);
  EXPECT_EQ(probes.back().second.token, probes.front().second.token);
  // Its answer is expected, not malformed.
  const std::uint64_t malformed = c.core->stats().malformed_datagrams;
  c.datagram(kT0 + 1s, fresh, encode_datagram(DiscoveryReply{probes.back().second.transaction, kAlice, fresh}));
  EXPECT_EQ(c.core->stats().malformed_datagrams, malformed);

  const std::uint64_t failures = c.core->stats().control_failures;
  c.data(kT0 + 2s, conn, server.seal(RefreshMapping{Endpoint{Ipv4::from_octets(192, 0, 2, 99), 53}}));
  EXPECT_EQ(c.sent<DiscoveryProbe>().size(), before + 1);
  EXPECT_EQ(c.core->stats().control_failures, failures + 1);
}

TEST_F(ControlTest, PingsAndDeclaresTheServerLostAfterSilence) {
  ConnId conn = bring_online(c, server, kT0, kAlice, kVip);
  c.run_timers(kT0 + 30s);
  auto pings = server.messages(c.take_stream(conn));
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<Ping>(pings[0]));

  // The server answers one ping at 30 s, then goes silent: lost 75 s after that.
  c.data(kT0 + 30s, conn, server.seal(Pong{std::get<Ping>(pings[0]).nonce}));
  c.run_timers(kT0 + 105s - 1us);
  EXPECT_TRUE(c.events_of<ServerLost>().empty());
  c.run_timers(kT0 + 105s);
  auto lost = c.events_of<ServerLost>();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].reason, "no frame from the server for 75 s");
  ASSERT_EQ(c.closes.size(), 1u);
  EXPECT_EQ(c.closes[0].conn, conn);
  EXPECT_EQ(c.core->state(), ClientState::kConnecting);

  // Reconnects after reconnect_min (with jitter) on a new connection.
  c.run_timers(kT0 + 106s);
  ASSERT_EQ(c.opens.size(), 2u);
  EXPECT_NE(c.opens[1].conn, conn);
}

// Roaming: the old connection runs over an address that may be gone and would
// only be declared lost after server_timeout of silence. The driver's network
// change notice replaces it at once, on a new connection id.
TEST_F(ControlTest, ANetworkChangeReplacesALiveConnectionAtOnce) {
  ConnId conn = bring_online(c, server, kT0, kAlice, kVip);
  const Endpoint lte{Ipv4::from_octets(10, 20, 30, 40), 40001};
  c.core->on_network_changed(kT0 + 1s, {lte});
  c.drain();
  auto lost = c.events_of<ServerLost>();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].reason, "the network changed");
  ASSERT_EQ(c.closes.size(), 1u);
  EXPECT_EQ(c.closes[0].conn, conn);
  ASSERT_EQ(c.opens.size(), 2u);
  EXPECT_NE(c.opens[1].conn, conn);
  EXPECT_EQ(c.stats().network_changes, 1u);
  // The new login offers the new LAN address.
  const ConnId fresh = c.opens[1].conn;
  c.connected(kT0 + 1s, fresh);
  auto frames = server.frames(c.take_stream(fresh));
  ASSERT_EQ(frames.size(), 1u);
  c.data(kT0 + 1s, fresh, server.accept(frames[0], kT0 + 1s));
  auto login = server.messages(c.take_stream(fresh));
  ASSERT_EQ(login.size(), 1u);
  EXPECT_EQ(std::get<LoginRequest>(login[0]).lan_endpoints, std::vector<Endpoint>{lte});
}

TEST_F(ControlTest, ANetworkChangeEndsABackoffWait) {
  c.start(kT0);
  Time now = kT0;
  for (int attempt = 0; attempt < 5; ++attempt) {  // the next wait is 16 s or more
    ConnId conn = c.opens.back().conn;
    c.closed(now, conn);
    now = *c.core->next_deadline();
    c.timer(now);
  }
  c.closed(now, c.opens.back().conn);
  ASSERT_GT(*c.core->next_deadline(), now + 10s);
  const std::size_t opens = c.opens.size();
  c.core->on_network_changed(now + 1s, {kAlice});
  c.drain();
  EXPECT_EQ(c.opens.size(), opens + 1);
  // and the backoff starts over: a refusal on the new network waits about a second
  c.closed(now + 1s, c.opens.back().conn);
  EXPECT_LE(*c.core->next_deadline(), now + 2s);
}

TEST_F(ControlTest, ANetworkChangeBeforeStartDoesNothing) {
  c.core->on_network_changed(kT0, {kAlice});
  c.drain();
  EXPECT_TRUE(c.opens.empty());
  EXPECT_EQ(c.stats().network_changes, 0u);
}

TEST_F(ControlTest, ServerClosingTheStreamIsServerLostAndFailsPendingRequests) {
  ConnId conn = bring_online(c, server, kT0, kAlice, kVip);
  auto id = c.core->join_network(kT0, "lan", "pw");
  ASSERT_TRUE(id);
  c.drain();
  c.closed(kT0 + 1s, conn);
  ASSERT_EQ(c.events_of<ServerLost>().size(), 1u);
  auto done = c.events_of<RequestDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].request_id, id.value());
  EXPECT_EQ(done[0].code, ReplyCode::kNotLoggedIn);
  auto again = c.core->join_network(kT0 + 1s, "lan", "pw");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error(), SendError::kNotLoggedIn);
}

TEST_F(ControlTest, GarbageOnTheStreamIsCountedAndAZeroLengthFrameEndsTheConnection) {
  ConnId conn = bring_online(c, server, kT0, kAlice, kVip);
  Bytes junk = {0x00, 0x03, 0x01, 0x04, 0xFF};  // a sealed frame that does not open
  c.data(kT0, conn, junk);
  EXPECT_EQ(c.stats().control_failures, 1u);
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
  Bytes unauth_reject = ScriptedServer::reject(HandshakeRejectReason::kBadHandshake, "ha");
  c.data(kT0, conn, unauth_reject);  // after the handshake: ignored, counted
  EXPECT_EQ(c.stats().control_failures, 2u);
  EXPECT_TRUE(c.events_of<LoginFailed>().empty());
  c.data(kT0, conn, Bytes{0x00, 0x00});
  EXPECT_EQ(c.stats().control_failures, 3u);
  EXPECT_EQ(c.events_of<ServerLost>().size(), 1u);
  EXPECT_EQ(c.closes.size(), 1u);
}

TEST_F(ControlTest, FramesSplitAcrossReadsAreReassembled) {
  c.start(kT0);
  ConnId conn = handshake(c, server, kT0);
  Bytes reply = server.seal(ok_login(kVip));
  for (std::uint8_t b : reply) c.data(kT0, conn, Bytes{b});
  EXPECT_EQ(c.events_of<LoggedIn>().size(), 1u);
}

TEST_F(ControlTest, StopClosesTheStreamAndStopsEverything) {
  ConnId conn = bring_online(c, server, kT0, kAlice, kVip);
  c.core->stop(kT0 + 1s);
  c.drain();
  ASSERT_EQ(c.closes.size(), 1u);
  EXPECT_EQ(c.closes[0].conn, conn);
  EXPECT_EQ(c.core->state(), ClientState::kStopped);
  EXPECT_EQ(c.core->next_deadline(), std::nullopt);
  // Late bytes for the old connection are ignored.
  c.data(kT0 + 2s, conn, server.seal(Ping{1}));
  EXPECT_TRUE(c.take_stream(conn).empty());
}

TEST_F(ControlTest, ReplacedByAnotherCopyOfTheKeyStopsWithoutReconnecting) {
  ConnId conn = bring_online(c, server, kT0, kAlice, kVip);
  auto id = c.core->join_network(kT0, "lan", "pw");
  ASSERT_TRUE(id);
  c.drain();
  const Endpoint elsewhere{Ipv4::from_octets(198, 51, 100, 7), 4000};
  c.data(kT0 + 1s, conn, server.seal(SessionReplaced{elsewhere}));
  auto replaced = c.events_of<LoggedInElsewhere>();
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].by, elsewhere);
  EXPECT_TRUE(c.events_of<ServerLost>().empty());
  auto done = c.events_of<RequestDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].code, ReplyCode::kNotLoggedIn);
  ASSERT_EQ(c.closes.size(), 1u);
  EXPECT_EQ(c.closes[0].conn, conn);
  EXPECT_EQ(c.core->state(), ClientState::kStopped);
  // Unlike a lost server, nothing is retried, however long we wait...
  EXPECT_EQ(c.core->next_deadline(), std::nullopt);
  c.run_timers(kT0 + 600s);
  EXPECT_EQ(c.opens.size(), 1u);
  // ...until the user takes the session back.
  c.core->start(kT0 + 601s);
  c.drain();
  EXPECT_EQ(c.opens.size(), 2u);
}

TEST_F(ControlTest, ReplacedBeforeLoginCompletedIsNotAcceptedAsALoginReply) {
  c.start(kT0);
  ConnId conn = handshake(c, server, kT0);
  c.data(kT0, conn, server.seal(SessionReplaced{kAlice}));
  EXPECT_TRUE(c.events_of<LoggedInElsewhere>().empty());
  EXPECT_EQ(c.stats().control_failures, 1u);
}

}  // namespace
}  // namespace yt::test
