// The relay core on a manual clock: admission by ticket, forwarding between the two
// bound sides over UDP and streams, limits, and every refusal counted.
#include "server/relay/relay_core.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

const Endpoint kAlice{Ipv4::from_octets(203, 0, 113, 1), 40000};
const Endpoint kBob{Ipv4::from_octets(198, 51, 100, 2), 50000};
const Endpoint kMallory{Ipv4::from_octets(192, 0, 2, 66), 6666};
constexpr std::uint64_t kPair = 0x1122334455667788ULL;

TicketKeyring ring(std::uint32_t id, std::uint8_t fill) {
  TicketKeyring r;
  r.id = id;
  r.key.fill(fill);
  return r;
}

RelayBind bind_for(const RelayTicket& t, std::uint64_t sequence) {
  return RelayBind{t.key_id, t.pair_id, t.side, sequence, bind_mac(t.bind_secret, t.pair_id, t.side, sequence)};
}

class RelayCoreTest : public ::testing::Test {
 protected:
  RelayCoreTest() { relay.set_ticket_keys(keys, std::nullopt); }

  void udp(Endpoint from, const Datagram& d) { relay.on_datagram(now, from, encode_datagram(d)); }
  // Datagrams the relay sent, decoded, with their destination.
  std::vector<std::pair<Endpoint, Datagram>> sent() {
    std::vector<std::pair<Endpoint, Datagram>> out;
    for (auto& o : relay.drain_outputs()) {
      if (auto* d = std::get_if<SendDatagram>(&o)) out.emplace_back(d->to, decode_datagram(d->payload).value());
    }
    return out;
  }
  RelayBound bound_reply() {
    auto s = sent();
    EXPECT_EQ(s.size(), 1u);
    return s.empty() ? RelayBound{} : std::get<RelayBound>(s[0].second);
  }
  void bind_both() {
    udp(kAlice, bind_for(alice, 1));
    EXPECT_EQ(bound_reply().result, RelayBindResult::kBound);
    udp(kBob, bind_for(bob, 1));
    RelayBound b = bound_reply();
    EXPECT_EQ(b.result, RelayBindResult::kBound);
    EXPECT_TRUE(b.peer_bound);
  }

  TicketKeyring keys = ring(5, 0x42);
  RelayTicket alice = issue_ticket(keys, kPair, 0);
  RelayTicket bob = issue_ticket(keys, kPair, 1);
  RelayCore relay;
  Time now = time_from_us(1'000'000);
};

TEST_F(RelayCoreTest, ForwardsCiphertextUnchangedBetweenTheTwoBoundSides) {
  bind_both();
  udp(kAlice, RelayData{kPair, 0, {0xde, 0xad}});
  auto s = sent();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, kBob);
  const auto& data = std::get<RelayData>(s[0].second);
  EXPECT_EQ(data.payload, (Bytes{0xde, 0xad}));
  EXPECT_EQ(data.side, 0);
  udp(kBob, RelayData{kPair, 1, {0xbe, 0xef}});
  s = sent();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, kAlice);
  EXPECT_EQ(relay.stats().forwarded_packets, 2u);
  EXPECT_EQ(relay.stats().forwarded_bytes, 4u);
}

TEST_F(RelayCoreTest, NeverAnOpenRelay) {
  // No bind: nothing is forwarded.
  udp(kAlice, RelayData{kPair, 0, {1}});
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(relay.stats().dropped_unknown_pair, 1u);
  // A forged mac, a ticket under a key we never had, garbage.
  RelayBind forged = bind_for(alice, 1);
  forged.mac[0] ^= 1;
  udp(kMallory, forged);
  EXPECT_EQ(bound_reply().result, RelayBindResult::kUnknownTicket);
  udp(kMallory, bind_for(issue_ticket(ring(9, 0x13), kPair, 0), 1));
  EXPECT_EQ(bound_reply().result, RelayBindResult::kUnknownTicket);
  relay.on_datagram(now, kMallory, Bytes{0x01, 0x09, 0xff});
  relay.on_datagram(now, kMallory, encode_datagram(PunchProbe{1, 2}));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(relay.stats().binds_unknown_ticket, 2u);
  EXPECT_EQ(relay.stats().dropped_malformed, 2u);
  EXPECT_EQ(relay.pairs(), 0u);
}

