// The ns-3 event queue of population and scenario-engine runs. ns-3's default,
// MapScheduler, is a std::map: a tree node allocated per event and a pointer
// chase per level on every insert and removal, over a queue that holds a few
// events per client (tens of thousands in a population run). HeapScheduler keeps
// the queue in one array. All ns-3 schedulers order events by (time, insertion
// id), so the choice changes the run's cost, never its order or its results.
//
// The queue can also keep to one partition of the nodes (split_run.h): a run
// split over two processes builds the whole network in each, and each process
// drops the events of the nodes the other runs. An event's context is the node
// it runs on (ns-3 gives every event scheduled on a node's behalf its id); events
// outside any node (the scenario's own) run everywhere.
//
// Call at the start of a run, before anything is scheduled (it may be called with
// events queued; ns-3 moves them). The choice lasts until Simulator::Destroy().
#pragma once

#include <cstdint>
#include <vector>

namespace yt::emulation {

void use_fast_event_scheduler();

// From now on the queue keeps only events whose context is a node marked in
// `local` (by node id), or no node (ids past its end); it drops the rest, those
// queued already included. Needs use_fast_event_scheduler's queue.
void keep_only_local_events(std::vector<bool> local);

}  // namespace yt::emulation
