// ControlSession over a real Unix socket pair: the bounds that keep one local user
// from holding the daemon's memory or connection slots.
#include "client/daemon/control_session.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>

#include <string>

namespace yt {
namespace {

using boost::asio::local::stream_protocol;
using namespace std::chrono_literals;

struct Connection {
  stream_protocol::socket cli;
  std::shared_ptr<ControlSession> session;
};

class ControlSessionTest : public ::testing::Test {
 protected:
  Connection connect(ControlLimits limits) {
    stream_protocol::socket cli(io), daemon(io);
    boost::asio::local::connect_pair(cli, daemon);
    auto session = std::make_shared<ControlSession>(
        std::move(daemon),
        [](const ControlRequest& request, ControlSession::Reply reply) {
          reply(control_ok({{"command", request.command}}));
        },
        count, limits);
    session->start();
    return Connection{std::move(cli), session};
  }

  // Everything the daemon writes until it closes the connection, or until `limit`.
  std::string read_until_closed(stream_protocol::socket& cli, std::chrono::milliseconds limit) {
    std::string received;
    bool closed = false;
    std::array<char, 4096> buffer;
    std::function<void()> read = [&] {
      cli.async_read_some(boost::asio::buffer(buffer), [&](const boost::system::error_code& error, std::size_t n) {
        received.append(buffer.data(), n);
        if (error) {
          closed = true;
          return;
        }
        read();
      });
    };
    read();
    io.restart();
    auto end = std::chrono::steady_clock::now() + limit;
    while (!closed && std::chrono::steady_clock::now() < end) io.run_one_for(10ms);
    EXPECT_TRUE(closed) << "the daemon kept the connection open";
    return received;
  }

  boost::asio::io_context io;
  ControlSessionCount count;
};

TEST_F(ControlSessionTest, AnsweredRequestsThenAStalledPartialLineIsClosed) {
  ControlLimits limits;
  limits.request_timeout = 100ms;
  Connection c = connect(limits);
  c.session.reset();  // the session lives on its pending operations, as in the daemon
  boost::asio::write(c.cli, boost::asio::buffer(std::string("{\"command\": \"status\"}\n{\"command\": \"li")));
  std::string received = read_until_closed(c.cli, 2s);
  EXPECT_NE(received.find("\"status\""), std::string::npos) << received;
  EXPECT_EQ(count.open(), 0u);
}

// A CLI that asks for a long answer (a big chat history) and never reads it: the
// write cannot finish, and the slot is freed after the timeout.
TEST_F(ControlSessionTest, AClientThatStopsReadingIsClosed) {
  ControlLimits limits;
  limits.request_timeout = 100ms;
  stream_protocol::socket cli(io), daemon(io);
  boost::asio::local::connect_pair(cli, daemon);
  auto session = std::make_shared<ControlSession>(
      std::move(daemon),
      [](const ControlRequest&, ControlSession::Reply reply) {
        reply(control_ok({{"history", std::string(8 << 20, 'x')}}));  // far over any socket buffer
      },
      count, limits);
  session->start();
  session.reset();
  boost::asio::write(cli, boost::asio::buffer(std::string("{\"command\": \"chat-history\"}\n")));
  io.restart();
  auto end = std::chrono::steady_clock::now() + 3s;
  while (count.open() > 0 && std::chrono::steady_clock::now() < end) io.run_one_for(10ms);
  EXPECT_EQ(count.open(), 0u) << "a session that cannot write its answer kept its slot";
}

TEST_F(ControlSessionTest, AnOverlongRequestLineIsRefusedWithoutBufferingIt) {
  Connection c = connect({});
  c.session.reset();
  std::string huge = "{\"command\": \"chat\", \"text\": \"" + std::string(kMaxControlRequestLength + 10, 'x');
  // The daemon answers and closes once its bound is hit; the rest of the write fails.
  boost::asio::async_write(c.cli, boost::asio::buffer(huge), [](const boost::system::error_code&, std::size_t) {});
  std::string received = read_until_closed(c.cli, 2s);
  EXPECT_NE(received.find("longer than 16384 bytes"), std::string::npos) << received;
  EXPECT_EQ(count.open(), 0u);
}

TEST_F(ControlSessionTest, ConnectionsBeyondTheCapAreToldAndClosed) {
  ControlLimits limits;
  limits.max_sessions = 2;
  Connection a = connect(limits), b = connect(limits), third = connect(limits);
  a.session.reset(), b.session.reset(), third.session.reset();
  std::string refused = read_until_closed(third.cli, 2s);
  EXPECT_NE(refused.find("too many control connections (2 open)"), std::string::npos) << refused;
  EXPECT_EQ(count.open(), 2u);
  // The two within the cap still work.
  boost::asio::write(a.cli, boost::asio::buffer(std::string("{\"command\": \"status\"}\n")));
  boost::asio::streambuf line;
  io.restart();
  std::size_t n = 0;
  boost::asio::async_read_until(a.cli, line, '\n', [&](const boost::system::error_code&, std::size_t got) { n = got; });
  for (int i = 0; i < 200 && n == 0; ++i) io.run_one_for(10ms);
  EXPECT_GT(n, 0u);
}

}  // namespace
}  // namespace yt
