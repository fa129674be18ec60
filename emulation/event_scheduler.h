// The ns-3 event queue of population and scenario-engine runs. ns-3's default,
// MapScheduler, is a std::map: a tree node allocated per event and a pointer
// chase per level on every insert and removal, over a queue that holds a few
// events per client (tens of thousands in a population run). HeapScheduler keeps
// the queue in one array. All ns-3 schedulers order events by (time, insertion
// id), so the choice changes the run's cost, never its order or its results.
//
// Call at the start of a run, before anything is scheduled (it may be called with
// events queued; ns-3 moves them). The choice lasts until Simulator::Destroy().
#pragma once

namespace yt::emulation {

void use_fast_event_scheduler();

}  // namespace yt::emulation
