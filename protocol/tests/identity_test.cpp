#include "protocol/identity.h"

#include <gtest/gtest.h>

#include "protocol/random.h"

namespace yt {
namespace {

TEST(IdentityTest, DerivesPublicKeyAndNodeId) {
  SeededRandom r(3);
  Identity id = Identity::generate(r);
  auto again = Identity::from_secret(ByteView(id.secret_key.data(), id.secret_key.size()));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key, id.public_key);
  EXPECT_EQ(node_id(id.public_key).size(), 14u);
  EXPECT_EQ(key_from_hex(key_to_hex(id.public_key)), id.public_key);
  EXPECT_FALSE(key_from_hex("abcd"));
}

}  // namespace
}  // namespace yt
