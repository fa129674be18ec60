// Time as the core sees it: microseconds on a monotonic clock whose epoch belongs to
// the driver (process start for Asio, simulation start for ns-3, zero in tests).
// The core never reads a clock; every entry point receives `now` (docs/style.md rule 2).
// Time values from two different nodes are never compared: a schedule that crosses
// the network travels as a relative delay.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace yt {

// A clock tag with no now(): only drivers know what time it is.
struct CoreClock {
  using rep = std::int64_t;
  using period = std::micro;
  using duration = std::chrono::microseconds;
  using time_point = std::chrono::time_point<CoreClock>;
  static constexpr bool is_steady = true;
};

using Duration = std::chrono::microseconds;
using Time = CoreClock::time_point;

constexpr Time time_from_us(std::int64_t us) { return Time(Duration(us)); }
constexpr std::int64_t to_us(Time t) { return t.time_since_epoch().count(); }
constexpr std::int64_t to_ms(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

using namespace std::chrono_literals;  // 25s, 100ms, ... in config defaults

}  // namespace yt
