// A login storm: thousands of clients lose their server and all come back when it
// returns. The server's handshake budget turns the storm into a queue of "busy,
// retry in" answers (server/core/admission.h) instead of timeouts, and the clients'
// jittered backoff and return probes (control_channel.h) bring them back within
// seconds, none hammering it.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/sim/sim_world.h"

namespace yt::sim {
namespace {

constexpr std::size_t kClients = 2000;
constexpr double kRate = 400;  // handshakes per second the server admits (burst as much)

TEST(SimLoginStorm, TwoThousandClientsAreAbsorbedAfterARestart) {
  FakeNetwork net;
  ServerConfig config = sim_server_config();
  config.admission.handshakes_per_second = kRate;
  config.admission.handshake_burst = kRate;
  net.add_server(kServerControl, {kDiscoveryPrimary, kDiscoverySecondary}, config);
  for (std::size_t i = 0; i < kClients; ++i) {
    ClientOptions options;
    options.name = "c" + std::to_string(i);
    // 198.18.0.0/15 (RFC 2544, benchmarking): one address per client.
    options.address = Endpoint{Ipv4{Ipv4::from_octets(198, 18, 0, 0).value + static_cast<std::uint32_t>(i) + 1}, 40000};
    net.add_client(std::move(options));
  }
  auto online = [&] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < kClients; ++i) n += is_online(net, i) ? 1 : 0;
    return n;
  };
  // Checked every 100 ms, not after every step: counting 2,000 clients per event
  // would cost more than the simulation.
  auto run_until_all_online = [&](Duration limit) {
    for (Duration waited{0}; waited < limit; waited += 100ms) {
      if (online() == kClients) return true;
      if (!net.run_for(100ms)) return false;
    }
    return online() == kClients;
  };
  for (std::size_t i = 0; i < kClients; ++i) net.start_client(i);
  ASSERT_TRUE(run_until_all_online(60s));

  net.stop_server();
  ASSERT_TRUE(net.run_for(100s));  // backoff waits have grown to 32-60 s
  std::uint64_t attempts_before = 0;
  for (std::size_t i = 0; i < kClients; ++i) attempts_before += net.client(i).stats().reconnects;
  net.start_server();
  const Time back = net.now();

  // Logins per second as the server saw them.
  std::uint64_t peak = 0, seen = 0;
  for (int second = 0; second < 60 && online() < kClients; ++second) {
    ASSERT_TRUE(net.run_for(1s));
    const std::uint64_t logins = net.server()->stats().logins;
    peak = std::max(peak, logins - seen);
    seen = logins;
  }
  const double took = std::chrono::duration<double>(net.now() - back).count();
  std::uint64_t attempts_after = 0;
  for (std::size_t i = 0; i < kClients; ++i) attempts_after += net.client(i).stats().reconnects;
  std::printf("login storm: %zu clients back %.0f s after the server's return; peak %llu logins/s; "
              "%llu handshakes told to retry later; %llu attempts\n",
              kClients, took, static_cast<unsigned long long>(peak),
              static_cast<unsigned long long>(net.server()->stats().handshakes_deferred),
              static_cast<unsigned long long>(attempts_after - attempts_before));

  EXPECT_EQ(online(), kClients);  // none gave up
  EXPECT_LE(took, 2 + kClients / kRate + 4);  // probe interval, the queue at the rate, slack
  EXPECT_GT(net.server()->stats().handshakes_deferred, 0u);  // load was shed, not timed out
  EXPECT_LE(peak, static_cast<std::uint64_t>(2 * kRate));   // the burst, then the rate
  // Busy answers name a slot: a client sent away comes back once or twice, not
  // at every backoff step.
  EXPECT_LE(attempts_after - attempts_before, 3 * kClients);
}

}  // namespace
}  // namespace yt::sim
