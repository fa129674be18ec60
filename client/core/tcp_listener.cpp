#include "client/core/tcp_listener.h"

namespace yt {

void TcpListener::start(Time now, Ipv4 gateway, std::uint16_t port, std::uint32_t lifetime_s) {
  if (listening_) stop(now);
  ctx_.outputs.emplace_back(ListenStream{kListenerConn, port});
  listening_ = true;
  mapper_.start(now, gateway, port, lifetime_s);
}

void TcpListener::stop(Time now) {
  mapper_.stop(now);
  if (listening_) ctx_.outputs.emplace_back(CloseStream{kListenerConn});
  listening_ = false;
}

bool TcpListener::on_datagram(Time now, Endpoint from, ByteView data) {
  if (!listening_) return false;
  const bool changed = mapper_.on_datagram(now, from, data);
  close_if_unmapped();
  return changed;
}

bool TcpListener::on_timer(Time now) {
  if (!listening_) return false;
  const bool changed = mapper_.on_timer(now);
  close_if_unmapped();
  return changed;
}

bool TcpListener::on_listener_closed(Time now) {
  if (!listening_) return false;
  const bool had = mapper_.current().protocol != PortMappingProtocol::kNone;
  listening_ = false;  // the driver's listener is gone already: no CloseStream
  mapper_.stop(now);
  ++ctx_.stats.tcp_listen_failures;
  return had;
}

void TcpListener::close_if_unmapped() {
  if (mapper_.gave_up()) {
    ctx_.outputs.emplace_back(CloseStream{kListenerConn});
    listening_ = false;
  }
}

}  // namespace yt
