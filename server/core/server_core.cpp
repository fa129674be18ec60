#include "server/core/server_core.h"

#include <algorithm>
#include <type_traits>

#include "protocol/display_name.h"
#include "server/core/address_allocator.h"
#include "server/core/discovery_responder.h"
#include "server/core/server_core_impl.h"

namespace yt {

// ---- public surface: every entry point ends with reap(), so connections closed
// while handling it are announced offline and forgotten before control returns.

ServerCore::ServerCore(ServerConfig config, Identity identity, Storage& storage, RandomSource& rng)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(identity), storage, rng)) {}

ServerCore::~ServerCore() = default;

void ServerCore::on_stream_accepted(Time now, ConnId conn, Endpoint remote) {
  impl_->now_ = now;
  impl_->accept(now, conn, remote);
  impl_->reap();
}

void ServerCore::on_stream_data(Time now, ConnId conn, ByteView data) {
  impl_->now_ = now;
  impl_->receive(now, conn, data);
  impl_->reap();
}

void ServerCore::on_stream_closed(Time now, ConnId conn) {
  impl_->now_ = now;
  impl_->peer_closed(conn);
  impl_->reap();
}

void ServerCore::on_datagram(Time now, Endpoint local, Endpoint remote, ByteView data) {
  impl_->now_ = now;
  impl_->datagram(local, remote, data);
  impl_->reap();
}

void ServerCore::on_timer(Time now) {
  impl_->now_ = now;
  impl_->expire(now);
  impl_->run_plan_queues();
  impl_->reap();
}

std::optional<Time> ServerCore::next_deadline() const {
  std::optional<Time> next;
  auto consider = [&next](std::optional<Time> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (!impl_->deadlines_.empty()) consider(impl_->deadlines_.begin()->first);
  if (impl_->relay_) consider(impl_->relay_->next_deadline());
  consider(impl_->tickets_.next_rotation());  // nullopt until a relay needed a key
  if (!impl_->lifetime_order_.empty()) consider(impl_->lifetime_order_.begin()->first);
  consider(impl_->next_plan_deadline());
  return next;
}

std::vector<ServerCore::Output> ServerCore::drain_outputs() {
  std::vector<Output> out;
  out.swap(impl_->outputs_);
  return out;
}

const ServerStats& ServerCore::stats() const { return impl_->stats_; }
const NegotiationCounts& ServerCore::negotiations() const { return impl_->negotiations_.counts(); }
std::size_t ServerCore::online_clients() const { return impl_->online_count_; }
std::size_t ServerCore::admitted_connections() const { return impl_->admission_.connections(); }
std::size_t ServerCore::max_connections() const { return impl_->admission_.config().max_connections; }

std::optional<NatProfile> ServerCore::nat_profile(const PublicKey& key) const {
  auto it = impl_->by_key_.find(key);
  if (it == impl_->by_key_.end()) return std::nullopt;
  auto conn = impl_->conns_.find(it->second);
  if (conn == impl_->conns_.end() || conn->second.closing || !conn->second.online) return std::nullopt;
  return conn->second.report.profile;
}
const PublicKey& ServerCore::public_key() const { return impl_->identity_.public_key; }

const RelayStats& ServerCore::relay_stats() const {
  static const RelayStats kNone;
  return impl_->relay_ ? impl_->relay_->stats() : kNone;
}
std::size_t ServerCore::relay_pairs() const { return impl_->relay_ ? impl_->relay_->pairs() : 0; }

// ---- connections

ServerCore::Impl::Impl(ServerConfig config, Identity identity, Storage& storage, RandomSource& rng)
    : config_(std::move(config)),
      identity_(std::move(identity)),
      storage_(storage),
      rng_(rng),
      admission_(config_.admission),
      negotiations_(config_.negotiation_memory, config_.max_negotiations),
      tickets_(rng) {
  if (config_.builtin_relay && !config_.discovery_endpoints.empty()) relay_.emplace(config_.relay);
}

void ServerCore::Impl::accept(Time now, ConnId conn, Endpoint remote) {
  // The driver never reuses an id; if it did, the old state must not leak into the
  // new connection, so it is retired first (nothing to close: the socket is new).
  if (Client* stale = find_conn(conn)) {
    doom(*stale, /*emit_close=*/false);
    reap();
  }
  if (AdmissionVerdict verdict = admission_.connection(remote.ip); verdict != AdmissionVerdict::kAdmit) {
    // Told why, then closed; no state kept. Retry soon: connections come and go.
    ++stats_.connections_refused;
    const char* why = verdict == AdmissionVerdict::kTooManyFromAddress ? "too many connections from your address"
                                                                       : "server full";
    outputs_.push_back(SendStream{conn, ServerControlChannel::busy_frame(10s, why)});
    outputs_.push_back(CloseStream{conn});
    return;
  }
  Client& c = conns_[conn];
  c.conn = conn;
  c.remote = remote;
  c.accepted_at = now;
  set_deadline(c, now + config_.login_timeout);
  ++stats_.connections_accepted;
}

void ServerCore::Impl::receive(Time now, ConnId conn, ByteView data) {
  Client* c = find_conn(conn);
  if (!c) return;
  c->channel.push(data);
  while (!c->closing) {
    std::optional<Bytes> frame = c->channel.next_frame();
    if (!frame) break;
    handle_frame(*c, *frame, now);
    // Any frame counts as activity once logged in; before that the login timeout
    // stands, so a client cannot hold a connection open by chattering.
    if ((c->logged_in || c->relay) && !c->closing) set_deadline(*c, now + config_.client_idle_timeout);
  }
  if (!c->closing && c->channel.framing_failed()) {
    ++stats_.malformed_frames;
    doom(*c, /*emit_close=*/true);
  }
}

void ServerCore::Impl::peer_closed(ConnId conn) {
  if (Client* c = find_conn(conn)) doom(*c, /*emit_close=*/false);
}

void ServerCore::Impl::expire(Time now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    Client* c = find_conn(deadlines_.begin()->second);
    if (!c) {
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    // Login timeouts count here too: both drop a connection that did not progress.
    ++stats_.idle_disconnects;
    doom(*c, /*emit_close=*/true);  // also removes the deadline entry
  }
  send_due_lifetime_replies(now);
  negotiations_.expire(now);
  if (tickets_.rotate_if_due(now)) publish_ticket_keys();
  if (relay_) {
    relay_->on_timer(now);
    drain_relay();
  }
}

void ServerCore::Impl::drain_relay() {
  for (auto& output : relay_->drain_outputs()) {
    if (auto* on_channel = std::get_if<SendOnChannel>(&output)) {
      // The channels are control connections (relay_frame).
      Client* c = find_conn(on_channel->channel);
      if (c && !c->closing) send(*c, RelayFrame{std::move(on_channel->datagram)}, /*droppable=*/true);
      continue;
    }
    std::visit(
        [this](auto& o) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(o)>, SendOnChannel>) outputs_.push_back(std::move(o));
        },
        output);
  }
}

