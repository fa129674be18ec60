#include "client/core/tunnel.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "client/core/duration_text.h"
#include "protocol/peer_data_view.h"

namespace yt {

namespace {

// PeerData binds its receiver index as associated data: a sealed payload cannot be
// replayed under another index, and the header needs no separate check.
std::array<std::uint8_t, 4> data_ad(std::uint32_t receiver_index) {
  return {static_cast<std::uint8_t>(receiver_index >> 24), static_cast<std::uint8_t>(receiver_index >> 16),
          static_cast<std::uint8_t>(receiver_index >> 8), static_cast<std::uint8_t>(receiver_index)};
}

}  // namespace

Bytes peer_prologue(std::uint64_t tunnel_id) {
  // Built by hand rather than with WireWriter::raw: g++ 12 reports a bogus
  // -Wstringop-overflow for a vector insert from a constant array.
  std::string_view text(kPeerPrologue);
  Bytes out(text.begin(), text.end());
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(tunnel_id >> shift));
  return out;
}

Tunnel::Tunnel(const TunnelInstruction& instruction, Time now, const ClientConfig& config, PlanSource source)
    : peer_(instruction.peer),
      peer_virtual_ip_(instruction.peer_virtual_ip),
      tunnel_id_(instruction.tunnel_id),
      role_(instruction.role),
      candidates_(instruction.candidates),
      prepunch_ttl_(instruction.prepunch_ttl),
      instructed_at_(now),
      start_at_(now + std::chrono::milliseconds(instruction.start_delay_ms)),
      punch_end_(start_at_ + config.punch_duration),
      next_probe_at_(start_at_) {
  if (instruction.relay) relay_.emplace(*instruction.relay, now, config.relay_first ? now : punch_end_);
  if (instruction.birthday.role != BirthdayRole::kNone && config.birthday) {
    birthday_.emplace(instruction.birthday, start_at_, config);
  }
  if (source == PlanSource::kServer) negotiation_ = Negotiation{instruction.tunnel_id, now, false};
}

std::optional<Time> Tunnel::last_received() const {
  if (!current_) return std::nullopt;
  return last_received_;
}

void Tunnel::adopt(const TunnelInstruction& instruction, Time now, PlanSource source, TunnelEnv& env) {
  candidates_ = instruction.candidates;
  peer_virtual_ip_ = instruction.peer_virtual_ip;
  // A new offer is a new pair at the relay, and the peer (re-instructed too) binds
  // to it: follow. Until we are bound there, relayed packets are dropped by the
  // relay (a short gap after a server reconnect; the direct path is unaffected).
  if (instruction.relay && (!relay_ || relay_->pair_id() != instruction.relay->ticket.pair_id)) {
    if (path_.relayed && relay_ && relay_->bound()) {
      next_relay_.emplace(*instruction.relay, now, now);  // the link in use carries on until it is proven
    } else {
      old_relay_ = std::move(relay_);
      relay_.emplace(*instruction.relay, now, now);
      next_relay_.reset();
    }
  }
  // A repeated instruction changes nothing else: the handshake state of this id
  // (an answer to resend, a re-handshake in flight) stays valid.
  if (instruction.tunnel_id == tunnel_id_ && instruction.role == role_) return;
  // A new negotiation; one still unsettled is superseded, unreported.
  negotiation_.reset();
  if (source == PlanSource::kServer) {
    negotiation_ = Negotiation{instruction.tunnel_id, now, false};
    if (direct()) {
      negotiation_->reported = true;
      send_outcome(NegotiationOutcome::kKept, Duration(0), env);
    }
  }
  // A path missing from the candidates alone proves little (predicted ports never
  // list the real one; a rebinding we followed is news to the server); a path that
  // has also gone quiet for longer than any healthy peer stays silent is what a
  // moved peer looks like; so is one the server saw go offline since we last heard
  // it (a restart: a new process, often a new port).
  if (path_.relayed) {
    // A re-plan for a relayed pair (tunnel_retry.h): punch again, from the relay.
    start_at_ = now + std::chrono::milliseconds(instruction.start_delay_ms);
    next_probe_at_ = start_at_;
    punch_end_ = start_at_ + env.ctx.config.punch_duration;
    punch_over_ = false;
    probe_sequence_ = 0;
    end_birthday(env);
    if (instruction.birthday.role != BirthdayRole::kNone && env.ctx.config.birthday) {
      birthday_.emplace(instruction.birthday, start_at_, env.ctx.config);
    }
    plan_tcp(instruction.tcp, env);
  }
  const bool path_offered =
      path_.relayed || std::find(candidates_.begin(), candidates_.end(), path_.endpoint) != candidates_.end();
  const bool quiet = now - last_received_ > env.ctx.config.keepalive_interval || offline_since_heard_;
  if (!path_offered && quiet && !candidates_.empty()) {
    start_at_ = now + std::chrono::milliseconds(instruction.start_delay_ms);
    next_probe_at_ = start_at_;
    repunch_end_ = start_at_ + env.ctx.config.punch_duration;
  } else {
    repunch_end_ = Time{};
  }
  abandon_handshake(env);
  tunnel_id_ = instruction.tunnel_id;
  role_ = instruction.role;
  answered_noise_.clear();
  answered_resp_.clear();
  answered_sender_index_ = 0;
}

