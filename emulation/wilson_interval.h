// The Wilson score interval for a binomial proportion: where the true rate of a
// pair (its P2P rate, its connectivity) lies with 95% confidence, given the
// attempts run. Unlike the plain "p +- 1.96 sqrt(p(1-p)/n)" it stays inside
// [0, 1] and is honest at 0 and 1 successes and at small n: 10 of 10 direct says
// the rate is above 72%, not that it is 100%.
#pragma once

#include <algorithm>
#include <cmath>

namespace yt::emulation {

struct RateInterval {
  double low = 0;
  double high = 1;
};

inline RateInterval wilson_interval(int successes, int trials, double z = 1.959963984540054) {
  if (trials <= 0) return RateInterval{0, 1};
  const double n = trials;
  const double p = successes / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return RateInterval{std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

}  // namespace yt::emulation
