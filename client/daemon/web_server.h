// The daemon's local web UI over HTTP: Boost.Beast on the daemon's own Asio loop
// (so every request sees the service's state without locks), serving what
// web_api.h routes after web_access.h admits it. Opt-in (yellowtaild --ui, [ui]
// listen) and on a loopback address only (daemon_config.h).
//
// Bounded like platform/metrics_http.h, because any local program can connect:
// a request is at most 8 KiB of header and kMaxControlRequestLength of body, read
// within kReadTimeout; one request per connection (answered, then closed); at most
// kMaxConnections connections, of which at most kMaxEventStreams are event
// streams. An event stream whose reader falls kMaxQueuedEventBytes behind, or does
// not take a write within kWriteTimeout, is closed; the page reconnects on its own.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "client/daemon/chat_history.h"
#include "client/daemon/web_api.h"
#include "protocol/endpoint.h"
#include "protocol/result.h"

namespace yt {

struct WebUiShared;  // what the server's connections share (web_server.cpp)

class WebUiServer {
 public:
  // A browser opens about six connections per site; 32 leaves room for a few tabs.
  static constexpr std::size_t kMaxConnections = 32;
  // One per open tab; more is a leak or an attack.
  static constexpr std::size_t kMaxEventStreams = 8;
  static constexpr std::size_t kMaxHeaderBytes = 8192;
  // A browser sends its request at once; 10 s covers a loaded machine.
  static constexpr std::chrono::seconds kReadTimeout{10};
  static constexpr std::chrono::seconds kWriteTimeout{10};
  // How often the state is compared with what the streams last got: RTTs and
  // counters move all the time, and once a second is what a person can follow.
  static constexpr std::chrono::milliseconds kStateInterval{1000};
  // A comment line on idle streams, so a closed tab is noticed and proxies do not
  // time the stream out.
  static constexpr std::chrono::seconds kKeepaliveInterval{15};
  // Far above a state snapshot (a few KiB per peer), far below harm.
  static constexpr std::size_t kMaxQueuedEventBytes = 1 << 20;

  // Listens on `at` (port 0: any free one); `handler` answers the control requests
  // the UI makes (DaemonService::handle) and must outlive the server.
  static Result<std::unique_ptr<WebUiServer>, std::string> start(boost::asio::io_context& io, Endpoint at,
                                                                 std::string token, WebHandler handler);
  ~WebUiServer();
  WebUiServer(const WebUiServer&) = delete;
  WebUiServer& operator=(const WebUiServer&) = delete;

  Endpoint endpoint() const;
  // What `yellowtail ui` prints: http://IP:PORT/?token=TOKEN.
  std::string url() const;
  // A chat message was sent or received: every open page gets it at once.
  void publish_chat(const ChatEntry& entry);
  // Something the page shows may have changed (a tunnel, a member): the streams
  // are brought up to date soon, not at the next kStateInterval.
  void state_changed();
  std::size_t event_streams() const;

 private:
  WebUiServer(boost::asio::io_context& io, std::string token, WebHandler handler);
  void accept();
  void tick();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<WebUiShared> shared_;
};

}  // namespace yt
