// Mirrors of the clients other servers host, and what their comings and goings
// mean for ours (the rules are in federation.h).
#include "server/core/server_core_impl.h"

namespace yt {

ClientPresence ServerCore::Impl::presence_of(const Client& c) const {
  ClientPresence p;
  p.key = c.key;
  p.online = c.online;
  p.nickname = c.record.nickname;
  p.virtual_ip = c.record.virtual_ip;
  p.lan_endpoints = c.lan_endpoints;
  // What the planner offers peers (tunnel_side): seen by our discovery, never claimed.
  const TunnelSide side = tunnel_side(c);
  p.mapped = side.mapped;
  p.newest_mapping = side.newest_mapping;
  p.report = c.report;
  p.offline_networks.assign(c.offline_networks.begin(), c.offline_networks.end());
  return p;
}

void ServerCore::Impl::publish_presence(const Client& c) {
  if (!federated() || c.host != 0 || c.moved_away) return;
  federation_outputs_.push_back(PresenceNotice{config_.federation_id, presence_of(c)});
  ++stats_.presence_notices_sent;
}

void ServerCore::Impl::forward(const Client& mirror, const ControlMessage& message) {
  federation_outputs_.push_back(ForwardedMessage{config_.federation_id, mirror.host, mirror.key, message});
  ++stats_.messages_forwarded;
}

void ServerCore::Impl::presence_arrived(const PresenceNotice& notice) {
  if (!federated() || notice.from_server == config_.federation_id || notice.from_server == 0) return;
  ++stats_.presence_notices_received;
  const ClientPresence& p = notice.presence;
  auto it = mirrors_.find(p.key);
  if (!p.online) {
    // A notice from a server that no longer hosts the key is stale: it moved on.
    if (it == mirrors_.end() || it->second.host != notice.from_server) return;
    const Client gone = std::move(it->second);
    mirrors_.erase(it);
    mirror_offline(gone);
    return;
  }
  if (Client* here = find_hosted(p.key)) {
    // It logged in over there since: this connection is a leftover (a half-dead
    // TCP connection, or a failover the old server has not noticed yet).
    here->moved_away = true;
    ++stats_.sessions_moved;
    doom(*here, /*emit_close=*/true);
  }
  const bool appeared = it == mirrors_.end();
  Client& m = appeared ? mirrors_[p.key] : it->second;
  m.host = notice.from_server;
  m.key = p.key;
  m.logged_in = true;
  m.online = true;
  m.record = ClientRecord{p.key, p.nickname, p.virtual_ip};
  m.lan_endpoints = p.lan_endpoints;
  m.mapped_at_primary = p.mapped;
  m.mapped_anywhere = p.mapped;
  m.newest_mapping = p.newest_mapping;
  m.report = p.report;
  m.offline_networks = std::set<std::string>(p.offline_networks.begin(), p.offline_networks.end());
  // Round trips measured to the host's relays mean nothing for ours.
  m.relay_rtts.clear();
  if (appeared) mirror_online(m);
}

void ServerCore::Impl::mirror_online(Client& mirror) {
  auto peers = online_peers(mirror.key);
  if (!peers) {
    ++stats_.storage_errors;
    return;
  }
  for (const auto& [key, networks] : peers.value()) {
    Client* peer = find_hosted(key);
    if (!peer || !peer->online) continue;
    for (const std::string& network : networks) {
      if (mirror.online_in(network)) send(*peer, MemberUpdate{network, member_info(mirror, network)});
    }
  }
  // The host of the lower key plans a pair across servers; this event is the
  // second of the two arrivals here whichever order they came in.
  for (const auto& [key, networks] : peers.value()) {
    Client* peer = find_hosted(key);
    if (peer && peer->online && peer->key < mirror.key && share_online_network(mirror, *peer, peers.value())) {
      instruct_if_new(*peer, mirror);
    }
  }
}

void ServerCore::Impl::mirror_offline(const Client& mirror) {
  auto peers = online_peers(mirror.key);
  if (peers) {
    for (const auto& [key, networks] : peers.value()) {
      Client* peer = find_hosted(key);
      if (!peer || !peer->online) continue;
      MemberInfo info = member_info(mirror, "");
      info.online = false;
      for (const std::string& network : networks) send(*peer, MemberUpdate{network, info});
      send(*peer, PeerOffline{mirror.key});
    }
  } else {
    ++stats_.storage_errors;
  }
  auto it = tunnels_.find(mirror.key);
  if (it != tunnels_.end()) {
    const std::set<PublicKey> partners = it->second;
    for (const PublicKey& partner : partners) forget_tunnel(mirror.key, partner);
  }
}

void ServerCore::Impl::forwarded_arrived(const ForwardedMessage& message) {
  if (!federated() || message.to_server != config_.federation_id) return;
  Client* c = find_hosted(message.to);
  if (!c) {
    ++stats_.forwarded_undeliverable;  // it left meanwhile; its peers hear that from its presence
    return;
  }
  // A plan made elsewhere for a pair with our client is remembered here too, so
  // this server does not plan the same pair again on its own; its outcome is
  // counted by the server that made it (negotiation_ledger.h).
  if (const auto* instruction = std::get_if<TunnelInstruction>(&message.message)) {
    tunnels_[c->key].insert(instruction->peer);
    tunnels_[instruction->peer].insert(c->key);
    negotiations_.foreign(now_, instruction->tunnel_id);
  }
  send(*c, message.message);
  ++stats_.forwarded_delivered;
}

void ServerCore::Impl::server_gone(std::uint32_t server) {
  if (!federated() || server == config_.federation_id) return;
  std::vector<PublicKey> keys;
  for (const auto& [key, mirror] : mirrors_) {
    if (mirror.host == server) keys.push_back(key);
  }
  if (!keys.empty()) ++stats_.servers_gone;
  for (const PublicKey& key : keys) {
    auto it = mirrors_.find(key);
    const Client gone = std::move(it->second);
    mirrors_.erase(it);
    mirror_offline(gone);
  }
}

// ---- ServerCore's federation entry points

void ServerCore::on_federation(Time now, const FederationMessage& message) {
  impl_->now_ = now;
  if (const auto* notice = std::get_if<PresenceNotice>(&message)) {
    impl_->presence_arrived(*notice);
  } else {
    impl_->forwarded_arrived(std::get<ForwardedMessage>(message));
  }
  impl_->reap();
}

void ServerCore::on_server_gone(Time now, std::uint32_t server) {
  impl_->now_ = now;
  impl_->server_gone(server);
  impl_->reap();
}

std::vector<FederationMessage> ServerCore::drain_federation_outputs() {
  std::vector<FederationMessage> out;
  out.swap(impl_->federation_outputs_);
  return out;
}

std::vector<ClientPresence> ServerCore::hosted_presence() const {
  std::vector<ClientPresence> out;
  for (const auto& [key, conn] : impl_->by_key_) {
    auto it = impl_->conns_.find(conn);
    if (it != impl_->conns_.end() && it->second.online && !it->second.closing) {
      out.push_back(impl_->presence_of(it->second));
    }
  }
  return out;
}

std::size_t ServerCore::mirrored_clients() const { return impl_->mirrors_.size(); }

}  // namespace yt
