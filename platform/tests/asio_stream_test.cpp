// An AsioStream made for an outgoing connect (its socket opened only by the
// connect, as the drivers do it) still sends without Nagle's delay once started.
#include "platform/asio_stream.h"
#include "platform/asio_streams.h"

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

// A client bound to one address keeps its control connection there too (the load
// generator's clients each have a loopback address of their own); an address that
// is not ours fails like a refused connect, reported from the loop.
TEST(AsioStreamsTest, ConnectsFromTheGivenSourceAddressOrFailsCleanly) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  AsioStreams streams({[](ConnId, ByteView) {}, [](ConnId) {}});
  const Endpoint to{Ipv4::from_octets(127, 0, 0, 1), acceptor.local_endpoint().port()};
  bool connected = false, failed = false;
  streams.connect(io, 1, to, [&] { connected = true; }, [&] { failed = true; }, Ipv4::from_octets(127, 0, 0, 9));
  boost::asio::ip::tcp::socket peer = acceptor.accept();
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(connected);
  EXPECT_EQ(peer.remote_endpoint().address().to_string(), "127.0.0.9");

  bool bad_connected = false, bad_failed = false;
  streams.connect(io, 2, to, [&] { bad_connected = true; }, [&] { bad_failed = true; },
                  Ipv4::from_octets(192, 0, 2, 1));  // not an address of this machine
  EXPECT_FALSE(bad_failed);  // not from inside the call
  io.restart();
  io.run_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(bad_failed);
  EXPECT_FALSE(bad_connected);
  EXPECT_FALSE(failed);
  streams.close_all();
}

}  // namespace
}  // namespace yt
