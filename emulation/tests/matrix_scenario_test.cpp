// The nat-matrix attempt, end to end in ns-3: the outcome must come from the path
// the data took through the modeled NATs, and the strategies must differ exactly
// where theory says they should.
#include "emulation/matrix_scenario.h"

#include <gtest/gtest.h>

namespace yt::emulation {
namespace {

AttemptRecord attempt(const std::string& a, const std::string& b, const std::string& strategy,
                      std::uint64_t seed = 1, const std::string& relay_mode = "first") {
  AttemptSpec spec;
  spec.profile_a = a;
  spec.profile_b = b;
  spec.strategy = strategy;
  spec.seed = seed;
  spec.relay_mode = relay_mode;
  return run_attempt(spec);
}

TEST(MatrixScenario, ConesMeetDirectlyWithEitherStrategy) {
  for (const char* strategy : {"naive", "current"}) {
    AttemptRecord r = attempt("port-restricted-cone", "full-cone", strategy);
    EXPECT_EQ(r.outcome, AttemptOutcome::kDirect) << strategy << ": " << r.failure;
    ASSERT_TRUE(r.time_to_direct_ms.has_value());
    EXPECT_GT(*r.time_to_direct_ms, 0.0);
    EXPECT_GT(r.simulator_events, 0u);
  }
}

TEST(MatrixScenario, PortPredictionOpensSequentialSymmetricAgainstPortRestricted) {
  // Naive: the symmetric side's new mapping is not the one the server saw, and the
  // port-restricted side only opened its filter for that old one.
  // It is still connected, through the server's relay.
  AttemptRecord naive = attempt("symmetric-sequential", "port-restricted-cone", "naive");
  EXPECT_EQ(naive.outcome, AttemptOutcome::kRelayed);
  EXPECT_FALSE(naive.time_to_direct_ms.has_value());
  EXPECT_TRUE(naive.time_to_first_packet_ms.has_value());
  AttemptRecord current = attempt("symmetric-sequential", "port-restricted-cone", "current");
  EXPECT_EQ(current.outcome, AttemptOutcome::kDirect) << current.failure;
}

TEST(MatrixScenario, TwoSequentialSymmetricNatsLineUpTheirPredictions) {
  EXPECT_EQ(attempt("symmetric-sequential", "symmetric-sequential", "naive").outcome, AttemptOutcome::kRelayed);
  AttemptRecord current = attempt("symmetric-sequential", "symmetric-sequential", "current", 2);
  EXPECT_EQ(current.outcome, AttemptOutcome::kDirect) << current.failure;
}

TEST(MatrixScenario, TwoRandomSymmetricNatsAreRelayedEitherWay) {
  for (const char* strategy : {"naive", "current"}) {
    AttemptRecord r = attempt("symmetric-random", "symmetric-random", strategy);
    EXPECT_EQ(r.outcome, AttemptOutcome::kRelayed) << strategy << ": " << r.failure;
    // Relay-first: bind and handshake through the relay take a few round trips
    // over the 20 ms access links, not a punch window.
    ASSERT_TRUE(r.time_to_first_packet_ms.has_value());
    EXPECT_LT(*r.time_to_first_packet_ms, 1000.0);
  }
}

TEST(MatrixScenario, RelayFirstCarriesTrafficBeforeThePunchSucceeds) {
  // The current strategy starts punching after its lead (and a receptive side one
  // second later); the relay carries the pair before that.
  AttemptRecord r = attempt("port-restricted-cone", "port-restricted-cone", "current");
  ASSERT_EQ(r.outcome, AttemptOutcome::kDirect) << r.failure;
  ASSERT_TRUE(r.time_to_first_packet_ms && r.time_to_direct_ms);
  EXPECT_LT(*r.time_to_first_packet_ms, *r.time_to_direct_ms);
}

TEST(MatrixScenario, RelayLastSparesTheRelayAndCostsAPunchWindow) {
  AttemptRecord direct = attempt("port-restricted-cone", "port-restricted-cone", "current", 1, "last");
  ASSERT_EQ(direct.outcome, AttemptOutcome::kDirect) << direct.failure;
  EXPECT_EQ(direct.relay_packets, 0u);  // never touched the relay
  AttemptRecord relayed = attempt("symmetric-random", "symmetric-random", "current", 1, "last");
  ASSERT_EQ(relayed.outcome, AttemptOutcome::kRelayed) << relayed.failure;
  ASSERT_TRUE(relayed.time_to_first_packet_ms.has_value());
  EXPECT_GT(*relayed.time_to_first_packet_ms, 10000.0);  // after the 10 s punch window
  EXPECT_GT(relayed.relay_packets, 0u);
  // Relay-first, for comparison: a path at once, and a few relayed packets.
  AttemptRecord first = attempt("symmetric-random", "symmetric-random", "current");
  ASSERT_TRUE(first.time_to_first_packet_ms.has_value());
  EXPECT_LT(*first.time_to_first_packet_ms, 1000.0);
}

TEST(MatrixScenario, BlockedPeerUdpIsNeverCountedDirectButTheRelayCarriesIt) {
  AttemptSpec spec;
  spec.profile_a = "full-cone";
  spec.profile_b = "full-cone";
  spec.strategy = "current";
  spec.fault = "block-peer-udp";
  AttemptRecord r = run_attempt(spec);
  EXPECT_EQ(r.outcome, AttemptOutcome::kRelayed);  // the fault spares traffic to the server, its relay included
  EXPECT_FALSE(r.time_to_direct_ms.has_value());
}

// TCP where UDP fails: the relayed outcome of that first plan makes the server
// plan the pair's retry with a TCP punch beside UDP (two endpoint-independent
// NATs), and the pair goes direct over TCP.
TEST(MatrixScenario, BlockedPeerUdpGoesDirectOverTcpOnTheRetry) {
  AttemptSpec spec;
  spec.profile_a = "port-restricted-cone";
  spec.profile_b = "linux-masquerade";
  spec.strategy = "current";
  spec.fault = "block-peer-udp";
  spec.time_limit = std::chrono::seconds(90);
  AttemptRecord r = run_attempt(spec);
  EXPECT_EQ(r.outcome, AttemptOutcome::kDirect);
  ASSERT_TRUE(r.time_to_direct_ms.has_value());
  EXPECT_GT(*r.time_to_direct_ms, 30000.0);  // after the first window and the 30 s retry wait
  spec.disable = {"tcp"};
  EXPECT_EQ(run_attempt(spec).outcome, AttemptOutcome::kRelayed);
}

// Loss makes TCP drop and reopen control connections while the server or client
// is inside a socket callback; the drivers once destroyed the connection (and so
// the running callback) under itself and crashed within five seeds.
TEST(MatrixScenario, LossyLinksNeitherCrashTheDriversNorHideDirectPaths) {
  int direct = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    for (const char* strategy : {"naive", "current"}) {
      AttemptSpec spec;
      spec.profile_a = "full-cone";
      spec.profile_b = "full-cone";
      spec.strategy = strategy;
      spec.seed = seed;
      spec.loss_rate = 0.05;
      AttemptRecord r = run_attempt(spec);
      direct += r.outcome == AttemptOutcome::kDirect;
    }
  }
  // A cone pair is direct whenever login gets through: a lost data probe is sent
  // again rather than read as no path (it once cost a third of these attempts).
  EXPECT_GE(direct, 9);
}

// Birthday probing: a random-port symmetric NAT against port-restricted cones
// (plain, Linux's conntrack, and one behind a carrier-grade NAT) goes direct in
// about 98% of attempts (1 - (1 - 256/64512)^1024), within seconds; without it, or
// with the naive strategy, it is relayed.
TEST(MatrixScenario, BirthdayProbingTakesRandomSymmetricDirectAgainstEndpointIndependentNats) {
  int direct = 0, attempts = 0;
  for (const char* easy : {"port-restricted-cone", "linux-masquerade", "home-behind-cgnat"}) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
      AttemptRecord r = attempt(seed % 2 ? "symmetric-random" : easy, seed % 2 ? easy : "symmetric-random", "current",
                                seed);
      ++attempts;
      if (r.outcome == AttemptOutcome::kDirect) {
        ++direct;
        ASSERT_TRUE(r.time_to_direct_ms.has_value());
        EXPECT_LT(*r.time_to_direct_ms, 10000.0);  // inside one punch window
      }
    }
  }
  EXPECT_GE(direct, attempts - 1);

  AttemptSpec without;
  without.profile_a = "symmetric-random";
  without.profile_b = "linux-masquerade";
  without.strategy = "current";
  without.disable = {"birthday"};
  EXPECT_EQ(run_attempt(without).outcome, AttemptOutcome::kRelayed);
  EXPECT_EQ(attempt("symmetric-random", "linux-masquerade", "naive").outcome, AttemptOutcome::kRelayed);
  // The opening side's datagrams must die before the peer's NAT: Linux conntrack
  // would hold their tuples and move the matching probe to another port.
  without.disable = {"prepunch"};
  EXPECT_EQ(run_attempt(without).outcome, AttemptOutcome::kRelayed);
  without.profile_b = "port-restricted-cone";  // no conntrack: the TTL does not matter
  EXPECT_EQ(run_attempt(without).outcome, AttemptOutcome::kDirect);
}