Duration Tunnel::peer_timeout(const ClientConfig& config) const {
  // An idle live peer speaks at least every keepalive interval (its pongs answer
  // our pings, which go at least that often once the keepalive is the longer).
  return std::max(config.peer_timeout, 5 * config.keepalive_interval);
}

Duration Tunnel::ping_period(const ClientConfig& config) const {
  if (liveness_checks()) return std::min(config.liveness_probe_interval, config.ping_interval);
  // A measured keepalive longer than the ping interval: an idle tunnel need not
  // speak more often than its NAT needs.
  return std::max(config.ping_interval, config.keepalive_interval);
}

Time Tunnel::next_ping_at(const ClientConfig& config) const {
  // A period that shrinks (liveness checks start) takes effect at once.
  return last_ping_at_ ? *last_ping_at_ + ping_period(config) : last_sent_;
}

bool Tunnel::send_ping(Time now, TunnelEnv& env) {
  PeerPayload ping = PeerPayload::ping(ping_nonce_ + 1);
  if (!send(now, ping, env)) return false;
  ++ping_nonce_;
  last_ping_at_ = now;
  ++unanswered_pings_;
  return true;
}

void Tunnel::on_ping_payload(Time now, const PeerPath& from, const PeerPayload& payload, TunnelEnv& env) {
  if (payload.type == PeerPayloadType::kPing) {
    // Answered even while we are pinging ourselves: each side measures its own RTT.
    // On the path it came by, so a direct probe gets its answer directly.
    (void)send_on(now, PeerPayload::pong(payload.nonce), from, env);
  } else if (payload.type == PeerPayloadType::kPong && last_ping_at_ && payload.nonce == ping_nonce_) {
    // An answer to an older ping is not timed: its send time is gone. It still
    // proved liveness when it authenticated.
    rtt_ = now - *last_ping_at_;
  }
}

