// The event queue runs events in ns-3's order, and once told which nodes are
// local, drops the other nodes' events, queued or still to come, and keeps the
// events that belong to no node.
#include "emulation/event_scheduler.h"

#include <gtest/gtest.h>
#include <ns3/simulator.h>

#include <string>
#include <vector>

namespace yt::emulation {
namespace {

class EventSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { use_fast_event_scheduler(); }
  void TearDown() override { ns3::Simulator::Destroy(); }
};

TEST_F(EventSchedulerTest, KeepsTimeThenInsertionOrder) {
  std::string ran;
  ns3::Simulator::Schedule(ns3::Seconds(2), [&] { ran += 'c'; });
  ns3::Simulator::Schedule(ns3::Seconds(1), [&] { ran += 'a'; });
  ns3::Simulator::Schedule(ns3::Seconds(1), [&] { ran += 'b'; });
  ns3::Simulator::Run();
  EXPECT_EQ(ran, "abc");
}

TEST_F(EventSchedulerTest, KeepsOnlyLocalNodesEventsAndThoseOfNoNode) {
  std::vector<int> ran;
  auto on = [&](uint32_t node, double at, int tag) {
    ns3::Simulator::ScheduleWithContext(node, ns3::Seconds(at), [&, tag] { ran.push_back(tag); });
  };
  on(0, 1, 10);  // queued before the filter: node 0 is local, node 1 is not
  on(1, 1, 11);
  ns3::Simulator::Schedule(ns3::Seconds(1), [&] { ran.push_back(99); });  // no node
  keep_only_local_events({true, false});
  on(1, 2, 21);
  on(0, 2, 20);
  on(7, 2, 27);  // past the map: belongs to no node of it, runs
  // An event of a local node schedules onto a node that is not: dropped.
  ns3::Simulator::ScheduleWithContext(0, ns3::Seconds(3), [&] {
    ran.push_back(30);
    ns3::Simulator::ScheduleWithContext(1, ns3::Seconds(1), [&] { ran.push_back(41); });
    ns3::Simulator::Schedule(ns3::Seconds(1), [&] { ran.push_back(40); });  // inherits node 0
  });
  ns3::Simulator::Run();
  EXPECT_EQ(ran, (std::vector<int>{10, 99, 20, 27, 30, 40}));
}

}  // namespace
}  // namespace yt::emulation
