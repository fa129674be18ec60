// An AsioStream made for an outgoing connect (its socket opened only by the
// connect, as the drivers do it) still sends without Nagle's delay once started.
#include "platform/asio_stream.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace yt {
namespace {

TEST(AsioStreamTest, AConnectedStreamHasNoDelaySetEvenIfMadeBeforeTheConnect) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto stream = std::make_shared<AsioStream>(boost::asio::ip::tcp::socket(io));
  stream->socket().connect(acceptor.local_endpoint());
  stream->start([](ByteView) {}, [](const std::string&) {});
  boost::asio::ip::tcp::no_delay option;
  stream->socket().get_option(option);
  EXPECT_TRUE(option.value());
  stream->close();
  io.run_for(std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace yt
