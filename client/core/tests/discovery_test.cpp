// Discovery (discovery.h): probes, retries, the udp-blocked fallback and the report.
#include "client/core/discovery.h"

#include <gtest/gtest.h>

#include "client/core/tests/test_support.h"

namespace yt::test {
namespace {

const Endpoint kAlice{Ipv4::from_octets(192, 168, 1, 10), 40001};
const Endpoint kMapped{Ipv4::from_octets(203, 0, 113, 9), 61000};
const Ipv4 kVip = Ipv4::from_octets(25, 1, 2, 3);

struct DiscoveryTest : ::testing::Test {
  void SetUp() override {
    c.start(kT0);
    conn = handshake(c, server, kT0);
    c.data(kT0, conn, server.seal(ok_login(kVip, 4242)));
  }
  Identity server_id = make_server_identity();
  ScriptedServer server{server_id};
  Driven c{1, kAlice, server_id.public_key};
  ConnId conn = 0;
};

TEST_F(DiscoveryTest, ProbeCarriesTheTokenToThePrimaryEndpoint) {
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_EQ(probes[0].first, kDiscovery);
  EXPECT_EQ(probes[0].second.token, 4242u);
  EXPECT_FALSE(probes[0].second.change_ip);
  EXPECT_EQ(c.core->state(), ClientState::kDiscovering);
}

TEST_F(DiscoveryTest, ReplyGivesTheMappedEndpointAndReportsIt) {
  auto probe = c.sent<DiscoveryProbe>()[0].second;
  c.datagram(kT0 + 30ms, kDiscovery, encode_datagram(DiscoveryReply{probe.transaction, kMapped, kDiscovery}));
  auto done = c.events_of<DiscoveryDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].mapped_endpoint, kMapped);
  EXPECT_FALSE(done[0].udp_blocked);
  EXPECT_EQ(c.core->mapped_endpoint(), kMapped);
  EXPECT_EQ(c.core->state(), ClientState::kOnline);

  auto report = server.messages(c.take_stream(conn));
  ASSERT_EQ(report.size(), 1u);
  const auto& r = std::get<DiscoveryReport>(report[0]);
  EXPECT_EQ(r.mapped_endpoint, kMapped);
  EXPECT_TRUE(r.profile.behind_nat);  // mapped differs from our socket address
  EXPECT_FALSE(r.profile.udp_blocked);
  EXPECT_EQ(r.profile.public_ips, std::vector<Ipv4>{kMapped.ip});
}

TEST_F(DiscoveryTest, NotBehindNatWhenTheMappedEndpointIsOurOwn) {
  auto probe = c.sent<DiscoveryProbe>()[0].second;
  c.datagram(kT0, kDiscovery, encode_datagram(DiscoveryReply{probe.transaction, kAlice, kDiscovery}));
  auto report = server.messages(c.take_stream(conn));
  ASSERT_EQ(report.size(), 1u);
  EXPECT_FALSE(std::get<DiscoveryReport>(report[0]).profile.behind_nat);
}

TEST_F(DiscoveryTest, RetriesEveryHalfSecondThenDeclaresUdpBlockedAndStillGoesOnline) {
  std::vector<Time> fired = c.run_timers(kT0 + 10s);
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_EQ(probes.size(), 6u);  // discovery_attempts
  // Attempts at 0, 0.5, ..., 2.5 s; the verdict one retry interval after the last.
  auto done = c.events_of<DiscoveryDone>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0].udp_blocked);
  EXPECT_EQ(c.core->state(), ClientState::kOnline);
  EXPECT_EQ(c.core->mapped_endpoint(), std::nullopt);
  ASSERT_GE(fired.size(), 6u);
  for (int k = 0; k < 6; ++k) EXPECT_EQ(fired[k], kT0 + 500ms * (k + 1)) << k;
  // Each attempt has its own transaction.
  EXPECT_NE(probes[0].second.transaction, probes[1].second.transaction);

  auto report = server.messages(c.take_stream(conn));
  ASSERT_EQ(report.size(), 1u);
  EXPECT_TRUE(std::get<DiscoveryReport>(report[0]).profile.udp_blocked);
}

TEST_F(DiscoveryTest, ALateReplyToAnEarlierAttemptCounts) {
  c.run_timers(kT0 + 1s);  // two more attempts
  auto probes = c.sent<DiscoveryProbe>();
  ASSERT_EQ(probes.size(), 3u);
  c.datagram(kT0 + 1100ms, kDiscovery, encode_datagram(DiscoveryReply{probes[0].second.transaction, kMapped, kDiscovery}));
  ASSERT_EQ(c.events_of<DiscoveryDone>().size(), 1u);
  // The answers to the other attempts arrive too: ignored, not counted.
  c.datagram(kT0 + 1200ms, kDiscovery, encode_datagram(DiscoveryReply{probes[1].second.transaction, kMapped, kDiscovery}));
  EXPECT_EQ(c.events_of<DiscoveryDone>().size(), 1u);
  EXPECT_EQ(c.stats().malformed_datagrams, 0u);
}

TEST_F(DiscoveryTest, ReplyWithAnUnknownTransactionIsCountedAndIgnored) {
  auto probe = c.sent<DiscoveryProbe>()[0].second;
  c.datagram(kT0, kDiscovery, encode_datagram(DiscoveryReply{probe.transaction + 1, kMapped, kDiscovery}));
  EXPECT_TRUE(c.events_of<DiscoveryDone>().empty());
  EXPECT_EQ(c.stats().malformed_datagrams, 1u);
  EXPECT_EQ(c.core->state(), ClientState::kDiscovering);
}

TEST(BasicProfile, UdpBlockedKeepsTheCautiousDefaults) {
  NatProfile p = basic_profile(DiscoveryResult{Endpoint{}, true}, {kAlice});
  EXPECT_TRUE(p.udp_blocked);
  EXPECT_TRUE(p.behind_nat);
  EXPECT_TRUE(p.public_ips.empty());
}

}  // namespace
}  // namespace yt::test
