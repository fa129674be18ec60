// ClientCore's own duties: request validation and replies, the membership view,
// peers(), state names, and robustness against any datagram.
#include "client/core/client_core.h"

#include <gtest/gtest.h>

#include <set>

#include "client/core/tests/test_support.h"

namespace yt::test {
namespace {

const Endpoint kA{Ipv4::from_octets(203, 0, 113, 1), 40001};
const Ipv4 kVip = Ipv4::from_octets(25, 0, 0, 1);

struct CoreTest : ::testing::Test {
  Identity server_id = make_server_identity();
  ScriptedServer server{server_id};
  Driven c{1, kA, server_id.public_key};
};

TEST_F(CoreTest, RequestsNeedToBeOnline) {
  auto r = c.core->create_network(kT0, "lan", "pw");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SendError::kNotLoggedIn);
  c.start(kT0);
  ConnId conn = handshake(c, server, kT0);
  c.data(kT0, conn, server.seal(ok_login(kVip)));
  answer_tcp_mapping(c, kT0);
  ASSERT_EQ(c.core->state(), ClientState::kDiscovering);
  r = c.core->join_network(kT0, "lan", "pw");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), SendError::kNotLoggedIn);
}

TEST_F(CoreTest, AWildcardDiscoveryEndpointMeansTheServersAddress) {
  // yellowtail-server listens on 0.0.0.0 by default and names its discovery (and
  // relay) endpoint that way: probes must go to the address we reached it at.
  c.start(kT0);
  ConnId conn = handshake(c, server, kT0);
  LoginReply reply = ok_login(kVip);
  reply.discovery_endpoints = {Endpoint{Ipv4{}, 12975}};
  c.data(kT0, conn, server.seal(reply));
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_FALSE(probes.empty());
  for (const auto& probe : probes) EXPECT_EQ(probe.first, (Endpoint{kServer.ip, 12975}));
}

TEST_F(CoreTest, RequestsAreValidatedSentAndAnswered) {
  ConnId conn = bring_online(c, server, kT0, kA, kVip);
  auto bad = c.core->create_network(kT0, "", "pw");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), SendError::kInvalidArgument);
  EXPECT_EQ(c.core->join_network(kT0, std::string(65, 'n'), "").error(), SendError::kInvalidArgument);
  EXPECT_EQ(c.core->create_network(kT0, "lan", std::string(129, 'p')).error(), SendError::kInvalidArgument);
  EXPECT_EQ(c.core->set_nickname(kT0, "").error(), SendError::kInvalidArgument);
  EXPECT_EQ(c.core->set_nickname(kT0, "eve\n  bank-server").error(), SendError::kInvalidArgument);
  EXPECT_EQ(c.core->create_network(kT0, "lan\x1b[2J", "").error(), SendError::kInvalidArgument);
  EXPECT_EQ(c.core->leave_network(kT0, "").error(), SendError::kInvalidArgument);

  auto create = c.core->create_network(kT0, "lan", "pw");
  auto join = c.core->join_network(kT0, "other", "");
  auto leave = c.core->leave_network(kT0, "old");
  auto nick = c.core->set_nickname(kT0, "neo");
  ASSERT_TRUE(create && join && leave && nick);
  c.drain();
  auto sent = server.messages(c.take_stream(conn));
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(std::get<CreateNetwork>(sent[0]).request_id, create.value());
  EXPECT_EQ(std::get<CreateNetwork>(sent[0]).password, "pw");
  EXPECT_EQ(std::get<JoinNetwork>(sent[1]).request_id, join.value());
  EXPECT_EQ(std::get<LeaveNetwork>(sent[2]).name, "old");
  EXPECT_EQ(std::get<SetNickname>(sent[3]).nickname, "neo");
  std::set<std::uint32_t> ids = {create.value(), join.value(), leave.value(), nick.value()};
  EXPECT_EQ(ids.size(), 4u);

  c.data(kT0, conn, server.seal(Reply{join.value(), ReplyCode::kWrongPassword, "nope"}));
  c.data(kT0, conn, server.seal(Reply{12345, ReplyCode::kOk, "not ours"}));  // unknown id: ignored
  auto done = c.events_of<RequestDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].request_id, join.value());
  EXPECT_EQ(done[0].code, ReplyCode::kWrongPassword);
  EXPECT_EQ(done[0].message, "nope");
}

