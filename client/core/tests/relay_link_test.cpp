#include "client/core/relay_link.h"

#include <gtest/gtest.h>

#include <vector>

namespace yt {
namespace {

constexpr Time kT0 = time_from_us(1'000'000);
const Endpoint kRelay{Ipv4::from_octets(198, 51, 100, 1), 3478};

RelayOffer offer() {
  RelayOffer o;
  o.endpoint = kRelay;
  o.ticket = issue_ticket(TicketKeyring{3, TicketKey{9}}, 0x1122334455667788ULL, 1);
  return o;
}

struct RelayLinkTest : ::testing::Test {
  SeededRandom rng{1, 1};
  ClientContext ctx{ClientConfig{}, Identity::generate(rng), rng};
  RelayLink link{offer(), kT0, kT0};

  // The binds sent since the last call.
  std::vector<RelayBind> binds() {
    std::vector<RelayBind> out;
    for (auto& o : ctx.outputs) {
      auto* d = std::get_if<SendDatagram>(&o);
      if (!d) continue;
      EXPECT_EQ(d->to, kRelay);
      auto decoded = decode_datagram(d->payload);
      if (decoded.ok()) {
        if (auto* b = std::get_if<RelayBind>(&decoded.value())) out.push_back(*b);
      }
    }
    ctx.outputs.clear();
    return out;
  }
};

TEST_F(RelayLinkTest, BindsAtOnceWithAMacTheRelayVerifies) {
  link.on_timer(kT0, ctx);
  auto sent = binds();
  ASSERT_EQ(sent.size(), 1u);
  const RelayTicket t = offer().ticket;
  EXPECT_EQ(sent[0].key_id, 3u);
  EXPECT_EQ(sent[0].pair_id, t.pair_id);
  EXPECT_EQ(sent[0].side, 1);
  EXPECT_EQ(sent[0].sequence, 1u);
  // What the relay checks: the secret derived from its key.
  BindSecret relay_side = derive_bind_secret(TicketKey{9}, 3, t.pair_id, 1);
  EXPECT_TRUE(bind_mac_valid(relay_side, t.pair_id, 1, 1, sent[0].mac));
}

TEST_F(RelayLinkTest, RetriesWithDoublingWaitsUpToTheCap) {
  std::vector<Duration> gaps;
  Time last = kT0;
  link.on_timer(kT0, ctx);
  binds();
  for (Time t = kT0; t < kT0 + std::chrono::seconds(60); t += std::chrono::milliseconds(100)) {
    link.on_timer(t, ctx);
    if (!binds().empty()) {
      gaps.push_back(t - last);
      last = t;
    }
  }
  ASSERT_GE(gaps.size(), 5u);
  EXPECT_EQ(gaps[0], std::chrono::seconds(1));
  EXPECT_EQ(gaps[1], std::chrono::seconds(2));
  EXPECT_EQ(gaps[2], std::chrono::seconds(4));
  EXPECT_EQ(gaps.back(), RelayLink::kMaxRetry);
}

TEST_F(RelayLinkTest, OnlyTheAnswerToTheLatestBindFromTheRelayCounts) {
  link.on_timer(kT0, ctx);
  link.on_timer(kT0 + std::chrono::seconds(1), ctx);  // sequence 2
  const auto pair = offer().ticket.pair_id;
  Endpoint elsewhere{Ipv4::from_octets(203, 0, 113, 9), 3478};
  EXPECT_EQ(link.on_bound(kT0, elsewhere, RelayBound{pair, 1, 2, RelayBindResult::kBound, true}),
            RelayLink::Answer::kIgnored);
  EXPECT_EQ(link.on_bound(kT0, kRelay, RelayBound{pair + 1, 1, 2, RelayBindResult::kBound, true}),
            RelayLink::Answer::kIgnored);
  EXPECT_EQ(link.on_bound(kT0, kRelay, RelayBound{pair, 1, 1, RelayBindResult::kBound, true}),
            RelayLink::Answer::kIgnored);  // an older bind's answer
  EXPECT_FALSE(link.bound());
  const Time answered = kT0 + std::chrono::seconds(1) + std::chrono::milliseconds(30);
  EXPECT_EQ(link.on_bound(answered, kRelay, RelayBound{pair, 1, 2, RelayBindResult::kBound, false}),
            RelayLink::Answer::kBound);
  EXPECT_TRUE(link.bound());
  ASSERT_TRUE(link.rtt());
  EXPECT_EQ(*link.rtt(), std::chrono::milliseconds(30));
  EXPECT_FALSE(link.next_deadline());  // no more binds
}

TEST_F(RelayLinkTest, AnsweredRebindsStayOnUdp) {
  // Every rebind (the refresh while direct, a silent relayed path) is answered:
  // only unanswered binds may move the link to TCP.
  ctx.server_relay = kRelay;  // the server's own relay: TCP would be the control connection
  const auto pair = offer().ticket.pair_id;
  Time t = kT0;
  for (std::uint64_t sequence = 1; sequence <= 5; ++sequence) {
    link.on_timer(t, ctx);
    ASSERT_EQ(binds().size(), 1u) << "bind " << sequence << " went over UDP";
    ASSERT_EQ(link.on_bound(t, kRelay, RelayBound{pair, 1, sequence, RelayBindResult::kBound, true}),
              RelayLink::Answer::kBound);
    t += std::chrono::seconds(60);
    link.rebind(t);
  }
  EXPECT_FALSE(link.over_tcp());
}

TEST_F(RelayLinkTest, ARefusalStopsTheBindsAndSaysWhy) {
  link.on_timer(kT0, ctx);
  binds();
  EXPECT_EQ(link.on_bound(kT0, kRelay, RelayBound{offer().ticket.pair_id, 1, 1, RelayBindResult::kExpired, false}),
            RelayLink::Answer::kRefused);
  EXPECT_EQ(link.refusal(), RelayBindResult::kExpired);
  link.on_timer(kT0 + std::chrono::minutes(5), ctx);
  EXPECT_TRUE(binds().empty());
}

TEST_F(RelayLinkTest, CarriesOnlyThePeersSideOfOurPairFromTheRelay) {
  const auto pair = offer().ticket.pair_id;
  EXPECT_TRUE(link.carries(kRelay, RelayData{pair, 0, {}}));
  EXPECT_FALSE(link.carries(kRelay, RelayData{pair, 1, {}}));  // our own side: a reflection
  EXPECT_FALSE(link.carries(kRelay, RelayData{pair + 1, 0, {}}));
  EXPECT_FALSE(link.carries(Endpoint{Ipv4::from_octets(203, 0, 113, 9), 3478}, RelayData{pair, 0, {}}));
}

// A separate relay (not the server's) with a TCP listener: behind blocked UDP the
// link binds over that listener; with working UDP it stays on UDP.
TEST_F(RelayLinkTest, BehindBlockedUdpASeparateRelayIsReachedOverItsTcpListener) {
  const Endpoint listener{kRelay.ip, 443};
  RelayOffer o = offer();
  o.stream = listener;
  std::vector<std::pair<Endpoint, Endpoint>> over_tcp;  // (listener, relay)
  ctx.send_to_relay_stream = [&](Endpoint stream, Endpoint relay, const Datagram& d) {
    EXPECT_TRUE(std::holds_alternative<RelayBind>(d));
    over_tcp.emplace_back(stream, relay);
  };
  ctx.udp_blocked = true;
  RelayLink blocked(o, kT0, kT0);
  blocked.on_timer(kT0, ctx);
  EXPECT_TRUE(binds().empty());  // nothing over UDP
  ASSERT_EQ(over_tcp.size(), 1u);
  EXPECT_EQ(over_tcp[0].first, listener);
  EXPECT_EQ(over_tcp[0].second, kRelay);
  EXPECT_TRUE(blocked.over_tcp());
  EXPECT_FALSE(blocked.via_server());

  ctx.udp_blocked = false;
  over_tcp.clear();
  RelayLink open(o, kT0, kT0);
  open.on_timer(kT0, ctx);
  EXPECT_EQ(binds().size(), 1u);
  EXPECT_TRUE(over_tcp.empty());
  // Two unanswered UDP binds: the listener is tried.
  open.on_timer(kT0 + std::chrono::seconds(1), ctx);
  open.on_timer(kT0 + std::chrono::seconds(3), ctx);
  EXPECT_EQ(binds().size(), 1u);
  EXPECT_EQ(over_tcp.size(), 1u);
}

TEST_F(RelayLinkTest, WithoutAListenerASeparateRelayStaysOnUdp) {
  ctx.udp_blocked = true;
  ctx.send_to_relay_stream = [](Endpoint, Endpoint, const Datagram&) { ADD_FAILURE() << "no listener to use"; };
  link.on_timer(kT0, ctx);
  EXPECT_EQ(binds().size(), 1u);
  EXPECT_FALSE(link.over_tcp());
}

}  // namespace
}  // namespace yt