void ServerCore::Impl::relay_frame(Client& c, const RelayFrame& m) {
  if (!relay_ || !c.logged_in) {
    ++stats_.malformed_datagrams;  // nothing here relays: as garbage on the discovery socket
    return;
  }
  // The relay checks the ticket; the connection only says where answers go.
  relay_->on_channel_datagram(now_, c.conn, c.remote, m.datagram);
  drain_relay();
}

void ServerCore::Impl::handle_frame(Client& c, ByteView frame, Time now) {
  if (!c.channel.established()) {
    // A TCP mapping connection costs no DH work: it is told apart before admission.
    if (auto decoded = decode_control_frame(frame); decoded && decoded->type == ControlFrameType::kTcpMapping) {
      handle_tcp_mapping(c, decoded->token);
      return;
    }
    // The first frame is the msg1 that would cost us the DH work: admission first.
    if (std::optional<Duration> wait = admission_.handshake(now, c.remote.ip)) {
      ++stats_.handshakes_deferred;
      send_raw(c, ServerControlChannel::busy_frame(*wait, "too many logins right now"));
      doom(c, /*emit_close=*/true);
      return;
    }
  }
  auto incoming = c.channel.receive(frame, now, identity_, replay_guard_, rng_);
  if (!incoming) {
    switch (incoming.error().failure) {
      case ChannelFailure::kMalformedFrame:
      case ChannelFailure::kMalformedMessage:
        ++stats_.malformed_frames;
        break;
      case ChannelFailure::kBadHandshake:
        ++stats_.handshake_failures;
        send_raw(c, ServerControlChannel::reject_frame(incoming.error().handshake));
        break;
      case ChannelFailure::kReplayedHandshake:
        // handshake.h: a replay is dropped without an answer; the replayer could
        // not read one, and it must not learn the server keeps a replay cache.
        ++stats_.handshake_failures;
        break;
      case ChannelFailure::kAuthFailed:
        ++stats_.auth_failures;
        break;
    }
    doom(c, /*emit_close=*/true);
    return;
  }
  if (auto* established = std::get_if<ServerControlChannel::Established>(&incoming.value())) {
    c.key = established->client;
    send_raw(c, std::move(established->reply));
    return;
  }
  handle_message(c, std::get<ControlMessage>(incoming.value()));
}

