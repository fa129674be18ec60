#include "client/core/network_presence.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

PublicKey key(std::uint8_t b) {
  PublicKey k{};
  k[0] = b;
  return k;
}

TEST(NetworkPresence, MutesPeersSharingOnlyOfflineNetworks) {
  PublicKey self = key(9), bob = key(1), carol = key(2);
  Membership membership(self);
  membership.replace(NetworkSnapshot{{{"lan", {{self, "me", {}, true}, {bob, "bob", {}, true}}},
                                      {"games", {{self, "me", {}, true}, {bob, "bob", {}, true}, {carol, "carol", {}, true}}}}});
  NetworkPresence presence({});
  EXPECT_FALSE(presence.muted(membership, carol));
  EXPECT_EQ(presence.muted_predicate(membership), nullptr);  // offline nowhere: no per-packet check
  EXPECT_EQ(presence.plannable(membership), (std::set<PublicKey>{bob, carol}));

  EXPECT_TRUE(presence.set_online("games", false));
  EXPECT_FALSE(presence.set_online("games", false));  // no change
  EXPECT_FALSE(presence.muted(membership, bob));   // still shares lan
  EXPECT_TRUE(presence.muted(membership, carol));  // only games
  EXPECT_TRUE(presence.muted_predicate(membership)(carol));
  EXPECT_EQ(presence.plannable(membership), (std::set<PublicKey>{bob}));

  // A membership change is seen without telling the presence.
  membership.update(MemberUpdate{"lan", {carol, "carol", {}, true}});
  EXPECT_FALSE(presence.muted(membership, carol));

  EXPECT_TRUE(presence.set_online("games", true));
  EXPECT_FALSE(presence.offline_in("games"));
  EXPECT_FALSE(presence.muted(membership, key(7)));  // shares nothing: not muted, just unknown
}

TEST(NetworkPresence, DropsNamesTheServerCouldNotDecode) {
  NetworkPresence presence({"lan", "", std::string(65, 'n'), "bad\nname"});
  EXPECT_EQ(presence.offline_networks(), (std::set<std::string>{"lan"}));
}

}  // namespace
}  // namespace yt
