// The CLI's side of the control socket: connect, send one request line, read one
// response line, all within a deadline. Errors say what the user can do (start
// the daemon, use sudo or join the control group).
#pragma once

#include <chrono>
#include <string>

#include "client/daemon/control_protocol.h"
#include "protocol/result.h"

namespace yt {

struct ControlClientError {
  bool unreachable = false;  // no daemon (vs. a broken or timed-out exchange)
  std::string message;
};

Result<ControlResponse, ControlClientError> call_daemon(const std::string& socket_path,
                                                        const ControlRequest& request,
                                                        std::chrono::milliseconds timeout);

}  // namespace yt