void Tunnel::on_timer(Time now, TunnelEnv& env) {
  if (closed_) return;
  const ClientConfig& cfg = env.ctx.config;

  if (state_ == TunnelState::kFailed) return;  // until re-instructed (TunnelTable)
  run_relay(now, env);
  if (tcp_) {
    tcp_->on_timer(now, env.ctx);
    if (tcp_->over() && (tcp_->conn() == 0 || path_.stream != tcp_->conn())) tcp_.reset();
  }
  if (!current_ && now >= give_up_at()) {
    abandon_handshake(env);
    state_ = TunnelState::kFailed;
    std::string why = "no direct path after " + duration_text(cfg.punch_duration) + " of punching";
    if (!relay_) {
      why += ", and the server offered no relay";
    } else if (relay_->refusal()) {
      why += std::string(", and the relay refused us: ") + to_string(*relay_->refusal());
    } else {
      why += relay_->bound() ? ", and no handshake through the relay" : ", and no answer from the relay";
    }
    failure_ = why;
    end_birthday(env);  // a failed tunnel keeps no sockets until it is planned again
    end_tcp(env);
    env.ctx.emit(TunnelFailed{peer_, why});
    report_outcome(now, env);
    return;
  }
  // Probes cannot leave a host whose UDP is blocked: the relay, over the control
  // connection, is its only path.
  if ((env.ctx.udp_blocked || !cfg.punch) && punching_possible()) punch_over_ = true;
  if (punching_possible()) {
    if (now >= punch_end_) {
      // Relayed, or still trying the relay (give_up_at): the probes are over.
      punch_over_ = true;
    } else if (now >= start_at_) {
      if (state_ == TunnelState::kWaiting) state_ = TunnelState::kPunching;
      if (now >= next_probe_at_) {
        send_probes(now, env);
        schedule_next_probe(now, cfg);
      }
      if (birthday_) birthday_->on_timer(now, tunnel_id_, env.ctx);
    }
  }
  if (birthday_ && !punching_possible() && !direct()) end_birthday(env);  // the window is over

  report_outcome(now, env);  // the window may have ended relayed

  if (current_ && repunch_end_ > Time{} && now >= repunch_end_) repunch_end_ = Time{};  // window over
  if (repunching(now) && now >= start_at_ && now >= next_probe_at_) {
    send_probes(now, env);
    schedule_next_probe(now, cfg);
  }

  if (initiator_ && now >= next_handshake_at_) {
    if (now >= handshake_until_) {
      abandon_handshake(env);
    } else {
      for (const PeerPath& path : handshake_paths_) transmit(path, pending_init_, env);
      next_handshake_at_ = now + cfg.handshake_retry;
    }
  }

  if (current_ && direct()) {
    watch_direct_path(now, env);
    if (closed_) return;
  } else if (current_ && state_ == TunnelState::kRelayed && relay_) {
    watch_relay_path(now, env);
  }

  if (current_) {
    if (now >= last_received_ + peer_timeout(cfg)) {
      close("no authenticated packet from the peer for " + duration_text(peer_timeout(cfg)), env);
      return;
    }
    if (now >= next_ping_at(cfg)) {
      if (liveness_checks() && unanswered_pings_ >= cfg.liveness_probe_misses) {
        close("no answer to " + std::to_string(unanswered_pings_) + " liveness probes", env);
        return;
      }
      if (!send_ping(now, env)) {
        // Only an exhausted session (2^64 messages) cannot send; without rekeying
        // (a later issue) the tunnel is over, and the timer must not spin.
        close("session exhausted", env);
        return;
      }
    }
    if (now >= last_sent_ + cfg.keepalive_interval &&
        !send(now, PeerPayload::keepalive(), env)) {
      close("session exhausted", env);
      return;
    }
  }
}

std::optional<Time> Tunnel::next_deadline(const ClientConfig& config) const {
  if (closed_) return std::nullopt;
  std::optional<Time> next;
  auto consider = [&next](Time t) {
    if (!next || t < *next) next = t;
  };
  if (state_ == TunnelState::kFailed) return std::nullopt;
  if (!current_) consider(give_up_at());
  if (tcp_) {
    if (auto t = tcp_->next_deadline(config)) consider(*t);
  }
  if (punching_possible()) {
    consider(punch_end_);
    consider(std::max(start_at_, next_probe_at_));
    if (birthday_) {
      if (auto t = birthday_->next_deadline()) consider(std::max(start_at_, *t));
    }
  }
  for (const std::optional<RelayLink>* link : {&relay_, &next_relay_}) {
    if (*link) {
      if (auto t = (*link)->next_deadline()) consider(*t);
    }
  }
  if (current_ && direct() && relay_usable()) {
    consider(next_relay_refresh_at_);
    if (roamed_at_) consider(*roamed_at_ + roam_check_wait());
    // The path check starts path_check_after our first packet nothing came back after.
    if (direct_unanswered_since_) {
      consider(std::max(*direct_unanswered_since_ + config.path_check_after, next_path_check_at_));
    }
  }
  if (current_ && state_ == TunnelState::kRelayed && relay_ && relay_unanswered_since_) {
    consider(std::max(*relay_unanswered_since_ + config.path_check_after, next_relay_rebind_at_));
  }
  if (current_ && repunch_end_ > Time{}) consider(std::min(repunch_end_, std::max(start_at_, next_probe_at_)));
  if (initiator_) consider(next_handshake_at_);
  if (current_) {
    consider(last_received_ + peer_timeout(config));
    consider(next_ping_at(config));
    consider(last_sent_ + config.keepalive_interval);
  }
  return next;
}

