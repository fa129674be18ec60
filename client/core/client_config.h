// Tunables of the client core. Every timer and limit is named, with a default and
// the reason for it (STYLE.md rule 9).
#pragma once

#include <string>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/time.h"

namespace yt {

struct ClientConfig {
  Endpoint server;        // the mediation server's control endpoint (TCP)
  PublicKey server_key{}; // pinned: a server without this key is refused
  std::string nickname;
  // The client's own UDP socket addresses, offered to peers behind the same public
  // IP as LAN candidates. Filled in by the driver.
  std::vector<Endpoint> lan_endpoints;

  // Many NATs drop idle UDP mappings after 30 s (RFC 4787 allows 2 min, real devices
  // are shorter), so tunnels send a keepalive when idle this long.
  Duration keepalive_interval = 25s;
  // A tunnel with no authenticated packet for this long is down: five keepalives lost.
  Duration peer_timeout = 130s;
  // Once the server is lost, tunnels are probed this often to tell live from dead
  // quickly, without waiting for the next keepalive.
  Duration liveness_probe_interval = 5s;

  // Control-connection ping; also how the client notices a dead server behind a
  // NAT that silently dropped the TCP mapping.
  Duration control_ping_interval = 30s;
  // No bytes from the server for this long: the connection is lost.
  Duration server_timeout = 75s;
  // Reconnect backoff doubles from min to max, so a server restart is picked up
  // quickly and a long outage does not flood the server.
  Duration reconnect_min = 1s;
  Duration reconnect_max = 60s;
  // Handshake + login must complete in this time or the attempt is abandoned.
  Duration login_timeout = 10s;

  // Discovery probes are UDP and may be lost: retry a few times before deciding
  // that UDP is blocked.
  Duration discovery_retry = 500ms;
  int discovery_attempts = 6;

  // Punching: probes every `punch_interval` to every candidate for `punch_duration`
  // after the scheduled start. 50 ms is faster than typical NAT state creation
  // races; 10 s covers slow paths and lossy links.
  Duration punch_interval = 50ms;
  Duration punch_duration = 10s;
  // Peer handshake init retransmission while no response has come.
  Duration handshake_retry = 1s;

  // Largest payload accepted by send_to_peer: fits a 1500-byte path with UDP, IP
  // and our framing overhead.
  std::size_t max_payload = 1400;
};

}  // namespace yt
