#include "client/core/control_channel.h"

#include <string_view>

#include "client/core/duration_text.h"
#include "protocol/display_name.h"

namespace yt {

namespace {

std::string reject_reason(const ControlFrame& frame) {
  std::string reason;
  switch (frame.reject_reason) {
    case HandshakeRejectReason::kBadHandshake:
      reason = "server key mismatch: the server could not authenticate this handshake";
      break;
    case HandshakeRejectReason::kServerBusy:
      reason = "server busy";
      break;
  }
  // The reject is unauthenticated: its text is shown, quoted and escaped (anyone on
  // the path could have written it), never acted upon.
  if (!frame.reject_text.empty()) reason += " (server says: \"" + escape_unsafe(frame.reject_text) + "\")";
  return reason;
}

std::string handshake_failure(HandshakeError e) {
  switch (e) {
    case HandshakeError::kResponderNotAuthentic:
      return "server failed authentication: not the pinned key";
    case HandshakeError::kMalformed:
      return "malformed handshake response from the server";
    case HandshakeError::kInvalidKey:
      return "the pinned server key is invalid";
    default:
      return "handshake failed";
  }
}

}  // namespace

ControlChannel::ControlChannel(ClientContext& ctx)
    : ctx_(ctx), backoff_(ctx.config.reconnect_min, ctx.config.reconnect_max) {}

bool ControlChannel::connected() const {
  return phase_ == Phase::kConnecting || phase_ == Phase::kHandshaking || phase_ == Phase::kLoggingIn ||
         phase_ == Phase::kLoggedIn;
}

std::optional<Time> ControlChannel::retry_at() const {
  if (phase_ != Phase::kRetryWait) return std::nullopt;
  return retry_at_;
}

void ControlChannel::start(Time now) {
  if (phase_ != Phase::kIdle) return;
  backoff_.reset();
  open(now);
}

void ControlChannel::stop(Time now) {
  if (connected()) ctx_.outputs.emplace_back(CloseStream{conn_});
  phase_ = Phase::kIdle;
  initiator_.reset();
  session_.reset();
  framer_ = StreamFramer{};
}

std::vector<ControlNotice> ControlChannel::reconnect_now(Time now, const std::string& reason) {
  std::vector<ControlNotice> out;
  if (phase_ == Phase::kIdle) return out;
  if (phase_ != Phase::kRetryWait) {
    if (phase_ == Phase::kLoggedIn) {
      fail(now, ControlLost{reason}, true, out);
    } else {
      fail(now, ControlLoginFailed{reason}, true, out);
    }
  }
  backoff_.reset();
  open(now);
  return out;
}

void ControlChannel::open(Time now) {
  conn_ = next_conn_++;
  phase_ = Phase::kConnecting;
  attempt_started_ = now;
  framer_ = StreamFramer{};
  initiator_.reset();
  session_.reset();
  ctx_.outputs.emplace_back(OpenStream{conn_, current_server()});
}

Endpoint ControlChannel::current_server() const {
  if (server_index_ == 0 || server_index_ > ctx_.config.fallback_servers.size()) return ctx_.config.server;
  return ctx_.config.fallback_servers[server_index_ - 1];
}

void ControlChannel::fail(Time now, ControlNotice notice, bool close_stream, std::vector<ControlNotice>& out) {
  if (close_stream) ctx_.outputs.emplace_back(CloseStream{conn_});
  initiator_.reset();
  session_.reset();
  framer_ = StreamFramer{};
  phase_ = Phase::kRetryWait;
  const std::size_t servers = 1 + ctx_.config.fallback_servers.size();
  server_index_ = (server_index_ + 1) % servers;
  ++failures_in_a_row_;
  if (failures_in_a_row_ % servers != 0) {
    // Another server may well be up: try it soon, spread so that the clients of a
    // server that died do not all arrive at the same instant.
    const auto spread_ms = std::chrono::duration_cast<std::chrono::milliseconds>(ctx_.config.failover_spread).count();
    retry_at_ = now + std::chrono::milliseconds(ctx_.rng.uniform(static_cast<std::uint32_t>(spread_ms) + 1));
  } else {
    retry_at_ = now + backoff_.next(ctx_.rng);
  }
  next_server_probe_at_ = now + kServerProbeInterval;
  out.push_back(std::move(notice));
}

bool ControlChannel::probing_for_server(Time now) const {
  return phase_ == Phase::kRetryWait && ctx_.server_relay && !ctx_.udp_blocked &&
         retry_at_ > now + kServerProbeInterval;
}

bool ControlChannel::on_echo_reply(Time now, Endpoint from, std::uint64_t nonce) {
  if (server_probe_nonce_ == 0 || nonce != server_probe_nonce_ || !ctx_.server_relay || from != *ctx_.server_relay) {
    return false;
  }
  server_probe_nonce_ = 0;  // one answer is enough
  if (phase_ == Phase::kRetryWait) {
    const Time soon = now + std::chrono::milliseconds(ctx_.rng.uniform(
                                static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(kReturnSpread).count())));
    retry_at_ = std::min(retry_at_, soon);
  }
  return true;
}

