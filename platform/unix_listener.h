// A listening Unix stream socket for a local control interface, with access
// limited by the socket file's owner and mode: 0600 (the daemon's user only) or,
// with a group, 0660 and that group, the way docker.sock and libvirt do it.
//
// The socket's directory is created (mode 0755) when missing. A leftover socket
// file from a crashed daemon is replaced; a socket someone still answers on is not
// (another daemon is running), and neither is a path that is not a socket.
// The file is removed when the listener is destroyed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "protocol/result.h"

namespace yt {

class UnixListener {
 public:
  using Socket = boost::asio::local::stream_protocol::socket;

  // `group` empty: owner-only. Errors (unknown group, path in use, no permission)
  // come back as readable messages.
  static Result<std::unique_ptr<UnixListener>, std::string> create(boost::asio::io_context& io,
                                                                    const std::string& path,
                                                                    const std::string& group);
  ~UnixListener();

  // Accepts connections until destroyed; `on_accept` runs on the io_context.
  void start(std::function<void(Socket)> on_accept);
  const std::string& path() const { return path_; }

 private:
  UnixListener(boost::asio::io_context& io, std::string path) : acceptor_(io), path_(std::move(path)) {}
  void accept();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::string path_;
  std::function<void(Socket)> on_accept_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The uid of the process at the other end of a connected Unix socket, or -1.
long peer_uid(UnixListener::Socket& socket);

}  // namespace yt
