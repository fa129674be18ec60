// The daemon's state in the Prometheus text format (0.0.4), served by
// yellowtaild --metrics (platform/metrics_http.h): whether it is online, its peers
// and tunnels by state, every ClientStats counter (drops by reason included) as
// yellowtail_client_<name>_total, the adapter's counters, and a histogram of
// time to direct (from the server's instruction to the first direct packet).
#pragma once

#include <string>

#include "client/core/client_core.h"
#include "client/daemon/tun_adapter.h"
#include "protocol/time_to_direct_histogram.h"

namespace yt {

std::string client_metrics_text(const ClientCore& core, const AdapterCounters* adapter,
                                 const TimeToDirectHistogram& time_to_direct);

}  // namespace yt
