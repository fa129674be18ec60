#include "nat-models/mapping_table.h"

#include <gtest/gtest.h>

#include "nat-models/tests/nat_test_util.h"

namespace yt::nat {
namespace {

using test::ep;

const Time kT0{};

TEST(MappingTableTest, KeysFollowTheMappingBehaviour) {
  const Endpoint in = ep("10.0.0.2:1000");
  const Endpoint dst = ep("203.0.113.1:3478");
  EXPECT_EQ(make_mapping_key(MappingBehavior::kEndpointIndependent, Transport::kUdp, in, dst).remote,
            Endpoint{});
  EXPECT_EQ(make_mapping_key(MappingBehavior::kAddressDependent, Transport::kUdp, in, dst).remote,
            (Endpoint{dst.ip, 0}));
  EXPECT_EQ(make_mapping_key(MappingBehavior::kAddressPortDependent, Transport::kUdp, in, dst).remote, dst);
}

TEST(MappingTableTest, FindsByKeyAndByPublicEndpoint) {
  MappingTable t(8);
  const MappingKey key{Transport::kUdp, ep("10.0.0.2:1000"), {}};
  Mapping& m = t.insert(key, ep("198.51.100.1:2000"), kT0, kT0 + 10s);
  EXPECT_EQ(t.find(key), &m);
  EXPECT_EQ(t.find_public(Transport::kUdp, ep("198.51.100.1:2000")), &m);
  EXPECT_EQ(t.find_public(Transport::kTcp, ep("198.51.100.1:2000")), nullptr);
  EXPECT_EQ(t.size(), 1u);
}

TEST(MappingTableTest, ExpiresInOrderAndRemembersExpiredEndpoints) {
  MappingTable t(8);
  Mapping& a = t.insert({Transport::kUdp, ep("10.0.0.2:1"), {}}, ep("198.51.100.1:1"), kT0, kT0 + 10s);
  t.insert({Transport::kUdp, ep("10.0.0.2:2"), {}}, ep("198.51.100.1:2"), kT0, kT0 + 20s);
  t.set_expiry(a, kT0 + 30s);
  EXPECT_EQ(t.next_expiry(), kT0 + 20s);
  EXPECT_EQ(t.live_count(kT0 + 25s), 1u);

  auto gone = t.expire(kT0 + 25s);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].public_endpoint, ep("198.51.100.1:2"));
  EXPECT_TRUE(t.recently_expired(Transport::kUdp, ep("198.51.100.1:2")));
  EXPECT_FALSE(t.recently_expired(Transport::kUdp, ep("198.51.100.1:1")));
  EXPECT_EQ(t.next_expiry(), kT0 + 30s);

  // Reusing the endpoint hides the old expiry.
  t.insert({Transport::kUdp, ep("10.0.0.3:2"), {}}, ep("198.51.100.1:2"), kT0, kT0 + 40s);
  EXPECT_FALSE(t.recently_expired(Transport::kUdp, ep("198.51.100.1:2")));
}

TEST(MappingTableTest, ExpiredMemoryIsBounded) {
  MappingTable t(2);
  for (std::uint16_t p = 1; p <= 3; ++p) {
    t.insert({Transport::kUdp, Endpoint{test::ip("10.0.0.2"), p}, {}}, Endpoint{test::ip("198.51.100.1"), p},
             kT0, kT0 + 1s);
  }
  EXPECT_EQ(t.expire(kT0 + 1s).size(), 3u);
  EXPECT_EQ(t.size(), 0u);
  int remembered = 0;
  for (std::uint16_t p = 1; p <= 3; ++p) {
    remembered += t.recently_expired(Transport::kUdp, Endpoint{test::ip("198.51.100.1"), p});
  }
  EXPECT_EQ(remembered, 2);
}

TEST(MappingTableTest, ClearForgetsEverythingWithoutCallingItExpiry) {
  MappingTable t(8);
  t.insert({Transport::kUdp, ep("10.0.0.2:1"), {}}, ep("198.51.100.1:1"), kT0, kT0 + 10s);
  EXPECT_EQ(t.clear().size(), 1u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.next_expiry());
  EXPECT_FALSE(t.recently_expired(Transport::kUdp, ep("198.51.100.1:1")));
}

