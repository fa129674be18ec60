#include "platform/log_throttle.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottle, AFloodLogsABurstPerWindowAndCountsTheRest) {
  LogThrottle throttle(5, 1s);
  LogThrottle::Clock::time_point t{100s};
  int logged = 0;
  std::uint64_t reported_held = 0;
  // 76,000 events in 10 s, as in the bridge flood that filled the log.
  for (int i = 0; i < 76000; ++i) {
    if (auto held = throttle.admit(t + std::chrono::microseconds(i * 10000000LL / 76000))) {
      ++logged;
      reported_held += *held;
    }
  }
  EXPECT_EQ(logged, 50);  // 5 per second for 10 s
  // Each line logged reports what was held back since the one before, the first
  // line after the flood the rest: every event is accounted for.
  auto next = throttle.admit(t + 11s);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 7600u - 5u);
  EXPECT_EQ(logged + reported_held + *next, 76000u);
  EXPECT_EQ(held_back_note(*next), " (7595 more like it not shown)");
  EXPECT_EQ(*throttle.admit(t + 11s), 0u);
  EXPECT_EQ(held_back_note(0), "");
}

}  // namespace
}  // namespace yt
