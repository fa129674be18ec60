// Drives one RelayNode (a separate relay) with Boost.Asio: one UDP socket for
// clients, a TCP listener for clients whose UDP is blocked (port 443 where it is
// deployed), and the outgoing control connection to the server. Single-threaded
// like the other drivers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "platform/asio_conversions.h"
#include "platform/asio_stream.h"
#include "platform/asio_streams.h"
#include "protocol/driver_loop.h"
#include "protocol/result.h"
#include "server/relay/relay_node.h"

namespace yt {

class AsioRelayDriver {
 public:
  // Binds `udp_bind` and, when set, listens on `stream_bind` (port 0: any free
  // port). Endpoints left unset in `config` (udp, stream) are advertised as bound,
  // which is right on a host with a public address; behind a port forward give
  // them. Errors come back as a readable message. `rng` must outlive the driver.
  static Result<std::unique_ptr<AsioRelayDriver>, std::string> create(boost::asio::io_context& io,
                                                                       RelayNodeConfig config, Identity identity,
                                                                       RandomSource& rng, Endpoint udp_bind,
                                                                       std::optional<Endpoint> stream_bind);
  ~AsioRelayDriver();

  void start();
  void stop();
  // Called for each notice of the node (registered, refused, lost), to log it.
  void set_notice_handler(std::function<void(const RelayNodeNotice&)> handler) { on_notice_ = std::move(handler); }

  Endpoint udp_endpoint() const;
  std::optional<Endpoint> stream_endpoint() const;
  const RelayNode& node() const { return *node_; }
  // Relayed frames dropped because a TCP client read slower than its peer sent.
  std::uint64_t dropped_stream_writes() const { return streams_.dropped(); }

 private:
  explicit AsioRelayDriver(boost::asio::io_context& io);
  void accept();
  void receive_udp();
  void open_stream(ConnId conn, Endpoint to);
  void pump();
  void rearm_timer(std::optional<Time> deadline);

  boost::asio::io_context& io_;
  boost::asio::ip::udp::socket udp_;
  boost::asio::ip::udp::endpoint udp_from_;
  std::array<std::uint8_t, 2048> udp_buffer_{};
  std::optional<boost::asio::ip::tcp::acceptor> acceptor_;
  boost::asio::steady_timer timer_;
  DriverClock clock_;
  DriverLoop loop_;
  std::unique_ptr<RelayNode> node_;
  AsioStreams streams_;
  ConnId next_accepted_ = 1;  // below RelayNode::kControlConnBase
  std::function<void(const RelayNodeNotice&)> on_notice_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
