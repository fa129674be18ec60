// Events the client core reports to its driver (daemon, CLI, tests, scenarios).
// They are outputs like any other: drained in order after each input.
#pragma once

#include <string>
#include <variant>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/time.h"

namespace yt {

struct LoggedIn {
  Ipv4 virtual_ip;
  std::uint8_t prefix_length = 8;
};
// The server refused us or could not be authenticated; `reason` is for humans.
struct LoginFailed {
  std::string reason;
};
// The control connection went away; tunnels stay up and liveness checks start.
struct ServerLost {
  std::string reason;
};
// Our key logged in to the server on another connection, from `by` (a copy of this
// key elsewhere). The core has stopped, as after stop(), so that the two do not
// replace each other forever; start() takes the session back.
struct LoggedInElsewhere {
  Endpoint by;
};
// Discovery ended (discovery.h); the same profile went to the server.
struct DiscoveryDone {
  Endpoint mapped_endpoint;
  bool udp_blocked = false;
  NatProfile profile;
};
// A NetworkSnapshot arrived: networks() is current.
struct Synced {};
struct RequestDone {
  std::uint32_t request_id = 0;
  ReplyCode code = ReplyCode::kOk;
  std::string message;
};
// Membership or online state changed in `network`.
struct MembershipChanged {
  std::string network;
  PublicKey member{};
};
// First authenticated datagram over a direct path (also when a relayed tunnel
// moves to it). `time_to_direct` is measured
// from the server's tunnel instruction (docs/architecture.md section 5).
struct TunnelUp {
  PublicKey peer{};
  Endpoint path;
  Duration time_to_direct{0};
};
// First authenticated datagram through the relay: the peer is reachable, and
// punching goes on for a direct path (TunnelUp when it is found). Also when a
// direct path stopped carrying traffic and the tunnel fell back to the relay.
struct TunnelRelayed {
  PublicKey peer{};
  Endpoint relay;
  Duration time_to_relay{0};  // from the server's tunnel instruction
  bool fallback = false;      // moved here from a direct path that went silent
};
struct TunnelDown {
  PublicKey peer{};
  std::string reason;
};
// Punching ended without a direct path.
struct TunnelFailed {
  PublicKey peer{};
  std::string reason;
};
// An authenticated packet from `peer` (an IP packet in TUN mode, else an
// application datagram).
struct PacketReceived {
  PublicKey peer{};
  Bytes packet;
  bool relayed = false;  // it came through the relay, not the direct path
};
// Chat text from `peer`. `network` is empty for a private chat, else the network it
// was sent to (checked: we and the sender are both in it). `nickname` is the sender's
// at arrival, from the membership view (empty if unknown).
struct ChatReceived {
  PublicKey peer{};
  std::string text;
  std::string network;
  std::string nickname;
};

// Whether the driver should map our main socket by a protocol the core does not
// speak (UPnP IGD, which only the daemon has: client/daemon/upnp_port_mapper.h). Wanted
// once the core's own mapper (PCP, NAT-PMP: port_mapping.h) gave up or has no
// gateway to ask; unwanted again when it starts over (start(), a network change)
// or the core stops. The driver maps only while wanted and reports through
// on_driver_port_mapping, so a gateway that speaks several protocols holds one
// mapping for us, not two that compete for the port. Sent on changes only.
struct PortMappingFallback {
  bool wanted = false;
};

using ClientEvent = std::variant<LoggedIn, LoginFailed, ServerLost, LoggedInElsewhere, DiscoveryDone, Synced, RequestDone,
                                 MembershipChanged, TunnelUp, TunnelRelayed, TunnelDown, TunnelFailed, PacketReceived,
                                 ChatReceived, PortMappingFallback>;

}  // namespace yt
