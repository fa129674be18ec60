// Separate relays (yellowtail-relay): registration, their ticket keys, the list
// clients measure, and the relay each pair is given.
#include <algorithm>

#include "protocol/display_name.h"
#include "server/core/server_core_impl.h"

namespace yt {

void ServerCore::Impl::handle_relay_register(Client& c, const RelayRegister& m) {
  auto refuse = [&](std::string why) {
    ++stats_.relay_registrations_refused;
    send(c, Reply{0, ReplyCode::kInvalidArgument, std::move(why)});
    doom(c, /*emit_close=*/true);
  };
  if (c.logged_in || c.relay) return refuse("this connection is already a client or a relay");
  if (std::find(config_.relay_keys.begin(), config_.relay_keys.end(), c.key) == config_.relay_keys.end()) {
    return refuse("relay key " + node_id(c.key) + " is not allowed on this server (its relay_keys)");
  }
  if (m.udp.is_unset()) return refuse("a relay needs a UDP endpoint clients can reach");
  // The same key again: the relay restarted, its old connection is half-dead.
  for (const auto& [id, relay] : relays_) {
    Client* old = find_conn(relay.conn);
    if (old && old->key == c.key) {
      doom(*old, /*emit_close=*/true);
      retire(*old);
      break;
    }
  }
  c.relay = true;
  c.relay_id = next_relay_id_++;
  relays_[c.relay_id] = RegisteredRelay{RelayInfo{c.relay_id, m.name, m.udp, m.stream}, c.conn};
  set_deadline(c, now_ + config_.client_idle_timeout);
  ++stats_.relays_registered;
  if (tickets_.has_key()) {
    send(c, RelayKeys{tickets_.current_key(), tickets_.previous()});
  } else {
    ticket_ring();  // makes the first key and gives it to every relay, this one too
  }
  send_relay_list_to_clients();
}

void ServerCore::Impl::handle_relay_rtts(Client& c, const RelayRtts& m) {
  if (!c.logged_in) return;
  c.relay_rtts.clear();
  for (const RelayRtt& r : m.rtts) c.relay_rtts[r.id] = std::chrono::microseconds(r.rtt_us);
}

void ServerCore::Impl::relay_gone(Client& c) {
  relays_.erase(c.relay_id);
  send_relay_list_to_clients();
  std::vector<std::pair<PublicKey, PublicKey>> moved;
  for (const auto& [pair, relay] : pair_relay_) {
    if (relay == c.relay_id) moved.push_back(pair);
  }
  // Planned again at once, past the RequestTunnel rate limit: the pair did nothing
  // to deserve waiting. A direct tunnel keeps its path and only takes the new relay.
  for (const auto& [ka, kb] : moved) {
    forget_tunnel(ka, kb);
    Client* a = find_online(ka);
    Client* b = find_online(kb);
    if (!a || !b) continue;
    auto shared = online_peers(ka);
    if (!shared) {
      ++stats_.storage_errors;
      continue;
    }
    if (!share_online_network(*a, *b, shared.value())) continue;
    ++stats_.relay_repicks;
    instruct_if_new(*a, *b);
  }
}

const TicketKeyring& ServerCore::Impl::ticket_ring() {
  const bool new_key = !tickets_.has_key();
  const TicketKeyring& ring = tickets_.current(now_);
  if (new_key) publish_ticket_keys();
  return ring;
}

void ServerCore::Impl::publish_ticket_keys() {
  if (!tickets_.has_key()) return;
  if (relay_) relay_->set_ticket_keys(tickets_.current_key(), tickets_.previous());
  for (const auto& [id, relay] : relays_) {
    if (Client* r = find_conn(relay.conn)) send(*r, RelayKeys{tickets_.current_key(), tickets_.previous()});
  }
}

RelayList ServerCore::Impl::relay_list() const {
  RelayList list;
  if (relay_) list.relays.push_back(RelayInfo{0, "built-in", Endpoint{}, Endpoint{}});
  for (const auto& [id, relay] : relays_) {
    if (list.relays.size() < kMaxRelays) list.relays.push_back(relay.info);
  }
  return list;
}

void ServerCore::Impl::send_relay_list_to_clients() {
  const RelayList list = relay_list();
  for (auto& [conn, client] : conns_) {
    if (client.logged_in && !client.closing) send(client, list);
  }
}

std::optional<std::uint32_t> ServerCore::Impl::pick_relay(const Client& a, const Client& b) const {
  // No discovery probe ever reached us: its UDP is blocked (tunnel_side). Such a
  // side reaches the built-in relay over its control connection and a separate one
  // only over the relay's TCP listener.
  const bool a_udp = a.mapped_at_primary || a.mapped_anywhere;
  const bool b_udp = b.mapped_at_primary || b.mapped_anywhere;
  auto reachable = [&](std::uint32_t id) {
    if (id == 0) return true;
    return (a_udp && b_udp) || !relays_.at(id).info.stream.is_unset();
  };
  std::optional<std::uint32_t> best;
  Duration best_sum{};
  auto consider = [&](std::uint32_t id, Duration handicap) {
    auto ra = a.relay_rtts.find(id);
    auto rb = b.relay_rtts.find(id);
    if (!reachable(id) || ra == a.relay_rtts.end() || rb == b.relay_rtts.end()) return;
    const Duration sum = ra->second + rb->second + handicap;
    if (!best || sum < best_sum) {
      best = id;
      best_sum = sum;
    }
  };
  // Separate relays first; the built-in one only when it is clearly nearer: a pair
  // on a separate relay keeps talking while this server is down or restarting, and
  // its bytes stay off the mediation server.
  for (const auto& [id, relay] : relays_) consider(id, Duration(0));
  if (relay_) consider(0, kBuiltInRelayHandicap);
  if (best) return best;
  if (relay_) return 0;
  for (const auto& [id, relay] : relays_) {
    if (reachable(id)) return id;
  }
  return std::nullopt;
}

}  // namespace yt
