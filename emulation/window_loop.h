// The scenario engine's run in windows (link_windows.h), on one process or two
// (split_run.h). Internal to the engine (spec_scenario.cpp).
#pragma once

#include <ns3/nstime.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulation/link_windows.h"
#include "emulation/split_run.h"

namespace yt::emulation {

// Runs the simulator until `end` (its Stop already scheduled) in windows of a
// kWindowsPerLookahead-th of the lookahead. A window's packets are transmitted
// at the end of the last window within the lookahead, so each process may run
// kWindowsPerLookahead - 1 windows ahead of the other's news. Except at a window
// that ends just before a whole second, where churn and the once-a-second sample
// look at who is present: there both wait for each other's latest news and
// transmit everything. Split (`split`, this process partition `me`), each
// window's news carries the clients that synced in it (`synced`, which it
// empties), and the other's set them in `present`. Returns why the run cannot go
// on: the other process ended, or sent what cannot be read.
std::optional<std::string> run_in_windows(ns3::Time end, LinkWindows& windows, SplitRun* split, int me,
                                          std::vector<std::uint32_t>& synced, std::vector<bool>& present);

constexpr uint32_t kWindowsPerLookahead = 4;

}  // namespace yt::emulation
