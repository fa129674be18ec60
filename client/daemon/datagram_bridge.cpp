#include "client/daemon/datagram_bridge.h"

#include <spdlog/spdlog.h>

namespace yt {

Result<std::unique_ptr<DatagramBridge>, std::string> DatagramBridge::create(boost::asio::io_context& io,
                                                                             Endpoint local,
                                                                             AsioClientDriver& driver) {
  std::unique_ptr<DatagramBridge> bridge(new DatagramBridge(io, driver));
  boost::system::error_code error;
  bridge->socket_.open(boost::asio::ip::udp::v4(), error);
  if (!error) bridge->socket_.bind(to_udp(local), error);
  if (error) return Err{"cannot bind bridge " + local.to_string() + ": " + error.message()};
  return bridge;
}

Endpoint DatagramBridge::local_endpoint() const {
  boost::system::error_code error;
  auto e = socket_.local_endpoint(error);
  return error ? Endpoint{} : from_asio(e);
}

void DatagramBridge::start() { receive(); }

void DatagramBridge::receive() {
  socket_.async_receive_from(boost::asio::buffer(buffer_), from_, [this](const boost::system::error_code& error,
                                                                        std::size_t n) {
    if (error == boost::asio::error::operation_aborted) return;
    if (!error && n < 4) {
      if (auto held = log_throttle_.admit(LogThrottle::Clock::now())) {
        spdlog::warn("bridge: {}-byte datagram from {} is shorter than its 4-byte address, dropped{}", n,
                     from_.address().to_string(), held_back_note(*held));
      }
    }
    if (!error && n >= 4) {
      application_ = from_;
      Ipv4 destination{std::uint32_t(buffer_[0]) << 24 | std::uint32_t(buffer_[1]) << 16 |
                       std::uint32_t(buffer_[2]) << 8 | buffer_[3]};
      bool sent = false;
      for (const PeerStatus& peer : driver_.core().peers()) {
        if (peer.virtual_ip == destination) {
          sent = driver_.core().send_to_peer(driver_.now(), peer.key, ByteView(buffer_.data() + 4, n - 4)).ok();
          break;
        }
      }
      if (!sent) {
        if (auto held = log_throttle_.admit(LogThrottle::Clock::now())) {
          spdlog::warn("bridge: no tunnel to {}, dropped{}", destination.to_string(), held_back_note(*held));
        }
      }
      driver_.pump();
    }
    receive();
  });
}

void DatagramBridge::deliver(const PublicKey& peer, ByteView packet) {
  if (!application_) return;
  Ipv4 source;
  for (const PeerStatus& p : driver_.core().peers()) {
    if (p.key == peer) source = p.virtual_ip;
  }
  Bytes out{static_cast<std::uint8_t>(source.value >> 24), static_cast<std::uint8_t>(source.value >> 16),
            static_cast<std::uint8_t>(source.value >> 8), static_cast<std::uint8_t>(source.value)};
  out.insert(out.end(), packet.begin(), packet.end());
  boost::system::error_code ignored;
  socket_.send_to(boost::asio::buffer(out), *application_, 0, ignored);
}

}  // namespace yt
