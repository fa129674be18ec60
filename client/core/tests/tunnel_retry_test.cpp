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

const std::set<PublicKey> kNone;

TEST(TunnelRetry, FirstRequestWaitsThenBacksOffToTheCap) {
  TunnelRetry retry(30s, 100s);
  const std::set<PublicKey> wanting{key(1)};
  EXPECT_TRUE(retry.due(kT0, wanting, kNone).empty());  // noticed now, asked later
  EXPECT_EQ(retry.next_deadline(), kT0 + 30s);
  EXPECT_TRUE(retry.due(kT0 + 29s, wanting, kNone).empty());
  EXPECT_EQ(retry.due(kT0 + 30s, wanting, kNone), std::vector<PublicKey>{key(1)});
  EXPECT_EQ(retry.next_deadline(), kT0 + 90s);  // 60 s later
  EXPECT_EQ(retry.due(kT0 + 90s, wanting, kNone).size(), 1u);
  EXPECT_EQ(retry.next_deadline(), kT0 + 190s);  // 120 s, capped at 100 s
}

TEST(TunnelRetry, AnAttemptThatPunchesPastItsTimeIsNoDeadline) {
  // A re-plan punching for longer than the next wait (a NAT reboot mid-punch): its
  // time passes while it is "trying". That must not be a deadline in the past,
  // which would fire the client's timer at the same instant for ever.
  TunnelRetry retry(30s, 15min);
  const std::set<PublicKey> peer{key(1)};
  (void)retry.due(kT0, peer, kNone);
  ASSERT_EQ(retry.due(kT0 + 30s, peer, kNone).size(), 1u);  // next at 90 s
  EXPECT_TRUE(retry.due(kT0 + 100s, kNone, peer).empty());
  EXPECT_EQ(retry.next_deadline(), std::nullopt);
  // Wanting again later: asked at once, its time having passed.
  EXPECT_EQ(retry.due(kT0 + 200s, peer, kNone).size(), 1u);
  EXPECT_GT(*retry.next_deadline(), kT0 + 200s);
}

TEST(TunnelRetry, AnAttemptInProgressKeepsTheBackoff) {
  // Each request brings a new plan: while it punches the peer is "trying", and when
  // it fails again the next request must wait longer, not start over at 30 s.
  TunnelRetry retry(30s, 15min);
  const std::set<PublicKey> peer{key(1)};
  (void)retry.due(kT0, peer, kNone);
  ASSERT_EQ(retry.due(kT0 + 30s, peer, kNone).size(), 1u);
  EXPECT_TRUE(retry.due(kT0 + 31s, kNone, peer).empty());  // punching under the new plan
  EXPECT_TRUE(retry.due(kT0 + 45s, peer, kNone).empty());  // failed again
  EXPECT_EQ(retry.next_deadline(), kT0 + 90s);
  EXPECT_EQ(retry.due(kT0 + 90s, peer, kNone).size(), 1u);
}

TEST(TunnelRetry, ZeroWaitsAreRaisedSoTheTimerCannotSpin) {
  TunnelRetry retry(0s, 0s);
  (void)retry.due(kT0, {key(1)}, kNone);
  EXPECT_EQ(retry.next_deadline(), kT0 + 1s);
}

TEST(TunnelRetry, AWorkingTunnelStartsOver) {
  TunnelRetry retry(30s, 15min);
  std::set<PublicKey> wanting{key(1), key(2)};
  (void)retry.due(kT0, wanting, kNone);
  EXPECT_EQ(retry.due(kT0 + 30s, wanting, kNone), (std::vector<PublicKey>{key(1), key(2)}));
  wanting.erase(key(1));  // its tunnel works again (neither wanting nor trying)
  EXPECT_EQ(retry.due(kT0 + 40s, wanting, kNone).size(), 0u);
  wanting.insert(key(1));  // and failed later: the first wait again, not the backed-off one
  EXPECT_TRUE(retry.due(kT0 + 50s, wanting, kNone).empty());
  EXPECT_EQ(retry.due(kT0 + 80s, wanting, kNone), std::vector<PublicKey>{key(1)});
  retry.clear();
  EXPECT_EQ(retry.next_deadline(), std::nullopt);
}

}  // namespace
}  // namespace yt