void ServerCore::Impl::handle_tcp_mapping(Client& probe, std::uint64_t token) {
  auto it = by_token_.find(token);
  Client* owner = it == by_token_.end() ? nullptr : find_conn(it->second);
  if (owner && owner != &probe && !owner->closing) {
    owner->tcp_mapped = probe.remote;
    ++stats_.tcp_mappings;
  } else {
    ++stats_.tcp_mappings_unknown_token;
  }
  // We close first: the client's side of this connection then ends without a
  // TIME_WAIT, and its port is free at once for the punch (ns-3 cannot bind a port
  // twice, even with address reuse; Linux could).
  doom(probe, /*emit_close=*/true);
}

void ServerCore::Impl::handle_message(Client& c, ControlMessage& message) {
  if (c.relay && !std::holds_alternative<Ping>(message)) {
    ++stats_.malformed_frames;  // a relay registers and pings; nothing else
    doom(c, /*emit_close=*/true);
    return;
  }
  std::visit(
      [this, &c](auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, LoginRequest>) {
          handle_login(c, m);
        } else if constexpr (std::is_same_v<T, DiscoveryReport>) {
          handle_report(c, m);
        } else if constexpr (std::is_same_v<T, CreateNetwork>) {
          handle_create(c, m);
        } else if constexpr (std::is_same_v<T, JoinNetwork>) {
          handle_join(c, m);
        } else if constexpr (std::is_same_v<T, LeaveNetwork>) {
          handle_leave(c, m);
        } else if constexpr (std::is_same_v<T, SetNickname>) {
          handle_set_nickname(c, m);
        } else if constexpr (std::is_same_v<T, SetNetworkOnline>) {
          handle_set_network_online(c, m);
        } else if constexpr (std::is_same_v<T, RequestTunnel>) {
          handle_request_tunnel(c, m);
        } else if constexpr (std::is_same_v<T, TunnelOutcome>) {
          handle_tunnel_outcome(c, m);
        } else if constexpr (std::is_same_v<T, RelayFrame>) {
          relay_frame(c, m);
        } else if constexpr (std::is_same_v<T, RelayRtts>) {
          handle_relay_rtts(c, m);
        } else if constexpr (std::is_same_v<T, RelayRegister>) {
          handle_relay_register(c, m);
        } else if constexpr (std::is_same_v<T, Ping>) {
          send(c, Pong{m.nonce});
        } else {
          // A server-to-client message from a client: it speaks another protocol or
          // is broken; either way nothing it says next can be trusted to mean much.
          ++stats_.malformed_frames;
          doom(c, /*emit_close=*/true);
        }
      },
      message);
}

// ---- login and discovery

void ServerCore::Impl::handle_login(Client& c, const LoginRequest& m) {
  LoginReply reply;
  if (c.logged_in) {
    reply.code = ReplyCode::kInvalidArgument;
    reply.message = "already logged in on this connection";
    send(c, reply);
    return;
  }
  // A client that never set a nickname shows up under its node id rather than blank.
  // A nickname SetNickname would refuse is ignored here: not worth refusing a login.
  std::string login_nickname = valid_display_name(m.nickname, kMaxNicknameLength) ? m.nickname : std::string();
  std::string nickname = login_nickname.empty() ? node_id(c.key) : login_nickname;
  auto record = find_or_create_client(storage_, config_.address_range, c.key, nickname);
  if (!record) {
    reply.code = ReplyCode::kServerError;
    if (record.error() == AllocationError::kStorage) {
      ++stats_.storage_errors;
      reply.message = "server storage error; try again later";
    } else {
      reply.message = "no free virtual address left in " + config_.address_range.to_string();
    }
    send(c, reply);
    return;
  }
  // The login nickname is the client's current setting, so it wins over the stored
  // one. Failing to store it is not worth refusing the login over.
  if (!login_nickname.empty() && record.value().nickname != login_nickname) {
    if (storage_.set_nickname(c.key, login_nickname)) {
      record.value().nickname = login_nickname;
    } else {
      ++stats_.storage_errors;
    }
  }

  // The same key on a new connection replaces the old one (a client restarted, its
  // old TCP connection is half-dead, or a copy of the key runs elsewhere). The old
  // one's peers hear it go offline now;
  // they hear it online again after this connection's DiscoveryReport.
  if (Client* old = find_hosted(c.key)) {
    // Told first, so that a second live copy of the key stops instead of logging
    // back in and replacing this one in turn; a half-dead old connection never
    // hears it, which is fine.
    send(*old, SessionReplaced{c.remote});
    ++stats_.sessions_replaced;
    doom(*old, /*emit_close=*/true);
    retire(*old);
  }

  // It was hosted by another server until now (federation.h): from here on it is
  // ours; that server drops its session when it hears this one's presence.
  mirrors_.erase(c.key);
  c.logged_in = true;
  c.record = std::move(record.value());
  c.lan_endpoints = m.lan_endpoints;
  c.discovery_token = fresh_token();
  by_key_[c.key] = c.conn;
  by_token_[c.discovery_token] = c.conn;
  ++stats_.logins;

  reply.code = ReplyCode::kOk;
  reply.message = "logged in as " + c.record.nickname + " (" + node_id(c.key) + ")";
  reply.virtual_ip = c.record.virtual_ip;
  reply.prefix_length = config_.address_range.length;
  reply.discovery_token = c.discovery_token;
  reply.discovery_endpoints = config_.discovery_endpoints;
  send(c, reply);
  // Only a choice is worth measuring: with the built-in relay alone there is none.
  if (!relays_.empty()) send(c, relay_list());
}

