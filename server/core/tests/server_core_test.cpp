#include "server/core/server_core.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

#include "server/core/memory_storage.h"
#include "server/core/tests/server_harness.h"

namespace yt::test {
namespace {

bool in_usable_range(Ipv4 ip, const Ipv4Prefix& range) {
  return range.contains(ip) && ip != range.base && ip != range.broadcast();
}

// A and B in one network "lan", both online, their tunnel instructions taken (and
// kept in ta, tb: one each).
struct TwoPeers {
  MemoryStorage storage;
  Harness h;
  FakeClient* a = nullptr;
  FakeClient* b = nullptr;
  std::vector<TunnelInstruction> ta, tb;

  explicit TwoPeers(ServerConfig config = test_config()) : h(storage, std::move(config)) {
    a = &h.connect();
    b = &h.connect();
    h.bring_online(*a, "alice");
    h.bring_online(*b, "bob");
    EXPECT_EQ(h.request(*a, CreateNetwork{1, "lan", "secret"}).code, ReplyCode::kOk);
    EXPECT_EQ(h.request(*b, JoinNetwork{2, "lan", "secret"}).code, ReplyCode::kOk);
    ta = a->take<TunnelInstruction>();
    tb = b->take<TunnelInstruction>();
    EXPECT_EQ(ta.size(), 1u);
    EXPECT_EQ(tb.size(), 1u);
    a->inbox().clear();
    b->inbox().clear();
  }
};

// ---- login and addresses

TEST(ServerCoreLogin, AssignsAnAddressInRangeAndKeepsItForTheKey) {
  MemoryStorage storage;
  Identity id;
  Ipv4 first;
  {
    Harness h(storage);
    FakeClient& c = h.connect();
    id = c.identity();
    LoginReply reply = h.login(c, "alice");
    EXPECT_EQ(reply.code, ReplyCode::kOk);
    EXPECT_TRUE(in_usable_range(reply.virtual_ip, test_config().address_range));
    EXPECT_EQ(reply.prefix_length, 8);
    EXPECT_NE(reply.discovery_token, 0u);
    EXPECT_EQ(reply.discovery_endpoints, std::vector<Endpoint>{kPrimary});
    first = reply.virtual_ip;

    h.close(c);
    FakeClient& again = h.connect(id);
    EXPECT_EQ(h.login(again, "alice").virtual_ip, first);
    EXPECT_EQ(h.server().stats().logins, 2u);
  }
  // A restarted server over the same storage gives the same address.
  Harness restarted(storage, test_config(), /*seed=*/99);
  FakeClient& c = restarted.connect(id);
  EXPECT_EQ(restarted.login(c).virtual_ip, first);
}

TEST(ServerCoreLogin, DifferentKeysGetDifferentAddresses) {
  MemoryStorage storage;
  Harness h(storage);
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 50; ++i) {
    FakeClient& c = h.connect();
    LoginReply reply = h.login(c);
    ASSERT_EQ(reply.code, ReplyCode::kOk);
    EXPECT_TRUE(in_usable_range(reply.virtual_ip, test_config().address_range));
    EXPECT_TRUE(seen.insert(reply.virtual_ip.value).second);
  }
}

TEST(ServerCoreLogin, SmallRangeIsFilledWithoutNetworkOrBroadcastThenRefuses) {
  MemoryStorage storage;
  ServerConfig config = test_config();
  config.address_range = *Ipv4Prefix::parse("10.9.0.0/29");  // 6 usable hosts
  Harness h(storage, config);
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 6; ++i) {
    FakeClient& c = h.connect();
    LoginReply reply = h.login(c);
    ASSERT_EQ(reply.code, ReplyCode::kOk);
    EXPECT_TRUE(in_usable_range(reply.virtual_ip, config.address_range));
    EXPECT_TRUE(seen.insert(reply.virtual_ip.value).second);
  }
  FakeClient& seventh = h.connect();
  LoginReply reply = h.login(seventh);
  EXPECT_EQ(reply.code, ReplyCode::kServerError);
  EXPECT_FALSE(reply.message.empty());
}

TEST(ServerCoreLogin, EmptyNicknameShowsTheNodeId) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  auto record = storage.find_client(c.key());
  ASSERT_TRUE(record.ok() && record.value());
  EXPECT_EQ(record.value()->nickname, node_id(c.key()));
}

TEST(ServerCoreLogin, AForgingNicknameIsIgnoredNotStored) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  EXPECT_EQ(h.login(c, "eve\n  bank-server      25.0.0.1        online  direct").code, ReplyCode::kOk);
  auto record = storage.find_client(c.key());
  ASSERT_TRUE(record.ok() && record.value());
  EXPECT_EQ(record.value()->nickname, node_id(c.key()));
}

TEST(ServerCoreAdmission, ConnectionsOverThePerAddressCapAreToldAndClosed) {
  MemoryStorage storage;
  ServerConfig config = test_config();
  config.admission.max_connections_per_address = 2;
  Harness h(storage, config);
  const Ipv4 crowded = Ipv4::from_octets(192, 0, 2, 7);
  FakeClient& first = h.connect(std::nullopt, std::nullopt, crowded);
  FakeClient& second = h.connect(std::nullopt, std::nullopt, crowded);
  FakeClient& third = h.connect(std::nullopt, std::nullopt, crowded);
  EXPECT_FALSE(first.closed());
  EXPECT_FALSE(second.closed());
  EXPECT_TRUE(third.closed());
  ASSERT_EQ(third.rejects().size(), 1u);
  EXPECT_EQ(third.rejects()[0].reject_reason, HandshakeRejectReason::kServerBusy);
  EXPECT_NE(third.rejects()[0].reject_text.find("too many connections from your address"), std::string::npos);
  EXPECT_EQ(h.server().stats().connections_refused, 1u);
  // Another address is not affected, and a closed connection frees its slot.
  EXPECT_EQ(h.login(h.connect()).code, ReplyCode::kOk);
  h.close(first);
  FakeClient& fourth = h.connect(std::nullopt, std::nullopt, crowded);
  EXPECT_EQ(h.login(fourth).code, ReplyCode::kOk);
}

TEST(ServerCoreAdmission, AHandshakeFloodIsDeferredWithoutStarvingOtherLogins) {
  MemoryStorage storage;
  Harness h(storage);
  const Ipv4 flooder = Ipv4::from_octets(192, 0, 2, 66);
  std::size_t deferred = 0, established = 0;
  for (int i = 0; i < 200; ++i) {
    FakeClient& c = h.connect(std::nullopt, std::nullopt, flooder);
    h.handshake(c);
    if (c.established()) ++established;
    if (!c.rejects().empty()) {
      EXPECT_EQ(c.rejects()[0].reject_reason, HandshakeRejectReason::kServerBusy);
      EXPECT_GE(c.rejects()[0].retry_after_s, 1);
      EXPECT_TRUE(c.closed());
      ++deferred;
    }
    h.close(c);  // the flooder reconnects for every msg1
  }
  EXPECT_EQ(established, 16u);  // its burst; the clock did not move
  EXPECT_EQ(deferred, 184u);
  EXPECT_EQ(h.server().stats().handshakes_deferred, 184u);
  EXPECT_EQ(h.login(h.connect()).code, ReplyCode::kOk);  // someone else gets in at once
}

TEST(ServerCoreLogin, WrongPinnedServerKeyIsRejectedAndClosed) {
  MemoryStorage storage;
  Harness h(storage);
  SeededRandom other(1234);
  FakeClient& c = h.connect(std::nullopt, Identity::generate(other).public_key);
  h.handshake(c);
  EXPECT_FALSE(c.established());
  ASSERT_EQ(c.rejects().size(), 1u);
  EXPECT_EQ(c.rejects()[0].reject_reason, HandshakeRejectReason::kBadHandshake);
  EXPECT_NE(c.rejects()[0].reject_text.find("server's key"), std::string::npos);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(h.server().stats().handshake_failures, 1u);
  EXPECT_FALSE(h.server().next_deadline().has_value());
}

