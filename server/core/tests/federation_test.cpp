// Two server cores on one storage, their federation messages carried between them
// (encoded and decoded, as a real link would): members on different servers see
// each other and get exactly one tunnel plan, and every coming and going reaches
// the other side once.
#include "server/core/federation.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "server/core/tests/server_harness.h"

namespace yt::test {
namespace {

using namespace std::chrono_literals;

ServerConfig config_with_id(std::uint32_t id) {
  ServerConfig config = test_config();
  config.federation_id = id;
  return config;
}

// Server 1 and server 2 on one storage, with one identity (clients pin one key).
class TwoServers : public ::testing::Test {
 protected:
  TwoServers() : a_(storage_, config_with_id(1)), b_(storage_, config_with_id(2)), keys_(99, 3) {}

  Identity fresh_identity() { return Identity::generate(keys_); }

  // Carries federation messages until both servers are quiet. Each message is
  // encoded and decoded on the way, as the database link does.
  void exchange() {
    for (int round = 0; round < 20; ++round) {
      auto from_a = a_.server().drain_federation_outputs();
      auto from_b = b_.server().drain_federation_outputs();
      if (from_a.empty() && from_b.empty()) return;
      deliver(from_a, b_);
      deliver(from_b, a_);
    }
    FAIL() << "federation messages kept coming";
  }
  void deliver(const std::vector<FederationMessage>& messages, Harness& to) {
    for (const FederationMessage& m : messages) {
      auto decoded = decode_federation(encode_federation(m));
      ASSERT_TRUE(decoded.ok());
      to.server().on_federation(to.now(), decoded.value());
      to.pump();
    }
  }

  // Online on `h` in network "lan" (created by the first caller, joined after).
  FakeClient& online_in_lan(Harness& h, const std::string& nick) {
    FakeClient& c = h.connect(fresh_identity());
    h.bring_online(c, nick);
    exchange();
    const ControlMessage request = created_ ? ControlMessage{JoinNetwork{1, "lan", "pw"}}
                                            : ControlMessage{CreateNetwork{1, "lan", "pw"}};
    EXPECT_EQ(h.request(c, request).code, ReplyCode::kOk);
    created_ = true;
    exchange();
    return c;
  }

  static bool sees_online(FakeClient& c, const PublicKey& key) {
    bool online = false;
    for (const ControlMessage& m : c.inbox()) {
      if (auto* s = std::get_if<NetworkSnapshot>(&m)) {
        for (const NetworkInfo& n : s->networks) {
          for (const MemberInfo& member : n.members) {
            if (member.key == key) online = member.online;
          }
        }
      } else if (auto* u = std::get_if<MemberUpdate>(&m); u && u->member.key == key) {
        online = u->member.online;
      }
    }
    return online;
  }

