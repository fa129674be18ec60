#include "platform/asio_relay_driver.h"

#include "platform/asio_core_timer.h"

namespace yt {

AsioRelayDriver::AsioRelayDriver(boost::asio::io_context& io)
    : io_(io), udp_(io), timer_(io), streams_(core_stream_handlers(node_, clock_, [this] { pump(); })) {}

AsioRelayDriver::~AsioRelayDriver() {
  *alive_ = false;
  streams_.close_all();
}

Result<std::unique_ptr<AsioRelayDriver>, std::string> AsioRelayDriver::create(boost::asio::io_context& io,
                                                                               RelayNodeConfig config,
                                                                               Identity identity, RandomSource& rng,
                                                                               Endpoint udp_bind,
                                                                               std::optional<Endpoint> stream_bind) {
  std::unique_ptr<AsioRelayDriver> driver(new AsioRelayDriver(io));
  boost::system::error_code error;
  driver->udp_.open(boost::asio::ip::udp::v4(), error);
  if (!error) driver->udp_.bind(to_udp(udp_bind), error);
  if (error) return Err{"cannot bind UDP " + udp_bind.to_string() + ": " + error.message()};
  if (stream_bind) {
    auto& acceptor = driver->acceptor_.emplace(io);
    acceptor.open(boost::asio::ip::tcp::v4(), error);
    if (!error) acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor.bind(to_tcp(*stream_bind), error);
    if (!error) acceptor.listen(boost::asio::socket_base::max_listen_connections, error);
    if (error) return Err{"cannot listen on TCP " + stream_bind->to_string() + ": " + error.message()};
  }
  if (config.udp.is_unset()) config.udp = driver->udp_endpoint();
  if (config.stream.is_unset() && driver->stream_endpoint()) config.stream = *driver->stream_endpoint();
  if (config.udp.ip.value == 0) {
    return Err{std::string("the relay's UDP address for clients is 0.0.0.0; bind a specific address or give --public-udp")};
  }
  driver->node_ = std::make_unique<RelayNode>(std::move(config), identity, rng);
  return driver;
}

Endpoint AsioRelayDriver::udp_endpoint() const {
  boost::system::error_code error;
  auto local = udp_.local_endpoint(error);
  return error ? Endpoint{} : from_asio(local);
}

std::optional<Endpoint> AsioRelayDriver::stream_endpoint() const {
  if (!acceptor_) return std::nullopt;
  boost::system::error_code error;
  auto local = acceptor_->local_endpoint(error);
  if (error) return std::nullopt;
  return from_asio(local);
}

void AsioRelayDriver::start() {
  receive_udp();
  if (acceptor_) accept();
  node_->start(clock_.now());
  pump();
}

void AsioRelayDriver::stop() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  boost::system::error_code ignored;
  udp_.close(ignored);
  if (acceptor_) acceptor_->close(ignored);
  streams_.close_all();
  timer_.cancel();
}

void AsioRelayDriver::accept() {
  acceptor_->async_accept([this, alive = alive_](const boost::system::error_code& error,
                                                 boost::asio::ip::tcp::socket socket) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    if (!error) {
      boost::system::error_code ignored;
      Endpoint remote = from_asio(socket.remote_endpoint(ignored));
      ConnId conn = next_accepted_++;
      streams_.add(conn, std::make_shared<AsioStream>(std::move(socket)));
      streams_.start(conn);
      node_->on_stream_accepted(clock_.now(), conn, remote);
      pump();
    }
    accept();
  });
}

void AsioRelayDriver::receive_udp() {
  udp_.async_receive_from(boost::asio::buffer(udp_buffer_), udp_from_,
                          [this, alive = alive_](const boost::system::error_code& error, std::size_t n) {
                            if (!*alive || error == boost::asio::error::operation_aborted || !udp_.is_open()) return;
                            if (!error) {
                              node_->on_datagram(clock_.now(), from_asio(udp_from_), ByteView(udp_buffer_.data(), n));
                              pump();
                            }
                            receive_udp();
                          });
}

void AsioRelayDriver::open_stream(ConnId conn, Endpoint to) {
  streams_.connect(
      io_, conn, to,
      [this, conn] {
        node_->on_stream_connected(clock_.now(), conn);
        pump();
      },
      [this, conn] {
        node_->on_stream_closed(clock_.now(), conn);
        pump();
      });
}

void AsioRelayDriver::pump() {
  loop_.pump(*node_,
             Overloaded{
                 [this](SendDatagram& d) {
                   boost::system::error_code ignored;
                   udp_.send_to(boost::asio::buffer(d.payload), to_udp(d.to), 0, ignored);
                 },
                 [this](OpenStream& o) { open_stream(o.conn, o.to); },
                 [this](SendStream& s) { streams_.send(s.conn, s.data, s.droppable); },
                 [this](CloseStream& c) { streams_.close(c.conn); },
             },
             [this](std::optional<Time> deadline) { rearm_timer(deadline); });
  for (const RelayNodeNotice& notice : node_->take_notices()) {
    if (on_notice_) on_notice_(notice);
  }
}

void AsioRelayDriver::rearm_timer(std::optional<Time> deadline) {
  arm_core_timer(timer_, deadline, node_, clock_, alive_, [this] { pump(); });
}

}  // namespace yt
