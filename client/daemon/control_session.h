// One CLI connection on the control socket: reads request lines, hands each to the
// handler, writes the response line. Requests on one connection are answered in
// order, one at a time (the next line is read after the response is written), so
// a slow request (a join waiting for the server) never reorders answers.
//
// Bounded: a line longer than kMaxControlLineLength gets an error and the
// connection is closed. Lives as long as the connection (shared_ptr held by its
// pending handlers and by the reply callback).
#pragma once

#include <boost/asio/streambuf.hpp>

#include <functional>
#include <memory>
#include <string>

#include "client/daemon/control_protocol.h"
#include "platform/unix_listener.h"

namespace yt {

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  // Called once per request; `reply` must be called exactly once, now or later.
  using Reply = std::function<void(const ControlResponse&)>;
  using Handler = std::function<void(const ControlRequest&, Reply)>;

  ControlSession(UnixListener::Socket socket, Handler handler);
  void start();

 private:
  void read_line();
  void respond(const ControlResponse& response, bool then_close);

  UnixListener::Socket socket_;
  Handler handler_;
  boost::asio::streambuf input_;
  std::string output_;
};

}  // namespace yt
