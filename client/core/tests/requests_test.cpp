#include "client/core/requests.h"

#include <gtest/gtest.h>

#include "client/core/session_indexes.h"

namespace yt {
namespace {

TEST(RequestTracker, IdsCountUpAndCompleteOnce) {
  RequestTracker t;
  EXPECT_EQ(t.add(RequestKind::kJoinNetwork, "lan"), 1u);
  EXPECT_EQ(t.add(RequestKind::kSetNickname, "bob"), 2u);
  auto r = t.complete(2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, RequestKind::kSetNickname);
  EXPECT_EQ(r->argument, "bob");
  EXPECT_FALSE(t.complete(2));
  EXPECT_FALSE(t.complete(99));
  EXPECT_EQ(t.take_all(), std::vector<std::uint32_t>{1});
  EXPECT_TRUE(t.take_all().empty());
}

TEST(SessionIndexes, RandomNonzeroUniqueAndReleasable) {
  SeededRandom rng(3, 0);
  SessionIndexes indexes;
  PublicKey owner{};
  owner[0] = 7;
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 1000; ++i) {
    std::uint32_t index = indexes.allocate(rng, owner);
    EXPECT_NE(index, 0u);
    EXPECT_TRUE(seen.insert(index).second);
  }
  std::uint32_t first = *seen.begin();
  ASSERT_NE(indexes.find(first), nullptr);
  EXPECT_EQ(*indexes.find(first), owner);
  indexes.release(first);
  EXPECT_EQ(indexes.find(first), nullptr);
  EXPECT_EQ(indexes.size(), 999u);
}

}  // namespace
}  // namespace yt
