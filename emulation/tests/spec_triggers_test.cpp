// Events a run's state triggers (EventSpec::after), the ends it can wait for
// (ScenarioSpec::end_when, end_after_s), "@busiest" relay failures and what the
// engine reports about relays: the relay each pair's two sides last named, its
// history, fresh relayed evidence after a relay failure and each relay's
// forwarded datagrams; traffic on every tunnel of a network, its pauses, a roam.
#include <gtest/gtest.h>

#include <algorithm>

#include "emulation/spec_scenario.h"

namespace yt::emulation {
namespace {

// Three clients no pair of which can punch, two relays: relay "near" is the
// better for every pair.
ScenarioSpec relayed_trio() {
  ScenarioSpec s;
  s.duration_s = 60;
  s.server_delay_ms = 40;
  s.relays = {{"far", 20}, {"near", 3}};
  for (const char* name : {"a", "b", "c"}) s.sites.push_back(site_of_one(name, {named_nat("symmetric-random")}, 10));
  s.networks["net"] = {"a", "b", "c"};
  return s;
}

TEST(SpecTriggers, TheBusiestRelayFailsOnceEveryPairIsRelayedAndThePairsMoveOn) {
  ScenarioSpec s = relayed_trio();
  EventSpec fail;
  fail.action = "relay-down";
  fail.relay = "@busiest";
  fail.after = "all-relayed";
  fail.at_s = 0.5;  // half a second after every pair is relayed
  s.events = {fail};
  s.end_when = "all-relayed";
  auto ran = run_spec(s);
  ASSERT_TRUE(ran.ok()) << ran.error();
  const SpecResult& r = *ran;
  ASSERT_EQ(r.relays.size(), 3u);
  EXPECT_EQ(r.relays[0].name, "built-in");
  EXPECT_EQ(r.relays[2].name, "near");
  ASSERT_GT(r.relays[2].down_at_s, 0);
  EXPECT_LT(r.relays[1].down_at_s, 0);
  EXPECT_GT(r.relays[1].forwarded, 0u);  // the pairs' second choice carried them afterwards
  EXPECT_GT(r.relays[2].forwarded, 0u);
  ASSERT_EQ(r.event_times_s.size(), 1u);
  EXPECT_DOUBLE_EQ(r.event_times_s[0], r.relays[2].down_at_s);
  EXPECT_GT(r.settled_at_s, r.relays[2].down_at_s);
  EXPECT_DOUBLE_EQ(r.ended_at_s, r.settled_at_s);
  EXPECT_EQ(r.server.at("relay_repicks"), 3u);
  for (const SpecPair& p : r.pairs) {
    SCOPED_TRACE(p.a + "-" + p.b);
    EXPECT_EQ(p.outcome, "relayed");
    EXPECT_EQ(p.relay, "far");
    ASSERT_FALSE(p.relay_changes.empty());
    EXPECT_EQ(p.relay_changes.front().second, "near");
    EXPECT_LT(p.relay_changes.front().first, r.event_times_s[0]);
    EXPECT_EQ(p.relay_changes.back().second, "far");
    // First relayed before the failure; relayed again (fresh probes) after it.
    EXPECT_LT(p.relayed_at_s, r.event_times_s[0]);
    EXPECT_GT(p.relayed_since_s, r.event_times_s[0]);
  }
}

TEST(SpecTriggers, AConditionThatNeverHoldsTriggersNothing) {
  ScenarioSpec s = relayed_trio();
  s.duration_s = 8;
  s.networks.clear();
  s.networks["net"] = {"a"};  // no pairs: only the clients' logins matter
  EventSpec down;
  down.action = "relay-down";
  down.relay = "far";
  down.after = "all-online";
  down.at_s = 1;
  s.events = {down};
  auto ran = run_spec(s);
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_GT(ran->event_times_s[0], ran->clients[0].online_at_s);
  EXPECT_NEAR(ran->event_times_s[0] - ran->clients[0].online_at_s, 1.0, 0.06);
  EXPECT_GT(ran->relays[1].down_at_s, 0);

  // a's access link drops everything: never all online, so the event never happens.
  s.sites[0].loss = 1;
  ran = run_spec(s);
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_LT(ran->event_times_s[0], 0);
  EXPECT_LT(ran->relays[1].down_at_s, 0);
  EXPECT_LT(ran->settled_at_s, 0);
}

TEST(SpecTriggers, BadTriggersAreRefused) {
  auto refused = [](const std::string& text) {
    auto spec = spec_from_json(text);
    EXPECT_TRUE(spec.ok()) << spec.error();
    return check_spec(*spec).value_or("");
  };
  EXPECT_EQ(refused(R"({"sites": [{"name": "a", "hosts": ["x"]}], "events": [{"at_s": 1, "action": "server-down",
                        "duration_s": 1, "after": "sunrise"}]})"),
            "event 1 (server-down): unknown condition 'sunrise' (all-online, all-relayed, all-carrying)");
  EXPECT_EQ(refused(R"({"sites": [{"name": "a", "hosts": ["x"]}], "events": [{"at_s": 0, "action": "start",
                        "client": "x", "after": "all-online"}]})"),
            "event 1 (start): a start happens at a time, not after a condition");
  EXPECT_EQ(refused(R"({"sites": [{"name": "a", "hosts": ["x"]}], "end_when": "tomorrow"})"),
            "unknown end_when 'tomorrow' (all-online, all-relayed, all-carrying)");
  EXPECT_EQ(refused(R"({"sites": [{"name": "a", "hosts": ["x"]}], "relays": [{"name": "built-in"}]})"),
            "relay name 'built-in' is reserved (the server's relay, or a selector)");
  EXPECT_EQ(refused(R"({"sites": [{"name": "a", "hosts": ["x"]}], "events": [{"at_s": 1, "action": "relay-down",
                        "relay": "@busiest"}]})"),
            "");
  // Through JSON and back, a trigger and end_when stay what they were.
  ScenarioSpec s = relayed_trio();
  EventSpec fail;
  fail.action = "relay-down";
  fail.relay = "@busiest";
  fail.after = "all-relayed";
  s.events = {fail};
  s.end_when = "all-relayed";
  auto back = spec_from_json(scenario_to_json(s));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back->events.at(0).after, "all-relayed");
  EXPECT_EQ(back->events.at(0).relay, "@busiest");
  EXPECT_EQ(back->end_when, "all-relayed");
}

