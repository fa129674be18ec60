#include "tests/sim/fake_network.h"

#include <algorithm>
#include <sstream>

#include "client/core/describe_event.h"

namespace yt::sim {

namespace {

// Independent random streams per role, all derived from the one seed.
constexpr std::uint64_t kLossStream = 1;
constexpr std::uint64_t kServerIdentityStream = 2;
constexpr std::uint64_t kServerStreamBase = 100;  // + generation: a restart draws afresh
constexpr std::uint64_t kClientStreamBase = 1000;  // + client index

// step() asks every core for its deadline itself: the manual clock has no timer to arm.
constexpr auto kClockPollsDeadlines = [](std::optional<Time>) {};

}  // namespace

FakeNetwork::FakeNetwork(NetworkOptions options)
    : options_(options), loss_rng_(options.seed, kLossStream) {
  SeededRandom identity_rng(options_.seed, kServerIdentityStream);
  server_identity_ = Identity::generate(identity_rng);
}

FakeNetwork::~FakeNetwork() {
  // Cores first: they hold references to their rngs and to the storage.
  server_.reset();
  for (Client& c : clients_) c.core.reset();
}

// ---- server

void FakeNetwork::add_server(Endpoint control, std::vector<Endpoint> discovery, ServerConfig config) {
  server_control_ = control;
  server_discovery_ = discovery;
  server_config_ = std::move(config);
  server_config_.discovery_endpoints = std::move(discovery);
  server_configured_ = true;
  start_server();
}

void FakeNetwork::start_server() {
  if (server_ || !server_configured_) return;
  ++server_generation_;
  server_rng_ = std::make_unique<SeededRandom>(options_.seed, kServerStreamBase + server_generation_);
  server_ = std::make_unique<ServerCore>(server_config_, server_identity_, storage_, *server_rng_);
}

void FakeNetwork::stop_server() {
  if (!server_) return;
  for (auto& [id, s] : streams_) {
    if (s.server_generation != server_generation_ || !s.open_at_server) continue;
    s.open_at_server = false;
    std::uint64_t stream_id = id;
    schedule(stream_arrival(s.last_to_client), [this, stream_id] {
      Stream& st = streams_.at(stream_id);
      if (!st.open_at_client) return;
      st.open_at_client = false;
      client(st.client).on_stream_closed(now_, st.client_conn);
      drain_client(st.client);
    });
  }
  server_.reset();
}

// ---- clients

std::size_t FakeNetwork::add_client(ClientOptions options) {
  Client c;
  c.name = options.name;
  c.address = options.address;
  c.translator = options.translator;
  c.public_ip = options.translator ? options.public_ip : options.address.ip;
  c.rng = std::make_unique<SeededRandom>(options_.seed, kClientStreamBase + clients_.size());
  Identity identity = Identity::generate(*c.rng);
  ClientConfig config = std::move(options.config);
  config.server = server_control_;
  config.server_key = server_identity_.public_key;
  if (config.nickname.empty()) config.nickname = options.name;
  if (config.lan_endpoints.empty()) config.lan_endpoints.push_back(options.address);
  c.config = config;
  c.identity = identity;
  c.core = std::make_unique<ClientCore>(std::move(config), identity, *c.rng);
  clients_.push_back(std::move(c));
  deadlines_stale_ = true;
  return clients_.size() - 1;
}

Endpoint FakeNetwork::client_public_endpoint(std::size_t i) const {
  const Client& c = clients_.at(i);
  if (!c.translator) return c.address;
  return Endpoint{c.public_ip, c.address.port};
}

void FakeNetwork::start_client(std::size_t i) {
  with_client(i, [](ClientCore& core, Time now) { core.start(now); });
}

void FakeNetwork::stop_client(std::size_t i) {
  with_client(i, [](ClientCore& core, Time now) { core.stop(now); });
}

void FakeNetwork::move_client(std::size_t i, Endpoint address, bool tell_client) {
  Client& c = clients_.at(i);
  reset_client_streams(i, tell_client);
  c.address = address;
  c.public_ip = address.ip;
}

void FakeNetwork::restart_client(std::size_t i) {
  Client& c = clients_.at(i);
  reset_client_streams(i, /*tell_client=*/false);
  c.core = std::make_unique<ClientCore>(c.config, c.identity, *c.rng);
  c.loop = DriverLoop{};
  deadlines_stale_ = true;
}

void FakeNetwork::reset_client_streams(std::size_t i, bool tell_client) {
  for (auto it = by_client_conn_.begin(); it != by_client_conn_.end();) {
    if (it->first.first != i) {
      ++it;
      continue;
    }
    const std::uint64_t id = it->second;
    Stream& st = streams_.at(id);
    if (st.open_at_client) {
      st.open_at_client = false;
      schedule(stream_arrival(st.last_to_server), [this, id] {
        Stream& s = streams_.at(id);
        if (!server_ || s.server_generation != server_generation_ || !s.open_at_server) return;
        s.open_at_server = false;
        server_->on_stream_closed(now_, s.server_conn);
        drain_server();
      });
      if (tell_client) {
        const ConnId conn = st.client_conn;
        schedule(now_, [this, i, conn] {
          client(i).on_stream_closed(now_, conn);
          drain_client(i);
        });
      }
    }
    it = by_client_conn_.erase(it);
  }
  if (tell_client) reset_peer_streams(i);
}

void FakeNetwork::reset_peer_streams(std::size_t i) {
  for (auto& [key, peer] : peer_streams_) {
    if (key.first != i || !peer.open) continue;
    close_peer_stream(peer);
    schedule(now_, [this, i, conn = key.second] {
      client(i).on_stream_closed(now_, conn);
      drain_client(i);
    });
  }
}

// ---- outputs

void FakeNetwork::schedule(Time at, std::function<void()> action) {
  pending_.emplace(std::make_pair(at, next_sequence_++), std::move(action));
}

Time FakeNetwork::stream_arrival(Time& last) {
  Time at = std::max(now_ + options_.one_way_delay, last);
  last = at;
  return at;
}

void FakeNetwork::drain_client(std::size_t i) {
  Client& c = clients_.at(i);
  c.loop.pump(
      *c.core,
      Overloaded{
          [&](SendDatagram& d) {
            Endpoint local = c.address;
            if (d.socket != 0) {
              auto it = c.extra_sockets.find(d.socket);
              if (it == c.extra_sockets.end()) {
                it = c.extra_sockets.emplace(d.socket, Endpoint{c.address.ip, c.next_extra_port++}).first;
              }
              local = it->second;
            }
            std::optional<Endpoint> source = local;
            if (c.translator) source = c.translator->outbound(now_, local, d.to);
            if (!source) {
              ++counters_.datagrams_undeliverable;
              return;
            }
            send_datagram(*source, d.to, std::move(d.payload));
          },
          [&](CloseSocket& close) { c.extra_sockets.erase(close.socket); },
          [&](OpenStream& open) { open_stream(i, open); },
          // Nothing reaches a client's listener here: the fake network has no
          // gateway to map its port (the ns-3 runs and the netns tests do).
          [&](ListenStream&) {},
          [&](SendStream& send) {
            if (PeerStream* p = peer_stream(i, send.conn)) return send_on_peer_stream(*p, std::move(send.data));
            Stream* s = stream_by_client(i, send.conn);
            if (!s || !s->open_at_client) return;
            std::uint64_t id = by_client_conn_.at({i, send.conn});
            schedule(stream_arrival(s->last_to_server), [this, id, data = std::move(send.data)] {
              Stream& st = streams_.at(id);
              if (!server_ || st.server_generation != server_generation_ || !st.open_at_server) return;
              server_->on_stream_data(now_, st.server_conn, data);
              drain_server();
            });
          },
          [&](CloseStream& close) {
            if (PeerStream* p = peer_stream(i, close.conn)) return close_peer_stream(*p);
            Stream* s = stream_by_client(i, close.conn);
            if (!s || !s->open_at_client) return;
            s->open_at_client = false;
            std::uint64_t id = by_client_conn_.at({i, close.conn});
            schedule(stream_arrival(s->last_to_server), [this, id] {
              Stream& st = streams_.at(id);
              if (!server_ || st.server_generation != server_generation_ || !st.open_at_server) return;
              st.open_at_server = false;
              server_->on_stream_closed(now_, st.server_conn);
              drain_server();
            });
          },
          [&](ClientEvent& event) { events_.push_back(RecordedEvent{now_, i, std::move(event)}); },
      },
      kClockPollsDeadlines);
  if (!deadlines_stale_ && i < deadlines_.size()) deadlines_[i] = c.core->next_deadline();
}

void FakeNetwork::drain_server() {
  if (!server_) return;
  server_loop_.pump(
      *server_,
      Overloaded{
          [&](SendDatagram& d) { send_datagram(d.from, d.to, std::move(d.payload)); },
          [&](SendStream& send) {
            Stream* s = stream_by_server(send.conn);
            if (!s || !s->open_at_server) return;
            std::uint64_t id = by_server_conn_.at(send.conn);
            schedule(stream_arrival(s->last_to_client), [this, id, data = std::move(send.data)] {
              Stream& st = streams_.at(id);
              if (!st.open_at_client) return;
              client(st.client).on_stream_data(now_, st.client_conn, data);
              drain_client(st.client);
            });
          },
          [&](CloseStream& close) {
            Stream* s = stream_by_server(close.conn);
            if (!s || !s->open_at_server) return;
            s->open_at_server = false;
            std::uint64_t id = by_server_conn_.at(close.conn);
            schedule(stream_arrival(s->last_to_client), [this, id] {
              Stream& st = streams_.at(id);
              if (!st.open_at_client) return;
              st.open_at_client = false;
              client(st.client).on_stream_closed(now_, st.client_conn);
              drain_client(st.client);
            });
          },
      },
      kClockPollsDeadlines);
}

bool FakeNetwork::open_peer_stream(std::size_t i, const OpenStream& open) {
  if (open.local_port == 0 || (server_ && open.to == server_control_)) return false;
  bool to_a_client = false;
  for (std::size_t j = 0; j < clients_.size(); ++j) to_a_client |= client_public_endpoint(j).ip == open.to.ip;
  if (!to_a_client) return false;
  PeerStream& mine = peer_streams_[{i, open.conn}];
  mine.client = i;
  mine.conn = open.conn;
  mine.from = Endpoint{client_public_endpoint(i).ip, open.local_port};
  mine.to = open.to;
  ++counters_.streams_opened;
  for (auto& [key, theirs] : peer_streams_) {
    if (&theirs == &mine || !theirs.open || theirs.connected) continue;
    if (theirs.from != mine.to || theirs.to != mine.from) continue;
    // Their SYN was dropped by our filter; ours meets their socket in SYN_SENT.
    mine.connected = theirs.connected = true;
    mine.other = key;
    theirs.other = std::pair<std::size_t, ConnId>{i, open.conn};
    for (PeerStream* s : {&mine, &theirs}) {
      schedule(stream_arrival(s->last_to_other), [this, c = s->client, conn = s->conn] {
        PeerStream* st = peer_stream(c, conn);
        if (!st || !st->open) return;
        client(c).on_stream_connected(now_, conn);
        drain_client(c);
      });
    }
    break;
  }
  return true;
}

FakeNetwork::PeerStream* FakeNetwork::peer_stream(std::size_t client, ConnId conn) {
  auto it = peer_streams_.find({client, conn});
  return it == peer_streams_.end() ? nullptr : &it->second;
}

void FakeNetwork::send_on_peer_stream(PeerStream& s, Bytes data) {
  if (!s.open || !s.connected || !s.other) return;
  schedule(stream_arrival(s.last_to_other), [this, other = *s.other, data = std::move(data)] {
    PeerStream* st = peer_stream(other.first, other.second);
    if (!st || !st->open) return;
    client(other.first).on_stream_data(now_, other.second, data);
    drain_client(other.first);
  });
}

void FakeNetwork::close_peer_stream(PeerStream& s) {
  if (!s.open) return;
  s.open = false;
  if (!s.connected || !s.other) return;
  schedule(stream_arrival(s.last_to_other), [this, other = *s.other] {
    PeerStream* st = peer_stream(other.first, other.second);
    if (!st || !st->open) return;
    st->open = false;
    client(other.first).on_stream_closed(now_, other.second);
    drain_client(other.first);
  });
}

void FakeNetwork::open_stream(std::size_t i, const OpenStream& open) {
  if (open_peer_stream(i, open)) return;
  std::uint64_t id = next_stream_++;
  Stream& s = streams_[id];
  s.client = i;
  s.client_conn = open.conn;
  s.open_at_server = false;  // until the server accepts it
  by_client_conn_[{i, open.conn}] = id;
  Duration rtt = 2 * options_.one_way_delay;

  if (!server_ || open.to != server_control_) {
    ++counters_.streams_refused;
    schedule(now_ + rtt, [this, id] {
      Stream& st = streams_.at(id);
      if (!st.open_at_client) return;
      st.open_at_client = false;
      client(st.client).on_stream_closed(now_, st.client_conn);
      drain_client(st.client);
    });
    return;
  }
  ++counters_.streams_opened;
  s.server_conn = next_server_conn_++;
  s.server_generation = server_generation_;
  by_server_conn_[s.server_conn] = id;
  // The server's side exists once the SYN arrived; the client's once the SYN-ACK did.
  schedule(stream_arrival(s.last_to_server), [this, id, local_port = open.local_port] {
    Stream& st = streams_.at(id);
    if (!server_ || st.server_generation != server_generation_) return;
    st.open_at_server = true;
    Endpoint remote{client_public_endpoint(st.client).ip,
                    local_port != 0 ? local_port : static_cast<std::uint16_t>(40000 + id % 20000)};
    server_->on_stream_accepted(now_, st.server_conn, remote);
    drain_server();
  });
  schedule(now_ + rtt, [this, id] {
    Stream& st = streams_.at(id);
    if (!st.open_at_client) return;
    client(st.client).on_stream_connected(now_, st.client_conn);
    drain_client(st.client);
  });
}

FakeNetwork::Stream* FakeNetwork::stream_by_client(std::size_t client, ConnId conn) {
  auto it = by_client_conn_.find({client, conn});
  return it == by_client_conn_.end() ? nullptr : &streams_.at(it->second);
}

FakeNetwork::Stream* FakeNetwork::stream_by_server(ConnId conn) {
  auto it = by_server_conn_.find(conn);
  return it == by_server_conn_.end() ? nullptr : &streams_.at(it->second);
}

// ---- datagrams

void FakeNetwork::inject_datagram(Endpoint from, Endpoint to, Bytes payload) {
  send_datagram(from, to, std::move(payload));
}

void FakeNetwork::send_datagram(Endpoint from, Endpoint to, Bytes payload) {
  ++counters_.datagrams_sent;
  if (options_.datagram_loss > 0) {
    constexpr std::uint32_t kScale = 1'000'000;
    if (loss_rng_.uniform(kScale) < static_cast<std::uint32_t>(options_.datagram_loss * kScale)) {
      ++counters_.datagrams_lost;
      return;
    }
  }
  schedule(now_ + options_.one_way_delay,
           [this, from, to, payload = std::move(payload)] { deliver_datagram(from, to, payload); });
}

void FakeNetwork::deliver_datagram(Endpoint from, Endpoint to, const Bytes& payload) {
  if (server_ && std::find(server_discovery_.begin(), server_discovery_.end(), to) != server_discovery_.end()) {
    server_->on_datagram(now_, to, from, payload);
    drain_server();
    return;
  }
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    Client& c = clients_[i];
    std::optional<SocketId> socket;
    if (c.translator) {
      if (to.ip != c.public_ip) continue;
      std::optional<Endpoint> local = c.translator->inbound(now_, to, from);
      if (!local || !(socket = c.socket_at(*local))) break;
    } else if (!(socket = c.socket_at(to))) {
      continue;
    }
    c.core->on_datagram(now_, from, payload, *socket);
    drain_client(i);
    return;
  }
  ++counters_.datagrams_undeliverable;
}

