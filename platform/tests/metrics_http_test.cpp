// The metrics endpoint on real loopback sockets: GET /metrics gets the rendered
// text with the Prometheus content type, other paths and methods get 404/405, and
// garbage or an oversized request is closed without an answer or a crash. The
// io_context runs on a thread of its own, as the server's loop would, while the
// test scrapes with plain blocking sockets.
#include "platform/metrics_http.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <string>
#include <thread>

#include "platform/tests/http_exchange.h"

namespace yt {
namespace {

std::string exchange(Endpoint to, const std::string& request) { return test::http_exchange(to, request); }

struct MetricsHttpTest : ::testing::Test {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work = boost::asio::make_work_guard(io);
  std::atomic<int> value{41};
  std::unique_ptr<MetricsHttp> metrics;
  std::thread loop;

  void SetUp() override {
    auto started = MetricsHttp::start(io, Endpoint{Ipv4::from_octets(127, 0, 0, 1), 0},
                                      [this] { return "yellowtail_test_value " + std::to_string(value.load()) + "\n"; });
    ASSERT_TRUE(started.ok()) << started.error();
    metrics = std::move(*started);
    loop = std::thread([this] { io.run(); });
  }
  void TearDown() override {
    boost::asio::post(io, [this] { metrics.reset(); });
    work.reset();
    loop.join();
  }
};

TEST_F(MetricsHttpTest, ServesTheRenderedTextAtMetrics) {
  const std::string first = exchange(metrics->endpoint(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(first.rfind("HTTP/1.1 200", 0), 0u) << first;
  EXPECT_NE(first.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << first;
  EXPECT_NE(first.find("\r\n\r\nyellowtail_test_value 41\n"), std::string::npos) << first;
  value = 42;  // rendered at each scrape
  const std::string second = exchange(metrics->endpoint(), "GET /metrics HTTP/1.0\r\n\r\n");
  EXPECT_NE(second.find("yellowtail_test_value 42\n"), std::string::npos) << second;
}

TEST_F(MetricsHttpTest, OtherPathsAndMethodsAreRefused) {
  EXPECT_EQ(exchange(metrics->endpoint(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").rfind("HTTP/1.1 404", 0), 0u);
  const std::string post = exchange(metrics->endpoint(), "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
}

TEST_F(MetricsHttpTest, GarbageAndOversizedRequestsAreClosedWithoutAnAnswer) {
  EXPECT_EQ(exchange(metrics->endpoint(), "\x01\x02 not http at all\r\n\r\n"), "");
  EXPECT_EQ(exchange(metrics->endpoint(), "GET /metrics HTTP/1.1\r\nX-Long: " + std::string(10000, 'a') + "\r\n\r\n"),
            "");
  // and it still serves afterwards
  EXPECT_NE(exchange(metrics->endpoint(), "GET /metrics HTTP/1.1\r\n\r\n").find("yellowtail_test_value"),
            std::string::npos);
}

TEST(MetricsHttp, APortInUseIsAClearError) {
  boost::asio::io_context io;
  auto first = MetricsHttp::start(io, Endpoint{Ipv4::from_octets(127, 0, 0, 1), 0}, [] { return std::string(); });
  ASSERT_TRUE(first.ok());
  auto second = MetricsHttp::start(io, (*first)->endpoint(), [] { return std::string(); });
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("cannot serve metrics on 127.0.0.1:"), std::string::npos) << second.error();
}

}  // namespace
}  // namespace yt
