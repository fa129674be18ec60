// The population scenario (emulation/population_scenario.h) on a small population
// whose answer is known from the NAT types: blocked UDP never goes direct but is
// relayed, full cones always go direct, and every pair can talk. Figures come from
// events of packets that crossed the modeled NATs.
#include <gtest/gtest.h>

#include "emulation/population_scenario.h"
#include "emulation/window_loop.h"

namespace yt::emulation {
namespace {

PopulationOptions small() {
  PopulationOptions o;
  o.clients = 48;
  o.network_size = 4;
  o.nat_mix = {{"full-cone", 1}, {"symmetric-random", 1}, {"udp-blocked", 1}};
  o.relays = 1;
  o.join_window = 10s;
  o.duration = 40s;
  o.traffic_interval = 2s;
  o.churn_per_minute = 0;
  return o;
}

const PopulationNatRow& row(const PopulationResult& r, const std::string& nat) {
  for (const PopulationNatRow& x : r.by_nat) {
    if (x.nat == nat) return x;
  }
  static PopulationNatRow none;
  ADD_FAILURE() << "no row for " << nat;
  return none;
}

TEST(PopulationScenario, DirectWhereTheNatsAllowItAndEveryPairConnected) {
  auto ran = run_population(small());
  ASSERT_TRUE(ran.ok()) << ran.error();
  const PopulationResult& r = *ran;
  EXPECT_EQ(r.networks, 12u);
  EXPECT_EQ(r.pairs, 72u);
  EXPECT_EQ(r.tried, 72u);  // everyone was online by 10.5 s, 30 s before the end
  EXPECT_EQ(r.connectivity, 1.0);
  // udp-blocked goes direct over TCP to full-cone and udp-blocked peers (TCP hole
  // punching), never to symmetric-random ones.
  EXPECT_GT(row(r, "udp-blocked").pairs_direct, 0u);
  EXPECT_LT(row(r, "udp-blocked").pairs_direct, row(r, "udp-blocked").pairs_tried);
  EXPECT_GT(row(r, "udp-blocked").pairs_tried, 0u);
  EXPECT_GT(row(r, "full-cone").pairs_direct, 0u);
  EXPECT_GT(r.p2p_rate, 0.0);
  EXPECT_LT(r.p2p_rate, 1.0);
  EXPECT_GT(r.ttd_p50_s, 0.0);
  EXPECT_LT(r.ttd_p50_s, 2.0);
  EXPECT_GT(r.traffic_sent, 500u);
  EXPECT_GT(static_cast<double>(r.traffic_delivered), 0.95 * static_cast<double>(r.traffic_sent));
  EXPECT_EQ(r.logins, 48u);
  EXPECT_GT(r.simulator_events, 0u);
}

TEST(PopulationScenario, TheSameSeedGivesTheSameRunAndChurnBringsClientsBack) {
  PopulationOptions o = small();
  o.churn_per_minute = 0.2;
  o.churn_away = 5s;
  auto a = run_population(o);
  auto b = run_population(o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->direct, b->direct);
  EXPECT_EQ(a->traffic_delivered, b->traffic_delivered);
  EXPECT_EQ(a->simulator_events, b->simulator_events);
  EXPECT_GT(a->churned, 0u);
  EXPECT_EQ(a->logins, 48u + a->churned);  // each departure logged in again
}

// Split over two processes, the run is the one process's, to the last datagram
// and microsecond: the same pairs direct at the same times, the same traffic,
// churn and server load. Events differ only by the windows' bookkeeping that
// both processes run.
TEST(PopulationScenario, TwoProcessesGiveWhatOneGives) {
  PopulationOptions o = small();
  o.churn_per_minute = 0.2;
  o.churn_away = 5s;
  o.processes = 1;
  auto one = run_population(o);
  o.processes = 2;
  auto two = run_population(o);
  ASSERT_TRUE(one.ok()) << one.error();
  ASSERT_TRUE(two.ok()) << two.error();
  EXPECT_EQ(one->processes, 1);
  EXPECT_EQ(two->processes, 2);
  EXPECT_GT(two->churned, 0u);
  EXPECT_EQ(two->churned, one->churned);
  EXPECT_EQ(two->tried, one->tried);
  EXPECT_EQ(two->direct, one->direct);
  EXPECT_EQ(two->connected, one->connected);
  EXPECT_EQ(two->time_to_direct_s, one->time_to_direct_s);
  EXPECT_EQ(two->traffic_sent, one->traffic_sent);
  EXPECT_EQ(two->traffic_delivered, one->traffic_delivered);
  EXPECT_EQ(two->logins, one->logins);
  EXPECT_EQ(two->tunnel_instructions, one->tunnel_instructions);
  EXPECT_EQ(two->relay_offers, one->relay_offers);
  EXPECT_EQ(two->peak_logins_per_s, one->peak_logins_per_s);
  EXPECT_EQ(two->peak_online, one->peak_online);
  for (std::size_t k = 0; k < one->by_nat.size(); ++k) {
    EXPECT_EQ(two->by_nat[k].pairs_direct, one->by_nat[k].pairs_direct) << one->by_nat[k].nat;
  }
  // Each event ran once, but for what each process runs of its own: the ends of
  // its windows (40 s in windows of a kWindowsPerLookahead-th of the shortest
  // access delay, at least 5 ms, and one before each second) and the
  // once-a-second rounds.
  const std::uint64_t windows = 40'000 * kWindowsPerLookahead / 5 + 40;
  EXPECT_GT(two->simulator_events, one->simulator_events);
  EXPECT_LE(two->simulator_events - one->simulator_events, windows + 2 * 40);
}

// A join window as long as the run: clients whose login time falls after the end
// never start. They count as never online, and the run still reports (it once
// read a core those clients never had).
TEST(PopulationScenario, ClientsDueAfterTheEndNeverStart) {
  PopulationOptions o = small();
  o.clients = 50;
  o.join_window = 2s;
  o.duration = 2s;  // logins at 0.5 s + [0, 2 s): about a quarter after the end
  for (int processes : {1, 2}) {
    o.processes = processes;
    auto ran = run_population(o);
    ASSERT_TRUE(ran.ok()) << ran.error();
    EXPECT_LT(ran->logins, 50u);
    EXPECT_EQ(ran->tried, 0u);  // no pair had 10 s together
  }
}

// Access delays under the windows' 1 ms run on one process, unwindowed.
TEST(PopulationScenario, ShortAccessDelaysRunOnOneProcess) {
  PopulationOptions o = small();
  o.delay_min = 500us;
  o.clients = 16;
  auto ran = run_population(o);
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_EQ(ran->processes, 1);
  EXPECT_EQ(ran->logins, 16u);
}

// The server's control connections spread over nodes of its own: every client
// still logs in and connects, as with one node (the nodes feed one core).
TEST(PopulationScenario, ControlConnectionsOnSeveralNodesFeedOneServer) {
  PopulationOptions o = small();
  o.clients_per_control_node = 10;
  auto ran = run_population(o);
  ASSERT_TRUE(ran.ok()) << ran.error();
  EXPECT_EQ(ran->control_nodes, 5u);  // 48 clients, 10 per node
  EXPECT_EQ(ran->logins, 48u);
  EXPECT_EQ(ran->tried, 72u);
  EXPECT_EQ(ran->connectivity, 1.0);
  // udp-blocked: direct over TCP to full-cone and udp-blocked peers, relayed to
  // symmetric-random ones.
  EXPECT_GT(row(*ran, "udp-blocked").pairs_direct, 0u);
  EXPECT_LT(row(*ran, "udp-blocked").pairs_direct, row(*ran, "udp-blocked").pairs_tried);
  EXPECT_GT(row(*ran, "full-cone").pairs_direct, 0u);
}

TEST(PopulationScenario, BadOptionsAreRefusedWithAReason) {
  auto refused = [](PopulationOptions o) {
    auto error = check_population_options(o);
    return error ? *error : std::string();
  };
  PopulationOptions o = small();
  o.nat_mix = {{"full-cone", 1}, {"carrier-pigeon", 1}};
  EXPECT_NE(refused(o).find("carrier-pigeon"), std::string::npos);
  o = small();
  o.nat_mix = {{"full-cone", 0}};
  EXPECT_NE(refused(o).find("weights"), std::string::npos);
  o = small();
  o.network_size = 300;
  EXPECT_NE(refused(o).find("network size"), std::string::npos);
  o = small();
  o.join_window = 50s;  // longer than the run
  EXPECT_NE(refused(o).find("join window"), std::string::npos);
  o = small();
  o.clients_per_control_node = 0;
  EXPECT_NE(refused(o).find("control node"), std::string::npos);
  o = small();
  o.processes = 3;
  EXPECT_NE(refused(o).find("1 or 2 processes"), std::string::npos);
  o = small();
  o.clients = 300;
  o.nat_mix = {{"home-behind-cgnat", 1}};
  EXPECT_NE(refused(o).find("254"), std::string::npos);
  EXPECT_FALSE(run_population(o).ok());
}

}  // namespace
}  // namespace yt::emulation