std::vector<ControlNotice> ControlChannel::on_connected(Time now, ConnId conn) {
  std::vector<ControlNotice> out;
  if (conn != conn_ || phase_ != Phase::kConnecting) return out;
  initiator_.emplace(ctx_.identity, ctx_.config.server_key, as_bytes(kControlPrologue), ctx_.rng);
  auto msg1 = initiator_->write_init(ByteView{});
  if (!msg1) {
    fail(now, ControlLoginFailed{handshake_failure(msg1.error())}, true, out);
    return out;
  }
  phase_ = Phase::kHandshaking;
  ControlFrame frame;
  frame.type = ControlFrameType::kHandshakeInit;
  frame.body = std::move(msg1.value());
  send_frame(frame);
  return out;
}

std::vector<ControlNotice> ControlChannel::on_data(Time now, ConnId conn, ByteView data) {
  std::vector<ControlNotice> out;
  if (conn != conn_ || !connected() || phase_ == Phase::kConnecting) return out;
  framer_.push(data);
  // Stop at the first frame that ends the attempt: later bytes belong to a dead
  // connection.
  while (connected() && conn == conn_) {
    std::optional<Bytes> frame = framer_.next();
    if (!frame) break;
    handle_frame(now, *frame, out);
  }
  if (connected() && conn == conn_ && framer_.failed()) {
    ++ctx_.stats.control_failures;
    if (phase_ == Phase::kLoggedIn) {
      fail(now, ControlLost{"protocol error on the control stream"}, true, out);
    } else {
      fail(now, ControlLoginFailed{"protocol error on the control stream"}, true, out);
    }
  }
  return out;
}

std::vector<ControlNotice> ControlChannel::on_closed(Time now, ConnId conn) {
  std::vector<ControlNotice> out;
  if (conn != conn_ || !connected()) return out;
  switch (phase_) {
    case Phase::kLoggedIn:
      fail(now, ControlLost{"connection closed by the server"}, false, out);
      break;
    case Phase::kConnecting:
      fail(now, ControlLoginFailed{"could not connect to the server"}, false, out);
      break;
    default:
      fail(now, ControlLoginFailed{"connection closed during login"}, false, out);
      break;
  }
  return out;
}

std::vector<ControlNotice> ControlChannel::on_timer(Time now) {
  std::vector<ControlNotice> out;
  const ClientConfig& cfg = ctx_.config;
  switch (phase_) {
    case Phase::kIdle:
      break;
    case Phase::kRetryWait:
      if (now >= retry_at_) {
        ++ctx_.stats.reconnects;
        open(now);
      } else if (probing_for_server(now) && now >= next_server_probe_at_) {
        next_server_probe_at_ = now + kServerProbeInterval;
        do {
          server_probe_nonce_ = ctx_.rng.next_u64();
        } while (server_probe_nonce_ == 0);
        ctx_.send_datagram(*ctx_.server_relay, RelayEcho{server_probe_nonce_});
      }
      break;
    case Phase::kConnecting:
    case Phase::kHandshaking:
    case Phase::kLoggingIn:
      if (now >= attempt_started_ + cfg.login_timeout) {
        fail(now, ControlLoginFailed{"login timed out after " + duration_text(cfg.login_timeout)}, true, out);
      }
      break;
    case Phase::kLoggedIn:
      if (now >= last_received_ + cfg.server_timeout) {
        fail(now, ControlLost{"no frame from the server for " + duration_text(cfg.server_timeout)}, true, out);
      } else if (now >= last_ping_ + cfg.control_ping_interval) {
        last_ping_ = now;
        send(Ping{++ping_nonce_});
      }
      break;
  }
  return out;
}

std::optional<Time> ControlChannel::next_deadline() const {
  const ClientConfig& cfg = ctx_.config;
  switch (phase_) {
    case Phase::kIdle:
      return std::nullopt;
    case Phase::kRetryWait:
      return probing_for_server(next_server_probe_at_) ? std::min(retry_at_, next_server_probe_at_) : retry_at_;
    case Phase::kConnecting:
    case Phase::kHandshaking:
    case Phase::kLoggingIn:
      return attempt_started_ + cfg.login_timeout;
    case Phase::kLoggedIn:
      return std::min(last_received_ + cfg.server_timeout, last_ping_ + cfg.control_ping_interval);
  }
  return std::nullopt;
}

