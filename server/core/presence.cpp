// Online/offline fan-out, membership snapshots and tunnel instructions: the part of
// the server core that turns "who is online in which network" into messages.
#include "server/core/punch_techniques.h"
#include "server/core/server_core_impl.h"

#include <algorithm>
#include <chrono>

namespace yt {
namespace {

// Wire bytes of one network inside a NetworkSnapshot: measured with the real
// encoder rather than recomputed, so the split below cannot drift from messages.cpp.
std::size_t entry_size(const NetworkInfo& network) {
  static_assert(kMaxFrameSize > kSealedFrameOverhead, "frame budget");
  NetworkSnapshot one;
  one.networks.push_back(network);
  return encode_control(one).size() - encode_control(NetworkSnapshot{}).size();
}

}  // namespace

void ServerCore::Impl::go_online(Client& c) {
  c.online = true;
  ++online_count_;
  auto snapshot = build_snapshot(c.key);
  if (!snapshot) {
    // Unsynced, the client would show a stale view for as long as it stays
    // connected; closing makes it reconnect and retry with backoff.
    ++stats_.storage_errors;
    c.online = false;
    --online_count_;
    doom(c, /*emit_close=*/true);
    return;
  }
  send_snapshot(c, snapshot.value());

  // Peers come from the snapshot just sent, so the client's view and the updates
  // and tunnels that follow agree.
  // Networks we appear offline in change nothing for their members.
  std::map<PublicKey, std::vector<std::string>> peers;
  for (const NetworkInfo& network : snapshot.value().networks) {
    if (!c.online_in(network.name)) continue;
    for (const MemberInfo& member : network.members) {
      if (member.online && member.key != c.key) peers[member.key].push_back(network.name);
    }
  }
  // Clients hosted elsewhere hear it from their own server, which mirrors us
  // (federation.h); a pair across servers is planned by the lower key's host.
  for (const auto& [key, networks] : peers) {
    Client* peer = find_online(key);
    if (!peer || peer->host != 0) continue;
    for (const std::string& network : networks) send(*peer, MemberUpdate{network, member_info(c, network)});
  }
  for (const auto& [key, networks] : peers) {
    Client* peer = find_online(key);
    if (peer && (peer->host == 0 || c.key < peer->key)) instruct_if_new(c, *peer);
  }
  publish_presence(c);
}

void ServerCore::Impl::go_offline(Client& c) {
  auto peers = online_peers(c.key);
  if (peers) {
    for (const auto& [key, networks] : peers.value()) {
      Client* peer = find_online(key);
      if (!peer || peer->host != 0) continue;  // mirrors: their host tells them (federation.h)
      // online is already false, so this reads offline in every network.
      for (const std::string& network : networks) send(*peer, MemberUpdate{network, member_info(c, network)});
      send(*peer, PeerOffline{c.key});
    }
  } else {
    // Without storage the membership is unknown, but the peers it was told to
    // tunnel with are known here; they at least start checking liveness.
    ++stats_.storage_errors;
    auto it = tunnels_.find(c.key);
    if (it != tunnels_.end()) {
      for (const PublicKey& key : it->second) {
        Client* peer = find_online(key);
        if (peer && peer->host == 0) send(*peer, PeerOffline{c.key});
      }
    }
  }
  auto it = tunnels_.find(c.key);
  if (it != tunnels_.end()) {
    std::set<PublicKey> partners = it->second;
    for (const PublicKey& partner : partners) forget_tunnel(c.key, partner);
  }
}

Result<std::map<PublicKey, std::vector<std::string>>, StorageError> ServerCore::Impl::online_peers(
    const PublicKey& key) {
  auto names = storage_.networks_of(key);
  if (!names) return Err{names.error()};
  std::map<PublicKey, std::vector<std::string>> peers;
  for (const std::string& name : names.value()) {
    auto keys = storage_.members(name);
    if (!keys) return Err{keys.error()};
    for (const PublicKey& member : keys.value()) {
      if (member != key && find_online(member)) peers[member].push_back(name);
    }
  }
  return peers;
}

MemberInfo ServerCore::Impl::member_info(const Client& c, const std::string& network) const {
  return MemberInfo{c.key, c.record.nickname, c.record.virtual_ip, c.online_in(network)};
}

bool ServerCore::Impl::share_online_network(const Client& a, const Client& b,
                                            const std::map<PublicKey, std::vector<std::string>>& peers_of_a) {
  auto it = peers_of_a.find(b.key);
  if (it == peers_of_a.end()) return false;
  for (const std::string& network : it->second) {
    if (a.online_in(network) && b.online_in(network)) return true;
  }
  return false;
}

Result<MemberInfo, StorageError> ServerCore::Impl::lookup_member(const PublicKey& key, const std::string& network) {
  // A logged-in client's record is current (its nickname may be newer than a
  // stale read from a storage shared with other instances).
  if (Client* c = find_logged_in(key)) return member_info(*c, network);
  auto record = storage_.find_client(key);
  if (!record) return Err{record.error()};
  MemberInfo info;
  info.key = key;
  if (record.value()) {
    info.nickname = record.value()->nickname;
    info.virtual_ip = record.value()->virtual_ip;
  }
  return info;
}

Result<NetworkSnapshot, StorageError> ServerCore::Impl::build_snapshot(const PublicKey& key) {
  auto names = storage_.networks_of(key);
  if (!names) return Err{names.error()};
  NetworkSnapshot snapshot;
  for (const std::string& name : names.value()) {
    auto keys = storage_.members(name);
    if (!keys) return Err{keys.error()};
    NetworkInfo network;
    network.name = name;
    for (const PublicKey& member : keys.value()) {
      auto info = lookup_member(member, name);
      if (!info) return Err{info.error()};
      network.members.push_back(std::move(info.value()));
    }
    snapshot.networks.push_back(std::move(network));
  }
  return snapshot;
}

void ServerCore::Impl::send_snapshot(Client& c, const NetworkSnapshot& snapshot) {
  // One frame holds at most 64 KiB. A full network (256 members with 64-byte
  // nicknames) is about 26 KB, so each network alone always fits, but a client in
  // many large networks can outgrow one frame. The networks that do not fit follow
  // as MemberUpdates, one per member, which a client applies like snapshot entries.
  const std::size_t budget = kMaxFrameSize - kSealedFrameOverhead - encode_control(NetworkSnapshot{}).size();
  NetworkSnapshot first;
  std::vector<const NetworkInfo*> overflow;
  std::size_t used = 0;
  for (const NetworkInfo& network : snapshot.networks) {
    std::size_t size = entry_size(network);
    if (overflow.empty() && used + size <= budget) {
      first.networks.push_back(network);
      used += size;
    } else {
      overflow.push_back(&network);
    }
  }
  send(c, first);
  for (const NetworkInfo* network : overflow) {
    for (const MemberInfo& member : network->members) send(c, MemberUpdate{network->name, member});
  }
}

bool ServerCore::Impl::resync(Client& c) {
  auto snapshot = build_snapshot(c.key);
  if (!snapshot) {
    ++stats_.storage_errors;
    return false;
  }
  send_snapshot(c, snapshot.value());
  return true;
}

void ServerCore::Impl::instruct_if_new(Client& a, Client& b) {
  if (a.key == b.key) return;
  auto known = tunnels_.find(a.key);
  if (known != tunnels_.end() && known->second.count(b.key)) return;
  const std::optional<Ipv4> ip_a = sequential_ip(a), ip_b = sequential_ip(b);
  std::optional<Ipv4> queue = ip_a ? ip_a : ip_b;
  // Behind one NAT the pair meets on the LAN; no port of that NAT is predicted.
  if (ip_a && ip_b && *ip_a == *ip_b) queue.reset();
  if (queue) {
    // Its turn comes in sequential_plans.cpp; remembered now, so it is queued once.
    tunnels_[a.key].insert(b.key);
    tunnels_[b.key].insert(a.key);
    queue_plan(*queue, a, b);
    return;
  }
  plan_now(a, b);
}

void ServerCore::Impl::plan_now(Client& a, Client& b) {
  std::uint64_t tunnel_id = 0;
  while (tunnel_id == 0) tunnel_id = rng_.next_u64();  // 0 reads as "no tunnel" in logs
  PlanOptions options = plan_options(config_);
  options.tcp.udp_failed = udp_failed_.count(a.key < b.key ? std::pair{a.key, b.key} : std::pair{b.key, a.key}) > 0;
  TunnelPlan plan = plan_tunnel(tunnel_side(a), tunnel_side(b), tunnel_id, options);
  offer_relay(plan, a, b);
  send(a, plan.for_a);
  send(b, plan.for_b);
  negotiations_.planned(now_, tunnel_id, a.key, b.key, nat_pair_class(a.report.profile, b.report.profile));
  // Only plans younger than the interval matter to the rate limit; dropping the
  // rest keeps the map as small as the plans of the last interval.
  while (!plan_order_.empty() && now_ >= plan_order_.front().first + config_.tunnel_retry_interval) {
    auto it = planned_at_.find(plan_order_.front().second);
    if (it != planned_at_.end() && it->second == plan_order_.front().first) planned_at_.erase(it);
    plan_order_.pop_front();
  }
  const auto pair = a.key < b.key ? std::pair{a.key, b.key} : std::pair{b.key, a.key};
  planned_at_[pair] = now_;
  plan_order_.emplace_back(now_, pair);
  tunnels_[a.key].insert(b.key);
  tunnels_[b.key].insert(a.key);
  stats_.tunnel_instructions += 2;  // counts messages: one per side
}

void ServerCore::Impl::offer_relay(TunnelPlan& plan, const Client& a, const Client& b) {
  std::optional<std::uint32_t> relay = pick_relay(a, b);
  if (!relay) return;
  const TicketKeyring& ring = ticket_ring();
  std::uint64_t pair_id = 0;
  while (pair_id == 0) pair_id = rng_.next_u64();
  const auto valid_for = std::chrono::duration_cast<std::chrono::seconds>(tickets_.current_retires_at() - now_);
  const auto valid_for_s = static_cast<std::uint32_t>(std::max<std::int64_t>(0, valid_for.count()));
  // Endpoint{}: the server's own primary discovery endpoint (messages.h, RelayOffer).
  // A client hosted by another server reads that as its own server's, so it is
  // given ours explicitly; it cannot reach us over a control connection.
  auto endpoint_for = [&](const Client& side) {
    if (*relay != 0) return relays_.at(*relay).info.udp;
    return side.host == 0 || config_.discovery_endpoints.empty() ? Endpoint{} : config_.discovery_endpoints.front();
  };
  const Endpoint stream = *relay == 0 ? Endpoint{} : relays_.at(*relay).info.stream;
  plan.for_a.relay = RelayOffer{endpoint_for(a), issue_ticket(ring, pair_id, 0), valid_for_s, stream};
  plan.for_b.relay = RelayOffer{endpoint_for(b), issue_ticket(ring, pair_id, 1), valid_for_s, stream};
  pair_relay_[a.key < b.key ? std::pair{a.key, b.key} : std::pair{b.key, a.key}] = *relay;
  ++stats_.relay_offers;
  if (*relay != 0) ++stats_.relay_offers_separate;
}

void ServerCore::Impl::handle_request_tunnel(Client& c, const RequestTunnel& m) {
  Client* peer = find_online(m.peer);
  if (!c.online || !peer || peer == &c) {
    ++stats_.tunnel_requests_ignored;
    return;
  }
  // The cheap check first: a client asking in a loop costs no storage reads.
  auto pair = c.key < peer->key ? std::pair{c.key, peer->key} : std::pair{peer->key, c.key};
  auto last = planned_at_.find(pair);
  if (last != planned_at_.end() && now_ < last->second + config_.tunnel_retry_interval) {
    ++stats_.tunnel_requests_ignored;
    return;
  }
  auto shared = online_peers(c.key);
  if (!shared) {
    ++stats_.storage_errors;
    return;
  }
  if (!share_online_network(c, *peer, shared.value())) {
    ++stats_.tunnel_requests_ignored;
    return;
  }
  forget_tunnel(c.key, peer->key);
  instruct_if_new(c, *peer);
}

void ServerCore::Impl::handle_tunnel_outcome(Client& c, const TunnelOutcome& m) {
  // The reporter's key is the handshake's, so only a side can claim a plan; the
  // ledger checks that it is one.
  switch (negotiations_.report(now_, c.key, m)) {
    case NegotiationLedger::Verdict::kCounted: note_outcome(c.key, m.peer, m.outcome); break;
    case NegotiationLedger::Verdict::kDuplicate: ++stats_.tunnel_outcomes_duplicate; break;
    case NegotiationLedger::Verdict::kUnknown: ++stats_.tunnel_outcomes_unknown; break;
    case NegotiationLedger::Verdict::kForeign: ++stats_.tunnel_outcomes_foreign; break;
    case NegotiationLedger::Verdict::kNotASide: ++stats_.tunnel_outcomes_not_a_side; break;
  }
}

void ServerCore::Impl::note_outcome(const PublicKey& a, const PublicKey& b, NegotiationOutcome outcome) {
  const auto pair = a < b ? std::pair{a, b} : std::pair{b, a};
  if (outcome == NegotiationOutcome::kDirect || outcome == NegotiationOutcome::kKept) {
    udp_failed_.erase(pair);
    return;
  }
  if (outcome != NegotiationOutcome::kRelayed) return;
  udp_failed_[pair] = now_;
  udp_failed_order_.emplace_back(now_, pair);
  while (udp_failed_order_.size() > config_.max_negotiations) {
    // Stale order entries (the pair reported again, or cleared) are skipped.
    const auto& [at, oldest] = udp_failed_order_.front();
    auto it = udp_failed_.find(oldest);
    if (it != udp_failed_.end() && it->second == at) udp_failed_.erase(it);
    udp_failed_order_.pop_front();
  }
}

void ServerCore::Impl::forget_tunnel(const PublicKey& a, const PublicKey& b) {
  pair_relay_.erase(a < b ? std::pair{a, b} : std::pair{b, a});
  for (auto [from, to] : {std::pair{a, b}, std::pair{b, a}}) {
    auto it = tunnels_.find(from);
    if (it == tunnels_.end()) continue;
    it->second.erase(to);
    if (it->second.empty()) tunnels_.erase(it);
  }
}

TunnelSide ServerCore::Impl::tunnel_side(const Client& c) const {
  TunnelSide side;
  side.key = c.key;
  side.virtual_ip = c.record.virtual_ip;
  side.lan_endpoints = c.lan_endpoints;
  side.profile = c.report.profile;
  side.port_mapping = c.report.port_mapping;  // a claim: tunnel_planner.h says when it is believed
  side.tcp_port_mapping = c.report.tcp_port_mapping;
  // Only what the server saw is offered to peers, never what the client claims: a
  // client must not be able to aim its peers' punch probes at a third party. The
  // claim is the only source when the server has no discovery endpoints at all
  // (e.g. a test setup), and is used then.
  side.newest_mapping = c.newest_mapping;
  side.fresh_base = c.fresh_base;
  side.tcp_mapped = c.tcp_mapped;
  if (c.mapped_at_primary) {
    side.mapped = c.mapped_at_primary;
  } else if (c.mapped_anywhere) {
    side.mapped = c.mapped_anywhere;
  } else if (config_.discovery_endpoints.empty() && !c.report.mapped_endpoint.is_unset()) {
    side.mapped = c.report.mapped_endpoint;
  }
  return side;
}

}  // namespace yt
