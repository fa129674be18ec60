#include "platform/unix_listener.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace yt {
namespace {

Result<gid_t, std::string> find_group(const std::string& name) {
  group entry {};
  group* found = nullptr;
  std::vector<char> buffer(16384);
  int error = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (error != 0) return Err{"cannot look up group '" + name + "': " + std::strerror(error)};
  if (!found) return Err{"control group '" + name + "' does not exist (create it with: groupadd " + name + ")"};
  return found->gr_gid;
}

// True when something accepts connections on the socket at `path`.
bool socket_answers(boost::asio::io_context& io, const std::string& path) {
  boost::asio::local::stream_protocol::socket probe(io);
  boost::system::error_code error;
  probe.connect(boost::asio::local::stream_protocol::endpoint(path), error);
  return !error;
}

}  // namespace

Result<std::unique_ptr<UnixListener>, std::string> UnixListener::create(boost::asio::io_context& io,
                                                                          const std::string& path,
                                                                          const std::string& group) {
  if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Err{"control socket path '" + path + "' is empty or longer than " +
               std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes"};
  }
  std::optional<gid_t> gid;
  if (!group.empty()) {
    auto found = find_group(group);
    if (!found) return Err{found.error()};
    gid = *found;
  }
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return Err{"cannot create directory " + parent.string() + " for the control socket: " + ec.message()};
    ::chmod(parent.c_str(), 0755);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return Err{"control socket path " + path + " exists and is not a socket"};
    if (socket_answers(io, path)) {
      return Err{"control socket " + path + " is in use: is another yellowtaild running?"};
    }
    ::unlink(path.c_str());  // left behind by a daemon that did not exit cleanly
  }

  std::unique_ptr<UnixListener> listener(new UnixListener(io, path));
  boost::system::error_code error;
  listener->acceptor_.open(boost::asio::local::stream_protocol(), error);
  // The mode must be right before the first client can connect, so the socket is
  // created under a umask that leaves it closed, then opened up to the group.
  mode_t old_mask = ::umask(0177);
  if (!error) listener->acceptor_.bind(boost::asio::local::stream_protocol::endpoint(path), error);
  ::umask(old_mask);
  if (error) return Err{"cannot create control socket " + path + ": " + error.message()};
  if (gid) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), *gid) != 0 || ::chmod(path.c_str(), 0660) != 0) {
      std::string reason = std::strerror(errno);
      ::unlink(path.c_str());
      return Err{"cannot give group '" + group + "' access to control socket " + path + ": " + reason};
    }
  }
  listener->acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) {
    ::unlink(path.c_str());
    return Err{"cannot listen on control socket " + path + ": " + error.message()};
  }
  return listener;
}

UnixListener::~UnixListener() {
  *alive_ = false;
  boost::system::error_code ignored;
  bool was_open = acceptor_.is_open();
  acceptor_.close(ignored);
  if (was_open) ::unlink(path_.c_str());
}

void UnixListener::start(std::function<void(Socket)> on_accept) {
  on_accept_ = std::move(on_accept);
  accept();
}

void UnixListener::accept() {
  acceptor_.async_accept([this, alive = alive_](const boost::system::error_code& error, Socket socket) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    if (!error) on_accept_(std::move(socket));
    accept();
  });
}

long peer_uid(UnixListener::Socket& socket) {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return -1;
  return static_cast<long>(credentials.uid);
}

}  // namespace yt
