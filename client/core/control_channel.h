// The client's control connection to its mediation server: connect, Noise IK
// handshake with the pinned server key, login, keep-alive pings, loss detection and
// reconnection with exponential backoff.
//
// Life of one attempt (a new ConnId each time):
//   OpenStream -> on_connected -> kHandshakeInit (prologue kControlPrologue, empty
//   payload) -> kHandshakeResp -> sealed LoginRequest -> LoginReply -> logged in.
// Any failure before the LoginReply (refused connection, kHandshakeReject, a response
// that does not authenticate as the pinned key, a refused login, login_timeout) ends
// the attempt with a LoginFailed notice; after login, a closed stream or
// server_timeout without a valid frame ends it with a Lost notice. Either way the
// stream is closed and the next attempt waits for the backoff delay, which restarts
// from reconnect_min after every successful login.
//
// Noticing the server's return: a long backoff wait (up to reconnect_max) would keep
// a client away long after its server came back. So while waiting, the channel asks
// the server's built-in relay (the primary discovery endpoint) every
// kServerProbeInterval with a RelayEcho, the cheapest thing the server answers; the
// first answer brings the next attempt forward to within kReturnSpread (spread so
// that a restarted server's clients do not all arrive in the same instant). Not
// from behind blocked UDP, nor before a first login told us where the server's
// relay is: then the backoff alone decides. The one exception is a sealed
// SessionReplaced: the channel stops (Replaced notice) until start() again.
//
// Sealed frames carry one ControlMessage each, as Session::seal output with empty
// associated data (the frame header is not secret and is checked by the decoder).
//
// The channel tells its owner what happened through notices, in order, returned from
// each input; it emits no ClientEvent itself, so the owner decides what each means.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/backoff.h"
#include "client/core/client_context.h"
#include "protocol/handshake.h"
#include "protocol/io_boundary.h"
#include "protocol/messages.h"
#include "protocol/session.h"
#include "protocol/stream_framer.h"
#include "protocol/time.h"

namespace yt {

struct ControlLoggedIn {
  LoginReply reply;
};
// An attempt ended before login completed; a retry is scheduled.
struct ControlLoginFailed {
  std::string reason;
};
// A logged-in connection went away; a reconnect is scheduled.
struct ControlLost {
  std::string reason;
};
// The server logged us out because our key logged in on another connection
// (SessionReplaced). The channel is back in kIdle: no reconnect is scheduled.
struct ControlReplaced {
  Endpoint by;
};
// A message from the logged-in server (Ping/Pong are handled here and not passed on).
struct ControlReceived {
  ControlMessage message;
};
using ControlNotice = std::variant<ControlLoggedIn, ControlLoginFailed, ControlLost, ControlReplaced, ControlReceived>;

class ControlChannel {
 public:
  enum class Phase : std::uint8_t {
    kIdle,         // not started, or stopped
    kConnecting,   // OpenStream sent, waiting for on_connected
    kRetryWait,    // between attempts, waiting for the backoff delay
    kHandshaking,  // msg1 sent, waiting for msg2
    kLoggingIn,    // LoginRequest sent, waiting for LoginReply
    kLoggedIn,
  };

  explicit ControlChannel(ClientContext& ctx);

  // From kIdle: opens the first connection. Ignored in any other phase.
  void start(Time now);
  // Closes the stream (if any) and returns to kIdle; no notice.
  void stop(Time now);
  // The host's addresses changed (roaming): the stream, if any, runs over an
  // address that may be gone, and the server must see our new endpoint. Closes it
  // and connects again at once, with the backoff reset (a Lost or LoginFailed
  // notice for an attempt in progress). A wait between attempts ends now too: the
  // new network may reach the server where the old one did not. Ignored in kIdle.
  std::vector<ControlNotice> reconnect_now(Time now, const std::string& reason);

  std::vector<ControlNotice> on_connected(Time now, ConnId conn);
  std::vector<ControlNotice> on_data(Time now, ConnId conn, ByteView data);
  std::vector<ControlNotice> on_closed(Time now, ConnId conn);
  // A RelayEchoReply that arrived from `from`; true when it answered our probe for
  // the server's return (and so is not the relay prober's).
  bool on_echo_reply(Time now, Endpoint from, std::uint64_t nonce);
  static constexpr Duration kServerProbeInterval = std::chrono::seconds(2);
  static constexpr Duration kReturnSpread = std::chrono::seconds(1);
  std::vector<ControlNotice> on_timer(Time now);
  std::optional<Time> next_deadline() const;

  // Seals `message` and queues it on the stream. False when there is no session yet
  // (before the handshake completed) or the message does not fit one frame.
  bool send(const ControlMessage& message);

  Phase phase() const { return phase_; }
  bool logged_in() const { return phase_ == Phase::kLoggedIn; }
  // When the next attempt starts; set in kRetryWait only.
  std::optional<Time> retry_at() const;
  // The server this attempt goes to (or went to): config.server or a fallback.
  Endpoint current_server() const;
  // The latest round trip to the server: the login exchange, then each ping.
  // What reaching the server's built-in relay over this connection costs.
  std::optional<Duration> rtt() const { return rtt_; }

 private:
  void open(Time now);
  void fail(Time now, ControlNotice notice, bool close_stream, std::vector<ControlNotice>& out);
  void handle_frame(Time now, ByteView frame, std::vector<ControlNotice>& out);
  void handle_sealed(Time now, ByteView body, std::vector<ControlNotice>& out);
  bool send_frame(const ControlFrame& frame);
  bool connected() const;

  ClientContext& ctx_;
  Backoff backoff_;
  Phase phase_ = Phase::kIdle;
  ConnId conn_ = 0;
  ConnId next_conn_ = 1;
  // Which of config.server and its fallbacks (0: config.server), and how many
  // attempts failed in a row since the last login.
  std::size_t server_index_ = 0;
  std::size_t failures_in_a_row_ = 0;
  Time attempt_started_{};
  Time retry_at_{};
  Time last_received_{};
  Time last_ping_{};
  std::uint64_t ping_nonce_ = 0;
  Time login_sent_at_{};
  Time next_server_probe_at_{};
  std::uint64_t server_probe_nonce_ = 0;
  // Whether a probe for the server's return is worth sending now.
  bool probing_for_server(Time now) const;
  std::optional<Duration> rtt_;
  StreamFramer framer_;
  std::optional<HandshakeInitiator> initiator_;
  std::optional<Session> session_;
};

}  // namespace yt
