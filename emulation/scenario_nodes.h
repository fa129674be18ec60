// The pieces the tunnel-measuring scenarios (nat-matrix, public-peer) and the
// discovery tests put on their nodes: a mediation server with the four RFC 5780
// discovery endpoints of a two-address server site, and clients pointed at it.
// Each call also fixes the random streams of what it installed, in the order the
// nat-matrix always used, so its seeds give the same runs as before. (The demo
// keeps its own setup: one server address and Hamachi's port 12975.)
#pragma once

#include <ns3/node.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulation/event_log.h"
#include "emulation/yt_client_app.h"
#include "emulation/yt_relay_app.h"
#include "emulation/yt_server_app.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "server/core/storage.h"

namespace yt::emulation {

// 443: the port that even a TCP-443-only firewall lets out.
constexpr std::uint16_t kScenarioControlPort = 443;
constexpr std::uint16_t kScenarioDiscoveryPort = 3478;
constexpr std::uint16_t kScenarioAlternatePort = 3479;
constexpr std::uint16_t kScenarioRelayPort = 3478;  // on a relay's own host
// The server's refresh endpoints (ServerConfig::refresh_endpoints): this many ports
// from here on its primary address, unless the config names its own.
constexpr std::uint16_t kScenarioRefreshPort = 3490;
constexpr std::uint16_t kScenarioRefreshPorts = 8;

// Both ports on each of the server's addresses (Topology::AddServer(link, 2)): what
// RFC 5780 discovery needs to tell mapping and filtering behaviours apart.
std::vector<Endpoint> discovery_endpoints(const std::vector<Ipv4>& server_ips);

// The keys of a scenario's parties, drawn in this order from one ns-3 stream: the
// server's, each relay's, each client's (the order the scenarios always used, so
// a seed keeps giving the same keys). `stream` is advanced past the one it used.
struct ScenarioIdentities {
  Identity server;
  std::vector<Identity> relays;
  std::vector<Identity> clients;
};
ScenarioIdentities draw_identities(int64_t& stream, std::size_t relays, std::size_t clients);

// Installs a YtServerApp on `node`, listening on kScenarioControlPort, started at
// time 0, with kScenarioRefreshPorts refresh endpoints when `config` has none. `stream` is advanced past the streams it used. `log` may be null.
ns3::Ptr<YtServerApp> install_server(ns3::Ptr<ns3::Node> node, const ServerConfig& config, const Identity& identity,
                                     Storage* storage, EventLog* log, int64_t& stream);

// Installs a YtClientApp named `name` on `node`, pointed at the server's control
// endpoint and pinned to its key, starting at `start_s` seconds. The identity is
// drawn from the node's stream when empty.
// `base` supplies every setting but the server, its key and the nickname.
ns3::Ptr<YtClientApp> install_client(ns3::Ptr<ns3::Node> node, const std::string& name, Ipv4 server_ip,
                                     const PublicKey& server_key, std::optional<Identity> identity, double start_s,
                                     EventLog* log, int64_t& stream, const ClientConfig& base = {});

// Installs a YtRelayApp named `name` on `node` (UDP at the node's address,
// kScenarioRelayPort), registering with the server at `server_ip` pinned to
// `server_key`, started at 100 ms (after the server). `stream` is advanced past the
// streams it used. `log` may be null.
ns3::Ptr<YtRelayApp> install_relay(ns3::Ptr<ns3::Node> node, Ipv4 node_ip, const std::string& name, Ipv4 server_ip,
                                   const PublicKey& server_key, const Identity& identity, EventLog* log,
                                   int64_t& stream);

// Registers every key (with an address from `config`'s range) and makes them all
// members of an open network `network`, owned by the first: runs that measure
// tunnels skip the create/join conversation. Precondition: `keys` is not empty.
void add_members(Storage& storage, const ServerConfig& config, const std::string& network,
                 const std::vector<PublicKey>& keys);

}  // namespace yt::emulation
