// A client's TCP listener (protocol/io_boundary.h, ListenStream): accepts
// connections on one port until closed and hands each over; the driver gives it
// an id and reads it like any stream. Bound with SO_REUSEADDR and SO_REUSEPORT,
// as the TCP punch port is, so a restart does not wait out TIME_WAIT.
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "protocol/endpoint.h"

namespace yt {

class AsioListener {
 public:
  using Accepted = std::function<void(boost::asio::ip::tcp::socket, Endpoint remote)>;

  // Listens on `address`:`port`. When it cannot (the port is taken, no
  // permission), `failed` runs once, from a new handler (never inside this call,
  // so a driver's core is not re-entered); never after close(). Running out of
  // descriptors later stops it the same way.
  AsioListener(boost::asio::io_context& io, Ipv4 address, std::uint16_t port, Accepted accepted,
               std::function<void()> failed);
  ~AsioListener() { close(); }
  AsioListener(const AsioListener&) = delete;
  AsioListener& operator=(const AsioListener&) = delete;

  void close();

 private:
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  Accepted accepted_;
  std::function<void()> failed_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace yt
