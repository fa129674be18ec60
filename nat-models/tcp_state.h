// TCP connection tracking for one (mapping, remote endpoint) pair, after the state
// machine of RFC 7857 section 2.2 (which makes RFC 5382's timers concrete):
//
//   (none) --SYN one way--> opening --SYN the other way--> established
//   established --FIN both ways, or RST--> closing --SYN--> opening (port reuse)
//
// opening and closing are "transitory" (RFC 5382 REQ-5: >= 4 min idle timeout);
// established uses the long timer (>= 2 h 4 min). A SYN seen in both directions
// counts as established whether it came as SYN + SYN/ACK or as two crossing SYNs
// (simultaneous open). A FIN in only one direction (half close) stays established.
// Sequence numbers and windows are not checked.
#pragma once

#include <cstdint>

#include "nat-models/packet.h"
#include "protocol/time.h"

namespace yt::nat {

enum class Direction : std::uint8_t { kOutbound = 0, kInbound = 1 };

enum class TcpState : std::uint8_t {
  kSynSent = 0,      // SYN seen outbound only
  kSynReceived = 1,  // SYN seen inbound only
  kEstablished = 2,
  kClosing = 3,  // FIN seen both ways, or RST
};

const char* to_string(TcpState s);

struct TcpTrack {
  TcpState state = TcpState::kSynSent;
  bool syn_out = false;
  bool syn_in = false;
  bool fin_out = false;
  bool fin_in = false;
};

// Tracking for a connection whose first seen packet is `flags` in `dir`. A SYN opens
// it; anything else (loose pickup) starts it as established.
TcpTrack tcp_start(TcpFlags flags, Direction dir);

// The tracking after one more packet.
TcpTrack tcp_advance(TcpTrack track, TcpFlags flags, Direction dir);

bool is_transitory(TcpState s);

// Idle timeout for a connection in `s`.
Duration tcp_timeout(TcpState s, Duration transitory, Duration established);

}  // namespace yt::nat
