// TCP hole punching's client side, one tunnel's connection: opened on time from the
// punch port, given up when it does not come up, framed both ways, and closed once.
#include "client/core/tcp_punch.h"

#include <gtest/gtest.h>

#include "protocol/random.h"

namespace yt {
namespace {

constexpr Time kStart = time_from_us(5'000'000);
const Endpoint kPeer{Ipv4::from_octets(203, 0, 113, 7), 21000};
constexpr ConnId kConn = ClientContext::kFirstPunchConn;

struct Fixture {
  Fixture() : rng(1), ctx(ClientConfig{}, Identity{}, rng) {}
  template <typename T>
  std::vector<T> outputs() {
    std::vector<T> out;
    for (ClientOutput& o : ctx.outputs) {
      if (auto* x = std::get_if<T>(&o)) out.push_back(*x);
    }
    return out;
  }
  SeededRandom rng;
  ClientContext ctx;
};

TEST(TcpPunch, OpensFromThePunchPortAtItsTimeAndGivesUpWhenNothingAnswers) {
  Fixture f;
  TcpPunch punch(TcpPunchPlan{kPeer, 500}, kConn, 21234, kStart);
  EXPECT_EQ(punch.next_deadline(f.ctx.config), kStart + 500ms);
  punch.on_timer(kStart + 499ms, f.ctx);
  EXPECT_TRUE(f.outputs<OpenStream>().empty());
  punch.on_timer(kStart + 500ms, f.ctx);
  ASSERT_EQ(f.outputs<OpenStream>().size(), 1u);
  EXPECT_EQ(f.outputs<OpenStream>()[0].conn, kConn);
  EXPECT_EQ(f.outputs<OpenStream>()[0].to, kPeer);
  EXPECT_EQ(f.outputs<OpenStream>()[0].local_port, 21234);
  // Nothing goes out before it connects.
  punch.send(Bytes{1, 2, 3}, f.ctx);
  EXPECT_TRUE(f.outputs<SendStream>().empty());
  const Time give_up = kStart + 500ms + f.ctx.config.tcp_punch_timeout;
  EXPECT_EQ(punch.next_deadline(f.ctx.config), give_up);
  punch.on_timer(give_up, f.ctx);
  EXPECT_TRUE(punch.over());
  ASSERT_EQ(f.outputs<CloseStream>().size(), 1u);
  EXPECT_FALSE(punch.next_deadline(f.ctx.config));
  EXPECT_FALSE(punch.on_connected());  // too late
  punch.close(f.ctx);
  EXPECT_EQ(f.outputs<CloseStream>().size(), 1u);  // once
}

TEST(TcpPunch, AnAcceptingPunchOpensNothingAndAdoptsThePeersConnection) {
  Fixture f;
  TcpPunch punch(TcpPunchPlan{kPeer, 0, true}, ConnId{0}, 0, kStart);
  EXPECT_EQ(punch.conn(), 0u);
  // The peer's connection may come in before our plan's start.
  const Endpoint other_host{Ipv4::from_octets(203, 0, 113, 8), 21000};
  EXPECT_FALSE(punch.awaits(other_host));
  const Endpoint from_peer{kPeer.ip, 33333};  // its port is not known in advance
  EXPECT_TRUE(punch.awaits(from_peer));
  punch.on_timer(kStart, f.ctx);
  EXPECT_TRUE(f.ctx.outputs.empty());
  punch.adopt(kFirstAcceptedConn, from_peer);
  EXPECT_TRUE(punch.connected());
  EXPECT_EQ(punch.conn(), kFirstAcceptedConn);
  EXPECT_EQ(punch.target(), from_peer);
  EXPECT_FALSE(punch.awaits(from_peer));  // one connection
  punch.send(Bytes{1, 2, 3}, f.ctx);
  ASSERT_EQ(f.outputs<SendStream>().size(), 1u);
  EXPECT_EQ(f.outputs<SendStream>()[0].conn, kFirstAcceptedConn);
}

TEST(TcpPunch, AnAcceptingPunchGivesUpLikeAConnect) {
  Fixture f;
  TcpPunch punch(TcpPunchPlan{kPeer, 0, true}, ConnId{0}, 0, kStart);
  punch.on_timer(kStart, f.ctx);
  const Time give_up = kStart + f.ctx.config.tcp_punch_timeout;
  EXPECT_EQ(punch.next_deadline(f.ctx.config), give_up);
  punch.on_timer(give_up, f.ctx);
  EXPECT_TRUE(punch.over());
  EXPECT_FALSE(punch.awaits(kPeer));
  punch.close(f.ctx);
  EXPECT_TRUE(f.ctx.outputs.empty());  // there was never a connection to close
}

TEST(TcpPunch, ConnectedItFramesEachDatagramAndReadsFramesAcrossSegments) {
  Fixture f;
  TcpPunch punch(TcpPunchPlan{kPeer, 0}, kConn, 21234, kStart);
  punch.on_timer(kStart, f.ctx);
  ASSERT_TRUE(punch.on_connected());
  EXPECT_FALSE(punch.on_connected());
  EXPECT_TRUE(punch.connected());
  punch.send(Bytes{0xaa, 0xbb}, f.ctx);
  ASSERT_EQ(f.outputs<SendStream>().size(), 1u);
  EXPECT_EQ(f.outputs<SendStream>()[0].data, (Bytes{0x00, 0x02, 0xaa, 0xbb}));
  EXPECT_TRUE(punch.on_data(Bytes{0x00, 0x03, 0x01}, f.ctx).empty());
  std::vector<Bytes> frames = punch.on_data(Bytes{0x02, 0x03, 0x00, 0x01, 0x09}, f.ctx);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0], (Bytes{0x01, 0x02, 0x03}));
  EXPECT_EQ(frames[1], (Bytes{0x09}));
}

TEST(TcpPunch, ABrokenFramingClosesTheConnection) {
  Fixture f;
  TcpPunch punch(TcpPunchPlan{kPeer, 0}, kConn, 21234, kStart);
  punch.on_timer(kStart, f.ctx);
  ASSERT_TRUE(punch.on_connected());
  EXPECT_TRUE(punch.on_data(Bytes{0x00, 0x00, 0x01}, f.ctx).empty());  // a zero length
  EXPECT_TRUE(punch.over());
  EXPECT_EQ(f.outputs<CloseStream>().size(), 1u);
  EXPECT_EQ(f.ctx.stats.tcp_stream_errors, 1u);
  EXPECT_TRUE(punch.on_data(Bytes{0x00, 0x01, 0x01}, f.ctx).empty());  // nothing after
}

}  // namespace
}  // namespace yt
