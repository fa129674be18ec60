// Counters the client core keeps for status output; every dropped input is counted
// under its reason (STYLE.md rule 6).
#pragma once

#include <cstdint>

namespace yt {

struct ClientStats {
  std::uint64_t malformed_datagrams = 0;
  std::uint64_t unknown_tunnel = 0;        // punch/handshake for a tunnel we do not have
  std::uint64_t unknown_session = 0;       // PeerData with an unknown receiver index
  std::uint64_t auth_failures = 0;         // PeerData that did not authenticate
  std::uint64_t replayed = 0;              // PeerData with a replayed counter
  std::uint64_t handshake_failures = 0;    // peer handshakes that did not authenticate
  std::uint64_t control_failures = 0;      // control frames that failed to decode/authenticate
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t reconnects = 0;
};

}  // namespace yt
