#include "client/core/tcp_punch.h"

namespace yt {

TcpPunch::TcpPunch(const TcpPunchPlan& plan, ConnId conn, std::uint16_t local_port, Time start)
    : plan_(plan), conn_(conn), local_port_(local_port), open_at_(start + std::chrono::milliseconds(plan.after_ms)) {}

bool TcpPunch::awaits(Endpoint remote) const {
  return plan_.accept && conn_ == 0 && (phase_ == Phase::kWaiting || phase_ == Phase::kConnecting) &&
         remote.ip == plan_.target.ip;
}

void TcpPunch::adopt(ConnId conn, Endpoint remote) {
  conn_ = conn;
  plan_.target = remote;
  phase_ = Phase::kConnected;
}

void TcpPunch::on_timer(Time now, ClientContext& ctx) {
  if (plan_.accept) {
    // Nothing to open; the wait ends like a connect's.
    if (phase_ == Phase::kWaiting && now >= open_at_) phase_ = Phase::kConnecting;
    if (phase_ == Phase::kConnecting && now >= open_at_ + ctx.config.tcp_punch_timeout) phase_ = Phase::kOver;
    return;
  }
  if (phase_ == Phase::kWaiting && now >= open_at_) {
    phase_ = Phase::kConnecting;
    ctx.outputs.emplace_back(OpenStream{conn_, plan_.target, local_port_});
    ++ctx.stats.tcp_punches_opened;
  } else if (phase_ == Phase::kConnecting && now >= open_at_ + ctx.config.tcp_punch_timeout) {
    close(ctx);
  }
}

std::optional<Time> TcpPunch::next_deadline(const ClientConfig& config) const {
  if (phase_ == Phase::kWaiting) return open_at_;
  if (phase_ == Phase::kConnecting) return open_at_ + config.tcp_punch_timeout;
  return std::nullopt;
}

bool TcpPunch::on_connected() {
  if (phase_ != Phase::kConnecting) return false;
  phase_ = Phase::kConnected;
  return true;
}

std::vector<Bytes> TcpPunch::on_data(ByteView data, ClientContext& ctx) {
  std::vector<Bytes> frames;
  if (phase_ != Phase::kConnected) return frames;
  framer_.push(data);
  while (std::optional<Bytes> frame = framer_.next()) frames.push_back(std::move(*frame));
  if (framer_.failed()) {
    ++ctx.stats.tcp_stream_errors;
    close(ctx);
  }
  return frames;
}

void TcpPunch::send(Bytes datagram, ClientContext& ctx) const {
  if (phase_ != Phase::kConnected) return;
  std::optional<Bytes> framed = frame_for_stream(datagram);
  if (!framed) return;  // a tunnel datagram is far below 64 KiB
  ctx.outputs.emplace_back(SendStream{conn_, std::move(*framed)});
}

void TcpPunch::close(ClientContext& ctx) {
  if ((phase_ == Phase::kConnecting || phase_ == Phase::kConnected) && conn_ != 0) {
    ctx.outputs.emplace_back(CloseStream{conn_});
  }
  phase_ = Phase::kOver;
}

}  // namespace yt