void ServerCore::Impl::handle_report(Client& c, const DiscoveryReport& m) {
  if (!c.logged_in) return;  // nothing to attach it to; the client will log in first
  c.report = m;
  if (!c.online) {
    go_online(c);
    return;
  }
  // A repeated report (the client's network changed) refreshes what the server
  // knows for future tunnel plans and resyncs the client. Existing pairs are not
  // instructed again: the clients re-probe their own tunnels (outage survival).
  resync(c);
  publish_presence(c);
}

void ServerCore::Impl::datagram(Endpoint local, Endpoint remote, ByteView data) {
  auto type = peek_datagram_type(data);
  if (relay_ && (type == DatagramType::kRelayBind || type == DatagramType::kRelayData ||
                 type == DatagramType::kRelayEcho)) {
    relay_->on_datagram(now_, local, remote, data);  // it decodes and counts for itself
    drain_relay();
    return;
  }
  auto decoded = decode_datagram(data);
  if (!decoded) {
    ++stats_.malformed_datagrams;
    return;
  }
  if (auto* lifetime = std::get_if<LifetimeProbe>(&decoded.value())) {
    wait_lifetime(local, remote, *lifetime);
    return;
  }
  auto* probe = std::get_if<DiscoveryProbe>(&decoded.value());
  if (!probe) {
    ++stats_.malformed_datagrams;  // only discovery probes and relay traffic are addressed to the server
    return;
  }
  auto it = by_token_.find(probe->token);
  Client* c = it == by_token_.end() ? nullptr : find_conn(it->second);
  if (!c) {
    // Never answered: the server must not reflect unauthenticated traffic.
    ++stats_.unknown_discovery_tokens;
    return;
  }
  const bool at_primary = config_.discovery_endpoints.empty() || local == config_.discovery_endpoints.front();
  if (at_primary) c->mapped_at_primary = remote;
  c->mapped_anywhere = remote;
  const bool refresh = is_refresh_endpoint(local);
  const bool new_source = note_probe_source(*c, remote);
  if (new_source) c->fresh_base = refresh;

  Endpoint from = choose_reply_source(local, probe->change_ip, probe->change_port, config_.discovery_endpoints);
  DiscoveryReply reply{probe->transaction, remote, from};
  outputs_.push_back(SendDatagram{from, remote, encode_datagram(reply), 0});
  ++stats_.discovery_replies;
  if (refresh) refresh_arrived(*c);
}

void ServerCore::Impl::wait_lifetime(Endpoint local, Endpoint remote, const LifetimeProbe& probe) {
  if (!by_token_.count(probe.token)) {
    ++stats_.unknown_discovery_tokens;  // never answered: no reflection for strangers
    return;
  }
  if (auto old = lifetime_waits_.find(probe.token); old != lifetime_waits_.end()) {
    lifetime_order_.erase({old->second.at, probe.token});
  }
  const Time at = now_ + std::chrono::seconds(probe.wait_s);
  lifetime_waits_[probe.token] = LifetimeWait{at, local, remote, probe.transaction};
  lifetime_order_.insert({at, probe.token});
}

void ServerCore::Impl::send_due_lifetime_replies(Time now) {
  while (!lifetime_order_.empty() && lifetime_order_.begin()->first <= now) {
    const std::uint64_t token = lifetime_order_.begin()->second;
    lifetime_order_.erase(lifetime_order_.begin());
    auto wait = lifetime_waits_.find(token);
    if (wait == lifetime_waits_.end()) continue;
    const LifetimeWait w = wait->second;
    lifetime_waits_.erase(wait);
    auto owner = by_token_.find(token);
    if (owner == by_token_.end() || !find_conn(owner->second)) continue;  // logged out meanwhile
    outputs_.push_back(SendDatagram{w.local, w.remote, encode_datagram(DiscoveryReply{w.transaction, w.remote, w.local}), 0});
    ++stats_.lifetime_replies;
  }
}

