// The Wilson score interval (emulation/wilson_interval.h) against values computed
// by hand from its formula (and matching statsmodels' proportion_confint(method="wilson")).
#include "emulation/wilson_interval.h"

#include <gtest/gtest.h>

namespace yt::emulation {
namespace {

TEST(WilsonInterval, MatchesKnownValuesAndStaysInsideZeroToOne) {
  RateInterval all = wilson_interval(10, 10);
  EXPECT_NEAR(all.low, 0.7225, 1e-4);
  EXPECT_DOUBLE_EQ(all.high, 1.0);
  RateInterval none = wilson_interval(0, 10);
  EXPECT_DOUBLE_EQ(none.low, 0.0);
  EXPECT_NEAR(none.high, 0.2775, 1e-4);
  RateInterval half = wilson_interval(5, 10);
  EXPECT_NEAR(half.low, 0.2366, 1e-4);
  EXPECT_NEAR(half.high, 0.7634, 1e-4);
  RateInterval many = wilson_interval(595, 1000);
  EXPECT_NEAR(many.low, 0.5643, 1e-4);
  EXPECT_NEAR(many.high, 0.6250, 1e-4);
  RateInterval nothing = wilson_interval(0, 0);
  EXPECT_DOUBLE_EQ(nothing.low, 0.0);
  EXPECT_DOUBLE_EQ(nothing.high, 1.0);
}

}  // namespace
}  // namespace yt::emulation
