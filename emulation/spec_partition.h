// What the scenario engine's two processes (split_run.h) tell each other:
// after each window, the clients that synced (who churn may pick) and the
// packets for the other's links (link_windows.h); at the end, the second
// process's part of the result. Internal to the scenario engine.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "emulation/spec_scenario.h"

namespace yt::emulation::spec_detail {

// What one client reported about one peer.
struct Side {
  double time_to_direct_ms = -1;      // its first TunnelUp's
  double time_to_first_path_ms = -1;  // its first TunnelUp's or TunnelRelayed's
  bool direct_now = false;            // its latest report is TunnelUp
  std::string failure;                // its first TunnelFailed reason
  double first_up_at_s = -1;          // when it first reported TunnelUp
  bool reported_tunnel = false;       // it reported TunnelUp or TunnelRelayed
};

using ClientPair = std::pair<std::size_t, std::size_t>;  // (reporter, peer)
using SideMap = std::map<ClientPair, Side>;
using RelayMap = std::map<ClientPair, std::string>;  // the relay each reporter last named

struct WindowNews {
  std::vector<std::uint32_t> synced;  // clients (by index) that synced in the window
  std::string packets;                // LinkWindows::TakeOthers
};
std::string encode(const WindowNews& news);
std::optional<WindowNews> decode_window_news(const std::string& bytes);

// The second process's part: its clients, what they reported, their sites, the
// relays (it runs them all).
struct PartitionReport {
  std::vector<std::pair<std::size_t, SpecClient>> clients;
  std::vector<std::pair<ClientPair, Side>> sides;
  std::vector<std::pair<ClientPair, std::string>> relays_reported;
  std::vector<std::pair<std::size_t, SpecSite>> sites;
  std::vector<double> time_to_direct_s;
  std::vector<std::uint64_t> relays_forwarded;  // by ScenarioSpec::relays
  std::uint64_t crowd_sent = 0, crowd_delivered = 0, simulator_events = 0, peak_rss_bytes = 0;
};
std::string encode(const PartitionReport& report);
std::optional<PartitionReport> decode_partition_report(const std::string& bytes);

// The part of the second process's `result` (after its run, before the pairs
// are built) that is its own: its clients (`local`), their reports and sites
// (`site_of` by client), the relays, its counts.
PartitionReport partition_report(const SpecResult& result, const SideMap& sides, const RelayMap& relays_reported,
                                 const std::vector<bool>& local, const std::vector<std::size_t>& site_of);
// Puts `report` into the first process's `result`, `sides` and
// `relays_reported`. Why not, when it names clients, sites or relays the run
// does not have.
std::optional<std::string> merge_partition_report(PartitionReport report, SpecResult& result, SideMap& sides,
                                                  RelayMap& relays_reported);

}  // namespace yt::emulation::spec_detail