// ---- helpers

bool ServerCore::Impl::note_probe_source(Client& c, Endpoint source) {
  // Retransmissions come from mappings already seen; only a first appearance is news.
  constexpr std::size_t kMaxProbeSources = 16;
  if (std::find(c.probe_sources.begin(), c.probe_sources.end(), source) != c.probe_sources.end()) return false;
  if (c.probe_sources.size() >= kMaxProbeSources) c.probe_sources.erase(c.probe_sources.begin());
  c.probe_sources.push_back(source);
  c.newest_mapping = source;
  return true;
}

ServerCore::Impl::Client* ServerCore::Impl::find_conn(ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end() || it->second.closing) return nullptr;
  return &it->second;
}

ServerCore::Impl::Client* ServerCore::Impl::find_hosted(const PublicKey& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : find_conn(it->second);
}

ServerCore::Impl::Client* ServerCore::Impl::find_logged_in(const PublicKey& key) {
  if (Client* c = find_hosted(key)) return c;
  auto mirror = mirrors_.find(key);
  return mirror == mirrors_.end() ? nullptr : &mirror->second;
}

ServerCore::Impl::Client* ServerCore::Impl::find_online(const PublicKey& key) {
  Client* c = find_logged_in(key);
  return c && c->online ? c : nullptr;
}

void ServerCore::Impl::set_deadline(Client& c, Time deadline) {
  deadlines_.erase({c.deadline, c.conn});
  c.deadline = deadline;
  deadlines_.insert({deadline, c.conn});
}

void ServerCore::Impl::send(Client& c, const ControlMessage& message, bool droppable) {
  if (c.host != 0) return forward(c, message);
  if (c.closing) return;
  std::optional<Bytes> framed = c.channel.seal(message);
  if (!framed) {
    // Only an exhausted session (2^64 messages) or an impossible oversize message
    // gets here; the connection cannot carry on without losing messages.
    doom(c, /*emit_close=*/true);
    return;
  }
  outputs_.push_back(SendStream{c.conn, std::move(*framed), droppable});
}

void ServerCore::Impl::send_raw(Client& c, Bytes framed) {
  if (c.closing || framed.empty()) return;
  outputs_.push_back(SendStream{c.conn, std::move(framed)});
}

void ServerCore::Impl::doom(Client& c, bool emit_close) {
  if (c.closing) return;
  c.closing = true;
  deadlines_.erase({c.deadline, c.conn});
  if (emit_close) outputs_.push_back(CloseStream{c.conn});
  doomed_.push_back(c.conn);
}

void ServerCore::Impl::retire(Client& c) {
  if (c.retired) return;
  c.retired = true;
  if (relay_) relay_->on_channel_closed(now_, c.conn);  // sides bound over it are gone
  if (c.relay) relay_gone(c);
  if (c.logged_in) {
    auto it = by_key_.find(c.key);
    if (it != by_key_.end() && it->second == c.conn) by_key_.erase(it);
    by_token_.erase(c.discovery_token);
  }
  if (c.online) {
    c.online = false;
    --online_count_;
    if (c.moved_away) {
      // Its peers saw it come online on the other server; only our plans go.
      auto it = tunnels_.find(c.key);
      if (it != tunnels_.end()) {
        const std::set<PublicKey> partners = it->second;
        for (const PublicKey& partner : partners) forget_tunnel(c.key, partner);
      }
    } else {
      go_offline(c);
      publish_presence(c);
    }
  }
}

void ServerCore::Impl::reap() {
  // Index loop: retiring one client may doom others (a failed send), which appends.
  for (std::size_t i = 0; i < doomed_.size(); ++i) {
    auto it = conns_.find(doomed_[i]);
    if (it == conns_.end()) continue;
    retire(it->second);
  }
  for (ConnId conn : doomed_) {
    auto it = conns_.find(conn);
    if (it == conns_.end()) continue;
    admission_.closed(it->second.remote.ip);
    conns_.erase(it);
  }
  doomed_.clear();
}

std::uint64_t ServerCore::Impl::fresh_token() {
  // Zero is never handed out so that an all-zero probe is always unknown.
  for (;;) {
    std::uint64_t token = rng_.next_u64();
    if (token != 0 && by_token_.count(token) == 0) return token;
  }
}

}  // namespace yt
