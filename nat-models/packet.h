// The part of a packet a NAT model looks at: transport, the two endpoints and, for
// TCP, the flags that drive connection tracking. Drivers (the ns-3 router, the
// userspace namespace NAT, tests) parse their packets into a PacketHeader, call the
// model, and write the rewritten endpoints back. Payload, checksums and TTL are the
// driver's business.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/endpoint.h"

namespace yt::nat {

enum class Transport : std::uint8_t { kUdp = 0, kTcp = 1 };

const char* to_string(Transport t);

struct TcpFlags {
  bool syn = false;
  bool ack = false;
  bool fin = false;
  bool rst = false;
};

inline constexpr TcpFlags kTcpSyn{true, false, false, false};
inline constexpr TcpFlags kTcpSynAck{true, true, false, false};
inline constexpr TcpFlags kTcpAck{false, true, false, false};
inline constexpr TcpFlags kTcpFinAck{false, true, true, false};
inline constexpr TcpFlags kTcpRst{false, false, false, true};

struct PacketHeader {
  Transport transport = Transport::kUdp;
  Endpoint src;
  Endpoint dst;
  TcpFlags tcp;  // ignored for UDP

  // "udp 10.0.0.2:5000 -> 1.2.3.4:3478" (TCP adds the flags) for logs and test output.
  std::string to_string() const;
};

inline PacketHeader udp_packet(Endpoint src, Endpoint dst) {
  return PacketHeader{Transport::kUdp, src, dst, TcpFlags{}};
}
inline PacketHeader tcp_packet(Endpoint src, Endpoint dst, TcpFlags flags) {
  return PacketHeader{Transport::kTcp, src, dst, flags};
}

}  // namespace yt::nat
