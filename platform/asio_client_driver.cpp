#include "platform/asio_client_driver.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include "platform/asio_core_timer.h"
#include "platform/local_addresses.h"
#include "platform/udp_send.h"

namespace yt {

AsioClientDriver::AsioClientDriver(boost::asio::io_context& io, RandomSource& rng)
    : io_(io),
      rng_(rng),
      udp_(io),
      extra_udp_(io,
                 [this](SocketId socket, Endpoint from, ByteView data) {
                   core_->on_datagram(clock_.now(), from, data, socket);
                   pump();
                 }),
      timer_(io),
      streams_(core_stream_handlers(core_, clock_, [this] { pump(); })) {}

AsioClientDriver::~AsioClientDriver() {
  *alive_ = false;
  streams_.close_all();
}

Result<std::unique_ptr<AsioClientDriver>, std::string> AsioClientDriver::create(boost::asio::io_context& io,
                                                                                 ClientConfig config,
                                                                                 Identity identity, RandomSource& rng,
                                                                                 Endpoint udp_bind,
                                                                                 const std::vector<std::string>& lan_exclude) {
  std::unique_ptr<AsioClientDriver> driver(new AsioClientDriver(io, rng));
  boost::system::error_code error;
  driver->udp_.open(boost::asio::ip::udp::v4(), error);
  if (!error) driver->udp_.bind(to_udp(udp_bind), error);
  if (error) return Err{"cannot bind UDP " + udp_bind.to_string() + ": " + error.message()};
  Endpoint bound = driver->udp_endpoint();
  driver->extra_udp_.set_bind_ip(bound.ip);
  if (config.lan_endpoints.empty() && bound.ip.value != 0) config.lan_endpoints.push_back(bound);
  if (config.lan_endpoints.empty()) {
    // Bound to every address: offer each of them, so that peers on our LAN can
    // reach us where the NAT does not hairpin (local_addresses.h).
    // At most 8: a LoginRequest carries few candidates (kMaxCandidates), and a host
    // with dozens of container bridges should not crowd out the mapped endpoint.
    for (Ipv4 ip : local_ipv4_addresses(lan_exclude)) {
      if (config.lan_endpoints.size() < 8) config.lan_endpoints.push_back(Endpoint{ip, bound.port});
    }
  }
  driver->core_ = std::make_unique<ClientCore>(std::move(config), identity, rng);
  return driver;
}

Endpoint AsioClientDriver::udp_endpoint() const {
  boost::system::error_code error;
  auto local = udp_.local_endpoint(error);
  return error ? Endpoint{} : from_asio(local);
}

Status<std::string> AsioClientDriver::follow_address_changes(std::vector<std::string> excluded) {
  const Endpoint bound = udp_endpoint();
  if (bound.ip.value != 0) return Err{"the UDP socket is bound to " + bound.ip.to_string() + ", which does not move"};
  auto watch = AddressWatch::start(io_, std::move(excluded), [this, port = bound.port](const std::vector<Ipv4>& now) {
    std::vector<Endpoint> lan;
    for (Ipv4 ip : now) {
      if (lan.size() < 8) lan.push_back(Endpoint{ip, port});  // as create() offers them
    }
    core_->on_network_changed(clock_.now(), std::move(lan));
    pump();
  });
  if (!watch) return Err{watch.error()};
  address_watch_ = std::move(*watch);
  return Ok{};
}

void AsioClientDriver::start(bool log_in) {
  if (batching_) {
    wait_udp_batch();
  } else {
    receive_udp();
  }
  if (log_in) core_->start(clock_.now());
  pump();
}

void AsioClientDriver::stop() {
  core_->stop(clock_.now());
  pump();
  timer_.cancel();
  boost::system::error_code ignored;
  udp_.close(ignored);
  extra_udp_.close_all();
}

void AsioClientDriver::receive_udp() {
  udp_.async_receive_from(boost::asio::buffer(udp_buffer_), udp_from_,
                          [this, alive = alive_](const boost::system::error_code& error, std::size_t n) {
                            if (!*alive || error == boost::asio::error::operation_aborted || !udp_.is_open()) return;
                            // Other errors (ICMP port unreachable surfacing as
                            // connection_refused) say nothing about the next datagram.
                            if (!error) {
                              core_->on_datagram(clock_.now(), from_asio(udp_from_), ByteView(udp_buffer_.data(), n));
                              pump();
                            }
                            receive_udp();
                          });
}

void AsioClientDriver::pump() {
  loop_.pump(*core_,
             Overloaded{
                 [this](SendDatagram& d) {
                   if (d.socket == 0) {
                     send_datagram(udp_, ByteView(d.payload), d.to, d.ttl);
                   } else {
                     extra_udp_.send(d);
                   }
                 },
                 [this](CloseSocket& c) { extra_udp_.close(c.socket); },
                 [this](OpenStream& o) { open_stream(o.conn, o.to, o.local_port); },
                 [this](SendStream& s) { streams_.send(s.conn, s.data, s.droppable); },
                 [this](ListenStream& l) { listen(l.listener, l.port); },
                 [this](CloseStream& c) { close_stream(c.conn); },
                 [this](ClientEvent& e) {
                   if (on_event_) on_event_(e);
                 },
             },
             [this](std::optional<Time> deadline) { rearm_timer(deadline); });
}

void AsioClientDriver::rearm_timer(std::optional<Time> deadline) {
  // Batched, a pump that leaves the deadline where it was (most data packets)
  // keeps the armed timer: no timerfd update, no wakeup for a cancelled wait.
  // Unbatched (--no-batch) re-arms every time, as before, so that mode stays the
  // baseline it is measured as.
  if (batching_ && armed_ && deadline == armed_deadline_) return;
  armed_ = true;
  armed_deadline_ = deadline;
  arm_core_timer(timer_, deadline, core_, clock_, alive_, [this] {
    armed_ = false;  // fired: whatever comes next is armed anew
    pump();
  });
}

void AsioClientDriver::enable_batching(BatchOptions options, std::size_t headroom,
                                       std::function<void(PacketBatch&)> on_packets) {
  batching_ = true;
  on_packets_ = std::move(on_packets);
  opened_ = PacketBatch(headroom);
  const int fd = udp_.native_handle();
  // A few super-packets in flight in each direction, without loss at the socket.
  enlarge_socket_buffers(fd, 8 << 20);
  gso_ = options.udp_offload;  // tried on the first batch; turned off if refused
  gro_ = options.udp_offload && enable_udp_gro(fd);
  // Every slot takes any UDP datagram (64 KiB), and so a GRO-coalesced run of them.
  receiver_ = std::make_unique<UdpBatchReceiver>(gro_ ? 16 : 64, 65536);
}

void AsioClientDriver::wait_udp_batch() {
  udp_.async_wait(boost::asio::ip::udp::socket::wait_read,
                  [this, alive = alive_](const boost::system::error_code& error) {
                    if (!*alive || error == boost::asio::error::operation_aborted || !udp_.is_open()) return;
                    receive_udp_batch();
                  });
}

void AsioClientDriver::receive_udp_batch() {
  // Rounds of one recvmmsg until the socket is empty; after kMaxRounds the rest
  // waits behind the other handlers (posted), so a flood from the network cannot
  // starve the adapter and the timers.
  constexpr int kMaxRounds = 16;
  const int fd = udp_.native_handle();
  for (int round = 0; round < kMaxRounds; ++round) {
    received_.clear();
    if (receiver_->receive(fd, received_, batch_counters_) == 0) {
      pump();
      wait_udp_batch();
      return;
    }
    opened_.clear();
    core_->on_datagram_batch(clock_.now(), received_, opened_);
    if (!opened_.empty() && on_packets_) on_packets_(opened_);
    pump();
    if (!udp_.is_open()) return;
  }
  boost::asio::post(io_, [this, alive = alive_] {
    if (*alive && udp_.is_open()) receive_udp_batch();
  });
}

void AsioClientDriver::send_ip_batch(const std::vector<ByteView>& packets) {
  sealed_.clear();
  core_->send_ip_batch(clock_.now(), packets, sealed_);
  if (!sealed_.empty() && udp_.is_open()) {
    if (!send_batch(udp_.native_handle(), sealed_, gso_, batch_counters_)) gso_ = false;
  }
  pump();
}

void AsioClientDriver::open_stream(ConnId conn, Endpoint to, std::uint16_t local_port) {
  streams_.connect(
      io_, conn, to,
      [this, conn] {
        core_->on_stream_connected(clock_.now(), conn);
        pump();
      },
      [this, conn] {
        core_->on_stream_closed(clock_.now(), conn);
        pump();
      },
      udp_endpoint().ip, local_port);
}

void AsioClientDriver::listen(ConnId listener, std::uint16_t port) {
  if (auto old = listeners_.find(listener); old != listeners_.end()) retire(std::move(old->second));
  listeners_[listener] = std::make_shared<AsioListener>(
      io_, udp_endpoint().ip, port,
      [this, listener](boost::asio::ip::tcp::socket socket, Endpoint remote) {
        const ConnId conn = next_accepted_++;
        streams_.add(conn, std::make_shared<AsioStream>(std::move(socket)));
        streams_.start(conn);
        core_->on_stream_accepted(clock_.now(), listener, conn, remote);
        pump();
      },
      [this, listener] {
        // The listener stays (closed) until the core listens again or closes it.
        core_->on_stream_closed(clock_.now(), listener);
        pump();
      });
}

void AsioClientDriver::close_stream(ConnId conn) {
  if (auto it = listeners_.find(conn); it != listeners_.end()) {
    retire(std::move(it->second));
    listeners_.erase(it);
    return;
  }
  streams_.close(conn);
}

void AsioClientDriver::retire(std::shared_ptr<AsioListener> listener) {
  listener->close();
  boost::asio::post(io_, [listener = std::move(listener)] {});
}

}  // namespace yt