TEST(ServerCoreLogin, ReplayedHandshakeIsDroppedWithoutAnswer) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  Bytes hello = c.hello_bytes();
  h.send_bytes(c, hello);
  EXPECT_TRUE(c.established());
  FakeClient& replayer = h.connect();
  h.send_bytes(replayer, hello);
  EXPECT_TRUE(replayer.closed());
  EXPECT_TRUE(replayer.rejects().empty());
  EXPECT_EQ(h.server().stats().handshake_failures, 1u);
}

TEST(ServerCoreLogin, RequestsBeforeLoginAreRefused) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.handshake(c);
  EXPECT_EQ(h.request(c, CreateNetwork{5, "x", ""}).code, ReplyCode::kNotLoggedIn);
  EXPECT_EQ(h.request(c, JoinNetwork{6, "x", ""}).code, ReplyCode::kNotLoggedIn);
  auto network = storage.find_network("x");
  EXPECT_FALSE(network.value().has_value());
}

TEST(ServerCoreLogin, SecondLoginOnOneConnectionIsRefused) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  h.send(c, LoginRequest{"again", {}});
  auto replies = c.take<LoginReply>();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].code, ReplyCode::kInvalidArgument);
  EXPECT_FALSE(c.closed());
}

TEST(ServerCoreLogin, PingGetsPong) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  h.send(c, Ping{0xfeed});
  auto pongs = c.take<Pong>();
  ASSERT_EQ(pongs.size(), 1u);
  EXPECT_EQ(pongs[0].nonce, 0xfeedu);
}

// ---- malformed input

TEST(ServerCoreMalformed, GarbageFramesOfManyLengthsCloseTheConnection) {
  MemoryStorage storage;
  Harness h(storage);
  SeededRandom rng(5);
  for (std::size_t length = 1; length < 300; length += 7) {
    // Random frame, then a frame with a valid header around a random handshake body.
    FakeClient& c = h.connect();
    h.send_bytes(c, *frame_for_stream(rng.bytes(length)));
    EXPECT_TRUE(c.closed()) << length;

    FakeClient& d = h.connect();
    Bytes frame = {kProtocolVersion, static_cast<std::uint8_t>(ControlFrameType::kHandshakeInit)};
    Bytes body = rng.bytes(length);
    frame.insert(frame.end(), body.begin(), body.end());
    h.send_bytes(d, *frame_for_stream(frame));
    EXPECT_TRUE(d.closed()) << length;
  }
  EXPECT_GT(h.server().stats().malformed_frames + h.server().stats().handshake_failures, 0u);
  EXPECT_EQ(h.server().online_clients(), 0u);
}

TEST(ServerCoreMalformed, RawStreamGarbageNeverCrashes) {
  MemoryStorage storage;
  Harness h(storage);
  SeededRandom rng(6);
  for (std::size_t length = 0; length < 600; length += 13) {
    FakeClient& c = h.connect();
    h.send_bytes(c, rng.bytes(length));
    // Either closed, or waiting for the rest of a frame whose length prefix it read.
    if (!c.closed()) {
      h.advance(test_config().login_timeout);
      EXPECT_TRUE(c.closed());
    }
  }
}

TEST(ServerCoreMalformed, ZeroLengthFrameCloses) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.send_bytes(c, Bytes{0, 0});
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(h.server().stats().malformed_frames, 1u);
}

TEST(ServerCoreMalformed, SealedGarbageAfterHandshakeIsAnAuthFailure) {
  MemoryStorage storage;
  Harness h(storage);
  SeededRandom rng(7);
  for (std::size_t length = 1; length < 100; length += 9) {
    FakeClient& c = h.connect();
    h.login(c);
    Bytes frame = {kProtocolVersion, static_cast<std::uint8_t>(ControlFrameType::kSealed)};
    Bytes body = rng.bytes(length);
    frame.insert(frame.end(), body.begin(), body.end());
    h.send_bytes(c, *frame_for_stream(frame));
    EXPECT_TRUE(c.closed()) << length;
  }
  EXPECT_EQ(h.server().stats().auth_failures, 11u);
}

TEST(ServerCoreMalformed, ValidlySealedNonsenseIsMalformed) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  // A server-to-client message sent by a client.
  h.send(c, PeerOffline{});
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(h.server().stats().malformed_frames, 1u);
}

TEST(ServerCoreMalformed, SealedFrameBeforeHandshakeCloses) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  Bytes frame = {kProtocolVersion, static_cast<std::uint8_t>(ControlFrameType::kSealed), 1, 2, 3};
  h.send_bytes(c, *frame_for_stream(frame));
  EXPECT_TRUE(c.closed());
}

// ---- discovery

TEST(ServerCoreDiscovery, ValidTokenGetsTheMappedEndpoint) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  Endpoint mapped{Ipv4::from_octets(192, 0, 2, 7), 61000};
  auto reply = h.probe(c, mapped, c.token());
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->mapped, mapped);
  EXPECT_EQ(reply->responder, kPrimary);
  EXPECT_EQ(h.last_reply_source(), kPrimary);
  EXPECT_EQ(h.server().stats().discovery_replies, 1u);
}

TEST(ServerCoreDiscovery, UnknownTokenAndGarbageGetNothing) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  Endpoint from{Ipv4::from_octets(192, 0, 2, 7), 61000};
  EXPECT_FALSE(h.probe(c, from, c.token() + 1).has_value());
  EXPECT_FALSE(h.probe(c, from, 0).has_value());
  EXPECT_EQ(h.server().stats().unknown_discovery_tokens, 2u);

  h.server().on_datagram(h.now(), kPrimary, from, Bytes{1, 2, 3});
  h.server().on_datagram(h.now(), kPrimary, from, encode_datagram(PunchProbe{1, 2}));
  h.pump();
  EXPECT_TRUE(h.datagrams().empty());
  EXPECT_EQ(h.server().stats().malformed_datagrams, 2u);

  // A token dies with its connection.
  std::uint64_t token = c.token();
  h.close(c);
  EXPECT_FALSE(h.probe(c, from, token).has_value());
}

TEST(ServerCoreDiscovery, ALifetimeProbeIsAnsweredOnceAfterItsWaitFromWhereItArrived) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  const Endpoint mapped{Ipv4::from_octets(192, 0, 2, 7), 61000};
  const Endpoint quiet{kPrimary.ip, 3479};
  auto lifetime_replies = [&] {
    std::vector<SendDatagram> out;
    for (const SendDatagram& d : h.datagrams()) {
      auto decoded = decode_datagram(d.payload);
      if (decoded.ok() && std::holds_alternative<DiscoveryReply>(decoded.value())) out.push_back(d);
    }
    h.datagrams().clear();
    return out;
  };
  h.server().on_datagram(h.now(), quiet, mapped, encode_datagram(LifetimeProbe{c.token(), 42, 30}));
  h.pump();
  EXPECT_TRUE(lifetime_replies().empty());  // not before the wait
  ASSERT_EQ(h.server().next_deadline(), h.now() + 30s);
  h.advance(29s);
  EXPECT_TRUE(lifetime_replies().empty());
  h.advance(1s);
  auto sent = lifetime_replies();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].from, quiet);
  EXPECT_EQ(sent[0].to, mapped);
  EXPECT_EQ(std::get<DiscoveryReply>(decode_datagram(sent[0].payload).value()).transaction, 42u);
  EXPECT_EQ(h.server().stats().lifetime_replies, 1u);
  h.advance(40s);
  EXPECT_TRUE(lifetime_replies().empty());  // once

  // A new probe replaces the one waiting: one datagram per token at most.
  h.server().on_datagram(h.now(), quiet, mapped, encode_datagram(LifetimeProbe{c.token(), 1, 60}));
  h.server().on_datagram(h.now(), quiet, mapped, encode_datagram(LifetimeProbe{c.token(), 2, 15}));
  h.advance(20s);
  sent = lifetime_replies();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<DiscoveryReply>(decode_datagram(sent[0].payload).value()).transaction, 2u);

  // Strangers get nothing, and a client that left is not answered.
  h.server().on_datagram(h.now(), quiet, mapped, encode_datagram(LifetimeProbe{c.token() + 1, 3, 15}));
  EXPECT_EQ(h.server().stats().unknown_discovery_tokens, 1u);
  h.server().on_datagram(h.now(), quiet, mapped, encode_datagram(LifetimeProbe{c.token(), 4, 15}));
  h.close(c);
  h.advance(1min);
  EXPECT_TRUE(lifetime_replies().empty());
  EXPECT_EQ(h.server().stats().lifetime_replies, 2u);
}

