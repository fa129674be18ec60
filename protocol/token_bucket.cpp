#include "protocol/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace yt {

void TokenBucket::refill(Time now) {
  if (last_ && now > *last_) {
    double elapsed_s = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed_s * rate_);
  }
  if (!last_ || now > *last_) last_ = now;
}

bool TokenBucket::take(Time now, double n) {
  refill(now);
  if (tokens_ < n) return false;
  tokens_ -= n;
  return true;
}

Duration TokenBucket::wait(Time now) {
  refill(now);
  if (tokens_ >= 1 || rate_ <= 0) return Duration(0);
  return Duration(static_cast<std::int64_t>(std::ceil((1 - tokens_) / rate_ * 1e6)));
}

bool TokenBucket::full(Time now) {
  refill(now);
  return tokens_ >= burst_;
}

}  // namespace yt
