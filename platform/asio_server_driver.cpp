#include "platform/asio_server_driver.h"

#include <cstdio>

#include "platform/asio_core_timer.h"
#include "platform/fd_limit.h"

namespace yt {

AsioServerDriver::AsioServerDriver(boost::asio::io_context& io)
    : io_(io),
      acceptor_(io),
      timer_(io),
      accept_pause_(io),
      streams_(core_stream_handlers(core_, clock_, [this] { pump(); })) {}

AsioServerDriver::~AsioServerDriver() {
  *alive_ = false;
  streams_.close_all();
}

Result<std::unique_ptr<AsioServerDriver>, std::string> AsioServerDriver::create(boost::asio::io_context& io,
                                                                                 ServerConfig config,
                                                                                 Identity identity, Storage& storage,
                                                                                 RandomSource& rng, Endpoint control) {
  std::unique_ptr<AsioServerDriver> driver(new AsioServerDriver(io));
  boost::system::error_code error;
  auto& acceptor = driver->acceptor_;
  acceptor.open(boost::asio::ip::tcp::v4(), error);
  if (!error) acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(to_tcp(control), error);
  if (!error) acceptor.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) return Err{"cannot listen on TCP " + control.to_string() + ": " + error.message()};

  for (const Endpoint& wanted : config.discovery_endpoints) {
    auto udp = std::make_unique<UdpSocket>(io);
    udp->socket.open(boost::asio::ip::udp::v4(), error);
    if (!error) udp->socket.bind(to_udp(wanted), error);
    if (error) return Err{"cannot bind UDP " + wanted.to_string() + ": " + error.message()};
    udp->local = from_asio(udp->socket.local_endpoint());
    driver->discovery_.push_back(udp->local);
    driver->udp_.push_back(std::move(udp));
  }
  // The core advertises and answers from the endpoints actually bound (port 0
  // resolved), so tests can run on ephemeral ports.
  config.discovery_endpoints = driver->discovery_;
  for (Endpoint& wanted : config.refresh_endpoints) {
    auto udp = std::make_unique<UdpSocket>(io);
    udp->socket.open(boost::asio::ip::udp::v4(), error);
    if (!error) udp->socket.bind(to_udp(wanted), error);
    if (error) return Err{"cannot bind UDP " + wanted.to_string() + " (refresh endpoint): " + error.message()};
    udp->local = from_asio(udp->socket.local_endpoint());
    wanted = udp->local;
    driver->udp_.push_back(std::move(udp));
  }
  std::size_t descriptors = fd_limit();
  std::size_t room = descriptors > kReservedDescriptors ? descriptors - kReservedDescriptors : 1;
  config.admission.max_connections = std::min(config.admission.max_connections, room);
  driver->core_ = std::make_unique<ServerCore>(std::move(config), identity, storage, rng);
  return driver;
}

Endpoint AsioServerDriver::control_endpoint() const {
  boost::system::error_code error;
  auto local = acceptor_.local_endpoint(error);
  return error ? Endpoint{} : from_asio(local);
}

void AsioServerDriver::start() {
  accept();
  for (std::size_t i = 0; i < udp_.size(); ++i) receive_udp(i);
}

void AsioServerDriver::stop() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_pause_.cancel();
  for (auto& udp : udp_) udp->socket.close(ignored);
  streams_.close_all();
  timer_.cancel();
}

void AsioServerDriver::accept() {
  acceptor_.async_accept([this, alive = alive_](const boost::system::error_code& error,
                                                boost::asio::ip::tcp::socket socket) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    if (error == boost::asio::error::no_descriptors || error.value() == ENFILE ||
        error == boost::asio::error::no_buffer_space || error == boost::asio::error::no_memory) {
      ++accept_errors_;
      pause_accepting();
      return;
    }
    if (!error) {
      next_pause_ = kAcceptPauseMin;
      boost::system::error_code ignored;
      Endpoint remote = from_asio(socket.remote_endpoint(ignored));
      ConnId conn = next_conn_++;
      streams_.add(conn, std::make_shared<AsioStream>(std::move(socket)));
      streams_.start(conn);
      core_->on_stream_accepted(clock_.now(), conn, remote);
      pump();
    }
    // Other errors (ECONNABORTED: the peer gave up while queued) concern one
    // connection: go on with the next.
    accept();
  });
}

void AsioServerDriver::pause_accepting() {
  if (auto held = accept_log_.admit(LogThrottle::Clock::now())) {
    std::fprintf(stderr,
                 "yellowtail-server: cannot accept connections (out of file descriptors or memory, %zu "
                 "connections open); pausing accept for %lld ms%s\n",
                 core_->admitted_connections(), static_cast<long long>(next_pause_.count()),
                 held_back_note(*held).c_str());
  }
  accept_pause_.expires_after(next_pause_);
  next_pause_ = std::min<std::chrono::milliseconds>(next_pause_ * 2, kAcceptPauseMax);
  accept_pause_.async_wait([this, alive = alive_](const boost::system::error_code& error) {
    if (!*alive || error) return;
    accept();
  });
}

void AsioServerDriver::receive_udp(std::size_t index) {
  UdpSocket& udp = *udp_[index];
  udp.socket.async_receive_from(boost::asio::buffer(udp.buffer), udp.from,
                                [this, index, alive = alive_](const boost::system::error_code& error, std::size_t n) {
                                  if (!*alive || error == boost::asio::error::operation_aborted) return;
                                  UdpSocket& u = *udp_[index];
                                  if (!error) {
                                    core_->on_datagram(clock_.now(), u.local, from_asio(u.from),
                                                       ByteView(u.buffer.data(), n));
                                    pump();
                                  }
                                  receive_udp(index);
                                });
}

void AsioServerDriver::pump() {
  loop_.pump(*core_,
             Overloaded{
                 [this](SendDatagram& d) { send_udp(d); },
                 [this](SendStream& s) { streams_.send(s.conn, s.data, s.droppable); },
                 [this](CloseStream& c) { streams_.close(c.conn); },
             },
             [this](std::optional<Time> deadline) { rearm_timer(deadline); });
  if (federation_sink_) {
    auto messages = core_->drain_federation_outputs();
    if (!messages.empty()) federation_sink_(std::move(messages));
  }
}

void AsioServerDriver::on_federation(const FederationMessage& message) {
  core_->on_federation(clock_.now(), message);
  pump();
}

void AsioServerDriver::on_server_gone(std::uint32_t server) {
  core_->on_server_gone(clock_.now(), server);
  pump();
}

void AsioServerDriver::send_udp(const SendDatagram& datagram) {
  // `from` unset (or not ours): the first discovery socket.
  UdpSocket* from = udp_.empty() ? nullptr : udp_.front().get();
  for (auto& u : udp_) {
    if (u->local == datagram.from) from = u.get();
  }
  boost::system::error_code ignored;
  if (from) from->socket.send_to(boost::asio::buffer(datagram.payload), to_udp(datagram.to), 0, ignored);
}

void AsioServerDriver::rearm_timer(std::optional<Time> deadline) {
  arm_core_timer(timer_, deadline, core_, clock_, alive_, [this] { pump(); });
}

}  // namespace yt
