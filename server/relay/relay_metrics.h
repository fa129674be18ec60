// A relay's counters in the Prometheus text format (0.0.4), for
// yellowtail-relay --metrics: pairs bound now, whether it is registered with its
// server, and every RelayStats counter (forwarded packets and bytes, drops by
// reason) as yellowtail_relay_<name>_total.
#pragma once

#include <cstddef>
#include <string>

#include "server/relay/relay_stats.h"

namespace yt {

std::string relay_metrics_text(const RelayStats& stats, std::size_t pairs, bool registered);

}  // namespace yt
