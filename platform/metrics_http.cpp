#include "platform/metrics_http.h"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>

#include "platform/asio_conversions.h"

namespace yt {
namespace {

namespace http = boost::beast::http;

// One scrape: read a request, answer, close.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(boost::asio::ip::tcp::socket socket, std::function<std::string()> render, std::shared_ptr<std::size_t> open,
           std::shared_ptr<bool> alive, std::uint64_t* scrapes)
      : stream_(std::move(socket)), render_(std::move(render)), open_(std::move(open)), alive_(std::move(alive)),
        scrapes_(scrapes) {
    ++*open_;
  }
  ~Exchange() { --*open_; }

  void run() {
    parser_.body_limit(0);
    parser_.header_limit(8192);
    stream_.expires_after(std::chrono::seconds(5));
    http::async_read(stream_, buffer_, parser_, [self = shared_from_this()](boost::beast::error_code error, std::size_t) {
      if (error) return;  // closed, too large or too slow: nothing to answer
      self->answer();
    });
  }

 private:
  void answer() {
    const auto& request = parser_.get();
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request.version());
    response->keep_alive(false);
    if (request.method() != http::verb::get) {
      response->result(http::status::method_not_allowed);
      response->set(http::field::allow, "GET");
      response->body() = "only GET\n";
    } else if (request.target() != "/metrics") {
      response->result(http::status::not_found);
      response->body() = "see /metrics\n";
    } else if (!*alive_) {
      return;
    } else {
      response->result(http::status::ok);
      response->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      response->body() = render_();
      ++*scrapes_;
    }
    response->prepare_payload();
    http::async_write(stream_, *response, [self = shared_from_this(), response](boost::beast::error_code, std::size_t) {
      boost::beast::error_code ignored;
      self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    });
  }

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  std::function<std::string()> render_;
  std::shared_ptr<std::size_t> open_;
  std::shared_ptr<bool> alive_;
  std::uint64_t* scrapes_;
};

}  // namespace

MetricsHttp::MetricsHttp(boost::asio::io_context& io, std::function<std::string()> render)
    : acceptor_(io), render_(std::move(render)) {}

MetricsHttp::~MetricsHttp() {
  *alive_ = false;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

Result<std::unique_ptr<MetricsHttp>, std::string> MetricsHttp::start(boost::asio::io_context& io, Endpoint at,
                                                                     std::function<std::string()> render) {
  std::unique_ptr<MetricsHttp> server(new MetricsHttp(io, std::move(render)));
  boost::system::error_code error;
  server->acceptor_.open(boost::asio::ip::tcp::v4(), error);
  if (!error) server->acceptor_.set_option(boost::asio::socket_base::reuse_address(true), error);
  if (!error) server->acceptor_.bind(to_tcp(at), error);
  if (!error) server->acceptor_.listen(boost::asio::socket_base::max_listen_connections, error);
  if (error) return Err{"cannot serve metrics on " + at.to_string() + ": " + error.message()};
  server->accept();
  return server;
}

Endpoint MetricsHttp::endpoint() const {
  boost::system::error_code error;
  auto local = acceptor_.local_endpoint(error);
  return error ? Endpoint{} : from_asio(local);
}

void MetricsHttp::accept() {
  acceptor_.async_accept([this, alive = alive_](const boost::system::error_code& error,
                                                boost::asio::ip::tcp::socket socket) {
    if (!*alive || error == boost::asio::error::operation_aborted) return;
    // Over the cap, a scraper is simply closed; errors on one accept say nothing
    // about the next.
    if (!error && *open_ < kMaxConnections) {
      std::make_shared<Exchange>(std::move(socket), render_, open_, alive_, &scrapes_)->run();
    }
    accept();
  });
}

}  // namespace yt
