// Counters the server core keeps for status output; every dropped input is counted
// under its reason (docs/style.md rule 6).
#pragma once

#include <cstdint>

namespace yt {

struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;     // over max_connections or the per-address cap
  std::uint64_t handshakes_deferred = 0;     // msg1 over a handshake rate: told to retry later
  std::uint64_t password_attempts_deferred = 0;  // join/create over the per-address password rate
  std::uint64_t logins = 0;
  std::uint64_t sessions_replaced = 0;       // a key logged in again on a new connection
  std::uint64_t handshake_failures = 0;      // bad key, replay, malformed msg1
  std::uint64_t malformed_frames = 0;        // undecodable control frames (connection closed)
  std::uint64_t auth_failures = 0;           // sealed frames that did not authenticate
  std::uint64_t malformed_datagrams = 0;
  std::uint64_t unknown_discovery_tokens = 0;
  std::uint64_t tcp_mappings = 0;                // kTcpMapping connections that taught a client's TCP mapping
  std::uint64_t tcp_mappings_unknown_token = 0;  // kTcpMapping connections naming no logged-in client
  std::uint64_t discovery_replies = 0;
  std::uint64_t lifetime_replies = 0;  // delayed answers to LifetimeProbe sent
  std::uint64_t tunnel_instructions = 0;
  std::uint64_t relay_offers = 0;             // pairs given a relay ticket (built-in or separate)
  std::uint64_t relay_offers_separate = 0;    // of those, for a separate relay
  std::uint64_t relays_registered = 0;        // yellowtail-relay registrations taken
  std::uint64_t relay_registrations_refused = 0;  // key not allowed, or a bad registration
  std::uint64_t relay_repicks = 0;            // pairs planned again because their relay went away
  std::uint64_t tunnel_requests_ignored = 0;  // RequestTunnel too soon, or for a pair that may not have one
  // TunnelOutcome reports not counted (negotiation_ledger.h); the counted ones are
  // NegotiationCounts, by NAT-pair class and outcome.
  std::uint64_t tunnel_outcomes_duplicate = 0;   // the plan's outcome was counted already (the other side's)
  std::uint64_t tunnel_outcomes_unknown = 0;     // no plan of that id remembered here
  std::uint64_t tunnel_outcomes_foreign = 0;     // planned by another server, which counts it
  std::uint64_t tunnel_outcomes_not_a_side = 0;  // from a client that is not a side of the plan
  std::uint64_t plans_queued = 0;        // plans behind a sequential NAT that waited their turn
  std::uint64_t mapping_refreshes = 0;   // RefreshMapping asked before such a plan
  std::uint64_t refreshes_missed = 0;    // plans made without every refresh probe (refresh_wait passed)
  std::uint64_t idle_disconnects = 0;
  std::uint64_t storage_errors = 0;
  // Several servers on one database (federation.h).
  std::uint64_t presence_notices_sent = 0;
  std::uint64_t presence_notices_received = 0;
  std::uint64_t messages_forwarded = 0;        // control messages sent to clients hosted elsewhere
  std::uint64_t forwarded_delivered = 0;       // forwarded to us and sent to our client
  std::uint64_t forwarded_undeliverable = 0;   // forwarded to us for a client no longer here
  std::uint64_t sessions_moved = 0;            // our client logged in on another server
  std::uint64_t servers_gone = 0;              // other servers whose clients were taken offline
};

}  // namespace yt
