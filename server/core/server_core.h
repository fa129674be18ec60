// The sans-IO mediation server: logs clients in, assigns their virtual addresses,
// answers discovery probes, keeps network membership, and drives tunnel setup
// between peers. It owns no socket, clock or thread: see protocol/io_boundary.h for
// the driver contract.
//
// Sequence per control connection (Hamachi's login / discovery / synchronization):
//   1. Noise IK handshake: the client pins the server key; the server learns and
//      authenticates the client key (kControlPrologue).
//   2. LoginRequest -> LoginReply: the virtual IP bound to the key (allocated on first
//      login and stored), a discovery token, the discovery endpoints.
//   3. DiscoveryProbe(s) over UDP carrying the token -> DiscoveryReply with the mapped
//      endpoint; the server records the mapped endpoint for the session.
//   4. DiscoveryReport -> the client is online: NetworkSnapshot to it, MemberUpdate
//      to every online member sharing a network, and for every online peer sharing a
//      network a TunnelInstruction to both sides with one tunnel id and start delay.
// Afterwards: Create/Join/Leave/SetNickname requests get Replies and push updates;
// Ping gets Pong; a TunnelOutcome is counted, once per plan (negotiation_ledger.h);
// a closed or idle connection makes the client offline, and its peers get
// MemberUpdate(offline) and PeerOffline.
#pragma once

#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "protocol/identity.h"
#include "protocol/io_boundary.h"
#include "protocol/nat_taxonomy.h"
#include "protocol/random.h"
#include "protocol/time.h"
#include "server/core/federation.h"
#include "server/core/negotiation_ledger.h"
#include "server/core/server_config.h"
#include "server/core/server_stats.h"
#include "server/core/storage.h"
#include "server/relay/relay_stats.h"

namespace yt {

class ServerCore {
 public:
  using Output = std::variant<SendDatagram, SendStream, CloseStream>;

  // `storage` and `rng` must outlive the core.
  ServerCore(ServerConfig config, Identity identity, Storage& storage, RandomSource& rng);
  ~ServerCore();
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  // A client connected to the control port. `conn` is chosen by the driver.
  void on_stream_accepted(Time now, ConnId conn, Endpoint remote);
  void on_stream_data(Time now, ConnId conn, ByteView data);
  // The peer closed or the connection broke. Not called for CloseStream outputs.
  void on_stream_closed(Time now, ConnId conn);
  // A datagram arrived on the local endpoint `local` (one of the discovery endpoints).
  void on_datagram(Time now, Endpoint local, Endpoint remote, ByteView data);
  void on_timer(Time now);
  // When on_timer should next run; nullopt when nothing is pending.
  std::optional<Time> next_deadline() const;

  // Outputs in the order they must be performed. Call after every input.
  std::vector<Output> drain_outputs();

  // Several servers on one database (federation.h); only with config.federation_id.
  // A message from another server, in the order that server sent them.
  void on_federation(Time now, const FederationMessage& message);
  // Another server stopped: the clients it hosted are offline for ours.
  void on_server_gone(Time now, std::uint32_t server);
  // Messages for other servers, in order: a PresenceNotice goes to every other
  // server, a ForwardedMessage to its to_server. Call after every input.
  std::vector<FederationMessage> drain_federation_outputs();
  // How each online client hosted here stands, for a server that joins later.
  std::vector<ClientPresence> hosted_presence() const;
  // Clients other servers host that this one mirrors.
  std::size_t mirrored_clients() const;

  const ServerStats& stats() const;
  // Tunnel negotiations by NAT-pair class and outcome, as the clients reported
  // them (TunnelOutcome; negotiation_ledger.h).
  const NegotiationCounts& negotiations() const;
  std::size_t online_clients() const;
  // Connections admitted and not yet closed (admission.h).
  std::size_t admitted_connections() const;
  std::size_t max_connections() const;
  // The NAT profile the online client `key` reported in its latest DiscoveryReport
  // on its current connection; nullopt when it is not online (not connected, or no
  // report yet). This is what the tunnel planner is given (TunnelSide::profile).
  std::optional<NatProfile> nat_profile(const PublicKey& key) const;
  const PublicKey& public_key() const;
  // The built-in relay's counters and pairs (zero when it is off).
  const RelayStats& relay_stats() const;
  std::size_t relay_pairs() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yt
