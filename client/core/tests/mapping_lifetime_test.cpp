// The mapping-lifetime ladder (mapping_lifetime.h): which waits it asks for, what an
// answer, a silence and a busy socket mean, and the keepalive that follows.
#include "client/core/mapping_lifetime.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Endpoint kQuiet{Ipv4::from_octets(198, 51, 100, 2), 3478};
const Endpoint kMapped{Ipv4::from_octets(203, 0, 113, 5), 4500};
constexpr std::uint64_t kToken = 77;

struct MappingLifetimeTest : ::testing::Test {
  SeededRandom rng{1, 1};
  ClientContext ctx{ClientConfig{}, Identity::generate(rng), rng};
  MappingLifetime lifetime{ctx};
  Time now = kT0;

  // The probes sent since the last call.
  std::vector<LifetimeProbe> probes() {
    std::vector<LifetimeProbe> out;
    for (auto& o : ctx.outputs) {
      auto* d = std::get_if<SendDatagram>(&o);
      if (!d) continue;
      EXPECT_EQ(d->to, kQuiet);
      auto decoded = decode_datagram(d->payload);
      if (decoded.ok()) {
        if (auto* p = std::get_if<LifetimeProbe>(&decoded.value())) out.push_back(*p);
      }
    }
    ctx.outputs.clear();
    return out;
  }
  void run_until(Time until) {
    while (auto t = lifetime.next_deadline()) {
      if (*t > until) break;
      now = std::max(now, *t);
      lifetime.on_timer(now);
    }
    now = until;
  }
  // Runs to the probe's answer time and answers it.
  void answer(const LifetimeProbe& p) {
    run_until(now + std::chrono::seconds(p.wait_s) + std::chrono::milliseconds(40));
    EXPECT_TRUE(lifetime.on_reply(now, DiscoveryReply{p.transaction, kMapped, kQuiet}));
  }
};

TEST_F(MappingLifetimeTest, AnsweredWaitsClimbTheLadderAndSetTheKeepalive) {
  lifetime.start(now, kQuiet, kToken, kMapped, /*quiet_required=*/false);
  EXPECT_FALSE(lifetime.keepalive());  // the configured one applies until a verdict
  lifetime.on_timer(now);
  for (std::uint16_t wait : MappingLifetime::kWaits) {
    auto sent = probes();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].token, kToken);
    EXPECT_EQ(sent[0].wait_s, wait);
    answer(sent[0]);
    lifetime.on_timer(now);
  }
  EXPECT_TRUE(probes().empty());  // the ladder's top: done
  EXPECT_FALSE(lifetime.measuring());
  EXPECT_EQ(lifetime.lower_bound(), std::chrono::seconds(120));
  EXPECT_FALSE(lifetime.upper_bound());
  EXPECT_EQ(lifetime.keepalive(), std::chrono::seconds(96));
}

TEST_F(MappingLifetimeTest, AWaitUnansweredTwiceIsTheUpperBound) {
  lifetime.start(now, kQuiet, kToken, kMapped, false);
  lifetime.on_timer(now);
  answer(probes().at(0));  // 15 s answered
  lifetime.on_timer(now);
  // 30 s: no answer, twice (the first could be a lost datagram).
  auto first = probes();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].wait_s, 30);
  run_until(now + 40s);
  auto second = probes();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].wait_s, 30);
  EXPECT_NE(second[0].transaction, first[0].transaction);
  // A late answer to the first try counts for nothing.
  EXPECT_FALSE(lifetime.on_reply(now, DiscoveryReply{first[0].transaction, kMapped, kQuiet}));
  run_until(now + 40s);
  EXPECT_TRUE(probes().empty());
  EXPECT_EQ(lifetime.lower_bound(), std::chrono::seconds(15));
  EXPECT_EQ(lifetime.upper_bound(), std::chrono::seconds(30));
  EXPECT_EQ(lifetime.keepalive(), std::chrono::seconds(12));
  EXPECT_FALSE(lifetime.next_deadline());
}

TEST_F(MappingLifetimeTest, ANatThatForgetsWithinTheFirstWaitGetsTheFloor) {
  lifetime.start(now, kQuiet, kToken, kMapped, false);
  run_until(now + 5min);
  EXPECT_FALSE(lifetime.lower_bound());
  EXPECT_EQ(lifetime.upper_bound(), std::chrono::seconds(15));
  EXPECT_EQ(lifetime.keepalive(), MappingLifetime::kFloorKeepalive);
}

TEST_F(MappingLifetimeTest, WhereOneMappingServesEveryFlowOnlyAnIdleWaitCounts) {
  lifetime.start(now, kQuiet, kToken, kMapped, /*quiet_required=*/true);
  lifetime.on_timer(now);
  // Idle socket: the answer counts.
  answer(probes().at(0));
  lifetime.on_timer(now);
  // A tunnel spoke during the next wait: the answer proves nothing; asked again,
  // then given up after kMaxInconclusive.
  for (int i = 0; i < MappingLifetime::kMaxInconclusive; ++i) {
    auto sent = probes();
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].wait_s, 30);
    ctx.send_bytes(kMapped, Bytes{1});
    ctx.outputs.pop_back();
    answer(sent[0]);
    lifetime.on_timer(now);
  }
  EXPECT_TRUE(probes().empty());
  EXPECT_EQ(lifetime.lower_bound(), std::chrono::seconds(15));
  EXPECT_FALSE(lifetime.upper_bound());
  EXPECT_EQ(lifetime.keepalive(), std::chrono::seconds(12));
}

TEST_F(MappingLifetimeTest, AReconnectResumesAndANewMappingStartsOver) {
  lifetime.start(now, kQuiet, kToken, kMapped, false);
  lifetime.on_timer(now);
  answer(probes().at(0));
  lifetime.on_timer(now);
  ASSERT_EQ(probes().size(), 1u);  // the 30 s wait is out
  lifetime.cancel();               // the server went away
  EXPECT_FALSE(lifetime.next_deadline());
  // Back, same mapping: the 30 s step is asked again, 15 s stands.
  lifetime.start(now, kQuiet, kToken + 1, kMapped, false);
  lifetime.on_timer(now);
  auto sent = probes();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].wait_s, 30);
  EXPECT_EQ(sent[0].token, kToken + 1);
  EXPECT_EQ(lifetime.lower_bound(), std::chrono::seconds(15));
  // Another mapping (another network, a NAT reboot): from the start.
  lifetime.start(now, kQuiet, kToken + 1, Endpoint{kMapped.ip, 4501}, false);
  lifetime.on_timer(now);
  EXPECT_EQ(probes().at(0).wait_s, 15);
  EXPECT_FALSE(lifetime.lower_bound());
}

}  // namespace
}  // namespace yt
