#include "platform/asio_listener.h"

#include <sys/socket.h>

#include <boost/asio/post.hpp>

#include "platform/asio_conversions.h"

namespace yt {

AsioListener::AsioListener(boost::asio::io_context& io, Ipv4 address, std::uint16_t port, Accepted accepted,
                           std::function<void()> failed)
    : acceptor_(io), accepted_(std::move(accepted)), failed_(std::move(failed)) {
  boost::system::error_code error;
  acceptor_.open(boost::asio::ip::tcp::v4(), error);
  if (!error) acceptor_.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), error);
  int one = 1;
  if (!error && ::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    error = boost::system::error_code(errno, boost::system::system_category());
  }
  if (!error) acceptor_.bind(to_tcp(Endpoint{address, port}), error);
  if (!error) acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    boost::asio::post(io, [this, alive = alive_] {
      if (*alive) failed_();
    });
    return;
  }
  accept();
}

void AsioListener::close() {
  *alive_ = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void AsioListener::accept() {
  acceptor_.async_accept([this, alive = alive_](const boost::system::error_code& error,
                                                boost::asio::ip::tcp::socket socket) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    if (error == boost::asio::error::no_descriptors || error.value() == ENFILE ||
        error == boost::asio::error::no_buffer_space || error == boost::asio::error::no_memory) {
      // Retrying at once would spin; a client's listener is an extra path, not
      // its lifeline: it stops, and the core withdraws the mapping.
      close();
      failed_();
      return;
    }
    if (!error) {
      boost::system::error_code ignored;
      const Endpoint remote = from_asio(socket.remote_endpoint(ignored));
      accepted_(std::move(socket), remote);
      if (!*alive) return;  // closed from inside the handler
    }
    // Other errors concern one connection (ECONNABORTED: the peer gave up while
    // queued): go on with the next.
    accept();
  });
}

}  // namespace yt
