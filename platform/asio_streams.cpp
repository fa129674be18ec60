#include "platform/asio_streams.h"

#include <boost/asio/post.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace yt {

bool AsioStreams::holds(ConnId conn, const std::shared_ptr<AsioStream>& stream) const {
  auto it = streams_.find(conn);
  return it != streams_.end() && it->second == stream;
}

void AsioStreams::start(ConnId conn) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  std::shared_ptr<AsioStream> stream = it->second;
  stream->start(
      [this, conn, alive = alive_](ByteView data) {
        if (*alive) handlers_.data(conn, data);
      },
      [this, conn, stream, alive = alive_](const std::string&) {
        if (!*alive || !holds(conn, stream)) return;
        streams_.erase(conn);
        handlers_.closed(conn);
      });
}

void AsioStreams::connect(boost::asio::io_context& io, ConnId conn, Endpoint to, std::function<void()> connected,
                          std::function<void()> failed, Ipv4 from, std::uint16_t local_port) {
  auto stream = std::make_shared<AsioStream>(boost::asio::ip::tcp::socket(io));
  add(conn, stream);
  if (from.value != 0 || local_port != 0) {
    boost::system::error_code error;
    stream->socket().open(boost::asio::ip::tcp::v4(), error);
    if (!error && local_port != 0) {
      // The mapping probe's connection may still be closing on this port, and a
      // punch may follow it at once (messages.h, TcpPunchPlan).
      stream->socket().set_option(boost::asio::socket_base::reuse_address(true), error);
      const int one = 1;
      if (!error && ::setsockopt(stream->socket().native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        error = boost::system::error_code(errno, boost::system::system_category());
      }
    }
    if (!error) stream->socket().bind(to_tcp(Endpoint{from, local_port}), error);
    if (error) {
      // Reported like a refused connect, from the loop, never from inside the
      // core's own output handling.
      boost::asio::post(io, [this, conn, stream, alive = alive_, failed = std::move(failed)] {
        if (!*alive || !holds(conn, stream)) return;
        forget(conn);
        failed();
      });
      return;
    }
  }
  stream->socket().async_connect(
      to_tcp(to), [this, conn, stream, alive = alive_, connected = std::move(connected),
                   failed = std::move(failed)](const boost::system::error_code& error) {
        if (!*alive || !holds(conn, stream)) return;  // gone, or the core closed it meanwhile
        if (error) {
          forget(conn);
          failed();
          return;
        }
        start(conn);
        connected();
      });
}

void AsioStreams::send(ConnId conn, ByteView data, bool droppable) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  const std::uint64_t before = it->second->dropped();
  it->second->send(data, droppable);
  dropped_ += it->second->dropped() - before;
}

void AsioStreams::close(ConnId conn) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  it->second->close();
  streams_.erase(it);
}

void AsioStreams::close_all() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  for (auto& [conn, stream] : streams_) stream->close();
  streams_.clear();
}

}  // namespace yt
