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

// A reader that never reads: relayed frames (droppable) stop queueing at the limit
// and are counted; other writes are all kept.
TEST(AsioStreamTest, DroppableWritesStopAtTheQueueLimitOthersNever) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto stream = std::make_shared<AsioStream>(boost::asio::ip::tcp::socket(io));
  stream->socket().connect(acceptor.local_endpoint());
  boost::asio::ip::tcp::socket peer = acceptor.accept();  // accepted, never read
  stream->start([](ByteView) {}, [](const std::string&) {});
  const Bytes frame(60000, 0x5a);
  for (int i = 0; i < 400; ++i) {  // 24 MB, far beyond what the kernel buffers
    stream->send(frame, /*droppable=*/true);
    io.poll();
  }
  EXPECT_GT(stream->dropped(), 0u);
  EXPECT_LE(stream->queued_bytes(), kDroppableQueueLimit + frame.size());
  const std::uint64_t dropped = stream->dropped();
  for (int i = 0; i < 20; ++i) stream->send(frame);  // control messages: kept
  EXPECT_EQ(stream->dropped(), dropped);
  EXPECT_GT(stream->queued_bytes(), kDroppableQueueLimit + 10 * frame.size());
  stream->close();
}

}  // namespace
}  // namespace yt
