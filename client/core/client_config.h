// Tunables of the client core. Every timer and limit is named, with a default and
// the reason for it (docs/style.md rule 9).
#pragma once

#include <array>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/endpoint.h"
#include "protocol/identity.h"
#include "protocol/time.h"

namespace yt {

struct ClientConfig {
  Endpoint server;        // the mediation server's control endpoint (TCP)
  PublicKey server_key{}; // pinned: a server without this key is refused
  // More servers of the same user base (one database, the same key; see
  // server/core/federation.h). When a server cannot be reached or is lost, the
  // next one in turn is tried within failover_spread; the reconnect backoff only
  // grows once every server failed in a row.
  std::vector<Endpoint> fallback_servers;
  Duration failover_spread = 1s;
  std::string nickname;
  // The client's own UDP socket addresses, offered to peers behind the same public
  // IP as LAN candidates. Filled in by the driver.
  std::vector<Endpoint> lan_endpoints;

  // Many NATs drop idle UDP mappings after 30 s (RFC 4787 allows 2 min, real devices
  // are shorter), so tunnels send a keepalive when idle this long. With
  // measure_mapping_lifetime this is where we start: once the NAT's idle lifetime
  // is measured (client/core/mapping_lifetime.h) the core follows the measurement.
  Duration keepalive_interval = 25s;
  bool measure_mapping_lifetime = true;
  // A tunnel with no authenticated packet for this long is down: five keepalives
  // lost (at least five ping periods, when the measured keepalive is longer).
  Duration peer_timeout = 130s;
  // Once the server is lost, tunnels are probed this often to tell live from dead
  // quickly, without waiting for the next keepalive.
  Duration liveness_probe_interval = 5s;
  // While probing, this many probes in a row with no answer mean the peer is gone:
  // 15 s instead of peer_timeout, since every probe (kPing) is answered (kPong).
  // Three, not one, so that a lost datagram or two does not cut a live tunnel.
  int liveness_probe_misses = 3;
  // Every direct tunnel pings its peer this often, for the round-trip time shown by
  // status output and as an answered liveness check. As often as the keepalive, so
  // on an idle tunnel it replaces it rather than adding to it.
  Duration ping_interval = 25s;
  // Relay fallback of a direct tunnel with a relay (tunnel.h): when we have sent
  // since the last packet that came directly and nothing came directly for
  // path_check_after, the direct path is checked with a ping every
  // path_check_interval; path_check_misses unanswered in a row and traffic moves to
  // the relay, about 5 s after the path died. Live traffic answers within an RTT,
  // so 2 s of silence while sending is already unusual.
  Duration path_check_after = 2s;
  Duration path_check_interval = 1s;
  int path_check_misses = 3;
  // While direct, the relay binding is renewed this often, so the relay (which
  // forgets a pair idle for 2 min) and our NAT's mapping toward it are ready
  // for an instant fallback.
  Duration relay_refresh_interval = 60s;
  // A direct tunnel asks for a new plan (and so a new relay ticket) this long
  // before its ticket expires: the request waits tunnel_retry_first (30 s) and its
  // refresh lead first, so 5 min leaves room for a lost request or two.
  Duration relay_ticket_margin = 5min;
  // How often the round trips to the server's relays are measured again (and
  // reported, so new pairs get the relay closest to both sides): paths change
  // slowly, and a round costs three small datagrams per relay.
  Duration relay_remeasure_interval = 10min;

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
  // that UDP is blocked. Each of discovery's two probe rounds (discovery.h) resends
  // its unanswered probes this often, each probe at most this many times.
  Duration discovery_retry = 500ms;
  int discovery_attempts = 6;
  // Some discovery answers speak by their absence: a reply the NAT filters, a
  // hairpinned probe it drops. Such an answer is given up on this long after it
  // should have come (after the primary endpoint's answer plus one measured round
  // trip; after the hairpin probe left). Replies sent together arrive within a few
  // ms of each other; 100 ms covers a slower alternate server path, and costs at
  // most 200 ms on the common APDF NAT without hairpinning.
  Duration discovery_absence_wait = 100ms;
  // A NAT keeps the filter state our probes to the alternate discovery endpoints
  // created for the life of the mapping; a rerun within that time (a reconnect)
  // would see the change-request replies pass and read APDF as EIF. So a rerun on
  // the same mapping this soon keeps the previous filtering result. RFC 4787 REQ-5
  // asks for mapping lifetimes of at least 2 min and recommends 5; 10 min leaves room.
  Duration discovery_filter_state_lifetime = 10min;

