// Tunables of the mediation server core. Every field has a default and says why.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/password_hash.h"
#include "protocol/time.h"
#include "server/core/admission.h"
#include "server/core/tunnel_planner.h"
#include "server/relay/relay_config.h"

namespace yt {

// Round trips within this of each other are a tie, which a separate relay wins
// over the built-in one (measurement noise, and see relay_keys).
constexpr Duration kBuiltInRelayHandicap = 2ms;

struct ServerConfig {
  // Virtual addresses come from here (Hamachi's 25.0.0.0/8 avoids RFC 1918 clashes
  // with users' LANs). The network and broadcast addresses are never handed out.
  Ipv4Prefix address_range{Ipv4::from_octets(25, 0, 0, 0), 8};

  // Where clients send discovery probes, as reachable from the Internet. The first
  // is the primary; RFC 5780 tests use the others (other IP / other port).
  std::vector<Endpoint> discovery_endpoints;

  // How far ahead both peers of a tunnel are told to start punching: long enough for
  // the instruction to reach both over their control connections, short enough
  // that users do not wait. 250 ms covers intercontinental one-way delays.
  Duration punch_lead = 250ms;

  PunchStrategy punch_strategy = PunchStrategy::kServerDriven;
  // Techniques of the server-driven strategy left out (punch_techniques.h).
  std::set<std::string> disabled_techniques;
  // Birthday probing's numbers (tunnel_planner.h).
  BirthdayOptions birthday;
  // TCP hole punching's numbers (tunnel_planner.h).
  TcpPunchOptions tcp_punch;

  // How many predicted ports of a sequential symmetric NAT a peer probes
  // (tunnel_planner.h). Each costs the prober one mapping on a symmetric NAT of its
  // own, so wider is not free; 8 absorbs a few mappings made by other traffic.
  std::size_t port_prediction_window = 8;

  // Plans that predict the ports of a sequential symmetric NAT go one at a time per
  // public IP of such a NAT (several clients behind one NAT, or one client with many
  // peers, would otherwise take each other's predicted ports), each starting from a
  // fresh look at the NAT's port counter: the client is asked to probe one of
  // `refresh_endpoints` (RefreshMapping), a server port it never sent to, so its
  // NAT makes a new mapping the server sees. The plan waits for that probe at most
  // `refresh_wait` (then plans with what it has), and the next plan behind the same
  // IP starts `sequential_plan_spacing` later: by then this plan's punch has made
  // its mappings (lead plus a round trip), so the next probe sees past them.
  // Without refresh endpoints, plans are still spaced, from the last base seen.
  bool serialize_sequential_plans = true;
  std::vector<Endpoint> refresh_endpoints;
  Duration refresh_wait = 600ms;
  Duration sequential_plan_spacing = 600ms;

  // TTL of the first probe round (TunnelInstruction::prepunch_ttl; 0: off). 2
  // passes a home NAT at the first hop and dies at the next router, far short of
  // the peer's NAT on the Internet. Raise it for clients behind longer NAT chains;
  // it must stay below the hop count between the peers' NATs.
  std::uint8_t prepunch_ttl = 2;

  // How much later than its peer a receptive side (no NAT, or EIM/EIF) starts
  // punching toward a filtering one, so the filtering side's first probe leaves its
  // NAT before any probe arrives there (tunnel_planner.h). It must cover the
  // difference between the two sides' instruction delivery times, including a
  // lost instruction segment sent again (TCP's minimum RTO: 200 ms on Linux, 1 s
  // in RFC 6298). It costs no time to direct: the filtering side's first probe gets
  // through at once, and the receptive side answers it whether it has started or
  // not; its own probes matter only if its profile was wrong.
  Duration punch_follower_delay = 1s;

  // A pair planned less than this long ago is not planned again on a client's
  // RequestTunnel: a client that asks in a loop costs its peer nothing more than
  // one punch attempt per interval. Clients back off far beyond it on their own.
  Duration tunnel_retry_interval = 10s;

  // How long a plan is remembered for its TunnelOutcome (negotiation_ledger.h).
  // A client settles a negotiation within its punch window plus the relay's extra
  // window (2 x 10 s after the start delay, client_config.h); five minutes leaves
  // room for a slow or reconnecting client and still forgets a plan soon.
  Duration negotiation_memory = 5min;
  // At most this many plans are remembered; past it the oldest is forgotten. A
  // join storm of 10,000 clients into networks of 8 makes ~35,000 plans; an entry
  // costs ~150 bytes, so the cap is ~10 MB.
  std::size_t max_negotiations = 65536;

  // A control connection that says nothing for this long is considered lost. Clients
  // ping every 30 s (client_config.h), so three missed pings.
  Duration client_idle_timeout = 95s;

  // A connection that has not completed the handshake and login in this time is
  // dropped, so half-open connections cannot pile up.
  Duration login_timeout = 10s;

  // Argon2id cost for network passwords. interactive() in production; tests and
  // large simulations use minimum() because the hash is CPU-bound.
  PwhashStrength password_strength = PwhashStrength::interactive();

  // The relay built into the server (server/relay/relay_core.h) on its discovery
  // sockets: every planned pair gets a ticket for it, so a pair that cannot punch
  // still connects, and one box is a complete deployment. Needs at least one
  // discovery endpoint (the relay's address).
  bool builtin_relay = true;
  RelayConfig relay;

  // Separate relays (yellowtail-relay) allowed to register, by public key: each
  // gets the ticket keys and joins the list clients measure, and a pair is given
  // the relay with the smallest sum of its two sides' round trips (the built-in
  // relay only when it beats every separate one by more than
  // kBuiltInRelayHandicap: a pair on a separate relay survives this server's
  // outage). Empty: the built-in relay only. A key not listed is refused (never
  // an unknown relay).
  std::vector<PublicKey> relay_keys;

  // Connection and handshake limits per source address and in all (admission.h).
  AdmissionConfig admission;

  // This server's id among several sharing one database (federation.h), unique and
  // non-zero; 0: a standalone server, which never produces federation messages.
  std::uint32_t federation_id = 0;

  // Upper bounds that keep one client from exhausting the server.
  std::size_t max_networks_per_client = 256;
  std::size_t max_members_per_network = 256;
};

}  // namespace yt
