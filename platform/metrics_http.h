// A Prometheus scrape endpoint on the daemon's or server's Asio loop: GET /metrics
// answers with what `render` returns (text format 0.0.4), anything else with 404
// (405 for another method). Opt-in and meant for a local or operator network
// address. Every connection is bounded: one request of at most 8 KiB, 5 s to
// send it, then the answer and close, so a slow or idle client holds nothing.
// Boost.Beast parses HTTP; the connection count is capped (kMaxConnections).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <functional>
#include <memory>
#include <string>

#include "protocol/endpoint.h"
#include "protocol/result.h"

namespace yt {

class MetricsHttp {
 public:
  static constexpr std::size_t kMaxConnections = 16;

  // Listens on `at` (port 0: any free one). Errors (address in use, not local)
  // as a readable message.
  static Result<std::unique_ptr<MetricsHttp>, std::string> start(boost::asio::io_context& io, Endpoint at,
                                                                 std::function<std::string()> render);
  ~MetricsHttp();
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  Endpoint endpoint() const;
  std::uint64_t scrapes() const { return scrapes_; }

 private:
  MetricsHttp(boost::asio::io_context& io, std::function<std::string()> render);
  void accept();

  boost::asio::ip::tcp::acceptor acceptor_;
  std::function<std::string()> render_;
  std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint64_t scrapes_ = 0;
};

}  // namespace yt
