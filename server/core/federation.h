// Several mediation servers serving one user base over one database. Each server
// hosts the clients connected to it and keeps a mirror of the clients the other
// servers host, so its members see everybody online and its tunnel plans reach
// across servers. Servers exchange two kinds of messages (how they travel, e.g.
// PostgreSQL LISTEN/NOTIFY, is the driver's business):
//
//   PresenceNotice    a hosted client's state changed: it went online or offline,
//                     or what peers and the tunnel planner see of it changed.
//                     Goes to every other server, which updates its mirror.
//   ForwardedMessage  a control message for a client hosted elsewhere (a tunnel
//                     instruction, a member update from a join); its host sends it
//                     over the client's control connection.
//
// Who does what, so that nothing is sent twice and no race loses an event:
//   - Online and offline: every server tells its own clients, from the event it
//     sees (its own client's login or logout, or a mirror appearing/disappearing).
//   - A pair hosted on two servers is planned by the host of the lower key, when
//     the second of the two comes online there (its own login or the mirror's
//     arrival). A RequestTunnel is planned by the server that receives it.
//   - Joins, leaves, nicknames and appear-offline settings: the server where the
//     request arrives tells everyone concerned, forwarding to other hosts.
// A server that stops (its heartbeat ages out, the driver's call) takes its
// clients offline everywhere else: on_server_gone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/messages.h"
#include "protocol/result.h"

namespace yt {

// What one server knows of a client it hosts that matters to other servers.
struct ClientPresence {
  PublicKey key{};
  bool online = false;
  std::string nickname;
  Ipv4 virtual_ip;
  std::vector<Endpoint> lan_endpoints;
  std::optional<Endpoint> mapped;          // what the host's discovery saw (unset: UDP blocked)
  std::optional<Endpoint> newest_mapping;  // the base of port prediction
  DiscoveryReport report;
  std::vector<std::string> offline_networks;  // sorted
};

struct PresenceNotice {
  std::uint32_t from_server = 0;
  ClientPresence presence;
};

struct ForwardedMessage {
  std::uint32_t from_server = 0;
  std::uint32_t to_server = 0;
  PublicKey to{};
  ControlMessage message;
};

using FederationMessage = std::variant<PresenceNotice, ForwardedMessage>;

// Binary encoding for the link between servers. Decoding checks every length and
// field like the control protocol does (a peer server is trusted, its transport
// and storage are not); a NUL-free hex form of these bytes fits a NOTIFY payload.
Bytes encode_federation(const FederationMessage& message);
Result<FederationMessage, DecodeError> decode_federation(ByteView bytes);

}  // namespace yt
