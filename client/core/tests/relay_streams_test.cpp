#include "client/core/relay_streams.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Endpoint kListener{Ipv4::from_octets(192, 0, 2, 10), 443};
const Endpoint kRelayUdp{Ipv4::from_octets(192, 0, 2, 10), 3478};

struct RelayStreamsTest : ::testing::Test {
  SeededRandom rng{1, 1};
  ClientContext ctx{ClientConfig{}, Identity::generate(rng), rng};
  RelayStreams streams{ctx};

  template <typename T>
  std::vector<T> outputs() {
    std::vector<T> out;
    for (auto& o : ctx.outputs) {
      if (auto* t = std::get_if<T>(&o)) out.push_back(*t);
    }
    return out;
  }
};

TEST_F(RelayStreamsTest, OpensOnFirstUseAndSendsWhatWaitedOnceConnected) {
  streams.send(kListener, kRelayUdp, RelayEcho{1});
  streams.send(kListener, kRelayUdp, RelayEcho{2});
  auto opens = outputs<OpenStream>();
  ASSERT_EQ(opens.size(), 1u);  // one stream per relay
  EXPECT_EQ(opens[0].to, kListener);
  EXPECT_TRUE(streams.owns(opens[0].conn));
  EXPECT_TRUE(outputs<SendStream>().empty());
  ctx.outputs.clear();

  streams.on_connected(kT0, opens[0].conn);
  auto sent = outputs<SendStream>();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].data, *frame_for_stream(encode_datagram(RelayEcho{1})));
  EXPECT_TRUE(streams.connected(kListener));

  // Answers, in any cut of the byte stream, come out as datagrams from the relay.
  Bytes in = *frame_for_stream(encode_datagram(RelayEchoReply{1}));
  Bytes second = *frame_for_stream(encode_datagram(RelayEchoReply{2}));
  in.insert(in.end(), second.begin(), second.end());
  auto first_half = streams.on_data(kT0, opens[0].conn, ByteView(in.data(), 5));
  EXPECT_TRUE(first_half.empty());
  auto rest = streams.on_data(kT0, opens[0].conn, ByteView(in.data() + 5, in.size() - 5));
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].first, kRelayUdp);
  EXPECT_EQ(std::get<RelayEchoReply>(rest[1].second).nonce, 2u);
}

TEST_F(RelayStreamsTest, AClosedStreamIsForgottenAndTheNextSendOpensANewOne) {
  streams.send(kListener, kRelayUdp, RelayEcho{1});
  const ConnId first = outputs<OpenStream>().at(0).conn;
  ctx.outputs.clear();
  streams.on_closed(kT0, first);  // refused, or closed by the relay
  streams.send(kListener, kRelayUdp, RelayEcho{2});
  auto opens = outputs<OpenStream>();
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_NE(opens[0].conn, first);
}

TEST_F(RelayStreamsTest, GarbageFromTheRelayClosesTheStream) {
  streams.send(kListener, kRelayUdp, RelayEcho{1});
  const ConnId conn = outputs<OpenStream>().at(0).conn;
  streams.on_connected(kT0, conn);
  ctx.outputs.clear();
  const Bytes empty_frame = {0x00, 0x00};  // a zero-length frame breaks the framing
  EXPECT_TRUE(streams.on_data(kT0, conn, empty_frame).empty());
  ASSERT_EQ(outputs<CloseStream>().size(), 1u);
  EXPECT_FALSE(streams.connected(kListener));
}

TEST_F(RelayStreamsTest, QueuesABoundedNumberBeforeTheConnect) {
  for (int i = 0; i < 1000; ++i) streams.send(kListener, kRelayUdp, RelayEcho{static_cast<std::uint64_t>(i)});
  const ConnId conn = outputs<OpenStream>().at(0).conn;
  ctx.outputs.clear();
  streams.on_connected(kT0, conn);
  EXPECT_EQ(outputs<SendStream>().size(), RelayStreams::kMaxQueued);
}

TEST_F(RelayStreamsTest, AnIdleStreamIsClosedAndABusyOneIsNot) {
  streams.send(kListener, kRelayUdp, RelayEcho{1});
  const ConnId conn = outputs<OpenStream>().at(0).conn;
  streams.on_connected(kT0, conn);
  Time now = kT0;
  for (int minute = 0; minute < 10; ++minute) {  // used every minute
    now += std::chrono::minutes(1);
    streams.send(kListener, kRelayUdp, RelayEcho{2});
    while (streams.next_deadline() && *streams.next_deadline() <= now) streams.on_timer(now);
  }
  ctx.outputs.clear();
  EXPECT_TRUE(streams.connected(kListener));
  for (int i = 0; i < 100 && streams.next_deadline(); ++i) {
    now = std::max(now, *streams.next_deadline());
    streams.on_timer(now);
  }
  EXPECT_EQ(outputs<CloseStream>().size(), 1u);
  EXPECT_FALSE(streams.connected(kListener));
  EXPECT_FALSE(streams.next_deadline());
}

}  // namespace
}  // namespace yt
