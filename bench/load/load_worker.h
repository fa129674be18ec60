// One worker process of yellowtail-load: a slice of the clients, run through the
// phases the coordinator starts (worker_link.h has the protocol):
//   login     every client logs in; reports the login-to-sync latencies and busy answers
//   networks  the slice's first member of each network creates it, then the others
//             join; reports request latencies and refusals
//   tunnels   waits until every pair of the slice's networks is up on both sides
//   restart   the server came back: every client must sync again (latencies from
//             the command's arrival)
//   stop      stops the clients and exits
// Slices hold whole networks, so a join never waits on another process's create.
#pragma once

#include <cstddef>

#include "protocol/endpoint.h"
#include "protocol/identity.h"

namespace yt::load {

struct WorkerSlice {
  std::size_t first = 0;  // global number of the slice's first client
  std::size_t count = 0;
  std::size_t network_size = 8;  // network of client i: "load-<i / network_size>"
  Endpoint server;
  PublicKey server_key{};
};

// Runs in the worker process until "stop" or the coordinator goes away; the exit
// status for the process.
int run_worker(const WorkerSlice& slice, int commands_fd, int reports_fd);

}  // namespace yt::load
