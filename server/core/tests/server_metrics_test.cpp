// The Prometheus text of the server's counters: each one named, typed and helped,
// with its value.
#include "server/core/server_metrics.h"

#include <gtest/gtest.h>

namespace yt {
namespace {

TEST(ServerMetrics, EveryCounterAndGaugeIsWrittenInTheTextFormat) {
  ServerStats stats;
  stats.logins = 3;
  stats.handshakes_deferred = 7;
  stats.tunnel_instructions = 10;
  const std::string text = server_metrics_text(stats, ServerGauges{2, 5, 20000, 1});
  EXPECT_NE(text.find("# TYPE yellowtail_server_logins_total counter\nyellowtail_server_logins_total 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("yellowtail_server_handshakes_deferred_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("yellowtail_server_tunnel_instructions_total 10\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE yellowtail_server_clients_online gauge\nyellowtail_server_clients_online 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("yellowtail_server_max_connections 20000\n"), std::string::npos);
  // Every sample line has its HELP and TYPE lines before it.
  std::size_t samples = 0, helps = 0, types = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    if (line.rfind("# HELP ", 0) == 0) {
      ++helps;
    } else if (line.rfind("# TYPE ", 0) == 0) {
      ++types;
    } else {
      ++samples;
    }
    at = end + 1;
  }
  EXPECT_EQ(samples, helps);
  EXPECT_EQ(samples, types);
  EXPECT_GE(samples, 25u);
}

}  // namespace
}  // namespace yt
