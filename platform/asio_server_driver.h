// Drives one ServerCore with Boost.Asio: a TCP acceptor for control connections and
// one UDP socket per discovery endpoint. Single-threaded like the client driver.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <memory>
#include <string>

#include "platform/asio_conversions.h"
#include "platform/asio_stream.h"
#include "platform/asio_streams.h"
#include "protocol/result.h"
#include "server/core/server_core.h"

namespace yt {

class AsioServerDriver {
 public:
  // Binds `control` (TCP) and every config.discovery_endpoints entry (UDP). A port
  // of 0 picks a free port; the bound endpoints are then reported by
  // control_endpoint() / discovery_endpoints() and handed to the core. Bind errors
  // come back as a readable message. `storage` and `rng` must outlive the driver.
  static Result<std::unique_ptr<AsioServerDriver>, std::string> create(boost::asio::io_context& io,
                                                                        ServerConfig config, Identity identity,
                                                                        Storage& storage, RandomSource& rng,
                                                                        Endpoint control);
  ~AsioServerDriver();

  void start();
  // Closes every connection and socket (the core's state is dropped; storage stays).
  void stop();

  Endpoint control_endpoint() const;
  const std::vector<Endpoint>& discovery_endpoints() const { return discovery_; }
  const ServerCore& core() const { return *core_; }

 private:
  AsioServerDriver(boost::asio::io_context& io);
  void accept();
  void receive_udp(std::size_t index);
  void pump();

  struct UdpSocket {
    explicit UdpSocket(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::udp::socket socket;
    boost::asio::ip::udp::endpoint from;
    std::array<std::uint8_t, 2048> buffer;
    Endpoint local;
  };

  boost::asio::io_context& io_;
  DriverClock clock_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  std::vector<Endpoint> discovery_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<ServerCore> core_;
  AsioStreams streams_;
  ConnId next_conn_ = 1;
  bool pumping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
