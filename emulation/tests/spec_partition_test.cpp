// What the engine's two processes send each other survives its bytes exactly,
// malformed bytes are refused rather than half-read, a report that does not fit
// the run is refused before anything is merged, and only crowd runs split.
#include "emulation/spec_partition.h"

#include <gtest/gtest.h>

#include "emulation/population_scenario.h"

namespace yt::emulation::spec_detail {
namespace {

TEST(SpecPartitionTest, WindowNewsRoundTripsAndTruncationIsRefused) {
  const WindowNews news{{3, 1, 4}, std::string("\x00\x01packets", 9)};
  const std::string bytes = encode(news);
  auto back = decode_window_news(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->synced, news.synced);
  EXPECT_EQ(back->packets, news.packets);
  EXPECT_FALSE(decode_window_news(bytes.substr(0, 6)));  // the count promises three clients
  EXPECT_FALSE(decode_window_news("ab"));
  // Most windows: nobody synced, no packets crossed.
  auto quiet = decode_window_news(encode(WindowNews{}));
  ASSERT_TRUE(quiet);
  EXPECT_TRUE(quiet->synced.empty());
  EXPECT_TRUE(quiet->packets.empty());
}

PartitionReport sample_report() {
  PartitionReport r;
  SpecClient c;
  c.syncs_at_s = {1.0000001, 31.25};
  c.online_at_s = 0.1 + 0.2;  // not exact in binary: must come back bit for bit
  c.nat = "port-restricted";
  c.logins = 2;
  r.clients.push_back({1, c});
  Side s;
  s.first_up_at_s = 12.345678901234567;
  s.reported_tunnel = true;
  s.failure = "no";
  r.sides.push_back({{1, 0}, s});
  r.relays_reported.push_back({{1, 0}, "relay-1"});
  SpecSite site;
  site.mappings_created = 7;
  r.sites.push_back({1, site});
  r.time_to_direct_s = {0.444422, 1.0 / 3};
  r.relays_forwarded = {5};
  r.crowd_sent = 10;
  r.crowd_delivered = 9;
  r.simulator_events = 1'000'000;
  return r;
}

TEST(SpecPartitionTest, ReportRoundTripsExactlyAndGarbageIsRefused) {
  const PartitionReport r = sample_report();
  auto back = decode_partition_report(encode(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->clients.at(0).second.online_at_s, r.clients.at(0).second.online_at_s);
  EXPECT_EQ(back->clients.at(0).second.syncs_at_s, r.clients.at(0).second.syncs_at_s);
  EXPECT_EQ(back->sides.at(0).second.first_up_at_s, r.sides.at(0).second.first_up_at_s);
  EXPECT_EQ(back->time_to_direct_s, r.time_to_direct_s);
  EXPECT_EQ(back->relays_reported.at(0).second, "relay-1");
  EXPECT_EQ(back->sites.at(0).second.mappings_created, 7u);
  EXPECT_EQ(back->simulator_events, 1'000'000u);
  EXPECT_FALSE(decode_partition_report("{\"clients\": 3}"));
  EXPECT_FALSE(decode_partition_report("not json"));
}

SpecResult two_client_run() {
  SpecResult result;
  result.clients.resize(2);
  result.clients[1].name = "c2";
  result.sites.resize(2);
  result.sites[1].name = "crowd-2";
  result.relays.resize(2);  // the built-in one and relay-1
  result.reported_time_to_direct_s = {0.5};
  result.simulator_events = 10;
  return result;
}

TEST(SpecPartitionTest, MergesTheSecondProcessesPartKeepingTheBuildsNames) {
  SpecResult result = two_client_run();
  SideMap sides;
  RelayMap relays;
  ASSERT_FALSE(merge_partition_report(sample_report(), result, sides, relays));
  EXPECT_EQ(result.clients[1].name, "c2");
  EXPECT_EQ(result.clients[1].logins, 2);
  EXPECT_EQ(result.sites[1].name, "crowd-2");
  EXPECT_EQ(result.sites[1].mappings_created, 7u);
  EXPECT_TRUE(sides.at({1, 0}).reported_tunnel);
  EXPECT_EQ(relays.at({1, 0}), "relay-1");
  EXPECT_EQ(result.relays[1].forwarded, 5u);
  EXPECT_EQ(result.reported_time_to_direct_s.size(), 3u);
  EXPECT_EQ(result.simulator_events, 1'000'010u);
}

TEST(SpecPartitionTest, RefusesAReportThatDoesNotFitTheRunAndMergesNothing) {
  SideMap sides;
  RelayMap relays;
  PartitionReport unknown_client = sample_report();
  unknown_client.sides.push_back({{9, 0}, Side{}});
  SpecResult result = two_client_run();
  EXPECT_TRUE(merge_partition_report(unknown_client, result, sides, relays));
  EXPECT_TRUE(sides.empty());
  EXPECT_EQ(result.clients[1].logins, 0);
  PartitionReport relays_wrong = sample_report();
  relays_wrong.relays_forwarded.push_back(1);
  EXPECT_TRUE(merge_partition_report(relays_wrong, result, sides, relays));
  PartitionReport unknown_site = sample_report();
  unknown_site.sites.push_back({5, SpecSite{}});
  EXPECT_TRUE(merge_partition_report(unknown_site, result, sides, relays));
  EXPECT_EQ(result.simulator_events, 10u);
}

TEST(SpecPartitionTest, OnlyACrowdWithEnoughLookaheadSplits) {
  PopulationOptions o;
  o.clients = 16;
  ScenarioSpec spec = population_spec(o);
  EXPECT_FALSE(split_check(spec));
  ScenarioSpec probes = spec;
  probes.path_probes = true;
  EXPECT_TRUE(split_check(probes));
  ScenarioSpec short_delay = spec;
  short_delay.crowd->delay_min_ms = 0.5;
  EXPECT_NE(split_check(short_delay)->find("1 ms"), std::string::npos);
  ScenarioSpec no_crowd = spec;
  no_crowd.crowd.reset();
  EXPECT_TRUE(split_check(no_crowd));
  ScenarioSpec other_event = spec;
  other_event.events.push_back(EventSpec{});
  other_event.events.back().action = "server-down";
  EXPECT_TRUE(split_check(other_event));
}

}  // namespace
}  // namespace yt::emulation::spec_detail
