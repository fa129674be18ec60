#include "client/core/tunnel_retry.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

PublicKey key(std::uint8_t b) {
  PublicKey k{};
  k[0] = b;
  return k;
}
const Time kT0 = time_from_us(1'000'000);

TEST(TunnelRetry, FirstRequestWaitsThenBacksOffToTheCap) {
  TunnelRetry retry(30s, 100s);
  const std::set<PublicKey> wanting{key(1)};
  EXPECT_TRUE(retry.due(kT0, wanting).empty());  // noticed now, asked later
  EXPECT_EQ(retry.next_deadline(), kT0 + 30s);
  EXPECT_TRUE(retry.due(kT0 + 29s, wanting).empty());
  EXPECT_EQ(retry.due(kT0 + 30s, wanting), std::vector<PublicKey>{key(1)});
  EXPECT_EQ(retry.next_deadline(), kT0 + 90s);  // 60 s later
  EXPECT_EQ(retry.due(kT0 + 90s, wanting).size(), 1u);
  EXPECT_EQ(retry.next_deadline(), kT0 + 190s);  // 120 s, capped at 100 s
}

TEST(TunnelRetry, APeerThatStopsWantingStartsOver) {
  TunnelRetry retry(30s, 15min);
  std::set<PublicKey> wanting{key(1), key(2)};
  (void)retry.due(kT0, wanting);
  EXPECT_EQ(retry.due(kT0 + 30s, wanting), (std::vector<PublicKey>{key(1), key(2)}));
  wanting.erase(key(1));  // its tunnel works again
  EXPECT_EQ(retry.due(kT0 + 40s, wanting).size(), 0u);
  wanting.insert(key(1));  // and failed again: the first wait again, not the backed-off one
  EXPECT_TRUE(retry.due(kT0 + 50s, wanting).empty());
  EXPECT_EQ(retry.due(kT0 + 80s, wanting), std::vector<PublicKey>{key(1)});
  retry.clear();
  EXPECT_EQ(retry.next_deadline(), std::nullopt);
}

}  // namespace
}  // namespace yt
