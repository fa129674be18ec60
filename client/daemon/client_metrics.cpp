#include "client/daemon/client_metrics.h"

#include <map>

#include "client/daemon/status_json.h"
#include "protocol/prometheus_text.h"

namespace yt {
namespace {

void header(std::string& out, const std::string& name, const char* type, const std::string& help) {
  prometheus_header(out, name, type, help);
}

void sample(std::string& out, const std::string& name, std::uint64_t value) { prometheus_sample(out, name, value); }

}  // namespace

std::string client_metrics_text(const ClientCore& core, const AdapterCounters* adapter,
                                const TimeToDirectHistogram& time_to_direct) {
  std::string out;
  header(out, "yellowtail_client_online", "gauge", "1 when logged in and synced with the server.");
  sample(out, "yellowtail_client_online", core.state() == ClientState::kOnline ? 1 : 0);
  const std::vector<PeerStatus> peers = core.peers();
  header(out, "yellowtail_client_peers", "gauge", "Members sharing a network with us.");
  sample(out, "yellowtail_client_peers", peers.size());
  std::map<std::string, std::uint64_t> by_state;
  for (TunnelState s : {TunnelState::kWaiting, TunnelState::kPunching, TunnelState::kHandshaking,
                        TunnelState::kDirect, TunnelState::kFailed, TunnelState::kRelayed}) {
    by_state[to_string(s)] = 0;
  }
  for (const PeerStatus& p : peers) {
    if (p.has_tunnel) ++by_state[to_string(p.tunnel)];
  }
  header(out, "yellowtail_client_tunnels", "gauge", "Tunnels to peers, by state.");
  for (const auto& [state, count] : by_state) {
    out += "yellowtail_client_tunnels{state=\"" + state + "\"} " + std::to_string(count) + "\n";
  }
  const nlohmann::json stats = stats_json(core.stats());
  for (auto it = stats.begin(); it != stats.end(); ++it) {
    const std::string metric = "yellowtail_client_" + it.key() + "_total";
    header(out, metric, "counter", "ClientStats::" + it.key() + " (client/core/client_stats.h).");
    sample(out, metric, it.value().get<std::uint64_t>());
  }
  if (adapter) {
    const std::pair<const char*, std::uint64_t> counters[] = {{"adapter_packets_read", adapter->packets_read},
                                                              {"adapter_packets_written", adapter->packets_written},
                                                              {"adapter_write_drops", adapter->write_drops},
                                                              {"adapter_read_errors", adapter->read_errors},
                                                              {"adapter_super_packets", adapter->super_packets},
                                                              {"adapter_offload_drops", adapter->offload_drops},
                                                              {"adapter_super_packets_written",
                                                               adapter->super_packets_written}};
    for (const auto& [name, value] : counters) {
      const std::string metric = std::string("yellowtail_client_") + name + "_total";
      header(out, metric, "counter", std::string("The adapter's ") + name + " (client/daemon/tun_adapter.h).");
      sample(out, metric, value);
    }
  }
  out += time_to_direct.text("yellowtail_client_time_to_direct_seconds",
                             "From the server's tunnel instruction to the first direct packet.");
  return out;
}

}  // namespace yt
