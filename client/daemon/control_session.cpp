#include "client/daemon/control_session.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <istream>

namespace yt {

ControlSession::ControlSession(UnixListener::Socket socket, Handler handler, ControlSessionCount& count,
                               ControlLimits limits)
    : socket_(std::move(socket)),
      handler_(std::move(handler)),
      limits_(limits),
      open_(count.open_),
      deadline_(socket_.get_executor()),
      input_(kMaxControlRequestLength + 1) {
  over_limit_ = *open_ >= limits_.max_sessions;
  ++*open_;
}

ControlSession::~ControlSession() { --*open_; }

void ControlSession::start() {
  if (over_limit_) {
    respond(control_error("too many control connections (" + std::to_string(limits_.max_sessions) +
                          " open); try again"),
            true);
    return;
  }
  read_line();
}

void ControlSession::close() {
  boost::system::error_code ignored;
  deadline_.cancel();
  socket_.close(ignored);
}

void ControlSession::arm_deadline() {
  deadline_.expires_after(limits_.request_timeout);
  deadline_.async_wait([weak = weak_from_this()](const boost::system::error_code& error) {
    auto self = weak.lock();
    if (error || !self) return;
    self->close();  // the pending read or write completes with an error and drops the session
  });
}

void ControlSession::read_line() {
  arm_deadline();
  boost::asio::async_read_until(
      socket_, input_, '\n', [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
        self->deadline_.cancel();
        if (error == boost::asio::error::not_found) {
          // The streambuf's bound was hit before a newline.
          self->respond(control_error("request line longer than " + std::to_string(kMaxControlRequestLength) +
                                      " bytes"),
                        true);
          return;
        }
        if (error) return self->close();  // closed by the CLI, or timed out
        std::string line(n, '\0');
        self->input_.sgetn(line.data(), static_cast<std::streamsize>(n));
        auto request = parse_control_request(line);
        if (!request) {
          self->respond(control_error(request.error()), false);
          return;
        }
        self->handler_(*request, [self](const ControlResponse& response) { self->respond(response, false); });
      });
}

void ControlSession::respond(const ControlResponse& response, bool then_close) {
  output_ = encode_control_response(response);
  arm_deadline();
  boost::asio::async_write(socket_, boost::asio::buffer(output_),
                           [self = shared_from_this(), then_close](const boost::system::error_code& error, std::size_t) {
                             self->deadline_.cancel();
                             if (error || then_close) return self->close();
                             self->read_line();
                           });
}

}  // namespace yt
