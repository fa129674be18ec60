// Tunables of the relay core. Every field has a default and says why.
#pragma once

#include <cstddef>

#include "protocol/time.h"

namespace yt {

struct RelayConfig {
  // Pairs held at once. A pair costs ~200 bytes here, so 100,000 fit in ~20 MB; a
  // relay that is full refuses new binds (kFull) and its clients pick another.
  std::size_t max_pairs = 100000;
  // A pair with no bind or data for this long is forgotten. Tunnels send keepalives
  // every 25 s, so 2 minutes is several missed ones: the pair is gone.
  Duration pair_idle_timeout = std::chrono::minutes(2);
  // Per side of a pair: packets a second and burst. 5,000 pps carries a video call
  // and a file copy at a few tens of Mbit/s; far above, one client crowds out the rest.
  double packets_per_second_per_side = 5000;
  double packet_burst_per_side = 10000;
  // Per pair, both directions: bytes a second and burst (50 Mbit/s, 1 s of burst).
  // Relaying is the fallback, not the fast path; direct paths carry bulk traffic.
  double bytes_per_second_per_pair = 6.25e6;
  double byte_burst_per_pair = 6.25e6;
  // Per source address, over all its pairs: bind attempts and echoes a second and
  // burst, so a flood of forged binds costs one hash each (~1.5 us) and no more
  // than this many a second. Sized for many clients behind one NAT address: every
  // direct tunnel re-binds each minute to stay ready (client_config.h,
  // relay_refresh_interval), so 5,000 tunnels there need ~85 a second, and a
  // restarted office (all tunnels binding at once) the burst.
  double binds_per_second_per_address = 100;
  double bind_burst_per_address = 500;
  // The largest payload forwarded: a tunnel datagram never exceeds the path MTU.
  std::size_t max_payload = 1500;
};

}  // namespace yt