TEST(ServerCoreDiscovery, ChangeRequestsAnswerFromTheAlternateEndpoints) {
  MemoryStorage storage;
  ServerConfig config = test_config();
  Endpoint other_port{kPrimary.ip, 3479};
  Endpoint other_ip{Ipv4::from_octets(198, 51, 100, 2), 3478};
  Endpoint other_both{other_ip.ip, 3479};
  config.discovery_endpoints = {kPrimary, other_port, other_ip, other_both};
  Harness h(storage, config);
  FakeClient& c = h.connect();
  h.login(c);
  Endpoint from{Ipv4::from_octets(192, 0, 2, 7), 61000};

  EXPECT_EQ(h.probe(c, from, c.token(), kPrimary, true, true)->responder, other_both);
  EXPECT_EQ(h.last_reply_source(), other_both);
  EXPECT_EQ(h.probe(c, from, c.token(), kPrimary, false, true)->responder, other_port);
  EXPECT_EQ(h.probe(c, from, c.token(), kPrimary, true, false)->responder, other_ip);
  EXPECT_EQ(h.probe(c, from, c.token(), other_both, true, true)->responder, kPrimary);
}

TEST(ServerCoreDiscovery, ChangeRequestWithoutAlternatesAnswersFromLocal) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  Endpoint from{Ipv4::from_octets(192, 0, 2, 7), 61000};
  EXPECT_EQ(h.probe(c, from, c.token(), kPrimary, true, true)->responder, kPrimary);
}

TEST(ServerCoreDiscovery, TheReportedProfileIsKeptPerSession) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.login(c);
  EXPECT_EQ(h.server().nat_profile(c.key()), std::nullopt);  // no report yet

  Endpoint mapped{Ipv4::from_octets(192, 0, 2, 7), 61000};
  ASSERT_TRUE(h.probe(c, mapped, c.token()).has_value());
  DiscoveryReport report;
  report.mapped_endpoint = mapped;
  report.profile.mapping = MappingBehavior::kAddressPortDependent;
  report.profile.allocation = PortAllocation::kSequential;
  report.profile.port_delta = 1;
  report.profile.mapping_known = true;
  report.profile.public_ips = {mapped.ip};
  h.send(c, report);
  auto kept = h.server().nat_profile(c.key());
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->summary(), "APDM/APDF? sequential(1)");
  EXPECT_EQ(kept->public_ips, std::vector<Ipv4>{mapped.ip});

  // A later report (the client's network changed) replaces it.
  report.profile = NatProfile{};
  report.profile.udp_blocked = true;
  h.send(c, report);
  EXPECT_TRUE(h.server().nat_profile(c.key())->udp_blocked);

  // It lives with the session.
  h.close(c);
  EXPECT_EQ(h.server().nat_profile(c.key()), std::nullopt);
}

// ---- going online and tunnels

TEST(ServerCoreTunnels, TwoMembersOnlineGetMatchingInstructions) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& a = h.connect();
  FakeClient& b = h.connect();
  h.login(a, "alice");
  h.login(b, "bob");
  ASSERT_EQ(h.request(a, CreateNetwork{1, "lan", "pw"}).code, ReplyCode::kOk);
  ASSERT_EQ(h.request(b, JoinNetwork{2, "lan", "pw"}).code, ReplyCode::kOk);
  EXPECT_TRUE(a.take<TunnelInstruction>().empty());  // nobody is online yet
  EXPECT_EQ(a.take<NetworkSnapshot>().size(), 1u);  // the create's resync
  EXPECT_EQ(b.take<NetworkSnapshot>().size(), 1u);  // the join's resync
  a.inbox().clear();
  b.inbox().clear();

  Endpoint mapped_a{Ipv4::from_octets(192, 0, 2, 1), 40001};
  Endpoint mapped_b{Ipv4::from_octets(192, 0, 2, 2), 40002};
  h.discover(a, mapped_a);
  EXPECT_EQ(a.take<NetworkSnapshot>().size(), 1u);
  EXPECT_TRUE(a.take<TunnelInstruction>().empty());  // b is not online yet
  h.discover(b, mapped_b);
  EXPECT_EQ(h.server().online_clients(), 2u);

  auto snapshots = b.take<NetworkSnapshot>();
  ASSERT_EQ(snapshots.size(), 1u);
  ASSERT_EQ(snapshots[0].networks.size(), 1u);
  EXPECT_EQ(snapshots[0].networks[0].name, "lan");
  ASSERT_EQ(snapshots[0].networks[0].members.size(), 2u);
  for (const MemberInfo& m : snapshots[0].networks[0].members) EXPECT_TRUE(m.online);

  auto updates = a.take<MemberUpdate>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].network, "lan");
  EXPECT_EQ(updates[0].member.key, b.key());
  EXPECT_EQ(updates[0].member.nickname, "bob");
  EXPECT_TRUE(updates[0].member.online);

  auto ta = a.take<TunnelInstruction>();
  auto tb = b.take<TunnelInstruction>();
  ASSERT_EQ(ta.size(), 1u);
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(ta[0].tunnel_id, tb[0].tunnel_id);
  EXPECT_NE(ta[0].tunnel_id, 0u);
  EXPECT_NE(ta[0].role, tb[0].role);
  EXPECT_EQ(ta[0].role, a.key() < b.key() ? TunnelRole::kInitiator : TunnelRole::kResponder);
  EXPECT_EQ(ta[0].peer, b.key());
  EXPECT_EQ(tb[0].peer, a.key());
  EXPECT_EQ(ta[0].peer_virtual_ip, b.virtual_ip());
  EXPECT_EQ(tb[0].peer_virtual_ip, a.virtual_ip());
  EXPECT_EQ(ta[0].candidates, std::vector<Endpoint>{mapped_b});
  EXPECT_EQ(tb[0].candidates, std::vector<Endpoint>{mapped_a});
  EXPECT_EQ(ta[0].start_delay_ms, 250u);
  EXPECT_EQ(h.server().stats().tunnel_instructions, 2u);
}

// A kTcpMapping connection carrying `token`, as a client's punch port opens it: the
// source the server records as that client's TCP mapping.
Endpoint teach_tcp_mapping(Harness& h, std::uint64_t token) {
  FakeClient& probe = h.connect();
  ControlFrame frame;
  frame.type = ControlFrameType::kTcpMapping;
  frame.token = token;
  h.send_bytes(probe, *frame_for_stream(encode_control_frame(frame)));
  EXPECT_TRUE(probe.closed());
  EXPECT_TRUE(probe.inbox().empty());
  return probe.remote();
}

// A kTcpMapping connection from the client's punch port: its source is the TCP
// mapping the server records (and closes the connection, first), and a pair with a
// udp-blocked side is planned a TCP punch between the two mappings.
TEST(ServerCoreTunnels, TcpMappingsLearnedFromTokensGiveAUdpBlockedPairATcpPunch) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& a = h.connect();
  FakeClient& b = h.connect();
  h.login(a, "alice");
  h.login(b, "bob");
  const Endpoint tcp_a = teach_tcp_mapping(h, a.token());
  const Endpoint tcp_b = teach_tcp_mapping(h, b.token());
  teach_tcp_mapping(h, 0x5eed);  // nobody's
  EXPECT_EQ(h.server().stats().tcp_mappings, 2u);
  EXPECT_EQ(h.server().stats().tcp_mappings_unknown_token, 1u);
  EXPECT_FALSE(a.closed());  // the control connections are untouched

  ASSERT_EQ(h.request(a, CreateNetwork{1, "lan", "pw"}).code, ReplyCode::kOk);
  ASSERT_EQ(h.request(b, JoinNetwork{2, "lan", "pw"}).code, ReplyCode::kOk);
  DiscoveryReport blocked;  // a's UDP is blocked: no probe came
  blocked.profile.udp_blocked = true;
  h.send(a, blocked);
  h.discover(b, Endpoint{Ipv4::from_octets(192, 0, 2, 2), 40002});
  auto ta = a.take<TunnelInstruction>();
  auto tb = b.take<TunnelInstruction>();
  ASSERT_EQ(ta.size(), 1u);
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(ta[0].tcp.target, tcp_b);
  EXPECT_EQ(tb[0].tcp.target, tcp_a);
  EXPECT_EQ(tb[0].tcp.after_ms, 0u);  // b's SYN dies at a's filter; a's then gets through
  EXPECT_GT(ta[0].tcp.after_ms, 0u);
}

