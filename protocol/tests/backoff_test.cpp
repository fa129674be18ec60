#include "protocol/backoff.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(Backoff, DoublesWithJitterAndCapsAtMax) {
  SeededRandom rng(1, 0);
  Backoff backoff(1s, 60s);
  Duration base = 1s;
  for (int i = 0; i < 12; ++i) {
    Duration d = backoff.next(rng);
    EXPECT_LE(d, base) << i;
    EXPECT_GT(d, base * 4 / 5) << i;
    base = std::min<Duration>(base * 2, 60s);
  }
}

TEST(Backoff, ResetStartsOverAtMin) {
  SeededRandom rng(1, 0);
  Backoff backoff(1s, 60s);
  for (int i = 0; i < 5; ++i) (void)backoff.next(rng);
  backoff.reset();
  EXPECT_LE(backoff.next(rng), 1s);
}

TEST(Backoff, SameSeedSameDelays) {
  SeededRandom r1(9, 0), r2(9, 0);
  Backoff b1(1s, 60s), b2(1s, 60s);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(b1.next(r1), b2.next(r2));
}

TEST(Backoff, ManyAttemptsNeverOverflow) {
  SeededRandom rng(1, 0);
  Backoff backoff(1us, 1h);
  Duration d{};
  for (int i = 0; i < 500; ++i) d = backoff.next(rng);
  EXPECT_LE(d, 1h);
  EXPECT_GT(d, 1h * 4 / 5);
}

}  // namespace
}  // namespace yt
