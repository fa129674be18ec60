#include "client/core/membership.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

PublicKey key(std::uint8_t b) {
  PublicKey k{};
  k[0] = b;
  return k;
}
MemberInfo member(std::uint8_t b, bool online = true) {
  return MemberInfo{key(b), "m" + std::to_string(b), Ipv4{25u << 24 | b}, online};
}

TEST(Membership, SnapshotIsSortedByNameAndKey) {
  Membership m(key(1));
  m.replace(NetworkSnapshot{{NetworkInfo{"zeta", {member(3), member(1)}}, NetworkInfo{"alpha", {member(2), member(1)}}}});
  ASSERT_EQ(m.networks().size(), 2u);
  EXPECT_EQ(m.networks()[0].name, "alpha");
  EXPECT_EQ(m.networks()[1].members[0].key, key(1));
  EXPECT_EQ(m.networks()[1].members[1].key, key(3));
}

TEST(Membership, SharesNetworksOutsideAnExcludedSet) {
  Membership m(key(1));
  m.replace(NetworkSnapshot{{NetworkInfo{"lan", {member(1), member(2), member(3)}},
                             NetworkInfo{"games", {member(1), member(2)}}}});
  EXPECT_TRUE(m.shares_network_outside(key(2), {"lan"}));
  EXPECT_FALSE(m.shares_network_outside(key(3), {"lan"}));
  EXPECT_TRUE(m.shares_network_outside(key(3), {"games"}));
  EXPECT_FALSE(m.shares_network_outside(key(2), {"lan", "games"}));
  EXPECT_FALSE(m.shares_network_outside(key(1), {}));  // ourselves
}

TEST(Membership, OnlineInANetworkOutsideAnExcludedSet) {
  Membership m(key(1));
  // Peer 2 is offline in games, online in lan.
  m.replace(NetworkSnapshot{{NetworkInfo{"lan", {member(1), member(2)}},
                             NetworkInfo{"games", {member(1), member(2, false)}}}});
  EXPECT_TRUE(m.online_in_network_outside(key(2), {}));
  EXPECT_TRUE(m.online_in_network_outside(key(2), {"games"}));
  EXPECT_FALSE(m.online_in_network_outside(key(2), {"lan"}));  // we are offline where it is online
}

TEST(Membership, UpdatesInsertAndReplaceMembers) {
  Membership m(key(1));
  m.replace(NetworkSnapshot{{NetworkInfo{"lan", {member(1)}}}});
  m.update(MemberUpdate{"lan", member(2)});
  m.update(MemberUpdate{"lan", member(2, false)});
  m.update(MemberUpdate{"new", member(3)});  // overtook its snapshot
  ASSERT_EQ(m.networks().size(), 2u);
  ASSERT_EQ(m.networks()[0].members.size(), 2u);
  EXPECT_FALSE(m.networks()[0].members[1].online);
  EXPECT_EQ(m.networks()[1].name, "new");
}

TEST(Membership, SharesNetworkAndPeers) {
  Membership m(key(1));
  m.replace(NetworkSnapshot{{NetworkInfo{"a", {member(1), member(2, false)}}, NetworkInfo{"b", {member(1), member(2, true), member(3)}}}});
  EXPECT_TRUE(m.shares_network(key(2)));
  EXPECT_FALSE(m.shares_network(key(1)));  // ourselves
  EXPECT_FALSE(m.shares_network(key(9)));
  auto peers = m.peers();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_TRUE(peers.at(key(2)).online);  // online in any network
  m.remove(MemberLeft{"b", key(3)});
  EXPECT_FALSE(m.shares_network(key(3)));
  m.remove(MemberLeft{"a", key(2)});
  EXPECT_TRUE(m.shares_network(key(2)));  // still in b
}

TEST(Membership, OurOwnDepartureRemovesTheNetwork) {
  Membership m(key(1));
  m.replace(NetworkSnapshot{{NetworkInfo{"lan", {member(1), member(2)}}}});
  m.remove(MemberLeft{"lan", key(1)});
  EXPECT_TRUE(m.networks().empty());
  EXPECT_FALSE(m.shares_network(key(2)));
  m.remove(MemberLeft{"nonexistent", key(2)});  // harmless
}

TEST(Membership, NetworkLooksUpByName) {
  Membership m(key(1));
  m.replace(NetworkSnapshot{{NetworkInfo{"zeta", {member(1)}}, NetworkInfo{"alpha", {member(1), member(2)}}}});
  ASSERT_NE(m.network("alpha"), nullptr);
  EXPECT_EQ(m.network("alpha")->members.size(), 2u);
  EXPECT_EQ(m.network("zeta")->name, "zeta");
  EXPECT_EQ(m.network("beta"), nullptr);
}

TEST(Membership, VersionChangesWithEveryChange) {
  Membership m(key(1));
  std::uint64_t v = m.version();
  m.replace(NetworkSnapshot{{NetworkInfo{"lan", {member(1)}}}});
  EXPECT_NE(m.version(), v);
  v = m.version();
  EXPECT_EQ(m.version(), v);  // reading does not change it
  (void)m.peers();
  EXPECT_EQ(m.version(), v);
  m.update(MemberUpdate{"lan", member(2)});
  EXPECT_NE(m.version(), v);
  v = m.version();
  m.remove(MemberLeft{"lan", key(2)});
  EXPECT_NE(m.version(), v);
  v = m.version();
  m.clear();
  EXPECT_NE(m.version(), v);
}

}  // namespace
}  // namespace yt
