#include "client/daemon/web_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <deque>

#include "client/daemon/web_access.h"
#include "platform/asio_conversions.h"

namespace yt {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

class WebEventStream;

struct WebUiShared {
  WebUiShared(boost::asio::io_context& io, WebAccessPolicy policy, WebHandler handler)
      : io(io), policy(std::move(policy)), handler(std::move(handler)) {}

  boost::asio::io_context& io;
  WebAccessPolicy policy;
  WebHandler handler;
  bool alive = true;
  std::size_t open = 0;  // connections, event streams included
  std::vector<std::weak_ptr<WebEventStream>> streams;
  std::string last_state;  // the "state" data every stream has been sent last
  bool refresh_posted = false;
  std::chrono::steady_clock::time_point last_keepalive = std::chrono::steady_clock::now();
};

namespace {

void broadcast(WebUiShared& shared, const std::string& event);

// Brings every stream up to date with the daemon's state, sending it only when it
// changed since the last time.
void refresh(const std::shared_ptr<WebUiShared>& shared) {
  if (!shared->alive || shared->streams.empty()) return;
  fetch_web_state(shared->handler, [shared](const ControlResponse& response) {
    if (!response.ok || !shared->alive) return;
    std::string data = response.result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (data == shared->last_state) return;
    shared->last_state = data;
    broadcast(*shared, "event: state\ndata: " + data + "\n\n");
  });
}

// Coalesces a burst of changes (a sync brings many events) into one refresh.
void refresh_soon(const std::shared_ptr<WebUiShared>& shared) {
  if (shared->refresh_posted) return;
  shared->refresh_posted = true;
  boost::asio::post(shared->io, [shared] {
    shared->refresh_posted = false;
    refresh(shared);
  });
}

std::string header_lines() {
  std::string lines;
  for (const auto& [name, value] : web_common_headers()) lines += name + ": " + value + "\r\n";
  return lines;
}

}  // namespace

// One open page's server-sent event stream: after its header, only writes of
// whole events, in order, one at a time. Lives while the connection is open (its
// pending read, which ends when the browser closes the tab, holds it).
class WebEventStream : public std::enable_shared_from_this<WebEventStream> {
 public:
  WebEventStream(tcp::socket socket, std::shared_ptr<WebUiShared> shared)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)) {
    ++shared_->open;
  }
  ~WebEventStream() { --shared_->open; }

  void start(std::string first) {
    // Anything the browser sends on this connection (it sends nothing after its
    // request) or its closing ends the stream, so a closed tab frees the slot at once.
    socket_.async_read_some(boost::asio::buffer(byte_), [self = shared_from_this()](boost::system::error_code,
                                                                                   std::size_t) { self->close(); });
    send(std::move(first));
  }

  void send(std::string text) {
    if (closed_) return;
    queued_bytes_ += text.size();
    if (queued_bytes_ > WebUiServer::kMaxQueuedEventBytes) {
      close();  // a reader this far behind is gone or hostile; the page reconnects
      return;
    }
    queue_.push_back(std::move(text));
    if (!writing_) write_next();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
  }
  bool closed() const { return closed_; }

 private:
  void write_next() {
    writing_ = true;
    const std::uint64_t generation = ++writes_;
    timer_.expires_after(WebUiServer::kWriteTimeout);
    timer_.async_wait([self = shared_from_this(), generation](const boost::system::error_code& error) {
      if (!error && self->writing_ && self->writes_ == generation) self->close();
    });
    boost::asio::async_write(socket_, boost::asio::buffer(queue_.front()),
                             [self = shared_from_this()](const boost::system::error_code& error, std::size_t) {
                               self->writing_ = false;
                               self->queued_bytes_ -= self->queue_.front().size();
                               self->queue_.pop_front();
                               if (error || self->closed_) {
                                 self->close();
                                 return;
                               }
                               if (self->queue_.empty()) {
                                 self->timer_.cancel();
                               } else {
                                 self->write_next();
                               }
                             });
  }

  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<WebUiShared> shared_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  std::uint64_t writes_ = 0;
  char byte_[1];
};