// TCP where UDP fails: a pair of endpoint-independent NATs whose plan ended
// relayed is re-planned with a TCP punch beside the UDP one; a direct outcome
// takes it back to UDP only.
TEST(ServerCoreTunnels, APairWhoseUdpPlanEndedRelayedIsReplannedWithTcp) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& a = h.connect();
  FakeClient& b = h.connect();
  h.login(a, "alice");
  h.login(b, "bob");
  const Endpoint tcp_b = teach_tcp_mapping(h, b.token());
  teach_tcp_mapping(h, a.token());
  ASSERT_EQ(h.request(a, CreateNetwork{1, "lan", "pw"}).code, ReplyCode::kOk);
  ASSERT_EQ(h.request(b, JoinNetwork{2, "lan", "pw"}).code, ReplyCode::kOk);
  NatProfile cone;
  cone.behind_nat = true;
  cone.mapping_known = cone.filtering_known = true;
  cone.mapping = MappingBehavior::kEndpointIndependent;
  cone.filtering = FilteringBehavior::kAddressPortDependent;
  // Discovery as the harness does it, with the profile the clients measured.
  for (auto [c, mapped] : {std::pair{&a, Endpoint{Ipv4::from_octets(192, 0, 2, 1), 40001}},
                           std::pair{&b, Endpoint{Ipv4::from_octets(192, 0, 2, 2), 40002}}}) {
    auto reply = h.probe(*c, mapped, c->token());
    ASSERT_TRUE(reply.has_value());
    h.send(*c, DiscoveryReport{reply->mapped, cone});
  }
  auto ta = a.take<TunnelInstruction>();
  b.take<TunnelInstruction>();
  ASSERT_EQ(ta.size(), 1u);
  EXPECT_FALSE(ta[0].tcp.enabled());  // UDP first

  h.send(a, TunnelOutcome{ta[0].tunnel_id, b.key(), NegotiationOutcome::kRelayed, 0});
  h.advance(std::chrono::seconds(11));  // past the RequestTunnel rate limit
  h.send(a, RequestTunnel{b.key()});
  ta = a.take<TunnelInstruction>();
  auto tb = b.take<TunnelInstruction>();
  ASSERT_EQ(ta.size(), 1u);
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(ta[0].tcp.target, tcp_b);
  EXPECT_TRUE(tb[0].tcp.enabled());
  EXPECT_FALSE(ta[0].candidates.empty());  // and UDP again

  h.send(b, TunnelOutcome{tb[0].tunnel_id, a.key(), NegotiationOutcome::kDirect, 900});
  h.advance(std::chrono::seconds(11));
  h.send(a, RequestTunnel{b.key()});
  ta = a.take<TunnelInstruction>();
  ASSERT_EQ(ta.size(), 1u);
  EXPECT_FALSE(ta[0].tcp.enabled());
}

TEST(ServerCoreTunnels, JoinWhileBothOnlineInstructsOnceOnly) {
  TwoPeers p;  // the join itself instructed the pair
  // A second shared network and other changes must not instruct the pair again.
  ASSERT_EQ(p.h.request(*p.a, CreateNetwork{3, "second", ""}).code, ReplyCode::kOk);
  ASSERT_EQ(p.h.request(*p.b, JoinNetwork{4, "second", "anything"}).code, ReplyCode::kOk);
  ASSERT_EQ(p.h.request(*p.b, SetNickname{5, "robert"}).code, ReplyCode::kOk);
  EXPECT_TRUE(p.a->take<TunnelInstruction>().empty());
  EXPECT_TRUE(p.b->take<TunnelInstruction>().empty());
  auto updates = p.a->take<MemberUpdate>();
  ASSERT_FALSE(updates.empty());
  EXPECT_EQ(updates.back().member.nickname, "robert");
}

TEST(ServerCoreTunnels, SamePublicIpPutsLanEndpointsFirst) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& a = h.connect();
  FakeClient& b = h.connect();
  Endpoint lan_a{Ipv4::from_octets(192, 168, 1, 10), 5000};
  Endpoint lan_b{Ipv4::from_octets(192, 168, 1, 11), 5000};
  Ipv4 shared_public = Ipv4::from_octets(192, 0, 2, 50);
  h.bring_online(a, "a", {lan_a}, Endpoint{shared_public, 1001});
  h.bring_online(b, "b", {lan_b}, Endpoint{shared_public, 1002});
  ASSERT_EQ(h.request(a, CreateNetwork{1, "home", ""}).code, ReplyCode::kOk);
  ASSERT_EQ(h.request(b, JoinNetwork{2, "home", ""}).code, ReplyCode::kOk);
  auto ta = a.take<TunnelInstruction>();
  ASSERT_EQ(ta.size(), 1u);
  EXPECT_EQ(ta[0].candidates, (std::vector<Endpoint>{lan_b, Endpoint{shared_public, 1002}}));
  auto tb = b.take<TunnelInstruction>();
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(tb[0].candidates, (std::vector<Endpoint>{lan_a, Endpoint{shared_public, 1001}}));
}

// A client behind a sequential symmetric NAT: its discovery probes arrive from
// mappings 40000..40003 (one per server endpoint), then it reports the profile.
void discover_symmetric(Harness& h, FakeClient& c, Ipv4 public_ip) {
  const Endpoint alternates[] = {kPrimary, Endpoint{kPrimary.ip, 3479}, Endpoint{Ipv4::from_octets(198, 51, 100, 5), 3478},
                                 Endpoint{Ipv4::from_octets(198, 51, 100, 5), 3479}};
  for (std::uint16_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(h.probe(c, Endpoint{public_ip, static_cast<std::uint16_t>(40000 + i)}, c.token(), alternates[i]));
  }
  ASSERT_TRUE(h.probe(c, Endpoint{public_ip, 40001}, c.token(), alternates[1]));  // a retransmission
  DiscoveryReport report;
  report.mapped_endpoint = Endpoint{public_ip, 40000};
  report.profile.mapping = MappingBehavior::kAddressPortDependent;
  report.profile.mapping_known = true;
  report.profile.allocation = PortAllocation::kSequential;
  report.profile.port_delta = 1;
  h.send(c, report);
}

const Ipv4 kConeIp = Ipv4::from_octets(192, 0, 2, 10);
const Ipv4 kSymmetricIp = Ipv4::from_octets(192, 0, 2, 20);

// A cone client a (mapped kConeIp:1000) and a sequential symmetric client b behind
// kSymmetricIp share a network under `strategy`; returns the instructions for a and b.
std::pair<std::vector<TunnelInstruction>, std::vector<TunnelInstruction>> plan_cone_and_symmetric(
    PunchStrategy strategy) {
  ServerConfig config = test_config();
  config.punch_strategy = strategy;
  config.port_prediction_window = 3;
  MemoryStorage storage;
  Harness h(storage, config);
  FakeClient& a = h.connect();
  FakeClient& b = h.connect();
  h.bring_online(a, "a", {}, Endpoint{kConeIp, 1000});
  h.login(b, "b");
  discover_symmetric(h, b, kSymmetricIp);
  EXPECT_EQ(h.request(a, CreateNetwork{1, "net", ""}).code, ReplyCode::kOk);
  EXPECT_EQ(h.request(b, JoinNetwork{2, "net", ""}).code, ReplyCode::kOk);
  return {a.take<TunnelInstruction>(), b.take<TunnelInstruction>()};
}

