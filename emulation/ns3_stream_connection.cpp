#include "emulation/ns3_stream_connection.h"

#include <ns3/packet.h>
#include <ns3/simulator.h>

#include <vector>

namespace yt::emulation {

Ns3StreamConnection::Ns3StreamConnection(ns3::Ptr<ns3::Socket> socket) : socket_(socket) {
  socket_->SetSendCallback(
      ns3::Callback<void, ns3::Ptr<ns3::Socket>, uint32_t>([this](ns3::Ptr<ns3::Socket>, uint32_t) { flush(); }));
}

Ns3StreamConnection::~Ns3StreamConnection() {
  // The socket may outlive us inside ns-3; it must not call back into freed memory
  // or report data for a connection the core has forgotten.
  socket_->SetSendCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>, uint32_t>());
  socket_->SetRecvCallback(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  socket_->SetCloseCallbacks(ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>(),
                             ns3::MakeNullCallback<void, ns3::Ptr<ns3::Socket>>());
  if (!closed_) {
    socket_->Close();
    closed_ = true;
  }
}

void Ns3StreamConnection::send(ByteView data) {
  if (closed_ || close_requested_) return;
  pending_.insert(pending_.end(), data.begin(), data.end());
  flush();
}

void Ns3StreamConnection::close() {
  close_requested_ = true;
  flush();
}

void Ns3StreamConnection::flush() {
  if (closed_) return;
  while (!pending_.empty()) {
    uint32_t room = socket_->GetTxAvailable();
    if (room == 0) return;  // the send callback brings us back
    std::size_t n = pending_.size() < room ? pending_.size() : room;
    std::vector<std::uint8_t> chunk(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    int sent = socket_->Send(chunk.data(), static_cast<uint32_t>(n), 0);
    if (sent <= 0) return;
    pending_.erase(pending_.begin(), pending_.begin() + sent);
  }
  if (close_requested_) {
    socket_->Close();
    closed_ = true;
  }
}

void destroy_later(std::unique_ptr<Ns3StreamConnection> connection) {
  std::shared_ptr<Ns3StreamConnection> held(std::move(connection));
  ns3::Simulator::ScheduleNow([held] {});
}

void close_connection(Ns3StreamConnections& streams, ConnId conn) {
  auto it = streams.find(conn);
  if (it == streams.end()) return;
  it->second->close();
  destroy_later(std::move(it->second));  // we may be inside one of its callbacks
  streams.erase(it);
}

}  // namespace yt::emulation
