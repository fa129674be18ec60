// The Prometheus text of the server's counters: each one named, typed and helped,
// with its value; negotiations by NAT-pair class and outcome, and the time to
// direct histogram.
#include "server/core/server_metrics.h"

#include <gtest/gtest.h>

#include <set>

namespace yt {
namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(ServerMetrics, EveryCounterAndGaugeIsWrittenInTheTextFormat) {
  ServerStats stats;
  stats.logins = 3;
  stats.handshakes_deferred = 7;
  stats.tunnel_instructions = 10;
  stats.tunnel_outcomes_foreign = 4;
  const std::string text = server_metrics_text(stats, ServerGauges{2, 5, 20000, 1}, NegotiationCounts{});
  EXPECT_TRUE(has(text, "# TYPE yellowtail_server_logins_total counter\nyellowtail_server_logins_total 3\n"));
  EXPECT_TRUE(has(text, "yellowtail_server_handshakes_deferred_total 7\n"));
  EXPECT_TRUE(has(text, "yellowtail_server_tunnel_instructions_total 10\n"));
  EXPECT_TRUE(has(text, "yellowtail_server_tunnel_outcomes_foreign_total 4\n"));
  EXPECT_TRUE(has(text, "yellowtail_server_negotiations_unreported_total 0\n"));
  EXPECT_TRUE(has(text, "# TYPE yellowtail_server_clients_online gauge\nyellowtail_server_clients_online 2\n"));
  EXPECT_TRUE(has(text, "yellowtail_server_max_connections 20000\n"));
  // Every sample belongs to a family whose HELP and TYPE came before it, once each.
  std::set<std::string> helped, typed;
  std::size_t samples = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    at = end + 1;
    if (line.rfind("# HELP ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(helped.insert(name).second) << line;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(typed.insert(name).second) << line;
      continue;
    }
    ++samples;
    std::string family = line.substr(0, line.find_first_of("{ "));
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      const bool ends = family.size() > suffix.size() &&
                        family.compare(family.size() - suffix.size(), suffix.size(), suffix) == 0;
      if (!helped.count(family) && ends) family.resize(family.size() - suffix.size());
    }
    EXPECT_TRUE(helped.count(family) && typed.count(family)) << line;
  }
  EXPECT_EQ(helped, typed);
  EXPECT_GE(samples, 40u);
}

TEST(ServerMetrics, NegotiationsAreCountedByPairClassAndOutcomeWithTheirTimeToDirect) {
  NegotiationCounts n;
  n.outcomes[{"apdm-random+eim", NegotiationOutcome::kDirect}] = 3;
  n.outcomes[{"apdm-random+apdm-random", NegotiationOutcome::kRelayed}] = 2;
  n.outcomes[{"eim+eim", NegotiationOutcome::kKept}] = 1;
  n.time_to_direct.observe(std::chrono::milliseconds(300));
  n.time_to_direct.observe(std::chrono::milliseconds(1500));
  n.time_to_direct.observe(std::chrono::seconds(40));
  n.unreported = 5;
  const std::string text = server_metrics_text(ServerStats{}, ServerGauges{}, n);
  EXPECT_TRUE(has(text, "# TYPE yellowtail_server_negotiations_total counter\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_negotiations_total{pair=\"apdm-random+eim\",outcome=\"direct\"} 3\n"));
  EXPECT_TRUE(
      has(text, "\nyellowtail_server_negotiations_total{pair=\"apdm-random+apdm-random\",outcome=\"relayed\"} 2\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_negotiations_total{pair=\"eim+eim\",outcome=\"kept\"} 1\n"));
  EXPECT_TRUE(has(text, "# TYPE yellowtail_server_time_to_direct_seconds histogram\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_time_to_direct_seconds_bucket{le=\"0.25\"} 0\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_time_to_direct_seconds_bucket{le=\"0.5\"} 1\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_time_to_direct_seconds_bucket{le=\"2\"} 2\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_time_to_direct_seconds_bucket{le=\"30\"} 2\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_time_to_direct_seconds_bucket{le=\"+Inf\"} 3\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_time_to_direct_seconds_count 3\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_time_to_direct_seconds_sum 41.8\n"));
  EXPECT_TRUE(has(text, "\nyellowtail_server_negotiations_unreported_total 5\n"));
}

TEST(ServerMetrics, LabelValuesAreEscaped) {
  NegotiationCounts n;
  n.outcomes[{"odd\"class", NegotiationOutcome::kFailed}] = 1;
  EXPECT_TRUE(has(server_metrics_text(ServerStats{}, ServerGauges{}, n),
                  "yellowtail_server_negotiations_total{pair=\"odd\\\"class\",outcome=\"failed\"} 1\n"));
}

}  // namespace
}  // namespace yt
