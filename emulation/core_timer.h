// The ns-3 event that wakes a sans-IO core (client, server, relay) at the deadline
// the core names after every input.
//
// The event fires at the deadline itself (at once when it has passed), so when it
// fires depends on the deadline alone and not on when it was named. Most inputs
// leave the deadline where it was, and then the pending event is kept: ns-3 does
// not take a cancelled event out of its queue but pops and skips it when its time
// comes, so a cancel and reschedule per input cost a queue insertion and removal
// each for nothing (a sixth of a population run's events were such timers).
#pragma once

#include <ns3/event-id.h>
#include <ns3/simulator.h>

#include <algorithm>
#include <optional>

#include "protocol/time.h"

namespace yt::emulation {

class CoreTimer {
 public:
  // Calls (owner->*on_timer)() at `deadline`; nullopt: never.
  template <typename Owner>
  void Rearm(std::optional<Time> deadline, void (Owner::*on_timer)(), Owner* owner) {
    if (deadline && deadline == deadline_ && event_.IsRunning()) return;
    event_.Cancel();
    deadline_ = deadline;
    if (!deadline) return;
    const ns3::Time at = ns3::MicroSeconds(to_us(*deadline));
    event_ = ns3::Simulator::Schedule(std::max(at - ns3::Simulator::Now(), ns3::Time(0)), on_timer, owner);
  }
  void Cancel() {
    event_.Cancel();
    deadline_.reset();
  }

 private:
  ns3::EventId event_;
  std::optional<Time> deadline_;
};

}  // namespace yt::emulation
