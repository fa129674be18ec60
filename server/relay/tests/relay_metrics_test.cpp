// A relay's metrics text: its gauges and every RelayStats counter, typed.
#include "server/relay/relay_metrics.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(RelayMetrics, GaugesAndEveryCounter) {
  RelayStats stats;
  stats.forwarded_packets = 5;
  stats.forwarded_bytes = 600;
  stats.dropped_unknown_pair = 2;
  const std::string text = relay_metrics_text(stats, 3, true);
  EXPECT_NE(text.find("\nyellowtail_relay_registered 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nyellowtail_relay_pairs 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE yellowtail_relay_forwarded_bytes_total counter\nyellowtail_relay_forwarded_bytes_total 600\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nyellowtail_relay_forwarded_packets_total 5\n"), std::string::npos);
  EXPECT_NE(text.find("\nyellowtail_relay_dropped_unknown_pair_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("\nyellowtail_relay_echoes_rate_limited_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace yt
