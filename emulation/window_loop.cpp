#include "emulation/window_loop.h"

#include <ns3/simulator.h>

#include <algorithm>

#include "emulation/spec_partition.h"

namespace yt::emulation {

std::optional<std::string> run_in_windows(ns3::Time end, LinkWindows& windows, SplitRun* split, int me,
                                          std::vector<std::uint32_t>& synced, std::vector<bool>& present) {
  constexpr uint32_t kLag = kWindowsPerLookahead - 1;
  const int64_t step = std::max<int64_t>(1, windows.Lookahead().GetTimeStep() / kWindowsPerLookahead);
  const int64_t second = ns3::Seconds(1).GetTimeStep();
  const int64_t last = end.GetTimeStep();
  std::size_t posted = 0, taken = 0;  // window news, by this process and from the other
  auto take_news = [&]() -> std::optional<std::string> {
    auto theirs = split->Take();
    if (!theirs) return theirs.error();
    ++taken;
    auto news = spec_detail::decode_window_news(*theirs);
    if (!news) return "a window's news from the other process is malformed";
    for (std::uint32_t i : news->synced) {
      if (i >= present.size()) return "a window's news names an unknown client";
      present[i] = true;
    }
    if (!windows.Receive(me, news->packets)) return "the other process's packets are malformed";
    return std::nullopt;
  };
  for (int64_t t = 0; t < last;) {
    const int64_t before_second = ((t + 1) / second + 1) * second - 1;
    const int64_t next = std::min({t + step, before_second, last});
    if (next < last) ns3::Simulator::Stop(ns3::TimeStep(next - t));
    ns3::Simulator::Run();
    if (next == last) break;
    const bool barrier = next == before_second;
    if (split) {
      if (!split->Post(spec_detail::encode(spec_detail::WindowNews{synced, windows.TakeOthers(me)}))) {
        return "the other simulator process ended before the run did";
      }
      ++posted;
      while (taken + (barrier ? 0 : kLag) < posted) {
        if (auto error = take_news()) return error;
      }
    }
    synced.clear();
    const uint32_t current = windows.window();
    if (barrier) {
      windows.TransmitThrough(me, current);
    } else if (current >= kLag) {
      windows.TransmitThrough(me, current - kLag);
    }
    windows.NextWindow();
    t = next;
  }
  // The other's last news, unread: what it sends next is its report.
  while (split && taken < posted) {
    if (auto error = take_news()) return error;
  }
  return std::nullopt;
}

}  // namespace yt::emulation