bool ControlChannel::send(const ControlMessage& message) {
  if (!session_ || !connected()) return false;
  auto sealed = session_->seal(encode_control(message), ByteView{});
  if (!sealed) return false;
  ControlFrame frame;
  frame.type = ControlFrameType::kSealed;
  frame.body = std::move(sealed.value());
  return send_frame(frame);
}

bool ControlChannel::send_frame(const ControlFrame& frame) {
  std::optional<Bytes> framed = frame_for_stream(encode_control_frame(frame));
  if (!framed) return false;
  ctx_.outputs.emplace_back(SendStream{conn_, std::move(*framed)});
  return true;
}

void ControlChannel::handle_frame(Time now, ByteView bytes, std::vector<ControlNotice>& out) {
  auto decoded = decode_control_frame(bytes);
  if (!decoded) {
    ++ctx_.stats.control_failures;
    return;
  }
  ControlFrame& frame = decoded.value();
  switch (frame.type) {
    case ControlFrameType::kHandshakeResp: {
      if (phase_ != Phase::kHandshaking || !initiator_) {
        ++ctx_.stats.control_failures;
        return;
      }
      auto done = initiator_->read_response(frame.body);
      if (!done) {
        // A TCP stream carries exactly one answer from whoever we reached: if it does
        // not authenticate, that peer is not our server, so no later msg2 will come.
        ++ctx_.stats.control_failures;
        fail(now, ControlLoginFailed{handshake_failure(done.error())}, true, out);
        return;
      }
      session_.emplace(done->keys);
      initiator_.reset();
      phase_ = Phase::kLoggingIn;
      last_received_ = now;
      login_sent_at_ = now;
      send(LoginRequest{ctx_.config.nickname, ctx_.config.lan_endpoints});
      return;
    }
    case ControlFrameType::kHandshakeReject:
      if (phase_ != Phase::kHandshaking) {
        // Unauthenticated: after the handshake it can only be an injection.
        ++ctx_.stats.control_failures;
        return;
      }
      fail(now, ControlLoginFailed{reject_reason(frame)}, true, out);
      if (frame.reject_reason == HandshakeRejectReason::kServerBusy && frame.retry_after_s > 0) {
        // A busy server names when it can take us. Heeded, but capped at our own
        // longest wait (the reject is unauthenticated), never sooner than our
        // backoff, and spread by up to a second so a storm does not return at once.
        Duration asked = std::min<Duration>(std::chrono::seconds(frame.retry_after_s), ctx_.config.reconnect_max);
        Duration spread = std::chrono::milliseconds(ctx_.rng.uniform(1000));
        retry_at_ = std::max(retry_at_, now + asked + spread);
      }
      return;
    case ControlFrameType::kSealed:
      handle_sealed(now, frame.body, out);
      return;
    case ControlFrameType::kHandshakeInit:
    case ControlFrameType::kTcpMapping:  // client-to-server frames: never ours to get
      ++ctx_.stats.control_failures;
      return;
  }
}

void ControlChannel::handle_sealed(Time now, ByteView body, std::vector<ControlNotice>& out) {
  if (!session_) {
    ++ctx_.stats.control_failures;
    return;
  }
  auto plaintext = session_->open(body, ByteView{});
  if (!plaintext) {
    ++ctx_.stats.control_failures;
    return;
  }
  auto message = decode_control(plaintext.value());
  if (!message) {
    ++ctx_.stats.control_failures;
    return;
  }
  // Only authenticated frames prove the server is alive.
  last_received_ = now;
  ControlMessage& m = message.value();

  if (phase_ == Phase::kLoggingIn) {
    auto* reply = std::get_if<LoginReply>(&m);
    if (!reply) {
      ++ctx_.stats.control_failures;
      return;
    }
    if (reply->code != ReplyCode::kOk) {
      std::string reason = std::string("login refused: ") + to_string(reply->code);
      if (!reply->message.empty()) reason += " (" + reply->message + ")";
      fail(now, ControlLoginFailed{std::move(reason)}, true, out);
      return;
    }
    phase_ = Phase::kLoggedIn;
    backoff_.reset();
    failures_in_a_row_ = 0;
    rtt_ = now - login_sent_at_;
    last_ping_ = now;
    out.push_back(ControlLoggedIn{std::move(*reply)});
    return;
  }

  if (auto* ping = std::get_if<Ping>(&m)) {
    send(Pong{ping->nonce});
    return;
  }
  if (auto* pong = std::get_if<Pong>(&m)) {
    if (pong->nonce == ping_nonce_) rtt_ = now - last_ping_;
    return;
  }
  if (auto* replaced = std::get_if<SessionReplaced>(&m)) {
    Endpoint by = replaced->by;
    stop(now);
    out.push_back(ControlReplaced{by});
    return;
  }
  if (std::holds_alternative<LoginReply>(m)) {
    ++ctx_.stats.control_failures;
    return;
  }
  out.push_back(ControlReceived{std::move(m)});
}

}  // namespace yt
