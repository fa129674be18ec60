// Exponential reconnect backoff with random jitter.
//
// The n-th delay after reset() (n = 0, 1, ...) is base = min(max, min * 2^n), shortened
// by a random amount of up to a fifth of it: in (0.8 * base, base]. The jitter keeps a
// thousand clients that lost one server from reconnecting in lockstep when it comes
// back; shortening (not lengthening) keeps `max` a true upper bound.
#pragma once

#include "protocol/random.h"
#include "protocol/time.h"

namespace yt {

class Backoff {
 public:
  // Precondition: 0 < min <= max.
  Backoff(Duration min, Duration max) : min_(min), max_(max) {}

  // The next delay to wait; draws one number from `rng`.
  Duration next(RandomSource& rng);
  // After a success: the next delay starts again at `min`.
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  Duration min_;
  Duration max_;
  int attempt_ = 0;
};

}  // namespace yt