void Tunnel::schedule_next_probe(Time now, const ClientConfig& cfg) {
  // Past the fast phase the gap is the time since it ended: each round doubles it.
  const Duration slow_for = now - start_at_ - cfg.punch_fast_for;
  const Duration gap = std::max(cfg.punch_interval, std::min(cfg.punch_interval_max, slow_for));
  next_probe_at_ += gap;
  if (next_probe_at_ <= now) next_probe_at_ = now + gap;
}

void Tunnel::send_probes(Time now, TunnelEnv& env) {
  std::uint32_t sequence = probe_sequence_++;
  std::uint8_t ttl = sequence == 0 ? prepunch_ttl_ : 0;  // messages.h: TunnelInstruction
  for (const Endpoint& candidate : candidates_) {
    env.ctx.send_datagram(candidate, PunchProbe{tunnel_id_, sequence}, ttl);
  }
}

void Tunnel::on_punch(Time now, PeerPath from, std::uint32_t sequence, bool is_ack, TunnelEnv& env) {
  if (closed_) return;
  if (!is_ack) transmit(from, encode_datagram(PunchAck{tunnel_id_, sequence}), env);
  if (current_ && path_.relayed && session_tunnel_id_ == tunnel_id_) {
    probe_direct(now, from, env);  // a session through the relay: prove this path, then move
    return;
  }
  if (role_ != TunnelRole::kInitiator) return;
  if (initiator_) {
    add_handshake_path(from, env);
  } else if (!current_ && (punching_possible() || from.stream != 0)) {
    // A TCP path is worth a handshake while the tunnel has none, punch window or
    // not (a host whose UDP is blocked has none).
    start_handshake(now, from, std::max(give_up_at(), now + env.ctx.config.punch_duration), env);
  } else if (current_ && session_tunnel_id_ != tunnel_id_) {
    // The peer punches under the id we adopted: it lost its state.
    start_handshake(now, from, now + env.ctx.config.punch_duration, env);
  }
}

void Tunnel::plan_tcp(const TcpPunchPlan& plan, TunnelEnv& env) {
  if (!plan.enabled() || closed_) return;
  if (!plan.accept && !env.ctx.tcp_punch_port) return;
  if (tcp_ && tcp_->conn() != 0 && path_.stream == tcp_->conn()) return;  // in use: it works
  end_tcp(env);
  if (plan.accept) {
    tcp_.emplace(plan, ConnId{0}, std::uint16_t{0}, start_at_);
  } else {
    tcp_.emplace(plan, env.ctx.next_punch_conn++, *env.ctx.tcp_punch_port, start_at_);
  }
}

bool Tunnel::on_tcp_accepted(ConnId conn, Endpoint remote, TunnelEnv& env) {
  if (closed_ || !tcp_ || !tcp_->awaits(remote)) return false;
  tcp_->adopt(conn, remote);
  ++env.ctx.stats.tcp_accepted;
  transmit(tcp_path(), encode_datagram(PunchProbe{tunnel_id_, probe_sequence_++}), env);
  return true;
}

void Tunnel::end_tcp(TunnelEnv& env) {
  if (!tcp_ || (tcp_->conn() != 0 && path_.stream == tcp_->conn())) return;
  tcp_->close(env.ctx);
  tcp_.reset();
}

void Tunnel::on_tcp_connected(TunnelEnv& env) {
  if (closed_ || !tcp_ || !tcp_->on_connected()) return;
  ++env.ctx.stats.tcp_punches_connected;
  // Both sides probe: whichever arrives first starts the handshake or the direct
  // ping, as a UDP probe would.
  transmit(tcp_path(), encode_datagram(PunchProbe{tunnel_id_, probe_sequence_++}), env);
}

