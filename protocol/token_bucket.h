// A token bucket on core time: `per_second` tokens a second, at most `burst` saved.
// Used wherever a sender's rate is bounded (server admission, relay forwarding).
#pragma once

#include <optional>

#include "protocol/time.h"

namespace yt {

class TokenBucket {
 public:
  TokenBucket(double per_second, double burst) : rate_(per_second), burst_(burst), tokens_(burst) {}
  // Takes `n` tokens if they are there at `now`.
  bool take(Time now, double n = 1);
  // How long from `now` until the next token; zero when one is there.
  Duration wait(Time now);
  bool full(Time now);

 private:
  void refill(Time now);
  double rate_;
  double burst_;
  double tokens_;
  std::optional<Time> last_;
};

}  // namespace yt
