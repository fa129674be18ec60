// All tunnels of one client, one per peer, and the routing of peer datagrams to them:
// punch and handshake-init messages by tunnel id, handshake responses and data by
// our session index, relay traffic by the relay's pair id (and then as above, for
// the datagram it carries). Unknown ids and indexes are counted and dropped.
//
// Iteration is in key order (std::map) so timers fire, and outputs come out, in an
// order that depends only on the inputs.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "client/core/client_context.h"
#include "client/core/session_indexes.h"
#include "client/core/tunnel.h"
#include "protocol/handshake.h"
#include "protocol/messages.h"

namespace yt {

class TunnelTable {
 public:
  explicit TunnelTable(ClientContext& ctx) : ctx_(ctx) {}

  // A new tunnel, or, for a peer with a live tunnel (direct or relayed), the new id,
  // role and relay adopted by it (tunnel.h). An instruction naming ourselves, or a
  // tunnel id that belongs to another peer, is counted as a control failure and
  // ignored. A relay offer must have its endpoint resolved (RelayLink).
  // `source`: kResume for a plan of our own (peer_cache.h), whose outcome the
  // server must not hear (tunnel.h, outcome report).
  void instruct(Time now, const TunnelInstruction& instruction, PlanSource source = PlanSource::kServer);
  // Asked for a punch or handshake under a tunnel id we do not have: the plan to
  // adopt when it is a member's resume id (peer_cache.h), or nothing.
  std::function<std::optional<TunnelInstruction>(std::uint64_t tunnel_id, Endpoint from)> resume;

  void on_punch(Time now, PeerPath from, std::uint64_t tunnel_id, std::uint32_t sequence, bool is_ack);
  void on_handshake_init(Time now, PeerPath from, const PeerHandshakeInit& init);
  void on_handshake_resp(Time now, PeerPath from, const PeerHandshakeResp& resp);
  // The payload and its sender; nullopt when dropped.
  std::optional<std::pair<PublicKey, PeerPayload>> on_data(Time now, PeerPath from, const PeerData& data);
  // A datagram of the peer's through our relay: dispatched as above when it comes
  // from the relay of the tunnel its pair id names; the payload if it was data.
  std::optional<std::pair<PublicKey, PeerPayload>> on_relay_data(Time now, Endpoint from, const RelayData& data);
  void on_relay_bound(Time now, Endpoint from, const RelayBound& bound);

  // TCP punch connections (tcp_punch.h): ids from ClientContext::kFirstPunchConn
  // below the relay streams'. on_stream_data gives the tunnel datagrams that
  // arrived, each with the path to hand it in on (as on_datagram's are).
  // Connections accepted on our TCP listener (tcp_listener.h) are ids the driver
  // picked, from kFirstAcceptedConn (io_boundary.h).
  static bool owns_stream(ConnId conn) {
    return (conn >= ClientContext::kFirstPunchConn && conn < (ConnId{1} << 62)) || conn >= kFirstAcceptedConn;
  }
  // A connection accepted on our TCP listener: the tunnel awaiting one from that
  // address takes it (Tunnel::on_tcp_accepted); with none, it is closed.
  void on_stream_accepted(ConnId conn, Endpoint remote);
  void on_stream_connected(ConnId conn);
  std::vector<std::pair<PeerPath, Bytes>> on_stream_data(ConnId conn, ByteView data);
  void on_stream_closed(Time now, ConnId conn);

  Status<SendError> send(Time now, const PublicKey& peer, const PeerPayload& payload);

  // The batched data plane (docs/data-plane.md). seal_packet: Tunnel::seal_packet on
  // the tunnel to `peer` (false: none, or it must go the general way).
  bool seal_packet(Time now, const PublicKey& peer, ByteView ip_packet, PacketBatch& out);
  // One PeerData opened into `out` (sealed.size() - kSessionOverhead bytes of room).
  // A kPacket comes back as its sender and the plaintext's size (type byte first,
  // the packet after it), with `other` empty; any other payload is handled as
  // on_data handles it and comes back in `other`. nullopt when dropped (counted).
  struct OpenedData {
    PublicKey peer{};
    std::size_t size = 0;
    std::optional<PeerPayload> other;
  };
  std::optional<OpenedData> open_data(Time now, PeerPath from, std::uint32_t receiver_index, ByteView sealed,
                                      std::uint8_t* out);

  void on_timer(Time now);
  std::optional<Time> next_deadline() const;

  // Our host's addresses changed: every tunnel tells its peer (Tunnel::on_network_changed).
  void on_network_changed(Time now);
  // While the server is lost, every tunnel checks its own liveness.
  void set_server_lost(bool lost);
  void set_peer_offline(const PublicKey& peer, bool offline);
  void note_peer_went_offline(const PublicKey& peer);

  // Tears down the tunnel to `peer` (TunnelDown if it was up). No-op without one.
  void remove(const PublicKey& peer, const std::string& reason);
  void clear(const std::string& reason);

  const Tunnel* find(const PublicKey& peer) const;
  const std::map<PublicKey, Tunnel>& tunnels() const { return tunnels_; }

 private:
  TunnelEnv env() { return TunnelEnv{ctx_, indexes_, guard_}; }
  Tunnel* by_tunnel_id(std::uint64_t tunnel_id);
  Tunnel* by_tunnel_id_or_resume(Time now, std::uint64_t tunnel_id, Endpoint from);
  Tunnel* by_index(std::uint32_t index);
  Tunnel* by_pair(std::uint64_t pair_id);
  Tunnel* by_stream(ConnId conn);
  void note_relay_pair(const Tunnel& tunnel);
  void erase(std::map<PublicKey, Tunnel>::iterator it);

  ClientContext& ctx_;
  std::map<PublicKey, Tunnel> tunnels_;
  std::map<std::uint64_t, PublicKey> tunnel_ids_;
  std::map<std::uint64_t, PublicKey> relay_pairs_;  // pair id -> peer; stale ids are checked on lookup
  // TCP punch connection -> peer, recorded where instructions plan them (instruct);
  // stale ones are checked on lookup, as relay_pairs_ (a TCP path's every read looks here).
  std::map<ConnId, PublicKey> stream_peers_;
  void note_stream(const Tunnel& tunnel);
  SessionIndexes indexes_;
  HandshakeReplayGuard guard_;
  bool server_lost_ = false;
};

}  // namespace yt
