// One CLI connection on the control socket: reads request lines, hands each to the
// handler, writes the response line. Requests on one connection are answered in
// order, one at a time (the next line is read after the response is written), so
// a slow request (a join waiting for the server) never reorders answers.
//
// Bounded, because any local user allowed on the socket could otherwise hold the
// daemon's memory: a request line longer than kMaxControlRequestLength gets an error
// and the connection is closed; a connection that does not finish a request line, or
// does not take its response, within ControlLimits::request_timeout is closed (a
// CLI that stops reading must not hold a slot for ever); and at most max_sessions
// connections are served at once (ControlSessionCount), the next ones get a
// "too many control connections" error. Lives as long as the connection
// (shared_ptr held by its pending handlers and by the reply callback).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "client/daemon/control_protocol.h"
#include "platform/unix_listener.h"

namespace yt {

struct ControlLimits {
  // A CLI writes its whole request at once; 10 s covers a stopped terminal, not a
  // connection parked with half a line.
  std::chrono::milliseconds request_timeout{10000};
  // The CLI opens one connection per command; 64 is far above any real use.
  std::size_t max_sessions = 64;
};

// How many sessions are open; shared by the sessions of one daemon.
class ControlSessionCount {
 public:
  std::size_t open() const { return *open_; }

 private:
  friend class ControlSession;
  std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
};

class ControlSession : public std::enable_shared_from_this<ControlSession> {
 public:
  // Called once per request; `reply` must be called exactly once, now or later.
  using Reply = std::function<void(const ControlResponse&)>;
  using Handler = std::function<void(const ControlRequest&, Reply)>;

  ControlSession(UnixListener::Socket socket, Handler handler, ControlSessionCount& count, ControlLimits limits = {});
  ~ControlSession();
  void start();

 private:
  void read_line();
  void respond(const ControlResponse& response, bool then_close);
  void close();
  // Closes the connection unless the pending read or write ends first.
  void arm_deadline();

  UnixListener::Socket socket_;
  Handler handler_;
  ControlLimits limits_;
  std::shared_ptr<std::size_t> open_;
  bool over_limit_ = false;
  boost::asio::steady_timer deadline_;
  boost::asio::streambuf input_;
  std::string output_;
};

}  // namespace yt