TEST_F(CoreTest, OfflineNetworksAreStatedBeforeEveryDiscoveryReport) {
  ClientConfig config;
  config.offline_networks = {"games"};
  Driven d{2, kA, server_id.public_key, config};
  d.start(kT0);
  ConnId conn = handshake(d, server, kT0);
  d.data(kT0, conn, server.seal(ok_login(kVip)));
  answer_tcp_mapping(d, kT0);
  ASSERT_TRUE(d.core->set_network_online(kT0, "lan", false));  // while discovering: queued, not sent
  d.drain();
  EXPECT_TRUE(server.messages(d.take_stream(conn)).empty());
  auto probes = d.sent<DiscoveryProbe>();
  ASSERT_FALSE(probes.empty());
  d.datagram(kT0, kDiscovery, encode_datagram(DiscoveryReply{probes.back().second.transaction, kA, kDiscovery}));
  auto sent = server.messages(d.take_stream(conn));
  ASSERT_EQ(sent.size(), 3u);  // SetNetworkOnline x 2, then DiscoveryReport
  std::set<std::string> offline;
  for (std::size_t i = 0; i < 2; ++i) {
    const auto* m = std::get_if<SetNetworkOnline>(&sent[i]);
    ASSERT_NE(m, nullptr) << i;
    EXPECT_FALSE(m->online);
    offline.insert(m->network);
  }
  EXPECT_EQ(offline, (std::set<std::string>{"games", "lan"}));
  EXPECT_TRUE(std::holds_alternative<DiscoveryReport>(sent[2]));

  // Online: a change goes at once; a repeat of the current state sends nothing.
  ASSERT_TRUE(d.core->set_network_online(kT0, "games", true));
  ASSERT_TRUE(d.core->set_network_online(kT0, "games", true));
  d.drain();
  sent = server.messages(d.take_stream(conn));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(std::get<SetNetworkOnline>(sent[0]).network, "games");
  EXPECT_TRUE(std::get<SetNetworkOnline>(sent[0]).online);
  // The server's Reply (request id 0) is nobody's request: ignored quietly.
  d.data(kT0, conn, server.seal(Reply{0, ReplyCode::kOk, "online in 'games'"}));
  EXPECT_TRUE(d.events_of<RequestDone>().empty());
  EXPECT_EQ(d.stats().control_failures, 0u);
  // A name the server could not decode is refused here, never restated.
  EXPECT_EQ(d.core->set_network_online(kT0, std::string(65, 'n'), false).error(), SendError::kInvalidArgument);
  EXPECT_EQ(d.core->set_network_online(kT0, "", false).error(), SendError::kInvalidArgument);

  // Every later session restates the choice before its report.
  d.closed(kT0 + 1s, conn);
  d.run_timers(kT0 + 3s);  // the reconnect backoff starts at 1 s
  ASSERT_EQ(d.opens.size(), 2u);
  ConnId again = handshake(d, server, kT0 + 3s);
  d.data(kT0 + 3s, again, server.seal(ok_login(kVip)));
  answer_tcp_mapping(d, kT0 + 3s);
  probes = d.sent<DiscoveryProbe>();
  ASSERT_FALSE(probes.empty());
  d.datagram(kT0 + 3s, kDiscovery,
             encode_datagram(DiscoveryReply{probes.back().second.transaction, kA, kDiscovery}));
  sent = server.messages(d.take_stream(again));
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(std::get<SetNetworkOnline>(sent[0]).network, "lan");
  EXPECT_TRUE(std::holds_alternative<DiscoveryReport>(sent[1]));
}

TEST_F(CoreTest, LeavingANetworkForgetsBeingOfflineInIt) {
  ConnId conn = bring_online(c, server, kT0, kA, kVip);
  ASSERT_TRUE(c.core->set_network_online(kT0, "lan", false));
  auto leave = c.core->leave_network(kT0, "lan");
  ASSERT_TRUE(leave);
  c.drain();
  (void)c.take_stream(conn);
  c.data(kT0, conn, server.seal(Reply{leave.value(), ReplyCode::kOk, "left"}));
  // Back online in a fresh session: nothing is restated.
  c.closed(kT0 + 1s, conn);
  c.run_timers(kT0 + 3s);  // the reconnect backoff starts at 1 s
  ASSERT_EQ(c.opens.size(), 2u);
  ConnId again = handshake(c, server, kT0 + 3s);
  c.data(kT0 + 3s, again, server.seal(ok_login(kVip)));
  answer_tcp_mapping(c, kT0 + 3s);
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_FALSE(probes.empty());
  c.datagram(kT0 + 3s, kDiscovery,
             encode_datagram(DiscoveryReply{probes.back().second.transaction, kA, kDiscovery}));
  auto sent = server.messages(c.take_stream(again));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<DiscoveryReport>(sent[0]));
}