TEST_F(RelayCoreTest, ATicketForOneSideDoesNotBindTheOther) {
  RelayBind wrong_side = bind_for(alice, 1);
  wrong_side.side = 1;  // alice's secret, bob's side
  udp(kMallory, wrong_side);
  EXPECT_EQ(bound_reply().result, RelayBindResult::kUnknownTicket);
  RelayBind other_pair = bind_for(alice, 1);
  other_pair.pair_id = kPair + 1;  // a ticket for another pair
  udp(kMallory, other_pair);
  EXPECT_EQ(bound_reply().result, RelayBindResult::kUnknownTicket);
}

TEST_F(RelayCoreTest, OnlyTheBoundAddressMaySendForItsSide) {
  bind_both();
  udp(kMallory, RelayData{kPair, 0, {1}});  // spoofing alice's side from elsewhere
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(relay.stats().dropped_not_bound, 1u);
}

TEST_F(RelayCoreTest, AReplayedBindCannotMoveASide) {
  bind_both();
  udp(kMallory, bind_for(alice, 1));  // captured and replayed from another address
  EXPECT_EQ(bound_reply().result, RelayBindResult::kReplayed);
  udp(kAlice, RelayData{kPair, 0, {7}});
  EXPECT_EQ(sent().size(), 1u);  // alice still bound where she was
  // Alice's NAT rebinds: a fresh bind from the new address moves her side.
  Endpoint moved{kAlice.ip, 40001};
  udp(moved, bind_for(alice, 2));
  EXPECT_EQ(bound_reply().result, RelayBindResult::kBound);
  udp(kBob, RelayData{kPair, 1, {8}});
  auto s = sent();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, moved);
}

TEST_F(RelayCoreTest, TicketsExpireWithTheKeyRotation) {
  TicketKeyring next = ring(6, 0x43), after = ring(7, 0x44);
  relay.set_ticket_keys(next, keys);  // one rotation: the old key still works
  udp(kAlice, bind_for(alice, 1));
  EXPECT_EQ(bound_reply().result, RelayBindResult::kBound);
  relay.set_ticket_keys(after, next);  // two: it is retired
  udp(kBob, bind_for(bob, 1));
  EXPECT_EQ(bound_reply().result, RelayBindResult::kExpired);
  EXPECT_EQ(relay.stats().binds_expired, 1u);
}

TEST_F(RelayCoreTest, DataWaitsForNobodyUntilThePeerBinds) {
  udp(kAlice, bind_for(alice, 1));
  RelayBound b = bound_reply();
  EXPECT_FALSE(b.peer_bound);
  udp(kAlice, RelayData{kPair, 0, {1}});
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(relay.stats().dropped_peer_not_bound, 1u);
}

TEST_F(RelayCoreTest, OneSideOnUdpTheOtherOnAStream) {
  udp(kAlice, bind_for(alice, 1));
  sent();
  relay.on_stream_accepted(now, 77, kBob);
  Bytes frame = *frame_for_stream(encode_datagram(bind_for(bob, 1)));
  // Split across two segments, as TCP may deliver it.
  relay.on_stream_data(now, 77, ByteView(frame.data(), 3));
  relay.on_stream_data(now, 77, ByteView(frame.data() + 3, frame.size() - 3));
  auto outputs = relay.drain_outputs();
  ASSERT_EQ(outputs.size(), 1u);
  ASSERT_TRUE(std::holds_alternative<SendStream>(outputs[0]));  // the answer goes back on the stream
  EXPECT_EQ(std::get<SendStream>(outputs[0]).conn, 77u);

  udp(kAlice, RelayData{kPair, 0, {0xaa}});
  outputs = relay.drain_outputs();
  ASSERT_EQ(outputs.size(), 1u);
  auto& stream = std::get<SendStream>(outputs[0]);
  // A slow reader may lose relayed frames (whole), never grow the relay's memory.
  EXPECT_TRUE(stream.droppable);
  StreamFramer framer;
  framer.push(stream.data);
  auto got = decode_datagram(*framer.next());
  ASSERT_TRUE(got);
  EXPECT_EQ(std::get<RelayData>(*got).payload, Bytes{0xaa});

  Bytes back = *frame_for_stream(encode_datagram(RelayData{kPair, 1, {0xbb}}));
  relay.on_stream_data(now, 77, back);
  auto s = sent();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, kAlice);

  // The stream goes: bob's side is unreachable until he binds again.
  relay.on_stream_closed(now, 77);
  udp(kAlice, RelayData{kPair, 0, {0xcc}});
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(relay.stats().dropped_peer_not_bound, 1u);
}