std::vector<Bytes> Tunnel::on_tcp_data(ByteView data, TunnelEnv& env) {
  if (closed_ || !tcp_) return {};
  return tcp_->on_data(data, env.ctx);
}

void Tunnel::on_tcp_closed(Time now, TunnelEnv& env) {
  if (!tcp_) return;
  const bool was_path = tcp_->conn() != 0 && path_.stream == tcp_->conn();
  tcp_->on_closed();
  tcp_.reset();
  if (!was_path || closed_ || !current_) return;
  if (relay_usable()) {
    fall_back_to_relay(now, env);
  } else {
    close("the TCP path closed", env);
  }
}

void Tunnel::end_birthday(TunnelEnv& env) {
  if (!birthday_) return;
  // A direct path through one of its sockets keeps that socket.
  birthday_->finish(direct() && !path_.relayed ? path_.socket : SocketId{0}, env.ctx);
  if (birthday_->sockets().empty()) birthday_.reset();
}

void Tunnel::start_handshake(Time now, PeerPath to, Time until, TunnelEnv& env) {
  ClientContext& ctx = env.ctx;
  initiator_.emplace(ctx.identity, peer_, peer_prologue(tunnel_id_), ctx.rng);
  auto msg1 = initiator_->write_init(ByteView{});
  if (!msg1) {
    // Only a low-order peer key gets here: the server handed us a bad key.
    ++ctx.stats.handshake_failures;
    initiator_.reset();
    return;
  }
  pending_index_ = env.indexes.allocate(ctx.rng, peer_);
  pending_init_ = encode_datagram(PeerHandshakeInit{pending_index_, tunnel_id_, std::move(msg1.value())});
  handshake_paths_ = {to};
  handshake_until_ = until;
  next_handshake_at_ = now + ctx.config.handshake_retry;
  if (!current_) state_ = TunnelState::kHandshaking;
  transmit(to, pending_init_, env);
}

void Tunnel::add_handshake_path(PeerPath path, TunnelEnv& env) {
  if (!initiator_) return;
  if (std::find(handshake_paths_.begin(), handshake_paths_.end(), path) != handshake_paths_.end()) return;
  handshake_paths_.push_back(path);
  transmit(path, pending_init_, env);
}

void Tunnel::transmit(const PeerPath& path, Bytes datagram, TunnelEnv& env) const {
  if (path.stream != 0) {
    if (tcp_ && tcp_->conn() == path.stream) tcp_->send(std::move(datagram), env.ctx);
  } else if (!path.relayed) {
    env.ctx.send_bytes(path.endpoint, std::move(datagram), path.socket);
  } else if (relay_) {
    relay_->send(std::move(datagram), env.ctx);
  }
}

void Tunnel::abandon_handshake(TunnelEnv& env) {
  if (!initiator_) return;
  initiator_.reset();
  env.indexes.release(pending_index_);
  pending_index_ = 0;
  pending_init_.clear();
  handshake_paths_.clear();
  if (state_ == TunnelState::kHandshaking) state_ = TunnelState::kPunching;
}

void Tunnel::on_handshake_init(Time now, PeerPath from, const PeerHandshakeInit& init, TunnelEnv& env) {
  ClientContext& ctx = env.ctx;
  if (closed_) return;
  if (!answered_noise_.empty() && init.sender_index == answered_sender_index_ && init.noise == answered_noise_) {
    // A retransmission: our answer was lost. The path stays where the authenticated
    // original came from; a copy proves nothing about its source.
    transmit(from, answered_resp_, env);
    return;
  }
  if (role_ != TunnelRole::kResponder) {
    ++ctx.stats.handshake_failures;
    return;
  }
  auto received = read_init(ctx.identity, peer_prologue(tunnel_id_), init.noise, now, env.guard);
  if (!received) {
    ++ctx.stats.handshake_failures;
    return;
  }
  if (received->initiator_static != peer_) {
    // Authentic, but not the peer the server introduced: someone else who learned
    // the tunnel id. Never answer.
    ++ctx.stats.handshake_failures;
    return;
  }
  auto response = write_response(received.value(), ByteView{}, ctx.rng);
  if (!response) {
    ++ctx.stats.handshake_failures;
    return;
  }
  std::uint32_t local_index = env.indexes.allocate(ctx.rng, peer_);
  answered_sender_index_ = init.sender_index;
  answered_noise_ = init.noise;
  answered_resp_ =
      encode_datagram(PeerHandshakeResp{local_index, init.sender_index, std::move(response->message)});
  transmit(from, answered_resp_, env);
  install_session(now, from, response->keys, local_index, init.sender_index, env);
  // A re-handshake: we keep sending under the old session until the initiator
  // shows it has the new one.
  if (previous_) current_->confirmed = false;
}

