// The foundation demo: a mediation server and two clients in ns-3. Alice creates a
// network, Bob first tries a wrong password (refused), then joins; the server
// drives a tunnel between them; they exchange encrypted datagrams over the direct
// path. Everything happens over simulated UDP/TCP through the real cores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/time.h"

namespace yt::emulation {

struct DemoOptions {
  std::uint64_t seed = 1;
  Duration access_delay = 15ms;  // one-way, each access link
  double loss_rate = 0.0;        // per packet, each access link
  int messages = 10;             // datagrams Alice sends Bob (Bob echoes each)
};

struct DemoResult {
  bool alice_tunnel_up = false;
  bool bob_tunnel_up = false;
  Duration alice_time_to_direct{0};
  bool wrong_password_refused = false;
  int sent = 0;          // Alice -> Bob datagrams sent
  int delivered = 0;     // reached Bob intact
  int echoed = 0;        // Bob's echoes that reached Alice intact
  std::vector<std::string> log;  // the time-stamped event log
  double simulated_seconds = 0;
};

DemoResult run_demo(const DemoOptions& options);

}  // namespace yt::emulation