TEST_F(RelayCoreTest, OneSideOnUdpTheOtherOnAChannelAndAChannelIsNotAStream) {
  udp(kAlice, bind_for(alice, 1));
  sent();
  relay.on_channel_datagram(now, 77, kBob, encode_datagram(bind_for(bob, 1)));
  auto outputs = relay.drain_outputs();
  ASSERT_EQ(outputs.size(), 1u);
  auto* answer = std::get_if<SendOnChannel>(&outputs[0]);  // back on the channel, unframed
  ASSERT_NE(answer, nullptr);
  EXPECT_EQ(answer->channel, 77u);
  EXPECT_EQ(std::get<RelayBound>(decode_datagram(answer->datagram).value()).result, RelayBindResult::kBound);

  udp(kAlice, RelayData{kPair, 0, {0xaa}});
  outputs = relay.drain_outputs();
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(std::get<RelayData>(decode_datagram(std::get<SendOnChannel>(outputs[0]).datagram).value()).payload,
            Bytes{0xaa});
  relay.on_channel_datagram(now, 77, kBob, encode_datagram(RelayData{kPair, 1, {0xbb}}));
  auto s = sent();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, kAlice);

  // Stream 77 is another connection: closing it leaves the channel's side bound.
  relay.on_stream_closed(now, 77);
  udp(kAlice, RelayData{kPair, 0, {0xcc}});
  EXPECT_EQ(relay.drain_outputs().size(), 1u);
  // Data claiming bob's side from a stream with his channel's id is not his.
  relay.on_stream_accepted(now, 77, kBob);
  relay.on_stream_data(now, 77, *frame_for_stream(encode_datagram(RelayData{kPair, 1, {0xdd}})));
  EXPECT_TRUE(sent().empty());
  EXPECT_EQ(relay.stats().dropped_not_bound, 1u);
  // The channel goes: bob's side is unreachable until he binds again.
  relay.on_channel_closed(now, 77);
  udp(kAlice, RelayData{kPair, 0, {0xee}});
  EXPECT_TRUE(relay.drain_outputs().empty());
  EXPECT_EQ(relay.stats().dropped_peer_not_bound, 1u);
}

TEST_F(RelayCoreTest, AStreamThatBreaksTheFramingIsClosed) {
  relay.on_stream_accepted(now, 9, kMallory);
  relay.on_stream_data(now, 9, Bytes{0x00, 0x00});  // a zero-length frame
  auto outputs = relay.drain_outputs();
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(std::get<CloseStream>(outputs[0]).conn, 9u);
}

TEST_F(RelayCoreTest, RateAndByteBudgetsBoundOneSender) {
  RelayConfig config;
  config.packets_per_second_per_side = 10;
  config.packet_burst_per_side = 10;
  config.bytes_per_second_per_pair = 1e9;
  config.byte_burst_per_pair = 1e9;
  relay = RelayCore(config);
  relay.set_ticket_keys(keys, std::nullopt);
  bind_both();
  for (int i = 0; i < 100; ++i) udp(kAlice, RelayData{kPair, 0, {1}});
  EXPECT_EQ(sent().size(), 10u);
  EXPECT_EQ(relay.stats().dropped_rate_limited, 90u);
  // Bob's direction has its own bucket.
  udp(kBob, RelayData{kPair, 1, {2}});
  EXPECT_EQ(sent().size(), 1u);

  config = RelayConfig{};
  config.bytes_per_second_per_pair = 1000;
  config.byte_burst_per_pair = 1000;
  relay = RelayCore(config);
  relay.set_ticket_keys(keys, std::nullopt);
  bind_both();
  for (int i = 0; i < 5; ++i) udp(kAlice, RelayData{kPair, 0, Bytes(400, 1)});
  EXPECT_EQ(sent().size(), 2u);
  EXPECT_EQ(relay.stats().dropped_over_budget, 3u);
  udp(kAlice, RelayData{kPair, 0, Bytes(1501, 1)});
  EXPECT_EQ(relay.stats().dropped_too_large, 1u);
}