void Tunnel::on_handshake_resp(Time now, PeerPath from, const PeerHandshakeResp& resp, TunnelEnv& env) {
  ClientContext& ctx = env.ctx;
  if (closed_ || !initiator_ || resp.receiver_index != pending_index_) {
    ++ctx.stats.unknown_session;
    return;
  }
  auto done = initiator_->read_response(resp.noise);
  if (!done) {
    // The initiator stays usable: a forged answer must not kill the handshake.
    ++ctx.stats.handshake_failures;
    return;
  }
  SessionKeys keys = done->keys;
  std::uint32_t local_index = pending_index_;
  initiator_.reset();
  pending_index_ = 0;
  pending_init_.clear();
  handshake_paths_.clear();
  const bool rekeyed = current_.has_value();
  install_session(now, from, keys, local_index, resp.sender_index, env);
  // The responder sends under the old session until something arrives under the
  // new one: say something at once.
  if (rekeyed) (void)send(now, PeerPayload::keepalive(), env);
}

void Tunnel::install_session(Time now, PeerPath from, const SessionKeys& keys, std::uint32_t local_index,
                             std::uint32_t remote_index, TunnelEnv& env) {
  if (current_ && !current_->confirmed) {
    // The peer never showed it had that one: the confirmed session stays previous.
    env.indexes.release(current_->local_index);
  } else {
    if (previous_) env.indexes.release(previous_->local_index);
    previous_ = std::move(current_);
  }
  current_.emplace(KeyedSession{Session(keys), local_index, remote_index});
  session_tunnel_id_ = tunnel_id_;
  repunch_end_ = Time{};  // a session under the current id: nothing left to punch for
  const bool had_path = state_ == TunnelState::kDirect || state_ == TunnelState::kRelayed;
  last_received_ = now;
  last_sent_ = now;
  if (had_path && from.relayed && !path_.relayed) return;  // a re-handshake by the relay keeps a direct path
  const TunnelState before = state_;
  path_ = from;
  state_ = from.relayed ? TunnelState::kRelayed : TunnelState::kDirect;
  report_outcome(now, env);
  if (state_ == before) return;
  if (state_ == TunnelState::kDirect) {
    punch_over_ = true;
    end_birthday(env);
    if (from.stream == 0) end_tcp(env);
    last_direct_received_ = now;
    direct_unanswered_since_.reset();
    next_relay_refresh_at_ = now + env.ctx.config.relay_refresh_interval;
    env.ctx.emit(TunnelUp{peer_, from.endpoint, now - instructed_at_});
  } else {
    env.ctx.emit(TunnelRelayed{peer_, from.endpoint, now - instructed_at_});
  }
  if (!had_path) {
    // The first ping goes out with the next timer, so the RTT is known at once.
    last_ping_at_.reset();
    unanswered_pings_ = 0;
  }
}

std::optional<PeerPayload> Tunnel::on_data(Time now, PeerPath from, const PeerData& data, TunnelEnv& env) {
  if (data.sealed.size() < kSessionOverhead) {
    // Counted where open_data would count it, without a buffer of negative size.
    if (closed_ || !session_for(data.receiver_index)) {
      ++env.ctx.stats.unknown_session;
    } else {
      ++env.ctx.stats.malformed_datagrams;
    }
    return std::nullopt;
  }
  Bytes plaintext(data.sealed.size() - kSessionOverhead);
  auto opened = open_data(now, data.receiver_index, data.sealed, plaintext.data(), env);
  if (!opened) return std::nullopt;
  return on_plaintext(now, from, plaintext, env);
}

