// CoreTimer fires at the deadline a core names, whenever it was named, and an
// unchanged deadline keeps its pending event instead of queueing another.
#include "emulation/core_timer.h"

#include <gtest/gtest.h>
#include <ns3/simulator.h>

#include <vector>

namespace yt::emulation {
namespace {

struct Owner {
  CoreTimer timer;
  std::vector<int64_t> fired_ns;
  void OnTimer() { fired_ns.push_back(ns3::Simulator::Now().GetNanoSeconds()); }
  void RearmAt(double seconds, std::optional<Time> deadline) {
    ns3::Simulator::Schedule(ns3::Seconds(seconds), [this, deadline] { timer.Rearm(deadline, &Owner::OnTimer, this); });
  }
};

class CoreTimerTest : public ::testing::Test {
 protected:
  void TearDown() override { ns3::Simulator::Destroy(); }
  static uint64_t Run() {
    ns3::Simulator::Stop(ns3::Seconds(10));
    ns3::Simulator::Run();
    return ns3::Simulator::GetEventCount();
  }
};

TEST_F(CoreTimerTest, FiresAtTheDeadlineWhenItWasNamed) {
  Owner owner;
  // Named at 1.0000004 s, between two microseconds of core time: it fires at 2 s
  // exactly, not 2.0000004 s.
  owner.RearmAt(1.0000004, time_from_us(2'000'000));
  Run();
  EXPECT_EQ(owner.fired_ns, (std::vector<int64_t>{2'000'000'000}));
}

TEST_F(CoreTimerTest, AnUnchangedDeadlineKeepsItsEvent) {
  uint64_t events[2];
  for (int repeats = 0; repeats < 2; ++repeats) {
    Owner owner;
    owner.RearmAt(1, time_from_us(5'000'000));
    if (repeats == 1) {
      for (int i = 0; i < 10; ++i) owner.RearmAt(2 + 0.1 * i, time_from_us(5'000'000));
    }
    events[repeats] = Run();
    EXPECT_EQ(owner.fired_ns, (std::vector<int64_t>{5'000'000'000}));
    ns3::Simulator::Destroy();
  }
  EXPECT_EQ(events[1] - events[0], 10u);  // the ten rearm calls themselves, and no timer events
}

TEST_F(CoreTimerTest, MovesCancelsAndFiresAtOnceWhenPast) {
  Owner owner;
  owner.RearmAt(1, time_from_us(5'000'000));
  owner.RearmAt(2, time_from_us(3'000'000));  // earlier
  owner.RearmAt(4, time_from_us(1'000'000));  // already past: now
  owner.RearmAt(5, time_from_us(8'000'000));
  owner.RearmAt(6, std::nullopt);  // no deadline: never
  Run();
  EXPECT_EQ(owner.fired_ns, (std::vector<int64_t>{3'000'000'000, 4'000'000'000}));
}

TEST_F(CoreTimerTest, TheSameDeadlineAfterFiringFiresAgain) {
  Owner owner;
  owner.RearmAt(1, time_from_us(2'000'000));
  owner.RearmAt(3, time_from_us(2'000'000));  // past, and its event is spent: a new one now
  Run();
  EXPECT_EQ(owner.fired_ns, (std::vector<int64_t>{2'000'000'000, 3'000'000'000}));
}

}  // namespace
}  // namespace yt::emulation