TEST_F(CoreTest, InvalidOfflineNetworkNamesFromTheConfigAreDropped) {
  ClientConfig config;
  config.offline_networks = {std::string(65, 'x'), "games"};
  Driven d{3, kA, server_id.public_key, config};
  d.start(kT0);
  ConnId c1 = handshake(d, server, kT0);
  d.data(kT0, c1, server.seal(ok_login(kVip)));
  answer_tcp_mapping(d, kT0);
  auto probes = d.sent<DiscoveryProbe>();
  ASSERT_FALSE(probes.empty());
  d.datagram(kT0, kDiscovery, encode_datagram(DiscoveryReply{probes.back().second.transaction, kA, kDiscovery}));
  auto sent = server.messages(d.take_stream(c1));
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(std::get<SetNetworkOnline>(sent[0]).network, "games");
}

TEST_F(CoreTest, NicknameChangeIsUsedOnTheNextLogin) {
  ConnId conn = bring_online(c, server, kT0, kA, kVip);
  auto nick = c.core->set_nickname(kT0, "neo");
  ASSERT_TRUE(nick);
  c.drain();
  c.take_stream(conn);
  c.data(kT0, conn, server.seal(Reply{nick.value(), ReplyCode::kOk, ""}));
  c.closed(kT0 + 1s, conn);
  c.run_timers(kT0 + 3s);
  ASSERT_EQ(c.opens.size(), 2u);
  ScriptedServer again{server_id, 5};
  ConnId conn2 = c.opens.back().conn;
  c.connected(kT0 + 3s, conn2);
  c.data(kT0 + 3s, conn2, again.accept(again.frames(c.take_stream(conn2))[0], kT0 + 3s));
  auto login = again.messages(c.take_stream(conn2));
  ASSERT_EQ(login.size(), 1u);
  EXPECT_EQ(std::get<LoginRequest>(login[0]).nickname, "neo");
}

TEST_F(CoreTest, SnapshotAndUpdatesKeepNetworksAndPeersCurrent) {
  ConnId conn = bring_online(c, server, kT0, kA, kVip);
  SeededRandom rng(8, 0);
  PublicKey peer = Identity::generate(rng).public_key;
  const PublicKey& me = c.identity.public_key;
  c.data(kT0, conn, server.seal(NetworkSnapshot{{NetworkInfo{"lan", {{me, "me", kVip, true}, {peer, "p", Ipv4{42}, false}}}}}));
  EXPECT_EQ(c.events_of<Synced>().size(), 1u);
  ASSERT_EQ(c.core->networks().size(), 1u);
  auto peers = c.core->peers();
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].key, peer);
  EXPECT_FALSE(peers[0].online);
  EXPECT_FALSE(peers[0].has_tunnel);

  c.data(kT0, conn, server.seal(MemberUpdate{"lan", {peer, "p2", Ipv4{42}, true}}));
  auto changed = c.events_of<MembershipChanged>();
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0].network, "lan");
  EXPECT_EQ(changed[0].member, peer);
  EXPECT_TRUE(c.core->peers()[0].online);
  EXPECT_EQ(c.core->peers()[0].nickname, "p2");

  c.data(kT0, conn, server.seal(MemberLeft{"lan", peer}));
  EXPECT_TRUE(c.core->peers().empty());
  EXPECT_EQ(c.events_of<MembershipChanged>().size(), 2u);
}

TEST_F(CoreTest, InstructionsAboutOurselvesAreRefused) {
  ConnId conn = bring_online(c, server, kT0, kA, kVip);
  c.data(kT0, conn, server.seal(TunnelInstruction{c.identity.public_key, kVip, 1, TunnelRole::kInitiator, 0, {kA}}));
  EXPECT_EQ(c.stats().control_failures, 1u);
  EXPECT_EQ(c.core->next_deadline(), kT0 + 30s);  // only the control ping is pending
}

TEST_F(CoreTest, EveryMalformedDatagramIsCountedNeverFatal) {
  bring_online(c, server, kT0, kA, kVip);
  SeededRandom rng(4, 0);
  const Endpoint from{Ipv4::from_octets(192, 0, 2, 1), 1};
  std::uint64_t n = 0;
  for (std::size_t len = 0; len < 64; ++len) {
    for (std::uint8_t type = 0; type < 10; ++type) {
      Bytes junk = rng.bytes(len);
      if (len > 0) junk[0] = kProtocolVersion;
      if (len > 1) junk[1] = type;
      c.datagram(kT0, from, junk);
      ++n;
    }
  }
  const ClientStats& s = c.stats();
  EXPECT_EQ(s.malformed_datagrams + s.unknown_tunnel + s.unknown_session + s.handshake_failures, n);
  EXPECT_TRUE(c.events.size() > 0);  // the earlier login events, nothing new
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
}

TEST(Names, EveryEnumHasAName) {
  EXPECT_STREQ(to_string(ClientState::kOnline), "online");
  EXPECT_STREQ(to_string(TunnelState::kDirect), "direct");
  EXPECT_STREQ(to_string(SendError::kTooLarge), "payload too large");
}

}  // namespace
}  // namespace yt::test
