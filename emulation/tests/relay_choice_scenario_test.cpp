// Relay choice in the testbed: every pair is relayed (random-port NATs on both
// sides), through the relay with the lowest latency for it, measured by the
// clients themselves; when that relay fails its pairs move to the next best. The
// relays are listed out of order of distance, so a planner that took the first
// (or the last) registered relay would fail.
#include <gtest/gtest.h>

#include "emulation/relay_choice_scenario.h"
#include "emulation/spec_scenario.h"

namespace yt::emulation {
namespace {

RelayChoiceOptions shuffled_relays() {
  RelayChoiceOptions o;
  o.relay_delays = {20ms, 4ms, 12ms};  // relay-2 is best, then relay-3
  o.client_delays = {10ms, 25ms, 40ms};
  return o;
}

TEST(RelayChoiceScenario, EachPairGetsTheClosestRelayAndMovesToTheNextWhenItFails) {
  for (std::uint64_t seed : {1, 2}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RelayChoiceOptions o = shuffled_relays();
    o.seed = seed;
    auto ran = run_relay_choice(o);
    ASSERT_TRUE(ran.ok()) << ran.error();
    const RelayChoiceResult& r = *ran;
    ASSERT_TRUE(r.all_online);
    ASSERT_EQ(r.pairs.size(), 3u);
    for (const RelayChoicePair& p : r.pairs) {
      SCOPED_TRACE(p.a + "-" + p.b);
      EXPECT_FALSE(p.direct);
      EXPECT_TRUE(p.before.relayed);
      EXPECT_EQ(p.before.relay, "relay-2");
      EXPECT_DOUBLE_EQ(p.before.stretch, 1.0);
      ASSERT_TRUE(p.after);
      EXPECT_TRUE(p.after->relayed);
      EXPECT_EQ(p.after->relay, "relay-3");
      EXPECT_DOUBLE_EQ(p.after->stretch, 1.0);
    }
    EXPECT_GT(r.failed_at_s, 0);
    EXPECT_GT(r.moved_after_s, 0);
    EXPECT_LT(r.moved_after_s, 5.0);  // planned again at once when its control connection ends
    EXPECT_EQ(r.repicks, 3u);
    // The datagrams really went through the relays the table names.
    ASSERT_EQ(r.relays.size(), 4u);
    EXPECT_EQ(r.relays[0].name, "built-in");
    EXPECT_TRUE(r.relays[2].failed);
    EXPECT_GT(r.relays[2].forwarded, 0u);
    EXPECT_GT(r.relays[3].forwarded, 0u);
    EXPECT_EQ(r.relays[1].forwarded, 0u);
  }
}

TEST(RelayChoiceScenario, TheServersOwnRelayWinsWhenItIsClosest) {
  RelayChoiceOptions o = shuffled_relays();
  o.server_delay = 1ms;
  auto ran = run_relay_choice(o);
  ASSERT_TRUE(ran.ok()) << ran.error();
  for (const RelayChoicePair& p : ran->pairs) {
    EXPECT_EQ(p.before.relay, "built-in");
    EXPECT_DOUBLE_EQ(p.before.stretch, 1.0);
    EXPECT_FALSE(p.after);  // no separate relay carried a pair: none is failed
  }
  EXPECT_EQ(ran->failed_at_s, 0);
}

TEST(RelayChoiceScenario, BadOptionsAreClearErrors) {
  RelayChoiceOptions o;
  o.client_nat = "no-such-nat";
  EXPECT_NE(check_relay_choice_options(o)->find("unknown NAT profile"), std::string::npos);
  o = RelayChoiceOptions{};
  o.relay_delays.clear();
  EXPECT_TRUE(check_relay_choice_options(o));
  o = RelayChoiceOptions{};
  o.client_delays = {10ms};
  EXPECT_TRUE(check_relay_choice_options(o));
  EXPECT_FALSE(run_relay_choice(o).ok());
}

// The built-in run is a description like any other: saved as JSON, read back and
// run by the engine, it gives what run_relay_choice reports.
TEST(RelayChoiceScenario, IsAScenarioDescriptionThatRunsTheSameFromJson) {
  RelayChoiceOptions o = shuffled_relays();
  const ScenarioSpec spec = relay_choice_scenario(o);
  ASSERT_EQ(spec.relays.size(), 3u);
  EXPECT_EQ(spec.relays[1].name, "relay-2");
  EXPECT_DOUBLE_EQ(spec.relays[1].delay_ms, 4);
  ASSERT_EQ(spec.sites.size(), 3u);
  EXPECT_EQ(spec.sites[2].hosts, std::vector<std::string>{"client-3"});
  EXPECT_EQ(spec.sites[2].nats.at(0).profile, "symmetric-random");
  ASSERT_EQ(spec.events.size(), 4u);  // three starts and the failure
  EXPECT_EQ(spec.events.back().action, "relay-down");
  EXPECT_EQ(spec.events.back().relay, "@busiest");
  EXPECT_EQ(spec.events.back().after, "all-relayed");
  EXPECT_EQ(spec.end_when, "all-relayed");

  auto parsed = spec_from_json(scenario_to_json(spec));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  auto ran = run_spec(*parsed);
  ASSERT_TRUE(ran.ok()) << ran.error();
  const RelayChoiceResult described = relay_choice_result(*ran);
  auto built_in = run_relay_choice(o);
  ASSERT_TRUE(built_in.ok()) << built_in.error();
  ASSERT_EQ(described.pairs.size(), built_in->pairs.size());
  for (std::size_t k = 0; k < described.pairs.size(); ++k) {
    const RelayChoicePair& d = described.pairs[k];
    const RelayChoicePair& b = built_in->pairs[k];
    SCOPED_TRACE(d.a + "-" + d.b);
    EXPECT_EQ(d.before.relay, b.before.relay);
    EXPECT_EQ(d.before.relay, "relay-2");
    EXPECT_DOUBLE_EQ(d.before.latency_ms, b.before.latency_ms);
    ASSERT_TRUE(d.after && b.after);
    EXPECT_EQ(d.after->relay, "relay-3");
    EXPECT_EQ(d.after->relay, b.after->relay);
    EXPECT_DOUBLE_EQ(d.after->stretch, b.after->stretch);
  }
  EXPECT_DOUBLE_EQ(described.failed_at_s, built_in->failed_at_s);
  EXPECT_DOUBLE_EQ(described.moved_after_s, built_in->moved_after_s);
  EXPECT_EQ(described.repicks, built_in->repicks);
  ASSERT_EQ(described.relays.size(), built_in->relays.size());
  for (std::size_t k = 0; k < described.relays.size(); ++k) {
    EXPECT_EQ(described.relays[k].forwarded, built_in->relays[k].forwarded);
    EXPECT_EQ(described.relays[k].failed, built_in->relays[k].failed);
  }
  // The generic figures say the same: every pair ends on relay-3, and the run
  // ended when they all were relayed through it.
  for (const SpecPair& p : ran->pairs) EXPECT_EQ(p.relay, "relay-3");
  EXPECT_DOUBLE_EQ(ran->settled_at_s - ran->event_times_s.back(), built_in->moved_after_s);
}

}  // namespace
}  // namespace yt::emulation
