// The server's counters in the Prometheus text exposition format (version 0.0.4),
// for an operator's scraper: every ServerStats counter as yellowtail_server_<name>_total,
// the gauges of what is open now, and the tunnel negotiations its clients reported
// (negotiation_ledger.h): yellowtail_server_negotiations_total{pair,outcome} and the
// histogram yellowtail_server_time_to_direct_seconds. Formatting only: the driver
// serves it (platform/metrics_http.h).
#pragma once

#include <cstddef>
#include <string>

#include "server/core/negotiation_ledger.h"
#include "server/core/server_stats.h"

namespace yt {

struct ServerGauges {
  std::size_t clients_online = 0;
  std::size_t connections = 0;
  std::size_t max_connections = 0;
  std::size_t relay_pairs = 0;
  std::size_t clients_mirrored = 0;  // hosted by the other servers on our database
};

std::string server_metrics_text(const ServerStats& stats, const ServerGauges& gauges,
                                const NegotiationCounts& negotiations);

}  // namespace yt
