// Teaching the server our TCP mapping: one connection from the punch port with one
// kTcpMapping frame, done when the server closes it; another port when the bind or
// connect fails, bounded; nothing at all when TCP punching is off.
#include "client/core/tcp_mapping_probe.h"

#include <gtest/gtest.h>

#include "protocol/random.h"
#include "protocol/stream_framer.h"

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Endpoint kServer{Ipv4::from_octets(198, 51, 100, 1), 443};

struct Fixture {
  explicit Fixture(ClientConfig config = {}) : rng(1), ctx(std::move(config), Identity{}, rng), probe(ctx) {}
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
  TcpMappingProbe probe;
};

TEST(TcpMappingProbe, SendsTheTokenFromThePunchPortAndIsDoneWhenTheServerCloses) {
  Fixture f;
  f.probe.start(kT0, kServer, 0x0102030405060708ULL);
  ASSERT_EQ(f.outputs<OpenStream>().size(), 1u);
  const OpenStream open = f.outputs<OpenStream>()[0];
  EXPECT_TRUE(f.probe.owns(open.conn));
  EXPECT_EQ(open.to, kServer);
  EXPECT_GE(open.local_port, kFirstTcpPunchPort);
  EXPECT_LE(open.local_port, kLastTcpPunchPort);
  EXPECT_TRUE(f.probe.pending());
  f.probe.on_connected(kT0 + 20ms, open.conn);
  ASSERT_EQ(f.outputs<SendStream>().size(), 1u);
  StreamFramer framer;
  framer.push(f.outputs<SendStream>()[0].data);
  auto frame = framer.next();
  ASSERT_TRUE(frame);
  auto decoded = decode_control_frame(*frame);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->type, ControlFrameType::kTcpMapping);
  EXPECT_EQ(decoded->token, 0x0102030405060708ULL);
  EXPECT_FALSE(f.ctx.tcp_punch_port);
  f.probe.on_closed(kT0 + 40ms, open.conn);
  EXPECT_FALSE(f.probe.pending());
  EXPECT_EQ(f.ctx.tcp_punch_port, open.local_port);
  // A new session forgets it until the server learns it again.
  f.probe.cancel();
  EXPECT_FALSE(f.ctx.tcp_punch_port);
}

// The server closes first and keeps the four-tuple in TIME_WAIT: a login soon after
// (a server restart) must not reuse it, or a stack like ns-3's ignores the SYN.
TEST(TcpMappingProbe, EachLoginProbesFromAPortOfItsOwn) {
  Fixture f;
  f.probe.start(kT0, kServer, 7);
  f.probe.start(kT0 + 1s, kServer, 8);
  const std::vector<OpenStream> opens = f.outputs<OpenStream>();
  ASSERT_EQ(opens.size(), 2u);
  EXPECT_NE(opens[0].local_port, opens[1].local_port);
  EXPECT_GE(opens[1].local_port, kFirstTcpPunchPort);
  EXPECT_LE(opens[1].local_port, kLastTcpPunchPort);
}

TEST(TcpMappingProbe, AFailedConnectTriesAnotherPortThenGivesUp) {
  Fixture f;
  f.probe.start(kT0, kServer, 7);
  for (int attempt = 1; attempt <= TcpMappingProbe::kMaxAttempts; ++attempt) {
    ASSERT_EQ(f.outputs<OpenStream>().size(), static_cast<std::size_t>(attempt));
    f.probe.on_closed(kT0, f.outputs<OpenStream>().back().conn);  // refused, or the port is taken
  }
  EXPECT_EQ(f.outputs<OpenStream>().size(), static_cast<std::size_t>(TcpMappingProbe::kMaxAttempts));
  EXPECT_NE(f.outputs<OpenStream>()[0].conn, f.outputs<OpenStream>()[1].conn);
  EXPECT_FALSE(f.probe.pending());
  EXPECT_FALSE(f.ctx.tcp_punch_port);
  EXPECT_EQ(f.ctx.stats.tcp_mapping_failures, 1u);
}

TEST(TcpMappingProbe, NoAnswerInTimeEndsTheAttemptAndAConfiguredPortIsTriedOnce) {
  ClientConfig config;
  config.tcp_punch_port = 23456;
  Fixture f(config);
  f.probe.start(kT0, kServer, 7);
  ASSERT_EQ(f.outputs<OpenStream>().size(), 1u);
  EXPECT_EQ(f.outputs<OpenStream>()[0].local_port, 23456);
  f.probe.on_connected(kT0 + 20ms, f.outputs<OpenStream>()[0].conn);
  EXPECT_EQ(f.probe.next_deadline(), kT0 + 20ms + TcpMappingProbe::kTimeout);
  f.probe.on_timer(kT0 + 20ms + TcpMappingProbe::kTimeout);
  EXPECT_EQ(f.outputs<CloseStream>().size(), 1u);
  EXPECT_EQ(f.outputs<OpenStream>().size(), 1u);
  EXPECT_FALSE(f.probe.pending());
  EXPECT_FALSE(f.ctx.tcp_punch_port);
}

TEST(TcpMappingProbe, OffItOpensNothing) {
  ClientConfig config;
  config.tcp_punch = false;
  Fixture f(config);
  f.probe.start(kT0, kServer, 7);
  EXPECT_TRUE(f.ctx.outputs.empty());
  EXPECT_FALSE(f.probe.pending());
}

}  // namespace
}  // namespace yt
