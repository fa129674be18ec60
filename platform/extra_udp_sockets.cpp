#include "platform/extra_udp_sockets.h"

#include "platform/asio_conversions.h"
#include "platform/udp_send.h"

namespace yt {

ExtraUdpSockets::ExtraUdpSockets(boost::asio::io_context& io, Receive on_datagram)
    : io_(io), on_datagram_(std::move(on_datagram)) {}

ExtraUdpSockets::~ExtraUdpSockets() {
  *alive_ = false;
  close_all();
}

void ExtraUdpSockets::send(const SendDatagram& d) {
  if (d.socket == 0) return;
  auto it = sockets_.find(d.socket);
  if (it == sockets_.end()) {
    auto socket = std::make_shared<Socket>(io_);
    boost::system::error_code error;
    socket->udp.open(boost::asio::ip::udp::v4(), error);
    if (!error) socket->udp.bind(to_udp(Endpoint{bind_ip_, 0}), error);
    if (error) {
      ++open_failures_;
      return;
    }
    it = sockets_.emplace(d.socket, socket).first;
    receive(d.socket, socket);
  }
  send_datagram(it->second->udp, ByteView(d.payload), d.to, d.ttl);
}

void ExtraUdpSockets::receive(SocketId id, const std::shared_ptr<Socket>& socket) {
  socket->udp.async_receive_from(
      boost::asio::buffer(socket->buffer), socket->from,
      [this, id, socket, alive = alive_](const boost::system::error_code& error, std::size_t n) {
        if (!*alive || error == boost::asio::error::operation_aborted || !socket->udp.is_open()) return;
        if (!error) on_datagram_(id, from_asio(socket->from), ByteView(socket->buffer.data(), n));
        // The handler may have closed this socket (the core finished with it).
        if (*alive && socket->udp.is_open()) receive(id, socket);
      });
}

void ExtraUdpSockets::close(SocketId id) {
  auto it = sockets_.find(id);
  if (it == sockets_.end()) return;
  boost::system::error_code ignored;
  it->second->udp.close(ignored);
  sockets_.erase(it);
}

void ExtraUdpSockets::close_all() {
  boost::system::error_code ignored;
  for (auto& [id, socket] : sockets_) socket->udp.close(ignored);
  sockets_.clear();
}

}  // namespace yt
