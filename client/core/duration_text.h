// "10 s" / "500 ms": durations in reasons shown to humans (events, logs).
#pragma once

#include <string>

#include "protocol/time.h"

namespace yt {

inline std::string duration_text(Duration d) {
  std::int64_t ms = to_ms(d);
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace yt
