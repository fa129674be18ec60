#include "server/relay/relay_core.h"

#include <algorithm>

namespace yt {

RelayCore::RelayCore(RelayConfig config) : config_(config) {}

void RelayCore::set_ticket_keys(TicketKeyring current, std::optional<TicketKeyring> previous) {
  current_ = current;
  previous_ = previous;
}

std::optional<RelayBindResult> RelayCore::key_for(std::uint32_t key_id, TicketKey& key) const {
  if (current_ && key_id == current_->id && key_id != 0) {
    key = current_->key;
    return std::nullopt;
  }
  if (previous_ && key_id == previous_->id && key_id != 0) {
    key = previous_->key;
    return std::nullopt;
  }
  // Ids grow with each rotation: an older one was ours once and is retired now.
  bool older = current_ && key_id != 0 && key_id < current_->id;
  return older ? RelayBindResult::kExpired : RelayBindResult::kUnknownTicket;
}

void RelayCore::on_datagram(Time now, Endpoint local, Endpoint from, ByteView data) {
  receive(now, Address{from, 0, local, Via::kUdp}, data);
}

void RelayCore::on_stream_accepted(Time now, ConnId conn, Endpoint remote) { streams_[conn].remote = remote; }

void RelayCore::on_stream_data(Time now, ConnId conn, ByteView data) {
  auto it = streams_.find(conn);
  if (it == streams_.end()) return;
  it->second.framer.push(data);
  while (auto frame = it->second.framer.next()) {
    receive(now, Address{it->second.remote, conn, Endpoint{}, Via::kStream}, *frame);
    it = streams_.find(conn);  // receive() never closes streams, but stay safe
    if (it == streams_.end()) return;
  }
  if (it->second.framer.failed()) {
    ++stats_.dropped_malformed;
    outputs_.push_back(CloseStream{conn});
    on_stream_closed(now, conn);
  }
}

void RelayCore::on_stream_closed(Time now, ConnId conn) {
  streams_.erase(conn);
  forget_connection(Via::kStream, conn);
}

void RelayCore::on_channel_datagram(Time now, ConnId channel, Endpoint remote, ByteView data) {
  receive(now, Address{remote, channel, Endpoint{}, Via::kChannel}, data);
}

void RelayCore::on_channel_closed(Time now, ConnId channel) { forget_connection(Via::kChannel, channel); }

void RelayCore::forget_connection(Via via, ConnId conn) {
  // Sides bound over it are unreachable until they bind again.
  auto it = connections_.find({via, conn});
  if (it == connections_.end()) return;
  for (auto [pair_id, side] : it->second) pairs_.at(pair_id).sides[side].address.reset();
  connections_.erase(it);
}

void RelayCore::set_address(std::uint64_t pair_id, std::uint8_t side_index, std::optional<Address> address) {
  Side& side = pairs_.at(pair_id).sides[side_index];
  if (side.address && side.address->via != Via::kUdp) {
    auto it = connections_.find({side.address->via, side.address->conn});
    if (it != connections_.end()) {
      it->second.erase({pair_id, side_index});
      if (it->second.empty()) connections_.erase(it);
    }
  }
  side.address = address;
  if (address && address->via != Via::kUdp) connections_[{address->via, address->conn}].insert({pair_id, side_index});
}

void RelayCore::receive(Time now, const Address& from, ByteView data) {
  auto decoded = decode_datagram(data);
  if (!decoded) {
    ++stats_.dropped_malformed;
    return;
  }
  if (auto* bind_msg = std::get_if<RelayBind>(&decoded.value())) {
    bind(now, from, *bind_msg);
  } else if (auto* data_msg = std::get_if<RelayData>(&decoded.value())) {
    forward(now, from, *data_msg);
  } else if (auto* echo = std::get_if<RelayEcho>(&decoded.value())) {
    // Clients measure us with these to choose a relay per pair; same size back, so
    // a forged source gains an attacker nothing, and rate-limited like binds.
    if (!admit_address_work(now, from.ip())) {
      ++stats_.echoes_rate_limited;
      return;
    }
    ++stats_.echoes_answered;
    send(from, RelayEchoReply{echo->nonce});
  } else {
    ++stats_.dropped_malformed;  // a relay speaks nothing else
  }
}

bool RelayCore::admit_address_work(Time now, Ipv4 ip) {
  if (bind_rate_.size() >= prune_bind_rate_at_) {
    for (auto it = bind_rate_.begin(); it != bind_rate_.end();) {
      it = it->second.full(now) ? bind_rate_.erase(it) : std::next(it);
    }
    prune_bind_rate_at_ = std::max<std::size_t>(4096, 2 * bind_rate_.size());
  }
  auto rate = bind_rate_.try_emplace(ip, config_.binds_per_second_per_address, config_.bind_burst_per_address);
  return rate.first->second.take(now);
}

void RelayCore::bind(Time now, const Address& from, const RelayBind& m) {
  // Each attempt costs a hash: bounded per source address before any work.
  if (!admit_address_work(now, from.ip())) {
    ++stats_.binds_rate_limited;
    return;
  }
  RelayBound answer{m.pair_id, m.side, m.sequence, RelayBindResult::kBound, false};
  auto refuse = [&](RelayBindResult why, std::uint64_t& counter) {
    ++counter;
    answer.result = why;
    send(from, answer);
  };
  TicketKey key{};
  if (auto problem = key_for(m.key_id, key)) {
    return refuse(*problem, *problem == RelayBindResult::kExpired ? stats_.binds_expired : stats_.binds_unknown_ticket);
  }
  BindSecret secret = derive_bind_secret(key, m.key_id, m.pair_id, m.side);
  if (!bind_mac_valid(secret, m.pair_id, m.side, m.sequence, m.mac)) {
    return refuse(RelayBindResult::kUnknownTicket, stats_.binds_unknown_ticket);
  }
  auto it = pairs_.find(m.pair_id);
  if (it == pairs_.end()) {
    if (pairs_.size() >= config_.max_pairs) return refuse(RelayBindResult::kFull, stats_.binds_full);
    it = pairs_.emplace(m.pair_id, Pair(config_)).first;
  }
  Side& side = it->second.sides[m.side];
  if (side.address && m.sequence <= side.sequence) {
    return refuse(RelayBindResult::kReplayed, stats_.binds_replayed);
  }
  set_address(m.pair_id, m.side, from);
  side.sequence = m.sequence;
  touch(m.pair_id, it->second, now);
  ++stats_.binds_accepted;
  answer.peer_bound = it->second.sides[1 - m.side].address.has_value();
  send(from, answer);
}

void RelayCore::forward(Time now, const Address& from, RelayData& m) {
  auto it = pairs_.find(m.pair_id);
  if (it == pairs_.end()) {
    ++stats_.dropped_unknown_pair;
    return;
  }
  Pair& pair = it->second;
  Side& sender = pair.sides[m.side];
  if (!sender.address || !(*sender.address == from)) {
    ++stats_.dropped_not_bound;
    return;
  }
  const Side& receiver = pair.sides[1 - m.side];
  if (!receiver.address) {
    ++stats_.dropped_peer_not_bound;
    return;
  }
  if (m.payload.size() > config_.max_payload) {
    ++stats_.dropped_too_large;
    return;
  }
  if (!sender.packets.take(now)) {
    ++stats_.dropped_rate_limited;
    return;
  }
  if (!pair.bytes.take(now, static_cast<double>(m.payload.size()))) {
    ++stats_.dropped_over_budget;
    return;
  }
  touch(m.pair_id, pair, now);
  ++stats_.forwarded_packets;
  stats_.forwarded_bytes += m.payload.size();
  send(*receiver.address, m);
}

void RelayCore::touch(std::uint64_t pair_id, Pair& pair, Time now) {
  expiry_.erase({pair.last_active + config_.pair_idle_timeout, pair_id});
  pair.last_active = now;
  expiry_.insert({now + config_.pair_idle_timeout, pair_id});
}

void RelayCore::send(const Address& to, const Datagram& datagram) { send_bytes(to, encode_datagram(datagram)); }

void RelayCore::send_bytes(const Address& to, Bytes bytes) {
  switch (to.via) {
    case Via::kUdp:
      outputs_.push_back(SendDatagram{to.local, to.udp, std::move(bytes), 0});
      break;
    case Via::kStream:
      // A relayed datagram, or an answer the client retries: droppable when the
      // client reads slower than its peer sends.
      if (auto framed = frame_for_stream(bytes)) outputs_.push_back(SendStream{to.conn, std::move(*framed), true});
      break;
    case Via::kChannel:
      outputs_.push_back(SendOnChannel{to.conn, std::move(bytes)});
      break;
  }
}

void RelayCore::on_timer(Time now) {
  while (!expiry_.empty() && expiry_.begin()->first <= now) {
    const std::uint64_t pair_id = expiry_.begin()->second;
    for (std::uint8_t side : {0, 1}) set_address(pair_id, side, std::nullopt);
    pairs_.erase(pair_id);
    expiry_.erase(expiry_.begin());
    ++stats_.pairs_expired;
  }
}

std::optional<Time> RelayCore::next_deadline() const {
  if (expiry_.empty()) return std::nullopt;
  return expiry_.begin()->first;
}

std::vector<RelayCore::Output> RelayCore::drain_outputs() {
  std::vector<Output> out;
  out.swap(outputs_);
  return out;
}

}  // namespace yt
