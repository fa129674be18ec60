// The JSON the daemon answers `status` and `list` with. The CLI prints it as text,
// or as is with --json, so these field names are the CLI's machine interface:
//
// list:   {"networks": [{"name", "online", "members"}],
//          "peers": [{"node_id", "public_key", "nickname", "virtual_ip", "online",
//                     "networks": [...], "connection": "direct"|"relayed"|"none",
//                     "path": "ip:port"|null, "rtt_ms": number|null,
//                     "reason": why no traffic flows ("" when it does)}]}
// status: {"state", "logged_in", "node_id", "public_key", "nickname", "virtual_ip",
//          "prefix_length", "ipv6", "server", "mapped_endpoint", "adapter"|"bridge",
//          "networks", "peers", "direct_peers", "stats": {counter: number}}
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "client/core/client_core.h"
#include "client/daemon/tun_adapter.h"

namespace yt {

struct StatusExtras {
  bool logged_out = false;
  std::string nickname;
  Endpoint server;
  std::uint8_t prefix_length = 0;
  const TunAdapter* adapter = nullptr;  // TUN mode
  std::optional<Endpoint> bridge;       // --no-tun mode
  std::string logout_reason;            // empty unless logged out by something else than `logout`
};

nlohmann::json list_json(const ClientCore& core);
// Every ClientStats counter by name (status --json's "stats", client_metrics.h).
nlohmann::json stats_json(const ClientStats& stats);
nlohmann::json status_json(const ClientCore& core, const StatusExtras& extras);

}  // namespace yt
