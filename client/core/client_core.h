// The sans-IO client: keeps the control connection to the mediation server (login,
// discovery, sync, requests), and the encrypted peer-to-peer tunnels the server
// tells it to build. It owns no socket, clock or thread: see
// protocol/io_boundary.h for the driver contract.
//
// The client uses ONE UDP socket for discovery and for all tunnels, so the mapped
// endpoint the server sees is the one peers can reach.
//
// Tunnel life: a TunnelInstruction arrives -> at its start time the client sends
// PunchProbes to every candidate every punch_interval, backing off after
// punch_fast_for (client_config.h); a probe or ack that arrives marks a working
// path; the initiator then sends PeerHandshakeInit (Noise IK with the peer's key,
// kPeerPrologue + tunnel id) on that path, the responder answers, and
// the tunnel is up (TunnelUp). The server never sees tunnel keys. Data is sealed per
// tunnel; keepalives hold NAT mappings. If the server is lost, tunnels stay up and
// are probed for liveness; the client reconnects with backoff. A tunnel that
// failed or went down while the server stayed is asked for again (RequestTunnel,
// tunnel_retry.h).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "client/core/client_config.h"
#include "client/core/client_events.h"
#include "client/core/client_stats.h"
#include "client/core/peer_cache.h"
#include "client/core/client_types.h"
#include "client/core/ip_router.h"
#include "protocol/identity.h"
#include "protocol/io_boundary.h"
#include "protocol/messages.h"
#include "protocol/packet_batch.h"
#include "protocol/random.h"
#include "protocol/result.h"
#include "protocol/time.h"

namespace yt {

class ClientCore {
 public:
  using Output = ClientOutput;

  // `rng` must outlive the core.
  ClientCore(ClientConfig config, Identity identity, RandomSource& rng);
  ~ClientCore();
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  // Begin connecting to the server (OpenStream comes out).
  void start(Time now);
  // Close the control connection and tear down all tunnels.
  void stop(Time now);

  void on_stream_connected(Time now, ConnId conn);
  void on_stream_data(Time now, ConnId conn, ByteView data);
  // Connection refused, reset or closed by the server.
  void on_stream_closed(Time now, ConnId conn);
  // A connection accepted on our ListenStream `listener` from `remote`; `conn` is
  // the driver's id for it (io_boundary.h, ListenStream).
  void on_stream_accepted(Time now, ConnId listener, ConnId conn, Endpoint remote);
  // `socket`: which of our sockets it arrived on (io_boundary.h, SendDatagram::socket).
  void on_datagram(Time now, Endpoint from, ByteView data, SocketId socket = 0);
  void on_timer(Time now);
  // The host's addresses changed (roaming: Wi-Fi to LTE, a new lease): the driver
  // says so when the OS does, with our socket's endpoints at the new addresses
  // (they replace ClientConfig::lan_endpoints: the LAN candidates of the next
  // login and what discovery compares the mapped endpoint with). The control
  // connection is replaced at once, so the server learns the new endpoint by a
  // fresh login and discovery; every tunnel pings its peer from the new address
  // (the session survives: the peer follows an authenticated packet) and claims
  // its relay binding anew; relay streams, bound to the old address, are closed.
  // Ignored before start().
  void on_network_changed(Time now, std::vector<Endpoint> lan_endpoints);
  // A mapping of our main socket that the driver obtained by a protocol the core
  // does not speak (UPnP IGD in the daemon), while PortMappingFallback wanted it:
  // offered to the server like the core's own (DiscoveryReport resent when the
  // external endpoint or protocol changes; a renewal that keeps them is no news).
  // The core's own mapping, when it holds one, is offered instead. Ignored while
  // the fallback is not wanted (a late result from a mapping being deleted), and
  // an offer without protocol, address or port is taken as lost.
  void on_driver_port_mapping(Time now, PortMappingOffer offer);
  // The driver's mapping is gone (deleted, refused at renewal, lease over): the
  // server hears the report without it.
  void on_driver_port_mapping_lost(Time now);
  std::optional<Time> next_deadline() const;

  // Requests to the server. On success returns the request id; the outcome arrives
  // as a RequestDone event with the same id. Fails at once when not online or when
  // an argument is out of range (names <= 64 bytes, non-empty).
  Result<std::uint32_t, SendError> create_network(Time now, const std::string& name, const std::string& password);
  Result<std::uint32_t, SendError> join_network(Time now, const std::string& name, const std::string& password);
  Result<std::uint32_t, SendError> leave_network(Time now, const std::string& name);
  Result<std::uint32_t, SendError> set_nickname(Time now, const std::string& nickname);
  // Appear online or offline to the members of `network` (go-online / go-offline),
  // and send no IP packet to a member we then share only offline networks with.
  // Kept across reconnects and restated before every DiscoveryReport, so the server
  // never shows us online there in between; sent at once when online. Forgotten
  // when we leave the network. No reply is awaited: the server refuses only a
  // network we are not in, which changes nothing. kInvalidArgument for a name that
  // is not 1..64 bytes.
  Status<SendError> set_network_online(Time now, const std::string& network, bool online);

