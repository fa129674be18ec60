#include "client/core/tcp_mapping_probe.h"

#include "protocol/stream_framer.h"

namespace yt {

void TcpMappingProbe::start(Time now, Endpoint server, std::uint64_t token) {
  cancel();
  if (!ctx_.config.tcp_punch) return;
  server_ = server;
  token_ = token;
  attempts_ = 0;
  ++logins_;
  port_ = ctx_.config.tcp_punch_port;
  open(now);
}

void TcpMappingProbe::cancel() {
  if (phase_ == Phase::kConnecting || phase_ == Phase::kSent) ctx_.outputs.emplace_back(CloseStream{conn_});
  phase_ = Phase::kIdle;
  ctx_.tcp_punch_port.reset();
}

void TcpMappingProbe::open(Time now) {
  ++attempts_;
  if (ctx_.config.tcp_punch_port == 0) {
    // From our key, not the random stream: no draw taken from the parts that use
    // the stream (a simulated run's UDP results stay as they were). Another port
    // for each login, not only each retry: the server closed the last login's
    // connection first, so it holds that four-tuple in TIME_WAIT for 2 MSL, and a
    // stack that does not reuse it for a new SYN (ns-3's; RFC 6191 lets Linux)
    // would leave a login right after a server restart waiting kTimeout.
    const PublicKey& key = ctx_.identity.public_key;
    const std::uint32_t span = kLastTcpPunchPort - kFirstTcpPunchPort + 1;
    const std::uint32_t tries = static_cast<std::uint32_t>(logins_ - 1) * kMaxAttempts + (attempts_ - 1);
    const std::uint32_t base = (std::uint32_t{key[0]} << 8 | key[1]) + 7919u * tries;
    port_ = static_cast<std::uint16_t>(kFirstTcpPunchPort + base % span);
  }
  conn_ = next_conn_++;
  phase_ = Phase::kConnecting;
  deadline_ = now + kTimeout;
  ctx_.outputs.emplace_back(OpenStream{conn_, server_, port_});
}

void TcpMappingProbe::fail_attempt(Time now) {
  // A configured port that fails once will fail again.
  if (attempts_ < kMaxAttempts && ctx_.config.tcp_punch_port == 0) {
    open(now);
    return;
  }
  phase_ = Phase::kFailed;
  ++ctx_.stats.tcp_mapping_failures;
}

void TcpMappingProbe::on_connected(Time now, ConnId conn) {
  if (conn != conn_ || phase_ != Phase::kConnecting) return;
  ControlFrame frame;
  frame.type = ControlFrameType::kTcpMapping;
  frame.token = token_;
  std::optional<Bytes> framed = frame_for_stream(encode_control_frame(frame));
  if (!framed) return;  // cannot happen: the frame is 10 bytes
  ctx_.outputs.emplace_back(SendStream{conn_, std::move(*framed)});
  phase_ = Phase::kSent;
  deadline_ = now + kTimeout;
}

void TcpMappingProbe::on_closed(Time now, ConnId conn) {
  if (conn != conn_) return;
  if (phase_ == Phase::kSent) {
    // The server closes once it recorded the mapping (it closes a connection it
    // cannot use the same way, which we cannot tell apart: an unknown token means
    // we are logged out, and the next login starts over).
    phase_ = Phase::kDone;
    ctx_.tcp_punch_port = port_;
  } else if (phase_ == Phase::kConnecting) {
    fail_attempt(now);
  }
}

void TcpMappingProbe::on_timer(Time now) {
  if (!pending() || now < deadline_) return;
  ctx_.outputs.emplace_back(CloseStream{conn_});
  fail_attempt(now);
}

std::optional<Time> TcpMappingProbe::next_deadline() const {
  if (!pending()) return std::nullopt;
  return deadline_;
}

}  // namespace yt
