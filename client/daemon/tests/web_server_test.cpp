// The web UI server over real loopback TCP, with a fake daemon handler: requests
// as a browser or an attacker would send them, byte for byte.
#include "client/daemon/web_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <future>
#include <mutex>
#include <thread>

namespace yt {
namespace {

using boost::asio::ip::tcp;
using namespace std::chrono_literals;

const std::string kToken(64, 'c');

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto handler = [this](const ControlRequest& request, WebReply reply) {
      std::lock_guard<std::mutex> lock(mutex_);
      requests_.push_back(request);
      if (request.command == "join") {
        held_ = std::move(reply);  // answered later, as the server would
      } else if (request.command == "leave") {
        reply(control_error("you are not in network '" + request.args.value("network", std::string()) + "'"));
      } else {
        reply(control_ok({{"command", request.command}}));
      }
    };
    auto started = WebUiServer::start(io_, Endpoint{Ipv4::from_octets(127, 0, 0, 1), 0}, kToken, handler);
    ASSERT_TRUE(started.ok()) << started.error();
    server_ = std::move(*started);
    port_ = server_->endpoint().port;
    host_ = "127.0.0.1:" + std::to_string(port_);
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    on_io([this] { server_.reset(); });
    io_.stop();
    thread_.join();
  }

  // Runs `f` on the server's thread and waits for it.
  void on_io(std::function<void()> f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

  tcp::socket connect() {
    tcp::socket socket(client_io_);
    socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
    timeval limit{5, 0};  // a test that would hang fails instead
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    return socket;
  }

  // Sends `raw` and reads everything until the server closes.
  std::string exchange(const std::string& raw) {
    tcp::socket socket = connect();
    boost::asio::write(socket, boost::asio::buffer(raw));
    std::string received;
    boost::system::error_code error;
    char buffer[4096];
    while (!error) {
      std::size_t n = socket.read_some(boost::asio::buffer(buffer), error);
      received.append(buffer, n);
    }
    return received;
  }

  std::string get(const std::string& target, const std::string& extra = "") {
    return exchange("GET " + target + " HTTP/1.1\r\nHost: " + host_ + "\r\n" + extra + "\r\n");
  }
  std::string post(const std::string& body, const std::string& extra = "") {
    return exchange("POST /api/command HTTP/1.1\r\nHost: " + host_ + "\r\nOrigin: http://" + host_ +
                    "\r\nX-Yellowtail-Token: " + kToken + "\r\nContent-Type: application/json\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body);
  }

  // Reads from an open stream until `needle` arrived (or 5 s passed).
  static std::string read_until(tcp::socket& socket, const std::string& needle, std::string& seen) {
    char buffer[4096];
    while (seen.find(needle) == std::string::npos) {
      boost::system::error_code error;
      std::size_t n = socket.read_some(boost::asio::buffer(buffer), error);
      seen.append(buffer, n);
      if (error) break;
    }
    return seen;
  }

  std::vector<ControlRequest> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

  boost::asio::io_context io_;
  boost::asio::io_context client_io_;
  std::unique_ptr<WebUiServer> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::string host_;
  std::mutex mutex_;
  std::vector<ControlRequest> requests_;
  WebReply held_;
};

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

TEST_F(WebServerTest, ThePageAndTheStateWithTheToken) {
  EXPECT_EQ(server_->url(), "http://" + host_ + "/?token=" + kToken);
  std::string page = get("/?token=" + kToken);
  EXPECT_EQ(status_of(page), 200) << page;
  EXPECT_NE(page.find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_NE(page.find("X-Frame-Options: DENY"), std::string::npos);
  EXPECT_NE(page.find("Content-Security-Policy: default-src 'none'"), std::string::npos);
  EXPECT_NE(page.find("app.js?token=" + kToken), std::string::npos);

  std::string state = get("/api/state", "X-Yellowtail-Token: " + kToken + "\r\n");
  EXPECT_EQ(status_of(state), 200) << state;
  EXPECT_NE(state.find(R"({"ok":true,"result":{"list":{"command":"list"},"status":{"command":"status"}}})"),
            std::string::npos)
      << state;
}

TEST_F(WebServerTest, RefusalsOverTheWire) {
  EXPECT_EQ(status_of(get("/")), 401);
  EXPECT_EQ(status_of(get("/api/state?token=" + std::string(64, 'd'))), 401);
  std::string rebound = exchange("GET /?token=" + kToken + " HTTP/1.1\r\nHost: evil.example:" + std::to_string(port_) +
                                 "\r\n\r\n");
  EXPECT_EQ(status_of(rebound), 403) << rebound;
  EXPECT_NE(rebound.find("evil.example"), std::string::npos);
  // A second Origin (or Host) cannot hide behind a first one that passes.
  EXPECT_EQ(status_of(post(R"({"command":"logout"})", "Origin: http://evil.example\r\n")), 403);
  EXPECT_EQ(status_of(post(R"({"command":"logout"})", "Host: evil.example\r\n")), 403);
  EXPECT_TRUE(requests().empty()) << "a refused request reached the daemon";
}

TEST_F(WebServerTest, CommandsReachTheHandlerAndRefusalsAre422) {
  std::string answer = post(R"({"command":"go-offline","network":"lan"})");
  EXPECT_EQ(status_of(answer), 200) << answer;
  ASSERT_EQ(requests().size(), 1u);
  EXPECT_EQ(requests()[0].command, "go-offline");
  EXPECT_EQ(requests()[0].args.at("network"), "lan");

  answer = post(R"({"command":"leave","network":"nowhere"})");
  EXPECT_EQ(status_of(answer), 422) << answer;
  EXPECT_NE(answer.find(R"("error":"you are not in network 'nowhere'")"), std::string::npos) << answer;

  answer = post(R"({"command":"leave"})");
  EXPECT_EQ(status_of(answer), 400) << answer;
  answer = post("{not json");
  EXPECT_EQ(status_of(answer), 400) << answer;
  EXPECT_EQ(requests().size(), 2u);  // the malformed ones never reached the daemon
}

TEST_F(WebServerTest, AnAnswerThatComesLaterIsDelivered) {
  std::string answer;
  std::thread client([&] { answer = post(R"({"command":"join","network":"lan","password":"pw"})"); });
  for (int i = 0; i < 500 && requests().empty(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_EQ(requests().size(), 1u);
  on_io([this] { held_(control_error("join lan: wrong password")); });
  client.join();
  EXPECT_EQ(status_of(answer), 422) << answer;
  EXPECT_NE(answer.find("wrong password"), std::string::npos) << answer;
}

TEST_F(WebServerTest, BadHttpIsAnErrorNotACrash) {
  EXPECT_EQ(status_of(exchange("this is not http\r\n\r\n")), 400);
  std::string big(kMaxControlRequestLength + 1, ' ');
  EXPECT_EQ(status_of(post(big)), 413);
  std::string long_header = "X-Filler: " + std::string(WebUiServer::kMaxHeaderBytes, 'x') + "\r\n";
  EXPECT_EQ(status_of(get("/", long_header)), 431);
  // Still serving afterwards.
  EXPECT_EQ(status_of(get("/?token=" + kToken)), 200);
}

TEST_F(WebServerTest, TheEventStreamSendsTheStateThenEveryChat) {
  tcp::socket stream = connect();
  boost::asio::write(stream, boost::asio::buffer("GET /api/events?token=" + kToken + " HTTP/1.1\r\nHost: " + host_ +
                                                 "\r\n\r\n"));
  std::string seen;
  read_until(stream, "event: state\n", seen);
  read_until(stream, "\n\n", seen);
  EXPECT_EQ(status_of(seen), 200) << seen;
  EXPECT_NE(seen.find("Content-Type: text/event-stream"), std::string::npos) << seen;
  EXPECT_NE(seen.find(R"(data: {"list":{"command":"list"},"status":{"command":"status"}})"), std::string::npos) << seen;
  EXPECT_EQ(server_->event_streams(), 1u);

  on_io([this] { server_->publish_chat(ChatEntry{1000, false, "lan", "aaaa-bbbb", "bob", "hello\nthere"}); });
  read_until(stream, "hello", seen);
  EXPECT_NE(seen.find("event: chat\ndata: {"), std::string::npos) << seen;
  EXPECT_NE(seen.find(R"("text":"hello\nthere")"), std::string::npos) << seen;

  stream.close();  // the tab is closed: the stream's slot is freed
  std::size_t left = 1;
  for (int i = 0; i < 500 && left > 0; ++i) {
    std::this_thread::sleep_for(10ms);
    on_io([&] { left = server_->event_streams(); });
  }
  EXPECT_EQ(left, 0u);
}

TEST_F(WebServerTest, EventStreamsAreCapped) {
  std::vector<tcp::socket> streams;
  for (std::size_t i = 0; i < WebUiServer::kMaxEventStreams; ++i) {
    streams.push_back(connect());
    boost::asio::write(streams.back(), boost::asio::buffer("GET /api/events?token=" + kToken + " HTTP/1.1\r\nHost: " +
                                                           host_ + "\r\n\r\n"));
    std::string seen;
    read_until(streams.back(), "event: state", seen);
  }
  std::string refused = get("/api/events?token=" + kToken);
  EXPECT_EQ(status_of(refused), 503) << refused;
}

}  // namespace
}  // namespace yt
