#include "client/daemon/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace yt {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Waits for `events` on `fd` until `deadline`; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

std::string connect_error(const std::string& path, int error) {
  std::string base = "cannot reach yellowtaild at " + path + ": " + std::strerror(error);
  if (error == ENOENT || error == ECONNREFUSED) return base + " (is yellowtaild running?)";
  if (error == EACCES || error == EPERM) {
    return base + " (run as root, or as a member of the daemon's control group)";
  }
  return base;
}

}  // namespace

Result<ControlResponse, ControlClientError> call_daemon(const std::string& socket_path,
                                                        const ControlRequest& request,
                                                        std::chrono::milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    return Err{ControlClientError{true, "control socket path is too long: " + socket_path}};
  }
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Err{ControlClientError{true, std::string("cannot create a socket: ") + std::strerror(errno)}};
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return Err{ControlClientError{true, connect_error(socket_path, errno)}};
  }
  std::string line = encode_control_request(request);
  std::string_view rest = line;
  while (!rest.empty()) {
    if (!wait_for(fd, POLLOUT, deadline)) {
      return Err{ControlClientError{false, "timed out sending the request to yellowtaild"}};
    }
    ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Err{ControlClientError{false, std::string("cannot send to yellowtaild: ") + std::strerror(errno)}};
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  std::string response;
  char buffer[16384];
  for (;;) {
    std::size_t newline = response.find('\n');
    if (newline != std::string::npos) {
      auto parsed = parse_control_response(std::string_view(response).substr(0, newline));
      if (!parsed) return Err{ControlClientError{false, "yellowtaild sent a bad response: " + parsed.error()}};
      return *parsed;
    }
    if (response.size() > kMaxControlLineLength) {
      return Err{ControlClientError{false, "yellowtaild's response is too long"}};
    }
    if (!wait_for(fd, POLLIN, deadline)) {
      return Err{ControlClientError{false, "no answer from yellowtaild in " +
                                               std::to_string(timeout.count() / 1000) + " s"}};
    }
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) return Err{ControlClientError{false, std::string("cannot read from yellowtaild: ") + std::strerror(errno)}};
    if (n == 0) return Err{ControlClientError{false, "yellowtaild closed the connection without answering"}};
    response.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace yt