  // Seal `payload` for `peer` and queue it on the tunnel's path. A kChat payload is
  // the text of a private chat (send_chat is the checked way); kPing and kPong belong
  // to the tunnel itself (kInvalidArgument). kPeerMuted for a peer we appear
  // offline to everywhere we share (network_presence.h), whose packets and chat
  // are not delivered to us either (stats().received_muted).
  Status<SendError> send_to_peer(Time now, const PublicKey& peer, ByteView payload,
                                 PeerPayloadType type = PeerPayloadType::kPacket);

  // IP layer: routes one IPv4 or IPv6 packet read from the adapter (rules in
  // ip_router.h): to the peer owning the destination, or, for a broadcast or
  // multicast, to every peer with a direct tunnel, once each. Every refusal is also
  // counted in stats(). Errors: kNoAddress (before the first login), kMalformed,
  // kUnsupported (IPv6 without ClientConfig::ipv6_base), kTooLarge (over
  // max_payload: the adapter MTU is too big), kBadSource (not our virtual address),
  // kNoRoute, kPeerMuted (we are offline in every network shared with that peer),
  // kNoTunnel (unicast only: a broadcast that reaches nobody is Ok with sent == 0).
  // Works in either mode; receivers filter in ip_mode.
  Result<SendReport, IpRouteError> send_ip_packet(Time now, ByteView ip_packet);

  // The batched data plane (docs/data-plane.md): the same as calling
  // send_ip_packet for each packet, except that a unicast packet to a peer on a
  // direct path is sealed straight into `out` (appended; the caller clears it), its
  // PeerData ready to send to the entry's endpoint, instead of becoming a
  // SendDatagram output. Everything else (broadcasts, relayed tunnels, refusals,
  // counters) happens as for send_ip_packet; drain the outputs after sending `out`.
  void send_ip_batch(Time now, const std::vector<ByteView>& packets, PacketBatch& out);
  // The same as calling on_datagram for each datagram, except that an IP packet
  // (PeerPayloadType::kPacket) arriving on a direct path is opened straight into
  // `out` (appended, with its sender in Entry::peer) instead of becoming a
  // PacketReceived event. Anything else (handshakes, pings, chat, relayed data)
  // produces outputs and events as usual.
  void on_datagram_batch(Time now, const std::vector<ReceivedDatagram>& datagrams, PacketBatch& out);

  // Private chat to one peer (ChatReceived with an empty network there). `text` is
  // UTF-8 (not checked), 1..kMaxChatLength bytes: kInvalidArgument when empty,
  // kTooLarge when longer; kNoTunnel without a direct tunnel; kPeerMuted as for
  // send_to_peer.
  Status<SendError> send_chat(Time now, const PublicKey& peer, std::string text);
  // Chat to every peer of `network` with a direct tunnel, once each (ChatReceived
  // with that network there). kInvalidArgument when we are not in `network` or the
  // text is empty, kTooLarge when it is longer than kMaxChatLength,
  // kOfflineInNetwork when we appear offline in it.
  Result<SendReport, SendError> send_network_chat(Time now, const std::string& network, std::string text);

  std::vector<Output> drain_outputs();

  ClientState state() const;
  const PublicKey& public_key() const;
  std::optional<Ipv4> virtual_ip() const;
  std::optional<Endpoint> mapped_endpoint() const;
  // What the latest discovery run learned (discovery.h); nullopt before the first
  // run ends. Kept across reconnects until a new run replaces it.
  std::optional<NatProfile> nat_profile() const;
  // The mapping of our main socket offered to the server: the core's own
  // (port_mapping.h) when it holds one, else the driver's
  // (on_driver_port_mapping); protocol kNone when none.
  PortMappingOffer port_mapping() const;
  // The gateway's mapping of our TCP listening port (tcp_listener.h); kNone when none.
  PortMappingOffer tcp_port_mapping() const;
  const std::vector<NetworkInfo>& networks() const;
  // Every peer sharing a network with us, sorted by key.
  std::vector<PeerStatus> peers() const;
  // The networks we appear offline in (set_network_online), for the caller to keep.
  const std::set<std::string>& offline_networks() const;
  const ClientStats& stats() const;

  // What to remember of our peers across a restart (peer_cache.h): our address,
  // the membership view, and the endpoints of direct tunnels.
  PeerCache peer_cache() const;
  // Before the first login of this run: takes the cached view as ours (address,
  // members, routes) and resumes a tunnel to every cached direct endpoint, so peers
  // are reachable while the server is not. False (nothing done) once logged in:
  // then the server's view counts. The server's snapshot replaces it at login.
  bool restore_peers(Time now, const PeerCache& cache);
  // The NAT's idle mapping lifetime as measured so far (mapping_lifetime.h): waits
  // answered (lower) and not (upper), and the keepalive interval tunnels use now.
  struct MappingLifetimeStatus {
    std::optional<Duration> lower, upper;
    Duration keepalive{};
  };
  MappingLifetimeStatus mapping_lifetime() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yt
