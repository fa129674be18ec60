// Teaches the server our TCP mapping, for TCP hole punching (protocol/messages.h,
// TcpPunchPlan): after each login, one short connection from our TCP punch port to
// the server's control endpoint, carrying one kTcpMapping frame with the discovery
// token. The server records the source it saw and closes the connection; that close
// is our sign that it did. Later punches leave from the same port, so a NAT that
// maps endpoint-independently sends them out through the same mapping (it keeps a
// closed connection's mapping for its transitory timeout, RFC 5382 REQ-5: 4 min,
// and Linux picks the same port again while it is free).
//
// The connection is closed before any punch binds the port: ns-3's TCP cannot bind
// one port twice, even with address reuse (docs/nat-matrix.md).
//
// The port: ClientConfig::tcp_punch_port, or one in [kFirstTcpPunchPort,
// kLastTcpPunchPort] derived from our public key (another for each login and each
// retry).
//
// Failures: a connect that fails (the port is taken here) is tried again from
// another port, up to kMaxAttempts in all; no answer within kTimeout ends
// the attempt. Then TCP punching is off for this session (ClientContext::
// tcp_punch_port stays unset), and plans come without it.
//
// Connection ids: from kFirstConn up.
#pragma once

#include <cstdint>
#include <optional>

#include "client/core/client_context.h"
#include "protocol/time.h"

namespace yt {

// The range punch ports come from: below Linux's default ephemeral range
// (32768-60999), so another program's outgoing connection rarely holds ours, and
// above the common services. Any free port works.
constexpr std::uint16_t kFirstTcpPunchPort = 20000;
constexpr std::uint16_t kLastTcpPunchPort = 32767;

class TcpMappingProbe {
 public:
  static constexpr ConnId kFirstConn = ConnId{1} << 60;
  static constexpr int kMaxAttempts = 3;
  // A round trip and a frame: 5 s is far beyond any path the control channel
  // tolerates (its own login takes longer).
  static constexpr Duration kTimeout = std::chrono::seconds(5);

  explicit TcpMappingProbe(ClientContext& ctx) : ctx_(ctx) {}
  TcpMappingProbe(const TcpMappingProbe&) = delete;
  TcpMappingProbe& operator=(const TcpMappingProbe&) = delete;

  // Logged in to `server` with `token`: (re)starts. No-op when config.tcp_punch is off.
  void start(Time now, Endpoint server, std::uint64_t token);
  // The session ended: forget the port (the next login learns it again).
  void cancel();

  bool owns(ConnId conn) const { return conn >= kFirstConn && conn < ClientContext::kFirstPunchConn; }
  void on_connected(Time now, ConnId conn);
  // Anything the server sends on it is ignored: it only closes.
  void on_closed(Time now, ConnId conn);
  void on_timer(Time now);
  std::optional<Time> next_deadline() const;

  // Still waiting for the server's close (a DiscoveryReport waits for it, so the
  // first plans already know our TCP mapping).
  bool pending() const { return phase_ == Phase::kConnecting || phase_ == Phase::kSent; }

 private:
  enum class Phase : std::uint8_t { kIdle, kConnecting, kSent, kDone, kFailed };
  void open(Time now);
  void fail_attempt(Time now);

  ClientContext& ctx_;
  Phase phase_ = Phase::kIdle;
  Endpoint server_;
  std::uint64_t token_ = 0;
  std::uint16_t port_ = 0;
  ConnId conn_ = 0;
  ConnId next_conn_ = kFirstConn;
  int attempts_ = 0;
  std::uint64_t logins_ = 0;  // start()s so far: each login probes from a port of its own
  Time deadline_{};
};

}  // namespace yt