  MemoryStorage storage_;
  Harness a_;
  Harness b_;
  SeededRandom keys_;
  bool created_ = false;
};

TEST_F(TwoServers, MembersOnDifferentServersSeeEachOtherAndGetOneTunnelPlan) {
  FakeClient& alice = online_in_lan(a_, "alice");
  FakeClient& bob = online_in_lan(b_, "bob");
  EXPECT_EQ(a_.server().mirrored_clients(), 1u);
  EXPECT_EQ(b_.server().mirrored_clients(), 1u);
  EXPECT_TRUE(sees_online(alice, bob.key()));
  EXPECT_TRUE(sees_online(bob, alice.key()));

  auto for_alice = alice.take<TunnelInstruction>();
  auto for_bob = bob.take<TunnelInstruction>();
  ASSERT_EQ(for_alice.size(), 1u);
  ASSERT_EQ(for_bob.size(), 1u);
  EXPECT_EQ(for_alice[0].tunnel_id, for_bob[0].tunnel_id);
  EXPECT_EQ(for_alice[0].peer, bob.key());
  EXPECT_EQ(for_bob[0].peer, alice.key());
  EXPECT_NE(for_alice[0].role, for_bob[0].role);
  // Each is aimed at what the other's own server saw of it.
  const Endpoint bob_mapped{bob.remote().ip, static_cast<std::uint16_t>(50000 + bob.conn())};
  EXPECT_NE(std::find(for_alice[0].candidates.begin(), for_alice[0].candidates.end(), bob_mapped),
            for_alice[0].candidates.end());
  // One plan: made by one server (here bob's, where his join arrived while he was
  // online), the other only forwarded its half.
  const std::uint64_t planned_a = a_.server().stats().tunnel_instructions;
  const std::uint64_t planned_b = b_.server().stats().tunnel_instructions;
  EXPECT_EQ(planned_a + planned_b, 2u);
  const bool a_planned = planned_a == 2;
  EXPECT_GE((a_planned ? b_ : a_).server().stats().forwarded_delivered, 1u);
  // Relay offers: a client on the other server gets the planner's relay by address.
  ASSERT_TRUE(for_alice[0].relay.has_value() && for_bob[0].relay.has_value());
  const TunnelInstruction& remote = a_planned ? for_bob[0] : for_alice[0];
  const TunnelInstruction& local = a_planned ? for_alice[0] : for_bob[0];
  EXPECT_EQ(remote.relay->endpoint, kPrimary);
  EXPECT_TRUE(local.relay->endpoint.is_unset());
}

// Members already, they come online at the same moment on two servers, before
// either server has heard of the other's: still exactly one plan, by the lower
// key's server, whichever order the notices cross in.
// A negotiation across servers is counted once, by the server that planned it;
// the other side's server sets its client's report aside as foreign.
TEST_F(TwoServers, APairsOutcomeIsCountedOnceWhereItWasPlanned) {
  FakeClient& alice = online_in_lan(a_, "alice");
  FakeClient& bob = online_in_lan(b_, "bob");
  auto for_alice = alice.take<TunnelInstruction>();
  auto for_bob = bob.take<TunnelInstruction>();
  ASSERT_EQ(for_alice.size(), 1u);
  ASSERT_EQ(for_bob.size(), 1u);
  const bool a_planned = a_.server().stats().tunnel_instructions == 2;
  Harness& planner = a_planned ? a_ : b_;
  Harness& other = a_planned ? b_ : a_;
  FakeClient& local = a_planned ? alice : bob;
  FakeClient& remote = a_planned ? bob : alice;
  const std::uint64_t id = for_alice[0].tunnel_id;
  // The remote side reports first, to its own server: not counted there.
  other.send(remote, TunnelOutcome{id, local.key(), NegotiationOutcome::kDirect, 300});
  exchange();
  EXPECT_EQ(other.server().stats().tunnel_outcomes_foreign, 1u);
  EXPECT_TRUE(other.server().negotiations().outcomes.empty());
  planner.send(local, TunnelOutcome{id, remote.key(), NegotiationOutcome::kDirect, 310});
  exchange();
  const auto& counted = planner.server().negotiations().outcomes;
  ASSERT_EQ(counted.size(), 1u);
  EXPECT_EQ(counted.begin()->first.second, NegotiationOutcome::kDirect);
  EXPECT_EQ(counted.begin()->second, 1u);
  EXPECT_EQ(planner.server().stats().tunnel_outcomes_unknown + other.server().stats().tunnel_outcomes_unknown, 0u);
}

TEST_F(TwoServers, MembersComingOnlineAtOnceOnTwoServersGetExactlyOnePlan) {
  const Identity alice_id = fresh_identity();
  const Identity bob_id = fresh_identity();
  ASSERT_TRUE(storage_.create_network(NetworkRecord{"lan", "", alice_id.public_key}).ok());
  ASSERT_TRUE(storage_.add_member("lan", bob_id.public_key).ok());
  FakeClient& alice = a_.connect(alice_id);
  FakeClient& bob = b_.connect(bob_id);
  a_.bring_online(alice, "alice");
  b_.bring_online(bob, "bob");
  exchange();
  EXPECT_TRUE(sees_online(alice, bob.key()));
  EXPECT_TRUE(sees_online(bob, alice.key()));
  auto for_alice = alice.take<TunnelInstruction>();
  auto for_bob = bob.take<TunnelInstruction>();
  ASSERT_EQ(for_alice.size(), 1u);
  ASSERT_EQ(for_bob.size(), 1u);
  EXPECT_EQ(for_alice[0].tunnel_id, for_bob[0].tunnel_id);
  Harness& lower_host = alice.key() < bob.key() ? a_ : b_;
  EXPECT_EQ(lower_host.server().stats().tunnel_instructions, 2u);
}

TEST_F(TwoServers, AClientGoingOfflineIsToldToPeersOnTheOtherServerOnce) {
  FakeClient& alice = online_in_lan(a_, "alice");
  FakeClient& bob = online_in_lan(b_, "bob");
  alice.inbox().clear();
  b_.close(bob);
  exchange();
  EXPECT_EQ(alice.take<PeerOffline>().size(), 1u);
  auto updates = alice.take<MemberUpdate>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_FALSE(updates[0].member.online);
  EXPECT_EQ(a_.server().mirrored_clients(), 0u);
}

TEST_F(TwoServers, AServerThatStopsTakesItsClientsOfflineAndTheyFailOverToTheOther) {
  FakeClient& alice = online_in_lan(a_, "alice");
  FakeClient& bob = online_in_lan(b_, "bob");
  alice.take<TunnelInstruction>();
  alice.inbox().clear();
  a_.server().on_server_gone(a_.now(), 2);
  a_.pump();
  EXPECT_EQ(alice.take<PeerOffline>().size(), 1u);
  EXPECT_FALSE(sees_online(alice, bob.key()));
  EXPECT_EQ(a_.server().stats().servers_gone, 1u);
  // Bob's client fails over to server 1 with the same key.
  FakeClient& bob_again = a_.connect(bob.identity());
  a_.bring_online(bob_again, "bob");
  exchange();
  EXPECT_TRUE(sees_online(alice, bob.key()));
  EXPECT_EQ(alice.take<TunnelInstruction>().size(), 1u);
  EXPECT_EQ(bob_again.take<TunnelInstruction>().size(), 1u);
}

TEST_F(TwoServers, ALoginOnTheOtherServerRetiresTheOldSessionWithoutAnOfflineNotice) {
  FakeClient& alice = online_in_lan(a_, "alice");
  FakeClient& bob = online_in_lan(b_, "bob");
  alice.inbox().clear();
  // Bob's machine lost server 2 and logged in to server 1; server 2 has not noticed.
  FakeClient& bob_on_a = a_.connect(bob.identity());
  a_.bring_online(bob_on_a, "bob");
  exchange();
  EXPECT_TRUE(bob.closed());
  EXPECT_EQ(b_.server().stats().sessions_moved, 1u);
  EXPECT_TRUE(alice.take<PeerOffline>().empty());
  EXPECT_TRUE(sees_online(alice, bob.key()));
  EXPECT_EQ(b_.server().mirrored_clients(), 2u);  // both now hosted by server 1
  EXPECT_EQ(a_.server().mirrored_clients(), 0u);
}

TEST_F(TwoServers, NicknamesJoinsAndRequestsReachTheOtherServersClients) {
  FakeClient& alice = online_in_lan(a_, "alice");
  FakeClient& bob = online_in_lan(b_, "bob");
  alice.inbox().clear();
  bob.inbox().clear();
  EXPECT_EQ(b_.request(bob, SetNickname{2, "robert"}).code, ReplyCode::kOk);
  exchange();
  auto renamed = alice.take<MemberUpdate>();
  ASSERT_EQ(renamed.size(), 1u);
  EXPECT_EQ(renamed[0].member.nickname, "robert");

  // A third member joins on server 2: alice (server 1) hears it.
  FakeClient& carol = online_in_lan(b_, "carol");
  EXPECT_TRUE(sees_online(alice, carol.key()));
  EXPECT_TRUE(sees_online(carol, alice.key()));
  alice.inbox().clear();

  // Asking again for a tunnel across servers works after the retry interval.
  b_.advance(11s);
  a_.advance(11s);
  b_.send(bob, RequestTunnel{alice.key()});
  exchange();
  EXPECT_EQ(alice.take<TunnelInstruction>().size(), 1u);
}

TEST(Federation, AStandaloneServerSaysNothingToOtherServersAndIgnoresThem) {
  MemoryStorage storage;
  Harness h(storage);
  FakeClient& c = h.connect();
  h.bring_online(c, "solo");
  EXPECT_TRUE(h.server().drain_federation_outputs().empty());
  ClientPresence p;
  p.key = c.key();
  p.online = true;
  h.server().on_federation(h.now(), PresenceNotice{2, p});
  h.pump();
  EXPECT_EQ(h.server().mirrored_clients(), 0u);
  EXPECT_FALSE(c.closed());
}

TEST(FederationCodec, RoundTripsAndRejectsEveryTruncationAndBadField) {
  ClientPresence p;
  p.key.fill(7);
  p.online = true;
  p.nickname = "bob";
  p.virtual_ip = Ipv4::from_octets(25, 1, 2, 3);
  p.lan_endpoints = {Endpoint{Ipv4::from_octets(192, 168, 1, 5), 4000}};
  p.mapped = Endpoint{Ipv4::from_octets(198, 51, 100, 7), 5000};
  p.report.mapped_endpoint = *p.mapped;
  p.offline_networks = {"games"};
  const Bytes presence = encode_federation(PresenceNotice{3, p});
  auto back = decode_federation(presence);
  ASSERT_TRUE(back.ok());
  const auto& notice = std::get<PresenceNotice>(back.value());
  EXPECT_EQ(notice.from_server, 3u);
  EXPECT_EQ(notice.presence.nickname, "bob");
  EXPECT_EQ(notice.presence.mapped, p.mapped);
  EXPECT_FALSE(notice.presence.newest_mapping.has_value());
  EXPECT_EQ(notice.presence.offline_networks, p.offline_networks);
  EXPECT_EQ(notice.presence.lan_endpoints, p.lan_endpoints);

  const Bytes forward = encode_federation(ForwardedMessage{1, 2, p.key, PeerOffline{p.key}});
  auto f = decode_federation(forward);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(std::get<ForwardedMessage>(f.value()).to_server, 2u);
  EXPECT_TRUE(std::holds_alternative<PeerOffline>(std::get<ForwardedMessage>(f.value()).message));

  for (const Bytes& whole : {presence, forward}) {
    for (std::size_t n = 0; n < whole.size(); ++n) {
      EXPECT_FALSE(decode_federation(ByteView(whole.data(), n)).ok()) << n;
    }
    Bytes longer = whole;
    longer.push_back(0);
    EXPECT_EQ(decode_federation(longer).error(), DecodeError::kTrailingBytes);
  }
  Bytes bad_version = presence;
  bad_version[0] = 9;
  EXPECT_EQ(decode_federation(bad_version).error(), DecodeError::kBadVersion);
  Bytes bad_kind = presence;
  bad_kind[1] = 9;
  EXPECT_EQ(decode_federation(bad_kind).error(), DecodeError::kUnknownType);
  Bytes bad_flag = presence;
  bad_flag[2 + 4 + 32] = 2;  // the online flag
  EXPECT_EQ(decode_federation(bad_flag).error(), DecodeError::kFieldOutOfRange);
}

}  // namespace
}  // namespace yt::test
