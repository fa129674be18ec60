#include "client/daemon/control_session.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <istream>

namespace yt {

ControlSession::ControlSession(UnixListener::Socket socket, Handler handler)
    : socket_(std::move(socket)), handler_(std::move(handler)), input_(kMaxControlLineLength + 1) {}

void ControlSession::start() { read_line(); }

void ControlSession::read_line() {
  boost::asio::async_read_until(
      socket_, input_, '\n', [self = shared_from_this()](const boost::system::error_code& error, std::size_t n) {
        if (error == boost::asio::error::not_found) {
          // The streambuf's bound was hit before a newline.
          self->respond(control_error("request line longer than " + std::to_string(kMaxControlLineLength) +
                                      " bytes"),
                        true);
          return;
        }
        if (error) return;  // closed by the CLI
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
  boost::asio::async_write(socket_, boost::asio::buffer(output_),
                           [self = shared_from_this(), then_close](const boost::system::error_code& error, std::size_t) {
                             if (error || then_close) {
                               boost::system::error_code ignored;
                               self->socket_.close(ignored);
                               return;
                             }
                             self->read_line();
                           });
}

}  // namespace yt
