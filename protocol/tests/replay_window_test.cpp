#include "protocol/replay_window.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

constexpr std::uint64_t kMax = ~std::uint64_t{0};

TEST(ReplayWindowTest, FreshWindowAcceptsCounterZeroOnce) {
  ReplayWindow w;
  EXPECT_TRUE(w.empty());
  EXPECT_TRUE(w.check(0));
  w.mark(0);
  EXPECT_FALSE(w.empty());
  EXPECT_EQ(w.top(), 0u);
  EXPECT_FALSE(w.check(0));
  EXPECT_TRUE(w.check(1));
}

TEST(ReplayWindowTest, CheckDoesNotMark) {
  ReplayWindow w;
  EXPECT_TRUE(w.check(5));
  EXPECT_TRUE(w.check(5));
  EXPECT_TRUE(w.empty());
}

TEST(ReplayWindowTest, InOrderSequenceEachAcceptedOnce) {
  ReplayWindow w;
  for (std::uint64_t c = 0; c < 10000; ++c) {
    ASSERT_TRUE(w.check(c)) << c;
    w.mark(c);
    ASSERT_FALSE(w.check(c)) << c;
  }
}

TEST(ReplayWindowTest, OutOfOrderWithinWindowAcceptedOnce) {
  ReplayWindow w;
  w.mark(100);
  EXPECT_TRUE(w.check(99));
  w.mark(99);
  EXPECT_FALSE(w.check(99));
  EXPECT_TRUE(w.check(50));
  EXPECT_TRUE(w.check(0));  // 100 behind, well inside
  EXPECT_EQ(w.top(), 100u);
}

TEST(ReplayWindowTest, ExactlyWindowSizeBehindIsTooOld) {
  ReplayWindow w;
  const std::uint64_t top = 10 * kReplayWindowSize + 37;  // not word aligned
  w.mark(top);
  EXPECT_FALSE(w.check(top - kReplayWindowSize));
  EXPECT_TRUE(w.check(top - kReplayWindowSize + 1));
  w.mark(top - kReplayWindowSize + 1);
  EXPECT_FALSE(w.check(top - kReplayWindowSize + 1));
  // Marking a too-old counter is a no-op and does not corrupt the ring.
  w.mark(top - kReplayWindowSize);
  EXPECT_FALSE(w.check(top - kReplayWindowSize));
  EXPECT_TRUE(w.check(top - 1));
}

TEST(ReplayWindowTest, EveryOffsetInsideWindowIsTracked) {
  // For every top alignment within a word, every counter in the window must be
  // tracked separately from its neighbours.
  for (std::uint64_t align = 0; align < 64; ++align) {
    ReplayWindow w;
    const std::uint64_t top = 5000 + align;
    w.mark(top);
    for (std::uint64_t back = 1; back < kReplayWindowSize; ++back) {
      ASSERT_TRUE(w.check(top - back)) << align << " " << back;
      w.mark(top - back);
      ASSERT_FALSE(w.check(top - back));
    }
    EXPECT_FALSE(w.check(top - kReplayWindowSize));
  }
}

TEST(ReplayWindowTest, JumpFarAheadForgetsEverythingBehind) {
  ReplayWindow w;
  for (std::uint64_t c = 0; c < 100; ++c) w.mark(c);
  const std::uint64_t far = std::uint64_t{1} << 40;
  EXPECT_TRUE(w.check(far));
  w.mark(far);
  EXPECT_EQ(w.top(), far);
  EXPECT_FALSE(w.check(far));
  EXPECT_FALSE(w.check(99));  // far too old now
  // Counters just below the new top were never seen: stale bits must be cleared.
  EXPECT_TRUE(w.check(far - 1));
  EXPECT_TRUE(w.check(far - kReplayWindowSize + 1));
}

TEST(ReplayWindowTest, JumpLessThanRingClearsRecycledWords) {
  ReplayWindow w;
  for (std::uint64_t c = 0; c < kReplayWindowSize; ++c) w.mark(c);
  // Advance by one ring's worth minus one word: the words reused for the new
  // counters held old, now-invalid bits.
  const std::uint64_t next = kReplayWindowSize + 1000;
  w.mark(next);
  for (std::uint64_t c = next - kReplayWindowSize + 1; c < kReplayWindowSize; ++c) {
    ASSERT_FALSE(w.check(c)) << c;  // really seen, still inside
  }
  for (std::uint64_t c = kReplayWindowSize; c < next; ++c) {
    ASSERT_TRUE(w.check(c)) << c;  // never seen
  }
}

TEST(ReplayWindowTest, WorksNearCounterLimit) {
  ReplayWindow w;
  w.mark(kMax - 1);
  EXPECT_TRUE(w.check(kMax));
  EXPECT_TRUE(w.check(kMax - 2));
  w.mark(kMax);
  EXPECT_FALSE(w.check(kMax));
  EXPECT_FALSE(w.check(kMax - 1));
  EXPECT_TRUE(w.check(kMax - 2));
  EXPECT_FALSE(w.check(0));
}

}  // namespace
}  // namespace yt