TEST(ServerCoreTunnels, SequentialSymmetricPeerIsOfferedPredictedPortsPastItsNewestMapping) {
  auto [ta, tb] = plan_cone_and_symmetric(PunchStrategy::kServerDriven);
  ASSERT_EQ(ta.size(), 1u);
  // Newest mapping seen: 40003 (the retransmission from 40001 is not news).
  EXPECT_EQ(ta[0].candidates,
            (std::vector<Endpoint>{{kSymmetricIp, 40004}, {kSymmetricIp, 40005}, {kSymmetricIp, 40006}}));
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(tb[0].candidates, (std::vector<Endpoint>{Endpoint{kConeIp, 1000}}));
  EXPECT_EQ(ta[0].start_delay_ms, 250u);
}

TEST(ServerCoreTunnels, NaiveStrategyOffersTheMappedEndpointAndNoStartDelay) {
  auto [ta, tb] = plan_cone_and_symmetric(PunchStrategy::kNaive);
  ASSERT_EQ(ta.size(), 1u);
  EXPECT_EQ(ta[0].candidates, (std::vector<Endpoint>{Endpoint{kSymmetricIp, 40000}}));  // where the primary saw it
  EXPECT_EQ(ta[0].start_delay_ms, 0u);
}

TEST(ServerCoreTunnels, LeavingTheOnlySharedNetworkAllowsAFreshInstructionLater) {
  TwoPeers p;
  ASSERT_EQ(p.h.request(*p.b, LeaveNetwork{7, "lan"}).code, ReplyCode::kOk);
  auto left = p.a->take<MemberLeft>();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].network, "lan");
  EXPECT_EQ(left[0].key, p.b->key());
  auto snapshot = p.b->take<NetworkSnapshot>();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_TRUE(snapshot[0].networks.empty());

  ASSERT_EQ(p.h.request(*p.b, JoinNetwork{8, "lan", "secret"}).code, ReplyCode::kOk);
  EXPECT_EQ(p.a->take<TunnelInstruction>().size(), 1u);
  EXPECT_EQ(p.b->take<TunnelInstruction>().size(), 1u);
}

// ---- requests

TEST(ServerCoreRequests, WrongPasswordChangesNothing) {
  TwoPeers p;
  FakeClient& c = p.h.connect();
  p.h.bring_online(c, "carol");
  c.inbox().clear();
  auto members_before = p.storage.members("lan").value();
  Reply reply = p.h.request(c, JoinNetwork{9, "lan", "guess"});
  EXPECT_EQ(reply.code, ReplyCode::kWrongPassword);
  EXPECT_EQ(reply.request_id, 9u);
  EXPECT_FALSE(reply.message.empty());
  EXPECT_EQ(p.storage.members("lan").value(), members_before);
  EXPECT_TRUE(p.storage.networks_of(c.key()).value().empty());
  EXPECT_TRUE(p.a->inbox().empty());
  EXPECT_TRUE(c.take<NetworkSnapshot>().empty());
}

TEST(ServerCoreRequests, ErrorsCarryTheirCodes) {
  TwoPeers p;
  EXPECT_EQ(p.h.request(*p.a, JoinNetwork{1, "nope", ""}).code, ReplyCode::kUnknownNetwork);
  EXPECT_EQ(p.h.request(*p.b, CreateNetwork{2, "lan", "x"}).code, ReplyCode::kNetworkExists);
  EXPECT_EQ(p.h.request(*p.b, JoinNetwork{3, "lan", "secret"}).code, ReplyCode::kAlreadyMember);
  EXPECT_EQ(p.h.request(*p.a, LeaveNetwork{4, "nope"}).code, ReplyCode::kNotMember);
  EXPECT_EQ(p.h.request(*p.a, CreateNetwork{5, "", ""}).code, ReplyCode::kInvalidArgument);
  EXPECT_EQ(p.h.request(*p.a, SetNickname{6, ""}).code, ReplyCode::kInvalidArgument);
  EXPECT_EQ(p.h.request(*p.a, CreateNetwork{9, "lan\n  x", ""}).code, ReplyCode::kInvalidArgument);
  Reply left = p.h.request(*p.a, LeaveNetwork{7, "lan"});
  EXPECT_EQ(left.code, ReplyCode::kOk);
  EXPECT_EQ(left.request_id, 7u);
  EXPECT_EQ(p.h.request(*p.a, LeaveNetwork{8, "lan"}).code, ReplyCode::kNotMember);
}

TEST(ServerCoreRequests, ANicknameThatForgesALineIsRefusedAndNotSent) {
  TwoPeers p;
  p.b->take<MemberUpdate>();
  Reply reply = p.h.request(*p.a, SetNickname{1, "eve\n  bank-server      25.0.0.1        online  direct"});
  EXPECT_EQ(reply.code, ReplyCode::kInvalidArgument);
  EXPECT_NE(reply.message.find("line break"), std::string::npos) << reply.message;
  EXPECT_EQ(p.h.request(*p.a, SetNickname{2, "eve\xe2\x80\xae"}).code, ReplyCode::kInvalidArgument);
  EXPECT_TRUE(p.b->take<MemberUpdate>().empty());
  auto record = p.storage.find_client(p.a->key());
  ASSERT_TRUE(record.ok() && record.value());
  EXPECT_EQ(record.value()->nickname, "alice");
}

// An online guesser gets a few tries, then one every 5 s, and is told when; a member
// from another address is not affected.
TEST(ServerCoreRequests, PasswordGuessingIsRateLimitedPerAddress) {
  TwoPeers p;  // alice created "lan" with password "secret"
  FakeClient& guesser = p.h.connect(std::nullopt, std::nullopt, Ipv4::from_octets(192, 0, 2, 99));
  p.h.bring_online(guesser, "guesser");
  int wrong = 0, deferred = 0;
  for (std::uint32_t i = 0; i < 30; ++i) {
    Reply r = p.h.request(guesser, JoinNetwork{100 + i, "lan", "guess" + std::to_string(i)});
    if (r.code == ReplyCode::kWrongPassword) ++wrong;
    if (r.code == ReplyCode::kTryLater) {
      ++deferred;
      EXPECT_NE(r.message.find("try again in 5 s"), std::string::npos) << r.message;
    }
  }
  EXPECT_EQ(wrong, 10);
  EXPECT_EQ(deferred, 20);
  EXPECT_EQ(p.h.server().stats().password_attempts_deferred, 20u);
  p.h.advance(5s);
  EXPECT_EQ(p.h.request(guesser, JoinNetwork{200, "lan", "secret"}).code, ReplyCode::kOk);
  FakeClient& carol = p.h.connect();
  p.h.bring_online(carol, "carol");
  EXPECT_EQ(p.h.request(carol, JoinNetwork{201, "lan", "secret"}).code, ReplyCode::kOk);
}

TEST(ServerCoreRequests, NetworkLimitsAreEnforced) {
  MemoryStorage storage;
  ServerConfig config = test_config();
  config.max_networks_per_client = 1;
  config.max_members_per_network = 1;
  Harness h(storage, config);
  FakeClient& a = h.connect();
  FakeClient& b = h.connect();
  h.login(a);
  h.login(b);
  ASSERT_EQ(h.request(a, CreateNetwork{1, "one", ""}).code, ReplyCode::kOk);
  EXPECT_EQ(h.request(a, CreateNetwork{2, "two", ""}).code, ReplyCode::kInvalidArgument);
  EXPECT_EQ(h.request(b, JoinNetwork{3, "one", ""}).code, ReplyCode::kInvalidArgument);
  EXPECT_EQ(storage.members("one").value().size(), 1u);
}

TEST(ServerCoreRequests, StorageFailureGivesServerErrorAndIsCounted) {
  TwoPeers p;
  p.storage.set_failing(true);
  EXPECT_EQ(p.h.request(*p.a, CreateNetwork{1, "new", ""}).code, ReplyCode::kServerError);
  EXPECT_EQ(p.h.request(*p.a, JoinNetwork{2, "lan", ""}).code, ReplyCode::kServerError);
  EXPECT_EQ(p.h.request(*p.a, SetNickname{3, "x"}).code, ReplyCode::kServerError);
  EXPECT_GE(p.h.server().stats().storage_errors, 3u);
  FakeClient& c = p.h.connect();
  EXPECT_EQ(p.h.login(c).code, ReplyCode::kServerError);
  // Going offline without storage still tells the tunnel partner.
  p.h.close(*p.a);
  EXPECT_EQ(p.b->take<PeerOffline>().size(), 1u);
  p.storage.set_failing(false);
  EXPECT_EQ(p.h.request(*p.b, CreateNetwork{4, "new", ""}).code, ReplyCode::kOk);
}

