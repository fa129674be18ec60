// One TCP connection driven by Asio for a core: reads are handed over as they come,
// writes are queued so the core can emit frames at any time. Owned through a
// shared_ptr so pending handlers keep it alive until they have run.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <deque>
#include <functional>
#include <memory>

#include "protocol/bytes.h"
#include "protocol/io_boundary.h"

namespace yt {

class AsioStream : public std::enable_shared_from_this<AsioStream> {
 public:
  using DataHandler = std::function<void(ByteView)>;
  // Called once, when the peer closed or the connection failed (never after close()).
  using ClosedHandler = std::function<void(const std::string& reason)>;

  explicit AsioStream(boost::asio::ip::tcp::socket socket);

  // Starts reading; handlers run on the socket's executor.
  void start(DataHandler on_data, ClosedHandler on_closed);
  // `droppable`: see SendStream (protocol/io_boundary.h).
  void send(ByteView data, bool droppable = false);
  std::size_t queued_bytes() const { return queued_bytes_; }
  std::uint64_t dropped() const { return dropped_; }
  // Flushes queued writes, then closes. No handler runs afterwards.
  void close();
  boost::asio::ip::tcp::socket& socket() { return socket_; }

 private:
  void read_more();
  void write_more();
  void fail(const std::string& reason);
  void shutdown_now();

  boost::asio::ip::tcp::socket socket_;
  std::array<std::uint8_t, 16384> read_buffer_;
  std::deque<Bytes> write_queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool done_ = false;
  DataHandler on_data_;
  ClosedHandler on_closed_;
};

}  // namespace yt