// ---- time

void FakeNetwork::refresh_deadlines() {
  deadlines_.resize(clients_.size());
  for (std::size_t i = 0; i < clients_.size(); ++i) deadlines_[i] = clients_[i].core->next_deadline();
  deadlines_stale_ = false;
}

std::optional<Time> FakeNetwork::next_timer() {
  if (deadlines_stale_) refresh_deadlines();
  std::optional<Time> next;
  auto consider = [&next](std::optional<Time> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (server_) consider(server_->next_deadline());
  for (const std::optional<Time>& t : deadlines_) consider(t);
  return next;
}

bool FakeNetwork::step(Time until) {
  std::optional<Time> event_at;
  if (!pending_.empty()) event_at = pending_.begin()->first.first;
  std::optional<Time> timer_at = next_timer();
  if (event_at && (!timer_at || *event_at <= *timer_at)) {
    if (*event_at > until) return false;
    auto node = pending_.extract(pending_.begin());
    now_ = std::max(now_, *event_at);
    node.mapped()();
    return true;
  }
  if (!timer_at || *timer_at > until) return false;
  now_ = std::max(now_, *timer_at);
  if (server_) {
    std::optional<Time> t = server_->next_deadline();
    if (t && *t <= now_) {
      server_->on_timer(now_);
      drain_server();
    }
  }
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    const std::optional<Time> t = deadlines_[i];
    if (t && *t <= now_) {
      clients_[i].core->on_timer(now_);
      drain_client(i);
    }
  }
  return true;
}

bool FakeNetwork::run_until(Time until) {
  for (std::size_t steps = 0; step(until);) {
    if (++steps >= options_.max_steps) {
      step_limit_hit_ = true;
      return false;
    }
  }
  now_ = std::max(now_, until);
  return true;
}

bool FakeNetwork::run_until(const std::function<bool()>& done, Duration limit) {
  Time until = now_ + limit;
  if (done()) return true;
  for (std::size_t steps = 0; step(until);) {
    if (done()) return true;
    if (++steps >= options_.max_steps) {
      step_limit_hit_ = true;
      return false;
    }
  }
  now_ = std::max(now_, until);
  return done();
}

// ---- observation

std::string FakeNetwork::event_log() const {
  std::ostringstream out;
  for (const RecordedEvent& r : events_) {
    out << "t=" << to_us(r.at) << " " << clients_.at(r.client).name << " " << describe(r.event) << "\n";
  }
  return out.str();
}

}  // namespace yt::sim
