// TCP hole punching for one tunnel (protocol/messages.h, TcpPunchPlan): at the
// plan's time, one connection from our TCP punch port (tcp_mapping_probe.h) to the
// peer's TCP mapped endpoint. Once it connects, it is one more path of the tunnel
// (PeerPath::stream): tunnel datagrams travel on it whole, each in a u16-length
// frame (protocol/stream_framer.h), and the tunnel treats them exactly as if they
// had come over UDP from the peer's endpoint: the same handshake, the same session
// and replay window, the same cryptokey routing (tunnel.h).
//
// With plan.accept this side opens nothing: the peer connects to our TCP port
// mapping (tcp_listener.h), and the connection the driver accepted from the
// peer's address is adopted here (adopt()), from the plan's start on.
//
// One attempt per plan: a connection that is refused, reset or not up within
// ClientConfig::tcp_punch_timeout is over; the tunnel stays relayed until its next
// plan. What goes out before the connection is up is dropped, like UDP to a path
// that does not work yet.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "client/core/client_context.h"
#include "protocol/messages.h"
#include "protocol/stream_framer.h"
#include "protocol/time.h"

namespace yt {

class TcpPunch {
 public:
  // Opens at `start` + plan.after_ms from `local_port`. Precondition: plan.enabled().
  // An accepting punch (plan.accept) has no conn until it adopts one: pass 0.
  TcpPunch(const TcpPunchPlan& plan, ConnId conn, std::uint16_t local_port, Time start);

  // Opens the connection when it is due; gives it up when it did not come up in time.
  void on_timer(Time now, ClientContext& ctx);
  std::optional<Time> next_deadline(const ClientConfig& config) const;

  // 0 while an accepting punch awaits its connection.
  ConnId conn() const { return conn_; }
  // Whether a connection accepted from `remote` is the one this punch awaits.
  bool awaits(Endpoint remote) const;
  // Takes that connection (precondition: awaits(remote)); it is up.
  void adopt(ConnId conn, Endpoint remote);
  Endpoint target() const { return plan_.target; }
  bool connected() const { return phase_ == Phase::kConnected; }
  // Over: refused, reset, timed out or closed.
  bool over() const { return phase_ == Phase::kOver; }

  // The driver's reports for conn(). on_connected: true when it was ours to await.
  bool on_connected();
  // The frames that arrived, each one tunnel datagram. A broken framing closes the
  // connection (over() afterwards).
  std::vector<Bytes> on_data(ByteView data, ClientContext& ctx);
  void on_closed() { phase_ = Phase::kOver; }

  // One tunnel datagram on the connection; dropped unless it is connected.
  void send(Bytes datagram, ClientContext& ctx) const;
  // Closes the connection if it is open or opening.
  void close(ClientContext& ctx);

 private:
  enum class Phase : std::uint8_t { kWaiting, kConnecting, kConnected, kOver };

  TcpPunchPlan plan_;
  ConnId conn_ = 0;
  std::uint16_t local_port_ = 0;
  Time open_at_{};
  Phase phase_ = Phase::kWaiting;
  StreamFramer framer_;
};

}  // namespace yt
