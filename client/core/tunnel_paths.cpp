// The tunnel's two paths (tunnel.h): the relay link (binding, the initiator's
// handshake through it, a re-plan's new pair), the move from relayed to direct once
// a direct path is proven, and the fallback from a direct path that went silent.
#include "client/core/tunnel.h"

namespace yt {

Time Tunnel::give_up_at() const {
  // A relay still in play gets one more window: the peer may bind late, or the
  // handshake through it may need retries.
  return relay_usable() ? punch_end_ + (punch_end_ - start_at_) : punch_end_;
}

void Tunnel::run_relay(Time now, TunnelEnv& env) {
  if (relay_) relay_->on_timer(now, env.ctx);
  if (next_relay_) next_relay_->on_timer(now, env.ctx);
}

bool Tunnel::accepts_relay(Endpoint from, const RelayData& m) const {
  for (const std::optional<RelayLink>* link : {&relay_, &next_relay_, &old_relay_}) {
    if (*link && (*link)->carries(from, m)) return true;
  }
  return false;
}

void Tunnel::on_relay_traffic(Time now, std::uint64_t pair_id, TunnelEnv& env) {
  // The peer's data on the new pair: it is there too.
  if (next_relay_ && next_relay_->pair_id() == pair_id && next_relay_->bound()) promote_next_relay(now, env);
}

void Tunnel::promote_next_relay(Time now, TunnelEnv& env) {
  old_relay_ = std::move(relay_);
  relay_ = std::move(next_relay_);
  next_relay_.reset();
  // A relayed tunnel now runs through another relay (its old one went away, or the
  // server found a better one): say so, as for the first relay.
  if (state_ == TunnelState::kRelayed && relay_->endpoint() != path_.endpoint) {
    path_ = PeerPath{relay_->endpoint(), true};
    env.ctx.emit(TunnelRelayed{peer_, relay_->endpoint(), now - instructed_at_});
  }
}

void Tunnel::on_relay_bound(Time now, Endpoint from, const RelayBound& m, TunnelEnv& env) {
  if (closed_) return;
  if (next_relay_ && next_relay_->pair_id() == m.pair_id) {
    if (next_relay_->on_bound(now, from, m) == RelayLink::Answer::kBound && next_relay_->peer_bound()) {
      promote_next_relay(now, env);
    } else if (next_relay_->refusal()) {
      next_relay_.reset();  // keep the link that works
    }
    return;
  }
  if (!relay_) return;
  if (relay_->on_bound(now, from, m) != RelayLink::Answer::kBound) return;
  if (role_ != TunnelRole::kInitiator) return;  // the responder answers what comes
  if (initiator_) {
    add_handshake_path(PeerPath{relay_->endpoint(), true}, env);
  } else if (!current_ && state_ != TunnelState::kFailed) {
    // Sent at once even if the peer is not bound yet: the relay drops it until
    // then, and the retries reach the peer once it is.
    start_handshake(now, PeerPath{relay_->endpoint(), true}, give_up_at(), env);
  } else if (current_ && session_tunnel_id_ != tunnel_id_) {
    // Re-instructed with a new pair: the peer may have lost its state, and a peer
    // it can only reach by the relay would never send us a probe to answer.
    start_handshake(now, PeerPath{relay_->endpoint(), true}, now + env.ctx.config.punch_duration, env);
  }
}

void Tunnel::probe_direct(Time now, PeerPath to, TunnelEnv& env) {
  if (now < next_direct_probe_at_) return;
  next_direct_probe_at_ = now + env.ctx.config.direct_probe_interval;
  // Timed like any ping: the pong that proves the path also gives its RTT.
  if (send_on(now, PeerPayload::ping(ping_nonce_ + 1), to, env)) {
    ++ping_nonce_;
    last_ping_at_ = now;
  }
}

void Tunnel::move_to_direct(Time now, PeerPath to, TunnelEnv& env) {
  path_ = to;
  state_ = TunnelState::kDirect;
  punch_over_ = true;
  end_birthday(env);
  if (to.stream == 0) end_tcp(env);
  last_direct_received_ = now;
  direct_unanswered_since_.reset();
  unanswered_path_checks_ = 0;
  next_relay_refresh_at_ = now + env.ctx.config.relay_refresh_interval;
  env.ctx.emit(TunnelUp{peer_, to.endpoint, now - instructed_at_});
  report_outcome(now, env);
}

bool Tunnel::direct_path_suspect(Time now, const ClientConfig& config) const {
  return direct_unanswered_since_ && now >= *direct_unanswered_since_ + config.path_check_after;
}

Duration Tunnel::roam_check_wait() const {
  return rtt_ ? std::max(kMinRoamCheckWait, *rtt_ * 4) : 2 * kMinRoamCheckWait;
}

void Tunnel::watch_direct_path(Time now, TunnelEnv& env) {
  const ClientConfig& cfg = env.ctx.config;
  if (!relay_usable()) return;
  if (roamed_at_) {
    if (last_direct_received_ >= *roamed_at_) {
      roamed_at_.reset();  // the peer answered at our new address
    } else if (now >= *roamed_at_ + roam_check_wait()) {
      roamed_at_.reset();
      fall_back_to_relay(now, env);
      return;
    }
  }
  if (now >= next_relay_refresh_at_) {
    relay_->rebind(now);  // sent by run_relay with the next timer
    next_relay_refresh_at_ = now + cfg.relay_refresh_interval;
  }
  if (!direct_path_suspect(now, cfg)) {
    unanswered_path_checks_ = 0;
    return;
  }
  if (now < next_path_check_at_) return;
  if (unanswered_path_checks_ >= cfg.path_check_misses) {
    fall_back_to_relay(now, env);
    return;
  }
  if (send_on(now, PeerPayload::ping(ping_nonce_ + 1), path_, env)) {
    ++ping_nonce_;
    last_ping_at_ = now;
  }
  ++unanswered_path_checks_;
  next_path_check_at_ = now + cfg.path_check_interval;
}

void Tunnel::watch_relay_path(Time now, TunnelEnv& env) {
  const ClientConfig& cfg = env.ctx.config;
  if (!relay_unanswered_since_ || now < *relay_unanswered_since_ + cfg.path_check_after) return;
  if (now < next_relay_rebind_at_) return;
  // Backing off: a peer that is simply gone leaves the path silent too (its
  // tunnel ends by the liveness checks or the peer timeout, not here).
  relay_rebind_wait_ = relay_rebind_wait_ == Duration(0) ? cfg.path_check_interval
                                                         : std::min(relay_rebind_wait_ * 2, RelayLink::kMaxRetry);
  next_relay_rebind_at_ = now + relay_rebind_wait_;
  relay_->rebind(now);
  relay_->on_timer(now, env.ctx);
}

void Tunnel::on_network_changed(Time now, TunnelEnv& env) {
  if (closed_ || !current_) return;
  if (relay_usable()) {
    relay_->rebind(now);
    relay_->on_timer(now, env.ctx);
    if (direct()) {
      next_relay_refresh_at_ = now + env.ctx.config.relay_refresh_interval;
      roamed_at_ = now;
    }
  }
  if (send_on(now, PeerPayload::ping(ping_nonce_ + 1), path_, env)) {
    ++ping_nonce_;
    last_ping_at_ = now;
  }
}

void Tunnel::fall_back_to_relay(Time now, TunnelEnv& env) {
  roamed_at_.reset();
  path_ = PeerPath{relay_->endpoint(), true};
  state_ = TunnelState::kRelayed;
  unanswered_path_checks_ = 0;
  direct_unanswered_since_.reset();
  relay_unanswered_since_.reset();
  relay_rebind_wait_ = Duration(0);
  // Our binding may have lapsed at the relay (a lost refresh): claim it again.
  relay_->rebind(now);
  relay_->on_timer(now, env.ctx);
  env.ctx.emit(TunnelRelayed{peer_, relay_->endpoint(), now - instructed_at_, true});
}

}  // namespace yt