Tunnel::KeyedSession* Tunnel::session_for(std::uint32_t receiver_index) {
  if (current_ && current_->local_index == receiver_index) return &*current_;
  if (previous_ && previous_->local_index == receiver_index) return &*previous_;
  return nullptr;
}

std::optional<std::size_t> Tunnel::open_data(Time now, std::uint32_t receiver_index, ByteView sealed,
                                             std::uint8_t* out, TunnelEnv& env) {
  ClientContext& ctx = env.ctx;
  KeyedSession* keyed = session_for(receiver_index);
  if (closed_ || !keyed) {
    ++ctx.stats.unknown_session;
    return std::nullopt;
  }
  auto ad = data_ad(receiver_index);
  auto plaintext = keyed->session.open_to(sealed, ByteView(ad.data(), ad.size()), out);
  if (!plaintext) {
    switch (plaintext.error()) {
      case SessionError::kReplayed: ++ctx.stats.replayed; break;
      case SessionError::kMalformed: ++ctx.stats.malformed_datagrams; break;
      case SessionError::kAuthFailed:
      case SessionError::kCounterExhausted: ++ctx.stats.auth_failures; break;
    }
    return std::nullopt;
  }
  ++ctx.stats.packets_received;
  keyed->confirmed = true;
  offline_since_heard_ = false;
  last_received_ = now;
  unanswered_pings_ = 0;
  repunch_end_ = Time{};  // the path carries data again
  return plaintext.value();
}

std::optional<PeerPayload> Tunnel::on_plaintext(Time now, PeerPath from, ByteView plaintext, TunnelEnv& env) {
  auto payload = decode_peer_payload(plaintext);
  if (!payload) {
    ++env.ctx.stats.malformed_datagrams;
    return std::nullopt;
  }
  follow_path(now, from, payload->type, env);
  on_ping_payload(now, from, payload.value(), env);
  return std::move(payload.value());
}

void Tunnel::follow_path(Time now, PeerPath from, PeerPayloadType type, TunnelEnv& env) {
  ClientContext& ctx = env.ctx;
  // Relayed packets never move the path: after a move to direct, stragglers still
  // come through the relay. A direct one moves a relayed path unless it is a ping
  // (a probe of the peer's, which proves only one direction); a direct path
  // follows the peer's endpoint (NAT rebinding).
  if (!from.relayed && from != path_) {
    if (!path_.relayed) {
      // UDP is preferred: a TCP packet does not take a direct path over UDP.
      if (from.stream == 0 || path_.stream != 0) path_ = from;
    } else if (type != PeerPayloadType::kPing) {
      move_to_direct(now, from, env);
    }
  } else if (from.relayed && !path_.relayed && type != PeerPayloadType::kPing &&
             type != PeerPayloadType::kPong && relay_usable() &&
             now >= last_direct_received_ + ctx.config.path_check_after) {
    fall_back_to_relay(now, env);  // the peer fell back: its direct packets are not reaching us
  }
  if (from.relayed) {
    relay_unanswered_since_.reset();
    relay_rebind_wait_ = Duration(0);
  } else {
    last_direct_received_ = now;
    direct_unanswered_since_.reset();
    unanswered_path_checks_ = 0;
  }
}

Status<SendError> Tunnel::send(Time now, const PeerPayload& payload, TunnelEnv& env) {
  return send_on(now, payload, path_, env);
}

