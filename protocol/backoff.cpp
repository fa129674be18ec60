#include "protocol/backoff.h"

#include <algorithm>

namespace yt {

Duration Backoff::next(RandomSource& rng) {
  Duration base = min_;
  // Doubling stops once max is reached, so the shift can never overflow.
  for (int i = 0; i < attempt_ && base < max_; ++i) base *= 2;
  base = std::min(base, max_);
  if (attempt_ < 64) ++attempt_;
  std::int64_t spread = base.count() / 5;
  std::int64_t cut = spread > 0 ? static_cast<std::int64_t>(
                                      rng.uniform(static_cast<std::uint32_t>(std::min<std::int64_t>(spread, UINT32_MAX))))
                                : 0;
  return Duration(base.count() - cut);
}

}  // namespace yt
