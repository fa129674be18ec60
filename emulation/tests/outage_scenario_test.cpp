// Outage survival in the testbed (emulation/outage_scenario.h): established
// tunnels with steady traffic through each named fault. The figures come from
// numbered datagrams that crossed the modeled NATs and relays.
#include <gtest/gtest.h>

#include "emulation/outage_scenario.h"

namespace yt::emulation {
namespace {

OutageResult run(const OutageOptions& o) {
  auto ran = run_outage(o);
  EXPECT_TRUE(ran.ok()) << (ran.ok() ? "" : ran.error());
  return ran.ok() ? *ran : OutageResult{};
}

std::size_t count_path(const OutageResult& r, const std::string& path) {
  std::size_t n = 0;
  for (const OutagePair& p : r.pairs) n += p.path == path ? 1 : 0;
  return n;
}

TEST(OutageScenario, EveryTunnelCarriesEveryDatagramThroughAMinuteWithoutServer) {
  OutageOptions o;  // server-down, 60 s, six clients, one separate relay
  OutageResult r = run(o);
  ASSERT_EQ(r.pairs.size(), 15u);
  EXPECT_EQ(r.established, 15u);
  EXPECT_GE(count_path(r, "direct"), 5u);
  EXPECT_GE(count_path(r, "relayed"), 3u);  // on the separate relay, which stays up
  EXPECT_EQ(r.survived, 15u);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_LT(r.longest_gap_s, 0.5);
  EXPECT_NEAR(r.fault_end_s - r.fault_at_s, 60.0, 0.01);
  // Everyone is back soon after the server: the return probe, not the backoff.
  EXPECT_GE(r.all_resynced_s, 0);
  EXPECT_LT(r.all_resynced_s, 8.0);
  EXPECT_GE(r.peak_logins_per_s, 1u);
  // The timeline shows the traffic went on during the outage.
  std::uint64_t during = 0;
  for (const OutageSample& s : r.timeline) {
    if (s.t >= r.fault_at_s + 1 && s.t + 1 <= r.fault_end_s) during += s.delivered;
  }
  EXPECT_GT(during, 50u * 30u * 9u);  // 30 directions x 10/s, over 50 s at least (90% of it)
}

TEST(OutageScenario, PairsOnTheBuiltInRelayAreCutWhileTheServerIsDown) {
  // Without a separate relay the metric must see the loss (it can fail), and the
  // relayed pairs come back once the server does.
  OutageOptions o;
  o.relays = 0;
  o.duration = 20s;
  OutageResult r = run(o);
  EXPECT_EQ(r.established, 15u);
  for (const OutagePair& p : r.pairs) {
    SCOPED_TRACE(p.a + "-" + p.b);
    if (p.path == "relayed") {
      EXPECT_FALSE(p.survived);
      EXPECT_GT(p.longest_gap_s, 15.0);
      EXPECT_GE(p.recovered_s, 0);
      EXPECT_LT(p.recovered_s, 10.0);
    } else {
      EXPECT_TRUE(p.survived);
    }
  }
  EXPECT_LT(r.survival, 1.0);
}

TEST(OutageScenario, ANatRebootWithANewAddressHealsWithinSeconds) {
  OutageOptions o;
  o.fault = "nat-reboot";
  o.new_ip = true;
  o.side = 1;
  OutageResult r = run(o);
  EXPECT_EQ(r.established, 15u);
  for (const OutagePair& p : r.pairs) {
    SCOPED_TRACE(p.a + "-" + p.b);
    EXPECT_FALSE(p.path_after.empty());  // every tunnel carries traffic again
    if (p.a != "client-1") {
      EXPECT_TRUE(p.survived);  // the others never noticed
    }
  }
  // Relayed pairs rebind from the new address; direct ones to a filtering peer
  // fall back to the relay after the path check.
  EXPECT_GE(r.worst_recovery_s, 0);
  EXPECT_LT(r.worst_recovery_s, 8.0);
}

// Wi-Fi to LTE: client-1 (behind a port-restricted cone) moves to a carrier NAT.
// Told by its OS, it logs in again at once; its tunnels carry traffic again within
// the bound (relayed ones rebind, direct ones to a filtering peer fall back to the
// relay), and nobody else's tunnel notices.
TEST(OutageScenario, ARoamingClientIsBackOnEveryTunnelWithinSeconds) {
  OutageOptions o;
  o.fault = "roam";
  o.side = 1;
  OutageResult r = run(o);
  EXPECT_EQ(r.established, 15u);
  for (const OutagePair& p : r.pairs) {
    SCOPED_TRACE(p.a + "-" + p.b);
    EXPECT_FALSE(p.path_after.empty());
    if (p.a != "client-1") {
      EXPECT_TRUE(p.survived);
    }
  }
  // Direct paths to a filtering peer fall back to the relay after one unanswered
  // ping (Tunnel::roam_check_wait), not the full 5 s path check; the peer follows
  // once its own direct path has been silent for path_check_after (2 s).
  EXPECT_GE(r.worst_recovery_s, 0);
  EXPECT_LT(r.worst_recovery_s, 3.0);
  EXPECT_GE(r.clients[0].resync_s, 0);
  EXPECT_LT(r.clients[0].resync_s, 3.0);
  for (std::size_t i = 1; i < r.clients.size(); ++i) EXPECT_LT(r.clients[i].resync_s, 0);  // not theirs to redo
}

// Without the OS's notice the old control connection just goes silent: the client
// is back with the server only after its server timeout.
TEST(OutageScenario, ARoamWithoutANoticeReachesTheServerOnlyAfterItsTimeout) {
  OutageOptions o;
  o.fault = "roam";
  o.roam_notice = false;
  o.observe = 100s;
  OutageResult r = run(o);
  EXPECT_GT(r.clients[0].resync_s, 60.0);
  EXPECT_LT(r.clients[0].resync_s, 100.0);
}

TEST(OutageScenario, ALinkOutageCostsOnlyWhatWasSentWhileTheLinkWasDown) {
  OutageOptions o;
  o.fault = "link-outage";
  o.duration = 20s;
  o.side = 2;
  OutageResult r = run(o);
  EXPECT_EQ(r.survived, r.established);
  std::uint64_t in_cut = 0;
  for (const OutagePair& p : r.pairs) {
    in_cut += p.lost_in_cut;
    if (p.a != "client-2" && p.b != "client-2") {
      EXPECT_EQ(p.lost, 0u);
    }
  }
  EXPECT_GT(in_cut, 5u * 2u * 190u);  // five tunnels, both ways, ~200 each
  EXPECT_GT(r.longest_gap_s, 19.0);
}

TEST(OutageScenario, PairsOfAFailedRelayMoveWithinASecond) {
  OutageOptions o;
  o.fault = "relay-down";
  OutageResult r = run(o);
  for (const OutagePair& p : r.pairs) {
    SCOPED_TRACE(p.a + "-" + p.b);
    if (p.path == "direct") {
      EXPECT_TRUE(p.survived);
    }
    if (p.path == "relayed") {
      EXPECT_EQ(p.path_after, "relayed");  // on the built-in relay now
      EXPECT_GE(p.recovered_s, 0);
      EXPECT_LT(p.recovered_s, 1.0);
    }
  }
}

TEST(OutageScenario, IdleTunnelsSurviveATwentySecondNatTimeoutByMeasuredKeepalives) {
  OutageOptions o;
  o.fault = "mapping-expiry";
  o.nat_timeout = 20s;
  o.observe = 10s;
  OutageResult r = run(o);
  EXPECT_EQ(r.established, 15u);
  EXPECT_EQ(r.survived, 15u);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_NEAR(r.fault_end_s - r.fault_at_s, 60.0, 0.01);  // idle for twice the timeout
  for (const OutageClient& c : r.clients) {
    SCOPED_TRACE(c.name + " " + c.nat);
    if (c.nat == "full-cone") continue;  // one shared mapping: its tunnels keep it busy, no verdict
    // The NAT answered after 15 s idle and not after 30 s: keepalives every 12 s,
    // where the configured 25 s would have let every idle mapping lapse.
    EXPECT_EQ(c.lifetime_lower_s, 15.0);
    EXPECT_EQ(c.lifetime_upper_s, 30.0);
    EXPECT_EQ(c.keepalive_s, 12.0);
  }
}

TEST(OutageScenario, ANatThatKeepsMappingsForMinutesGetsFewerKeepalives) {
  OutageOptions o;
  o.fault = "mapping-expiry";
  o.nat_timeout = 300s;
  o.observe = 10s;
  OutageResult r = run(o);
  EXPECT_EQ(r.survived, 15u);
  std::uint64_t sent = 0;
  for (const OutageClient& c : r.clients) {
    sent += c.sent_while_idle;
    if (c.nat == "full-cone") continue;
    EXPECT_EQ(c.lifetime_lower_s, 120.0);
    EXPECT_EQ(c.keepalive_s, 96.0);
  }
  // 600 s idle on 15 tunnels, both ends: a ping and its pong every 25 s would be
  // 15 x 2 x 2 x 24 = 1440 datagrams.
  EXPECT_LT(sent, 1000u);
}

TEST(OutageScenario, BadOptionsAreRefusedWithAReason) {
  auto refused = [](OutageOptions o) {
    auto error = check_outage_options(o);
    return error ? *error : std::string();
  };
  OutageOptions o;
  o.fault = "meteor";
  EXPECT_NE(refused(o).find("unknown fault"), std::string::npos);
  o = {};
  o.nats = {"full-cone", "bogus"};
  EXPECT_NE(refused(o).find("bogus"), std::string::npos);
  o = {};
  o.clients = 1;
  EXPECT_FALSE(refused(o).empty());
  o = {};
  o.fault = "relay-down";
  o.relays = 0;
  EXPECT_NE(refused(o).find("relay"), std::string::npos);
  o = {};
  o.fault = "roam";
  o.roam_nat = "teleport";
  EXPECT_NE(refused(o).find("teleport"), std::string::npos);
  o = {};
  o.side = 7;
  EXPECT_FALSE(refused(o).empty());
  o = {};
  o.duration = Duration(0);
  EXPECT_NE(refused(o).find("duration"), std::string::npos);
  EXPECT_FALSE(run_outage(o).ok());
}

// The built-in run is a description like any other: saved as JSON, read back and
// run by the engine, its traffic record gives the figures run_outage reports.
TEST(OutageScenario, IsAScenarioDescriptionThatRunsTheSameFromJson) {
  OutageOptions o;
  o.fault = "link-outage";
  o.clients = 4;
  o.duration = 5s;
  o.settle = 2s;
  o.observe = 10s;
  o.side = 2;
  const ScenarioSpec spec = outage_scenario(o);
  EXPECT_FALSE(spec.path_probes);
  EXPECT_DOUBLE_EQ(*spec.end_after_s, 10);
  ASSERT_EQ(spec.events.size(), 6u);  // four starts, the traffic, the fault
  EXPECT_EQ(spec.events[4].action, "traffic");
  EXPECT_EQ(spec.events[4].after, "all-online");
  const EventSpec& fault = spec.events[5];
  EXPECT_EQ(fault.action, "link-down");
  EXPECT_EQ(fault.site, "client-2");
  EXPECT_EQ(fault.after, "all-carrying");
  EXPECT_DOUBLE_EQ(fault.at_s, 2);
  EXPECT_DOUBLE_EQ(*fault.by_s, 60);

  auto parsed = spec_from_json(scenario_to_json(spec));
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  auto ran = run_spec(*parsed);
  ASSERT_TRUE(ran.ok()) << ran.error();
  const std::string described = outage_to_json(outage_result(o, *ran));
  auto built_in = run_outage(o);
  ASSERT_TRUE(built_in.ok()) << built_in.error();
  EXPECT_EQ(described, outage_to_json(*built_in));
  // The generic record agrees: from the fault on, only the cut side's directions
  // lost datagrams (before it, sends without a tunnel yet count as lost too).
  EXPECT_GT(built_in->lost, 0u);
  const double fault_at = ran->event_times_s[5];
  std::uint64_t lost_after_fault = 0;
  for (const SpecTraffic& t : ran->traffic) {
    std::uint64_t lost = 0;
    for (std::size_t k = 0; k < t.offered_at.size(); ++k) lost += t.offered_at[k] >= fault_at && t.arrived_at[k] < 0;
    if (t.from != "client-2" && t.to != "client-2") {
      EXPECT_EQ(lost, 0u) << t.from << " -> " << t.to;
    }
    lost_after_fault += lost;
  }
  EXPECT_EQ(lost_after_fault, built_in->lost);
  EXPECT_NEAR(ran->event_ends_s[5] - ran->event_times_s[5], 5, 1e-6);
}

}  // namespace
}  // namespace yt::emulation