TEST(ServerCoreRequests, MembershipSurvivesRestart) {
  MemoryStorage storage;
  Identity alice;
  {
    Harness h(storage);
    FakeClient& a = h.connect();
    alice = a.identity();
    h.bring_online(a, "alice");
    ASSERT_EQ(h.request(a, CreateNetwork{1, "lan", "pw"}).code, ReplyCode::kOk);
  }
  Harness h(storage, test_config(), 2);
  FakeClient& a = h.connect(alice);
  h.bring_online(a);
  auto snapshots = a.take<NetworkSnapshot>();
  ASSERT_EQ(snapshots.size(), 1u);
  ASSERT_EQ(snapshots[0].networks.size(), 1u);
  EXPECT_EQ(snapshots[0].networks[0].name, "lan");
  EXPECT_EQ(snapshots[0].networks[0].members[0].nickname, "alice");
}

TEST(ServerCoreRequests, SnapshotTooBigForOneFrameContinuesAsMemberUpdates) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& a = h.connect();
  h.login(a, "alice");
  // Three networks of 250 members with 64-byte nicknames: about 26 KB each, so two
  // fit in one frame and the third must follow as MemberUpdates.
  const std::string long_name(kMaxNicknameLength, 'n');
  for (int n = 0; n < 3; ++n) {
    std::string name = "big" + std::to_string(n);
    ASSERT_TRUE(storage.create_network(NetworkRecord{name, "", a.key()}).ok());
    for (std::uint32_t i = 0; i < 249; ++i) {
      PublicKey key{};
      key[0] = static_cast<std::uint8_t>(n + 1);
      key[1] = static_cast<std::uint8_t>(i >> 8);
      key[2] = static_cast<std::uint8_t>(i);
      ASSERT_TRUE(storage.insert_client(ClientRecord{key, long_name, Ipv4{0x0a000000u + n * 1000 + i}}).ok());
      ASSERT_TRUE(storage.add_member(name, key).ok());
    }
  }
  h.discover(a, Endpoint{Ipv4::from_octets(192, 0, 2, 1), 1});
  auto snapshots = a.take<NetworkSnapshot>();
  ASSERT_EQ(snapshots.size(), 1u);
  ASSERT_EQ(snapshots[0].networks.size(), 2u);
  EXPECT_EQ(snapshots[0].networks[0].name, "big0");
  EXPECT_EQ(snapshots[0].networks[1].members.size(), 250u);
  auto rest = a.take<MemberUpdate>();
  ASSERT_EQ(rest.size(), 250u);
  for (const MemberUpdate& u : rest) EXPECT_EQ(u.network, "big2");
}

// ---- offline

TEST(ServerCoreOffline, IdlePeerGoesOfflineForItsPeers) {
  TwoPeers p;
  const Duration idle = test_config().client_idle_timeout;
  // b keeps pinging; a goes silent.
  for (Duration t{0}; t < idle + 10s; t += 20s) {
    p.h.advance(20s);
    if (!p.b->closed()) p.h.send(*p.b, Ping{1});
  }
  EXPECT_TRUE(p.a->closed());
  EXPECT_FALSE(p.b->closed());
  EXPECT_EQ(p.h.server().stats().idle_disconnects, 1u);
  EXPECT_EQ(p.h.server().online_clients(), 1u);
  auto updates = p.b->take<MemberUpdate>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].member.key, p.a->key());
  EXPECT_FALSE(updates[0].member.online);
  auto offline = p.b->take<PeerOffline>();
  ASSERT_EQ(offline.size(), 1u);
  EXPECT_EQ(offline[0].peer, p.a->key());
}

TEST(ServerCoreOffline, NextDeadlineTracksIdleAndLoginTimeouts) {
  MemoryStorage storage;
  Harness h(storage);
  EXPECT_FALSE(h.server().next_deadline().has_value());
  FakeClient& c = h.connect();
  EXPECT_EQ(h.server().next_deadline(), h.now() + test_config().login_timeout);
  h.advance(1s);
  h.login(c);
  EXPECT_EQ(h.server().next_deadline(), h.now() + test_config().client_idle_timeout);
  h.advance(5s);
  h.send(c, Ping{2});
  EXPECT_EQ(h.server().next_deadline(), h.now() + test_config().client_idle_timeout);
  h.close(c);
  EXPECT_FALSE(h.server().next_deadline().has_value());
}

TEST(ServerCoreOffline, SilentConnectionIsDroppedAtLoginTimeout) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.advance(test_config().login_timeout - 1us);
  EXPECT_FALSE(c.closed());
  h.advance(1us);
  EXPECT_TRUE(c.closed());

  // Handshaking is not logging in: chatter without a login does not extend it.
  FakeClient& d = h.connect();
  h.handshake(d);
  h.advance(test_config().login_timeout / 2);
  h.send(d, Ping{3});
  h.advance(test_config().login_timeout / 2);
  EXPECT_TRUE(d.closed());
}

TEST(ServerCoreOffline, ClosedConnectionGoesOffline) {
  TwoPeers p;
  p.h.close(*p.b);
  EXPECT_EQ(p.a->take<PeerOffline>().size(), 1u);
  EXPECT_EQ(p.h.server().online_clients(), 1u);
}

TEST(ServerCoreOffline, SameKeyReconnectReplacesTheOldConnection) {
  TwoPeers p;
  auto first_id = p.h.server().stats().tunnel_instructions;
  FakeClient& a2 = p.h.connect(p.a->identity());
  LoginReply reply = p.h.login(a2);
  EXPECT_EQ(reply.code, ReplyCode::kOk);
  EXPECT_EQ(reply.virtual_ip, p.a->virtual_ip());
  // The old connection hears who replaced it before it is closed.
  auto replaced = p.a->take<SessionReplaced>();
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0].by, a2.remote());
  EXPECT_EQ(p.h.server().stats().sessions_replaced, 1u);
  EXPECT_TRUE(p.a->closed());
  EXPECT_EQ(p.b->take<PeerOffline>().size(), 1u);
  EXPECT_EQ(p.h.server().online_clients(), 1u);

  p.h.discover(a2, Endpoint{Ipv4::from_octets(192, 0, 2, 99), 777});
  EXPECT_EQ(p.h.server().online_clients(), 2u);
  auto tb = p.b->take<TunnelInstruction>();
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(tb[0].candidates, (std::vector<Endpoint>{Endpoint{Ipv4::from_octets(192, 0, 2, 99), 777}}));
  EXPECT_EQ(a2.take<TunnelInstruction>().size(), 1u);
  EXPECT_EQ(p.h.server().stats().tunnel_instructions, first_id + 2);

  // Closing the new connection is what takes the key offline now.
  p.h.close(a2);
  EXPECT_EQ(p.h.server().online_clients(), 1u);
}

// ---- per-network presence (go-online / go-offline)

