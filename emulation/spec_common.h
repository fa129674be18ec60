// What spec_check.cpp and spec_scenario.cpp share: the engine's reserved relay
// names and two conversions. Internal to the scenario engine.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>

#include "emulation/spec_scenario.h"
#include "emulation/topology.h"
#include "protocol/time.h"

namespace yt::emulation::spec_detail {

constexpr char kBuiltInRelay[] = "built-in";
constexpr char kBusiestRelay[] = "@busiest";
constexpr char kMostForwardedRelay[] = "@most-forwarded";

inline Duration from_s(double s) {
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(s * 1e6)));
}

// A LAN slower than a CSMA wire can model (topology.h, LanSpec).
inline bool slow_lan(const SiteSpec& site) { return from_s(site.lan_delay_ms / 1000) > kMaxCsmaLanDelay; }

}  // namespace yt::emulation::spec_detail
