#include "emulation/ns3_stream_connection.h"

#include <ns3/inet-socket-address.h>
#include <ns3/packet.h>
#include <ns3/simulator.h>
#include <ns3/tcp-socket-factory.h>

#include <vector>

#include "emulation/ns3_conversions.h"

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

void Ns3StreamConnection::send(ByteView data, bool droppable) {
  if (closed_ || close_requested_) return;
  if (droppable && pending_.size() > kDroppableQueueLimit) {
    ++dropped_;
    return;
  }
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
  // Out of the map before closing: ns-3 may run the socket's close callback inside
  // Close(), which looks the connection up (and must find nothing: the core asked).
  std::unique_ptr<Ns3StreamConnection> connection = std::move(it->second);
  streams.erase(it);
  connection->close();
  destroy_later(std::move(connection));  // we may be inside one of its callbacks
}

namespace {

// Reads `socket` into `shared` and forgets it on a close or a failure, held in
// `streams` under `conn`; returns the failure handler for a connect's use too.
std::function<void(ns3::Ptr<ns3::Socket>)> hold(Ns3StreamConnections& streams, ConnId conn,
                                                ns3::Ptr<ns3::Socket> socket,
                                                const std::shared_ptr<Ns3StreamHandlers>& shared) {
  auto ended = [&streams, conn, shared](ns3::Ptr<ns3::Socket>) {
    auto it = streams.find(conn);
    if (it == streams.end()) return;
    destroy_later(std::move(it->second));  // this closure is one of its callbacks
    streams.erase(it);
    shared->closed();
  };
  auto receive = [shared](ns3::Ptr<ns3::Socket> s) {
    while (ns3::Ptr<ns3::Packet> packet = s->Recv()) {
      if (packet->GetSize() == 0) break;
      Bytes bytes = from_packet(packet);
      shared->data(bytes);
    }
    shared->read_done();
  };
  socket->SetCloseCallbacks(ns3::Callback<void, ns3::Ptr<ns3::Socket>>(ended),
                            ns3::Callback<void, ns3::Ptr<ns3::Socket>>(ended));
  socket->SetRecvCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>(receive));
  streams[conn] = std::make_unique<Ns3StreamConnection>(socket);
  return ended;
}

}  // namespace

void open_ns3_stream(ns3::Ptr<ns3::Node> node, Ns3StreamConnections& streams, ConnId conn, Endpoint to,
                     Ns3StreamHandlers handlers, std::uint16_t local_port) {
  ns3::Ptr<ns3::Socket> socket = ns3::Socket::CreateSocket(node, ns3::TcpSocketFactory::GetTypeId());
  auto shared = std::make_shared<Ns3StreamHandlers>(std::move(handlers));
  const int bound = local_port != 0
                        ? socket->Bind(ns3::InetSocketAddress(ns3::Ipv4Address::GetAny(), local_port))
                        : socket->Bind();
  if (bound != 0) {
    // From a new event, never from inside the core's output handling.
    ns3::Simulator::ScheduleNow([shared] { shared->closed(); });
    return;
  }
  auto connected = [shared](ns3::Ptr<ns3::Socket>) { shared->connected(); };
  auto accepted = [shared](ns3::Ptr<ns3::Socket>, const ns3::Address&) { shared->connected(); };
  auto failed = hold(streams, conn, socket, shared);
  socket->SetConnectCallback(ns3::Callback<void, ns3::Ptr<ns3::Socket>>(connected),
                             ns3::Callback<void, ns3::Ptr<ns3::Socket>>(failed));
  // The simultaneous open's report (header comment).
  socket->SetAcceptCallback(ns3::MakeNullCallback<bool, ns3::Ptr<ns3::Socket>, const ns3::Address&>(),
                            ns3::Callback<void, ns3::Ptr<ns3::Socket>, const ns3::Address&>(accepted));
  socket->Connect(to_ns3(to));
}

void adopt_ns3_stream(Ns3StreamConnections& streams, ConnId conn, ns3::Ptr<ns3::Socket> socket,
                      Ns3StreamHandlers handlers) {
  hold(streams, conn, socket, std::make_shared<Ns3StreamHandlers>(std::move(handlers)));
}

}  // namespace yt::emulation