TEST_F(RelayCoreTest, AFloodOfForgedBindsIsCutOffPerAddress) {
  RelayBind forged = bind_for(alice, 1);
  forged.mac[0] ^= 1;
  for (int i = 0; i < 1000; ++i) udp(kMallory, forged);
  EXPECT_EQ(relay.stats().binds_unknown_ticket, 500u);  // the burst, then nothing
  EXPECT_EQ(relay.stats().binds_rate_limited, 500u);
  sent();
  udp(kAlice, bind_for(alice, 1));  // another address is served
  EXPECT_EQ(bound_reply().result, RelayBindResult::kBound);
}

TEST_F(RelayCoreTest, EchoesAreAnsweredSameSizeAndRateLimitedPerAddress) {
  udp(kAlice, RelayEcho{77});
  auto s = sent();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].first, kAlice);
  EXPECT_EQ(std::get<RelayEchoReply>(s[0].second).nonce, 77u);
  EXPECT_EQ(encode_datagram(s[0].second).size(), encode_datagram(RelayEcho{77}).size());  // no amplification
  for (int i = 0; i < 1000; ++i) udp(kMallory, RelayEcho{static_cast<std::uint64_t>(i)});
  EXPECT_EQ(sent().size(), 500u);  // the burst, then nothing
  EXPECT_EQ(relay.stats().echoes_answered, 501u);
  EXPECT_EQ(relay.stats().echoes_rate_limited, 500u);
  // The flood spent Mallory's budget for binds too, nobody else's.
  udp(kMallory, bind_for(alice, 1));
  EXPECT_EQ(relay.stats().binds_rate_limited, 1u);
  udp(kAlice, bind_for(alice, 1));
  EXPECT_EQ(bound_reply().result, RelayBindResult::kBound);
}

// An office NAT with 5,000 direct tunnels, each re-binding once a minute to keep
// its relay ready: all within the per-address budget.
TEST_F(RelayCoreTest, FiveThousandTunnelsBehindOneAddressRefreshWithinTheBudget) {
  for (std::uint64_t i = 0; i < 5000; ++i) {
    now += std::chrono::milliseconds(12);  // 5,000 in a minute
    const RelayTicket t = issue_ticket(keys, 1000 + i, 0);
    udp(Endpoint{kAlice.ip, static_cast<std::uint16_t>(1024 + i)}, bind_for(t, 1));
  }
  EXPECT_EQ(relay.stats().binds_rate_limited, 0u);
  EXPECT_EQ(relay.stats().binds_accepted, 5000u);
}

TEST_F(RelayCoreTest, IdlePairsAreForgottenAndAFullRelaySaysSo) {
  RelayConfig config;
  config.max_pairs = 1;
  relay = RelayCore(config);
  relay.set_ticket_keys(keys, std::nullopt);
  bind_both();
  udp(kMallory, bind_for(issue_ticket(keys, kPair + 1, 0), 1));
  EXPECT_EQ(bound_reply().result, RelayBindResult::kFull);
  ASSERT_TRUE(relay.next_deadline());
  EXPECT_EQ(*relay.next_deadline(), now + config.pair_idle_timeout);
  relay.on_timer(*relay.next_deadline());
  EXPECT_EQ(relay.pairs(), 0u);
  EXPECT_EQ(relay.stats().pairs_expired, 1u);
  EXPECT_FALSE(relay.next_deadline());
}

}  // namespace
}  // namespace yt
