// The vocabulary the parts of the client core and its drivers share: states, peer
// status, send errors and the output variant. Kept apart from client_core.h so that
// no part of the core includes the facade it is a part of.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "client/core/client_events.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/io_boundary.h"
#include "protocol/time.h"

namespace yt {

// What a ClientCore asks its driver to do, in order (io_boundary.h), and the events
// it reports.
using ClientOutput =
    std::variant<SendDatagram, CloseSocket, OpenStream, ListenStream, SendStream, CloseStream, ClientEvent>;

enum class ClientState : std::uint8_t {
  kStopped,      // before start() / after stop()
  kConnecting,   // TCP connect in progress (or waiting to retry)
  kLoggingIn,    // handshake and LoginRequest sent
  kDiscovering,  // probing the discovery endpoints
  kOnline,       // synced; requests allowed
};
const char* to_string(ClientState s);

enum class TunnelState : std::uint8_t {
  kWaiting,      // instruction received, start time not reached
  kPunching,     // sending probes
  kHandshaking,  // a path answered; Noise handshake in flight
  kDirect,       // authenticated direct path
  kFailed,       // punching ended without a path
  kRelayed,      // authenticated path through the relay; punching may still go direct
};
const char* to_string(TunnelState s);

struct PeerStatus {
  PublicKey key{};
  std::string nickname;
  Ipv4 virtual_ip;
  bool online = false;          // as the server last said
  bool has_tunnel = false;
  TunnelState tunnel = TunnelState::kWaiting;
  Endpoint path;                // the peer's endpoint when kDirect, the relay's when kRelayed
  bool relay_over_tcp = false;  // kRelayed through the server's control connection, not UDP
  bool direct_over_tcp = false;  // kDirect over a TCP punch connection (tcp_punch.h), not UDP
  std::optional<Time> last_received;
  std::optional<Duration> rtt;  // last answered ping, over the path in use
  // Why no traffic can flow to this peer yet, for humans ("punching", "peer
  // offline", ...); empty when the path is direct.
  std::string no_path_reason;
  // We appear offline in every network shared with it: nothing flows either way
  // (network_presence.h).
  bool muted = false;
};

// What one send to several peers did (a broadcast IP packet, a network chat).
struct SendReport {
  std::size_t sent = 0;         // copies sealed and queued, one per peer
  std::size_t no_tunnel = 0;    // online peers left out: no direct tunnel
  std::size_t over_fanout = 0;  // peers left out by ClientConfig::max_broadcast_fanout
};

enum class SendError : std::uint8_t {
  kNoTunnel,      // no established tunnel to that peer (or no peer with that address)
  kTooLarge,      // larger than ClientConfig::max_payload
  kNotLoggedIn,   // requests need an online control connection
  kInvalidArgument,
  kPeerMuted,         // we appear offline in every network shared with that peer (network_presence.h)
  kOfflineInNetwork,  // we appear offline in that network
};
const char* to_string(SendError e);

}  // namespace yt