TEST(ServerCorePresence, GoingOfflineInANetworkShowsOfflineToItsMembersOnly) {
  TwoPeers p;
  FakeClient& c = p.h.connect();
  p.h.bring_online(c, "carol");
  ASSERT_EQ(p.h.request(c, JoinNetwork{3, "lan", "secret"}).code, ReplyCode::kOk);
  ASSERT_EQ(p.h.request(*p.a, CreateNetwork{4, "games", ""}).code, ReplyCode::kOk);
  ASSERT_EQ(p.h.request(c, JoinNetwork{5, "games", ""}).code, ReplyCode::kOk);
  for (FakeClient* x : {p.a, p.b, &c}) x->inbox().clear();

  Reply r = p.h.request(*p.a, SetNetworkOnline{6, "lan", false});
  EXPECT_EQ(r.code, ReplyCode::kOk) << r.message;
  for (FakeClient* x : {p.b, &c}) {
    auto updates = x->take<MemberUpdate>();
    ASSERT_EQ(updates.size(), 1u);
    EXPECT_EQ(updates[0].network, "lan");
    EXPECT_EQ(updates[0].member.key, p.a->identity().public_key);
    EXPECT_FALSE(updates[0].member.online);
  }
  // Snapshots agree: offline in lan, still online in games.
  FakeClient& d = p.h.connect();
  p.h.bring_online(d, "dave");
  ASSERT_EQ(p.h.request(d, JoinNetwork{7, "games", ""}).code, ReplyCode::kOk);
  ASSERT_EQ(p.h.request(d, JoinNetwork{8, "lan", "secret"}).code, ReplyCode::kOk);
  auto snapshots = d.take<NetworkSnapshot>();
  ASSERT_FALSE(snapshots.empty());
  for (const NetworkInfo& network : snapshots.back().networks) {
    for (const MemberInfo& m : network.members) {
      if (m.key == p.a->identity().public_key) {
        EXPECT_EQ(m.online, network.name == "games") << network.name;
      }
    }
  }
  EXPECT_EQ(p.h.request(*p.a, SetNetworkOnline{9, "lan", false}).message, "already offline in 'lan'");
}

TEST(ServerCorePresence, APairThatSharesNoOnlineNetworkIsInstructedAgainWhenOneGoesOnline) {
  TwoPeers p;
  ASSERT_EQ(p.h.request(*p.b, SetNetworkOnline{3, "lan", false}).code, ReplyCode::kOk);
  EXPECT_TRUE(p.a->take<TunnelInstruction>().empty());
  ASSERT_EQ(p.h.request(*p.b, SetNetworkOnline{4, "lan", true}).code, ReplyCode::kOk);
  auto updates = p.a->take<MemberUpdate>();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_TRUE(updates[1].member.online);
  // Forgotten when bob went offline in their only network, so this is a fresh pair.
  EXPECT_EQ(p.a->take<TunnelInstruction>().size(), 1u);
  EXPECT_EQ(p.b->take<TunnelInstruction>().size(), 1u);
}

TEST(ServerCorePresence, OfflineBeforeTheDiscoveryReportIsNeverSeenOnline) {
  // A reconnecting client restates its offline networks before it reports.
  TwoPeers p;
  p.h.close(*p.b);
  p.a->inbox().clear();
  FakeClient& b2 = p.h.connect(p.b->identity());
  p.h.login(b2, "bob");
  ASSERT_EQ(p.h.request(b2, SetNetworkOnline{0, "lan", false}).code, ReplyCode::kOk);
  p.h.discover(b2, Endpoint{b2.remote().ip, 50123});
  for (const MemberUpdate& u : p.a->take<MemberUpdate>()) EXPECT_FALSE(u.member.online);
  EXPECT_TRUE(p.a->take<TunnelInstruction>().empty());
  EXPECT_TRUE(b2.take<TunnelInstruction>().empty());
}

TEST(ServerCorePresence, UnknownNetworkAndNonMembersAreRefused) {
  TwoPeers p;
  EXPECT_EQ(p.h.request(*p.a, SetNetworkOnline{3, "nope", false}).code, ReplyCode::kNotMember);
  FakeClient& c = p.h.connect();
  p.h.bring_online(c, "carol");
  EXPECT_EQ(p.h.request(c, SetNetworkOnline{4, "lan", false}).code, ReplyCode::kNotMember);
  EXPECT_TRUE(p.b->take<MemberUpdate>().empty());
  FakeClient& d = p.h.connect();
  p.h.handshake(d);
  EXPECT_EQ(p.h.request(d, SetNetworkOnline{5, "lan", false}).code, ReplyCode::kNotLoggedIn);
}

TEST(ServerCorePresence, LeavingForgetsTheChoice) {
  TwoPeers p;
  ASSERT_EQ(p.h.request(*p.b, SetNetworkOnline{3, "lan", false}).code, ReplyCode::kOk);
  ASSERT_EQ(p.h.request(*p.b, LeaveNetwork{4, "lan"}).code, ReplyCode::kOk);
  ASSERT_EQ(p.h.request(*p.b, JoinNetwork{5, "lan", "secret"}).code, ReplyCode::kOk);
  EXPECT_EQ(p.a->take<TunnelInstruction>().size(), 1u);  // online in lan again
}

// ---- tunnel requests (a client lost its tunnel, or punching failed)

TEST(ServerCoreTunnels, RequestTunnelPlansThePairAgainAtMostOncePerInterval) {
  TwoPeers p;  // the join planned the pair just now
  p.h.send(*p.a, RequestTunnel{p.b->identity().public_key});
  EXPECT_TRUE(p.a->take<TunnelInstruction>().empty());  // crossing a fresh plan: ignored
  EXPECT_EQ(p.h.server().stats().tunnel_requests_ignored, 1u);

  p.h.advance(11s);
  p.h.send(*p.a, RequestTunnel{p.b->identity().public_key});
  auto ta = p.a->take<TunnelInstruction>();
  auto tb = p.b->take<TunnelInstruction>();
  ASSERT_EQ(ta.size(), 1u);
  ASSERT_EQ(tb.size(), 1u);
  EXPECT_EQ(ta[0].tunnel_id, tb[0].tunnel_id);
  EXPECT_EQ(ta[0].peer, p.b->identity().public_key);
  EXPECT_EQ(tb[0].peer, p.a->identity().public_key);
  // Either side asking again within the interval changes nothing...
  p.h.advance(5s);
  p.h.send(*p.b, RequestTunnel{p.a->identity().public_key});
  EXPECT_TRUE(p.a->take<TunnelInstruction>().empty());
  EXPECT_EQ(p.h.server().stats().tunnel_requests_ignored, 2u);
  // ...after it, a fresh plan with a fresh id, to both.
  p.h.advance(6s);
  p.h.send(*p.b, RequestTunnel{p.a->identity().public_key});
  auto again = p.a->take<TunnelInstruction>();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_NE(again[0].tunnel_id, ta[0].tunnel_id);
  EXPECT_EQ(p.b->take<TunnelInstruction>().size(), 1u);
}

TEST(ServerCoreTunnels, RequestTunnelForAPairThatMayNotHaveOneIsIgnored) {
  TwoPeers p;
  p.h.advance(11s);  // past the join's plan
  FakeClient& stranger = p.h.connect();
  p.h.bring_online(stranger, "stranger");
  p.h.send(*p.a, RequestTunnel{stranger.identity().public_key});  // no shared network
  p.h.send(*p.a, RequestTunnel{p.a->identity().public_key});       // ourselves
  p.h.send(*p.a, RequestTunnel{PublicKey{}});                      // nobody
  ASSERT_EQ(p.h.request(*p.b, SetNetworkOnline{3, "lan", false}).code, ReplyCode::kOk);
  p.h.send(*p.a, RequestTunnel{p.b->identity().public_key});       // offline in the shared network
  EXPECT_TRUE(p.a->take<TunnelInstruction>().empty());
  EXPECT_TRUE(stranger.take<TunnelInstruction>().empty());
  FakeClient& not_online = p.h.connect();
  p.h.login(not_online, "late");  // logged in, no DiscoveryReport yet
  p.h.send(not_online, RequestTunnel{p.a->identity().public_key});
  EXPECT_TRUE(p.a->take<TunnelInstruction>().empty());
  EXPECT_EQ(p.h.server().stats().tunnel_requests_ignored, 5u);
  EXPECT_FALSE(p.a->closed());  // a pointless request is not a protocol error
}

// ---- determinism

