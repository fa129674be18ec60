#include "emulation/event_scheduler.h"

#include <ns3/heap-scheduler.h>
#include <ns3/object-factory.h>
#include <ns3/simulator.h>

#include <stdexcept>
#include <utility>

namespace yt::emulation {
namespace {

// HeapScheduler with a filter on insertion. A dropped event is released as ns-3
// releases one it has run (the queue holds one reference).
class PartitionScheduler : public ns3::HeapScheduler {
 public:
  static ns3::TypeId GetTypeId() {
    static ns3::TypeId tid = ns3::TypeId("yt::PartitionScheduler")
                                 .SetParent<ns3::HeapScheduler>()
                                 .SetGroupName("Yellowtail")
                                 .AddConstructor<PartitionScheduler>();
    return tid;
  }
  PartitionScheduler() { current = this; }
  ~PartitionScheduler() override {
    if (current == this) current = nullptr;
  }

  void Insert(const Event& ev) override {
    if (Keeps(ev.key.m_context)) {
      HeapScheduler::Insert(ev);
    } else {
      ev.impl->Unref();
    }
  }
  void Remove(const Event& ev) override {
    if (Keeps(ev.key.m_context)) HeapScheduler::Remove(ev);
  }

  void KeepOnly(std::vector<bool> local) {
    local_ = std::move(local);
    filtering_ = true;
    std::vector<Event> queued;
    while (!HeapScheduler::IsEmpty()) queued.push_back(HeapScheduler::RemoveNext());
    for (const Event& ev : queued) Insert(ev);
  }

  static PartitionScheduler* current;

 private:
  bool Keeps(uint32_t context) const { return !filtering_ || context >= local_.size() || local_[context]; }

  bool filtering_ = false;
  std::vector<bool> local_;
};

PartitionScheduler* PartitionScheduler::current = nullptr;

}  // namespace

void use_fast_event_scheduler() {
  ns3::ObjectFactory factory;
  factory.SetTypeId(PartitionScheduler::GetTypeId());
  ns3::Simulator::SetScheduler(factory);
}

void keep_only_local_events(std::vector<bool> local) {
  if (!PartitionScheduler::current) throw std::logic_error("keep_only_local_events without use_fast_event_scheduler");
  PartitionScheduler::current->KeepOnly(std::move(local));
}

}  // namespace yt::emulation
