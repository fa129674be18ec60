#include "protocol/token_bucket.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(TokenBucket, SpendsItsBurstThenRefillsAtItsRate) {
  TokenBucket bucket(2, 4);  // 2/s, burst 4
  Time t = time_from_us(1'000'000);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(bucket.take(t)) << i;
  EXPECT_FALSE(bucket.take(t));
  EXPECT_EQ(bucket.wait(t), Duration(500'000));
  EXPECT_FALSE(bucket.take(t + 499ms));
  EXPECT_TRUE(bucket.take(t + 501ms));
  EXPECT_FALSE(bucket.full(t + 501ms));
  EXPECT_TRUE(bucket.full(t + 10s));
}

TEST(TokenBucket, TakesSeveralTokensAtOnceOrNone) {
  TokenBucket bytes(1000, 1500);  // a byte budget: 1000 B/s, 1500 B at once
  Time t = time_from_us(1'000'000);
  EXPECT_TRUE(bytes.take(t, 1400));
  EXPECT_FALSE(bytes.take(t, 200));  // only 100 left: nothing is taken
  EXPECT_TRUE(bytes.take(t, 100));
  EXPECT_TRUE(bytes.take(t + 1s, 1000));
}

}  // namespace
}  // namespace yt
