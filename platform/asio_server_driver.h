// Drives one ServerCore with Boost.Asio: a TCP acceptor for control connections and
// one UDP socket per discovery endpoint. Single-threaded like the client driver.
//
// Out of file descriptors (EMFILE, ENFILE) or kernel memory, accept() fails without
// taking the pending connection off the queue, so accepting again at once would
// fail again at once: a busy loop that starves everything else. The acceptor pauses
// instead (kAcceptPauseMin doubling to kAcceptPauseMax) until an accept succeeds.
// The core's connection cap is lowered to what the descriptor limit allows, so
// that normally the core refuses politely long before the kernel refuses at all.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "platform/asio_conversions.h"
#include "platform/asio_stream.h"
#include "platform/asio_streams.h"
#include "platform/log_throttle.h"
#include "protocol/driver_loop.h"
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
  // Accepts that failed for lack of descriptors or memory, and the pauses they caused.
  std::uint64_t accept_errors() const { return accept_errors_; }
  // Relay frames dropped because a UDP-blocked client read slower than its peer sent.
  std::uint64_t dropped_stream_writes() const { return streams_.dropped(); }

  // Pauses after a resource-exhaustion accept error. 50 ms lets other connections
  // close and free descriptors; 1 s at most keeps a recovered server taking logins
  // quickly.
  static constexpr auto kAcceptPauseMin = std::chrono::milliseconds(50);
  static constexpr auto kAcceptPauseMax = std::chrono::milliseconds(1000);
  // Descriptors kept back from the connection cap: discovery sockets, the database
  // and its journal, the log, and headroom for connections being refused.
  static constexpr std::size_t kReservedDescriptors = 64;
  const std::vector<Endpoint>& discovery_endpoints() const { return discovery_; }
  const ServerCore& core() const { return *core_; }

  // Several servers on one database (server/core/federation.h): `sink` gets the
  // core's messages for the other servers after every input, in order.
  using FederationSink = std::function<void(std::vector<FederationMessage>)>;
  void set_federation_sink(FederationSink sink) { federation_sink_ = std::move(sink); }
  // Inputs from the other servers.
  void on_federation(const FederationMessage& message);
  void on_server_gone(std::uint32_t server);

 private:
  AsioServerDriver(boost::asio::io_context& io);
  void accept();
  void pause_accepting();
  void receive_udp(std::size_t index);
  void pump();
  void send_udp(const SendDatagram& datagram);
  void rearm_timer(std::optional<Time> deadline);

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
  boost::asio::steady_timer accept_pause_;
  std::chrono::milliseconds next_pause_ = kAcceptPauseMin;
  std::uint64_t accept_errors_ = 0;
  LogThrottle accept_log_{1, std::chrono::seconds(10)};
  std::unique_ptr<ServerCore> core_;
  FederationSink federation_sink_;
  AsioStreams streams_;
  ConnId next_conn_ = 1;
  DriverLoop loop_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
