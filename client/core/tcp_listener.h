// Makes this client reachable over TCP where its gateway grants a port mapping:
// it listens on a TCP port (ClientConfig::tcp_listen_port; 0: the number of the
// main UDP socket's port) and asks the gateway to map it, with a second
// GatewayPortMapper (MappedTransport::kTcp), while the UDP one maps the main
// socket. The mapped endpoint goes to the server in the DiscoveryReport
// (tcp_port_mapping); a peer that cannot use UDP is then planned to connect to it,
// and this side awaits that connection (TcpPunchPlan::accept). The connections
// the driver accepts are routed to their tunnels by the TunnelTable; this class
// owns only the listener and its mapping.
//
// Why listen rather than punch: a port mapping is a DNAT toward a port. A SYN
// through it finds a socket only if one listens there (a simultaneous open would
// need our own SYN to leave through the same mapping, which a Linux router running
// miniupnpd does not promise: its masquerade picks the source port).
//
// The listener exists only while the mapping is being asked for or held: with no
// gateway that answers, nobody outside could reach it. A listener the driver
// cannot open (the port is taken) deletes the mapping, and no TCP mapping is
// offered.
#pragma once

#include <cstdint>
#include <optional>

#include "client/core/client_context.h"
#include "client/core/port_mapping.h"
#include "protocol/endpoint.h"
#include "protocol/messages.h"
#include "protocol/time.h"

namespace yt {

class TcpListener {
 public:
  // The listener's id (io_boundary.h: the core's own ids; below the TCP mapping
  // probe's, above the control channel's).
  static constexpr ConnId kListenerConn = ConnId{1} << 59;

  explicit TcpListener(ClientContext& ctx) : ctx_(ctx), mapper_(ctx, MappedTransport::kTcp) {}

  // Listens on `port` and asks `gateway` to map it; restarts when called again.
  void start(Time now, Ipv4 gateway, std::uint16_t port, std::uint32_t lifetime_s);
  // Deletes the mapping and stops listening.
  void stop(Time now);

  bool owns_datagram(Endpoint from) const { return listening_ && mapper_.owns(from); }
  // The gateway's answers and timers; true when the offer changed.
  bool on_datagram(Time now, Endpoint from, ByteView data);
  bool on_timer(Time now);
  std::optional<Time> next_deadline() const { return mapper_.next_deadline(); }

  bool owns_listener(ConnId conn) const { return conn == kListenerConn; }
  // The driver could not listen (or stopped): the mapping goes. True when the
  // offer changed.
  bool on_listener_closed(Time now);

  // The TCP mapping to offer peers (kNone when none).
  PortMappingOffer current() const { return listening_ ? mapper_.current() : PortMappingOffer{}; }
  bool listening() const { return listening_; }

 private:
  // The mapper gave up or lost its mapping for good: nobody can reach the listener.
  void close_if_unmapped();

  ClientContext& ctx_;
  GatewayPortMapper mapper_;
  bool listening_ = false;
};

}  // namespace yt
