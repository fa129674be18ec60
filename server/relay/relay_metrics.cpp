#include "server/relay/relay_metrics.h"

#include <cstdint>
#include <utility>

#include "protocol/prometheus_text.h"

namespace yt {

std::string relay_metrics_text(const RelayStats& s, std::size_t pairs, bool registered) {
  std::string out;
  auto metric = [&out](const std::string& name, const char* type, const char* help, std::uint64_t value) {
    prometheus_metric(out, name, type, help, value);
  };
  metric("yellowtail_relay_registered", "gauge", "1 while registered with the mediation server.", registered ? 1 : 0);
  metric("yellowtail_relay_pairs", "gauge", "Pairs bound now.", pairs);
  const std::pair<const char*, std::uint64_t> counters[] = {
      {"binds_accepted", s.binds_accepted},
      {"binds_unknown_ticket", s.binds_unknown_ticket},
      {"binds_expired", s.binds_expired},
      {"binds_replayed", s.binds_replayed},
      {"binds_full", s.binds_full},
      {"binds_rate_limited", s.binds_rate_limited},
      {"forwarded_packets", s.forwarded_packets},
      {"forwarded_bytes", s.forwarded_bytes},
      {"dropped_malformed", s.dropped_malformed},
      {"dropped_unknown_pair", s.dropped_unknown_pair},
      {"dropped_not_bound", s.dropped_not_bound},
      {"dropped_peer_not_bound", s.dropped_peer_not_bound},
      {"dropped_too_large", s.dropped_too_large},
      {"dropped_rate_limited", s.dropped_rate_limited},
      {"dropped_over_budget", s.dropped_over_budget},
      {"pairs_expired", s.pairs_expired},
      {"echoes_answered", s.echoes_answered},
      {"echoes_rate_limited", s.echoes_rate_limited},
  };
  for (const auto& [name, value] : counters) {
    metric(std::string("yellowtail_relay_") + name + "_total", "counter", "RelayStats (server/relay/relay_stats.h).",
           value);
  }
  return out;
}

}  // namespace yt
