#include "client/core/tunnel_table.h"

namespace yt {

void TunnelTable::instruct(Time now, const TunnelInstruction& instruction, PlanSource source) {
  if (instruction.peer == ctx_.identity.public_key) {
    ++ctx_.stats.control_failures;
    return;
  }
  auto owner = tunnel_ids_.find(instruction.tunnel_id);
  if (owner != tunnel_ids_.end() && owner->second != instruction.peer) {
    ++ctx_.stats.control_failures;
    return;
  }
  TunnelEnv e = env();
  auto it = tunnels_.find(instruction.peer);
  if (it != tunnels_.end() && it->second.can_send()) {
    // Keep the live session: re-instructions follow every server reconnect, and
    // tearing down a working tunnel for one would drop traffic (outage survival).
    tunnel_ids_.erase(it->second.tunnel_id());
    it->second.adopt(instruction, now, source, e);
    it->second.set_peer_offline(false);
    tunnel_ids_[instruction.tunnel_id] = instruction.peer;
    note_relay_pair(it->second);
    note_stream(it->second);
    return;
  }
  if (it != tunnels_.end()) {
    // Not up yet (or failed): restart from scratch under the new plan, silently.
    it->second.close("re-instructed", e);
    erase(it);
  }
  auto [created, inserted] =
      tunnels_.emplace(instruction.peer, Tunnel(instruction, now, ctx_.config, source));
  created->second.set_liveness_checks(server_lost_);
  created->second.plan_tcp(instruction.tcp, e);
  tunnel_ids_[instruction.tunnel_id] = instruction.peer;
  note_relay_pair(created->second);
  note_stream(created->second);
}

void TunnelTable::note_stream(const Tunnel& tunnel) {
  if (std::optional<ConnId> conn = tunnel.tcp_conn()) stream_peers_[*conn] = tunnel.peer();
}

Tunnel* TunnelTable::by_stream(ConnId conn) {
  auto it = stream_peers_.find(conn);
  if (it == stream_peers_.end()) return nullptr;
  auto tunnel = tunnels_.find(it->second);
  if (tunnel == tunnels_.end() || tunnel->second.tcp_conn() != conn) {
    stream_peers_.erase(it);  // the punch ended, or its tunnel did
    return nullptr;
  }
  return &tunnel->second;
}

void TunnelTable::on_stream_accepted(ConnId conn, Endpoint remote) {
  TunnelEnv e = env();
  // A scan: accepted connections are rare (one per pair that cannot use UDP).
  for (auto& [peer, tunnel] : tunnels_) {
    if (tunnel.on_tcp_accepted(conn, remote, e)) {
      note_stream(tunnel);
      return;
    }
  }
  ++ctx_.stats.tcp_accepts_refused;
  ctx_.outputs.emplace_back(CloseStream{conn});
}

void TunnelTable::on_stream_connected(ConnId conn) {
  TunnelEnv e = env();
  if (Tunnel* t = by_stream(conn)) t->on_tcp_connected(e);
}

std::vector<std::pair<PeerPath, Bytes>> TunnelTable::on_stream_data(ConnId conn, ByteView data) {
  std::vector<std::pair<PeerPath, Bytes>> out;
  TunnelEnv e = env();
  Tunnel* t = by_stream(conn);
  if (!t) return out;
  const PeerPath path = t->tcp_path();
  for (Bytes& frame : t->on_tcp_data(data, e)) out.emplace_back(path, std::move(frame));
  return out;
}

void TunnelTable::on_stream_closed(Time now, ConnId conn) {
  TunnelEnv e = env();
  if (Tunnel* t = by_stream(conn)) t->on_tcp_closed(now, e);
}

void TunnelTable::note_relay_pair(const Tunnel& tunnel) {
  // Ids of links the tunnel no longer holds go (instructions are rare: a scan is fine).
  for (auto it = relay_pairs_.begin(); it != relay_pairs_.end();) {
    it = it->second == tunnel.peer() && !tunnel.relay_pair(it->first) ? relay_pairs_.erase(it) : std::next(it);
  }
  if (tunnel.relay()) relay_pairs_[tunnel.relay()->pair_id()] = tunnel.peer();
  if (tunnel.next_relay()) relay_pairs_[tunnel.next_relay()->pair_id()] = tunnel.peer();
}

void TunnelTable::erase(std::map<PublicKey, Tunnel>::iterator it) {
  auto id = tunnel_ids_.find(it->second.tunnel_id());
  if (id != tunnel_ids_.end() && id->second == it->first) tunnel_ids_.erase(id);
  for (auto pair = relay_pairs_.begin(); pair != relay_pairs_.end();) {
    pair = pair->second == it->first ? relay_pairs_.erase(pair) : std::next(pair);
  }
  tunnels_.erase(it);
}

Tunnel* TunnelTable::by_tunnel_id(std::uint64_t tunnel_id) {
  auto id = tunnel_ids_.find(tunnel_id);
  if (id == tunnel_ids_.end()) return nullptr;
  auto it = tunnels_.find(id->second);
  return it == tunnels_.end() ? nullptr : &it->second;
}

Tunnel* TunnelTable::by_pair(std::uint64_t pair_id) {
  auto id = relay_pairs_.find(pair_id);
  if (id == relay_pairs_.end()) return nullptr;
  auto it = tunnels_.find(id->second);
  if (it == tunnels_.end()) return nullptr;
  const Tunnel& t = it->second;
  return t.relay_pair(pair_id) ? &it->second : nullptr;
}

Tunnel* TunnelTable::by_index(std::uint32_t index) {
  const PublicKey* owner = indexes_.find(index);
  if (!owner) return nullptr;
  auto it = tunnels_.find(*owner);
  return it == tunnels_.end() ? nullptr : &it->second;
}

Tunnel* TunnelTable::by_tunnel_id_or_resume(Time now, std::uint64_t tunnel_id, Endpoint from) {
  Tunnel* tunnel = by_tunnel_id(tunnel_id);
  if (tunnel || !resume) return tunnel;
  std::optional<TunnelInstruction> plan = resume(tunnel_id, from);
  if (!plan) return nullptr;
  instruct(now, *plan, PlanSource::kResume);
  return by_tunnel_id(tunnel_id);
}

void TunnelTable::on_punch(Time now, PeerPath from, std::uint64_t tunnel_id, std::uint32_t sequence,
                           bool is_ack) {
  Tunnel* tunnel = by_tunnel_id_or_resume(now, tunnel_id, from.endpoint);
  if (!tunnel) {
    ++ctx_.stats.unknown_tunnel;
    return;
  }
  TunnelEnv e = env();
  tunnel->on_punch(now, from, sequence, is_ack, e);
}

void TunnelTable::on_handshake_init(Time now, PeerPath from, const PeerHandshakeInit& init) {
  Tunnel* tunnel = from.relayed ? by_tunnel_id(init.tunnel_id) : by_tunnel_id_or_resume(now, init.tunnel_id, from.endpoint);
  if (!tunnel) {
    ++ctx_.stats.unknown_tunnel;
    return;
  }
  TunnelEnv e = env();
  tunnel->on_handshake_init(now, from, init, e);
}

void TunnelTable::on_handshake_resp(Time now, PeerPath from, const PeerHandshakeResp& resp) {
  Tunnel* tunnel = by_index(resp.receiver_index);
  if (!tunnel) {
    ++ctx_.stats.unknown_session;
    return;
  }
  TunnelEnv e = env();
  tunnel->on_handshake_resp(now, from, resp, e);
}

std::optional<std::pair<PublicKey, PeerPayload>> TunnelTable::on_data(Time now, PeerPath from,
                                                                      const PeerData& data) {
  Tunnel* tunnel = by_index(data.receiver_index);
  if (!tunnel) {
    ++ctx_.stats.unknown_session;
    return std::nullopt;
  }
  TunnelEnv e = env();
  auto payload = tunnel->on_data(now, from, data, e);
  if (!payload) return std::nullopt;
  return std::make_pair(tunnel->peer(), std::move(*payload));
}

std::optional<std::pair<PublicKey, PeerPayload>> TunnelTable::on_relay_data(Time now, Endpoint from,
                                                                            const RelayData& data) {
  Tunnel* tunnel = by_pair(data.pair_id);
  if (!tunnel || !tunnel->accepts_relay(from, data)) {
    ++ctx_.stats.relay_unknown_pair;
    return std::nullopt;
  }
  TunnelEnv relay_env = env();
  tunnel->on_relay_traffic(now, data.pair_id, relay_env);
  auto inner = decode_datagram(data.payload);
  if (!inner) {
    ++ctx_.stats.malformed_datagrams;
    return std::nullopt;
  }
  // Only what the two sides of a tunnel say to each other travels by the relay,
  // and it must be for the tunnel the pair belongs to.
  const PeerPath path{from, true};
  if (auto* init = std::get_if<PeerHandshakeInit>(&inner.value())) {
    if (init->tunnel_id != tunnel->tunnel_id()) {
      ++ctx_.stats.unknown_tunnel;
      return std::nullopt;
    }
    on_handshake_init(now, path, *init);
  } else if (auto* resp = std::get_if<PeerHandshakeResp>(&inner.value())) {
    if (by_index(resp->receiver_index) != tunnel) {
      ++ctx_.stats.unknown_session;
      return std::nullopt;
    }
    on_handshake_resp(now, path, *resp);
  } else if (auto* peer_data = std::get_if<PeerData>(&inner.value())) {
    if (by_index(peer_data->receiver_index) != tunnel) {
      ++ctx_.stats.unknown_session;
      return std::nullopt;
    }
    return on_data(now, path, *peer_data);
  } else {
    ++ctx_.stats.malformed_datagrams;
  }
  return std::nullopt;
}

void TunnelTable::on_relay_bound(Time now, Endpoint from, const RelayBound& bound) {
  Tunnel* tunnel = by_pair(bound.pair_id);
  if (!tunnel) {
    ++ctx_.stats.relay_unknown_pair;
    return;
  }
  TunnelEnv e = env();
  tunnel->on_relay_bound(now, from, bound, e);
}

Status<SendError> TunnelTable::send(Time now, const PublicKey& peer, const PeerPayload& payload) {
  auto it = tunnels_.find(peer);
  if (it == tunnels_.end()) return Err{SendError::kNoTunnel};
  TunnelEnv e = env();
  return it->second.send(now, payload, e);
}

bool TunnelTable::seal_packet(Time now, const PublicKey& peer, ByteView ip_packet, PacketBatch& out) {
  auto it = tunnels_.find(peer);
  if (it == tunnels_.end()) return false;
  TunnelEnv e = env();
  return it->second.seal_packet(now, ip_packet, out, e);
}

std::optional<TunnelTable::OpenedData> TunnelTable::open_data(Time now, PeerPath from, std::uint32_t receiver_index,
                                                              ByteView sealed, std::uint8_t* out) {
  Tunnel* tunnel = by_index(receiver_index);
  if (!tunnel) {
    ++ctx_.stats.unknown_session;
    return std::nullopt;
  }
  TunnelEnv e = env();
  auto size = tunnel->open_data(now, receiver_index, sealed, out, e);
  if (!size) return std::nullopt;
  OpenedData opened;
  opened.peer = tunnel->peer();
  if (*size >= 1 && out[0] == static_cast<std::uint8_t>(PeerPayloadType::kPacket)) {
    tunnel->follow_path(now, from, PeerPayloadType::kPacket, e);
    opened.size = *size;
    return opened;
  }
  opened.other = tunnel->on_plaintext(now, from, ByteView(out, *size), e);
  if (!opened.other) return std::nullopt;
  return opened;
}

void TunnelTable::on_timer(Time now) {
  TunnelEnv e = env();
  for (auto it = tunnels_.begin(); it != tunnels_.end();) {
    it->second.on_timer(now, e);
    if (it->second.closed()) {
      auto next = std::next(it);
      erase(it);
      it = next;
    } else {
      ++it;
    }
  }
}

std::optional<Time> TunnelTable::next_deadline() const {
  std::optional<Time> next;
  for (const auto& entry : tunnels_) {
    std::optional<Time> t = entry.second.next_deadline(ctx_.config);
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

void TunnelTable::on_network_changed(Time now) {
  TunnelEnv e = env();
  for (auto& entry : tunnels_) entry.second.on_network_changed(now, e);
}

void TunnelTable::set_server_lost(bool lost) {
  server_lost_ = lost;
  for (auto& entry : tunnels_) entry.second.set_liveness_checks(lost);
}

void TunnelTable::note_peer_went_offline(const PublicKey& peer) {
  auto it = tunnels_.find(peer);
  if (it != tunnels_.end()) it->second.note_peer_went_offline();
}

void TunnelTable::set_peer_offline(const PublicKey& peer, bool offline) {
  auto it = tunnels_.find(peer);
  if (it != tunnels_.end()) it->second.set_peer_offline(offline);
}

void TunnelTable::remove(const PublicKey& peer, const std::string& reason) {
  auto it = tunnels_.find(peer);
  if (it == tunnels_.end()) return;
  TunnelEnv e = env();
  it->second.close(reason, e);
  erase(it);
}

void TunnelTable::clear(const std::string& reason) {
  TunnelEnv e = env();
  for (auto& entry : tunnels_) entry.second.close(reason, e);
  tunnels_.clear();
  tunnel_ids_.clear();
  relay_pairs_.clear();
  stream_peers_.clear();
}

const Tunnel* TunnelTable::find(const PublicKey& peer) const {
  auto it = tunnels_.find(peer);
  return it == tunnels_.end() ? nullptr : &it->second;
}

}  // namespace yt
