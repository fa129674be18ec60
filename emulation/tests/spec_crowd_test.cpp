// The scenario engine at scale (emulation/spec_scenario.h): a crowd drawn from a
// NAT mix in the "regions" topology, control connections spread over several
// server nodes, churn that takes clients away and brings them back, and the
// cores' reports as a pair's record when no probes are sent. Outcomes follow the
// NAT types of the draws; bad crowds and churn are refused with a reason.
#include <gtest/gtest.h>

#include <map>

#include "emulation/spec_scenario.h"

namespace yt::emulation {
namespace {

ScenarioSpec crowd_of(int clients, std::vector<std::pair<std::string, double>> mix) {
  ScenarioSpec spec;
  spec.duration_s = 30;
  spec.topology = "regions";
  spec.path_probes = false;
  spec.drain_s = 0;
  spec.relays = {{"relay-1", 10}};
  CrowdSpec crowd;
  crowd.clients = clients;
  crowd.nat_mix = std::move(mix);
  crowd.network_size = 4;
  crowd.join_window_s = 5;
  crowd.traffic_interval_s = 2;
  spec.crowd = crowd;
  return spec;
}

SpecResult run(const ScenarioSpec& spec) {
  RunOptions options;
  options.log = false;
  auto ran = run_spec(spec, options);
  EXPECT_TRUE(ran.ok()) << (ran.ok() ? "" : ran.error());
  return ran.ok() ? *ran : SpecResult{};
}

TEST(SpecCrowd, DrawnNatsDecideWhoGoesDirectAndEveryPairReportsATunnel) {
  ScenarioSpec spec = crowd_of(24, {{"full-cone", 1}, {"udp-blocked", 1}});
  spec.clients_per_control_node = 10;  // three control nodes
  const SpecResult r = run(spec);
  ASSERT_EQ(r.clients.size(), 24u);
  EXPECT_EQ(r.server_control_nodes, 3u);
  std::map<std::string, std::string> nat_of;
  std::map<std::string, int> drawn;
  for (const SpecClient& c : r.clients) {
    nat_of[c.name] = c.site_nat;
    ++drawn[c.site_nat];
    EXPECT_GE(c.online_at_s, 0.5) << c.name;
    EXPECT_LE(c.online_at_s, 10) << c.name;
  }
  EXPECT_GT(drawn["full-cone"], 0);
  EXPECT_GT(drawn["udp-blocked"], 0);
  ASSERT_EQ(r.pairs.size(), 6u * 6u);  // six networks of four
  for (const SpecPair& p : r.pairs) {
    const bool blocked = nat_of[p.a] == "udp-blocked" || nat_of[p.b] == "udp-blocked";
    // Blocked UDP punches over TCP at best; two full cones always go direct over UDP.
    if (!blocked) EXPECT_GE(p.reported_up_at_s, 0) << p.a << " " << p.b;
    // Without probes, the crowd's own datagrams are the evidence of a path.
    if (!blocked) EXPECT_EQ(p.outcome, "direct") << p.a << " " << p.b;
    EXPECT_NE(p.outcome, "failed") << p.a << " " << p.b;
    EXPECT_TRUE(p.reported_tunnel) << p.a << " " << p.b;
  }
  EXPECT_FALSE(r.reported_time_to_direct_s.empty());
  EXPECT_GT(r.crowd_sent, 0u);
  EXPECT_GT(r.crowd_delivered, r.crowd_sent / 2);
  EXPECT_LE(r.crowd_delivered, r.crowd_sent);
  EXPECT_EQ(r.peak_present, 24u);
  EXPECT_GE(r.server.at("logins"), 24u);
}

TEST(SpecCrowd, ChurnTakesClientsAwayAndBringsThemBackTheSameWayEachRun) {
  ScenarioSpec spec = crowd_of(16, {{"port-restricted-cone", 1}});
  EventSpec churn;
  churn.action = "churn";
  churn.at_s = 7;
  churn.rate_per_minute = 0.5;
  churn.duration_s = 5;
  spec.events.push_back(churn);
  const SpecResult r = run(spec);
  EXPECT_GT(r.churned, 0u);
  int back = 0;
  for (const SpecClient& c : r.clients) back += c.syncs_at_s.size() >= 2 ? 1 : 0;
  EXPECT_GT(back, 0);
  EXPECT_EQ(r.event_times_s.at(0), 7);
  const SpecResult again = run(spec);
  EXPECT_EQ(again.churned, r.churned);
  EXPECT_EQ(again.crowd_delivered, r.crowd_delivered);
  EXPECT_EQ(again.simulator_events, r.simulator_events);
}

TEST(SpecCrowd, ACrowdReadsBackFromJson) {
  ScenarioSpec spec = crowd_of(10, {{"full-cone", 2}, {"cgnat", 1}});
  spec.clients_per_control_node = 4;
  EventSpec churn;
  churn.action = "churn";
  churn.at_s = 6;
  churn.rate_per_minute = 0.1;
  churn.duration_s = 3;
  spec.events.push_back(churn);
  auto back = spec_from_json(scenario_to_json(spec));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(scenario_to_json(*back), scenario_to_json(spec));
  ASSERT_TRUE(back->crowd);
  EXPECT_EQ(back->crowd->nat_mix, spec.crowd->nat_mix);
  EXPECT_EQ(back->events.at(0).rate_per_minute, 0.1);
  EXPECT_EQ(back->topology, "regions");
  auto bad = spec_from_json(R"({"crowd": {"clients": 1.5}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("crowd.clients"), std::string::npos) << bad.error();
}

TEST(SpecCrowd, BadCrowdsAndChurnAreRefusedWithAReason) {
  auto refused = [](const ScenarioSpec& spec, const std::string& words) {
    const auto error = check_spec(spec);
    ASSERT_TRUE(error.has_value()) << words;
    EXPECT_NE(error->find(words), std::string::npos) << *error;
  };
  ScenarioSpec spec = crowd_of(10, {{"full-cone", 1}});
  EXPECT_FALSE(check_spec(spec).has_value());
  ScenarioSpec s = spec;
  s.crowd->clients = 1;
  refused(s, "2 to 30000 clients");
  s = spec;
  s.crowd->nat_mix = {{"no-such-nat", 1}};
  refused(s, "unknown NAT profile 'no-such-nat'");
  s = spec;
  s.crowd->nat_mix = {{"full-cone", 0}};
  refused(s, "must not all be 0");
  s = spec;
  s.crowd->delay_min_ms = 50;
  s.crowd->delay_max_ms = 10;
  refused(s, "access delays");
  s = spec;
  s.topology = "mesh";
  refused(s, "unknown topology 'mesh'");
  s = spec;
  s.clients_per_control_node = -1;
  refused(s, "clients_per_control_node");
  s = spec;
  s.sites.push_back(site_of_one("c3", {named_nat("full-cone")}, 10));
  refused(s, "client name 'c3' is the crowd's");
  s = spec;
  s.sites.push_back(site_of_one("x", {named_nat("full-cone")}, 10));
  s.networks["pop-1"] = {"x"};
  refused(s, "network name 'pop-1' is the crowd's");
  s = spec;
  EventSpec churn;
  churn.action = "churn";
  churn.at_s = 5;
  churn.rate_per_minute = 2;
  s.events.push_back(churn);
  refused(s, "rate_per_minute must be 0..1");
  // An event may name a crowd client.
  s = spec;
  s.events.push_back(client_event(3, "block-peer-udp", "c2"));
  EXPECT_FALSE(check_spec(s).has_value());
}

}  // namespace
}  // namespace yt::emulation