TEST(ServerCoreDeterminism, SameSeedsSameOutputs) {
  auto run = [] {
    MemoryStorage storage;
    Harness h(storage);
    FakeClient& a = h.connect();
    FakeClient& b = h.connect();
    h.bring_online(a, "a");
    h.bring_online(b, "b");
    (void)h.request(a, CreateNetwork{1, "n", "pw"});
    (void)h.request(b, JoinNetwork{2, "n", "pw"});
    h.advance(200s);
    std::vector<Bytes> out;
    for (const auto& o : h.history()) {
      if (auto* s = std::get_if<SendStream>(&o)) out.push_back(s->data);
      if (auto* d = std::get_if<SendDatagram>(&o)) out.push_back(d->payload);
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace yt::test

namespace yt::test {
namespace {

// What a client does with its ticket: bind at the relay; returns the answer.
std::optional<RelayBound> bind_with(Harness& h, const RelayTicket& t, Endpoint from, std::uint64_t sequence = 1) {
  h.datagrams().clear();
  h.server().on_datagram(h.now(), kPrimary, from,
                         encode_datagram(RelayBind{t.key_id, t.pair_id, t.side, sequence,
                                                   bind_mac(t.bind_secret, t.pair_id, t.side, sequence)}));
  for (auto& o : h.server().drain_outputs()) {
    auto* d = std::get_if<SendDatagram>(&o);
    if (!d) continue;
    EXPECT_EQ(d->from, kPrimary);  // answered from the socket it came to
    EXPECT_EQ(d->to, from);
    auto decoded = decode_datagram(d->payload);
    if (decoded.ok()) {
      if (auto* b = std::get_if<RelayBound>(&decoded.value())) return *b;
    }
  }
  return std::nullopt;
}

TEST(ServerCoreRelay, EveryPlanCarriesOneTicketPerSideForTheBuiltInRelay) {
  TwoPeers p;
  Harness& h = p.h;
  const auto& ta = p.ta;
  const auto& tb = p.tb;
  ASSERT_EQ(ta.size(), 1u);
  ASSERT_EQ(tb.size(), 1u);
  ASSERT_TRUE(ta[0].relay && tb[0].relay);
  EXPECT_TRUE(ta[0].relay->endpoint.is_unset());  // the server's own
  EXPECT_EQ(ta[0].relay->ticket.pair_id, tb[0].relay->ticket.pair_id);
  EXPECT_EQ(ta[0].relay->ticket.side + tb[0].relay->ticket.side, 1);  // one each
  EXPECT_NE(ta[0].relay->ticket.bind_secret, tb[0].relay->ticket.bind_secret);
  EXPECT_EQ(h.server().stats().relay_offers, 1u);

  // Both tickets bind at the server's relay; the second learns its peer is there.
  Endpoint from_a{Ipv4::from_octets(192, 0, 2, 1), 40001};
  Endpoint from_b{Ipv4::from_octets(192, 0, 2, 2), 40002};
  auto bound_a = bind_with(h, ta[0].relay->ticket, from_a);
  ASSERT_TRUE(bound_a);
  EXPECT_EQ(bound_a->result, RelayBindResult::kBound);
  EXPECT_FALSE(bound_a->peer_bound);
  auto bound_b = bind_with(h, tb[0].relay->ticket, from_b);
  ASSERT_TRUE(bound_b);
  EXPECT_EQ(bound_b->result, RelayBindResult::kBound);
  EXPECT_TRUE(bound_b->peer_bound);
  EXPECT_EQ(h.server().relay_pairs(), 1u);

  // Data between them is forwarded unchanged; relay traffic is not a malformed
  // discovery probe.
  h.datagrams().clear();
  Bytes sealed = {1, 2, 3, 4};
  h.server().on_datagram(h.now(), kPrimary, from_a,
                         encode_datagram(RelayData{ta[0].relay->ticket.pair_id, ta[0].relay->ticket.side, sealed}));
  auto out = h.server().drain_outputs();
  ASSERT_EQ(out.size(), 1u);
  auto* forwarded = std::get_if<SendDatagram>(&out[0]);
  ASSERT_NE(forwarded, nullptr);
  EXPECT_EQ(forwarded->to, from_b);
  EXPECT_EQ(h.server().relay_stats().forwarded_packets, 1u);
  EXPECT_EQ(h.server().stats().malformed_datagrams, 0u);

  // A ticket for the other side does not bind this side: never an open relay.
  RelayTicket forged = ta[0].relay->ticket;
  forged.side = 1 - forged.side;
  auto refused = bind_with(h, forged, from_a, 2);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->result, RelayBindResult::kUnknownTicket);
}

TEST(ServerCoreRelay, TicketKeysRotateAndAnOldTicketExpires) {
  TwoPeers p;
  Harness& h = p.h;
  ASSERT_EQ(p.ta.size(), 1u);
  ASSERT_TRUE(p.ta[0].relay);
  const RelayTicket ticket = p.ta[0].relay->ticket;
  Endpoint from{Ipv4::from_octets(192, 0, 2, 1), 40001};
  // 31 minutes, both clients pinging so that they stay connected.
  auto pass_a_rotation = [&] {
    for (int i = 0; i < 31; ++i) {
      h.advance(std::chrono::minutes(1));
      h.send(*p.a, Ping{static_cast<std::uint64_t>(i)});
      h.send(*p.b, Ping{static_cast<std::uint64_t>(i)});
    }
  };

  // One rotation later the previous key still binds (a ticket issued just before
  // the rotation must work).
  pass_a_rotation();
  auto bound = bind_with(h, ticket, from, 1);
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->result, RelayBindResult::kBound);
  // Two rotations later it is refused as expired.
  pass_a_rotation();
  auto expired = bind_with(h, ticket, from, 2);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->result, RelayBindResult::kExpired);
}

TEST(ServerCoreRelay, RelayFramesBeforeLoginAreRefused) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.handshake(c);
  ASSERT_TRUE(c.established());
  h.datagrams().clear();
  RelayTicket forged = issue_ticket(TicketKeyring{1, TicketKey{1}}, 5, 0);
  h.send(c, RelayFrame{encode_datagram(RelayBind{forged.key_id, forged.pair_id, 0, 1,
                                                 bind_mac(forged.bind_secret, forged.pair_id, 0, 1)})});
  EXPECT_EQ(h.server().stats().malformed_datagrams, 1u);
  EXPECT_TRUE(c.take<RelayFrame>().empty());  // no answer of any kind
  EXPECT_EQ(h.server().relay_stats().binds_unknown_ticket + h.server().relay_stats().binds_accepted, 0u);
}

// A UDP-blocked side talks to the built-in relay inside its control connection:
// the relay's answers come back as RelayFrames, marked droppable (a slow reader
// loses relayed datagrams, not control messages, and the server's queue stays
// bounded); every other message is not.
TEST(ServerCoreRelay, RelayFramesOverTheControlConnectionAreTheOnlyDroppableWrites) {
  TwoPeers p;
  Harness& h = p.h;
  ASSERT_TRUE(p.ta[0].relay);
  const RelayTicket t = p.ta[0].relay->ticket;
  const std::size_t before = h.history().size();
  h.send(*p.a, RelayFrame{encode_datagram(RelayBind{t.key_id, t.pair_id, t.side, 1,
                                                    bind_mac(t.bind_secret, t.pair_id, t.side, 1)})});
  h.send(*p.a, Ping{9});
  auto bound = p.a->take<RelayFrame>();
  ASSERT_EQ(bound.size(), 1u);
  EXPECT_EQ(p.a->take<Pong>().size(), 1u);
  int droppable = 0, kept = 0;
  for (std::size_t i = before; i < h.history().size(); ++i) {
    if (auto* s = std::get_if<SendStream>(&h.history()[i])) (s->droppable ? droppable : kept)++;
  }
  EXPECT_EQ(droppable, 1);  // the RelayBound
  EXPECT_EQ(kept, 1);       // the Pong
}

TEST(ServerCoreRelay, OffInTheConfigNoTicketIsOffered) {
  ServerConfig config = test_config();
  config.builtin_relay = false;
  TwoPeers p(config);
  Harness& h = p.h;
  ASSERT_EQ(p.ta.size(), 1u);
  EXPECT_FALSE(p.ta[0].relay);
  // And relay traffic to the server is just malformed input.
  Endpoint from{Ipv4::from_octets(192, 0, 2, 1), 40001};
  h.server().on_datagram(h.now(), kPrimary, from, encode_datagram(RelayData{1, 0, Bytes{1}}));
  EXPECT_EQ(h.server().stats().malformed_datagrams, 1u);
}

}  // namespace
}  // namespace yt::test
