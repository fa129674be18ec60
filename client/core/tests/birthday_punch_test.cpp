// Birthday probing's client side: paced, bounded, the right sockets and targets,
// and every extra socket closed when the tunnel no longer needs it.
#include "client/core/birthday_punch.h"

#include <gtest/gtest.h>

#include <set>

#include "protocol/random.h"

namespace yt {
namespace {

constexpr Time kStart = time_from_us(5'000'000);
const Endpoint kPeerMapped{Ipv4::from_octets(203, 0, 113, 7), 40000};

struct Fixture {
  explicit Fixture(ClientConfig config = {}) : rng(1), ctx(std::move(config), Identity{}, rng) {}
  std::vector<SendDatagram> sent() {
    std::vector<SendDatagram> out;
    for (ClientOutput& o : ctx.outputs) {
      if (auto* d = std::get_if<SendDatagram>(&o)) out.push_back(*d);
    }
    return out;
  }
  std::vector<SocketId> closed() {
    std::vector<SocketId> out;
    for (ClientOutput& o : ctx.outputs) {
      if (auto* c = std::get_if<CloseSocket>(&o)) out.push_back(c->socket);
    }
    return out;
  }
  // Runs the punch's timer at each deadline until it has none or `until` passes.
  void run(BirthdayPunch& punch, Time until) {
    for (int i = 0; i < 100000; ++i) {
      auto next = punch.next_deadline();
      if (!next || *next > until) return;
      punch.on_timer(*next, 99, ctx);
    }
    ADD_FAILURE() << "did not settle";
  }
  SeededRandom rng;
  ClientContext ctx;
};

BirthdayPlan plan(BirthdayRole role, std::uint16_t count, std::uint16_t pps, std::uint16_t after_ms = 0) {
  BirthdayPlan p;
  p.role = role;
  p.count = count;
  p.rate_pps = pps;
  p.after_ms = after_ms;
  p.ttl = 2;
  p.target = kPeerMapped;
  return p;
}

TEST(BirthdayPunch, TheRandomSideOpensOneSocketPerDatagramTowardThePeerAtThePace) {
  Fixture f;
  BirthdayPunch punch(plan(BirthdayRole::kOpenPorts, 256, 200), kStart, f.ctx.config);
  f.run(punch, kStart + std::chrono::seconds(10));
  const auto sent = f.sent();
  ASSERT_EQ(sent.size(), 256u);
  std::set<SocketId> sockets;
  for (const SendDatagram& d : sent) {
    EXPECT_EQ(d.to, kPeerMapped);
    EXPECT_EQ(d.ttl, 2);  // dies before the peer's NAT
    EXPECT_NE(d.socket, 0);
    sockets.insert(d.socket);
    auto probe = decode_datagram(d.payload);
    ASSERT_TRUE(probe.ok());
    EXPECT_EQ(std::get<PunchProbe>(*probe).tunnel_id, 99u);
  }
  EXPECT_EQ(sockets.size(), 256u);
  EXPECT_EQ(f.ctx.extra_sockets.size(), 256u);
  EXPECT_EQ(f.ctx.stats.birthday_datagrams, 256u);
  // 200 a second: the last one 255 gaps of 5 ms after the first.
  EXPECT_FALSE(punch.next_deadline().has_value());

  // The path settled on one of them: the others close, that one stays.
  const SocketId keep = sent[17].socket;
  punch.finish(keep, f.ctx);
  EXPECT_EQ(f.closed().size(), 255u);
  EXPECT_EQ(f.ctx.extra_sockets, std::set<SocketId>{keep});
  punch.finish_all(f.ctx);
  EXPECT_TRUE(f.ctx.extra_sockets.empty());
}

TEST(BirthdayPunch, ThePaceIsCappedByTheClientAndALateTimerSendsNoBurst) {
  ClientConfig config;
  config.birthday_max_pps = 10;
  Fixture f(config);
  BirthdayPunch punch(plan(BirthdayRole::kProbePorts, 100, 1000, 500), kStart, f.ctx.config);
  EXPECT_EQ(*punch.next_deadline(), kStart + std::chrono::milliseconds(500));
  f.run(punch, kStart + std::chrono::milliseconds(500) + std::chrono::seconds(1) - std::chrono::microseconds(1));
  EXPECT_EQ(f.sent().size(), 10u);  // 10 a second, not 1000
  // A timer 5 s late sends one datagram, not the 50 it fell behind by.
  punch.on_timer(kStart + std::chrono::seconds(7), 99, f.ctx);
  EXPECT_EQ(f.sent().size(), 11u);
}

TEST(BirthdayPunch, TheOtherSideProbesDistinctHighPortsOfThePeersAddressFromItsMainSocket) {
  Fixture f;
  BirthdayPunch punch(plan(BirthdayRole::kProbePorts, 1024, 200), kStart, f.ctx.config);
  f.run(punch, kStart + std::chrono::seconds(60));
  const auto sent = f.sent();
  ASSERT_EQ(sent.size(), 1024u);
  std::set<std::uint16_t> ports;
  for (const SendDatagram& d : sent) {
    EXPECT_EQ(d.to.ip, kPeerMapped.ip);  // never anyone else's address
    EXPECT_GE(d.to.port, 1024);
    EXPECT_EQ(d.socket, 0);
    EXPECT_EQ(d.ttl, 0);
    ports.insert(d.to.port);
  }
  EXPECT_EQ(ports.size(), 1024u);
  EXPECT_TRUE(f.ctx.extra_sockets.empty());
}

TEST(BirthdayPunch, AtTheSocketLimitTheRestAreSkippedAndFinishingStopsEverything) {
  ClientConfig config;
  config.max_extra_sockets = 40;
  Fixture f(config);
  BirthdayPunch punch(plan(BirthdayRole::kOpenPorts, 256, 200), kStart, f.ctx.config);
  f.run(punch, kStart + std::chrono::seconds(10));
  EXPECT_EQ(f.sent().size(), 40u);
  EXPECT_EQ(punch.sent(), 256u);  // the count is spent: bounded whatever the limit

  Fixture g;
  BirthdayPunch early(plan(BirthdayRole::kOpenPorts, 256, 200), kStart, g.ctx.config);
  g.run(early, kStart + std::chrono::milliseconds(100));
  const std::size_t before = g.sent().size();
  early.finish_all(g.ctx);
  EXPECT_FALSE(early.next_deadline().has_value());
  g.run(early, kStart + std::chrono::seconds(10));
  EXPECT_EQ(g.sent().size(), before);
  EXPECT_EQ(g.closed().size(), before);
}

}  // namespace
}  // namespace yt
