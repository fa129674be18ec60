#include "client/core/relay_prober.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Endpoint kServerRelay{Ipv4::from_octets(198, 51, 100, 1), 3478};
const Endpoint kNear{Ipv4::from_octets(192, 0, 2, 10), 3478};
const Endpoint kDead{Ipv4::from_octets(192, 0, 2, 11), 3478};

RelayList three_relays() {
  return RelayList{{RelayInfo{0, "built-in", {}, {}}, RelayInfo{1, "near", kNear, {}}, RelayInfo{2, "dead", kDead, {}}}};
}

struct RelayProberTest : ::testing::Test {
  SeededRandom rng{1, 1};
  ClientContext ctx{ClientConfig{}, Identity::generate(rng), rng};
  RelayProber prober;
  Time now = kT0;

  // Echoes sent since the last call, by destination.
  std::map<Endpoint, std::vector<RelayEcho>> echoes() {
    std::map<Endpoint, std::vector<RelayEcho>> out;
    for (auto& o : ctx.outputs) {
      auto* d = std::get_if<SendDatagram>(&o);
      if (!d) continue;
      auto decoded = decode_datagram(d->payload);
      if (decoded.ok()) {
        if (auto* e = std::get_if<RelayEcho>(&decoded.value())) out[d->to].push_back(*e);
      }
    }
    ctx.outputs.clear();
    return out;
  }
  // Runs the prober's timers up to `until`, answering each echo to `answer`'s
  // relays after that relay's round trip.
  void run_until(Time until, std::map<Endpoint, Duration> answer) {
    std::multimap<Time, std::pair<Endpoint, std::uint64_t>> replies;
    for (;;) {
      std::optional<Time> next = prober.next_deadline();
      if (!replies.empty() && (!next || replies.begin()->first < *next)) next = replies.begin()->first;
      if (!next || *next > until) break;
      now = std::max(now, *next);
      if (!replies.empty() && replies.begin()->first <= now) {
        auto [from, nonce] = replies.begin()->second;
        replies.erase(replies.begin());
        prober.on_reply(now, from, RelayEchoReply{nonce});
        continue;
      }
      prober.on_timer(now, ctx);
      for (auto& [to, sent] : echoes()) {
        auto it = answer.find(to);
        if (it == answer.end()) continue;
        for (const RelayEcho& e : sent) replies.emplace(now + it->second, std::pair{to, e.nonce});
      }
    }
    now = until;
  }
};

TEST_F(RelayProberTest, MeasuresEveryRelayAndLeavesOutTheOnesThatNeverAnswer) {
  prober.start(now, three_relays(), kServerRelay);
  EXPECT_TRUE(prober.measuring());
  run_until(kT0 + std::chrono::seconds(2), {{kServerRelay, 80ms}, {kNear, 12ms}});
  EXPECT_FALSE(prober.measuring());
  auto report = prober.take_report();
  ASSERT_TRUE(report);
  ASSERT_EQ(report->rtts.size(), 2u);
  EXPECT_EQ(report->rtts[0].id, 0u);  // the built-in relay, measured at the server's endpoint
  EXPECT_EQ(report->rtts[0].rtt_us, 80'000u);
  EXPECT_EQ(report->rtts[1].id, 1u);
  EXPECT_EQ(report->rtts[1].rtt_us, 12'000u);
  EXPECT_FALSE(prober.take_report());  // once
}

TEST_F(RelayProberTest, ARoundEndsAsSoonAsEveryEchoIsAnswered) {
  prober.start(now, RelayList{{RelayInfo{1, "near", kNear, {}}}}, kServerRelay);
  run_until(kT0 + 200ms, {{kNear, 10ms}});
  // Three echoes 50 ms apart, the last answered at 110 ms: done long before 1 s.
  EXPECT_FALSE(prober.measuring());
  ASSERT_TRUE(prober.take_report());
}

TEST_F(RelayProberTest, KeepsTheFastestAnswerAndIgnoresForgedNonces) {
  prober.start(now, RelayList{{RelayInfo{1, "near", kNear, {}}}}, std::nullopt);
  prober.on_timer(now, ctx);
  auto first = echoes();
  ASSERT_EQ(first[kNear].size(), 1u);
  prober.on_reply(now + 5ms, kNear, RelayEchoReply{first[kNear][0].nonce + 1});  // not ours
  prober.on_reply(now + 5ms, kDead, RelayEchoReply{first[kNear][0].nonce});       // not from there
  prober.on_reply(now + 30ms, kNear, RelayEchoReply{first[kNear][0].nonce});
  run_until(kT0 + std::chrono::seconds(2), {{kNear, 20ms}});
  auto report = prober.take_report();
  ASSERT_TRUE(report);
  ASSERT_EQ(report->rtts.size(), 1u);
  EXPECT_EQ(report->rtts[0].rtt_us, 20'000u);
}

TEST_F(RelayProberTest, MeasuresAgainAfterTheInterval) {
  ctx.config.relay_remeasure_interval = std::chrono::minutes(10);
  prober.start(now, RelayList{{RelayInfo{1, "near", kNear, {}}}}, std::nullopt);
  run_until(kT0 + std::chrono::seconds(2), {{kNear, 10ms}});
  ASSERT_TRUE(prober.take_report());
  run_until(kT0 + std::chrono::minutes(9), {{kNear, 30ms}});
  EXPECT_FALSE(prober.take_report());
  run_until(kT0 + std::chrono::minutes(11), {{kNear, 30ms}});
  auto again = prober.take_report();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->rtts.at(0).rtt_us, 30'000u);
}

TEST_F(RelayProberTest, WithoutTheServersEndpointTheBuiltInRelayIsSkipped) {
  prober.start(now, RelayList{{RelayInfo{0, "built-in", {}, {}}}}, std::nullopt);
  EXPECT_FALSE(prober.measuring());
  EXPECT_FALSE(prober.next_deadline());
}

}  // namespace
}  // namespace yt
