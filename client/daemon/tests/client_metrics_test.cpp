// The daemon's metrics text: state gauges, every ClientStats counter, the adapter's
// counters, and the time-to-direct histogram with cumulative buckets.
#include "client/daemon/client_metrics.h"

#include <gtest/gtest.h>

#include "protocol/random.h"

namespace yt {
namespace {

bool has(const std::string& text, const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; }

TEST(ClientMetrics, StateCountersAdapterAndHistogram) {
  SeededRandom rng(1);
  ClientConfig config;
  config.server = Endpoint{Ipv4::from_octets(203, 0, 113, 10), 12975};
  ClientCore core(config, Identity::generate(rng), rng);
  AdapterCounters adapter;
  adapter.packets_read = 12;
  TimeToDirectHistogram ttd;
  ttd.observe(std::chrono::milliseconds(300));
  ttd.observe(std::chrono::seconds(3));
  ttd.observe(std::chrono::seconds(100));
  const std::string text = "\n" + client_metrics_text(core, &adapter, ttd);
  EXPECT_TRUE(has(text, "yellowtail_client_online 0"));
  EXPECT_TRUE(has(text, "yellowtail_client_peers 0"));
  EXPECT_TRUE(has(text, "yellowtail_client_tunnels{state=\"direct\"} 0"));
  EXPECT_TRUE(has(text, "yellowtail_client_tunnels{state=\"relayed\"} 0"));
  EXPECT_TRUE(has(text, "# TYPE yellowtail_client_packets_sent_total counter"));
  EXPECT_TRUE(has(text, "yellowtail_client_malformed_datagrams_total 0"));  // a drop reason
  EXPECT_TRUE(has(text, "yellowtail_client_adapter_packets_read_total 12"));
  EXPECT_TRUE(has(text, "yellowtail_client_time_to_direct_seconds_bucket{le=\"0.25\"} 0"));
  EXPECT_TRUE(has(text, "yellowtail_client_time_to_direct_seconds_bucket{le=\"0.5\"} 1"));
  EXPECT_TRUE(has(text, "yellowtail_client_time_to_direct_seconds_bucket{le=\"5\"} 2"));
  EXPECT_TRUE(has(text, "yellowtail_client_time_to_direct_seconds_bucket{le=\"30\"} 2"));
  EXPECT_TRUE(has(text, "yellowtail_client_time_to_direct_seconds_bucket{le=\"+Inf\"} 3"));
  EXPECT_TRUE(has(text, "yellowtail_client_time_to_direct_seconds_count 3"));
  EXPECT_TRUE(has(text, "yellowtail_client_time_to_direct_seconds_sum 103.3"));
  // Without an adapter (--no-tun) its counters are left out.
  EXPECT_EQ(client_metrics_text(core, nullptr, ttd).find("adapter_"), std::string::npos);
}

}  // namespace
}  // namespace yt
