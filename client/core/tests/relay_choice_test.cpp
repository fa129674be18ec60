// The client's part in choosing a relay per pair: it measures the relays the
// server lists and reports them before it reports discovery (which makes it online
// and gets its pairs planned), so the very first plans use the measurements.
#include <gtest/gtest.h>

#include "client/core/relay_prober.h"
#include "client/core/tests/test_support.h"

namespace yt::test {
namespace {

const Endpoint kRelay{Ipv4::from_octets(192, 0, 2, 10), 3478};
const Endpoint kRelayTcp{Ipv4::from_octets(192, 0, 2, 10), 443};
const Ipv4 kVip = Ipv4::from_octets(25, 0, 0, 5);
const Endpoint kAddress{Ipv4::from_octets(203, 0, 113, 5), 40005};

struct RelayChoiceTest : ::testing::Test {
  Identity server_id = make_server_identity();
  ScriptedServer server{server_id};
  Driven c{1, kAddress, server_id.public_key};

  // Logged in, with the relay list received; discovery under way.
  ConnId log_in_with_relays() {
    c.start(kT0);
    ConnId conn = handshake(c, server, kT0);
    c.data(kT0, conn, server.seal(ok_login(kVip)));
    answer_tcp_mapping(c, kT0);
    c.data(kT0, conn, server.seal(RelayList{{RelayInfo{0, "built-in", {}, {}}, RelayInfo{1, "r", kRelay, kRelayTcp}}}));
    return conn;
  }
  // Messages the client sent, in order, by their names.
  std::vector<std::size_t> kinds(ConnId conn) {
    std::vector<std::size_t> out;
    for (const ControlMessage& m : server.messages(c.take_stream(conn))) out.push_back(m.index());
    return out;
  }
};

const std::size_t kReportIndex = ControlMessage(DiscoveryReport{}).index();
const std::size_t kRttsIndex = ControlMessage(RelayRtts{}).index();

TEST_F(RelayChoiceTest, TheDiscoveryReportWaitsForTheRelayRoundTrips) {
  ConnId conn = log_in_with_relays();
  auto echoes = c.sent<RelayEcho>();
  ASSERT_EQ(echoes.size(), 2u);  // one to each relay, at once; the built-in at the discovery endpoint
  // Discovery completes at once, before any echo came back: the report waits.
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_FALSE(probes.empty());
  c.datagram(kT0 + 5ms, kDiscovery, encode_datagram(DiscoveryReply{probes.back().second.transaction, kAddress, kDiscovery}));
  EXPECT_TRUE(kinds(conn).empty());
  EXPECT_NE(c.core->state(), ClientState::kOnline);
  // The echoes are answered (the relay in 4 ms, the server in 30 ms), the rest sent
  // and answered as they go out.
  Time now = kT0;
  for (int round = 0; round < RelayProber::kEchoes; ++round) {
    for (const auto& [to, echo] : c.sent<RelayEcho>()) {
      c.datagram(now + (to == kRelay ? 4ms : 30ms), to, encode_datagram(RelayEchoReply{echo.nonce}));
    }
    c.datagrams.clear();
    now += RelayProber::kEchoSpacing;
    c.run_timers(now);
  }
  c.run_timers(now + 100ms);
  auto sent = kinds(conn);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], kRttsIndex);    // first the round trips,
  EXPECT_EQ(sent[1], kReportIndex);  // then the report that gets pairs planned
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
}

TEST_F(RelayChoiceTest, ARelayThatNeverAnswersHoldsTheReportOneSecondAtMost) {
  ConnId conn = log_in_with_relays();
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_FALSE(probes.empty());
  c.datagram(kT0 + 5ms, kDiscovery, encode_datagram(DiscoveryReply{probes.back().second.transaction, kAddress, kDiscovery}));
  c.run_timers(kT0 + RelayProber::kRoundTime - 1ms);
  EXPECT_TRUE(kinds(conn).empty());
  c.run_timers(kT0 + RelayProber::kRoundTime);
  auto sent = kinds(conn);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], kRttsIndex);  // empty: nothing answered, nothing to pick from
  EXPECT_EQ(sent[1], kReportIndex);
}

}  // namespace
}  // namespace yt::test
