#include "emulation/event_scheduler.h"

#include <ns3/heap-scheduler.h>
#include <ns3/object-factory.h>
#include <ns3/simulator.h>

namespace yt::emulation {

void use_fast_event_scheduler() {
  ns3::ObjectFactory factory;
  factory.SetTypeId(ns3::HeapScheduler::GetTypeId());
  ns3::Simulator::SetScheduler(factory);
}

}  // namespace yt::emulation
