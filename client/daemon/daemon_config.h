// yellowtaild's configuration: a TOML file, then command-line flags over it (a flag
// given on the command line always wins), then validation into typed values.
//
// The file (default /etc/yellowtail/yellowtaild.toml, optional) looks like:
//
//   [server]
//   address = "203.0.113.10:12975"   # mediation server, TCP control endpoint; several
//                                    # servers of one user base: "IP:PORT,IP:PORT" (failover)
//   key = "<64 hex digits>"          # its public key, pinned
//   [client]
//   nickname = "alice"
//   state_dir = "/var/lib/yellowtail" # key (client.key, 0600), state, chat history
//   udp = "0.0.0.0:0"                 # local UDP endpoint for discovery and tunnels
//   [adapter]
//   name = "yt0"
//   mtu = 1400
//   ipv6_prefix = "fd79:6c74:7461::/48" # the same on every member: peers' IPv6 sources are checked against it
//   routes = ["224.0.0.0/4"]          # extra prefixes routed into the adapter
//   [control]
//   socket = "/run/yellowtail/control.sock"
//   group = "yellowtail"              # members may use the CLI; empty: root only
//   [log]
//   level = "info"                    # trace|debug|info|warn|error|critical|off
//   [chat]
//   history = 1000                    # messages kept in the state directory
//   [ui]
//   listen = "127.0.0.1:9480"         # the local web UI (`yellowtail ui` prints its URL);
//                                     # a bare port means 127.0.0.1; loopback only; default off
//
// Unknown keys and wrong types are errors that name the key and the file: a typo
// must not silently fall back to a default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/netlink_config.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/result.h"

namespace yt {

// Settings as text, the way the file and the flags give them.
struct DaemonSettings {
  std::string server;
  std::string server_key;
  std::string nickname;
  std::string state_dir = "/var/lib/yellowtail";
  std::string key_file;  // empty: <state_dir>/client.key
  std::string udp = "0.0.0.0:0";
  bool tun = true;  // false: the datagram bridge instead of an adapter (--no-tun)
  // The data plane's optimizations (docs/data-plane.md), on unless switched off:
  bool batch = true;    // false: one datagram / TUN packet per system call (--no-batch)
  bool offload = true;  // false: no TUN TSO, no UDP GSO/GRO (--no-offload)
  bool coalesce = true; // false: TUN writes a packet at a time even with offloads (--no-coalesce)
  // Ask the default gateway for a mapping of our UDP port (PCP, then NAT-PMP,
  // client/core/port_mapping.h; then UPnP IGD, upnp_port_mapper.h); false: never
  // (--no-port-mapping).
  bool port_mapping = true;
  // The lease asked for that mapping, seconds; renewed at half of what is granted.
  std::int64_t port_mapping_lease = 7200;
  std::string bridge = "127.0.0.1:0";
  std::string device = "yt0";
  std::int64_t mtu = 1400;
  // Every member of a network must use the same prefix: a peer's IPv6 source is
  // checked against the address this prefix gives its virtual IPv4 address.
  std::string ipv6_prefix = "fd79:6c74:7461::/48";
  std::vector<std::string> routes;
  std::string control_socket = "/run/yellowtail/control.sock";
  std::string control_group;
  std::string log_level = "info";
  std::int64_t chat_history = 1000;
  std::string metrics;  // empty: off; else IPv4:PORT for Prometheus text at /metrics
  std::string ui;       // empty: off; else PORT or IPv4:PORT (loopback) for the web UI
};

enum class LogLevel : std::uint8_t { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };

// Settings checked and parsed.
struct DaemonConfig {
  Endpoint server;
  std::vector<Endpoint> fallback_servers;  // the rest of server.address, tried in turn
  PublicKey server_key{};
  std::string nickname;
  std::string state_dir;
  std::string key_file;
  Endpoint udp;
  bool tun = true;
  bool batch = true;
  bool offload = true;  // only with batch
  bool coalesce = true;  // only with offload
  bool port_mapping = true;
  std::uint32_t port_mapping_lease_s = 7200;
  Endpoint bridge;
  std::string device;
  std::uint32_t mtu = 1400;
  Ipv6Prefix ipv6_prefix;
  std::vector<Ipv4Prefix> routes;
  std::string control_socket;
  std::string control_group;
  LogLevel log_level = LogLevel::kInfo;
  std::size_t chat_history = 1000;
  std::optional<Endpoint> metrics;
  std::optional<Endpoint> ui;  // on 127.0.0.0/8 (web_server.h)
};

// Limits on the values. The MTU is bounded below by IPv6's minimum link MTU (1280,
// RFC 8200) since the adapter carries an IPv6 address, and above by the core's
// largest tunnel payload (ClientConfig::max_payload), which an IP packet must fit.
constexpr std::int64_t kMinMtu = 1280;
constexpr std::int64_t kMaxMtu = 1400;
// A port mapping's lease: renewed at half, a shorter one than 10 s would be renewed
// before the core's PCP / NAT-PMP retries (3.75 s per protocol) are over; a day is
// long past any router's cap (they shorten what is asked) and how long a mapping
// may outlive a daemon that died without deleting it.
constexpr std::int64_t kMinPortMappingLease = 10;
constexpr std::int64_t kMaxPortMappingLease = 86400;
// Chat history bound: enough for days of conversation, small enough to rewrite the
// file on every message.
constexpr std::int64_t kMaxChatHistory = 10000;
constexpr char kDefaultConfigPath[] = "/etc/yellowtail/yellowtaild.toml";
// The web UI's address when only a port is given: the UI is for this machine's
// user, and its token travels in plain HTTP.
constexpr char kDefaultWebUiAddress[] = "127.0.0.1";

// Reads TOML `text` over `settings`; only keys present in the text change.
// `source` names the file in errors ("/etc/yellowtail/yellowtaild.toml:3:7: ...").
Status<std::string> apply_toml(std::string_view text, const std::string& source, DaemonSettings& settings);

// Checks every value; the first problem comes back as a message naming the setting.
Result<DaemonConfig, std::string> validate(const DaemonSettings& settings);

Result<LogLevel, std::string> parse_log_level(const std::string& text);
const char* to_string(LogLevel level);

}  // namespace yt