TEST(SpecTriggers, TrafficPausesARoamAndTheRunEndsAWhileAfterTheLastEvent) {
  ScenarioSpec s;
  s.duration_s = 60;
  s.sites = {site_of_one("a", {named_nat("full-cone")}, 10), site_of_one("b", {named_nat("port-restricted-cone")}, 20)};
  SiteSpec lte;  // nobody starts here: a's phone network
  lte.name = "lte";
  lte.nats = {named_nat("cgnat")};
  s.sites.push_back(lte);
  s.networks["net"] = {"a", "b"};
  EventSpec traffic;
  traffic.action = "traffic";
  traffic.network = "net";
  traffic.after = "all-online";
  EventSpec pause;
  pause.action = "pause-traffic";
  pause.network = "net";
  pause.duration_s = 3;
  pause.after = "all-carrying";
  pause.at_s = 1;
  EventSpec roam;
  roam.action = "roam";
  roam.client = "a";
  roam.site = "lte";
  roam.after = "all-carrying";
  roam.at_s = 6;
  s.events = {traffic, pause, roam};
  s.path_probes = false;  // the traffic proves the path
  s.check_interval_s = 0.1;
  s.end_after_s = 5;
  auto ran = run_spec(s);
  ASSERT_TRUE(ran.ok()) << ran.error();
  const SpecResult& r = *ran;
  const double paused = r.event_times_s[1], roamed = r.event_times_s[2];
  ASSERT_GT(paused, 0);
  // Both counted from the moment every tunnel carried, each at a check (0.1 s apart).
  EXPECT_NEAR(roamed - paused, 5, 0.11);
  EXPECT_NEAR(r.event_ends_s[1] - paused, 3, 1e-6);
  EXPECT_NEAR(r.ended_at_s, roamed + 5, 0.11);
  EXPECT_EQ(r.pairs.at(0).outcome, "direct");
  ASSERT_EQ(r.traffic.size(), 2u);
  EXPECT_EQ(r.traffic[0].from, "a");
  EXPECT_GT(r.traffic[0].offered_at.size(), 50u);
  // A whole second inside the pause offered nothing; seconds around it did.
  const auto quiet = static_cast<std::size_t>(paused) + 2;
  ASSERT_LT(quiet, r.timeline.size());
  EXPECT_EQ(r.timeline[quiet].offered, 0u);
  EXPECT_GT(r.timeline[quiet + 3].offered, 0u);
  // The roam made a new login, and a's traffic reached b again afterwards.
  EXPECT_GE(r.clients[0].syncs_at_s.size(), 2u);
  EXPECT_GT(r.clients[0].syncs_at_s.back(), roamed);
  const SpecTraffic& ab = r.traffic[0];
  EXPECT_TRUE(std::any_of(ab.arrived_at.begin(), ab.arrived_at.end(), [&](double t) { return t > roamed + 2; }));
  EXPECT_FALSE(r.server_logins.empty());
}

}  // namespace
}  // namespace yt::emulation
