// The no-TUN mode of yellowtaild: instead of an adapter, a local UDP "bridge" port.
// An application sends [u32 destination virtual IP][payload] to the bridge; the
// payload goes to the peer with that virtual address. Packets from peers come back
// to the last application address as [u32 source virtual IP][payload]. Used by
// tests and by machines where creating a TUN device is not allowed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <optional>
#include <string>

#include "platform/asio_client_driver.h"
#include "platform/log_throttle.h"
#include "protocol/result.h"

namespace yt {

class DatagramBridge {
 public:
  // Binds `local` (loopback recommended: anyone who can reach it can send as us).
  static Result<std::unique_ptr<DatagramBridge>, std::string> create(boost::asio::io_context& io, Endpoint local,
                                                                      AsioClientDriver& driver);
  void start();
  // Hands a packet from a peer to the application (dropped until one has spoken).
  void deliver(const PublicKey& peer, ByteView packet);
  Endpoint local_endpoint() const;

 private:
  DatagramBridge(boost::asio::io_context& io, AsioClientDriver& driver) : socket_(io), driver_(driver) {}
  void receive();

  boost::asio::ip::udp::socket socket_;
  AsioClientDriver& driver_;
  boost::asio::ip::udp::endpoint from_;
  std::optional<boost::asio::ip::udp::endpoint> application_;
  std::array<std::uint8_t, 65536> buffer_;
  // Anyone who can reach the port can make us log: a few lines a second at most.
  LogThrottle log_throttle_{5, std::chrono::seconds(1)};
};

}  // namespace yt
