// Bounds the log lines one kind of event can produce. Events a remote or local
// sender controls (garbage at the bridge port, a peer's chat flood) would otherwise
// write one line each: 76k datagrams made 76k lines in 10 s. At most `burst` lines
// per `window` go through; the rest are counted, and the next line that goes
// through says how many were held back, so nothing is silently lost.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace yt {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  LogThrottle(std::uint32_t burst, Clock::duration window) : burst_(burst), window_(window) {}

  // nullopt: do not log this one. Otherwise log it, mentioning the returned number
  // of lines held back since the last one logged (0: none).
  std::optional<std::uint64_t> admit(Clock::time_point now) {
    if (now - window_start_ >= window_) {
      window_start_ = now;
      used_ = 0;
    }
    if (used_ >= burst_) {
      ++held_back_;
      return std::nullopt;
    }
    ++used_;
    std::uint64_t held = held_back_;
    held_back_ = 0;
    return held;
  }

 private:
  std::uint32_t burst_;
  Clock::duration window_;
  Clock::time_point window_start_{};
  std::uint32_t used_ = 0;
  std::uint64_t held_back_ = 0;
};

// " (N more like it not shown)" for a held-back count, "" for none.
inline std::string held_back_note(std::uint64_t held) {
  return held == 0 ? std::string() : " (" + std::to_string(held) + " more like it not shown)";
}

}  // namespace yt