bool Tunnel::seal_packet(Time now, ByteView ip_packet, PacketBatch& out, TunnelEnv& env) {
  // Only the direct path on the main socket (the batch goes out there): a relayed
  // one wraps the datagram again (RelayData), and one that birthday probing found
  // on an extra socket must leave from that socket; both go the general way.
  if (closed_ || !current_ || path_.relayed || path_.socket != 0 || path_.stream != 0) return false;
  KeyedSession& keyed = current_->confirmed || !previous_ ? *current_ : *previous_;
  if (!keyed.session.can_seal()) return false;
  std::uint8_t* d = out.begin_entry(kPeerDataHeaderSize + kSessionOverhead + 1 + ip_packet.size());
  write_peer_data_header(d, keyed.remote_index);
  std::uint8_t* plaintext = d + kPeerDataHeaderSize + kSessionHeaderSize;
  plaintext[0] = static_cast<std::uint8_t>(PeerPayloadType::kPacket);
  std::memcpy(plaintext + 1, ip_packet.data(), ip_packet.size());
  auto ad = data_ad(keyed.remote_index);
  if (!keyed.session.seal_in_place(d + kPeerDataHeaderSize, 1 + ip_packet.size(), ByteView(ad.data(), ad.size()))) {
    return false;
  }
  out.commit_entry(0, kPeerDataHeaderSize + kSessionOverhead + 1 + ip_packet.size(), path_.endpoint);
  if (!direct_unanswered_since_) direct_unanswered_since_ = now;
  ++env.ctx.stats.packets_sent;
  last_sent_ = now;
  return true;
}

Status<SendError> Tunnel::send_on(Time now, const PeerPayload& payload, const PeerPath& path, TunnelEnv& env) {
  if (closed_ || !current_) return Err{SendError::kNoTunnel};
  KeyedSession& keyed = current_->confirmed || !previous_ ? *current_ : *previous_;
  auto ad = data_ad(keyed.remote_index);
  auto sealed = keyed.session.seal(encode_peer_payload(payload), ByteView(ad.data(), ad.size()));
  if (!sealed) return Err{SendError::kNoTunnel};
  transmit(path, encode_datagram(PeerData{keyed.remote_index, std::move(sealed.value())}), env);
  // An answer (pong) expects none back; anything else we send should be followed,
  // within path_check_after, by something from the peer (at least its pong).
  if (payload.type != PeerPayloadType::kPong) {
    std::optional<Time>& since = path.relayed ? relay_unanswered_since_ : direct_unanswered_since_;
    if (!since) since = now;
  }
  ++env.ctx.stats.packets_sent;
  last_sent_ = now;
  return Ok{};
}

void Tunnel::report_outcome(Time now, TunnelEnv& env) {
  if (!negotiation_ || negotiation_->reported) return;
  std::optional<NegotiationOutcome> outcome;
  if (state_ == TunnelState::kDirect) {
    outcome = NegotiationOutcome::kDirect;
  } else if (state_ == TunnelState::kFailed) {
    outcome = NegotiationOutcome::kFailed;
  } else if (state_ == TunnelState::kRelayed && punch_over_ && !(tcp_ && !tcp_->over())) {
    // (A TCP punch still under way may yet make it direct.)
    outcome = NegotiationOutcome::kRelayed;
  }
  if (!outcome) return;  // still punching, or without a session yet
  negotiation_->reported = true;
  send_outcome(*outcome, *outcome == NegotiationOutcome::kDirect ? now - negotiation_->instructed_at : Duration(0),
               env);
}

void Tunnel::send_outcome(NegotiationOutcome outcome, Duration time_to_direct, TunnelEnv& env) {
  if (!env.ctx.send_to_server) return;
  const auto ms = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(to_ms(time_to_direct), 0, std::numeric_limits<std::uint32_t>::max()));
  (void)env.ctx.send_to_server(TunnelOutcome{negotiation_->tunnel_id, peer_, outcome, ms});
}

void Tunnel::close(const std::string& reason, TunnelEnv& env) {
  if (closed_) return;
  abandon_handshake(env);
  if (current_) env.indexes.release(current_->local_index);
  if (previous_) env.indexes.release(previous_->local_index);
  current_.reset();
  previous_.reset();
  bool had_path = state_ == TunnelState::kDirect || state_ == TunnelState::kRelayed;
  if (birthday_) {
    birthday_->finish_all(env.ctx);
    birthday_.reset();
  }
  if (tcp_) {
    tcp_->close(env.ctx);
    tcp_.reset();
  }
  closed_ = true;
  if (had_path) env.ctx.emit(TunnelDown{peer_, reason});
}

}  // namespace yt