namespace {

void broadcast(WebUiShared& shared, const std::string& event) {
  auto& streams = shared.streams;
  streams.erase(std::remove_if(streams.begin(), streams.end(),
                               [](const std::weak_ptr<WebEventStream>& s) {
                                 auto stream = s.lock();
                                 return !stream || stream->closed();
                               }),
                streams.end());
  for (const auto& s : streams) {
    if (auto stream = s.lock()) stream->send(event);
  }
}

// A header given more than once is read as its values joined by ", " (RFC 9110's
// rule), which matches no host, origin or token: a second Origin or Host cannot
// hide behind a first one that passes.
template <typename Key>
std::optional<std::string> header_of(const http::request<http::string_body>& in, Key key) {
  std::optional<std::string> value;
  for (auto [it, end] = in.equal_range(key); it != end; ++it) {
    value = value ? *value + ", " + std::string(it->value()) : std::string(it->value());
  }
  return value;
}

WebRequest to_web_request(const http::request<http::string_body>& in) {
  auto header = [&](http::field field) { return header_of(in, field); };
  auto named = [&](const char* name) { return header_of(in, boost::beast::string_view(name)); };
  WebRequest out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.host = header(http::field::host).value_or("");
  out.origin = header(http::field::origin);
  out.fetch_site = named("Sec-Fetch-Site");
  out.token = named(kWebTokenHeader);
  out.content_type = header(http::field::content_type).value_or("");
  out.body = in.body();
  return out;
}

// One request: read it, check it, route it, answer it (now, or when the daemon's
// handler replies), close. Or hand the connection over to an event stream.
class WebExchange : public std::enable_shared_from_this<WebExchange> {
 public:
  WebExchange(tcp::socket socket, std::shared_ptr<WebUiShared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->open;
  }
  ~WebExchange() { --shared_->open; }