TEST(MappingTableTest, AKeyKeepsItsSupersededMappingsUntilEachExpires) {
  MappingTable t(8);
  const MappingKey key{Transport::kUdp, ep("10.0.0.2:1000"), {}};
  const Endpoint server = ep("203.0.113.1:1");
  const Endpoint peer = ep("203.0.113.2:1");
  Mapping& older = t.insert(key, ep("198.51.100.1:1000"), kT0, kT0 + 20s);
  older.sessions[server].expires = kT0 + 20s;
  Mapping& newer = t.insert(key, ep("198.51.100.1:2000"), kT0, kT0 + 10s);
  newer.sessions[peer].expires = kT0 + 10s;

  EXPECT_EQ(t.find(key), &newer);
  EXPECT_EQ(t.find_with_session(key, server, kT0), &older);
  EXPECT_EQ(t.find_with_session(key, peer, kT0), &newer);
  EXPECT_EQ(t.find_with_session(key, ep("203.0.113.3:1"), kT0), nullptr);
  EXPECT_EQ(t.find_public(Transport::kUdp, ep("198.51.100.1:1000")), &older);
  EXPECT_TRUE(t.superseded(older, kT0));
  EXPECT_FALSE(t.superseded(newer, kT0));
  EXPECT_EQ(t.size(), 2u);

  // Before a sweep, const lookups skip the expired newer mapping.
  const MappingTable& view = t;
  EXPECT_EQ(view.find_live(key, kT0 + 15s), &older);
  EXPECT_EQ(view.find_with_session(key, peer, kT0 + 15s), nullptr);
  EXPECT_FALSE(t.superseded(older, kT0 + 15s));

  // Once the newer one is gone the older one is current again.
  ASSERT_EQ(t.expire(kT0 + 15s).size(), 1u);
  EXPECT_EQ(t.find(key), &older);
  ASSERT_EQ(t.expire(kT0 + 20s).size(), 1u);
  EXPECT_EQ(t.find(key), nullptr);
  EXPECT_EQ(t.find_live(key, kT0), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(MappingTableTest, ClearForgetsEveryMappingOfAKey) {
  MappingTable t(8);
  const MappingKey key{Transport::kUdp, ep("10.0.0.2:1000"), {}};
  t.insert(key, ep("198.51.100.1:1000"), kT0, kT0 + 10s);
  t.insert(key, ep("198.51.100.1:2000"), kT0, kT0 + 10s);
  EXPECT_EQ(t.clear().size(), 2u);
  EXPECT_EQ(t.find(key), nullptr);
  Mapping& fresh = t.insert(key, ep("198.51.100.1:1000"), kT0, kT0 + 10s);
  EXPECT_EQ(t.find(key), &fresh);
  EXPECT_FALSE(t.superseded(fresh, kT0));
  EXPECT_EQ(t.expire(kT0 + 10s).size(), 1u);
  EXPECT_EQ(t.find(key), nullptr);
}

TEST(MappingTableTest, SessionsAnswerTheFilterQuestions) {
  Mapping m;
  m.sessions[ep("203.0.113.1:5")].expires = kT0 + 10s;
  m.sessions[ep("203.0.113.2:5")].expires = kT0 + 1s;
  EXPECT_NE(m.live_session(ep("203.0.113.1:5"), kT0 + 5s), nullptr);
  EXPECT_EQ(m.live_session(ep("203.0.113.1:6"), kT0 + 5s), nullptr);
  EXPECT_TRUE(m.has_live_session_with_ip(test::ip("203.0.113.1"), kT0 + 5s));
  EXPECT_FALSE(m.has_live_session_with_ip(test::ip("203.0.113.2"), kT0 + 5s));  // timed out
  EXPECT_FALSE(m.has_live_session_with_ip(test::ip("203.0.113.3"), kT0));
}

}  // namespace
}  // namespace yt::nat
