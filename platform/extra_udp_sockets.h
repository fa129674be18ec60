// A client's extra UDP sockets (protocol/io_boundary.h, SendDatagram::socket):
// opened on first use, each on a new ephemeral port of the main socket's address
// (so a NAT gives each a mapping of its own: birthday probing), each receiving on
// its own, until CloseSocket. Lives on the driver's io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/io_boundary.h"

namespace yt {

class ExtraUdpSockets {
 public:
  // `on_datagram` gets every datagram that arrives on an extra socket, with its number.
  using Receive = std::function<void(SocketId socket, Endpoint from, ByteView data)>;
  ExtraUdpSockets(boost::asio::io_context& io, Receive on_datagram);
  ~ExtraUdpSockets();
  ExtraUdpSockets(const ExtraUdpSockets&) = delete;
  ExtraUdpSockets& operator=(const ExtraUdpSockets&) = delete;

  // The address new sockets bind to (the main socket's; 0.0.0.0 by default).
  void set_bind_ip(Ipv4 ip) { bind_ip_ = ip; }
  // Sends from socket d.socket (> 0), opening it first if needed. A socket that
  // cannot be opened (out of descriptors) drops the datagram and counts it.
  void send(const SendDatagram& d);
  void close(SocketId socket);
  void close_all();

  std::size_t open_count() const { return sockets_.size(); }
  std::uint64_t open_failures() const { return open_failures_; }

 private:
  struct Socket {
    explicit Socket(boost::asio::io_context& io) : udp(io) {}
    boost::asio::ip::udp::socket udp;
    boost::asio::ip::udp::endpoint from;
    std::array<std::uint8_t, 2048> buffer{};  // tunnel datagrams only: probes, handshakes, data under the MTU
  };
  void receive(SocketId id, const std::shared_ptr<Socket>& socket);

  boost::asio::io_context& io_;
  Receive on_datagram_;
  Ipv4 bind_ip_;
  std::map<SocketId, std::shared_ptr<Socket>> sockets_;
  std::uint64_t open_failures_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