  void run() {
    parser_.header_limit(WebUiServer::kMaxHeaderBytes);
    parser_.body_limit(kMaxControlRequestLength);
    stream_.expires_after(WebUiServer::kReadTimeout);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](boost::system::error_code error, std::size_t) { self->on_read(error); });
  }

 private:
  void on_read(boost::system::error_code error) {
    if (error == http::error::body_limit) {
      respond(web_error(413, "the request body is over " + std::to_string(kMaxControlRequestLength) + " bytes"));
    } else if (error == http::error::header_limit) {
      respond(web_error(431, "the request header is over " + std::to_string(WebUiServer::kMaxHeaderBytes) + " bytes"));
    } else if (error && error != http::error::end_of_stream &&
               error.category() == http::make_error_code(http::error::bad_target).category()) {
      respond(web_error(400, "malformed HTTP request: " + error.message()));
    } else if (!error && shared_->alive) {
      serve(to_web_request(parser_.get()));
    }
    // Otherwise the client closed or was too slow: nobody to answer.
  }

  void serve(const WebRequest& request) {
    if (auto refused = refuse_web_access(request, shared_->policy)) {
      respond(*refused);
      return;
    }
    WebRoute route = route_web_request(request, shared_->policy.token);
    auto self = shared_from_this();
    switch (route.kind) {
      case WebRouteKind::kResponse: respond(route.response); break;
      case WebRouteKind::kCommand:
        shared_->handler(route.command, [self](const ControlResponse& response) {
          self->respond(web_command_response(response));
          refresh_soon(self->shared_);  // the page sees what its command changed at once
        });
        break;
      case WebRouteKind::kState:
        fetch_web_state(shared_->handler,
                        [self](const ControlResponse& response) { self->respond(web_command_response(response)); });
        break;
      case WebRouteKind::kEvents: open_events(); break;
    }
  }

  void open_events() {
    std::size_t live = 0;
    for (const auto& s : shared_->streams) {
      auto stream = s.lock();
      live += stream && !stream->closed();
    }
    if (live >= WebUiServer::kMaxEventStreams) {
      respond(web_error(503, "too many open pages (" + std::to_string(live) + " event streams); close some"));
      return;
    }
    // No length and Connection: close, so the body is everything until the close
    // (HTTP/1.1); the stream owns the socket from here on.
    std::string header = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nConnection: close\r\n" +
                         header_lines() + "\r\n";
    auto stream = std::make_shared<WebEventStream>(stream_.release_socket(), shared_);
    shared_->streams.push_back(stream);
    fetch_web_state(shared_->handler, [stream, header](const ControlResponse& response) {
      // "retry": how long the browser waits before reconnecting a closed stream.
      std::string first = header + "retry: 2000\n\n" +
                          (response.ok ? web_event("state", response.result)
                                       : web_event("failure", {{"error", response.error}}));
      stream->start(std::move(first));
    });
  }

  void respond(const WebResponse& answer) {
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(11);
    response->result(static_cast<unsigned>(answer.status));
    response->keep_alive(false);
    for (const auto& [name, value] : web_common_headers()) response->set(name, value);
    for (const auto& [name, value] : answer.headers) response->set(name, value);
    response->set(http::field::content_type, answer.content_type);
    response->body() = answer.body;
    response->prepare_payload();
    stream_.expires_after(WebUiServer::kWriteTimeout);
    http::async_write(stream_, *response, [self = shared_from_this(), response](boost::system::error_code, std::size_t) {
      boost::system::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  std::shared_ptr<WebUiShared> shared_;
};

}  // namespace

WebUiServer::WebUiServer(boost::asio::io_context& io, std::string token, WebHandler handler)
    : acceptor_(io), timer_(io), shared_(std::make_shared<WebUiShared>(io, WebAccessPolicy{std::move(token), {}},
                                                                       std::move(handler))) {}

WebUiServer::~WebUiServer() {
  shared_->alive = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  timer_.cancel();
  for (const auto& s : shared_->streams) {
    if (auto stream = s.lock()) stream->close();
  }
}

Result<std::unique_ptr<WebUiServer>, std::string> WebUiServer::start(boost::asio::io_context& io, Endpoint at,
                                                                     std::string token, WebHandler handler) {
  std::unique_ptr<WebUiServer> server(new WebUiServer(io, std::move(token), std::move(handler)));
  boost::system::error_code error;
  server->acceptor_.open(tcp::v4(), error);
  if (!error) server->acceptor_.set_option(boost::asio::socket_base::reuse_address(true), error);
  if (!error) server->acceptor_.bind(to_tcp(at), error);
  if (!error) server->acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) return Err{"cannot serve the web UI on " + at.to_string() + ": " + error.message()};
  Endpoint bound = server->endpoint();
  server->shared_->policy.hosts = web_hosts_for(bound.ip.to_string(), bound.port);
  server->accept();
  server->tick();
  return server;
}

Endpoint WebUiServer::endpoint() const {
  boost::system::error_code error;
  auto local = acceptor_.local_endpoint(error);
  return error ? Endpoint{} : from_asio(local);
}

std::string WebUiServer::url() const {
  return "http://" + endpoint().to_string() + "/?token=" + shared_->policy.token;
}

void WebUiServer::publish_chat(const ChatEntry& entry) { broadcast(*shared_, web_event("chat", entry.to_json())); }

void WebUiServer::state_changed() { refresh_soon(shared_); }

std::size_t WebUiServer::event_streams() const {
  std::size_t live = 0;
  for (const auto& s : shared_->streams) {
    auto stream = s.lock();
    live += stream && !stream->closed();
  }
  return live;
}

void WebUiServer::accept() {
  acceptor_.async_accept([this, shared = shared_](const boost::system::error_code& error, tcp::socket socket) {
    if (!shared->alive || error == boost::asio::error::operation_aborted) return;
    // Over the cap a connection is simply closed; an error on one accept says
    // nothing about the next.
    if (!error && shared->open < kMaxConnections) std::make_shared<WebExchange>(std::move(socket), shared)->run();
    accept();
  });
}

void WebUiServer::tick() {
  timer_.expires_after(kStateInterval);
  timer_.async_wait([this, shared = shared_](const boost::system::error_code& error) {
    if (error || !shared->alive) return;
    refresh(shared);
    auto now = std::chrono::steady_clock::now();
    if (now - shared->last_keepalive >= kKeepaliveInterval) {
      shared->last_keepalive = now;
      broadcast(*shared, ": keepalive\n\n");
    }
    tick();
  });
}

}  // namespace yt