// An attempt is an ordinary scenario: written out as JSON (what `yellowtail-sim
// scenario` reads), it runs to the same outcome.
TEST(MatrixScenario, AnAttemptIsAScenarioThatRunsTheSameFromItsJson) {
  AttemptSpec spec;
  spec.profile_a = "symmetric-sequential";
  spec.profile_b = "port-restricted-cone";
  spec.strategy = "current";
  const ScenarioSpec scenario = attempt_scenario(spec);
  ASSERT_EQ(scenario.sites.size(), 2u);
  EXPECT_EQ(scenario.sites[0].nats.at(0).profile, "symmetric-sequential");
  EXPECT_EQ(scenario.time_limit_s.value_or(0), 15);

  SpecResult first = *run_spec(scenario);
  auto reread = spec_from_json(scenario_to_json(scenario));
  ASSERT_TRUE(reread.ok()) << reread.error();
  SpecResult again = *run_spec(*reread);
  ASSERT_EQ(again.pairs.size(), 1u);
  EXPECT_EQ(again.pairs[0].outcome, "direct");
  EXPECT_EQ(again.pairs[0].time_to_direct_ms, first.pairs[0].time_to_direct_ms);
  EXPECT_EQ(run_attempt(spec).time_to_direct_ms, first.pairs[0].time_to_direct_ms);
}

}  // namespace
}  // namespace yt::emulation