  // Punching: probes to every candidate for `punch_duration` after the scheduled
  // start, every `punch_interval` for the first `punch_fast_for`, then at an
  // interval equal to the time since the fast phase ended (so it doubles every
  // round, as ICE's retransmissions back off) up to `punch_interval_max`.
  // 50 ms is faster than typical NAT state creation races, and a pair that can
  // go direct nearly always does within the fast phase; 10 s still covers slow
  // paths and lossy links, in about 50 rounds instead of 200, since a pair that
  // cannot go direct would otherwise spray the whole window at the fast pace.
  Duration punch_interval = 50ms;
  Duration punch_fast_for = 2s;
  Duration punch_interval_max = 1s;
  Duration punch_duration = 10s;
  // Birthday probing (TunnelInstruction::birthday): this client sends at most
  // this many birthday datagrams a second whatever the server asks (a probe sweep
  // over a peer's ports should not look like a port scan), and keeps at most
  // max_extra_sockets extra sockets open at once (file descriptors; 0 turns the
  // opening side off). `birthday` false: this client takes no part (it still
  // punches as usual).
  bool birthday = true;
  std::uint16_t birthday_max_pps = 200;
  std::size_t max_extra_sockets = 512;
  // TCP hole punching (TunnelInstruction::tcp, tcp_mapping_probe.h, tcp_punch.h).
  // `tcp_punch` false: this client teaches the server no TCP mapping, so it is never
  // planned one. `tcp_punch_port`: the local TCP port punches leave from; 0 derives
  // one from our key in [kFirstTcpPunchPort, kLastTcpPunchPort]
  // (tcp_mapping_probe.h; the server learns it anew at each login).
  // A punch connection that has not come up `tcp_punch_timeout` after it was
  // opened is given up: a SYN retransmitted that long met no open hole (ns-3 and
  // Linux both retry SYNs for longer on their own).
  bool tcp_punch = true;
  std::uint16_t tcp_punch_port = 0;
  Duration tcp_punch_timeout = 10s;
  // Peer handshake init retransmission while no response has come.
  Duration handshake_retry = 1s;
  // A relayed tunnel answers the peer's punch probes with a sealed ping straight to
  // their source, to prove the direct path both ways (tunnel.h); probes arrive
  // every punch_interval per candidate in the fast phase, and one ping per 250 ms
  // is enough to catch the first open window without flooding it.
  Duration direct_probe_interval = 250ms;
  // Relay-first (the default): bind to the relay at the instruction, so every pair
  // has a path within a few round trips whatever its NATs, at the price of relaying
  // the first packets of pairs that then go direct. Off (relay-last): bind only
  // when the punch window ends without a direct path, so the relay carries only
  // the pairs that need it, and they wait a punch window first. The nat-matrix
  // measures both (`--relay first|last`, docs/nat-matrix.md).
  bool relay_first = true;
  // Off: this client sends no punch probes, so with a peer that does the same the
  // relay is the only path. For measuring relays (bench/relay_loopback.cpp) and for
  // networks where probes are unwelcome; answering a peer's probes is unaffected.
  bool punch = true;
  // A peer we should have a tunnel with but have none that works is asked for again
  // (RequestTunnel) this long after we noticed, then with doubling waits up to the
  // max (tunnel_retry.h). 30 s is past any instruction still on its way; 15 min
  // keeps a pair that can never go direct (symmetric-random against a port-
  // restricted filter) down to four requests an hour.
  Duration tunnel_retry_first = 30s;
  Duration tunnel_retry_max = 15min;
  // Each such request follows a refresh probe to the server's primary discovery
  // endpoint by this much, so the server plans with the mapping we have now (the
  // probe is UDP, the request TCP: this is the probe's head start). It refreshes
  // only our own mapping: when the peer's NAT moved it, the plan that heals is the
  // one after the peer's own request (both sides ask). Off: requests go at once and
  // the server plans with the mappings of the last discovery runs (for
  // experiments; a NAT reboot then cannot heal).
  bool tunnel_request_refresh = true;
  // Port mapping (client/core/port_mapping.h): the gateway to ask with PCP, then
  // NAT-PMP, for a mapping of our main socket's port (the first of lan_endpoints).
  // Filled in by the driver (the default route's gateway); unset: no request is
  // sent. Two hours is the lifetime RFC 6886 section 3.3 recommends asking for;
  // the mapping is renewed at half of what the gateway grants.
  bool port_mapping = true;
  std::optional<Ipv4> port_mapping_gateway;
  std::uint32_t port_mapping_lifetime_s = 7200;
  // With port mapping on and `tcp_punch` on, the client also listens on a TCP port
  // and asks the gateway to map it (tcp_listener.h), so a peer whose UDP is
  // blocked can connect to it. `tcp_listen_port` 0: the main socket's port number
  // (TCP and UDP ports are apart).
  std::uint16_t tcp_listen_port = 0;
  Duration tunnel_request_refresh_lead = 1s;

  // Largest payload accepted by send_to_peer: fits a 1500-byte path with UDP, IP
  // and our framing overhead. Also the largest IP packet send_ip_packet takes, so
  // the adapter's MTU must not exceed it.
  std::size_t max_payload = 1400;

  // True when a TUN adapter carries real IP packets: a kPacket from a peer is then
  // delivered only if it is IPv4 from that peer's virtual IP to us, broadcast or
  // multicast (cryptokey routing, ip_router.h). False keeps the raw datagram mode of
  // the tests and the datagram bridge: payloads are delivered as they come.
  bool ip_mode = false;
  // The first 96 bits of every member's IPv6 address; the last 32 are its virtual
  // IPv4 address (ip_router.h). Empty: IPv6 packets are not routed.
  std::optional<std::array<std::uint8_t, 12>> ipv6_base;
  // Networks to appear offline in from the first login on (set_network_online).
  std::set<std::string> offline_networks;
  // A broadcast or multicast packet from the adapter is copied to every peer with a
  // direct tunnel, each copy sealed and sent on our upstream. The cap bounds what one
  // packet costs (a chatty SSDP or mDNS host in a big network): 256 is the largest
  // network Hamachi offered, and 256 x 1400 bytes is already 360 kB per packet.
  std::size_t max_broadcast_fanout = 256;
};

}  // namespace yt
