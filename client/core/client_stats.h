// Counters the client core keeps for status output; every dropped input is counted
// under its reason (docs/style.md rule 6).
#pragma once

#include <cstdint>

namespace yt {

struct ClientStats {
  std::uint64_t malformed_datagrams = 0;
  std::uint64_t port_mapping_requests = 0;   // PCP / NAT-PMP requests sent to the gateway (port_mapping.h)
  std::uint64_t port_mapping_malformed = 0;  // gateway answers that were not to our request
  std::uint64_t unknown_tunnel = 0;        // punch/handshake for a tunnel we do not have
  std::uint64_t unknown_session = 0;       // PeerData with an unknown receiver index
  std::uint64_t relay_unknown_pair = 0;    // relay traffic for no tunnel of ours, or not from its relay
  std::uint64_t auth_failures = 0;         // PeerData that did not authenticate
  std::uint64_t replayed = 0;              // PeerData with a replayed counter
  std::uint64_t handshake_failures = 0;    // peer handshakes that did not authenticate
  std::uint64_t control_failures = 0;      // control frames that failed to decode/authenticate
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_received = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t birthday_datagrams = 0;    // birthday probing: sockets opened toward a peer, ports probed
  std::uint64_t tcp_mapping_failures = 0;  // sessions whose TCP mapping the server could not learn
  std::uint64_t tcp_punches_opened = 0;    // TCP punch connections opened toward a peer
  std::uint64_t tcp_punches_connected = 0; // of those, connected (a direct TCP path to try)
  std::uint64_t tcp_accepted = 0;          // connections a peer opened to our TCP port mapping, taken
  std::uint64_t tcp_accepts_refused = 0;   // accepted connections no tunnel awaited, closed
  std::uint64_t tcp_listen_failures = 0;   // the driver could not listen on our TCP port
  std::uint64_t tcp_stream_errors = 0;     // TCP punch connections whose framing broke (closed)
  std::uint64_t tunnel_requests = 0;       // RequestTunnel sent: a tunnel that should exist did not work
  std::uint64_t tunnels_resumed = 0;       // tunnels resumed without the server (peer_cache.h), either side
  std::uint64_t network_changes = 0;       // on_network_changed calls while started (roaming)

  // IP layer, adapter -> peers (send_ip_packet; see ip_router.h for the rules).
  std::uint64_t ip_sent = 0;           // copies sealed to peers: a broadcast counts once per peer
  std::uint64_t ip_no_tunnel = 0;      // copies not sent: the peer has no direct tunnel (yet)
  std::uint64_t ip_no_route = 0;       // unicast to an address no peer of ours has
  std::uint64_t ip_peer_muted = 0;     // unicast to a peer we are offline in every shared network with
  std::uint64_t ip_fanout_excess = 0;  // broadcast copies left out by max_broadcast_fanout
  std::uint64_t ip_bad_source = 0;     // source is not our virtual address (spoofing, or a loop)
  std::uint64_t ip_malformed = 0;      // not a well-formed IPv4 or IPv6 packet
  std::uint64_t ip_unsupported = 0;    // another IP version, or IPv6 without ipv6_base
  std::uint64_t ip_too_large = 0;      // over ClientConfig::max_payload
  std::uint64_t ip_no_address = 0;     // sent before we had a virtual IP
  // IP layer, peers -> adapter (ip_mode only; cryptokey routing).
  std::uint64_t ip_delivered = 0;          // PacketReceived emitted
  std::uint64_t spoofed_source = 0;        // source is not the sending peer's virtual IP
  std::uint64_t not_for_us = 0;            // destination is not us, broadcast or multicast
  std::uint64_t ip_received_malformed = 0; // not a well-formed IPv4 packet
  std::uint64_t ip_received_unsupported = 0;  // IPv6 or another version
  // Packets and chat from a peer we appear offline to in every shared network
  // (network_presence.h), dropped.
  std::uint64_t received_muted = 0;
  // Chat.
  std::uint64_t chat_bad_network = 0;  // network chat naming a network the sender and we do not share
};

}  // namespace yt
